"""Tests of estimate_target_priors: priors of unlabelled data under label shift."""

import itertools
from functools import cache

import numpy as np
import pytest
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt.datasets import make_gaussian_mixture, make_long_tailed
from sklearn_lt.label_shift import _project_onto_simplex, estimate_target_priors
from sklearn_lt.priors import estimate_priors

SEEDS = range(10)
TRAIN_PRIOR = 0.05  # P(y = 1) in the training (and held-out) data
TARGET_PRIOR = 0.3  # P(y = 1) in the deployment data
TRUE_TARGET = np.array([1 - TARGET_PRIOR, TARGET_PRIOR])


# --- independent float64 numpy computations ---------------------------------------


def _numpy_em(proba, train_priors, *, tol=1e-14, max_iter=100_000):
    """Saerens et al. EM in probability space: returns (priors, posteriors, n_iter)."""
    q = np.array(train_priors, dtype=np.float64)
    n_iter, change = 0, np.inf
    while n_iter < max_iter and not change < tol:
        post = proba * (q / train_priors)
        post /= post.sum(axis=1, keepdims=True)
        q_new = post.mean(axis=0)
        change = np.abs(q_new - q).sum()
        q, n_iter = q_new, n_iter + 1
    post = proba * (q / train_priors)
    return q, post / post.sum(axis=1, keepdims=True), n_iter


def _numpy_adjusted_error(proba, train_priors, target_priors, y):
    """Plain error of argmax log p - log pi_train + log q."""
    scores = np.log(proba) - np.log(train_priors) + np.log(target_priors)
    return np.mean(scores.argmax(axis=1) != y)


def _brute_force_simplex_projection(v):
    """Nearest point of the simplex, trying every support S.

    On its support the projection is v_S minus a constant, chosen so that it sums to
    1; the nearest of the feasible (non-negative) candidates is the projection.
    """
    best, best_distance = None, np.inf
    for size in range(1, v.size + 1):
        for support in itertools.combinations(range(v.size), size):
            support = list(support)
            x = np.zeros_like(v)
            x[support] = v[support] - (v[support].sum() - 1.0) / size
            if np.all(x >= 0) and np.sum((x - v) ** 2) < best_distance:
                best, best_distance = x, np.sum((x - v) ** 2)
    return best


class _TableClassifier(ClassifierMixin, BaseEstimator):
    """Returns stored probabilities: row ``i`` of ``proba`` for the row ``[i]`` of X.

    Counts its ``predict_proba`` calls, so tests can check that bad input is
    rejected before any prediction.
    """

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        self.n_features_in_ = 1
        self.n_predict_calls_ = 0
        return self

    def predict_proba(self, X):
        self.n_predict_calls_ += 1
        return self.proba[np.asarray(X)[:, 0].astype(int)]


def _rows(start, stop):
    return np.arange(start, stop)[:, None]


def _number(name, interval, got, *, integer=False):
    """scikit-learn's message for a bad number: the parameter, expected, received."""
    kind = r"an int \(not a bool\)" if integer else "a finite float"
    return (
        rf"'{name}' parameter of estimate_target_priors must be {kind} in the range "
        rf"{interval} \(use for example .*\)\. Got {got} instead"
    )


# --- the synthetic Gaussian problem (Menon et al.) under label shift ----------------


@cache
def _gaussian_problem(seed):
    """Model on 20,000 training rows (P(y=1) = 0.05), 5,000 held-out labelled rows
    from the training distribution, 2,000 deployment rows with P(y=1) = 0.3."""
    X, y = make_gaussian_mixture(20_000, minority_prior=TRAIN_PRIOR, random_state=seed)
    X_val, y_val = make_gaussian_mixture(
        5_000, minority_prior=TRAIN_PRIOR, random_state=1000 + seed
    )
    X_new, y_new = make_gaussian_mixture(
        2_000, minority_prior=TARGET_PRIOR, random_state=2000 + seed
    )
    model = LogisticRegression().fit(X, y)
    return model, estimate_priors(y), X_val, y_val, X_new, y_new


