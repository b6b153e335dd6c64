"""The adjustment, the metrics and the post-hoc estimators under the array API.

With ``sklearn.set_config(array_api_dispatch=True)`` (conftest.py sets
``SCIPY_ARRAY_API=1``), results follow the namespace and device of the input and
equal NumPy's. The namespaces: array-api-strict on its CPU device and on
``device1`` (an array there refuses ``np.asarray``, so any hidden conversion to
NumPy fails: the CPU stand-in for a GPU), torch on the CPU, and torch on CUDA
(marked ``gpu``, skipped without a device). scikit-learn's own array API common
checks run on ``LogitAdjustedClassifier(LinearDiscriminantAnalysis())`` in
tests/test_common.py.
"""

import numpy as np
import pytest
from _tolerance import EPS32, EPS64, rounding_atol
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.frozen import FrozenEstimator

import sklearn_lt._logits
import sklearn_lt._posthoc
import sklearn_lt.metrics
from sklearn_lt import LogitAdjustedClassifier, LogitsClassifier, logit_adjust
from sklearn_lt._compat import get_namespace_and_device, move_to
from sklearn_lt.metrics import (
    balanced_error,
    expected_cost,
    geometric_mean_recall,
    harmonic_mean_recall,
    many_medium_few_error,
    per_class_error,
    worst_class_error,
)

pytestmark = pytest.mark.skipif(
    __import__("os").environ.get("SCIPY_ARRAY_API") != "1",
    reason="scikit-learn's array API dispatch needs SCIPY_ARRAY_API=1 before scipy "
    "is imported (conftest.py sets it unless the environment already does)",
)

NAMESPACES = [
    pytest.param(("array_api_strict", "CPU_DEVICE"), id="strict-cpu"),
    pytest.param(("array_api_strict", "device1"), id="strict-device1"),
    pytest.param(("torch", "cpu"), id="torch-cpu"),
    pytest.param(("torch", "cuda"), id="torch-cuda", marks=pytest.mark.gpu),
]


@pytest.fixture(params=NAMESPACES)
def place(request):
    """``(module, device)``: the array library and the device to put arrays on."""
    name, device_name = request.param
    module = pytest.importorskip(name)
    if name == "torch":
        if device_name == "cuda" and not module.cuda.is_available():
            pytest.skip("no CUDA device on this machine")
        return module, module.device(device_name)
    return module, module.Device(device_name)


def _to(place, array):
    module, device = place
    return module.asarray(np.asarray(array), device=device)


def _back(array):
    """To NumPy, on the CPU (explicitly, as a user would)."""
    return move_to(array, xp=np, device="cpu")


def _assert_where(result, place):
    module, device = place
    with config_context(array_api_dispatch=True):
        xp, _, result_device = get_namespace_and_device(result)
        reference_xp, _, _ = get_namespace_and_device(module.asarray([1.0]))
    assert xp is reference_xp
    assert result_device == device


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    logits = 3 * rng.normal(size=(200, 5))
    priors = np.array([0.5, 0.25, 0.15, 0.07, 0.03])
    y = rng.choice(5, size=200, p=priors)
    y_pred = np.where(rng.random(200) < 0.6, y, rng.integers(0, 5, 200))
    return logits, priors, y, y_pred, rng.random(200)


# --- logit_adjust -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logit_adjust_stays_in_the_input_namespace_and_equals_numpy(
    place, problem, dtype
):
    logits, priors, *_ = problem
    logits = logits.astype(dtype)
    expected = logit_adjust(logits, priors)
    with config_context(array_api_dispatch=True):
        result = logit_adjust(_to(place, logits), priors)
    _assert_where(result, place)
    assert _back(result).dtype == dtype
    # The same subtraction of the same float shift: one rounding each side.
    eps = EPS32 if dtype == np.float32 else EPS64
    assert_allclose(
        _back(result), expected, rtol=0, atol=rounding_atol(logits, eps=eps)
    )


def test_logit_adjust_of_probabilities_clips_zeros_as_numpy_does(place, problem):
    logits, priors, *_ = problem
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba[0, 0] = 0.0  # clipped to the smallest float64 before the log
    expected = logit_adjust(proba, priors, kind="proba", tau=1.5)
    with config_context(array_api_dispatch=True):
        result = logit_adjust(_to(place, proba), priors, kind="proba", tau=1.5)
    _assert_where(result, place)
    # A log in each library (last-ulp differences), then the same subtraction; the
    # clipped entry is log(tiny) = -708, so the atol is in its units.
    assert_allclose(_back(result), expected, rtol=0, atol=rounding_atol(expected))


