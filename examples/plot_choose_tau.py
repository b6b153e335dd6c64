r"""
How do I choose tau?
====================

:math:`\tau = 1` is the Bayes-optimal choice for the balanced error when the model's
probabilities are calibrated; real models are not, and the paper tunes
:math:`\tau` on held-out data. :class:`~sklearn_lt.LogitAdjustedClassifierCV`
does this with one fit per split: every :math:`\tau` of the grid is scored on the
cached validation scores. :class:`~sklearn_lt.plotting.TauCurveDisplay` draws the
curve, and reads a plain :class:`~sklearn.model_selection.GridSearchCV` over
``tau`` as well.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt.metrics import balanced_error, balanced_error_scorer
from sklearn_lt.plotting import TauCurveDisplay

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

# %%
# The tuner: 41 values of tau, five splits, five fits
# ---------------------------------------------------
search = LogitAdjustedClassifierCV(LogisticRegression(), taus=41, cv=5)
search.fit(X_train, y_train)
print(f"best tau: {search.best_tau_:.2f}")
print(f"its mean validation balanced error: {-search.best_score_:.3f}")
print(f"test balanced error: {balanced_error(y_test, search.predict(X_test)):.3f}")

# %%
# The same question asked of GridSearchCV (one fit per tau and split)
# -------------------------------------------------------------------
grid = GridSearchCV(
    LogitAdjustedClassifier(LogisticRegression()),
    {"tau": [0.0, 0.5, 1.0, 1.5, 2.0]},
    scoring=balanced_error_scorer,
    cv=5,
).fit(X_train, y_train)
print("GridSearchCV's best tau:", grid.best_params_["tau"])

# %%
# The curves
# ----------
# Left, the tuner's errors (lower is better) with their spread over the splits;
# right, the grid search's score, minus the balanced error (greater is better).
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
TauCurveDisplay.from_estimator(search, ax=left)
left.set_title("LogitAdjustedClassifierCV: validation errors")
TauCurveDisplay.from_estimator(grid, ax=right)
right.set_title("GridSearchCV over tau: validation score")
plt.show()
