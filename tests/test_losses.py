import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from _benchmarks import load_benchmark  # noqa: E402

from sklearn_lt.losses import (  # noqa: E402
    EqualisedLoss,
    LDAMLoss,
    LogitAdjustedLDAMLoss,
    LogitAdjustedLoss,
    PairwiseMarginLoss,
    equalised_loss,
    ldam_loss,
    logit_adjusted_ldam_loss,
    logit_adjusted_loss,
    pairwise_margin_loss,
)
from sklearn_lt.priors import class_balanced_weights  # noqa: E402

# Derandomized: every machine, CI's included, draws the same examples, so a red run
# replays anywhere. No example database: it would write a .hypothesis folder into the
# checkout.
FAST = settings(deadline=None, max_examples=30, database=None, derandomize=True)


# --- Independent float64 numpy evaluations of each loss's own formula. ---


def _np_logsumexp(a, axis=-1):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _np_softmax_cross_entropy(z, y):
    """-log softmax(z)_y per row."""
    return _np_logsumexp(z) - z[np.arange(len(y)), y]


def _np_pairwise(f, y, delta):
    """log(1 + sum_{y' != y} exp(Delta[y, y']) exp(f_y' - f_y)), pair by pair."""
    out = np.empty(len(y))
    for i, label in enumerate(y):
        others = np.arange(f.shape[1]) != label
        terms = delta[label, others] + f[i, others] - f[i, label]
        out[i] = np.logaddexp(0.0, _np_logsumexp(terms))
    return out


def _np_reduce(losses, y, class_weight, reduction):
    w = np.ones(np.max(y) + 1) if class_weight is None else np.asarray(class_weight)
    weighted = w[y] * losses
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / w[y].sum()


def _np_ldam_margins(counts, max_margin):
    quarter = np.asarray(counts, dtype=np.float64) ** -0.25
    return max_margin * quarter / quarter.max()


def _np_logit_adjusted(f, y, priors, tau):
    priors = np.asarray(priors, dtype=np.float64) / np.sum(priors)
    return _np_softmax_cross_entropy(f + tau * np.log(priors), y)


def _np_ldam(f, y, counts, max_margin, scale):
    margins = _np_ldam_margins(counts, max_margin)
    z = scale * (f - margins[y][:, None] * np.eye(f.shape[1])[y])
    return _np_softmax_cross_entropy(z, y)


def _np_equalised(f, y, counts, threshold, beta):
    """Tan et al.'s softmax form: p_y = e^{f_y} / sum_k w_k e^{f_k}, w_y = 1."""
    counts = np.asarray(counts, dtype=np.float64)
    rare = (counts / counts.sum() < threshold).astype(np.float64)
    out = np.empty(len(y))
    for i, label in enumerate(y):
        w = 1.0 - beta * rare * (np.arange(f.shape[1]) != label)
        out[i] = -f[i, label] + _np_logsumexp(np.log(w) + f[i])
    return out


def _np_logit_adjusted_ldam_delta(counts, tau, max_margin, scale):
    counts = np.asarray(counts, dtype=np.float64)
    log_priors = np.log(counts / counts.sum())
    margins = _np_ldam_margins(counts, max_margin)
    return tau * (log_priors[None, :] - log_priors[:, None]) + scale * margins[:, None]


# --- Random problems for the property-based tests. ---


