"""LogitAdjustedNet never gives a silently wrong answer.

Parameters changed after ``fit``, refits on other labels, ``partial_fit`` with
new labels, what the module returns, and predictions whose float32 rounding
depends on the batch.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from _net import small_data, small_net  # noqa: E402
from scipy.special import log_softmax  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from sklearn_lt._compat import InvalidParameterError  # noqa: E402
from sklearn_lt.net import (  # noqa: E402
    DeferredReweighting,
    LogitAdjustedNet,
    MLPModule,
)

# float32 unit roundoff u = eps / 2 = 2**-24: a float32 operation is exact to a
# relative error of at most u.
U32 = 2.0**-24


_net, _data = small_net, small_data  # tests/_net.py, under the names used below


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return _net(loss="cross_entropy").fit(X, y), X, y


def _layers(net):
    """Weights and biases of MLPModule's two linear layers, as float64 arrays."""
    first, last = net.module_.features[0], net.module_.classifier
    return [
        t.detach().numpy().astype(np.float64)
        for t in (first.weight, first.bias, last.weight, last.bias)
    ]


def _module_logits(net, X):
    """The module's raw logits, computed straight from its layers in float64."""
    W1, b1, W2, b2 = _layers(net)
    hidden = np.maximum(X.astype(np.float64) @ W1.T + b1, 0.0)
    return hidden @ W2.T + b2


