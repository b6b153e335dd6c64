r"""``CostSensitiveClassifier``: the Bayes rule for a cost matrix, post hoc.

Elkan (2001), "The foundations of cost-sensitive learning", IJCAI. With a cost
``cost[y, k]`` for predicting class ``k`` on an example of class ``y`` and a
posterior ``p(y|x)``, the prediction of least expected cost is

    argmin_k  sum_y cost[y, k] * p(y|x).

The posterior may first be moved to other class priors (label shift), as logit
adjustment does (Menon et al., 2021); the costs ``[y != k] / pi_y`` give back logit
adjustment with ``tau=1``.
"""

import warnings
from collections.abc import Mapping

import numpy as np
from scipy.special import log_softmax, logsumexp
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import gen_batches, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat import _fit_context
from ._namespace import check_numpy_estimator
from ._posthoc import (
    _BaseLogitAdjuster,
    _batch_rows,
    _binary_log_odds,
    _can_predict,
    _check_targets,
    _check_two_classes,
    _fit_estimator,
    _prior_shift,
    _resolve_priors,
    _resolve_response_method,
    _resolve_target_priors,
)
from ._validation import preview
from .metrics import _check_cost_matrix, _warn_free_rows

__all__ = ["CostSensitiveClassifier"]

# The score of a prediction that costs nothing (an all-zero column of the cost
# matrix), -log(0) = +inf, is reported as the largest float64 so that
# decision_function stays finite (and its binary difference never inf - inf).
_FREE = np.finfo(np.float64).max
_LOG_HALF = np.log(0.5)


def _zero_one(n_classes):
    return 1.0 - np.eye(n_classes)


def _log_costs(cost):
    """``log(cost)`` with ``log(0) = -inf``; None for the 0-1 cost (a fast path)."""
    if np.array_equal(cost, _zero_one(cost.shape[0])):
        return None
    log_cost = np.full(cost.shape, -np.inf)
    positive = cost > 0
    log_cost[positive] = np.log(cost[positive])
    return log_cost


def _log_one_minus(log_proba):
    """``log(1 - p_k)`` for every class: the log expected 0-1 cost, in O(C) a row.

    For ``p_k <= 1/2``, ``log1p(-p_k)`` loses nothing; the one class of a row
    with ``p_k > 1/2`` (there is at most one, so no tie) gets the log-sum-exp of
    the other classes' log-probabilities, which stays exact where ``1 - p_k``
    would round to 0.
    """
    out = np.empty_like(log_proba)
    dominant = log_proba > _LOG_HALF
    out[~dominant] = np.log1p(-np.exp(log_proba[~dominant]))
    rows, columns = np.nonzero(dominant)
    if rows.size:
        others = log_proba[rows]
        others[np.arange(rows.size), columns] = -np.inf
        out[rows, columns] = logsumexp(others, axis=1)
    return out


def _log_expected_costs(log_proba, log_cost):
    r"""``log E[n, k] = logsumexp_y(log p(y | x_n) + log cost[y, k])``.

    The ``(rows, C, C)`` terms are summed a block of rows at a time, a block
    taking the memory of one batch of scores (see ``batch_size``).
    """
    if log_cost is None:
        return _log_one_minus(log_proba)
    n_rows, n_classes = log_proba.shape
    out = np.empty_like(log_proba)
    if n_rows == 0:
        return out
    block = max(_batch_rows(None, n_rows, n_classes * n_classes), 1)
    for rows in gen_batches(n_rows, block):
        terms = log_proba[rows, :, None] + log_cost[None, :, :]
        out[rows] = logsumexp(terms, axis=1)
    return out


def _least_cost_scores(scores, log_cost):
    """Minus the log expected cost of each prediction, from shifted log-scores."""
    log_e = _log_expected_costs(log_softmax(scores, axis=1), log_cost)
    return np.minimum(np.negative(log_e, out=log_e), _FREE, out=log_e)


def _warn_free_costs(cost, classes, stacklevel):
    """Warn of all-zero rows (free errors) and columns (free predictions)."""
    _warn_free_rows(cost, classes, stacklevel + 1)
    free = np.flatnonzero(~cost.any(axis=0))
    if free.size:
        warnings.warn(
            f"cost_matrix has all-zero columns for classes {preview(classes[free])}: "
            "predicting them costs nothing whatever the true class, so every "
            f"example is predicted as {classes[free[0]]!r}. If that is not meant, "
            "give those columns their costs.",
            UserWarning,
            stacklevel=stacklevel,
        )