@st.composite
def problems(draw, max_classes=6):
    n_samples = draw(st.integers(1, 7))
    n_classes = draw(st.integers(2, max_classes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    magnitude = draw(st.sampled_from([0.1, 1.0, 10.0]))
    logits = rng.normal(scale=magnitude, size=(n_samples, n_classes))
    # The reference sees the float32 logits the loss sees.
    logits = logits.astype(np.float32).astype(np.float64)
    weighted = draw(st.booleans())
    return SimpleNamespace(
        logits=logits,
        target=rng.integers(0, n_classes, size=n_samples),
        counts=rng.integers(1, 1000, size=n_classes).astype(np.float64),
        class_weight=rng.uniform(0.1, 3.0, size=n_classes) if weighted else None,
        reduction=draw(st.sampled_from(["mean", "sum", "none"])),
        tau=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
        rng=rng,
        # float32 losses against float64 ones of the same logits round by ~eps32
        # (1.2e-7) times the adjusted logits' size: absolutely for losses >= log 2,
        # relatively below (a dominant target). atol is 84 eps32 per unit of logit
        # magnitude; rtol 1e-5 (84 eps32) covers |tau log pi| <= 17 on losses >=
        # log 2, and the sums. Measured over 1,500 examples per test: every
        # difference within 9% of atol + rtol * |loss|.
        atol=1e-5 * magnitude,
    )


def _run(loss, p, logits=None):
    logits = p.logits if logits is None else logits
    out = loss(torch.tensor(logits, dtype=torch.float32), torch.tensor(p.target))
    assert out.dtype == torch.float32
    return out.detach().numpy().astype(np.float64)


def _expected(losses, p):
    return _np_reduce(losses, p.target, p.class_weight, p.reduction)


@FAST
@given(problems())
def test_logit_adjusted_loss_matches_numpy_softmax_of_adjusted_logits(p):
    priors = p.counts / p.counts.sum()
    loss = LogitAdjustedLoss(
        priors, tau=p.tau, class_weight=p.class_weight, reduction=p.reduction
    )
    expected = _expected(_np_logit_adjusted(p.logits, p.target, priors, p.tau), p)
    assert_allclose(_run(loss, p), expected, rtol=1e-5, atol=p.atol)


@FAST
@given(problems(), st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from([1.0, 3.0]))
def test_ldam_loss_matches_numpy_cross_entropy_of_shifted_scaled_logits(
    p, max_margin, scale
):
    loss = LDAMLoss(
        p.counts,
        max_margin=max_margin,
        scale=scale,
        class_weight=p.class_weight,
        reduction=p.reduction,
    )
    losses = _np_ldam(p.logits, p.target, p.counts, max_margin, scale)
    # Logits scaled by up to 3, so is their rounding.
    assert_allclose(_run(loss, p), _expected(losses, p), rtol=1e-5, atol=p.atol * 3)


@FAST
@given(problems(), st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_equalised_loss_matches_numpy_tan_softmax_form(p, beta):
    # A threshold between the counts' frequencies, so that some classes are rare.
    threshold = float(np.median(p.counts / p.counts.sum()))
    loss = EqualisedLoss(
        p.counts,
        threshold=threshold,
        beta=beta,
        class_weight=p.class_weight,
        reduction=p.reduction,
    )
    losses = _np_equalised(p.logits, p.target, p.counts, threshold, beta)
    assert_allclose(_run(loss, p), _expected(losses, p), rtol=1e-5, atol=p.atol)


@FAST
@given(problems(), st.sampled_from([0.0, 0.5]), st.sampled_from([1.0, 2.0]))
def test_logit_adjusted_ldam_loss_matches_numpy_pairwise_formula(p, max_margin, scale):
    loss = LogitAdjustedLDAMLoss(
        p.counts,
        tau=p.tau,
        max_margin=max_margin,
        scale=scale,
        class_weight=p.class_weight,
        reduction=p.reduction,
    )
    delta = _np_logit_adjusted_ldam_delta(p.counts, p.tau, max_margin, scale)
    losses = _np_pairwise(scale * p.logits, p.target, delta)
    # Logits scaled by up to 2, so is their rounding.
    assert_allclose(_run(loss, p), _expected(losses, p), rtol=1e-5, atol=p.atol * 2)


@FAST
@given(problems())
def test_pairwise_margin_loss_matches_numpy_and_ignores_the_diagonal(p):
    n_classes = p.logits.shape[1]
    delta = p.rng.normal(scale=2.0, size=(n_classes, n_classes))
    loss = PairwiseMarginLoss(delta, class_weight=p.class_weight, reduction=p.reduction)
    losses = _np_pairwise(p.logits, p.target, delta)
    assert_allclose(_run(loss, p), _expected(losses, p), rtol=1e-5, atol=p.atol)


def test_pairwise_margin_loss_minus_inf_drops_a_pair():
    logits = np.array([[0.3, 1.2, -0.4]])
    delta = np.array([[0.0, -np.inf, 0.5], [0, 0, 0], [0, 0, 0]])
    out = PairwiseMarginLoss(delta)(torch.tensor(logits), torch.tensor([0]))
    expected = np.log1p(np.exp(0.5 - 0.4 - 0.3))
    # float64 logits, margins exact in float32 (0, 0.5, -inf): an O(1) float64 loss
    # from two formulas rounds by a few eps (measured equal); rtol 1e-12 is 4500 eps.
    assert_allclose(out.item(), expected, rtol=1e-12)


# --- Each loss is the pairwise margin loss with its own margin matrix. ---


@FAST
@given(problems())
def test_logit_adjusted_loss_is_pairwise_with_log_prior_ratio_margins(p):
    log_priors = np.log(p.counts / p.counts.sum())
    delta = p.tau * (log_priors[None, :] - log_priors[:, None])
    kw = {"class_weight": p.class_weight, "reduction": p.reduction}
    assert_allclose(
        _run(LogitAdjustedLoss(p.counts, tau=p.tau, **kw), p),
        _run(PairwiseMarginLoss(delta, **kw), p),
        rtol=1e-5,
        atol=p.atol,
    )


@FAST
@given(problems(), st.sampled_from([0.2, 0.5]), st.sampled_from([1.0, 30.0]))
def test_ldam_loss_is_pairwise_with_scaled_margin_on_scaled_logits(
    p, max_margin, scale
):
    p.logits = p.logits / 10.0  # the scaled logits stay of moderate size
    n_classes = p.logits.shape[1]
    margins = _np_ldam_margins(p.counts, max_margin)
    delta = np.repeat(scale * margins[:, None], n_classes, axis=1)
    kw = {"class_weight": p.class_weight, "reduction": p.reduction}
    ldam = LDAMLoss(p.counts, max_margin=max_margin, scale=scale, **kw)
    # Two float32 formulas on scaled logits up to ~120 (scale 30), where an ulp is
    # 7.6e-6: atol 1e-4 is 13 of them (measured: within 3% of the tolerance).
    assert_allclose(
        _run(ldam, p),
        _run(PairwiseMarginLoss(delta, **kw), p, logits=scale * p.logits),
        rtol=1e-5,
        atol=1e-4,
    )


@FAST
@given(problems())
def test_equalised_loss_is_pairwise_with_negative_class_log_weights(p):
    threshold = float(np.median(p.counts / p.counts.sum()))
    n_classes = p.logits.shape[1]
    rare = p.counts / p.counts.sum() < threshold
    delta = np.repeat(np.log(1.0 - 0.9 * rare)[None, :], n_classes, axis=0)
    kw = {"class_weight": p.class_weight, "reduction": p.reduction}
    assert_allclose(
        _run(EqualisedLoss(p.counts, threshold=threshold, beta=0.9, **kw), p),
        _run(PairwiseMarginLoss(delta, **kw), p),
        rtol=1e-5,
        atol=p.atol,
    )


@FAST
@given(problems(), st.sampled_from([1.0, 2.0]))
def test_logit_adjusted_ldam_loss_is_pairwise_with_summed_margins(p, scale):
    delta = _np_logit_adjusted_ldam_delta(p.counts, p.tau, 0.5, scale)
    kw = {"class_weight": p.class_weight, "reduction": p.reduction}
    combined = LogitAdjustedLDAMLoss(p.counts, tau=p.tau, scale=scale, **kw)
    assert_allclose(
        _run(combined, p),
        _run(PairwiseMarginLoss(delta, **kw), p, logits=scale * p.logits),
        rtol=1e-5,
        atol=p.atol * 2,
    )


def test_logit_adjusted_ldam_without_margin_is_the_logit_adjusted_loss():
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(20, 5)), dtype=torch.float32)
    target = torch.tensor(rng.integers(0, 5, size=20))
    counts = [400, 200, 50, 9, 1]
    # Mean float32 losses of O(1) by two formulas: a few eps32 relative (measured
    # equal); rtol 1e-6 is 8 eps32.
    assert_allclose(
        LogitAdjustedLDAMLoss(counts, tau=1.5, max_margin=0.0)(logits, target),
        LogitAdjustedLoss(counts, tau=1.5)(logits, target),
        rtol=1e-6,
    )


# --- LogitAdjustedLDAMLoss with priors other than the training frequencies. ---


def _np_logit_adjusted_ldam_delta_with_priors(priors, counts, tau, max_margin, scale):
    """Delta from the given priors (normalised here) and margins from the counts."""
    log_priors = np.log(np.asarray(priors, dtype=np.float64) / np.sum(priors))
    margins = _np_ldam_margins(counts, max_margin)
    return tau * (log_priors[None, :] - log_priors[:, None]) + scale * margins[:, None]


@FAST
@given(problems(), st.sampled_from([0.0, 0.5]), st.sampled_from([1.0, 2.0]))
def test_logit_adjusted_ldam_loss_takes_explicit_priors_for_the_adjustment(
    p, max_margin, scale
):
    n_classes = p.logits.shape[1]
    priors = p.rng.dirichlet(np.ones(n_classes)) + 1e-3  # not the counts' frequencies
    loss = LogitAdjustedLDAMLoss(
        p.counts,
        tau=p.tau,
        max_margin=max_margin,
        scale=scale,
        class_weight=p.class_weight,
        reduction=p.reduction,
        priors=priors,
    )
    delta = _np_logit_adjusted_ldam_delta_with_priors(
        priors, p.counts, p.tau, max_margin, scale
    )
    losses = _np_pairwise(scale * p.logits, p.target, delta)
    # As in the test without priors: logits scaled by up to 2, so is their rounding;
    # |tau log pi| <= 2 log(1e3 + 1) = 14 stays within the rtol's 17.
    assert_allclose(_run(loss, p), _expected(losses, p), rtol=1e-5, atol=p.atol * 2)
    # float32 buffers of float64 values: eps32 / 2 relative (rtol 1e-6 is 8 eps32).
    assert_allclose(loss.log_priors, np.log(priors / priors.sum()), rtol=1e-6)
    assert_allclose(loss.margins, _np_ldam_margins(p.counts, max_margin), rtol=1e-6)


def test_logit_adjusted_ldam_priors_default_to_the_training_frequencies():
    counts = np.array([700.0, 200.0, 60.0, 3.0])
    logits = torch.tensor(np.random.default_rng(7).normal(size=(12, 4)))
    target = torch.tensor([0, 1, 2, 3] * 3)
    implicit = LogitAdjustedLDAMLoss(counts, reduction="none")
    for priors in (
        counts,
        counts / counts.sum(),
        torch.tensor(counts),
        dict(enumerate(counts)),
    ):
        explicit = LogitAdjustedLDAMLoss(counts, reduction="none", priors=priors)
        # log(n_y) - log(n) against log(n_y / n): a float64 ulp or two of |log pi|
        # <= 6, far below the float32 buffers' rounding, which is the same (equal).
        assert torch.equal(explicit.log_priors, implicit.log_priors)
        assert torch.equal(explicit(logits, target), implicit(logits, target))


def test_logit_adjusted_ldam_with_balanced_priors_is_ldam_on_unscaled_logits():
    counts = [500, 50, 5]
    logits = torch.tensor(np.random.default_rng(8).normal(size=(9, 3)))
    target = torch.tensor([0, 1, 2] * 3)
    balanced = LogitAdjustedLDAMLoss(counts, priors=[1, 1, 1], reduction="none")
    ldam = LDAMLoss(counts, scale=1.0, reduction="none")
    # tau log(1/3) is the same for every class, so it cancels in the softmax up to
    # rounding of float64 logits shifted by 1.1: a few eps64 (measured 4e-16).
    assert_allclose(balanced(logits, target), ldam(logits, target), rtol=1e-12)


@pytest.mark.parametrize(
    ("priors", "error", "message"),
    [
        ([0.5, 0.5], ValueError, "priors has 2 entries but class_counts has 3"),
        ([0.5, 0.0, 0.5], ValueError, "priors must be > 0"),
        ([0.5, np.nan, 0.5], ValueError, "priors must be finite"),
        ({0: 1, 1: 1}, ValueError, r"no entry for classes \[2\]"),
        ([True, True, True], TypeError, "True and False are not numbers"),
    ],
)
def test_logit_adjusted_ldam_rejects_bad_priors(priors, error, message):
    with pytest.raises(error, match=message):
        LogitAdjustedLDAMLoss([10, 5, 1], priors=priors)


def test_explicit_priors_of_the_net_reach_the_logit_adjusted_ldam_loss():
    # LogitAdjustedNet passes priors= to a loss whose __init__ takes it: explicit
    # priors now reach loss="logit_adjusted_ldam", and the margins still come from y.
    pytest.importorskip("skorch")
    from sklearn_lt.net import LogitAdjustedNet, MLPModule

    rng = np.random.default_rng(9)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = np.repeat([0, 1, 2], [40, 15, 5])
    priors = np.array([0.2, 0.3, 0.5])
    params = {"max_epochs": 1, "train_split": None, "verbose": 0, "random_state": 0}
    explicit = LogitAdjustedNet(
        MLPModule, loss="logit_adjusted_ldam", priors=priors, **params
    ).fit(X, y)
    criterion = explicit.criterion_
    # float32 buffers of float64 logs: eps32 / 2 relative; rtol 1e-6 is 8 eps32.
    assert_allclose(criterion.log_priors, np.log(priors), rtol=1e-6)
    assert_allclose(criterion.margins, _np_ldam_margins([40, 15, 5], 0.5), rtol=1e-6)
    train = LogitAdjustedNet(MLPModule, loss="logit_adjusted_ldam", **params).fit(X, y)
    assert_allclose(
        train.criterion_.log_priors, np.log([40 / 60, 15 / 60, 5 / 60]), rtol=1e-6
    )


# --- tau = 0 (and no margins) is torch's cross-entropy. ---


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_tau_zero_and_zero_margins_reproduce_torch_cross_entropy(reduction, weighted):
    rng = np.random.default_rng(1)
    logits = torch.tensor(rng.normal(scale=3, size=(32, 7)), dtype=torch.float32)
    target = torch.tensor(rng.integers(0, 7, size=32))
    counts = rng.integers(1, 500, size=7)
    weight = rng.uniform(0.5, 2.0, size=7) if weighted else None
    kw = {"class_weight": weight, "reduction": reduction}
    expected = F.cross_entropy(
        logits,
        target,
        weight=None if weight is None else torch.tensor(weight, dtype=torch.float32),
        reduction=reduction,
    )
    losses = [
        LogitAdjustedLoss(counts, tau=0.0, **kw),
        LogitAdjustedLDAMLoss(counts, tau=0.0, max_margin=0.0, **kw),
        LDAMLoss(counts, max_margin=0.0, scale=1.0, **kw),
        EqualisedLoss(counts, beta=0.0, **kw),
        PairwiseMarginLoss(np.zeros((7, 7)), **kw),
    ]
    for loss in losses:
        # float32 formulas on logits up to 8.6: rounding ~eps32 * 8.6 = 1e-6
        # absolute, or relative for near-0 losses (measured equal).
        assert_allclose(loss(logits, target), expected, rtol=2e-6, atol=1e-6)
    # tau = 0 passes the logits to F.cross_entropy unchanged: bitwise equal.
    assert torch.equal(
        LogitAdjustedLoss(counts, tau=0.0, **kw)(logits, target), expected
    )


# --- Functions equal modules. ---


@FAST
@given(problems())
def test_functional_forms_equal_the_modules(p):
    logits = torch.tensor(p.logits, dtype=torch.float32)
    target = torch.tensor(p.target)
    kw = {"class_weight": p.class_weight, "reduction": p.reduction}
    n_classes = logits.shape[1]
    delta = p.rng.normal(size=(n_classes, n_classes))

    la = LogitAdjustedLoss(p.counts, tau=p.tau, **kw)
    ldam = LDAMLoss(p.counts, scale=2.0, **kw)
    eql = EqualisedLoss(p.counts, threshold=0.2, **kw)
    both = LogitAdjustedLDAMLoss(p.counts, tau=p.tau, **kw)
    pairs = [
        (la, logit_adjusted_loss(logits, target, la.log_priors, p.tau, **kw)),
        (ldam, ldam_loss(logits, target, ldam.margins, 2.0, **kw)),
        (eql, equalised_loss(logits, target, eql.log_weights, **kw)),
        (
            PairwiseMarginLoss(delta, **kw),
            pairwise_margin_loss(logits, target, delta, **kw),
        ),
        (
            both,
            logit_adjusted_ldam_loss(
                logits, target, both.log_priors, both.margins, p.tau, **kw
            ),
        ),
    ]
    for module, functional in pairs:
        # The module calls its function with its buffers: the same arithmetic
        # (measured equal), so the tolerance only covers float32 buffers made from
        # float64 arguments (a relative 6e-8).
        assert_allclose(functional, module(logits, target), rtol=1e-6, atol=1e-6)


# --- Class weights, reductions and deferred re-weighting. ---


def test_weighted_mean_divides_by_the_batch_total_weight():
    logits = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.5, 0.5]])
    target = torch.tensor([0, 1, 1])
    per_example = LogitAdjustedLoss([0.5, 0.5], reduction="none")(logits, target)
    weighted = LogitAdjustedLoss([0.5, 0.5], class_weight=[1.0, 3.0])
    expected = (per_example[0] + 3 * per_example[1] + 3 * per_example[2]) / 7
    # Weighted means of 3 positive float32 losses: <= 4 roundings of 6e-8 relative.
    assert_allclose(weighted(logits, target), expected, rtol=1e-6)