def _gamma(n):
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of a sum of n."""
    return n * U32 / (1 - n * U32)


def _rounding_bound(net, X):
    """Bound on |float32 logits - exact logits| of a 3-layer MLPModule, per row.

    Each output of ``fl(W x + b)`` is a float32 sum of K + 1 terms, which in any
    order, with or without fused multiply-adds, is within gamma_{K+1} (|W| |x| +
    |b|) of the exact value (Higham, Accuracy and Stability of Numerical
    Algorithms, 2002, section 3.1). ReLU is 1-Lipschitz, so the hidden layer's
    error e1 reaches the logits as |W2| e1, plus the last layer's own rounding.
    Magnitudes are computed in float64, exact enough for a bound.
    """
    W1, b1, W2, b2 = _layers(net)
    x = X.astype(np.float64)
    hidden = np.maximum(x @ W1.T + b1, 0.0)
    e1 = _gamma(W1.shape[1] + 1) * (np.abs(x) @ np.abs(W1).T + np.abs(b1))
    last = _gamma(W2.shape[1] + 1) * ((hidden + e1) @ np.abs(W2).T + np.abs(b2))
    return (e1 @ np.abs(W2).T + last).max(axis=1)


class _NarrowMLP(MLPModule):
    """MLPModule with 16 hidden units: a different module class, same inputs."""

    def __init__(self, n_features, n_classes):
        super().__init__(n_features, n_classes, hidden_units=(16,))


def _state(net):
    """Everything a refused call must leave as it was."""
    return {
        "params": [p.detach().clone() for p in net.module_.parameters()],
        "buffers": {k: v.clone() for k, v in net.criterion_.state_dict().items()},
        "classes_": net.classes_.copy(),
        "priors_": net.priors_.copy(),
        "class_counts_": net.class_counts_.copy(),
        "epochs": len(net.history),
    }


def _assert_unchanged(net, state):
    for before, after in zip(state["params"], net.module_.parameters(), strict=True):
        assert torch.equal(before, after)
    after = net.criterion_.state_dict()
    assert state["buffers"].keys() == after.keys()
    assert all(torch.equal(state["buffers"][k], after[k]) for k in after)
    assert_array_equal(net.classes_, state["classes_"])
    assert_array_equal(net.priors_, state["priors_"])
    assert_array_equal(net.class_counts_, state["class_counts_"])
    assert len(net.history) == state["epochs"]


# -- parameters changed after fit ----------------------------------------------


def _fit_error(X, y, **params):
    with pytest.raises((InvalidParameterError, ValueError)) as info:
        _net(max_epochs=1, **params).fit(X, y)
    return str(info.value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("posthoc_tau", float("nan")),
        ("posthoc_tau", float("inf")),
        ("posthoc_tau", -1.0),
        ("posthoc_tau", True),
        ("posthoc_tau", "1.0"),
        ("weight_norm_tau", float("nan")),
        ("weight_norm_tau", False),
        ("weight_norm_layer", 3),
    ],
)
def test_prediction_parameters_set_after_fit_are_checked_as_in_fit(fitted, name, value):
    net, X, y = fitted
    expected = _fit_error(X, y, **{name: value})
    assert expected.startswith(f"The '{name}' parameter of LogitAdjustedNet must be")
    good = net.predict_proba(X)
    net.set_params(**{name: value})
    try:
        for method in ("predict", "predict_proba", "predict_log_proba", "forward"):
            with pytest.raises(InvalidParameterError) as info:
                getattr(net, method)(X)
            assert str(info.value) == expected
    finally:
        net.set_params(**{name: LogitAdjustedNet(MLPModule).get_params()[name]})
    assert_array_equal(net.predict_proba(X), good)


def test_bad_weight_norm_layer_set_after_fit_fails_when_predicting_as_in_fit(fitted):
    net, X, y = fitted
    expected = _fit_error(X, y, weight_norm_layer="head")
    assert "names no submodule" in expected
    net.set_params(weight_norm_layer="head")
    try:
        with pytest.raises(ValueError) as info:
            net.predict(X)
        assert str(info.value) == expected
    finally:
        net.set_params(weight_norm_layer=None)


def test_posthoc_tau_set_after_fit_acts_at_the_next_prediction(fitted):
    net, X, y = fitted
    logits, bound = _module_logits(net, X), _rounding_bound(net, X)
    priors = np.bincount(y) / y.size
    net.set_params(posthoc_tau=0.8)
    try:
        expected = log_softmax(logits - 0.8 * np.log(priors), axis=1)
        # The net's float32 logits are within `bound` of the exact ones, so its
        # log-probabilities within 2 * bound (logsumexp is 1-Lipschitz); 1e-12
        # covers the float64 reference's own rounding.
        atol = 2 * bound[:, None] + 1e-12
        assert np.all(np.abs(net.predict_log_proba(X) - expected) <= atol)
    finally:
        net.set_params(posthoc_tau=0.0)


@pytest.mark.parametrize(
    "params",
    [
        {"tau": 0.0},
        {"loss": "ldam"},
        {"priors": [0.2, 0.3, 0.5]},
        {"cb_beta": 0.5},
        {"drw_epoch": 1},
        {"classes": ["a", "b", "c"]},
        {"module__hidden_units": (8,)},
        {"module": _NarrowMLP},
    ],
    ids=lambda params: next(iter(params)),
)
def test_fit_parameters_set_after_fit_leave_predictions_and_attributes_alone(params):
    X, y = _data()
    net = _net().fit(X, y)
    logits, bound = _module_logits(net, X), _rounding_bound(net, X)
    net.set_params(**params)
    assert_array_equal(net.classes_, [0, 1, 2])
    assert_array_equal(net.class_counts_, np.bincount(y))
    assert_allclose(net.priors_, np.bincount(y) / y.size)
    # float32 logits within `bound` of the exact ones, as in the posthoc test.
    atol = 2 * bound[:, None] + 1e-12
    assert np.all(np.abs(net.predict_log_proba(X) - log_softmax(logits, 1)) <= atol)
    assert_array_equal(net.predict(X), logits.argmax(axis=1))


def test_set_params_classes_after_fit_does_not_relabel_predictions(fitted):
    net, X, _ = fitted
    codes = _module_logits(net, X).argmax(axis=1)
    net.set_params(classes=["x", "y", "z"])
    try:
        assert_array_equal(net.classes_, [0, 1, 2])
        assert_array_equal(net.predict(X), codes)
    finally:
        net.set_params(classes=None)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tau": True}, "'tau' parameter .* Got True"),
        ({"cb_beta": False}, "'cb_beta' parameter .* Got False"),
        ({"drw_epoch": True}, "'drw_epoch' parameter .* Got True"),
        ({"random_state": True}, "'random_state' parameter .* Got True"),
        ({"weight_norm_tau": -0.5}, "'weight_norm_tau' parameter .* Got -0.5"),
        ({"criterion": torch.nn.CrossEntropyLoss}, "'criterion' parameter .* loss="),
    ],
)
def test_bools_and_a_criterion_are_refused_before_training(params, match):
    X, y = _data()
    net = _net(**params)
    with pytest.raises(InvalidParameterError, match=match):
        net.fit(X, y)
    assert not net.initialized_


# -- refits --------------------------------------------------------------------


def _ldam_margins(counts, max_margin=0.5):
    # Cao et al. (2019): delta_y = C / n_y ** (1/4), the largest equal to max_margin.
    margins = 1.0 / counts**0.25
    return max_margin * margins / margins.max()


def _effective_number_weights(counts, beta):
    # Cui et al. (2019): (1 - beta) / (1 - beta ** n_y), normalised to sum to C.
    weights = (1 - beta) / (1 - beta**counts)
    return weights * counts.size / weights.sum()


# Buffers are float32: rtol 1e-6 is a few float32 ulps of the float64 values.
@pytest.mark.parametrize("loss", ["logit_adjusted", "ldam", "class_balanced"])
def test_warm_start_refit_rebuilds_the_loss_from_the_new_labels(loss):
    X, y = _data(weights=(0.7, 0.2, 0.1))
    X2, y2 = _data(weights=(0.2, 0.3, 0.5), seed=1)
    net = _net(loss=loss, warm_start=True, cb_beta=0.99).fit(X, y)
    params = [p.detach().clone() for p in net.module_.parameters()]
    # Zero epochs: the module must be kept as it is, the loss rebuilt.
    net.set_params(max_epochs=0).fit(X2, y2)
    assert all(
        torch.equal(a, b) for a, b in zip(params, net.module_.parameters(), strict=True)
    )
    counts = np.bincount(y2)
    assert_array_equal(net.class_counts_, counts)
    assert_allclose(net.priors_, counts / counts.sum())
    criterion = net.criterion_
    if loss == "logit_adjusted":
        expected = np.log(counts / counts.sum())
        assert_allclose(criterion.log_priors.numpy(), expected, rtol=1e-6)
    elif loss == "ldam":
        assert_allclose(criterion.margins.numpy(), _ldam_margins(counts), rtol=1e-6)
    else:
        weights = _effective_number_weights(counts, 0.99)
        assert_allclose(criterion.class_weight.numpy(), weights, rtol=1e-6)


def _drw_fit(net, X, y, how):
    """``net.fit``, expecting the deprecation warning of the drw_epoch path."""
    if how != "drw_epoch":
        return net.fit(X, y)
    with pytest.warns(FutureWarning, match="drw_epoch is deprecated"):
        return net.fit(X, y)


@pytest.mark.parametrize("how", ["drw_epoch", "callback"])
def test_warm_start_refit_switches_deferred_weights_on_from_the_new_counts(how):
    X, y = _data(weights=(0.7, 0.2, 0.1))
    X2, y2 = _data(weights=(0.2, 0.3, 0.5), seed=1)
    if how == "drw_epoch":
        params = {"drw_epoch": 1}
    else:
        params = {"callbacks": [("drw", DeferredReweighting(1))]}
    net = _net(loss="ldam", max_epochs=2, warm_start=True, **params)
    _drw_fit(net, X, y, how)
    old = _effective_number_weights(np.bincount(y), 0.9999)
    assert_allclose(net.criterion_.class_weight.numpy(), old, rtol=1e-6)
    _drw_fit(net.set_params(max_epochs=1), X2, y2, how)
    new = _effective_number_weights(np.bincount(y2), 0.9999)
    # float32 buffer: rtol 1e-6 is a few ulps.
    assert_allclose(net.criterion_.class_weight.numpy(), new, rtol=1e-6)
    assert len(net.history) == 3  # the warm start kept training, history and all


@pytest.mark.parametrize(
    "second, match",
    [
        (
            "fewer",
            r"whose 3 outputs are for the classes \[0, 1, 2\].*no example of "
            r"the classes \[2\]",
        ),
        ("more", r"labels \[3\] it has no output for"),
    ],
)
def test_warm_start_refit_on_other_classes_is_refused_before_training(second, match):
    X, y = _data()
    net = _net(warm_start=True).fit(X, y)
    before, proba = _state(net), net.predict_proba(X)
    if second == "fewer":
        X2, y2 = X[y < 2], y[y < 2]
    else:
        X2, y2 = _data(weights=(0.4, 0.3, 0.2, 0.1))
    with pytest.raises(ValueError, match=match) as info:
        net.fit(X2, y2)
    message = str(info.value)
    assert "Expected y with the classes [0, 1, 2]" in message
    assert "classes=[...]" in message and "warm_start=False" in message
    _assert_unchanged(net, before)
    assert_array_equal(net.predict_proba(X), proba)
    # The fix it names works: a new module for the new classes.
    net.set_params(warm_start=False).fit(X2, y2)
    assert net.predict_proba(X2).shape == (len(X2), np.unique(y2).size)
    assert_array_equal(net.classes_, np.unique(y2))


def test_warm_start_refit_with_other_string_labels_names_them():
    X, y = _data()
    net = _net(warm_start=True).fit(X, np.array(["ant", "bee", "cat"])[y])
    with pytest.raises(ValueError, match=r"labels \['dog'\] it has no output for"):
        net.fit(X, np.array(["ant", "bee", "dog"])[y])
    assert_array_equal(net.classes_, ["ant", "bee", "cat"])


def test_warm_start_refit_on_other_features_is_refused_before_training():
    X, y = _data()
    net = _net(warm_start=True).fit(X, y)
    before = _state(net)
    with pytest.raises(ValueError, match="X has 5 features, but warm_start=True"):
        net.fit(X[:, :5], y)
    _assert_unchanged(net, before)
    assert net.n_features_in_ == 6


@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize(
    "params",
    [{"module": _NarrowMLP}, {"module__hidden_units": (16,)}],
    ids=lambda params: next(iter(params)),
)
def test_module_parameters_set_after_fit_act_at_the_next_fit(params, warm_start):
    X, y = _data()
    net = _net(warm_start=warm_start).fit(X, y)
    trained = net.module_
    net.set_params(**params)
    assert net.module_ is trained  # predictions keep the trained module
    net.fit(X, y)
    assert type(net.module_) is params.get("module", MLPModule)
    assert net.module_.classifier.in_features == 16
    # The optimizer follows the new module's parameters.
    optimized = {id(p) for g in net.optimizer_.param_groups for p in g["params"]}
    assert optimized == {id(p) for p in net.module_.parameters()}


def test_failed_refit_leaves_the_net_unfitted_not_half_built():
    X, y = _data()
    net = _net().fit(X, y)
    with pytest.raises(ValueError, match="names no submodule"):
        net.set_params(weight_norm_layer="head").fit(X, y)
    net.set_params(weight_norm_layer=None)
    with pytest.raises(NotFittedError):
        net.predict(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(net)


class _FailAtEpoch(Callback):
    """Raises at the start of the given epoch, as a crashing callback would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("boom")


