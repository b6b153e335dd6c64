import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm

from sklearn_lt.datasets import (
    gaussian_mixture_bayes,
    long_tailed_counts,
    make_gaussian_mixture,
    make_long_tailed,
)
from sklearn_lt.metrics import balanced_error


def _balanced(n_per_class=50, n_classes=5):
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = np.arange(y.size * 2, dtype=float).reshape(-1, 2)
    return X, y


def test_exponential_counts_follow_the_cifar_lt_formula():
    counts = long_tailed_counts(5000, 10, imbalance_ratio=100)
    # Independent: n_max * ratio ** (-k / (C - 1)), truncated as CIFAR-10-LT does;
    # pow rounds by an ulp (9e-13 at 5000), which the 1e-9 lifts exact powers over.
    expected = [int(5000 * (1 / 100) ** (k / 9) + 1e-9) for k in range(10)]
    assert_array_equal(counts, expected)
    assert counts[0] == 5000 and counts[-1] == 50
    assert counts.sum() == 12406  # CIFAR-10-LT at ratio 100 has 12,406 images.
    assert long_tailed_counts(500, 100, imbalance_ratio=100).sum() == 10847


def test_step_counts_split_classes_into_majority_and_minority():
    assert_array_equal(
        long_tailed_counts(100, 5, 10, profile="step", minority_fraction=0.4),
        [100, 100, 100, 10, 10],
    )


