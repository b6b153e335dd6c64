"""The ground floor: checks of numbers, labels and wrapped estimators' outputs.

Every module of the package validates through these helpers, so that one kind of
mistake gets one message everywhere: what was received, what was expected, and how
to fix it. Public functions declare their scalar parameters with scikit-learn's
``validate_params`` and the constraints below (``Number``, ``SubInterval``,
``Choice``); array contents are checked by the functions here. Nothing here
imports another module of the package except ``_compat``.
"""

import math
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils import column_or_1d

from ._compat import Interval, InvalidParameterError, StrOptions

__all__ = [
    "Choice",
    "Number",
    "SubInterval",
    "as_float_array",
    "check_class_counts",
    "check_labels",
    "check_number",
    "check_priors",
    "check_scores",
    "check_unique_classes",
    "label_indices",
    "preview",
]

# Probabilities are clipped to the smallest positive float64 before taking logs, so a
# predicted probability of exactly 0 becomes log(tiny) ~= -708.4 instead of -inf.
_TINY = np.finfo(np.float64).tiny


def preview(values, limit=10):
    """Short text of an array for error messages (long class lists are elided)."""
    values = list(np.asarray(values, dtype=object).ravel())
    text = ", ".join(
        repr(v.item() if hasattr(v, "item") else v) for v in values[:limit]
    )
    if len(values) > limit:
        text += f", ... ({len(values)} in all)"
    return f"[{text}]"


# -- numbers ---------------------------------------------------------------------


def _is_number(value, integer):
    """A real (or integral) scalar that is not a bool, as numbers.Real defines it."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, Integral if integer else Real)


def _interval_text(low, high, low_open, high_open):
    left = "(" if low_open else "["
    right = ")" if high_open or high is None else "]"
    lower = "-inf" if low is None else low
    upper = "inf" if high is None else high
    return f"{left}{lower}, {upper}{right}"


def check_number(
    value,
    name,
    *,
    low=None,
    high=None,
    low_open=False,
    high_open=False,
    integer=False,
    fix="",
):
    """``value`` as a Python float (int with ``integer=True``), or a clear error.

    Bools are refused (``True`` is not a number here, although Python counts it as
    one), and so are NaN and infinities: every numeric argument of the package is
    a finite number in a stated interval.

    Raises
    ------
    InvalidParameterError
        scikit-learn's error for a bad argument, both a ``ValueError`` and a
        ``TypeError``: if ``value`` is not a number (or not an integer with
        ``integer=True``), is NaN, infinite or outside the interval.
    """
    kind = "an integer" if integer else "a finite number"
    interval = _interval_text(low, high, low_open, high_open)
    suffix = f" {fix}" if fix else ""
    if not _is_number(value, integer):
        raise InvalidParameterError(
            f"{name} must be {kind} in {interval}, got {value!r} of type "
            f"{type(value).__name__}.{suffix}"
        )
    if not math.isfinite(value):
        raise InvalidParameterError(
            f"{name} must be {kind} in {interval}, got {value!r}.{suffix}"
        )
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise InvalidParameterError(
            f"{name} must be {kind} in {interval}, got {value!r}.{suffix}"
        )
    return int(value) if integer else float(value)


def as_float_array(values, name, expected):
    """``values`` as a float64 ndarray, refusing bools and non-numbers.

    ``expected`` describes what ``name`` should hold, for the message (e.g.
    "one prior per class, or a dict {label: prior}").
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        # A numeric array holds no bools: no element-wise look (a C x C margin
        # matrix can hold tens of millions of entries). Lists still get it, as
        # numpy turns [True, 2] into integers.
        return np.asarray(values, dtype=np.float64)
    try:
        raw = np.asarray(values)
        if raw.dtype == object:
            raw = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be {expected}; got {values!r}.") from exc
    flat = np.asarray(values, dtype=object).ravel().tolist() if raw.ndim else []
    if raw.dtype == bool or any(isinstance(v, (bool, np.bool_)) for v in flat):
        raise TypeError(
            f"{name} must be {expected}, got booleans {preview(flat or [values])}; "
            "True and False are not numbers here. Pass numbers."
        )
    if not np.issubdtype(raw.dtype, np.number):
        raise ValueError(f"{name} must be {expected}; got {values!r}.")
    return np.asarray(raw, dtype=np.float64)


