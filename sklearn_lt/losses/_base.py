"""What every loss shares: the cross-entropy core and the module base.

Every loss of :mod:`sklearn_lt.losses` is the cross-entropy of shifted logits
:math:`z`: its function builds :math:`z` from the logits and its operands (log-priors,
margins, log-weights) and calls :func:`cross_entropy`; its module, a
:class:`_ClassMarginLoss`, validates its arguments once, keeps the operands as
buffers, checks each batch and calls the function's computation with its buffers.
"""

import torch
import torch.nn.functional as F

from ._checks import check_batch, check_class_weight, check_finite, check_reduction


def float32_buffer(array):
    # Computed in float64 by numpy, stored in float32 (see the package docstring).
    return torch.as_tensor(array, dtype=torch.float32)


def cast(tensor, dtype):
    return tensor if tensor.dtype == dtype else tensor.to(dtype)


def cross_entropy(z, logits, target, weight, reduction):
    """``F.cross_entropy`` of the shifted logits ``z``, checked for finiteness."""
    weight = None if weight is None else cast(weight, z.dtype)
    loss = F.cross_entropy(z, target, weight=weight, reduction=reduction)
    return check_finite(loss, logits, target, weight, reduction)


class _ClassMarginLoss(torch.nn.Module):
    """Buffers, class weights, checks and ``state_dict`` rules shared by the losses.

    A subclass registers its operands as float32 buffers in ``__init__``, names what
    it is built from in ``_source`` (for the error on a wrong number of columns) and
    computes the loss of checked inputs in ``_loss``.
    """

    def __init__(self, n_classes, class_weight, reduction):
        super().__init__()
        self.reduction = check_reduction(reduction)
        self.n_classes = int(n_classes)
        weight = check_class_weight(class_weight, self.n_classes)
        self.register_buffer(
            "class_weight",
            torch.empty(0, dtype=torch.float32)
            if weight is None
            else float32_buffer(weight),
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
        weight = check_class_weight(class_weight, self.n_classes)
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
        logits, target = check_batch(logits, target, self.n_classes, self)
        buffers, weight = self._buffers_on(logits.device, "logits are", "logits")
        return self._loss(logits, target, buffers, weight)

    def _buffers_on(self, device, subject, operand):
        """The buffers, checked to be on ``device``, and the class weight or None.

        ``subject`` and ``operand`` name the tensor on ``device`` in the error
        (``"logits are"``, ``"logits"``). The fused training step of
        ``LogitAdjustedNet`` reads the buffers through this too.
        """
        # Buffers read from the dict: Module.__getattr__ costs per access, every step.
        buffers = self._buffers
        for name, buffer in buffers.items():
            if buffer.device != device:
                raise RuntimeError(
                    f"{subject} on {device} but the loss's buffer {name!r} is on "
                    f"{buffer.device}; move the loss once with "
                    f"loss.to({operand}.device)."
                )
        weight = buffers["class_weight"]
        return buffers, weight if weight.shape[0] else None

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
