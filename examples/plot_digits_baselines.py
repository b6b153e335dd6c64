"""
How do the paper's baselines compare on long-tailed digits?
===========================================================

Every method row of the paper's table, on scikit-learn's digits subsampled to an
exponential long tail with imbalance ratio 100 (174 images of the most frequent
digit down to 1 or 2 of the rarest), with the same small MLP
(:class:`~sklearn_lt.net.MLPModule`) for every row; only the loss, or the
step after training, differs. This page trains one seed for a few dozen epochs so
that it builds in seconds; ``benchmarks/method_table.py`` runs five seeds, and the
results page has its numbers.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_lt.datasets import make_long_tailed
from sklearn_lt.metrics import balanced_error
from sklearn_lt.net import DeferredReweighting, LogitAdjustedNet, MLPModule

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train, y_train = make_long_tailed(X_pool, y_pool, imbalance_ratio=100, random_state=0)
print("training counts per digit:", np.bincount(y_train))
EPOCHS = 40


def net(**params):
    return LogitAdjustedNet(
        MLPModule,
        module__hidden_units=(128,),
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        optimizer__weight_decay=5e-4,
        lr=0.05,
        batch_size=64,
        max_epochs=EPOCHS,
        train_split=None,
        verbose=0,
        random_state=0,
        **params,
    )


# %%
# The rows
# --------
# The ERM net also gives weight normalisation and post-hoc adjustment: they only
# change prediction (``set_params`` after ``fit``).
errors = {}
erm = net(loss="cross_entropy").fit(X_train, y_train)
errors["ERM"] = balanced_error(y_test, erm.predict(X_test))
erm.set_params(weight_norm_layer="classifier", weight_norm_tau=1.0)
errors["Weight normalisation (tau=1)"] = balanced_error(y_test, erm.predict(X_test))
erm.set_params(weight_norm_tau=0.0, posthoc_tau=1.0)
errors["Logit adjustment post-hoc"] = balanced_error(y_test, erm.predict(X_test))
trained = {
    "Class-balanced": {"loss": "class_balanced"},
    "Adaptive (LDAM)": {"loss": "ldam", "criterion__scale": 1.0},
    "Adaptive + DRW": {
        "loss": "ldam",
        "criterion__scale": 1.0,
        "callbacks": [("drw", DeferredReweighting(int(0.8 * EPOCHS)))],
    },
    "Equalised": {"loss": "equalised"},
    "Logit adjustment loss": {"loss": "logit_adjusted", "tau": 1.0},
    "Logit adjustment plus adaptive": {"loss": "logit_adjusted_ldam", "tau": 1.0},
}
for name, params in trained.items():
    model = net(**params).fit(X_train, y_train)
    errors[name] = balanced_error(y_test, model.predict(X_test))
for name, value in errors.items():
    print(f"{name:32s} {100 * value:6.2f} %")

# %%
# The figure
# ----------
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
names = list(errors)
colors = ["C1" if "Logit" in n else "C0" for n in names]
ax.barh(names, [100 * errors[n] for n in names], color=colors)
ax.invert_yaxis()
ax.set_xlabel("balanced test error (%), one seed")
ax.set_title(f"Long-tailed digits, imbalance ratio 100, MLP, {EPOCHS} epochs")
plt.show()
