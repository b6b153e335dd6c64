"""
Does logit adjustment reach the best possible balanced error?
=============================================================

The paper's first experiment: two isotropic Gaussians in the plane, the rare class
5% of the training data. The balanced error of the Bayes-optimal rule is known in
closed form (:func:`~sklearn_lt.datasets.gaussian_mixture_bayes`), so a method can
be measured against the best possible. Plain logistic regression (ERM) puts its
separator too close to the rare class; subtracting :math:`\\log \\pi_y` from its
logits moves the separator to the Bayes rule's.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.datasets import gaussian_mixture_bayes, make_gaussian_mixture
from sklearn_lt.metrics import balanced_error

bayes = gaussian_mixture_bayes()
print(f"Bayes-optimal balanced error: {bayes.balanced_error:.4f}")

errors = {"ERM": [], "logit-adjusted": [], "Bayes rule": []}
for seed in range(5):
    X, y = make_gaussian_mixture(5000, minority_prior=0.05, random_state=seed)
    X_test, y_test = make_gaussian_mixture(20_000, random_state=100 + seed)  # balanced
    erm = LogisticRegression().fit(X, y)
    adjusted = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    errors["ERM"].append(balanced_error(y_test, erm.predict(X_test)))
    errors["logit-adjusted"].append(balanced_error(y_test, adjusted.predict(X_test)))
    errors["Bayes rule"].append(balanced_error(y_test, bayes.predict(X_test)))
for name, values in errors.items():
    print(f"{name:15s} {100 * np.mean(values):.2f} ± {100 * np.std(values):.2f} %")

# %%
# The separators of the last seed
# -------------------------------
fig, (bars, plane) = plt.subplots(1, 2, figsize=(11, 4.3), layout="constrained")
names = list(errors)
bars.barh(
    names,
    [100 * np.mean(errors[n]) for n in names],
    xerr=[100 * np.std(errors[n]) for n in names],
    color=["C0", "C1", "k"],
)
bars.invert_yaxis()
bars.set_xlabel("balanced test error (%), mean ± std over 5 seeds")
bars.set_title("rare class 5% of training")

show = np.random.RandomState(0).permutation(len(y))[:2000]
plane.scatter(*X[show][y[show] == 0].T, s=4, color="0.7", label="frequent (y=0)")
plane.scatter(*X[show][y[show] == 1].T, s=10, color="tab:purple", label="rare (y=1)")
grid = np.linspace(-4.5, 4.5, 300)
xx, yy = np.meshgrid(grid, grid)
points = np.c_[xx.ravel(), yy.ravel()]
for model, color, label in [
    (erm, "C0", "ERM"),
    (adjusted, "C1", "logit-adjusted"),
    (bayes, "k", "Bayes rule"),
]:
    plane.contour(
        xx, yy, model.predict(points).reshape(xx.shape), levels=[0.5], colors=color
    )
    plane.plot([], [], color=color, label=label)
plane.set_aspect("equal")
plane.set_xlabel("x1")
plane.set_ylabel("x2")
plane.set_title("decision boundaries on a training draw")
plane.legend(fontsize=8, loc="upper left")
plt.show()
