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
:math:`n_y` the class counts, :math:`s` a logit scale):

- :class:`LogitAdjustedLoss`: :math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y)`
  (Menon et al., 2021);
- :class:`LDAMLoss`: :math:`\Delta_{yy'} = s \delta_y` on the logits :math:`s f`
  (Cao et al., 2019, the paper's "Adaptive");
- :class:`EqualisedLoss`: :math:`\Delta_{yy'} = \log w_{y'}` (Tan et al., 2020);
- :class:`LogitAdjustedLDAMLoss`: :math:`\Delta_{yy'} = \tau \log(\pi_{y'} / \pi_y)
  + s \delta_y` on the logits :math:`s f` (the paper's "logit adjustment plus
  adaptive");
- :class:`PairwiseMarginLoss`: any :math:`C \times C` matrix :math:`\Delta`.

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

Checks and their cost
---------------------
Each call checks shapes, dtypes and devices (no tensor work), the target range with
one :func:`torch.aminmax`, and that the (small) loss output is finite; only when it is
not does it look at the logits to say why. On a CUDA device these two checks
synchronise with the host once per call each.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._validation import check_number, preview
from .priors import check_priors

__all__ = [
    "EqualisedLoss",
    "LDAMLoss",
    "LogitAdjustedLDAMLoss",
    "LogitAdjustedLoss",
    "PairwiseMarginLoss",
    "equalised_loss",
    "ldam_loss",
    "logit_adjusted_ldam_loss",
    "logit_adjusted_loss",
    "pairwise_margin_loss",
]

_REDUCTIONS = ("mean", "sum", "none")
_COMPUTE_DTYPES = (torch.float32, torch.float64)


# --- Validation of constructor arguments: numpy, float64, once per loss. ---


def _check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be one of 'mean', 'sum' or 'none', got {reduction!r}."
        )
    return reduction


def _to_numpy(values, name):
    """An array-like or a tensor as a float64 ndarray (tensors copied to the CPU)."""
    if isinstance(values, torch.Tensor):
        return values.detach().to(device="cpu", dtype=torch.float64).numpy()
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be numbers (an array-like or a tensor), got {values!r}."
        ) from exc


def _check_vector(values, name, n_classes=None):
    array = _to_numpy(values, name)
    if array.ndim != 1 or array.size == 0 or n_classes not in (None, array.size):
        expected = (
            "one entry per class" if n_classes is None else f"{n_classes} entries"
        )
        raise ValueError(
            f"{name} must be a 1-d array with {expected}, got shape {array.shape}; "
            "pass one value per class, in class-index order."
        )
    return array


def _check_class_counts(class_counts, *, allow_zero=False):
    counts = _check_vector(class_counts, "class_counts")
    bad = ~np.isfinite(counts) | (counts < 0 if allow_zero else counts <= 0)
    if np.any(bad):
        expected = ">= 0" if allow_zero else "> 0 (a margin needs n_y**(-1/4))"
        raise ValueError(
            f"class_counts must be finite and {expected}, got {preview(counts[bad])} "
            f"for classes {preview(np.flatnonzero(bad))}; pass the number of training "
            "examples of each class, e.g. np.bincount(y_train, minlength=n_classes)"
            + ("." if allow_zero else ", and drop or smooth classes without examples.")
        )
    if not counts.sum() > 0:
        raise ValueError("class_counts are all 0; at least one class needs examples.")
    return counts


def _check_class_weight(class_weight, n_classes):
    if class_weight is None:
        return None
    weight = _check_vector(class_weight, "class_weight", n_classes)
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


def _check_loss_priors(priors):
    values = _to_numpy(priors, "priors") if isinstance(priors, torch.Tensor) else priors
    try:
        n_classes = len(values)
    except TypeError:
        raise ValueError(
            f"priors must hold one prior per class (an array-like, a tensor or a dict "
            f"{{class_index: prior}}), got {priors!r}."
        ) from None
    if n_classes == 0:
        raise ValueError("priors is empty; pass one prior per class.")
    # The package's one check, so the loss rejects what the estimators reject, with
    # the same messages (zero, negative and non-finite priors); it also normalises.
    return check_priors(values, classes=np.arange(n_classes))


def _ldam_margins(counts, max_margin):
    r"""Cao et al.'s margins :math:`\delta_y \propto n_y^{-1/4}`, at most max_margin."""
    return max_margin * (counts.min() / counts) ** 0.25


def _float32_buffer(array):
    # Computed in float64 by numpy, stored in float32 (see the module docstring).
    return torch.as_tensor(array, dtype=torch.float32)


# --- Per-call checks: cheap, no tensor work on the happy path but one aminmax. ---


def _check_batch(logits, target, n_classes, owner):
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
    if target.ndim != 1:
        raise ValueError(
            "target must be 1-d, of shape (n_samples,), holding class indices, got "
            f"shape {tuple(target.shape)}; for one-hot targets pass "
            "target.argmax(dim=1)."
        )
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
    if target.device != logits.device:
        raise RuntimeError(
            f"logits are on {logits.device} but target is on {target.device}; put "
            "both on one device, e.g. target.to(logits.device)."
        )
    if logits.dtype not in _COMPUTE_DTYPES:
        # float16/bfloat16 (autocast, .half()): compute in float32.
        logits = logits.float()
    low, high = torch.aminmax(target)
    if low.item() < 0 or high.item() >= n_columns:
        outside = target[(target < 0) | (target >= n_columns)].unique()
        raise ValueError(
            f"target holds class indices {preview(outside.cpu().numpy())} outside "
            f"[0, {n_columns}) (logits have {n_columns} columns); targets must be "
            "class indices 0 ... n_classes - 1 (encode labels with "
            "sklearn.preprocessing.LabelEncoder)."
        )
    return logits, target


def _operand(value, name, logits, shape):
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
            _to_numpy(value, name), dtype=logits.dtype, device=logits.device
        )
    if tuple(tensor.shape) != shape:
        raise ValueError(
            f"{name} must have shape {shape} for logits of shape "
            f"{tuple(logits.shape)}, got shape {tuple(tensor.shape)}; pass one entry "
            "per class (per pair of classes for delta)."
        )
    return tensor


