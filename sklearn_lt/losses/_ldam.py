r"""The LDAM loss (Cao et al., 2019) and its sum with the logit adjustment.

Label-distribution-aware margins take :math:`\delta_y \propto n_y^{-1/4}` off the true
class's logit, on logits scaled by :math:`s`; the rarest class gets
:math:`\delta_{\max}`:

.. math::

    \ell(y, f) = -\log \frac{e^{s f_y - s \delta_y}}
                 {e^{s f_y - s \delta_y} + \sum_{y' \neq y} e^{s f_{y'}}},
    \qquad
    \delta_y = \delta_{\max} \frac{n_y^{-1/4}}{\max_k n_k^{-1/4}},

the pairwise margin loss with :math:`\Delta_{yy'} = s \delta_y` on the logits
:math:`s f` (:class:`LDAMLoss`, the "Adaptive" row of Menon et al., 2021).
:class:`LogitAdjustedLDAMLoss` adds the logit-adjustment margin,
:math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y) + s \delta_y` ("logit adjustment
plus adaptive"). Both compute the cross-entropy of :math:`s f` (plus
:math:`\tau \log \pi`) with :math:`s \delta_y` taken off each target's logit.
"""

import numpy as np
import torch

from ._base import _ClassMarginLoss, cast, cross_entropy, float32_buffer
from ._checks import (
    check_call,
    check_class_counts,
    check_loss_priors,
    check_max_margin,
    check_scale,
    check_tau,
)

__all__ = [
    "LDAMLoss",
    "LogitAdjustedLDAMLoss",
    "ldam_loss",
    "logit_adjusted_ldam_loss",
]


def _ldam_margins(counts, max_margin):
    r"""Cao et al.'s margins :math:`\delta_y \propto n_y^{-1/4}`, at most max_margin."""
    return max_margin * (counts.min() / counts) ** 0.25


def _shifted_target_logit(logits, target, margins, scale, offsets=None):
    """``scale * f + offsets``, with ``scale * delta_y`` taken off each target logit."""
    z = logits * scale if offsets is None else torch.add(offsets, logits, alpha=scale)
    shift = cast(margins.index_select(0, target), logits.dtype).mul_(-scale)
    return z.scatter_add_(1, target.unsqueeze(1), shift.unsqueeze(1))


def _ldam(logits, target, margins, scale, weight, reduction):
    z = _shifted_target_logit(logits, target, margins, scale)
    return cross_entropy(z, logits, target, weight, reduction)


def _logit_adjusted_ldam(logits, target, log_priors, margins, tau, scale, weight, red):
    offsets = cast(log_priors, logits.dtype) * tau
    z = _shifted_target_logit(logits, target, margins, scale, offsets)
    return cross_entropy(z, logits, target, weight, red)


class _LDAMMarginLoss(_ClassMarginLoss):
    """The margins buffer, ``max_margin`` and ``scale`` of the two LDAM losses."""

    _source = "from its class_counts"

    def __init__(self, counts, max_margin, scale, class_weight, reduction):
        super().__init__(counts.size, class_weight, reduction)
        self.max_margin = check_max_margin(max_margin)
        self.scale = check_scale(scale)
        margins = _ldam_margins(counts, self.max_margin)
        self.register_buffer("margins", float32_buffer(margins))

    def extra_repr(self):
        return (
            f"max_margin={self.max_margin}, scale={self.scale}, " + super().extra_repr()
        )


class LDAMLoss(_LDAMMarginLoss):
    r"""Label-distribution-aware margin loss (Cao et al., 2019), "Adaptive" in Menon.

    Cross-entropy with a margin taken off the true class's logit, larger for rarer
    classes, on scaled logits:

    .. math::

        \ell(y, f(x)) = -\log \frac{e^{s (f_y(x) - \delta_y)}}
                        {e^{s (f_y(x) - \delta_y)} + \sum_{y' \neq y} e^{s f_{y'}(x)}},
        \qquad
        \delta_y = \delta_{\max} \frac{n_y^{-1/4}}{\max_k n_k^{-1/4}},

    so the rarest class gets the margin :math:`\delta_{\max}` (``max_margin``). In
    pairwise form it is :math:`\Delta_{yy'} = s \delta_y` on the logits :math:`s f`.

    Why ``scale``: Cao et al. compute logits as cosines (normalised features and
    class weights), which lie in :math:`[-1, 1]`; a softmax over such small numbers
    is nearly uniform, so they multiply them by :math:`s = 30` (and margins of at
    most 0.5 are then meaningful). For an ordinary unnormalised linear head, pass
    ``scale=1.0``: the logits already have a free scale.

    Parameters
    ----------
    class_counts : array-like or tensor of shape (n_classes,)
        Number of training examples :math:`n_y` of each class, all > 0.

    max_margin : float, default=0.5
        Margin :math:`\delta_{\max} \geq 0` of the rarest class (Cao et al.: 0.5).

    scale : float, default=30.0
        Logit scale :math:`s > 0`; see above.

    class_weight : array-like or tensor of shape (n_classes,), default=None
        Weight :math:`\alpha_y \geq 0` of each class, or None; Cao et al.'s DRW
        switches class-balanced weights on late with :meth:`set_class_weight`.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
        \alpha_{y_i}`.

    Attributes
    ----------
    margins : torch.Tensor of shape (n_classes,)
        Buffer: :math:`\delta_y` (before scaling), float32.

    class_weight : torch.Tensor of shape (n_classes,) or (0,)
        Buffer: the class weights; empty when the loss is unweighted.

    n_classes : int
        Number of classes.

    See Also
    --------
    ldam_loss : The same loss as a function.
    LogitAdjustedLDAMLoss : Its sum with the logit adjustment.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import LDAMLoss
    >>> loss = LDAMLoss(class_counts=[1000, 100, 10], max_margin=0.5, scale=1.0)
    >>> loss.margins
    tensor([0.1581, 0.2812, 0.5000])
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> round(loss(logits, torch.tensor([0, 2])).item(), 4)
    1.1209
    """

    def __init__(
        self,
        class_counts,
        max_margin=0.5,
        scale=30.0,
        class_weight=None,
        reduction="mean",
    ):
        counts = check_class_counts(class_counts)
        super().__init__(counts, max_margin, scale, class_weight, reduction)

    def _loss(self, logits, target, buffers, weight):
        return _ldam(
            logits, target, buffers["margins"], self.scale, weight, self.reduction
        )


