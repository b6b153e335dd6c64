import math
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from _net import RecordWeights  # noqa: E402
from _tolerance import rounding_atol  # noqa: E402
from scipy.special import softmax  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from skorch.callbacks import (  # noqa: E402
    EarlyStopping,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import ValidSplit  # noqa: E402

from sklearn_lt import LogitAdjustedClassifier  # noqa: E402
from sklearn_lt._compat import InvalidParameterError  # noqa: E402
from sklearn_lt.losses import LDAMLoss, LogitAdjustedLoss  # noqa: E402
from sklearn_lt.metrics import balanced_error, balanced_error_scorer  # noqa: E402
from sklearn_lt.net import (  # noqa: E402
    CifarResNet,
    DeferredReweighting,
    LogitAdjustedNet,
    MLPModule,
    NormedLinear,
)

ADAM = {"optimizer": torch.optim.Adam, "verbose": 0}


def _net(**params):
    defaults = {
        "max_epochs": 20,
        "lr": 0.01,
        "train_split": None,
        "random_state": 0,
        **ADAM,
    }
    return LogitAdjustedNet(MLPModule, **{**defaults, **params})


def _small(n_samples=300, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.7, 0.2, 0.1],
        random_state=seed,
    )
    return X.astype(np.float32), y


def _long_tailed_digits(imbalance_ratio=100, seed=0):
    """Digits with an exponential training profile and a balanced test split."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    n_max = np.bincount(y_train).min()
    keep = np.concatenate(
        [
            rng.choice(
                np.flatnonzero(y_train == k),
                max(1, int(n_max * imbalance_ratio ** (-k / 9))),
                replace=False,
            )
            for k in range(10)
        ]
    )
    return X_train[keep], y_train[keep], X_test, y_test


def test_logit_adjusted_loss_and_posthoc_beat_cross_entropy_on_long_tailed_digits():
    erm, adjusted_loss, posthoc = [], [], []
    for seed in range(3):
        X, y, X_test, y_test = _long_tailed_digits(seed=seed)
        params = {"max_epochs": 60, "batch_size": 64, "random_state": seed}
        ce = _net(loss="cross_entropy", **params).fit(X, y)
        la = _net(loss="logit_adjusted", **params).fit(X, y)
        erm.append(balanced_error(y_test, ce.predict(X_test)))
        adjusted_loss.append(balanced_error(y_test, la.predict(X_test)))
        ce.set_params(posthoc_tau=1.0)
        posthoc.append(balanced_error(y_test, ce.predict(X_test)))
    # Measured over seeds 0-2: ERM 0.24, logit-adjusted loss 0.20, post-hoc 0.18.
    assert np.mean(adjusted_loss) < np.mean(erm) - 0.02
    assert np.mean(posthoc) < np.mean(erm) - 0.02


def test_priors_counts_and_loss_buffers_come_from_y_with_string_labels():
    X, y = _small()
    names = np.array(["ant", "bee", "cat"])
    net = _net(max_epochs=2).fit(X, names[y])
    assert_array_equal(net.classes_, names)
    assert_array_equal(net.class_counts_, np.bincount(y))
    assert_allclose(net.priors_, np.bincount(y) / y.size)
    assert isinstance(net.criterion_, LogitAdjustedLoss)
    assert_allclose(net.criterion_.log_priors.numpy(), np.log(net.priors_), rtol=1e-6)
    assert set(net.predict(X)) <= set(names)


def test_predictions_are_argmax_and_softmax_of_posthoc_adjusted_logits():
    X, y = _small()
    net = _net(loss="cross_entropy", posthoc_tau=0.7).fit(X, y)
    logits = net.forward(X).numpy().astype(np.float64)
    adjusted = logits - 0.7 * np.log(net.priors_)
    assert_allclose(net.predict_proba(X), softmax(adjusted, axis=1), rtol=1e-5)
    assert_array_equal(net.predict(X), adjusted.argmax(axis=1))
    assert_allclose(np.exp(net.predict_log_proba(X)), net.predict_proba(X))


@pytest.mark.parametrize(
    "loss, expected",
    [
        ("ldam", "LDAMLoss"),
        ("equalised", "EqualisedLoss"),
        ("logit_adjusted_ldam", "LogitAdjustedLDAMLoss"),
        ("cross_entropy", "LogitAdjustedLoss"),
        ("class_balanced", "LogitAdjustedLoss"),
        (LDAMLoss, "LDAMLoss"),
    ],
)
def test_every_loss_trains(loss, expected):
    X, y = _small()
    net = _net(loss=loss, max_epochs=3).fit(X, y)
    assert type(net.criterion_).__name__ == expected
    assert np.isfinite(net.history[-1, "train_loss"])


def test_criterion_parameters_reach_the_loss():
    X, y = _small()
    net = _net(loss="ldam", criterion__max_margin=0.3, max_epochs=1).fit(X, y)
    assert net.criterion_.max_margin == 0.3


def test_class_balanced_loss_uses_effective_number_weights():
    X, y = _small()
    net = _net(loss="class_balanced", cb_beta=0.99, max_epochs=1).fit(X, y)
    counts = np.bincount(y)
    weights = (1 - 0.99) / (1 - 0.99**counts)
    weights *= counts.size / weights.sum()
    assert_allclose(net.criterion_.class_weight.numpy(), weights, rtol=1e-5)


@pytest.mark.parametrize("how", ["drw_epoch", "callback"])
def test_deferred_reweighting_switches_weights_on_after_drw_epoch(how):
    X, y = _small()
    recorder = RecordWeights()
    if how == "drw_epoch":  # deprecated: implemented by the same callback
        net = _net(loss="ldam", drw_epoch=2, max_epochs=4, callbacks=[recorder])
        with pytest.warns(FutureWarning, match=r"drw_epoch is deprecated .* 0\.3"):
            net.fit(X, y)
    else:
        drw = ("drw", DeferredReweighting(2))
        _net(loss="ldam", max_epochs=4, callbacks=[drw, recorder]).fit(X, y)
    # The weights are on before the callbacks after the DRW callback run.
    assert recorder.seen[0] is None and recorder.seen[1] is None
    counts = np.bincount(y)
    weights = (1 - 0.9999) / (1 - 0.9999**counts)
    weights *= counts.size / weights.sum()
    assert_allclose(recorder.seen[2], weights, rtol=1e-5)
    assert_allclose(recorder.seen[3], weights, rtol=1e-5)


@pytest.mark.parametrize(
    "params, head",
    [
        ({"loss": "ldam"}, NormedLinear),
        ({"loss": LDAMLoss}, NormedLinear),
        ({"loss": "ldam", "criterion__max_margin": 0.3}, NormedLinear),
        # The user took care of the scale, or chose the head: as they asked.
        ({"loss": "ldam", "criterion__scale": 1.0}, torch.nn.Linear),
        (
            {"loss": "ldam", "module__head": "linear", "criterion__scale": 1.0},
            torch.nn.Linear,
        ),
        ({"loss": "logit_adjusted", "module__head": "normed"}, NormedLinear),
        ({"loss": "logit_adjusted"}, torch.nn.Linear),
        ({"loss": "logit_adjusted_ldam"}, torch.nn.Linear),  # its scale is 1
    ],
)
def test_ldam_at_its_scale_of_30_gets_the_normalised_head(params, head):
    X, y = _small()
    net = _net(max_epochs=1, **params).fit(X, y)
    assert type(net.module_.classifier) is head
    logits = net.forward(X)
    if head is NormedLinear:
        # Cosines, so that LDAM's scale 30 gives logits in [-30, 30]: 64-d float32
        # unit vectors round above 1 by less than 64 eps32.
        assert logits.abs().max() <= 1 + 64 * np.finfo(np.float32).eps


class _PlainModule(torch.nn.Module):
    """A module of the user's own, without a normalised head."""

    def __init__(self, n_features, n_classes, normed=False):
        super().__init__()
        layer = NormedLinear if normed else torch.nn.Linear
        self.hidden = torch.nn.Linear(n_features, 16)
        self.out = layer(16, n_classes)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


