r"""The pairwise margin loss (Menon et al., 2021): the general form of every loss.

For an example with label :math:`y` and logits :math:`f \in \mathbb{R}^C`, and a
:math:`C \times C` matrix of margins :math:`\Delta`,

.. math::

    \ell(y, f) = \alpha_y \log\Big[1 + \sum_{y' \neq y} e^{\Delta_{yy'}}
                 \cdot e^{f_{y'} - f_y}\Big]
               = \alpha_y \Big(\operatorname{logsumexp}_{y'} \big(f_{y'} + D_{yy'}\big)
                 - f_y\Big),

with :math:`D` the matrix :math:`\Delta` with its diagonal set to 0. The right-hand
side is what is computed: the cross-entropy of :math:`f + D_{y, \cdot}`, from the
``n_samples`` rows of :math:`D` that the targets pick, never an ``(n_samples,
n_classes, n_classes)`` tensor. The other losses of :mod:`sklearn_lt.losses` are its
special cases, computed without the matrix.
"""

from ._base import _ClassMarginLoss, cast, cross_entropy, float32_buffer
from ._checks import check_call, check_delta

__all__ = ["PairwiseMarginLoss", "pairwise_margin_loss"]


def _pairwise(logits, target, delta, weight, reduction):
    # Gather the n_samples rows Delta[y_i, :] (never n x C x C), then cast: casting
    # delta first would copy all C x C entries at every call.
    rows = cast(delta.index_select(0, target), logits.dtype)
    # Delta[y, y] is no margin: the y'=y term is the 1 in log(1 + ...), exp(0).
    rows.scatter_(1, target.unsqueeze(1), 0.0)
    # cross_entropy(f + D[y], y) = logsumexp(f + D[y]) - f_y, as D[y, y] = 0.
    return cross_entropy(rows.add_(logits), logits, target, weight, reduction)


class PairwiseMarginLoss(_ClassMarginLoss):
    r"""Pairwise margin loss with any margin matrix (Menon et al., 2021).

    .. math::

        \ell(y, f(x)) = \alpha_y \log\Big[1 + \sum_{y' \neq y} e^{\Delta_{yy'}}
                        \cdot e^{f_{y'}(x) - f_y(x)}\Big]
                      = \alpha_y \Big(\operatorname{logsumexp}_{y'}
                        \big(f_{y'}(x) + D_{yy'}\big) - f_y(x)\Big),

    with :math:`D` the margin matrix :math:`\Delta` with its diagonal set to 0. The
    right-hand side is what is computed, from the ``n_samples`` rows
    :math:`D_{y_i, \cdot}` only: time and memory are :math:`O(n_\text{samples}
    \cdot C)` per call, plus the :math:`C \times C` buffer. The other losses of
    :mod:`sklearn_lt.losses` are its special cases, computed without the matrix.

    Parameters
    ----------
    delta : array-like or tensor of shape (n_classes, n_classes)
        Margins :math:`\Delta_{yy'}`, row :math:`y` the true class. The diagonal is
        ignored. Entries must not be NaN or +inf; ``-inf`` drops the pair from the
        sum.

    class_weight : array-like or tensor of shape (n_classes,), default=None
        Weight :math:`\alpha_y \geq 0` of each class, or None; see
        :meth:`set_class_weight`.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
        \alpha_{y_i}`.

    Attributes
    ----------
    delta : torch.Tensor of shape (n_classes, n_classes)
        Buffer: the margins, float32, with a zero diagonal.

    class_weight : torch.Tensor of shape (n_classes,) or (0,)
        Buffer: the class weights; empty when the loss is unweighted.

    n_classes : int
        Number of classes.

    See Also
    --------
    pairwise_margin_loss : The same loss as a function.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_lt.losses import LogitAdjustedLoss, PairwiseMarginLoss
    >>> log_priors = np.log([0.7, 0.2, 0.1])
    >>> delta = log_priors[None, :] - log_priors[:, None]  # log(pi_y' / pi_y)
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> round(PairwiseMarginLoss(delta)(logits, target).item(), 4)
    1.3332
    >>> round(LogitAdjustedLoss([0.7, 0.2, 0.1])(logits, target).item(), 4)
    1.3332
    """

    _source = "from its delta"

    def __init__(self, delta, class_weight=None, reduction="mean"):
        delta = check_delta(delta)
        super().__init__(delta.shape[0], class_weight, reduction)
        self.register_buffer("delta", float32_buffer(delta))

    def _loss(self, logits, target, buffers, weight):
        return _pairwise(logits, target, buffers["delta"], weight, self.reduction)


def pairwise_margin_loss(logits, target, delta, class_weight=None, reduction="mean"):
    r"""Pairwise margin loss with a margin matrix (Menon et al., 2021), as a function.

    :math:`\ell(y, f) = \alpha_y \log[1 + \sum_{y' \neq y} e^{\Delta_{yy'}}
    e^{f_{y'} - f_y}]`, computed as the cross-entropy of :math:`f + D_{y, \cdot}`
    (:math:`D` is :math:`\Delta` with a zero diagonal) from the ``n_samples`` rows of
    ``delta`` that the targets pick; see :class:`PairwiseMarginLoss`.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw scores (float16 and bfloat16 are computed in float32).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    delta : torch.Tensor or array-like of shape (n_classes, n_classes)
        Margins :math:`\Delta_{yy'}`, row :math:`y` the true class, on the logits'
        device. The diagonal is ignored.

    class_weight : torch.Tensor or array-like of shape (n_classes,), default=None
        Weight :math:`\alpha_y` of each class, or None.

    reduction : {"mean", "sum", "none"}, default="mean"
        How to reduce the per-example losses (``"mean"``: weighted mean).

    Returns
    -------
    loss : torch.Tensor
        A scalar, or shape (n_samples,) for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import pairwise_margin_loss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> delta = torch.zeros(3, 3)  # no margins: the plain cross-entropy
    >>> pairwise_margin_loss(logits, torch.tensor([0, 2]), delta, reduction="none")
    tensor([0.2413, 1.5514])
    """
    logits, target, class_weight, (delta,) = check_call(
        logits, target, reduction, class_weight, delta=delta
    )
    return _pairwise(logits, target, delta, class_weight, reduction)