def test_a_refit_that_fails_in_training_leaves_the_net_unfitted():
    X, y = _data()
    net = _net(warm_start=True, max_epochs=3, callbacks=[_FailAtEpoch(5)]).fit(X, y)
    assert net.predict(X).shape == y.shape
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(X, y)  # epochs 4 and 5: half-trained when the callback fails
    with pytest.raises(NotFittedError):
        net.predict(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(net)


def test_class_balanced_loss_keeps_its_criterion_parameters():
    X, y = _data()
    net = _net(loss="class_balanced", criterion__reduction="sum", max_epochs=1)
    assert net.fit(X, y).criterion_.reduction == "sum"


# -- partial_fit ---------------------------------------------------------------


def test_partial_fit_with_a_new_label_names_it_the_classes_and_the_fix():
    X, y = _data()
    net = _net().partial_fit(X[y < 2], y[y < 2])
    before = _state(net)
    with pytest.raises(ValueError) as info:
        net.partial_fit(X, y)
    message = str(info.value)
    assert "partial_fit got labels [2] that the net has no output for" in message
    assert "its classes, set by its first fit or partial_fit, are [0, 1]" in message
    assert "LogitAdjustedNet(classes=[...])" in message
    assert "partial_fit(X, y, classes=[...])" in message
    _assert_unchanged(net, before)


def test_partial_fit_classes_on_the_first_call_fix_the_classes():
    X, y = _data()
    first = y < 2
    priors = [0.6, 0.3, 0.1]
    net = _net(priors=priors).partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert_array_equal(net.classes_, [0, 1, 2])
    assert_allclose(net.priors_, priors)
    assert_array_equal(net.class_counts_, [np.sum(y == 0), np.sum(y == 1), 0])
    net.partial_fit(X, y)  # the third class is known now
    assert net.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match=r"partial_fit got classes=\[0, 1\], but"):
        net.partial_fit(X[first], y[first], classes=[0, 1])


