"""Long-tailed data: subsampling to a long tail, and the paper's synthetic problem.

:func:`make_long_tailed` turns a (roughly balanced) data set into a long-tailed one with
the profiles used for CIFAR-10-LT and CIFAR-100-LT (Cao et al., 2019; Menon et al.,
2021). :func:`make_gaussian_mixture` draws the synthetic problem of Menon et al. (2021),
two isotropic Gaussians with a rare class, and :func:`gaussian_mixture_bayes` gives its
Bayes-optimal rule for the balanced error and that error, in closed form.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import log_ndtr
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.validation import check_consistent_length

from ._compat import StrOptions, _safe_indexing, validate_params
from ._validation import Number, label_indices, preview

__all__ = [
    "BalancedBayesRule",
    "gaussian_mixture_bayes",
    "long_tailed_counts",
    "make_gaussian_mixture",
    "make_long_tailed",
]

_PROFILES = ("exponential", "step")

# The parameters of the long-tailed profile, shared by long_tailed_counts and
# make_long_tailed (which passes them on).
_PROFILE_PARAMS = {
    "imbalance_ratio": [Number(Real, 1, None, closed="left")],
    "profile": [StrOptions(set(_PROFILES))],
    "minority_fraction": [Number(Real, 0, 1, closed="neither")],
}
# The scale of the two Gaussians and the centre of class 1.
_GAUSSIAN_PARAMS = {
    "mean": ["array-like"],
    "scale": [Number(Real, 0, None, closed="neither")],
}


@validate_params(
    {
        "n_max": [Number(Integral, 1, None, closed="left")],
        "n_classes": [Number(Integral, 2, None, closed="left")],
        **_PROFILE_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
def long_tailed_counts(
    n_max,
    n_classes,
    imbalance_ratio=100,
    *,
    profile="exponential",
    minority_fraction=0.5,
):
    r"""Number of examples each class keeps under a long-tailed profile.

    With :math:`C` classes, :math:`n_{\max}` examples for the most frequent class and
    imbalance ratio :math:`\rho = n_{\max} / n_{\min}`:

    - ``"exponential"`` (CIFAR-10-LT and CIFAR-100-LT, Cao et al., 2019): class
      :math:`k = 0, \dots, C - 1` keeps
      :math:`\lfloor n_{\max} \rho^{-k / (C - 1)} \rfloor` examples;
    - ``"step"`` (Buda et al., 2018; Cao et al., 2019): the last
      :math:`\lfloor \mu C \rfloor` classes (:math:`\mu` the ``minority_fraction``)
      keep :math:`\lfloor n_{\max} / \rho \rfloor` examples, the others
      :math:`n_{\max}`.

    Every class keeps at least one example.

    Parameters
    ----------
    n_max : int
        Examples of the most frequent class (class 0), at least 1.

    n_classes : int
        Number of classes, at least 2.

    imbalance_ratio : float, default=100
        :math:`n_{\max} / n_{\min}`, at least 1 (1 keeps every class at ``n_max``).

    profile : {"exponential", "step"}, default="exponential"
        How the counts decay from class 0 to class ``n_classes - 1``.

    minority_fraction : float, default=0.5
        For ``profile="step"``: the fraction :math:`\mu` of classes, in (0, 1), that
        are minority classes. Ignored by the exponential profile.

    Returns
    -------
    counts : ndarray of shape (n_classes,), dtype int
        Non-increasing counts, ``counts[0] == n_max``.

    Examples
    --------
    >>> from sklearn_lt.datasets import long_tailed_counts
    >>> long_tailed_counts(5000, 10, imbalance_ratio=100).tolist()
    [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    >>> long_tailed_counts(500, 4, imbalance_ratio=10, profile="step").tolist()
    [500, 500, 50, 50]
    """
    n_max, n_classes, ratio = int(n_max), int(n_classes), float(imbalance_ratio)
    if profile == "exponential":
        exponents = np.arange(n_classes) / (n_classes - 1)
        # The 1e-9 keeps exact powers (e.g. 5000 * 100**-1 = 50) from rounding down.
        counts = np.floor(n_max * ratio**-exponents + 1e-9)
    else:
        n_minority = int(np.floor(minority_fraction * n_classes + 1e-9))
        if n_minority == 0:
            raise ValueError(
                f"minority_fraction={minority_fraction!r} of {n_classes} classes makes "
                "no minority class; pass a fraction of at least 1 / n_classes."
            )
        counts = np.full(n_classes, float(n_max))
        counts[n_classes - n_minority :] = np.floor(n_max / ratio + 1e-9)
    return np.maximum(counts, 1).astype(np.int64)


@validate_params(
    {
        # Indexed along its first axis, whatever its type.
        "X": "no_validation",
        "y": ["array-like"],
        **_PROFILE_PARAMS,
        "n_max": [Number(Integral, 1, None, closed="left"), None],
        "class_order": ["array-like", None],
        "random_state": ["random_state"],
        "return_indices": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_long_tailed(
    X,
    y,
    imbalance_ratio=100,
    *,
    profile="exponential",
    n_max=None,
    minority_fraction=0.5,
    class_order=None,
    random_state=None,
    return_indices=False,
):
    """Subsample a data set to a long-tailed class profile.

    The classes, in ``class_order`` (by default the sorted labels, as for
    CIFAR-10-LT), keep the counts of :func:`long_tailed_counts`: the first class keeps
    ``n_max`` examples and the last ``n_max / imbalance_ratio`` (exponential profile).
    Which examples a class keeps is drawn at random, without replacement.

    Parameters
    ----------
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, ...)
        The data, indexed along its first axis.

    y : array-like of shape (n_samples,)
        Class labels (numbers or strings), at least two classes.

    imbalance_ratio : float, default=100
        Count of the most frequent class over that of the rarest, at least 1.

    profile : {"exponential", "step"}, default="exponential"
        See :func:`long_tailed_counts`.

    n_max : int, default=None
        Examples kept of the first class. Defaults to the size of the smallest class
        of ``y``, so that every class has enough examples to give.

    minority_fraction : float, default=0.5
        Fraction of minority classes for ``profile="step"``.

    class_order : array-like of shape (n_classes,), default=None
        Every label of ``y`` once, from the head class to the rarest. Defaults to the
        sorted labels.

    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the kept examples.

    return_indices : bool, default=False
        Also return the positions of the kept rows, for subsampling other arrays
        aligned with ``X`` (sample weights, groups, image files) the same way.

        .. versionchanged:: 0.1
           ``(X, y)`` by default, like scikit-learn's data makers; the positions,
           which earlier development versions always returned third, now need
           ``return_indices=True``.

    Returns
    -------
    X_long_tailed : same type as X
        The kept rows of ``X``, in their original order.

    y_long_tailed : ndarray of shape (n_kept,)
        Their labels.

    indices : ndarray of shape (n_kept,), dtype intp
        Positions of the kept rows in ``X`` and ``y``, increasing. Only with
        ``return_indices=True``.

    Raises
    ------
    ValueError
        If a class has fewer examples than its profile asks for (the message names
        it and how many it has), ``y`` has a single class, ``class_order`` is not a
        permutation of the labels, or a parameter is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt.datasets import make_long_tailed
    >>> X = np.arange(300).reshape(-1, 1)
    >>> y = np.repeat([0, 1, 2], 100)
    >>> X_lt, y_lt = make_long_tailed(X, y, imbalance_ratio=10, random_state=0)
    >>> np.bincount(y_lt).tolist()
    [100, 31, 10]
    >>> X_lt, y_lt, kept = make_long_tailed(
    ...     X, y, imbalance_ratio=10, random_state=0, return_indices=True
    ... )
    >>> bool((X_lt[:, 0] == kept).all())
    True
    """
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    classes, y_codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"y must hold at least 2 classes to make a long tail, got "
            f"{classes.size} ({preview(classes)})."
        )
    available = np.bincount(y_codes, minlength=classes.size)
    if class_order is None:
        order = np.arange(classes.size)
    else:
        ordered = column_or_1d(class_order)
        if ordered.size != classes.size or np.unique(ordered).size != ordered.size:
            raise ValueError(
                f"class_order must list each of the {classes.size} labels of y once, "
                f"got {ordered.size} entries ({preview(ordered)}); the labels of y "
                f"are {preview(classes)}."
            )
        order = label_indices(
            ordered,
            classes,
            name="class_order",
            classes_name="labels of y",
            fix="list each label of y once, in the order of the long tail",
        )
    if n_max is None:
        n_max = int(available.min())
    counts = long_tailed_counts(
        n_max,
        classes.size,
        imbalance_ratio,
        profile=profile,
        minority_fraction=minority_fraction,
    )
    short = available[order] < counts
    if np.any(short):
        k = int(np.flatnonzero(short)[0])
        label = (
            classes[order[k]].item() if classes.dtype != object else classes[order[k]]
        )
        raise ValueError(
            f"class {label!r} (position {k} in the long tail) has "
            f"{available[order[k]]} examples but the profile asks for {counts[k]}; "
            "lower n_max (it defaults to the smallest class size), or reorder the "
            "classes with class_order."
        )
    rng = check_random_state(random_state)
    kept = [
        rng.choice(np.flatnonzero(y_codes == code), count, replace=False)
        for code, count in zip(order, counts, strict=True)
    ]
    indices = np.sort(np.concatenate(kept)).astype(np.intp)
    X_kept, y_kept = _safe_indexing(X, indices), y[indices]
    return (X_kept, y_kept, indices) if return_indices else (X_kept, y_kept)


@dataclass(frozen=True)
class BalancedBayesRule:
    r"""The Bayes-optimal classifier for the balanced error of two Gaussians.

    Predicts class 1 when ``coef @ x + intercept > 0``. Returned by
    :func:`gaussian_mixture_bayes`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Normal of the separating hyperplane.

    intercept : float
        Its offset.

    balanced_error : float
        The balanced error of the rule, the smallest any classifier can reach.
    """

    coef: np.ndarray
    intercept: float
    balanced_error: float

    def decision_function(self, X):
        """Signed score ``X @ coef + intercept``; positive means class 1."""
        return np.asarray(X, dtype=float) @ self.coef + self.intercept

    def predict(self, X):
        """Class 0 or 1 of each row of ``X``."""
        return (self.decision_function(X) > 0).astype(np.int64)


def _check_mean(mean):
    mean = np.asarray(mean, dtype=float)
    if mean.ndim != 1 or mean.size == 0 or not np.all(np.isfinite(mean)):
        raise ValueError(
            f"mean must be a finite 1-d vector (one entry per feature), got {mean!r}."
        )
    if not np.any(mean):
        raise ValueError("mean must not be 0: the two classes would coincide.")
    return mean


@validate_params(
    {
        "n_samples": [Number(Integral, 1, None, closed="left")],
        "minority_prior": [Number(Real, 0, 1, closed="neither")],
        **_GAUSSIAN_PARAMS,
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_mixture(
    n_samples, *, minority_prior=0.05, mean=(1.0, 1.0), scale=1.0, random_state=None
):
    r"""Draw the synthetic long-tailed problem of Menon et al. (2021).

    Labels are drawn with :math:`P(y = 1) =` ``minority_prior``, and
    :math:`x \mid y \sim \mathcal{N}(\pm\mu, \sigma^2 I)`: class 1 (the rare class)
    centred at ``+mean``, class 0 at ``-mean``, with ``scale`` :math:`\sigma`. The
    paper's setting is the default: two dimensions, :math:`\mu = (1, 1)`, a 5% rare
    class. :func:`gaussian_mixture_bayes` gives its Bayes-optimal balanced error.

    Parameters
    ----------
    n_samples : int
        Number of examples, at least 1.

    minority_prior : float, default=0.05
        :math:`P(y = 1)`, in (0, 1).

    mean : array-like of shape (n_features,), default=(1.0, 1.0)
        Centre of class 1; class 0 is centred at ``-mean``.

    scale : float, default=1.0
        Standard deviation of each coordinate, > 0.

    random_state : int, RandomState instance or None, default=None
        Seeds the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)

    y : ndarray of shape (n_samples,), dtype int
        0 (frequent) or 1 (rare).

    Examples
    --------
    >>> from sklearn_lt.datasets import make_gaussian_mixture
    >>> X, y = make_gaussian_mixture(10_000, random_state=0)
    >>> X.shape, round(float(y.mean()), 2)
    ((10000, 2), 0.05)
    """
    mean = _check_mean(mean)
    rng = check_random_state(random_state)
    y = (rng.uniform(size=n_samples) < minority_prior).astype(np.int64)
    X = scale * rng.standard_normal((n_samples, mean.size))
    X += np.where(y[:, None] == 1, mean, -mean)
    return X, y


@validate_params(_GAUSSIAN_PARAMS, prefer_skip_nested_validation=True)
def gaussian_mixture_bayes(*, mean=(1.0, 1.0), scale=1.0):
    r"""Bayes-optimal balanced error and rule of the two-Gaussian problem.

    The balanced error weighs both classes equally, so the optimal rule is the one
    for equal priors whatever the training prior: by symmetry it is the hyperplane
    through the origin orthogonal to :math:`\mu`, predicting class 1 when
    :math:`\mu^\top x > 0`. Each class is then misclassified with probability
    :math:`\Phi(-\lVert\mu\rVert / \sigma)`, which is the balanced error (computed
    from :math:`\log \Phi` so that it stays accurate far in the tail).

    Parameters
    ----------
    mean : array-like of shape (n_features,), default=(1.0, 1.0)
        Centre of class 1, as in :func:`make_gaussian_mixture`.

    scale : float, default=1.0
        Standard deviation of each coordinate.

    Returns
    -------
    rule : BalancedBayesRule
        ``rule.coef``, ``rule.intercept`` (0), ``rule.balanced_error`` and
        ``rule.predict(X)``.

    Examples
    --------
    >>> from sklearn_lt.datasets import gaussian_mixture_bayes
    >>> rule = gaussian_mixture_bayes(mean=(1.0, 1.0))
    >>> round(rule.balanced_error, 4)
    0.0786
    >>> rule.predict([[0.5, 0.0], [-0.2, -1.0]]).tolist()
    [1, 0]
    """
    mean = _check_mean(mean)
    distance = float(np.linalg.norm(mean)) / scale
    return BalancedBayesRule(
        coef=mean / np.linalg.norm(mean),
        intercept=0.0,
        balanced_error=float(np.exp(log_ndtr(-distance))),
    )
