"""Label shift: no adaptation, BBSE, EM, calibrated EM and the oracle, measured.

Issue 15's benchmark. Under label shift the deployment data keep the training
class-conditionals p(x | y) but their class priors move from the training priors
pi to unknown target priors q; ``sklearn_lt.label_shift.estimate_target_priors``
estimates q from unlabelled deployment rows and the model predicts with the
adjustment ``argmax_y log p(y | x) - log pi_y + log q_y``.

**Problem.** Five Gaussian classes with a shared (identity) covariance in 5-D, the
means on the vertices of a simplex (``SEPARATION`` times the unit vectors, so
every pair of means is equally far apart), long-tailed training priors on the
exponential profile with imbalance ratio 10 (pi = 0.46, 0.26, 0.15, 0.08, 0.05).
With a shared covariance the Bayes posterior is a softmax of linear functions of
x, known in closed form: a multinomial logistic regression is well specified
(hence close to calibrated), and the Bayes rule for any q ("Bayes" column) is the
floor every row is measured against. Per seed: 10,000 training rows and a separate
labelled validation set of 3,000 rows, both from pi (BBSE's confusion matrix and
every calibrator use the validation set; no model is fitted on it).

**Models** (each fitted on the training rows only):

- *logistic regression*: ``LogisticRegression()``, the calibrated case;
- *over-confident (T = 0.3)*: the same model with its logits divided by 0.3
  (``TemperedClassifier``, a wrapper in this script), as an over-fit network
  is sharper than it should be;
- *class-weighted*: ``LogisticRegression(class_weight="balanced")``, whose
  posteriors are for balanced priors while EM is told the training priors: a
  bias miscalibration, which a temperature cannot fix but BCTS's class biases
  can.

**Shifts.** Per seed and Dirichlet concentration (0.1: nearly one-class
deployments; 1: uniform on the simplex; 10: close to uniform priors) one draw
of q; unlabelled deployment samples of 100, 1,000 and 10,000 rows drawn from q
(the smaller ones the first rows of the largest), and 10,000 labelled deployment
rows from q for the accuracy.

**Rows.** *no adaptation* (the training priors as the estimate, the model's own
predictions), *BBSE* (Lipton et al. 2018), *EM* (Saerens et al. 2002, on the
model's posteriors with the training priors), *EM + temperature / BCTS /
vector* (``calibration=...``: the calibrator fitted by log-loss on the
validation set, EM on the calibrated posteriors with the mean calibrated
validation posterior as source prior; Alexandari et al. 2020), *oracle* (the
adjustment of the model's posteriors with the true q), *Bayes* (the true
posterior with the true q). The calibrated rows predict with the calibrated
posteriors (the calibrator refitted here with the public ``LogitCalibrator``,
as the function fits it; the smoke test checks that both give the function's
posteriors).

**Measured.** The mean absolute error of the estimated priors, the mean over
classes of ``|q_hat_y - q_y|``, in percentage points (the L1 error of the
earlier version of this benchmark is 5 times that), and the deployment accuracy
(%); mean ± std over seeds. Then the percentile-bootstrap interval of
``confidence_level=0.9`` (``--resamples`` resamples, 100 by default, of the
unlabelled rows, and for BCTS of the validation rows, stratified; each costs that
many EM runs and BCTS fits, so it is measured at concentration 1, on 100 and 1,000
unlabelled rows, for the logistic regression and the over-confident model): its
mean width and its coverage, the fraction of (class, seed) pairs whose true q_y
lies inside, for EM and EM + BCTS. Last, the adapting classifier
``LabelShiftClassifier(...).fit(X, y).adapt(X_new)`` on one configuration
against the function's route.

Run: python benchmarks/bench_label_shift.py [--quick] [--seeds 10]
"""

import argparse
import itertools
import os
import sys
import time

import numpy as np
from _common import (
    RESULTS_DIR,
    machine_line,
    markdown_table,
    mean_std,
    note,
    progress,
    pyplot,
    save_text,
    write_figure,
)
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from sklearn_lt import LabelShiftClassifier
from sklearn_lt.label_shift import LogitCalibrator, estimate_target_priors

