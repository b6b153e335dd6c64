"""LogitAdjustedNet(fused_head=...): the training loss fused with its head."""

import types
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
pytest.importorskip("skorch", reason="the torch extra is not installed")
import torch.nn.functional as F  # noqa: E402
from skorch.callbacks import EpochScoring  # noqa: E402
from skorch.dataset import ValidSplit  # noqa: E402

import sklearn_lt.net._classifier as net_code  # noqa: E402
from sklearn_lt.losses import (  # noqa: E402
    LogitAdjustedLoss,
    PairwiseMarginLoss,
    linear_logit_adjusted_loss,
)
from sklearn_lt.losses._fused import module_linear_loss  # noqa: E402
from sklearn_lt.net import (  # noqa: E402
    DeferredReweighting,
    LogitAdjustedNet,
    MLPModule,
    NormedLinear,
)
from sklearn_lt.net._fused_head import fused_head_reason  # noqa: E402

# float64 throughout: a step's loss and gradients are sums of at most a few
# hundred products of O(1) values, so the fused op (one matmul with the shifted
# bias) and the unfused path (matmul, then the broadcast add) differ by their
# summation order only, about 300 * 2.2e-16 = 7e-14 per step; 1e-12 leaves a
# factor 10 for the 30 steps of momentum SGD, which do not amplify it here (the
# measured gap after 3 epochs was 3.3e-16).
ATOL64 = 1e-12
N_FEATURES, N_CLASSES = 6, 4


def _data(n_samples=256, seed=0):
    g = np.random.default_rng(seed)
    y = g.choice(N_CLASSES, size=n_samples, p=[0.55, 0.25, 0.15, 0.05])
    X = g.normal(size=(n_samples, N_FEATURES)) + 0.8 * y[:, None]
    return torch.as_tensor(X, dtype=torch.float64), y


class _Bare(torch.nn.Module):
    """A float64 MLP whose head is a given layer (built under a fixed seed)."""

    def __init__(self, head="linear", bias=True, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.features = torch.nn.Sequential(
            torch.nn.Linear(N_FEATURES, 8), torch.nn.ReLU()
        )
        if head == "normed":
            self.classifier = NormedLinear(8, N_CLASSES)
        else:
            self.classifier = torch.nn.Linear(8, N_CLASSES, bias=bias)
        self.double()

    def forward(self, X):
        return self.classifier(self.features(X))


def _net(module, fused, **params):
    defaults = {
        "max_epochs": 3,
        "lr": 0.05,
        "batch_size": 32,
        "train_split": None,
        "random_state": 0,
        "optimizer": torch.optim.SGD,
        "verbose": 0,
    }
    if params.get("optimizer", torch.optim.SGD) is torch.optim.SGD:
        defaults["optimizer__momentum"] = 0.9
    return LogitAdjustedNet(
        module, fused_head="classifier" if fused else None, **{**defaults, **params}
    )


def _largest_gap(a, b):
    pairs = zip(a.module_.parameters(), b.module_.parameters(), strict=True)
    with torch.no_grad():
        return max(float((p - q).abs().max()) for p, q in pairs)


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the net's calls of the fused loss."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return module_linear_loss(*args, **kwargs)

    monkeypatch.setattr(net_code, "module_linear_loss", counted)
    return calls


@pytest.mark.parametrize("head", ["linear", "normed", "no bias"])
@pytest.mark.parametrize(
    "loss, tau",
    [("logit_adjusted", 1.0), ("logit_adjusted", 1.5), ("cross_entropy", 0.0)],
)
def test_one_step_gives_every_gradient_of_the_unfused_loss(
    head, loss, tau, fused_calls
):
    X, y = _data()
    nets = {}
    for fused in (False, True):
        module = _Bare("normed" if head == "normed" else "linear", head != "no bias")
        net = _net(module, fused, loss=loss, tau=tau, max_epochs=0).fit(X, y)
        assert net.fused_ is fused
        net.module_.zero_grad()
        step = net.train_step((X[:64], torch.as_tensor(y[:64])))
        nets[fused] = (net, float(step["loss"].detach()))
    assert len(fused_calls) == 1
    (plain, plain_loss), (fused, fused_loss) = nets[False], nets[True]
    assert fused_loss == pytest.approx(plain_loss, abs=ATOL64)
    for (name, p), q in zip(
        plain.module_.named_parameters(), fused.module_.parameters(), strict=True
    ):
        assert p.grad is not None and q.grad is not None, name
        np.testing.assert_allclose(q.grad, p.grad, rtol=0, atol=ATOL64, err_msg=name)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "logit_adjusted"},
        {"loss": "class_balanced"},
        {"loss": "logit_adjusted", "callbacks": [("drw", DeferredReweighting(1))]},
        {"loss": "logit_adjusted", "optimizer": torch.optim.Adam, "lr": 0.01},
        {"loss": "logit_adjusted", "fused_options": "chunked"},
    ],
    ids=["LA", "class_balanced", "LA+DRW", "Adam", "chunked"],
)
def test_training_and_predictions_equal_the_unfused_nets(params, fused_calls):
    X, y = _data()
    params = dict(params)
    if params.get("fused_options") == "chunked":
        params["fused_options"] = torch.nn.LinearCrossEntropyOptions()
    unfused_params = {k: v for k, v in params.items() if k != "fused_options"}
    plain = _net(_Bare(), False, **unfused_params).fit(X, y)
    fused = _net(_Bare(), True, **params).fit(X, y)
    assert fused.fused_ and len(fused_calls) == 3 * 8  # 3 epochs of 8 batches
    assert _largest_gap(plain, fused) <= ATOL64
    np.testing.assert_allclose(
        fused.history[:, "train_loss"], plain.history[:, "train_loss"], atol=ATOL64
    )
    np.testing.assert_array_equal(fused.predict(X), plain.predict(X))
    np.testing.assert_allclose(
        fused.predict_log_proba(X), plain.predict_log_proba(X), rtol=0, atol=ATOL64
    )
    if "callbacks" in params:  # the deferred weights reached the fused loss
        assert fused.criterion_.class_weight.numel() == N_CLASSES