def test_em_recovers_the_target_prior_of_the_gaussian_problem():
    # Measured: L1 errors 0.002-0.057 over these seeds, mean 0.019. Most of it is
    # the sampling noise of 2,000 labels (about 0.02 in L1): to the deployment
    # rows' own label frequencies EM is within 0.016 on every seed.
    errors = []
    for seed in SEEDS:
        model, train_priors, _, _, X_new, _ = _gaussian_problem(seed)
        q = estimate_target_priors(model, X_new, train_priors=train_priors)
        assert q.dtype == np.float64
        assert_allclose(q.sum(), 1.0)
        errors.append(np.abs(q - TRUE_TARGET).sum())
    assert np.mean(errors) < 0.05, errors
    assert np.max(errors) < 0.1, errors


def test_bbse_recovers_the_target_prior_of_the_gaussian_problem():
    # Measured: L1 errors 0.000-0.084 over these seeds, mean 0.022 (BBSE is
    # noisier: the rare class has about 250 held-out examples).
    errors = []
    for seed in SEEDS:
        model, _, X_val, y_val, X_new, _ = _gaussian_problem(seed)
        q = estimate_target_priors(
            model, X_new, method="bbse", X_val=X_val, y_val=y_val
        )
        assert_allclose(q.sum(), 1.0)
        assert np.all(q >= 0)
        errors.append(np.abs(q - TRUE_TARGET).sum())
    assert np.mean(errors) < 0.05, errors
    assert np.max(errors) < 0.1, errors


def test_target_prior_equal_to_train_prior_gives_back_the_train_prior():
    errors = []
    for seed in SEEDS:
        model, train_priors, _, _, _, _ = _gaussian_problem(seed)
        X_same, _ = make_gaussian_mixture(
            2_000, minority_prior=TRAIN_PRIOR, random_state=3000 + seed
        )
        q = estimate_target_priors(model, X_same, train_priors=train_priors)
        errors.append(np.abs(q - train_priors).sum())
    # The sampling noise of 2,000 labels at P(y=1) = 0.05 is about 0.01 in L1.
    # Measured: 0.000-0.024, mean 0.013.
    assert np.mean(errors) < 0.03, errors


def test_em_estimate_recovers_most_of_the_error_gap_of_the_true_prior():
    # Errors on the deployment rows (the same rows EM saw, without their labels),
    # adjusted independently in numpy. Measured: the EM estimate recovers 97-106%
    # of the gap on every seed (101% on average); errors unadjusted 0.100-0.126,
    # with the true prior 0.060-0.083.
    none, true, estimated = [], [], []
    for seed in SEEDS:
        model, train_priors, _, _, X_new, y_new = _gaussian_problem(seed)
        q = estimate_target_priors(model, X_new, train_priors=train_priors)
        proba = model.predict_proba(X_new)
        none.append(np.mean(proba.argmax(axis=1) != y_new))
        true.append(_numpy_adjusted_error(proba, train_priors, TRUE_TARGET, y_new))
        estimated.append(_numpy_adjusted_error(proba, train_priors, q, y_new))
    gap = np.mean(none) - np.mean(true)
    assert gap > 0.02, (none, true)
    recovered = (np.mean(none) - np.mean(estimated)) / gap
    assert recovered >= 0.8, (none, true, estimated)


# --- long-tailed digits ------------------------------------------------------------


