"""LogitAdjustedNet never gives a silently wrong answer.

Parameters changed after ``fit``, and refits.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from scipy.special import log_softmax  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from sklearn_lt.net import LogitAdjustedNet, MLPModule  # noqa: E402

# float32 unit roundoff u = eps / 2 = 2**-24: a float32 operation is exact to a
# relative error of at most u.
U32 = 2.0**-24


def _net(**params):
    defaults = {
        "max_epochs": 5,
        "lr": 0.01,
        "train_split": None,
        "random_state": 0,
        "optimizer": torch.optim.Adam,
        "verbose": 0,
    }
    return LogitAdjustedNet(MLPModule, **{**defaults, **params})


def _data(n_samples=300, weights=(0.7, 0.2, 0.1), seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=len(weights),
        weights=list(weights),
        random_state=seed,
    )
    return X.astype(np.float32), y


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


def test_class_balanced_loss_keeps_its_criterion_parameters():
    X, y = _data()
    net = _net(loss="class_balanced", criterion__reduction="sum", max_epochs=1)
    assert net.fit(X, y).criterion_.reduction == "sum"
