"""Many classes and many rows: batched scoring, bounded memory, same answers."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.validation import validate_data

from sklearn_lt import (
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    LogitsClassifier,
)
from sklearn_lt.metrics import balanced_error, many_medium_few_error


class RowRecorder(ClassifierMixin, BaseEstimator):
    """Logistic regression that records how many rows each scoring call gets."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse="csr")
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.calls_ = []
        return self

    def predict_log_proba(self, X):
        X = validate_data(self, X, reset=False, accept_sparse="csr")
        self.calls_.append(X.shape[0])
        return self.model_.predict_log_proba(X)


def _data(n_samples=500, n_classes=4, seed=0):
    weights = np.geomspace(1, 0.05, n_classes)
    return make_classification(
        n_samples=n_samples,
        n_features=8,
        n_informative=6,
        n_classes=n_classes,
        weights=weights / weights.sum(),
        random_state=seed,
    )


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("batch_size", [1, 7, 64, 10**6])
def test_batched_predictions_equal_unbatched(n_classes, batch_size):
    X, y = _data(n_classes=n_classes)
    whole = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    batched = LogitAdjustedClassifier(LogisticRegression(), batch_size=batch_size)
    batched.fit(X, y)
    log_proba = whole.estimator_.predict_log_proba(X)
    scores = log_proba - np.log(whole.priors_)
    assert_array_equal(batched.predict(X), whole.classes_[scores.argmax(axis=1)])
    # BLAS rounds X @ coef differently at each batch shape (M = 1, 7, ...), so the
    # O(10) log-probabilities differ by ~eps of their size, and so do differences of
    # them that are near 0 (measured: <= 1 eps * max|log p|, 8.9e-16 on 5.8e-4).
    # Probabilities carry that rounding as a relative error: |dp| <= p * atol.
    atol = rounding_atol(log_proba, np.log(whole.priors_))
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        assert_allclose(
            getattr(batched, method)(X), getattr(whole, method)(X), rtol=0, atol=atol
        )


@pytest.mark.parametrize("container", ["list", "sparse", "pandas"])
def test_batches_slice_every_input_container(container):
    X, y = _data()
    if container == "list":
        X_in = X.tolist()
    elif container == "sparse":
        X_in = sp.csr_matrix(X)
    else:
        pd = pytest.importorskip("pandas")
        X_in = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = LogitAdjustedClassifier(RowRecorder(), batch_size=100).fit(X_in, y)
    expected = LogitAdjustedClassifier(RowRecorder()).fit(X_in, y).predict(X_in)
    clf.estimator_.calls_.clear()
    assert_array_equal(clf.predict(X_in), expected)
    assert clf.estimator_.calls_ == [100] * 5


def test_default_batch_follows_sklearn_working_memory():
    X, y = _data(n_samples=2000)
    clf = LogitAdjustedClassifier(RowRecorder()).fit(X, y)
    clf.estimator_.calls_.clear()
    clf.predict(X)
    assert clf.estimator_.calls_ == [2000]  # 32 MiB holds every row
    # Independent: 4 float64 per class and row, in working_memory MiB.
    working_memory = 300 * 4 * 8 * 4 / 2**20  # MiB for 300 rows of 4 classes
    with sklearn.config_context(working_memory=working_memory):
        clf.estimator_.calls_.clear()
        clf.predict(X)
    assert clf.estimator_.calls_ == [300] * 6 + [200]


def test_cv_tuner_sweep_is_batched_and_independent_of_batch_size():
    X, y = _data(n_samples=600)
    results = []
    for batch_size in (None, 13):
        search = LogitAdjustedClassifierCV(
            RowRecorder(), taus=9, cv=3, batch_size=batch_size
        ).fit(X, y)
        results.append(search)
    whole, batched = results
    assert whole.best_tau_ == batched.best_tau_
    # Error rates from the same integer counts: equal unless an argmax near-tie flips
    # (a 1/n step); rtol 1e-7 only absorbs the order of the means.
    for key, value in whole.cv_results_.items():
        assert_allclose(batched.cv_results_[key], value, equal_nan=True)


@pytest.mark.parametrize("batch_size", [None, 3])
def test_cv_tuner_batch_size_does_not_change_a_custom_scorer(batch_size):
    X, y = _data(n_samples=300)
    search = LogitAdjustedClassifierCV(
        LogisticRegression(), taus=5, cv=3, scoring="accuracy", batch_size=batch_size
    ).fit(X, y)
    reference = LogitAdjustedClassifierCV(
        LogisticRegression(), taus=5, cv=3, scoring="accuracy"
    ).fit(X, y)
    # Accuracies are ratios of the same counts: rtol 1e-7 is far below a 1/n step.
    assert_allclose(
        search.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
    )


def test_bad_batch_size_is_rejected_before_fitting():
    X, y = _data()
    for bad in (0, -3, 2.5, "10"):
        with pytest.raises(ValueError, match="batch_size"):
            LogitAdjustedClassifier(LogisticRegression(), batch_size=bad).fit(X, y)
        with pytest.raises(ValueError, match="batch_size"):
            LogitAdjustedClassifierCV(LogisticRegression(), batch_size=bad).fit(X, y)