def test_logit_adjust_takes_priors_from_the_same_namespace(place, problem):
    logits, priors, *_ = problem
    with config_context(array_api_dispatch=True):
        result = logit_adjust(_to(place, logits), _to(place, priors))
    _assert_where(result, place)
    # The priors are read as the same float64 numbers: the same arithmetic.
    assert_allclose(_back(result), logit_adjust(logits, priors), rtol=0, atol=0)


# --- metrics ------------------------------------------------------------------------


def test_per_class_error_stays_in_the_input_namespace(place, problem):
    _, _, y, y_pred, weight = problem
    with config_context(array_api_dispatch=True):
        errors = per_class_error(_to(place, y), _to(place, y_pred))
        weighted = per_class_error(
            _to(place, y), _to(place, y_pred), sample_weight=_to(place, weight)
        )
        chosen = per_class_error(
            _to(place, y), _to(place, y_pred), labels=[4, 3, 2, 1, 0, 9]
        )
    _assert_where(errors, place)
    # Counts are exact integers in float64: the same divisions give the same bits.
    assert_array_equal(_back(errors), per_class_error(y, y_pred))
    # Weighted sums in another order: a few roundings of numbers below 200.
    assert_allclose(
        _back(weighted),
        per_class_error(y, y_pred, sample_weight=weight),
        rtol=0,
        atol=rounding_atol([200.0]),
    )
    # labels in any order, with one absent from y_true (NaN error), as NumPy's.
    assert_array_equal(
        _back(chosen), per_class_error(y, y_pred, labels=[4, 3, 2, 1, 0, 9])
    )
    unknown = pytest.raises(ValueError, match="not among the labels")
    with unknown, config_context(array_api_dispatch=True):
        per_class_error(_to(place, y), _to(place, y_pred), labels=[0, 1])


@pytest.mark.parametrize(
    "metric",
    [balanced_error, worst_class_error, geometric_mean_recall, harmonic_mean_recall],
)
def test_scalar_metrics_equal_numpy(place, problem, metric):
    _, _, y, y_pred, weight = problem
    with config_context(array_api_dispatch=True):
        plain = metric(_to(place, y), _to(place, y_pred))
        weighted = metric(_to(place, y), _to(place, y_pred), sample_weight=weight)
    assert isinstance(plain, float)
    # Per-class errors from exact counts, then the same NumPy reduction.
    assert plain == metric(y, y_pred)
    # Weighted sums in another order: relative roundings of order 1e-15.
    assert weighted == pytest.approx(
        metric(y, y_pred, sample_weight=weight), rel=64 * EPS64
    )


def test_many_medium_few_and_expected_cost_equal_numpy(place, problem):
    _, _, y, y_pred, weight = problem
    counts = {0: 500, 1: 80, 2: 30, 3: 12, 4: 5}
    cost = np.random.default_rng(1).random((5, 5))
    with config_context(array_api_dispatch=True):
        bands = many_medium_few_error(_to(place, y), _to(place, y_pred), counts)
        mean_cost = expected_cost(
            _to(place, y),
            _to(place, y_pred),
            cost,
            sample_weight=_to(place, weight),
            target_priors=[0.1, 0.2, 0.3, 0.2, 0.2],
        )
    assert bands == many_medium_few_error(y, y_pred, counts)
    # A weighted mean of costs below 1, summed in another order.
    assert mean_cost == pytest.approx(
        expected_cost(
            y,
            y_pred,
            cost,
            sample_weight=weight,
            target_priors=[0.1, 0.2, 0.3, 0.2, 0.2],
        ),
        rel=64 * EPS64,
    )


# --- estimators ---------------------------------------------------------------------

_METHODS = ("predict_log_proba", "predict_proba", "decision_function")


