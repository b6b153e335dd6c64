"""Post-hoc logit adjustment: ``LogitAdjustedClassifier`` and ``logit_adjust``.

Menon et al. (2021), "Long-tail learning via logit adjustment", ICLR. A classifier
trained on long-tailed data estimates the training posterior ``p(y|x)``, which favours
frequent classes. The Bayes-optimal rule for the *balanced* error instead predicts

    argmax_y  log p(y|x) - log pi_y,

so subtracting ``tau * log(pi_y)`` from any model's log-probabilities (or logits)
makes it fair to rare classes, with no retraining.
"""

import os
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import (
    Bunch,
    assert_all_finite,
    check_array,
    column_or_1d,
    gen_batches,
    get_tags,
    indexable,
)
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_is_fitted,
    check_memory,
    has_fit_parameter,
)

from ._compat import (
    HasMethods,
    StrOptions,
    _fit_context,
    _max_precision_float_dtype,
    _num_samples,
    _routing_enabled,
    _safe_indexing,
    check_same_namespace,
    get_chunk_n_rows,
    get_namespace_and_device,
    is_array_api_obj,
    move_to,
    validate_parameter_constraints,
    validate_params,
)
from ._doc_link import DocLinkMixin
from ._namespace import (
    array_namespace,
    check_numpy_estimator,
    log_softmax_rows,
    softmax_rows,
    to_namespace,
)
from ._validation import (
    _TINY,
    Number,
    _proba_slack,
    check_labels,
    check_scores,
    label_indices,
    preview,
)
from .priors import check_priors, estimate_priors

__all__ = ["LogitAdjustedClassifier", "logit_adjust"]

# Probabilities are clipped to _TINY, the smallest positive float64, before their log.
_LOG_TINY = np.log(_TINY)

_AUTO_RESPONSE = ("predict_log_proba", "predict_proba")


def _log_clipped(proba, xp=np, device=None):
    """Log of probabilities, with exact zeros clipped to the smallest float64.

    (To the smallest float32 on a device without float64.)
    """
    if xp is np:
        return np.log(np.maximum(np.asarray(proba, dtype=np.float64), _TINY))
    tiny = xp.finfo(proba.dtype).smallest_normal
    return xp.log(xp.maximum(proba, xp.asarray(tiny, dtype=proba.dtype, device=device)))


@validate_params(
    {
        "scores": ["array-like"],
        "priors": ["array-like", Mapping],
        "tau": [
            Number(Real, 0, None, closed="left", fix="use 1.0 for the balanced error")
        ],
        "kind": [StrOptions({"logits", "proba"})],
    },
    prefer_skip_nested_validation=True,
)
def logit_adjust(scores, priors, *, tau=1.0, kind="logits"):
    r"""Subtract ``tau * log(priors)`` from a matrix of class scores.

    This is post-hoc logit adjustment on arrays, for scores you already hold: the
    logits of a network trained elsewhere, or the probabilities of any model.
    The balanced-error prediction is the argmax of the result:

    .. math::

        \hat y(x) = \operatorname{argmax}_y \; f_y(x) - \tau \log \pi_y.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_classes)
        One row of class scores per example, columns in the order of ``priors``.
        Logits and log-probabilities (``kind="logits"``) or probabilities
        (``kind="proba"``).

    priors : array-like of shape (n_classes,)
        Training class priors, one per column of ``scores``. They are normalised to
        sum to 1 and must be positive.

    tau : float, default=1.0
        Scale of the adjustment, ``tau >= 0``. ``tau=1`` is the Bayes-optimal rule for
        the balanced error when ``scores`` are calibrated log-probabilities;
        ``tau=0`` returns the scores unchanged.

    kind : {"logits", "proba"}, default="logits"
        What ``scores`` holds. Probabilities are clipped to the smallest positive
        float64 before their logarithm is taken, so that zeros stay finite.

    Returns
    -------
    adjusted : ndarray of shape (n_samples, n_classes)
        Adjusted scores in log space (float32 for float32 logits, else float64).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt import logit_adjust
    >>> proba = np.array([[0.7, 0.3], [0.9, 0.1]])
    >>> adjusted = logit_adjust(proba, priors=[0.9, 0.1], kind="proba")
    >>> adjusted.argmax(axis=1)  # the rare class wins the first example
    array([1, 0])
    """
    tau = float(tau)
    place = array_namespace(
        scores=scores, priors=None if isinstance(priors, Mapping) else priors
    )
    xp, device = (np, None) if place is None else place
    if place is not None and not isinstance(priors, Mapping):
        priors = move_to(priors, xp=np, device="cpu")  # C numbers, to validate them
    widest = np.float64 if place is None else _widest_float(xp, device)
    scores = check_array(
        scores,
        dtype=[widest, xp.float32] if kind == "logits" else widest,
        ensure_all_finite=False,
        input_name="scores",
    )
    priors = check_priors(priors, np.arange(scores.shape[1]))
    shift = _prior_shift(tau, priors, None)
    # Two reductions say everything the checks need: NaN propagates through
    # min and max, and an infinity shows in one of them (a pass of isfinite
    # would allocate a mask the size of the scores).
    low, high = _value_range(scores, xp)
    finite = np.isfinite(low) and np.isfinite(high)
    if kind == "proba":
        if not (finite and low >= 0 and high <= 1):
            values = move_to(scores, xp=np, device="cpu")  # only to say what they are
            raise ValueError(
                'scores with kind="proba" must be probabilities in [0, 1], got values '
                f"from {np.nanmin(values)} to {np.nanmax(values)} (NaN: "
                f'{np.isnan(values).any()}); for logits use kind="logits".'
            )
        scores = _log_clipped(scores, xp, device)
        low = float(np.log(xp.finfo(scores.dtype).smallest_normal))
        high = 0.0
    elif not finite:
        raise ValueError(
            "scores hold NaN or infinite values; logits must be finite. For log "
            "probabilities with log(0) = -inf, pass the probabilities with "
            'kind="proba".'
        )
    elif low >= 0 and high <= 1 and _looks_like_probabilities(scores, xp):
        warnings.warn(
            'logit_adjust got kind="logits" (the default), but every row of scores '
            "lies in [0, 1] and sums to 1: these look like probabilities, whose "
            'adjustment must be made on their log. Pass kind="proba" (or '
            "np.log of them) if they are probabilities.",
            UserWarning,
            stacklevel=3,  # past logit_adjust and its parameter validation
        )
    with np.errstate(over="ignore"):  # an overflow is refused just below
        adjusted = scores - to_namespace(shift, xp, device, dtype=scores.dtype)
    # A difference of finite numbers can only overflow near the dtype's largest
    # value: the result is checked only when this bound allows an overflow.
    bound = max(abs(low), abs(high)) + float(np.max(np.abs(shift), initial=0.0))
    if not bound < 0.5 * float(xp.finfo(scores.dtype).max):
        _check_finite_adjustment(adjusted, "scores", xp)
    return adjusted


