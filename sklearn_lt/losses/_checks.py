"""Checks of the losses' arguments and batches, kept apart from the math.

Two kinds, at two costs:

- **Arguments of a loss** (priors, class counts, class weights, margins and scalars)
  are converted to float64 numpy and checked once, when the loss is built, with the
  package's ground floor (``sklearn_lt._validation``) wherever it has the check.
- **Each batch** (logits, targets, and the operands of the functional forms): shapes,
  dtypes and devices without tensor work, the target range with one
  :func:`torch.aminmax`, and the (small) loss output for finiteness; only a loss that
  is not finite makes :func:`check_finite` look at the logits to say why. On a CUDA
  device these two checks synchronise with the host once per call each.

Every error says what was received, what was expected and how to fix it.
"""

import math
from collections.abc import Mapping

import numpy as np
import torch

from .._validation import as_float_array, check_number, preview
from .._validation import check_class_counts as _check_counts
from ..priors import check_priors

REDUCTIONS = ("mean", "sum", "none")
# Dtypes the losses compute in; narrower logits (autocast, .half()) are upcast.
COMPUTE_DTYPES = (torch.float32, torch.float64)

# What class_counts should hold, for the messages' fix.
_COUNTS = (
    "the number of training examples of each class, e.g. "
    "np.bincount(y_train, minlength=n_classes)"
)
# Why the LDAM losses need every count > 0, for their messages.
_MARGIN_NEEDS = "a margin needs n_y**(-1/4)"


# --- Arguments of a loss: numpy, float64, once per loss. ---


def check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of 'mean', 'sum' or 'none', got {reduction!r}."
        )
    return reduction


def check_tau(tau):
    return check_number(tau, "tau", low=0)


def check_scale(scale):
    return check_number(scale, "scale", low=0, low_open=True)


def check_max_margin(max_margin):
    return check_number(max_margin, "max_margin", low=0)


def as_float64(values, name):
    """An array-like or a tensor as a float64 ndarray (tensors copied to the CPU)."""
    if isinstance(values, torch.Tensor):
        return values.detach().to(device="cpu", dtype=torch.float64).numpy()
    return as_float_array(values, name, "numbers (an array-like or a tensor)")


def check_vector(values, name, n_classes=None):
    array = as_float64(values, name)
    if array.ndim != 1 or array.size == 0 or n_classes not in (None, array.size):
        expected = (
            "one entry per class" if n_classes is None else f"{n_classes} entries"
        )
        raise ValueError(
            f"{name} must be a 1-d array with {expected}, got shape {array.shape}; "
            "pass one value per class, in class-index order."
        )
    return array


def check_class_counts(class_counts, *, allow_zero=False):
    """Training examples per class: finite, >= 0 (> 0 unless allow_zero), not all 0.

    The ground floor checks the type, the shape and the sign; the message gains the
    fix here, and, for the margins :math:`n_y^{-1/4}` (``allow_zero=False``), why
    every count must be > 0.
    """
    if isinstance(class_counts, torch.Tensor):
        class_counts = as_float64(class_counts, "class_counts")
    try:
        counts = _check_counts(class_counts, "class_counts")
    except ValueError as exc:
        also = "" if allow_zero else f", and every count > 0 ({_MARGIN_NEEDS})"
        raise ValueError(f"{exc} Pass {_COUNTS}{also}.") from None
    zero = counts == 0
    if not allow_zero and np.any(zero):
        raise ValueError(
            f"class_counts must be finite and > 0 ({_MARGIN_NEEDS}), got "
            f"{preview(counts[zero])} for classes {preview(np.flatnonzero(zero))}; "
            f"pass {_COUNTS}, and drop or smooth classes without examples."
        )
    if not counts.sum() > 0:
        raise ValueError("class_counts are all 0; at least one class needs examples.")
    return counts


def check_class_weight(class_weight, n_classes):
    if class_weight is None:
        return None
    weight = check_vector(class_weight, "class_weight", n_classes)
    bad = ~np.isfinite(weight) | (weight < 0)
    if np.any(bad):
        raise ValueError(
            f"class_weight must be finite and >= 0, got {preview(weight[bad])} for "
            f"classes {preview(np.flatnonzero(bad))}."
        )
    if not weight.sum() > 0:
        raise ValueError(
            "class_weight is all 0, which leaves nothing to learn; pass positive "
            "weights, or None for an unweighted loss."
        )
    return weight


