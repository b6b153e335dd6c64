"""sklearn-lt: long-tail learning via logit adjustment, the scikit-learn way.

Public objects
--------------
LogitAdjustedClassifier
    Post-hoc logit adjustment of any probabilistic scikit-learn classifier.
LogitAdjustedClassifierCV
    The same, with ``tau`` chosen by cross-validation at the cost of one fit per split.
TunedAdjustmentClassifierCV
    Per-class gains chosen by cross-validation for the worst-class error, the G- or
    H-mean of recalls, or any scorer.
logit_adjust
    The same adjustment on arrays of logits or probabilities.
CostSensitiveClassifier
    The prediction of least expected cost under a cost matrix, on any classifier.
LabelShiftClassifier
    A classifier that estimates the class priors of unlabelled deployment data
    (calibrated EM or BBSE) and predicts with them.
LogitsClassifier
    A classifier whose input is logits computed elsewhere (e.g. by a trained net).
sklearn_lt.datasets
    ``make_long_tailed`` (CIFAR-LT profiles) and the paper's synthetic Gaussian problem.
sklearn_lt.metrics
    ``balanced_error``, its scorer, per-class and many/medium/few errors.
sklearn_lt.priors
    Estimating and validating class priors (plain numpy).
sklearn_lt.label_shift
    ``estimate_target_priors``: class priors of unlabelled data under label shift,
    with calibration and bootstrap intervals; ``LogitCalibrator``.
sklearn_lt.plotting
    Per-class error and tau-curve displays (matplotlib, imported when plotting).
sklearn_lt.report
    ``error_report``: overall, balanced, many, medium and few errors as a table.
sklearn_lt.losses
    Long-tail losses for torch (needs the ``torch`` extra).
LogitAdjustedNet (sklearn_lt.net)
    A skorch classifier trained with those losses (needs the ``torch`` extra).

Importing the package never imports torch or matplotlib: the parts that need them
live in their own modules, and the torch-backed names below are resolved on first
use.
"""

import importlib

from . import datasets, label_shift, metrics, plotting, priors, report
from ._cost_sensitive import CostSensitiveClassifier
from ._logits import LogitsClassifier
from ._posthoc import LogitAdjustedClassifier, logit_adjust
from ._tuning import LogitAdjustedClassifierCV, TunedAdjustmentClassifierCV
from ._version import __version__
from .label_shift import LabelShiftClassifier
from .metrics import balanced_error, balanced_error_scorer
from .report import error_report

# Torch-backed names, imported on first access so that `import sklearn_lt` stays
# free of torch: {public name: (module, attribute or None for the module)}.
_LAZY = {
    "losses": ("sklearn_lt.losses", None),
    "net": ("sklearn_lt.net", None),
    "LogitAdjustedNet": ("sklearn_lt.net", "LogitAdjustedNet"),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'sklearn_lt' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f'sklearn_lt.{name} needs torch and skorch: pip install "sklearn-lt[torch]"'
        ) from exc
    return module if attribute is None else getattr(module, attribute)


# The lazy names stay out of __all__, so that `from sklearn_lt import *` never
# imports torch.


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CostSensitiveClassifier",
    "LabelShiftClassifier",
    "LogitAdjustedClassifier",
    "LogitAdjustedClassifierCV",
    "LogitsClassifier",
    "TunedAdjustmentClassifierCV",
    "__version__",
    "balanced_error",
    "balanced_error_scorer",
    "datasets",
    "error_report",
    "label_shift",
    "logit_adjust",
    "metrics",
    "plotting",
    "priors",
    "report",
]