def test_set_class_weight_switches_class_balanced_weights_on_and_off():
    rng = np.random.default_rng(2)
    counts = np.array([500, 120, 30, 6])
    logits = rng.normal(size=(16, 4))
    target = rng.integers(0, 4, size=16)
    logits_t, target_t = torch.tensor(logits, dtype=torch.float32), torch.tensor(target)
    loss = LDAMLoss(counts, scale=1.0, reduction="sum")
    plain = _np_ldam(logits, target, counts, 0.5, 1.0)
    # Sums of positive losses from float32-rounded logits (|f| < 4): relative
    # rounding ~eps32 * 4 = 5e-7 (measured <1% of rtol 1e-5).
    assert_allclose(loss(logits_t, target_t), plain.sum(), rtol=1e-5)

    weights = class_balanced_weights(counts, beta=0.999)
    assert loss.set_class_weight(weights) is loss
    assert_allclose(
        loss(logits_t, target_t), (weights[target] * plain).sum(), rtol=1e-5
    )

    loss.set_class_weight(None)
    assert loss.class_weight.shape == (0,)
    assert_allclose(loss(logits_t, target_t), plain.sum(), rtol=1e-5)


# --- class_balanced_weights (sklearn_lt.priors, tested here with its users). ---


def test_class_balanced_weights_are_inverse_effective_numbers_summing_to_c():
    counts = np.array([5000, 500, 50, 5])
    beta = 0.999
    effective = (1 - beta**counts) / (1 - beta)
    expected = (1 / effective) / (1 / effective).sum() * 4
    weights = class_balanced_weights(counts, beta=beta)
    assert weights.dtype == np.float64
    # -expm1(n log beta) against 1 - beta**n: the latter loses digits to cancellation,
    # eps / (1 - 0.999**5) = 4e-14 relative (measured 3e-15); rtol 1e-12 is ample.
    assert_allclose(weights, expected, rtol=1e-12)
    assert_allclose(weights.sum(), 4.0)