def test_em_on_long_tailed_digits_approaches_the_target_prior_and_lowers_error():
    # Train on a long tail (imbalance 10, digit 0 the head) and deploy on the
    # reversed tail (digit 9 the head), drawn from held-out images. Measured over
    # these seeds: L1 to the target prior 0.08-0.11 for EM against 1.15 for the
    # training prior; errors unadjusted 0.17-0.21, with the true prior 0.09-0.11,
    # with the EM estimate 0.105-0.114.
    X, y = load_digits(return_X_y=True)
    reversed_order = np.arange(10)[::-1]
    em_distance, train_distance, none, true, estimated = [], [], [], [], []
    for seed in range(3):
        X_a, X_b, y_a, y_b = train_test_split(
            X, y, test_size=0.5, stratify=y, random_state=seed
        )
        X_train, y_train = make_long_tailed(
            X_a, y_a, imbalance_ratio=10, random_state=seed
        )
        X_new, y_new = make_long_tailed(
            X_b, y_b, imbalance_ratio=10, class_order=reversed_order, random_state=seed
        )
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(X_train, y_train)
        train_priors = estimate_priors(y_train)
        target_priors = estimate_priors(y_new)
        q = estimate_target_priors(model, X_new, train_priors=train_priors)
        em_distance.append(np.abs(q - target_priors).sum())
        train_distance.append(np.abs(train_priors - target_priors).sum())
        proba = model.predict_proba(X_new)
        none.append(np.mean(proba.argmax(axis=1) != y_new))
        true.append(_numpy_adjusted_error(proba, train_priors, target_priors, y_new))
        estimated.append(_numpy_adjusted_error(proba, train_priors, q, y_new))
    assert np.all(np.array(em_distance) < np.array(train_distance))
    assert np.mean(em_distance) < 0.25 * np.mean(train_distance)
    # Measured mean reductions: 0.087 (true prior) and 0.080 (EM estimate).
    assert np.mean(none) - np.mean(true) > 0.02, (none, true)
    assert np.mean(none) - np.mean(estimated) > 0.02, (none, estimated)


# --- exact agreement with independent computations ----------------------------------


def _random_posteriors(n_samples, n_classes, seed):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(n_classes, 0.5), size=n_samples)
    train_priors = rng.dirichlet(np.full(n_classes, 2.0))
    return proba, train_priors


@pytest.mark.parametrize("n_classes", [2, 4, 7])
def test_em_matches_an_independent_numpy_fixed_point(n_classes):
    proba, train_priors = _random_posteriors(500, n_classes, seed=n_classes)
    clf = _TableClassifier(proba, np.arange(n_classes)).fit()
    q, post = estimate_target_priors(
        clf,
        _rows(0, 500),
        train_priors=train_priors,
        tol=1e-13,
        max_iter=100_000,
        return_posteriors=True,
    )
    expected_q, expected_post, _ = _numpy_em(proba, train_priors)
    # Both stop once an L1 step is < 1e-13 (1e-14), but EM contracts slowly (rate
    # ~0.93 at 7 classes), so each is ~tol / (1 - rate) from the fixed point: measured
    # 9e-13 apart in q, 4e-11 in the posteriors; 1e-9 leaves 25x.
    assert_allclose(q, expected_q, rtol=0, atol=1e-9)
    assert_allclose(post, expected_post, rtol=0, atol=1e-9)
    assert_allclose(post.sum(axis=1), 1.0)


@pytest.mark.parametrize("max_iter", [1, 2, 5])
def test_em_iterates_match_numpy_step_by_step(max_iter):
    proba, train_priors = _random_posteriors(300, 3, seed=max_iter)
    clf = _TableClassifier(proba, np.arange(3)).fit()
    with pytest.warns(ConvergenceWarning, match=f"max_iter={max_iter} iterations"):
        q = estimate_target_priors(
            clf, _rows(0, 300), train_priors=train_priors, tol=1e-300, max_iter=max_iter
        )
    expected, _, n_iter = _numpy_em(proba, train_priors, tol=0, max_iter=max_iter)
    assert n_iter == max_iter
    # A few steps in log space against probability space: q is a mean of positive
    # posteriors, so its rounding is relative, ~eps * |log p| (|log p| < 30) per step
    # (measured 1.2e-15); rtol 1e-12 is 4500 eps.
    assert_allclose(q, expected, rtol=1e-12)


def test_em_returns_train_priors_when_the_mean_posterior_equals_them():
    # The first M-step reproduces the train priors, so EM stops there at once.
    proba, _ = _random_posteriors(400, 5, seed=11)
    train_priors = proba.mean(axis=0)
    clf = _TableClassifier(proba, np.arange(5)).fit()
    q, post = estimate_target_priors(
        clf, _rows(0, 400), train_priors=train_priors, return_posteriors=True
    )
    # One log-space step: products and means of positive numbers, so relative
    # rounding ~eps * |log p| (measured 4e-15); rtol 1e-12 is 4500 eps.
    assert_allclose(q, train_priors, rtol=1e-12)
    assert_allclose(post, proba, rtol=1e-12)