def check_class_counts(class_counts, name="class_counts", *, positive=False):
    """Training examples per class as a non-empty 1-d float64 array, checked.

    Counts (or total sample weights) must be finite and >= 0, or > 0 with
    ``positive=True`` (for quantities that divide by them).
    """
    counts = as_float_array(class_counts, name, "numbers, one count per class")
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-d array with one count per class, got "
            f"shape {counts.shape}."
        )
    bad = ~np.isfinite(counts) | ((counts <= 0) if positive else (counts < 0))
    if np.any(bad):
        bound = "> 0" if positive else ">= 0"
        fix = (
            " A class with no training example has no effective number: drop it, "
            "or add a pseudo-count."
            if positive
            else ""
        )
        raise ValueError(
            f"{name} must be finite and {bound}, got {preview(counts[bad])} at "
            f"positions {preview(np.flatnonzero(bad))}.{fix}"
        )
    return counts


class Number(Interval):
    """scikit-learn's ``Interval`` constraint that also refuses bools and infinities.

    Used in ``_parameter_constraints`` and ``validate_params``, so that parameters
    fail (in ``fit``, when read after it, or when a function is called) with
    scikit-learn's ``InvalidParameterError`` and message: ``tau=True`` or
    ``tau=inf`` is not a valid scale. ``fix``, when given, is added to that
    message to say how to fix a bad value: "The 'tol' parameter of f must be a
    finite float in the range (0.0, inf) (use for example 1e-6). Got 0 instead."
    """

    def __init__(self, type, left, right, *, closed, fix=None):
        super().__init__(type, left, right, closed=closed)
        self.fix = fix

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)) or not super().is_satisfied_by(val):
            return False
        return self.type is Integral or math.isfinite(val)

    def _text(self):
        text = super().__str__()
        if self.type is Integral:
            return text.replace("an int", "an int (not a bool)", 1)
        return text.replace("a float", "a finite float", 1)

    def __str__(self):
        return _with_fix(self._text(), self.fix)


class SubInterval(Number):
    """Two numbers ``(low, high)``, with ``low <= high``, each in the interval.

    For band limits such as the ``thresholds=(20, 100)`` of the many/medium/few
    breakdown, a sub-interval of ``[0, inf)``: scikit-learn has no constraint for a
    pair of numbers.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (str, bytes)):
            return False
        try:
            low, high = val
        except (TypeError, ValueError):
            return False
        number = super().is_satisfied_by
        return bool(number(low) and number(high) and low <= high)

    def __str__(self):
        text = f"two numbers (low, high) with low <= high, each {self._text()}"
        return _with_fix(text, self.fix)


class Choice(StrOptions):
    """scikit-learn's ``StrOptions``, whose message also says how to choose."""

    def __init__(self, options, *, fix):
        super().__init__(options)
        self.fix = fix

    def __str__(self):
        return _with_fix(super().__str__(), self.fix)


def _with_fix(text, fix):
    """The constraint's text in scikit-learn's message, with the advice after it."""
    return text if not fix else f"{text} ({fix})"


# -- labels ----------------------------------------------------------------------


def _mixed_types_error(values, name):
    """The error for labels that mix strings with other types, or None."""
    # Missing labels (None, NaN) get their own message from check_labels.
    values = [v for v in values if not (v is None or v != v)]
    kinds = {type(v) for v in values}
    strings = {k for k in kinds if issubclass(k, str)}
    if not strings or not kinds - strings:
        return None
    others = ", ".join(sorted(k.__name__ for k in kinds - strings))
    text = next(v for v in values if isinstance(v, str))
    other = next(v for v in values if not isinstance(v, str))
    return ValueError(
        f"{name} mixes string labels with labels of type {others} (e.g. {text!r} "
        f"and {other!r}), which cannot be ordered into classes. Use one type for "
        f"every label, e.g. strings only: [str(label) for label in {name}]."
    )


def check_labels(y, name="y", *, warn=False):
    """Class labels as a 1-d array, refusing missing labels and mixed types.

    Class labels are sorted (``np.unique``) to define ``classes_``: a NaN label
    never equals itself, Python cannot order ``None`` or a string against a
    number, and numpy turns ``[1, "a"]`` into the strings ``["1", "a"]`` without
    a word. Its own errors for these name neither the argument nor the fix.
    ``warn`` is passed to :func:`sklearn.utils.column_or_1d` (a column vector).
    """
    if isinstance(y, (list, tuple)):
        error = _mixed_types_error(np.asarray(y, dtype=object).ravel().tolist(), name)
        if error is not None:
            raise error
    y = column_or_1d(y, warn=warn)
    if y.size == 0:
        return y
    if np.issubdtype(y.dtype, np.inexact):
        missing = np.isnan(y)
    elif y.dtype == object:
        missing = np.array([v is None or v != v for v in y.tolist()])
    else:
        return y
    if np.any(missing):
        where = np.flatnonzero(missing)
        raise ValueError(
            f"{name} holds {where.size} missing labels (None or NaN; first at "
            f"position {int(where[0])}) among {y.size}; every example needs a class "
            "label. Drop or impute the unlabelled rows first."
        )
    if y.dtype == object:
        error = _mixed_types_error(y.tolist(), name)
        if error is not None:
            raise error
    return y