def test_class_balanced_weights_tend_to_inverse_frequency_and_to_ones():
    counts = np.array([100, 10, 1])
    inverse = (1 / counts) / (1 / counts).sum() * 3
    # Not rounding but the limit: at beta = 1 - 1e-9 the weights are n (1 - beta) / 2
    # = 5e-8 from inverse frequency (measured 4.9e-8), 20x inside rtol 1e-6.
    assert_allclose(class_balanced_weights(counts, beta=1 - 1e-9), inverse, rtol=1e-6)
    assert_allclose(class_balanced_weights(counts, beta=0.0), np.ones(3))


@pytest.mark.parametrize("beta", [1.0, -0.1, float("nan"), True, "0.9"])
def test_class_balanced_weights_rejects_beta_outside_zero_one(beta):
    with pytest.raises(
        ValueError,
        match=r"'beta' parameter of class_balanced_weights must be a finite float "
        r"in the range \[0.0, 1.0\)",
    ):
        class_balanced_weights([10, 1], beta=beta)


@pytest.mark.parametrize("counts", [[10, 0], [10, -1], [10, np.nan], [], [[1, 2]]])
def test_class_balanced_weights_rejects_bad_counts(counts):
    with pytest.raises(ValueError, match="class_counts"):
        class_balanced_weights(counts)