def test_ldam_on_a_module_without_normed_head_warns_and_says_how_to_fix():
    X, y = _small()
    net = LogitAdjustedNet(_PlainModule, loss="ldam", max_epochs=1, verbose=0)
    with pytest.warns(UserWarning) as record:
        net.fit(X, y)
    (warning,) = record
    message = str(warning.message)
    assert "LDAMLoss multiplies the logits by its default scale=30" in message
    assert "_PlainModule has no NormedLinear layer" in message
    assert "sklearn_lt.net.NormedLinear" in message
    assert "criterion__scale=1.0" in message
    assert warning.filename == __file__  # points at the caller's fit
    # The same rule for MLPModule when the user asks for the linear head.
    with pytest.warns(UserWarning, match="MLPModule has no NormedLinear layer"):
        _net(loss="ldam", module__head="linear", max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [{"criterion__scale": 1.0}, {"module__normed": True}],
    ids=["criterion__scale", "NormedLinear"],
)
def test_ldam_on_own_module_is_silent_with_a_scale_or_a_normed_layer(params):
    X, y = _small()
    net = LogitAdjustedNet(_PlainModule, loss="ldam", max_epochs=1, verbose=0)
    net.set_params(**params).fit(X, y)  # warnings are errors in this suite
    assert np.isfinite(net.history[-1, "train_loss"])


