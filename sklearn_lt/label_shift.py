r"""Target priors from unlabelled data: label-shift estimation.

Under label shift the class-conditional distributions :math:`p(x \mid y)` of the
deployment data are those of the training data, but the class priors have moved from
the training priors :math:`\pi` to unknown target priors :math:`q`.
:func:`estimate_target_priors` estimates :math:`q` from unlabelled deployment data,
with the EM algorithm of Saerens, Latinne & Decaestecker (2002) or black-box shift
estimation (Lipton, Wang & Smola, 2018). Passed as ``target_priors`` to
:class:`~sklearn_lt.LogitAdjustedClassifier`, they turn its logit adjustment
(Menon et al., 2021) into the Bayes rule for the deployment distribution.

This module sits above the estimators: it reads the training posteriors of a fitted
classifier (for sklearn-lt's adjusters, those of their unadjusted ``estimator_``).
"""

import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.validation import check_is_fitted

from ._compat import _num_samples, validate_params
from ._posthoc import _BaseLogitAdjuster
from ._validation import (
    _TINY,
    Choice,
    Number,
    check_scores,
    label_indices,
    preview,
)
from .priors import check_priors

__all__ = ["estimate_target_priors"]

_TARGET_PRIOR_METHODS = ("em", "bbse")


def _project_onto_simplex(v):
    r"""Euclidean projection of a vector onto the probability simplex.

    Returns the :math:`x` with :math:`x \geq 0`, :math:`\sum_k x_k = 1` nearest to
    ``v``: :math:`x = \max(v - \theta, 0)`, with the threshold :math:`\theta` found by
    sorting (Held, Wolfe & Crowder, 1974; Duchi et al., 2008, "Efficient projections
    onto the l1-ball for learning in high dimensions", ICML).
    """
    v = np.asarray(v, dtype=np.float64)
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1.0
    ranks = np.arange(1, v.size + 1)
    # The support is the largest set of top entries that stay positive after the shift.
    support = np.flatnonzero(u - cumulative / ranks > 0)[-1] + 1
    theta = cumulative[support - 1] / support
    return np.maximum(v - theta, 0.0)


def _check_fitted_proba_estimator(estimator):
    """The fitted classifier whose ``predict_proba`` gives training posteriors.

    For sklearn-lt's adjusters (``LogitAdjustedClassifier`` and the CV tuner), whose
    own probabilities are adjusted, that is their fitted ``estimator_``.
    """
    name = type(estimator).__name__
    check_is_fitted(
        estimator,
        msg=(
            f"This {name} instance is not fitted yet; estimate_target_priors needs a "
            "classifier fitted on the training data. Call fit first, or pass a "
            "fitted estimator."
        ),
    )
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError(
            f"{name} has no classes_, so the columns of its predict_proba cannot be "
            "matched with class labels; pass a fitted scikit-learn classifier."
        )
    scorer = estimator
    if isinstance(estimator, _BaseLogitAdjuster):
        scorer = getattr(estimator, "estimator_", None)
        if scorer is None:
            raise ValueError(
                f"{name} has no fitted estimator_ (fitted with refit=False?), so it "
                "gives no training-distribution posteriors; refit it with refit=True."
            )
    if not hasattr(scorer, "predict_proba"):
        raise ValueError(
            f"{type(scorer).__name__} has no predict_proba, so it gives no posterior "
            "probabilities to estimate priors from. Wrap it in "
            "sklearn.calibration.CalibratedClassifierCV, which gives calibrated "
            "probabilities from a decision_function."
        )
    return scorer, column_or_1d(classes)


def _training_log_posteriors(scorer, X, n_classes, name):
    """``log predict_proba(X)`` as float64, checked, zeros clipped to the tiniest."""
    proba = check_scores(
        scorer.predict_proba(X),
        estimator=scorer,
        method="predict_proba",
        n_rows=_num_samples(X),
        n_classes=n_classes,
        what=name,
    )
    return np.log(np.maximum(proba, _TINY))


