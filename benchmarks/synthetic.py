"""The paper's synthetic experiment: four linear learners against the Bayes rule.

Menon et al. (2021, Sec. 6.1 and Fig. 2) draw a two-class problem, x | y ~ N(+-mu, I)
in 2-D with mu = (1, 1) and P(y = 1) = 5%, train an affine classifier on 10,000
examples, and compare the balanced error of each learner with that of the
Bayes-optimal rule for the balanced error, the separator mu^T x = 0 through the origin
(balanced error Phi(-||mu||), about 7.86%). Per seed, this script

- draws a training set of 10,000 examples (the paper's size) with
  ``make_gaussian_mixture`` and an independent test set from the same two Gaussians
  with *equal* class priors (100,000 examples): the balanced error depends only on the
  class-conditional distributions, and a balanced draw estimates it with the smallest
  variance for its size;
- trains two linear models (``LogitAdjustedNet(MLPModule, module__hidden_units=())``,
  two logits with weights and biases; the net fills in n_features and n_classes) with
  full-batch L-BFGS, so that both reach the optimum of their convex loss:

  ============================  ===================================================
  row                           how
  ============================  ===================================================
  ERM                           loss="cross_entropy"
  Weight normalisation (tau=1)  the ERM net, weight_norm_layer="classifier",
                                weight_norm_tau=1 (w_y / ||w_y||, bias dropped)
  Logit adjustment post-hoc     the ERM net, posthoc_tau=1
  Logit adjustment loss         loss="logit_adjusted", tau=1
  Bayes-optimal                 ``gaussian_mixture_bayes()``, on the same test sets
  ============================  ===================================================

It reports the balanced error, the error on each class and the gap to the Bayes rule
on the same test set (mean ± std over seeds), whether each learner is within 1
percentage point of the Bayes rule, and the separators of one seed over a training
sample (``synthetic.png``). Each separator is read off the net's own predictions
(``predict_log_proba`` at three points), so it includes the post-hoc step and weight
normalisation exactly as the net applies them.

Convergence is checked in every run, and printed: the ERM separator against
scikit-learn's unpenalised ``LogisticRegression`` on the same data, and the
logit-adjusted loss against post-hoc adjustment (for an affine model the two have the
same optimum: the adjustment is a constant shift of the intercept).

On weight normalisation: with two classes the softmax gradients of the two weight rows
are opposite, so ``w_0 + w_1`` keeps its initial value and the ratio of the two norms
comes from the initialisation, not from the class priors. The script prints both.

Run: python benchmarks/synthetic.py [--quick] [--seeds 10] [--out-dir DIR]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
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
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from sklearn_lt.datasets import gaussian_mixture_bayes, make_gaussian_mixture
from sklearn_lt.metrics import balanced_error, per_class_error
from sklearn_lt.net import LogitAdjustedNet, MLPModule

MEAN = (1.0, 1.0)
MINORITY_PRIOR = 0.05
ERM = "ERM"
WEIGHT_NORM = "Weight normalisation (tau=1)"
POSTHOC = "Logit adjustment post-hoc (tau=1)"
LA_LOSS = "Logit adjustment loss (tau=1)"
BAYES = "Bayes-optimal"
METHODS = (ERM, WEIGHT_NORM, POSTHOC, LA_LOSS)
# Full mode: the paper's training size (Sec. 6.1); quick mode: a smoke run.
SETTINGS = {
    False: {"n_seeds": 10, "n_train": 10_000, "n_test": 100_000, "max_epochs": 10},
    True: {"n_seeds": 3, "n_train": 5_000, "n_test": 20_000, "max_epochs": 3},
}
# Each epoch is one L-BFGS step of up to this many iterations on the full batch.
LBFGS_ITERATIONS = 20
TOLERANCE_PP = 1.0


def linear_net(loss, max_epochs, seed):
    """An affine two-logit model trained by full-batch L-BFGS on ``loss``."""
    return LogitAdjustedNet(
        MLPModule,
        module__hidden_units=(),
        loss=loss,
        tau=1.0,
        optimizer=torch.optim.LBFGS,
        lr=1.0,
        optimizer__max_iter=LBFGS_ITERATIONS,
        optimizer__line_search_fn="strong_wolfe",
        max_epochs=max_epochs,
        batch_size=-1,
        train_split=None,
        verbose=0,
        random_state=seed,
    )


def separator(net):
    """``(normal, intercept)`` of the net's rule: class 1 where normal @ x + b > 0.

    The log-odds of a linear two-logit model, post-hoc step and weight normalisation
    included, is affine in x: three points determine it.
    """
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    log_proba = net.predict_log_proba(points)
    log_odds = log_proba[:, 1] - log_proba[:, 0]
    return log_odds[1:] - log_odds[0], float(log_odds[0])


def classifier_weights(net):
    """Weight rows of the net's final layer, as float64 numpy."""
    return net.module_.classifier.weight.detach().cpu().numpy().astype(np.float64)