def test_cifar_resnet_gets_the_normalised_head_for_ldam_too():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(12, 3072)).astype(np.float32)
    y = np.arange(12) % 3
    net = LogitAdjustedNet(
        CifarResNet,
        module__blocks_per_stage=1,
        loss="ldam",
        max_epochs=0,
        train_split=None,
    ).fit(X, y)
    assert isinstance(net.module_.classifier, NormedLinear)


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.5])
def test_posthoc_tau_predicts_as_logit_adjusted_classifier_on_the_frozen_net(tau):
    X, y = _small()
    net = _net(loss="cross_entropy").fit(X, y)
    assert net.posthoc_tau == 0.0
    wrapped = LogitAdjustedClassifier(
        FrozenEstimator(net), tau=tau, priors=net.priors_
    ).fit(X, y)
    # Before setting posthoc_tau: the frozen estimator is this very net.
    expected_log_proba = wrapped.predict_log_proba(X)
    expected_proba = wrapped.predict_proba(X)
    expected = wrapped.predict(X)
    logits = net.forward(X).numpy().astype(np.float64)

    net.set_params(posthoc_tau=tau)
    log_proba = net.predict_log_proba(X)

    # The same float32 logits (same rows, same batches) shifted by the same
    # float64 tau * log(priors); the classifier takes a log_softmax before the
    # shift and after it, the net one after it: float64 roundings of a few eps64
    # times the logits and the shift (64 eps64 of the largest of them).
    atol = rounding_atol(logits, tau * np.log(net.priors_))
    assert_allclose(log_proba, expected_log_proba, rtol=0, atol=atol)
    top2 = np.sort(log_proba, axis=1)[:, -2:]
    assert np.all(top2[:, 1] - top2[:, 0] > 2 * atol)  # no tie within rounding
    assert_array_equal(net.predict(X), expected)
    # Probabilities in [0, 1] move by at most the log-probabilities' tolerance.
    assert_allclose(net.predict_proba(X), expected_proba, rtol=0, atol=atol)


def test_posthoc_tau_that_overflows_is_refused_before_the_forward_pass():
    X, y = _small()
    net = _net(loss="cross_entropy", max_epochs=1).fit(X, y)
    net.set_params(posthoc_tau=1e308)
    with pytest.raises(ValueError, match=r"posthoc_tau=1e\+308 times the log-priors"):
        net.predict(np.full_like(X, np.nan))  # the NaN rows are never reached


def test_posthoc_tau_keeps_minus_infinite_logits():
    X, y = _small()
    net = _net(loss="cross_entropy", max_epochs=1, posthoc_tau=1.0).fit(X, y)
    with torch.no_grad():
        net.module_.classifier.bias[2] = -math.inf
    log_proba = net.predict_log_proba(X)
    assert np.all(log_proba[:, 2] == -math.inf)
    assert np.all(np.isfinite(log_proba[:, :2]))
    assert not np.any(net.predict(X) == 2)


def test_drw_epoch_warns_on_partial_fit_and_needs_the_callbacks():
    X, y = _small()
    with pytest.warns(FutureWarning, match=r'callbacks=\[\("drw", DeferredRew'):
        _net(loss="ldam", drw_epoch=0, max_epochs=1).partial_fit(X, y)
    net = _net(loss="ldam", drw_epoch=1, callbacks="disable")
    with pytest.raises(InvalidParameterError, match="callbacks='disable' turns"):
        net.fit(X, y)
    assert not net.initialized_


