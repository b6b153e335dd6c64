"""The CV tuner: choose ``tau`` on cached validation scores, one fit per split.

Post-hoc adjustment changes predictions, never the fitted model, so every candidate
``tau`` can be scored on the same validation scores. ``LogitAdjustedClassifierCV``
fits the base estimator once per split, computes its validation scores once, sweeps
the whole grid on them, and refits once on all the data: about the cost of one
``cross_validate``, whatever the number of candidates.
"""

import warnings
from dataclasses import dataclass
from difflib import get_close_matches
from numbers import Integral

import numpy as np
from scipy.special import log_softmax, softmax
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import indexable
from sklearn.utils.metadata_routing import MethodMapping
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ._compat import (
    InvalidParameterError,
    StrOptions,
    _check_method_params,
    _fit_context,
    _num_samples,
    _safe_indexing,
)
from ._gains import (
    ValidationScores,
    balanced_gains,
    coordinate_ascent_gains,
    frank_wolfe_gains,
    worst_class_gains,
)
from ._namespace import array_namespace, check_numpy_estimator, to_namespace
from ._posthoc import (
    LogitAdjustedClassifier,
    _BaseLogitAdjuster,
    _binary_log_odds,
    _check_targets,
    _check_two_classes,
    _estimator_scores,
    _labels_for,
    _on_host,
    _prior_shift,
    _resolve_priors,
    _resolve_response_method,
    _resolve_target_priors,
    _row_batches,
    _train_frequencies,
)
from ._validation import Number, as_float_array, label_indices, preview
from .metrics import (
    _BANDS,
    _METRICS,
    _RECALL_SCORES,
    _error_rates,
    balanced_error_scorer,
    frequency_bands,
    geometric_mean_recall_scorer,
    harmonic_mean_recall_scorer,
    worst_class_error_scorer,
)

__all__ = ["LogitAdjustedClassifierCV", "TunedAdjustmentClassifierCV"]


def _tau_grid(taus):
    """The tau grid as a float array: an int n means n values evenly in [0, 2]."""
    if isinstance(taus, Integral):
        return np.linspace(0.0, 2.0, int(taus))
    try:
        grid = as_float_array(
            taus, "taus", "an int >= 1 or a non-empty 1d array of taus >= 0"
        )
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"The 'taus' parameter of LogitAdjustedClassifierCV is invalid: {exc}"
        ) from exc
    if grid.ndim != 1 or grid.size == 0:
        raise InvalidParameterError(
            "The 'taus' parameter of LogitAdjustedClassifierCV must be an int >= 1 or "
            f"a non-empty 1d array of taus; got shape {grid.shape}."
        )
    bad = ~np.isfinite(grid) | (grid < 0)
    if np.any(bad):
        raise InvalidParameterError(
            "The 'taus' parameter of LogitAdjustedClassifierCV must hold finite taus "
            f">= 0; got {grid[bad].tolist()}."
        )
    return grid


# scikit-learn's scorer names (sklearn.metrics.get_scorer_names()) whose metric is
# a regression metric, with that metric's name: class labels are not quantities.
_REGRESSION_SCORERS = {
    "d2_absolute_error_score": "d2_absolute_error_score",
    "explained_variance": "explained_variance_score",
    "neg_max_error": "max_error",
    "neg_mean_absolute_error": "mean_absolute_error",
    "neg_mean_absolute_percentage_error": "mean_absolute_percentage_error",
    "neg_mean_gamma_deviance": "mean_gamma_deviance",
    "neg_mean_poisson_deviance": "mean_poisson_deviance",
    "neg_mean_squared_error": "mean_squared_error",
    "neg_mean_squared_log_error": "mean_squared_log_error",
    "neg_median_absolute_error": "median_absolute_error",
    "neg_root_mean_squared_error": "root_mean_squared_error",
    "neg_root_mean_squared_log_error": "root_mean_squared_log_error",
    "r2": "r2_score",
}


def _check_scorer(scoring):
    """The scorer of ``scoring`` (None: balanced error), failing early on misuse.

    scikit-learn's ``check_scoring`` turns a name into its scorer and refuses its
    own metric functions (``accuracy_score``, ...) passed as scorers; the same
    mistake with this package's metrics, and a regression scorer's name, are
    refused here.
    """
    if scoring is None:
        return None
    if isinstance(scoring, str) and scoring in _REGRESSION_SCORERS:
        raise ValueError(
            f"scoring={scoring!r} is a regression metric "
            f"({_REGRESSION_SCORERS[scoring]}), which cannot score a classifier's "
            "class labels. Use a classification scorer, such as "
            "sklearn_lt.metrics.balanced_error_scorer or 'f1_macro'."
        )
    # As check_scoring does for sklearn.metrics: a scorer is an object made by
    # make_scorer, never a function of this package's metrics module.
    module = getattr(scoring, "__module__", None) or ""
    if callable(scoring) and module.split(".")[:2] == ["sklearn_lt", "metrics"]:
        raise ValueError(
            f"scoring={scoring!r} looks like a metric, called as metric(y_true, "
            "y_pred), not a scorer, called as scorer(estimator, X, y). Wrap it: "
            "sklearn.metrics.make_scorer(metric, greater_is_better=...), or use "
            "sklearn_lt.metrics.balanced_error_scorer."
        )
    return check_scoring(scoring=scoring)


def _check_frozen(estimator, prefit=False):
    """Whether ``estimator`` is scored as it is (a ``FrozenEstimator``, or ``prefit``).

    Such an estimator must be fitted: the error says so before any work.
    """
    if prefit:
        how, model = 'cv="prefit"', estimator
    elif isinstance(estimator, FrozenEstimator):
        how, model = "A FrozenEstimator", estimator.estimator
    else:
        return False
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"{how} needs a fitted estimator, but {type(model).__name__} is "
            "not fitted. Fit it on training data first, or pass the unfitted "
            "estimator itself, to fit it on each split of cv."
        ) from exc
    return True