def run_seed(seed, n_train, n_test, max_epochs, bayes):
    """Train on one draw; return per-method metrics and the diagnostics."""
    rng = np.random.RandomState(seed)
    X, y = make_gaussian_mixture(
        n_train, minority_prior=MINORITY_PRIOR, mean=MEAN, random_state=rng
    )
    X_test, y_test = make_gaussian_mixture(
        n_test, minority_prior=0.5, mean=MEAN, random_state=rng
    )
    erm = linear_net("cross_entropy", max_epochs, seed).fit(X, y)
    adjusted = linear_net("logit_adjusted", max_epochs, seed).fit(X, y)
    nets = {
        ERM: (erm, {"posthoc_tau": 0.0, "weight_norm_layer": None}),
        WEIGHT_NORM: (
            erm,
            {"posthoc_tau": 0.0, "weight_norm_layer": "classifier"},
        ),
        POSTHOC: (erm, {"posthoc_tau": 1.0, "weight_norm_layer": None}),
        LA_LOSS: (adjusted, {}),
    }
    metrics, separators = {}, {}
    bayes_error = balanced_error(y_test, bayes.predict(X_test))
    for name, (net, params) in nets.items():
        # posthoc_tau and weight_norm_layer act at prediction time only: no refit.
        net.set_params(**params)
        y_pred = net.predict(X_test)
        errors = per_class_error(y_test, y_pred, labels=[0, 1])
        error = balanced_error(y_test, y_pred)
        normal, intercept = separator(net)
        separators[name] = (normal, intercept)
        metrics[name] = {
            "balanced": error,
            "majority": errors[0],
            "minority": errors[1],
            "gap": error - bayes_error,
            "offset": -intercept / np.linalg.norm(normal),
        }
    erm.set_params(posthoc_tau=0.0, weight_norm_layer=None)
    errors = per_class_error(y_test, bayes.predict(X_test), labels=[0, 1])
    metrics[BAYES] = {
        "balanced": bayes_error,
        "majority": errors[0],
        "minority": errors[1],
        "gap": 0.0,
        # + 0.0 turns the -0.0 of a zero intercept into 0.0.
        "offset": -bayes.intercept / np.linalg.norm(bayes.coef) + 0.0,
    }
    return metrics, separators, diagnostics(erm, X, y, separators), (X, y)


def diagnostics(erm, X, y, separators):
    """Convergence checks and the weight norms behind weight normalisation."""
    reference = LogisticRegression(C=np.inf, tol=1e-8, max_iter=10_000).fit(X, y)
    normal, intercept = separators[ERM]
    to_sklearn = max(
        np.abs(normal - reference.coef_[0]).max(),
        abs(intercept - reference.intercept_[0]),
    )
    (n_post, b_post), (n_loss, b_loss) = separators[POSTHOC], separators[LA_LOSS]
    loss_to_posthoc = max(np.abs(n_post - n_loss).max(), abs(b_post - b_loss))
    losses = np.asarray(erm.history[:, "train_loss"], dtype=float)
    half = len(losses) // 2
    # Untrained copy with the same seed: the initial weights.
    initial = clone(erm).set_params(max_epochs=0).fit(X, y)
    weights, weights_0 = classifier_weights(erm), classifier_weights(initial)
    norms = np.linalg.norm(weights, axis=1)
    return {
        "erm_to_sklearn": float(to_sklearn),
        "loss_to_posthoc": float(loss_to_posthoc),
        "loss_change": float(abs(losses[-1] - losses[half]) / losses[-1]),
        "norm_ratio": float(norms[1] / norms[0]),
        "row_sum_drift": float(np.abs(weights.sum(0) - weights_0.sum(0)).max()),
    }


def within(values):
    """Mean gap to Bayes in percentage points, and whether it is within tolerance."""
    gap = 100 * float(np.mean(values))
    return gap, gap <= TOLERANCE_PP


