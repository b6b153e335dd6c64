"""CIFAR-10-LT and CIFAR-100-LT with a ResNet-32: the table of Menon et al. (2021).

Runs the paper's CIFAR protocol with ``LogitAdjustedNet`` on a local copy of CIFAR
(this script never downloads anything), best on a GPU. The model, its head, the
augmentation and deferred re-weighting are the library's (``sklearn_lt.net``); the
script holds the CIFAR file reader, the schedules and the table:

**Data.** The "python version" of CIFAR-10 (``cifar-10-batches-py/data_batch_1`` to
``data_batch_5`` and ``test_batch``) or CIFAR-100 (``cifar-100-python/train`` and
``test``) from https://www.cs.toronto.edu/~kriz/cifar.html, extracted under
``--data-dir`` (or ``--data-dir`` pointing at that folder itself). The training set is
subsampled with ``make_long_tailed(profile="exponential", imbalance_ratio=100)``, the
"EXP profile with imbalance ratio 100" of Cao et al. (2019) that Menon et al. use:
class k keeps floor(n_max * 100 ** (-k / (C - 1))) of its images (5,000 down to 50 on
CIFAR-10, 12,406 images; 500 down to 5 on CIFAR-100, 10,847 images). The test set
stays balanced (1,000 or 100 images per class).

**Model.** ``sklearn_lt.net.CifarResNet``, ResNet-32 for CIFAR (He et al., 2016,
section 4.2): a 3x3 convolution with 16 channels, then 3 stages of 5 basic blocks (16,
32 and 64 channels; stride 2 at the start of stages 2 and 3, parameter-free "option A"
shortcuts that subsample and zero-pad), global average pooling and a linear layer
named ``classifier``: 0.46M parameters, as in Cao et al.'s code (kaidic/LDAM-DRW,
models/resnet_cifar.py).
Menon et al.'s reference code (google-research/logit_adjustment, models.py) builds its
"ResNet-32" from bottleneck-style blocks with projection shortcuts instead; this
script uses He et al.'s basic blocks, as Cao et al.'s code does.

**Augmentation and normalisation** run inside the module's ``forward``, on the
training device: in training mode only (``sklearn_lt.net.random_crop_flip``), a
random 32x32 crop of the image zero-padded
by 4 pixels on each side and a random horizontal flip (He et al., 2016; Cao et al.'s
code; Menon et al.'s code pads by 2 pixels on each side); then, always, per-channel
normalisation by the mean and standard deviation of the long-tailed training images
(Cao et al. normalise with fixed CIFAR-10 constants, Menon et al. map pixels to
x / 255 - 0.5). The net takes the raw rows of the CIFAR files, 3,072 pixel values in
[0, 255], as float32 arrays.

**Optimisation.** SGD with momentum 0.9, batch 128, base learning rate 0.1, weight
decay 2e-4, on the whole long-tailed training set (no validation split), with a
learning-rate schedule applied per batch (skorch's ``LRScheduler`` around torch's
``LinearLR`` warm-up, linear per batch, then ``MultiStepLR``, chained by
``SequentialLR``; the decay epochs become batches, the first batch of that epoch or
of its fraction):

- ``--schedule menon`` (default): the schedule of Menon et al.'s reference code
  (google-research/logit_adjustment, ``utils.dataset_mappings`` and ``main.py``),
  verified there: CIFAR-10-LT 1,241 epochs, linear warm-up over the first 20, learning
  rate x0.1 from epoch 604, x0.01 from 926 and x0.001 from 1,128; CIFAR-100-LT 1,419
  epochs, warm-up 22, the same decays from 691, 1,059 and 1,290 (about 120,000 steps of
  128 images either way); Nesterov momentum 0.9; L2 regularisation 1e-4 * ||w||^2 in
  the loss, which is SGD weight decay 2e-4. The paper's own appendix text was not
  available to check against that code.
- ``--schedule cao``: Cao et al. (2019)'s CIFAR schedule (kaidic/LDAM-DRW,
  ``cifar_train.py``): 200 epochs, linear warm-up over the first 5, learning rate
  x0.01 from epoch 160 and x0.0001 from epoch 180, plain momentum 0.9, weight decay
  2e-4.

Deferred re-weighting (the callback ``sklearn_lt.net.DeferredReweighting``) starts
at the first learning-rate decay, as in Cao et al. Weight decay applies to every
parameter, as in Cao et al. (Menon et al.'s code leaves batch-norm parameters out).
``--epochs`` shortens or stretches the chosen schedule, its warm-up and decay epochs in
proportion, for smoke runs.

**Methods.** ``--method`` picks rows of the paper's table (``all``: every one); the
rows that only differ at prediction time share one trained net:

===================  ===============================================================
--method             LogitAdjustedNet parameters
===================  ===============================================================
erm                  loss="cross_entropy"
weight_norm          the erm net, weight_norm_layer="classifier", weight_norm_tau=1
class_balanced       loss="class_balanced" (Cui et al., 2019, beta=0.9999)
ldam                 loss="ldam" (margin 0.5, scale 30), module__head="normed"
ldam_drw             the same, DeferredReweighting at the first learning-rate decay
equalised            loss="equalised" (the loss's default threshold and beta)
posthoc              the erm net, posthoc_tau=1
logit_adjusted       loss="logit_adjusted", tau=1
logit_adjusted_ldam  loss="logit_adjusted_ldam", tau=1 (margin 0.5, scale 1)
===================  ===============================================================

LDAM's scale of 30 is meant for cosine logits: like Cao et al.'s code (``use_norm``
for LDAM), those two rows put a ``NormedLinear`` cosine classifier (normalised
features and class weights) in place of the linear one (``LogitAdjustedNet`` would
also pick it for ``loss="ldam"``). The settings of the equalised and logit
adjustment plus adaptive rows are the library's defaults: the paper's values for them
were not verified. The "weight normalisation, tau = tau*" row needs a tuning set and
is not run.

**Output.** A Markdown table (printed and written to ``--out``) of the balanced error
on the test set and the error over the Many (> 100 training images), Medium (20 to
100) and Few (< 20) classes, in %, next to the paper's balanced error for the row, from
its table of real-world results. That table marks the class-balanced and adaptive rows
with daggers, whose footnotes were not checked here.

Run:
    python benchmarks/cifar_lt.py --data-dir ~/data --dataset cifar10 --method all
    python benchmarks/cifar_lt.py --fake --method all --epochs 1   # smoke run
"""