def test_ratio_one_keeps_every_class_and_counts_never_drop_below_one():
    assert_array_equal(long_tailed_counts(7, 3, 1), [7, 7, 7])
    assert long_tailed_counts(3, 4, 1000).min() == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"imbalance_ratio": 0.5},
            r"'imbalance_ratio' parameter of long_tailed_counts must be a finite float "
            r"in the range \[1.0, inf\)\. Got 0.5 instead",
        ),
        (
            {"imbalance_ratio": np.nan},
            "'imbalance_ratio' parameter of long_tailed_counts must be a finite float",
        ),
        (
            {"n_max": 0},
            r"'n_max' parameter of long_tailed_counts must be an int \(not a bool\) "
            r"in the range \[1, inf\)\. Got 0 instead",
        ),
        (
            {"n_classes": 1},
            r"'n_classes' parameter of long_tailed_counts must be an int \(not a "
            r"bool\) in the range \[2, inf\)\. Got 1 instead",
        ),
        (
            {"profile": "linear"},
            "'profile' parameter of long_tailed_counts must be a str among .*'step'.*"
            "Got 'linear' instead",
        ),
        ({"profile": "step", "minority_fraction": 1.0}, "minority_fraction"),
        ({"profile": "step", "minority_fraction": 0.01}, "no minority class"),
    ],
)
def test_bad_profile_arguments_are_rejected(kwargs, match):
    args = {"n_max": 10, "n_classes": 4, "imbalance_ratio": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        long_tailed_counts(**args)


def test_make_long_tailed_keeps_the_profile_and_returns_the_kept_rows():
    X, y = _balanced()
    X_lt, y_lt, kept = make_long_tailed(
        X, y, imbalance_ratio=10, random_state=0, return_indices=True
    )
    assert_array_equal(np.bincount(y_lt), long_tailed_counts(50, 5, 10))
    assert_array_equal(X_lt, X[kept])
    assert_array_equal(y_lt, y[kept])
    assert np.all(np.diff(kept) > 0)


def test_make_long_tailed_is_reproducible_and_seed_dependent():
    X, y = _balanced()

    def kept(seed):
        return make_long_tailed(X, y, 10, random_state=seed, return_indices=True)[2]

    first = kept(3)
    assert_array_equal(first, kept(3))
    assert not np.array_equal(first, kept(4))


def test_class_order_chooses_the_head_and_string_labels_work():
    X, y = _balanced(n_classes=3)
    labels = np.array(["cat", "dog", "eel"])[y]
    _, y_lt = make_long_tailed(
        X, labels, 10, class_order=["eel", "cat", "dog"], random_state=0
    )
    values, counts = np.unique(y_lt, return_counts=True)
    assert dict(zip(values, counts, strict=True)) == {"eel": 50, "cat": 15, "dog": 5}


def test_n_max_defaults_to_the_smallest_class_and_sparse_and_pandas_are_indexed():
    pd = pytest.importorskip("pandas")
    X, y = _balanced()
    y = y[5:]  # class 0 now has 45 examples
    X = X[5:]
    X_lt, _, kept = make_long_tailed(
        sp.csr_matrix(X), y, 2, random_state=0, return_indices=True
    )
    assert sp.issparse(X_lt)
    assert np.bincount(y[kept])[0] == 45
    frame = pd.DataFrame(X, columns=["a", "b"])
    X_lt, _, kept = make_long_tailed(frame, y, 2, random_state=0, return_indices=True)
    assert isinstance(X_lt, pd.DataFrame)
    assert_array_equal(X_lt.index, frame.index[kept])


def test_make_long_tailed_returns_x_and_y_like_sklearns_data_makers():
    X, y = _balanced()
    result = make_long_tailed(X, y, 10, random_state=0)
    assert isinstance(result, tuple) and len(result) == 2
    X_lt, y_lt, kept = make_long_tailed(X, y, 10, random_state=0, return_indices=True)
    assert_array_equal(result[0], X_lt)
    assert_array_equal(result[1], y_lt)


def test_make_long_tailed_errors_name_the_problem():
    X, y = _balanced()
    with pytest.raises(ValueError, match=r"class 0 \(position 0.*has 50 examples but"):
        make_long_tailed(X, y, 10, n_max=60)
    with pytest.raises(ValueError, match="at least 2 classes"):
        make_long_tailed(X[:50], y[:50], 10)
    with pytest.raises(ValueError, match="class_order must list each of the 5"):
        make_long_tailed(X, y, 10, class_order=[0, 1, 2, 3, 3])
    with pytest.raises(ValueError, match=r"class_order contains labels \[9\]"):
        make_long_tailed(X, y, 10, class_order=[0, 1, 2, 3, 9])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_long_tailed(X[:-1], y, 10)
    with pytest.raises(ValueError, match="imbalance_ratio"):
        make_long_tailed(X, y, 0.9)


def test_gaussian_mixture_has_the_requested_prior_and_means():
    X, y = make_gaussian_mixture(
        200_000, minority_prior=0.05, mean=(1.0, -2.0, 0.5), scale=2.0, random_state=0
    )
    assert X.shape == (200_000, 3)
    # Margins in standard errors (measured deviations in brackets): the prior 4 SE
    # (1), the 10,000 rare rows' means 2.5 SE (1.35), the 190,000 frequent rows'
    # means 4.3 SE (1.3) and standard deviations 6 SE (0.5).
    assert abs(y.mean() - 0.05) < 0.002
    assert_allclose(X[y == 1].mean(axis=0), [1.0, -2.0, 0.5], atol=0.05)
    assert_allclose(X[y == 0].mean(axis=0), [-1.0, 2.0, -0.5], atol=0.02)
    assert_allclose(X[y == 0].std(axis=0), 2.0, atol=0.02)


def test_bayes_rule_balanced_error_matches_monte_carlo_and_the_normal_cdf():
    mean, scale = np.array([0.6, 0.8, 0.0]), 0.7
    rule = gaussian_mixture_bayes(mean=mean, scale=scale)
    # Independent: each class is on the wrong side of mu.x = 0 with Phi(-|mu|/sigma).
    # exp(log_ndtr(x)) against ndtr(x) at x = -1.43: rounding ~5 eps (measured 3e-16),
    # rtol 1e-12 is 4500 eps.
    assert_allclose(rule.balanced_error, norm.cdf(-1.0 / 0.7), rtol=1e-12)
    X, y = make_gaussian_mixture(
        400_000, minority_prior=0.1, mean=mean, scale=scale, random_state=1
    )
    # The standard error of a balanced error on 40,000 rare and 360,000 frequent
    # rows is 0.0007: 0.004 is 5.7 of them (measured 0.00013).
    assert abs(balanced_error(y, rule.predict(X)) - rule.balanced_error) < 0.004
    # No rule does better: shifting the threshold either way costs balanced error
    # (measured 0.018 and 0.019; 0.0186 either way for the Gaussians themselves).
    for shift in (-0.3, 0.3):
        shifted = (rule.decision_function(X) > shift).astype(int)
        assert balanced_error(y, shifted) > rule.balanced_error + 0.005


def test_bayes_error_stays_accurate_far_in_the_tail():
    for mean, distance in (((6.0, 8.0), 10.0), ((21.0, 28.0), 35.0)):
        rule = gaussian_mixture_bayes(mean=mean)
        assert rule.balanced_error > 0
        # exp of log_ndtr ~ -616 turns its rounding (~616 eps absolute) into a
        # relative error of ~1.4e-13 (measured 1.9e-14); rtol 1e-10 is ample.
        assert_allclose(rule.balanced_error, norm.sf(distance), rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"minority_prior": 0.0},
            r"'minority_prior' parameter of make_gaussian_mixture must be a finite "
            r"float in the range \(0.0, 1.0\)\. Got 0.0 instead",
        ),
        ({"minority_prior": 1.5}, "minority_prior"),
        ({"mean": (0.0, 0.0)}, "must not be 0"),
        ({"mean": [[1.0, 1.0]]}, "1-d vector"),
        (
            {"scale": -1.0},
            r"'scale' parameter of make_gaussian_mixture must be a finite float in "
            r"the range \(0.0, inf\)\. Got -1.0 instead",
        ),
        (
            {"n_samples": 0},
            r"'n_samples' parameter of make_gaussian_mixture must be an int \(not a "
            r"bool\) in the range \[1, inf\)\. Got 0 instead",
        ),
        (
            {"n_samples": 2.5},
            r"'n_samples' parameter of make_gaussian_mixture must be an int.*Got 2.5",
        ),
    ],
)
def test_bad_gaussian_mixture_arguments_are_rejected(kwargs, match):
    args = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_gaussian_mixture(**args)
