"""
Post-hoc adjustment or the adjusted loss?
=========================================

The paper gives logit adjustment two forms: subtract :math:`\\tau \\log \\pi_y` from a
trained model's logits (post-hoc), or train with cross-entropy on
:math:`f_y(x) + \\tau \\log \\pi_y` (the logit-adjusted loss), whose model is then
used as it is. With an unregularised bias the loss is the same optimisation as
cross-entropy whose bias starts shifted by :math:`\\tau \\log \\pi`; the routes
differ through the initial bias, weight decay and the head's form (see the user
guide). Here both, over a few seeds and a range of :math:`\\tau`, on long-tailed
digits.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_lt.datasets import make_long_tailed
from sklearn_lt.metrics import balanced_error
from sklearn_lt.net import LogitAdjustedNet, MLPModule

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
TAUS = [0.0, 0.5, 1.0, 1.5, 2.0]
SEEDS = range(3)


def net(seed, **params):
    return LogitAdjustedNet(
        MLPModule,
        module__hidden_units=(128,),
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        optimizer__weight_decay=5e-4,
        lr=0.05,
        batch_size=64,
        max_epochs=30,
        train_split=None,
        verbose=0,
        random_state=seed,
        **params,
    )


posthoc = np.zeros((len(SEEDS), len(TAUS)))
loss = np.zeros((len(SEEDS), len(TAUS)))
for s in SEEDS:
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=s
    )
    X_train, y_train = make_long_tailed(
        X_pool,
        y_pool,
        100,
        class_order=np.random.default_rng(s).permutation(10),
        random_state=s,
    )
    erm = net(s, loss="cross_entropy").fit(X_train, y_train)  # one training ...
    for j, tau in enumerate(TAUS):
        erm.set_params(posthoc_tau=tau)  # ... adjusted at every tau
        posthoc[s, j] = balanced_error(y_test, erm.predict(X_test))
        trained = net(s, loss="logit_adjusted", tau=tau).fit(X_train, y_train)
        loss[s, j] = balanced_error(y_test, trained.predict(X_test))
print("tau:                ", TAUS)
print("post-hoc, mean (%): ", (100 * posthoc.mean(axis=0)).round(2))
print("loss, mean (%):     ", (100 * loss.mean(axis=0)).round(2))

# %%
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for values, label in [
    (posthoc, "post-hoc adjustment of the ERM net"),
    (loss, "trained with the logit-adjusted loss"),
]:
    ax.errorbar(
        TAUS,
        100 * values.mean(axis=0),
        yerr=100 * values.std(axis=0),
        marker="o",
        capsize=3,
        label=label,
    )
ax.set_xlabel("tau")
ax.set_ylabel(f"balanced test error (%), mean ± std, {len(SEEDS)} seeds")
ax.set_title("Long-tailed digits, imbalance ratio 100: the two routes")
ax.legend()
plt.show()