def report(per_method, checks, bayes, n_train, n_test, n_seeds):
    rows = []
    for name in (*METHODS, BAYES):
        values = per_method[name]
        gap = "reference" if name == BAYES else mean_std(values["gap"])
        rows.append(
            [
                name,
                mean_std(values["balanced"]),
                mean_std(values["minority"]),
                mean_std(values["majority"]),
                gap,
                mean_std(values["offset"], percent=False),
            ]
        )
    table = markdown_table(
        [
            "method",
            "balanced error (%)",
            "minority-class error (%)",
            "majority-class error (%)",
            "gap to Bayes (pp)",
            "separator offset from origin",
        ],
        rows,
    )
    lines = [
        f"## Two Gaussians, P(y=1) = {MINORITY_PRIOR:.0%}, mu = {MEAN}: "
        f"{n_train} training examples, {n_test} balanced test examples per seed; "
        f"mean ± std over {n_seeds} seeds",
        "",
        table,
        "",
        "Gap to Bayes: balanced error minus that of the Bayes-optimal rule on the "
        "same test set. Separator offset: signed distance of the decision line from "
        "the origin along its normal (positive: towards the minority class).",
        "Bayes-optimal balanced error in closed form: "
        f"{100 * bayes.balanced_error:.2f}%.",
        "",
        f"Within {TOLERANCE_PP:g} percentage point of Bayes (mean gap):",
    ]
    verdicts = {}
    for name in METHODS:
        gap, ok = within(per_method[name]["gap"])
        verdicts[name] = ok
        lines.append(f"- {name}: {gap:+.2f} pp, {'within' if ok else 'not within'}.")
    # The paper (Sec. 6.1, Fig. 2): both forms of logit adjustment reach the Bayes
    # rule; ERM and weight normalisation do not.
    paper = {LA_LOSS: True, POSTHOC: True, ERM: False, WEIGHT_NORM: False}
    agree = [name for name in METHODS if verdicts[name] == paper[name]]
    differ = [name for name in METHODS if verdicts[name] != paper[name]]
    lines.append(
        "The paper has the logit-adjusted loss and post-hoc adjustment within "
        f"{TOLERANCE_PP:g} pp of Bayes, ERM and weight normalisation not. This run "
        + (
            "agrees for every method."
            if not differ
            else f"agrees for {', '.join(agree) or 'no method'} and differs for "
            f"{', '.join(differ)}."
        )
    )
    lines += [
        "",
        "Checks (largest over seeds):",
        "- ERM separator against scikit-learn's unpenalised LogisticRegression on the "
        f"same data: {max(checks['erm_to_sklearn']):.1e} (largest coefficient "
        "difference).",
        "- Logit-adjusted loss against post-hoc adjustment of ERM (same optimum for "
        f"an affine model): {max(checks['loss_to_posthoc']):.1e}.",
        "- Relative change of the ERM training loss (as skorch records it, at the "
        "start of each epoch's L-BFGS step) from the middle to the last epoch: "
        f"{max(checks['loss_change']):.1e}.",
        "- Weight normalisation: ||w_minority|| / ||w_majority|| of the ERM net, "
        f"{min(checks['norm_ratio']):.2f} to {max(checks['norm_ratio']):.2f} across "
        "seeds; w_0 + w_1 moved by at most "
        f"{max(checks['row_sum_drift']):.1e} from its initial value in training"
        + (
            ", so the norms come from the initialisation. "
            if max(checks["row_sum_drift"]) < 1e-3
            else ". "
        )
        + "Normalising divides the weights and drops the bias (as Kang et al.'s "
        "code does), which puts the separator at a mean offset of "
        f"{np.mean(per_method[WEIGHT_NORM]['offset']):.2f} (ERM: "
        f"{np.mean(per_method[ERM]['offset']):.2f}).",
    ]
    return "\n".join(lines)