# --- Gradients. ---


def _all_losses(n_classes=3, **kw):
    counts = np.arange(1, n_classes + 1) ** 3 * 10
    delta = np.linspace(-1, 1, n_classes * n_classes).reshape(n_classes, n_classes)
    return {
        "logit_adjusted": LogitAdjustedLoss(counts, **kw),
        "pairwise": PairwiseMarginLoss(delta, **kw),
        "ldam": LDAMLoss(counts, scale=2.0, **kw),
        "equalised": EqualisedLoss(counts, threshold=0.2, **kw),
        "logit_adjusted_ldam": LogitAdjustedLDAMLoss(counts, **kw),
    }


LOSS_NAMES = list(_all_losses())


def _np_all_losses(name, f, y, n_classes=3):
    """Per-example numpy losses of ``_all_losses()[name]``."""
    counts = np.arange(1, n_classes + 1) ** 3 * 10
    if name == "logit_adjusted":
        return _np_logit_adjusted(f, y, counts, 1.0)
    if name == "pairwise":
        delta = np.linspace(-1, 1, n_classes * n_classes).reshape(n_classes, -1)
        return _np_pairwise(f, y, delta)
    if name == "ldam":
        return _np_ldam(f, y, counts, 0.5, 2.0)
    if name == "equalised":
        return _np_equalised(f, y, counts, 0.2, 0.9)
    delta = _np_logit_adjusted_ldam_delta(counts, 1.0, 0.5, 1.0)
    return _np_pairwise(f, y, delta)


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradcheck_in_float64(name, reduction):
    loss = _all_losses(class_weight=[1.0, 2.0, 0.5], reduction=reduction)[name]
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, dtype=torch.float64, generator=generator)
    logits.requires_grad_(True)
    target = torch.tensor([0, 2, 1, 2, 0])
    assert torch.autograd.gradcheck(lambda z: loss(z, target), (logits,))


# --- Buffers: devices, dtypes and state_dict. ---


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_parameters_are_float32_buffers_in_the_state_dict(name):
    loss = _all_losses(class_weight=[1.0, 2.0, 3.0])[name]
    state = loss.state_dict()
    assert set(state) == {name for name, _ in loss.named_buffers()}
    assert "class_weight" in state
    assert list(loss.parameters()) == []
    assert all(buffer.dtype == torch.float32 for buffer in state.values())


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_double_widens_buffers_and_half_or_bfloat16_keep_them_float32(name):
    # Policy: buffers are never narrowed below float32 (log-priors would round), but
    # may be widened to float64.
    loss = _all_losses()[name]
    for dtype in (torch.float16, torch.bfloat16):
        loss.to(dtype)
        assert all(b.dtype == torch.float32 for b in loss.buffers())
    loss.half()
    assert all(b.dtype == torch.float32 for b in loss.buffers())
    loss.double()
    assert all(b.dtype == torch.float64 for b in loss.buffers())
    loss.set_class_weight([1.0, 2.0, 3.0])
    assert loss.class_weight.dtype == torch.float64
    loss.float()
    assert all(b.dtype == torch.float32 for b in loss.buffers())


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_state_dict_round_trips_between_weighted_and_unweighted_losses(name):
    rng = np.random.default_rng(3)
    logits = torch.tensor(rng.normal(size=(10, 3)), dtype=torch.float32)
    target = torch.tensor(rng.integers(0, 3, size=10))

    weighted = _all_losses()[name].set_class_weight([0.5, 1.0, 4.0])
    unweighted = _all_losses()[name]
    unweighted.load_state_dict(weighted.state_dict())
    assert torch.equal(unweighted.class_weight, weighted.class_weight)
    assert torch.equal(unweighted(logits, target), weighted(logits, target))

    fresh = _all_losses()[name]
    unweighted.load_state_dict(fresh.state_dict())
    assert unweighted.class_weight.shape == (0,)
    assert torch.equal(unweighted(logits, target), fresh(logits, target))


