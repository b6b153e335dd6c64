"""sklearn-lt: long-tail learning via logit adjustment, the scikit-learn way.

Public objects
--------------
LogitAdjustedClassifier
    Post-hoc logit adjustment of any probabilistic scikit-learn classifier.
LogitAdjustedClassifierCV
    The same, with ``tau`` chosen by cross-validation at the cost of one fit per split.
logit_adjust
    The same adjustment on arrays of logits or probabilities.
sklearn_lt.metrics
    ``balanced_error``, its scorer, per-class and many/medium/few errors.
sklearn_lt.priors
    Estimating and validating class priors.
sklearn_lt.plotting
    Per-class error and tau-curve displays (matplotlib, imported when plotting).
sklearn_lt.report
    ``error_report``: overall, balanced, many, medium and few errors as a table.

Importing the package never imports torch or matplotlib: the parts that need them
live in their own modules.
"""

from . import metrics, plotting, priors, report
from ._posthoc import LogitAdjustedClassifier, logit_adjust
from ._tuning import LogitAdjustedClassifierCV
from .metrics import balanced_error, balanced_error_scorer
from .report import error_report

__version__ = "0.1.0.dev0"

__all__ = [
    "LogitAdjustedClassifier",
    "LogitAdjustedClassifierCV",
    "__version__",
    "balanced_error",
    "balanced_error_scorer",
    "error_report",
    "logit_adjust",
    "metrics",
    "plotting",
    "priors",
    "report",
]