import argparse
import math
import os
import pickle
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from _common import RESULTS_DIR, machine_line, markdown_table, progress, save_text
from skorch.callbacks import LRScheduler

from sklearn_lt.datasets import make_long_tailed
from sklearn_lt.metrics import (
    balanced_error,
    frequency_bands,
    many_medium_few_error,
)
from sklearn_lt.net import CifarResNet, DeferredReweighting, LogitAdjustedNet

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
N_PIXELS = 3 * 32 * 32  # values in one image row of the CIFAR files


# --- Data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CifarLayout:
    """Where the files of one CIFAR "python version" live, and what they hold."""

    title: str
    folder: str
    archive: str
    train_files: tuple
    test_files: tuple
    label_key: bytes
    n_classes: int


LAYOUTS = {
    "cifar10": CifarLayout(
        title="CIFAR-10",
        folder="cifar-10-batches-py",
        archive="cifar-10-python.tar.gz",
        train_files=tuple(f"data_batch_{i}" for i in range(1, 6)),
        test_files=("test_batch",),
        label_key=b"labels",
        n_classes=10,
    ),
    "cifar100": CifarLayout(
        title="CIFAR-100",
        folder="cifar-100-python",
        archive="cifar-100-python.tar.gz",
        train_files=("train",),
        test_files=("test",),
        label_key=b"fine_labels",
        n_classes=100,
    ),
}


def find_cifar_folder(data_dir, dataset):
    """The folder holding the batch files: ``data_dir/<folder>`` or ``data_dir``.

    Raises ``FileNotFoundError`` naming the file expected and where to get it.
    """
    layout = LAYOUTS[dataset]
    data_dir = Path(data_dir).expanduser()
    for folder in (data_dir / layout.folder, data_dir):
        if (folder / layout.train_files[0]).is_file():
            return folder
    files = ", ".join(layout.train_files + layout.test_files)
    missing = "" if data_dir.is_dir() else f" ({data_dir} does not exist)"
    raise FileNotFoundError(
        f"No {layout.title} data under {data_dir}{missing}: expected the file "
        f"{data_dir / layout.folder / layout.train_files[0]}, or --data-dir pointing "
        f"at the {layout.folder} folder itself, holding {files}. Download the "
        f'"{layout.title} python version" ({layout.archive}) from {CIFAR_URL} and '
        f"extract it with `tar -xzf {layout.archive} -C {data_dir}`; this script "
        "never downloads."
    )


