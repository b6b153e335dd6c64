"""Calibrated EM and bootstrap intervals of estimate_target_priors (issue 15).

The problems have known posteriors (tests/_data.KnownPosteriorGaussians), so a
model can be made miscalibrated in a known way: its logits divided by a
temperature, shifted by a bias.
"""

import numpy as np
import pytest
from _data import KnownPosteriorGaussians
from _tolerance import rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax, logsumexp

from sklearn_lt.label_shift import (
    LogitCalibrator,
    _em_weighted,
    estimate_target_priors,
)

PROBLEM = KnownPosteriorGaussians()
TINY = np.finfo(np.float64).tiny
CALIBRATIONS = ["temperature", "bcts", "vector"]


def _sample(n, priors, seed):
    return PROBLEM.sample(n, priors, np.random.default_rng(seed))


def _reference_em(log_proba, log_source, weights, tol, max_iter=100_000):
    """EM written out in log space with scipy's logsumexp, one weighting."""
    log_q = log_source.copy()
    for n_iter in range(1, max_iter + 1):
        log_post = log_proba + (log_q - log_source)
        log_post -= logsumexp(log_post, axis=1, keepdims=True)
        new = logsumexp(log_post, axis=0, b=weights[:, None])
        new -= logsumexp(new)
        change = np.abs(np.exp(new) - np.exp(log_q)).sum()
        log_q = new
        if change < tol:
            return log_q, n_iter
    return log_q, 0


# --- the EM iteration -----------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 30.0, 3000.0])
def test_batched_em_matches_log_space_em_for_each_weighting(scale):
    rng = np.random.default_rng(0)
    log_proba = log_softmax(rng.standard_normal((400, 5)) * scale, axis=1)
    log_proba = np.maximum(log_proba, np.log(TINY))
    log_source = np.log([0.4, 0.25, 0.15, 0.15, 0.05])
    weights = rng.integers(0, 3, size=(6, 400)).astype(float)
    log_q, n_iter, _ = _em_weighted(log_proba, log_source, weights, 1e-10, 10_000)
    for b in range(6):
        expected, expected_iter = _reference_em(
            log_proba, log_source, weights[b], 1e-10
        )
        # The same iteration in another order of operations: both converge to
        # the same fixed point to within rounding of log-priors of size <= 40.
        assert_allclose(log_q[b], expected, atol=rounding_atol(expected, ulps=4096))
        assert n_iter[b] == expected_iter


def test_batched_em_takes_the_log_space_route_where_a_normaliser_underflows():
    # The training prior of class 1 is 1e-300, so w = q / pi of class 1 is about
    # 1e299 times that of class 0 once q moves: for rows sure of class 0, the
    # scaled normaliser is ~1e-300, below the matrix route's floor.
    log_proba = np.array([[0.0, -1000.0]] * 50 + [[-1000.0, 0.0]] * 50 + [[-0.5, -0.9]])
    log_source = np.array([np.log1p(-1e-300), np.log(1e-300)])
    weights = np.vstack([np.ones(101), np.r_[np.full(50, 2.0), np.ones(51)]])
    log_q, n_iter, _ = _em_weighted(log_proba, log_source, weights, 1e-12, 1000)
    for b in range(2):
        expected, _ = _reference_em(log_proba, log_source, weights[b], 1e-12)
        # Log-priors of size ~1 from sums of 101 terms: rounding is ~1e-14.
        assert_allclose(log_q[b], expected, atol=1e-12)
    assert np.all(n_iter > 0) and np.all(np.isfinite(log_q))


# --- calibrated EM ----------------------------------------------------------------


