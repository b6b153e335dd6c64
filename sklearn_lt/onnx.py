r"""ONNX export of sklearn-lt's post-hoc adjusters (needs the ``onnx`` extra).

After :func:`register_converters`, ``skl2onnx.to_onnx(model, X[:1])`` converts a
fitted :class:`~sklearn_lt.LogitAdjustedClassifier`,
:class:`~sklearn_lt.LogitAdjustedClassifierCV` or
:class:`~sklearn_lt.TunedAdjustmentClassifierCV` as it converts any scikit-learn
classifier, and :class:`~sklearn_lt.CostSensitiveClassifier` too. The graph is
the inner model's own graph (skl2onnx parses
``estimator_`` itself, so any model it converts, a ``Pipeline`` included, can be
inside) followed by the adjustment of Menon et al. (2021), "Long-tail learning
via logit adjustment" (ICLR): with the inner model's probabilities :math:`p`,

.. math::

    s_y = \log \max(p_y, \text{tiny}) - \text{shift}_y, \qquad
    \hat y = \operatorname{argmax}_y s_y, \qquad
    \tilde p = \operatorname{softmax}(s),

where ``shift`` is what the Python model subtracts (``tau * log priors_``, minus
``tau * log target_priors_`` when set; for the tuner of gains, its
``adjustment_``), fixed at conversion. For ``CostSensitiveClassifier`` the label
is instead :math:`\operatorname{argmin}_k \sum_y \tilde p_y \, c(y, k)`, the
least expected cost under its cost matrix. The outputs are those of a scikit-learn
classifier: ``output_label`` and ``output_probability`` (a list of dicts with
``zipmap``, the default; a tensor with ``options={"zipmap": False}``; class
indices for labels with ``nocl=True``).

Where the inner model's probabilities are a softmax of logits ending in a bias
(multinomial or binary ``LogisticRegression``, ``MLPClassifier``, and a
``Pipeline`` ending in either), the shift is folded into that bias instead:
:math:`\log p_y - \text{shift}_y` is :math:`z_y - \text{shift}_y` less a
per-row constant, so a copy of the inner model with its last bias less
``shift`` has the adjusted labels and probabilities, and its graph costs what
the inner model's own does (``benchmarks/bench_deploy.py`` measures it).

ONNX Runtime computes in float32: probabilities agree with the Python model to
about 1e-5, labels except at float ties, and a probability below float32's
smallest normal number (1.2e-38) is clipped there rather than at float64's.
``response_method="decision_function"`` is not converted (the inner graph gives
probabilities); ``LabelShiftClassifier`` has no converter yet.
"""

import copy

import numpy as np
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

try:
    from skl2onnx import update_registered_converter
    from skl2onnx._parse import _apply_zipmap, _parse_sklearn
    from skl2onnx.algebra.onnx_ops import (
        OnnxArgMax,
        OnnxArgMin,
        OnnxGather,
        OnnxIdentity,
        OnnxLog,
        OnnxMatMul,
        OnnxMax,
        OnnxSoftmax,
        OnnxSub,
    )
    from skl2onnx.common.data_types import (
        Int64TensorType,
        StringTensorType,
        guess_numpy_type,
        guess_tensor_type,
    )
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        'sklearn_lt.onnx needs skl2onnx and onnxruntime: pip install "sklearn-lt[onnx]"'
    ) from exc

from ._cost_sensitive import CostSensitiveClassifier
from ._posthoc import LogitAdjustedClassifier
from ._tuning import LogitAdjustedClassifierCV, TunedAdjustmentClassifierCV

__all__ = ["register_converters"]

_ADJUSTERS = (
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    TunedAdjustmentClassifierCV,
    CostSensitiveClassifier,
)
_PROBABILITY_METHODS = ("predict_log_proba", "predict_proba")


def _final_classifier(estimator):
    """The step of a (nested) ``Pipeline`` whose output is the probabilities."""
    while isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator


def _integer_labels(classes):
    classes = np.asarray(classes)
    return np.issubdtype(classes.dtype, np.number) or classes.dtype == np.bool_