def _on_host(array):
    """An array of an array API library as NumPy (labels, n_classes numbers)."""
    if array is not None and is_array_api_obj(array):
        return move_to(array, xp=np, device="cpu")
    return array


def _value_range(scores, xp):
    """``(min, max)`` of the scores as floats; NaN if any is NaN; (0, 0) if empty."""
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return 0.0, 0.0
    return float(xp.min(scores)), float(xp.max(scores))


def _widest_float(xp, device):
    """float64, or float32 on a device without float64 (Apple's MPS)."""
    return _max_precision_float_dtype(xp, device)


def _looks_like_probabilities(scores, xp=np):
    """Every row summing to 1, up to the dtype's rounding (entries known in [0, 1]).

    A sum of ``n_classes`` probabilities is off by at most about ``n_classes``
    ulps of 1 (float32 or float64); four times that leaves room for the model's
    own arithmetic. Logits and log-probabilities almost never pass this test.
    """
    if scores.shape[0] == 0 or scores.shape[1] < 2:
        return False
    slack = 4 * scores.shape[1] * float(xp.finfo(scores.dtype).eps)
    return bool(xp.all(xp.abs(xp.sum(scores, axis=1) - 1) <= slack))


def _prior_shift(tau, priors, target_priors, name="tau"):
    """``tau * (log(priors) - log(target_priors))``, subtracted from the scores.

    ``target_priors=None`` stands for uniform ones, whose log is a constant for
    every class: it is left out, as it changes no prediction.
    """
    log_ratio = np.log(priors)
    if target_priors is not None:
        log_ratio = log_ratio - np.log(target_priors)
    return _checked_shift(tau, log_ratio, name)


