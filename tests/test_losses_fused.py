"""The logit-adjusted loss fused with a linear head (issue 17, the fused path)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
import torch.nn.functional as F  # noqa: E402

from sklearn_lt.losses import (  # noqa: E402
    linear_logit_adjusted_loss,
    logit_adjusted_loss,
)

CHUNKED = torch.nn.LinearCrossEntropyOptions

# float64, 20 classes, 8 features, O(1)-O(10) values: each logit, logsumexp and
# gradient entry is a sum of at most 20 terms, each rounding by at most eps of
# the running sum, so two summation orders (fused, chunked, unfused) agree to
# about 20 * 2.2e-16 * 10 = 4.4e-14; 1e-12 leaves a factor 20 for the chunks.
ATOL64 = 1e-12


def _problem(n_rows=32, n_features=8, n_classes=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    kw = {"generator": g, "dtype": torch.float64}
    x = torch.randn(n_rows, n_features, **kw).requires_grad_()
    weight = torch.randn(n_classes, n_features, **kw).requires_grad_()
    bias = torch.randn(n_classes, **kw).requires_grad_()
    counts = np.round(1000 * 0.7 ** np.arange(n_classes)) + 1
    target = torch.randint(0, n_classes, (n_rows,), generator=g)
    return x, weight, bias, target, counts / counts.sum()


def _grads(loss, params):
    return torch.autograd.grad(loss.sum(), params)


@pytest.mark.parametrize("tau", [0.0, 1.0, 1.5])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
def test_loss_and_every_gradient_equal_the_unfused_path(
    tau, with_bias, reduction, chunked
):
    x, weight, bias, target, priors = _problem()
    bias = bias if with_bias else None
    params = [x, weight] + ([bias] if with_bias else [])
    options = CHUNKED() if chunked else None
    fused = linear_logit_adjusted_loss(
        x,
        weight,
        target,
        bias,
        priors=priors,
        tau=tau,
        reduction=reduction,
        options=options,
    )
    log_priors = torch.log(torch.as_tensor(priors))
    unfused = logit_adjusted_loss(
        F.linear(x, weight, bias), target, log_priors, tau=tau, reduction=reduction
    )
    torch.testing.assert_close(fused, unfused, rtol=0, atol=ATOL64)
    for got, expected in zip(
        _grads(fused, params), _grads(unfused, params), strict=True
    ):
        torch.testing.assert_close(got, expected, rtol=0, atol=ATOL64)


def test_class_weights_go_to_the_fused_op():
    x, weight, bias, target, priors = _problem()
    class_weight = torch.linspace(0.5, 2.0, 20, dtype=torch.float64)
    fused = linear_logit_adjusted_loss(
        x, weight, target, bias, priors=priors, class_weight=class_weight
    )
    log_priors = torch.log(torch.as_tensor(priors))
    unfused = logit_adjusted_loss(
        F.linear(x, weight, bias), target, log_priors, class_weight=class_weight
    )
    torch.testing.assert_close(fused, unfused, rtol=0, atol=ATOL64)


@pytest.mark.parametrize(
    "options",
    [None, CHUNKED(allow_retain_graph=True)],  # gradcheck runs backward repeatedly
    ids=["whole", "chunked"],
)
def test_gradcheck(options):
    x, weight, bias, target, priors = _problem(n_rows=6, n_features=3, n_classes=4)

    def loss(x, weight, bias):
        return linear_logit_adjusted_loss(
            x, weight, target, bias, priors=priors, tau=1.5, options=options
        )

    assert torch.autograd.gradcheck(loss, (x, weight, bias))


def test_without_a_bias_the_offset_is_the_bias_never_dropped():
    x, weight, _, target, priors = _problem()
    fused = linear_logit_adjusted_loss(x, weight, target, priors=priors)
    plain = F.cross_entropy(F.linear(x, weight), target)
    offset = torch.log(torch.as_tensor(priors))
    adjusted = F.cross_entropy(F.linear(x, weight) + offset, target)
    torch.testing.assert_close(fused, adjusted, rtol=0, atol=ATOL64)
    assert abs(fused.item() - plain.item()) > 0.1


def test_the_offset_is_in_float32_for_a_float32_head():
    x, weight, bias, target, priors = _problem()
    x, weight, bias = (t.detach().float() for t in (x, weight, bias))
    fused = linear_logit_adjusted_loss(x, weight, target, bias, priors=priors)
    assert fused.dtype == torch.float32
    # float32 logits of size ~10 and a logsumexp over 20 classes: the two paths
    # round alike up to a few float32 ulps of the loss (1.2e-7 relative each).
    log_priors = torch.log(torch.as_tensor(priors, dtype=torch.float32))
    unfused = logit_adjusted_loss(F.linear(x, weight, bias), target, log_priors)
    torch.testing.assert_close(fused, unfused, rtol=1e-5, atol=0)


# --- bad input ----------------------------------------------------------------------


def test_a_weight_that_does_not_fit_the_input_is_refused():
    x, weight, bias, target, priors = _problem()
    with pytest.raises(ValueError, match=r"weight has shape \(20, 7\).*input has 8"):
        linear_logit_adjusted_loss(x, weight[:, :7], target, bias, priors=priors)


def test_priors_that_do_not_match_the_heads_classes_are_refused():
    x, weight, bias, target, priors = _problem()
    with pytest.raises(ValueError, match="priors has 19 entries but weight has 20"):
        linear_logit_adjusted_loss(x, weight, target, bias, priors=priors[:19])
    with pytest.raises(ValueError, match=r"bias must have shape \(20,\)"):
        linear_logit_adjusted_loss(x, weight, target, bias[:5], priors=priors)
    with pytest.raises(ValueError, match=r"target holds class indices \[20\]"):
        linear_logit_adjusted_loss(
            x, weight, torch.full_like(target, 20), bias, priors=priors
        )


def test_mixed_devices_are_refused_before_any_work():
    # The meta device stands in for a GPU: no arithmetic can run on it.
    x, weight, bias, target, priors = _problem()
    with pytest.raises(RuntimeError, match="input is on cpu but weight is on meta"):
        linear_logit_adjusted_loss(x, weight.to("meta"), target, bias, priors=priors)
    with pytest.raises(RuntimeError, match="but priors is on meta"):
        linear_logit_adjusted_loss(
            x, weight, target, bias, priors=torch.as_tensor(priors).to("meta")
        )


def test_a_loss_that_is_not_finite_says_why():
    x, weight, bias, target, priors = _problem()
    x = x.detach().clone()
    x[3, 0] = float("nan")
    with pytest.raises(ValueError, match="logits contain NaN in 1 of 32 rows"):
        linear_logit_adjusted_loss(x, weight, target, bias, priors=priors)


def test_the_benchmarks_fused_routes_compute_the_adjusted_loss_and_measure():
    from _benchmarks import load_benchmark

    bench = load_benchmark("bench_losses")
    problem = bench.fused_problem(64, 50, torch.device("cpu"))
    features, weight, *_ = problem
    grads = {}
    for route in bench.FUSED_ROUTES:
        weight.grad = None
        bench.fused_step(route, problem)()
        grads[route] = weight.grad.clone()
    # float32 features of size ~1, 50 classes, hidden 512: the two LA routes sum
    # in different orders, a few float32 ulps (1.2e-7) of the ~1e-2 gradients.
    torch.testing.assert_close(
        grads["fused LA"], grads["unfused LA"], rtol=0, atol=1e-6
    )
    assert (grads["fused LA"] - grads["fused CE"]).abs().max() > 1e-4  # adjusted
    seconds = bench.time_fused(problem, 2, torch.device("cpu"))
    assert set(seconds) == set(bench.FUSED_ROUTES)
    assert all(len(times) == 2 and min(times) > 0 for times in seconds.values())
    peak = bench.peak_step_megabytes("fused LA", 64, 50, torch.device("cpu"))
    assert peak >= 0


def test_the_benchmarks_training_steps_train_the_routes_they_name():
    pytest.importorskip("skorch", reason="the torch extra is not installed")
    from _benchmarks import load_benchmark

    bench = load_benchmark("bench_losses")
    cpu = torch.device("cpu")
    model = bench.step_models(quick=True)["MLP"]
    losses = {}
    for route in bench.STEP_ROUTES:
        net, batch = bench.step_net(route, model, 30, cpu)
        assert net.fused_ is route.startswith("fused")
        assert (net.criterion_.tau > 0) is route.endswith("LA")
        losses[route] = float(net.train_step(batch)["loss"].detach())
    # The same net and batch, fused or not: float32 losses of order 3 computed in
    # two summation orders, a few ulps (2.4e-7 each) apart.
    assert losses["fused LA"] == pytest.approx(losses["LA"], abs=1e-5)
    assert losses["fused CE"] == pytest.approx(losses["CE"], abs=1e-5)
    assert abs(losses["LA"] - losses["CE"]) > 1e-3  # the adjustment is there
    seconds, ratios = bench.time_steps(model, 30, cpu, 1, 0.001, autocast=False)
    assert set(seconds) == set(bench.STEP_ROUTES) and min(seconds.values()) > 0
    assert set(ratios) == set(bench.STEP_PAIRS) and min(ratios.values()) > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
@pytest.mark.parametrize("autocast", [False, True], ids=["float32", "bf16 autocast"])
def test_fused_loss_on_gpu_equals_the_unfused_loss(chunked, autocast):
    g = torch.Generator().manual_seed(0)
    x = (0.3 * torch.randn(256, 64, generator=g)).cuda().requires_grad_()
    weight = (0.3 * torch.randn(1000, 64, generator=g)).cuda().requires_grad_()
    bias = torch.zeros(1000).cuda().requires_grad_()
    target = torch.randint(0, 1000, (256,), generator=g).cuda()
    counts = np.round(1000 * 0.995 ** np.arange(1000)) + 1
    priors = torch.as_tensor(counts / counts.sum()).cuda()
    options = CHUNKED() if chunked else None
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
        fused = linear_logit_adjusted_loss(
            x, weight, target, bias, priors=priors, options=options
        )
        logits = F.linear(x, weight, bias)
        unfused = logit_adjusted_loss(logits, target, torch.log(priors).float())
    fused_grads = torch.autograd.grad(fused, (x, weight, bias))
    unfused_grads = torch.autograd.grad(unfused, (x, weight, bias))
    # Logits of |z| < 3 (0.3-scaled rows of 64 features): float32 sums agree to
    # 1e-5; bf16 rounds each logit by up to 2**-8 * 3 = 0.012, which moves a
    # logsumexp and the target logit by at most that each: 0.05 bounds both.
    atol = 5e-2 if autocast else 1e-5
    assert float(fused) == pytest.approx(float(unfused), abs=atol)
    for got, expected in zip(fused_grads, unfused_grads, strict=True):
        torch.testing.assert_close(got.float(), expected.float(), rtol=0, atol=atol)
