"""
What if the deployment priors differ from the training priors?
==============================================================

Logit adjustment aims at a uniform test prior. When the deployment prior
:math:`q` is known, the same rule with :math:`\\log q_y - \\log \\pi_y` targets it;
when it is not, it can be estimated from unlabelled deployment data, by EM
(Saerens et al., 2002) or BBSE (Lipton et al., 2018).
:class:`~sklearn_lt.LogitAdjustedClassifier` takes a known prior as
``target_priors=``; :class:`~sklearn_lt.LabelShiftClassifier` estimates it with
``adapt(X_new)``.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression

from sklearn_lt import LabelShiftClassifier, LogitAdjustedClassifier
from sklearn_lt.datasets import make_gaussian_mixture

# Trained with the rare class at 5%; deployed where it makes up 40% of the data.
X, y = make_gaussian_mixture(5000, minority_prior=0.05, random_state=0)
X_new, y_new = make_gaussian_mixture(2000, minority_prior=0.4, random_state=1)

model = LabelShiftClassifier(LogisticRegression()).fit(X, y)
accuracy = {"training priors": model.score(X_new, y_new)}
known = LogitAdjustedClassifier(LogisticRegression(), target_priors=[0.6, 0.4])
accuracy["known priors"] = known.fit(X, y).score(X_new, y_new)
estimated = {}
for method in ("em", "bbse"):
    adapted = LabelShiftClassifier(LogisticRegression(), method=method).fit(X, y)
    adapted.adapt(X_new)
    estimated[method] = float(adapted.target_priors_[1])
    accuracy[f"estimated ({method.upper()})"] = adapted.score(X_new, y_new)
for name, value in accuracy.items():
    print(f"{name:18s} accuracy on the deployment data: {value:.3f}")
print(
    "estimated prior of the rare class:", {k: round(v, 3) for k, v in estimated.items()}
)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
names = list(accuracy)
left.barh(names, [100 * accuracy[n] for n in names], color=["0.6", "C2", "C0", "C1"])
left.invert_yaxis()
left.set_xlim(80, 100)
left.set_xlabel("accuracy on the deployment data (%)")
left.set_title("deployment prior of the rare class: 40%")
right.bar(
    ["training", "true", "EM", "BBSE"],
    [5, 100 * y_new.mean(), 100 * estimated["em"], 100 * estimated["bbse"]],
    color=["0.6", "C2", "C0", "C1"],
)
right.set_ylabel("prior of the rare class (%)")
right.set_title("the prior, as estimated from unlabelled data")
plt.show()