def test_em_warns_in_scikit_learn_style_when_max_iter_is_reached():
    model, train_priors, _, _, X_new, _ = _gaussian_problem(0)
    with pytest.warns(ConvergenceWarning, match=r"did not converge in max_iter=1 "):
        estimate_target_priors(model, X_new, train_priors=train_priors, max_iter=1)


def test_em_clips_zero_probabilities_instead_of_taking_log_zero():
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    clf = _TableClassifier(proba, np.array([0, 1])).fit()
    q, post = estimate_target_priors(
        clf, _rows(0, 4), train_priors=[0.5, 0.5], tol=1e-12, return_posteriors=True
    )
    expected, expected_post, _ = _numpy_em(proba, np.array([0.5, 0.5]))
    # Stopping points of two EMs (tol 1e-12 and 1e-14), not rounding: measured 1.5e-13.
    assert_allclose(q, expected, atol=1e-9)
    assert_allclose(post, expected_post, atol=1e-9)
    assert np.all(np.isfinite(post))


def _labelled_shift_table(seed, n_val=600, n_new=900, n_classes=3):
    """Posteriors that favour the true class, for source and shifted target labels."""
    rng = np.random.default_rng(seed)
    y_val = rng.choice(n_classes, size=n_val, p=[0.6, 0.3, 0.1])
    y_new = rng.choice(n_classes, size=n_new, p=[0.2, 0.3, 0.5])
    labels = np.concatenate([y_val, y_new])
    alpha = np.ones((labels.size, n_classes))
    alpha[np.arange(labels.size), labels] += 3.0
    proba = np.array([rng.dirichlet(a) for a in alpha])
    return proba, y_val, y_new


def test_bbse_matches_an_independent_confusion_matrix_solution():
    proba, y_val, _ = _labelled_shift_table(seed=0)
    n_val, n_classes = y_val.size, 3
    clf = _TableClassifier(proba, np.arange(n_classes)).fit()
    X_val, X_new = _rows(0, n_val), _rows(n_val, proba.shape[0])
    q, post = estimate_target_priors(
        clf, X_new, method="bbse", X_val=X_val, y_val=y_val, return_posteriors=True
    )

    confusion = np.zeros((n_classes, n_classes))
    for predicted, label in zip(proba[:n_val].argmax(axis=1), y_val, strict=True):
        confusion[predicted, label] += 1.0 / n_val
    predicted_new = proba[n_val:].argmax(axis=1)
    mu = np.array([np.mean(predicted_new == k) for k in range(n_classes)])
    source = np.array([np.mean(y_val == k) for k in range(n_classes)])
    expected = np.linalg.solve(confusion, mu) * source
    assert np.all(expected > 0)  # inside the simplex: the projection changes nothing
    # lstsq against solve on a 3x3 confusion matrix of condition number 5.2, with
    # q >= 0.17: relative rounding ~cond * eps (measured 2.5e-15); rtol 1e-10 is ample.
    assert_allclose(q, expected, rtol=1e-10)

    # Without priors_ or train_priors, the posteriors use the frequencies of y_val.
    expected_post = proba[n_val:] * (expected / source)
    expected_post /= expected_post.sum(axis=1, keepdims=True)
    # Products of positive numbers, rounding relative (measured 4.4e-15).
    assert_allclose(post, expected_post, rtol=1e-10)


def test_bbse_warns_when_the_confusion_matrix_is_singular():
    # The classifier never predicts class 2 on X_val.
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]] * 10 + [[0.1, 0.1, 0.8]])
    clf = _TableClassifier(proba, np.array(["a", "b", "c"])).fit()
    y_val = np.array(["a", "b"] * 9 + ["c", "c"])
    with pytest.warns(UserWarning, match=r"rank 2 < 3 classes.*\['c'\]"):
        q = estimate_target_priors(
            clf, _rows(0, 21), method="bbse", X_val=_rows(0, 20), y_val=y_val
        )
    assert_allclose(q.sum(), 1.0)
    assert np.all(q >= 0)