N_CLASSES = 5
SEPARATION = 2.0  # the distance of each mean from the origin
IMBALANCE_RATIO = 10
N_TRAIN, N_VAL, N_TEST = 10_000, 3_000, 10_000
TEMPERATURE = 0.3
CONCENTRATIONS = (0.1, 1.0, 10.0)
SIZES = (100, 1_000, 10_000)
LEVEL = 0.9
CALIBRATIONS = {"EM + temperature": "temperature", "EM + BCTS": "bcts"}
CALIBRATIONS["EM + vector"] = "vector"
ESTIMATES = ("no adaptation", "BBSE", "EM", *CALIBRATIONS)
RULES = (*ESTIMATES, "oracle", "Bayes")
INTERVALS = ("EM", "EM + BCTS")
INTERVAL_MODELS = ("logistic regression", f"over-confident (T = {TEMPERATURE})")
INTERVAL_CONCENTRATION = 1.0
# Smaller than float64's tiniest probability never occurs; 0 estimates (BBSE,
# EM at a vertex) become this before their log, so that class is never predicted.
TINY = np.finfo(np.float64).tiny


class TemperedClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose logits are divided by ``temperature`` (< 1: over-confident).

    ``predict_proba`` is ``softmax(log p(y | x) / temperature)`` of the fitted
    ``estimator``: the same predictions, sharper (or flatter) probabilities.
    """

    def __init__(self, estimator, temperature=TEMPERATURE):
        self.estimator = estimator
        self.temperature = temperature

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        log_proba = self.estimator_.predict_log_proba(X)
        return np.exp(log_softmax(log_proba / self.temperature, axis=1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


MODELS = {
    "logistic regression": lambda: LogisticRegression(),
    f"over-confident (T = {TEMPERATURE})": lambda: TemperedClassifier(
        LogisticRegression()
    ),
    "class-weighted": lambda: LogisticRegression(class_weight="balanced"),
}


def training_priors():
    """The exponential long-tailed profile: pi_k proportional to ratio^(-k/(C-1))."""
    pi = float(IMBALANCE_RATIO) ** (-np.arange(N_CLASSES) / (N_CLASSES - 1))
    return pi / pi.sum()


def sample(priors, n, rng):
    """``n`` labelled rows of the Gaussian problem with class priors ``priors``."""
    y = rng.choice(N_CLASSES, size=n, p=priors)
    X = SEPARATION * np.eye(N_CLASSES)[y] + rng.standard_normal((n, N_CLASSES))
    return X, y


def bayes_log_posteriors(X, priors):
    """The true posterior's log, up to a per-row constant, under ``priors``.

    ``log N(x; m_y, I) = -|x - m_y|^2 / 2 + const`` and every ``|m_y|`` is the
    same, so only ``<x, m_y> = SEPARATION * x_y`` depends on y.
    """
    return SEPARATION * X + np.log(priors)


def accuracy(log_scores, y):
    return float(np.mean(np.argmax(log_scores, axis=1) == y))


def mean_calibrated_log_prior(calibrator, log_val):
    """Log of the mean calibrated validation posterior (Alexandari et al.)."""
    proba = np.exp(calibrator.transform(log_val))
    return np.log(proba.mean(axis=0))


def log_proba_of(model, X):
    """The model's training-distribution log-posteriors, zeros clipped first."""
    return np.log(np.maximum(model.predict_proba(X), TINY))


class Seed:
    """One seed's training and validation data, its fitted models and calibrators.

    The calibrators (``calibrated[model][row]``: the calibrator and the log of its
    mean calibrated validation posterior) depend on the model and the validation
    rows only, so they are fitted once per seed, as the function fits them.
    """

    def __init__(self, seed, models):
        rng = np.random.default_rng([seed, 0])
        self.seed = seed
        X, y = sample(training_priors(), N_TRAIN, rng)
        self.X_val, self.y_val = sample(training_priors(), N_VAL, rng)
        self.train_priors = np.bincount(y, minlength=N_CLASSES) / y.size
        self.X_train, self.y_train = X, y
        self.models = {name: MODELS[name]().fit(X, y) for name in models}
        self.calibrated = {}
        for name, model in self.models.items():
            log_val = log_proba_of(model, self.X_val)
            self.calibrated[name] = {}
            for row, calibration in CALIBRATIONS.items():
                calibrator = LogitCalibrator(calibration).fit(log_val, self.y_val)
                log_source = mean_calibrated_log_prior(calibrator, log_val)
                self.calibrated[name][row] = (calibrator, log_source)


