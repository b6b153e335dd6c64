"""Torch modules for ``LogitAdjustedNet``: an MLP and the normalised (cosine) head."""

from numbers import Integral

import torch
import torch.nn.functional as F

#: Classifier heads of the library's modules (``head=...``).
HEADS = ("linear", "normed")


def _check_size(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(
            f"{owner}'s {name} must be a positive int, got {value!r}; pass the "
            "number of features (in_features) or of classes (out_features)."
        )


class NormedLinear(torch.nn.Module):
    r"""A normalised (cosine) classifier head: logits are cosines, in [-1, 1].

    The logit of class :math:`y` is the cosine of the angle between the input
    features :math:`x` and the class weight vector :math:`w_y`,

    .. math::

        f_y(x) = \frac{x^\top w_y}{\lVert x \rVert \, \lVert w_y \rVert},

    the ``NormedLinear`` layer of Cao et al. (2019), "Learning Imbalanced Datasets
    with Label-Distribution-Aware Margin Loss" (their LDAM-DRW code,
    ``models/resnet_cifar.py``). :class:`~sklearn_lt.losses.LDAMLoss` multiplies its
    logits by ``scale=30``, a value meant for such cosine logits, not for those of
    a plain linear layer.

    Parameters
    ----------
    in_features : int
        Size of each input feature vector.

    out_features : int
        Number of classes (output logits).

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (out_features, in_features)
        One weight vector per class, in the layout of ``torch.nn.Linear`` (Cao et
        al. store its transpose), so that code addressing a linear layer's
        ``weight`` rows, such as :func:`weight_normalised`, works on it. As in Cao
        et al.'s code, it starts uniform in [-1, 1] with each row rescaled to unit
        norm. There is no bias.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.net import NormedLinear
    >>> head = NormedLinear(4, 3)
    >>> logits = head(torch.randn(5, 4))
    >>> logits.shape
    torch.Size([5, 3])
    >>> bool(logits.abs().max() <= 1 + 1e-6)
    True
    """

    def __init__(self, in_features, out_features):
        super().__init__()
        _check_size(in_features, "in_features", "NormedLinear")
        _check_size(out_features, "out_features", "NormedLinear")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = torch.nn.Parameter(torch.empty(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self):
        """Uniform weights in [-1, 1], each class vector rescaled to unit norm."""
        with torch.no_grad():
            self.weight.uniform_(-1, 1)
            self.weight.copy_(F.normalize(self.weight, dim=1))

    def forward(self, x):
        return F.linear(*self._linear_operands(x))

    def _linear_operands(self, x):
        """``F.linear``'s input, weight and bias: unit rows of ``x`` and ``weight``."""
        return F.normalize(x, dim=-1), F.normalize(self.weight, dim=-1), None

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


def classifier_head(in_features, out_features, head="linear"):
    """The last layer of the library's modules: linear, or :class:`NormedLinear`."""
    if head == "linear":
        return torch.nn.Linear(in_features, out_features)
    if head == "normed":
        return NormedLinear(in_features, out_features)
    raise ValueError(
        f"head must be one of {list(HEADS)}, got {head!r}; 'normed' gives cosine "
        "logits (NormedLinear), as LDAM's scale=30 expects."
    )


def has_normed_head(module):
    """Whether ``module`` holds a :class:`NormedLinear` (its logits are cosines)."""
    return any(isinstance(layer, NormedLinear) for layer in module.modules())


class MLPModule(torch.nn.Module):
    """A multilayer perceptron whose last layer is named ``classifier``.

    ``LogitAdjustedNet`` fills in ``n_features`` and ``n_classes`` from the data at
    ``fit``, so ``LogitAdjustedNet(MLPModule)`` works on any tabular data.

    Parameters
    ----------
    n_features : int
        Number of input features.

    n_classes : int
        Number of classes (output logits).

    hidden_units : tuple of int, default=(64,)
        Width of each hidden layer (ReLU activations).

    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    head : {"linear", "normed"}, default="linear"
        The ``classifier`` layer: ``torch.nn.Linear``, or :class:`NormedLinear`
        (cosine logits, Cao et al., 2019). ``LogitAdjustedNet(MLPModule,
        loss="ldam")`` builds it with ``"normed"`` unless ``module__head`` (or
        ``criterion__scale``) is given; see :class:`LogitAdjustedNet`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.net import MLPModule
    >>> module = MLPModule(n_features=4, n_classes=3, head="normed")
    >>> module(torch.randn(5, 4)).shape
    torch.Size([5, 3])
    >>> type(module.classifier).__name__
    'NormedLinear'
    """

    def __init__(
        self, n_features, n_classes, hidden_units=(64,), dropout=0.0, head="linear"
    ):
        super().__init__()
        layers, width = [], n_features
        for units in hidden_units:
            layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
            width = units
        self.features = torch.nn.Sequential(*layers)
        self.classifier = classifier_head(width, n_classes, head)

    def forward(self, X):
        return self.classifier(self.features(X))