def _cast(tensor, dtype):
    return tensor if tensor.dtype == dtype else tensor.to(dtype)


def _finite(loss, logits, target, weight, reduction):
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


# --- The computations, on checked inputs (shared by modules and functions). ---


def _cross_entropy(z, logits, target, weight, reduction):
    weight = None if weight is None else _cast(weight, z.dtype)
    loss = F.cross_entropy(z, target, weight=weight, reduction=reduction)
    return _finite(loss, logits, target, weight, reduction)


def _logit_adjusted(logits, target, log_priors, tau, weight, reduction):
    # One fused broadcast add: f + tau * log(pi).
    z = (
        logits
        if tau == 0
        else torch.add(logits, _cast(log_priors, logits.dtype), alpha=tau)
    )
    return _cross_entropy(z, logits, target, weight, reduction)


def _pairwise(logits, target, delta, weight, reduction):
    # Gather the n_samples rows Delta[y_i, :] (never n x C x C), then cast: casting
    # delta first would copy all C x C entries at every call.
    rows = _cast(delta.index_select(0, target), logits.dtype)
    # Delta[y, y] is no margin: the y'=y term is the 1 in log(1 + ...), exp(0).
    rows.scatter_(1, target.unsqueeze(1), 0.0)
    # cross_entropy(f + D[y], y) = logsumexp(f + D[y]) - f_y, as D[y, y] = 0.
    return _cross_entropy(rows.add_(logits), logits, target, weight, reduction)


def _shifted_target_logit(logits, target, margins, scale, offsets=None):
    """``scale * f + offsets``, with ``scale * delta_y`` taken off each target logit."""
    z = logits * scale if offsets is None else torch.add(offsets, logits, alpha=scale)
    shift = _cast(margins.index_select(0, target), logits.dtype).mul_(-scale)
    return z.scatter_add_(1, target.unsqueeze(1), shift.unsqueeze(1))


def _ldam(logits, target, margins, scale, weight, reduction):
    z = _shifted_target_logit(logits, target, margins, scale)
    return _cross_entropy(z, logits, target, weight, reduction)


def _logit_adjusted_ldam(logits, target, log_priors, margins, tau, scale, weight, red):
    offsets = _cast(log_priors, logits.dtype) * tau
    z = _shifted_target_logit(logits, target, margins, scale, offsets)
    return _cross_entropy(z, logits, target, weight, red)


def _equalised(logits, target, log_weights, weight, reduction):
    index = target.unsqueeze(1)
    z = logits + _cast(log_weights, logits.dtype)
    # The positive class keeps its plain logit (Tan et al.'s factor 1 - y_k): copy it
    # back rather than subtracting the weight again, which would round.
    z.scatter_(1, index, logits.gather(1, index))
    return _cross_entropy(z, logits, target, weight, reduction)


# --- Modules. ---