def check_loss_priors(priors, n_classes=None):
    """Priors, normalised; ``n_classes`` is the loss's, where its counts fix it."""
    values = (
        as_float64(priors, "priors") if isinstance(priors, torch.Tensor) else priors
    )
    try:
        size = len(values)
    except TypeError:
        raise ValueError(
            f"priors must hold one prior per class (an array-like, a tensor or a dict "
            f"{{class_index: prior}}), got {priors!r}."
        ) from None
    if size == 0:
        raise ValueError("priors is empty; pass one prior per class.")
    if n_classes is not None and size != n_classes and not isinstance(values, Mapping):
        raise ValueError(
            f"priors has {size} entries but class_counts has {n_classes}; pass one "
            "prior per class, in class-index order, or a dict {class_index: prior}."
        )
    # The package's one check, so the loss rejects what the estimators reject, with
    # the same messages (zero, negative and non-finite priors); it also normalises.
    return check_priors(
        values, classes=np.arange(size if n_classes is None else n_classes)
    )


def check_delta(delta):
    """A square margin matrix, its diagonal set to 0, without NaN or +inf."""
    delta = as_float64(delta, "delta")
    if delta.ndim != 2 or delta.shape[0] != delta.shape[1] or delta.size == 0:
        raise ValueError(
            "delta must be a square (n_classes, n_classes) matrix of margins, got "
            f"shape {delta.shape}."
        )
    delta = delta.copy()
    np.fill_diagonal(delta, 0.0)
    bad = np.isnan(delta) | (delta == np.inf)
    if np.any(bad):
        pairs = [f"({y}, {z})" for y, z in zip(*np.nonzero(bad), strict=True)]
        raise ValueError(
            f"delta holds NaN or +inf at (y, y') = {', '.join(pairs[:10])}"
            f"{' ...' if len(pairs) > 10 else ''}; margins must be "
            "finite, or -inf to drop a pair."
        )
    return delta


# --- Each batch: cheap, no tensor work on the happy path but one aminmax. ---


def _check_target_shape(target):
    if target.ndim != 1:
        raise ValueError(
            "target must be 1-d, of shape (n_samples,), holding class indices, got "
            f"shape {tuple(target.shape)}; for one-hot targets pass "
            "target.argmax(dim=1)."
        )


def _check_target_values(target, device, n_columns, columns_of):
    """An int64 target on ``device`` with every index in ``[0, n_columns)``."""
    if target.dtype != torch.int64:
        if (
            target.is_floating_point()
            or target.is_complex()
            or target.dtype is torch.bool
        ):
            raise TypeError(
                f"target must hold integer class indices (int64), got dtype "
                f"{target.dtype}; pass target.long() if it holds whole numbers."
            )
        target = target.long()
    if target.device != device:
        raise RuntimeError(
            f"{columns_of} are on {device} but target is on {target.device}; put "
            f"both on one device, e.g. target.to({columns_of}.device)."
        )
    low, high = torch.aminmax(target)
    if low.item() < 0 or high.item() >= n_columns:
        outside = target[(target < 0) | (target >= n_columns)].unique()
        raise ValueError(
            f"target holds class indices {preview(outside.cpu().numpy())} outside "
            f"[0, {n_columns}) ({columns_of} have {n_columns} columns); targets must "
            "be class indices 0 ... n_classes - 1 (encode labels with "
            "sklearn.preprocessing.LabelEncoder)."
        )
    return target