def test_partial_fit_classes_that_contradict_the_constructor_are_refused():
    X, y = _data()
    with pytest.raises(ValueError, match=r"constructed with classes=\[0, 1, 2, 3\]"):
        _net(classes=[0, 1, 2, 3]).partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_keeps_the_priors_and_rebuilds_the_loss_for_new_loss_params():
    X, y = _data()
    net = _net(loss="logit_adjusted").partial_fit(X, y)
    priors = net.priors_.copy()
    net.set_params(tau=0.25).partial_fit(X[:50], y[:50])
    assert_array_equal(net.priors_, priors)
    assert net.criterion_.tau == 0.25
    # float32 buffer: rtol 1e-6 is a few ulps.
    assert_allclose(net.criterion_.log_priors.numpy(), np.log(priors), rtol=1e-6)


# -- what the module returns ---------------------------------------------------


def test_nan_logits_raise_instead_of_predicting_class_zero():
    X, y = _data()
    net = _net().fit(X, y)
    with torch.no_grad():
        net.module_.classifier.bias[1] = math.nan
    with pytest.raises(ValueError, match="returned NaN or \\+inf logits for 300 of"):
        net.predict(X)


def test_rows_of_only_minus_infinite_logits_raise_instead_of_nan():
    # Every class ruled out: the softmax is 0/0 and argmax would say class 0.
    X, y = _data()
    net = _net().fit(X, y)
    with torch.no_grad():
        net.module_.classifier.bias[:] = -math.inf
    for method in (net.predict, net.predict_proba, net.predict_log_proba):
        with pytest.raises(
            ValueError, match=r"for 300 of 300 rows \(or only -inf logits"
        ):
            method(X)


