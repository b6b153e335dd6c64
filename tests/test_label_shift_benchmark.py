"""The label-shift benchmark's pieces, run on one seed and small grids."""

import numpy as np
import pytest
from _benchmarks import load_benchmark
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from sklearn_lt.label_shift import estimate_target_priors

LR = "logistic regression"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_label_shift")


@pytest.fixture(scope="module")
def data(bench):
    return bench.Seed(0, [LR, bench.INTERVAL_MODELS[1]])


def test_training_priors_follow_the_exponential_profile(bench):
    pi = bench.training_priors()
    expected = 10.0 ** (-np.arange(5) / 4)
    # One division and one sum of five terms apart from the formula.
    assert_allclose(pi, expected / expected.sum(), rtol=1e-15)
    assert pi[0] / pi[-1] == pytest.approx(bench.IMBALANCE_RATIO, rel=1e-12)


def test_bayes_posterior_is_the_gaussian_likelihood_times_the_prior(bench):
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(5))
    X, _ = bench.sample(q, 200, rng)
    means = bench.SEPARATION * np.eye(5)
    # Independent: log N(x; m_y, I) + log q_y, the full squared distance.
    log_joint = -0.5 * ((X[:, None, :] - means[None]) ** 2).sum(axis=2) + np.log(q)
    got = bench.bayes_log_posteriors(X, q)
    # Posteriors in [0, 1] from log-joints of size |x|^2 ~ 50: 64 roundings of those.
    assert_allclose(
        softmax(got, axis=1),
        softmax(log_joint, axis=1),
        atol=rounding_atol(log_joint),
    )


def test_tempered_classifier_sharpens_without_changing_predictions(bench, data):
    tempered = data.models[bench.INTERVAL_MODELS[1]]
    X = data.X_val[:500]
    base = tempered.estimator_.predict_proba(X)
    sharp = base ** (1 / bench.TEMPERATURE)
    sharp /= sharp.sum(axis=1, keepdims=True)
    # Powers of probabilities against log-softmax of their logs: a few ulps of 1,
    # magnified by the exponent 1 / 0.3.
    assert_allclose(tempered.predict_proba(X), sharp, atol=1e-12)
    assert_array_equal(tempered.predict(X), tempered.estimator_.predict(X))
    assert np.mean(tempered.predict_proba(X).max(axis=1)) > np.mean(base.max(axis=1))


def test_cell_measures_every_row_and_the_oracle_beats_no_adaptation(bench, data):
    q, X_pool, X_test, y_test = bench.deployment(0, 0.1)
    mae, acc = bench.run_cell(data, LR, q, X_pool[:1000], X_test, y_test)
    assert list(mae) == list(bench.ESTIMATES)
    assert list(acc) == list(bench.RULES)
    # Independent: the training frequencies as the estimate.
    pi = np.bincount(data.y_train, minlength=5) / data.y_train.size
    assert mae["no adaptation"] == pytest.approx(np.mean(np.abs(pi - q)), rel=1e-12)
    # This draw moves the priors far (MAE of no adaptation 0.09): on 10,000 test
    # rows the oracle's gain (about 4 points on this seed) dwarfs the noise.
    assert mae["no adaptation"] > 0.05
    assert acc["oracle"] > acc["no adaptation"] + 0.02
    # The Bayes rule is the best possible rule; 0.5 points of test-set noise.
    assert acc["Bayes"] >= max(acc.values()) - 0.005
    for name in bench.ESTIMATES[1:]:
        assert mae[name] < mae["no adaptation"], name


def test_calibrated_rule_is_the_functions_posterior(bench, data):
    """The script's calibrated scores give the posteriors the function returns."""
    q, X_pool, _, _ = bench.deployment(0, 1.0)
    X_new = X_pool[:300]
    model = data.models[bench.INTERVAL_MODELS[1]]
    for row, calibration in bench.CALIBRATIONS.items():
        priors, posteriors = estimate_target_priors(
            model,
            X_new,
            calibration=calibration,
            X_val=data.X_val,
            y_val=data.y_val,
            return_posteriors=True,
        )
        calibrator, log_source = data.calibrated[bench.INTERVAL_MODELS[1]][row]
        scores = (
            calibrator.transform(bench.log_proba_of(model, X_new))
            - log_source
            + np.log(priors)
        )
        # Same deterministic fit on the same rows; the sums differ in order only.
        assert_allclose(
            softmax(scores, axis=1), posteriors, atol=rounding_atol(scores), err_msg=row
        )


def test_interval_cell_gives_widths_and_coverages_in_range(bench, data):
    q, X_pool, _, _ = bench.deployment(0, bench.INTERVAL_CONCENTRATION)
    widths, covered = bench.interval_cell(data, LR, q, X_pool[:100], 10, 0)
    assert list(widths) == list(covered) == list(bench.INTERVALS)
    for name in bench.INTERVALS:
        assert 0.0 < widths[name] < 1.0
        # Coverage is a fraction of the 5 classes.
        assert covered[name] * 5 == pytest.approx(round(covered[name] * 5))


def test_run_fills_the_tables_and_the_figure(bench, tmp_path):
    grid, intervals = bench.run(
        range(1), [LR], (1.0,), (100, 300), interval_sizes=(100,), n_resamples=5
    )
    text = bench.estimate_table(grid[LR], "acc", bench.RULES)
    lines = text.splitlines()
    assert len(lines) == 2 + 2  # header, rule, one row per sample size
    assert lines[2].startswith("| 1 | 100 |") and lines[3].startswith("| 1 | 300 |")
    assert lines[0].count("|") == len(bench.RULES) + 3
    text = bench.interval_table(intervals)
    assert [line.split(" | ")[1] for line in text.splitlines()[2:]] == list(
        bench.INTERVALS
    )
    path = tmp_path / "label_shift.png"
    bench.save_figure(grid, 1.0, str(path))
    assert path.stat().st_size > 0


def test_adapting_classifier_agrees_with_the_function(bench):
    text, routes = bench.adapting_classifier(n=1000)
    assert "LabelShiftClassifier" in text and "estimate_target_priors" in text
    q_function, acc_function = routes["function"]
    q_frozen, acc_frozen = routes["frozen"]
    # The same calibrator on the same rows and the same EM: rounding apart
    # (EM's own tolerance, 1e-6 in L1, is far below this).
    assert_allclose(q_frozen, q_function, atol=1e-9)
    assert acc_frozen == acc_function
    # Cross-fitting splits the same labelled rows differently from the held-out
    # route: the estimates differ by that (0.009 at most on this seed), not by
    # the shift (0.18 from the training priors).
    q_crossed, acc_crossed = routes["cross-fitted"]
    assert np.max(np.abs(q_crossed - q_function)) < 0.03
    assert abs(acc_crossed - acc_function) < 0.01