@pytest.mark.parametrize(
    "v, expected",
    [
        ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
        ([0.5, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]),
        ([2.0, 0.0], [1.0, 0.0]),
        ([-1.0, 0.5], [0.0, 1.0]),
        ([0.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]),
        ([1.2, -0.4, 0.2], [1.0, 0.0, 0.0]),
        ([0.6, 0.6, -0.2], [0.5, 0.5, 0.0]),
        ([3.0], [1.0]),
    ],
)
def test_simplex_projection_known_examples(v, expected):
    # max(v - theta, 0) with theta from a cumulative sum of <= 4 entries: a few
    # roundings of the operands (|v| <= 3) and of 1 (measured <= 0.25 eps).
    atol = rounding_atol(v, 1.0, ulps=16)
    assert_allclose(_project_onto_simplex(v), expected, rtol=0, atol=atol)


def test_simplex_projection_matches_brute_force_over_supports():
    rng = np.random.default_rng(0)
    for _ in range(300):
        v = rng.normal(scale=rng.choice([0.1, 1.0, 5.0]), size=rng.integers(1, 6))
        projected = _project_onto_simplex(v)
        # Two summation orders of <= 5 entries (|v| <= ~15) and 1: rounding a few eps
        # of the largest (measured <= 0.5 eps * max(1, |v|)).
        atol = rounding_atol(v, 1.0)
        assert_allclose(
            projected, _brute_force_simplex_projection(v), rtol=0, atol=atol
        )
        assert np.all(projected >= 0)
        assert_allclose(projected.sum(), 1.0)


# --- estimators: priors_, unadjusted posteriors, labels, calibration ---------------


def test_logit_adjusted_classifier_gives_priors_and_unadjusted_posteriors():
    X, y = make_gaussian_mixture(5_000, minority_prior=0.1, random_state=0)
    X_new, _ = make_gaussian_mixture(1_000, minority_prior=0.4, random_state=1)
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    q, post = estimate_target_priors(clf, X_new, tol=1e-12, return_posteriors=True)

    base = LogisticRegression().fit(X, y)
    expected, expected_post, _ = _numpy_em(
        base.predict_proba(X_new), np.bincount(y) / y.size
    )
    # Stopping points of two EMs (tol 1e-12 and 1e-14): measured 1.2e-13 apart.
    assert_allclose(q, expected, atol=1e-9)
    assert_allclose(post, expected_post, atol=1e-9)
    # The adjusted (balanced) posteriors would give another answer.
    adjusted, _, _ = _numpy_em(clf.predict_proba(X_new), np.bincount(y) / y.size)
    assert np.abs(adjusted - expected).sum() > 0.1  # measured 0.42


def test_estimate_target_priors_uses_the_training_frequencies_not_user_priors():
    X, y = make_gaussian_mixture(4000, minority_prior=0.16, random_state=0)
    clf = LogitAdjustedClassifier(LogisticRegression(), priors=[0.5, 0.5]).fit(X, y)
    frequencies = np.bincount(y) / y.size
    assert_allclose(clf.train_priors_, frequencies, rtol=1e-15)
    plain = LogisticRegression().fit(X, y)
    # Same EM on the same posteriors (the adjuster's estimator_ is that model).
    assert_allclose(
        estimate_target_priors(clf, X),
        estimate_target_priors(plain, X, train_priors=frequencies),
        rtol=1e-12,
    )
    # On its own training data the estimate is the training frequencies (EM's
    # fixed point for a calibrated model), within 0.01.
    assert_allclose(estimate_target_priors(clf, X), frequencies, atol=0.01)


def test_cv_tuner_without_refit_has_no_posteriors_to_use():
    X, y = make_gaussian_mixture(500, minority_prior=0.2, random_state=0)
    search = LogitAdjustedClassifierCV(LogisticRegression(), taus=3, refit=False)
    search.fit(X, y)
    with pytest.raises(ValueError, match="no fitted estimator_.*refit=True"):
        estimate_target_priors(search, X)


