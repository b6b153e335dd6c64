r"""The softmax equalisation loss (Tan et al., 2020), in pairwise form.

Rare classes are down-weighted *as negatives*: with :math:`N = \sum_k n_k`,

.. math::

    \ell(y, f(x)) = \log\Big[1 + \sum_{y' \neq y} e^{\delta_{y'}}
                    \cdot e^{f_{y'}(x) - f_y(x)}\Big],
    \qquad
    e^{\delta_{y'}} = w_{y'} = 1 - \beta \, \mathbb{1}[n_{y'} / N < \lambda],

the pairwise margin loss with :math:`\Delta_{yy'} = \log w_{y'}`, computed as the
cross-entropy of :math:`f + \log w` with the target's own logit left as it is.
"""

import numpy as np

from .._validation import check_number
from ._base import _ClassMarginLoss, cast, cross_entropy, float32_buffer
from ._checks import check_call, check_class_counts

__all__ = ["EqualisedLoss", "equalised_loss"]


def _equalised(logits, target, log_weights, weight, reduction):
    index = target.unsqueeze(1)
    z = logits + cast(log_weights, logits.dtype)
    # The positive class keeps its plain logit (Tan et al.'s factor 1 - y_k): copy it
    # back rather than subtracting the weight again, which would round.
    z.scatter_(1, index, logits.gather(1, index))
    return cross_entropy(z, logits, target, weight, reduction)


class EqualisedLoss(_ClassMarginLoss):
    r"""Softmax equalisation loss (Tan et al., 2020), in pairwise form.

    Every example of a frequent class is a negative for all the rare classes, so the
    rare classes' logits are pushed down by a flood of head examples. The
    equalisation loss down-weights the rare classes *as negatives*:

    .. math::

        \ell(y, f(x)) = \log\Big[1 + \sum_{y' \neq y} e^{\delta_{y'}}
                        \cdot e^{f_{y'}(x) - f_y(x)}\Big],
        \qquad
        e^{\delta_{y'}} = w_{y'} = 1 - \beta \, \mathbb{1}[n_{y'} / N < \lambda],

    with :math:`N = \sum_k n_k`: a class whose training frequency is below the
    threshold :math:`\lambda` counts :math:`1 - \beta` times as a negative, and never
    less as a positive (the :math:`y' = y` term is the 1). This is Tan et al.'s
    softmax form :math:`\tilde p_y = e^{f_y} / \sum_k \tilde w_k e^{f_k}`,
    :math:`\tilde w_k = 1 - \beta T_\lambda(n_k / N)(1 - \mathbb{1}[k = y])`, with
    Tan et al.'s random :math:`\beta \sim \mathrm{Bernoulli}(\gamma)` replaced by its
    mean: ``beta`` plays the role of :math:`\gamma`. The random drop itself is not
    implemented (the loss is deterministic).

    ``beta`` must be below 1: :math:`\beta = 1` gives :math:`w_{y'} = 0` and
    :math:`\delta_{y'} = \log 0 = -\infty`, removing the rare classes from the
    negatives altogether (Tan et al. do that only at random, a fraction
    :math:`\gamma` of the time); the default 0.9 keeps :math:`\delta_{y'} = \log 0.1`.

    Parameters
    ----------
    class_counts : array-like or tensor of shape (n_classes,)
        Number of training examples :math:`n_y` of each class, all >= 0 (a class
        with no example is rare).

    threshold : float, default=0.01
        Frequency threshold :math:`\lambda \in [0, 1]`: classes with fewer than a
        fraction ``threshold`` of the training examples are rare. The default suits
        small data sets of 10 to 100 classes (on CIFAR-10-LT with imbalance 100, the
        classes with under 124 of the 12,406 images). Tan et al. tune it per data set;
        with many classes, set it below ``1 / n_classes``.

    beta : float, default=0.9
        Down-weighting :math:`\beta \in [0, 1)` of rare negatives; 0 gives the plain
        cross-entropy.

    class_weight : array-like or tensor of shape (n_classes,), default=None
        Weight :math:`\alpha_y \geq 0` of each class, or None; see
        :meth:`set_class_weight`.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
        \alpha_{y_i}`.

    Attributes
    ----------
    log_weights : torch.Tensor of shape (n_classes,)
        Buffer: :math:`\delta_{y'} = \log w_{y'}`, float32.

    class_weight : torch.Tensor of shape (n_classes,) or (0,)
        Buffer: the class weights; empty when the loss is unweighted.

    n_classes : int
        Number of classes.

    See Also
    --------
    equalised_loss : The same loss as a function.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import EqualisedLoss
    >>> loss = EqualisedLoss(class_counts=[990, 9, 1], threshold=0.01, beta=0.9)
    >>> loss.log_weights.exp()
    tensor([1.0000, 0.1000, 0.1000])
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> round(loss(logits, torch.tensor([0, 2])).item(), 4)
    0.4238
    """

    _source = "from its class_counts"

    def __init__(
        self,
        class_counts,
        threshold=0.01,
        beta=0.9,
        class_weight=None,
        reduction="mean",
    ):
        counts = check_class_counts(class_counts, allow_zero=True)
        super().__init__(counts.size, class_weight, reduction)
        self.threshold = check_number(threshold, "threshold", low=0, high=1)
        self.beta = check_number(
            beta,
            "beta",
            low=0,
            high=1,
            high_open=True,
            fix="beta=1 would give rare negatives the weight 0, whose log is -inf; "
            "use e.g. 0.9 or 0.99.",
        )
        rare = counts / counts.sum() < self.threshold
        self.register_buffer("log_weights", float32_buffer(np.log1p(-self.beta * rare)))

    def _loss(self, logits, target, buffers, weight):
        return _equalised(
            logits, target, buffers["log_weights"], weight, self.reduction
        )

    def extra_repr(self):
        return f"threshold={self.threshold}, beta={self.beta}, " + super().extra_repr()


def equalised_loss(logits, target, log_weights, class_weight=None, reduction="mean"):
    r"""Softmax equalisation loss (Tan et al., 2020), as a function.

    :math:`\ell(y, f) = \log[1 + \sum_{y' \neq y} e^{\delta_{y'}} e^{f_{y'} - f_y}]`
    with :math:`\delta_{y'} = \log w_{y'}` the log-weight of class :math:`y'` as a
    negative; see :class:`EqualisedLoss`, which also computes the weights.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw scores (float16 and bfloat16 are computed in float32).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    log_weights : torch.Tensor or array-like of shape (n_classes,)
        :math:`\delta_{y'}` of each class, on the logits' device.

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
    >>> import math
    >>> import torch
    >>> from sklearn_lt.losses import equalised_loss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> log_weights = torch.tensor([0.0, math.log(0.1), math.log(0.1)])
    >>> equalised_loss(logits, torch.tensor([0, 2]), log_weights, reduction="none")
    tensor([0.0269, 0.8206])
    """
    logits, target, class_weight, (log_weights,) = check_call(
        logits, target, reduction, class_weight, log_weights=log_weights
    )
    return _equalised(logits, target, log_weights, class_weight, reduction)