def _checked_plan(model):
    """``(shift, classes)`` of a fitted adjuster, or an error saying why not."""
    name = type(model).__name__
    check_is_fitted(
        model,
        msg=(
            f"This {name} instance is not fitted yet, so it has nothing to convert "
            "to ONNX. Call fit first."
        ),
    )
    if getattr(model, "estimator_", None) is None:
        raise ValueError(
            f"{name} has no fitted estimator_ (refit=False?), so there is no model "
            "to convert; refit it with refit=True."
        )
    method, shift = model._prediction_plan()
    if method not in _PROBABILITY_METHODS:
        raise NotImplementedError(
            f"{name} adjusts its estimator's {method} (response_method="
            f"{model.response_method!r}), but the ONNX graph of the inner model "
            "gives probabilities; only adjustments of (log-)probabilities convert. "
            'Use response_method="auto" with a model that has predict_proba.'
        )
    classes = np.asarray(model.classes_)
    if np.issubdtype(classes.dtype, np.floating) and not np.all(
        classes == np.round(classes)
    ):
        raise ValueError(
            f"{name} has non-integer float class labels {classes[:5]!r}; ONNX "
            "labels are integers or strings. Fit on integer or string labels."
        )
    shift = np.broadcast_to(np.asarray(shift, dtype=np.float64), classes.shape)
    return shift, classes


def _softmax_bias(estimator):
    """The bias vector under a softmax (or, for two classes, a sigmoid), or None.

    Returns ``(owner, attribute, index)`` locating the last bias of a model
    whose probabilities are ``softmax(z)`` for logits ``z`` that end in that
    bias (binary: ``sigmoid(z)``, the softmax of ``(0, z)``); None for any other
    model, one-vs-rest logistic regression included (its probabilities are
    normalised sigmoids, not a softmax).
    """
    final = _final_classifier(estimator)
    if type(final) in (LogisticRegression, LogisticRegressionCV):
        multi_class = getattr(final, "multi_class", "deprecated")
        ovr = multi_class == "ovr" or (
            multi_class in ("auto", "deprecated", "warn")
            and final.solver == "liblinear"
        )
        if len(final.classes_) == 2 or not ovr:
            return final, "intercept_", None
    if type(final) is MLPClassifier:
        # Binary: one logistic output; multiclass: a softmax (multilabel has
        # several logistic outputs and is never adjusted here).
        softmax = final.out_activation_ == "softmax"
        sigmoid = final.out_activation_ == "logistic"
        if softmax or (sigmoid and final.intercepts_[-1].shape == (1,)):
            return final, "intercepts_", -1
    return None


def _folded(model, shift, classes):
    """A copy of ``estimator_`` whose own graph is the adjusted model, or None.

    For a model whose probabilities are ``softmax(z)``, ``log p - shift`` is
    ``z - shift`` less a per-row constant, so its argmax and softmax are those
    of the logits with ``shift`` taken from the last bias: a deep copy with that
    bias has the adjusted model's labels and probabilities, and its graph costs
    what the inner model's does (for two classes the sigmoid's logit is
    ``z_1 - z_0``, so the bias takes ``shift_1 - shift_0``). The cost-sensitive
    rule is not an argmax of scores and is never folded.
    """
    if isinstance(model, CostSensitiveClassifier):
        return None
    located = _softmax_bias(model.estimator_)
    if located is None or not np.array_equal(np.asarray(located[0].classes_), classes):
        return None
    folded = copy.deepcopy(model.estimator_)
    owner, attribute, index = _softmax_bias(folded)  # the same bias, in the copy
    if len(classes) == 2:
        shift = shift[1:] - shift[:1]
    bias = getattr(owner, attribute)
    if index is None:
        shape = np.shape(owner.coef_)[:1]
        setattr(owner, attribute, np.broadcast_to(bias, shape) - shift)
    else:
        bias = list(bias)
        bias[index] = np.asarray(bias[index], dtype=np.float64) - shift
        setattr(owner, attribute, bias)
    return folded


