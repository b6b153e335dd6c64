import warnings

import numpy as np
import pytest
from _data import gaussian_classes
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold, cross_val_score

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.metrics import (
    balanced_error,
    balanced_error_scorer,
    frequency_bands,
    many_medium_few_error,
    per_class_error,
)


def _numpy_per_class_error(y_true, y_pred, labels, w):
    """Independent float64 evaluation: 1 - (weighted) recall of each label."""
    out = []
    for label in labels:
        mask = y_true == label
        support = w[mask].sum()
        out.append(
            np.nan if support == 0 else w[mask & (y_pred != label)].sum() / support
        )
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weighted", [False, True])
def test_balanced_error_is_one_minus_balanced_accuracy(seed, weighted):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 6, size=200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 6, size=200))
    w = rng.random(200) if weighted else None
    expected = 1 - balanced_accuracy_score(y_true, y_pred, sample_weight=w)
    # Ratios of (weighted) counts of ~0.4, along two code paths: ~eps apart, far
    # inside approx's 1e-6.
    assert balanced_error(y_true, y_pred, sample_weight=w) == pytest.approx(expected)


def test_per_class_error_matches_numpy_with_string_labels():
    rng = np.random.default_rng(1)
    names = np.array(["ant", "bee", "cat", "dog"])
    y_true = names[rng.integers(0, 4, size=300)]
    y_pred = names[rng.integers(0, 4, size=300)]
    w = rng.random(300)
    expected = _numpy_per_class_error(y_true, y_pred, names, w)
    # Ratios of weighted sums of 300 positive weights: ~eps apart, rtol 1e-7 ample.
    assert_allclose(per_class_error(y_true, y_pred, sample_weight=w), expected)