def test_the_library_modules_train_fused_in_float32(fused_calls):
    X, y = _data()
    X = X.numpy().astype(np.float32)
    # float32: the two paths round differently, so only the training is compared
    # loosely (a trained net's balanced error), the exactness is float64's above.
    plain = LogitAdjustedNet(
        MLPModule, max_epochs=5, train_split=None, random_state=0, verbose=0
    )
    fused = LogitAdjustedNet(
        MLPModule, max_epochs=5, train_split=None, random_state=0, verbose=0,
        fused_head="classifier",
    )  # fmt: skip
    plain.fit(X, y)
    fused.fit(X, y)
    assert fused.fused_ and fused_calls
    # 8 steps x 5 epochs of float32 arithmetic: parameters agree to a few float32
    # roundings of O(1) values amplified by the training (measured 1e-6 here).
    assert _largest_gap(plain, fused) < 1e-4
    assert np.mean(plain.predict(X) == fused.predict(X)) > 0.97


def test_gradcheck_of_the_fused_loss_of_a_linear_and_a_cosine_head():
    g = torch.Generator().manual_seed(0)
    kw = {"dtype": torch.float64, "generator": g}
    x = torch.randn(12, 5, **kw).requires_grad_()
    weight = torch.randn(N_CLASSES, 5, **kw).requires_grad_()
    bias = torch.randn(N_CLASSES, **kw).requires_grad_()
    target = torch.randint(0, N_CLASSES, (12,), generator=g)
    loss = LogitAdjustedLoss([0.55, 0.25, 0.15, 0.05], tau=1.5)
    loss.set_class_weight([1.0, 2.0, 3.0, 4.0])

    def linear(x, weight, bias):
        return module_linear_loss(loss, x, weight, target, bias)

    def cosine(x, weight):  # what the fused step computes for a NormedLinear head
        return module_linear_loss(
            loss, F.normalize(x, dim=-1), F.normalize(weight, dim=-1), target
        )

    assert torch.autograd.gradcheck(linear, (x, weight, bias))
    assert torch.autograd.gradcheck(cosine, (x, weight))


def test_the_module_loss_is_the_function_with_the_same_priors():
    g = torch.Generator().manual_seed(1)
    x, weight = torch.randn(9, 3, generator=g), torch.randn(N_CLASSES, 3, generator=g)
    target = torch.randint(0, N_CLASSES, (9,), generator=g)
    priors = [0.55, 0.25, 0.15, 0.05]
    loss = LogitAdjustedLoss(priors, tau=2.0)
    # The module's float32 log-priors against the function's float64 ones: one
    # float32 rounding of each log-prior (|log pi| < 3, so 3 * 6e-8), times tau=2.
    expected = linear_logit_adjusted_loss(x, weight, target, priors=priors, tau=2.0)
    got = module_linear_loss(loss, x, weight, target)
    assert float(got) == pytest.approx(float(expected), abs=1e-6)


# -- falling back, with the reason ----------------------------------------------


