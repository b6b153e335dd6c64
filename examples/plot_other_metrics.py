"""
What if my metric is not the balanced error?
============================================

Logit adjustment is the plug-in rule for the balanced error. Other metrics of the
confusion matrix want other per-class gains on the posterior (Narasimhan et al.,
2015): :class:`~sklearn_lt.TunedAdjustmentClassifierCV` searches them by
cross-validation for the worst-class error, the geometric or harmonic mean of
the recalls; :class:`~sklearn_lt.CostSensitiveClassifier` takes a cost matrix
and predicts the class of least expected cost.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sklearn_lt import (
    CostSensitiveClassifier,
    LogitAdjustedClassifier,
    TunedAdjustmentClassifierCV,
)
from sklearn_lt.metrics import (
    balanced_error,
    expected_cost,
    geometric_mean_recall,
    worst_class_error,
)

X, y = make_classification(
    n_samples=6000,
    n_classes=4,
    n_informative=5,
    n_redundant=0,
    class_sep=0.8,
    weights=[0.7, 0.2, 0.07, 0.03],
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
models = {
    "plain": LogisticRegression(),
    "logit-adjusted": LogitAdjustedClassifier(LogisticRegression()),
    "tuned for the worst class": TunedAdjustmentClassifierCV(
        LogisticRegression(), scoring="worst_class_error", cv=5
    ),
}
metrics = {
    "balanced error": balanced_error,
    "worst-class error": worst_class_error,
    "1 - G-mean of recalls": lambda t, p: 1 - geometric_mean_recall(t, p),
}
table = {}
for name, model in models.items():
    pred = model.fit(X_train, y_train).predict(X_test)
    table[name] = {m: f(y_test, pred) for m, f in metrics.items()}
    print(name, {m: round(v, 3) for m, v in table[name].items()})

# %%
# A cost matrix: missing the rarest class costs 20, any other mistake 1
# ---------------------------------------------------------------------
cost = np.ones((4, 4)) - np.eye(4)
cost[3, :3] = 20.0  # row: true class, column: predicted class
for name, model in {
    "plain": LogisticRegression(),
    "cost-sensitive": CostSensitiveClassifier(LogisticRegression(), cost),
}.items():
    pred = model.fit(X_train, y_train).predict(X_test)
    print(f"{name}: mean cost per test example {expected_cost(y_test, pred, cost):.3f}")

# %%
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
width = 0.27
for k, name in enumerate(table):
    ax.bar(
        np.arange(3) + (k - 1) * width,
        [100 * table[name][m] for m in metrics],
        width=width,
        label=name,
    )
ax.set_xticks(range(3), list(metrics))
ax.set_ylabel("test value (%), lower is better")
ax.set_title("Four classes, 70% / 20% / 7% / 3%: each rule for its metric")
ax.legend()
plt.show()