def test_logits_in_estimators_predict_in_the_input_namespace(place, problem):
    logits, _, y, *_ = problem
    numpy_model = LogitAdjustedClassifier(LogitsClassifier(), tau=1.2).fit(logits, y)
    with config_context(array_api_dispatch=True):
        model = LogitAdjustedClassifier(LogitsClassifier(), tau=1.2)
        model.fit(_to(place, logits), _to(place, y))
        X = _to(place, logits)
        outputs = {name: getattr(model, name)(X) for name in (*_METHODS, "predict")}
        inner = model.estimator_.predict_log_proba(X)
    _assert_where(model.train_priors_, place)
    _assert_where(inner, place)
    for name, result in outputs.items():
        _assert_where(result, place)
        expected = getattr(numpy_model, name)(logits)
        if name == "predict":
            assert_array_equal(_back(result), expected)
        else:
            # log-sum-exp in two libraries: roundings of log-probabilities whose
            # magnitude is that of the logits (|logits| < 15).
            assert_allclose(_back(result), expected, rtol=0, atol=rounding_atol(logits))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adjusted_discriminant_analysis_predicts_in_the_input_namespace(
    place, problem, dtype
):
    _, _, y, *_ = problem
    X = (np.random.default_rng(2).normal(size=(200, 4)) + y[:, None]).astype(dtype)
    numpy_model = LogitAdjustedClassifier(LinearDiscriminantAnalysis()).fit(X, y)
    with config_context(array_api_dispatch=True):
        model = LogitAdjustedClassifier(LinearDiscriminantAnalysis())
        model.fit(_to(place, X), _to(place, y))
        proba = model.predict_proba(_to(place, X))
        labels = model.predict(_to(place, X))
    _assert_where(proba, place)
    _assert_where(labels, place)
    # LDA's own linear algebra differs between libraries (an SVD): scikit-learn's
    # tolerance for its array API checks, 1000 eps of the input's dtype.
    eps = EPS32 if dtype == np.float32 else EPS64
    assert_allclose(_back(proba), numpy_model.predict_proba(X), rtol=0, atol=1000 * eps)
    # Labels agree except where two adjusted scores tie within that rounding.
    assert np.mean(_back(labels) == numpy_model.predict(X)) >= 0.99


def test_numpy_labels_follow_x_to_its_device(place, problem):
    # LDA alone fails on a NumPy y beside a tensor X (inside torch.unique); the
    # adjuster copies numeric host labels to X's device for its estimator.
    _, _, y, *_ = problem
    X = np.random.default_rng(2).normal(size=(200, 4)) + y[:, None]
    with config_context(array_api_dispatch=True):
        given = LogitAdjustedClassifier(LinearDiscriminantAnalysis())
        given.fit(_to(place, X), _to(place, y))
        host = LogitAdjustedClassifier(LinearDiscriminantAnalysis())
        host.fit(_to(place, X), y)
        labels = host.predict(_to(place, X))
        expected = given.predict(_to(place, X))
    _assert_where(labels, place)
    assert_array_equal(_back(labels), _back(expected))  # the same fit, bit for bit


def test_string_labels_come_back_as_numpy(place, problem):
    logits, _, y, *_ = problem
    names = np.array(["ant", "bee", "cat", "dog", "eel"])[y]
    with config_context(array_api_dispatch=True):
        model = LogitAdjustedClassifier(LogitsClassifier()).fit(
            _to(place, logits), names
        )
        labels = model.predict(_to(place, logits))
        proba = model.predict_proba(_to(place, logits))
    expected = LogitAdjustedClassifier(LogitsClassifier()).fit(logits, names)
    assert isinstance(labels, np.ndarray)
    assert_array_equal(labels, expected.predict(logits))
    _assert_where(proba, place)


def test_no_copy_of_the_scores_comes_to_numpy(place, problem, monkeypatch):
    """Every explicit move to NumPy in the package is of n_classes numbers at most.

    (An implicit one, ``np.asarray``, fails outright on array-api-strict's
    ``device1`` and on CUDA, where the other tests run too.)
    """
    logits, priors, y, y_pred, _ = problem
    moved = []

    def spy(*arrays, xp, device):
        if xp is np:
            moved.extend(getattr(array, "shape", None) for array in arrays)
        return move_to(*arrays, xp=xp, device=device)

    for module in (sklearn_lt._posthoc, sklearn_lt._logits, sklearn_lt.metrics):
        monkeypatch.setattr(module, "move_to", spy)
    with config_context(array_api_dispatch=True):
        X = _to(place, logits)
        model = LogitAdjustedClassifier(LogitsClassifier()).fit(X, _to(place, y))
        moved.clear()  # fit copies the labels (n_samples numbers) once, by design
        for name in (*_METHODS, "predict"):
            getattr(model, name)(X)
        logit_adjust(X, priors)
        balanced_error(_to(place, y), _to(place, y_pred))
    assert moved  # the spy is in place: the metric brings its 5 errors home
    assert all(shape is not None and int(np.prod(shape)) <= 5 for shape in moved)