@pytest.mark.parametrize("calibration", CALIBRATIONS)
def test_calibrated_em_is_bayes_rule_on_a_calibrator_fitted_by_hand(calibration):
    model = PROBLEM.model(temperature=0.5)
    X_val, y_val = _sample(1500, PROBLEM.train_priors, seed=1)
    X, _ = _sample(800, [0.1, 0.2, 0.3, 0.4], seed=2)
    q, posteriors = estimate_target_priors(
        model,
        X,
        calibration=calibration,
        X_val=X_val,
        y_val=y_val,
        tol=1e-12,
        return_posteriors=True,
    )
    # Independently: the calibrator on the clipped log-posteriors, the source
    # prior as the mean calibrated validation posterior, EM in log space.
    log = lambda Z: np.log(np.maximum(model.predict_proba(Z), TINY))  # noqa: E731
    calibrator = LogitCalibrator(calibration).fit(log(X_val), y_val)
    log_val = calibrator.transform(log(X_val))
    log_source = logsumexp(log_val, axis=0) - np.log(len(y_val))
    log_source -= logsumexp(log_source)
    target = calibrator.transform(log(X))
    log_q, _ = _reference_em(target, log_source, np.ones(len(X)), 1e-12)
    # Both stop when the L1 change is below 1e-12; EM's error is then of that
    # order, plus the rounding of log-priors of size <= 5.
    assert_allclose(q, np.exp(log_q), atol=1e-10)
    log_post = target + log_q - log_source
    expected = np.exp(log_post - logsumexp(log_post, axis=1, keepdims=True))
    assert_allclose(posteriors, expected, atol=1e-9)  # through q's error of 1e-10


@pytest.mark.parametrize("calibration", [None, *CALIBRATIONS])
@pytest.mark.parametrize("method", ["em", "bbse"])
def test_the_validation_set_as_target_estimates_no_shift(calibration, method):
    model = PROBLEM.model()  # the exact posterior
    X_val, y_val = _sample(3000, PROBLEM.train_priors, seed=3)
    kwargs = {"train_priors": PROBLEM.train_priors} if calibration is None else {}
    q = estimate_target_priors(
        model,
        X_val,
        method=method,
        calibration=calibration,
        X_val=X_val,
        y_val=y_val,
        **kwargs,
    )
    # The estimate is that of the labels' own frequencies, which are within
    # sampling error of the training priors: 3000 rows give standard deviations
    # sqrt(p (1 - p) / 3000) <= 0.0091; 0.03 is more than three of them.
    assert_allclose(q, PROBLEM.train_priors, atol=0.03)
    frequencies = np.bincount(y_val, minlength=4) / len(y_val)
    if method == "bbse" or calibration in ("bcts", "vector"):
        # BBSE solves C w = mu with mu the row sums of C: w = 1, q = the
        # frequencies exactly. With a free bias, the log-loss optimum has mean
        # calibrated posterior = label frequencies (its gradient in the bias),
        # and EM starts at its fixed point: q = frequencies up to L-BFGS's
        # projected-gradient tolerance (1e-5).
        assert_allclose(q, frequencies, atol=1e-4)


def _dirichlet_errors(model, concentration, n_draws=15, seed=0):
    """Mean absolute error of each estimator over Dirichlet target priors."""
    rng = np.random.default_rng(seed)
    X_val, y_val = PROBLEM.sample(2000, PROBLEM.train_priors, rng)
    errors = {name: [] for name in ["em", "bbse", *CALIBRATIONS]}
    for _ in range(n_draws):
        q = rng.dirichlet(np.full(4, concentration))
        X, _ = PROBLEM.sample(2000, q, rng)
        # Under-confident scores make EM slow: some draws here need more than
        # the default 1,000 iterations (a ConvergenceWarning at the default).
        val = {"X_val": X_val, "y_val": y_val, "max_iter": 20_000}
        estimates = {
            "em": estimate_target_priors(
                model, X, train_priors=PROBLEM.train_priors, max_iter=20_000
            ),
            "bbse": estimate_target_priors(model, X, method="bbse", **val),
        }
        for calibration in CALIBRATIONS:
            estimates[calibration] = estimate_target_priors(
                model, X, calibration=calibration, **val
            )
        for name, estimate in estimates.items():
            errors[name].append(np.abs(estimate - q).mean())
    return {name: float(np.mean(e)) for name, e in errors.items()}


@pytest.mark.parametrize("concentration", [0.1, 1.0, 10.0])
@pytest.mark.parametrize(
    "temperature, bias",
    [(0.4, None), (2.5, None), (0.6, np.array([0.0, 0.8, -0.5, 0.4]))],
    ids=["over-confident", "under-confident", "over-confident-and-biased"],
)
def test_calibrated_em_beats_em_and_bbse_on_a_miscalibrated_model(
    concentration, temperature, bias
):
    errors = _dirichlet_errors(PROBLEM.model(temperature, bias), concentration)
    for calibration in CALIBRATIONS:
        if bias is not None and calibration == "temperature":
            continue  # a temperature cannot undo a class bias (the next test)
        assert errors[calibration] <= errors["em"], errors
        assert errors[calibration] <= errors["bbse"], errors