def _two_thousand_classes(n_per_class=8, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    n_classes = 2000
    centres = rng.normal(scale=3.0, size=(n_classes, n_features))
    # A long tail: class k has between 2 and n_per_class * 4 examples.
    counts = np.maximum(2, (4 * n_per_class * np.geomspace(1, 0.05, n_classes)))
    counts = counts.astype(int)
    y = np.repeat(np.arange(n_classes), counts)
    X = centres[y] + rng.normal(size=(y.size, n_features))
    return X, y


def test_two_thousand_classes_with_bounded_memory():
    X, y = _two_thousand_classes(n_per_class=4)
    n_rows, n_classes = X.shape[0], 2000
    clf = LogitAdjustedClassifier(GaussianNB(), batch_size=512).fit(X, y)
    reference = clf.estimator_.predict_log_proba(X) - np.log(clf.priors_)
    full_scores_bytes = reference.nbytes
    expected = clf.classes_[reference.argmax(axis=1)]
    del reference
    tracemalloc.start()
    try:
        y_pred = clf.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # GaussianNB builds a few batch x n_classes float64 arrays per call (measured:
    # about 40 MiB, five of them); the whole score matrix is never held at once.
    batch_scores_bytes = 512 * n_classes * 8
    assert n_rows > 10 * 512
    assert peak < 10 * batch_scores_bytes, (peak, batch_scores_bytes)
    assert peak < full_scores_bytes / 2, (peak, full_scores_bytes)
    # Same answers as the unbatched computation, and metrics on 2,000 classes.
    assert_array_equal(y_pred, expected)
    assert (
        0.0 <= balanced_error(y, y_pred) < balanced_error(y, clf.estimator_.predict(X))
    )
    bands = many_medium_few_error(y, y_pred, np.bincount(y, minlength=n_classes))
    assert set(bands) == {"many", "medium", "few"}


def test_cv_tuner_on_two_thousand_classes_matches_unbatched():
    X, y = _two_thousand_classes(n_per_class=3, seed=1)
    kwargs = {"taus": [0.0, 0.5, 1.0, 1.5], "cv": 2, "refit": False}
    batched = LogitAdjustedClassifierCV(GaussianNB(), batch_size=200, **kwargs)
    whole = LogitAdjustedClassifierCV(GaussianNB(), **kwargs)
    batched.fit(X, y)
    whole.fit(X, y)
    assert batched.best_tau_ == whole.best_tau_
    # GaussianNB scores rows one by one (no BLAS): the same counts, the same errors.
    assert_allclose(
        batched.cv_results_["mean_test_balanced_error"],
        whole.cv_results_["mean_test_balanced_error"],
    )


class CachedDecision(ClassifierMixin, BaseEstimator):
    """Returns the same array from every decision_function call (a cache)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.cache_ = np.tile(np.arange(self.classes_.size, dtype=float), (len(X), 1))
        return self

    def decision_function(self, X):
        return self.cache_


def test_in_place_adjustment_never_touches_the_estimators_arrays():
    X = np.zeros((6, 1))
    y = np.array([0, 0, 0, 0, 1, 2])
    clf = LogitAdjustedClassifier(
        CachedDecision(), response_method="decision_function"
    ).fit(X, y)
    first = clf.decision_function(X)
    assert_array_equal(clf.estimator_.cache_, np.tile([0.0, 1.0, 2.0], (6, 1)))
    assert_allclose(clf.decision_function(X), first)


def test_precomputed_logits_route_of_the_scaling_page(tmp_path):
    rng = np.random.default_rng(0)
    n_classes = 50
    train_priors = np.geomspace(1.0, 0.01, n_classes)
    train_priors /= train_priors.sum()

    def logits_and_labels(n_rows):
        # Balanced labels; logits of a model trained on long-tailed data (its
        # scores carry the training prior).
        y = rng.integers(n_classes, size=n_rows)
        logits = rng.normal(size=(n_rows, n_classes)) + np.log(train_priors)
        logits[np.arange(n_rows), y] += 3.0
        return logits, y

    logits_val, y_val = logits_and_labels(3000)
    logits_test, y_test = logits_and_labels(3000)
    path = tmp_path / "logits_test.npy"
    np.save(path, logits_test)
    mapped = np.load(path, mmap_mode="r")

    # The docs' scaling example: the validation logits as a frozen model.
    classes = np.arange(n_classes)
    model = FrozenEstimator(LogitsClassifier(classes=classes).fit(logits_val))
    tuner = LogitAdjustedClassifierCV(model, priors=train_priors, batch_size=256).fit(
        logits_val, y_val
    )
    y_pred = tuner.predict(mapped)
    # Independent: argmax of logits - tau * log(priors), in numpy.
    expected = np.argmax(logits_test - tuner.best_tau_ * np.log(train_priors), axis=1)
    assert_array_equal(y_pred, expected)
    plain = np.argmax(logits_test, axis=1)
    assert balanced_error(y_test, y_pred) < balanced_error(y_test, plain) - 0.05
    assert 0.5 <= tuner.best_tau_ <= 1.5


class RecordingLogits(LogitsClassifier):
    def predict_log_proba(self, X):
        self.calls_ = [*getattr(self, "calls_", []), X.shape[0]]
        return super().predict_log_proba(X)


def test_default_batch_is_32_mib_of_scores_with_many_classes():
    n_classes, n_rows = 2000, 4000
    logits = np.random.default_rng(0).normal(size=(n_rows, n_classes))
    y = np.arange(n_rows) % n_classes
    clf = LogitAdjustedClassifier(RecordingLogits(), priors=np.ones(n_classes))
    clf.fit(logits, y)
    clf.estimator_.calls_ = []
    clf.predict(logits)
    # Independent: 32 MiB over 4 float64 per class and row.
    rows = 32 * 2**20 // (4 * 8 * n_classes)
    assert rows == 524
    assert clf.estimator_.calls_ == [rows] * 7 + [n_rows - 7 * rows]
