"""
How do I train a torch net with the logit-adjusted loss?
========================================================

:class:`~sklearn_lt.net.LogitAdjustedNet` is a skorch classifier: a torch module
(here the library's :class:`~sklearn_lt.net.MLPModule`), a loss chosen by name
(``loss="logit_adjusted"`` with ``tau``) and the class priors counted from the
training labels in ``fit``. Its training defaults (AdamW at a learning rate of
1e-3, 100 epochs, batches of 128, no validation split) are meant to be left
alone on small and medium tabular or image-feature data, and are here; every
skorch parameter (optimiser, learning rate, epochs, callbacks) can still be set
as in skorch. The per-epoch history is in ``net.history``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_lt.datasets import make_long_tailed
from sklearn_lt.metrics import balanced_error, many_medium_few_error
from sklearn_lt.net import LogitAdjustedNet, MLPModule

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)  # pixels in [0, 1]
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train, y_train = make_long_tailed(X_pool, y_pool, imbalance_ratio=100, random_state=0)


def train(loss, **params):
    # Only the loss, the seed and quiet: the training defaults do the rest.
    net = LogitAdjustedNet(MLPModule, loss=loss, verbose=0, random_state=0, **params)
    return net.fit(X_train, y_train)


nets = {
    "cross-entropy": train("cross_entropy"),
    "logit-adjusted loss (tau=1)": train("logit_adjusted", tau=1.0),
}
counts = dict(zip(*np.unique(y_train, return_counts=True), strict=True))
for name, net in nets.items():
    pred = net.predict(X_test)
    bands = many_medium_few_error(y_test, pred, counts)
    print(
        f"{name}: balanced error {balanced_error(y_test, pred):.3f}, "
        f"many/medium/few {bands['many']:.3f}/{bands['medium']:.3f}/{bands['few']:.3f}"
    )
print("priors counted in fit:", nets["cross-entropy"].priors_.round(3))

# %%
# Training curves and what they buy
# ---------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for name, net in nets.items():
    left.plot(net.history[:, "train_loss"], label=name)
left.set_yscale("log")
left.set_xlabel("epoch")
left.set_ylabel("training loss (each net's own)")
left.set_title("training on long-tailed digits, imbalance ratio 100")
left.legend()
width = 0.38
for k, (name, net) in enumerate(nets.items()):
    bands = many_medium_few_error(y_test, net.predict(X_test), counts)
    right.bar(
        np.arange(3) + (k - 0.5) * width,
        [100 * bands[b] for b in ("many", "medium", "few")],
        width=width,
        label=name,
    )
right.set_xticks(range(3), ["Many (>100)", "Medium (20-100)", "Few (<20)"])
right.set_ylabel("test error of the band (%)")
right.set_title("error by training frequency")
right.legend()
plt.show()
