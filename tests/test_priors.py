import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_lt.priors import check_priors, class_balanced_weights, estimate_priors


def test_estimate_priors_are_label_frequencies_aligned_with_sorted_classes():
    y = np.array([2, 0, 2, 2, 1, 2, 0, 2])
    expected = np.bincount(y) / y.size
    assert_allclose(estimate_priors(y), expected)


def test_estimate_priors_string_labels_follow_sorted_order():
    y = ["dog", "cat", "dog", "emu", "dog", "cat"]
    assert_allclose(estimate_priors(y), [2 / 6, 3 / 6, 1 / 6])


def test_estimate_priors_weighted_by_sample_weight():
    y = np.array([0, 0, 1, 1, 1])
    w = np.array([1.0, 3.0, 0.5, 0.5, 1.0])
    assert_allclose(estimate_priors(y, sample_weight=w), [4 / 6, 2 / 6])


def test_integer_sample_weight_equals_repeated_labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=50)
    w = rng.integers(1, 4, size=50)
    assert_allclose(
        estimate_priors(y, sample_weight=w), estimate_priors(np.repeat(y, w))
    )


def test_smoothing_gives_missing_class_a_positive_prior():
    priors = estimate_priors([0, 0, 0, 1], classes=[0, 1, 2], smoothing=1.0)
    assert_allclose(priors, [4 / 7, 2 / 7, 1 / 7])
    assert np.all(priors > 0)


def test_classes_order_is_respected_and_unsmoothed_missing_class_gets_zero():
    assert_allclose(
        estimate_priors(["a", "b", "b"], classes=["b", "c", "a"]),
        [
            2 / 3,
            0.0,
            1 / 3,
        ],
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": []}, "y is empty"),
        ({"y": [0, 1, 3], "classes": [0, 1, 2]}, r"labels \[3\] that are not among"),
        (
            {"y": [0, 1], "smoothing": -1.0},
            r"'smoothing' parameter of estimate_priors must be a finite float in the "
            r"range \[0.0, inf\) \(use 0 for plain frequencies.*\)\. Got -1.0 instead",
        ),
        (
            {"y": [0, 1], "smoothing": np.nan},
            r"'smoothing' parameter of estimate_priors must be a finite float.*Got nan",
        ),
        ({"y": [0, 1], "classes": [0, 1, 1]}, "classes has repeated entries"),
        ({"y": [0, 1], "sample_weight": [1.0, -1.0]}, "Negative values"),
        ({"y": [0, 1], "sample_weight": [1.0]}, "inconsistent numbers of samples"),
    ],
)
def test_estimate_priors_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        estimate_priors(**kwargs)


def test_check_priors_normalises_counts():
    assert_allclose(check_priors([1, 3], classes=[0, 1]), [0.25, 0.75])


def test_check_priors_dict_is_aligned_with_classes():
    priors = check_priors({"b": 0.2, "a": 0.3, "c": 0.5}, classes=["a", "b", "c"])
    assert_allclose(priors, [0.3, 0.2, 0.5])


def test_check_priors_dict_with_numpy_integer_classes():
    classes = np.array([3, 7])
    assert_allclose(check_priors({7: 1.0, 3: 3.0}, classes), [0.75, 0.25])


@pytest.mark.parametrize(
    "priors, match",
    [
        ([0.5, -0.1, 0.6], r"must be > 0 .* got \[-0.1\] for classes \['b'\]"),
        ([0.5, 0.0, 0.5], r"must be > 0 .*smoothing"),
        ([0.5, np.nan, 0.5], r"must be finite, got \[nan\]"),
        ([0.5, np.inf, 0.5], r"must be finite, got \[inf\]"),
        ([0.5, 0.5], r"has shape \(2,\) but there are 3 classes"),
        ([[0.2, 0.3, 0.5]], r"has shape \(1, 3\)"),
        ({"a": 1, "b": 1, "c": 1, "d": 1}, r"names labels \['d'\] that are not"),
        ({"a": 1, "b": 1}, r"no entry for classes \['c'\]"),
        (["x", "y", "z"], "must be numbers"),
    ],
)
def test_check_priors_rejects_bad_priors_naming_the_problem(priors, match):
    with pytest.raises(ValueError, match=match):
        check_priors(priors, classes=["a", "b", "c"])


def test_check_priors_error_names_custom_argument():
    with pytest.raises(ValueError, match="target_priors has shape"):
        check_priors([1.0], classes=[0, 1], name="target_priors")


def test_class_balanced_weights_are_normalised_effective_number_weights():
    counts = np.array([1000, 100, 10, 1])
    beta = 0.999
    raw = (1 - beta) / (1 - beta ** counts.astype(float))
    # 1 - beta**n cancels (the library uses expm1): eps / (1 - 0.999**10) = 2e-14
    # relative at worst, far inside rtol 1e-7.
    assert_allclose(class_balanced_weights(counts, beta=beta), raw * 4 / raw.sum())
    # beta = 0 gives equal weights; rarer classes never get less weight.
    assert_allclose(class_balanced_weights(counts, beta=0.0), np.ones(4))
    assert np.all(np.diff(class_balanced_weights(counts)) >= 0)


@pytest.mark.parametrize(
    "counts, beta", [([10, 0], 0.9), ([10, 5], 1.0), ([10, 5], -0.1), ([10, -1], 0.9)]
)
def test_class_balanced_weights_reject_bad_input(counts, beta):
    with pytest.raises(ValueError):
        class_balanced_weights(counts, beta=beta)


# --- the old path of estimate_target_priors (moved to sklearn_lt.label_shift) ------


def test_estimate_target_priors_old_path_warns_and_gives_the_moved_function():
    import sklearn_lt.priors
    from sklearn_lt import label_shift

    message = (
        r"sklearn_lt\.priors\.estimate_target_priors moved to sklearn_lt\.label_shift"
        r".*will be removed in 0\.3"
    )
    with pytest.warns(FutureWarning, match=message):
        old = sklearn_lt.priors.estimate_target_priors
    assert old is label_shift.estimate_target_priors
    with pytest.warns(FutureWarning, match=message):
        from sklearn_lt.priors import estimate_target_priors
    assert estimate_target_priors is label_shift.estimate_target_priors


def test_priors_module_names_only_its_own_functions():
    import sklearn_lt.priors

    assert "estimate_target_priors" not in sklearn_lt.priors.__all__
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        sklearn_lt.priors.nope  # noqa: B018
