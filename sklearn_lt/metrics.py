r"""Balanced error, its scorer, per-class errors and the many/medium/few breakdown.

The balanced error of a classifier :math:`h` over :math:`C` classes is the mean of the
per-class error rates (Menon et al., 2021, eq. 1):

.. math::

    \mathrm{BER}(h) = \frac{1}{C} \sum_{i=1}^{C} \mathbb{P}(y \neq h(x) \mid y = i),

which equals ``1 - sklearn.metrics.balanced_accuracy_score``. Every function here works
from per-class counts (``np.bincount``), so it costs ``O(n_samples + n_classes)`` time
and memory and never builds a ``C x C`` confusion matrix.
"""

import warnings
from collections.abc import Mapping
from numbers import Real

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import type_of_target, unique_labels

from ._compat import (
    _bincount,
    _check_sample_weight,
    _max_precision_float_dtype,
    is_array_api_obj,
    move_to,
    validate_params,
)
from ._namespace import array_namespace, to_namespace
from ._validation import (
    SubInterval,
    _aligned_priors,
    as_float_array,
    check_class_counts,
    check_labels,
    check_unique_classes,
    label_indices,
    preview,
)

__all__ = [
    "balanced_error",
    "balanced_error_scorer",
    "expected_cost",
    "frequency_bands",
    "geometric_mean_recall",
    "geometric_mean_recall_scorer",
    "harmonic_mean_recall",
    "harmonic_mean_recall_scorer",
    "many_medium_few_error",
    "per_class_error",
    "worst_class_error",
    "worst_class_error_scorer",
]

# The frequency bands of classes, head to tail: the values of frequency_bands.
_BANDS = ("many", "medium", "few")
# The metrics that LogitAdjustedClassifierCV records for every tau in cv_results_
# (as "mean_test_<metric>" and "std_test_<metric>"), and that TauCurveDisplay draws:
# the selection score, then error rates (lower is better).
_METRICS = (
    "score",
    "balanced_error",
    "error",
    "many_error",
    "medium_error",
    "few_error",
)
# The band limits (low, high) of frequency_bands and of everything that bands classes.
_THRESHOLDS = [
    SubInterval(
        Real, 0, None, closed="left", fix="the paper's bands are thresholds=(20, 100)"
    )
]
_LABELS = {"y_true": ["array-like"], "y_pred": ["array-like"]}


def _check_labels(y_true, y_pred, sample_weight):
    """Validate a pair of label vectors; return them as 1d arrays with float weights."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred")
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.size == 0:
        raise ValueError("y_true is empty; an error rate needs at least one example.")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        kind = type_of_target(y, input_name=name)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{name} must hold class labels (binary or multiclass), but its values "
                f"look {kind!r}: {preview(np.unique(y))}."
            )
    sample_weight = _check_sample_weight(
        sample_weight, y_true, dtype=np.float64, ensure_non_negative=True
    )
    return y_true, y_pred, sample_weight


@validate_params(
    {**_LABELS, "labels": ["array-like", None], "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def per_class_error(y_true, y_pred, *, labels=None, sample_weight=None):
    r"""Error rate of each class: :math:`\mathbb{P}(h(x) \neq y \mid y = i)`.

    This is one minus the recall of each class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    labels : array-like of shape (n_labels,), default=None
        The classes to report, in this order. Defaults to the sorted union of the
        labels in ``y_true`` and ``y_pred``. Every label of ``y_true`` must be in it.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    errors : ndarray of shape (n_labels,)
        Error rate of each class in ``labels``; NaN for a class with no example
        (or zero total weight) in ``y_true``, whose error is undefined.

    Examples
    --------
    >>> from sklearn_lt.metrics import per_class_error
    >>> per_class_error([0, 0, 1, 1, 1], [0, 1, 1, 1, 1])
    array([0.5, 0. ])
    """
    place = array_namespace(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    if place is not None:
        return _per_class_error_xp(y_true, y_pred, labels, sample_weight, *place)
    y_true, y_pred, sample_weight = _check_labels(y_true, y_pred, sample_weight)
    if labels is None:
        labels = unique_labels(y_true, y_pred)
    else:
        labels = check_unique_classes(labels, "labels")
    true_idx = label_indices(y_true, labels, name="y_true", classes_name="labels")
    return _per_class_error_from_codes(
        true_idx, y_true == y_pred, labels.size, sample_weight
    )


# --- The Array API route: labels of torch, CuPy, ... stay on their device -----------


def _check_labels_xp(y_true, y_pred, sample_weight, xp, device):
    """:func:`_check_labels` for arrays of ``xp``, with scikit-learn's helpers."""
    y_true = column_or_1d(y_true, input_name="y_true")
    y_pred = column_or_1d(y_pred, input_name="y_pred")
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty; an error rate needs at least one example.")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if xp.isdtype(y.dtype, "real floating") and bool(xp.any(xp.isnan(y))):
            raise ValueError(
                f"{name} holds missing labels (NaN); every example needs a class "
                "label. Drop or impute the unlabelled rows first."
            )
        kind = type_of_target(y, input_name=name)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{name} must hold class labels (binary or multiclass), but its "
                f"values look {kind!r}."
            )
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            to_namespace(sample_weight, xp, device),
            y_true,
            dtype=_max_precision_float_dtype(xp, device),
            ensure_non_negative=True,
        )
    return y_true, y_pred, sample_weight