def test_state_dict_loads_back_the_priors():
    source = LogitAdjustedLoss([0.6, 0.3, 0.1])
    target_loss = LogitAdjustedLoss([1.0, 1.0, 1.0])
    target_loss.load_state_dict(source.state_dict())
    assert torch.equal(target_loss.log_priors, source.log_priors)
    with pytest.raises(RuntimeError, match="size mismatch"):
        LogitAdjustedLoss([0.5, 0.5]).load_state_dict(source.state_dict())


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_buffers_on_another_device_raise_naming_both_devices(name):
    loss = _all_losses()[name].to("meta")
    assert all(b.device.type == "meta" for b in loss.buffers())
    logits = torch.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"cpu.*meta.*loss\.to\(logits\.device\)"):
        loss(logits, torch.tensor([0, 1]))


def test_functional_operand_on_another_device_raises():
    with pytest.raises(RuntimeError, match=r"logits are on cpu but log_priors is on"):
        logit_adjusted_loss(
            torch.zeros(2, 3), torch.tensor([0, 1]), torch.zeros(3, device="meta")
        )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_on_cuda_match_cpu(name):
    rng = np.random.default_rng(4)
    logits = torch.tensor(rng.normal(size=(64, 3)), dtype=torch.float32)
    target = torch.tensor(rng.integers(0, 3, size=64))
    cpu_loss = _all_losses(class_weight=[1.0, 2.0, 0.5], reduction="none")[name]
    cuda_loss = _all_losses(class_weight=[1.0, 2.0, 0.5], reduction="none")[name]
    cuda_loss.to("cuda")
    assert all(b.device.type == "cuda" for b in cuda_loss.buffers())
    cuda_loss.set_class_weight([2.0, 1.0, 1.0])
    assert cuda_loss.class_weight.device.type == "cuda"
    cpu_loss.set_class_weight([2.0, 1.0, 1.0])
    out = cuda_loss(logits.cuda(), target.cuda())
    assert out.device.type == "cuda"
    assert_allclose(out.cpu(), cpu_loss(logits, target), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"loss\.to\(logits\.device\)"):
        cpu_loss(logits.cuda(), target.cuda())
    with pytest.raises(ValueError, match="outside"):
        cuda_loss(logits.cuda(), torch.full((64,), 3, device="cuda"))