class _ScaledLinear(torch.nn.Linear):
    """A linear layer whose forward is its own: not F.linear of its input."""

    def forward(self, x):
        return 2.0 * super().forward(x)


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"loss": "ldam", "criterion__scale": 1.0}, "LDAMLoss: it subtracts a margin"),
        ({"loss": "logit_adjusted_ldam", "criterion__scale": 1.0}, "LogitAdjustedLDAM"),
        ({"loss": "equalised"}, "EqualisedLoss: it drops"),
        ({"loss": "custom pairwise"}, "PairwiseMarginLoss: its C x C margin"),
        ({"head": _ScaledLinear}, "is a _ScaledLinear, not a torch.nn.Linear"),
        (
            {
                "callbacks": [
                    ("train_acc", EpochScoring("accuracy", on_train=True)),
                ]
            },
            "callback 'train_acc' scores the training batches",
        ),
    ],
    ids=["ldam", "la_ldam", "equalised", "pairwise", "layer type", "train scoring"],
)
def test_falls_back_to_the_unfused_loss_and_says_why(params, reason, fused_calls):
    X, y = _data()
    params = dict(params)
    if params.get("loss") == "custom pairwise":
        delta = np.log([0.55, 0.25, 0.15, 0.05])
        params["loss"] = PairwiseMarginLoss
        params["criterion__delta"] = delta[None, :] - delta[:, None]
    head = params.pop("head", None)

    def module():  # the same start for both nets
        built = _Bare()
        if head is not None:
            torch.manual_seed(0)
            built.classifier = head(8, N_CLASSES).double()
        return built

    plain = _net(module(), False, **params).fit(X, y)
    with pytest.warns(UserWarning, match="training with the unfused loss") as record:
        fused = _net(module(), True, **params).fit(X, y)
    assert fused.module_ is not plain.module_
    assert any(reason in str(w.message) for w in record), [
        str(w.message) for w in record
    ]
    assert "Set fused_head=None" in str(record[0].message)
    assert fused.fused_ is False and not fused_calls
    assert _largest_gap(plain, fused) == 0.0  # the very same unfused training


def test_compile_falls_back_without_tracing_anything():
    # compile=True would trace the module (slow on a CPU); the reason is decided
    # from the net's settings alone, so it is checked on a stand-in net.
    stand_in = types.SimpleNamespace(
        fused_head="classifier", compile=True, criterion_=LogitAdjustedLoss([0.5, 0.5])
    )
    reason = fused_head_reason(stand_in, torch.nn.Linear(3, 2))
    assert reason is not None and "compile=True" in reason


def test_no_warning_when_fused_or_not_asked(recwarn):
    X, y = _data()
    _net(_Bare(), True, max_epochs=1).fit(X, y)
    _net(_Bare(), False, max_epochs=1).fit(X, y)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_set_params_acts_at_the_next_fit():
    X, y = _data()
    net = _net(_Bare(), False, max_epochs=1).fit(X, y)
    assert net.fused_ is False
    assert net.set_params(fused_head="classifier").fit(X, y).fused_ is True
    assert net.set_params(fused_head=None).fit(X, y).fused_ is False


def test_partial_fit_and_warm_start_train_fused(fused_calls):
    X, y = _data()
    net = _net(_Bare(), True, max_epochs=1)
    net.partial_fit(X, y)
    assert net.fused_ and len(fused_calls) == 8
    net.set_params(warm_start=True).fit(X, y)
    assert len(fused_calls) == 16


def test_validation_and_forward_use_the_module_as_it_is():
    X, y = _data()
    net = _net(_Bare(), True, train_split=None, max_epochs=2).fit(X, y)
    logits = net.forward(X, training=True)  # skorch's forward: not a fused step
    assert logits.shape == (X.shape[0], N_CLASSES)
    with torch.no_grad():
        np.testing.assert_allclose(
            logits.detach(), net.module_(X), rtol=0, atol=0
        )  # same module, same inputs, same ops
    with_valid = _net(_Bare(), True, train_split=ValidSplit(4), max_epochs=2).fit(X, y)
    assert np.all(np.isfinite(with_valid.history[:, "valid_loss"]))


# -- bad input ------------------------------------------------------------------


def test_a_name_of_no_layer_is_refused_before_training():
    X, y = _data()
    net = _net(_Bare(), False)
    net.set_params(fused_head="head")
    with pytest.raises(ValueError, match="fused_head='head' names no submodule"):
        net.fit(X, y)
    assert not net.initialized_


def test_a_head_with_the_wrong_number_of_classes_is_refused():
    X, y = _data()
    module = _Bare()
    module.classifier = torch.nn.Linear(8, N_CLASSES + 1).double()
    with pytest.raises(ValueError, match=r"fused_head='classifier' must be a linear"):
        _net(module, True).fit(X, y)