def ldam_loss(logits, target, margins, scale=30.0, class_weight=None, reduction="mean"):
    r"""Label-distribution-aware margin loss (Cao et al., 2019), as a function.

    The cross-entropy of :math:`s (f - \delta_y e_y)`; see :class:`LDAMLoss`, which
    also computes the margins from class counts.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw scores (float16 and bfloat16 are computed in float32).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    margins : torch.Tensor or array-like of shape (n_classes,)
        Margin :math:`\delta_y` of each class (before scaling), on the logits'
        device.

    scale : float, default=30.0
        Logit scale :math:`s > 0` (30 for normalised logits, 1 for unnormalised).

    class_weight : torch.Tensor or array-like of shape (n_classes,), default=None
        Weight of each class, or None.

    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the per-example losses.

    Returns
    -------
    loss : torch.Tensor
        A scalar, or shape (n_samples,) for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import ldam_loss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> margins = torch.tensor([0.1, 0.3, 0.5])
    >>> ldam_loss(logits, torch.tensor([0, 2]), margins, scale=1.0, reduction="none")
    tensor([0.2636, 1.9644])
    """
    scale = check_scale(scale)
    logits, target, class_weight, (margins,) = check_call(
        logits, target, reduction, class_weight, margins=margins
    )
    return _ldam(logits, target, margins, scale, class_weight, reduction)


