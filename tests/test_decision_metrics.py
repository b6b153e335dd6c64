"""Metrics beyond the balanced error: worst class, G- and H-mean of recalls, costs."""

import warnings

import numpy as np
import pytest
from _data import long_tailed_classification
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    make_scorer,
    recall_score,
)
from sklearn.model_selection import GridSearchCV

from sklearn_lt._compat import InvalidParameterError
from sklearn_lt.metrics import (
    balanced_error,
    expected_cost,
    geometric_mean_recall,
    geometric_mean_recall_scorer,
    harmonic_mean_recall,
    harmonic_mean_recall_scorer,
    worst_class_error,
    worst_class_error_scorer,
)

# Sums of at most a few hundred weights in float64, then a log, exp or reciprocal:
# results within a few hundred eps64 of the independent numpy computation.
RTOL = 1e-12


def _labels(seed, n=300, n_classes=4, weighted=False):
    rng = np.random.default_rng(seed)
    priors = np.geomspace(1.0, 0.1, n_classes)
    y_true = rng.choice(n_classes, size=n, p=priors / priors.sum())
    # Right 70% of the time, else a random class: every recall in (0, 1).
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, n_classes, n))
    w = rng.uniform(0.1, 2.0, n) if weighted else None
    return y_true, y_pred, w