def test_the_offset_of_a_head_without_bias_is_not_dropped():
    X, y = _data()
    la = _net(_Bare(bias=False), True, max_epochs=0).fit(X, y)
    ce = _net(_Bare(bias=False), True, loss="cross_entropy", max_epochs=0).fit(X, y)
    batch = (X[:64], torch.as_tensor(y[:64]))
    with torch.no_grad():  # before the step changes the parameters
        logits = la.module_(X[:64])
        expected = F.cross_entropy(logits + la.criterion_.log_priors.double(), batch[1])
    la_loss = float(la.train_step(batch)["loss"].detach())
    ce_loss = float(ce.train_step(batch)["loss"].detach())
    assert la_loss == pytest.approx(float(expected), abs=ATOL64)
    assert abs(la_loss - ce_loss) > 0.1  # the offset made a difference


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda m: _Doubled(m), "returned something other than its output"),
        (lambda m: _Twice(m), "called it 2 times"),
        (lambda m: _Skips(m), "did not call it"),
    ],
    ids=["transformed", "twice", "not called"],
)
def test_a_module_whose_output_is_not_the_heads_is_refused(make, what):
    X, y = _data()
    net = _net(make(_Bare()), True, max_epochs=1)
    with pytest.raises(ValueError, match=what):
        net.fit(X, y)
    assert not net.initialized_


class _Doubled(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.classifier = inner.classifier

    def forward(self, X):
        return 2 * self.inner(X)


class _Twice(_Doubled):
    def forward(self, X):
        self.inner(X)
        return self.inner(X)


class _Skips(_Doubled):
    def forward(self, X):
        h = self.inner.features(X)
        return F.linear(h, self.classifier.weight, self.classifier.bias)


def test_mixed_devices_are_refused_with_the_devices_named():
    # The meta device stands in for a second device (this machine has one).
    loss = LogitAdjustedLoss([0.5, 0.5]).to("meta")
    x, weight = torch.randn(3, 2), torch.randn(2, 2)
    with pytest.raises(RuntimeError, match="on cpu but the loss's buffer"):
        module_linear_loss(loss, x, weight, torch.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="input is on cpu but weight is on meta"):
        module_linear_loss(
            LogitAdjustedLoss([0.5, 0.5]), x, weight.to("meta"), torch.tensor([0, 1, 1])
        )


def test_bad_fused_options_are_refused_before_any_work():
    X, y = _data()
    net = _net(_Bare(), True, fused_options={"chunk": 8})
    with pytest.raises(
        ValueError, match="'fused_options' parameter .* must be None or"
    ):
        net.fit(X, y)
    assert not net.initialized_


def test_a_module_instance_is_accepted():
    # module= may be an instance (skorch's convention); it used to be refused by
    # skorch's attribute guard when the net recorded what it was built from.
    X, y = _data()
    module = _Bare()
    net = _net(module, True, max_epochs=1).fit(X, y)
    assert net.module_ is module
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.set_params(warm_start=True).fit(X, y)  # the kept module is current


def test_trains_fused_through_accelerate_in_bf16(fused_calls):
    accelerate = pytest.importorskip("accelerate", reason="the accelerate extra")
    from skorch.hf import AccelerateMixin

    class AcceleratedNet(AccelerateMixin, LogitAdjustedNet):
        pass

    X, y = _data()
    X = X.numpy().astype(np.float32)

    def net(fused):
        return AcceleratedNet(
            MLPModule,
            accelerator=accelerate.Accelerator(mixed_precision="bf16", cpu=True),
            device=None, max_epochs=4, lr=0.01, train_split=None, random_state=0,
            verbose=0, optimizer=torch.optim.Adam,
            fused_head="classifier" if fused else None,
        )  # fmt: skip

    plain, fused = net(False).fit(X, y), net(True).fit(X, y)
    # AccelerateMixin has its own train_step_single; the fused step still runs
    # (through train_step, infer and get_loss), and under bf16 autocast.
    assert fused.fused_ and len(fused_calls) == 4 * 2  # 4 epochs of 2 batches
    losses = fused.history[:, "train_loss"]
    # bf16 rounds the logits by 2**-8 relative in both paths, differently: the
    # epoch losses (about 1) agree to a few such roundings.
    np.testing.assert_allclose(losses, plain.history[:, "train_loss"], atol=2e-2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("autocast", [False, True], ids=["float32", "bf16 autocast"])
def test_fused_training_on_gpu(autocast):
    X, y = _data()
    X = X.float()

    def net(fused):
        return LogitAdjustedNet(
            MLPModule, device="cuda", max_epochs=5, train_split=None,
            random_state=0, verbose=0, fused_head="classifier" if fused else None,
            fused_options=torch.nn.LinearCrossEntropyOptions() if fused else None,
        )  # fmt: skip

    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
        plain, fused = net(False).fit(X, y), net(True).fit(X, y)
    assert fused.fused_
    assert all(p.is_cuda for p in fused.module_.parameters())
    assert np.all(np.isfinite(fused.history[:, "train_loss"]))
    # float32 (bf16) roundings differ between the paths; the trained nets agree
    # on nearly every prediction.
    assert np.mean(plain.predict(X) == fused.predict(X)) > 0.95
