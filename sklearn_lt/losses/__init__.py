r"""Torch losses for long-tail learning: logit adjustment and pairwise margins.

Every loss here is a softmax cross-entropy with class-dependent margins. In the
pairwise form of Menon et al. (2021), *Long-tail learning via logit adjustment*
(ICLR), the loss of an example with label :math:`y` and logits :math:`f \in
\mathbb{R}^C` is

.. math::

    \ell(y, f) = \log\Big[1 + \sum_{y' \neq y} e^{\Delta_{yy'}}
                 \cdot e^{f_{y'} - f_y}\Big]
               = \operatorname{logsumexp}_{y'} \big(f_{y'} + D_{yy'}\big) - f_y,

where :math:`D` is :math:`\Delta` with its diagonal set to 0, and the losses differ
only in their margins :math:`\Delta` (:math:`\pi` are the training class priors,
:math:`n_y` the class counts, :math:`s` a logit scale). The rows of the paper's
table, and the module that holds each loss's function beside its ``nn.Module``:

- :class:`LogitAdjustedLoss` ("logit adjustment loss", Menon et al., 2021):
  :math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y)`; in ``_logit_adjusted.py``.
- :class:`LDAMLoss` ("adaptive", Cao et al., 2019): :math:`\Delta_{yy'} = s
  \delta_y` on the logits :math:`s f`, with :math:`\delta_y \propto n_y^{-1/4}`;
  in ``_ldam.py``.
- :class:`EqualisedLoss` ("equalised", Tan et al., 2020): :math:`\Delta_{yy'} =
  \log w_{y'}`, rare classes down-weighted as negatives; in ``_equalised.py``.
- :class:`LogitAdjustedLDAMLoss` ("logit adjustment plus adaptive"):
  :math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y) + s \delta_y` on the logits
  :math:`s f`; in ``_ldam.py``.
- :class:`PairwiseMarginLoss` (the general form): any :math:`C \times C` matrix
  :math:`\Delta`; in ``_margin.py``.

``tau=0`` and no margins give the plain cross-entropy, the paper's "ERM" row. The
checks of arguments and batches live apart from the math, in ``_checks.py``; the
cross-entropy core and the module base that every loss shares, in ``_base.py``.

Each loss is a :class:`torch.nn.Module` and a function (as in kornia): the module
validates its priors, counts and weights once, in ``__init__``, and keeps them as
buffers; the function takes ready tensors. Both take ``logits`` of shape
``(n_samples, n_classes)`` and ``target`` of shape ``(n_samples,)`` holding int64 class
indices in ``[0, n_classes)``, and a ``reduction`` among ``"mean"`` (with class weights
:math:`\alpha`, the weighted mean :math:`\sum_i \alpha_{y_i} \ell_i / \sum_i
\alpha_{y_i}`, as in :func:`torch.nn.functional.cross_entropy`), ``"sum"`` and
``"none"`` (:math:`\alpha_{y_i} \ell_i` per example). All reduce to one
:func:`torch.nn.functional.cross_entropy` on shifted logits: none builds an
``(n_samples, n_classes, n_classes)`` tensor, and none takes ``exp`` of a raw logit.

Buffers, devices and dtypes
---------------------------
Priors (as log-priors), margins, margin matrices and class weights are registered
buffers: they follow ``loss.to(device)``, are saved in ``state_dict`` and load back.
They are computed in float64 with numpy and stored in float32. ``loss.double()`` (or
``.to(torch.float64)``) widens them to float64; a cast to a narrower type
(``.half()``, ``.to(torch.bfloat16)``, for instance through ``model.half()`` of a
model that holds the loss) moves them but keeps their dtype, because log-priors and
margins rounded to 8 bits of mantissa would shift every logit. Logits are upcast to
float32 inside (float64 logits stay float64), so the loss is computed in float32 under
``torch.autocast`` or with half-precision logits, and the result is float32 (float64
for float64 logits). A loss whose buffers are on another device than the logits
raises an error instead of copying them at each step: move it once with
``loss.to(logits.device)``.

An unweighted loss keeps an empty ``class_weight`` buffer (shape ``(0,)``), so
``state_dict`` always holds the key and weighted and unweighted states load into each
other.

Deferred re-weighting (DRW)
---------------------------
Cao et al. (2019) train with the unweighted loss first and switch on class-balanced
weights for the last epochs (:func:`sklearn_lt.priors.class_balanced_weights`). Every
loss has :meth:`~LogitAdjustedLoss.set_class_weight` for that; the new weights land on
the device and in the dtype of the loss's buffers::

    criterion = LDAMLoss(class_counts).to(device)
    for epoch in range(200):
        if epoch == 160:
            criterion.set_class_weight(class_balanced_weights(class_counts))
        ...  # train one epoch with criterion(model(x), y)

Fused with a linear head
------------------------
With a linear last layer :math:`f(x) = W h(x) + b`, the adjusted logits are
:math:`W h(x) + (b + \tau \log \pi)`: the adjustment is a shift of the bias.
:func:`linear_logit_adjusted_loss` (in ``_fused.py``) takes the features, the
head's weight and bias, as :func:`torch.nn.functional.linear_cross_entropy` does,
and hands it the shifted bias; with ``options=torch.nn.LinearCrossEntropyOptions()``
the ``N x C`` logits are never materialised. Loss and gradients are those of
:func:`logit_adjusted_loss` on ``F.linear(input, weight, bias)``.

Checks and their cost
---------------------
Each call checks shapes, dtypes and devices (no tensor work), the target range with
one :func:`torch.aminmax`, and that the (small) loss output is finite; only when it is
not does it look at the logits to say why. On a CUDA device these two checks
synchronise with the host once per call each.
"""

from ._equalised import EqualisedLoss, equalised_loss
from ._fused import linear_logit_adjusted_loss
from ._ldam import LDAMLoss, LogitAdjustedLDAMLoss, ldam_loss, logit_adjusted_ldam_loss
from ._logit_adjusted import LogitAdjustedLoss, logit_adjusted_loss
from ._margin import PairwiseMarginLoss, pairwise_margin_loss

__all__ = [
    "EqualisedLoss",
    "LDAMLoss",
    "LogitAdjustedLDAMLoss",
    "LogitAdjustedLoss",
    "PairwiseMarginLoss",
    "equalised_loss",
    "ldam_loss",
    "linear_logit_adjusted_loss",
    "logit_adjusted_ldam_loss",
    "logit_adjusted_loss",
    "pairwise_margin_loss",
]
