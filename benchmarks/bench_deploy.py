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
  zipmap off: the cost of the adjustment inside ONNX (target: at most 1.1x),
  their calls interleaved so that drift in the machine's speed hits both. For
  LogisticRegression, the MLP and the pipeline the shift is folded into the
  last bias (sklearn_lt.onnx), so the two graphs are the same and the ratio is
  1 up to noise; for the tree ensembles it is the appended adjustment's cost.

ONNX Runtime runs on one thread (``intra_op_num_threads=1``) and the Python
models with ``OMP_NUM_THREADS`` as the caller set it.

The Array API half: ``logit_adjust`` and an argmax over 8,142 classes (the
iNaturalist 2018 label set) of float32 logits held as torch tensors, 4,096 rows
(--quick: 512), three routes measured in the same run on the CPU, and on CUDA
when torch sees a GPU:

- the NumPy route, what a caller without dispatch does: the tensor to NumPy
  (``.cpu().numpy()``, a device-to-host copy on CUDA, a view on the CPU), then
  ``logit_adjust`` and ``argmax`` in NumPy;
- the Array API route: ``sklearn.config_context(array_api_dispatch=True)``,
  ``logit_adjust`` on the tensor itself, ``argmax`` in torch (the result stays
  on the tensor's device);
- bare torch: ``(logits - tau * log(priors)).argmax(1)``, the floor for any
  checked route.

Ratios are against the NumPy route (below 1: faster). ``SCIPY_ARRAY_API=1`` is
set by this script before SciPy is imported, as scikit-learn's dispatch needs.

Run: python benchmarks/bench_deploy.py [--quick] [--repeats 3]
"""

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy, for array API dispatch

import numpy as np  # noqa: E402
from _common import machine_line, markdown_table, median_seconds  # noqa: E402

TARGET = 1.1
N_CLASSES = 8142  # iNaturalist 2018


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


def paired_ratio(first, second, repeats, min_seconds):
    """Median seconds of ``first`` and ``second`` and the median of their ratios.

    The graphs compared are close (the folded ones identical), so drift in the
    machine's speed over a run (other load, clocks) must hit them alike: each
    pair calls both, in an order that alternates, and the ratio is the median
    of the pairs' ratios. Cheap graphs get more pairs, enough for
    ``min_seconds`` of calls each (at least ``repeats``, at most 1,000).
    """
    once = median_seconds(first, 1) + median_seconds(second, 1)  # also warms up
    pairs = int(min(max(repeats, math.ceil(2 * min_seconds / once)), 1000))
    times = ([], [])
    for pair in range(pairs):
        for index in (0, 1) if pair % 2 == 0 else (1, 0):
            start = time.perf_counter()
            (first, second)[index]()
            times[index].append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(*times, strict=True)]
    return (
        statistics.median(times[0]),
        statistics.median(times[1]),
        statistics.median(ratios),
        pairs,
    )


def _op_types(onx):
    return sorted(node.op_type for node in onx.graph.node)


def session(onnxruntime, onx):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def measure(name, make, n_rows, repeats, skl2onnx, onnxruntime, min_seconds=1.0):
    from sklearn_lt import LogitAdjustedClassifier

    X, y, X_test = problem(n_rows)
    model = LogitAdjustedClassifier(make()).fit(X, y)
    options = {"zipmap": False}
    adjusted_onx = skl2onnx.to_onnx(model, X[:1], options=options)
    inner_options = {id(model.estimator_): {"zipmap": False}}
    inner_onx = skl2onnx.to_onnx(model.estimator_, X[:1], options=inner_options)
    adjusted, inner = (
        session(onnxruntime, adjusted_onx),
        session(onnxruntime, inner_onx),
    )
    feed = {"X": X_test}
    labels = adjusted.run(None, feed)[0]
    agree = float(np.mean(labels == model.predict(X_test)))
    python = median_seconds(lambda: model.predict(X_test), repeats)
    graph, _, ratio, pairs = paired_ratio(
        lambda: adjusted.run(None, feed),
        lambda: inner.run(None, feed),
        repeats,
        min_seconds,
    )
    folded = _op_types(adjusted_onx) == _op_types(inner_onx)
    return [
        name,
        f"{n_rows:,}",
        f"{python:.4f}",
        f"{graph:.4f}",
        f"{graph / python:.2f}x",
        "folded (same nodes)" if folded else "appended",
        f"{ratio:.3f}x ({pairs} pairs)",
        f"{agree:.4f}",
    ]


def _array_api_routes(logits, priors, tau, torch):
    """The three routes on ``logits`` (a torch tensor), each a function of nothing."""
    import sklearn

    from sklearn_lt import logit_adjust

    host_priors = priors.cpu().numpy()
    log_priors = torch.log(priors).to(logits.dtype)  # float64 would promote

    def numpy_route():
        scores = logits.cpu().numpy()
        return logit_adjust(scores, host_priors, tau=tau).argmax(axis=1)

    def array_api_route():
        with sklearn.config_context(array_api_dispatch=True):
            return logit_adjust(logits, priors, tau=tau).argmax(dim=1)

    def bare_torch():
        return (logits - tau * log_priors).argmax(dim=1)

    return {
        "NumPy route": numpy_route,
        "Array API route": array_api_route,
        "bare torch": bare_torch,
    }


def measure_array_api(n_rows, repeats, device="cpu"):
    """Rows of the Array API table for one device: seconds and ratios."""
    import torch

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(n_rows, N_CLASSES, generator=generator).to(device)
    counts = torch.logspace(3, 0, N_CLASSES, dtype=torch.float64)  # 1,000 to 1
    priors = (counts / counts.sum()).to(device)
    routes = _array_api_routes(logits, priors, 1.0, torch)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def timed(route):
        def call():
            route()
            sync()

        return call

    labels = {name: route() for name, route in routes.items()}
    reference = np.asarray(labels["NumPy route"])
    seconds = {
        name: median_seconds(timed(route), repeats) for name, route in routes.items()
    }
    rows = []
    for name, route_labels in labels.items():
        namespace = type(route_labels).__module__.split(".")[0]
        on = f"{namespace}, {getattr(route_labels, 'device', 'cpu')}"
        agree = float(
            np.mean(reference == np.asarray(torch.as_tensor(route_labels).cpu()))
        )
        rows.append(
            [
                device,
                name,
                f"{n_rows:,} x {N_CLASSES:,}",
                f"{1000 * seconds[name]:.1f}",
                f"{seconds[name] / seconds['NumPy route']:.2f}x",
                str(on),
                f"{agree:.4f}",
            ]
        )
    return rows


ARRAY_API_HEADER = [
    "device",
    "route",
    "logits",
    "time (ms)",
    "against the NumPy route",
    "labels on",
    "labels equal",
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
    seconds = 0.1 if args.quick else 1.0  # of calls per graph, at the least
    print(f"# ONNX deployment, median of {repeats}; {machine_line()}\n")
    if args.quick:
        print("(--quick: a smoke run on 10,000 rows, not the measured targets)\n")
    table = []
    for n_rows in rows:
        for name, make in inner_models().items():
            table.append(
                measure(name, make, n_rows, repeats, skl2onnx, onnxruntime, seconds)
            )
    header = [
        "inner model",
        "rows",
        "Python predict (s)",
        "ONNX Runtime (s)",
        "ONNX / Python",
        "adjustment",
        "adjusted graph / inner graph",
        "labels equal",
    ]
    print(markdown_table(header, table))
    worst = max(float(row[6].split("x")[0]) for row in table)
    verdict = "met" if worst <= TARGET else "NOT MET"
    print(
        f"\nThe adjustment inside the graph costs at most {worst:.3f}x the inner "
        f"graph alone (median of paired ratios; target {TARGET}x: {verdict}). "
        "A folded graph has the inner graph's nodes, so its ratio is 1 up to the "
        "machine's noise."
    )
    try:
        import torch
    except ImportError:
        print("\n(torch is not installed: the Array API half is skipped)")
        return
    n_rows = 512 if args.quick else 4096
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"\n# Array API: logit_adjust + argmax on torch tensors, median of "
        f"{repeats}; torch {torch.__version__}, {torch.get_num_threads()} threads\n"
    )
    if len(devices) == 1:
        print("(no CUDA device: the GPU rows are not measured)\n")
    table = [
        row for device in devices for row in measure_array_api(n_rows, repeats, device)
    ]
    print(markdown_table(ARRAY_API_HEADER, table))


if __name__ == "__main__":
    main()
