"""The CIFAR ResNet of He et al. (2016), the backbone of the paper's CIFAR rows."""

import torch
import torch.nn.functional as F

from ._modules import classifier_head

#: Values in one CIFAR image: 3 channels of 32 x 32 pixels.
CIFAR_PIXELS = 3 * 32 * 32


def random_crop_flip(images, padding=4):
    """Random crop of each zero-padded image, flipped left-right half of the time.

    The augmentation of He et al. (2016) and Cao et al. (2019) for CIFAR: each
    image is zero-padded by ``padding`` pixels on every side, cropped back to its
    size at a random offset, and mirrored with probability 1/2, all in one gather
    on the images' device.

    Parameters
    ----------
    images : torch.Tensor of shape (n, channels, height, width)
        Float images.

    padding : int, default=4
        Zero padding on each side, so offsets run from 0 to ``2 * padding``.

    Returns
    -------
    augmented : torch.Tensor of shape (n, channels, height, width)
        On the same device. Uses torch's random generator of that device.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.net import random_crop_flip
    >>> random_crop_flip(torch.rand(8, 3, 32, 32)).shape
    torch.Size([8, 3, 32, 32])
    """
    n, channels, height, width = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    device = images.device
    top = torch.randint(0, 2 * padding + 1, (n, 1, 1), device=device)
    left = torch.randint(0, 2 * padding + 1, (n, 1, 1), device=device)
    flip = torch.rand(n, 1, 1, device=device) < 0.5
    rows = top + torch.arange(height, device=device).view(1, height, 1)
    columns = torch.arange(width, device=device).view(1, 1, width)
    columns = left + torch.where(flip, width - 1 - columns, columns)
    # One gather for the whole batch: image i, every channel, rows x columns.
    batch = torch.arange(n, device=device).view(n, 1, 1, 1)
    channel = torch.arange(channels, device=device).view(1, channels, 1, 1)
    return padded[batch, channel, rows.unsqueeze(1), columns.unsqueeze(1)]


class BasicBlock(torch.nn.Module):
    """Two 3x3 convolutions with batch norm and a parameter-free shortcut.

    The shortcut is He et al. (2016)'s option A: when the block halves the resolution
    and widens the channels, it subsamples the input and pads the new channels with
    zeros.
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(
            in_channels, out_channels, 3, stride=stride, padding=1, bias=False
        )
        self.bn1 = torch.nn.BatchNorm2d(out_channels)
        self.conv2 = torch.nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False
        )
        self.bn2 = torch.nn.BatchNorm2d(out_channels)
        self.stride = stride
        self.extra_channels = out_channels - in_channels

    def shortcut(self, x):
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))
        return x

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(torch.nn.Module):
    """The ResNet for 32x32 CIFAR images of He et al. (2016); ResNet-32 by default.

    The CIFAR backbone of the paper's table (Menon et al., 2021, after Cao et al.,
    2019): a 3x3 convolution with 16 channels, three stages of
    ``blocks_per_stage`` basic blocks (16, 32 and 64 channels; stride 2 at the
    start of stages 2 and 3, parameter-free "option A" shortcuts), global average
    pooling and a last layer named ``classifier``: depth ``6 * blocks_per_stage +
    2``, 0.46M parameters for ResNet-32 on 10 classes, as in He et al. (2016,
    section 4.2) and Cao et al.'s code (``models/resnet_cifar.py``).

    It takes raw CIFAR rows (``(n, 3072)`` pixel values in [0, 255], the layout of
    the CIFAR files: 1,024 red, then green, then blue values, each 32x32
    row-major) or images ``(n, 3, 32, 32)``, as floats. In training mode it
    augments them with :func:`random_crop_flip` (4-pixel zero padding); then it
    scales the pixels to [0, 1] and normalises each channel with ``mean`` and
    ``std``. Augmenting inside ``forward`` keeps it on the training device.

    Parameters
    ----------
    n_classes : int
        Number of output logits (``LogitAdjustedNet`` fills it in from ``y``).

    blocks_per_stage : int, default=5
        Basic blocks in each of the three stages (5 for ResNet-32).

    mean, std : tuple of 3 floats, default=(0.5, 0.5, 0.5) and (0.25, 0.25, 0.25)
        Per-channel mean and standard deviation of the pixels, scaled to [0, 1].

    augment : bool, default=True
        Whether to augment in training mode.

    head : {"linear", "normed"}, default="linear"
        The ``classifier`` layer: ``torch.nn.Linear``, or :class:`NormedLinear`
        (cosine logits, as Cao et al. use for LDAM). ``LogitAdjustedNet`` builds it
        with ``"normed"`` for ``loss="ldam"`` unless ``module__head`` (or
        ``criterion__scale``) is given.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.net import CifarResNet
    >>> module = CifarResNet(n_classes=10, blocks_per_stage=1).eval()
    >>> module(torch.randint(0, 256, (2, 3072)).float()).shape
    torch.Size([2, 10])
    """

    widths = (16, 32, 64)

    def __init__(
        self,
        n_classes,
        blocks_per_stage=5,
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
        augment=True,
        head="linear",
    ):
        super().__init__()
        self.augment = augment
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        if self.mean.shape != (3,) or self.std.shape != (3,) or (self.std <= 0).any():
            raise ValueError(
                f"mean and std must hold 3 numbers (one per RGB channel, std > 0); got "
                f"mean={mean!r} and std={std!r}."
            )
        width = self.widths[0]
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(3, width, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(width),
            torch.nn.ReLU(),
        )
        blocks = []
        for stage, out_width in enumerate(self.widths):
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                blocks.append(BasicBlock(width, out_width, stride))
                width = out_width
        self.stages = torch.nn.Sequential(*blocks)
        self.classifier = classifier_head(width, n_classes, head)
        for module in self.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(
                    module.weight, mode="fan_out", nonlinearity="relu"
                )

    def preprocess(self, X):
        """Raw pixels to normalised images, augmented in training mode."""
        if X.ndim == 2 and X.shape[1] == CIFAR_PIXELS:
            X = X.reshape(-1, 3, 32, 32)
        elif X.ndim != 4 or tuple(X.shape[1:]) != (3, 32, 32):
            raise ValueError(
                f"CifarResNet takes CIFAR rows of shape (n, {CIFAR_PIXELS}) or images "
                "of shape (n, 3, 32, 32), pixel values in [0, 255]; got shape "
                f"{tuple(X.shape)}."
            )
        images = X.float() / 255
        if self.training and self.augment:
            images = random_crop_flip(images)
        return (images - self.mean.view(1, 3, 1, 1)) / self.std.view(1, 3, 1, 1)

    def forward(self, X):
        features = self.stages(self.stem(self.preprocess(X)))
        return self.classifier(features.mean(dim=(2, 3)))