def _em_target_priors(log_proba, log_train, tol, max_iter):
    """Saerens et al. (2002) EM, in log space; returns ``(log_priors, n_iter)``."""
    log_n = np.log(log_proba.shape[0])
    log_q = log_train.copy()
    q = np.exp(log_q)
    change = np.inf
    for n_iter in range(1, max_iter + 1):
        # E-step: posteriors under the current priors, p(y|x) q_y / pi_y, normalised.
        log_post = log_proba + (log_q - log_train)
        log_post -= logsumexp(log_post, axis=1, keepdims=True)
        # M-step: the new priors are the mean posteriors.
        log_q = logsumexp(log_post, axis=0) - log_n
        log_q -= logsumexp(log_q)
        q_new = np.exp(log_q)
        change = float(np.abs(q_new - q).sum())
        q = q_new
        if change < tol:
            return log_q, n_iter
    warnings.warn(
        f"EM for the target priors did not converge in max_iter={max_iter} "
        f"iterations: the last change of the priors was {change:.3g} (L1), above "
        f"tol={tol:g}. Increase max_iter or tol; slow convergence also comes with "
        "badly calibrated probabilities (see CalibratedClassifierCV).",
        ConvergenceWarning,
        # Past estimate_target_priors and its parameter validation, to the caller.
        stacklevel=4,
    )
    return log_q, max_iter


def _bbse_target_priors(pred_val, y_val_idx, pred_target, n_classes, classes):
    """Lipton et al. (2018) black-box shift estimate of the target priors."""
    n_val = pred_val.shape[0]
    # confusion[i, j] = P_source(h(x) = i, y = j), on the held-out labelled data.
    confusion = np.bincount(
        pred_val * n_classes + y_val_idx, minlength=n_classes * n_classes
    ).reshape(n_classes, n_classes) / float(n_val)
    # mu[i] = P_target(h(x) = i), on the unlabelled target data.
    mu = np.bincount(pred_target, minlength=n_classes) / float(pred_target.shape[0])
    weights, _, rank, _ = np.linalg.lstsq(confusion, mu, rcond=None)
    if rank < n_classes:
        never = np.flatnonzero(confusion.sum(axis=1) == 0)
        detail = (
            f" (it never predicts classes {preview(classes[never])} on X_val)"
            if never.size
            else ""
        )
        warnings.warn(
            f"The confusion matrix of the classifier on X_val has rank {rank} < "
            f"{n_classes} classes{detail}, so black-box shift estimation cannot "
            "identify every target prior; the least-squares solution of least norm "
            'is used. Use a more accurate classifier, a larger X_val, or method="em".',
            UserWarning,
            stacklevel=4,  # past estimate_target_priors and its validation
        )
    source_priors = confusion.sum(axis=0)
    # weights[j] estimates q_j / p_j: the target priors are weights * source priors,
    # projected onto the simplex (which also sets negative estimates to 0).
    q = _project_onto_simplex(weights * source_priors)
    return q / q.sum()


