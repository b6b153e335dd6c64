"""Estimating, validating and aligning class priors.

Every estimator in sklearn-lt keeps its priors as a float64 array aligned with its
``classes_``: ``priors_[k]`` is the prior of ``classes_[k]``. The functions here are the
only way priors enter the package, so every entry point gets the same checks. This
module is plain numpy: it imports no estimator. Priors of unlabelled data under label
shift (``estimate_target_priors``) live in :mod:`sklearn_lt.label_shift`.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.utils import check_consistent_length

from ._compat import _check_sample_weight, validate_params
from ._validation import (
    Number,
    check_class_counts,
    check_labels,
    check_priors,
    check_unique_classes,
    label_indices,
)

__all__ = [
    "check_priors",
    "class_balanced_weights",
    "estimate_priors",
]

# Public names that moved to sklearn_lt.label_shift, served here with a FutureWarning
# until 0.3 (see __getattr__ at the end of the module).
_MOVED_TO_LABEL_SHIFT = ("estimate_target_priors",)


@validate_params(
    {
        "y": ["array-like"],
        "classes": ["array-like", None],
        "sample_weight": ["array-like", None],
        "smoothing": [
            Number(
                Real,
                0,
                None,
                closed="left",
                fix="use 0 for plain frequencies or a pseudo-count such as 1.0",
            )
        ],
    },
    prefer_skip_nested_validation=True,
)
def estimate_priors(y, *, classes=None, sample_weight=None, smoothing=0.0):
    r"""Estimate class priors from training labels.

    The prior of class :math:`k` is its (weighted) share of the training labels,
    optionally with additive smoothing:

    .. math::

        \pi_k = \frac{n_k + \alpha}{\sum_j n_j + \alpha C},

    where :math:`n_k` is the number (or total ``sample_weight``) of training examples
    of class :math:`k`, :math:`C` the number of classes and :math:`\alpha` the
    ``smoothing``. With ``smoothing > 0`` no class gets a prior of 0, which the logit
    adjustment (it takes :math:`\log \pi_k`) cannot use.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Training labels (numbers or strings).

    classes : array-like of shape (n_classes,), default=None
        The classes to return priors for, in this order. Defaults to the sorted unique
        labels of ``y``, which is scikit-learn's ``classes_``. Pass it to give a prior
        (0, or the smoothing share) to a class that ``y`` lacks.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example. ``None`` weighs every example 1.

    smoothing : float, default=0.0
        Pseudo-count :math:`\alpha \geq 0` added to every class.

    Returns
    -------
    priors : ndarray of shape (n_classes,)
        Class priors in float64, summing to 1, aligned with ``classes``.

    Raises
    ------
    ValueError
        If ``y`` is empty, holds a label that is not in ``classes``, if
        ``smoothing`` is negative or not finite, or if the total weight is 0.

    Examples
    --------
    >>> from sklearn_lt.priors import estimate_priors
    >>> estimate_priors(["cat", "dog", "dog", "dog"])
    array([0.25, 0.75])
    >>> estimate_priors([0, 0, 1], classes=[0, 1, 2], smoothing=1.0)
    array([0.5       , 0.33333333, 0.16666667])
    """
    smoothing = float(smoothing)
    y = check_labels(y, warn=True)
    if y.size == 0:
        raise ValueError(
            "y is empty (0 labels); class priors need at least one training label."
        )
    if classes is None:
        classes = np.unique(y)
    else:
        classes = check_unique_classes(classes, "classes")
    if sample_weight is not None:
        check_consistent_length(y, sample_weight)
    sample_weight = _check_sample_weight(
        sample_weight, y, dtype=np.float64, ensure_non_negative=True
    )
    indices = label_indices(y, classes)
    counts = np.bincount(indices, weights=sample_weight, minlength=classes.size)
    counts = counts + smoothing
    total = counts.sum()
    if not total > 0:
        raise ValueError(
            "the total sample_weight is 0, so no class has any weight; priors are "
            "undefined. Give some examples a positive weight."
        )
    return counts / total


@validate_params(
    {
        "class_counts": ["array-like"],
        "beta": [
            Number(
                Real,
                0,
                1,
                closed="left",
                fix="use 0 for no re-weighting, or a value close to 1 such as 0.999 "
                "or 0.9999 (Cui et al.)",
            )
        ],
    },
    prefer_skip_nested_validation=True,
)
def class_balanced_weights(class_counts, beta=0.9999):
    r"""Class-balanced weights from the effective number of samples (Cui et al., 2019).

    The effective number of samples of a class with :math:`n_y` examples is
    :math:`E_{n_y} = (1 - \beta^{n_y}) / (1 - \beta)`; each class is weighted by its
    inverse, and the weights are scaled to sum to the number of classes :math:`C`:

    .. math::

        w_y = C \, \frac{(1 - \beta) / (1 - \beta^{n_y})}
                        {\sum_k (1 - \beta) / (1 - \beta^{n_k})}.

    ``beta=0`` weighs every class 1 (no re-weighting); as ``beta`` tends to 1 the
    weights tend to inverse class frequencies. Cui et al. (2019), *Class-Balanced
    Loss Based on Effective Number of Samples*, use ``beta=0.9999`` on long-tailed
    CIFAR and ImageNet; the logit adjustment paper (Menon et al., 2021) lists this
    re-weighting as the "Class-balanced" baseline.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training examples of each class (counts or total sample weights),
        all > 0.

    beta : float, default=0.9999
        Hyper-parameter :math:`\beta \in [0, 1)`.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        Positive float64 weights summing to ``n_classes``, aligned with
        ``class_counts``. For scikit-learn's ``class_weight``, pass
        ``dict(zip(classes_, weights))``; for the torch losses of
        :mod:`sklearn_lt.losses`, pass the array as ``class_weight`` (or to
        ``set_class_weight`` for deferred re-weighting).

    Raises
    ------
    ValueError
        If ``beta`` is not in ``[0, 1)``, or if a count is not finite or not > 0.

    Examples
    --------
    >>> from sklearn_lt.priors import class_balanced_weights
    >>> class_balanced_weights([1000, 100, 10], beta=0.99)
    array([0.23014716, 0.36301098, 2.40684186])
    >>> class_balanced_weights([1000, 100, 10], beta=0.0)
    array([1., 1., 1.])
    """
    beta = float(beta)
    counts = check_class_counts(class_counts, positive=True)
    if beta == 0:
        return np.ones_like(counts)
    # 1 - beta**n loses every digit when beta**n is close to 1 (beta near 1, small n);
    # -expm1(n log beta) keeps them.
    weights = (1.0 - beta) / -np.expm1(counts * np.log(beta))
    return weights * (counts.size / weights.sum())


def __getattr__(name):
    """The old paths of the names that moved to :mod:`sklearn_lt.label_shift`."""
    if name not in _MOVED_TO_LABEL_SHIFT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"sklearn_lt.priors.{name} moved to sklearn_lt.label_shift; import it with "
        f"`from sklearn_lt.label_shift import {name}`. The old path will be removed "
        "in 0.3.",
        FutureWarning,
        stacklevel=2,
    )
    # The package's one function-local import of its own modules, as this is the
    # deprecation shim: label_shift imports the estimators, which import this
    # module, so it cannot be imported at the top (tests/test_package.py leaves
    # this one import, which runs only when an old name is used, out of the graph).
    from . import label_shift

    return getattr(label_shift, name)
