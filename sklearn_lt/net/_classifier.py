"""``LogitAdjustedNet``: a skorch classifier trained with a long-tail loss."""

import inspect
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import log_softmax
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy, to_tensor

from .._compat import InvalidParameterError, validate_parameter_constraints
from .._doc_link import DocLinkMixin
from .._posthoc import (
    _check_finite_adjustment,
    _check_targets,
    _prior_shift,
    _resolve_priors,
)
from .._validation import Number, label_indices, preview, unpredictable_rows
from ..losses import (
    EqualisedLoss,
    LDAMLoss,
    LogitAdjustedLDAMLoss,
    LogitAdjustedLoss,
)
from ..losses._fused import module_linear_loss
from ..metrics import balanced_error
from ..priors import check_priors, class_balanced_weights
from ._callbacks import _DrwEpoch
from ._fused_head import (
    HeadCall,
    captured_head,
    check_head_call,
    fused_head_reason,
    head_layer,
)
from ._modules import MLPModule, has_normed_head
from ._resnet import CifarResNet
from ._weight_norm import class_weight_layer, normalised_weights

__all__ = ["LOSSES", "LogitAdjustedNet"]

#: Loss names accepted by ``LogitAdjustedNet(loss=...)``, with the rows of the
#: seed paper's table they reproduce.
LOSSES = (
    "logit_adjusted",  # logit adjustment loss (Menon et al., 2021)
    "cross_entropy",  # ERM; with posthoc_tau or weight normalisation: post-hoc rows
    "class_balanced",  # Cui et al. (2019), effective-number weights from the start
    "ldam",  # adaptive margin (Cao et al., 2019); DeferredReweighting: "+ DRW"
    "equalised",  # Tan et al. (2020)
    "logit_adjusted_ldam",  # logit adjustment plus adaptive margin
)


# The loss class behind each name: cross_entropy and class_balanced are the
# logit-adjusted loss with tau=0 (the latter with class-balanced weights).
_LOSS_CLASSES = {
    "logit_adjusted": LogitAdjustedLoss,
    "cross_entropy": LogitAdjustedLoss,
    "class_balanced": LogitAdjustedLoss,
    "ldam": LDAMLoss,
    "equalised": EqualisedLoss,
    "logit_adjusted_ldam": LogitAdjustedLDAMLoss,
}
# The library's modules, whose `head` the net sets to "normed" for LDAM.
_HEADED_MODULES = (MLPModule, CifarResNet)

# The training defaults, chosen for long-tailed tabular and image-feature data and
# measured in benchmarks/bench_net_defaults.py (see the class docstring). skorch's
# own (SGD, lr 0.01, 10 epochs, a 20% validation split) leave such a net far from
# trained: balanced error 86% on digits-LT against 20% with these.
_DEFAULT_OPTIMIZER = torch.optim.AdamW
_DEFAULT_LR = 1e-3
_DEFAULT_MAX_EPOCHS = 100
_DEFAULT_BATCH_SIZE = 128


# The net's own numeric parameters, checked by scikit-learn's validation (skorch's
# NeuralNet keeps no _parameter_constraints): the same messages as the adjusters'.
_NUMBER_CONSTRAINTS = {
    "tau": [Number(Real, 0, None, closed="left")],
    "posthoc_tau": [Number(Real, 0, None, closed="left")],
    "weight_norm_tau": [Number(Real, 0, None, closed="left")],
    "weight_norm_layer": [None, str],
    "fused_head": [None, str],
    "drw_epoch": [None, Number(Integral, 0, None, closed="left")],
    "cb_beta": [Number(Real, 0, 1, closed="left")],
    "random_state": [None, Number(Integral, None, None, closed="neither")],
}
# Those that act when predicting, checked at every prediction.
_PREDICT_PARAMS = ("posthoc_tau", "weight_norm_tau", "weight_norm_layer")


def _encoded_balanced_error(net, X, y):
    """Balanced error on the encoded validation labels, for the epoch history."""
    return balanced_error(to_numpy(y), net._predict_codes(X))


def _encoded_accuracy(net, X, y):
    return float(np.mean(to_numpy(y) == net._predict_codes(X)))


