"""CostSensitiveClassifier: the Bayes rule for a cost matrix (Elkan, 2001)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from _data import gaussian_classes, long_tailed_classification
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax, logsumexp, softmax
from scipy.stats import norm
from sklearn import config_context
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.naive_bayes import GaussianNB

from sklearn_lt import (
    CostSensitiveClassifier,
    LogitAdjustedClassifier,
    LogitsClassifier,
)
from sklearn_lt._compat import InvalidParameterError
from sklearn_lt.metrics import expected_cost


def _frozen_logits(logits, classes):
    """A prefit model whose log-posterior is ``log_softmax(logits)``; X = logits."""
    return FrozenEstimator(LogitsClassifier(classes=classes).fit(logits))


def _margin(values):
    """Gap between the best and second best entry of each row."""
    top = np.sort(values, axis=1)
    return top[:, -1] - top[:, -2]


def _frequencies(y, classes):
    return np.array([np.mean(y == c) for c in classes])


# --- the rule against independent computations -------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(max_iter=1000),
        GaussianNB(),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ],
    ids=["logreg", "gaussian_nb", "hist_gb"],
)
@pytest.mark.parametrize("as_frame", [False, True])
def test_costs_over_priors_give_logit_adjustment_with_tau_one(estimator, as_frame):
    X_train, y_train, X_test, _ = gaussian_classes(seed=1)  # string labels
    if as_frame:
        columns = ["a", "b", "c"]
        X_train = pd.DataFrame(X_train, columns=columns)
        X_test = pd.DataFrame(X_test, columns=columns)
    adjusted = LogitAdjustedClassifier(estimator, tau=1.0).fit(X_train, y_train)
    classes = adjusted.classes_
    pi = _frequencies(y_train, classes)
    cost = (1.0 - np.eye(classes.size)) / pi[:, None]  # [y != k] / pi_y
    model = CostSensitiveClassifier(estimator, cost).fit(X_train, y_train)
    assert_array_equal(model.classes_, classes)
    assert_array_equal(model.predict(X_test), adjusted.predict(X_test))
    assert_array_equal(model.predict(X_train), adjusted.predict(X_train))


def test_zero_one_cost_with_target_priors_gives_logit_adjustment():
    X, y = long_tailed_classification(n_samples=600, n_classes=4, seed=2)
    target = np.array([0.1, 0.2, 0.3, 0.4])
    base = LogisticRegression(max_iter=1000)
    adjusted = LogitAdjustedClassifier(base, target_priors=target).fit(X, y)
    model = CostSensitiveClassifier(base, target_priors=target).fit(X, y)
    assert_array_equal(model.predict(X), adjusted.predict(X))
    # Both are softmax(log p - log pi + log pi^t), normalised by different code:
    # probabilities in [0, 1], a few eps64 apart.
    assert_allclose(model.predict_proba(X), adjusted.predict_proba(X), atol=1e-14)
    assert_allclose(model.target_priors_, target)
    assert_allclose(model.priors_, _frequencies(y, model.classes_))


@pytest.mark.parametrize("c01, c10", [(1.0, 1.0), (1.0, 9.0), (5.0, 1.0), (0.3, 2.0)])
def test_two_classes_equal_fixed_threshold_at_the_cost_implied_threshold(c01, c10):
    X, y = long_tailed_classification(n_samples=800, n_classes=2, seed=3)
    base = LogisticRegression().fit(X, y)
    threshold = c01 / (c01 + c10)
    reference = FixedThresholdClassifier(
        FrozenEstimator(base), threshold=threshold, response_method="predict_proba"
    ).fit(X, y)
    cost = np.array([[0.0, c01], [c10, 0.0]])
    model = CostSensitiveClassifier(FrozenEstimator(base), cost).fit(X, y)
    p1 = base.predict_proba(X)[:, 1]
    # Our posterior is softmax(log predict_proba): a few eps64 from predict_proba.
    # Rows that close to the threshold are ties, which the two break differently
    # (see test_exact_tie_at_the_threshold_predicts_the_first_class).
    clear = np.abs(p1 - threshold) > 1e-12
    assert clear.mean() > 0.99
    assert_array_equal(model.predict(X)[clear], reference.predict(X)[clear])
    assert_array_equal(model.predict(X)[clear], (p1[clear] > threshold).astype(int))
    # The binary decision is log(E_0 / E_1) = log(c10 p1 / (c01 p0)); O(10)
    # log-values, rounded a few eps64 apart.
    p = base.predict_proba(X)
    expected = np.log(c10 * p[:, 1]) - np.log(c01 * p[:, 0])
    atol = rounding_atol(expected, np.log(p))
    assert_allclose(model.decision_function(X), expected, rtol=0, atol=atol)


def test_exact_tie_at_the_threshold_predicts_the_first_class():
    # p1 = 0.5 exactly and the 0-1 cost: both predictions cost 0.5. The rule
    # predicts classes_[0] (the first of the cheapest), FixedThresholdClassifier
    # classes_[1] (p1 >= threshold); either is optimal.
    logits = np.array([[0.0, 0.0], [0.0, 1.0]])
    model = CostSensitiveClassifier(_frozen_logits(logits, ["a", "b"])).fit(
        logits, ["a", "b"]
    )
    assert_array_equal(model.predict(logits), ["a", "b"])
    assert model.decision_function(logits)[0] == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_target_priors_rule_equals_brute_force_on_reweighted_posteriors(seed):
    rng = np.random.default_rng(seed)
    n_classes = 5
    logits = rng.normal(scale=2.0, size=(400, n_classes))
    y = rng.choice(n_classes, size=400, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    cost = rng.uniform(0, 10, (n_classes, n_classes))
    np.fill_diagonal(cost, 0.0)
    cost[0, 3] = 0.0  # a free mistake: log(0) = -inf inside the log-sum-exp
    target = rng.dirichlet(np.ones(n_classes))
    model = CostSensitiveClassifier(
        _frozen_logits(logits, np.arange(n_classes)), cost, target_priors=target
    ).fit(logits, y)

    pi = np.bincount(y, minlength=n_classes) / y.size
    p = softmax(logits, axis=1) * target / pi
    p /= p.sum(axis=1, keepdims=True)
    expected_costs = p @ cost  # brute force in linear space: E[n, k]
    # Reweighted probabilities: O(1) values, a few roundings apart.
    assert_allclose(model.predict_proba(logits), p, rtol=0, atol=1e-14)
    # Minus the log of costs of O(1..10): a few eps64 of log(max cost).
    assert_allclose(
        model.decision_function(logits),
        -np.log(expected_costs),
        rtol=0,
        atol=rounding_atol(np.log(expected_costs)),
    )
    clear = _margin(-expected_costs) > 1e-9  # ties within rounding excluded
    assert clear.mean() > 0.99
    assert_array_equal(
        model.predict(logits)[clear], expected_costs.argmin(axis=1)[clear]
    )


def test_zero_one_cost_stays_exact_for_confident_rows():
    # 1 - p_0 = e^-800 + e^-900 underflows in linear space; in log space it is
    # -800 - log1p(e^-100): the decision of class 0 is 800.
    # The logits themselves (predict_log_proba would be clipped at log(tiny)).
    logits = np.array([[0.0, -800.0, -900.0], [0.0, 0.1, 0.2], [-3.0, 2.0, 1.0]])
    frozen = _frozen_logits(logits, [0, 1, 2])
    model = CostSensitiveClassifier(frozen, response_method="decision_function")
    model.fit(logits, [0, 1, 2])
    log_p = log_softmax(logits, axis=1)
    expected = np.array(
        [[-logsumexp(np.delete(row, k)) for k in range(3)] for row in log_p]
    )
    # O(800) log-values: rounding of eps64 times them.
    atol = rounding_atol(expected)
    decision = model.decision_function(logits)
    assert_allclose(decision, expected, rtol=0, atol=atol)
    assert_allclose(decision[0, 0], 800.0, rtol=1e-15)  # log1p(e^-100) < 1e-43
    assert_array_equal(model.predict(logits), log_p.argmax(axis=1))
    # The general log-sum-exp path (twice the 0-1 cost is not the 0-1 cost) gives
    # the same decision, lowered by log 2.
    scaled = CostSensitiveClassifier(
        frozen, 2.0 * (1 - np.eye(3)), response_method="decision_function"
    ).fit(logits, [0, 1, 2])
    assert_allclose(scaled.decision_function(logits), expected - np.log(2), atol=atol)


def test_blocked_sum_and_batches_do_not_change_the_results():
    rng = np.random.default_rng(4)
    n_classes = 100
    logits = rng.normal(size=(700, n_classes))
    cost = rng.uniform(0, 1, (n_classes, n_classes))
    frozen = _frozen_logits(logits, np.arange(n_classes))
    y = np.arange(700) % n_classes
    model = CostSensitiveClassifier(frozen, cost).fit(logits, y)
    whole = model.decision_function(logits)
    # 1 MiB of working memory: 3 rows per block of (rows, C, C) terms, 327 rows per
    # batch of scores, so both loops run; each row is computed alike.
    with config_context(working_memory=1):
        assert_array_equal(model.decision_function(logits), whole)
    model.set_params(batch_size=7)
    assert_array_equal(model.decision_function(logits), whole)
    assert_array_equal(model.predict(logits), np.argmax(whole, axis=1))


# --- a problem with known posteriors ------------------------------------------------

_MEANS = np.array([-2.0, 0.0, 2.0])
_PRIORS = np.array([0.6, 0.3, 0.1])
# Missing the rare class 2 costs 20 (as 0 or 1) or 10; other mistakes cost 1-5.
_COST = np.array([[0.0, 1.0, 2.0], [5.0, 0.0, 1.0], [20.0, 10.0, 0.0]])


def _log_joint(x):
    """log pi_y + log N(x | mu_y, 1): the true log-posterior up to a constant."""
    return np.log(_PRIORS) + norm.logpdf(x[:, None], loc=_MEANS)


def _risk(predict, n_grid=400_001):
    """Exact expected cost of a rule, by the trapezoid rule on [-12, 12].

    The integrand sum_y cost[y, h(x)] pi_y N(x | mu_y) is smooth but at the rule's
    few switching points; with h = 6e-5 the integration error is below 1e-6,
    and the tails beyond |x| = 10 hold less than 1e-20 of the mass.
    """
    x = np.linspace(-12.0, 12.0, n_grid)
    joint = np.exp(_log_joint(x))  # (n_grid, 3): pi_y N(x | mu_y)
    integrand = np.take_along_axis(joint @ _COST, predict(x)[:, None], axis=1)[:, 0]
    return np.trapezoid(integrand, x)


def _bayes(x):
    return (np.exp(_log_joint(x)) @ _COST).argmin(axis=1)


def _sample(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=_PRIORS)
    return rng.normal(_MEANS[y], 1.0), y


def test_true_posteriors_attain_the_minimum_expected_cost():
    x_fit, y_fit = _sample(0, 3000)
    logits_fit = _log_joint(x_fit)
    frozen = _frozen_logits(logits_fit, [0, 1, 2])
    model = CostSensitiveClassifier(frozen, _COST, priors=_PRIORS).fit(
        logits_fit, y_fit
    )

    def rule(x):
        return model.predict(_log_joint(x))

    minimum = _risk(_bayes)  # Bayes risk: the rule of least cost at every x
    argmax = _risk(lambda x: _log_joint(x).argmax(axis=1))
    # The rule's own risk equals the minimum: they differ only where the
    # argmin is tied, a set of measure 0 (integration error < 1e-6, above).
    assert_allclose(_risk(rule), minimum, rtol=0, atol=1e-6)
    assert argmax > minimum + 0.05  # argmax p(y|x) is clearly worse here

    for seed in range(1, 4):
        x, y = _sample(seed, 20_000)
        costs = _COST[y, rule(x)]
        se = costs.std(ddof=1) / np.sqrt(costs.size)
        # Monte Carlo: within 3 standard errors of the true minimum.
        assert abs(costs.mean() - minimum) < 3 * se
        # And clearly below the argmax rule's cost on the same sample.
        argmax_costs = _COST[y, _log_joint(x).argmax(axis=1)]
        assert argmax_costs.mean() - costs.mean() > 5 * se
        # The sample cost is the metric's.
        assert_allclose(expected_cost(y, rule(x), _COST), costs.mean(), rtol=1e-12)


# --- the cost matrix: forms, checks, after fit --------------------------------------


def test_mapping_equals_the_array_and_defaults_to_zero_one():
    X_train, y_train, X_test, _ = gaussian_classes(seed=2, counts=(200, 60, 20))
    pairs = {("cat", "ant"): 8.0, ("bee", "cat"): 3.0, ("ant", "ant"): 0.5}
    # Classes ant, bee, cat; pairs not given cost 1 off the diagonal, 0 on it.
    array = np.array([[0.5, 1.0, 1.0], [1.0, 0.0, 3.0], [8.0, 1.0, 0.0]])
    est = LogisticRegression()
    from_pairs = CostSensitiveClassifier(est, pairs).fit(X_train, y_train)
    from_array = CostSensitiveClassifier(est, array).fit(X_train, y_train)
    assert_array_equal(from_pairs.cost_matrix_, array)
    assert_array_equal(
        from_pairs.decision_function(X_test), from_array.decision_function(X_test)
    )
    assert_array_equal(from_pairs.predict(X_test), from_array.predict(X_test))
    default = CostSensitiveClassifier(est).fit(X_train, y_train)
    assert_array_equal(default.cost_matrix_, 1 - np.eye(3))
    empty = CostSensitiveClassifier(est, {}).fit(X_train, y_train)
    assert_array_equal(empty.predict(X_test), default.predict(X_test))
    # The 0-1 cost predicts the most probable class.
    assert_array_equal(
        default.predict(X_test),
        default.classes_[default.predict_proba(X_test).argmax(axis=1)],
    )


class _FitMustNotRun(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        raise AssertionError("the estimator was fitted before the costs were checked")


_X, _Y = long_tailed_classification(n_samples=60, n_classes=3, seed=5)


@pytest.mark.parametrize(
    "cost, match",
    [
        (np.ones((2, 2)), r"shape \(2, 2\), but there are 3 classes \(classes_=\[0,"),
        (np.ones(3), r"shape \(3,\), but there are 3 classes"),
        ([[0, 1, 1], [np.nan, 0, 1], [1, 1, 0]], r"got \[nan\] at \(row, column\) "),
        ([[0, 1, 1], [1, 0, np.inf], [1, 1, 0]], r"got \[inf\] at .* \(1, 2\)"),
        ([[0, 1, 1], [1, 0, 1], [-2, 1, 0]], r"finite costs >= 0, got \[-2.0\]"),
        ({(0, 1): -1.0}, r"got \[-1.0\] at \(true, predicted\) labels \(0, 1\)"),
        ({(0, 7): 2.0, ("x", 1): 1.0}, r"names labels \[7, 'x'\] that are not among"),
        ({0: 2.0}, r"needs \(true, predicted\) label pairs as keys, got 0"),
        ({(0, 1): [1.0, 2.0]}, r"map each \(true, predicted\) pair to one number"),
        ({(0, 1): "high"}, r"a dict \{\(true, predicted\): cost\} of numbers"),
    ],
)
def test_bad_cost_matrix_is_refused_before_the_estimator_is_fitted(cost, match):
    with pytest.raises(ValueError, match=match):
        CostSensitiveClassifier(_FitMustNotRun(), cost).fit(_X, _Y)


def test_bad_cost_matrix_type_is_an_invalid_parameter():
    with pytest.raises(InvalidParameterError, match="'cost_matrix' parameter"):
        CostSensitiveClassifier(_FitMustNotRun(), "balanced").fit(_X, _Y)
    with pytest.raises(TypeError, match="True and False are not numbers"):
        CostSensitiveClassifier(_FitMustNotRun(), {(0, 1): True}).fit(_X, _Y)


def test_unknown_labels_name_the_classes():
    with pytest.raises(ValueError, match=r"not among the classes_ \[0, 1, 2\]"):
        CostSensitiveClassifier(_FitMustNotRun(), {(3, 0): 1.0}).fit(_X, _Y)


def test_all_zero_row_is_legal_but_warned_at_the_caller():
    cost = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [5.0, 1.0, 0.0]])
    with pytest.warns(UserWarning, match=r"all-zero rows for classes \[1\]") as rec:
        model = CostSensitiveClassifier(LogisticRegression(), cost).fit(_X, _Y)
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unchanged since fit: no second warning
        model.predict(_X)


def test_all_zero_column_is_always_predicted_with_a_finite_decision():
    cost = np.array([[0.0, 1.0, 0.0], [3.0, 0.0, 0.0], [5.0, 1.0, 0.0]])
    with pytest.warns(UserWarning, match=r"all-zero columns for classes \[2\]"):
        model = CostSensitiveClassifier(LogisticRegression(), cost).fit(_X, _Y)
    assert_array_equal(model.predict(_X), 2)
    decision = model.decision_function(_X)
    assert np.all(np.isfinite(decision))
    assert_array_equal(decision[:, 2], np.finfo(np.float64).max)
    # Two classes, both columns free: a tie everywhere, decided for classes_[0],
    # and a decision of 0, not inf - inf.
    X2, y2 = _X[_Y < 2], _Y[_Y < 2]
    with pytest.warns(UserWarning, match="all-zero"):
        free = CostSensitiveClassifier(LogisticRegression(), np.zeros((2, 2)))
        free.fit(X2, y2)
    assert_array_equal(free.decision_function(X2), 0.0)
    assert_array_equal(free.predict(X2), 0)


def test_parameters_changed_after_fit_are_read_and_checked():
    model = CostSensitiveClassifier(LogisticRegression()).fit(_X, _Y)
    proba = model.predict_proba(_X)
    cost = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [50.0, 50.0, 0.0]])
    model.set_params(cost_matrix=cost)
    assert_array_equal(model.cost_matrix_, cost)
    assert_array_equal(model.predict(_X), (proba @ cost).argmin(axis=1))
    assert_array_equal(model.predict_proba(_X), proba)  # costs leave p_t as it is
    model.set_params(cost_matrix=np.ones((2, 2)))
    for method in ("predict", "decision_function"):
        with pytest.raises(ValueError, match=r"shape \(2, 2\), but there are 3"):
            getattr(model, method)(_X)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        model.cost_matrix_  # noqa: B018
    model.set_params(cost_matrix="zero-one")
    with pytest.raises(InvalidParameterError, match="'cost_matrix' parameter"):
        model.predict(_X)
    # A zero row set after fit gets fit's warning when the predictions read it.
    model.set_params(cost_matrix=[[0, 1, 1], [0, 0, 0], [1, 1, 0]])
    with pytest.warns(UserWarning, match=r"all-zero rows for classes \[1\]") as rec:
        model.predict(_X)
    assert rec[0].filename == __file__
    # Target priors set after fit move the posterior.
    model.set_params(cost_matrix=None, target_priors=[1.0, 1.0, 1.0])
    shifted = proba / model.priors_
    assert_allclose(
        model.predict_proba(_X),
        shifted / shifted.sum(axis=1, keepdims=True),
        rtol=0,
        atol=1e-14,  # probabilities in [0, 1], renormalised by other code
    )
    model.set_params(target_priors=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="target_priors must be > 0"):
        model.predict(_X)


def test_frozen_estimator_is_not_refitted():
    class _CountingFits(LogisticRegression):
        fits = 0

        def fit(self, X, y, sample_weight=None):
            type(self).fits += 1
            return super().fit(X, y, sample_weight)

    base = _CountingFits().fit(_X, _Y)
    coef = base.coef_.copy()
    model = CostSensitiveClassifier(FrozenEstimator(base), {(2, 0): 5.0})
    model.fit(_X[:30], _Y[:30])
    assert _CountingFits.fits == 1
    assert model.estimator_.estimator is base
    assert_array_equal(base.coef_, coef)
    assert_array_equal(model.train_priors_, _frequencies(_Y[:30], [0, 1, 2]))


def test_sample_weight_weights_the_priors_and_reaches_the_estimator():
    y = _Y
    w = np.where(y == 2, 3.0, 1.0)
    model = CostSensitiveClassifier(LogisticRegression(), target_priors=[1, 1, 1])
    model.fit(_X, y, sample_weight=w)
    counts = np.array([w[y == c].sum() for c in range(3)])
    assert_allclose(model.priors_, counts / counts.sum(), rtol=1e-15)
    base = LogisticRegression().fit(_X, _Y, sample_weight=w)
    shifted = base.predict_proba(_X) / model.priors_
    # Probabilities in [0, 1], through log / softmax and through a division.
    assert_allclose(
        model.predict_proba(_X),
        shifted / shifted.sum(axis=1, keepdims=True),
        rtol=0,
        atol=1e-14,
    )


def test_sample_weight_is_routed_when_metadata_routing_is_enabled():
    w = np.where(_Y == 2, 3.0, 1.0)
    with config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        model = CostSensitiveClassifier(inner).fit(_X, _Y, sample_weight=w)
        unweighted = LogisticRegression().set_fit_request(sample_weight=False)
        ignored = CostSensitiveClassifier(unweighted).fit(_X, _Y, sample_weight=w)
    weighted = LogisticRegression().fit(_X, _Y, sample_weight=w)
    # The same fit of the same data: coefficients equal to the solver's rounding.
    assert_allclose(model.estimator_.coef_, weighted.coef_, rtol=1e-10)
    plain = LogisticRegression().fit(_X, _Y)
    assert_allclose(ignored.estimator_.coef_, plain.coef_, rtol=1e-10)
