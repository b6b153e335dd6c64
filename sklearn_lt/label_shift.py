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
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import check_cv
from sklearn.utils import (
    assert_all_finite,
    check_consistent_length,
    check_random_state,
    column_or_1d,
    get_tags,
    indexable,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ._calibration import LogitCalibrator
from ._compat import (
    HasMethods,
    _check_method_params,
    _fit_context,
    _num_features,
    _num_samples,
    _safe_indexing,
    validate_parameter_constraints,
    validate_params,
)
from ._doc_link import DocLinkMixin
from ._namespace import check_numpy_estimator
from ._posthoc import _BaseLogitAdjuster
from ._validation import (
    _TINY,
    Choice,
    Number,
    check_labels,
    check_scores,
    label_indices,
    preview,
)
from .priors import check_priors

__all__ = ["LabelShiftClassifier", "LogitCalibrator", "estimate_target_priors"]

_TARGET_PRIOR_METHODS = ("em", "bbse")
_CALIBRATIONS = ("temperature", "bcts", "vector")
_CALIBRATION_FIX = (
    '"bcts" is Alexandari et al.\'s choice before EM; None uses the posteriors as '
    "they are"
)
_LEVEL = Number(Real, 0, 1, closed="neither", fix="e.g. 0.9 for a 90% interval")


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


def _em_weighted(log_proba, log_train, weights, tol, max_iter):
    r"""Saerens et al. (2002) EM for several weightings of the rows at once.

    ``weights`` (``(B, n)``, non-negative, or ``None`` for one run with unit
    weights) holds, e.g., the bootstrap counts of each resample. Run ``b``'s
    E-step posterior is :math:`p(y \mid x_i) w_{by} / \sum_k p(k \mid x_i)
    w_{bk}` with :math:`w_b = q_b / \pi`, and its M-step the weighted mean of
    the posteriors. Both factors are held relative to their largest entry
    (``exp(log_proba - row max)`` and ``exp(log w - max log w)``, each in
    ``[0, 1]`` with a 1), so that an iteration of all runs is two matrix
    products, with the priors updated in log space; a (row, run) whose
    normaliser falls below ``1e-280`` (its likely classes have all but vanished
    from that run's priors) is done with ``logsumexp`` instead. Each run stops
    when the L1 change of its priors is below ``tol``.

    Returns ``(log_priors, n_iter, change)``: ``(B, C)`` log-priors, the
    iterations of each run (0 where it did not converge in ``max_iter``) and
    the last L1 change of each run.
    """
    n_rows, n_classes = log_proba.shape
    if weights is None:
        weights = np.ones((1, n_rows))
    n_runs = weights.shape[0]
    scaled = np.exp(log_proba - log_proba.max(axis=1, keepdims=True))
    log_q = np.tile(log_train, (n_runs, 1))
    n_iter = np.zeros(n_runs, dtype=int)
    change = np.full(n_runs, np.inf)
    active = np.arange(n_runs)
    for iteration in range(1, max_iter + 1):
        log_w = log_q[active] - log_train
        log_w -= log_w.max(axis=1, keepdims=True)
        w = np.exp(log_w)
        # E-step: each row's normaliser sum_k p_ik w_bk (up to a factor), (n, A).
        norm = scaled @ w.T
        tiny = norm < 1e-280
        run_weights = weights[active].T
        # M-step: the new priors are the weighted mean posteriors,
        # w_by sum_i c_bi p_iy / norm_ib.
        ratio = np.divide(run_weights, norm, out=np.zeros_like(norm), where=~tiny)
        log_mass = np.log(np.maximum(ratio.T @ scaled, _TINY)) + log_w
        if np.any(tiny & (run_weights > 0)):
            rows, runs = np.nonzero(tiny & (run_weights > 0))
            log_post = log_proba[rows] + log_w[runs]
            log_post -= logsumexp(log_post, axis=1, keepdims=True)
            log_post += np.log(run_weights[rows, runs])[:, None]
            cells = (
                np.repeat(runs, n_classes),
                np.tile(np.arange(n_classes), runs.size),
            )
            np.logaddexp.at(log_mass, cells, log_post.ravel())
        # Normalised in log space (numpy's, not scipy's logsumexp, whose
        # per-call cost dominates at this size).
        top = log_mass.max(axis=1, keepdims=True)
        log_mass -= top + np.log(np.sum(np.exp(log_mass - top), axis=1, keepdims=True))
        change[active] = np.abs(np.exp(log_mass) - np.exp(log_q[active])).sum(axis=1)
        log_q[active] = log_mass
        done = change[active] < tol
        n_iter[active[done]] = iteration
        active = active[~done]
        if active.size == 0:
            break
    return log_q, n_iter, change


def _em_target_priors(log_proba, log_train, tol, max_iter, stacklevel):
    """One EM run (:func:`_em_weighted`); returns ``(log_priors, n_iter)``.

    A warning for non-convergence is issued ``stacklevel`` frames up (``None``:
    none, and ``n_iter`` is ``None`` when it did not converge).
    """
    log_q, n_iter, change = _em_weighted(log_proba, log_train, None, tol, max_iter)
    if n_iter[0] > 0:
        return log_q[0], int(n_iter[0])
    if stacklevel is None:
        return log_q[0], None
    warnings.warn(
        f"EM for the target priors did not converge in max_iter={max_iter} "
        f"iterations: the last change of the priors was {change[0]:.3g} (L1), "
        f"above tol={tol:g}. Increase max_iter or tol; slow convergence also "
        "comes with badly calibrated probabilities (see CalibratedClassifierCV).",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
    return log_q[0], max_iter


def _bbse_target_priors(
    pred_val, y_val_idx, pred_target, n_classes, classes, stacklevel
):
    """Lipton et al. (2018) black-box shift estimate of the target priors.

    A singular confusion matrix is warned of ``stacklevel`` frames up (``None``:
    not at all).
    """
    n_val = pred_val.shape[0]
    # confusion[i, j] = P_source(h(x) = i, y = j), on the held-out labelled data.
    confusion = np.bincount(
        pred_val * n_classes + y_val_idx, minlength=n_classes * n_classes
    ).reshape(n_classes, n_classes) / float(n_val)
    # mu[i] = P_target(h(x) = i), on the unlabelled target data.
    mu = np.bincount(pred_target, minlength=n_classes) / float(pred_target.shape[0])
    weights, _, rank, _ = np.linalg.lstsq(confusion, mu, rcond=None)
    if rank < n_classes and stacklevel is not None:
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
            stacklevel=stacklevel,
        )
    source_priors = confusion.sum(axis=0)
    # weights[j] estimates q_j / p_j: the target priors are weights * source priors,
    # projected onto the simplex (which also sets negative estimates to 0).
    q = _project_onto_simplex(weights * source_priors)
    return q / q.sum()


def _check_n_features(scorer, X, name, owner=None):
    """Refuse ``X`` whose column count is not the one ``scorer`` was fitted on.

    ``owner`` names the estimator the user called, when it is not ``scorer``.
    """
    expected = getattr(scorer, "n_features_in_", None)
    if expected is None:
        return
    try:
        got = _num_features(X)
    except TypeError:
        return  # not a 2-d array: the estimator's own checks say what it takes
    if got != expected:
        who = type(owner if owner is not None else scorer).__name__
        raise ValueError(
            f"{name} has {got} features, but {who} is expecting {expected} "
            "features as input (those the model was fitted on); pass rows with "
            "the training data's columns, in the same order (the same "
            "preprocessing as at fit)."
        )


def _check_validation_labels(y_val, classes, n_rows, why):
    """``y_val`` as codes into ``classes``, with every class at least once."""
    y_val = column_or_1d(y_val, warn=True)
    if y_val.size != n_rows:
        raise ValueError(
            f"X_val has {n_rows} rows but y_val has {y_val.size} labels; pass one "
            "label per row of X_val."
        )
    if y_val.size == 0:
        raise ValueError(
            f"X_val and y_val are empty (0 samples); {why} needs labelled held-out "
            "data from the training distribution."
        )
    unknown = ~np.isin(y_val, classes)
    if np.any(unknown):
        # dict.fromkeys, not np.unique: unknown labels need not be sortable.
        unknown = list(dict.fromkeys(y_val[unknown].tolist()))
        raise ValueError(
            f"y_val contains labels {preview(unknown)} that are not among the "
            f"estimator's classes {preview(classes)}; pass held-out labels from "
            "those classes."
        )
    codes = label_indices(y_val, classes)
    missing = np.bincount(codes, minlength=classes.size) == 0
    if np.any(missing):
        raise ValueError(
            f"y_val has no example of classes {preview(classes[missing])}, so "
            f"{why} cannot learn how the classifier behaves on them; it needs every "
            "class in y_val. Use a larger (stratified) held-out set"
            + (', or method="em" without calibration.' if "bbse" in why else ".")
        )
    return codes


@dataclass(frozen=True, eq=False)
class _Source:
    """What the labelled source rows give: the calibration and the source priors.

    ``log_source`` is the log-prior the (calibrated) posteriors are relative to:
    with a calibrator, the mean calibrated posterior of the validation rows
    (Alexandari et al., 2020); otherwise the training priors, or for BBSE
    without them, the class frequencies of ``y_val``. ``pred_val`` and
    ``codes_val`` are BBSE's predicted and true validation codes. ``calibration``,
    ``method`` and ``log_train`` are what it was fitted with, for the bootstrap's
    refits.
    """

    calibrator: object
    log_source: np.ndarray
    pred_val: object
    codes_val: object
    calibration: object
    method: str
    log_train: object

    @classmethod
    def fit(cls, calibration, method, log_val, codes_val, log_train, start=None):
        """From the validation rows; ``start``, a fitted ``_Source``, warm-starts
        the calibrator (and skips its input checks) on a bootstrap resample."""
        calibrator = None
        if calibration is not None:
            calibrator = LogitCalibrator(calibration)
            if start is None:
                calibrator.fit(log_val, codes_val)
            else:
                calibrator._fit_scores(log_val, codes_val, start=start.calibrator)
            log_val = calibrator._transform_scores(log_val)
            log_source = logsumexp(log_val, axis=0) - np.log(log_val.shape[0])
            log_source -= logsumexp(log_source)
        elif log_train is not None:
            log_source = log_train
        else:
            counts = np.bincount(codes_val, minlength=log_val.shape[1])
            log_source = np.log(counts / codes_val.size)
        pred_val = np.argmax(log_val, axis=1) if method == "bbse" else None
        return cls(
            calibrator, log_source, pred_val, codes_val, calibration, method, log_train
        )

    def calibrated(self, log_proba):
        """The (calibrated) training-distribution log-posteriors, of checked,
        finite scores."""
        if self.calibrator is None:
            return log_proba
        return self.calibrator._transform_scores(log_proba)

    def target_priors(self, log_proba, tol, max_iter, classes, stacklevel):
        """``(priors, log_priors, n_iter)`` of the target rows' calibrated scores.

        ``n_iter`` is ``None`` where EM did not converge and ``stacklevel`` is
        ``None`` (no warning); 0 for BBSE.
        """
        if self.method == "em":
            log_q, n_iter = _em_target_priors(
                log_proba, self.log_source, tol, max_iter, stacklevel
            )
            priors = np.exp(log_q)
        else:
            priors = _bbse_target_priors(
                self.pred_val,
                self.codes_val,
                np.argmax(log_proba, axis=1),
                log_proba.shape[1],
                classes,
                stacklevel,
            )
            log_q, n_iter = np.log(np.maximum(priors, _TINY)), 0
        return priors / priors.sum(), log_q, n_iter

    def target_posteriors(self, log_proba, log_q):
        """Log-posteriors under the target priors: Bayes' rule, normalised."""
        log_post = log_proba + (log_q - self.log_source)
        return log_post - logsumexp(log_post, axis=1, keepdims=True)


def _stratified_resample(codes, rng):
    """Bootstrap indices drawn within each class: every class keeps its count."""
    out = np.empty(codes.size, dtype=np.intp)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    start = 0
    for stop in [*bounds, codes.size]:
        members = order[start:stop]
        out[start:stop] = rng.choice(members, size=members.size)
        start = stop
    return out


def _bootstrap_interval(
    fitted,
    log_proba,
    log_val,
    classes,
    level,
    n_resamples,
    tol,
    max_iter,
    rng,
    stacklevel,
):
    """Percentile bootstrap interval of each class's target prior, ``(2, C)``.

    ``fitted`` is the ``_Source`` of all the validation rows ``log_val``. Each
    resample redraws the target rows and, where they are used (calibration,
    BBSE), the validation rows within each class, then refits what depends on
    them; the classifier itself stays fixed.
    """
    n = log_proba.shape[0]
    uses_val = fitted.calibration is not None or fitted.method == "bbse"
    draws = np.empty((n_resamples, classes.size))
    not_converged = 0
    if not uses_val:
        # A fixed source: every resample's EM at once, on bootstrap counts, in
        # blocks of at most 2**22 (row, resample) cells.
        source = fitted
        block = max(1, 2**22 // n)
        for first in range(0, n_resamples, block):
            size = min(block, n_resamples - first)
            picks = rng.randint(0, n, size=(size, n))
            counts = np.bincount(
                (picks + n * np.arange(size)[:, None]).ravel(), minlength=size * n
            ).reshape(size, n)
            log_q, n_iter, _ = _em_weighted(
                log_proba, source.log_source, counts, tol, max_iter
            )
            draws[first : first + size] = np.exp(log_q)
            not_converged += int(np.sum(n_iter == 0))
    for b in range(n_resamples if uses_val else 0):
        rows = _stratified_resample(fitted.codes_val, rng)
        source = _Source.fit(
            fitted.calibration,
            fitted.method,
            log_val[rows],
            fitted.codes_val[rows],
            fitted.log_train,
            start=fitted,
        )
        target = source.calibrated(log_proba[rng.randint(0, n, size=n)])
        draws[b], _, n_iter = source.target_priors(target, tol, max_iter, classes, None)
        not_converged += n_iter is None
    if not_converged:
        warnings.warn(
            f"EM did not converge in max_iter={max_iter} iterations in "
            f"{not_converged} of {n_resamples} bootstrap resamples; their last "
            "iterates are in the interval. Increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    draws /= draws.sum(axis=1, keepdims=True)
    alpha = (1.0 - level) / 2.0
    return np.quantile(draws, [alpha, 1.0 - alpha], axis=0)


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
        "calibration": [Choice(set(_CALIBRATIONS), fix=_CALIBRATION_FIX), None],
        "confidence_level": [_LEVEL, None],
        "n_resamples": [
            Number(Integral, 1, None, closed="left", fix="use for example 200")
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def estimate_target_priors(
    estimator,
    X,
    *,
    train_priors=None,
    method="em",
    calibration=None,
    X_val=None,
    y_val=None,
    tol=1e-6,
    max_iter=1000,
    return_posteriors=False,
    confidence_level=None,
    n_resamples=200,
    random_state=None,
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

    calibration : {"temperature", "bcts", "vector"} or None, default=None
        Calibrate the estimator's log-posteriors before estimating: a
        :class:`LogitCalibrator` with this method is fitted by log-loss on
        ``(X_val, y_val)`` and applied to the posteriors of ``X`` (and of
        ``X_val``). The source priors that EM divides out are then the mean
        calibrated posterior over ``X_val``, as in Alexandari et al. (2020), so
        ``train_priors`` must be ``None``. BBSE uses the calibrated model's
        predictions. ``None`` uses the posteriors as they are.

    X_val : array-like or sparse matrix of shape (n_val, n_features), default=None
        Labelled held-out data from the training distribution, not used to fit
        the estimator. Needed by ``"bbse"`` and by ``calibration``; ignored
        otherwise.

    y_val : array-like of shape (n_val,), default=None
        Labels of ``X_val``, from ``estimator.classes_``, with every class at least
        once. Needed with ``X_val``.

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

    confidence_level : float in (0, 1) or None, default=None
        With a level, also return a percentile bootstrap interval of each class's
        target prior at that nominal level (see Notes).

    n_resamples : int, default=200
        Bootstrap resamples of the interval (>= 1). Ignored without
        ``confidence_level``.

    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap; pass an int for reproducible intervals.

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

    interval : ndarray of shape (2, n_classes)
        Lower (row 0) and upper (row 1) bounds of each class's interval.
        Returned only with ``confidence_level``, after ``posteriors`` when
        both are asked for.

    Raises
    ------
    ValueError
        Before any prediction: if a parameter is invalid (``confidence_level``
        outside (0, 1), ...); if the estimator is not fitted or has no
        ``predict_proba``; if the training priors are missing, do not match the
        classes, or are given with ``calibration``; if ``X`` is empty or has not
        the estimator's number of features; for ``"bbse"`` or ``calibration``,
        if ``X_val`` or ``y_val`` is missing, empty, of different lengths, or
        ``y_val`` holds unknown labels or misses a class.

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

    ``calibration`` does that within this function: the calibrator is fitted on
    the labelled held-out rows, and the source priors become the mean calibrated
    posterior there, so that the posteriors and the priors they are relative to
    agree. It matters most for models whose scores are sharper or flatter than
    their accuracy (deep nets, boosted trees, a wrong temperature): on a
    miscalibrated model uncalibrated EM converges to a biased estimate, while
    on a calibrated one calibration only adds the noise of its fit.

    The interval (``confidence_level``) is a percentile bootstrap: the
    estimate is recomputed on ``n_resamples`` resamples of the rows of ``X``
    with replacement (and of ``X_val`` within each class, refitting the
    calibrator or BBSE's confusion matrix, where they are used), and the
    interval of class :math:`y` runs between the :math:`(1 - \text{level}) / 2`
    and :math:`(1 + \text{level}) / 2` quantiles of its estimates. It is an
    interval for each class separately (not a joint region), it holds the
    fitted classifier fixed, and it assumes label shift: it measures the
    sampling noise of the estimate, not the bias of a miscalibrated model or of
    a violated assumption. Its coverage is near the level for a few thousand
    rows and a few percent below it for a few hundred (measured in
    tests/test_label_shift_calibrated.py and ``benchmarks/bench_label_shift.py``);
    near a prior of 0 it is one-sided in effect.

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

    Calibrated EM, with a 90% interval:

    >>> q, interval = estimate_target_priors(
    ...     model, X_new, calibration="bcts", X_val=X_val, y_val=y_val,
    ...     confidence_level=0.9, random_state=0,
    ... )
    >>> q.round(2), interval[:, 1].round(2)
    (array([0.71, 0.29]), array([0.26, 0.31]))
    """
    tol, max_iter = float(tol), int(max_iter)
    scorer, classes = _check_fitted_proba_estimator(estimator)
    n_classes = classes.size
    uses_val = calibration is not None or method == "bbse"
    why = f"calibration={calibration!r}" if calibration is not None else ""
    why = why or 'method="bbse"'
    if calibration is not None and train_priors is not None:
        raise ValueError(
            f"train_priors was given with calibration={calibration!r}, but a "
            "calibrated EM takes its source priors from the calibrated posteriors "
            "of X_val (their mean, as in Alexandari et al. 2020), not from "
            "train_priors. Pass one of the two: calibration=None to use "
            "train_priors, or train_priors=None."
        )
    if train_priors is None and calibration is None:
        # sklearn-lt's adjusters: the frequencies their estimator_ was fitted
        # under, which their (adjustment) priors_ need not be.
        for attr in ("train_priors_", "priors_"):
            if hasattr(estimator, attr):
                train_priors = getattr(estimator, attr)
                break
    if train_priors is not None:
        train_priors = check_priors(train_priors, classes, name="train_priors")
    elif not uses_val:
        raise ValueError(
            f"{type(estimator).__name__} has no priors_, so the class priors it was "
            "trained under are unknown; pass them as train_priors (one per class of "
            f"classes_={preview(classes)}), e.g. "
            "train_priors=estimate_priors(y_train), or calibrate on a labelled "
            'held-out set (calibration="bcts", X_val=..., y_val=...).'
        )
    if _num_samples(X) == 0:
        raise ValueError(
            "X is empty (0 samples); estimating target priors needs unlabelled data "
            "from the target distribution."
        )
    _check_n_features(scorer, X, "X")
    codes_val = None
    if uses_val:
        if X_val is None or y_val is None:
            raise ValueError(
                f"{why} needs a labelled held-out set from the training "
                "distribution, not used to fit the estimator; pass both X_val and "
                f"y_val (got X_val={'None' if X_val is None else 'data'}, "
                f"y_val={'None' if y_val is None else 'data'})."
            )
        _check_n_features(scorer, X_val, "X_val")
        codes_val = _check_validation_labels(y_val, classes, _num_samples(X_val), why)
    rng = check_random_state(random_state) if confidence_level is not None else None

    log_proba = _training_log_posteriors(scorer, X, n_classes, "X")
    log_val = None
    if uses_val:
        log_val = _training_log_posteriors(scorer, X_val, n_classes, "X_val")
    log_train = None if train_priors is None else np.log(train_priors)
    source = _Source.fit(calibration, method, log_val, codes_val, log_train)
    target = source.calibrated(log_proba)
    # Warnings past this function and its parameter validation, to the caller.
    priors, log_q, _ = source.target_priors(
        target, tol, max_iter, classes, stacklevel=5
    )
    out = [priors]
    if return_posteriors:
        out.append(np.exp(source.target_posteriors(target, log_q)))
    if confidence_level is not None:
        out.append(
            _bootstrap_interval(
                source,
                log_proba,
                log_val,
                classes,
                float(confidence_level),
                int(n_resamples),
                tol,
                max_iter,
                rng,
                stacklevel=4,
            )
        )
    return out[0] if len(out) == 1 else tuple(out)


def _check_folds(splits, y, labels):
    """Refuse, before any fit, a split whose training part misses a class."""
    for k, (train, _) in enumerate(splits):
        absent = ~np.isin(labels, y[train])
        if np.any(absent):
            raise ValueError(
                f"The training part of split {k} of cv has no example of classes "
                f"{preview(labels[absent])}, so its model cannot give them an "
                "out-of-fold posterior to calibrate on. Use fewer splits (e.g. "
                "cv=3), a stratified splitter, or a FrozenEstimator with a "
                "held-out set of every class."
            )


def _out_of_fold_log_posteriors(estimator, X, y, train, test, classes, fit_params):
    """Log ``predict_proba`` of the ``test`` rows by a clone fitted on ``train``.

    Written out rather than ``cross_val_predict``, which orders the columns by
    each split model's ``classes_`` when it has every class and by the sorted
    labels otherwise: here the columns follow ``classes`` (the refitted
    model's), whatever the order of a split model's ``classes_``.
    """
    params = _check_method_params(X, fit_params, train)
    model = clone(estimator).fit(_safe_indexing(X, train), y[train], **params)
    X_test = _safe_indexing(X, test)
    scorer, fold_classes = _check_fitted_proba_estimator(model)
    log_proba = _training_log_posteriors(scorer, X_test, fold_classes.size, "X")
    columns = label_indices(fold_classes, classes, name="a split model's classes_")
    return log_proba[:, np.argsort(columns)]


def _same(value, fitted):
    """Whether a parameter is what fit used: equal strings and numbers, else the
    same object (an estimator or splitter changed in place is not caught)."""
    if value is fitted:
        return True
    plain = (str, Integral, Real, type(None))
    return isinstance(value, plain) and isinstance(fitted, plain) and value == fitted


class LabelShiftClassifier(
    DocLinkMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    r"""A classifier that adapts to the class priors of unlabelled deployment data.

    Under label shift the class-conditional distributions :math:`p(x \mid y)`
    of the deployment data are the training data's, but the class priors have
    moved to unknown target priors :math:`q`. ``fit(X, y)`` fits ``estimator``
    and, on rows it was not trained on, a calibrator of its scores;
    ``adapt(X_unlabelled)`` estimates :math:`q` from deployment rows (without
    labels) as :func:`estimate_target_priors` does; ``predict`` then predicts
    with the calibrated posterior moved to those priors by Bayes' rule,

    .. math::

        p_q(y \mid x) \propto \tilde p(y \mid x) \, \hat q_y / \hat\pi_y,

    where :math:`\tilde p` is the calibrated training-distribution posterior and
    :math:`\hat\pi` the source priors (``source_priors_``). Before ``adapt`` it
    predicts with :math:`\hat q = \hat\pi`, the (calibrated) training
    distribution, so it is an ordinary classifier in any scikit-learn code; each
    ``adapt`` replaces the previous estimate.

    How the calibration data are found. With ``calibration`` set (or
    ``method="bbse"``), the calibrator (and BBSE's confusion matrix) needs
    posteriors of labelled rows that the model was not fitted on. ``fit`` cross-
    fits them: the out-of-fold ``predict_proba`` of the splits of ``cv``
    (stratified ``cv``-fold by default; every split's training part must hold
    every class), after which ``estimator`` is refitted on all of ``X, y`` and
    the calibrator, fitted on the out-of-fold scores, is applied to the
    refitted model's scores
    (as :class:`~sklearn.calibration.CalibratedClassifierCV` does with
    ``ensemble=False``). With a :class:`~sklearn.frozen.FrozenEstimator` the
    model is used as it is and ``X, y`` are the held-out calibration rows
    (they must not be the rows it was trained on). Uncalibrated EM needs no
    held-out rows: the source priors are the class frequencies of ``y``.

    ``adapt`` takes no labels: nothing about the deployment rows' classes
    enters the estimate or the model.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Fitted (a clone) on ``X, y`` by ``fit``; a ``FrozenEstimator`` is used
        as it is.

    method : {"em", "bbse"}, default="em"
        How ``adapt`` estimates the target priors: EM (Saerens et al., 2002) on
        the calibrated posteriors, or black-box shift estimation (Lipton et
        al., 2018) from the (calibrated) model's predictions.

    calibration : {"bcts", "temperature", "vector"} or None, default="bcts"
        The :class:`LogitCalibrator` fitted on the out-of-fold log-posteriors
        (Alexandari et al., 2020); ``None`` uses the posteriors as they are.

    cv : int, cross-validation generator or iterable, default=5
        The splits of the cross-fitting, as
        :func:`~sklearn.model_selection.check_cv` takes them (an int is a
        stratified k-fold). Used only when calibration or BBSE needs held-out
        rows, and not for a ``FrozenEstimator``.

    confidence_level : float in (0, 1) or None, default=None
        With a level, ``adapt`` also sets ``target_priors_interval_``, a
        percentile bootstrap interval of each class's target prior (see
        :func:`estimate_target_priors`).

    n_resamples : int, default=200
        Bootstrap resamples of the interval.

    tol : float, default=1e-6
        EM's tolerance on the L1 change of the priors.

    max_iter : int, default=1000
        EM's largest number of iterations.

    n_jobs : int or None, default=None
        Parallel fits of the cross-fitting (joblib).

    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap. Pass an int for reproducible intervals.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model (``estimator`` itself for a ``FrozenEstimator``).

    calibrator_ : LogitCalibrator or None
        The calibrator fitted on the held-out log-posteriors.

    classes_ : ndarray of shape (n_classes,)
        The class labels, those of ``estimator_``.

    source_priors_ : ndarray of shape (n_classes,)
        :math:`\hat\pi`, the priors the calibrated posteriors are relative to:
        their mean over the held-out rows when calibrated, else the class
        frequencies of ``y``.

    target_priors_ : ndarray of shape (n_classes,)
        The priors the predictions use: the last ``adapt``'s estimate, or
        ``source_priors_`` before any.

    target_priors_interval_ : ndarray of shape (2, n_classes) or None
        Lower and upper bounds of the last ``adapt``'s interval, or ``None``.

    n_iter_ : int
        EM's iterations in the last ``adapt`` (0 for BBSE); set by ``adapt``.

    n_features_in_ : int
        Number of features seen during fit, when ``estimator_`` defines it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``estimator_`` defines it.

    See Also
    --------
    estimate_target_priors : The estimate as a function, for a fitted model.
    sklearn_lt.LogitAdjustedClassifier : Predicts for given ``target_priors``.

    Notes
    -----
    Parameters that ``fit`` used (``estimator``, ``method``, ``calibration``,
    ``cv``) cannot be changed afterwards: ``adapt`` and the prediction methods
    refuse until ``fit`` is called again. The others are read by ``adapt``.

    References
    ----------
    .. [1] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum likelihood with
       bias-corrected calibration is hard-to-beat at label shift adaptation",
       ICML 2020.
    .. [2] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the outputs of a
       classifier to new a priori probabilities: a simple procedure", Neural
       Computation 14(1), 2002.
    .. [3] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and correcting for
       label shift with black box predictors", ICML 2018.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LabelShiftClassifier
    >>> from sklearn_lt.datasets import make_gaussian_mixture
    >>> X, y = make_gaussian_mixture(5000, minority_prior=0.05, random_state=0)
    >>> X_new, y_new = make_gaussian_mixture(2000, minority_prior=0.4, random_state=1)
    >>> model = LabelShiftClassifier(LogisticRegression()).fit(X, y)
    >>> round(model.score(X_new, y_new), 3)  # under the training priors
    0.865
    >>> model.adapt(X_new).target_priors_.round(2)  # the true prior of 1 is 0.4
    array([0.61, 0.39])
    >>> round(model.score(X_new, y_new), 3)
    0.921
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "method": [
            Choice(
                set(_TARGET_PRIOR_METHODS),
                fix='"em" on calibrated posteriors is the usual choice',
            )
        ],
        "calibration": [Choice(set(_CALIBRATIONS), fix=_CALIBRATION_FIX), None],
        "cv": ["cv_object"],
        "confidence_level": [_LEVEL, None],
        "n_resamples": [
            Number(Integral, 1, None, closed="left", fix="use for example 200")
        ],
        "tol": [Number(Real, 0, None, closed="neither", fix="use for example 1e-6")],
        "max_iter": [
            Number(Integral, 1, None, closed="left", fix="use for example 1000")
        ],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    # What fit used, refused if changed after it; the rest is read by adapt.
    _fit_time_params = ("estimator", "method", "calibration", "cv")
    _adapt_params = (
        "confidence_level",
        "n_resamples",
        "tol",
        "max_iter",
        "random_state",
    )

    def __init__(
        self,
        estimator,
        *,
        method="em",
        calibration="bcts",
        cv=5,
        confidence_level=None,
        n_resamples=200,
        tol=1e-6,
        max_iter=1000,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.calibration = calibration
        self.cv = cv
        self.confidence_level = confidence_level
        self.n_resamples = n_resamples
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the model, and its calibration on rows it was not fitted on.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Labelled training data, as ``estimator`` takes it (with a
            ``FrozenEstimator``: held-out labelled data for the calibration).

        y : array-like of shape (n_samples,)
            Class labels, with every class of the model at least once.

        **fit_params : dict
            Passed to ``estimator.fit`` (in the cross-fitting too).

        Returns
        -------
        self : LabelShiftClassifier
            The fitted classifier, predicting under the source priors until
            :meth:`adapt`.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None; pass the class labels of X."
            )
        if "sample_weight" in fit_params:
            raise ValueError(
                f"{type(self).__name__} does not take sample_weight yet: the "
                "calibration, the source class priors and the bootstrap would "
                "ignore it while the model used it. Fit without it, or resample "
                "the rows by their weights first."
            )
        check_numpy_estimator(self, "its calibration and priors", X=X, y=y)
        X, y = indexable(X, check_labels(y, warn=True))
        assert_all_finite(y, input_name="y")
        check_consistent_length(X, y)
        check_classification_targets(y)
        labels = np.unique(y)
        if labels.size < 2:
            raise ValueError(
                f"y has 1 class ({preview(labels)}); a classifier that adapts to "
                "class priors needs at least two. Pass labels of several classes."
            )
        frozen = isinstance(self.estimator, FrozenEstimator)
        if frozen:
            check_is_fitted(
                self.estimator,
                msg=(
                    "A FrozenEstimator needs a fitted estimator, but "
                    f"{type(self.estimator.estimator).__name__} is not fitted. Fit "
                    "it on training data first, or pass the unfitted estimator, to "
                    "fit it here."
                ),
            )
        held_out = self.calibration is not None or self.method == "bbse"
        splits = None
        if held_out and not frozen:
            cv = check_cv(self.cv, y, classifier=True)
            splits = list(cv.split(X, y))
            _check_folds(splits, y, labels)
        estimator_ = (
            self.estimator if frozen else clone(self.estimator).fit(X, y, **fit_params)
        )
        scorer, classes = _check_fitted_proba_estimator(estimator_)
        codes = label_indices(
            y,
            classes,
            classes_name="estimator's classes_",
            fix="fit on labels that the (frozen) estimator was trained on",
        )
        missing = np.bincount(codes, minlength=classes.size) == 0
        if np.any(missing):
            raise ValueError(
                f"y has no example of classes {preview(classes[missing])} of the "
                "estimator, so their source prior (and calibration) is unknown; "
                "pass held-out rows of every class, e.g. a stratified split."
            )
        log_val = None
        if frozen and held_out:
            log_val = _training_log_posteriors(scorer, X, classes.size, "X")
        elif held_out:
            log_val = np.empty((codes.size, classes.size))
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(_out_of_fold_log_posteriors)(
                    self.estimator, X, y, train, test, classes, fit_params
                )
                for train, test in splits
            )
            for (_, test), fold in zip(splits, folds, strict=True):
                log_val[test] = fold
        log_train = None
        if self.calibration is None:
            log_train = np.log(np.bincount(codes, minlength=classes.size) / codes.size)
        self._source = _Source.fit(
            self.calibration, self.method, log_val, codes, log_train
        )
        self._log_val = log_val  # the bootstrap resamples it
        self.estimator_ = estimator_
        self.calibrator_ = self._source.calibrator
        self.classes_ = classes
        self.source_priors_ = np.exp(self._source.log_source)
        self.target_priors_ = self.source_priors_.copy()
        self.target_priors_interval_ = None
        if hasattr(self, "n_iter_"):
            del self.n_iter_  # of an adapt to the previous fit
        self._log_target = self._source.log_source
        self._fitted_params = {
            name: getattr(self, name) for name in self._fit_time_params
        }
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator_, attr):
                setattr(self, attr, getattr(estimator_, attr))
        return self

    def _check_unchanged(self):
        check_is_fitted(self)
        for name, fitted in self._fitted_params.items():
            value = getattr(self, name)
            if not _same(value, fitted):
                raise ValueError(
                    f"{name} was changed after fit (it is now {value!r}, fit used "
                    f"{fitted!r}), but the model, its calibration and the source "
                    f"priors were fitted for the old value. Call fit again, or set "
                    f"{name} back."
                )

    def _calibrated(self, X):
        """The calibrated training-distribution log-posteriors of ``X``."""
        self._check_unchanged()
        check_numpy_estimator(self, "its calibration and priors", X=X)
        if _num_samples(X) == 0:
            raise ValueError(
                "X is empty (0 samples); pass at least one row to predict or adapt to."
            )
        _check_n_features(self.estimator_, X, "X", owner=self)
        log_proba = _training_log_posteriors(
            self.estimator_, X, self.classes_.size, "X"
        )
        return log_proba, self._source.calibrated(log_proba)

    def adapt(self, X):
        """Estimate the target priors of unlabelled deployment rows; predict with them.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Unlabelled rows of the deployment distribution. No labels are taken.

        Returns
        -------
        self : LabelShiftClassifier
            With ``target_priors_`` (and ``target_priors_interval_``) set.
        """
        self._check_unchanged()
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in self._adapt_params},
            {name: getattr(self, name) for name in self._adapt_params},
            caller_name=type(self).__name__,
        )
        log_proba, target = self._calibrated(X)
        tol, max_iter = float(self.tol), int(self.max_iter)
        priors, log_q, n_iter = self._source.target_priors(
            target, tol, max_iter, self.classes_, stacklevel=3
        )
        interval = None
        if self.confidence_level is not None:
            interval = _bootstrap_interval(
                self._source,
                log_proba,
                self._log_val,
                self.classes_,
                float(self.confidence_level),
                int(self.n_resamples),
                tol,
                max_iter,
                check_random_state(self.random_state),
                stacklevel=3,
            )
        self.target_priors_ = priors
        self.target_priors_interval_ = interval
        self.n_iter_ = n_iter
        self._log_target = log_q
        return self

    def predict_log_proba(self, X):
        """Log-posteriors under ``target_priors_``, columns aligned with ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Finite log-probabilities (float64).
        """
        _, calibrated = self._calibrated(X)
        return self._source.target_posteriors(calibrated, self._log_target)

    def predict_proba(self, X):
        """Posteriors under ``target_priors_``, columns aligned with ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, rows summing to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class under ``target_priors_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        for name in ("sparse", "allow_nan", "categorical", "string", "pairwise"):
            setattr(tags.input_tags, name, getattr(estimator_tags.input_tags, name))
        return tags