def test_a_module_with_the_wrong_output_width_is_named_when_predicting():
    X, y = _data()
    net = _net().fit(X, y)
    net.module_.classifier = torch.nn.Linear(64, 2)
    with pytest.raises(ValueError, match=r"shape \(300, 2\).*\(n_samples, 3\)"):
        net.predict_proba(X)


# -- batch invariance ----------------------------------------------------------


def test_probabilities_depend_on_the_batch_only_within_float32_rounding():
    # scikit-learn's check_methods_subset_invariance asks for rtol 1e-7, which
    # float32 kernels cannot promise (see _expected_failed_checks in test_net.py):
    # this is the promise they can keep.
    X, y = _data()
    net = _net(loss="cross_entropy", posthoc_tau=0.5, max_epochs=20).fit(X, y)
    by_row = np.concatenate([net.predict_log_proba(X[i : i + 1]) for i in range(30)])
    bound = _rounding_bound(net, X[:30])
    # Two float32 evaluations are each within `bound` of the exact logits, so they
    # differ by at most 2 * bound; log_softmax(z)_y = z_y - logsumexp(z), and
    # logsumexp is 1-Lipschitz in the max norm, so log-probabilities differ by at
    # most 2 * (2 * bound). The float64 softmax adds rounding of a few 1e-16 times
    # the logits' size: 1e-12 covers it. (The bound is float32's eps times the
    # size of the summed terms, times the length of the sums: about 2000 u max|z|
    # per row here, where the measured difference is about 1% of 4 * bound.)
    atol = 4 * bound[:, None] + 1e-12
    for batch_size in (7, 30, 128):
        batched = net.set_params(batch_size=batch_size).predict_log_proba(X[:30])
        assert np.all(np.abs(batched - by_row) <= atol)
    # Not vacuous: rows mixed up within a batch would move log-probabilities by
    # O(0.1) or more; the tolerance is below 1e-3.
    assert np.max(atol) < 1e-3

    # predict agrees exactly wherever the top two adjusted logits are further apart
    # than twice the rounding bound (ties within rounding may go either way).
    logits = net.predict_log_proba(X[:30])
    top2 = np.sort(logits, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 4 * bound
    assert np.mean(clear) > 0.9
    by_row_labels = np.concatenate([net.predict(X[i : i + 1]) for i in range(30)])
    assert_array_equal(by_row_labels[clear], net.predict(X[:30])[clear])
