r"""The logit-adjusted loss fused with a linear head (Menon et al., 2021).

With a linear last layer, the logits are :math:`f(x) = W h(x) + b` and the
logit-adjusted loss is the cross-entropy of

.. math::

    f(x) + \tau \log \pi = W h(x) + (b + \tau \log \pi),

so the adjustment is a shift of the head's bias. :func:`linear_logit_adjusted_loss`
hands that shifted bias to :func:`torch.nn.functional.linear_cross_entropy`, the
fused linear layer and cross-entropy; with ``options=LinearCrossEntropyOptions()``
it processes the batch in chunks and never materialises the ``N x C`` logits,
which at thousands of classes dominate the memory of a training step. The loss
and every gradient are those of :func:`~sklearn_lt.losses.logit_adjusted_loss` on
``F.linear(input, weight, bias)``.
"""

import torch
import torch.nn.functional as F

from ._checks import (
    check_finite,
    check_linear_call,
    check_linear_operands,
    check_tau,
)

__all__ = ["linear_logit_adjusted_loss"]


def linear_logit_adjusted_loss(
    input,
    weight,
    target,
    bias=None,
    *,
    priors,
    tau=1.0,
    class_weight=None,
    reduction="mean",
    options=None,
):
    r"""Logit-adjusted cross-entropy of a linear head, fused (Menon et al., 2021).

    The loss of :func:`~sklearn_lt.losses.logit_adjusted_loss` on the logits
    ``F.linear(input, weight, bias)``, computed by
    :func:`torch.nn.functional.linear_cross_entropy` with the adjustment folded
    into its bias: :math:`\ell = -\log \operatorname{softmax}(W h + b + \tau
    \log \pi)_y`. The arguments mirror ``linear_cross_entropy``'s. Without a
    bias, the offset :math:`\tau \log \pi` is the bias; it is never dropped.

    Parameters
    ----------
    input : torch.Tensor of shape (n_samples, n_features)
        The features :math:`h(x)` that enter the head.

    weight : torch.Tensor of shape (n_classes, n_features)
        The head's weight :math:`W` (``nn.Linear.weight``; for a cosine head,
        its normalised weight).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    bias : torch.Tensor of shape (n_classes,), default=None
        The head's bias :math:`b`, or None for a head without one.

    priors : array-like or torch.Tensor of shape (n_classes,)
        Training class priors :math:`\pi_y` (or class counts), all > 0; they are
        normalised to sum to 1. A tensor must be on ``input``'s device.

    tau : float, default=1.0
        Scale :math:`\tau \geq 0` of the adjustment; 0 is the plain
        cross-entropy.

    class_weight : torch.Tensor or array-like of shape (n_classes,), default=None
        Weight of each class, or None (``linear_cross_entropy``'s ``weight``).

    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the per-example losses, as in
        :func:`~sklearn_lt.losses.logit_adjusted_loss`.

    options : torch.nn.LinearCrossEntropyOptions, default=None
        ``linear_cross_entropy``'s chunking options. None (its default) computes
        the logits whole; ``LinearCrossEntropyOptions()`` chunks the batch, for
        memory (on a CPU it is slower).

    Returns
    -------
    loss : torch.Tensor
        A scalar, or shape (n_samples,) for ``reduction="none"``.

    See Also
    --------
    logit_adjusted_loss : The same loss on logits already computed.

    Notes
    -----
    The offset :math:`\tau \log \pi` is computed in float64 and added to the
    bias in the bias' dtype (the weight's without a bias): float32 for a
    float32 head, under ``torch.autocast`` too.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import linear_logit_adjusted_loss, logit_adjusted_loss
    >>> g = torch.Generator().manual_seed(0)
    >>> h, W = torch.randn(4, 3, generator=g), torch.randn(2, 3, generator=g)
    >>> b, y = torch.zeros(2), torch.tensor([0, 1, 1, 0])
    >>> fused = linear_logit_adjusted_loss(h, W, y, b, priors=[0.9, 0.1])
    >>> log_priors = torch.log(torch.tensor([0.9, 0.1]))
    >>> unfused = logit_adjusted_loss(h @ W.T + b, y, log_priors)
    >>> bool(torch.allclose(fused, unfused))
    True
    """
    tau = check_tau(tau)
    target, bias, class_weight, log_priors = check_linear_call(
        input, weight, target, bias, priors, class_weight, reduction
    )
    offset = (tau * log_priors).to(weight.dtype if bias is None else bias.dtype)
    return _shifted_linear_loss(
        input, weight, target, bias, offset, class_weight, reduction, options
    )


def module_linear_loss(loss, input, weight, target, bias=None, options=None):
    """The loss of the module ``loss`` on ``F.linear(input, weight, bias)``, fused.

    ``loss`` is a :class:`LogitAdjustedLoss`; its own buffers (the float32
    ``log_priors``, the class weights) and ``tau`` and ``reduction`` are used, so
    the result is the module's loss on the logits, to the rounding of the sums.
    The fused training step of ``LogitAdjustedNet`` calls it.
    """
    target = check_linear_operands(input, weight, target, bias)
    n_classes = weight.shape[0]
    if n_classes != loss.n_classes:
        raise ValueError(
            f"the head has {n_classes} outputs (its weight has shape "
            f"{tuple(weight.shape)}), but the loss is built for {loss.n_classes} "
            "classes; give the head one output per class."
        )
    buffers, class_weight = loss._buffers_on(
        input.device, "the head's input is", "input"
    )
    dtype = weight.dtype if bias is None else bias.dtype
    if class_weight is not None:
        class_weight = class_weight.to(weight.dtype)
    # As the unfused loss does: the float32 buffer cast first, then scaled.
    offset = loss.tau * buffers["log_priors"].to(dtype)
    return _shifted_linear_loss(
        input, weight, target, bias, offset, class_weight, loss.reduction, options
    )


def _shifted_linear_loss(
    input, weight, target, bias, offset, class_weight, reduction, options
):
    """``linear_cross_entropy`` with ``offset`` added to the bias (or as the bias)."""
    shifted = offset if bias is None else bias + offset
    loss = F.linear_cross_entropy(
        input,
        weight,
        target,
        linear_bias=shifted,
        weight=class_weight,
        reduction=reduction,
        options=options,
    )
    if not bool(torch.isfinite(loss).all()):  # explain why, from the logits
        with torch.no_grad():
            logits = F.linear(input, weight, bias).float()
        check_finite(loss, logits, target, class_weight, reduction)
    return loss