def _read_batch(path, layout):
    """Images (n, 3072) uint8 and labels (n,) int64 of one pickled batch file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{layout.title} file {path} is missing; {path.parent} should hold "
            f"{', '.join(layout.train_files + layout.test_files)} (extract "
            f"{layout.archive} from {CIFAR_URL} again)."
        )
    # The CIFAR files are pickles written by Python 2 (bytes keys); only load
    # files from the official archive, as unpickling can run code.
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise ValueError(
            f"{path} is not a readable {layout.title} batch (pickle error: {exc}); "
            f"extract {layout.archive} from {CIFAR_URL} again."
        ) from exc
    if not isinstance(batch, dict) or not {b"data", layout.label_key} <= set(batch):
        found = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(
            f"{path} is not a {layout.title} batch: expected a dict with the keys "
            f"b'data' and {layout.label_key!r}, got {found}. Is it a file of the "
            f"other CIFAR data set? Check --dataset."
        )
    images = np.asarray(batch[b"data"])
    labels = np.asarray(batch[layout.label_key])
    if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != N_PIXELS:
        raise ValueError(
            f"{path}: b'data' must be a uint8 array of shape (n, {N_PIXELS}), got "
            f"dtype {images.dtype} and shape {images.shape}."
        )
    integer = np.issubdtype(labels.dtype, np.integer)
    if labels.shape != (images.shape[0],) or not integer:
        raise ValueError(
            f"{path}: {layout.label_key!r} must hold one integer label per image "
            f"({images.shape[0]}), got dtype {labels.dtype} and shape {labels.shape}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= layout.n_classes):
        raise ValueError(
            f"{path}: labels must lie in [0, {layout.n_classes}), got "
            f"{labels.min()} to {labels.max()}."
        )
    return images, labels.astype(np.int64)


def load_cifar(data_dir, dataset):
    """Training and test images and labels of a local CIFAR "python version".

    Parameters
    ----------
    data_dir : str or Path
        The folder that holds ``cifar-10-batches-py`` (``cifar-100-python``), or that
        folder itself.

    dataset : {"cifar10", "cifar100"}
        Which data set.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        Images as uint8 rows of 3,072 values (1,024 red, then green, then blue, each
        32x32 row-major), labels as int64.
    """
    layout = LAYOUTS[dataset]
    folder = find_cifar_folder(data_dir, dataset)
    parts = {}
    for split, names in (("train", layout.train_files), ("test", layout.test_files)):
        batches = [_read_batch(folder / name, layout) for name in names]
        parts[split] = (
            np.concatenate([images for images, _ in batches]),
            np.concatenate([labels for _, labels in batches]),
        )
    return (*parts["train"], *parts["test"])


def write_fake_cifar(root, dataset, n_train_per_class=20, n_test_per_class=5, seed=0):
    """Write a tiny random data set in the CIFAR "python version" format.

    For smoke runs and tests: ``root/cifar-10-batches-py/data_batch_1`` ... (or
    ``root/cifar-100-python/train`` and ``test``) with random pixels and balanced
    labels, pickled with bytes keys as the real files are. Returns that folder.
    """
    layout = LAYOUTS[dataset]
    rng = np.random.default_rng(seed)
    folder = Path(root) / layout.folder
    folder.mkdir(parents=True, exist_ok=True)

    def split(n_per_class, n_files):
        labels = rng.permutation(np.repeat(np.arange(layout.n_classes), n_per_class))
        images = rng.integers(0, 256, size=(labels.size, N_PIXELS), dtype=np.uint8)
        return zip(
            np.array_split(images, n_files),
            np.array_split(labels, n_files),
            strict=True,
        )

    files = [
        (layout.train_files, split(n_train_per_class, len(layout.train_files))),
        (layout.test_files, split(n_test_per_class, len(layout.test_files))),
    ]
    for names, chunks in files:
        for name, (images, labels) in zip(names, chunks, strict=True):
            batch = {
                b"batch_label": f"fake {name}".encode(),
                b"data": images,
                layout.label_key: labels.tolist(),
                b"filenames": [f"fake_{i}.png".encode() for i in range(labels.size)],
            }
            if dataset == "cifar100":
                batch[b"coarse_labels"] = (labels // 5).tolist()
            with open(folder / name, "wb") as handle:
                pickle.dump(batch, handle, protocol=2)
    return folder


def long_tailed_train_set(X_train, y_train, imbalance_ratio=100, seed=0):
    """The exponential long-tailed subsample of the training set (CIFAR-LT)."""
    X_lt, y_lt = make_long_tailed(
        X_train,
        y_train,
        imbalance_ratio=imbalance_ratio,
        profile="exponential",
        random_state=seed,
    )
    return X_lt, y_lt


def channel_stats(images):
    """Per-channel mean and standard deviation of uint8 CIFAR rows, in [0, 1]."""
    channels = images.reshape(images.shape[0], 3, -1)
    mean, std = [], []
    for c in range(3):
        values = channels[:, c].astype(np.float32) / 255
        mean.append(float(values.mean(dtype=np.float64)))
        std.append(float(values.std(dtype=np.float64)))
    return tuple(mean), tuple(std)


# --- Schedule ------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: linear warm-up, then steps down.

    ``decays`` holds ``(epoch, multiplier)`` pairs: from that (possibly fractional)
    epoch on, the learning rate is ``multiplier`` times the base rate.
    """

    name: str
    epochs: int
    warmup_epochs: float
    decays: tuple
    nesterov: bool

    def scaled(self, epochs):
        """The same schedule stretched (or shrunk) to ``epochs`` epochs."""
        factor = epochs / self.epochs
        return replace(
            self,
            epochs=epochs,
            warmup_epochs=self.warmup_epochs * factor,
            decays=tuple((start * factor, mult) for start, mult in self.decays),
        )

    @property
    def drw_epoch(self):
        """Epochs trained before deferred re-weighting: up to the first decay."""
        return math.ceil(self.decays[0][0])

    def describe(self):
        decays = ", ".join(
            f"x{mult:g} from epoch {start:.4g}" for start, mult in self.decays
        )
        momentum = "Nesterov momentum" if self.nesterov else "momentum"
        return (
            f"{self.name!r} schedule: {self.epochs} epoch(s), linear warm-up over "
            f"{self.warmup_epochs:.4g} epoch(s), then the learning rate {decays}; "
            f"{momentum} 0.9"
        )


