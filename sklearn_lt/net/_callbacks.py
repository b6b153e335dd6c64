"""Deferred re-weighting (Cao et al., 2019) as a skorch callback."""

from numbers import Integral, Real

from skorch.callbacks import Callback

from .._compat import validate_parameter_constraints
from .._validation import Number
from ..priors import class_balanced_weights


class DeferredReweighting(Callback):
    r"""Deferred re-weighting (DRW): class-balanced loss weights after ``epoch`` epochs.

    The net trains ``epoch`` epochs with an unweighted loss, then with the
    class-balanced weights of Cui et al. (2019),

    .. math::

        w_y \propto \frac{1 - \beta}{1 - \beta^{n_y}},

    (see :func:`sklearn_lt.priors.class_balanced_weights`) computed from the
    net's ``class_counts_``: the "deferred re-weighting" schedule of Cao et al.
    (2019), "Learning Imbalanced Datasets with Label-Distribution-Aware Margin
    Loss", the "Adaptive + DRW" row of Menon et al. (2021)'s table with
    ``LogitAdjustedNet(loss="ldam")``.

    Parameters
    ----------
    epoch : int
        Epochs trained unweighted. The weights are switched on at the start of
        each epoch once the net's history holds more than ``epoch`` epochs, before
        the callbacks listed after this one run. Epochs are counted over skorch's
        whole history, so a warm start (``warm_start=True`` or ``partial_fit``)
        past ``epoch`` trains weighted from its first epoch.

    beta : float, default=0.9999
        :math:`\beta \in [0, 1)` of the class-balanced weights.

    Notes
    -----
    The net must have ``class_counts_`` (:class:`LogitAdjustedNet` sets them at
    ``fit``) and a criterion with a ``set_class_weight`` method (every loss of
    :mod:`sklearn_lt.losses` has one). A criterion built anew (a refit on other
    labels, changed loss parameters) starts unweighted, and gets the weights of
    the current ``class_counts_`` at its first epoch past ``epoch``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_lt.net import DeferredReweighting, LogitAdjustedNet, MLPModule
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> net = LogitAdjustedNet(
    ...     MLPModule,
    ...     loss="ldam",
    ...     max_epochs=4,
    ...     callbacks=[("drw", DeferredReweighting(2))],
    ...     verbose=0,
    ... )
    >>> net = net.fit(X.astype(np.float32), y)
    >>> net.criterion_.class_weight.numel()  # switched on for epochs 3 and 4
    2
    """

    _parameter_constraints = {
        "epoch": [Number(Integral, 0, None, closed="left")],
        "beta": [Number(Real, 0, 1, closed="left")],
    }

    def __init__(self, epoch, beta=0.9999):
        self.epoch = epoch
        self.beta = beta

    def _schedule(self, net):
        """``(epoch, beta)`` for this net; ``epoch=None`` switches nothing on."""
        return self.epoch, self.beta

    def initialize(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {name: getattr(self, name) for name in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        self._weighted = None  # the criterion whose weights this callback set
        return self

    def on_train_begin(self, net, **kwargs):
        if self._schedule(net)[0] is None:
            return
        # Refuse a net this cannot re-weight before any training, not at `epoch`.
        if getattr(net, "class_counts_", None) is None:
            raise TypeError(
                f"DeferredReweighting computes the weights from net.class_counts_, "
                f"which {type(net).__name__} does not set; use it with "
                "sklearn_lt.net.LogitAdjustedNet."
            )
        if not hasattr(net.criterion_, "set_class_weight"):
            raise TypeError(
                "DeferredReweighting switches the weights on with "
                f"criterion_.set_class_weight(weights), which "
                f"{type(net.criterion_).__name__} does not have; use a loss of "
                "sklearn_lt.losses, or give yours a set_class_weight method."
            )

    def on_epoch_begin(self, net, **kwargs):
        epoch, beta = self._schedule(net)
        criterion = net.criterion_
        if epoch is None or len(net.history) <= epoch or criterion is self._weighted:
            return
        criterion.set_class_weight(class_balanced_weights(net.class_counts_, beta))
        self._weighted = criterion


class _DrwEpoch(DeferredReweighting):
    """The deprecated ``drw_epoch`` parameter of ``LogitAdjustedNet``.

    Installed on every net, it reads the net's ``drw_epoch`` and ``cb_beta`` at
    each epoch (the net validates them), so that they act at the next fit as the
    other loss parameters do; it does nothing while ``drw_epoch`` is None.
    """

    def __init__(self):
        super().__init__(epoch=None)

    def _schedule(self, net):
        return net.drw_epoch, net.cb_beta

    def initialize(self):
        self._weighted = None
        return self