def _checked_shift(tau, log_ratio, name):
    """``tau * log_ratio``, refused where it overflows float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        shift = tau * log_ratio
    if not np.all(np.isfinite(shift)):
        raise ValueError(
            f"{name}={tau!r} times the log-priors (down to {np.min(log_ratio):.4g}) "
            "overflows float64, so the adjusted scores would be infinite. Use a "
            "scale of the order of 1 (tau=1 is the balanced-error rule)."
        )
    return shift


def _check_finite_adjustment(adjusted, what, xp=np):
    """Refuse adjusted scores that overflowed (huge scores plus a large shift)."""
    if not bool(xp.all(xp.isfinite(adjusted))):
        raise ValueError(
            f"the adjusted {what} overflow float64 (their magnitude is near "
            f"{np.finfo(np.float64).max:.3g}); rescale the scores, or use a smaller "
            "tau."
        )


def _check_targets(y):
    """Validate class labels for fitting; return them as a 1d array."""
    if np.asarray(y).ndim == 1:  # 2-d targets: type_of_target's message below
        y = check_labels(y)
    assert_all_finite(y, input_name="y")
    target_type = type_of_target(y, input_name="y", raise_unknown=True)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            "logit adjustment needs binary or multiclass class labels, but y is "
            f"{target_type!r}. Multilabel and multioutput targets and continuous "
            "values are not supported."
        )
    return column_or_1d(y, warn=True)


def _check_two_classes(classes):
    """Refuse to fit on a single class: there is no prior to adjust between."""
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class {preview(classes)}; logit adjustment trades "
            "between classes and needs at least two. Fit on labels of two or more "
            "classes."
        )
    return classes


def _check_is_classifier(estimator):
    """Refuse estimators that say they are not classifiers (regressors, ...)."""
    estimator_type = get_tags(estimator).estimator_type
    if estimator_type not in (None, "classifier"):
        raise ValueError(
            f"expected a classifier, but {type(estimator).__name__} is a "
            f"{estimator_type}: logit adjustment shifts the class scores of a "
            "classifier. Wrap a classifier, such as LogisticRegression or "
            "HistGradientBoostingClassifier."
        )


def _resolve_response_method(estimator, response_method):
    """Name the estimator's method that gives the scores, or explain the fix."""
    _check_is_classifier(estimator)
    wanted = _AUTO_RESPONSE if response_method == "auto" else (response_method,)
    for name in wanted:
        if hasattr(estimator, name):
            return name
    name = type(estimator).__name__
    if response_method == "auto":
        raise ValueError(
            f"{name} has neither predict_log_proba nor predict_proba, so it gives "
            "no probabilities to adjust. Wrap it in "
            f"sklearn.calibration.CalibratedClassifierCV({name}(...)), which "
            "learns calibrated probabilities from its decision function. (Pass "
            'response_method="decision_function" only if that function gives '
            "logits, as a linear model trained with the log loss does; an SVM "
            "margin is not a logit, and adjusting it gives wrong predictions.)"
        )
    raise ValueError(
        f"{name} has no {response_method} method, which "
        f"response_method={response_method!r} asks for. Use "
        'response_method="auto" or a method the estimator has.'
    )


def _estimator_scores(estimator, method_name, X, n_classes):
    """The estimator's scores f_y(x) in log space, shape (n_samples, n_classes).

    What the estimator returns is validated first (shape, NaN, infinities, the
    range of probabilities: see ``check_scores``). Always a new float64 array,
    never the estimator's own: callers adjust it in place.
    """
    method = getattr(estimator, method_name)
    if method_name == "predict_log_proba":
        # Many estimators take np.log of probabilities that can be exactly 0.
        with np.errstate(divide="ignore"):
            raw = method(X)
    else:
        raw = method(X)
    scores = check_scores(
        raw,
        estimator=estimator,
        method=method_name,
        n_rows=_num_samples(X),
        n_classes=n_classes,
    )
    # Each branch makes a new array, whatever check_scores returned.
    if method_name == "predict_log_proba":
        return np.maximum(scores, _LOG_TINY)
    if method_name == "predict_proba":
        return _log_clipped(scores)
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores.copy() if np.shares_memory(scores, raw) else scores


def _estimator_scores_xp(estimator, method_name, X, n_classes, xp, device):
    """:func:`_estimator_scores` for ``X`` of namespace ``xp``: scores stay there.

    The checks of ``check_scores`` run on the device (a few reductions); only
    when one fails are the scores copied to NumPy, for ``check_scores`` to say
    what is wrong. Scores that an estimator without array API support returns
    as NumPy are moved to ``X``'s device; another library's are refused.
    """
    raw = getattr(estimator, method_name)(X)
    where = f"{type(estimator).__name__}.{method_name}(X)"
    if not is_array_api_obj(raw):
        raw = np.asarray(raw)
    raw_xp, _, raw_device = get_namespace_and_device(raw)
    if isinstance(raw, np.ndarray):
        raw = to_namespace(raw, xp, device)
    elif raw_xp is not xp or raw_device != device:
        raise ValueError(
            f"{where} returned an array of {raw_xp.__name__} on device {raw_device} "
            f"for X of {xp.__name__} on device {device}; expected the namespace and "
            "device of X (or NumPy). Fit and call the estimator with arrays of one "
            "library."
        )
    binary_1d = method_name == "decision_function" and n_classes == 2 and raw.ndim == 1
    expected = (_num_samples(X),) if binary_1d else (_num_samples(X), n_classes)
    numeric = xp.isdtype(raw.dtype, ("real floating", "integral", "bool"))
    ok = numeric and tuple(raw.shape) == expected
    if ok and raw.shape[0]:
        widest = _widest_float(xp, device)
        raw = xp.astype(raw, widest)
        if method_name == "predict_proba":
            slack = _proba_slack(raw.dtype, n_classes)
            ok = bool(xp.min(raw) >= -slack) and bool(xp.max(raw) <= 1 + slack)
        elif method_name == "predict_log_proba":  # -inf is log(0); NaN fails both
            ok = bool(xp.all(raw < xp.inf))
        else:
            ok = bool(xp.all(xp.isfinite(raw)))
    if not ok:  # only to say what is wrong: check_scores raises
        check_scores(
            move_to(raw, xp=np, device="cpu"),
            estimator=estimator,
            method=method_name,
            n_rows=_num_samples(X),
            n_classes=n_classes,
        )
    raw = xp.astype(raw, _widest_float(xp, device))
    if method_name == "predict_log_proba":
        floor = xp.asarray(_LOG_TINY, dtype=raw.dtype, device=device)
        return xp.maximum(raw, floor)
    if method_name == "predict_proba":
        return _log_clipped(xp.clip(raw, 0.0, 1.0), xp, device)
    if raw.ndim == 1:
        return xp.stack([xp.zeros_like(raw), raw], axis=1)
    return raw


