"""Deployment speed: the adjusted models under ONNX Runtime (issue 16, ONNX part).

For each inner model (LogisticRegression, HistGradientBoostingClassifier,
RandomForestClassifier, MLPClassifier, a StandardScaler + LogisticRegression
pipeline) on a 10-class long-tailed problem with 20 float32 features, a
``LogitAdjustedClassifier`` is fitted once and exported with
``sklearn_lt.onnx.register_converters()`` and ``skl2onnx.to_onnx`` (zipmap off).
Two ratios per model and number of rows (1e4 and 1e6; --quick: 1e4 only), each
a median of --repeats runs measured in the same run:

- ONNX Runtime's ``run`` on all rows against the Python model's ``predict``
  (information: below 1 means the exported model is faster);
- the adjusted graph against the inner model's own graph, exported alone with
  zipmap off: the cost of the adjustment inside ONNX (target: at most 1.1x).

ONNX Runtime runs on one thread (``intra_op_num_threads=1``) and the Python
models with ``OMP_NUM_THREADS`` as the caller set it. The Array API half of the
issue's benchmark (``logit_adjust`` on torch tensors at 8,142 classes) is not
here yet.

Run: python benchmarks/bench_deploy.py [--quick] [--repeats 3]
"""

import argparse

import numpy as np
from _common import machine_line, markdown_table, median_seconds

TARGET = 1.1


def _require_onnx():
    try:
        import onnxruntime
        import skl2onnx
    except ImportError as exc:
        raise SystemExit(
            'bench_deploy.py needs the onnx extra: pip install -e ".[onnx]"'
        ) from exc
    return skl2onnx, onnxruntime


def inner_models():
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "LogisticRegression": lambda: LogisticRegression(max_iter=1000),
        "HistGradientBoosting": lambda: HistGradientBoostingClassifier(
            max_iter=50, random_state=0
        ),
        "RandomForest": lambda: RandomForestClassifier(
            n_estimators=50, max_depth=10, random_state=0
        ),
        "MLP": lambda: MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=300, random_state=0
        ),
        "Pipeline(scaler, LR)": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
    }


def problem(n_rows, seed=0):
    """10 Gaussian classes in 20-D, training counts from 2,000 down to 20."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=1.5, size=(10, 20))
    counts = np.round(2000 * 100.0 ** (-np.arange(10) / 9)).astype(int)
    y = np.repeat(np.arange(10), counts)
    X = (means[y] + rng.normal(size=(y.size, 20))).astype(np.float32)
    X_test = means[rng.integers(0, 10, n_rows)] + rng.normal(size=(n_rows, 20))
    return X, y, X_test.astype(np.float32)


def session(onnxruntime, onx):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def measure(name, make, n_rows, repeats, skl2onnx, onnxruntime):
    from sklearn_lt import LogitAdjustedClassifier

    X, y, X_test = problem(n_rows)
    model = LogitAdjustedClassifier(make()).fit(X, y)
    options = {"zipmap": False}
    adjusted = session(onnxruntime, skl2onnx.to_onnx(model, X[:1], options=options))
    inner_options = {id(model.estimator_): {"zipmap": False}}
    inner = session(
        onnxruntime,
        skl2onnx.to_onnx(model.estimator_, X[:1], options=inner_options),
    )
    feed = {"X": X_test}
    labels = adjusted.run(None, feed)[0]
    agree = float(np.mean(labels == model.predict(X_test)))
    python = median_seconds(lambda: model.predict(X_test), repeats)
    graph = median_seconds(lambda: adjusted.run(None, feed), repeats)
    alone = median_seconds(lambda: inner.run(None, feed), repeats)
    return [
        name,
        f"{n_rows:,}",
        f"{python:.4f}",
        f"{graph:.4f}",
        f"{graph / python:.2f}x",
        f"{graph / alone:.3f}x",
        f"{agree:.4f}",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e4 rows, 1 repeat")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    skl2onnx, onnxruntime = _require_onnx()
    from sklearn_lt.onnx import register_converters

    register_converters()
    repeats = args.repeats or (1 if args.quick else 3)
    rows = [10_000] if args.quick else [10_000, 1_000_000]
    print(f"# ONNX deployment, median of {repeats}; {machine_line()}\n")
    if args.quick:
        print("(--quick: a smoke run on 10,000 rows, not the measured targets)\n")
    table = []
    for n_rows in rows:
        for name, make in inner_models().items():
            table.append(measure(name, make, n_rows, repeats, skl2onnx, onnxruntime))
    header = [
        "inner model",
        "rows",
        "Python predict (s)",
        "ONNX Runtime (s)",
        "ONNX / Python",
        "adjusted graph / inner graph",
        "labels equal",
    ]
    print(markdown_table(header, table))
    worst = max(float(row[5].rstrip("x")) for row in table)
    verdict = "met" if worst <= TARGET else "NOT MET"
    print(
        f"\nThe adjustment inside the graph costs at most {worst:.3f}x the inner "
        f"graph alone (target {TARGET}x: {verdict})."
    )


if __name__ == "__main__":
    main()
