r"""The logit-adjusted loss (Menon et al., 2021): the paper's own loss.

Softmax cross-entropy on logits shifted by :math:`\tau` times the log of the training
class priors :math:`\pi`:

.. math::

    \ell(y, f(x)) = -\log \frac{e^{f_y(x) + \tau \log \pi_y}}
                               {\sum_{y'} e^{f_{y'}(x) + \tau \log \pi_{y'}}}
                  = \log\Big[1 + \sum_{y' \neq y}
                    \Big(\frac{\pi_{y'}}{\pi_y}\Big)^{\tau} e^{f_{y'}(x) - f_y(x)}\Big].

With ``tau=1`` its minimiser estimates the balanced posterior, so ``argmax_y f_y(x)``
of the trained model is consistent for the balanced error; ``tau=0`` is the plain
cross-entropy. :class:`LogitAdjustedLoss` is the module (it checks the priors once and
keeps :math:`\log \pi` as a buffer), :func:`logit_adjusted_loss` the function.
"""

import numpy as np
import torch

from ._base import _ClassMarginLoss, cast, cross_entropy, float32_buffer
from ._checks import check_call, check_loss_priors, check_tau

__all__ = ["LogitAdjustedLoss", "logit_adjusted_loss"]


def _logit_adjusted(logits, target, log_priors, tau, weight, reduction):
    # One fused broadcast add: f + tau * log(pi).
    z = (
        logits
        if tau == 0
        else torch.add(logits, cast(log_priors, logits.dtype), alpha=tau)
    )
    return cross_entropy(z, logits, target, weight, reduction)


class LogitAdjustedLoss(_ClassMarginLoss):
    r"""Logit-adjusted softmax cross-entropy (Menon et al., 2021).

    Cross-entropy on logits shifted by the log of the training class priors:

    .. math::

        \ell(y, f(x)) = -\log \frac{e^{f_y(x) + \tau \log \pi_y}}
                                   {\sum_{y'} e^{f_{y'}(x) + \tau \log \pi_{y'}}}
                      = \log\Big[1 + \sum_{y' \neq y}
                        \Big(\frac{\pi_{y'}}{\pi_y}\Big)^{\tau}
                        e^{f_{y'}(x) - f_y(x)}\Big],

    a pairwise margin loss with :math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y)`: it
    asks for a larger margin in favour of a rare label against a frequent one. With
    ``tau=1`` its minimiser estimates the *balanced* posterior
    :math:`\mathbb{P}^{\mathrm{bal}}(y \mid x) \propto \mathbb{P}(y \mid x) / \pi_y`,
    so the plain ``argmax_y f_y(x)`` is consistent for the balanced error; predict
    with the unadjusted logits. ``tau=0`` is the plain cross-entropy.

    Parameters
    ----------
    priors : array-like, tensor or dict of shape (n_classes,)
        Training class priors :math:`\pi_y` (or class counts), in class-index order,
        all > 0; they are normalised to sum to 1. Checked by
        :func:`sklearn_lt.priors.check_priors`; for priors estimated from labels with
        a class that has no example, use
        ``estimate_priors(y, classes=..., smoothing=1.0)``.

    tau : float, default=1.0
        Scale :math:`\tau \geq 0` of the adjustment.

    class_weight : array-like or tensor of shape (n_classes,), default=None
        Weight :math:`\alpha_y \geq 0` of each class, or None. Can be changed later
        with :meth:`set_class_weight`.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
        \alpha_{y_i}`, as in :func:`torch.nn.functional.cross_entropy`.

    Attributes
    ----------
    log_priors : torch.Tensor of shape (n_classes,)
        Buffer: :math:`\log \pi_y`, computed in float64, stored in float32.

    class_weight : torch.Tensor of shape (n_classes,) or (0,)
        Buffer: the class weights; empty when the loss is unweighted.

    n_classes : int
        Number of classes.

    See Also
    --------
    logit_adjusted_loss : The same loss as a function.
    sklearn_lt.logit_adjust : The post-hoc adjustment of a trained model's logits.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(priors=[0.7, 0.2, 0.1], tau=1.0)
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> round(loss(logits, target).item(), 4)
    1.3332
    """

    _source = "from its priors"

    def __init__(self, priors, tau=1.0, class_weight=None, reduction="mean"):
        priors = check_loss_priors(priors)
        super().__init__(priors.size, class_weight, reduction)
        self.tau = check_tau(tau)
        self.register_buffer("log_priors", float32_buffer(np.log(priors)))

    def _loss(self, logits, target, buffers, weight):
        return _logit_adjusted(
            logits, target, buffers["log_priors"], self.tau, weight, self.reduction
        )

    def extra_repr(self):
        return f"tau={self.tau}, " + super().extra_repr()


def logit_adjusted_loss(
    logits, target, log_priors, tau=1.0, class_weight=None, reduction="mean"
):
    r"""Logit-adjusted softmax cross-entropy (Menon et al., 2021), as a function.

    :math:`\ell(y, f) = -\log \operatorname{softmax}(f + \tau \log \pi)_y`; see
    :class:`LogitAdjustedLoss`, which also validates the priors.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw scores (float16 and bfloat16 are computed in float32).

    target : torch.Tensor of shape (n_samples,)
        Class indices in ``[0, n_classes)`` (int64).

    log_priors : torch.Tensor or array-like of shape (n_classes,)
        :math:`\log \pi_y`, the log of positive training priors, on the logits'
        device (their values are not checked).

    tau : float, default=1.0
        Scale :math:`\tau \geq 0` of the adjustment.

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
    >>> from sklearn_lt.losses import logit_adjusted_loss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> log_priors = torch.log(torch.tensor([0.7, 0.2, 0.1]))
    >>> logit_adjusted_loss(logits, torch.tensor([0, 2]), log_priors, reduction="none")
    tensor([0.0685, 2.5980])
    """
    tau = check_tau(tau)
    logits, target, class_weight, (log_priors,) = check_call(
        logits, target, reduction, class_weight, log_priors=log_priors
    )
    return _logit_adjusted(logits, target, log_priors, tau, class_weight, reduction)