def _argmax(scores, xp=np):
    return xp.argmax(scores, axis=1)


def _labels_of(classes, best, xp, device):
    """``classes[best]``: in ``xp`` for numeric labels; NumPy for strings."""
    if xp is np:
        return classes[best]
    if np.issubdtype(classes.dtype, np.number) or classes.dtype == np.bool_:
        return xp.take(to_namespace(classes, xp, device), best)
    # An array API library holds no strings: string labels come back as NumPy.
    return classes[move_to(best, xp=np, device="cpu")]


def _train_frequencies(y, classes, sample_weight):
    """Weighted class frequencies of ``y``, aligned with ``classes``; may hold 0."""
    return estimate_priors(y, classes=classes, sample_weight=sample_weight)


def _is_train(priors):
    return isinstance(priors, str) and priors == "train"


def _resolve_priors(priors, y, classes, sample_weight):
    """Priors aligned with ``classes``: from ``y`` for "train", else the user's."""
    if _is_train(priors):
        return _checked_train_priors(
            _train_frequencies(y, classes, sample_weight), classes
        )
    return check_priors(priors, classes)


def _priors_from_param(priors, train_priors, classes):
    """``priors`` (the parameter) aligned with ``classes``, from fitted frequencies."""
    if _is_train(priors):
        return _checked_train_priors(train_priors, classes)
    return check_priors(priors, classes)


def _checked_train_priors(estimated, classes):
    """Training frequencies as priors: every class needs a positive share."""
    empty = estimated == 0
    if np.any(empty):
        raise ValueError(
            f"class {preview(classes[empty])} has no training example (or zero "
            "total sample_weight) in y, so its prior is 0 and log(prior) is "
            "infinite. Fit on labels that hold every class, or pass priors "
            "explicitly, e.g. priors=estimate_priors(y, classes=..., "
            "smoothing=1.0)."
        )
    return estimated


# Bytes per class of one scored row: the float64 scores and about three temporaries
# of the same size (log, adjustment, softmax or argmax).
_ROW_BYTES_PER_CLASS = 4 * 8
# Default memory of one batch, in MiB: larger batches run slower, not faster, once
# their scores leave the CPU caches (benchmarks/bench_scale.py, docs/scaling.rst).
_DEFAULT_BATCH_MIB = 32


def _batch_rows(batch_size, n_rows, n_classes):
    """Rows scored at once: ``batch_size``, or what fits in the default memory."""
    if batch_size is None:
        return get_chunk_n_rows(
            row_bytes=_ROW_BYTES_PER_CLASS * max(n_classes, 1),
            max_n_rows=n_rows,
            working_memory=min(get_config()["working_memory"], _DEFAULT_BATCH_MIB),
        )
    return min(batch_size, n_rows)


# Sparse formats whose rows can be sliced; the others (COO, DIA, BSR) are converted
# to CSR before batching, which changes the format but not a single value.
_ROW_SLICEABLE_SPARSE = ("csr", "csc", "lil", "dok")


def _row_batches(X, batch_size, n_classes):
    """Yield ``(rows, X[rows])``: the whole of ``X`` at once when it fits one batch."""
    n_rows = _num_samples(X)
    # No rows: one empty batch, which the estimator accepts or refuses itself.
    batch = _batch_rows(batch_size, n_rows, n_classes) if n_rows else 0
    if batch >= n_rows:
        yield slice(0, n_rows), X
        return
    if sp.issparse(X) and X.format not in _ROW_SLICEABLE_SPARSE:
        X = X.tocsr()
    for rows in gen_batches(n_rows, batch):
        yield rows, _safe_indexing(X, rows)


def _resolve_target_priors(target_priors, classes):
    """Target priors aligned with ``classes``: uniform (balanced error) for None."""
    if target_priors is None:
        return np.full(len(classes), 1.0 / len(classes))
    return check_priors(target_priors, classes, name="target_priors")


def _check_memory(memory):
    """``memory`` as a joblib.Memory; a path must be a directory that can be written.

    joblib creates ``<memory>/joblib`` on the first cached call; doing it here
    turns a file, a read-only or an impossible path into an error that names
    ``memory``, before anything is fitted.
    """
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    if isinstance(memory, str):
        location = os.path.join(memory, "joblib")
        try:
            os.makedirs(location, exist_ok=True)
            writable = os.access(location, os.W_OK)
        except OSError as exc:
            raise ValueError(
                f"memory={memory!r} cannot hold the fit cache: {exc.strerror} "
                f"({exc.filename}). Pass a directory that can be created and written "
                "to, a joblib.Memory, or None for no cache."
            ) from exc
        if not writable:
            raise ValueError(
                f"memory={memory!r} cannot hold the fit cache: {location} is not "
                "writable. Pass a writable directory, a joblib.Memory, or None."
            )
    return check_memory(memory)


