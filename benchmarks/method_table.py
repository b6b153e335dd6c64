"""Every method row of Menon et al. (2021)'s table, on long-tailed data of this machine.

The paper's real-world table compares ten methods on CIFAR-10-LT, CIFAR-100-LT,
ImageNet-LT and iNaturalist. None of those can be downloaded here, so this script runs
the same ten rows, with the same protocol, on data that needs no download:

- **digits-LT**: scikit-learn's handwritten digits (10 classes, 1,797 images of 8x8
  pixels). Per seed: a stratified split into a balanced test set (30%), a balanced
  validation set (10%, used only to tune weight normalisation's tau) and a training pool
  (60%, about 106 images per class), which ``make_long_tailed`` subsamples to the
  CIFAR-10-LT profile (exponential, imbalance ratio 100 or 10) with a seed-dependent
  class order.
- **gaussians-100-LT**: a synthetic stand-in for CIFAR-100-LT, 100 classes drawn by
  ``make_classification`` (64 features, 32 informative), balanced test set, training
  set subsampled to the exponential profile with n_max = 500 and ratio 100 (10,847
  examples, the size of CIFAR-100-LT), so all three of the Many (> 100), Medium
  (20-100) and Few (< 20) bands hold many classes. Not a real data set: it shows the
  band breakdown, not image performance.

Every row trains the same MLP (one hidden layer, ReLU) with ``LogitAdjustedNet``, SGD
with momentum (weight normalisation relies on SGD: with Adam the weight norms do not
track the priors, as the paper notes), the same seeds and epochs; only the loss and the
post-hoc step differ:

=================================  ===================================================
row                                LogitAdjustedNet parameters
=================================  ===================================================
ERM                                loss="cross_entropy"
Weight normalisation (tau = 1)     the ERM net, weight_norm_tau=1
Weight normalisation (tau = tau*)  the ERM net, weight_norm_tau tuned on validation
Class-balanced                     loss="class_balanced" (effective number, beta=0.9999)
Adaptive (LDAM)                    loss="ldam" (max margin 0.5, scale 1, see below)
Adaptive + DRW                     loss="ldam", DeferredReweighting at 80% of epochs
Equalised                          loss="equalised"
Logit adjustment post-hoc (tau=1)  the ERM net, posthoc_tau=1
Logit adjustment loss (tau=1)      loss="logit_adjusted", tau=1
Logit adjustment plus adaptive     loss="logit_adjusted_ldam", tau=1
=================================  ===================================================

The four rows built on the ERM net share one training run per seed. LDAM's default
scale of 30 assumes the normalised logits (cosine classifier) of Cao et al.; this MLP's
logits are not normalised, so its margins are taken in logit units (scale 1), as for
the logit adjustment plus adaptive row (with ``criterion__scale`` given,
``LogitAdjustedNet`` keeps MLPModule's linear head).

Reported: balanced error (mean ± std over seeds, in %) on the balanced test set, and
the error over the Many / Medium / Few classes (by training count), next to the paper's
CIFAR-10-LT / CIFAR-100-LT numbers. Written as Markdown to
``benchmarks/results/method_table.md``, with a bar chart ``method_table.png``.

Run: python benchmarks/method_table.py [--quick] [--seeds 5] [--datasets digits-100 ...]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from _common import (
    RESULTS_DIR,
    digits_problem,
    gaussians_problem,
    machine_line,
    markdown_table,
    mean_std,
    progress,
    pyplot,
    save_text,
    write_figure,
)

from sklearn_lt.metrics import balanced_error, many_medium_few_error
from sklearn_lt.net import DeferredReweighting, LogitAdjustedNet, MLPModule

# (row, paper's CIFAR-10-LT and CIFAR-100-LT balanced error in %), from the paper's
# table as given in shared/reference/menon2021-slides.txt.
ROWS = (
    ("ERM", 27.16, 61.64),
    ("Weight normalisation (tau=1)", 24.02, 58.89),
    ("Weight normalisation (tau=tau*)", 21.50, 58.76),
    ("Class-balanced", 25.43, 60.40),
    ("Adaptive (LDAM)", 26.65, 60.40),
    ("Adaptive + DRW", 22.97, 57.96),
    ("Equalised", 26.02, 57.26),
    ("Logit adjustment post-hoc (tau=1)", 22.60, 58.24),
    ("Logit adjustment loss (tau=1)", 22.33, 56.11),
    ("Logit adjustment plus adaptive (tau=1)", 22.42, 55.92),
)
# EqualisedLoss's default: classes with a smaller share of the training set are rare.
EQUALISED_THRESHOLD = 0.01
WEIGHT_NORM_TAUS = np.round(np.linspace(0.0, 2.0, 9), 2)

# Trained rows: name -> LogitAdjustedNet parameters (the ERM run also gives the
# weight-normalisation and post-hoc rows); "drw" is the DeferredReweighting callback.
TRAINED = {
    "ERM": {"loss": "cross_entropy"},
    "Class-balanced": {"loss": "class_balanced"},
    "Adaptive (LDAM)": {"loss": "ldam", "criterion__scale": 1.0},
    "Adaptive + DRW": {"loss": "ldam", "criterion__scale": 1.0, "drw": "80%"},
    "Equalised": {"loss": "equalised"},
    "Logit adjustment loss (tau=1)": {"loss": "logit_adjusted", "tau": 1.0},
    "Logit adjustment plus adaptive (tau=1)": {
        "loss": "logit_adjusted_ldam",
        "tau": 1.0,
    },
}


DATASETS = {
    "digits-100": lambda seed: digits_problem(100, seed),
    "digits-10": lambda seed: digits_problem(10, seed),
    "gaussians100-100": lambda seed: gaussians_problem(100, seed),
}


# The optimiser every row trains with (also bench_net_defaults.py's "tuned SGD").
TUNED_SGD = {
    "optimizer": torch.optim.SGD,
    "optimizer__momentum": 0.9,
    "optimizer__weight_decay": 5e-4,
    "lr": 0.05,
    "batch_size": 64,
}


def make_net(params, epochs, hidden, seed):
    params = dict(params)
    if params.pop("drw", None) == "80%":
        params["callbacks"] = [("drw", DeferredReweighting(int(0.8 * epochs)))]
    return LogitAdjustedNet(
        MLPModule,
        module__hidden_units=(hidden,),
        **TUNED_SGD,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
        random_state=seed,
        **params,
    )


def evaluate(net, problem):
    y_pred = net.predict(problem.X_test)
    bands = many_medium_few_error(problem.y_test, y_pred, problem.counts)
    return {"balanced": balanced_error(problem.y_test, y_pred), **bands}


def run_seed(problem, epochs, hidden, seed):
    """{row: {"balanced", "many", "medium", "few"}} for one seed."""
    results = {}
    for name, params in TRAINED.items():
        net = make_net(params, epochs, hidden, seed).fit(
            problem.X_train, problem.y_train
        )
        results[name] = evaluate(net, problem)
        if name != "ERM":
            continue
        # The post-hoc rows reuse the ERM net: only prediction changes.
        net.set_params(posthoc_tau=1.0)
        results["Logit adjustment post-hoc (tau=1)"] = evaluate(net, problem)
        net.set_params(posthoc_tau=0.0, weight_norm_layer="classifier")
        net.set_params(weight_norm_tau=1.0)
        results["Weight normalisation (tau=1)"] = evaluate(net, problem)
        val_errors = []
        for tau in WEIGHT_NORM_TAUS:
            net.set_params(weight_norm_tau=float(tau))
            val_errors.append(balanced_error(problem.y_val, net.predict(problem.X_val)))
        best = float(WEIGHT_NORM_TAUS[int(np.argmin(val_errors))])
        net.set_params(weight_norm_tau=best)
        results["Weight normalisation (tau=tau*)"] = {
            **evaluate(net, problem),
            "tau": best,
        }
    return results


def run(datasets, seeds, epochs, hidden, out_dir=RESULTS_DIR, figure=True):
    """Run every row on each data set and seed; print and save the tables.

    Returns ``{dataset: {row: {metric: [value per seed]}}}``.
    """
    all_results = {}
    sections = []
    for key in datasets:
        per_row = {name: {} for name, _, _ in ROWS}
        bands_sizes, rare = None, []
        start = time.perf_counter()
        for seed in progress(list(seeds), desc=f"{key}: seeds"):
            problem = DATASETS[key](seed)
            counts = np.array(list(problem.counts.values()))
            bands_sizes = (
                int((counts > 100).sum()),
                int(((counts >= 20) & (counts <= 100)).sum()),
                int((counts < 20).sum()),
            )
            rare.append(int((counts / counts.sum() < EQUALISED_THRESHOLD).sum()))
            for row, metrics in run_seed(problem, epochs, hidden, seed).items():
                for metric, value in metrics.items():
                    per_row[row].setdefault(metric, []).append(value)
        seconds = time.perf_counter() - start
        all_results[key] = per_row
        sections.append(
            section(problem.name, len(problem.y_train), per_row, bands_sizes, seeds)
            + "\n\nClasses below the equalised loss's frequency threshold "
            f"({EQUALISED_THRESHOLD}) per seed: {rare}"
            + (" (none: that row is plain cross-entropy)." if not any(rare) else ".")
            + f"\n\n({len(seeds)} seeds in {seconds:.0f} s.)"
        )
        print(sections[-1], flush=True)
    text = "\n\n".join(sections)
    header = (
        "# Every method row of the paper's table, measured here\n\n"
        f"Command: `python {' '.join(sys.argv)}`  \nMachine: {machine_line()}\n\n"
    )
    save_text(header + text, os.path.join(out_dir, "method_table.md"))
    if figure:
        save_figure(all_results, os.path.join(out_dir, "method_table.png"))
    return all_results


def section(title, n_train, per_row, bands_sizes, seeds):
    many, medium, few = bands_sizes
    rows = []
    for name, cifar10, cifar100 in ROWS:
        values = per_row[name]
        rows.append(
            [
                name,
                mean_std(values["balanced"]),
                mean_std(values["many"]),
                mean_std(values["medium"]),
                mean_std(values["few"]),
                f"{cifar10:.2f}",
                f"{cifar100:.2f}",
            ]
        )
    table = markdown_table(
        [
            "method",
            "balanced error",
            f"Many ({many})",
            f"Medium ({medium})",
            f"Few ({few})",
            "paper C10-LT",
            "paper C100-LT",
        ],
        rows,
    )
    taus = per_row["Weight normalisation (tau=tau*)"]["tau"]
    return (
        f"## {title}: {n_train} training examples, balanced test set; error (%), "
        f"mean ± std over {len(seeds)} seeds\n\n"
        "Many / Medium / Few: error over classes with > 100, 20-100, < 20 training "
        "examples (number of classes in brackets).\n\n"
        f"{table}\n\n"
        f"Tuned weight-normalisation tau per seed: {taus}.\n\n" + ordering(per_row)
    )


def ordering(per_row):
    """Where this run's ordering of the key rows agrees with the paper's."""
    mean = {name: float(np.mean(per_row[name]["balanced"])) for name, _, _ in ROWS}
    ranked = sorted(mean, key=mean.get)
    lines = [f"Best row here: {ranked[0]} ({100 * mean[ranked[0]]:.2f}%)."]
    checks = (
        ("Logit adjustment loss (tau=1)", "ERM"),
        ("Logit adjustment post-hoc (tau=1)", "ERM"),
        ("Logit adjustment loss (tau=1)", "Weight normalisation (tau=1)"),
        ("Logit adjustment loss (tau=1)", "Class-balanced"),
        ("Logit adjustment loss (tau=1)", "Adaptive (LDAM)"),
        ("Logit adjustment loss (tau=1)", "Equalised"),
        ("Adaptive + DRW", "Adaptive (LDAM)"),
    )
    for better, worse in checks:
        # In the paper (both CIFAR columns) the first row is below the second.
        agrees = mean[better] < mean[worse]
        lines.append(
            f"- {better} {'<' if agrees else '>='} {worse} "
            f"({100 * mean[better]:.2f} vs {100 * mean[worse]:.2f}): "
            f"{'agrees with' if agrees else 'differs from'} the paper."
        )
    return "\n".join(lines)


# What each data set's panel says it shows.
PANEL_TITLES = {
    "digits-100": "long-tailed digits, imbalance ratio 100",
    "digits-10": "long-tailed digits, imbalance ratio 10",
    "gaussians100-100": "100 Gaussian classes, imbalance ratio 100",
}


def save_figure(all_results, path):
    plt = pyplot()

    names = [name for name, _, _ in ROWS]
    # One x axis for every panel: the data sets are meant to be compared.
    fig, axes = plt.subplots(
        1,
        len(all_results),
        figsize=(5 * len(all_results), 4.8),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    for ax, (key, per_row) in zip(axes[0], all_results.items(), strict=True):
        means = [100 * np.mean(per_row[name]["balanced"]) for name in names]
        stds = [100 * np.std(per_row[name]["balanced"]) for name in names]
        n_seeds = len(per_row[names[0]]["balanced"])
        positions = np.arange(len(names))
        ax.barh(positions, means, xerr=stds, color="tab:blue", alpha=0.8)
        ax.set_yticks(positions, names if ax is axes[0][0] else [])
        ax.invert_yaxis()
        ax.set_xlabel(f"balanced error (%), mean ± std over {n_seeds} seeds")
        ax.set_title(PANEL_TITLES.get(key, key))
    fig.suptitle("Every method row of the paper's table (lower is better)")
    write_figure(fig, path)


def experiment_parser(description, datasets_help):
    """The command line shared by the scripts that train the method table's nets."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="3 seeds, fewer epochs")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs")
    parser.add_argument("--hidden", type=int, default=128, help="hidden units")
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=sorted(DATASETS),
        default=None,
        help=datasets_help,
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="where results go")
    return parser