def _numpy_recalls(y_true, y_pred, w):
    """Independent: the (weighted) recall of each class present in y_true."""
    w = np.ones(y_true.size) if w is None else w
    return np.array(
        [
            w[(y_true == c) & (y_pred == c)].sum() / w[y_true == c].sum()
            for c in np.unique(y_true)
        ]
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weighted", [False, True])
def test_recall_metrics_match_numpy_and_sklearns_recalls(seed, weighted):
    y_true, y_pred, w = _labels(seed, weighted=weighted)
    recalls = _numpy_recalls(y_true, y_pred, w)
    sk = recall_score(y_true, y_pred, average=None, sample_weight=w)
    assert_allclose(recalls, sk, rtol=RTOL)  # the reference itself, against sklearn
    assert_allclose(worst_class_error(y_true, y_pred, sample_weight=w), 1 - sk.min())
    assert_allclose(
        geometric_mean_recall(y_true, y_pred, sample_weight=w),
        np.prod(recalls) ** (1 / recalls.size),
        rtol=RTOL,
    )
    assert_allclose(
        harmonic_mean_recall(y_true, y_pred, sample_weight=w),
        recalls.size / np.sum(1 / recalls),
        rtol=RTOL,
    )


def test_means_are_zero_when_a_class_is_never_recognised():
    y_true, y_pred = [0, 0, 1, 1, 2], [0, 0, 1, 1, 0]
    assert geometric_mean_recall(y_true, y_pred) == 0.0
    assert harmonic_mean_recall(y_true, y_pred) == 0.0
    assert worst_class_error(y_true, y_pred) == 1.0


def test_geometric_mean_stays_finite_with_many_classes():
    # 2,000 classes, each recall 0.5: the plain product underflows to 0 (0.5**2000),
    # the log-space mean gives 0.5 (log and exp of 0.5: a few eps64).
    n_classes = 2000
    y_true = np.repeat(np.arange(n_classes), 2)
    y_pred = y_true.copy()
    y_pred[1::2] = (y_pred[1::2] + 1) % n_classes
    assert np.prod(np.full(n_classes, 0.5)) == 0.0
    assert_allclose(geometric_mean_recall(y_true, y_pred), 0.5, rtol=RTOL)


def test_sample_weights_equal_repeated_rows():
    y_true, y_pred, _ = _labels(0, n=60)
    counts = np.random.default_rng(1).integers(1, 4, y_true.size)
    for metric in (worst_class_error, geometric_mean_recall, harmonic_mean_recall):
        weighted = metric(y_true, y_pred, sample_weight=counts.astype(float))
        repeated = metric(np.repeat(y_true, counts), np.repeat(y_pred, counts))
        # Same sums of integers in another order: exact up to eps64 roundings.
        assert_allclose(weighted, repeated, rtol=RTOL)


def test_string_labels_and_classes_only_predicted_are_left_out_silently():
    y_true = np.array(["cat", "cat", "dog", "dog"])
    y_pred = np.array(["cat", "eel", "dog", "dog"])
    # Recalls: cat 1/2, dog 1; "eel" is only predicted: left out, as balanced_error
    # leaves it out, without a warning.
    expected = {
        worst_class_error: 0.5,
        geometric_mean_recall: np.sqrt(0.5),
        harmonic_mean_recall: 2 / 3,
        balanced_error: 0.25,
    }
    for metric, value in expected.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_allclose(metric(y_true, y_pred), value, rtol=RTOL)


def test_expected_cost_matches_numpy_and_known_special_cases():
    y_true, y_pred, w = _labels(2, weighted=True)
    rng = np.random.default_rng(3)
    cost = rng.uniform(0, 5, (4, 4))
    expected = np.sum(w * cost[y_true, y_pred]) / np.sum(w)
    assert_allclose(expected_cost(y_true, y_pred, cost, sample_weight=w), expected)
    # The 0-1 costs give the error rate; [i != k] / (C pi_i) the balanced error.
    zero_one = 1.0 - np.eye(4)
    assert_allclose(expected_cost(y_true, y_pred, zero_one), np.mean(y_true != y_pred))
    pi = np.bincount(y_true) / y_true.size
    assert_allclose(
        expected_cost(y_true, y_pred, zero_one / (4 * pi[:, None])),
        balanced_error(y_true, y_pred),
        rtol=RTOL,
    )


def test_expected_cost_follows_labels_order():
    y_true = np.array(["a", "b", "b"])
    y_pred = np.array(["b", "b", "a"])
    cost = np.array([[0.0, 1.0], [10.0, 0.0]])  # rows and columns: b, a
    # a -> b costs cost[1, 0] = 10, b -> b 0, b -> a cost[0, 1] = 1.
    assert_allclose(expected_cost(y_true, y_pred, cost, labels=["b", "a"]), 11 / 3)


@pytest.mark.parametrize(
    "cost, match",
    [
        (np.ones((3, 3)), r"shape \(3, 3\), but there are 2 classes"),
        ([[0, 1], [np.nan, 0]], r"finite costs >= 0, got \[nan\] at \(row, column\)"),
        ([[0, 1], [np.inf, 0]], r"finite costs >= 0"),
        ([[0, -1], [1, 0]], r"got \[-1.0\] at \(row, column\) \(0, 1\)"),
        ([[0, "x"], [1, 0]], r"cost_matrix must be a \(n_classes, n_classes\) array"),
    ],
)
def test_bad_cost_matrix_is_refused_with_its_fix(cost, match):
    with pytest.raises(ValueError, match=match):
        expected_cost([0, 1], [0, 1], cost)


def test_bad_cost_matrix_type_is_an_invalid_parameter():
    with pytest.raises(InvalidParameterError, match="'cost_matrix' parameter"):
        expected_cost([0, 1], [0, 1], "zero-one")


def test_all_zero_cost_row_is_legal_but_warned():
    with pytest.warns(UserWarning, match=r"all-zero rows for classes \[1\]"):
        value = expected_cost([0, 1, 1], [1, 0, 1], [[0, 2], [0, 0]])
    assert_allclose(value, 2 / 3)


@pytest.mark.parametrize("weighted", [False, True])
def test_zero_one_cost_matches_sklearns_accuracies(weighted):
    y_true, y_pred, w = _labels(4, weighted=weighted)
    zero_one = 1.0 - np.eye(4)
    assert_allclose(
        expected_cost(y_true, y_pred, zero_one, sample_weight=w),
        1 - accuracy_score(y_true, y_pred, sample_weight=w),
        rtol=RTOL,
    )
    # Uniform target priors: each class weighs 1/C, the balanced error.
    assert_allclose(
        expected_cost(
            y_true, y_pred, zero_one, sample_weight=w, target_priors=np.ones(4)
        ),
        1 - balanced_accuracy_score(y_true, y_pred, sample_weight=w),
        rtol=RTOL,
    )


@pytest.mark.parametrize("seed", range(3))
def test_expected_cost_under_target_priors_matches_numpy(seed):
    y_true, y_pred, w = _labels(seed, weighted=True)
    rng = np.random.default_rng(seed + 10)
    cost = rng.uniform(0, 5, (4, 4))
    target = rng.dirichlet(np.ones(4))
    # Independent: the target-weighted mean of each class's weighted mean cost.
    per_class = [
        np.average(cost[c, y_pred[y_true == c]], weights=w[y_true == c])
        for c in range(4)
    ]
    expected = float(np.dot(target, per_class))
    value = expected_cost(y_true, y_pred, cost, sample_weight=w, target_priors=target)
    assert_allclose(value, expected, rtol=RTOL)
    # A dict of target priors, and priors that do not sum to 1, are the same.
    as_dict = {c: 10 * p for c, p in enumerate(target)}
    assert_allclose(
        expected_cost(y_true, y_pred, cost, sample_weight=w, target_priors=as_dict),
        expected,
        rtol=RTOL,
    )


def test_target_priors_of_zero_drop_a_class_and_absent_classes_need_zero():
    y_true = np.array(["a", "a", "b", "b"])
    y_pred = np.array(["a", "b", "b", "c"])  # "c" is only predicted
    cost = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 8.0], [1.0, 1.0, 0.0]])
    # a: mean cost (0 + 1) / 2; b: (0 + 8) / 2; c has no example and prior 0.
    value = expected_cost(y_true, y_pred, cost, target_priors=[0.75, 0.25, 0])
    assert_allclose(value, 0.75 * 0.5 + 0.25 * 4.0, rtol=RTOL)
    assert_allclose(
        expected_cost(y_true, y_pred, cost, target_priors={"a": 1, "b": 0, "c": 0}),
        0.5,
        rtol=RTOL,
    )
    with pytest.raises(ValueError, match=r"classes \['c'\] a positive prior but"):
        expected_cost(y_true, y_pred, cost, target_priors=[1, 1, 1])
    # Weight 0 on every example of a class is as good as no example.
    with pytest.raises(ValueError, match=r"classes \['b'\] a positive prior but"):
        expected_cost(
            y_true, y_pred, cost, sample_weight=[1, 1, 0, 0], target_priors=[1, 1, 0]
        )