class _FoldAdjuster(LogitAdjustedClassifier):
    """The adjustment of one split's fitted model, serving its cached scores.

    Scorers call ``predict`` (or ``predict_proba``, ...) on the validation data once
    per tau; the scores are computed once and served from the cache when the
    scorer passes that same ``X`` object. Any other ``X`` is scored afresh. Built
    with the parameters of a ``LogitAdjustedClassifier`` (``estimator`` the fitted
    model), then given its fitted state by :meth:`_use_fold` instead of ``fit``.
    """

    def _use_fold(self, priors, X, scores):
        """Use ``estimator`` as fitted, with the fold's priors and ``X``'s scores.

        ``priors`` (aligned with the estimator's ``classes_``) stand in for the
        training frequencies, which ``priors="train"`` uses as given.
        """
        self.estimator_ = self.estimator
        self.classes_ = self.estimator.classes_
        self.train_priors_ = priors
        self._cached_X = X
        self._cached_scores = scores
        return self

    def _scores(self, X, method):
        if X is self._cached_X:
            # A copy: the adjustment is applied in place.
            return self._cached_scores.copy()
        return super()._scores(X, method)


def _warn_on_search_result(taus, mean_score, best_index):
    """Warn, as GridSearchCV does, when scores are NaN or the best is at the edge."""
    bad = ~np.isfinite(mean_score)
    if bad.all():
        warnings.warn(
            f"Every tau scored NaN or infinite (mean validation scores "
            f"{preview(mean_score)}), so best_tau_={taus[best_index]:g} is the first "
            "tau of the grid, not a choice. Check that the scorer can score these "
            "predictions (e.g. error_score, classes missing from the validation "
            "folds).",
            UserWarning,
            stacklevel=4,  # the caller of fit, through _fit_context
        )
        return
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} of the {taus.size} taus scored NaN or infinite "
            f"(taus {preview(taus[bad])}); they were left out of the choice.",
            UserWarning,
            stacklevel=4,  # the caller of fit, through _fit_context
        )
    if taus.size > 1 and taus[best_index] == taus.max() > taus.min():
        warnings.warn(
            f"best_tau_={taus[best_index]:g} is the largest tau of the grid, so a "
            "larger tau may score better still. Widen the grid, e.g. "
            f"taus=np.linspace(0, {2 * taus.max():g}, {2 * taus.size - 1}).",
            UserWarning,
            stacklevel=4,  # the caller of fit, through _fit_context
        )


def _describe(value):
    """Priors or a method name, short, for the after-fit error."""
    return repr(value) if isinstance(value, str) else preview(np.round(value, 4))


@dataclass(frozen=True, eq=False)
class _FitInput:
    """What a tuner's ``fit`` checks and resolves before anything is fitted."""

    X: object
    y: object
    labels: np.ndarray
    response_method: str
    classes: np.ndarray
    class_counts: np.ndarray
    priors: np.ndarray
    target_priors: np.ndarray
    routed: object
    sample_weight: object
    # (xp, device) of X when it is of an array API library with dispatch on, else
    # None; the X and y the final refit takes (the search runs on host copies of
    # them when place is set, on X and y themselves otherwise).
    place: object
    fit_X: object
    fit_y: object

    def search_data(self):
        return _SearchData(
            self.X, self.y, self.labels, self.sample_weight, self.routed.estimator.fit
        )


def _check_fit_input(tuner, frozen, X, y, sample_weight, fit_params):
    """The tuners' cheap checks of ``fit``'s input and parameters, in one place.

    With dispatch on and ``X`` of an array API library, the search runs on NumPy
    copies of ``X`` and ``y`` (its validation scores are cached on the host) and
    the final refit on ``X`` itself, so that the fitted tuner predicts on
    ``X``'s device; a frozen model's search cannot, and is refused.
    """
    place = array_namespace(X=X)  # y may be elsewhere, as for scikit-learn's
    fit_X, fit_y = X, y
    if place is not None:
        if frozen:
            check_numpy_estimator(tuner, "the search of a frozen (prefit) model", X=X)
        X = _on_host(X)
    # Labels and weights follow X (to the host for the search), as scikit-learn's
    # estimators move them; the refit takes the given ones (see _labels_for).
    y, sample_weight = _on_host(y), _on_host(sample_weight)
    X, y = indexable(X, y)
    if place is None:
        fit_X, fit_y = X, y
    labels = _check_targets(y)
    response_method = _resolve_response_method(tuner.estimator, tuner.response_method)
    classes = _check_two_classes(
        tuner.estimator.classes_ if frozen else np.unique(labels)
    )
    class_counts = tuner._count_classes(labels, classes)
    priors = _resolve_priors(tuner.priors, labels, classes, sample_weight)
    target_priors = _resolve_target_priors(tuner.target_priors, classes)
    routed = tuner._fit_params(tuner.estimator, frozen, sample_weight, fit_params)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    return _FitInput(
        X,
        y,
        labels,
        response_method,
        classes,
        class_counts,
        priors,
        target_priors,
        routed,
        sample_weight,
        place,
        fit_X,
        fit_y,
    )


def _sweep_spec(tuner, frozen, given, scorer, taus=None, bands=None):
    return _SweepSpec(
        estimator=tuner.estimator,
        frozen=frozen,
        taus=taus,
        scorer=scorer,
        response_method=given.response_method,
        batch_size=tuner.batch_size,
        classes=given.classes,
        bands=bands,
        priors=given.priors,
        # priors is "train" or the user's priors (its constraints)
        fold_priors_from_train=isinstance(tuner.priors, str),
        target_priors=given.target_priors,
    )


def _refit(tuner, given, keep_given):
    """Fit on all the data (or keep the given model); False with ``refit=False``.

    Without a refit the tuner keeps what describes the data, not a model.
    """
    if keep_given:
        fitted = tuner.estimator
    elif tuner.refit:
        y = _labels_for(given.fit_y, given.labels, given.place)
        fitted = clone(tuner.estimator).fit(
            given.fit_X, y, **given.routed.estimator.fit
        )
    else:
        tuner.classes_ = given.classes
        tuner.train_priors_ = _train_frequencies(
            given.labels, given.classes, given.sample_weight
        )
        tuner.priors_ = given.priors
        tuner.target_priors_ = given.target_priors
        tuner.class_counts_ = given.class_counts
        return False
    tuner.priors_ = tuner._set_fitted(fitted, given.labels, given.sample_weight)
    tuner.target_priors_ = tuner._current_target_priors()
    return True