def experiment_settings(args, title, quick_datasets, datasets):
    """Seeds, epochs and data sets from ``experiment_parser``'s arguments.

    Also sets torch's threads and prints the run's header line.
    """
    seeds = range(args.seeds or (3 if args.quick else 5))
    epochs = args.epochs or (60 if args.quick else 100)
    datasets = args.datasets or (quick_datasets if args.quick else datasets)
    # These nets are small: one thread is as fast as several, and never stalls in
    # thread synchronisation when other processes share the cores.
    torch.set_num_threads(args.threads)
    print(
        f"# {title}: {len(seeds)} seeds, {epochs} epochs, MLP({args.hidden}); "
        f"{machine_line()}\n"
    )
    return seeds, epochs, datasets


def main(argv=None):
    parser = experiment_parser(
        __doc__.splitlines()[0],
        "data sets (default: all; --quick: the two digits ones)",
    )
    parser.add_argument("--no-figure", action="store_true", help="skip the figure")
    args = parser.parse_args(argv)
    seeds, epochs, datasets = experiment_settings(
        args, "Method table", ["digits-100", "digits-10"], list(DATASETS)
    )
    start = time.perf_counter()
    results = run(
        datasets, seeds, epochs, args.hidden, args.out_dir, not args.no_figure
    )
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")
    return results


if __name__ == "__main__":
    main()