# --- bad input ----------------------------------------------------------------------


def test_mixed_namespaces_are_refused_with_the_fix(problem):
    torch = pytest.importorskip("torch")
    strict = pytest.importorskip("array_api_strict")
    logits, priors, y, y_pred, _ = problem
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"scores is of type torch.Tensor.*priors"):
            logit_adjust(torch.asarray(logits), strict.asarray(priors))
        with pytest.raises(ValueError, match="one library and sit on one device"):
            balanced_error(torch.asarray(y), strict.asarray(y_pred))
        device1 = strict.Device("device1")
        with pytest.raises(ValueError, match="Move priors to where scores is"):
            logit_adjust(strict.asarray(logits), strict.asarray(priors, device=device1))


def test_predicting_in_another_namespace_than_fit_is_refused(problem):
    torch = pytest.importorskip("torch")
    logits, _, y, *_ = problem
    with config_context(array_api_dispatch=True):
        model = LogitAdjustedClassifier(LogitsClassifier())
        model.fit(torch.asarray(logits), torch.asarray(y))
        with pytest.raises(ValueError, match="must use the same namespace"):
            model.predict(logits)
        numpy_model = LogitAdjustedClassifier(LogitsClassifier()).fit(logits, y)
        with pytest.raises(ValueError, match=r"LogitAdjustedClassifier.predict\(\)"):
            numpy_model.predict(torch.asarray(logits))


def test_dispatch_off_goes_through_numpy_or_says_why_not(problem):
    torch = pytest.importorskip("torch")
    strict = pytest.importorskip("array_api_strict")
    logits, priors, y, y_pred, _ = problem
    # CPU tensors: NumPy reads them, and the results are NumPy's.
    result = logit_adjust(torch.asarray(logits), priors)
    assert isinstance(result, np.ndarray)
    assert_array_equal(result, logit_adjust(logits, priors))
    assert balanced_error(torch.asarray(y), torch.asarray(y_pred)) == balanced_error(
        y, y_pred
    )
    # An array NumPy cannot read (here on array-api-strict's second device, as a
    # CUDA tensor would be): refused before any work, with both ways out.
    elsewhere = strict.asarray(logits, device=strict.Device("device1"))
    with pytest.raises(ValueError, match="array_api_dispatch=True.*or move scores"):
        logit_adjust(elsewhere, priors)
    labels = strict.asarray(y, device=strict.Device("device1"))
    with pytest.raises(ValueError, match="y_true is of type array_api_strict.Array"):
        balanced_error(labels, labels)


def test_an_estimator_computing_in_numpy_refuses_what_numpy_cannot_read(problem):
    strict = pytest.importorskip("array_api_strict")
    from sklearn_lt import CostSensitiveClassifier

    logits, _, y, *_ = problem
    model = CostSensitiveClassifier(LogitsClassifier()).fit(logits, y)
    elsewhere = strict.asarray(logits, device=strict.Device("device1"))
    refused = pytest.raises(ValueError, match="computes its decisions in NumPy")
    with config_context(array_api_dispatch=True), refused:
        model.predict(elsewhere)


def _numpy_only_estimators():
    from sklearn_lt import (
        CostSensitiveClassifier,
        LabelShiftClassifier,
        LogitAdjustedClassifierCV,
    )

    lda = LinearDiscriminantAnalysis
    return {
        "CostSensitiveClassifier": lambda: CostSensitiveClassifier(lda()),
        "LabelShiftClassifier": lambda: LabelShiftClassifier(lda()),
        # A frozen model's search cannot run on host copies of X.
        "LogitAdjustedClassifierCV(frozen)": lambda: LogitAdjustedClassifierCV(
            FrozenEstimator(lda().fit(*_three_classes()))
        ),
    }


