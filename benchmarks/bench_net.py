"""Seconds per epoch of LogitAdjustedNet, as ratios to plain skorch and plain torch.

Trains the same MLP on the same long-tailed data (20 classes, imbalance ratio 100)
with

  (a) LogitAdjustedNet(loss="logit_adjusted");
  (b) skorch's NeuralNetClassifier with torch.nn.CrossEntropyLoss (the baseline);
  (c) a hand-written torch loop (DataLoader, SGD, cross-entropy);

all with the same optimizer, batch size and number of epochs, no validation split,
on the CPU (and on CUDA when available). The time per epoch is the median over the
epochs of --repeats runs, measured in one run of this script, in alternation so
that drifts of the machine hit all three alike. Target: (a) / (b) at most 1.05x.

Run: python benchmarks/bench_net.py [--quick] [--repeats 3]
"""

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import make_classification
from skorch import NeuralNetClassifier

from sklearn_lt.net import LogitAdjustedNet, MLPModule


def long_tailed_problem(n_max, n_classes=20, imbalance_ratio=100, n_features=64):
    weights = imbalance_ratio ** (-np.arange(n_classes) / (n_classes - 1))
    X, y = make_classification(
        n_samples=int(n_max * weights.sum()),
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=n_classes,
        n_clusters_per_class=1,
        weights=weights / weights.sum(),
        random_state=0,
    )
    return X.astype(np.float32), y.astype(np.int64)


def module_params(X, y, hidden):
    return {
        "n_features": X.shape[1],
        "n_classes": int(y.max()) + 1,
        "hidden_units": hidden,
    }


def epoch_seconds_skorch(net_cls, X, y, epochs, device, hidden, **params):
    torch.manual_seed(0)
    net = net_cls(
        MLPModule,
        max_epochs=epochs,
        # Spelled out: LogitAdjustedNet's defaults (AdamW, ...) are not skorch's.
        optimizer=torch.optim.SGD,
        lr=0.05,
        batch_size=256,
        train_split=None,
        verbose=0,
        device=device,
        **{f"module__{k}": v for k, v in module_params(X, y, hidden).items()},
        **params,
    ).fit(X, y)
    return list(net.history[:, "dur"])


def epoch_seconds_torch(X, y, epochs, device, hidden):
    torch.manual_seed(0)
    module = MLPModule(**module_params(X, y, hidden)).to(device)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.05)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y)),
        batch_size=256,
        shuffle=True,
    )
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        module.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(xb), yb)
            loss.backward()
            optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        durations.append(time.perf_counter() - start)
    return durations


def run(device, X, y, epochs, repeats, hidden):
    times = {"a": [], "b": [], "c": []}
    for _ in range(repeats):
        times["a"] += epoch_seconds_skorch(
            LogitAdjustedNet, X, y, epochs, device, hidden, loss="logit_adjusted"
        )
        times["b"] += epoch_seconds_skorch(
            NeuralNetClassifier,
            X,
            y,
            epochs,
            device,
            hidden,
            criterion=torch.nn.CrossEntropyLoss,
        )
        times["c"] += epoch_seconds_torch(X, y, epochs, device, hidden)
    median = {key: statistics.median(values) for key, values in times.items()}
    print(f"\n## {device}: seconds per epoch (median of {len(times['a'])} epochs)\n")
    print("| run | s / epoch | ratio to skorch + cross_entropy | target |")
    print("|---|---|---|---|")
    rows = [
        ("(a) LogitAdjustedNet, logit-adjusted loss", median["a"], 1.05),
        ("(b) NeuralNetClassifier, CrossEntropyLoss", median["b"], None),
        ("(c) hand-written torch loop", median["c"], None),
    ]
    for name, seconds, target in rows:
        ratio = seconds / median["b"]
        verdict = "-"
        if target is not None:
            verdict = f"<= {target}x " + ("met" if ratio <= target else "MISSED")
        print(f"| {name} | {seconds:.4f} | {ratio:.3f}x | {verdict} |")
    print(
        f"\n(a) / (c), against the plain torch loop: {median['a'] / median['c']:.3f}x"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 2 epochs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n_max, epochs, hidden = (500, 2, (128,)) if args.quick else (4000, 5, (256, 256))
    X, y = long_tailed_problem(n_max)
    print(
        f"# LogitAdjustedNet epoch time: {X.shape[0]} rows x {X.shape[1]} features, "
        f"{int(y.max()) + 1} classes ({np.bincount(y).max()} to "
        f"{np.bincount(y).min()} examples), MLP hidden {hidden}, batch 256, SGD, "
        f"{epochs} epochs x {args.repeats} repeats, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    if args.quick:
        print(
            "(quick mode: a smoke run on a small budget; the targets are meant for "
            "the full run)"
        )
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        run(device, X, y, epochs, args.repeats, hidden)


if __name__ == "__main__":
    main()
