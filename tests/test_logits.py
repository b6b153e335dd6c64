"""LogitsClassifier: logits computed elsewhere as a scikit-learn classifier."""

import pickle

import numpy as np
import pytest
from _tolerance import EPS64, rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold

from sklearn_lt import (
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    LogitsClassifier,
)
from sklearn_lt._validation import unpredictable_rows
from sklearn_lt.metrics import balanced_error


def _logits(n_rows=200, n_classes=4, seed=0):
    """Logits of a model trained on long-tailed data, and balanced labels."""
    rng = np.random.default_rng(seed)
    priors = np.geomspace(1.0, 0.05, n_classes)
    priors /= priors.sum()
    y = rng.integers(n_classes, size=n_rows)
    logits = rng.normal(size=(n_rows, n_classes)) + np.log(priors)
    logits[np.arange(n_rows), y] += 2.0
    return logits, y, priors


def _numpy_log_softmax(logits):
    """Independent log-softmax: shift by the row maximum, then log-sum-exp."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_classes_come_from_the_parameter_then_y_then_the_columns():
    logits, y, _ = _logits(n_classes=3)
    assert_array_equal(LogitsClassifier().fit(logits).classes_, [0, 1, 2])
    names = np.array(["cat", "ant", "bee"])
    fitted = LogitsClassifier().fit(logits, names[y])
    assert_array_equal(fitted.classes_, ["ant", "bee", "cat"])  # np.unique(y)
    # Columns in the user's order, not sorted: classes_ keeps it.
    given = LogitsClassifier(classes=names).fit(logits, names[y])
    assert_array_equal(given.classes_, names)
    assert_array_equal(given.predict(logits), names[logits.argmax(axis=1)])
    assert given.n_features_in_ == 3


def test_predictions_are_the_normalised_logits():
    logits, _, _ = _logits()
    model = LogitsClassifier().fit(logits)
    expected = _numpy_log_softmax(logits)
    # Two ways of computing log-softmax from the same logits: they round apart
    # by ~eps of the largest operand (the logits, the log-sum-exp), not relatively.
    atol = rounding_atol(logits, expected)
    assert_allclose(model.predict_log_proba(logits), expected, rtol=0, atol=atol)
    # Probabilities are at most 1: an absolute rounding of a few eps of 1.
    assert_allclose(
        model.predict_proba(logits), np.exp(expected), rtol=0, atol=64 * EPS64
    )
    # decision_function is X itself: no arithmetic, so equal.
    assert_array_equal(model.decision_function(logits), logits)
    assert model.decision_function(logits.astype(np.float32)).dtype == np.float64
    assert_array_equal(model.predict(logits), logits.argmax(axis=1))


def test_two_classes_give_the_log_odds_as_decision_function():
    logits, _, _ = _logits(n_classes=2)
    model = LogitsClassifier().fit(logits)
    # One subtraction on both sides, in the same order: equal.
    assert_array_equal(model.decision_function(logits), logits[:, 1] - logits[:, 0])


def test_minus_infinity_is_a_probability_of_zero():
    logits = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    model = LogitsClassifier().fit(logits)
    proba = model.predict_proba(logits)
    assert proba[0, 1] == 0.0 and proba[1, 2] == 0.0
    # Rows of probabilities sum to 1 up to a few eps (at most 3 terms of <= 1).
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=4 * EPS64)
    assert_array_equal(model.predict(logits), [2, 0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_plus_infinity_are_refused(bad):
    logits, _, _ = _logits()
    corrupted = logits.copy()
    corrupted[5, 1] = bad
    with pytest.raises(ValueError, match=r"X holds NaN, \+inf.*first row 5"):
        LogitsClassifier().fit(corrupted)
    model = LogitsClassifier().fit(logits)
    with pytest.raises(ValueError, match="finite or -inf"):
        model.predict(corrupted)


def test_a_row_without_a_finite_logit_is_refused():
    logits = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="at least one finite value per row"):
        LogitsClassifier().fit(logits)


def test_one_column_per_class_or_a_clear_error():
    logits, y, _ = _logits(n_classes=4)
    # y lacks class 3: np.unique(y) has 3 classes for 4 columns.
    with pytest.raises(
        ValueError,
        match=r"X has 4 columns but there are 3 classes \(np.unique\(y\): "
        r"\[0, 1, 2\]\).*one column per class.*Pass classes=",
    ):
        LogitsClassifier().fit(logits, np.minimum(y, 2))
    # The fix the message gives: name every column.
    model = LogitsClassifier(classes=np.arange(4)).fit(logits, np.minimum(y, 2))
    assert_array_equal(model.classes_, np.arange(4))
    with pytest.raises(ValueError, match=r"X has 4 columns but there are 5 classes"):
        LogitsClassifier(classes=np.arange(5)).fit(logits)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among"):
        LogitsClassifier(classes=np.arange(4)).fit(logits, np.where(y == 0, 7, y))
    with pytest.raises(ValueError, match="repeated entries"):
        LogitsClassifier(classes=[0, 1, 1, 2]).fit(logits)


def test_prediction_checks_the_number_of_columns_and_fit():
    logits, _, _ = _logits(n_classes=4)
    with pytest.raises(NotFittedError):
        LogitsClassifier().predict(logits)
    model = LogitsClassifier().fit(logits)
    with pytest.raises(ValueError, match="X has 3 features, but LogitsClassifier"):
        model.predict_proba(logits[:, :3])


def test_pandas_logits_keep_their_column_names():
    pd = pytest.importorskip("pandas")
    logits, _, _ = _logits(n_classes=3)
    frame = pd.DataFrame(logits, columns=["ant", "bee", "cat"])
    model = LogitsClassifier(classes=["ant", "bee", "cat"]).fit(frame)
    assert_array_equal(model.feature_names_in_, ["ant", "bee", "cat"])
    assert_array_equal(model.predict(frame), model.classes_[logits.argmax(axis=1)])


def test_post_hoc_adjustment_with_the_priors_of_y():
    logits, y, _ = _logits(n_rows=500)
    names = np.array(["w", "x", "y", "z"])
    clf = LogitAdjustedClassifier(LogitsClassifier()).fit(logits, names[y])
    priors = np.bincount(y, minlength=4) / y.size
    # Counts over n on both sides: equal up to one rounding.
    assert_allclose(clf.priors_, priors, rtol=0, atol=EPS64)
    expected = names[np.argmax(_numpy_log_softmax(logits) - np.log(priors), axis=1)]
    assert_array_equal(clf.predict(logits), expected)


def test_frozen_logits_tune_tau_with_given_training_priors():
    logits_val, y_val, train_priors = _logits(n_rows=1200, seed=1)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    taus = np.linspace(0.0, 2.0, 9)
    model = FrozenEstimator(LogitsClassifier().fit(logits_val))
    tuner = LogitAdjustedClassifierCV(model, taus=taus, cv=cv, priors=train_priors)
    tuner.fit(logits_val, y_val)
    # Independent sweep: mean over the validation folds of the balanced error of
    # argmax(log_softmax(logits) - tau * log(train priors)).
    log_proba = _numpy_log_softmax(logits_val)
    mean_error = np.mean(
        [
            [
                balanced_error(
                    y_val[test],
                    np.argmax(log_proba[test] - tau * np.log(train_priors), axis=1),
                )
                for tau in taus
            ]
            for _, test in cv.split(logits_val, y_val)
        ],
        axis=0,
    )
    # Means of ratios of counts: ~eps apart, while a flipped prediction moves
    # an error by about 1/n.
    assert_allclose(tuner.cv_results_["mean_test_balanced_error"], mean_error)
    # The best mean error beats the next by ~0.02 (measured), far above rounding.
    assert tuner.best_tau_ == taus[np.argmin(mean_error)]
    assert tuner.best_tau_ > 0  # the logits carry the training prior


def test_pickled_model_predicts_the_same():
    # check_estimators_pickle fits on features, so it cannot run (test_common).
    logits, y, _ = _logits()
    model = LogitsClassifier(classes=np.array(["a", "b", "c", "d"])).fit(logits)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.classes_, model.classes_)
    # The same arithmetic on the same numbers: equal.
    assert_array_equal(restored.predict_proba(logits), model.predict_proba(logits))


def test_unpredictable_rows_are_nan_plus_inf_and_all_minus_inf_rows():
    inf = np.inf
    logits = np.array(
        [[0.0, -inf], [np.nan, 1.0], [inf, 0.0], [-inf, -inf], [1.0, 2.0]]
    )
    assert_array_equal(unpredictable_rows(logits), [1, 2, 3])
    assert unpredictable_rows(np.zeros((0, 3))).size == 0
    assert unpredictable_rows(logits[[0, 4]]).size == 0