def check_batch(logits, target, n_classes, owner):
    """Check a batch; return float32/float64 logits and int64 target on one device.

    ``n_classes=None`` skips the column check (the functional forms check their
    operands' shapes against the logits instead); ``owner`` is the loss module, for
    the error message.
    """
    if not isinstance(logits, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError(
            "logits and target must be torch tensors, got "
            f"{type(logits).__name__} and {type(target).__name__}; convert them with "
            "torch.as_tensor."
        )
    if logits.ndim != 2:
        raise ValueError(
            "logits must be 2-d, of shape (n_samples, n_classes), got shape "
            f"{tuple(logits.shape)}; flatten extra dimensions first, e.g. "
            "logits.reshape(-1, n_classes) with target.reshape(-1)."
        )
    _check_target_shape(target)
    n_samples, n_columns = logits.shape
    if target.shape[0] != n_samples:
        raise ValueError(
            f"logits have {n_samples} rows but target has {target.shape[0]} entries; "
            "pass one target per row of logits."
        )
    if n_samples == 0:
        raise ValueError(
            "logits and target are empty (0 samples); the loss of an empty batch is "
            "undefined. Skip empty batches."
        )
    if n_classes is not None and n_columns != n_classes:
        raise ValueError(
            f"logits have {n_columns} columns but the loss has {n_classes} classes "
            f"({type(owner).__name__}, {owner._source}); build the loss with one "
            "entry per class of the model's output."
        )
    if not logits.is_floating_point():
        raise TypeError(
            f"logits must be a floating-point tensor, got dtype {logits.dtype}; "
            "pass the model's raw scores, e.g. logits.float()."
        )
    if logits.dtype not in COMPUTE_DTYPES:
        # float16/bfloat16 (autocast, .half()): compute in float32.
        logits = logits.float()
    target = _check_target_values(target, logits.device, n_columns, "logits")
    return logits, target


def check_operand(value, name, logits, shape):
    """A functional form's priors/margins/weights as a tensor in the logits' dtype."""
    if isinstance(value, torch.Tensor):
        if value.device != logits.device:
            raise RuntimeError(
                f"logits are on {logits.device} but {name} is on {value.device}; pass "
                f"{name} on the logits' device, e.g. {name}.to(logits.device)."
            )
        tensor = value if value.dtype == logits.dtype else value.to(logits.dtype)
    else:
        tensor = torch.as_tensor(
            as_float64(value, name), dtype=logits.dtype, device=logits.device
        )
    if tuple(tensor.shape) != shape:
        raise ValueError(
            f"{name} must have shape {shape} for logits of shape "
            f"{tuple(logits.shape)}, got shape {tuple(tensor.shape)}; pass one entry "
            "per class (per pair of classes for delta)."
        )
    return tensor


def check_call(logits, target, reduction, class_weight, **operands):
    """Check a functional form's arguments; return logits, target, weight, operands.

    ``operands`` maps each name to its value; ``delta`` is a ``(n_classes,
    n_classes)`` matrix, every other operand a vector of ``n_classes`` entries.
    """
    check_reduction(reduction)
    logits, target = check_batch(logits, target, None, None)
    n_classes = logits.shape[1]
    if class_weight is not None:
        class_weight = check_operand(class_weight, "class_weight", logits, (n_classes,))
    checked = [
        check_operand(
            value,
            name,
            logits,
            (n_classes, n_classes) if name == "delta" else (n_classes,),
        )
        for name, value in operands.items()
    ]
    return logits, target, class_weight, checked


def check_finite(loss, logits, target, weight, reduction):
    """Return ``loss``, or explain why it is NaN or infinite."""
    finite = (
        math.isfinite(loss.item()) if loss.ndim == 0 else bool(loss.isfinite().all())
    )
    if finite:
        return loss
    with torch.no_grad():
        problems = (
            ("NaN", logits.isnan().any(dim=1)),
            ("+inf", (logits == math.inf).any(dim=1)),
            (
                "-inf at the target class",
                logits.gather(1, target.unsqueeze(1)).squeeze(1) == -math.inf,
            ),
        )
        for what, rows in problems:
            if rows.any():
                where = rows.nonzero().squeeze(1)
                raise ValueError(
                    f"logits contain {what} in {where.numel()} of {logits.shape[0]} "
                    f"rows (rows {preview(where.cpu().numpy())}), so the loss is not "
                    "finite; the model's outputs diverged or its input holds NaN. "
                    "Check the input data, lower the learning rate or clip gradients."
                )
        if (
            weight is not None
            and reduction == "mean"
            and not weight.index_select(0, target).sum() > 0
        ):
            raise ValueError(
                "every target in this batch has class weight 0, so the weighted mean "
                "is 0/0; use reduction='sum', or give these classes a weight > 0."
            )
        largest = logits.abs().max().item()
    raise ValueError(
        f"the loss is not finite although the logits are (largest |logit| = "
        f"{largest:.3g}); the logits, margins or weights overflow "
        f"{str(logits.dtype).removeprefix('torch.')}; if training diverged, lower "
        "the learning rate or clip gradients."
    )


def check_linear_call(input, weight, target, bias, priors, class_weight, reduction):
    """Check a fused call; return target, bias, class weight and float64 log-priors.

    ``input`` is ``(n_samples, n_features)``, ``weight`` the head's ``(n_classes,
    n_features)``; every class vector (bias, priors, class weights) has
    ``n_classes`` entries, and every tensor sits on ``input``'s device.
    """
    check_reduction(reduction)
    target = check_linear_operands(input, weight, target, bias)
    n_classes = weight.shape[0]
    if isinstance(priors, torch.Tensor) and priors.device != input.device:
        raise RuntimeError(
            f"input is on {input.device} but priors is on {priors.device}; pass "
            "priors on the input's device, e.g. priors.to(input.device)."
        )
    values = check_loss_priors(priors)
    if values.size != n_classes:
        raise ValueError(
            f"priors has {values.size} entries but weight has {n_classes} rows (one "
            "per class); pass one prior per class of the head, in class-index order."
        )
    log_priors = torch.as_tensor(np.log(values), dtype=torch.float64)
    if class_weight is not None:
        # check_operand reads the dtype, device and shape of the logits it is
        # given; these are the (never computed) logits' own.
        logits = torch.empty((0, n_classes), dtype=weight.dtype, device=input.device)
        class_weight = check_operand(class_weight, "class_weight", logits, (n_classes,))
    return target, bias, class_weight, log_priors.to(input.device)


def check_linear_operands(input, weight, target, bias):
    """Check the features, head and targets of a fused call; return the targets.

    The checks of :func:`check_linear_call` that do not involve the priors, shared
    with the fused training step of ``LogitAdjustedNet``.
    """
    tensors = {"input": input, "weight": weight, "target": target}
    if bias is not None:
        tensors["bias"] = bias
    for name, value in tensors.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch tensor, got {type(value).__name__}; convert "
                "it with torch.as_tensor."
            )
    for name in ("input", "weight", "bias"):
        if name in tensors and not tensors[name].is_floating_point():
            raise TypeError(
                f"{name} must be a floating-point tensor, got dtype "
                f"{tensors[name].dtype}; pass the features and the head's parameters."
            )
    if input.ndim != 2 or weight.ndim != 2:
        raise ValueError(
            "input must be 2-d (n_samples, n_features) and weight 2-d (n_classes, "
            f"n_features), got shapes {tuple(input.shape)} and {tuple(weight.shape)}; "
            "pass the features entering the head and the head's weight (for "
            "nn.Linear(n_features, n_classes), its .weight)."
        )
    n_classes, n_features = weight.shape
    if input.shape[1] != n_features:
        raise ValueError(
            f"weight has shape {tuple(weight.shape)}, (n_classes, n_features), but "
            f"input has {input.shape[1]} features per row; pass the head's weight, "
            "whose second dimension is the number of features entering it."
        )
    for name, value in tensors.items():
        if value.device != input.device:
            raise RuntimeError(
                f"input is on {input.device} but {name} is on {value.device}; put "
                f"every tensor on one device, e.g. {name}.to(input.device)."
            )
    if bias is not None and tuple(bias.shape) != (n_classes,):
        raise ValueError(
            f"bias must have shape ({n_classes},), one entry per row of weight, got "
            f"shape {tuple(bias.shape)}."
        )
    _check_target_shape(target)
    if target.shape[0] != input.shape[0]:
        raise ValueError(
            f"input has {input.shape[0]} rows but target has {target.shape[0]} "
            "entries; pass one target per row of input."
        )
    if input.shape[0] == 0:
        raise ValueError(
            "input and target are empty (0 samples); the loss of an empty batch is "
            "undefined. Skip empty batches."
        )
    return _check_target_values(target, input.device, n_classes, "weight's rows")