@pytest.mark.parametrize(
    "target, match",
    [
        ([1, 1], r"target_priors has shape \(2,\) but there are 3 classes"),
        ([1, -1, 1], r"target_priors must be >= 0, got \[-1.0\]"),
        ([0, 0, 0], r"target_priors are all 0"),
        ([1, np.nan, 1], r"target_priors must be finite"),
        ({"a": 1, "b": 1}, r"target_priors has no entry for classes \['c'\]"),
        ({"a": 1, "b": 1, "c": 0, "d": 1}, r"names labels \['d'\]"),
    ],
)
def test_bad_target_priors_are_refused_with_their_fix(target, match):
    with pytest.raises(ValueError, match=match):
        expected_cost(
            ["a", "b", "c"], ["a", "b", "c"], 1 - np.eye(3), target_priors=target
        )


def test_cost_pairs_equal_the_array_with_zero_one_elsewhere():
    y_true, y_pred, w = _labels(5, weighted=True)
    pairs = {(3, 0): 20.0, (0, 3): 0.5, (1, 1): 0.25}
    array = 1.0 - np.eye(4)
    array[3, 0], array[0, 3], array[1, 1] = 20.0, 0.5, 0.25
    assert_allclose(
        expected_cost(y_true, y_pred, pairs, sample_weight=w),
        expected_cost(y_true, y_pred, array, sample_weight=w),
        rtol=RTOL,
    )
    assert_allclose(
        expected_cost(y_true, y_pred, {}), np.mean(y_true != y_pred), rtol=RTOL
    )
    y_s, p_s = np.array(["x", "y", "y"]), np.array(["y", "y", "x"])
    assert_allclose(expected_cost(y_s, p_s, {("x", "y"): 6.0}), (6 + 0 + 1) / 3)


@pytest.mark.parametrize(
    "pairs, match",
    [
        ({(0, 5): 1.0}, r"names labels \[5\] that are not among the labels \[0, 1\]"),
        ({("0", 1): 1.0}, r"names labels \['0'\]"),
        ({0: 1.0}, r"needs \(true, predicted\) label pairs as keys"),
        ({(0, 1, 1): 1.0}, r"label pairs as keys, got \(0, 1, 1\)"),
        ({(0, 1): np.nan}, r"got \[nan\] at \(true, predicted\) labels \(0, 1\)"),
        ({(1, 0): -3}, r"got \[-3.0\] at \(true, predicted\) labels \(1, 0\)"),
    ],
)
def test_bad_cost_pairs_are_refused_with_their_fix(pairs, match):
    with pytest.raises(ValueError, match=match):
        expected_cost([0, 1], [0, 1], pairs)


def test_all_zero_row_of_cost_pairs_is_warned():
    with pytest.warns(UserWarning, match=r"all-zero rows for classes \[1\]") as rec:
        expected_cost([0, 1], [1, 0], {(1, 0): 0.0})
    assert rec[0].filename == __file__


def test_scorers_work_in_grid_search_with_the_right_sign():
    X, y = long_tailed_classification(n_samples=400, n_classes=4, seed=0)
    cost = 1.0 - np.eye(4)
    cost[3] *= 5  # missing the rarest class costs 5
    scorers = {
        "worst": worst_class_error_scorer,
        "gmean": geometric_mean_recall_scorer,
        "hmean": harmonic_mean_recall_scorer,
        "cost": make_scorer(expected_cost, greater_is_better=False, cost_matrix=cost),
    }
    search = GridSearchCV(
        LogisticRegression(max_iter=500),
        {"C": [0.1, 1.0]},
        scoring=scorers,
        refit=False,
    ).fit(X, y)
    res = search.cv_results_
    # Lower-is-better metrics are negated, as sklearn's neg_log_loss is.
    assert np.all(res["mean_test_worst"] <= 0) and np.all(res["mean_test_cost"] <= 0)
    assert np.all((res["mean_test_gmean"] >= 0) & (res["mean_test_gmean"] <= 1))
    # HM <= GM for each split, so for their means; 1e-12 absorbs float64 rounding.
    assert np.all(res["mean_test_hmean"] <= res["mean_test_gmean"] + 1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_geometric_mean_equals_imbalanced_learns(weighted):
    imblearn_metrics = pytest.importorskip(
        "imblearn.metrics", reason="imbalanced-learn (the test extra) not installed"
    )
    for seed in range(5):
        y_true, y_pred, w = _labels(seed, weighted=weighted)
        theirs = imblearn_metrics.geometric_mean_score(
            y_true, y_pred, average="multiclass", sample_weight=w
        )
        # imblearn takes the product of the recalls, this package the exp of the
        # mean log: a few eps64 apart at these few classes.
        assert_allclose(
            geometric_mean_recall(y_true, y_pred, sample_weight=w), theirs, rtol=RTOL
        )
