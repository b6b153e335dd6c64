import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _data import long_tailed_classification
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_lt import LogitAdjustedClassifier, logit_adjust
from sklearn_lt._compat import InvalidParameterError
from sklearn_lt.metrics import balanced_error, balanced_error_scorer


def _long_tailed(n_samples=600, n_classes=4, seed=0):
    return long_tailed_classification(
        n_samples,
        n_classes,
        seed,
        decay=0.5,
        n_features=6,
        n_informative=4,
        class_sep=0.8,
    )


def _numpy_adjusted(log_proba, y, classes, tau):
    """Independent evaluation of the adjustment: log p - tau * log(counts / n)."""
    counts = np.array([(y == c).sum() for c in classes], dtype=np.float64)
    return log_proba - tau * np.log(counts / counts.sum())


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
def test_outputs_match_independent_numpy_adjustment(tau):
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression(), tau=tau).fit(X, y)
    base = LogisticRegression().fit(X, y)
    log_proba = np.log(base.predict_proba(X))
    expected = _numpy_adjusted(log_proba, y, base.classes_, tau)
    expected_proba = np.exp(expected) / np.exp(expected).sum(axis=1, keepdims=True)

    # log p - tau log pi and log_softmax against exp / sum / log: differences of O(10)
    # operands, some near 0 (log p of a confident class is ~ -4e-5): rounding is
    # ~eps of the operands (measured <= 0.6 eps * max), in probabilities relatively.
    atol = rounding_atol(log_proba, tau * np.log(clf.priors_))
    assert_allclose(clf.decision_function(X), expected, rtol=0, atol=atol)
    assert_allclose(clf.predict_proba(X), expected_proba, rtol=0, atol=atol)
    assert_allclose(clf.predict_log_proba(X), np.log(expected_proba), rtol=0, atol=atol)
    assert_array_equal(clf.predict(X), base.classes_[expected.argmax(axis=1)])
    assert_allclose(clf.priors_, np.bincount(y) / y.size)


@pytest.mark.parametrize(
    "base",
    [
        LogisticRegression(),
        GaussianNB(),
        DecisionTreeClassifier(max_depth=4, random_state=0),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ],
    ids=lambda est: type(est).__name__,
)
def test_tau_zero_reproduces_base_predictions(base):
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(base, tau=0.0).fit(X, y)
    fitted_base = base.fit(X, y)
    assert_array_equal(clf.predict(X), fitted_base.predict(X))
    # Probabilities (<= 1) through log, softmax and exp: rounding ~ C * eps absolute
    # (measured <= 7.5 eps); 1e-12 (4500 eps) also holds exact zeros clipped to tiny.
    assert_allclose(clf.predict_proba(X), fitted_base.predict_proba(X), atol=1e-12)


def test_binary_decision_function_is_adjusted_log_odds():
    X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    clf = LogitAdjustedClassifier(LogisticRegression(), tau=1.0).fit(X, y)
    proba = clf.estimator_.predict_proba(X)
    pi1 = y.mean()
    expected = np.log(proba[:, 1] / proba[:, 0]) - np.log(pi1 / (1 - pi1))
    assert clf.decision_function(X).shape == (300,)
    # Log-odds near the boundary are near 0: rounding is that of the log-probabilities
    # and log-priors they are differences of (measured <= 0.75 eps * max).
    atol = rounding_atol(np.log(proba), np.log(pi1), np.log(1 - pi1))
    assert_allclose(clf.decision_function(X), expected, rtol=0, atol=atol)
    assert_array_equal(clf.predict(X), (expected > 0).astype(int))


def _two_gaussians(n_samples, rng, minority_prior=0.05, mean=(1.0, 1.0)):
    """The paper's synthetic problem: x | y ~ N(+-mean, I), P(y = 1) = 5%."""
    y = (rng.random(n_samples) < minority_prior).astype(int)
    X = rng.normal(size=(n_samples, 2)) + np.where(
        y[:, None] == 1, mean, -np.asarray(mean)
    )
    return X, y


def test_posthoc_adjustment_reaches_bayes_balanced_error_on_synthetic_gaussians():
    # For N(+-mu, I) the balanced-error Bayes rule is the hyperplane through the
    # origin orthogonal to mu; its error on each class is Phi(-||mu||).
    mean = np.array([1.0, 1.0])
    bayes_error = norm.cdf(-np.linalg.norm(mean))
    base_errors, adjusted_errors = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X, y = _two_gaussians(10_000, rng, mean=mean)
        X_test, y_test = _two_gaussians(200_000, rng, mean=mean)
        clf = LogitAdjustedClassifier(LogisticRegression(), tau=1.0).fit(X, y)
        base_errors.append(balanced_error(y_test, clf.estimator_.predict(X_test)))
        adjusted_errors.append(balanced_error(y_test, clf.predict(X_test)))
    # Measured: ERM ~0.18, adjusted within ~0.002 of Bayes (0.0786), per seed. The
    # standard error of a balanced error on 200,000 rows (10,000 rare) is ~0.0014,
    # of the mean of 3 seeds ~0.0008: the margin 0.01 is ~12 of them.
    assert np.all(np.array(adjusted_errors) < np.array(base_errors) - 0.05)
    assert abs(np.mean(adjusted_errors) - bayes_error) < 0.01