class LogitAdjustedLDAMLoss(_LDAMMarginLoss):
    r"""Logit adjustment plus adaptive (LDAM) margin (Menon et al., 2021).

    The last row of the paper's table ("logit adjustment plus adaptive loss"): a
    pairwise margin loss on the logits :math:`s f` whose margin is the sum of the
    logit-adjustment margin and Cao et al.'s:

    .. math::

        \Delta_{yy'} = \tau \log \frac{\pi_{y'}}{\pi_y} + s \delta_y,
        \qquad
        \ell(y, f(x)) = \log\Big[1 + \sum_{y' \neq y} e^{\Delta_{yy'}}
                        e^{s f_{y'}(x) - s f_y(x)}\Big],

    that is, the cross-entropy of the logits :math:`s f_{y'} + \tau \log \pi_{y'}`
    with :math:`s \delta_y` taken off the true class's one. Here :math:`\delta_y =
    \delta_{\max} n_y^{-1/4} / \max_k n_k^{-1/4}`, as in :class:`LDAMLoss`, and
    :math:`\pi` are the given ``priors``, by default the training frequencies
    :math:`\pi_y = n_y / \sum_k n_k`.

    The default ``scale=1.0`` is for ordinary unnormalised logits: the adjustment
    :math:`\tau \log \pi` and the margin (at most 0.5) then live on the logits' own
    scale, and with ``max_margin=0`` the loss is exactly :class:`LogitAdjustedLoss`.
    Use ``scale=30`` (Cao et al.) only with normalised (cosine) logits, as in
    :class:`LDAMLoss`; note that :math:`\tau \log \pi` is not scaled, so it keeps its
    Bayes-consistent size relative to the scaled logits :math:`s f`.

    Parameters
    ----------
    class_counts : array-like or tensor of shape (n_classes,)
        Number of training examples :math:`n_y` of each class, all > 0.

    tau : float, default=1.0
        Scale :math:`\tau \geq 0` of the logit adjustment.

    max_margin : float, default=0.5
        LDAM margin :math:`\delta_{\max} \geq 0` of the rarest class.

    scale : float, default=1.0
        Logit scale :math:`s > 0`.

    class_weight : array-like or tensor of shape (n_classes,), default=None
        Weight :math:`\alpha_y \geq 0` of each class, or None; see
        :meth:`set_class_weight`.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
        \alpha_{y_i}`.

    priors : array-like, tensor or dict of shape (n_classes,), default=None
        Class priors :math:`\pi_y` of the logit adjustment, in class-index order,
        all > 0 (normalised to sum to 1, checked as in :class:`LogitAdjustedLoss`);
        None uses the training frequencies of ``class_counts``. The margins always
        come from ``class_counts``.

    Attributes
    ----------
    log_priors : torch.Tensor of shape (n_classes,)
        Buffer: :math:`\log \pi_y`, float32.

    margins : torch.Tensor of shape (n_classes,)
        Buffer: :math:`\delta_y` (before scaling), float32.

    class_weight : torch.Tensor of shape (n_classes,) or (0,)
        Buffer: the class weights; empty when the loss is unweighted.

    n_classes : int
        Number of classes.

    See Also
    --------
    logit_adjusted_ldam_loss : The same loss as a function.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import LogitAdjustedLDAMLoss
    >>> loss = LogitAdjustedLDAMLoss(class_counts=[700, 200, 100])
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> round(loss(logits, torch.tensor([0, 2])).item(), 4)
    1.5801

    Other priors change the adjustment and keep the margins; balanced priors leave
    no adjustment, only the LDAM margins on unscaled logits:

    >>> from sklearn_lt.losses import LDAMLoss
    >>> balanced = LogitAdjustedLDAMLoss([700, 200, 100], priors=[1, 1, 1])
    >>> ldam = LDAMLoss([700, 200, 100], scale=1.0)
    >>> target = torch.tensor([0, 2])
    >>> round(balanced(logits, target).item(), 4), round(ldam(logits, target).item(), 4)
    (1.14, 1.14)
    """

    def __init__(
        self,
        class_counts,
        tau=1.0,
        max_margin=0.5,
        scale=1.0,
        class_weight=None,
        reduction="mean",
        *,
        priors=None,
    ):
        counts = check_class_counts(class_counts)
        if priors is None:
            log_priors = np.log(counts) - np.log(counts.sum())
        else:
            log_priors = np.log(check_loss_priors(priors, counts.size))
        super().__init__(counts, max_margin, scale, class_weight, reduction)
        self.tau = check_tau(tau)
        self.register_buffer("log_priors", float32_buffer(log_priors))

    def _loss(self, logits, target, buffers, weight):
        log_priors, margins = buffers["log_priors"], buffers["margins"]
        return _logit_adjusted_ldam(
            logits,
            target,
            log_priors,
            margins,
            self.tau,
            self.scale,
            weight,
            self.reduction,
        )

    def extra_repr(self):
        return f"tau={self.tau}, " + super().extra_repr()


def logit_adjusted_ldam_loss(
    logits,
    target,
    log_priors,
    margins,
    tau=1.0,
    scale=1.0,
    class_weight=None,
    reduction="mean",
):
    r"""Logit adjustment plus LDAM margin (Menon et al., 2021), as a function.

    The cross-entropy of :math:`s f + \tau \log \pi - s \delta_y e_y`, the pairwise
    margin loss with :math:`\Delta_{yy'} = \tau \log(\pi_{y'}/\pi_y) + s \delta_y` on
    the logits :math:`s f`; see :class:`LogitAdjustedLDAMLoss`.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw scores (float16 and bfloat16 are computed in float32).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    log_priors : torch.Tensor or array-like of shape (n_classes,)
        :math:`\log \pi_y`, on the logits' device.

    margins : torch.Tensor or array-like of shape (n_classes,)
        Margin :math:`\delta_y` of each class (before scaling), on the logits'
        device.

    tau : float, default=1.0
        Scale :math:`\tau \geq 0` of the logit adjustment.

    scale : float, default=1.0
        Logit scale :math:`s > 0`.

    class_weight : torch.Tensor or array-like of shape (n_classes,), default=None
        Weight of each class, or None.

    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the per-example losses.

    Returns
    -------
    loss : torch.Tensor
        A scalar, or shape (n_samples,) for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import logit_adjusted_ldam_loss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> log_priors = torch.log(torch.tensor([0.7, 0.2, 0.1]))
    >>> margins = torch.zeros(3)  # no LDAM margin: the logit-adjusted loss
    >>> logit_adjusted_ldam_loss(
    ...     logits, torch.tensor([0, 2]), log_priors, margins, reduction="none"
    ... )
    tensor([0.0685, 2.5980])
    """
    tau, scale = check_tau(tau), check_scale(scale)
    logits, target, class_weight, (log_priors, margins) = check_call(
        logits, target, reduction, class_weight, log_priors=log_priors, margins=margins
    )
    return _logit_adjusted_ldam(
        logits, target, log_priors, margins, tau, scale, class_weight, reduction
    )