def test_weight_normalisation_matches_manual_tau_norm():
    X, y = _small()
    net = _net(loss="cross_entropy").fit(X, y)
    features = net.module_.features(torch.as_tensor(X)).detach().numpy()
    W = net.module_.classifier.weight.detach().numpy().astype(np.float64)
    b = net.module_.classifier.bias.detach().numpy().astype(np.float64)
    for tau in (0.0, 1.0, 1.7):
        net.set_params(weight_norm_layer="classifier", weight_norm_tau=tau)
        W_tau = W / np.linalg.norm(W, axis=1, keepdims=True) ** tau
        # Kang et al. score features @ W_tau.T: the bias is dropped.
        expected = features @ W_tau.T
        assert_allclose(net.forward(X).numpy(), expected, rtol=1e-4, atol=1e-5)
        assert_array_equal(net.predict(X), expected.argmax(axis=1))
    # The trained weights and bias are left untouched.
    assert_array_equal(net.module_.classifier.weight.detach().numpy(), W)
    assert_array_equal(net.module_.classifier.bias.detach().numpy(), b)
    net.set_params(weight_norm_layer=None)
    assert_allclose(net.forward(X).numpy(), features @ W.T + b, rtol=1e-4, atol=1e-5)


def test_validation_loss_scores_the_weight_normalised_model():
    X, y = _small()
    net = _net(loss="cross_entropy").fit(X, y)
    net.set_params(weight_norm_layer="classifier", weight_norm_tau=1.0)
    batch = (torch.as_tensor(X), torch.as_tensor(y))
    expected = torch.nn.functional.cross_entropy(net.forward(X), batch[1])
    loss = net.validation_step(batch)["loss"]
    assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    net.set_params(weight_norm_layer=None)
    assert abs(net.validation_step(batch)["loss"].item() - expected.item()) > 1e-3


def test_bad_weight_norm_layer_fails_before_training():
    X, y = _small()
    net = _net(weight_norm_layer="features")
    with pytest.raises(ValueError, match="one weight row per class"):
        net.fit(X, y)
    with pytest.raises(ValueError, match="names no submodule"):
        _net(weight_norm_layer="head").fit(X, y)


def test_balanced_error_per_epoch_is_in_the_history():
    X, y = _small()
    net = _net(max_epochs=3, train_split=ValidSplit(5, stratified=True))
    net.fit(X, y)
    values = net.history[:, "valid_bal_err"]
    assert len(values) == 3 and all(0 <= v <= 1 for v in values)


def test_skorch_callbacks_work():
    X, y = _small()
    net = LogitAdjustedNet(
        MLPModule,
        max_epochs=50,
        lr=0.01,
        random_state=0,
        train_split=ValidSplit(5, stratified=True),  # valid_loss to monitor
        callbacks=[
            EarlyStopping(monitor="valid_loss", patience=2, threshold=1e9),
            LRScheduler(policy="StepLR", step_size=1, gamma=0.5),
            ProgressBar(),
        ],
        **ADAM,
    ).fit(X, y)
    assert len(net.history) < 50  # stopped early


def test_training_defaults_are_parameters_and_survive_clone():
    # The defaults chosen in benchmarks/bench_net_defaults.py, in place of
    # skorch's SGD, lr 0.01, 10 epochs and 20% validation split.
    expected = {
        "optimizer": torch.optim.AdamW,
        "lr": 1e-3,
        "max_epochs": 100,
        "batch_size": 128,
        "train_split": None,
    }
    net = LogitAdjustedNet(MLPModule)
    for params in (net.get_params(), clone(net).get_params()):
        assert {name: params[name] for name in expected} == expected


def test_the_defaults_train_adamw_on_every_example_without_a_hold_out():
    X, y = _small(n_samples=300)
    net = LogitAdjustedNet(MLPModule, max_epochs=2, verbose=0, random_state=0)
    net.fit(X, y)
    assert type(net.optimizer_) is torch.optim.AdamW
    assert net.optimizer_.param_groups[0]["lr"] == 1e-3
    # No validation split: every epoch trains on all 300 rows, in ceil(300/128)
    # batches, and scores nothing held out.
    for epoch in net.history:
        assert [batch["train_batch_size"] for batch in epoch["batches"]] == [
            128,
            128,
            44,
        ]
        assert "valid_loss" not in epoch


