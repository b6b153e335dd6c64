"""ONNX export of the post-hoc adjusters and CostSensitiveClassifier (issue 16)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lt import (
    CostSensitiveClassifier,
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    TunedAdjustmentClassifierCV,
)

rt = pytest.importorskip(
    "onnxruntime", reason="the onnx extra (skl2onnx, onnxruntime) is not installed"
)
skl2onnx = pytest.importorskip(
    "skl2onnx", reason="the onnx extra (skl2onnx, onnxruntime) is not installed"
)
from sklearn_lt.onnx import register_converters  # noqa: E402

register_converters()

# skl2onnx 1.20's HistGradientBoosting converter writes Python bools into int
# attributes: protobuf 6 warns (a DeprecationWarning, an error in this test
# configuration), protobuf 7 rejects them, hence the extra's protobuf<7.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Field onnx.AttributeProto.ints. Expected an int, got a boolean"
    ":DeprecationWarning"
)

# ONNX Runtime computes the inner models and the adjustment in float32: the
# probabilities (in [0, 1]) carry float32 rounding of their log, shift and
# softmax, a few ulps of 1 (1.2e-7 each); measured at most 2e-7 here. 1e-5 is
# the bound and leaves room for deeper inner graphs.
PROBA_ATOL = 1e-5

INNER = {
    "logistic": lambda: LogisticRegression(),
    "hist-gradient-boosting": lambda: HistGradientBoostingClassifier(
        max_iter=20, random_state=0
    ),
    "random-forest": lambda: RandomForestClassifier(n_estimators=10, random_state=0),
    "mlp": lambda: MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2000, random_state=0
    ),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


def _data(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    edges = [0.5, 1.5][: n_classes - 1]  # long-tailed: the last class is rare
    y = np.digitize(X[:, 0] + 0.5 * rng.normal(size=400), edges)
    return X, y


def _run(model, X, zipmap):
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": zipmap})
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X})
    if zipmap:
        proba = np.array([[row[c] for c in model.classes_] for row in proba])
    return labels, np.asarray(proba)


@pytest.mark.parametrize("inner", list(INNER))
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("string_labels", [False, True])
@pytest.mark.parametrize("zipmap", [True, False])
def test_converted_adjuster_predicts_as_the_python_model(
    inner, n_classes, string_labels, zipmap
):
    X, y = _data(n_classes)
    if string_labels:
        y = np.array(["ant", "bee", "cat"])[y]
    model = LogitAdjustedClassifier(INNER[inner](), tau=1.5).fit(X, y)
    labels, proba = _run(model, X, zipmap)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=PROBA_ATOL)


@pytest.mark.parametrize(
    "model",
    [
        LogitAdjustedClassifier(LogisticRegression(), target_priors=[0.2, 0.3, 0.5]),
        LogitAdjustedClassifierCV(LogisticRegression(), taus=5, cv=3),
        TunedAdjustmentClassifierCV(
            LogisticRegression(), scoring="worst_class_error", cv=3
        ),
        # The fold: a zero intercept_ array takes the shift.
        LogitAdjustedClassifier(LogisticRegression(fit_intercept=False)),
    ],
    ids=["target-priors", "cv-tuned-tau", "tuned-gains", "no-intercept"],
)
def test_target_priors_and_the_tuners_convert(model):
    X, y = _data(3)
    model.fit(X, y)
    labels, proba = _run(model, X, zipmap=False)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=PROBA_ATOL)
    # The adjustment is in the graph: the inner model alone predicts otherwise.
    assert np.any(model.estimator_.predict(X) != model.predict(X))


def test_an_unfitted_model_is_refused():
    X, _ = _data(3)
    with pytest.raises(NotFittedError, match="not fitted yet, so it has nothing"):
        skl2onnx.to_onnx(LogitAdjustedClassifier(LogisticRegression()), X[:1])


class _Uniform(ClassifierMixin, BaseEstimator):
    """A classifier skl2onnx has no converter for."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


def test_an_inner_model_skl2onnx_cannot_convert_gives_its_own_error():
    X, y = _data(3)
    model = LogitAdjustedClassifier(_Uniform()).fit(X, y)
    with pytest.raises(
        RuntimeError, match="Unable to find a shape calculator.*_Uniform"
    ):
        skl2onnx.to_onnx(model, X[:1])


def test_a_decision_function_adjustment_is_refused_with_the_fix():
    X, y = _data(3)
    model = LogitAdjustedClassifier(
        LogisticRegression(), response_method="decision_function"
    ).fit(X, y)
    with pytest.raises(NotImplementedError, match='Use response_method="auto"'):
        skl2onnx.to_onnx(model, X[:1])


@pytest.mark.parametrize("inner", ["logistic", "random-forest", "pipeline"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"cost_matrix": {("cat", "ant"): 10.0, ("bee", "ant"): 3.0}},
        {"cost_matrix": {("cat", "ant"): 10.0}, "target_priors": [0.2, 0.3, 0.5]},
    ],
    ids=["zero-one", "costs", "costs-and-target-priors"],
)
@pytest.mark.parametrize("zipmap", [True, False])
def test_cost_sensitive_classifier_converts(inner, kwargs, zipmap):
    X, y = _data(3)
    y = np.array(["ant", "bee", "cat"])[y]
    model = CostSensitiveClassifier(INNER[inner](), **kwargs).fit(X, y)
    labels, proba = _run(model, X, zipmap)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=PROBA_ATOL)
    if kwargs:  # the costs are in the graph: the inner model predicts otherwise
        assert np.any(model.estimator_.predict(X) != model.predict(X))


def _op_types(onx):
    return sorted(node.op_type for node in onx.graph.node)


@pytest.mark.parametrize("inner", ["logistic", "mlp", "pipeline"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_shift_folds_into_a_softmax_models_last_bias(inner, n_classes):
    # The adjusted graph is the inner model's own graph, node for node: the
    # shift lives in a copy's last bias, so the adjustment costs nothing extra.
    X, y = _data(n_classes)
    model = LogitAdjustedClassifier(INNER[inner](), tau=1.5).fit(X, y)
    before = model.predict_proba(X)
    options = {"zipmap": False}
    adjusted = skl2onnx.to_onnx(model, X[:1], options=options)
    alone = skl2onnx.to_onnx(
        model.estimator_, X[:1], options={id(model.estimator_): options}
    )
    assert _op_types(adjusted) == _op_types(alone)
    assert "Log" not in _op_types(adjusted)
    labels, proba = _run(model, X, zipmap=False)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, before, atol=PROBA_ATOL)
    # The fitted model itself is untouched: the fold works on a deep copy.
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_models_that_are_not_a_softmax_keep_the_adjustment_operator():
    from sklearn_lt.onnx import _checked_plan, _folded

    def folded(model):
        return _folded(model, *_checked_plan(model))

    X, y = _data(3)
    forest = LogitAdjustedClassifier(INNER["random-forest"]()).fit(X, y)
    assert folded(forest) is None
    assert "Log" in _op_types(skl2onnx.to_onnx(forest, X[:1]))
    # One-vs-rest logistic regression (scikit-learn < 1.8) normalises sigmoids.
    ovr = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    ovr.estimator_.multi_class = "ovr"
    assert folded(ovr) is None
    # The cost-sensitive label is an argmin of expected costs, not an argmax.
    costs = CostSensitiveClassifier(LogisticRegression()).fit(X, y)
    assert folded(costs) is None


@pytest.mark.parametrize("inner", ["logistic", "random-forest"])
def test_nocl_gives_class_indices(inner):
    X, y = _data(3)
    y = np.array(["ant", "bee", "cat"])[y]
    model = LogitAdjustedClassifier(INNER[inner](), tau=1.5).fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False, "nocl": True})
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, _ = session.run(None, {"X": X})
    np.testing.assert_array_equal(model.classes_[labels], model.predict(X))
