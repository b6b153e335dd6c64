r"""The fused training step of ``LogitAdjustedNet``: the loss fused with its head.

With a linear last layer the logit-adjusted loss is the cross-entropy of
:math:`W h + (b + \tau \log \pi)` (Menon et al., 2021), so a training step can hand
the head's input :math:`h`, weight and shifted bias to
:func:`torch.nn.functional.linear_cross_entropy` instead of forming the logits
and then the loss. :func:`fused_head_reason` says whether a net's step can be
computed that way; :func:`captured_head` runs the module's forward with the head
replaced by a recorder, so that the logits are never computed.
"""

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from skorch.callbacks import BatchScoring, EpochScoring

from ..losses import EqualisedLoss, LogitAdjustedLoss, PairwiseMarginLoss
from ..losses._ldam import _LDAMMarginLoss
from ._modules import NormedLinear
from ._weight_norm import class_weight_layer

__all__ = [
    "HeadCall",
    "captured_head",
    "check_head_call",
    "fused_head_reason",
    "head_layer",
]

# Why a loss cannot be fused: the fused op computes the cross-entropy of the
# logits plus one offset per class, which only LogitAdjustedLoss is.
_UNFUSABLE_LOSSES = (
    (
        _LDAMMarginLoss,  # LDAMLoss and LogitAdjustedLDAMLoss
        "it subtracts a margin from the target class's logit only and scales the "
        "logits, which no per-class bias can carry",
    ),
    (
        PairwiseMarginLoss,
        "its C x C margin shifts each logit by an amount that depends on the "
        "example's label, which no per-class bias can carry",
    ),
    (
        EqualisedLoss,
        "it drops rare classes from each example's softmax, which no per-class "
        "bias can do",
    ),
)


def head_layer(net):
    """The layer ``net.fused_head`` names, checked to have one weight row per class."""
    return class_weight_layer(
        net.module_, net.fused_head, param="fused_head", n_classes=net._n_classes()
    )


def _head_kind(layer):
    """ "linear" or "normed" for the heads the fused op computes, else None."""
    forward = type(layer).forward
    if forward is torch.nn.Linear.forward:
        return "linear"
    if forward is NormedLinear.forward:
        return "normed"
    return None


def fused_head_reason(net, layer):
    """Why ``net``'s training loss cannot be fused with ``layer``; None if it can."""
    name = net.fused_head
    if not hasattr(F, "linear_cross_entropy"):
        return (
            f"this torch ({torch.__version__}) has no "
            "torch.nn.functional.linear_cross_entropy (torch 2.13 has it)"
        )
    if net.compile:
        return (
            "compile=True traces the module's forward, and the fused step replaces "
            "the head's forward while it runs"
        )
    if _head_kind(layer) is None:
        return (
            f"the layer {name!r} is a {type(layer).__name__}, not a torch.nn.Linear "
            "or a sklearn_lt.net.NormedLinear (or a subclass that keeps their "
            "forward), so its logits are not F.linear of its input"
        )
    loss = net.criterion_
    if type(loss) is not LogitAdjustedLoss:
        why = next(
            (text for cls, text in _UNFUSABLE_LOSSES if isinstance(loss, cls)),
            "only LogitAdjustedLoss (loss='logit_adjusted', 'cross_entropy' or "
            "'class_balanced') is known to be the cross-entropy of the logits plus "
            "a per-class offset",
        )
        return f"the loss is a {type(loss).__name__}: {why}"
    for cb_name, callback in getattr(net, "callbacks_", ()):
        if (
            isinstance(callback, (EpochScoring, BatchScoring))
            and callback.on_train
            and callback.use_caching
        ):
            return (
                f"the callback {cb_name!r} scores the training batches from their "
                "logits (on_train=True, use_caching=True), which the fused step "
                "never forms; pass use_caching=False to it"
            )
    return None


class HeadCall:
    """What the recording head saw: its input, weight and bias, and its output.

    A fused training step's ``y_pred``: the logits it stands for are
    ``F.linear(input, weight, bias)``.
    """

    def __init__(self):
        self.calls = 0
        self.input = self.weight = self.bias = self.output = None


@contextmanager
def captured_head(layer):
    """Run the module with ``layer`` recording its operands instead of computing.

    Inside the block, a call of ``layer`` records the operands of its
    ``F.linear`` (for a :class:`NormedLinear`, the normalised input and weight, no
    bias) and returns a float32 zero tensor of the logits' shape that takes no
    memory (an expanded scalar). The module's output must be that very tensor: see
    :func:`check_head_call`.
    """
    call = HeadCall()
    normed = _head_kind(layer) == "normed"

    def forward(x):
        call.calls += 1
        operands = (
            layer._linear_operands(x) if normed else (x, layer.weight, layer.bias)
        )
        call.input, call.weight, call.bias = operands
        shape = (*x.shape[:-1], layer.weight.shape[0])
        # float32, which mixed-precision wrappers (accelerate's) pass as it is.
        call.output = torch.zeros((), device=x.device).expand(shape)
        return call.output

    own = layer.__dict__.get("forward")
    layer.forward = forward
    try:
        yield call
    finally:
        if own is None:
            del layer.forward
        else:
            layer.forward = own


def check_head_call(call, output, name, module):
    """The module's output must be the head's, from one call of the head."""
    if call.calls == 1 and output is call.output:
        return
    if call.calls == 0:
        what = "did not call it"
    elif call.calls > 1:
        what = f"called it {call.calls} times"
    else:
        what = "returned something other than its output"
    raise ValueError(
        f"fused_head={name!r}: the fused step needs the module's output to be the "
        f"output of that layer, from one call, but {type(module).__name__}'s forward "
        f"{what}. Name the layer whose output is the module's logits, or set "
        "fused_head=None to train with the unfused loss."
    )