def test_every_training_default_can_be_overridden_as_in_skorch():
    X, y = _small(n_samples=300)
    net = LogitAdjustedNet(
        MLPModule,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.5,
        lr=0.1,
        max_epochs=3,
        batch_size=50,
        train_split=ValidSplit(5, stratified=True),
        verbose=0,
        random_state=0,
    ).fit(X, y)
    assert type(net.optimizer_) is torch.optim.SGD
    group = net.optimizer_.param_groups[0]
    assert group["lr"] == 0.1 and group["momentum"] == 0.5
    assert len(net.history) == 3
    # 240 rows train (80%) in batches of 50; 60 are held out and scored.
    batches = net.history[-1]["batches"]
    train = [
        batch["train_batch_size"] for batch in batches if "train_batch_size" in batch
    ]
    valid = [
        batch["valid_batch_size"] for batch in batches if "valid_batch_size" in batch
    ]
    assert train == [50, 50, 50, 50, 40] and sum(valid) == 60
    assert np.isfinite(net.history[-1, "valid_loss"])
    # set_params reaches them too, at the next fit.
    net.set_params(lr=0.02, max_epochs=1, train_split=None).fit(X, y)
    assert net.optimizer_.param_groups[0]["lr"] == 0.02 and len(net.history) == 1


def test_partial_fit_trains_max_epochs_per_call_or_the_epochs_asked_for():
    # skorch's rule, with this net's default of 100 epochs; epochs=1 is one pass,
    # as scikit-learn's partial_fit.
    X, y = _small(n_samples=120)
    net = LogitAdjustedNet(MLPModule, verbose=0, random_state=0)
    net.partial_fit(X, y, epochs=1)
    assert len(net.history) == 1
    net.partial_fit(X, y)
    assert len(net.history) == 101


def test_clone_set_params_and_grid_search_over_tau_and_loss():
    X, y = _small()
    net = _net(max_epochs=3)
    assert clone(net).get_params()["tau"] == 1.0
    search = GridSearchCV(
        net,
        {"tau": [0.0, 1.0], "loss": ["logit_adjusted", "ldam"]},
        scoring=balanced_error_scorer,
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["loss"] in ("logit_adjusted", "ldam")


def test_in_a_pipeline():
    X, y = _small()
    pipe = make_pipeline(StandardScaler(), _net(max_epochs=3)).fit(X, y)
    assert pipe.predict(X).shape == y.shape


def test_seeded_fits_are_reproducible_and_leave_global_rng_alone():
    X, y = _small()
    state = torch.random.get_rng_state()
    net = _net(random_state=3).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    first = net.predict_proba(X)
    assert_allclose(_net(random_state=3).fit(X, y).predict_proba(X), first)


def test_pickle_round_trip_predicts_the_same():
    X, y = _small()
    net = _net(posthoc_tau=0.5).fit(X, y)
    restored = pickle.loads(pickle.dumps(net))
    assert_array_equal(restored.predict(X), net.predict(X))
    assert_allclose(restored.predict_proba(X), net.predict_proba(X))


def test_unfitted_and_wrong_width_inputs_are_rejected():
    X, y = _small()
    with pytest.raises(NotFittedError):
        _net().predict(X)
    net = _net(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but LogitAdjustedNet"):
        net.predict(X[:, :5])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tau": -1.0}, "'tau' parameter"),
        ({"tau": float("nan")}, "'tau' parameter"),
        ({"posthoc_tau": float("inf")}, "'posthoc_tau' parameter"),
        ({"loss": "focal"}, "'loss' parameter .* Got 'focal'"),
        ({"drw_epoch": -1}, "'drw_epoch' parameter"),
        ({"cb_beta": 1.0}, "'cb_beta' parameter"),
    ],
)
def test_bad_parameters_fail_before_training(params, match):
    X, y = _small()
    net = _net(**params)
    with pytest.raises(InvalidParameterError, match=match):
        net.fit(X, y)
    assert not net.initialized_


@pytest.mark.parametrize(
    "priors, match",
    [
        ([0.5, 0.5], r"has shape \(2,\) but there are 3 classes"),
        ({0: 0.5, 1: 0.5}, r"no entry for classes \[2\]"),
        ({0: 0.4, 1: 0.3, 2: 0.2, 7: 0.1}, r"names labels \[7\]"),
    ],
)
def test_priors_that_do_not_match_the_classes_fail_before_training(priors, match):
    X, y = _small()
    net = _net(priors=priors)
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)
    assert not net.initialized_


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trains_on_gpu_with_every_buffer_on_the_gpu():
    X, y = _small()
    drw = [("drw", DeferredReweighting(1))]
    net = _net(device="cuda", loss="logit_adjusted_ldam", callbacks=drw, max_epochs=3)
    net.fit(X, y)
    assert all(b.is_cuda for b in net.criterion_.buffers())
    assert all(p.is_cuda for p in net.module_.parameters())
    cpu = _net(loss="logit_adjusted_ldam", callbacks=drw, max_epochs=3).fit(X, y)
    assert np.mean(net.predict(X) == cpu.predict(X)) > 0.9


