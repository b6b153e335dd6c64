"""The logit calibrators of Alexandari et al. (2020), before EM (issue 15, part)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.optimize import approx_fprime
from scipy.special import log_softmax, logsumexp

from sklearn_lt._calibration import _negative_log_likelihood
from sklearn_lt.label_shift import LogitCalibrator


def _sample(n, seed, n_classes=4):
    """True logits and labels drawn from their softmax."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, n_classes)) * 2.0
    proba = np.exp(log_softmax(logits, axis=1))
    codes = (proba.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return logits, codes


def _nll(log_proba, codes):
    return -log_proba[np.arange(codes.size), codes].mean()


def test_temperature_recovers_an_overconfident_models_temperature():
    logits, codes = _sample(40_000, seed=0)
    fitted = LogitCalibrator("temperature").fit(3.0 * logits, codes)
    # 1/T = 1/3: with 40,000 rows the fitted scale's standard deviation over
    # seeds is 0.003 (measured on 10 other seeds), so 0.02 is more than six.
    assert fitted.scale_ == pytest.approx(1 / 3, abs=0.02)
    np.testing.assert_array_equal(fitted.bias_, np.zeros(4))


def test_bcts_recovers_a_shift_of_the_class_biases():
    logits, codes = _sample(40_000, seed=1)
    shift = np.array([1.0, -0.5, 0.0, 2.0])
    fitted = LogitCalibrator("bcts").fit(logits + shift, codes)
    # The bias is defined up to a constant: compare centred values. Their
    # standard deviations over 10 other seeds are 0.011-0.018 (largest error
    # seen 0.04); 0.08 is more than four of them.
    recovered = fitted.bias_ - fitted.bias_.mean()
    np.testing.assert_allclose(recovered, -(shift - shift.mean()), atol=0.08)
    assert fitted.scale_ == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("method", ["temperature", "bcts", "vector"])
def test_calibration_lowers_the_log_loss_and_stays_normalised(method):
    logits, codes = _sample(5_000, seed=2)
    distorted = 2.5 * logits + np.array([0.5, 0.0, -1.0, 0.3])
    calibrator = LogitCalibrator(method).fit(distorted, codes)
    calibrated = calibrator.transform(distorted)
    before = _nll(log_softmax(distorted, axis=1), codes)
    assert _nll(calibrated, codes) < before
    # logsumexp of a log-softmax row is 0 up to the rounding of C terms.
    np.testing.assert_allclose(np.exp(calibrated).sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("method", ["temperature", "bcts", "vector"])
def test_gradient_matches_finite_differences(method):
    logits, codes = _sample(300, seed=3)
    n_params = {"temperature": 1, "bcts": 5, "vector": 8}[method]
    params = np.random.default_rng(4).normal(1.0, 0.3, n_params)
    _, grad = _negative_log_likelihood(params, method, logits, codes)
    numeric = approx_fprime(
        params, lambda p: _negative_log_likelihood(p, method, logits, codes)[0], 1e-7
    )
    # Forward differences with step 1e-7: error about 1e-7 times the curvature
    # (below 10 here), plus rounding of about 1e-16 / 1e-7; 1e-5 covers both.
    np.testing.assert_allclose(grad, numeric, atol=1e-5)


def test_extreme_logits_stay_finite():
    logits, codes = _sample(2_000, seed=5)
    calibrator = LogitCalibrator("bcts").fit(500.0 * logits, codes)
    out = calibrator.transform(1e4 * logits)
    # Log-probabilities of gaps up to ~1e4: finite, at most 0, and normalised
    # (a row's logsumexp is 0 up to the rounding of 4 terms).
    assert np.all(np.isfinite(out)) and np.all(out <= 0)
    np.testing.assert_allclose(logsumexp(out, axis=1), 0.0, atol=1e-12)


def test_bad_input_is_refused_with_the_fix():
    logits, codes = _sample(100, seed=6)
    with pytest.raises(ValueError, match="method.*bcts"):
        LogitCalibrator("platt").fit(logits, codes)
    logits[0, 0] = -np.inf
    with pytest.raises(ValueError, match="finite floor"):
        LogitCalibrator("bcts").fit(logits, codes)


def test_public_face_labels_columns_and_refusals():
    logits, codes = _sample(2_000, seed=7, n_classes=3)
    labels = np.array(["cat", "ant", "bee"])[codes]  # sorted: ant, bee, cat
    ordered = logits[:, [1, 2, 0]]  # columns in the order of the sorted labels
    calibrator = LogitCalibrator("vector").fit(ordered, labels)
    assert_array_equal(calibrator.classes_, ["ant", "bee", "cat"])
    assert calibrator.n_features_in_ == 3
    codes_sorted = np.searchsorted(["ant", "bee", "cat"], labels)
    expected = LogitCalibrator("vector").fit(ordered, codes_sorted)
    # The same optimisation from the same operands.
    np.testing.assert_allclose(calibrator.bias_, expected.bias_, atol=1e-12)
    with pytest.raises(ValueError, match="X has 3 columns but y has 2 distinct"):
        LogitCalibrator().fit(ordered, np.where(labels == "cat", "bee", labels))
    with pytest.raises(ValueError, match="X has 2 features, but LogitCalibrator"):
        calibrator.transform(ordered[:, :2])
    bad = ordered.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="1 non-finite scores.*row 3"):
        calibrator.transform(bad)