SCHEDULES = {
    # google-research/logit_adjustment, utils.dataset_mappings (there as (multiplier,
    # epoch) pairs, the first of which ends the warm-up).
    "menon": {
        "cifar10": Schedule(
            "menon", 1241, 20, ((604, 0.1), (926, 0.01), (1128, 0.001)), True
        ),
        "cifar100": Schedule(
            "menon", 1419, 22, ((691, 0.1), (1059, 0.01), (1290, 0.001)), True
        ),
    },
    # kaidic/LDAM-DRW, cifar_train.adjust_learning_rate.
    "cao": {
        name: Schedule("cao", 200, 5, ((160, 0.01), (180, 0.0001)), False)
        for name in LAYOUTS
    },
}


def first_batch(epoch, steps_per_epoch):
    """The first training batch (0-based) at or after the (fractional) ``epoch``."""
    step = max(0, math.ceil(epoch * steps_per_epoch) - 2)
    while step / steps_per_epoch < epoch:
        step += 1
    return step


def warmup_then_steps(optimizer, *, warmup, milestones, gamma, last_epoch=-1):
    """torch's LinearLR then MultiStepLR, stepped per batch (for skorch's LRScheduler).

    The learning rate of batch ``s`` (0-based) is the base rate times
    ``min(1, (s + 1) / warmup)`` while ``s < warmup`` (a number of batches, maybe
    fractional), then times ``gamma`` once for each milestone batch ``<= s``.
    """
    warm_batches = math.ceil(warmup)  # the batches s < warmup
    steps = torch.optim.lr_scheduler.MultiStepLR
    if warm_batches <= 1:  # (s + 1) / warmup >= 1 from the first batch on
        return steps(optimizer, milestones, gamma, last_epoch=last_epoch)
    # Batches 0 to k - 1 ramp up by 1 / warmup each; batch k = warm_batches - 1 is
    # the last of the warm-up, whose (k + 1) / warmup >= 1 is clipped to 1: there
    # MultiStepLR takes over, at the base rate, its milestones counted from k.
    k = warm_batches - 1
    ramp = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=1 / warmup, end_factor=k / warmup, total_iters=k - 1
    )
    after = steps(optimizer, [m - k for m in milestones], gamma)
    return torch.optim.lr_scheduler.SequentialLR(
        optimizer, [ramp, after], milestones=[k], last_epoch=last_epoch
    )