def _expected_failed_checks(estimator):
    return {
        "check_no_attributes_set_in_init": (
            "skorch's NeuralNet.__init__ sets history_, initialized_ and "
            "virtual_params_, by design of skorch."
        ),
        "check_set_params": (
            "skorch exposes its private `_params_to_validate` set as a parameter; the "
            "check sets it to a float, which skorch's set_params then calls .add on."
        ),
        "check_methods_subset_invariance": (
            "float32 CPU kernels sum in an order that depends on the batch (MKL's "
            "matrix-vector kernel for 1 row, blocked matrix-matrix kernels and their "
            "thread split for more): on the check's data a row's logits move by up "
            "to 1 float32 ulp of the largest logit (9.5e-7 at 12.3) between batches "
            "of 1 and 20 rows, and probabilities by up to 1.9e-6 relative, above the "
            "check's rtol of 1e-7; it passes where those rows' probabilities sit "
            "near 0 or 1 (0.51 of its tolerance on an AMD EPYC), fails elsewhere "
            "(6e-7 on an Intel Xeon). Padding batches to a fixed size is not "
            "invariant either (1.9e-6 apart with 2 threads: a row's place in the "
            "thread split matters); running each row alone is, 29x slower. "
            "test_robustness_net.py checks batches against float32's rounding bound."
        ),
    }


@parametrize_with_checks(
    [
        _net(max_epochs=30, lr=0.05),
        _net(max_epochs=30, lr=0.05, fused_head="classifier"),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_net(estimator, check):
    check(estimator)


def test_bf16_mixed_precision_training_through_accelerate():
    accelerate = pytest.importorskip("accelerate")
    from skorch.hf import AccelerateMixin

    class AcceleratedNet(AccelerateMixin, LogitAdjustedNet):
        pass

    X, y = _small()
    net = AcceleratedNet(
        MLPModule,
        accelerator=accelerate.Accelerator(mixed_precision="bf16", cpu=True),
        device=None,
        max_epochs=6,
        lr=0.01,
        train_split=None,
        random_state=0,
        loss="logit_adjusted_ldam",
        callbacks=[("drw", DeferredReweighting(3))],
        **ADAM,
    ).fit(X, y)
    losses = net.history[:, "train_loss"]
    assert np.all(np.isfinite(losses))
    assert net.criterion_.class_weight.numel() == 3  # deferred weights switched on
    assert balanced_error(y, net.predict(X)) < 0.5


def _accelerated_net_class():
    from skorch.hf import AccelerateMixin

    global AcceleratedLogitAdjustedNet  # module level, so that it pickles

    class AcceleratedLogitAdjustedNet(AccelerateMixin, LogitAdjustedNet):
        pass

    AcceleratedLogitAdjustedNet.__qualname__ = "AcceleratedLogitAdjustedNet"
    return AcceleratedLogitAdjustedNet


def test_accelerated_net_in_grid_search_pickle_and_save_params(tmp_path):
    accelerate = pytest.importorskip("accelerate")
    from skorch.exceptions import DeviceWarning

    X, y = _small()
    net = _accelerated_net_class()(
        MLPModule,
        accelerator=accelerate.Accelerator(cpu=True),
        device=None,
        max_epochs=4,
        lr=0.01,
        train_split=None,
        random_state=0,
        **ADAM,
    )
    # GridSearchCV clones the net, accelerator included, once per candidate.
    search = GridSearchCV(
        net, {"tau": [0.0, 1.0]}, cv=2, scoring=balanced_error_scorer
    ).fit(X, y)
    assert search.best_params_["tau"] in (0.0, 1.0)
    fitted = search.best_estimator_
    expected = fitted.predict(X)
    # On the CPU the accelerated net pickles; skorch warns that it may not where
    # accelerate wraps the module's methods, and recommends save_params there.
    with pytest.warns(DeviceWarning, match="requested device was not specified"):
        # device=None (accelerate places the module): skorch says so on unpickling.
        unpickled = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(unpickled.predict(X), expected)
    path = tmp_path / "params.pt"
    fitted.save_params(f_params=path)
    # Zero epochs: the net learns its classes, priors and shapes from the data.
    restored = clone(net).set_params(tau=fitted.tau, max_epochs=0).fit(X, y)
    restored.load_params(f_params=path)
    assert_array_equal(restored.predict(X), expected)