def check_unique_classes(classes, name="classes"):
    """A non-empty list of distinct class labels, or an error naming ``name``."""
    classes = check_labels(classes, name)
    if classes.size == 0:
        raise ValueError(f"{name} is empty; pass at least one class label.")
    unique, counts = np.unique(classes, return_counts=True)
    if unique.size != classes.size:
        raise ValueError(
            f"{name} has repeated entries {preview(unique[counts > 1])} in "
            f"{preview(classes)}; list every class once."
        )
    return classes


def label_indices(y, classes, *, name="y", classes_name="classes", fix=None):
    """Position of each label of ``y`` in ``classes``.

    Raises a ``ValueError`` naming the labels of ``y`` that are not in ``classes``
    (called ``classes_name`` in the message, the argument the user can change),
    with ``fix`` as the advice (by default: add them to ``classes_name``).
    ``classes`` need not be sorted.
    """
    y = np.asarray(y)
    classes = np.asarray(classes)
    if y.size == 0:
        return np.zeros(0, dtype=np.intp)
    order = np.argsort(classes, kind="stable")
    pos = np.searchsorted(classes, y, sorter=order)
    pos = np.minimum(pos, classes.size - 1)
    indices = order[pos]
    unknown = classes[indices] != y
    if np.any(unknown):
        if fix is None:
            fix = (
                "pass labels from those classes, or include the missing labels in "
                f"`{classes_name}`"
            )
        raise ValueError(
            f"{name} contains labels {preview(np.unique(y[unknown]))} that are not "
            f"among the {classes_name} {preview(classes)}; {fix}."
        )
    return indices


# -- class priors ----------------------------------------------------------------


def check_priors(priors, classes, *, name="priors"):
    """Validate user-given class priors and align them with ``classes``.

    Priors that do not sum to 1 are divided by their sum, so counts or percentages
    are accepted as they are.

    Parameters
    ----------
    priors : array-like of shape (n_classes,) or dict
        Either one prior per class, in the order of ``classes``, or a mapping
        ``{label: prior}`` with exactly one entry for every class.

    classes : array-like of shape (n_classes,)
        The classes the priors are for, usually an estimator's ``classes_``.

    name : str, default="priors"
        Name used for ``priors`` in error messages.

    Returns
    -------
    priors : ndarray of shape (n_classes,)
        Positive float64 priors summing to 1, aligned with ``classes``.

    Raises
    ------
    ValueError
        If a prior is negative, zero, NaN or infinite, if the array has the wrong
        length, or if the mapping misses a class or names an unknown label.

    Examples
    --------
    >>> from sklearn_lt.priors import check_priors
    >>> check_priors({"dog": 3, "cat": 1}, classes=["cat", "dog"])
    array([0.25, 0.75])
    """
    return _aligned_priors(priors, classes, name, positive=True)


def _aligned_priors(priors, classes, name, *, positive):
    """The checks and the normalisation of :func:`check_priors`.

    ``positive=False`` also accepts priors of 0 (at least one must be positive),
    for quantities that weight classes rather than take their log, such as the
    target priors of :func:`sklearn_lt.metrics.expected_cost`.
    """
    classes = column_or_1d(classes)
    if isinstance(priors, Mapping):
        unknown = [label for label in priors if not np.any(classes == label)]
        if unknown:
            raise ValueError(
                f"{name} names labels {preview(unknown)} that are not among the "
                f"classes {preview(classes)}; use exactly the class labels as keys."
            )
        missing = [label for label in classes if label not in priors]
        if missing:
            raise ValueError(
                f"{name} has no entry for classes {preview(missing)}; a dict of "
                f"priors needs one entry per class of {preview(classes)}."
            )
        values = [priors[label] for label in classes]
    else:
        values = priors
    values = as_float_array(
        values, name, "numbers, one per class, or a dict {label: prior}"
    )
    if values.ndim != 1 or values.shape[0] != classes.shape[0]:
        raise ValueError(
            f"{name} has shape {values.shape} but there are {classes.shape[0]} classes "
            f"(classes_={preview(classes)}); pass one prior per class, in the order "
            "of classes_, or a dict {label: prior}."
        )
    bad = ~np.isfinite(values)
    if np.any(bad):
        raise ValueError(
            f"{name} must be finite, got {preview(values[bad])} for classes "
            f"{preview(classes[bad])}."
        )
    bad = values <= 0 if positive else values < 0
    if np.any(bad):
        if positive:
            raise ValueError(
                f"{name} must be > 0 (the adjustment takes log(prior)), got "
                f"{preview(values[bad])} for classes {preview(classes[bad])}; for "
                "priors estimated from counts, use "
                "estimate_priors(y, classes=..., smoothing=1.0)."
            )
        raise ValueError(
            f"{name} must be >= 0, got {preview(values[bad])} for classes "
            f"{preview(classes[bad])}; give each class its share (0 for a class "
            "the target data lack)."
        )
    if not positive and not np.any(values > 0):
        raise ValueError(
            f"{name} are all 0 (classes {preview(classes)}); give at least one "
            "class a positive prior."
        )
    # Divide by the largest first: the sum of priors near the float64 maximum
    # overflows (1e308 + 1e308 = inf), and that of subnormal ones loses digits.
    values = values / values.max()
    return values / values.sum()


