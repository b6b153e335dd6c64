"""Weight normalisation (Kang et al., 2020's tau-norm) of a classifier layer."""

from contextlib import contextmanager
from numbers import Real

import torch

from .._compat import validate_parameter_constraints
from .._validation import Number

_CONSTRAINTS = {"layer": [str], "tau": [Number(Real, 0, None, closed="left")]}


def class_weight_layer(module, name, *, param="layer", n_classes=None):
    """The submodule ``name`` of ``module``, checked to hold one weight row per class.

    ``param`` names the parameter in the messages; with ``n_classes``, the weight
    must have that many rows.
    """
    try:
        layer = module.get_submodule(name)
    except AttributeError as exc:
        raise ValueError(
            f"{param}={name!r} names no submodule of {type(module).__name__}; give "
            "the name of its final linear layer as in module_.named_modules()."
        ) from exc
    weight = getattr(layer, "weight", None)
    if (
        not isinstance(weight, torch.Tensor)
        or weight.ndim != 2
        or (n_classes is not None and weight.shape[0] != n_classes)
    ):
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else None
        rows = "" if n_classes is None else f" ({n_classes})"
        raise ValueError(
            f"{param}={name!r} must be a linear layer with one weight row per "
            f"class{rows}; its weight has shape {shape}."
        )
    return layer


@contextmanager
def normalised_weights(layer, tau):
    """Swap in ``w_y / ||w_y||^tau`` and a zero bias on ``layer``; restore on exit."""
    original = layer.weight.data
    bias = getattr(layer, "bias", None)
    original_bias = None if bias is None else bias.data
    norms = original.norm(dim=1, keepdim=True).clamp_min(torch.finfo().tiny)
    layer.weight.data = original / norms.pow(tau)
    if original_bias is not None:
        layer.bias.data = torch.zeros_like(original_bias)
    try:
        yield layer
    finally:
        layer.weight.data = original
        if original_bias is not None:
            layer.bias.data = original_bias


@contextmanager
def weight_normalised(module, layer="classifier", tau=1.0):
    r"""Score with a tau-normalised classifier layer inside a ``with`` block.

    Inside the block, the class weight vectors :math:`w_y` (the rows of the
    ``weight`` of ``module``'s submodule ``layer``) are replaced by

    .. math::

        \frac{w_y}{\lVert w_y \rVert^{\tau}},

    and its bias by zero: the "tau-normalised classifier" of Kang et al. (2020),
    "Decoupling Representation and Classifier for Long-Tailed Recognition", whose
    reference code scores ``features @ normalised_weights.T`` without the bias (a
    per-class bias carries the class frequencies that the normalisation takes out
    of the weights). On leaving the block the trained weight and bias are put
    back, also when the block raises. ``tau=0`` leaves the weights as they are
    (the bias is still dropped); ``tau=1`` gives unit-norm weights.

    ``LogitAdjustedNet(weight_norm_layer=..., weight_norm_tau=...)`` predicts and
    validates inside this context; use it directly to score any module that way.

    Parameters
    ----------
    module : torch.nn.Module
        The model.

    layer : str, default="classifier"
        Name of its final linear layer, as in ``module.named_modules()``: a
        submodule with a ``weight`` of shape ``(n_classes, n_features)``, as
        ``torch.nn.Linear`` and :class:`NormedLinear` have.

    tau : float, default=1.0
        The exponent :math:`\tau \ge 0`.

    Yields
    ------
    layer : torch.nn.Module
        The normalised layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lt.net import MLPModule, weight_normalised
    >>> module = MLPModule(n_features=4, n_classes=3).eval()
    >>> X = torch.randn(5, 4)
    >>> with torch.no_grad(), weight_normalised(module, "classifier") as head:
    ...     logits = module(X)  # scored with unit-norm class weights, no bias
    ...     norms = head.weight.norm(dim=1)
    >>> [round(float(n), 4) for n in norms]
    [1.0, 1.0, 1.0]
    >>> bool(module.classifier.weight.norm(dim=1).max() < 1)  # the trained ones
    True
    """
    validate_parameter_constraints(
        _CONSTRAINTS, {"layer": layer, "tau": tau}, caller_name="weight_normalised"
    )
    target = class_weight_layer(module, layer)
    with normalised_weights(target, tau) as normalised:
        yield normalised
