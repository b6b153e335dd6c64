"""The adjusted loss is cross-entropy with a shifted starting bias (issue 17, item 3).

For a model whose last layer has a bias :math:`b`, the logit-adjusted loss of
:math:`(\\theta, b)` is the cross-entropy of :math:`(\\theta, b + \\tau \\log \\pi)`:
the two losses have the same gradient in every parameter, so an optimiser whose
step depends only on the gradients (SGD with momentum, Adam) follows the same
trajectory from starting points a shift apart, and the bias stays shifted by
:math:`\\tau \\log \\pi`. Weight decay on the bias pulls the two biases towards 0,
not towards each other, and breaks the identity.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")

from sklearn_lt.losses import LogitAdjustedLoss  # noqa: E402

N_CLASSES, N_FEATURES, STEPS = 6, 5, 60


def _data():
    g = torch.Generator().manual_seed(0)
    counts = np.array([400, 200, 100, 50, 25, 12])
    y = torch.as_tensor(np.repeat(np.arange(N_CLASSES), counts))
    X = torch.randn(len(y), N_FEATURES, generator=g, dtype=torch.float64)
    X += 0.8 * torch.randn(N_CLASSES, N_FEATURES, generator=g, dtype=torch.float64)[y]
    return X, y, counts / counts.sum()


def _model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 16), torch.nn.ReLU(), torch.nn.Linear(16, N_CLASSES)
    ).double()


def _train(model, loss, optimizer_cls, bias_decay, **kw):
    head_bias = model[2].bias
    others = [p for p in model.parameters() if p is not head_bias]
    optimizer = optimizer_cls(
        [
            {"params": others, "weight_decay": 1e-3},
            {"params": [head_bias], "weight_decay": bias_decay},
        ],
        **kw,
    )
    X, y, _ = _data()
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss(model(X), y).backward()
        optimizer.step()
    return model


def _both(optimizer_cls, bias_decay, tau=1.0, **kw):
    _, _, priors = _data()
    loss = LogitAdjustedLoss(priors, tau=tau).double()
    # The loss's own offset: its log-priors buffer holds float32-rounded values.
    offset = tau * loss.log_priors
    adjusted = _train(_model(0), loss, optimizer_cls, bias_decay, **kw)
    shifted = _model(0)
    with torch.no_grad():
        shifted[2].bias += offset  # cross-entropy, its bias started shifted
    shifted = _train(
        shifted, torch.nn.CrossEntropyLoss(), optimizer_cls, bias_decay, **kw
    )
    return adjusted, shifted, offset


# float64, 60 steps: each step's gradients differ between the routes only by the
# rounding of b + offset against (W h + b) + offset, a few eps (2.2e-16) of the
# O(10) logits, and the steps carry such differences forward without growth here
# (measured at most 1.3e-15 for SGD and Adam). 1e-12 leaves a factor 750 and is
# far below a real difference (with decay on the bias, 4.1).
ATOL = 1e-12


@pytest.mark.parametrize(
    ("optimizer_cls", "kw"),
    [(torch.optim.SGD, {"lr": 0.5, "momentum": 0.9}), (torch.optim.Adam, {"lr": 0.05})],
    ids=["sgd-momentum", "adam"],
)
def test_identical_trajectories_when_the_bias_starts_shifted_and_is_not_decayed(
    optimizer_cls, kw
):
    adjusted, shifted, offset = _both(optimizer_cls, bias_decay=0.0, **kw)
    for a, s in zip(list(adjusted)[0::2], list(shifted)[0::2], strict=True):
        torch.testing.assert_close(a.weight, s.weight, rtol=0, atol=ATOL)
    torch.testing.assert_close(adjusted[0].bias, shifted[0].bias, rtol=0, atol=ATOL)
    torch.testing.assert_close(
        shifted[2].bias - adjusted[2].bias, offset, rtol=0, atol=ATOL
    )
    # And the trajectory moved: this is not two models that stayed put.
    assert (adjusted[2].weight - _model(0)[2].weight).abs().max() > 0.1


def test_weight_decay_on_the_bias_breaks_the_identity():
    adjusted, shifted, offset = _both(
        torch.optim.SGD, bias_decay=0.1, lr=0.5, momentum=0.9
    )
    gap = (shifted[2].bias - adjusted[2].bias - offset).abs().max().item()
    assert gap > 1e-3