def test_priors_attribute_of_linear_discriminant_analysis_is_used():
    X, y = make_gaussian_mixture(3_000, minority_prior=0.1, random_state=0)
    X_new, _ = make_gaussian_mixture(1_000, minority_prior=0.4, random_state=1)
    lda = LinearDiscriminantAnalysis().fit(X, y)
    # priors_ is bincount(y) / n, the same numbers: the same EM, equal results.
    assert_allclose(
        estimate_target_priors(lda, X_new),
        estimate_target_priors(lda, X_new, train_priors=np.bincount(y) / y.size),
    )


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_string_labels_and_pandas_inputs_follow_classes(method):
    pd = pytest.importorskip("pandas")
    model, train_priors, X_val, y_val, X_new, _ = _gaussian_problem(0)
    names = np.array(["common", "rare"])
    X_train, y_train = make_gaussian_mixture(
        20_000, minority_prior=TRAIN_PRIOR, random_state=0
    )
    columns = ["a", "b"]
    string_model = LogisticRegression().fit(
        pd.DataFrame(X_train, columns=columns), names[y_train]
    )
    expected = estimate_target_priors(
        model, X_new, train_priors=train_priors, method=method, X_val=X_val, y_val=y_val
    )
    got = estimate_target_priors(
        string_model,
        pd.DataFrame(X_new, columns=columns),
        train_priors={"rare": train_priors[1], "common": train_priors[0]},
        method=method,
        X_val=pd.DataFrame(X_val, columns=columns),
        y_val=pd.Series(names[y_val]),
    )
    assert_array_equal(string_model.classes_, names)
    # The same fit on the same numbers (measured equal); the frame reaches BLAS in
    # Fortran order, which may round the fit ~1e-15 differently. rtol 1e-6 is far
    # above that and far below a label swap (0.3 vs 0.7) or a fit stopped one lbfgs
    # iteration early (measured 0.6%).
    assert_allclose(got, expected, rtol=1e-6)


def test_calibrated_decision_function_model_works_through_calibratedclassifiercv():
    model, train_priors, _, _, X_new, _ = _gaussian_problem(0)
    X, y = make_gaussian_mixture(20_000, minority_prior=TRAIN_PRIOR, random_state=0)
    with pytest.raises(ValueError, match="CalibratedClassifierCV"):
        estimate_target_priors(LinearSVC().fit(X, y), X_new, train_priors=train_priors)
    calibrated = CalibratedClassifierCV(LinearSVC(), cv=3).fit(X, y)
    q = estimate_target_priors(calibrated, X_new, train_priors=train_priors)
    # Measured 0.051 (logistic regression: 0.052); this draw's own label frequency
    # is 0.28, 0.04 from the target in L1, the sampling noise of 2,000 labels.
    assert np.abs(q - TRUE_TARGET).sum() < 0.1


# --- bad input ---------------------------------------------------------------------