def test_grid_search_over_tau_picks_lowest_balanced_error():
    X, y = _long_tailed(n_samples=800, seed=1)
    taus = [0.0, 0.5, 1.0, 1.5, 3.0]
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": taus},
        scoring=balanced_error_scorer,
        cv=cv,
    ).fit(X, y)

    mean_errors = []
    for tau in taus:
        errors = []
        for train, test in cv.split(X, y):
            base = LogisticRegression().fit(X[train], y[train])
            scores = _numpy_adjusted(
                np.log(base.predict_proba(X[test])), y[train], base.classes_, tau
            )
            errors.append(balanced_error(y[test], base.classes_[scores.argmax(1)]))
        mean_errors.append(np.mean(errors))
    assert search.best_params_["tau"] == taus[int(np.argmin(mean_errors))]
    # Error rates are ratios of counts: two paths agree to ~eps, far inside approx's
    # 1e-6, and a different prediction would move them by 1/n.
    assert search.best_score_ == pytest.approx(-min(mean_errors))
    assert len(set(np.round(mean_errors, 6))) > 1  # the choice was not a tie


def test_works_inside_pipeline_and_wraps_a_pipeline():
    X, y = _long_tailed()
    outer = make_pipeline(
        StandardScaler(), LogitAdjustedClassifier(LogisticRegression())
    )
    inner = LogitAdjustedClassifier(
        make_pipeline(StandardScaler(), LogisticRegression())
    )
    assert_array_equal(outer.fit(X, y).predict(X), inner.fit(X, y).predict(X))
    result = cross_validate(outer, X, y, cv=3, scoring=balanced_error_scorer)
    assert np.all(result["test_score"] <= 0)


def test_predictions_survive_pickle_round_trip():
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(HistGradientBoostingClassifier(max_iter=10)).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X), clf.predict(X))
    assert_allclose(restored.predict_proba(X), clf.predict_proba(X))


def test_frozen_estimator_is_not_refitted_and_priors_come_from_fit_labels():
    X, y = _long_tailed()
    base = LogisticRegression().fit(X[:300], y[:300])
    coef = base.coef_.copy()
    clf = LogitAdjustedClassifier(FrozenEstimator(base)).fit(X, y)
    assert_array_equal(base.coef_, coef)
    assert_allclose(clf.priors_, np.bincount(y) / y.size)
    expected = _numpy_adjusted(np.log(base.predict_proba(X)), y, base.classes_, 1.0)
    assert_array_equal(clf.predict(X), expected.argmax(axis=1))


def test_frozen_estimator_with_labels_it_does_not_know_is_rejected():
    X, y = _long_tailed()
    base = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among"):
        LogitAdjustedClassifier(FrozenEstimator(base)).fit(X, np.where(y == 3, 7, y))


def test_class_without_training_example_for_frozen_estimator_names_the_fix():
    X, y = _long_tailed()
    base = LogisticRegression().fit(X, y)
    keep = y != 3
    with pytest.raises(
        ValueError, match=r"class \[3\] has no training example.*smoothing"
    ):
        LogitAdjustedClassifier(FrozenEstimator(base)).fit(X[keep], y[keep])


def test_sample_weight_reaches_estimator_and_weights_priors():
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=y.size)
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X, y, sample_weight=w)
    base = LogisticRegression().fit(X, y, sample_weight=w)
    # The same fit on the same arrays (equal in practice); a weighted sum of 600
    # positive weights rounds by ~600 eps relative, far inside rtol 1e-7.
    assert_allclose(clf.estimator_.coef_, base.coef_)
    assert_allclose(clf.priors_, np.bincount(y, weights=w) / w.sum())


def test_sample_weight_is_routed_when_metadata_routing_is_enabled():
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=y.size)
    with config_context(enable_metadata_routing=True):
        requested = LogisticRegression().set_fit_request(sample_weight=True)
        clf = LogitAdjustedClassifier(requested).fit(X, y, sample_weight=w)
        assert_allclose(
            clf.estimator_.coef_, LogisticRegression().fit(X, y, sample_weight=w).coef_
        )
        assert_allclose(clf.priors_, np.bincount(y, weights=w) / w.sum())
        with pytest.raises(ValueError, match="sample_weight"):
            LogitAdjustedClassifier(LogisticRegression()).fit(X, y, sample_weight=w)