# --- Numerics. ---


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_logits_are_computed_in_float32(name, dtype):
    loss = _all_losses(reduction="none")[name]
    rng = np.random.default_rng(5)
    logits = torch.tensor(rng.normal(scale=4, size=(8, 3))).to(dtype)
    logits.requires_grad_(True)
    target = torch.tensor(rng.integers(0, 3, size=8))
    out = loss(logits, target)
    assert out.dtype == torch.float32
    expected = loss(logits.detach().float(), target)
    assert torch.equal(out, expected)
    out.sum().backward()
    assert logits.grad.dtype == dtype
    assert torch.isfinite(logits.grad.float()).all()


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_under_bfloat16_autocast_is_float32_and_finite(name):
    loss = _all_losses()[name]
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    x = torch.randn(16, 4) * 10
    target = torch.randint(0, 3, (16,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(x)
        out = loss(logits, target)
    assert logits.dtype == torch.bfloat16
    assert out.dtype == torch.float32
    assert torch.isfinite(out)
    # The loss upcasts the bfloat16 logits itself, as .float() does: the same float32
    # arithmetic (measured equal); rtol 1e-6 is 8 eps32.
    assert_allclose(out.detach(), loss(logits.detach().float(), target), rtol=1e-6)
    out.backward()
    assert torch.isfinite(model.weight.grad).all()


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_logits_of_magnitude_1e4_give_finite_exact_losses(name):
    loss = _all_losses(reduction="none")[name]
    logits = torch.tensor(
        [[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3e3, 1e4, -1e4]], requires_grad=True
    )
    target = torch.tensor([1, 0, 2])
    out = loss(logits, target)
    assert torch.isfinite(out).all()
    expected = _np_all_losses(name, logits.detach().double().numpy(), target.numpy())
    assert expected.max() > 1e4
    # float32 losses of 2e4 to 4e4 (none near 0) from exactly representable logits:
    # a few ulps (0.002 to 0.004), ~1e-7 relative (measured within 8% of rtol 1e-6).
    assert_allclose(out.detach(), expected, rtol=1e-6)
    out.sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_priors_down_to_1e_minus_12_give_finite_losses_and_gradients():
    priors = np.array([1.0, 1e-6, 1e-12])
    rng = np.random.default_rng(6)
    logits = torch.tensor(rng.normal(size=(9, 3)), requires_grad=True)
    target = torch.tensor([0, 1, 2] * 3)
    for loss in (
        LogitAdjustedLoss(priors),
        LogitAdjustedLDAMLoss(priors * 1e12),
        LDAMLoss(priors * 1e12, scale=1.0),
        EqualisedLoss(priors * 1e12),
    ):
        out = loss(logits.float(), target)
        assert torch.isfinite(out)
        out.backward()
    assert torch.isfinite(logits.grad).all()
    expected = _np_logit_adjusted(logits.detach().numpy(), target.numpy(), priors, 1.0)
    la = LogitAdjustedLoss(priors, reduction="none")(logits.detach(), target)
    # float64 logits with float32 log-prior buffers: log(1e-6) rounds by 1.5e-7, and
    # a tiny loss (the head class as target) carries that as a relative error
    # (measured 15% of rtol 1e-6).
    assert_allclose(la, expected, rtol=1e-6)


# --- Errors. ---


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize(
    ("logits", "target", "message"),
    [
        (torch.zeros(3), torch.tensor([0]), r"logits must be 2-d.*got shape \(3,\)"),
        (
            torch.zeros(2, 3, 1),
            torch.tensor([0, 1]),
            r"logits must be 2-d.*\(2, 3, 1\)",
        ),
        (torch.zeros(2, 3), torch.zeros(2, 3).long(), r"target must be 1-d.*\(2, 3\)"),
        (torch.zeros(2, 3), torch.tensor([0, 1, 2]), "2 rows but target has 3"),
        (torch.zeros(2, 4), torch.tensor([0, 1]), "4 columns but the loss has 3"),
        (torch.zeros(0, 3), torch.zeros(0).long(), "empty"),
        (torch.zeros(2, 3), torch.tensor([0, 3]), r"indices \[3\] outside \[0, 3\)"),
        (torch.zeros(2, 3), torch.tensor([-1, 0]), r"indices \[-1\] outside"),
        (torch.zeros(2, 3), torch.tensor([-100, 0]), r"indices \[-100\] outside"),
        (
            torch.tensor([[0.0, float("nan"), 1.0], [0.0, 1.0, 2.0]]),
            torch.tensor([0, 1]),
            r"logits contain NaN in 1 of 2 rows \(rows \[0\]\)",
        ),
        (
            torch.tensor([[0.0, float("inf"), 1.0], [0.0, 1.0, 2.0]]),
            torch.tensor([0, 1]),
            r"logits contain \+inf",
        ),
    ],
)
def test_bad_batches_raise_value_errors_naming_what_was_received(
    name, logits, target, message
):
    loss = _all_losses()[name]
    with pytest.raises(ValueError, match=message):
        loss(logits, target)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_nan_logits_raise_for_every_reduction(name):
    logits = torch.zeros(4, 3)
    logits[2, 1] = float("nan")
    for reduction in ("mean", "sum", "none"):
        loss = _all_losses(reduction=reduction)[name]
        with pytest.raises(ValueError, match=r"NaN in 1 of 4 rows \(rows \[2\]\)"):
            loss(logits, torch.tensor([0, 1, 2, 0]))


def test_minus_inf_logits_of_other_classes_are_allowed():
    logits = torch.tensor([[0.0, -float("inf"), 1.0]])
    out = LogitAdjustedLoss([0.2, 0.3, 0.5])(logits, torch.tensor([0]))
    assert torch.isfinite(out)
    with pytest.raises(ValueError, match="-inf at the target class"):
        LogitAdjustedLoss([0.2, 0.3, 0.5])(logits, torch.tensor([1]))


def test_dtype_and_type_errors():
    loss = LogitAdjustedLoss([0.5, 0.5])
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        loss(torch.zeros(2, 2), torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="logits must be a floating-point tensor"):
        loss(torch.zeros(2, 2, dtype=torch.long), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="must be torch tensors, got ndarray"):
        loss(np.zeros((2, 2)), torch.tensor([0, 1]))
    int32 = loss(torch.zeros(2, 2), torch.tensor([0, 1], dtype=torch.int32))
    assert_allclose(int32, math.log(2), rtol=1e-6)  # float32 log 2: 8 eps32


def test_zero_total_weight_in_a_batch_is_explained():
    loss = LogitAdjustedLoss([0.5, 0.5], class_weight=[0.0, 1.0])
    with pytest.raises(
        ValueError, match="every target in this batch has class weight 0"
    ):
        loss(torch.zeros(2, 2), torch.tensor([0, 0]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LogitAdjustedLoss([0.5, 0.5], reduction="avg"), "reduction must be"),
        (lambda: LogitAdjustedLoss([0.5, 0.0]), r"priors must be > 0"),
        (lambda: LogitAdjustedLoss([0.5, np.nan]), "priors must be finite"),
        (lambda: LogitAdjustedLoss([[0.5, 0.5]]), r"priors has shape \(1, 2\)"),
        (lambda: LogitAdjustedLoss(0.5), "one prior per class"),
        (lambda: LogitAdjustedLoss([0.5, 0.5], tau=-1), r"tau must be .* \[0, inf\)"),
        (lambda: LogitAdjustedLoss([0.5, 0.5], class_weight=[1.0]), "2 entries"),
        (lambda: LogitAdjustedLoss([0.5, 0.5], class_weight=[1, -1]), ">= 0"),
        (lambda: LogitAdjustedLoss([0.5, 0.5], class_weight=[0, 0]), "all 0"),
        (lambda: LDAMLoss([10, 0]), r"class_counts must be finite and > 0"),
        (lambda: LDAMLoss([10, 1], scale=0), r"scale must be .* \(0, inf\)"),
        (lambda: LDAMLoss([10, 1], max_margin=-0.1), "max_margin"),
        (lambda: EqualisedLoss([10, 1], beta=1.0), r"beta must be .* \[0, 1\)"),
        (lambda: EqualisedLoss([10, 1], threshold=2), r"threshold must be .* \[0, 1\]"),
        (lambda: EqualisedLoss([0, 0]), "all 0"),
        (lambda: LogitAdjustedLDAMLoss([10, -1]), "class_counts"),
        (lambda: PairwiseMarginLoss(np.zeros((2, 3))), r"square.*\(2, 3\)"),
        (
            lambda: PairwiseMarginLoss([[0, np.nan], [0, 0]]),
            r"NaN or \+inf at.*\(0, 1\)",
        ),
    ],
)
def test_bad_constructor_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: LDAMLoss([True, False]),
        lambda: EqualisedLoss(np.array([True, False])),
        lambda: LogitAdjustedLoss([0.5, 0.5], class_weight=[True, True]),
        lambda: PairwiseMarginLoss(np.eye(2, dtype=bool)),
    ],
)
def test_booleans_are_refused_as_counts_weights_and_margins(make):
    # The ground floor's policy (sklearn_lt._validation.as_float_array): True is not 1.
    with pytest.raises(TypeError, match="True and False are not numbers"):
        make()