def _table_problem():
    proba, y_val, _ = _labelled_shift_table(seed=1, n_val=60, n_new=40)
    clf = _TableClassifier(proba, np.array([10, 20, 30])).fit()
    return clf, _rows(60, 100), _rows(0, 60), np.array([10, 20, 30])[y_val]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"method": "mle"},
            r"'method' parameter of estimate_target_priors must be a str among "
            r"\{'(em|bbse)', '(em|bbse)'\} \(\"em\" needs calibrated"
            r".*Got 'mle' instead",
        ),
        ({"method": None}, "'method' parameter of estimate_target_priors must be"),
        ({"tol": 0}, _number("tol", r"\(0.0, inf\)", "0")),
        ({"tol": -1e-6}, _number("tol", r"\(0.0, inf\)", "-1e-06")),
        ({"tol": np.nan}, _number("tol", r"\(0.0, inf\)", "nan")),
        ({"tol": "1e-6"}, _number("tol", r"\(0.0, inf\)", "'1e-6'")),
        ({"max_iter": 0}, _number("max_iter", r"\[1, inf\)", "0", integer=True)),
        ({"max_iter": 2.5}, _number("max_iter", r"\[1, inf\)", "2.5", integer=True)),
        ({"max_iter": True}, _number("max_iter", r"\[1, inf\)", "True", integer=True)),
        (
            {"train_priors": [0.5, 0.5]},
            r"train_priors has shape \(2,\) but there are 3",
        ),
        ({"train_priors": [0.5, 0.5, 0.0]}, "train_priors must be > 0"),
        ({"train_priors": None}, "has no priors_.*pass them as train_priors"),
        ({"X": np.empty((0, 1))}, "X is empty"),
        ({"method": "bbse", "X_val": None}, "pass both X_val and y_val"),
        ({"method": "bbse", "y_val": None}, r"y_val=None"),
        (
            {"method": "bbse", "X_val": _rows(0, 59)},
            "X_val has 59 rows but y_val has 60 labels",
        ),
        (
            {"method": "bbse", "X_val": _rows(0, 0), "y_val": np.array([], dtype=int)},
            "X_val and y_val are empty",
        ),
        (
            {"method": "bbse", "y_val": np.array([10, 20, 40] * 20)},
            r"y_val contains labels \[40\] that are not among",
        ),
        (
            {"method": "bbse", "y_val": np.array([10, 20, None] * 20, dtype=object)},
            r"y_val contains labels \[None\] that are not among",
        ),
        (
            {"method": "bbse", "y_val": np.array([10, 20] * 30)},
            r"y_val has no example of classes \[30\]",
        ),
        # Calibration needs labelled held-out data with every class.
        (
            {"calibration": "bcts", "train_priors": None, "y_val": None},
            r"calibration='bcts' needs a labelled held-out set.*y_val=None",
        ),
        (
            {"calibration": "vector", "train_priors": None, "X_val": None},
            r"calibration='vector' needs a labelled held-out set.*X_val=None",
        ),
        (
            {
                "calibration": "temperature",
                "train_priors": None,
                "y_val": np.array([10, 20] * 30),
            },
            r"y_val has no example of classes \[30\], so calibration='temperature'",
        ),
        (
            {"calibration": "bcts"},
            r"train_priors was given with calibration='bcts'.*Pass one of the two",
        ),
        (
            {"calibration": "platt"},
            r"'calibration' parameter of estimate_target_priors must be a str among"
            r".*Got 'platt' instead",
        ),
        # A level outside (0, 1), and the resample count.
        *(
            (
                {"confidence_level": level},
                r"'confidence_level' parameter of estimate_target_priors must be "
                rf".*\(0.0, 1.0\).*Got {got} instead",
            )
            for level, got in [(0, "0"), (1, "1"), (1.5, "1.5"), (-0.1, "-0.1")]
        ),
        (
            {"confidence_level": 0.9, "n_resamples": 0},
            _number("n_resamples", r"\[1, inf\)", "0", integer=True),
        ),
        # Rows with another number of features than the model was fitted on.
        (
            {"X": np.hstack([_rows(60, 100)] * 2)},
            "X has 2 features, but _TableClassifier is expecting 1 features",
        ),
        (
            {"method": "bbse", "X_val": np.hstack([_rows(0, 60)] * 3)},
            "X_val has 3 features, but _TableClassifier is expecting 1 features",
        ),
    ],
)
def test_bad_input_is_rejected_before_any_prediction(kwargs, match):
    clf, X_new, X_val, y_val = _table_problem()
    arguments = {
        "X": X_new,
        "train_priors": [0.5, 0.3, 0.2],
        "X_val": X_val,
        "y_val": y_val,
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        estimate_target_priors(clf, **arguments)
    assert clf.n_predict_calls_ == 0


def test_unfitted_estimator_is_rejected():
    X = np.zeros((3, 2))
    with pytest.raises(NotFittedError, match="not fitted yet.*Call fit first"):
        estimate_target_priors(LogisticRegression(), X, train_priors=[0.5, 0.5])


def test_bbse_needs_no_train_priors():
    clf, X_new, X_val, y_val = _table_problem()
    q = estimate_target_priors(clf, X_new, method="bbse", X_val=X_val, y_val=y_val)
    assert q.shape == (3,)
    assert_allclose(q.sum(), 1.0)