class _ClassMarginLoss(torch.nn.Module):
    """Buffers, class weights, checks and ``state_dict`` rules shared by the losses."""

    def __init__(self, n_classes, class_weight, reduction):
        super().__init__()
        self.reduction = _check_reduction(reduction)
        self.n_classes = int(n_classes)
        weight = _check_class_weight(class_weight, self.n_classes)
        self.register_buffer(
            "class_weight",
            torch.empty(0, dtype=torch.float32)
            if weight is None
            else _float32_buffer(weight),
        )

    def set_class_weight(self, class_weight):
        r"""Set, replace or remove the class weights :math:`\alpha_y`.

        For deferred re-weighting (Cao et al., 2019): train unweighted, then switch
        weights on for the last epochs, e.g. with
        :func:`sklearn_lt.priors.class_balanced_weights`.

        Parameters
        ----------
        class_weight : array-like or tensor of shape (n_classes,), or None
            Non-negative finite weights, one per class, not all 0; ``None`` makes the
            loss unweighted. They are stored on the device and in the dtype of the
            loss's other buffers.

        Returns
        -------
        self : torch.nn.Module
            The loss.

        Examples
        --------
        >>> import torch
        >>> from sklearn_lt.losses import LogitAdjustedLoss
        >>> loss = LogitAdjustedLoss(priors=[0.9, 0.1])
        >>> loss.set_class_weight([1.0, 4.0]).class_weight
        tensor([1., 4.])
        >>> loss.set_class_weight(None).class_weight.shape
        torch.Size([0])
        """
        weight = _check_class_weight(class_weight, self.n_classes)
        current = self.class_weight
        self.class_weight = (
            current.new_empty(0)
            if weight is None
            else torch.as_tensor(weight, dtype=current.dtype, device=current.device)
        )
        return self

    def forward(self, logits, target):
        """Loss of a batch of logits for their target classes.

        Parameters
        ----------
        logits : torch.Tensor of shape (n_samples, n_classes)
            Raw scores :math:`f(x)`, on the device of the loss's buffers. float16 and
            bfloat16 logits are upcast: the loss is computed in float32 (in float64
            for float64 logits).

        target : torch.Tensor of shape (n_samples,)
            Class indices in ``[0, n_classes)``, int64 (other integer types are
            converted).

        Returns
        -------
        loss : torch.Tensor
            A float32 (float64) scalar, or of shape (n_samples,) with
            ``reduction="none"``.

        Raises
        ------
        ValueError
            If a shape does not fit, a target is outside ``[0, n_classes)``, or the
            loss is not finite (NaN or infinite logits); the message says which.
        RuntimeError
            If the logits, the targets and the loss's buffers are not on one device.
        """
        logits, target = _check_batch(logits, target, self.n_classes, self)
        # Buffers read from the dict: Module.__getattr__ costs per access, every step.
        buffers = self._buffers
        device = logits.device
        for name, buffer in buffers.items():
            if buffer.device != device:
                raise RuntimeError(
                    f"logits are on {device} but the loss's buffer {name!r} is on "
                    f"{buffer.device}; move the loss once with loss.to(logits.device)."
                )
        weight = buffers["class_weight"]
        return self._loss(logits, target, buffers, weight if weight.shape[0] else None)

    def _loss(self, logits, target, buffers, weight):
        """The loss of checked inputs (``weight`` is None when unweighted)."""
        raise NotImplementedError

    def _apply(self, fn, recurse=True):
        # Log-priors and margins rounded to float16/bfloat16 would shift every logit
        # (e.g. after model.half()): then keep the buffers' dtype, move their device.
        before = dict(self._buffers)
        super()._apply(fn, recurse)
        for name, old in before.items():
            new = self._buffers[name]
            if old is not None and new.is_floating_point() and new.itemsize < 4:
                self._buffers[name] = old.to(new.device)
        return self

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # An unweighted loss has an empty class_weight: resize it to the incoming one,
        # so weighted and unweighted states load into each other.
        incoming = state_dict.get(prefix + "class_weight")
        if (
            isinstance(incoming, torch.Tensor)
            and incoming.ndim == 1
            and incoming.shape[0] in (0, self.n_classes)
            and incoming.shape != self.class_weight.shape
        ):
            self.class_weight = self.class_weight.new_empty(incoming.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self):
        weighted = "weighted" if self.class_weight.shape[0] else "unweighted"
        return f"n_classes={self.n_classes}, {weighted}, reduction={self.reduction!r}"


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
        priors = _check_loss_priors(priors)
        super().__init__(priors.size, class_weight, reduction)
        self.tau = check_number(tau, "tau", low=0)
        self.register_buffer("log_priors", _float32_buffer(np.log(priors)))

    def _loss(self, logits, target, buffers, weight):
        return _logit_adjusted(
            logits, target, buffers["log_priors"], self.tau, weight, self.reduction
        )

    def extra_repr(self):
        return f"tau={self.tau}, " + super().extra_repr()


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
    \cdot C)` per call, plus the :math:`C \times C` buffer. The losses of this module
    are the special cases named in the module docstring, computed without the matrix.

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
        delta = _to_numpy(delta, "delta")
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
        super().__init__(delta.shape[0], class_weight, reduction)
        self.register_buffer("delta", _float32_buffer(delta))

    def _loss(self, logits, target, buffers, weight):
        return _pairwise(logits, target, buffers["delta"], weight, self.reduction)


class LDAMLoss(_ClassMarginLoss):
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

    _source = "from its class_counts"

    def __init__(
        self,
        class_counts,
        max_margin=0.5,
        scale=30.0,
        class_weight=None,
        reduction="mean",
    ):
        counts = _check_class_counts(class_counts)
        super().__init__(counts.size, class_weight, reduction)
        self.max_margin = check_number(max_margin, "max_margin", low=0)
        self.scale = check_number(scale, "scale", low=0, low_open=True)
        margins = _ldam_margins(counts, self.max_margin)
        self.register_buffer("margins", _float32_buffer(margins))

    def _loss(self, logits, target, buffers, weight):
        return _ldam(
            logits, target, buffers["margins"], self.scale, weight, self.reduction
        )

    def extra_repr(self):
        return (
            f"max_margin={self.max_margin}, scale={self.scale}, " + super().extra_repr()
        )


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
        counts = _check_class_counts(class_counts, allow_zero=True)
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
        self.register_buffer(
            "log_weights", _float32_buffer(np.log1p(-self.beta * rare))
        )

    def _loss(self, logits, target, buffers, weight):
        return _equalised(
            logits, target, buffers["log_weights"], weight, self.reduction
        )

    def extra_repr(self):
        return f"threshold={self.threshold}, beta={self.beta}, " + super().extra_repr()


class LogitAdjustedLDAMLoss(_ClassMarginLoss):
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
    with :math:`s \delta_y` taken off the true class's one. Here
    :math:`\pi_y = n_y / \sum_k n_k` and :math:`\delta_y = \delta_{\max} n_y^{-1/4} /
    \max_k n_k^{-1/4}`, as in :class:`LDAMLoss`.

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
    """

    _source = "from its class_counts"

    def __init__(
        self,
        class_counts,
        tau=1.0,
        max_margin=0.5,
        scale=1.0,
        class_weight=None,
        reduction="mean",
    ):
        counts = _check_class_counts(class_counts)
        super().__init__(counts.size, class_weight, reduction)
        self.tau = check_number(tau, "tau", low=0)
        self.max_margin = check_number(max_margin, "max_margin", low=0)
        self.scale = check_number(scale, "scale", low=0, low_open=True)
        log_priors = np.log(counts) - np.log(counts.sum())
        self.register_buffer("log_priors", _float32_buffer(log_priors))
        margins = _ldam_margins(counts, self.max_margin)
        self.register_buffer("margins", _float32_buffer(margins))

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
        return (
            f"tau={self.tau}, max_margin={self.max_margin}, scale={self.scale}, "
            + super().extra_repr()
        )


# --- Functions. ---


def _functional_prelude(logits, target, reduction, class_weight):
    _check_reduction(reduction)
    logits, target = _check_batch(logits, target, None, None)
    n_classes = logits.shape[1]
    if class_weight is not None:
        class_weight = _operand(class_weight, "class_weight", logits, (n_classes,))
    return logits, target, n_classes, class_weight


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
    logits, target, n_classes, class_weight = _functional_prelude(
        logits, target, reduction, class_weight
    )
    tau = check_number(tau, "tau", low=0)
    log_priors = _operand(log_priors, "log_priors", logits, (n_classes,))
    return _logit_adjusted(logits, target, log_priors, tau, class_weight, reduction)


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
    logits, target, n_classes, class_weight = _functional_prelude(
        logits, target, reduction, class_weight
    )
    delta = _operand(delta, "delta", logits, (n_classes, n_classes))
    return _pairwise(logits, target, delta, class_weight, reduction)


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
    logits, target, n_classes, class_weight = _functional_prelude(
        logits, target, reduction, class_weight
    )
    scale = check_number(scale, "scale", low=0, low_open=True)
    margins = _operand(margins, "margins", logits, (n_classes,))
    return _ldam(logits, target, margins, scale, class_weight, reduction)


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
    logits, target, n_classes, class_weight = _functional_prelude(
        logits, target, reduction, class_weight
    )
    log_weights = _operand(log_weights, "log_weights", logits, (n_classes,))
    return _equalised(logits, target, log_weights, class_weight, reduction)


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
    logits, target, n_classes, class_weight = _functional_prelude(
        logits, target, reduction, class_weight
    )
    tau = check_number(tau, "tau", low=0)
    scale = check_number(scale, "scale", low=0, low_open=True)
    log_priors = _operand(log_priors, "log_priors", logits, (n_classes,))
    margins = _operand(margins, "margins", logits, (n_classes,))
    return _logit_adjusted_ldam(
        logits, target, log_priors, margins, tau, scale, class_weight, reduction
    )