def _three_classes():
    y = np.repeat(np.arange(3), [120, 50, 30])  # enough of each class for 5 folds
    return np.random.default_rng(2).normal(size=(200, 4)) + y[:, None], y


@pytest.mark.parametrize(
    "tuner", ["LogitAdjustedClassifierCV", "TunedAdjustmentClassifierCV"]
)
def test_the_tuners_search_on_the_host_and_predict_on_the_device(place, tuner):
    import sklearn_lt

    X, y = _three_classes()
    make = getattr(sklearn_lt, tuner)
    numpy_model = make(LinearDiscriminantAnalysis(), cv=3).fit(X, y)
    with config_context(array_api_dispatch=True):
        model = make(LinearDiscriminantAnalysis(), cv=3).fit(_to(place, X), y)
        proba = model.predict_proba(_to(place, X))
        labels = model.predict(_to(place, X))
    _assert_where(proba, place)
    _assert_where(labels, place)
    _assert_where(model.train_priors_, place)
    # The search ran on the same host numbers: the same choice.
    if tuner == "LogitAdjustedClassifierCV":
        assert model.best_tau_ == numpy_model.best_tau_
    else:
        _assert_where(model.gains_, place)  # fitted arrays live where X does
        assert_array_equal(_back(model.gains_), numpy_model.gains_)
    # The refit's LDA on the device: scikit-learn's array API tolerance, 1000 eps.
    assert_allclose(
        _back(proba), numpy_model.predict_proba(X), rtol=0, atol=1000 * EPS64
    )
    assert np.mean(_back(labels) == numpy_model.predict(X)) >= 0.99


@pytest.mark.parametrize("name", list(_numpy_only_estimators()))
def test_estimators_computing_in_numpy_refuse_arrays_with_dispatch_on(name):
    # Without the check, the inner estimator met a tensor X beside NumPy labels
    # and failed deep inside (``_unique2(): argument 'input' must be Tensor``).
    torch = pytest.importorskip("torch")
    X, y = _three_classes()
    make = _numpy_only_estimators()[name]
    refused = pytest.raises(
        ValueError,
        match=rf"X is of type torch.Tensor on device cpu and .*dispatch is on, "
        rf"but {name.split('(')[0]} computes .* in NumPy. Pass NumPy arrays",
    )
    with config_context(array_api_dispatch=True):
        with refused:
            make().fit(torch.asarray(X), y)
        if "frozen" in name:  # y follows X to NumPy, as in scikit-learn's tuners
            host_y = make().fit(X, torch.asarray(y)).predict(X)
            assert_array_equal(host_y, make().fit(X, y).predict(X))
        else:
            with pytest.raises(ValueError, match="y is of type torch.Tensor"):
                make().fit(X, torch.asarray(y))
    model = make().fit(X, y)
    elsewhere = pytest.raises(ValueError, match="same namespace|computes .* in NumPy")
    with config_context(array_api_dispatch=True), elsewhere:
        model.predict(torch.asarray(X))
    # With dispatch off, CPU tensors go through NumPy as everywhere.
    assert_array_equal(make().fit(torch.asarray(X), y).predict(X), model.predict(X))


@pytest.mark.gpu
def test_cuda_scores_never_leave_the_device(problem):
    """On CUDA, every tensor the adjustment creates is on the GPU (torch's
    function mode sees each operation), and none is copied to the host."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    from torch.overrides import TorchFunctionMode

    logits, priors, y, *_ = problem
    cuda = torch.device("cuda")
    seen = []

    class Devices(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = getattr(func, "__name__", str(func))
            if name in ("cpu", "numpy", "tolist"):
                seen.append(("host copy", name))
            for value in out if isinstance(out, tuple) else (out,):
                if isinstance(value, torch.Tensor):
                    seen.append((value.device.type, name))
            return out

    X = torch.asarray(logits, device=cuda)
    with config_context(array_api_dispatch=True):
        model = LogitAdjustedClassifier(LogitsClassifier()).fit(
            X, torch.asarray(y, device=cuda)
        )
        with Devices():
            logit_adjust(X, priors)
            model.predict_proba(X)
            model.predict(X)
    assert seen
    assert {device for device, _ in seen} == {"cuda"}, seen