class LogitAdjustedNet(DocLinkMixin, NeuralNetClassifier):
    r"""A skorch neural-net classifier trained with a long-tail loss.

    The class priors :math:`\pi` and counts come from ``y`` at ``fit``; the loss
    is built from them on the net's ``device``. With the default
    ``loss="logit_adjusted"`` the net minimises softmax cross-entropy on
    :math:`f_y(x) + \tau \log \pi_y` and predicts :math:`\operatorname{argmax}_y
    f_y(x)`: the logit-adjusted loss of Menon et al. (2021), "Long-tail learning
    via logit adjustment". The other losses and the post-hoc options give every
    method row of that paper's table:

    ======================================  =======================================
    row of the table                        parameters
    ======================================  =======================================
    ERM                                     ``loss="cross_entropy"``
    Weight normalisation (tau = 1 / tuned)  ``loss="cross_entropy"``,
                                            ``weight_norm_layer="classifier"``,
                                            ``weight_norm_tau=1.0`` (or tuned); the
                                            same as :func:`weight_normalised`
    Class-balanced                          ``loss="class_balanced"``
    Adaptive (LDAM)                         ``loss="ldam"``; :class:`MLPModule`
                                            and :class:`CifarResNet` then get a
                                            :class:`NormedLinear` head (see Notes)
    Adaptive + DRW                          ``loss="ldam"``, with a
                                            :class:`DeferredReweighting` callback
    Equalised                               ``loss="equalised"``
    Logit adjustment post-hoc               ``loss="cross_entropy"``,
                                            ``posthoc_tau=1.0``; the same as
                                            :class:`~sklearn_lt.LogitAdjustedClassifier`
                                            around ``FrozenEstimator(net)``
    Logit adjustment loss                   ``loss="logit_adjusted"``
    Logit adjustment plus adaptive          ``loss="logit_adjusted_ldam"``
    ======================================  =======================================

    Parameters
    ----------
    module : torch module class or instance
        Maps a batch of inputs to logits of shape ``(batch, n_classes)``. A module
        class whose ``__init__`` takes ``n_features`` or ``n_classes`` gets them
        from the data, unless given as ``module__n_features=...``; see
        :class:`MLPModule` and :class:`CifarResNet`.

    loss : str or torch module class, default="logit_adjusted"
        One of ``"logit_adjusted"``, ``"cross_entropy"``, ``"class_balanced"``,
        ``"ldam"``, ``"equalised"``, ``"logit_adjusted_ldam"``, or a loss class
        taking ``(logits, target)``. A class is built with whichever of
        ``priors``, ``class_counts`` and ``tau`` its ``__init__`` takes, plus the
        ``criterion__*`` parameters; so are the named losses (e.g.
        ``criterion__max_margin=0.3`` for LDAM). LDAM's ``scale=30`` assumes
        cosine logits: see Notes.

    tau : float, default=1.0
        Scale of the logit adjustment inside the logit-adjusted losses.

    priors : "train", array-like of shape (n_classes,) or dict, default="train"
        Class priors, as in :class:`sklearn_lt.LogitAdjustedClassifier`.

    posthoc_tau : float, default=0.0
        Post-hoc adjustment at prediction time: predictions use
        :math:`f_y(x) - \text{posthoc\_tau} \cdot \log \pi_y`. ``1.0`` on a
        cross-entropy net is the paper's "logit adjustment post-hoc" row. The
        adjustment is :class:`~sklearn_lt.LogitAdjustedClassifier`'s, by the same
        code: ``LogitAdjustedClassifier(FrozenEstimator(net), tau=t,
        priors=net.priors_)`` around the net with ``posthoc_tau=0`` predicts
        as the net with ``posthoc_tau=t``.

    drw_epoch : int or None, default=None
        Deferred re-weighting (Cao et al., 2019): train this many epochs
        unweighted, then switch class-balanced weights (``cb_beta``) on in the
        loss.

        .. deprecated:: 0.1
            ``drw_epoch`` will be removed in 0.3; pass
            ``callbacks=[("drw", DeferredReweighting(k, beta=cb_beta))]``
            instead (:class:`DeferredReweighting`), which this parameter now
            installs.

    cb_beta : float, default=0.9999
        ``beta`` of the class-balanced weights (Cui et al., 2019) used by
        ``loss="class_balanced"`` and by ``drw_epoch``.

    weight_norm_layer : str or None, default=None
        Name of the final linear layer (as in ``module_.get_submodule``) whose
        class weight vectors are normalised post hoc,
        :math:`w_y / \lVert w_y \rVert^{\tau}` (Kang et al., 2020), when
        predicting; its bias is dropped, as in Kang et al.'s reference code.
        Predictions and the validation loss are computed inside
        :func:`weight_normalised`.

    weight_norm_tau : float, default=1.0
        The :math:`\tau` of weight normalisation.

    fused_head : str or None, default=None
        Name of the module's last layer (as in ``module_.get_submodule``), a
        ``torch.nn.Linear`` or :class:`NormedLinear` whose output is the
        module's output, to fuse with the training loss: each training step
        then computes the loss with :func:`torch.nn.functional.linear_cross_entropy`
        from the layer's input, its weight and its bias plus
        :math:`\tau \log \pi` (:func:`~sklearn_lt.losses.linear_logit_adjusted_loss`),
        without forming the logits. The loss and every gradient are the
        unfused loss's (see Notes). Where the loss cannot be fused (LDAM, the
        equalised or pairwise losses, another layer type, ``compile=True``, a
        callback that scores the training batches' logits) the net trains with
        the unfused loss and warns why. ``None`` (the default) trains unfused.

    fused_options : torch.nn.LinearCrossEntropyOptions or None, default=None
        ``linear_cross_entropy``'s ``options`` for the fused step. ``None``
        computes the logits inside the fused op, whole;
        ``torch.nn.LinearCrossEntropyOptions()`` processes the batch in chunks,
        so the ``N x C`` logits never exist at once (for memory at thousands of
        classes; slower on a CPU).

    random_state : int or None, default=None
        Seed of torch's random number generator during ``fit`` (weight
        initialisation, batch shuffling, dropout), for reproducible training. The
        generator is forked, so the caller's torch random state is left as it was.
        ``None`` uses torch's global generator as it is.

    criterion : ignored
        The criterion is built from ``loss``; its parameters are still passed as
        ``criterion__name=value``.

    optimizer : torch optimizer class, default=torch.optim.AdamW
        As in skorch; its parameters go as ``optimizer__name=value`` (AdamW's
        own defaults otherwise: ``weight_decay=0.01``). skorch's default is
        ``torch.optim.SGD``.

    lr : float, default=1e-3
        Learning rate (skorch: 0.01, meant for SGD). 1e-3 is the usual Adam
        rate, torch's and scikit-learn's ``MLPClassifier``'s default.

    max_epochs : int, default=100
        Passes over the training set (skorch: 10).

    batch_size : int, default=128
        As in skorch (also 128 there); -1 trains on the whole set at once.

    train_split : callable or None, default=None
        As in skorch, whose default holds out a stratified 20% of ``y`` to score
        each epoch (``valid_loss``, ``valid_acc``, ``valid_bal_err``). Off by
        default here: on long-tailed data that hold-out takes a fifth of the
        rarest classes' few examples away from training (and scikit-learn warns
        when a class has fewer than 5). Pass
        ``train_split=skorch.dataset.ValidSplit(5, stratified=True)`` for
        skorch's behaviour, e.g. with an ``EarlyStopping`` callback.

    classes, **kwargs
        As in :class:`skorch.NeuralNetClassifier` (callbacks, device, verbose,
        ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (any labels, strings too), in the order of the logits.

    priors_ : ndarray of shape (n_classes,)
        Class priors, aligned with ``classes_``.

    class_counts_ : ndarray of shape (n_classes,)
        Training examples of each class.

    n_features_in_ : int
        Number of features of ``X`` (for array inputs).

    fused_ : bool
        Whether the last ``fit`` or ``partial_fit`` trained through the fused
        head (False when ``fused_head`` is None or the net fell back to the
        unfused loss).

    Notes
    -----
    ``predict_proba`` returns :math:`\operatorname{softmax}(f(x) -
    \text{posthoc\_tau} \log \pi)`. What it estimates depends on training:
    for a cross-entropy net with ``posthoc_tau=0`` it is the posterior under the
    *training* class distribution; for a net trained with the logit-adjusted
    loss (``tau=1``), or a cross-entropy net with ``posthoc_tau=1``, it is the
    posterior under *balanced* (uniform) priors. To go from one to the other,
    multiply by :math:`\pi_y` (balanced to training) or divide by it (training
    to balanced) and renormalise: in log space add or subtract ``log(priors_)``.

    ``posthoc_tau``, ``weight_norm_tau`` and ``weight_norm_layer`` act when
    predicting: set after ``fit``, they change the next prediction, and they are
    checked then as in ``fit``. The other parameters (``loss``, ``tau``,
    ``priors``, ``cb_beta``, ``module``, ``classes``, ...) act at
    the next ``fit``; ``classes_``, ``priors_`` and ``class_counts_`` always
    describe the fit that predictions come from. Every ``fit`` recomputes them
    from ``y``, and the loss from them. With ``warm_start=True`` it keeps the
    trained module (a new one if ``module`` was re-set), so ``y`` must have the
    classes and ``X`` the features that module was built for.

    **LDAM and the normalised head.** :class:`~sklearn_lt.losses.LDAMLoss`
    multiplies the logits by ``scale=30``, a value meant for cosine logits in
    [-1, 1] (Cao et al., 2019, use a :class:`NormedLinear` last layer with it).
    So with ``loss="ldam"`` (or an ``LDAMLoss`` subclass) and neither
    ``module__head`` nor ``criterion__scale`` given, a :class:`MLPModule` or
    :class:`CifarResNet` module class is built with ``head="normed"``. Pass
    ``module__head="linear"`` with ``criterion__scale=1.0`` for LDAM on plain
    linear logits. A module of your own that has no :class:`NormedLinear` layer
    gets a ``UserWarning`` when the LDAM loss is built with its default scale:
    give it a :class:`NormedLinear` last layer, or pass ``criterion__scale``
    (1.0 for unnormalised logits), which silences the warning.

    **The fused head.** With a linear last layer :math:`f(x) = W h(x) + b`, the
    logit-adjusted loss is the cross-entropy of :math:`W h(x) + (b + \tau \log
    \pi)`, a shift of the bias (Menon et al., 2021), so ``fused_head`` computes
    it at the cost of plain cross-entropy: the adjustment adds ``C`` numbers to
    the bias instead of ``N x C`` to the logits. A head without a bias
    (:class:`NormedLinear`, ``Linear(bias=False)``) gets the offset as its
    bias; it is never dropped. Class weights (``loss="class_balanced"``,
    :class:`DeferredReweighting`) go to the fused op's ``weight``. Validation
    and prediction use the module's own forward, so predictions do not change.
    In a fused step the head's forward is replaced, for that step, by one that
    records its operands: forward hooks on the head see a zero output, and the
    step's ``y_pred`` (what ``on_batch_end`` callbacks get) is that record, not
    logits.

    **The training defaults** (``optimizer``, ``lr``, ``max_epochs``,
    ``batch_size``, ``train_split``) are meant to be left alone on small and
    medium tabular or image-feature problems with a module such as
    :class:`MLPModule`; every one can be overridden as in skorch. Measured by
    ``benchmarks/bench_net_defaults.py`` (balanced test error, mean of 5 seeds,
    the default logit-adjusted loss, ``MLPModule`` with 64 hidden units):
    skorch's defaults (SGD, lr 0.01, 10 epochs, a 20% validation split) reach
    86% on digits-LT (10 classes, imbalance ratio 100), 97% on gaussians-100-LT
    (100 classes, 10,847 examples) and 78% on the carriers of nycflights13 (16
    classes, 20,459 flights); these defaults reach 20%, 60% and 19%, level with
    or better than the SGD settings tuned for the method table (18%, 61%, 23%).
    :ref:`results-net-defaults` has the table, with each default changed alone.
    Features should be standardised (as for any gradient-trained model), and a
    large module (e.g. :class:`CifarResNet` on images) wants the settings of its
    own recipe (``benchmarks/cifar_lt.py``).

    Float32 arithmetic makes a row's probabilities depend on the other rows of its
    batch by a few float32 roundings (about 1e-6 relative): the kernels sum in an
    order that depends on the batch size.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_lt.net import LogitAdjustedNet, MLPModule
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> net = LogitAdjustedNet(MLPModule, max_epochs=5, verbose=0)
    >>> net = net.fit(X.astype(np.float32), y)
    >>> net.priors_.round(2)
    array([0.9, 0.1])
    >>> net.predict(X[:3].astype(np.float32)).shape
    (3,)
    """

    # Documented (docs/api.rst) in sklearn_lt.net; its HTML repr links there.
    _doc_link_public_module = "sklearn_lt.net"

    def __init__(
        self,
        module,
        *args,
        loss="logit_adjusted",
        tau=1.0,
        priors="train",
        posthoc_tau=0.0,
        drw_epoch=None,
        cb_beta=0.9999,
        weight_norm_layer=None,
        weight_norm_tau=1.0,
        fused_head=None,
        fused_options=None,
        random_state=None,
        criterion=None,
        optimizer=_DEFAULT_OPTIMIZER,
        lr=_DEFAULT_LR,
        max_epochs=_DEFAULT_MAX_EPOCHS,
        batch_size=_DEFAULT_BATCH_SIZE,
        train_split=None,
        classes=None,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            **kwargs,
        )
        self.loss = loss
        self.tau = tau
        self.priors = priors
        self.posthoc_tau = posthoc_tau
        self.drw_epoch = drw_epoch
        self.cb_beta = cb_beta
        self.weight_norm_layer = weight_norm_layer
        self.weight_norm_tau = weight_norm_tau
        self.fused_head = fused_head
        self.fused_options = fused_options
        self.random_state = random_state

    # -- checks ---------------------------------------------------------------

    def _check_predict_params(self):
        """Check the parameters that act when predicting; run at every prediction.

        The same checks and messages as in ``fit``, so that ``set_params`` after
        ``fit`` cannot make ``predict`` return an answer computed from a bad value.
        """
        self._validate(_PREDICT_PARAMS)

    def _validate(self, names):
        validate_parameter_constraints(
            {name: _NUMBER_CONSTRAINTS[name] for name in names},
            {name: getattr(self, name) for name in names},
            caller_name=type(self).__name__,
        )

    def _check_params(self):
        """Check every parameter; run at the start of ``fit`` and ``partial_fit``."""
        self._validate(tuple(_NUMBER_CONSTRAINTS))
        if isinstance(self.loss, str):
            if self.loss not in LOSSES:
                raise InvalidParameterError(
                    f"The 'loss' parameter of LogitAdjustedNet must be one of "
                    f"{list(LOSSES)} or a torch loss class. Got {self.loss!r} instead."
                )
        elif not (
            isinstance(self.loss, type) and issubclass(self.loss, torch.nn.Module)
        ):
            raise InvalidParameterError(
                "The 'loss' parameter of LogitAdjustedNet must be a loss name or a "
                f"torch.nn.Module subclass. Got {self.loss!r} instead."
            )
        options = getattr(torch.nn, "LinearCrossEntropyOptions", None)
        if self.fused_options is not None and not (
            options is not None and isinstance(self.fused_options, options)
        ):
            raise InvalidParameterError(
                "The 'fused_options' parameter of LogitAdjustedNet must be None or a "
                f"torch.nn.LinearCrossEntropyOptions. Got {self.fused_options!r} "
                "instead; pass torch.nn.LinearCrossEntropyOptions() to chunk the "
                "fused loss, or None."
            )
        if self.criterion is not None:
            raise InvalidParameterError(
                "The 'criterion' parameter of LogitAdjustedNet must be None: the net "
                f"builds its criterion from `loss`. Got {self.criterion!r} instead; "
                "pass the loss class as loss=... (its criterion__* parameters still "
                "reach it)."
            )
        if self.drw_epoch is not None:
            if self.callbacks == "disable":
                raise InvalidParameterError(
                    "drw_epoch works through a callback, but callbacks='disable' "
                    f"turns every callback off (got drw_epoch={self.drw_epoch!r}); "
                    "set drw_epoch=None, or enable the callbacks."
                )
            warnings.warn(
                "drw_epoch is deprecated and will be removed in 0.3; pass "
                f'callbacks=[("drw", DeferredReweighting({self.drw_epoch}, '
                f"beta={self.cb_beta!r}))] instead (from sklearn_lt.net), with "
                "drw_epoch=None.",
                FutureWarning,
                stacklevel=4,  # the caller of fit or partial_fit
            )

    def _prepare_X(self, X):
        """Array-likes become checked float32 arrays; tensors, dicts, datasets pass.

        Returns ``X`` and its number of features (``None`` when it is not an array).
        """
        if hasattr(X, "tocsr"):
            raise TypeError(
                "LogitAdjustedNet does not take sparse X (got "
                f"{type(X).__name__}); convert it with X.toarray() or use a "
                "skorch Dataset that densifies each batch."
            )
        if isinstance(X, (torch.Tensor, torch.utils.data.Dataset, dict)):
            return X, None
        X = check_array(X, dtype=np.float32, input_name="X")
        return X, X.shape[1]

    def _check_n_features(self, n_features):
        expected = getattr(self, "n_features_in_", None)
        if n_features is not None and expected is not None and n_features != expected:
            raise ValueError(
                f"X has {n_features} features, but LogitAdjustedNet is expecting "
                f"{expected} features as input; pass X with the {expected} feature "
                "columns the net was fitted on."
            )

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y, **fit_params):
        """Estimate the class priors from ``y``, build the loss, and train.

        Every call recomputes what depends on ``y``: ``classes_``, ``priors_``,
        ``class_counts_``, the loss built from them and the deferred re-weighting.
        With ``warm_start=True`` the trained module is kept and trained further;
        ``y`` must then have the classes it was trained for (a ``ValueError``
        before any training says so otherwise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), tensor or Dataset
            Training inputs. Arrays and data frames are converted to float32.

        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        **fit_params : dict
            Passed to :meth:`skorch.NeuralNet.fit`.

        Returns
        -------
        self : LogitAdjustedNet
            The trained net.
        """
        keep = bool(self.warm_start and self.initialized_)
        X, codes = self._prepare_fit(X, y, keep=keep, caller="fit")
        with self._seeded(), self._unfitted_on_error():
            if keep:
                self._refresh()
            else:
                self.initialize()
            self._warn_ldam_on_unnormalised_logits()
            self._plan_fused_head()
            # NeuralNet.fit, without going through our partial_fit (y is encoded).
            NeuralNetClassifier.partial_fit(
                self, X, codes, _routing_method="fit", **fit_params
            )
        return self

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs; the first call sets the classes.

        As in skorch, each call trains ``max_epochs`` epochs (100 by default);
        pass ``epochs=1`` for one pass over the batch, as scikit-learn's
        ``partial_fit`` does.

        The first call (on a net not yet fitted) sets ``classes_``, ``priors_`` and
        ``class_counts_`` from ``y``; later calls keep them, so their labels must
        be among ``classes_``. Loss parameters changed between calls (``loss``,
        ``tau``, ``cb_beta``, ``drw_epoch``) act at the next call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), tensor or Dataset
            Training inputs.

        y : array-like of shape (n_samples,)
            Class labels, among the classes of the first call (or ``classes``).

        classes : array-like, default=None
            All the classes, for a first call whose ``y`` does not show them all
            (a class absent from ``y`` then needs explicit ``priors``); on later
            calls it must equal ``classes_``. Same as the constructor's ``classes``.

        **fit_params : dict
            Passed to :meth:`skorch.NeuralNet.partial_fit`; ``epochs=k`` trains
            ``k`` epochs in place of ``max_epochs``.

        Returns
        -------
        self : LogitAdjustedNet
            The trained net.
        """
        if self.initialized_ and hasattr(self, "fit_classes_"):
            X, codes = self._prepare_more(X, y, classes)
        else:
            X, codes = self._prepare_fit(
                X, y, keep=self.initialized_, caller="partial_fit", classes=classes
            )
        with self._seeded(), self._unfitted_on_error():
            if self.initialized_:
                self._refresh()
            else:
                self.initialize()
            self._warn_ldam_on_unnormalised_logits()
            self._plan_fused_head()
            NeuralNetClassifier.partial_fit(self, X, codes, **fit_params)
        return self

    def _prepare_fit(self, X, y, *, keep, caller, classes=None):
        """Check everything, then set classes, priors and counts; encode ``y``.

        Nothing is set before every check has passed, so a refused call leaves the
        net as it was.
        """
        self._check_params()
        X, n_features = self._prepare_X(X)
        labels = _check_targets(y)
        classes = self._classes_for(labels, classes)
        # Both raise on unknown labels, priors of the wrong length, a missing class.
        priors = _resolve_priors(self.priors, labels, classes, None)
        codes = label_indices(labels, classes)
        if keep and self._module_is_current():
            self._check_kept_module(labels, classes, n_features, caller)
        self.fit_classes_ = classes
        self.priors_ = priors
        self.class_counts_ = np.bincount(codes, minlength=classes.size)
        if n_features is not None:
            self.n_features_in_ = n_features
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_  # not an array: its width is unknown
        return X, codes.astype(np.int64)

    def _classes_for(self, labels, classes):
        """The classes of a first fit: ``classes`` given, the constructor's, or y's."""
        if classes is not None:
            classes = np.asarray(classes)
            if self.classes is not None and not np.array_equal(
                classes, np.asarray(self.classes)
            ):
                raise ValueError(
                    f"partial_fit got classes={preview(classes)}, but the net was "
                    f"constructed with classes={preview(self.classes)}; pass the "
                    "same classes to both, or to only one of them."
                )
        elif self.classes is not None:
            classes = np.asarray(self.classes)
        else:
            return np.unique(labels)
        if classes.ndim != 1 or np.unique(classes).size != classes.size:
            raise ValueError(
                f"classes must list each class once; got {preview(classes)}."
            )
        return classes

    def _check_kept_module(self, labels, classes, n_features, caller):
        """Refuse, before training, data that the kept trained module cannot take."""
        keeps = (
            "warm_start=True keeps the trained module"
            if caller == "fit"
            else "partial_fit keeps the initialized module"
        )
        fix_new = (
            "set warm_start=False to train a new module"
            if caller == "fit"
            else "call fit to train a new module"
        )
        built = getattr(self, "_module_classes", None)
        if built is not None and not np.array_equal(built, classes):
            known = set(built.tolist())
            new = [c for c in np.unique(labels).tolist() if c not in known]
            gone = [c for c in built.tolist() if c not in set(classes.tolist())]
            details = []
            if new:
                details.append(f"y has labels {preview(new)} it has no output for")
            if gone:
                details.append(f"y has no example of the classes {preview(gone)}")
            if not details:
                details.append("y has the same classes in another order")
            raise ValueError(
                f"{keeps}, whose {built.size} outputs are for the classes "
                f"{preview(built)}, but {'; '.join(details)} (the classes of this "
                f"{caller} are {preview(classes)}). Expected y with the classes "
                f"{preview(built)}. Fit on labels of those classes; or fix the "
                "classes up front with LogitAdjustedNet(classes=[...]), and "
                "explicit priors=... when a class is missing from y; or "
                f"{fix_new} for the new classes."
            )
        expected = getattr(self, "_module_n_features", None)
        if n_features is not None and expected is not None and n_features != expected:
            raise ValueError(
                f"X has {n_features} features, but {keeps}, which was built for "
                f"{expected} features. Pass X with those {expected} feature columns, "
                f"or {fix_new}."
            )

    def _prepare_more(self, X, y, classes):
        """Check a later ``partial_fit`` call against the classes of the first."""
        self._check_params()
        X, n_features = self._prepare_X(X)
        self._check_n_features(n_features)
        labels = _check_targets(y)
        fixed = self.fit_classes_
        if classes is not None and not np.array_equal(np.asarray(classes), fixed):
            raise ValueError(
                f"partial_fit got classes={preview(np.asarray(classes))}, but the "
                f"net's classes, set by its first fit or partial_fit, are "
                f"{preview(fixed)}; pass classes=None or those classes, or call "
                "fit to train a new net for other classes."
            )
        known = set(fixed.tolist())
        new = [c for c in np.unique(labels).tolist() if c not in known]
        if new:
            raise ValueError(
                f"partial_fit got labels {preview(new)} that the net has no output "
                f"for: its classes, set by its first fit or partial_fit, are "
                f"{preview(fixed)}. Pass labels among those classes; to learn more "
                "classes, name them all before the first call, with "
                "LogitAdjustedNet(classes=[...]) or partial_fit(X, y, classes=[...]), "
                "or call fit (warm_start=False) to train a new net."
            )
        return X, label_indices(labels, fixed).astype(np.int64)

    @contextmanager
    def _unfitted_on_error(self):
        """A fit that fails once the checks have passed leaves the net unfitted.

        Otherwise a failure after a new module is built (a bad weight_norm_layer,
        say) or during training would leave an untrained or half-trained module
        behind a net that predicts. skorch stops training on KeyboardInterrupt
        (EarlyStopping raises it) and keeps the model: that is not an error here.
        """
        try:
            yield
        except Exception:
            self.initialized_ = False
            raise

    def set_params(self, **params):
        """Set parameters; on a fitted net, module parameters act at the next fit.

        skorch builds a new, untrained module at once when ``module`` or a
        ``module__*`` parameter is set on an initialized net, so predictions would
        come from an untrained module until the next fit. Here they act at the
        next ``fit`` or ``partial_fit``, like the other fit parameters, and
        predictions keep using the trained module.

        Parameters
        ----------
        **params : dict
            Parameters, as in :meth:`skorch.NeuralNet.set_params`.

        Returns
        -------
        self : LogitAdjustedNet
            The net.
        """
        deferred = {
            key: value
            for key, value in params.items()
            if key.split("__", 1)[0] in self._modules
        }
        if not (deferred and self.initialized_):
            return super().set_params(**params)
        super().set_params(
            **{key: value for key, value in params.items() if key not in deferred}
        )
        self.initialized_ = False  # so that skorch only stores them
        try:
            super().set_params(**deferred)
        finally:
            self.initialized_ = True
        self._module_stale = True
        return self

    def _module_is_current(self):
        """Whether module_ was built from the module parameters as they are now."""
        built_from = getattr(self, "_module_built_from", (self.module,))
        return (
            not getattr(self, "_module_stale", False) and self.module is built_from[0]
        )

    def _refresh(self):
        """Bring a kept net up to date with its parameters and priors before training.

        Changed module parameters act now: a new module, criterion and optimizer
        are built. Otherwise the criterion is rebuilt when what it was
        built from changed (the loss parameters, ``priors_``, ``class_counts_``),
        with skorch's own initializers, and the optimizer too if the criterion has
        learnable parameters (as skorch does after ``criterion__*`` changes).
        """
        if not self._module_is_current():
            self._validate_params()  # skorch's check of the module__* names
            self._initialize_module(
                reason="Re-initializing module because its parameters were re-set."
            )
            self._initialize_criterion(reason="Re-initializing criterion.")
            self._initialize_optimizer(reason="Re-initializing optimizer.")
        elif self._criterion_inputs() != getattr(self, "_criterion_built_from", None):
            self._initialize_criterion(
                reason="Re-initializing criterion because the class priors, class "
                "counts or loss parameters changed."
            )
            if any(True for _ in self.criterion_.parameters()):
                self._initialize_optimizer(
                    reason="Re-initializing optimizer for the new criterion."
                )

    @contextmanager
    def _seeded(self):
        if self.random_state is None:
            yield
            return
        devices = []
        if torch.cuda.is_available() and str(self.device).startswith("cuda"):
            devices = [torch.device(self.device).index or 0]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.random_state)
            yield

    def check_data(self, X, y):
        super().check_data(X, y)
        # skorch infers classes from the encoded y; the labels are ours.
        if hasattr(self, "fit_classes_"):
            self.classes_inferred_ = self.fit_classes_

    @property
    def classes_(self):
        """The classes of the last fit, in the order of the logits.

        skorch returns the ``classes`` parameter as it is now; a fitted net
        returns the classes it was fitted on, so ``set_params(classes=...)``
        acts at the next fit and never relabels the current predictions.
        """
        if hasattr(self, "fit_classes_"):
            return self.fit_classes_
        return super().classes_

    @property
    def _default_callbacks(self):
        # First, so that the deferred weights are on before the other callbacks of
        # an epoch run (it does nothing while drw_epoch is None).
        callbacks = {"drw_epoch": _DrwEpoch(), **dict(super()._default_callbacks)}
        callbacks["valid_acc"] = EpochScoring(
            _encoded_accuracy, name="valid_acc", lower_is_better=False
        )
        callbacks["valid_bal_err"] = EpochScoring(
            _encoded_balanced_error, name="valid_bal_err", lower_is_better=True
        )
        order = list(callbacks)
        # PrintLog last, so that it prints the new columns.
        order.append(order.pop(order.index("print_log")))
        return [(name, callbacks[name]) for name in order]

    def _n_classes(self):
        if hasattr(self, "fit_classes_"):
            return self.fit_classes_.size
        if self.classes is not None:
            return len(self.classes)
        return None

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        if isinstance(self.module, type):
            accepted = inspect.signature(self.module).parameters
            inferred = {
                "n_features": getattr(self, "n_features_in_", None),
                "n_classes": self._n_classes(),
            }
            for name, value in inferred.items():
                if name in accepted and name not in kwargs and value is not None:
                    kwargs[name] = value
            if (
                issubclass(self.module, _HEADED_MODULES)
                and "head" in accepted
                and "head" not in kwargs
                and self._ldam_at_default_scale()
            ):
                kwargs["head"] = "normed"  # the cosine logits LDAM's scale expects
        self.module_ = self.initialized_instance(self.module, kwargs)
        # What the module was built from, to check data against a kept module. In
        # a tuple: skorch refuses a module instance under a name without "_" last.
        self._module_built_from = (self.module,)
        self._module_stale = False
        self._module_classes = (
            self.fit_classes_
            if hasattr(self, "fit_classes_")
            else None
            if self.classes is None
            else np.asarray(self.classes)
        )
        self._module_n_features = getattr(self, "n_features_in_", None)
        if self.weight_norm_layer is not None:
            self._normalised_layer()  # fail now, before training, on a bad name
        return self

    def _loss_class(self):
        return _LOSS_CLASSES[self.loss] if isinstance(self.loss, str) else self.loss

    def _ldam_at_default_scale(self):
        """Whether the loss is LDAM with its scale of 30, meant for cosine logits."""
        return issubclass(self._loss_class(), LDAMLoss) and (
            "scale" not in self.get_params_for("criterion")
        )

    def _warn_ldam_on_unnormalised_logits(self):
        """Warn, from ``fit`` or ``partial_fit``, of LDAM's scale on plain logits."""
        module = self.module_
        if has_normed_head(module) or not self._ldam_at_default_scale():
            return
        warnings.warn(
            f"{self._loss_class().__name__} multiplies the logits by its default "
            "scale=30, which assumes cosine logits in [-1, 1] (Cao et al., 2019), "
            f"but the module {type(module).__name__} has no NormedLinear layer, so "
            "its logits are scaled as they are. Give the module a "
            "sklearn_lt.net.NormedLinear last layer (module__head='normed' for "
            "MLPModule and CifarResNet), or pass criterion__scale=1.0 for "
            "unnormalised logits; setting criterion__scale silences this warning.",
            UserWarning,
            stacklevel=3,  # the caller of fit or partial_fit
        )

    def _plan_fused_head(self):
        """Decide, before training, whether the training loss is fused with the head.

        Sets ``fused_``. A ``fused_head`` that names no layer with one weight row
        per class is refused; one that cannot be fused (see
        :func:`fused_head_reason`) trains with the unfused loss, with a warning
        that says why.
        """
        self.fused_ = False
        if self.fused_head is None:
            return
        reason = fused_head_reason(self, head_layer(self))
        if reason is None:
            self.fused_ = True
            return
        warnings.warn(
            f"fused_head={self.fused_head!r}: training with the unfused loss, "
            f"because {reason}. Set fused_head=None to silence this warning.",
            UserWarning,
            stacklevel=4,  # the caller of fit or partial_fit
        )

    # The fused step overrides three of skorch's methods, so that it also runs
    # through a mixin's train_step_single (skorch.hf.AccelerateMixin's, say):
    # train_step marks the step, infer records the head's operands instead of
    # computing the logits, and get_loss computes the loss from them.

    def train_step(self, batch, **fit_params):
        if not getattr(self, "fused_", False):
            return super().train_step(batch, **fit_params)
        self._in_fused_step = True
        try:
            return super().train_step(batch, **fit_params)
        finally:
            self._in_fused_step = False

    def infer(self, x, **fit_params):
        """The module's output; in a fused training step, the head's operands.

        In a step of a net with ``fused_`` set, the module runs with its head
        recording the operands of its ``F.linear`` (:func:`captured_head`), so
        the ``N x C`` logits are never formed; that record is what
        :meth:`get_loss` and the step's ``y_pred`` get.
        """
        if not getattr(self, "_in_fused_step", False):
            return super().infer(x, **fit_params)
        with captured_head(head_layer(self)) as call:
            output = super().infer(x, **fit_params)
        check_head_call(call, output, self.fused_head, self.module_)
        return call

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion's loss; from the head's operands in a fused step.

        Given the record of a fused step's :meth:`infer`, the loss is
        :func:`~sklearn_lt.losses.linear_logit_adjusted_loss`'s computation
        with the criterion's own log-priors, ``tau``, class weights and
        reduction: the criterion's loss of the logits, which are never formed.
        """
        if not isinstance(y_pred, HeadCall):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        return module_linear_loss(
            self.criterion_,
            y_pred.input,
            y_pred.weight,
            to_tensor(y_true, device=self.device),
            y_pred.bias,
            options=self.fused_options,
        )

    def _loss_priors_and_counts(self):
        if hasattr(self, "priors_"):
            return self.priors_, self.class_counts_
        if self.classes is not None and not isinstance(self.priors, str):
            priors = check_priors(self.priors, np.asarray(self.classes))
            return priors, None
        raise AttributeError(
            "LogitAdjustedNet builds its loss from the class priors of y: call fit, "
            "or pass classes=... and explicit priors=... to initialize without data."
        )

    def _criterion_inputs(self):
        """What the criterion is built from, to tell when it must be rebuilt."""
        priors, counts = self._loss_priors_and_counts()
        return (
            self.loss,
            self.tau,
            self.cb_beta,
            self.drw_epoch,
            priors.tobytes(),
            None if counts is None else counts.tobytes(),
        )

    def initialize_criterion(self):
        priors, counts = self._loss_priors_and_counts()
        kwargs = self.get_params_for("criterion")
        cls = self._loss_class()
        if self.loss in ("cross_entropy", "class_balanced"):
            kwargs = {"tau": 0.0, **kwargs}
        if self.loss == "class_balanced":
            weights = class_balanced_weights(counts, beta=self.cb_beta)
            kwargs = {"class_weight": weights, **kwargs}
        accepted = inspect.signature(cls).parameters
        known = {"priors": priors, "class_counts": counts, "tau": self.tau}
        for key, value in known.items():
            if key in accepted and key not in kwargs:
                if value is None:
                    raise AttributeError(
                        f"{cls.__name__} needs class_counts, which come from y: "
                        "call fit."
                    )
                kwargs[key] = value
        self.criterion_ = cls(**kwargs)
        self._criterion_built_from = self._criterion_inputs()
        # A new criterion is unweighted: DeferredReweighting (and drw_epoch) switch
        # the weights of the current class_counts_ on at its first epoch past theirs.
        return self

    # -- predict --------------------------------------------------------------

    def _normalised_layer(self):
        return class_weight_layer(
            self.module_,
            self.weight_norm_layer,
            param="weight_norm_layer",
            n_classes=self._n_classes(),
        )

    @contextmanager
    def _weight_normalised(self):
        """Predict with weight normalisation, when ``weight_norm_layer`` names a layer.

        The same swap as :func:`weight_normalised`, with the net's parameter names
        in the messages.
        """
        self._check_predict_params()  # also for skorch's forward and validation
        if self.weight_norm_layer is None:
            yield
            return
        with normalised_weights(self._normalised_layer(), self.weight_norm_tau):
            yield

    def evaluation_step(self, batch, training=False):
        with self._weight_normalised():
            return super().evaluation_step(batch, training=training)

    def validation_step(self, batch, **fit_params):
        # skorch's validation step calls infer directly: normalise here too, so the
        # validation loss scores the same model as the validation metrics.
        with self._weight_normalised():
            return super().validation_step(batch, **fit_params)

    def _logits(self, X):
        """Post-hoc adjusted logits (float64 numpy) of every row of ``X``."""
        if not (self.initialized_ and hasattr(self, "fit_classes_")):
            raise NotFittedError(
                "This LogitAdjustedNet is not fitted yet; call fit(X, y) first."
            )
        self._check_predict_params()
        # LogitAdjustedClassifier's shift, refused (before any work) if it overflows.
        shift = None
        if self.posthoc_tau:
            shift = _prior_shift(self.posthoc_tau, self.priors_, None, "posthoc_tau")
        X, n_features = self._prepare_X(X)
        self._check_n_features(n_features)
        chunks = []
        for out in self.forward_iter(X, training=False):
            out = out[0] if isinstance(out, tuple) else out
            chunks.append(to_numpy(out.float()).astype(np.float64))
        logits = np.concatenate(chunks, axis=0)
        self._check_logits(logits)
        if shift is None:
            return logits
        with np.errstate(over="ignore"):  # an overflow is refused just below
            adjusted = logits - shift
        # -inf logits (a class ruled out) stay -inf; the finite ones must stay finite.
        _check_finite_adjustment(adjusted[np.isfinite(logits)], "logits")
        return adjusted

    def _check_logits(self, logits):
        """The module must give one logit per class, none of them NaN or +inf."""
        n_classes = self.fit_classes_.size
        if logits.ndim != 2 or logits.shape[1] != n_classes:
            raise ValueError(
                f"{type(self.module_).__name__} returned outputs of shape "
                f"{logits.shape}, but LogitAdjustedNet expects logits of shape "
                f"(n_samples, {n_classes}), one column per class of classes_="
                f"{preview(self.fit_classes_)}; make the module's last layer output "
                f"{n_classes} values."
            )
        rows = unpredictable_rows(logits)
        if rows.size:
            raise ValueError(
                f"{type(self.module_).__name__} returned NaN or +inf logits for "
                f"{rows.size} of {logits.shape[0]} rows (or only -inf logits; first "
                f"rows {preview(rows, limit=5)}), so no class can be predicted for "
                "them. Expected finite logits (-inf allowed beside a finite one); "
                "check the inputs for "
                "NaN, or retrain with a lower lr if training diverged (see "
                "net.history[:, 'train_loss'])."
            )

    def _predict_codes(self, X):
        return np.argmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed in log space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), tensor or Dataset
            Inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return log_softmax(self._logits(X), axis=1)

    def predict_proba(self, X):
        r"""Softmax of the (post-hoc adjusted) logits.

        See the Notes of the class for which distribution this estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), tensor or Dataset
            Inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Predict the class with the largest (post-hoc adjusted) logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), tensor or Dataset
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        codes = self._predict_codes(X)
        return self.classes_[codes]

    def __sklearn_is_fitted__(self):
        # skorch's answer is "module_ exists"; predictions need a completed fit.
        return bool(self.initialized_ and hasattr(self, "fit_classes_"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