def _present_labels(y_true, y_pred, xp):
    """The sorted union of the labels, computed where they are: an array of ``xp``."""
    both = xp.concat([y_true, xp.astype(y_pred, y_true.dtype)])
    return xp.sort(xp.unique_values(both))


def _codes_xp(y, labels, xp, device, name):
    """:func:`label_indices` on the device: the position of each ``y`` in ``labels``."""
    order = xp.argsort(labels)
    ordered = xp.take(labels, order)
    y = xp.astype(y, labels.dtype)
    position = xp.searchsorted(ordered, y)
    last = xp.asarray(labels.shape[0] - 1, dtype=position.dtype, device=device)
    position = xp.minimum(position, last)
    codes = xp.take(order, position)
    unknown = xp.take(labels, codes) != y
    if bool(xp.any(unknown)):
        shown = np.unique(move_to(y[unknown], xp=np, device="cpu"))  # for the message
        raise ValueError(
            f"{name} contains labels {preview(shown)} that are not among the labels "
            f"{preview(move_to(labels, xp=np, device='cpu'))}; pass labels from "
            "those classes, or include the missing labels in `labels`."
        )
    return codes


def _labels_xp(labels, y_true, y_pred, xp, device):
    """``labels`` (or the labels present) as an array of ``xp`` on ``device``."""
    if labels is None:
        return _present_labels(y_true, y_pred, xp)
    if is_array_api_obj(labels) and not isinstance(labels, np.ndarray):
        labels = move_to(labels, xp=np, device="cpu")  # n_classes values, to check
    labels = check_unique_classes(labels, "labels")
    if not np.issubdtype(labels.dtype, np.number):
        raise ValueError(
            f"labels {preview(labels)} are not numbers, but y_true and y_pred are "
            "arrays of an array API library, which hold numbers only; pass the "
            "numeric labels, or NumPy arrays of labels."
        )
    return to_namespace(labels, xp, device, dtype=y_true.dtype)


def _per_class_error_xp(y_true, y_pred, labels, sample_weight, xp, device):
    """Per-class errors from ``xp`` arrays, with every count on their device."""
    y_true, y_pred, sample_weight = _check_labels_xp(
        y_true, y_pred, sample_weight, xp, device
    )
    labels = _labels_xp(labels, y_true, y_pred, xp, device)
    codes = _codes_xp(y_true, labels, xp, device, "y_true")
    n_classes = labels.shape[0]
    floating = _max_precision_float_dtype(xp, device)
    hit = xp.astype(y_true == xp.astype(y_pred, y_true.dtype), floating)
    weight = hit if sample_weight is None else hit * sample_weight
    support = _bincount(codes, weights=sample_weight, minlength=n_classes, xp=xp)
    hits = _bincount(codes, weights=weight, minlength=n_classes, xp=xp)
    support = xp.astype(support, floating)
    seen = support > 0
    safe = xp.where(seen, support, xp.ones_like(support))
    nan = xp.asarray(xp.nan, dtype=floating, device=device)
    return xp.where(seen, 1.0 - hits / safe, nan)