def _parser(scope, model, inputs, custom_parsers=None):
    """The inner model's own graph (no ZipMap), then the adjustment operator.

    Where the shift folds into the inner model's last bias (:func:`_folded`),
    the graph is the folded copy's own, with the options given to ``model``.
    """
    shift, classes = _checked_plan(model)
    options = scope.get_options(model, {"zipmap": True, "nocl": False})
    folded = _folded(model, shift, classes)
    if folded is not None:
        scope.add_options(id(_final_classifier(folded)), options)
        return _parse_sklearn(scope, folded, inputs, custom_parsers=custom_parsers)
    inner = model.estimator_
    # The inner classifier must hand over a probability tensor, not a ZipMap.
    scope.add_options(id(_final_classifier(inner)), {"zipmap": False})
    inner_outputs = _parse_sklearn(scope, inner, inputs, custom_parsers=custom_parsers)
    operator = scope.declare_local_operator(_ALIAS, model)
    operator.inputs.append(inner_outputs[1])  # the probabilities
    if options["nocl"] or _integer_labels(model.classes_):
        label_type = Int64TensorType([None])
    else:
        label_type = StringTensorType([None])
    label = scope.declare_local_variable("label", label_type)
    probability = scope.declare_local_variable(
        "probabilities", guess_tensor_type(inputs[0].type)
    )
    operator.outputs.append(label)
    operator.outputs.append(probability)
    if isinstance(options["zipmap"], bool) and not options["zipmap"]:
        return list(operator.outputs)
    return _apply_zipmap(
        options["zipmap"], scope, model, inputs[0].type, list(operator.outputs)
    )


def _shape_calculator(operator):
    n_rows = operator.inputs[0].get_first_dimension()
    n_classes = len(operator.raw_operator.classes_)
    operator.outputs[0].type.shape = [n_rows]
    operator.outputs[1].type = operator.inputs[0].type.__class__([n_rows, n_classes])


def _converter(scope, operator, container):
    model = operator.raw_operator
    opset = container.target_opset
    shift, classes = _checked_plan(model)
    proba = operator.inputs[0]
    dtype = guess_numpy_type(proba.type)
    floor = np.array([np.finfo(dtype).tiny], dtype=dtype)
    log_proba = OnnxLog(OnnxMax(proba, floor, op_version=opset), op_version=opset)
    scores = OnnxSub(log_proba, shift.astype(dtype), op_version=opset)
    if container.get_options(model, {"nocl": False})["nocl"]:
        labels = np.arange(len(classes), dtype=np.int64)  # class indices
    elif _integer_labels(classes):
        labels = classes.astype(np.int64)
    else:
        labels = np.array([str(c) for c in classes], dtype=object)
    probabilities = OnnxSoftmax(scores, axis=1, op_version=opset)
    if isinstance(model, CostSensitiveClassifier):
        # The least expected cost: argmin_k sum_y p_t(y | x) c(y, k), the first
        # of equal costs, as the Python model's argmax of minus their log.
        cost = model._current_cost(stacklevel=2).astype(dtype)
        expected = OnnxMatMul(probabilities, cost, op_version=opset)
        index = OnnxArgMin(expected, axis=1, keepdims=0, op_version=opset)
    else:
        index = OnnxArgMax(scores, axis=1, keepdims=0, op_version=opset)
    label = OnnxGather(labels, index, axis=0, op_version=opset)
    OnnxIdentity(
        label, op_version=opset, output_names=[operator.outputs[0].full_name]
    ).add_to(scope, container)
    OnnxIdentity(
        probabilities, op_version=opset, output_names=[operator.outputs[1].full_name]
    ).add_to(scope, container)


_ALIAS = "SklearnLtLogitAdjustment"


def register_converters():
    """Register sklearn-lt's ONNX converters with skl2onnx.

    After this call ``skl2onnx.to_onnx(model, X[:1])`` (or ``convert_sklearn``)
    converts fitted :class:`~sklearn_lt.LogitAdjustedClassifier`,
    :class:`~sklearn_lt.LogitAdjustedClassifierCV`,
    :class:`~sklearn_lt.TunedAdjustmentClassifierCV` and
    :class:`~sklearn_lt.CostSensitiveClassifier` models whose ``estimator_``
    skl2onnx converts. The ``zipmap`` option (``True``, ``False`` or
    ``"columns"``) and ``nocl`` work as for scikit-learn's classifiers.
    Calling it again changes nothing.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as rt
    >>> from skl2onnx import to_onnx
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LogitAdjustedClassifier
    >>> from sklearn_lt.onnx import register_converters
    >>> register_converters()
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)).astype(np.float32)
    >>> y = (X[:, 0] + rng.normal(size=300) > 1.2).astype(int)  # a rare class 1
    >>> model = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    >>> onx = to_onnx(model, X[:1], options={"zipmap": False})
    >>> session = rt.InferenceSession(onx.SerializeToString())
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool(np.all(labels == model.predict(X)))
    True
    """
    for cls in _ADJUSTERS:
        update_registered_converter(
            cls,
            _ALIAS,
            _shape_calculator,
            _converter,
            parser=_parser,
            options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
        )