def lr_scheduler(schedule, steps_per_epoch):
    """skorch's LRScheduler for ``schedule``, stepped after every training batch."""
    multipliers = [mult for _, mult in schedule.decays]
    gamma = multipliers[0]
    # MultiStepLR multiplies by one gamma at each milestone: the schedules' are.
    if not all(
        math.isclose(after, before * gamma, rel_tol=1e-9)
        for before, after in zip([1.0, *multipliers], multipliers, strict=False)
    ):
        raise ValueError(f"{schedule.name!r}: decays {multipliers} are not geometric")
    warmup = schedule.warmup_epochs * steps_per_epoch  # in batches
    # No decay during the warm-up: a milestone inside it acts at its end.
    milestones = [
        max(first_batch(start, steps_per_epoch), math.ceil(warmup))
        for start, _ in schedule.decays
    ]
    return LRScheduler(
        policy=warmup_then_steps,
        warmup=warmup,
        milestones=milestones,
        gamma=gamma,
        step_every="batch",
    )


# --- Methods -------------------------------------------------------------------------

# --method name -> (row of the paper's table, training parameters, prediction
# parameters). Rows with the same training parameters share one trained net;
# "drw": k stands for the callback DeferredReweighting(k).
METHODS = {
    "erm": ("ERM", {"loss": "cross_entropy"}, {}),
    "weight_norm": (
        "Weight normalisation (tau = 1)",
        {"loss": "cross_entropy"},
        {"weight_norm_layer": "classifier", "weight_norm_tau": 1.0},
    ),
    "class_balanced": ("Class-balanced", {"loss": "class_balanced"}, {}),
    "ldam": ("Adaptive (LDAM)", {"loss": "ldam", "module__head": "normed"}, {}),
    "ldam_drw": (
        "Adaptive + DRW",
        {"loss": "ldam", "module__head": "normed", "drw": "first decay"},
        {},
    ),
    "equalised": ("Equalised", {"loss": "equalised"}, {}),
    "posthoc": (
        "Logit adjustment post-hoc (tau = 1)",
        {"loss": "cross_entropy"},
        {"posthoc_tau": 1.0},
    ),
    "logit_adjusted": (
        "Logit adjustment loss (tau = 1)",
        {"loss": "logit_adjusted", "tau": 1.0},
        {},
    ),
    "logit_adjusted_ldam": (
        "Logit adjustment plus adaptive loss (tau = 1)",
        {"loss": "logit_adjusted_ldam", "tau": 1.0},
        {},
    ),
}

# The paper's balanced error (%) of each row on CIFAR-10-LT and CIFAR-100-LT.
PAPER_ERROR = {
    "erm": (27.16, 61.64),
    "weight_norm": (24.02, 58.89),
    "class_balanced": (25.43, 60.40),
    "ldam": (26.65, 60.40),
    "ldam_drw": (22.97, 57.96),
    "equalised": (26.02, 57.26),
    "posthoc": (22.60, 58.24),
    "logit_adjusted": (22.33, 56.11),
    "logit_adjusted_ldam": (22.42, 55.92),
}
PAPER_WEIGHT_NORM_TUNED = (21.50, 58.76)


def training_params(method, schedule):
    """The LogitAdjustedNet parameters that train ``method``'s net."""
    params = dict(METHODS[method][1])
    if params.get("drw") == "first decay":
        params["drw"] = schedule.drw_epoch
    return params


def make_net(params, *, schedule, n_train, mean, std, args):
    """A LogitAdjustedNet with a ResNet-32 and the schedule, for the given loss."""
    params = dict(params)
    callbacks = []
    if "drw" in params:
        callbacks.append(("drw", DeferredReweighting(params.pop("drw"))))
    steps_per_epoch = math.ceil(n_train / args.batch_size)
    callbacks.append(("lr_schedule", lr_scheduler(schedule, steps_per_epoch)))
    return LogitAdjustedNet(
        CifarResNet,
        module__blocks_per_stage=args.blocks_per_stage,
        module__mean=mean,
        module__std=std,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        optimizer__nesterov=schedule.nesterov,
        optimizer__weight_decay=args.weight_decay,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=schedule.epochs,
        iterator_train__shuffle=True,
        train_split=None,
        callbacks=callbacks,
        device=args.device,
        random_state=args.seed,
        verbose=args.verbose,
        **params,
    )