# -- what a wrapped estimator returns ----------------------------------------------


def _proba_slack(dtype, n_classes):
    """How far rounding can push a normalised probability past [0, 1].

    A row normalised by its sum (softmax, predict_proba) has each entry within
    about ``n_classes + 2`` ulps of the exact value, at most 1; four times that
    leaves room for a model's own arithmetic, and a float32 model gets float32 ulps.
    """
    eps = np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0.0
    return 4 * (n_classes + 2) * eps


def unpredictable_rows(logits):
    """Rows of a 2-d logit matrix for which no class can be predicted.

    A row with NaN or ``+inf``, or with every logit ``-inf`` (its softmax is 0/0),
    has no argmax and no probabilities; ``-inf`` beside a finite logit is log(0)
    and fine. One pass over ``logits`` when every row is fine.
    """
    if logits.size == 0:
        return np.empty(0, dtype=np.intp)
    # NaN propagates through max; +inf and an all -inf row give a non-finite max.
    row_max = logits.max(axis=1)
    if np.all(np.isfinite(row_max)):
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.isnan(logits).any(axis=1) | ~np.isfinite(row_max))


def check_scores(scores, *, estimator, method, n_rows, n_classes, what="X"):
    """Validate what ``estimator.<method>(X)`` returned; return it as float64.

    ``scores`` must have one row per row of ``X`` and one column per class (a 1-d
    array of ``n_rows`` for a binary ``decision_function``), hold no NaN, and for
    ``predict_proba`` lie in [0, 1] up to rounding; ``predict_log_proba`` may hold
    ``-inf`` (a probability of 0) but not NaN or ``+inf``; a decision function must
    be finite. The error names the estimator, the method, what came back and what
    was expected.
    """
    name = f"{type(estimator).__name__}.{method}({what})"
    raw = np.asarray(scores)
    if not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
        raise TypeError(
            f"{name} returned an array of dtype {raw.dtype}; expected numbers, one "
            "column per class."
        )
    binary_1d = method == "decision_function" and n_classes == 2 and raw.ndim == 1
    expected = (n_rows,) if binary_1d else (n_rows, n_classes)
    if raw.shape != expected:
        raise ValueError(
            f"{name} returned shape {raw.shape}, but X has {n_rows} rows and the "
            f"estimator has {n_classes} classes (classes_); expected shape "
            f"{(n_rows, n_classes)}. The estimator's outputs must have one column "
            "per entry of its classes_."
        )
    values = np.asarray(raw, dtype=np.float64)
    if values.size == 0:
        return values
    if method == "predict_proba":
        low, high = np.min(values), np.max(values)
        slack = _proba_slack(raw.dtype, n_classes)
        if not (-slack <= low and high <= 1 + slack):
            raise ValueError(
                f"{name} returned values from {low} to {high} (NaN: "
                f"{bool(np.isnan(values).any())}); expected probabilities in [0, 1], "
                "whose log the adjustment takes. Check how the estimator computes "
                "its probabilities."
            )
        return np.clip(values, 0.0, 1.0)
    # Fast path without temporaries: NaN propagates through max, and the log of
    # a probability is never +inf; a decision function must also stay above -inf.
    if np.max(values) < np.inf and (
        method == "predict_log_proba" or np.min(values) > -np.inf
    ):
        return values
    nan = np.isnan(values)
    bad = nan | (values == np.inf)
    if method != "predict_log_proba":
        bad |= values == -np.inf
    if np.any(bad):
        row = int(np.flatnonzero(bad.any(axis=1) if bad.ndim == 2 else bad)[0])
        allowed = (
            "finite values or -inf (a probability of 0)"
            if method == "predict_log_proba"
            else "finite values"
        )
        raise ValueError(
            f"{name} returned {int(bad.sum())} NaN or infinite values (NaN: "
            f"{int(nan.sum())}; first in row {row}); expected {allowed}. The "
            "estimator's fit may have gone wrong (e.g. a feature with zero variance "
            "within a class, or unscaled features); check its outputs on its own "
            "training data."
        )
    return values
