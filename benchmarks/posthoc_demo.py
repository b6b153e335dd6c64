"""Post-hoc logit adjustment of a scikit-learn model, without torch (about 20 s).

It measures, on this machine and in this run:

1. The paper's synthetic problem: x | y ~ N(+-mu, I) in 2-D with P(y = 1) = 5%.
   Balanced error of logistic regression (ERM) and of its post-hoc adjustment
   (tau = 1), against the Bayes-optimal balanced error Phi(-||mu||), computed exactly.
2. scikit-learn's digits, made long-tailed (exponential profile, imbalance ratio 100
   and 10) on the training split, tested on a balanced held-out split: ERM, post-hoc
   adjustment with tau = 1, and tau tuned by GridSearchCV on balanced error, with the
   Many / Medium / Few breakdown.

It needs only the core install (no torch): the full reproduction, neural nets and
every method row of the paper's table, is ``benchmarks/reproduce.py``.

Run: python benchmarks/posthoc_demo.py [--seeds 3]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.datasets import (
    gaussian_mixture_bayes,
    make_gaussian_mixture,
    make_long_tailed,
)
from sklearn_lt.metrics import (
    balanced_error,
    balanced_error_scorer,
    many_medium_few_error,
)

TAUS = np.linspace(0.0, 2.0, 9)


def fmt(values):
    values = np.asarray(values, dtype=float)
    return f"{100 * values.mean():5.2f} ± {100 * values.std():4.2f}"


def synthetic(seeds):
    bayes = gaussian_mixture_bayes(mean=(1.0, 1.0)).balanced_error
    erm, adjusted = [], []
    for seed in seeds:
        X, y = make_gaussian_mixture(10_000, random_state=seed)
        X_test, y_test = make_gaussian_mixture(100_000, random_state=seed + 1000)
        clf = LogitAdjustedClassifier(LogisticRegression(), tau=1.0).fit(X, y)
        erm.append(balanced_error(y_test, clf.estimator_.predict(X_test)))
        adjusted.append(balanced_error(y_test, clf.predict(X_test)))
    print("\n## Synthetic: two Gaussians, P(y=1) = 5%, balanced error (%)\n")
    print("| method | balanced error |")
    print("|---|---|")
    print(f"| ERM (logistic regression) | {fmt(erm)} |")
    print(f"| Logit adjustment post-hoc (tau=1) | {fmt(adjusted)} |")
    print(f"| Bayes-optimal (analytic) | {100 * bayes:5.2f} |")


def digits(seeds, imbalance_ratio):
    X, y = load_digits(return_X_y=True)
    rows = {"ERM": [], "post-hoc, tau=1": [], "post-hoc, tuned tau": []}
    bands = {name: [] for name in rows}
    tuned_taus = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.4, stratify=y, random_state=seed
        )
        X_lt, y_lt = make_long_tailed(
            X_train, y_train, imbalance_ratio, random_state=seed
        )
        counts = dict(zip(*np.unique(y_lt, return_counts=True), strict=True))
        base = make_pipeline(StandardScaler(), LogisticRegression(C=0.1))
        adjusted = LogitAdjustedClassifier(base, tau=1.0).fit(X_lt, y_lt)
        # At ratio 100 the rarest classes have 1 to 3 examples, so some validation
        # folds lack them: the tuned tau is noisy there, and StratifiedKFold's
        # warning about them is expected.
        search = GridSearchCV(
            LogitAdjustedClassifier(base),
            {"tau": TAUS},
            scoring=balanced_error_scorer,
            cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=seed),
        ).fit(X_lt, y_lt)
        tuned_taus.append(float(search.best_params_["tau"]))
        preds = {
            "ERM": adjusted.estimator_.predict(X_test),
            "post-hoc, tau=1": adjusted.predict(X_test),
            "post-hoc, tuned tau": search.predict(X_test),
        }
        for name, y_pred in preds.items():
            rows[name].append(balanced_error(y_test, y_pred))
            bands[name].append(many_medium_few_error(y_test, y_pred, counts))
    print(
        f"\n## Long-tailed digits, imbalance ratio {imbalance_ratio}: "
        f"{len(y_lt)} training examples, test set balanced; error (%)\n"
    )
    print("| method | balanced | many | medium | few |")
    print("|---|---|---|---|---|")
    for name, values in rows.items():
        parts = [
            fmt([b[band] for b in bands[name]]) for band in ("many", "medium", "few")
        ]
        print(f"| {name} | {fmt(values)} | " + " | ".join(parts) + " |")
    print(f"\nTuned tau per seed: {tuned_taus}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    args = parser.parse_args()
    seeds = range(args.seeds)
    # The rarest classes have fewer examples than folds: expected, said once here.
    warnings.filterwarnings(
        "ignore", message="The least populated class", category=UserWarning
    )
    start = time.perf_counter()
    print(f"# sklearn-lt quick demo: mean ± std over {args.seeds} seeds")
    synthetic(seeds)
    for ratio in (100, 10):
        digits(seeds, ratio)
    print(f"\nDone in {time.perf_counter() - start:.1f} s.")


if __name__ == "__main__":
    main()