def _to_fit_device(tuner, given, names):
    """Store the fitted arrays ``names`` on ``X``'s device, as scikit-learn does.

    With dispatch on and ``X`` of an array API library, every fitted array
    lives where ``X`` does (the search's results too); the prediction code reads
    host copies of the ``n_classes``-sized ones (``_on_host``). Nothing moves
    on the NumPy route.
    """
    if given.place is None:
        return
    for name in names:
        value = getattr(tuner, name, None)
        if isinstance(value, np.ndarray):
            setattr(tuner, name, to_namespace(value, *given.place))


_FITTED_ARRAYS = ("train_priors_", "class_counts_", "priors_", "target_priors_")


def _refuse_changed_search(tuner, chosen):
    """Check the parameters a prediction reads; refuse those the search used, changed.

    ``chosen`` names what the search chose, for the message (``"gains_ were"``).
    """
    tuner._validate_prediction_params()
    current = {
        "priors": tuner._current_priors(),
        "target_priors": tuner._current_target_priors(),
        "response_method": _resolve_response_method(
            tuner.estimator_, tuner.response_method
        ),
    }
    fitted = {
        "priors": _on_host(tuner.priors_),
        "target_priors": _on_host(tuner.target_priors_),
        "response_method": tuner._response_method,
    }
    for name, value in current.items():
        if not np.array_equal(value, fitted[name]):
            raise ValueError(
                f"{name} was changed after fit (it now gives {_describe(value)}, fit "
                f"used {_describe(fitted[name])}), but {chosen} chosen for the old "
                f"value. Call fit again, or set {name} back."
            )


@dataclass(frozen=True, eq=False)
class _SweepSpec:
    """What every split of the search shares, resolved once in ``fit``.

    ``estimator`` is cloned and fitted on each split's training part, or, with
    ``frozen`` (a ``FrozenEstimator``, or ``cv="prefit"``), scored as it is.
    ``classes``, ``bands``, ``priors`` and ``target_priors`` are those of all the
    data, aligned with ``classes``; ``fold_priors_from_train`` (``priors="train"``)
    gives each refitted split the priors of its own training part.
    """

    estimator: object
    frozen: bool
    taus: np.ndarray
    scorer: object  # None: minus the balanced (or target-weighted) error
    response_method: str
    batch_size: object
    classes: np.ndarray
    bands: np.ndarray
    priors: np.ndarray
    fold_priors_from_train: bool
    target_priors: np.ndarray

    @property
    def uniform_target(self):
        return bool(np.all(self.target_priors == self.target_priors[0]))


@dataclass(frozen=True, eq=False)
class _SearchData:
    """The data searched on: ``X``, ``y``, their labels, weights, fit parameters."""

    X: object
    y: object
    labels: np.ndarray
    sample_weight: object
    fit_params: dict


def _fit_split(spec, data, train):
    """The split's model and its priors, aligned with the model's classes."""
    if spec.frozen:
        return spec.estimator, spec.priors
    model = clone(spec.estimator).fit(
        _safe_indexing(data.X, train),
        _safe_indexing(data.y, train),
        **_check_method_params(data.X, data.fit_params, indices=train),
    )
    if spec.fold_priors_from_train:
        weight = None if data.sample_weight is None else data.sample_weight[train]
        return model, _resolve_priors(
            "train", data.labels[train], model.classes_, weight
        )
    fold_priors = spec.priors[
        label_indices(model.classes_, spec.classes, name="the fold's classes")
    ]
    return model, fold_priors / fold_priors.sum()


# Scores swept at once over all the taus: 128 KiB (a CPU's L2 cache), at least 256
# rows so that the per-chunk Python work stays small next to the arithmetic.
_SWEEP_CHUNK_BYTES = 128 * 1024
_SWEEP_MIN_ROWS = 256