@validate_params(
    {
        # Whatever the fitted estimator takes; it is checked in the body.
        "estimator": "no_validation",
        "X": "no_validation",
        "train_priors": ["array-like", Mapping, None],
        "method": [
            Choice(
                set(_TARGET_PRIOR_METHODS),
                fix='"em" needs calibrated probabilities, "bbse" a labelled '
                "held-out set (X_val, y_val)",
            )
        ],
        "X_val": "no_validation",
        "y_val": ["array-like", None],
        "tol": [Number(Real, 0, None, closed="neither", fix="use for example 1e-6")],
        "max_iter": [
            Number(Integral, 1, None, closed="left", fix="use for example 1000")
        ],
        "return_posteriors": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def estimate_target_priors(
    estimator,
    X,
    *,
    train_priors=None,
    method="em",
    X_val=None,
    y_val=None,
    tol=1e-6,
    max_iter=1000,
    return_posteriors=False,
):
    r"""Estimate the class priors of unlabelled data under label shift.

    Label shift means that the class-conditional distributions :math:`p(x \mid y)`
    are those of the training data but the class priors have changed, from the
    training priors :math:`\pi` to unknown target priors :math:`q`. Given a
    classifier fitted on the training data, whose ``predict_proba`` estimates the
    *training-distribution* posterior :math:`p(y \mid x)`, this estimates :math:`q`
    from unlabelled target data ``X``. The target posterior then follows by Bayes'
    rule, :math:`p_q(y \mid x) \propto p(y \mid x) \, q_y / \pi_y`, and its argmax,
    :math:`\operatorname{argmax}_y \log p(y \mid x) - \log \pi_y + \log q_y`, is
    the Bayes-optimal prediction for the target distribution.

    ``method="em"`` (Saerens, Latinne & Decaestecker, 2002) is the EM algorithm for
    the maximum-likelihood :math:`q`. Starting from :math:`q^{(0)} = \pi`, it
    alternates

    .. math::

        p^{(s)}(y \mid x_i) = \frac{p(y \mid x_i) \, q^{(s)}_y / \pi_y}
            {\sum_k p(k \mid x_i) \, q^{(s)}_k / \pi_k}, \qquad
        q^{(s+1)}_y = \frac{1}{n} \sum_{i=1}^n p^{(s)}(y \mid x_i),

    until :math:`\lVert q^{(s+1)} - q^{(s)} \rVert_1 <` ``tol``. The E-step is done
    in log space (``log p + log q - log pi``, normalised with ``logsumexp``), with
    probabilities clipped to the smallest positive float64 before their log.

    ``method="bbse"`` is black-box shift estimation (Lipton, Wang & Smola, 2018). It
    uses the classifier's predictions :math:`h(x) = \operatorname{argmax}_y
    p(y \mid x)` only, and a labelled held-out set ``(X_val, y_val)`` drawn from the
    training distribution. With the confusion matrix :math:`C_{ij} = P(h(x) = i,
    y = j)` on the held-out data and :math:`\mu_i = P(h(x) = i)` on ``X``, label
    shift gives :math:`C w = \mu` with :math:`w_j = q_j / p_j`, where :math:`p_j`
    are the class frequencies of ``y_val``. :math:`w` is the least-squares solution
    (``numpy.linalg.lstsq``), and :math:`q` the Euclidean projection of
    :math:`w \odot p` onto the probability simplex (negative estimates become 0).

    Parameters
    ----------
    estimator : fitted classifier
        A classifier fitted on the training data, with ``predict_proba`` and
        ``classes_``. For :class:`~sklearn_lt.LogitAdjustedClassifier` (and
        :class:`~sklearn_lt.LogitAdjustedClassifierCV`) the posteriors are those
        of its fitted ``estimator_``, the *unadjusted* training-distribution
        posterior: its own ``predict_proba`` is adjusted towards balanced priors.
        Wrap a model that has only ``decision_function`` in
        :class:`sklearn.calibration.CalibratedClassifierCV`.

    X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
        Unlabelled data from the target (deployment) distribution, as the estimator
        takes it.

    train_priors : array-like of shape (n_classes,), dict or None, default=None
        The class priors :math:`\pi` the estimator was trained under, aligned with
        ``estimator.classes_`` (any form
        :func:`~sklearn_lt.priors.check_priors` accepts).
        ``None`` uses ``estimator.train_priors_`` for sklearn-lt's adjusters
        (the class frequencies their ``estimator_`` was fitted under, whatever
        their ``priors`` parameter says), else ``estimator.priors_`` when the
        estimator has it (as scikit-learn's ``LinearDiscriminantAnalysis``
        does), which must then be the training priors. Otherwise ``"em"`` needs
        ``train_priors`` (for example ``estimate_priors(y_train)``); ``"bbse"``
        does not, and uses the class frequencies of ``y_val`` for the returned
        posteriors.

    method : {"em", "bbse"}, default="em"
        Estimator of the target priors, see above.

    X_val : array-like or sparse matrix of shape (n_val, n_features), default=None
        Labelled held-out data from the training distribution, not used to fit
        the estimator. Needed by ``"bbse"``; ignored by ``"em"``.

    y_val : array-like of shape (n_val,), default=None
        Labels of ``X_val``, from ``estimator.classes_``, with every class at least
        once. Needed by ``"bbse"``; ignored by ``"em"``.

    tol : float, default=1e-6
        EM stops when the L1 change of the priors in one iteration is below
        ``tol`` (> 0). Ignored by ``"bbse"``.

    max_iter : int, default=1000
        Largest number of EM iterations (>= 1); reaching it without convergence
        emits a :class:`~sklearn.exceptions.ConvergenceWarning`. Ignored by
        ``"bbse"``.

    return_posteriors : bool, default=False
        Whether to return also the target posteriors of ``X``,
        :math:`p(y \mid x) \, \hat q_y / \pi_y` normalised, under the returned
        priors (zero priors clipped to the smallest positive float64 first).

    Returns
    -------
    priors : ndarray of shape (n_classes,)
        Estimated target priors in float64, summing to 1, aligned with
        ``estimator.classes_``. They can be 0 (BBSE, or EM far out of the data);
        ``target_priors`` must be > 0 (the adjustment takes their log), so floor
        them before adjusting, e.g. ``(priors + 1e-4) / (1 + 1e-4 * n_classes)``.

    posteriors : ndarray of shape (n_samples, n_classes)
        Target posteriors of ``X``, columns aligned with ``estimator.classes_``.
        Returned only with ``return_posteriors=True``.

    Raises
    ------
    ValueError
        Before any prediction: if ``method``, ``tol`` or ``max_iter`` are invalid;
        if the estimator is not fitted or has no ``predict_proba``; if the training
        priors are missing or do not match the classes; if ``X`` is empty; for
        ``"bbse"``, if ``X_val`` or ``y_val`` is missing, empty, of different
        lengths, or ``y_val`` holds unknown labels or misses a class.

    Warns
    -----
    ConvergenceWarning
        If EM reaches ``max_iter`` iterations without converging.

    UserWarning
        If the BBSE confusion matrix is singular (its estimate is then not unique).

    See Also
    --------
    sklearn_lt.priors.estimate_priors : Priors from labels.
    sklearn_lt.logit_adjust : Adjusts scores for a prior (pass the training priors
        over the target priors to predict for the target distribution).

    Notes
    -----
    Both estimators assume label shift: :math:`p(x \mid y)` is the same in
    training and target data, only :math:`p(y)` differs.

    EM needs calibrated probabilities: the fixed point equates the mean target
    posterior with the prior, so a model that is over- or under-confident gives a
    biased estimate. Calibrate first, e.g. with
    :class:`sklearn.calibration.CalibratedClassifierCV` (``method="sigmoid"``, or
    temperature scaling where available) on data from the training distribution;
    Alexandari, Kundaje & Shrikumar (2020) find that bias-corrected calibration
    followed by EM is hard to beat, and better than BBSE. Without calibration EM
    can still converge, to a wrong answer.

    BBSE does not need calibration, but needs the confusion matrix :math:`C` to be
    invertible (the classifier must predict every class, and tell them apart), a
    held-out set large enough to estimate :math:`C`, and ``X_val`` drawn from the
    training distribution. Its estimate is consistent, but noisier than calibrated
    EM when classes are rare in ``y_val``.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the outputs of a
       classifier to new a priori probabilities: a simple procedure", Neural
       Computation 14(1), 2002.
    .. [2] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and correcting for
       label shift with black box predictors", ICML 2018.
    .. [3] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum likelihood with
       bias-corrected calibration is hard-to-beat at label shift adaptation",
       ICML 2020.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt.datasets import make_gaussian_mixture
    >>> from sklearn_lt.label_shift import estimate_target_priors
    >>> from sklearn_lt.priors import estimate_priors
    >>> X, y = make_gaussian_mixture(5000, minority_prior=0.05, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> X_new, y_new = make_gaussian_mixture(2000, minority_prior=0.3, random_state=1)
    >>> q = estimate_target_priors(model, X_new, train_priors=estimate_priors(y))
    >>> q.round(2)  # the true prior of class 1 is 0.3; 0.29 in this draw
    array([0.7, 0.3])
    >>> X_val, y_val = make_gaussian_mixture(5000, random_state=2)
    >>> estimate_target_priors(
    ...     model, X_new, method="bbse", X_val=X_val, y_val=y_val
    ... ).round(2)
    array([0.71, 0.29])
    """
    tol, max_iter = float(tol), int(max_iter)
    scorer, classes = _check_fitted_proba_estimator(estimator)
    n_classes = classes.size
    if train_priors is None:
        # sklearn-lt's adjusters: the frequencies their estimator_ was fitted
        # under, which their (adjustment) priors_ need not be.
        for attr in ("train_priors_", "priors_"):
            if hasattr(estimator, attr):
                train_priors = getattr(estimator, attr)
                break
    if train_priors is not None:
        train_priors = check_priors(train_priors, classes, name="train_priors")
    elif method == "em":
        raise ValueError(
            f"{type(estimator).__name__} has no priors_, so the class priors it was "
            "trained under are unknown; pass them as train_priors (one per class of "
            f"classes_={preview(classes)}), e.g. "
            "train_priors=estimate_priors(y_train)."
        )
    if _num_samples(X) == 0:
        raise ValueError(
            "X is empty (0 samples); estimating target priors needs unlabelled data "
            "from the target distribution."
        )
    if method == "bbse":
        if X_val is None or y_val is None:
            raise ValueError(
                'method="bbse" needs a labelled held-out set from the training '
                "distribution; pass both X_val and y_val (got "
                f"X_val={'None' if X_val is None else 'data'}, "
                f"y_val={'None' if y_val is None else 'data'})."
            )
        y_val = column_or_1d(y_val, warn=True)
        check_consistent_length(X_val, y_val)
        if y_val.size == 0:
            raise ValueError(
                'X_val and y_val are empty (0 samples); method="bbse" needs labelled '
                "held-out data from the training distribution."
            )
        unknown = ~np.isin(y_val, classes)
        if np.any(unknown):
            # dict.fromkeys, not np.unique: unknown labels need not be sortable.
            unknown = list(dict.fromkeys(y_val[unknown].tolist()))
            raise ValueError(
                f"y_val contains labels {preview(unknown)} that are not among the "
                f"estimator's classes {preview(classes)}; pass held-out labels "
                "from those classes."
            )
        y_val_idx = label_indices(y_val, classes)
        missing = np.bincount(y_val_idx, minlength=n_classes) == 0
        if np.any(missing):
            raise ValueError(
                f"y_val has no example of classes {preview(classes[missing])}, so "
                "the classifier's behaviour on them (a column of the confusion "
                'matrix) is unknown; method="bbse" needs every class in y_val. Use '
                'a larger (stratified) held-out set, or method="em".'
            )

    log_proba = _training_log_posteriors(scorer, X, n_classes, "X")
    if method == "em":
        log_train = np.log(train_priors)
        log_q, _ = _em_target_priors(log_proba, log_train, tol, max_iter)
        priors = np.exp(log_q)
    else:
        log_proba_val = _training_log_posteriors(scorer, X_val, n_classes, "X_val")
        priors = _bbse_target_priors(
            np.argmax(log_proba_val, axis=1),
            y_val_idx,
            np.argmax(log_proba, axis=1),
            n_classes,
            classes,
        )
        if train_priors is None:
            train_priors = np.bincount(y_val_idx, minlength=n_classes) / y_val.size
        log_train = np.log(train_priors)
        log_q = np.log(np.maximum(priors, _TINY))
    priors = priors / priors.sum()
    if not return_posteriors:
        return priors
    log_post = log_proba + (log_q - log_train)
    log_post -= logsumexp(log_post, axis=1, keepdims=True)
    return priors, np.exp(log_post)