def estimator_calls(data):
    """The keyword arguments of ``estimate_target_priors`` for each estimate."""
    calls = {
        "BBSE": {"method": "bbse", "X_val": data.X_val, "y_val": data.y_val},
        "EM": {"train_priors": data.train_priors},
    }
    for name, calibration in CALIBRATIONS.items():
        calls[name] = {"calibration": calibration, "X_val": data.X_val}
        calls[name]["y_val"] = data.y_val
    return calls


def run_cell(data, model_name, q, X_new, X_test, y_test):
    """Every estimate and rule on one (seed, model, q, unlabelled sample)."""
    model = data.models[model_name]
    estimates = {"no adaptation": data.train_priors}
    for name, kwargs in estimator_calls(data).items():
        estimates[name] = estimate_target_priors(model, X_new, **kwargs)
    mae = {name: float(np.mean(np.abs(p - q))) for name, p in estimates.items()}
    log_q_hat = {name: np.log(np.maximum(p, TINY)) for name, p in estimates.items()}
    log_test = log_proba_of(model, X_test)
    scores = {"no adaptation": log_test}
    for name in ("BBSE", "EM"):
        scores[name] = log_test - np.log(data.train_priors) + log_q_hat[name]
    for name, (calibrator, log_source) in data.calibrated[model_name].items():
        scores[name] = calibrator.transform(log_test) - log_source + log_q_hat[name]
    scores["oracle"] = log_test - np.log(data.train_priors) + np.log(q)
    scores["Bayes"] = bayes_log_posteriors(X_test, q)
    acc = {name: accuracy(s, y_test) for name, s in scores.items()}
    return mae, acc


def interval_cell(data, model_name, q, X_new, n_resamples, seed):
    """Mean width and coverage of the bootstrap intervals of ``INTERVALS``."""
    model = data.models[model_name]
    calls = estimator_calls(data)
    widths, covered = {}, {}
    for name in INTERVALS:
        _, interval = estimate_target_priors(
            model,
            X_new,
            **calls[name],
            confidence_level=LEVEL,
            n_resamples=n_resamples,
            random_state=seed,
        )
        widths[name] = float(np.mean(interval[1] - interval[0]))
        covered[name] = float(np.mean((interval[0] <= q) & (q <= interval[1])))
    return widths, covered


def deployment(seed, concentration):
    """One seed's draw of q, its unlabelled pool and its labelled test rows."""
    index = CONCENTRATIONS.index(concentration) + 1
    rng = np.random.default_rng([seed, index])
    q = rng.dirichlet(np.full(N_CLASSES, concentration))
    # A Dirichlet(0.1) draw can hold priors below 1e-30; the oracle takes the log.
    q = np.maximum(q, TINY)
    q /= q.sum()
    X_pool, _ = sample(q, max(SIZES), rng)
    X_test, y_test = sample(q, N_TEST, rng)
    return q, X_pool, X_test, y_test


def run(seeds, models, concentrations, sizes, interval_sizes, n_resamples):
    """Lists over seeds: ``grid[model][(c, n)]`` and ``intervals[model][n]``.

    The intervals are measured at Dirichlet concentration ``INTERVAL_CONCENTRATION``
    only, on ``INTERVAL_MODELS``: each costs ``n_resamples`` EM runs (and BCTS
    fits), the bulk of the run time.
    """
    grid = {
        m: {(c, n): {"mae": [], "acc": []} for c in concentrations for n in sizes}
        for m in models
    }
    interval_models = [m for m in INTERVAL_MODELS if m in models]
    intervals = {
        m: {n: {"width": [], "covered": []} for n in interval_sizes}
        for m in interval_models
    }
    for seed in progress(list(seeds), desc="seeds"):
        data = Seed(seed, models)
        for c in concentrations:
            q, X_pool, X_test, y_test = deployment(seed, c)
            for n, m in itertools.product(sizes, models):
                mae, acc = run_cell(data, m, q, X_pool[:n], X_test, y_test)
                grid[m][(c, n)]["mae"].append(mae)
                grid[m][(c, n)]["acc"].append(acc)
        if not n_resamples:
            continue
        q, X_pool, _, _ = deployment(seed, INTERVAL_CONCENTRATION)
        for n, m in itertools.product(interval_sizes, interval_models):
            width, covered = interval_cell(data, m, q, X_pool[:n], n_resamples, seed)
            intervals[m][n]["width"].append(width)
            intervals[m][n]["covered"].append(covered)
    return grid, intervals