def _count_correct(spec, model, log_priors, X_test, true_idx, true_fold):
    """Per tau, the correct predictions of each class and the number of mistakes.

    ``true_idx`` codes each validation label in the classes of all the data,
    ``true_fold`` in the model's (-1 for a class it never saw).
    """
    n_classes, n_fold_classes = spec.classes.size, model.classes_.size
    hits = np.zeros((spec.taus.size, n_classes))
    wrong = np.zeros(spec.taus.size)
    # A batch of validation rows at a time: the extra memory is one batch of scores
    # (batch_size x n_classes), whatever the size of the validation set.
    # Every tau re-reads the scores: sweep them in chunks small enough to stay in
    # the CPU cache across the taus (about 35% faster than whole batches).
    chunk = max(_SWEEP_MIN_ROWS, _SWEEP_CHUNK_BYTES // (8 * n_fold_classes))
    for rows, X_rows in _row_batches(X_test, spec.batch_size, n_fold_classes):
        scores = _estimator_scores(model, spec.response_method, X_rows, n_fold_classes)
        batch_true, batch_fold = true_idx[rows], true_fold[rows]
        for start in range(0, scores.shape[0], chunk):
            part = scores[start : start + chunk]
            part_true = batch_true[start : start + chunk]
            part_fold = batch_fold[start : start + chunk]
            adjusted = np.empty_like(part)
            for i, tau in enumerate(spec.taus):
                np.subtract(part, tau * log_priors, out=adjusted)
                correct = adjusted.argmax(axis=1) == part_fold
                hits[i] += np.bincount(part_true, weights=correct, minlength=n_classes)
                wrong[i] += correct.size - np.count_nonzero(correct)
    return hits, wrong


def _error_metrics(spec, hits, wrong, true_idx):
    """The metrics of ``cv_results_`` for every tau, from the counts of one split."""
    support = np.bincount(true_idx, minlength=spec.classes.size)
    seen = support > 0
    errors = _error_rates(hits, support)
    out = {metric: np.empty(spec.taus.size) for metric in _METRICS}
    out["balanced_error"] = errors[:, seen].mean(axis=1)
    out["error"] = wrong / true_idx.size
    for band in _BANDS:
        in_band = seen & (spec.bands == band)
        out[f"{band}_error"] = (
            errors[:, in_band].mean(axis=1)
            if in_band.any()
            else np.full(spec.taus.size, np.nan)
        )
    if spec.uniform_target:
        out["score"] = -out["balanced_error"]
    else:
        # The error under the target distribution: per-class errors weighted
        # by the target priors of the classes seen in validation.
        weights = spec.target_priors[seen] / spec.target_priors[seen].sum()
        out["score"] = -(errors[:, seen] @ weights)
    return out


def _scorer_scores(spec, model, fold_priors, fold_target, X_test, y_test):
    """The scorer's score of every tau on one split's validation part.

    A scorer calls the model on the whole validation set: it is scored once, and
    every tau reuses those scores.
    """
    scores = _estimator_scores(model, spec.response_method, X_test, model.classes_.size)
    adjuster = _FoldAdjuster(
        model,
        priors="train",
        response_method=spec.response_method,
        # One batch: the cached scores are those of the whole validation set.
        batch_size=max(1, _num_samples(X_test)),
        target_priors=None if spec.uniform_target else fold_target,
    )._use_fold(fold_priors, X_test, scores)
    out = np.empty(spec.taus.size)
    for i, tau in enumerate(spec.taus):
        adjuster.tau = tau
        out[i] = spec.scorer(adjuster, X_test, y_test)
    return out


def _fit_and_sweep(spec, data, train, test):
    """Fit on one split, score its validation part once, evaluate every tau."""
    model, fold_priors = _fit_split(spec, data, train)
    X_test = _safe_indexing(data.X, test)
    model_columns = label_indices(model.classes_, spec.classes)
    fold_target = spec.target_priors[model_columns]
    fold_target = fold_target / fold_target.sum()
    # The per-tau shift: log(priors) - log(target priors), as in prediction.
    log_priors = np.log(fold_priors) - np.log(fold_target)
    # Class codes in the classes of all the data, for the error rates; and each
    # validation label as a column of the fold's model (-1 if it never saw the
    # class), so that a prediction is compared without mapping it back.
    true_idx = label_indices(data.labels[test], spec.classes)
    all_to_fold = np.full(spec.classes.size, -1)
    all_to_fold[model_columns] = np.arange(model.classes_.size)
    hits, wrong = _count_correct(
        spec, model, log_priors, X_test, true_idx, all_to_fold[true_idx]
    )
    out = _error_metrics(spec, hits, wrong, true_idx)
    if spec.scorer is not None:
        out["score"] = _scorer_scores(
            spec, model, fold_priors, fold_target, X_test, _safe_indexing(data.y, test)
        )
    return out


class LogitAdjustedClassifierCV(_BaseLogitAdjuster):
    r"""Post-hoc logit adjustment with ``tau`` chosen by cross-validation.

    For each cross-validation split, fits (a clone of) ``estimator`` once on the
    training part and computes its scores on the validation part once; then every
    ``tau`` of the grid is evaluated on those cached scores, since the adjustment

    .. math::

        \hat y(x) = \operatorname{argmax}_y \; f_y(x) - \tau \log \pi_y

    changes only the predictions, never the fitted model (Menon et al., 2021,
    "Long-tail learning via logit adjustment"). The ``tau`` with the best
    mean validation score (balanced error by default) is kept, and the estimator is
    refitted once on all the data. The whole search costs about one
    ``cross_validate`` of the estimator plus one fit, whatever the grid size.

    An estimator fitted elsewhere is tuned as it is when wrapped in
    :class:`sklearn.frozen.FrozenEstimator`, as in
    :class:`LogitAdjustedClassifier`: it is never refitted, and each split
    scores it on its validation part, with the priors of all of ``y``.

    Parameters
    ----------
    estimator : estimator instance
        A classifier with ``predict_log_proba`` or ``predict_proba`` (or
        ``decision_function``, see ``response_method``). It is cloned and fitted
        on each split; wrap an already fitted one in
        :class:`~sklearn.frozen.FrozenEstimator` to tune ``tau`` for it without
        refitting it.

    taus : int or array-like of shape (n_taus,), default=41
        Candidate values of ``tau``, each finite and ``>= 0``. An int ``n`` means
        ``n`` values evenly spaced in ``[0, 2]`` (41 gives steps of 0.05).

    priors : "train", array-like of shape (n_classes,) or dict, default="train"
        Class priors, as in :class:`LogitAdjustedClassifier`. With ``"train"``,
        each split uses the priors of its own training part, and the final model
        those of all of ``y``. With a ``FrozenEstimator`` (or ``cv="prefit"``)
        every split uses the priors of all the ``y`` given to ``fit``, so that
        data must be drawn like the estimator's training set; otherwise pass the
        training priors explicitly.

    response_method : str, default="auto"
        Which output of the estimator gives the scores, as in
        :class:`LogitAdjustedClassifier`.

    scoring : str, callable or None, default=None
        What ``tau`` is chosen for; greater is better. ``None`` is the balanced
        error (as :data:`sklearn_lt.metrics.balanced_error_scorer`, negated).
        Otherwise a scorer name or a scorer ``scoring(estimator, X, y)``, checked
        with :func:`sklearn.metrics.check_scoring`; regression scorers' names are
        refused.

    cv : int, cross-validation generator, iterable or "prefit", default=None
        Splitting strategy, as in :func:`sklearn.model_selection.check_cv`;
        ``None`` is 5-fold stratified. To score a ``FrozenEstimator`` on all the
        data at once, pass one split whose validation part is everything:
        ``cv=PredefinedSplit(np.zeros(len(y)))``.

        .. deprecated:: 0.1
            ``cv="prefit"`` (``estimator`` already fitted, the data given to
            ``fit`` a held-out validation set) is deprecated and will be removed
            in 0.3: pass ``FrozenEstimator(estimator)`` instead.

    refit : bool, default=True
        Whether to refit the estimator on all the data with the chosen ``tau``.
        With ``refit=False`` only the search results are kept and the tuner
        cannot predict. A ``FrozenEstimator`` is used as it is (never refitted);
        with ``cv="prefit"`` the given estimator is used whatever ``refit``.

    n_jobs : int, default=None
        Number of splits fitted in parallel. ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context; ``-1`` uses all processors.

    target_priors : array-like of shape (n_classes,), dict or None, default=None
        Class priors of the data the model will meet, as in
        :class:`LogitAdjustedClassifier`: every tau is scored with the adjustment
        :math:`-\tau \log \pi_y + \tau \log \pi^t_y`, and the default score
        becomes minus the error under the target distribution (the per-class
        errors weighted by the target priors) instead of minus the balanced
        error. ``None``: uniform, the balanced error.

    batch_size : int or None, default=None
        Rows scored at once, in the sweep over the validation rows of each split
        and in the prediction methods, as in :class:`LogitAdjustedClassifier`: the
        extra memory is about ``32 * batch_size * n_classes`` bytes per split
        whatever the number of rows. ``None`` takes as many rows as fit in 32 MiB
        (or in scikit-learn's ``working_memory`` if smaller). With ``scoring``
        set, the scorer sees each split's whole validation set, whose scores are
        then held at once. The results do not depend on it.

    Attributes
    ----------
    best_tau_ : float
        The chosen ``tau``, used by ``predict`` and the other prediction methods.

    best_score_ : float
        Mean validation score of ``best_tau_`` (minus the balanced error by default).

    best_index_ : int
        Index of ``best_tau_`` in ``taus_``.

    taus_ : ndarray of shape (n_taus,)
        The grid of ``tau`` that was searched.

    cv_results_ : dict of ndarray
        One entry per tau: ``"tau"``; ``"split<k>_test_<metric>"``,
        ``"mean_test_<metric>"`` and ``"std_test_<metric>"`` for each metric of
        ``("score", "balanced_error", "error", "many_error", "medium_error",
        "few_error")``; and ``"rank_test_score"``. ``score`` is the selection
        score; the others are error rates on the validation parts (plain error,
        balanced error, and the balanced error within the Many / Medium / Few
        classes, banded by their count in all of ``y``; NaN where a band has no
        validation example).

    n_splits_ : int
        Number of cross-validation splits (1 with ``cv="prefit"``).

    estimator_ : estimator instance
        The estimator refitted on all the data (the ``FrozenEstimator`` itself
        when one was given, the given estimator with ``cv="prefit"``); absent
        with ``refit=False``.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    priors_ : ndarray of shape (n_classes,)
        Class priors of all the data, aligned with ``classes_``.

    class_counts_ : ndarray of shape (n_classes,)
        Number of examples of each class in ``y``, aligned with ``classes_``.

    n_features_in_ : int
        Number of features seen by the estimator during ``fit``, where it has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator during ``fit``, where it has them.

    See Also
    --------
    LogitAdjustedClassifier : The adjustment with a fixed ``tau``; its
        ``memory`` parameter makes a plain ``GridSearchCV`` over ``tau`` cheap too.
    LogitsClassifier : Logits computed elsewhere as an estimator, to tune
        ``tau`` on them through a ``FrozenEstimator``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LogitAdjustedClassifierCV
    >>> X, y = make_classification(
    ...     n_samples=2000, weights=[0.95], class_sep=0.5, random_state=0
    ... )
    >>> search = LogitAdjustedClassifierCV(LogisticRegression(), taus=21).fit(X, y)
    >>> search.taus_.size, search.n_splits_
    (21, 5)
    >>> bool(search.best_score_ >= search.cv_results_["mean_test_score"][0])
    True

    A model fitted elsewhere, frozen: only ``tau`` is chosen.

    >>> from sklearn.frozen import FrozenEstimator
    >>> model = LogisticRegression().fit(X[:1000], y[:1000])
    >>> frozen = LogitAdjustedClassifierCV(FrozenEstimator(model), taus=21)
    >>> frozen.fit(X[1000:], y[1000:]).estimator_.estimator is model
    True
    """

    _follows_namespace = True

    _parameter_constraints: dict = {
        **_BaseLogitAdjuster._parameter_constraints,
        "taus": [Number(Integral, 1, None, closed="left"), "array-like"],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        taus=41,
        priors="train",
        response_method="auto",
        scoring=None,
        cv=None,
        refit=True,
        n_jobs=None,
        batch_size=None,
        target_priors=None,
    ):
        self.estimator = estimator
        self.taus = taus
        self.priors = priors
        self.response_method = response_method
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.target_priors = target_priors

    def _prediction_plan(self):
        _refuse_changed_search(self, f"best_tau_={self.best_tau_:g} was")
        target = None if self.target_priors is None else _on_host(self.target_priors_)
        shift = _prior_shift(self.best_tau_, _on_host(self.priors_), target)
        return self._response_method, shift

    def _check_can_predict(self):
        if hasattr(self, "taus_") and not hasattr(self, "estimator_"):
            raise AttributeError(
                "This LogitAdjustedClassifierCV was fitted with refit=False, so it "
                "has no model to predict with. Use "
                "LogitAdjustedClassifier(estimator, tau=search.best_tau_).fit(X, y), "
                "or fit again with refit=True."
            )
        return True

    @property
    def _prefit(self):
        return isinstance(self.cv, str) and self.cv == "prefit"

    def _check_frozen(self):
        """Whether the estimator is scored as it is, never fitted; it must be fitted.

        True for a ``FrozenEstimator``, and for the deprecated ``cv="prefit"``
        (scikit-learn's way to pass a fitted model is now a ``FrozenEstimator``).
        """
        if self._prefit:
            warnings.warn(
                'cv="prefit" is deprecated and will be removed in 0.3. Pass the '
                "fitted estimator wrapped in sklearn.frozen.FrozenEstimator "
                "instead: LogitAdjustedClassifierCV(FrozenEstimator(estimator)) "
                "tunes tau without refitting it, scoring it on each validation "
                "part of cv; cv=PredefinedSplit(np.zeros(len(y))) scores it on "
                'all the data at once, as cv="prefit" did.',
                FutureWarning,
                stacklevel=4,  # the caller of fit, through _fit_context
            )
        return _check_frozen(self.estimator, self._prefit)

    @_fit_context(
        # the wrapped estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Choose ``tau`` by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Training data (for a ``FrozenEstimator``: held-out validation data).

        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the examples, for the priors and the estimator's ``fit``,
            as in :meth:`LogitAdjustedClassifier.fit`. The validation scores are
            not weighted.

        **fit_params : dict
            Other parameters for the estimator's ``fit`` (with metadata routing
            enabled, also ``groups`` for the splitter, when requested).

        Returns
        -------
        self : LogitAdjustedClassifierCV
            The fitted tuner.
        """
        # Cheap checks first: nothing is fitted before all of them pass.
        taus = _tau_grid(self.taus)
        scorer = _check_scorer(self.scoring)
        frozen = self._check_frozen()
        given = _check_fit_input(self, frozen, X, y, sample_weight, fit_params)
        _prior_shift(
            taus.max(),
            given.priors,
            None if self.target_priors is None else given.target_priors,
            "the largest of taus",
        )
        if self._prefit:
            splits = [(np.zeros(0, dtype=int), np.arange(len(given.labels)))]
        else:
            cv = check_cv(self.cv, given.labels, classifier=True)
            splits = list(
                cv.split(given.X, given.labels, **given.routed.splitter.split)
            )
        spec = _sweep_spec(
            self, frozen, given, scorer, taus, frequency_bands(given.class_counts)
        )
        data = given.search_data()
        sweeps = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_sweep)(spec, data, train, test) for train, test in splits
        )
        self.taus_ = taus
        self.n_splits_ = len(splits)
        self.cv_results_ = self._summarise(taus, sweeps)
        mean_score = self.cv_results_["mean_test_score"]
        self.best_index_ = int(
            np.argmax(np.where(np.isnan(mean_score), -np.inf, mean_score))
        )
        self.best_tau_ = float(taus[self.best_index_])
        self.best_score_ = float(mean_score[self.best_index_])
        _warn_on_search_result(taus, mean_score, self.best_index_)
        _refit(self, given, keep_given=self._prefit or (frozen and self.refit))
        _to_fit_device(self, given, ("taus_", *_FITTED_ARRAYS))
        return self

    @staticmethod
    def _summarise(taus, sweeps):
        results = {"tau": taus.copy()}
        for metric in _METRICS:
            table = np.vstack([sweep[metric] for sweep in sweeps])
            for k, row in enumerate(table):
                results[f"split{k}_test_{metric}"] = row
            with warnings.catch_warnings():
                # A band without validation examples in every split stays NaN.
                warnings.simplefilter("ignore", RuntimeWarning)
                results[f"mean_test_{metric}"] = np.nanmean(table, axis=0)
                results[f"std_test_{metric}"] = np.nanstd(table, axis=0)
        score = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
        # Rank 1 is best; ties share the smallest rank, as in GridSearchCV.
        results["rank_test_score"] = rankdata(-score, method="min").astype(np.int32)
        return results

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``sample_weight`` is consumed by the priors and routed to the estimator's
        ``fit`` when it requests it; ``groups`` and other split parameters are
        routed to the splitter when it requests them.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = super().get_metadata_routing()
        if not self._prefit:
            router.add(
                splitter=check_cv(self.cv, classifier=True),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router


# --- Per-class gains for a metric: TunedAdjustmentClassifierCV ----------------------

# Our scorers, recognised as the objectives they stand for.
_SCORER_OBJECTIVES = {
    id(balanced_error_scorer): "balanced_error",
    id(worst_class_error_scorer): "worst_class_error",
    id(geometric_mean_recall_scorer): "geometric_mean_recall",
    id(harmonic_mean_recall_scorer): "harmonic_mean_recall",
}


def _check_objective(scoring):
    """``(recall objective name or None, scorer or None)`` for ``scoring``."""
    if isinstance(scoring, str):
        if scoring in _RECALL_SCORES:
            return scoring, None
        if scoring not in get_scorer_names():
            names = sorted(_RECALL_SCORES)
            close = get_close_matches(scoring, names + get_scorer_names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"The 'scoring' parameter of TunedAdjustmentClassifierCV must be one "
                f"of {names} or a scorer name of sklearn.metrics.get_scorer_names(), "
                f"or a scorer; got {scoring!r}.{hint}"
            )
    elif id(scoring) in _SCORER_OBJECTIVES:
        return _SCORER_OBJECTIVES[id(scoring)], None
    return None, _check_scorer(scoring)


def _check_folds_hold_every_class(splits, codes, classes, objective):
    """A per-class recall needs the class in each validation part: refuse otherwise."""
    for k, (_, test) in enumerate(splits):
        absent = np.flatnonzero(np.bincount(codes[test], minlength=classes.size) == 0)
        if absent.size:
            smallest = int(np.bincount(codes, minlength=classes.size).min())
            raise ValueError(
                f"scoring={objective!r} needs every class in every validation part "
                f"of cv (a per-class recall is undefined without examples), but "
                f"split {k}'s validation part ({len(test)} rows) has no example of "
                f"classes {preview(classes[absent])}. The smallest class has "
                f"{smallest} examples: use a StratifiedKFold with at most that many "
                "splits (cv=int does for a classifier), or merge or drop the "
                "classes that are too small."
            )


def _balanced_scores(spec, data, train, test):
    """One split's model, and its validation part's balanced log-posteriors.

    The scores ``f_y(x) - log pi_y`` (``pi`` the priors of the split's training
    part, or the given priors) in the columns of all the classes, ``-inf`` for a
    class the split's model never saw.
    """
    model, fold_priors = _fit_split(spec, data, train)
    X_test = _safe_indexing(data.X, test)
    n_fold = model.classes_.size
    columns = label_indices(model.classes_, spec.classes)
    out = np.full((len(test), spec.classes.size), -np.inf)
    for rows, X_rows in _row_batches(X_test, spec.batch_size, n_fold):
        scores = _estimator_scores(model, spec.response_method, X_rows, n_fold)
        out[rows, columns] = scores - np.log(fold_priors)
    return out


class _CachedPlugIn(ClassifierMixin, BaseEstimator):
    """The plug-in with given gains on one split's cached scores, for a scorer.

    A scorer calls ``predict`` (or the other methods) on the validation part it
    was given: the answers come from the cached scores, never the model.
    """

    def __init__(self, classes, X, scores):
        self.classes = classes
        self.X = X
        self.scores = scores

    def _use(self, log_gains, codes):
        self.classes_ = self.classes
        self._log_gains = log_gains
        self._codes = codes
        return self

    def _check_X(self, X):
        if X is not self.X:
            raise RuntimeError(
                "The scorer called the estimator on data other than the validation "
                "part it was given; sklearn-lt can only serve that part's scores."
            )

    def _adjusted(self, X):
        self._check_X(X)
        return self.scores + self._log_gains

    def predict(self, X):
        self._check_X(X)
        return self.classes_[self._codes]

    def predict_log_proba(self, X):
        return log_softmax(self._adjusted(X), axis=1)

    def predict_proba(self, X):
        return softmax(self._adjusted(X), axis=1)

    def decision_function(self, X):
        return _binary_log_odds(self._adjusted(X))


def _scorer_objective(scorer, classes, folds, X_tests, y_tests):
    """``score(predictions, log_gains)``: the scorer's mean over the splits."""
    served = [
        _CachedPlugIn(classes, X_test, scores)
        for X_test, scores in zip(X_tests, folds.scores, strict=True)
    ]

    def score(predictions, log_gains):
        total = 0.0
        for plug_in, codes, X_test, y_test, weight in zip(
            served, predictions, X_tests, y_tests, folds.weights, strict=True
        ):
            plug_in._use(log_gains, codes)
            if weight is None:
                total += scorer(plug_in, X_test, y_test)
            else:
                total += scorer(plug_in, X_test, y_test, sample_weight=weight)
        return total / len(served)

    return score


class TunedAdjustmentClassifierCV(_BaseLogitAdjuster):
    r"""A per-class adjustment chosen by cross-validation for the metric you have.

    Predicts

    .. math::

        \hat y(x) = \operatorname{argmax}_y \; f_y(x) - a_y,
        \qquad a_y = \log \pi_y - \log(C\, w_y),

    with :math:`f` the estimator's log-probabilities, :math:`\pi` the class
    priors and :math:`w` per-class *gains* (on the simplex, reported as
    ``gains_``), found on cached out-of-fold scores for the objective in
    ``scoring``. Uniform gains are logit adjustment with ``tau=1``, optimal for
    the balanced error (Menon et al., 2021, "Long-tail learning via logit
    adjustment"); other metrics want other gains. For a metric of the
    confusion matrix, the Bayes-optimal classifier is such a plug-in rule on the
    posterior (Narasimhan, Ramaswamy, Saha & Agarwal, 2015, "Consistent
    multiclass algorithms for complex performance measures"), which this
    estimator searches, the multiclass counterpart of scikit-learn's
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV`.

    As :class:`LogitAdjustedClassifierCV` does for ``tau``, it fits the
    estimator once per split of ``cv``, scores each validation part once, runs
    the optimiser on those cached scores (which never change: only the argmax is
    recomputed), and refits once on all the data.

    The objective and its optimiser (all start from uniform gains):

    ``"balanced_error"``
        The uniform gains, in closed form.
    ``"worst_class_error"``
        Exponentiated-gradient updates of the class multipliers of
        :math:`\min_h \max_y \mathrm{err}_y(h)`, each answered by the plug-in
        with those gains (Narasimhan & Menon, 2021, "Training
        over-parameterized models with non-decomposable objectives").
    ``"geometric_mean_recall"``, ``"harmonic_mean_recall"``
        Frank-Wolfe on the metric of the recall vector, whose linear step is
        the plug-in with the metric's gradient as gains (Narasimhan et al.,
        2015).
    any other scorer
        Coordinate ascent on the log-gains: a black-box local search, each
        class in turn, trying the values at which a prediction changes.

    Each optimiser's guarantee is for a randomised mixture of plug-ins; the
    estimator returns a deterministic one, the plug-in that scored best on the
    validation splits among the candidates it tried (the gradient-method
    iterates, and the plug-in at the mean EG multipliers). At the optimum of
    these metrics the Bayes classifier is such a plug-in (Narasimhan et al.,
    2015). The recall-based objectives are those of the per-class recalls
    averaged over the splits; a scorer's is its mean over the splits.

    Parameters
    ----------
    estimator : estimator instance
        A classifier with ``predict_log_proba`` or ``predict_proba`` (or
        ``decision_function``, see ``response_method``). It is cloned and fitted
        on each split; wrap an already fitted one in
        :class:`~sklearn.frozen.FrozenEstimator` to tune the gains for it
        without refitting it.

    scoring : str or callable, default="worst_class_error"
        What the gains are chosen for; greater is better. One of
        ``"worst_class_error"``, ``"geometric_mean_recall"``,
        ``"harmonic_mean_recall"``, ``"balanced_error"`` (the error objectives
        are minimised, reported negated), the matching scorers of
        :mod:`sklearn_lt.metrics`, or any other scorer name or scorer
        ``scoring(estimator, X, y)``, searched by coordinate ascent. A metric
        function (``metric(y_true, y_pred)``) is refused: wrap it in
        :func:`sklearn.metrics.make_scorer`.

    priors : "train", array-like of shape (n_classes,) or dict, default="train"
        Class priors :math:`\pi` of the training data, as in
        :class:`LogitAdjustedClassifierCV`: the gains are relative to the
        balanced posterior :math:`p(y \mid x) / \pi_y`.

    response_method : str, default="auto"
        Which output of the estimator gives the scores, as in
        :class:`LogitAdjustedClassifier`.

    cv : int, cross-validation generator or iterable, default=None
        Splitting strategy, as in :func:`sklearn.model_selection.check_cv`;
        ``None`` is 5-fold stratified. With a recall-based objective every
        validation part must hold every class.

    refit : bool, default=True
        Whether to refit the estimator on all the data. With ``refit=False``
        only the search results are kept and the tuner cannot predict. A
        ``FrozenEstimator`` is used as it is.

    max_iter : int, default=100
        Most iterations of the optimiser (for coordinate ascent, passes over
        the classes; it ends earlier when a pass changes nothing).

    n_jobs : int, default=None
        Number of splits fitted in parallel, as in
        :class:`LogitAdjustedClassifierCV`.

    batch_size : int or None, default=None
        Rows scored at once, as in :class:`LogitAdjustedClassifier`. The
        search itself holds the validation scores of all the rows:
        ``8 * n_samples * n_classes`` bytes.

    target_priors : array-like of shape (n_classes,), dict or None, default=None
        Class priors of the data the model will meet. A per-class recall does
        not depend on the class mix, so the recall-based objectives (and the
        chosen gains) are the same for any target priors; a scorer is
        evaluated with each validation example weighted by
        :math:`\pi^t_y / \pi_y`, which estimates its value under the target
        mix. ``None``: the training mix.

    Attributes
    ----------
    adjustment_ : ndarray of shape (n_classes,)
        The subtracted vector :math:`a`, aligned with ``classes_``: equal to
        ``log(priors_)`` (``tau=1``) for uniform gains.

    gains_ : ndarray of shape (n_classes,)
        The gains :math:`w`, summing to 1.

    best_score_ : float
        The objective of the chosen gains on the validation splits (for an
        error, minus the error).

    best_index_ : int
        Index of the chosen candidate in ``cv_results_``.

    cv_results_ : dict of ndarray
        One entry per candidate the optimiser tried, in order: ``"score"``
        (the objective), ``"gains"`` (shape (n_candidates, n_classes)) and, for
        the recall-based objectives, ``"recall"`` (the per-class validation
        recall averaged over the splits, same shape).

    optimizer_ : str
        ``"closed form"``, ``"exponentiated gradient"``, ``"Frank-Wolfe"`` or
        ``"coordinate ascent"``.

    n_iter_ : int
        Iterations the optimiser ran.

    n_splits_ : int
        Number of cross-validation splits.

    estimator_ : estimator instance
        The estimator refitted on all the data (the ``FrozenEstimator`` itself
        when one was given); absent with ``refit=False``.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    priors_ : ndarray of shape (n_classes,)
        Class priors of all the data, aligned with ``classes_``.

    class_counts_ : ndarray of shape (n_classes,)
        Number of examples of each class in ``y``.

    n_features_in_ : int
        Number of features seen by the estimator during ``fit``, where it has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator during ``fit``, where it has them.

    See Also
    --------
    LogitAdjustedClassifierCV : The scalar ``tau`` by cross-validation.
    CostSensitiveClassifier : The Bayes rule for a known cost matrix, which
        needs no search.
    sklearn.model_selection.TunedThresholdClassifierCV : The same idea for two
        classes, a threshold instead of gains.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import TunedAdjustmentClassifierCV
    >>> from sklearn_lt.metrics import worst_class_error
    >>> X, y = make_classification(
    ...     n_samples=3000, n_classes=3, n_informative=4, weights=[0.8, 0.15],
    ...     random_state=0,
    ... )
    >>> model = TunedAdjustmentClassifierCV(LogisticRegression()).fit(X, y)
    >>> model.optimizer_, model.gains_.shape
    ('exponentiated gradient', (3,))
    >>> bool(-model.best_score_ < 0.5)  # the worst class's validation error
    True
    """

    _follows_namespace = True

    _parameter_constraints: dict = {
        **_BaseLogitAdjuster._parameter_constraints,
        "scoring": [str, callable],
        "cv": ["cv_object"],
        "refit": ["boolean"],
        "max_iter": [Number(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        scoring="worst_class_error",
        priors="train",
        response_method="auto",
        cv=None,
        refit=True,
        max_iter=100,
        n_jobs=None,
        batch_size=None,
        target_priors=None,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.priors = priors
        self.response_method = response_method
        self.cv = cv
        self.refit = refit
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.target_priors = target_priors

    def _prediction_plan(self):
        _refuse_changed_search(self, "gains_ were")
        return self._response_method, _on_host(self.adjustment_)

    def _check_can_predict(self):
        if hasattr(self, "gains_") and not hasattr(self, "estimator_"):
            raise AttributeError(
                "This TunedAdjustmentClassifierCV was fitted with refit=False, so "
                "it has no model to predict with; fit again with refit=True."
            )
        return True

    @_fit_context(
        # the wrapped estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Choose the gains by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Training data (for a ``FrozenEstimator``: held-out validation data).

        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the examples, for the priors and the estimator's ``fit``,
            as in :meth:`LogitAdjustedClassifier.fit`. The validation scores are
            not weighted.

        **fit_params : dict
            Other parameters for the estimator's ``fit`` (with metadata routing
            enabled, also ``groups`` for the splitter, when requested).

        Returns
        -------
        self : TunedAdjustmentClassifierCV
            The fitted tuner.
        """
        # Cheap checks first: nothing is fitted before all of them pass.
        objective, scorer = _check_objective(self.scoring)
        frozen = _check_frozen(self.estimator)
        given = _check_fit_input(self, frozen, X, y, sample_weight, fit_params)
        cv = check_cv(self.cv, given.labels, classifier=True)
        splits = list(cv.split(given.X, given.labels, **given.routed.splitter.split))
        codes = label_indices(given.labels, given.classes)
        if objective is not None:
            _check_folds_hold_every_class(splits, codes, given.classes, objective)
        spec = _sweep_spec(self, frozen, given, scorer)
        data = given.search_data()
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(_balanced_scores)(spec, data, train, test) for train, test in splits
        )
        split_codes = [codes[test] for _, test in splits]
        search = self._search(objective, scorer, given, splits, split_codes, scores)

        self.optimizer_ = search.method
        self.n_iter_ = search.n_iter
        self.n_splits_ = len(splits)
        self.best_index_ = search.best_index
        self.best_score_ = search.score
        self.gains_ = np.exp(search.log_gains)
        self.cv_results_ = {
            "score": np.asarray(search.history["score"]),
            "gains": np.exp(np.vstack(search.history["log_gains"])),
        }
        if objective is not None:
            self.cv_results_["recall"] = np.vstack(search.recall_history)
        if _refit(self, given, keep_given=frozen and self.refit):
            self.adjustment_ = np.log(self.priors_) - np.log(
                given.classes.size * self.gains_
            )
        _to_fit_device(self, given, ("gains_", "adjustment_", *_FITTED_ARRAYS))
        return self

    def _search(self, objective, scorer, given, splits, codes, scores):
        """Run the objective's optimiser on the splits' cached scores."""
        if objective is not None:
            folds = ValidationScores(scores, codes)
            if objective == "balanced_error":
                return balanced_gains(folds)
            if objective == "worst_class_error":
                return worst_class_gains(folds, max_iter=self.max_iter)
            return frank_wolfe_gains(folds, objective, max_iter=self.max_iter)
        weights = None
        if self.target_priors is not None:
            # Importance weights: the validation rows follow the data's class mix.
            ratio = given.target_priors / given.class_counts
            weights = [ratio[code] for code in codes]
        folds = ValidationScores(scores, codes, weights)
        X_tests = [_safe_indexing(given.X, test) for _, test in splits]
        y_tests = [_safe_indexing(given.y, test) for _, test in splits]
        score = _scorer_objective(scorer, given.classes, folds, X_tests, y_tests)
        return coordinate_ascent_gains(folds, score, max_iter=self.max_iter)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``sample_weight`` is consumed by the priors and routed to the estimator's
        ``fit`` when it requests it; ``groups`` and other split parameters are
        routed to the splitter when it requests them.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            super()
            .get_metadata_routing()
            .add(
                splitter=check_cv(self.cv, classifier=True),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )
