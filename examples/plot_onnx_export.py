"""
How do I deploy an adjusted model with ONNX?
============================================

After :func:`sklearn_lt.onnx.register_converters`, skl2onnx converts a fitted
:class:`~sklearn_lt.LogitAdjustedClassifier` like any scikit-learn classifier: the
inner model's graph followed by the adjustment (for a logistic regression the
shift is folded into its last bias, so the graph costs what the plain model's
does). ONNX Runtime then predicts without Python or scikit-learn. Here the
exported model's labels and probabilities are checked against the Python model's.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.onnx import register_converters

X, y = make_classification(
    n_samples=3000,
    n_classes=5,
    n_informative=6,
    n_redundant=0,
    weights=[0.6, 0.25, 0.1, 0.04, 0.01],
    random_state=0,
)
X = X.astype(np.float32)
model = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)

register_converters()
onx = to_onnx(model, X[:1], options={"zipmap": False})
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
labels, proba = session.run(None, {session.get_inputs()[0].name: X})

print("labels equal to the Python model's:", np.mean(labels == model.predict(X)))
gap = np.abs(proba - model.predict_proba(X)).max()
# ONNX Runtime computes in float32: about 1e-6 relative to probabilities <= 1.
print(f"largest probability difference: {gap:.1e}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
python_proba = model.predict_proba(X)
ax.scatter(python_proba.ravel(), proba.ravel(), s=3)
ax.plot([0, 1], [0, 1], color="0.5", lw=0.8)
ax.set_xlabel("probability, scikit-learn model (float64)")
ax.set_ylabel("probability, ONNX Runtime (float32)")
ax.set_title(f"Exported adjusted model: largest gap {gap:.1e}")
plt.show()