def column(cell, key, name):
    return [entry[name] for entry in cell[key]]


def estimate_table(model_results, key, names):
    """Rows (concentration, n), one column per name; mean ± std in percent."""
    header = ["concentration", "unlabelled rows", *names]
    rows = []
    for (c, n), cell in model_results.items():
        rows.append(
            [
                f"{c:g}",
                f"{n:,}",
                *(mean_std(column(cell, key, m)) for m in names),
            ]
        )
    return markdown_table(header, rows)


def interval_table(intervals):
    sizes = list(next(iter(intervals.values())))
    header = ["model", "estimator"]
    for n in sizes:
        header += [f"width, n={n:,}", f"coverage, n={n:,}"]
    rows = []
    for model, by_size in intervals.items():
        for name in INTERVALS:
            row = [model, name]
            for n in sizes:
                width = column(by_size[n], "width", name)
                covered = column(by_size[n], "covered", name)
                row += [
                    mean_std(width),
                    f"{100 * np.mean(covered):.0f}%",
                ]
            rows.append(row)
    return markdown_table(header, rows)


def adapting_classifier(seed=0, concentration=1.0, n=1_000, calibration="bcts"):
    """``LabelShiftClassifier`` against the function's route, on one configuration.

    Three routes to the target priors of the same unlabelled rows and to the
    predictions on the same test rows, with the over-confident model:

    - ``"function"``: the model fitted on the training rows,
      ``estimate_target_priors(calibration=...)`` with the validation rows, and
      the calibrated adjustment of this script;
    - ``"frozen"``: ``LabelShiftClassifier(FrozenEstimator(model))`` fitted on
      the validation rows (the held-out calibration rows), then ``adapt``: the
      same computation, so the same numbers up to rounding;
    - ``"cross-fitted"``: ``LabelShiftClassifier(model)`` fitted on the
      training and validation rows together (5-fold out-of-fold calibration,
      then the model refitted on all rows): the same labelled data split
      differently, so the numbers agree up to that difference.

    Returns the Markdown text and ``{route: (priors, accuracy)}``.
    """
    model_name = f"over-confident (T = {TEMPERATURE})"
    data = Seed(seed, [model_name])
    q, X_pool, X_test, y_test = deployment(seed, concentration)
    X_new = X_pool[:n]
    model = data.models[model_name]
    q_function = estimate_target_priors(
        model, X_new, calibration=calibration, X_val=data.X_val, y_val=data.y_val
    )
    row = next(r for r, c in CALIBRATIONS.items() if c == calibration)
    calibrator, log_source = data.calibrated[model_name][row]
    scores = (
        calibrator.transform(log_proba_of(model, X_test))
        - log_source
        + np.log(np.maximum(q_function, TINY))
    )
    routes = {"function": (q_function, accuracy(scores, y_test))}
    frozen = LabelShiftClassifier(FrozenEstimator(model), calibration=calibration)
    frozen.fit(data.X_val, data.y_val).adapt(X_new)
    crossed = LabelShiftClassifier(MODELS[model_name](), calibration=calibration)
    X_all = np.concatenate([data.X_train, data.X_val])
    crossed.fit(X_all, np.concatenate([data.y_train, data.y_val])).adapt(X_new)
    for name, adapter in (("frozen", frozen), ("cross-fitted", crossed)):
        routes[name] = (
            adapter.target_priors_,
            float(np.mean(adapter.predict(X_test) == y_test)),
        )
    names = {
        "function": f"estimate_target_priors(calibration={calibration!r})",
        "frozen": "LabelShiftClassifier(FrozenEstimator(model)), fit on X_val",
        "cross-fitted": "LabelShiftClassifier(model, cv=5), fit on X_train + X_val",
    }
    rows = [["true priors", ", ".join(f"{v:.3f}" for v in q), "", ""]]
    for name, (priors, acc) in routes.items():
        rows.append(
            [
                names[name],
                ", ".join(f"{v:.3f}" for v in priors),
                f"{100 * np.mean(np.abs(priors - q)):.2f}",
                f"{100 * acc:.2f}",
            ]
        )
    header = ["route", "estimated priors", "MAE (points)", "accuracy (%)"]
    text = (
        f"{model_name}, calibration={calibration!r}, seed {seed}, concentration "
        f"{concentration:g}, {n:,} unlabelled rows; accuracy on the same "
        f"{N_TEST:,} labelled deployment rows.\n\n" + markdown_table(header, rows)
    )
    return text, routes