def _fit_estimator(estimator, X, y, **fit_params):
    """Fit and return ``estimator``; a module-level function so joblib can cache it."""
    return estimator.fit(X, y, **fit_params)


def _binary_log_odds(scores):
    """Scores as a decision function: the log-odds of the second class for two."""
    return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores


def _can_predict(self):
    """For ``available_if``: the CV tuner without refit has no model to predict with."""
    return self._check_can_predict()


def _labels_for(y, labels, place):
    """``y`` for the estimator's ``fit``: numeric host labels follow ``X``'s device.

    scikit-learn's array API estimators want ``y`` where ``X`` is (given NumPy
    labels beside a tensor, ``LinearDiscriminantAnalysis`` fails inside
    ``torch.unique``), so numeric labels given as NumPy (or a list) are copied
    there, unchanged; labels already in an array library, and string labels,
    which no device holds, go as given.
    """
    if place is None or (is_array_api_obj(y) and not isinstance(y, np.ndarray)):
        return y
    if labels.dtype.kind not in "biuf":
        return y
    return to_namespace(labels, *place)


class _BaseLogitAdjuster(
    DocLinkMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """Shared machinery: priors, scores, adjusted predictions, routing, tags.

    Subclasses set ``estimator_`` (through :meth:`_set_fitted`) and say what a
    prediction uses (:meth:`_prediction_plan`).

    The after-fit rule (docs: "Changing parameters after fit"): a parameter that
    the prediction methods read is validated each time it is read, with the
    checks and messages of ``fit``, and the fitted attributes describe what the
    predictions use; where a fitted quantity depends on such a parameter (the
    tuner's ``best_tau_``), changing it after fit is refused until refit.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "priors": [StrOptions({"train"}), "array-like", Mapping],
        "response_method": [
            StrOptions(
                {"auto", "predict_log_proba", "predict_proba", "decision_function"}
            )
        ],
        "batch_size": [Number(Integral, 1, None, closed="left"), None],
        "target_priors": [None, "array-like", Mapping],
    }

    # The parameters that the prediction methods read.
    _prediction_params = ("priors", "target_priors", "response_method", "batch_size")

    def _prediction_plan(self):
        """``(response method, shift)`` of the predictions, all checked."""
        raise NotImplementedError

    def _check_can_predict(self):
        return True

    def _validate_prediction_params(self):
        """The checks of ``fit`` on the parameters a prediction reads."""
        validate_parameter_constraints(
            {
                name: self._parameter_constraints[name]
                for name in self._prediction_params
            },
            {name: getattr(self, name) for name in self._prediction_params},
            caller_name=type(self).__name__,
        )

    def _current_priors(self):
        """The ``priors`` parameter as priors aligned with ``classes_``."""
        return _priors_from_param(
            self.priors, _on_host(self.train_priors_), self.classes_
        )

    def _current_target_priors(self):
        return _resolve_target_priors(self.target_priors, self.classes_)

    def _fit_params(self, estimator, prefit, sample_weight, fit_params):
        """Keyword arguments for ``estimator.fit``, routed or passed through.

        Returns the routed parameters of every child (a ``Bunch`` with at least
        ``estimator.fit``).
        """
        if _routing_enabled():
            return process_routing(
                self, "fit", sample_weight=sample_weight, **fit_params
            )
        params = dict(fit_params)
        if sample_weight is not None and not prefit:
            if not has_fit_parameter(estimator, "sample_weight"):
                raise ValueError(
                    f"sample_weight was given but {type(estimator).__name__}.fit does "
                    "not accept it, so it would weight the priors but not the model. "
                    "Pass priors=estimate_priors(y, sample_weight=...) instead, or "
                    "enable metadata routing to route it explicitly."
                )
            params["sample_weight"] = sample_weight
        return Bunch(estimator=Bunch(fit=params), splitter=Bunch(split={}))

    def _set_fitted(self, estimator_, labels, sample_weight):
        """Store the fitted estimator and what it implies (classes, frequencies).

        Everything is aligned with the fitted estimator's ``classes_``, which may
        order or name the classes differently from ``np.unique(y)``. Returns the
        resolved ``priors``.
        """
        classes_ = getattr(estimator_, "classes_", None)
        if classes_ is None:
            raise AttributeError(
                f"{type(estimator_).__name__} has no classes_ after fit; logit "
                "adjustment needs it to align the priors with the columns of the "
                "scores."
            )
        classes_ = _on_host(classes_)
        class_counts = self._count_classes(labels, classes_)  # refuses unknown labels
        train_priors = _train_frequencies(labels, classes_, sample_weight)
        priors = _priors_from_param(self.priors, train_priors, classes_)
        # Availability of some methods is only known once fitted.
        response_method = _resolve_response_method(estimator_, self.response_method)
        self.estimator_ = estimator_
        self.classes_ = classes_
        self.train_priors_ = train_priors
        self.class_counts_ = class_counts
        self._response_method = response_method
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator_, attr):
                setattr(self, attr, getattr(estimator_, attr))
        return priors

    @staticmethod
    def _count_classes(labels, classes):
        codes = label_indices(
            labels,
            classes,
            classes_name="estimator's classes_",
            fix="fit on labels that the (prefit) estimator was trained on",
        )
        return np.bincount(codes, minlength=len(classes))

    def _scores(self, X, method):
        return _estimator_scores(self.estimator_, method, X, len(self.classes_))

    def _batched(self, X, transform, *, caller=None):
        """``transform(adjusted scores)`` of every row of ``X``, a batch at a time.

        At most ``batch_size`` rows are scored at once, so the extra memory is that
        of one batch's scores, whatever the number of rows; the output is filled in
        place. With ``caller`` (the public method's name; ``transform`` then takes
        ``xp`` as well), an ``X`` of an array API library, with dispatch on, is
        scored and adjusted in that library on its device.
        """
        check_is_fitted(self)
        method, shift = self._prediction_plan()
        place = None
        if caller is None:
            check_numpy_estimator(self, X=X)
        else:
            # As scikit-learn's estimators do: X must live where fit's data did.
            check_same_namespace(X, self, attribute="train_priors_", method=caller)
            place = array_namespace(X=X)
        if place is not None:
            return self._batched_xp(X, method, shift, transform, caller, *place)
        n_rows = _num_samples(X)
        out = None
        for rows, X_rows in _row_batches(X, self.batch_size, len(self.classes_)):
            # In place: _scores returns an array of its own (see _estimator_scores).
            scores = self._scores(X_rows, method)
            with np.errstate(over="ignore"):  # an overflow is refused just below
                scores -= shift
            if method == "decision_function":
                # Log-probabilities lie in [log(tiny), 0], so they cannot overflow
                # with a finite shift; a decision function can be any size.
                _check_finite_adjustment(scores, "decision_function scores")
            values = transform(scores)
            if out is None:
                if rows.stop - rows.start == n_rows:
                    return values
                out = np.empty((n_rows, *values.shape[1:]), values.dtype)
            out[rows] = values
        return out

    def _batched_xp(self, X, method, shift, transform, caller, xp, device):
        """:meth:`_batched` on the device of ``X``; ``shift`` is moved there."""
        check_same_namespace(X, self, attribute="train_priors_", method=caller)
        shift = to_namespace(np.broadcast_to(shift, self.classes_.shape), xp, device)
        n_rows = _num_samples(X)
        batch = _batch_rows(self.batch_size, n_rows, len(self.classes_)) or 1
        parts = []
        for start in range(0, max(n_rows, 1), batch):
            X_rows = X if batch >= n_rows else X[start : start + batch, ...]
            scores = _estimator_scores_xp(
                self.estimator_, method, X_rows, len(self.classes_), xp, device
            )
            scores = scores - xp.astype(shift, scores.dtype)
            if method == "decision_function":
                _check_finite_adjustment(scores, "decision_function scores", xp)
            parts.append(transform(scores, xp))
        return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)

    @available_if(_can_predict)
    def decision_function(self, X):
        r"""Adjusted scores :math:`f_y(x) - \tau \log \pi_y`.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Adjusted scores, one column per class of ``classes_``. For two classes,
            the difference of the second and first (the adjusted log-odds of
            ``classes_[1]``), as scikit-learn's binary classifiers return.
        """
        return self._batched(
            X,
            lambda scores, xp=np: _binary_log_odds(scores),
            caller="decision_function",
        )

    @available_if(_can_predict)
    def predict_log_proba(self, X):
        r"""Log of the adjusted class distribution.

        Returns :math:`\log \tilde p(y \mid x)` with
        :math:`\tilde p(y \mid x) \propto p(y \mid x) / \pi_y^{\tau}`; with
        ``tau=1`` it estimates the balanced-prior posterior (see Notes of the
        class).

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return self._batched(X, log_softmax_rows, caller="predict_log_proba")

    @available_if(_can_predict)
    def predict_proba(self, X):
        r"""Adjusted class distribution :math:`\propto p(y \mid x) / \pi_y^{\tau}`.

        With ``tau=1`` this estimates the posterior under balanced (uniform) class
        priors, not the training-distribution posterior, which is
        ``estimator_.predict_proba``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._batched(X, softmax_rows, caller="predict_proba")

    @available_if(_can_predict)
    def predict(self, X):
        """Predict the class with the largest adjusted score.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Input data, as the estimator takes it.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        best = self._batched(X, _argmax, caller="predict")
        place = array_namespace(best=best)
        if place is None:
            return self.classes_[best]
        return _labels_of(self.classes_, best, *place)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``sample_weight`` is consumed by the priors and routed to the estimator's
        ``fit`` when it requests it; other ``fit`` parameters are routed likewise.
        See scikit-learn's metadata routing user guide.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    # Whether fit and the prediction methods compute in X's namespace and on its
    # device (see fit and _batched_xp) when the estimator does: the
    # array_api_support tag is then the estimator's.
    _follows_namespace = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        for name in ("sparse", "allow_nan", "categorical", "string", "pairwise"):
            setattr(tags.input_tags, name, getattr(estimator_tags.input_tags, name))
        tags.array_api_support = (
            self._follows_namespace and estimator_tags.array_api_support
        )
        return tags


class LogitAdjustedClassifier(_BaseLogitAdjuster):
    r"""Post-hoc logit adjustment of any probabilistic classifier.

    Fits (a clone of) ``estimator`` as usual, estimates the class priors
    :math:`\pi` from the training labels, and predicts

    .. math::

        \hat y(x) = \operatorname{argmax}_y \; f_y(x) - \tau \log \pi_y,

    where :math:`f_y(x)` are the estimator's log-probabilities (or logits). With
    calibrated probabilities and ``tau=1`` this is the Bayes-optimal rule for the
    balanced error (Menon et al., 2021, "Long-tail learning via logit adjustment").
    It needs no retraining: the parameters of the adjustment (``tau``,
    ``priors``, ``target_priors``, ``response_method``, ``batch_size``) are read
    when predicting, so ``set_params`` after ``fit`` changes the next
    prediction; they are validated then with the checks of ``fit``, and
    ``priors_`` and ``target_priors_`` follow them.

    Parameters
    ----------
    estimator : estimator instance
        A classifier with ``predict_log_proba`` or ``predict_proba`` (or
        ``decision_function``, see ``response_method``). It is cloned and fitted in
        ``fit``; wrap an already fitted one in :class:`sklearn.frozen.FrozenEstimator`
        to use it without refitting.

    tau : float, default=1.0
        Scale of the adjustment, ``tau >= 0``. ``tau=0`` reproduces the estimator's
        predictions; ``tau=1`` targets the balanced error; larger values favour rare
        classes more.

    priors : "train", array-like of shape (n_classes,) or dict, default="train"
        Class priors :math:`\pi`. ``"train"`` estimates them from the labels (and
        ``sample_weight``) passed to ``fit``. Otherwise one positive prior per class
        in the order of ``classes_``, or a dict ``{label: prior}``; they are
        normalised to sum to 1.

    response_method : str, default="auto"
        Which output of the estimator gives the scores :math:`f_y(x)`: one of
        ``"auto"``, ``"predict_log_proba"``, ``"predict_proba"`` or
        ``"decision_function"``. ``"auto"``
        uses ``predict_log_proba``, else the log of ``predict_proba`` (probabilities
        clipped to the smallest positive float, so zeros stay finite).
        ``"decision_function"`` treats the decision function as logits; for a
        binary estimator its single column ``d`` becomes the logits ``[0, d]``.
        That is right for models trained with the log loss (``LogisticRegression``,
        ``SGDClassifier(loss="log_loss")``, a network's logits) and wrong for
        margins (``SVC``, ``LinearSVC``, ``RidgeClassifier``), which are not
        log-odds: wrap those in
        :class:`~sklearn.calibration.CalibratedClassifierCV` instead.

    memory : str, path, joblib.Memory or None, default=None
        Cache for the fitted estimator, as in :class:`sklearn.pipeline.Pipeline`.
        With a cache, fitting the same estimator on the same data again (as
        ``GridSearchCV`` over ``tau`` does, once per candidate) loads the fitted
        estimator instead of refitting it. The key hashes the estimator's
        parameters, ``X``, ``y`` and the fit parameters, so results equal those
        without a cache for any deterministic estimator (fix ``random_state``).

    target_priors : array-like of shape (n_classes,), dict or None, default=None
        Class priors :math:`\pi^t` of the data the model will meet, in any form
        ``priors`` accepts. The adjusted score becomes
        :math:`f_y(x) - \tau \log \pi_y + \tau \log \pi^t_y`; with ``tau=1``
        and calibrated probabilities it is the Bayes-optimal rule (lowest error)
        under the target distribution. ``None`` means uniform target priors: the
        balanced error. Estimate them from unlabeled data with
        :func:`sklearn_lt.label_shift.estimate_target_priors`.

    batch_size : int or None, default=None
        Rows of ``X`` scored at once by ``predict``, ``predict_proba``,
        ``predict_log_proba`` and ``decision_function``, so that with many classes
        the extra memory stays that of one batch of scores (about
        ``32 * batch_size * n_classes`` bytes) whatever the number of rows. ``None``
        takes as many rows as fit in 32 MiB, or in scikit-learn's
        ``working_memory`` if that is smaller
        (``sklearn.set_config(working_memory=...)``); larger batches are not
        faster. The results do not depend on it.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted estimator (the ``FrozenEstimator`` itself when one was given).

    classes_ : ndarray of shape (n_classes,)
        Class labels, as in ``estimator_.classes_``.

    priors_ : ndarray of shape (n_classes,)
        Class priors of the adjustment, aligned with ``classes_``, summing to 1:
        ``train_priors_`` for ``priors="train"``, else the given priors. They
        follow ``priors`` when it is changed after ``fit``.

    target_priors_ : ndarray of shape (n_classes,)
        Target class priors, aligned with ``classes_`` (uniform when
        ``target_priors=None``). They follow ``target_priors`` when it is
        changed after ``fit``.

    train_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the ``y`` given to ``fit`` (weighted by
        ``sample_weight``), aligned with ``classes_``: the priors the estimator
        was fitted under, whatever ``priors`` says. They can be 0 for a class of
        a prefit estimator that ``y`` lacks.

    class_counts_ : ndarray of shape (n_classes,)
        Number of examples of each class in the ``y`` given to ``fit`` (not
        weighted), aligned with ``classes_``: the counts that put classes in the
        Many / Medium / Few bands.

    n_features_in_ : int
        Number of features seen by the estimator during ``fit``, where it has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the estimator during ``fit``, where it has them.

    See Also
    --------
    logit_adjust : The same adjustment on arrays of scores.
    sklearn_lt.metrics.balanced_error : The error this estimator targets.

    Notes
    -----
    ``predict_proba`` returns the renormalised adjusted distribution

    .. math::

        \tilde p(y \mid x) \propto p(y \mid x) / \pi_y^{\tau},

    which with ``tau=1`` estimates the posterior under *balanced* (uniform) class
    priors, not under the training distribution. The training-distribution
    posterior is ``estimator_.predict_proba``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LogitAdjustedClassifier
    >>> from sklearn_lt.metrics import balanced_error
    >>> X, y = make_classification(
    ...     n_samples=2000, weights=[0.95], flip_y=0, class_sep=0.5, random_state=0
    ... )
    >>> base = LogisticRegression().fit(X, y)
    >>> adjusted = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    >>> adjusted.priors_
    array([0.95, 0.05])
    >>> balanced_error(y, base.predict(X)) > balanced_error(y, adjusted.predict(X))
    True
    """

    _follows_namespace = True

    _parameter_constraints: dict = {
        **_BaseLogitAdjuster._parameter_constraints,
        "tau": [Number(Real, 0, None, closed="left")],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    }

    _prediction_params = ("tau", *_BaseLogitAdjuster._prediction_params)

    def __init__(
        self,
        estimator,
        *,
        tau=1.0,
        priors="train",
        response_method="auto",
        memory=None,
        batch_size=None,
        target_priors=None,
    ):
        self.estimator = estimator
        self.tau = tau
        self.priors = priors
        self.response_method = response_method
        self.memory = memory
        self.batch_size = batch_size
        self.target_priors = target_priors

    @property
    def priors_(self):
        """Class priors :math:`\\pi` of the adjustment, aligned with ``classes_``.

        They follow the ``priors`` parameter, also when it is changed after
        ``fit``: ``train_priors_`` for ``"train"``, else the given priors.
        """
        check_is_fitted(self)
        return self._current_priors()

    @property
    def target_priors_(self):
        """Target class priors :math:`\\pi^t`, aligned with ``classes_``.

        They follow the ``target_priors`` parameter, also when it is changed after
        ``fit`` (uniform for ``None``).
        """
        check_is_fitted(self)
        return self._current_target_priors()

    def _prediction_plan(self):
        self._validate_prediction_params()
        method = _resolve_response_method(self.estimator_, self.response_method)
        target = None if self.target_priors is None else self._current_target_priors()
        return method, _prior_shift(self.tau, self._current_priors(), target)

    @_fit_context(
        # the wrapped estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator and estimate the class priors.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Training data, passed to the estimator as it is.

        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the examples. They weight the class priors (with
            ``priors="train"``) and are passed to the estimator's ``fit``; with
            metadata routing enabled, the estimator must request them.

        **fit_params : dict
            Other parameters for the estimator's ``fit``. With metadata routing
            enabled, they are routed by the estimator's requests.

        Returns
        -------
        self : LogitAdjustedClassifier
            The fitted estimator.
        """
        X, y = indexable(X, y)
        # With dispatch on and X of an array API library, the estimator fits on
        # X's device; the labels' bookkeeping (classes, counts, frequencies) is
        # done on a NumPy copy of y, and the counts and frequencies are then
        # stored on X's device, as scikit-learn's estimators store theirs.
        place = array_namespace(X=X)
        labels = _check_targets(_on_host(y) if place is not None else y)
        host_weight = sample_weight if place is None else _on_host(sample_weight)

        # Everything below up to `fit` is cheap: fail on bad input before fitting.
        prefit = isinstance(self.estimator, FrozenEstimator)
        estimator = clone(self.estimator)
        _resolve_response_method(estimator, self.response_method)
        classes = _check_two_classes(
            estimator.classes_ if prefit else np.unique(labels)
        )
        self._count_classes(labels, classes)  # a prefit model's unknown labels
        priors = _resolve_priors(self.priors, labels, classes, host_weight)
        target = self.target_priors
        if target is not None:
            target = _resolve_target_priors(target, classes)
        _prior_shift(self.tau, priors, target)  # refuses an overflowing tau
        params = self._fit_params(estimator, prefit, sample_weight, fit_params)
        fit = _fit_estimator
        if not prefit:
            fit = _check_memory(self.memory).cache(_fit_estimator)

        fitted = fit(
            estimator, X, _labels_for(y, labels, place), **params.estimator.fit
        )
        self._set_fitted(fitted, labels, host_weight)
        if place is not None:
            self.train_priors_ = to_namespace(self.train_priors_, *place)
            self.class_counts_ = to_namespace(self.class_counts_, *place)
        return self