def test_a_temperature_cannot_undo_a_class_bias_but_bcts_can():
    model = PROBLEM.model(0.6, np.array([0.0, 0.8, -0.5, 0.4]))
    errors = _dirichlet_errors(model, 1.0)
    # Measured (mean absolute error): temperature 0.036, BCTS 0.016.
    assert errors["bcts"] < 0.6 * errors["temperature"], errors


def test_on_a_calibrated_model_calibration_costs_little():
    errors = _dirichlet_errors(PROBLEM.model(), 1.0)
    # The calibrator's own fit on 2,000 rows adds its noise: measured (mean
    # absolute error) EM 0.0104, temperature 0.0130, BCTS 0.0159, vector 0.0167,
    # BBSE 0.0305. Calibrating a calibrated model costs, but stays ahead of BBSE.
    for calibration in CALIBRATIONS:
        assert errors[calibration] <= 2.0 * errors["em"], errors
        assert errors[calibration] < errors["bbse"], errors


# --- intervals ----------------------------------------------------------------------


def test_interval_is_returned_last_reproducible_and_holds_the_estimate():
    model = PROBLEM.model(0.5)
    X_val, y_val = _sample(1000, PROBLEM.train_priors, seed=4)
    X, _ = _sample(1000, [0.25, 0.25, 0.25, 0.25], seed=5)
    kwargs = {"calibration": "bcts", "X_val": X_val, "y_val": y_val}
    q = estimate_target_priors(model, X, **kwargs)
    q2, posteriors, interval = estimate_target_priors(
        model,
        X,
        return_posteriors=True,
        confidence_level=0.9,
        n_resamples=50,
        random_state=0,
        **kwargs,
    )
    assert_array_equal(q, q2)
    assert posteriors.shape == (1000, 4) and interval.shape == (2, 4)
    assert np.all(interval[0] <= q) and np.all(q <= interval[1])
    again = estimate_target_priors(
        model, X, confidence_level=0.9, n_resamples=50, random_state=0, **kwargs
    )[1]
    assert_array_equal(again, interval)
    wider = estimate_target_priors(
        model, X, confidence_level=0.99, n_resamples=50, random_state=0, **kwargs
    )[1]
    assert np.all(wider[0] <= interval[0]) and np.all(interval[1] <= wider[1])


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_interval_coverage_over_200_draws_is_within_5_points_of_nominal(method):
    """The interval covers the true target prior about as often as it says.

    200 draws of target priors (Dirichlet, concentration 10), 1,000 unlabelled
    rows each (and, for BBSE, a fresh labelled validation set of 1,000 rows,
    resampled within each class); 90% intervals from 100 resamples.
    """
    model = PROBLEM.model()
    rng = np.random.default_rng(0)
    hits = []
    for draw in range(200):
        q = rng.dirichlet(np.full(4, 10.0))
        X, _ = PROBLEM.sample(1000, q, rng)
        if method == "em":
            kwargs = {"train_priors": PROBLEM.train_priors}
        else:
            X_val, y_val = PROBLEM.sample(1000, PROBLEM.train_priors, rng)
            kwargs = {"method": "bbse", "X_val": X_val, "y_val": y_val}
        _, (low, high) = estimate_target_priors(
            model,
            X,
            confidence_level=0.9,
            n_resamples=100,
            random_state=draw,
            **kwargs,
        )
        hits.append((low <= q) & (q <= high))
    hits = np.asarray(hits)
    # 800 class-draws (4 per draw, correlated within a draw): the coverage's
    # standard error is about 1.1 points, so a correct 90% interval lands within
    # 5 points with a wide margin; each class alone (200 draws, 2.1 points)
    # within 8. Measured (pooled): EM 0.889, BBSE 0.879; per class 0.855-0.91.
    assert abs(hits.mean() - 0.9) <= 0.05, hits.mean(axis=0)
    assert np.all(np.abs(hits.mean(axis=0) - 0.9) <= 0.08), hits.mean(axis=0)
