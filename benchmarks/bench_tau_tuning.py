"""Cost of tuning tau, as a ratio to one plain cross_validate of the base estimator.

On a long-tailed problem (20 classes, exponential profile, imbalance ratio 100) with
a small neural net (scikit-learn's MLPClassifier, the paper's kind of model), times
the search over 41 taus by

  (a) LogitAdjustedClassifierCV (one fit per split, every tau swept on the cached
      validation scores);
  (b) GridSearchCV over LogitAdjustedClassifier(memory=...), with a cold cache (the
      first candidate of each split fits, the others load the fitted model);
  (c) GridSearchCV over LogitAdjustedClassifier without a cache (one fit per tau
      and split);

each divided by the time of one `cross_validate` of the base estimator with the same
5 splits, measured in the same run (median of --repeats runs for the baseline, (a)
and (b); (c) runs once). Target: (a) and (b) at most 1.3x.

Like cross_validate, the three searches run with refit=False: the ratios measure the
search. The final fit on all the data that refit=True adds costs the same for all
three routes; it is timed once and printed separately. All runs are sequential
(n_jobs=1), so the ratios do not depend on the number of cores.

Run: python benchmarks/bench_tau_tuning.py [--quick] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
import warnings

import numpy as np
from _common import note
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt.metrics import balanced_error_scorer


def long_tailed_problem(n_max, n_classes, imbalance_ratio, n_features, seed=0):
    """make_classification with class k weighted by ratio^(-k / (C - 1))."""
    weights = imbalance_ratio ** (-np.arange(n_classes) / (n_classes - 1))
    n_samples = int(n_max * weights.sum())
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=n_classes,
        n_clusters_per_class=1,
        weights=weights / weights.sum(),
        class_sep=1.0,
        flip_y=0.0,
        random_state=seed,
    )


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem, 11 taus")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    n_max, n_taus, epochs = (400, 11, 50) if args.quick else (1000, 41, 400)
    X, y = long_tailed_problem(n_max, n_classes=20, imbalance_ratio=100, n_features=40)
    counts = np.bincount(y)
    taus = np.linspace(0.0, 2.0, n_taus)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    if args.quick:
        print(
            "(quick mode: a smoke run on a small budget; the targets are meant for "
            "the full run)"
        )
    # A fixed random_state makes the net deterministic, so cached and uncached
    # searches must agree exactly; it is a timing workload, trained for a fixed
    # number of epochs, hence the convergence warnings are silenced.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # The rarest classes have fewer examples than folds: expected, and said once here.
    warnings.filterwarnings(
        "ignore", message="The least populated class", category=UserWarning
    )
    base = make_pipeline(
        StandardScaler(), MLPClassifier((64,), max_iter=epochs, random_state=0)
    )
    print(
        f"# tau tuning cost: {X.shape[0]} rows x {X.shape[1]} features, "
        f"{counts.size} classes ({counts.max()} to {counts.min()} examples), "
        f"{n_taus} taus, 5-fold CV, base MLPClassifier(64 hidden, {epochs} epochs)"
    )

    def baseline():
        return cross_validate(base, X, y, cv=cv, scoring=balanced_error_scorer)

    def tuner():
        return LogitAdjustedClassifierCV(base, taus=taus, cv=cv, refit=False).fit(X, y)

    def grid_search(memory):
        return GridSearchCV(
            LogitAdjustedClassifier(base, memory=memory),
            {"tau": taus},
            scoring=balanced_error_scorer,
            cv=cv,
            refit=False,
        ).fit(X, y)

    def cached_grid_search():
        with tempfile.TemporaryDirectory() as cache:  # cold cache every run
            return grid_search(cache)

    runs = {"baseline": [], "a": [], "b": []}
    for repeat in range(args.repeats):
        runs["baseline"].append(timed(baseline)[0])
        seconds, fitted_tuner = timed(tuner)
        runs["a"].append(seconds)
        seconds, fitted_cached = timed(cached_grid_search)
        runs["b"].append(seconds)
        note(
            f"repeat {repeat + 1}/{args.repeats}: baseline {runs['baseline'][-1]:.1f} "
            f"s, (a) {runs['a'][-1]:.1f} s, (b) {runs['b'][-1]:.1f} s"
        )
    note(f"(c) runs {n_taus} x 5 fits, about {n_taus} baselines...")
    seconds_c, fitted_plain = timed(lambda: grid_search(None))
    seconds_refit = timed(lambda: LogitAdjustedClassifier(base).fit(X, y))[0]

    base_s = statistics.median(runs["baseline"])
    rows = [
        ("(a) LogitAdjustedClassifierCV", statistics.median(runs["a"]), 1.3),
        ("(b) GridSearchCV, memory=", statistics.median(runs["b"]), 1.3),
        ("(c) GridSearchCV, no cache", seconds_c, None),
    ]
    print(f"\nbaseline: one cross_validate of the base estimator = {base_s:.2f} s\n")
    print("| run | seconds | ratio to cross_validate | target |")
    print("|---|---|---|---|")
    for name, seconds, target in rows:
        verdict = (
            "-"
            if target is None
            else f"<= {target}x " + ("met" if seconds / base_s <= target else "MISSED")
        )
        print(f"| {name} | {seconds:.2f} | {seconds / base_s:.2f}x | {verdict} |")
    # What caching cannot remove: per candidate and split, GridSearchCV's own work,
    # hashing the training data, loading the fitted model, predicting and scoring.
    n_evaluations = n_taus * cv.get_n_splits()
    overhead = (statistics.median(runs["b"]) - base_s) / (n_evaluations - 5)
    print(
        f"\n(b) costs {1000 * overhead:.1f} ms per extra candidate and split on top of "
        f"the {base_s / 5:.2f} s fit of each split, so it stays under 1.3x when a "
        f"split's fit takes more than {overhead * (n_evaluations - 5) / 1.5:.2f} s "
        f"at {n_taus} taus."
    )
    print(
        f"refit=True adds one fit on all the data to each route: "
        f"{seconds_refit:.2f} s "
        f"({seconds_refit / base_s:.2f}x of the baseline)."
    )

    same = (
        np.allclose(
            fitted_cached.cv_results_["mean_test_score"],
            fitted_plain.cv_results_["mean_test_score"],
        )
        and fitted_cached.best_params_ == fitted_plain.best_params_
    )
    print(
        f"\nchosen tau: (a) {fitted_tuner.best_tau_:.2f}, "
        f"(b) {fitted_cached.best_params_['tau']:.2f}, "
        f"(c) {fitted_plain.best_params_['tau']:.2f}; "
        f"cached and uncached grid searches agree: {same}"
    )
    print(
        "mean validation balanced error at the chosen tau: "
        f"{-fitted_tuner.best_score_:.4f} (tau=0: "
        f"{fitted_tuner.cv_results_['mean_test_balanced_error'][0]:.4f})"
    )


if __name__ == "__main__":
    main()