def _percent(value):
    return "–" if value is None or np.isnan(value) else f"{100 * value:.2f}"


# --- Command line --------------------------------------------------------------------


def _positive(kind):
    def check(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {kind.__name__}, got {text!r}"
            ) from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text!r}")
        return value

    return check


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a float, got {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be finite and >= 0, got {text!r}")
    return value


def _at_least_one(text):
    value = _positive(float)(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


QUICK_EPOCHS = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"CIFAR data: {CIFAR_URL} (python version). See the module docstring "
        "for the protocol and its sources.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data-dir",
        help="folder holding cifar-10-batches-py / cifar-100-python (or that folder)",
    )
    source.add_argument(
        "--fake",
        action="store_true",
        help="generate a tiny random data set in the CIFAR format (smoke run)",
    )
    parser.add_argument("--dataset", choices=sorted(LAYOUTS), default="cifar10")
    parser.add_argument(
        "--method",
        nargs="+",
        choices=[*METHODS, "all"],
        default=["all"],
        metavar="METHOD",
        help=f"rows of the paper's table to run: {', '.join(METHODS)}; or all "
        "(the default)",
    )
    parser.add_argument(
        "--imbalance-ratio",
        type=_at_least_one,
        default=100.0,
        help="largest over smallest class count (default: 100)",
    )
    parser.add_argument(
        "--schedule",
        choices=sorted(SCHEDULES),
        default="menon",
        help="learning-rate schedule (default: menon, the paper's reference code)",
    )
    parser.add_argument(
        "--epochs",
        type=_positive(int),
        default=None,
        help="training epochs; the schedule is scaled to them (default: its own)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a short run: the schedule scaled to {QUICK_EPOCHS} epochs (unless "
        "--epochs is given); far from the paper's accuracy, for a first look",
    )
    parser.add_argument(
        "--batch-size", type=_positive(int), default=128, help="(default: 128)"
    )
    parser.add_argument(
        "--lr", type=_positive(float), default=0.1, help="base learning rate (0.1)"
    )
    parser.add_argument(
        "--weight-decay", type=_non_negative_float, default=2e-4, help="(2e-4)"
    )
    parser.add_argument(
        "--blocks-per-stage",
        type=_positive(int),
        default=5,
        help="basic blocks per stage: 5 is ResNet-32 (depth 6n + 2)",
    )
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="torch device (default: cuda if available, else cpu)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="long tail and training seed (0)"
    )
    parser.add_argument(
        "--verbose", type=int, default=1, help="skorch verbosity (1: epoch table)"
    )
    parser.add_argument(
        "--out",
        default=None,
        help="results Markdown file (default: benchmarks/results/cifar_lt_<dataset>"
        "[_fake].md)",
    )
    args = parser.parse_args(argv)
    try:
        torch.device(args.device)
    except RuntimeError:
        parser.error(
            f"--device {args.device!r} is not a torch device; pass e.g. cuda, cuda:1 "
            "or cpu."
        )
    if str(args.device).startswith("cuda") and not torch.cuda.is_available():
        parser.error(
            f"--device {args.device}: torch {torch.__version__} sees no CUDA device; "
            "pass --device cpu (slow: ResNet-32 for hundreds of epochs) or install a "
            "CUDA build of torch."
        )
    if args.quick and args.epochs is None:
        args.epochs = QUICK_EPOCHS
    if "all" in args.method:
        args.method = list(METHODS)
    else:
        args.method = list(dict.fromkeys(args.method))
    if args.out is None:
        suffix = "_fake" if args.fake else ""
        args.out = os.path.join(RESULTS_DIR, f"cifar_lt_{args.dataset}{suffix}.md")
    return parser, args


