"""Adapting to a shifted class prior: EM and BBSE against no adaptation.

The paper's synthetic problem (two Gaussians, N(+-mu, I), mu = (1, 1)) with a logistic
regression trained on 20,000 examples with a 5% rare class. At deployment the rare
class has prior q (the label shift: p(x | y) stays, p(y) moves). Per seed, the script
draws unlabeled deployment rows, estimates q from them with
``sklearn_lt.label_shift.estimate_target_priors`` (EM, Saerens et al. 2002; BBSE,
Lipton et al. 2018, from a labelled held-out set of 5,000 training-distribution rows),
adjusts the model towards the estimate with
``LogitAdjustedClassifier(target_priors=...)``, and measures on 20,000 labelled
deployment rows:

- the L1 error of the estimated priors, ``|q_hat - q|_1``;
- the deployment error of no adaptation, of the EM and BBSE adjustments, and of the
  adjustment with the true q (the oracle, the Bayes rule for the deployment data).

Two sweeps: the number of unlabeled rows (100 to 10,000) at q = 0.5, and the shift
(q from 0.05, no shift, to 0.8) at 2,000 unlabeled rows. Mean ± std over seeds, as
Markdown tables (``benchmarks/results/label_shift.md``) and a figure
(``label_shift.png``).

Run: python benchmarks/bench_label_shift.py [--quick] [--seeds 10]
"""

import argparse
import os
import sys
import time

import numpy as np
from _common import (
    RESULTS_DIR,
    machine_line,
    markdown_table,
    mean_std,
    progress,
    pyplot,
    save_text,
    write_figure,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.datasets import make_gaussian_mixture
from sklearn_lt.label_shift import estimate_target_priors

TRAIN_PRIOR = 0.05
METHODS = ("none", "EM", "BBSE", "oracle")


def run_one(seed, q, n_unlabeled, n_test):
    X, y = make_gaussian_mixture(20_000, minority_prior=TRAIN_PRIOR, random_state=seed)
    X_val, y_val = make_gaussian_mixture(
        5_000, minority_prior=TRAIN_PRIOR, random_state=seed + 10_000
    )
    X_new, _ = make_gaussian_mixture(
        n_unlabeled, minority_prior=q, random_state=seed + 20_000
    )
    X_test, y_test = make_gaussian_mixture(
        n_test, minority_prior=q, random_state=seed + 30_000
    )
    base = LogisticRegression().fit(X, y)
    train_priors = np.bincount(y, minlength=2) / y.size
    true = np.array([1 - q, q])
    estimates = {
        "EM": estimate_target_priors(
            base, X_new, train_priors=train_priors, method="em"
        ),
        "BBSE": estimate_target_priors(
            base,
            X_new,
            train_priors=train_priors,
            method="bbse",
            X_val=X_val,
            y_val=y_val,
        ),
        "oracle": true,
    }
    errors = {"none": float(np.mean(base.predict(X_test) != y_test))}
    frozen = FrozenEstimator(base)
    for name, prior in estimates.items():
        adjusted = LogitAdjustedClassifier(frozen, target_priors=prior).fit(X, y)
        errors[name] = float(np.mean(adjusted.predict(X_test) != y_test))
    l1 = {name: float(np.abs(estimates[name] - true).sum()) for name in ("EM", "BBSE")}
    return l1, errors


def sweep(grid, seeds, make_args, label):
    results = []
    for value in progress(grid, desc=label):
        per_seed = [run_one(seed, *make_args(value)) for seed in seeds]
        results.append(
            {
                "l1": {m: [r[0][m] for r in per_seed] for m in ("EM", "BBSE")},
                "error": {m: [r[1][m] for r in per_seed] for m in METHODS},
            }
        )
    return results


def table(label, grid, results, fmt):
    header = [
        label,
        "L1 EM",
        "L1 BBSE",
        "error: none",
        "EM",
        "BBSE",
        "oracle (true q)",
    ]
    rows = []
    for value, result in zip(grid, results, strict=True):
        rows.append(
            [
                fmt(value),
                mean_std(result["l1"]["EM"], percent=False),
                mean_std(result["l1"]["BBSE"], percent=False),
                *(mean_std(result["error"][m]) for m in METHODS),
            ]
        )
    return markdown_table(header, rows)


def save_figure(n_grid, n_results, q_grid, q_results, path):
    plt = pyplot()

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for method, colour in (("EM", "tab:blue"), ("BBSE", "tab:orange")):
        means = [np.mean(r["l1"][method]) for r in n_results]
        stds = [np.std(r["l1"][method]) for r in n_results]
        left.errorbar(n_grid, means, yerr=stds, label=method, color=colour, capsize=3)
    left.set_xscale("log")
    left.set_xlabel("unlabeled deployment rows")
    left.set_ylabel("L1 error of the estimated priors")
    left.set_title("prior estimate, q = 0.5")
    left.legend()
    colours = {
        "none": "tab:gray",
        "EM": "tab:blue",
        "BBSE": "tab:orange",
        "oracle": "black",
    }
    for method in METHODS:
        means = [100 * np.mean(r["error"][method]) for r in q_results]
        right.plot(q_grid, means, marker="o", label=method, color=colours[method])
    right.set_xlabel("deployment prior of the rare class, q")
    right.set_ylabel("deployment error (%)")
    right.set_title(f"error after adaptation ({TRAIN_PRIOR:.0%} in training)")
    right.legend()
    fig.tight_layout()
    write_figure(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, small grids")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--out-dir", default=RESULTS_DIR)
    args = parser.parse_args(argv)
    seeds = range(args.seeds or (3 if args.quick else 10))
    n_test = 5_000 if args.quick else 20_000
    n_grid = [100, 1000] if args.quick else [100, 300, 1000, 3000, 10_000]
    q_grid = [0.05, 0.5] if args.quick else [0.05, 0.2, 0.5, 0.8]
    start = time.perf_counter()
    print(f"# Label shift: {len(seeds)} seeds; {machine_line()}\n")
    n_results = sweep(n_grid, seeds, lambda n: (0.5, n, n_test), "unlabeled rows")
    q_results = sweep(q_grid, seeds, lambda q: (q, 2_000, n_test), "shift")
    text = (
        f"## Estimating q = 0.5 from more and more unlabeled rows "
        f"(training prior {TRAIN_PRIOR})\n\n"
        + table("unlabeled rows", n_grid, n_results, lambda n: f"{n:,}")
        + "\n\n## Larger shifts, 2,000 unlabeled rows\n\n"
        + table("deployment q", q_grid, q_results, lambda q: f"{q:.2f}")
        + "\n\nL1: |q_hat - q|_1 (mean ± std over seeds); errors in %, on "
        f"{n_test:,} labelled deployment rows per seed."
    )
    print(text)
    header = (
        "# Label shift: EM and BBSE\n\n"
        f"Command: `python {' '.join(sys.argv)}`  \nMachine: {machine_line()}\n\n"
    )
    save_text(header + text, os.path.join(args.out_dir, "label_shift.md"))
    save_figure(
        n_grid,
        n_results,
        q_grid,
        q_results,
        os.path.join(args.out_dir, "label_shift.png"),
    )
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
