"""Known target priors: the Bayes rule under a shifted class distribution."""

import numpy as np
import pytest
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt.datasets import make_gaussian_mixture, make_long_tailed


def _errors(y, *predictions):
    return [float(np.mean(y_pred != y)) for y_pred in predictions]


def test_target_prior_scores_match_the_formula():
    X, y = make_gaussian_mixture(2000, minority_prior=0.1, random_state=0)
    target = np.array([0.3, 0.7])
    clf = LogitAdjustedClassifier(
        LogisticRegression(), tau=0.8, target_priors=target
    ).fit(X, y)
    log_proba = clf.estimator_.predict_log_proba(X)
    # Independent: f - tau * log(pi_train) + tau * log(pi_target).
    expected = log_proba - 0.8 * np.log(clf.priors_) + 0.8 * np.log(target)
    # Log-odds near the boundary are near 0: the rounding is that of the O(10)
    # operands they are sums of (measured 1.8e-15), not relative to the result.
    atol = rounding_atol(log_proba, 0.8 * np.log(clf.priors_), 0.8 * np.log(target))
    assert_allclose(
        clf.decision_function(X), expected[:, 1] - expected[:, 0], rtol=0, atol=atol
    )
    assert_array_equal(clf.predict(X), expected.argmax(axis=1))
    assert_allclose(clf.target_priors_, target)
    # A dict in any order, and unnormalised values, give the same priors.
    by_label = LogitAdjustedClassifier(
        LogisticRegression(), target_priors={1: 7.0, 0: 3.0}
    ).fit(X, y)
    assert_allclose(by_label.target_priors_, target)


def test_uniform_target_priors_equal_the_default():
    X, y = make_gaussian_mixture(2000, minority_prior=0.1, random_state=1)
    default = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    uniform = LogitAdjustedClassifier(
        LogisticRegression(), target_priors=[0.5, 0.5]
    ).fit(X, y)
    assert_array_equal(default.predict(X), uniform.predict(X))
    # The uniform target adds log(0.5) to every score of a row, which softmax undoes
    # up to a relative ~eps * |score| (< 1e-13): far inside rtol 1e-7.
    assert_allclose(default.predict_proba(X), uniform.predict_proba(X))
    assert_allclose(default.target_priors_, [0.5, 0.5])


def test_known_target_prior_beats_no_and_uniform_adjustment_on_gaussians():
    # Train with a 5% minority, deploy with 30%: the Bayes rule for the deployment
    # error is the adjustment towards the known target prior.
    gaps = []
    for seed in range(5):
        X, y = make_gaussian_mixture(20_000, minority_prior=0.05, random_state=seed)
        X_new, y_new = make_gaussian_mixture(
            20_000, minority_prior=0.3, random_state=seed + 100
        )
        base = LogisticRegression().fit(X, y)
        frozen = FrozenEstimator(base)
        known = LogitAdjustedClassifier(frozen, target_priors=[0.7, 0.3]).fit(X, y)
        uniform = LogitAdjustedClassifier(frozen).fit(X, y)
        none, balanced, target = _errors(
            y_new, base.predict(X_new), uniform.predict(X_new), known.predict(X_new)
        )
        gaps.append((none - target, balanced - target))
    gaps = np.array(gaps)
    # Measured: about 3.6 and 1.4 points; required: clearly positive on average and
    # never negative beyond noise.
    assert gaps[:, 0].mean() > 0.02 and gaps[:, 1].mean() > 0.005
    assert gaps.min() > -0.002


def test_known_target_prior_helps_on_long_tailed_digits():
    X, y = load_digits(return_X_y=True)
    reductions = []
    for seed in range(3):
        X_pool, X_held, y_pool, y_held = train_test_split(
            X, y, test_size=0.5, stratify=y, random_state=seed
        )
        X_lt, y_lt = make_long_tailed(X_pool, y_pool, 20, random_state=seed)
        # Deployment: the held-out digits under the reversed tail.
        X_new, y_new = make_long_tailed(
            X_held, y_held, 20, class_order=np.arange(10)[::-1], random_state=seed
        )
        target = np.bincount(y_new, minlength=10) / y_new.size
        # C=1: calibrated enough; a strongly regularised model (C=0.1) is
        # under-confident and the full target shift over-corrects it.
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        base = model.fit(X_lt, y_lt)
        frozen = FrozenEstimator(base)
        known = LogitAdjustedClassifier(frozen, target_priors=target).fit(X_lt, y_lt)
        uniform = LogitAdjustedClassifier(frozen).fit(X_lt, y_lt)
        none, balanced, shifted = _errors(
            y_new, base.predict(X_new), uniform.predict(X_new), known.predict(X_new)
        )
        reductions.append((none - shifted, balanced - shifted))
    reductions = np.array(reductions).mean(axis=0)
    assert reductions[0] > 0.02, reductions
    assert reductions[1] > 0.0, reductions


def test_cv_tuner_scores_the_error_under_the_target_distribution():
    X, y = make_gaussian_mixture(3000, minority_prior=0.1, random_state=2)
    X_val, y_val = make_gaussian_mixture(3000, minority_prior=0.1, random_state=3)
    base = LogisticRegression().fit(X, y)
    target = np.array([0.4, 0.6])
    taus = np.array([0.0, 0.5, 1.0, 1.5])
    tuner = LogitAdjustedClassifierCV(
        FrozenEstimator(base),
        taus=taus,
        cv=PredefinedSplit(np.zeros(y_val.size)),  # one split: all of X_val
        target_priors=target,
    ).fit(X_val, y_val)
    log_proba = base.predict_log_proba(X_val)
    priors = np.bincount(y_val) / y_val.size  # a FrozenEstimator: priors of this y
    for k, tau in enumerate(taus):
        y_pred = np.argmax(log_proba - tau * np.log(priors) + tau * np.log(target), 1)
        per_class = [np.mean(y_pred[y_val == c] != c) for c in (0, 1)]
        expected = -(target @ per_class)
        # Weighted ratios of counts, ~eps apart; a flipped prediction is 1/3000.
        assert_allclose(tuner.cv_results_["mean_test_score"][k], expected)
    assert_allclose(tuner.target_priors_, target)


@pytest.mark.parametrize(
    "target, match",
    [
        ([0.2, 0.3, 0.5], "3 entries|shape"),
        ([0.5, -0.5], "target_priors must be > 0"),
        ({0: 0.5, 7: 0.5}, "7"),
    ],
)
def test_bad_target_priors_fail_at_fit(target, match):
    X, y = make_gaussian_mixture(500, minority_prior=0.2, random_state=0)
    for estimator in (
        LogitAdjustedClassifier(LogisticRegression(), target_priors=target),
        LogitAdjustedClassifierCV(LogisticRegression(), target_priors=target),
    ):
        with pytest.raises(ValueError, match=match):
            estimator.fit(X, y)