def test_sample_weight_for_estimator_that_cannot_take_it_is_an_error():
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(KNeighborsClassifier())
    with pytest.raises(ValueError, match="does not accept it.*estimate_priors"):
        clf.fit(X, y, sample_weight=np.ones(y.size))
    assert not hasattr(clf, "estimator_")


def test_estimator_without_probabilities_fails_at_fit_naming_the_fix():
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(SVC())
    with pytest.raises(ValueError, match="SVC has neither.*CalibratedClassifierCV"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")
    # Both suggested fixes work.
    LogitAdjustedClassifier(CalibratedClassifierCV(SVC(), cv=3)).fit(X, y).predict(X)
    LogitAdjustedClassifier(SVC(), response_method="decision_function").fit(X, y)


def test_missing_requested_response_method_is_an_error():
    X, y = _long_tailed()
    with pytest.raises(ValueError, match="has no predict_log_proba method"):
        LogitAdjustedClassifier(SVC(), response_method="predict_log_proba").fit(X, y)


def test_decision_function_as_logits_matches_log_proba_for_logistic_regression():
    # Multinomial LR's decision_function is its log-probabilities plus a per-row
    # constant, so both give the same adjusted predictions.
    for X, y in [_long_tailed(), make_classification(weights=[0.85], random_state=0)]:
        auto = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
        logits = LogitAdjustedClassifier(
            LogisticRegression(), response_method="decision_function"
        ).fit(X, y)
        assert_array_equal(auto.predict(X), logits.predict(X))
        # Softmax of scores that differ by a per-row constant (log-sum-exp of O(10)
        # logits) and, for two classes, of [0, d] against log(1 - p): rounding ~eps
        # of those operands, relative in p (measured <= 0.13 eps * max).
        atol = rounding_atol(
            auto.estimator_.predict_log_proba(X),
            auto.estimator_.decision_function(X),
            np.log(auto.priors_),
        )
        assert_allclose(
            auto.predict_proba(X), logits.predict_proba(X), rtol=0, atol=atol
        )


@pytest.mark.parametrize(
    "params",
    [
        {"tau": -1.0},
        {"tau": "large"},
        {"tau": np.inf},
        {"response_method": "predict"},
        {"priors": "uniform"},
        {"priors": 0.5},
    ],
)
def test_invalid_parameters_raise_invalid_parameter_error(params):
    X, y = _long_tailed()
    with pytest.raises(InvalidParameterError):
        LogitAdjustedClassifier(LogisticRegression(), **params).fit(X, y)


def test_user_priors_as_array_or_dict_give_the_same_model():
    X, y = _long_tailed()
    as_array = LogitAdjustedClassifier(LogisticRegression(), priors=[4, 3, 2, 1])
    as_dict = LogitAdjustedClassifier(
        LogisticRegression(), priors={3: 1, 2: 2, 1: 3, 0: 4}
    )
    assert_allclose(as_array.fit(X, y).priors_, [0.4, 0.3, 0.2, 0.1])
    assert_allclose(as_dict.fit(X, y).priors_, as_array.priors_)
    assert_allclose(as_dict.decision_function(X), as_array.decision_function(X))


@pytest.mark.parametrize(
    "priors, match",
    [
        ([0.5, 0.5], r"has shape \(2,\) but there are 4 classes"),
        ({0: 1, 1: 1, 2: 1, 9: 1}, r"names labels \[9\]"),
        ([0.5, np.nan, 0.2, 0.3], "must be finite"),
        ([0.5, -0.1, 0.2, 0.3], "must be > 0"),
    ],
)
def test_bad_user_priors_are_rejected_before_fitting(priors, match):
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression(), priors=priors)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


def test_string_labels_and_pandas_frames_pass_through():
    pd = pytest.importorskip("pandas")
    X, y = _long_tailed()
    names = np.array(["ant", "bee", "cat", "dog"])
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = pd.Series(names[y])
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(frame, labels)
    assert_array_equal(clf.classes_, names)
    assert_array_equal(clf.feature_names_in_, frame.columns)
    assert clf.n_features_in_ == X.shape[1]
    numeric = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    assert_array_equal(clf.predict(frame), names[numeric.predict(X)])