def save_figure(per_method, separators, sample, bayes, path):
    """Balanced error of each row, and one seed's separators over its training data."""
    plt = pyplot()

    names = (*METHODS, BAYES)
    colors = dict(zip(names, ("C0", "C1", "C2", "C3", "k"), strict=True))
    fig, (bars, plane) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    means = [100 * np.mean(per_method[name]["balanced"]) for name in names]
    stds = [100 * np.std(per_method[name]["balanced"]) for name in names]
    positions = np.arange(len(names))
    bars.barh(
        positions,
        means,
        xerr=stds,
        color=[colors[n] for n in names],
        alpha=0.8,
        error_kw={"ecolor": "0.5", "capsize": 3},
    )
    bars.set_yticks(positions, names)
    bars.invert_yaxis()
    n_seeds = len(per_method[BAYES]["balanced"])
    bars.set_xlabel(f"balanced error (%), mean ± std over {n_seeds} seeds")
    bars.set_title(
        f"balanced test error, rare class {MINORITY_PRIOR:.0%} of training "
        f"(imbalance ratio {(1 - MINORITY_PRIOR) / MINORITY_PRIOR:.0f})"
    )

    X, y = sample
    show = np.random.RandomState(0).permutation(len(y))[:3000]
    X, y = X[show], y[show]
    plane.scatter(*X[y == 0].T, s=4, color="0.7", label="majority (y=0)")
    plane.scatter(*X[y == 1].T, s=10, color="tab:purple", label="minority (y=1)")
    lines = {**separators, BAYES: (bayes.coef, bayes.intercept)}
    t = np.linspace(-10, 10, 2)
    # Post-hoc adjustment and the adjusted loss nearly coincide: dotted over solid.
    styles = {POSTHOC: (":", 2.0, 3), LA_LOSS: ("-", 3.5, 2), BAYES: ("--", 1.5, 4)}
    for name in names:
        normal, intercept = lines[name]
        norm = np.linalg.norm(normal)
        closest = -intercept * normal / norm**2
        direction = np.array([-normal[1], normal[0]]) / norm
        segment = closest[:, None] + direction[:, None] * t
        style, width, order = styles.get(name, ("-", 2.0, 2))
        plane.plot(
            *segment, style, color=colors[name], lw=width, zorder=order, label=name
        )
    plane.set_xlim(-4.5, 4.5)
    plane.set_ylim(-4.5, 4.5)
    plane.set_aspect("equal")
    plane.set_xlabel("x1")
    plane.set_ylabel("x2")
    plane.set_title("the methods' separators on a training draw (seed 0)")
    plane.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    write_figure(fig, path, bbox_inches="tight")


def run(
    quick=False,
    seeds=None,
    out_dir=RESULTS_DIR,
    *,
    n_train=None,
    n_test=None,
    max_epochs=None,
    command=None,
):
    """Run every seed, print the table, write ``synthetic.md`` and ``synthetic.png``.

    ``seeds`` is a number of seeds (0, 1, ...); ``None`` and the keyword-only sizes
    take the defaults of the mode. Returns ``{"methods": {row: {metric: [value per
    seed]}}, "checks": {check: [value per seed]}, "settings": {...}, "table": str}``,
    errors as fractions; the rows are the four learners and "Bayes-optimal".
    """
    settings = dict(SETTINGS[bool(quick)])
    overrides = {
        "n_seeds": seeds,
        "n_train": n_train,
        "n_test": n_test,
        "max_epochs": max_epochs,
    }
    settings.update({key: v for key, v in overrides.items() if v is not None})
    bayes = gaussian_mixture_bayes(mean=MEAN)
    per_method = {name: {} for name in (*METHODS, BAYES)}
    checks = {}
    figure_data = None
    start = time.perf_counter()
    for seed in progress(range(settings["n_seeds"]), desc="seeds"):
        metrics, separators, diagnostics_, sample = run_seed(
            seed, settings["n_train"], settings["n_test"], settings["max_epochs"], bayes
        )
        for name, values in metrics.items():
            for metric, value in values.items():
                per_method[name].setdefault(metric, []).append(float(value))
        for key, value in diagnostics_.items():
            checks.setdefault(key, []).append(value)
        if figure_data is None:
            figure_data = (separators, sample)
    seconds = time.perf_counter() - start
    text = report(
        per_method,
        checks,
        bayes,
        settings["n_train"],
        settings["n_test"],
        settings["n_seeds"],
    )
    text += (
        f"\n\nTraining: full-batch L-BFGS (strong Wolfe line search), "
        f"{settings['max_epochs']} epochs of up to {LBFGS_ITERATIONS} iterations. "
        f"{settings['n_seeds']} seeds in {seconds:.1f} s."
    )
    print(text, flush=True)
    command = command or f"python {' '.join(sys.argv)}"
    header = (
        "# Synthetic experiment (Menon et al., 2021, Sec. 6.1)\n\n"
        f"Command: `{command}`  \nMachine: {machine_line()}\n\n"
    )
    os.makedirs(out_dir, exist_ok=True)
    save_text(header + text, os.path.join(out_dir, "synthetic.md"))
    save_figure(per_method, *figure_data, bayes, os.path.join(out_dir, "synthetic.png"))
    return {
        "methods": per_method,
        "checks": checks,
        "settings": settings,
        "table": text,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 seeds, 5,000 examples, 3 epochs"
    )
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="where results go")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    mode = "quick" if args.quick else "full"
    # Two-parameter models: one thread is as fast as several, and never stalls in
    # thread synchronisation when other processes share the cores.
    torch.set_num_threads(1)
    print(f"# Synthetic experiment ({mode} mode); {machine_line()}\n")
    start = time.perf_counter()
    results = run(
        args.quick,
        args.seeds,
        args.out_dir,
        command=" ".join(["python benchmarks/synthetic.py", *argv]),
    )
    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    return results


if __name__ == "__main__":
    main()