def run(args, data, out=None):
    """Train and evaluate the requested rows on ``load_cifar``'s output.

    Returns the report's header and its table (with notes), as Markdown. With
    ``out``, the report so far is written there after each row, so that a long run
    that stops keeps its finished rows.
    """
    layout = LAYOUTS[args.dataset]
    X_train, y_train, X_test, y_test = data
    X_lt, y_lt = long_tailed_train_set(
        X_train, y_train, args.imbalance_ratio, seed=args.seed
    )
    counts = np.bincount(y_lt, minlength=layout.n_classes)
    mean, std = channel_stats(X_lt)
    # LogitAdjustedNet would convert them anyway; once here, not once per net.
    X_lt, X_test = X_lt.astype(np.float32), X_test.astype(np.float32)

    schedule = SCHEDULES[args.schedule][args.dataset]
    full_schedule = args.epochs is None or args.epochs == schedule.epochs
    if not full_schedule:
        schedule = schedule.scaled(args.epochs)
    if str(args.device).startswith("cuda"):
        torch.backends.cudnn.benchmark = True

    column = 0 if args.dataset == "cifar10" else 1
    bands = frequency_bands(counts)
    n_band = {band: int(np.sum(bands == band)) for band in ("many", "medium", "few")}
    depth = 6 * args.blocks_per_stage + 2
    lines = [
        f"# {layout.title}-LT (imbalance ratio {args.imbalance_ratio:g}): rows of "
        "Menon et al. (2021)'s table",
        "",
        f"Training set: {y_lt.size:,} images, {counts.max():,} to {counts.min():,} per "
        f"class ({n_band['many']} many, {n_band['medium']} medium, {n_band['few']} "
        f"few classes); test set: {y_test.size:,} images, "
        "balanced." + (" **Fake random data (--fake).**" if args.fake else ""),
        f"ResNet-{depth}, SGD, batch {args.batch_size}, base learning rate "
        f"{args.lr:g}, weight decay {args.weight_decay:g}; {schedule.describe()}. "
        f"Seed {args.seed}, device {args.device}.",
        machine_line() + ".",
        "",
    ]
    if args.fake or not full_schedule or depth != 32 or args.imbalance_ratio != 100:
        lines += [
            "**Not the paper's setting** (fake data, a shortened schedule, another "
            "depth or imbalance ratio): the paper's numbers are for reference only.",
            "",
        ]
    print("\n".join(lines), flush=True)
    header = [
        "method",
        "balanced error (%)",
        "paper (%)",
        "many (%)",
        "medium (%)",
        "few (%)",
        "train (s)",
    ]
    notes = [
        "",
        "Errors on the balanced test set; many / medium / few: classes with more than "
        "100, 20 to 100, fewer than 20 training images (– when there is none). Rows "
        "built on the same trained net show its training time. Not run: weight "
        "normalisation with a tuned tau (paper: "
        f"{PAPER_WEIGHT_NORM_TUNED[column]:.2f}).",
    ]

    nets, seconds, rows = {}, {}, []
    for method in progress(args.method, desc="methods"):
        label, _, predict_params = METHODS[method]
        params = training_params(method, schedule)
        key = tuple(sorted(params.items()))
        if key not in nets:
            print(f"\n## Training {method}: {params}", flush=True)
            net = make_net(
                params,
                schedule=schedule,
                n_train=y_lt.size,
                mean=mean,
                std=std,
                args=args,
            )
            start = time.perf_counter()
            nets[key] = net.fit(X_lt, y_lt)
            seconds[key] = time.perf_counter() - start
        net = nets[key]
        net.set_params(
            posthoc_tau=0.0, weight_norm_layer=None, weight_norm_tau=1.0
        ).set_params(**predict_params)
        y_pred = net.predict(X_test)
        bands_error = many_medium_few_error(
            y_test, y_pred, net.class_counts_, labels=net.classes_
        )
        rows.append(
            [
                f"{label} (`{method}`)",
                _percent(balanced_error(y_test, y_pred)),
                f"{PAPER_ERROR[method][column]:.2f}",
                _percent(bands_error["many"]),
                _percent(bands_error["medium"]),
                _percent(bands_error["few"]),
                f"{seconds[key]:.0f}",
            ]
        )
        table = "\n".join([markdown_table(header, rows), *notes])
        if out is not None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text("\n".join(lines) + "\n" + table + "\n", "utf-8")
    return "\n".join(lines), table


def main(argv=None):
    """Run the script with the command-line arguments ``argv``; return the report."""
    parser, args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cifar_lt_fake_") as tmp:
        data_dir = args.data_dir
        if args.fake:
            data_dir = write_fake_cifar(tmp, args.dataset, seed=args.seed)
        try:
            data = load_cifar(data_dir, args.dataset)
        except (FileNotFoundError, ValueError) as exc:
            parser.error(str(exc))
    header, table = run(args, data, out=args.out)
    print("\n" + table)
    report = header + "\n" + table
    save_text(report, args.out)
    return report


if __name__ == "__main__":
    main()