def test_bad_counts_name_the_fix_and_for_margins_why_counts_must_be_positive():
    with pytest.raises(
        ValueError,
        match=r"finite and >= 0, got \[-1.0\] at positions \[1\]\. Pass the number "
        r"of training examples .*np\.bincount.*every count > 0 \(a margin needs",
    ):
        LDAMLoss([10, -1])
    with pytest.raises(ValueError, match=r"got \[-2.0\] at .*np\.bincount") as info:
        EqualisedLoss([1, -2])
    assert "every count > 0" not in str(info.value)  # a rare class may have none
    with pytest.raises(ValueError, match=r"1-d array .* shape \(1, 2\)\. Pass"):
        LogitAdjustedLDAMLoss(torch.tensor([[1.0, 2.0]]))


def test_set_class_weight_validates():
    loss = LDAMLoss([10, 5, 1])
    with pytest.raises(ValueError, match="3 entries"):
        loss.set_class_weight([1.0, 2.0])


def test_priors_given_as_tensor_or_dict_are_normalised():
    expected = np.log([0.25, 0.75])
    for priors in (torch.tensor([1.0, 3.0]), {0: 1, 1: 3}, [10, 30]):
        # float32 buffers: log-priors round by eps32 / 2 relative; rtol 1e-6.
        assert_allclose(LogitAdjustedLoss(priors).log_priors, expected, rtol=1e-6)


# --- The pairwise forms never build an n_samples x C x C tensor. ---


def _largest_tensors(compute, existing):
    saved = []

    def pack(tensor):
        saved.append(tensor.numel())
        return tensor

    # The benchmark's recorder, so that the test and the printed table measure alike.
    recorder = load_benchmark("bench_losses").LargestNewTensor(existing)
    hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor)
    with hooks, recorder:
        out = compute()
    out.backward()
    return recorder.largest, max(saved)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_pairwise_forms_never_build_an_n_by_c_by_c_tensor(name):
    n_samples, n_classes = 16, 1000
    loss = _all_losses(n_classes=n_classes, class_weight=np.ones(n_classes))[name]
    logits = torch.randn(n_samples, n_classes, requires_grad=True)
    target = torch.randint(0, n_classes, (n_samples,))
    existing = [logits, target, *loss.buffers()]
    created, saved = _largest_tensors(lambda: loss(logits, target), existing)
    assert created <= 2 * n_samples * n_classes
    assert saved <= 2 * n_samples * n_classes


def test_the_tensor_size_recorder_catches_a_naive_pairwise_loss():
    n_samples, n_classes = 4, 1000
    delta = torch.zeros(n_classes, n_classes)
    logits = torch.randn(n_samples, n_classes, requires_grad=True)
    target = torch.randint(0, n_classes, (n_samples,))

    def naive():
        pairs = logits[:, None, :] + delta[None, :, :]  # n x C x C
        return (pairs.logsumexp(dim=2) - logits).gather(1, target[:, None]).mean()

    created, _ = _largest_tensors(naive, [logits, target, delta])
    assert created >= n_samples * n_classes * n_classes


# --- Consistency on the paper's synthetic problem. ---


def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _balanced_error_of_linear_model(model, mu):
    """Exact balanced error of argmax of a linear model on N(+mu, I) vs N(-mu, I)."""
    weight = model.weight.detach().double().numpy()
    bias = model.bias.detach().double().numpy()
    w, c = weight[1] - weight[0], bias[1] - bias[0]  # predict 1 when w.x + c > 0
    norm, shift = np.linalg.norm(w), w @ mu  # w.x ~ N(+-shift, norm^2)
    error_rare = _phi(-(shift + c) / norm)
    error_frequent = _phi(-(shift - c) / norm)
    return (error_rare + error_frequent) / 2


def _fit_linear(loss, x, y):
    model = torch.nn.Linear(2, 2).double()
    optimizer = torch.optim.LBFGS(
        model.parameters(),
        max_iter=500,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        value = loss(model(x), y)
        value.backward()
        return value

    optimizer.step(closure)
    return model


def test_logit_adjusted_loss_is_consistent_for_the_balanced_error():
    # Menon et al.'s synthetic problem: x ~ N(+mu, I) for the rare class 1
    # (P(y=1) = 5%), N(-mu, I) for class 0. The Bayes-optimal classifier for the
    # balanced error is the line through the origin orthogonal to mu, with error
    # Phi(-||mu||) = 0.0786.
    mu = np.array([1.0, 1.0])
    bayes_error = _phi(-np.linalg.norm(mu))
    assert_allclose(bayes_error, 0.0786, atol=1e-4)  # the paper's 4 digits (0.07865)
    adjusted, plain = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        y = (rng.random(10_000) < 0.05).astype(np.int64)
        x = rng.normal(size=(10_000, 2)) + np.where(y[:, None] == 1, mu, -mu)
        x_t, y_t = torch.tensor(x), torch.tensor(y)
        torch.manual_seed(seed)
        counts = np.bincount(y, minlength=2)
        for losses, criterion in (
            (adjusted, LogitAdjustedLoss(counts, tau=1.0)),
            (plain, LogitAdjustedLoss(counts, tau=0.0)),
        ):
            model = _fit_linear(criterion, x_t, y_t)
            losses.append(_balanced_error_of_linear_model(model, mu))
    # Measured (seeds 0-2, analytic errors of the fitted lines): logit-adjusted
    # 0.07868, 0.07884, 0.07867 (Bayes 0.07865); plain cross-entropy 0.178, 0.178,
    # 0.184, its boundary shifted by about log(0.05 / 0.95) towards the rare class.
    assert abs(np.mean(adjusted) - bayes_error) < 0.01
    assert max(adjusted) - bayes_error < 0.01
    assert np.mean(plain) > bayes_error + 0.05