def test_sparse_input_passes_through():
    X, y = _long_tailed()
    dense = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    sparse = LogitAdjustedClassifier(LogisticRegression()).fit(sp.csr_matrix(X), y)
    # Sparse and dense products round differently in scoring (adjusted scores near
    # 0 differ by ~eps of the O(10) log-probabilities, measured 1.7 eps * max) and
    # in the fit: the same lbfgs path ends with coefficients ~1e-15 apart, which
    # move each logit by at most max|dw| * ||x||_1 + max|db|, and a log-softmax
    # entry by at most twice that (z_y and the logsumexp, a weighted mean of the
    # logits). Both bounds, measured on the two fits (with one thread the fit part
    # was 3e-13, beyond the scoring part alone).
    dw = np.abs(sparse.estimator_.coef_ - dense.estimator_.coef_).max()
    db = np.abs(sparse.estimator_.intercept_ - dense.estimator_.intercept_).max()
    fit_part = 2 * (dw * np.abs(X).sum(axis=1).max() + db)
    atol = fit_part + rounding_atol(
        dense.estimator_.predict_log_proba(X), np.log(dense.priors_)
    )
    assert_allclose(
        sparse.decision_function(sp.csr_matrix(X)),
        dense.decision_function(X),
        rtol=0,
        atol=atol,
    )


def test_zero_probabilities_stay_finite():
    # A fully grown tree predicts probabilities of exactly 0.
    X, y = _long_tailed()
    clf = LogitAdjustedClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    assert np.any(clf.estimator_.predict_proba(X) == 0)
    assert np.all(np.isfinite(clf.decision_function(X)))
    assert np.all(np.isfinite(clf.predict_log_proba(X)))


def test_multilabel_target_is_rejected():
    X, _ = _long_tailed()
    Y = np.random.default_rng(0).integers(0, 2, size=(X.shape[0], 3))
    with pytest.raises(ValueError, match="multilabel-indicator"):
        LogitAdjustedClassifier(LogisticRegression()).fit(X, Y)


def test_adjustment_on_iris_changes_nothing_when_classes_are_balanced():
    X, y = load_iris(return_X_y=True)
    clf = LogitAdjustedClassifier(LogisticRegression(max_iter=500)).fit(X, y)
    assert_array_equal(clf.predict(X), clf.estimator_.predict(X))


# logit_adjust, the array-level function


def test_logit_adjust_matches_numpy_for_logits_and_probabilities():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20, 3))
    priors = np.array([0.7, 0.2, 0.1])
    # The priors are renormalised (their sum rounds below 1): each side subtracts
    # log-priors an ulp apart, from results that can be near 0.
    atol = rounding_atol(logits, 1.5 * np.log(priors))
    assert_allclose(
        logit_adjust(logits, priors, tau=1.5),
        logits - 1.5 * np.log(priors),
        rtol=0,
        atol=atol,
    )
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    atol = rounding_atol(np.log(proba), np.log(priors))
    assert_allclose(
        logit_adjust(proba, priors, kind="proba"),
        np.log(proba) - np.log(priors),
        rtol=0,
        atol=atol,
    )


def test_logit_adjust_tau_zero_returns_scores_and_keeps_float32():
    logits = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    out = logit_adjust(logits, [1, 2, 3, 4], tau=0.0)
    assert out.dtype == np.float32
    assert_array_equal(out, logits)


def test_logit_adjust_zero_probability_stays_finite():
    out = logit_adjust([[1.0, 0.0]], [0.5, 0.5], kind="proba")
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "scores, priors, kwargs, match",
    [
        ([[0.0, -np.inf]], [0.5, 0.5], {}, 'kind="proba"'),
        ([[0.2, 1.3]], [0.5, 0.5], {"kind": "proba"}, r"probabilities in \[0, 1\]"),
        ([[0.2, 0.8]], [0.5, 0.3, 0.2], {}, r"has shape \(3,\) but there are 2"),
        (
            [[0.2, 0.8]],
            [0.5, 0.5],
            {"tau": -1},
            r"'tau' parameter of logit_adjust must be a finite float in the range "
            r"\[0.0, inf\) \(use 1.0 for the balanced error\)\. Got -1 instead",
        ),
        (
            [[0.2, 0.8]],
            [0.5, 0.5],
            {"kind": "log"},
            r"'kind' parameter of logit_adjust must be a str among .*'proba'.*Got "
            "'log' instead",
        ),
        ([0.2, 0.8], [0.5, 0.5], {}, "Expected 2D array"),
    ],
)
def test_logit_adjust_rejects_bad_input(scores, priors, kwargs, match):
    with pytest.raises(ValueError, match=match):
        logit_adjust(scores, priors, **kwargs)


def test_other_fit_params_are_passed_to_the_estimator():
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=y.size)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    clf = LogitAdjustedClassifier(pipe).fit(X, y, logisticregression__sample_weight=w)
    expected = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X, y, logisticregression__sample_weight=w
    )
    assert_allclose(clf.estimator_[-1].coef_, expected[-1].coef_)
    # The priors see no weights: they were not given to LogitAdjustedClassifier.
    assert_allclose(clf.priors_, np.bincount(y) / y.size)