def save_figure(results, concentration, path):
    """MAE and accuracy against the unlabelled sample size, one row per model."""
    plt = pyplot()
    models = list(results)
    fig, axes = plt.subplots(
        len(models), 2, figsize=(11, 3.2 * len(models)), squeeze=False
    )
    colours = {
        "no adaptation": "tab:gray",
        "BBSE": "tab:orange",
        "EM": "tab:blue",
        "EM + temperature": "tab:purple",
        "EM + BCTS": "tab:green",
        "EM + vector": "tab:olive",
        "oracle": "black",
        "Bayes": "tab:red",
    }
    for (left, right), model in zip(axes, models, strict=True):
        cells = {
            n: cell for (c, n), cell in results[model].items() if c == concentration
        }
        sizes = sorted(cells)
        for name in ESTIMATES:
            means = [100 * np.mean(column(cells[n], "mae", name)) for n in sizes]
            left.plot(sizes, means, marker="o", label=name, color=colours[name])
        for name in RULES:
            means = [100 * np.mean(column(cells[n], "acc", name)) for n in sizes]
            style = "--" if name in ("oracle", "Bayes") else "-"
            right.plot(sizes, means, style, marker="o", label=name, color=colours[name])
        left.set_xscale("log")
        left.set_yscale("log")
        right.set_xscale("log")
        left.set_ylabel("MAE of the priors (percentage points)")
        right.set_ylabel("deployment accuracy (%)")
        left.set_title(f"{model}: prior estimate")
        right.set_title(f"{model}: accuracy")
    for ax in axes[-1]:
        ax.set_xlabel(f"unlabelled rows (Dirichlet concentration {concentration:g})")
    handles, labels = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(RULES), fontsize="small")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    write_figure(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, small grid")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--resamples",
        type=int,
        default=None,
        help="bootstrap resamples per interval (default 100; --quick 20; 0: none)",
    )
    parser.add_argument("--out-dir", default=RESULTS_DIR)
    args = parser.parse_args(argv)
    seeds = range(args.seeds or (2 if args.quick else 10))
    sizes = SIZES[:2] if args.quick else SIZES
    interval_sizes = SIZES[:1] if args.quick else SIZES[:2]
    n_resamples = args.resamples
    if n_resamples is None:
        n_resamples = 20 if args.quick else 100
    models = list(MODELS)
    start = time.perf_counter()
    print(f"# Label shift: {len(seeds)} seeds; {machine_line()}\n")
    grid, intervals = run(
        seeds, models, CONCENTRATIONS, sizes, interval_sizes, n_resamples
    )
    parts = []
    for model in models:
        parts.append(
            f"## {model}: MAE of the estimated priors (percentage points)\n\n"
            + estimate_table(grid[model], "mae", ESTIMATES)
        )
        parts.append(
            f"## {model}: deployment accuracy (%)\n\n"
            + estimate_table(grid[model], "acc", RULES)
        )
    if n_resamples:
        parts.append(
            f"## Bootstrap intervals at a nominal {LEVEL:.0%} ({n_resamples} "
            f"resamples, concentration {INTERVAL_CONCENTRATION:g})\n\n"
            "Width (percentage points): mean over classes, then mean ± std over seeds; "
            "coverage: the "
            "fraction of (class, seed) pairs whose true prior lies inside.\n\n"
            + interval_table(intervals)
        )
    note("adapting classifier")
    adapter_text, _ = adapting_classifier()
    parts.append("## The adapting classifier against the function\n\n" + adapter_text)
    text = "\n\n".join(parts) + (
        f"\n\nMean ± std over {len(seeds)} seeds; accuracy on {N_TEST:,} labelled "
        f"deployment rows per seed and concentration; training priors "
        f"{', '.join(f'{p:.3f}' for p in training_priors())}."
    )
    print(text)
    elapsed = time.perf_counter() - start
    header = (
        "# Label shift: BBSE, EM and calibrated EM\n\n"
        f"Command: `python {' '.join(sys.argv)}`  \nMachine: {machine_line()}  \n"
        f"Runtime: {elapsed:.0f} s\n\n"
    )
    save_text(header + text, os.path.join(args.out_dir, "label_shift.md"))
    save_figure(grid, 1.0, os.path.join(args.out_dir, "label_shift.png"))
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