class CostSensitiveClassifier(_BaseLogitAdjuster):
    r"""The prediction of least expected cost, on any probabilistic classifier.

    Fits (a clone of) ``estimator`` as usual and predicts the class of least
    expected cost under a cost matrix (Elkan, 2001, "The foundations of
    cost-sensitive learning"):

    .. math::

        \hat y(x) = \operatorname{argmin}_k \; \sum_y c(y, k) \, p_t(y \mid x),

    where :math:`c(y, k)` is the cost of predicting class :math:`k` for an
    example of class :math:`y` and :math:`p_t(y \mid x)` the estimator's
    posterior, moved to the target class priors :math:`\pi^t` when they are
    given (label shift, as in logit adjustment, Menon et al., 2021):

    .. math::

        p_t(y \mid x) \propto p(y \mid x) \, \pi^t_y / \pi_y .

    With calibrated probabilities this is the Bayes-optimal rule for the cost
    (:func:`sklearn_lt.metrics.expected_cost`). The 0-1 cost gives the most
    probable class; the costs :math:`c(y, k) = [y \neq k] / \pi_y` give logit
    adjustment with ``tau=1`` (the balanced error); for two classes, the costs
    ``[[0, c01], [c10, 0]]`` predict ``classes_[1]`` where
    :math:`p_t(1 \mid x) > c_{01} / (c_{01} + c_{10})`, a threshold. The
    parameters of the rule are read when predicting, so ``set_params`` after
    ``fit`` changes the next prediction; they are validated then with the
    checks of ``fit``, and ``cost_matrix_``, ``priors_`` and ``target_priors_``
    follow them.

    Parameters
    ----------
    estimator : estimator instance
        A classifier with ``predict_log_proba`` or ``predict_proba`` (or
        ``decision_function``, see ``response_method``). It is cloned and fitted
        in ``fit``; wrap an already fitted one in
        :class:`sklearn.frozen.FrozenEstimator` to use it without refitting.

    cost_matrix : {array-like of shape (n_classes, n_classes), dict}, default=None
        The costs :math:`c(y, k)`: finite and >= 0, rows the true class and
        columns the prediction, in the order of ``classes_``. Or a dict
        ``{(true, predicted): cost}`` of label pairs; the pairs it does not name
        cost 1 off the diagonal and 0 on it (the 0-1 loss, as a
        ``class_weight`` dict leaves the classes it does not name at 1).
        ``None`` is the 0-1 cost: the most probable class under
        :math:`p_t`. Adding a constant to a row changes no prediction. An
        all-zero row (that class's errors cost nothing) or column (predicting
        that class costs nothing, so it is always predicted) is legal but
        warned of.

    priors : "train", array-like of shape (n_classes,) or dict, default="train"
        Class priors :math:`\pi` of the estimator's posterior, used with
        ``target_priors``. ``"train"`` estimates them from the labels (and
        ``sample_weight``) passed to ``fit``. Otherwise one positive prior per
        class in the order of ``classes_``, or a dict ``{label: prior}``; they
        are normalised to sum to 1.

    target_priors : array-like of shape (n_classes,), dict or None, default=None
        Class priors :math:`\pi^t` of the data the model will meet, in any form
        ``priors`` accepts. ``None`` keeps the estimator's posterior as it is
        (the training class mix, :math:`\pi^t = \pi`). Estimate them from
        unlabeled data with
        :func:`sklearn_lt.label_shift.estimate_target_priors`.

    response_method : str, default="auto"
        Which output of the estimator gives its log-posterior: one of
        ``"auto"``, ``"predict_log_proba"``, ``"predict_proba"`` or
        ``"decision_function"``, as in :class:`LogitAdjustedClassifier`.
        ``"auto"`` uses ``predict_log_proba``, else the log of
        ``predict_proba`` (probabilities clipped to the smallest positive
        float, so zeros stay finite). ``"decision_function"`` treats the
        decision function as logits, right for models trained with the log loss
        and wrong for margins (``SVC``): calibrate those with
        :class:`~sklearn.calibration.CalibratedClassifierCV`.

    batch_size : int or None, default=None
        Rows of ``X`` scored at once by the prediction methods, as in
        :class:`LogitAdjustedClassifier`. A cost matrix that is not the 0-1 one
        takes ``n_classes`` times more memory per row for the sum over the true
        classes, which is made a block of rows at a time within the same
        memory. The results do not depend on it.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted estimator (the ``FrozenEstimator`` itself when one was given).

    classes_ : ndarray of shape (n_classes,)
        Class labels, as in ``estimator_.classes_``.

    cost_matrix_ : ndarray of shape (n_classes, n_classes)
        The checked cost matrix, rows and columns aligned with ``classes_`` (the
        0-1 cost for ``cost_matrix=None``). It follows ``cost_matrix`` when it
        is changed after ``fit``.

    priors_ : ndarray of shape (n_classes,)
        Class priors :math:`\pi` of the estimator's posterior, aligned with
        ``classes_``: ``train_priors_`` for ``priors="train"``, else the given
        priors. They follow ``priors`` when it is changed after ``fit``.

    target_priors_ : ndarray of shape (n_classes,)
        Target class priors :math:`\pi^t`, aligned with ``classes_``:
        ``priors_`` when ``target_priors=None``. They follow ``target_priors``
        when it is changed after ``fit``.

    train_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the ``y`` given to ``fit`` (weighted by
        ``sample_weight``), aligned with ``classes_``.

    class_counts_ : ndarray of shape (n_classes,)
        Number of examples of each class in the ``y`` given to ``fit`` (not
        weighted), aligned with ``classes_``.

    n_features_in_ : int
        Number of features seen by the estimator during ``fit``, where it has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator during ``fit``, where it has them.

    See Also
    --------
    LogitAdjustedClassifier : The rule for the balanced error (or a target
        prior), with a scale ``tau``.
    sklearn.model_selection.FixedThresholdClassifier : The two-class rule at a
        given threshold.
    sklearn_lt.metrics.expected_cost : The cost this estimator minimises.

    Notes
    -----
    ``predict_proba`` and ``predict_log_proba`` return :math:`p_t(y \mid x)`,
    the posterior the rule weighs the costs with; their argmax is in general
    **not** the prediction (as for scikit-learn's
    :class:`~sklearn.model_selection.FixedThresholdClassifier`), except for the
    0-1 cost. ``decision_function`` returns minus the log expected cost of each
    prediction, :math:`-\log \sum_y c(y, k) \, p_t(y \mid x)`, computed in log
    space (a log-sum-exp over the true classes, zero costs as
    :math:`\log 0 = -\infty`), so that ``predict`` is its argmax; a free
    prediction (an all-zero column) scores the largest float64. For two classes
    it is the difference of the second and first columns, as scikit-learn's
    binary classifiers return.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import CostSensitiveClassifier
    >>> from sklearn_lt.metrics import expected_cost
    >>> X, y = make_classification(
    ...     n_samples=2000, weights=[0.9], flip_y=0, class_sep=0.5, random_state=0
    ... )
    >>> cost = {(1, 0): 10.0}  # missing the rare class costs 10, a false alarm 1
    >>> base = LogisticRegression().fit(X, y)
    >>> model = CostSensitiveClassifier(LogisticRegression(), cost).fit(X, y)
    >>> model.cost_matrix_
    array([[ 0.,  1.],
           [10.,  0.]])
    >>> def cost_of(classifier):
    ...     return expected_cost(y, classifier.predict(X), cost)
    >>> cost_of(model) < cost_of(base)
    True
    """

    _parameter_constraints: dict = {
        **_BaseLogitAdjuster._parameter_constraints,
        "cost_matrix": [None, "array-like", Mapping],
    }

    _prediction_params = ("cost_matrix", *_BaseLogitAdjuster._prediction_params)

    def __init__(
        self,
        estimator,
        cost_matrix=None,
        *,
        priors="train",
        target_priors=None,
        response_method="auto",
        batch_size=None,
    ):
        self.estimator = estimator
        self.cost_matrix = cost_matrix
        self.priors = priors
        self.target_priors = target_priors
        self.response_method = response_method
        self.batch_size = batch_size

    def _checked_cost(self, classes):
        """``cost_matrix`` as a checked array aligned with ``classes``, no warning."""
        if self.cost_matrix is None:
            return _zero_one(len(classes))
        return _check_cost_matrix(
            self.cost_matrix, classes, classes_name="classes_", warn=False
        )

    def _current_cost(self, stacklevel):
        """The cost matrix the predictions use; fit's warnings if it changed since."""
        self._validate_prediction_params()
        cost = self._checked_cost(self.classes_)
        if not np.array_equal(cost, self._fitted_cost):
            _warn_free_costs(cost, self.classes_, stacklevel + 1)
        return cost

    @property
    def cost_matrix_(self):
        """The cost matrix :math:`c(y, k)`, rows and columns aligned with ``classes_``.

        It follows the ``cost_matrix`` parameter, also when it is changed after
        ``fit`` (the 0-1 cost for ``None``).
        """
        check_is_fitted(self)
        return self._current_cost(stacklevel=3)

    @property
    def priors_(self):
        """Class priors :math:`\\pi` of the estimator's posterior, as ``classes_``.

        They follow the ``priors`` parameter, also when it is changed after
        ``fit``: ``train_priors_`` for ``"train"``, else the given priors.
        """
        check_is_fitted(self)
        return self._current_priors()

    @property
    def target_priors_(self):
        """Target class priors :math:`\\pi^t`, aligned with ``classes_``.

        They follow the ``target_priors`` parameter, also when it is changed
        after ``fit`` (``priors_`` for ``None``).
        """
        check_is_fitted(self)
        if self.target_priors is None:
            return self._current_priors()
        return self._current_target_priors()

    def _prediction_plan(self):
        self._validate_prediction_params()
        method = _resolve_response_method(self.estimator_, self.response_method)
        if self.target_priors is None:
            return method, 0.0  # the posterior as the estimator gives it
        target = self._current_target_priors()
        return method, _prior_shift(1.0, self._current_priors(), target)

    def _cost_batched(self, X, transform):
        """``transform`` of minus the log expected costs, a batch of rows at a time."""
        check_is_fitted(self)
        # Two frames up: the public method, then its caller.
        log_cost = _log_costs(self._current_cost(stacklevel=4))
        return self._batched(
            X, lambda scores: transform(_least_cost_scores(scores, log_cost))
        )

    @_fit_context(
        # the wrapped estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Check the costs, fit the estimator and estimate the class priors.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Training data, passed to the estimator as it is.

        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the examples. They weight the class priors (with
            ``priors="train"``) and are passed to the estimator's ``fit``; with
            metadata routing enabled, the estimator must request them.

        **fit_params : dict
            Other parameters for the estimator's ``fit``. With metadata routing
            enabled, they are routed by the estimator's requests.

        Returns
        -------
        self : CostSensitiveClassifier
            The fitted estimator.
        """
        check_numpy_estimator(self, X=X, y=y, sample_weight=sample_weight)
        X, y = indexable(X, y)
        labels = _check_targets(y)

        # Everything below up to the estimator's fit is cheap: fail before it.
        frozen = isinstance(self.estimator, FrozenEstimator)
        estimator = clone(self.estimator)
        _resolve_response_method(estimator, self.response_method)
        known = estimator.classes_ if frozen else np.unique(labels)
        classes = _check_two_classes(known)
        self._count_classes(labels, classes)  # a prefit model's unknown labels
        # Past this method and _fit_context's wrapper, at fit's caller.
        _warn_free_costs(self._checked_cost(classes), classes, stacklevel=4)
        _resolve_priors(self.priors, labels, classes, sample_weight)
        if self.target_priors is not None:
            _resolve_target_priors(self.target_priors, classes)
        params = self._fit_params(estimator, frozen, sample_weight, fit_params)

        fitted = _fit_estimator(estimator, X, y, **params.estimator.fit)
        self._set_fitted(fitted, labels, sample_weight)
        # Aligned with the fitted estimator's classes_, which may order them anew.
        self._fitted_cost = self._checked_cost(self.classes_)
        return self

    @available_if(_can_predict)
    def decision_function(self, X):
        r"""Minus the log expected cost of each prediction.

        :math:`-\log \sum_y c(y, k) \, p_t(y \mid x)` for each class :math:`k`
        (the largest float64 for a prediction that costs nothing).

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            One column per class of ``classes_``; ``predict`` is the argmax. For
            two classes, the difference of the second and first (the log of the
            ratio of the expected costs of predicting ``classes_[0]`` and
            ``classes_[1]``), as scikit-learn's binary classifiers return.
        """
        return self._cost_batched(X, _binary_log_odds)

    @available_if(_can_predict)
    def predict(self, X):
        """Predict the class of least expected cost.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        best = self._cost_batched(X, lambda scores: np.argmax(scores, axis=1))
        return self.classes_[best]

    @available_if(_can_predict)
    def predict_proba(self, X):
        r"""The posterior the costs are weighed with, :math:`p_t(y \mid x)`.

        The estimator's posterior, moved to ``target_priors`` when they are
        given: :math:`p_t(y \mid x) \propto p(y \mid x) \, \pi^t_y / \pi_y`.
        Its argmax is not the prediction, unless the cost is 0-1.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return super().predict_proba(X)

    @available_if(_can_predict)
    def predict_log_proba(self, X):
        r"""Log of the posterior the costs are weighed with, :math:`p_t(y \mid x)`.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return super().predict_log_proba(X)