def test_class_only_in_y_pred_is_left_out_silently_with_sklearns_value():
    y_true = [0, 0, 1, 1]
    y_pred = [0, 2, 1, 1]
    assert_allclose(per_class_error(y_true, y_pred), [0.5, 0.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = balanced_error(y_true, y_pred)
    # scikit-learn warns of the same case; the value is the same.
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        theirs = 1 - balanced_accuracy_score(y_true, y_pred)
    # (0.5 + 0) / 2: the prediction of class 2 is an error of class 0.
    assert ours == pytest.approx(theirs) == pytest.approx(0.25)


def test_cross_val_score_with_the_rarest_class_missing_from_folds_does_not_warn():
    # "fox" has 3 training examples: 5 folds leave it out of at least two.
    X, y, _, _ = gaussian_classes(seed=3, counts=(300, 120, 60, 25, 12, 3))
    model = LogitAdjustedClassifier(LogisticRegression())
    cv = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = cross_val_score(
            model, X, y, cv=cv, scoring=balanced_error_scorer, error_score="raise"
        )

    expected, folds_without_fox, predicted_absent = [], 0, False
    for train, test in cv.split(X, y):
        y_pred = clone(model).fit(X[train], y[train]).predict(X[test])
        present = np.unique(y[test])
        folds_without_fox += "fox" not in present
        predicted_absent |= bool(np.setdiff1d(y_pred, present).size)
        # Independent float64 evaluation: mean recall error over present classes.
        errors = [np.mean(y_pred[y[test] == c] != c) for c in present]
        expected.append(-np.mean(errors))
    # The case under test happens: a fold's model predicts a class it lacks.
    assert folds_without_fox >= 2
    assert predicted_absent
    # Means of ratios of counts along two code paths: ~eps apart.
    assert_allclose(scores, expected)


def test_always_predicting_the_head_class_has_balanced_error_one_minus_one_over_c():
    y_true = np.array([0] * 90 + [1] * 9 + [2])
    assert balanced_error(y_true, np.zeros_like(y_true)) == pytest.approx(2 / 3)


def test_scorer_is_negated_balanced_error():
    from sklearn.dummy import DummyClassifier

    X = np.zeros((10, 1))
    y = np.array([0] * 8 + [1] * 2)
    clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    assert balanced_error_scorer(clf, X, y) == pytest.approx(-0.5)


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([], [], "y_true is empty"),
        ([0, 1], [0, 1, 1], "inconsistent numbers of samples"),
        ([0, 1, 1], [0.5, 1.2, 0.1], "y_pred must hold class labels"),
        ([[0, 1], [1, 0]], [[0, 1], [1, 0]], "y should be a 1d array"),
    ],
)
def test_metrics_reject_bad_labels(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        balanced_error(y_true, y_pred)


def test_frequency_bands_boundaries_follow_the_paper():
    counts = [101, 100, 20, 19, 0]
    assert list(frequency_bands(counts)) == ["many", "medium", "medium", "few", "few"]


def test_frequency_bands_thresholds_are_configurable():
    assert list(frequency_bands([5, 50, 500], thresholds=(10, 40))) == [
        "few",
        "many",
        "many",
    ]


def test_many_medium_few_error_averages_per_class_errors_in_each_band():
    rng = np.random.default_rng(3)
    labels = np.arange(6)
    counts = np.array([500, 150, 60, 25, 10, 3])  # 2 many, 2 medium, 2 few
    y_true = rng.integers(0, 6, size=600)
    y_pred = np.where(rng.random(600) < 0.5, y_true, rng.integers(0, 6, size=600))
    errors = _numpy_per_class_error(y_true, y_pred, labels, np.ones(600))
    result = many_medium_few_error(y_true, y_pred, counts)
    # Means of the same per-class ratios: ~eps apart, inside approx's 1e-6.
    assert result == pytest.approx(
        {
            "many": errors[:2].mean(),
            "medium": errors[2:4].mean(),
            "few": errors[4:].mean(),
        }
    )
    as_dict = many_medium_few_error(
        y_true, y_pred, dict(zip(labels, counts, strict=True))
    )
    assert as_dict == pytest.approx(result)


def test_many_medium_few_error_band_without_test_class_is_nan():
    result = many_medium_few_error(
        ["a", "a", "b"], ["a", "b", "b"], {"a": 200, "b": 50}
    )
    assert result["many"] == pytest.approx(0.5)
    assert result["medium"] == pytest.approx(0.0)
    assert np.isnan(result["few"])


def test_many_medium_few_error_array_counts_follow_given_labels():
    # The test set lacks class 1; `labels` keeps the training counts aligned.
    result = many_medium_few_error([0, 2, 2], [0, 2, 0], [300, 40, 5], labels=[0, 1, 2])
    assert result == pytest.approx(
        {"many": 0.0, "medium": np.nan, "few": 0.5}, nan_ok=True
    )


@pytest.mark.parametrize(
    "counts, kwargs, match",
    [
        ([300, 40], {}, r"class_counts has shape \(2,\) but there are 3 classes"),
        ({0: 300, 1: 40}, {}, r"no entry for classes \[2\]"),
        ([300, -1, 5], {}, "must be finite and >= 0"),
        (
            [300, 40, 5],
            {"thresholds": (100, 20)},
            r"'thresholds' parameter of many_medium_few_error must be two numbers "
            r"\(low, high\) with low <= high, each a finite float in the range "
            r"\[0.0, inf\) \(the paper's bands are thresholds=\(20, 100\)\)\. "
            r"Got \(100, 20\) instead",
        ),
        (
            [300, 40, 5],
            {"thresholds": 20},
            r"'thresholds' parameter of many_medium_few_error must be two numbers "
            r"\(low, high\).*Got 20 instead",
        ),
        ([300, 40], {"labels": [0, 1]}, r"hold labels \[2\] that are not in labels"),
    ],
)
def test_many_medium_few_error_rejects_bad_counts(counts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        many_medium_few_error([0, 1, 2], [0, 1, 2], counts, **kwargs)
