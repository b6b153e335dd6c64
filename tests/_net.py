"""Nets, data and a recording callback shared by the tests of sklearn_lt.net.

Import it after ``pytest.importorskip("torch")`` and ``("skorch")``: it needs both.
"""

import numpy as np
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback

from sklearn_lt.net import LogitAdjustedNet, MLPModule


def small_net(**params):
    """``LogitAdjustedNet(MLPModule)``: Adam, no validation split, seeded, quiet."""
    defaults = {
        "max_epochs": 5,
        "lr": 0.01,
        "train_split": None,
        "random_state": 0,
        "optimizer": torch.optim.Adam,
        "verbose": 0,
    }
    return LogitAdjustedNet(MLPModule, **{**defaults, **params})


def small_data(n_samples=300, weights=(0.7, 0.2, 0.1), seed=0):
    """Six float32 features, one class per weight, drawn with those weights."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=len(weights),
        weights=list(weights),
        random_state=seed,
    )
    return X.astype(np.float32), y


class RecordWeights(Callback):
    """Records the loss's class weights at the start of each epoch (None: none)."""

    def initialize(self):
        self.seen = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        weight = net.criterion_.class_weight  # empty while no weights are set
        self.seen.append(weight.numpy().copy() if weight.numel() else None)
