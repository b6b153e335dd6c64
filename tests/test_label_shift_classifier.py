"""LabelShiftClassifier: fit, adapt to unlabelled rows, predict (issue 15)."""

import inspect
import pickle

import numpy as np
import pytest
from _data import KnownPosteriorGaussians
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lt import LabelShiftClassifier, LogitAdjustedClassifier
from sklearn_lt._compat import InvalidParameterError
from sklearn_lt.label_shift import LogitCalibrator, estimate_target_priors

PROBLEM = KnownPosteriorGaussians()
TINY = np.finfo(np.float64).tiny
SHIFTED = np.array([0.1, 0.2, 0.3, 0.4])  # the deployment priors


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X, y = PROBLEM.sample(3000, PROBLEM.train_priors, rng)
    X_new, y_new = PROBLEM.sample(2000, SHIFTED, rng)
    return X, y, X_new, y_new


def _labels(y):
    return np.array(["ant", "bee", "cat", "dog"])[y]


def test_fit_adapt_predict_end_to_end_with_string_labels():
    X, y, X_new, y_new = _data()
    y, y_new = _labels(y), _labels(y_new)
    model = LabelShiftClassifier(LogisticRegression(), random_state=0).fit(X, y)
    before = model.score(X_new, y_new)
    assert_allclose(model.target_priors_, model.source_priors_)
    assert model.adapt(X_new) is model
    after = model.score(X_new, y_new)
    # The oracle: the same (uncalibrated) model adjusted with the true priors.
    oracle = LogitAdjustedClassifier(LogisticRegression(), target_priors=SHIFTED)
    oracle_score = oracle.fit(X, y).score(X_new, y_new)
    # Measured: 0.560 before, 0.713 adapted, 0.723 oracle. Adapting must recover
    # most of the gap; 2,000 test rows give accuracies a standard error of 0.01.
    assert after > before + 0.1
    assert after > oracle_score - 0.03
    # Measured: largest error 0.056 (class 1: 0.144 for 0.2, and this draw's own
    # frequency is 0.191). The model's error dominates: EM on the exact
    # posterior gives 0.181, and uncalibrated EM on the same model 0.144.
    assert np.abs(model.target_priors_ - SHIFTED).max() < 0.08
    assert set(model.predict(X_new)) <= set(model.classes_)
    assert_array_equal(model.classes_, ["ant", "bee", "cat", "dog"])
    proba = model.predict_proba(X_new)
    # Rows of normalised posteriors: logsumexp 0 up to the rounding of 4 terms.
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert_array_equal(model.predict(X_new), model.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("method", ["em", "bbse"])
@pytest.mark.parametrize("calibration", [None, "bcts", "vector"])
def test_a_frozen_model_gives_exactly_the_functions_estimate(method, calibration):
    X, y, X_new, _ = _data(1)
    fitted = LogisticRegression().fit(X[:2000], y[:2000])
    X_val, y_val = X[2000:], y[2000:]
    model = LabelShiftClassifier(
        FrozenEstimator(fitted), method=method, calibration=calibration
    ).fit(X_val, y_val)
    model.adapt(X_new)
    # The function with the same held-out rows: for uncalibrated EM the
    # classifier's source priors are the frequencies of its y (here y_val).
    kwargs = {"X_val": X_val, "y_val": y_val} if method == "bbse" or calibration else {}
    if calibration is None:
        kwargs["train_priors"] = np.bincount(y_val) / len(y_val)
    q, posteriors = estimate_target_priors(
        fitted,
        X_new,
        method=method,
        calibration=calibration,
        return_posteriors=True,
        **kwargs,
    )
    # The same operations on the same operands, in the same order.
    assert_array_equal(model.target_priors_, q)
    assert_array_equal(model.predict_proba(X_new), posteriors)
    assert model.estimator_ is model.estimator


def test_calibration_is_fitted_on_out_of_fold_posteriors():
    X, y, _, _ = _data(2)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    model = LabelShiftClassifier(LogisticRegression(), cv=cv).fit(X, y)
    # By hand: out-of-fold log-posteriors, a BCTS calibrator on them.
    out_of_fold = cross_val_predict(
        LogisticRegression(), X, y, cv=cv, method="predict_proba"
    )
    expected = LogitCalibrator("bcts").fit(np.log(np.maximum(out_of_fold, TINY)), y)
    # The same optimisation from the same operands.
    assert_allclose(model.calibrator_.scale_, expected.scale_, rtol=1e-12)
    assert_allclose(model.calibrator_.bias_, expected.bias_, atol=1e-12)
    # The prediction model is refitted on all rows.
    full = LogisticRegression().fit(X, y)
    assert_allclose(model.estimator_.coef_, full.coef_, rtol=1e-12)
    # Source priors: the mean calibrated out-of-fold posterior.
    log_val = expected.transform(np.log(np.maximum(out_of_fold, TINY)))
    source = np.exp(logsumexp(log_val, axis=0) - np.log(len(y)))
    assert_allclose(model.source_priors_, source / source.sum(), atol=1e-12)


def test_adapt_takes_no_labels_and_changes_neither_model_nor_calibration():
    assert list(inspect.signature(LabelShiftClassifier.adapt).parameters) == [
        "self",
        "X",
    ]
    X, y, X_new, _ = _data(3)
    model = LabelShiftClassifier(LogisticRegression()).fit(X, y)
    coef = model.estimator_.coef_.copy()
    scale, bias = model.calibrator_.scale_, model.calibrator_.bias_.copy()
    source = model.source_priors_.copy()
    first = model.adapt(X_new).target_priors_.copy()
    assert_array_equal(model.estimator_.coef_, coef)
    assert model.calibrator_.scale_ == scale
    assert_array_equal(model.calibrator_.bias_, bias)
    assert_array_equal(model.source_priors_, source)
    # Adapting again to the training rows replaces the estimate: no memory of
    # the previous batch.
    model.adapt(X)
    assert np.abs(model.target_priors_ - source).max() < 0.02  # sampling error
    assert_array_equal(model.adapt(X_new).target_priors_, first)


def test_interval_from_adapt_and_n_iter():
    X, y, X_new, _ = _data(4)
    model = LabelShiftClassifier(
        LogisticRegression(), confidence_level=0.9, n_resamples=40, random_state=0
    ).fit(X, y)
    assert model.target_priors_interval_ is None and not hasattr(model, "n_iter_")
    model.adapt(X_new)
    low, high = model.target_priors_interval_
    assert np.all(low <= model.target_priors_) and np.all(model.target_priors_ <= high)
    assert model.n_iter_ >= 1
    again = clone(model).fit(X, y).adapt(X_new).target_priors_interval_
    assert_array_equal(again, model.target_priors_interval_)
    # A level set after fit is read by adapt (it is not a fit-time parameter).
    model.set_params(confidence_level=None).adapt(X_new)
    assert model.target_priors_interval_ is None


def test_works_with_scikit_learn_tools():
    X, y, X_new, y_new = _data(5)
    pipeline = LabelShiftClassifier(
        make_pipeline(StandardScaler(), LogisticRegression())
    )
    search = GridSearchCV(
        pipeline, {"calibration": [None, "temperature", "bcts"]}, cv=3
    ).fit(X, y)
    best = search.best_estimator_.adapt(X_new)
    assert best.score(X_new, y_new) > 0.65  # measured 0.734; before adapting 0.550
    restored = pickle.loads(pickle.dumps(best))
    assert_array_equal(restored.predict(X_new), best.predict(X_new))
    assert_array_equal(restored.target_priors_, best.target_priors_)


def test_changing_a_fit_time_parameter_after_fit_is_refused():
    X, y, X_new, _ = _data(6)
    model = LabelShiftClassifier(LogisticRegression()).fit(X, y)
    model.set_params(calibration="vector")
    for call in (model.adapt, model.predict, model.predict_proba):
        with pytest.raises(ValueError, match="calibration was changed after fit"):
            call(X_new)
    model.set_params(calibration="bcts").adapt(X_new)  # set back: works
    model.set_params(estimator=LogisticRegression(C=0.1))
    with pytest.raises(ValueError, match="estimator was changed after fit.*fit again"):
        model.predict(X_new)


def test_bad_input_is_refused_before_any_work():
    X, y, X_new, _ = _data(7)
    model = LabelShiftClassifier(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LabelShiftClassifier"):
        model.adapt(np.hstack([X_new, X_new[:, :1]]))
    with pytest.raises(ValueError, match="X is empty"):
        model.adapt(X_new[:0])
    model.set_params(confidence_level=1.0)
    with pytest.raises(InvalidParameterError, match="'confidence_level' parameter"):
        model.adapt(X_new)
    with pytest.raises(InvalidParameterError, match="'confidence_level' parameter"):
        LabelShiftClassifier(LogisticRegression(), confidence_level=0).fit(X, y)
    with pytest.raises(NotFittedError):
        LabelShiftClassifier(LogisticRegression()).adapt(X_new)
    with pytest.raises(ValueError, match="does not take sample_weight"):
        LabelShiftClassifier(LogisticRegression()).fit(
            X, y, sample_weight=np.ones(len(y))
        )
    # A frozen model's calibration rows must hold every class of the model.
    frozen = FrozenEstimator(LogisticRegression().fit(X, y))
    keep = y != 3
    with pytest.raises(ValueError, match=r"y has no example of classes \[3\]"):
        LabelShiftClassifier(frozen).fit(X[keep], y[keep])
    with pytest.raises(NotFittedError, match="FrozenEstimator needs a fitted"):
        LabelShiftClassifier(FrozenEstimator(LogisticRegression())).fit(X, y)