def _per_class_error_from_codes(true_idx, correct, n_classes, sample_weight=None):
    """Per-class error from integer class codes and a per-example hit mask."""
    support = np.bincount(true_idx, weights=sample_weight, minlength=n_classes)
    hit_weights = None if sample_weight is None else sample_weight[correct]
    hits = np.bincount(true_idx[correct], weights=hit_weights, minlength=n_classes)
    return _error_rates(hits, support)


def _error_rates(hits, support):
    """``1 - hits / support`` per class (last axis); NaN for a class without support.

    ``hits`` may hold several rows (the CV tuner counts one row per tau).
    """
    errors = np.full(np.shape(hits), np.nan)
    seen = support > 0
    errors[..., seen] = 1.0 - hits[..., seen] / support[seen]
    return errors


@validate_params(
    {**_LABELS, "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def balanced_error(y_true, y_pred, *, sample_weight=None):
    r"""Balanced error: the mean over classes of the per-class error rate.

    .. math::

        \mathrm{BER}(h) = \frac{1}{C} \sum_{i=1}^{C} \mathbb{P}(y \neq h(x) \mid y = i)

    It treats every class as equally important however rare it is, and equals
    ``1 - balanced_accuracy_score(y_true, y_pred)``. Lower is better. The mean
    runs over the classes present in ``y_true`` (see Notes).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    error : float
        Balanced error, between 0 and 1.

    See Also
    --------
    per_class_error : The error of each class.
    many_medium_few_error : The error of frequent, medium and rare classes.

    Notes
    -----
    :math:`C` counts the classes that have examples in ``y_true``: a class with
    none has no error rate to measure, so it is left out of the mean. Predicting
    it is still a mistake, counted in the error of the example's true class. Like
    :func:`sklearn.metrics.balanced_accuracy_score`, then, but without its
    warning "y_pred contains classes not in y_true": in long-tailed data this is
    the normal case of a cross-validation fold or a test set that holds no
    example of a rare class (a class with fewer examples than folds misses some
    folds even when they are stratified), and the value is well defined. A search
    scored by :data:`balanced_error_scorer` would otherwise warn for every fold
    of every candidate. To see which classes a value averages over, call
    :func:`per_class_error` with ``labels``: it gives NaN for the classes left out.

    Examples
    --------
    >>> from sklearn_lt.metrics import balanced_error
    >>> y_true = [0, 0, 0, 0, 1]
    >>> balanced_error(y_true, [0, 0, 0, 0, 0])  # always predict the head class
    0.5
    >>> # Class 2 has no example: the mean is over classes 0 and 1, and predicting
    >>> # class 2 for a 0 is an error of class 0, (1/4 + 0) / 2.
    >>> balanced_error(y_true, [0, 0, 0, 2, 1])
    0.125
    """
    return float(np.mean(_errors_of_true_classes(y_true, y_pred, sample_weight)))


def _errors_of_true_classes(y_true, y_pred, sample_weight):
    """Per-class errors of the classes in ``y_true`` (see balanced_error's Notes).

    A class only predicted has no example, so its error is NaN: it is dropped,
    deliberately and silently, while its predictions stay errors of the true class.
    """
    errors = per_class_error(y_true, y_pred, sample_weight=sample_weight)
    # With an array API input, the per-class errors (n_classes numbers, not the
    # n_samples labels) come to the host for the float that the metric returns.
    errors = move_to(errors, xp=np, device="cpu")
    return errors[~np.isnan(errors)]


balanced_error_scorer = make_scorer(balanced_error, greater_is_better=False)
balanced_error_scorer.__doc__ = """Negated balanced error, for ``scoring=``.

Like scikit-learn's ``neg_log_loss``, it returns the *negated* error so that greater
is better: ``GridSearchCV(..., scoring=balanced_error_scorer)`` picks the parameters
with the lowest balanced error, and its ``best_score_`` is minus that error.

A validation fold without any example of a rare class is scored over the classes it
holds, silently: predictions of the missing class count as errors of the true
classes (see the Notes of :func:`balanced_error`).
"""


def _resolve_labels(labels, y_true, *y_preds):
    """``labels``, checked to cover every label of ``y_true`` and the ``y_preds``.

    Defaults to the sorted union of those labels. A label outside ``labels`` would
    have no training count to put it in a frequency band.
    """
    present = _unique_labels(y_true, *y_preds)
    if labels is None:
        return present
    labels = check_unique_classes(labels, "labels")
    extra = np.setdiff1d(present, labels)
    if extra.size:
        raise ValueError(
            f"y_true or y_pred hold labels {preview(extra)} that are not in "
            f"labels {preview(labels)}; add them to labels."
        )
    return labels


def _unique_labels(y_true, *y_preds):
    """The sorted union of the labels, as a NumPy array (n_classes values)."""
    place = array_namespace(
        y_true=y_true, **{f"y_pred{i}": y for i, y in enumerate(y_preds)}
    )
    if place is None:
        return unique_labels(y_true, *y_preds)
    xp, _ = place
    labels = unique_labels(*(column_or_1d(y) for y in (y_true, *y_preds)))
    return move_to(labels, xp=np, device="cpu")


def _check_class_counts(class_counts, labels):
    """Align training class counts with ``labels`` (array or mapping)."""
    if isinstance(class_counts, Mapping):
        missing = [label for label in labels if label not in class_counts]
        if missing:
            raise ValueError(
                f"class_counts has no entry for classes {preview(missing)}; give the "
                "training count of every class that y_true or y_pred holds."
            )
        counts = [class_counts[label] for label in labels]
    else:
        counts = class_counts
    counts = as_float_array(counts, "class_counts", "numbers, one count per class")
    if counts.ndim != 1 or counts.shape[0] != labels.shape[0]:
        raise ValueError(
            f"class_counts has shape {counts.shape} but there are {labels.shape[0]} "
            f"classes {preview(labels)}; pass one count per class in that order "
            "(or `labels`), or a dict {label: count}."
        )
    return check_class_counts(counts)


@validate_params(
    {"class_counts": ["array-like"], "thresholds": _THRESHOLDS},
    prefer_skip_nested_validation=True,
)
def frequency_bands(class_counts, *, thresholds=(20, 100)):
    """Assign each class to the Many, Medium or Few band by its training count.

    With the default ``thresholds=(20, 100)`` of Menon et al. (2021), following
    Liu et al. (2019): "many" is more than 100 training examples, "medium" 20 to 100
    (both ends included) and "few" fewer than 20.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training examples of each class.

    thresholds : tuple of (low, high), default=(20, 100)
        Classes with fewer than ``low`` examples are "few", with more than ``high``
        are "many", the rest "medium".

    Returns
    -------
    bands : ndarray of str, shape (n_classes,)
        ``"many"``, ``"medium"`` or ``"few"`` for each class.

    Examples
    --------
    >>> from sklearn_lt.metrics import frequency_bands
    >>> frequency_bands([500, 100, 20, 19])
    array(['many', 'medium', 'medium', 'few'], dtype='<U6')
    """
    low, high = thresholds
    counts = check_class_counts(class_counts)
    many, medium, few = _BANDS
    return np.where(counts > high, many, np.where(counts < low, few, medium))


@validate_params(
    {
        **_LABELS,
        "class_counts": ["array-like", Mapping],
        "labels": ["array-like", None],
        "thresholds": _THRESHOLDS,
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def many_medium_few_error(
    y_true,
    y_pred,
    class_counts,
    *,
    labels=None,
    thresholds=(20, 100),
    sample_weight=None,
):
    """Balanced error within the Many, Medium and Few classes.

    Classes are put in bands by their number of *training* examples (see
    :func:`frequency_bands`); each band's error is the mean per-class error of its
    classes that have examples in ``y_true``. This is the break-down of Menon et al.
    (2021): logit adjustment trades a little error on the many-shot "head" classes
    for a large gain on the few-shot "tail".

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True (test) labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    class_counts : array-like of shape (n_labels,) or dict
        Training examples per class: a dict ``{label: count}`` or an array aligned
        with ``labels``.

    labels : array-like of shape (n_labels,), default=None
        The classes ``class_counts`` is aligned with, when it is an array. Defaults
        to the sorted union of the labels of ``y_true`` and ``y_pred``.

    thresholds : tuple of (low, high), default=(20, 100)
        Band limits, as in :func:`frequency_bands`.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    errors : dict
        ``{"many": float, "medium": float, "few": float}``; NaN for a band with no
        class in ``y_true``.

    Examples
    --------
    >>> from sklearn_lt.metrics import many_medium_few_error
    >>> y_true = [0, 0, 1, 1, 2, 2]
    >>> y_pred = [0, 0, 1, 0, 0, 0]
    >>> many_medium_few_error(y_true, y_pred, {0: 500, 1: 50, 2: 5})
    {'many': 0.0, 'medium': 0.5, 'few': 1.0}
    """
    labels = _resolve_labels(labels, y_true, y_pred)
    counts = _check_class_counts(class_counts, labels)
    errors = per_class_error(y_true, y_pred, labels=labels, sample_weight=sample_weight)
    errors = move_to(errors, xp=np, device="cpu")  # n_classes numbers, to band them
    bands = frequency_bands(counts, thresholds=thresholds)
    result = {}
    for band in _BANDS:
        in_band = (bands == band) & ~np.isnan(errors)
        result[band] = float(np.mean(errors[in_band])) if in_band.any() else np.nan
    return result


# --- Metrics for the decision a user really has (Narasimhan et al., 2015) ----------


def _geometric_mean(recalls):
    """In log space; 0 as soon as one recall is 0."""
    if np.any(recalls <= 0):
        return 0.0
    return float(np.exp(np.mean(np.log(recalls))))


def _harmonic_mean(recalls):
    if np.any(recalls <= 0):
        return 0.0
    return float(recalls.size / np.sum(1.0 / recalls))


# Each metric of the per-class recalls as a score of the recall vector, greater is
# better (errors negated, as their scorers are): what the gain optimisers maximise.
_RECALL_SCORES = {
    "balanced_error": lambda recalls: float(np.mean(recalls)) - 1.0,
    "worst_class_error": lambda recalls: float(np.min(recalls)) - 1.0,
    "geometric_mean_recall": _geometric_mean,
    "harmonic_mean_recall": _harmonic_mean,
}


@validate_params(
    {**_LABELS, "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def worst_class_error(y_true, y_pred, *, sample_weight=None):
    r"""The largest per-class error: :math:`\max_i \mathbb{P}(h(x) \neq y \mid y = i)`.

    The error of the class served worst, the objective of Narasimhan & Menon
    (2021), "Training over-parameterized models with non-decomposable
    objectives". Lower is better. As in :func:`balanced_error`, the maximum runs
    over the classes present in ``y_true``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    error : float
        The worst per-class error, between 0 and 1.

    See Also
    --------
    per_class_error : The error of each class.
    balanced_error : Their mean.

    Examples
    --------
    >>> from sklearn_lt.metrics import worst_class_error
    >>> worst_class_error([0, 0, 1, 1, 2], [0, 0, 1, 0, 0])
    1.0
    """
    return float(np.max(_errors_of_true_classes(y_true, y_pred, sample_weight)))


@validate_params(
    {**_LABELS, "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def geometric_mean_recall(y_true, y_pred, *, sample_weight=None):
    r"""Geometric mean of the per-class recalls.

    .. math::

        \mathrm{GM}(h) = \Big(\prod_{i=1}^{C} \mathbb{P}(h(x) = y \mid y = i)
        \Big)^{1/C}

    Computed in log space, so that many classes do not underflow the product; it
    is 0 as soon as one class is never recognised. Greater is better. The product
    runs over the classes present in ``y_true``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    score : float
        Between 0 and 1.

    See Also
    --------
    harmonic_mean_recall : The harmonic mean, still harsher on a poor class.

    Examples
    --------
    >>> from sklearn_lt.metrics import geometric_mean_recall
    >>> round(geometric_mean_recall([0, 0, 1, 1], [0, 0, 1, 0]), 4)  # sqrt(1 * 0.5)
    0.7071
    """
    return _geometric_mean(1.0 - _errors_of_true_classes(y_true, y_pred, sample_weight))


@validate_params(
    {**_LABELS, "sample_weight": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def harmonic_mean_recall(y_true, y_pred, *, sample_weight=None):
    r"""Harmonic mean of the per-class recalls.

    .. math::

        \mathrm{HM}(h) = C \Big/ \sum_{i=1}^{C} \frac{1}{\mathbb{P}(h(x) = y
        \mid y = i)}

    0 as soon as one class is never recognised. Greater is better. The sum runs
    over the classes present in ``y_true``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    Returns
    -------
    score : float
        Between 0 and 1.

    See Also
    --------
    geometric_mean_recall : The geometric mean of the same recalls.

    Examples
    --------
    >>> from sklearn_lt.metrics import harmonic_mean_recall
    >>> round(harmonic_mean_recall([0, 0, 1, 1], [0, 0, 1, 0]), 4)  # 2 / (1 + 2)
    0.6667
    """
    return _harmonic_mean(1.0 - _errors_of_true_classes(y_true, y_pred, sample_weight))


def _check_cost_matrix(
    cost_matrix, labels, *, classes_name="labels", warn=True, stacklevel=4
):
    """A (C, C) float64 cost matrix in the order of ``labels``, checked.

    ``cost_matrix`` is an array, or a mapping ``{(true, predicted): cost}`` whose
    missing pairs cost 1 off the diagonal and 0 on it (the 0-1 loss).
    ``classes_name`` names ``labels`` in the messages (``"classes_"`` for an
    estimator). With ``warn``, all-zero rows are warned of, ``stacklevel`` frames
    above this function.
    """
    labels = np.asarray(labels)
    n_classes = labels.size
    pairs = isinstance(cost_matrix, Mapping)
    if pairs:
        cost = _cost_from_pairs(cost_matrix, labels, classes_name)
    else:
        cost = as_float_array(
            cost_matrix,
            "cost_matrix",
            "a (n_classes, n_classes) array of costs, or a dict "
            "{(true, predicted): cost}",
        )
    if cost.shape != (n_classes, n_classes):
        raise ValueError(
            f"cost_matrix has shape {cost.shape}, but there are {n_classes} classes "
            f"({classes_name}={preview(labels)}); pass a ({n_classes}, {n_classes}) "
            f"array, cost_matrix[i, k] the cost of predicting {classes_name}[k] for "
            f"class {classes_name}[i], or a dict {{(true, predicted): cost}}."
        )
    bad = ~np.isfinite(cost) | (cost < 0)
    if np.any(bad):
        cells = np.argwhere(bad)[:5].tolist()
        if pairs:
            names = labels.tolist()  # Python scalars, whose repr reads as typed
            where = "(true, predicted) labels " + ", ".join(
                f"({names[i]!r}, {names[k]!r})" for i, k in cells
            )
        else:
            where = "(row, column) " + ", ".join(f"({i}, {k})" for i, k in cells)
        raise ValueError(
            f"cost_matrix must hold finite costs >= 0, got {preview(cost[bad])} at "
            f"{where}{', ...' if bad.sum() > 5 else ''}; "
            "shift or clip the costs (adding a constant to a row does not change "
            "which prediction is best)."
        )
    if warn:
        _warn_free_rows(cost, labels, stacklevel + 1)
    return cost


def _warn_free_rows(cost, labels, stacklevel):
    """Warn of the all-zero rows of a cost matrix: errors that cost nothing."""
    free = np.flatnonzero(~cost.any(axis=1))
    if free.size:
        warnings.warn(
            f"cost_matrix has all-zero rows for classes {preview(labels[free])}: "
            "their errors cost nothing. If that is not meant, give those rows their "
            "costs.",
            UserWarning,
            stacklevel=stacklevel,
        )


def _cost_from_pairs(pairs, labels, classes_name):
    """The cost matrix of a mapping ``{(true, predicted): cost}``; 0-1 elsewhere."""
    names = labels.tolist()  # Python scalars: hashable like the keys, repr as typed
    malformed = [key for key in pairs if not (isinstance(key, tuple) and len(key) == 2)]
    if malformed:
        shown = ", ".join(repr(key) for key in malformed[:5])
        raise ValueError(
            f"cost_matrix as a dict needs (true, predicted) label pairs as keys, got "
            f"{shown}; e.g. {{({names[-1]!r}, {names[0]!r}): 10.0}} for the cost "
            f"of predicting {names[0]!r} for an example of {names[-1]!r}."
        )
    index = {label: i for i, label in enumerate(names)}
    unknown = [label for key in pairs for label in key if label not in index]
    if unknown:
        raise ValueError(
            f"cost_matrix names labels {preview(list(dict.fromkeys(unknown)))} that "
            f"are not among the {classes_name} {preview(labels)}; use those class "
            "labels in its (true, predicted) pairs."
        )
    values = as_float_array(
        list(pairs.values()),
        "cost_matrix",
        "a dict {(true, predicted): cost} of numbers",
    )
    if values.shape != (len(pairs),):
        raise ValueError(
            "cost_matrix as a dict must map each (true, predicted) pair to one "
            f"number, got values of shape {values.shape[1:]}."
        )
    cost = 1.0 - np.eye(labels.size)
    rows = [index[true] for true, _ in pairs]
    columns = [index[predicted] for _, predicted in pairs]
    cost[rows, columns] = values
    return cost


@validate_params(
    {
        **_LABELS,
        "cost_matrix": ["array-like", Mapping],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
        "target_priors": [None, "array-like", Mapping],
    },
    prefer_skip_nested_validation=True,
)
def expected_cost(
    y_true, y_pred, cost_matrix, *, labels=None, sample_weight=None, target_priors=None
):
    r"""Mean cost of the predictions under a cost matrix (Elkan, 2001).

    ``cost_matrix[i, k]`` is the cost of predicting class ``k`` for an example of
    class ``i``. The expected cost is the (weighted) mean of
    ``cost_matrix[y_true, y_pred]``. Lower is better. The 0-1 cost matrix gives the
    error rate, and ``cost[i, k] = [i != k] / (C \pi_i)``, with :math:`\pi_i` the
    frequency of class ``i`` in ``y_true``, the balanced error.

    With ``target_priors`` :math:`\pi^t`, the cost is that of data whose class
    mix is :math:`\pi^t` (label shift), from the mean cost of each class:

    .. math::

        \sum_i \pi^t_i \, \frac{\sum_{n : y_n = i} w_n \, c(i, \hat y_n)}
        {\sum_{n : y_n = i} w_n},

    i.e. each example is weighted by :math:`\pi^t_{y_n}` over the (weighted)
    frequency of its class. The 0-1 cost matrix with uniform target priors gives
    the balanced error. For a scorer, pass the matrix to
    :func:`sklearn.metrics.make_scorer`:
    ``make_scorer(expected_cost, greater_is_better=False, cost_matrix=cost)``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    cost_matrix : array-like of shape (n_classes, n_classes) or dict
        Finite costs >= 0, rows the true class and columns the predicted one, in
        the order of ``labels``; or a dict ``{(true, predicted): cost}`` of label
        pairs, where the pairs not given cost 1 off the diagonal and 0 on it (the
        0-1 loss, as a ``class_weight`` dict leaves the other classes at 1). A
        row of zeros is allowed (that class's errors cost nothing) but warned of.

    labels : array-like of shape (n_classes,), default=None
        The classes of the rows and columns of ``cost_matrix`` (and of
        ``target_priors``). Defaults to the sorted union of the labels in
        ``y_true`` and ``y_pred``.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example.

    target_priors : array-like of shape (n_classes,), dict or None, default=None
        Class priors :math:`\pi^t` of the data the cost is meant for, aligned with
        ``labels`` or as a dict ``{label: prior}`` with an entry per label; >= 0,
        normalised to sum to 1. A class with a positive target prior needs
        examples in ``y_true``. ``None`` keeps the class mix of ``y_true``.

    Returns
    -------
    cost : float
        The expected cost per example.

    See Also
    --------
    sklearn_lt.CostSensitiveClassifier : The predictions of least expected cost.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt.metrics import expected_cost
    >>> cost = np.array([[0, 1], [10, 0]])  # missing class 1 costs 10
    >>> expected_cost([0, 0, 1, 1], [0, 1, 1, 0], cost)  # (0 + 1 + 0 + 10) / 4
    2.75
    >>> expected_cost([0, 0, 1, 1], [0, 1, 1, 0], {(1, 0): 10})  # the same
    2.75
    >>> # Class 1 is 10% of the target data: 0.9 * 1/2 + 0.1 * 10/2
    >>> expected_cost([0, 0, 1, 1], [0, 1, 1, 0], cost, target_priors=[0.9, 0.1])
    0.95
    """
    place = array_namespace(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    if place is not None:
        return _expected_cost_xp(
            y_true, y_pred, cost_matrix, labels, sample_weight, target_priors, *place
        )
    y_true, y_pred, sample_weight = _check_labels(y_true, y_pred, sample_weight)
    labels = _resolve_labels(labels, y_true, y_pred)
    cost = _check_cost_matrix(cost_matrix, labels)
    true_idx = label_indices(y_true, labels, name="y_true", classes_name="labels")
    pred_idx = label_indices(y_pred, labels, name="y_pred", classes_name="labels")
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError("sample_weight sums to 0; give some example a weight > 0.")
    if target_priors is not None:
        sample_weight = _target_weights(target_priors, labels, true_idx, sample_weight)
    return float(np.average(cost[true_idx, pred_idx], weights=sample_weight))


def _expected_cost_xp(
    y_true, y_pred, cost_matrix, labels, sample_weight, target_priors, xp, device
):
    """:func:`expected_cost` of ``xp`` arrays: the per-example costs stay there."""
    y_true, y_pred, sample_weight = _check_labels_xp(
        y_true, y_pred, sample_weight, xp, device
    )
    labels = _resolve_labels(labels, y_true, y_pred)  # NumPy: n_classes labels
    cost = _check_cost_matrix(cost_matrix, labels)
    on_device = _labels_xp(labels, y_true, y_pred, xp, device)
    true_idx = _codes_xp(y_true, on_device, xp, device, "y_true")
    pred_idx = _codes_xp(y_pred, on_device, xp, device, "y_pred")
    if sample_weight is not None and not bool(xp.sum(sample_weight) > 0):
        raise ValueError("sample_weight sums to 0; give some example a weight > 0.")
    floating = _max_precision_float_dtype(xp, device)
    if sample_weight is None:
        sample_weight = xp.ones(true_idx.shape[0], dtype=floating, device=device)
    if target_priors is not None:
        sample_weight = _target_weights(
            target_priors, labels, true_idx, sample_weight, xp, device
        )
    flat = xp.reshape(to_namespace(cost, xp, device, dtype=floating), (-1,))
    costs = xp.take(flat, true_idx * labels.size + pred_idx)
    return float(xp.sum(costs * sample_weight) / xp.sum(sample_weight))


def _target_weights(target_priors, labels, true_idx, sample_weight, xp=np, device=None):
    """Example weights ``w_n pi^t_y / W_y`` (``W_y`` the weight of class ``y``).

    With ``xp`` arrays, the class weights ``W_y`` (n_classes numbers) are
    computed on the device and brought to the host to be checked.
    """
    target = _aligned_priors(target_priors, labels, "target_priors", positive=False)
    if xp is not np:
        support = _bincount(
            true_idx, weights=sample_weight, minlength=labels.size, xp=xp
        )
        per_class = _class_weights(
            target, move_to(support, xp=np, device="cpu"), labels
        )
        return sample_weight * xp.take(to_namespace(per_class, xp, device), true_idx)
    if sample_weight is None:
        sample_weight = np.ones(true_idx.size)
    support = np.bincount(true_idx, weights=sample_weight, minlength=labels.size)
    return sample_weight * _class_weights(target, support, labels)[true_idx]


def _class_weights(target, support, labels):
    """``pi^t_y / W_y`` per class, refusing a target class without examples."""
    absent = (target > 0) & ~(support > 0)
    if np.any(absent):
        raise ValueError(
            f"target_priors gives classes {preview(labels[absent])} a positive prior "
            "but y_true has no example of them (or only examples of weight 0), so "
            "their cost is unknown. Give them a target prior of 0, or evaluate on "
            "data that hold them."
        )
    per_class = np.zeros(labels.size)
    seen = support > 0
    per_class[seen] = target[seen] / support[seen]
    return per_class


worst_class_error_scorer = make_scorer(worst_class_error, greater_is_better=False)
worst_class_error_scorer.__doc__ = """Negated worst-class error, for ``scoring=``."""
geometric_mean_recall_scorer = make_scorer(geometric_mean_recall)
geometric_mean_recall_scorer.__doc__ = (
    """Geometric mean of recalls, for ``scoring=``."""
)
harmonic_mean_recall_scorer = make_scorer(harmonic_mean_recall)
harmonic_mean_recall_scorer.__doc__ = """Harmonic mean of recalls, for ``scoring=``."""
