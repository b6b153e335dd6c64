import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import balanced_accuracy_score

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


def test_class_only_in_y_pred_is_left_out_with_a_warning_like_sklearn():
    y_true = [0, 0, 1, 1]
    y_pred = [0, 2, 1, 1]
    assert_allclose(per_class_error(y_true, y_pred), [0.5, 0.0, np.nan])
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        ours = balanced_error(y_true, y_pred)
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        theirs = 1 - balanced_accuracy_score(y_true, y_pred)
    assert ours == pytest.approx(theirs) == pytest.approx(0.25)


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
