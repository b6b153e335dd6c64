"""
How do I adjust a model I have already trained?
===============================================

Logit adjustment (Menon et al., "Long-tail learning via logit adjustment", ICLR
2021) needs no retraining: a classifier fitted on long-tailed labels predicts
:math:`\\arg\\max_y \\log p(y \\mid x)`, which favours the frequent classes;
predicting :math:`\\arg\\max_y \\log p(y \\mid x) - \\tau \\log \\pi_y` instead, with
:math:`\\pi` the training class frequencies, aims at the balanced error.

Two ways to apply it to a model you already have: wrap it in
:class:`~sklearn.frozen.FrozenEstimator` and give it to
:class:`~sklearn_lt.LogitAdjustedClassifier`, which then only counts the class
priors; or call :func:`~sklearn_lt.logit_adjust` on scores you already hold.
"""

# %%
# A long-tailed problem and a model trained on it
# -----------------------------------------------
# Seven classes whose frequencies fall from 50% to 0.5%.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sklearn_lt import LogitAdjustedClassifier, logit_adjust
from sklearn_lt.metrics import balanced_error, per_class_error

X, y = make_classification(
    n_samples=4000,
    n_classes=7,
    n_informative=6,
    n_redundant=0,
    weights=[0.5, 0.25, 0.12, 0.07, 0.04, 0.015, 0.005],
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
model = LogisticRegression().fit(X_train, y_train)  # "the model you already have"
print("training counts:", np.bincount(y_train))

# %%
# Wrap it, frozen: fit only counts the priors
# -------------------------------------------
adjusted = LogitAdjustedClassifier(FrozenEstimator(model)).fit(X_train, y_train)
print("priors:", adjusted.priors_.round(3))
plain_error = balanced_error(y_test, model.predict(X_test))
adjusted_error = balanced_error(y_test, adjusted.predict(X_test))
print(f"balanced error, as trained: {plain_error:.3f}")
print(f"balanced error, adjusted:   {adjusted_error:.3f}")

# %%
# Or adjust scores you hold
# -------------------------
# The same decision from the model's log-probabilities and the priors.
scores = logit_adjust(model.predict_log_proba(X_test), adjusted.priors_, tau=1.0)
same = np.array_equal(model.classes_[scores.argmax(axis=1)], adjusted.predict(X_test))
print("logit_adjust gives the wrapper's predictions:", same)

# %%
# Which classes gain
# ------------------
# The adjustment moves errors from the rare classes to the frequent ones.
errors_plain = per_class_error(y_test, model.predict(X_test))
errors_adjusted = per_class_error(y_test, adjusted.predict(X_test))
classes = np.arange(7)
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
ax.bar(classes - 0.2, 100 * errors_plain, width=0.4, label="as trained")
ax.bar(classes + 0.2, 100 * errors_adjusted, width=0.4, label="logit-adjusted (tau=1)")
ax.set_xticks(classes, [f"{c}\n(n={n})" for c, n in enumerate(np.bincount(y_train))])
ax.set_xlabel("class (training examples), most frequent first")
ax.set_ylabel("test error of the class (%)")
ax.set_title("A fitted model, adjusted after the fact")
ax.legend()
plt.show()
