"""Cost of the torch losses, as a ratio to torch.nn.functional.cross_entropy.

For each loss of sklearn_lt.losses, times one forward and backward pass on a batch of
N=256 float32 logits with C classes (C in 10, 100, 1000 and 8142, iNaturalist 2018's
number of classes), divided by the time of F.cross_entropy's forward and backward on
the same logits and targets, measured in the same run: every timing is the median
of --repeats blocks, the blocks of all losses interleaved in a shuffled order, after
a warm-up. Runs on the CPU, and on CUDA too when a device is there (with
synchronisation around each block). Class counts follow an exponential profile with
imbalance ratio 100.

Targets:
  - LogitAdjustedLoss at most 1.1x cross-entropy at every C;
  - the pairwise forms never build an N x C x C tensor: the last table gives, at the
    largest C, the largest tensor created in the forward pass and the largest tensor
    saved for backward, in units of N*C (an N x C x C tensor would be C units).

The modules are timed, with their per-call checks (shapes, one aminmax on the
targets, one finiteness check of the output), since that is what a training loop
calls; the functional logit_adjusted_loss, torch's own nn.CrossEntropyLoss module
(what a module call alone costs) and the bare F.cross_entropy(logits + log_priors)
(the adjustment without any check) are timed as well.

The fused head (issue 17): forward and backward of a linear head of hidden size
512 and its loss, at C = 1,000 and 8,142 classes and N = 1,024 and 4,096 rows
(--quick: C = 1,000, N = 1,024), three routes timed in the same run, their calls
interleaved: torch's fused F.linear_cross_entropy (plain cross-entropy, chunked
with LinearCrossEntropyOptions()), linear_logit_adjusted_loss (the same op, the
offset in its bias, chunked) and the unfused LogitAdjustedLoss on F.linear's
logits. Peak memory of a step of each route is measured in a fresh process,
after one warm-up step (its peak resident set over the step less the resident
set before it, on a Linux CPU; CUDA's max_memory_allocated on a GPU). Targets:
fused LA at most 1.05x fused CE; fused LA peak memory at most half of unfused
LA's at C = 8,142, N = 4,096.

Run: python benchmarks/bench_losses.py [--quick] [--repeats 21] [--threads 1]
     [--fused-only]   (the fused head alone; --repeats counts the micro-benchmark's
                      blocks and the fused head's steps alike)
"""

import argparse
import random
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from _common import markdown_table, note
from torch.overrides import TorchFunctionMode

from sklearn_lt.datasets import long_tailed_counts
from sklearn_lt.losses import (
    EqualisedLoss,
    LDAMLoss,
    LogitAdjustedLDAMLoss,
    LogitAdjustedLoss,
    PairwiseMarginLoss,
    linear_logit_adjusted_loss,
    logit_adjusted_loss,
)

N_SAMPLES = 256
TARGET_RATIO = 1.1


def make_losses(n_classes, device):
    counts = long_tailed_counts(5000, n_classes, imbalance_ratio=100).astype(float)
    log_priors = np.log(counts / counts.sum())
    # The general form, with the logit-adjustment margins as its C x C matrix.
    delta = log_priors[None, :] - log_priors[:, None]
    la = LogitAdjustedLoss(counts).to(device)
    return {
        "cross_entropy (baseline)": F.cross_entropy,
        # torch's own module: the cost of a module call, for reference.
        "torch.nn.CrossEntropyLoss": torch.nn.CrossEntropyLoss(),
        # The bare computation, without the module's checks: the floor of any
        # implementation made of torch ops (one add, then cross_entropy).
        "bare F.cross_entropy(logits + log_priors)": (
            lambda logits, target: F.cross_entropy(
                torch.add(logits, la.log_priors), target
            )
        ),
        "LogitAdjustedLoss": la,
        "logit_adjusted_loss (function)": (
            lambda logits, target: logit_adjusted_loss(logits, target, la.log_priors)
        ),
        "PairwiseMarginLoss": PairwiseMarginLoss(delta).to(device),
        "LDAMLoss": LDAMLoss(counts).to(device),
        "EqualisedLoss": EqualisedLoss(counts).to(device),
        "LogitAdjustedLDAMLoss": LogitAdjustedLDAMLoss(counts).to(device),
    }


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_block(loss, logits, target, inner, device):
    sync(device)
    start = time.perf_counter()
    for _ in range(inner):
        logits.grad = None
        loss(logits, target).backward()
    sync(device)
    return (time.perf_counter() - start) / inner


def time_losses(losses, logits, target, repeats, device, block_seconds):
    for loss in losses.values():  # warm-up (allocator, kernels, dispatch caches)
        time_block(loss, logits, target, 5, device)
    one = time_block(losses["cross_entropy (baseline)"], logits, target, 20, device)
    inner = max(1, int(block_seconds / one))
    samples = {name: [] for name in losses}
    order = list(losses)
    shuffler = random.Random(0)
    for _ in range(repeats):
        # Interleaved, so drifts hit all losses alike, and shuffled, so no loss
        # always runs on the heap (freed blocks, page faults) its neighbour left.
        shuffler.shuffle(order)
        for name in order:
            samples[name].append(
                time_block(losses[name], logits, target, inner, device)
            )
    return {name: statistics.median(values) for name, values in samples.items()}


class LargestNewTensor(TorchFunctionMode):
    """numel of the largest tensor a torch function returns (views excluded)."""

    def __init__(self, existing):
        super().__init__()
        self.existing = {t.untyped_storage().data_ptr() for t in existing}
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for item in out if isinstance(out, tuple | list) else (out,):
            if (
                isinstance(item, torch.Tensor)
                and item.untyped_storage().data_ptr() not in self.existing
            ):
                self.largest = max(self.largest, item.numel())
        return out


def largest_tensors(loss, logits, target):
    """(largest tensor created in forward, largest saved for backward), in numel."""
    saved = [0]

    def pack(tensor):
        saved.append(tensor.numel())
        return tensor

    existing = [logits, target]
    if isinstance(loss, torch.nn.Module):
        existing += list(loss.buffers())
    recorder = LargestNewTensor(existing)
    hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor)
    with hooks, recorder:
        out = loss(logits, target)
    logits.grad = None
    out.backward()
    return recorder.largest, max(saved)


def run_device(device, class_sizes, repeats, block_seconds):
    generator = torch.Generator().manual_seed(0)
    times = {}
    memory = {}
    for n_classes in class_sizes:
        note(f"{device}: C={n_classes}")
        logits = torch.randn(N_SAMPLES, n_classes, generator=generator).to(device)
        logits.requires_grad_(True)
        target = torch.randint(0, n_classes, (N_SAMPLES,), generator=generator)
        target = target.to(device)
        losses = make_losses(n_classes, device)
        times[n_classes] = time_losses(
            losses, logits, target, repeats, device, block_seconds
        )
        memory[n_classes] = {
            name: largest_tensors(loss, logits, target) for name, loss in losses.items()
        }
    names = list(times[class_sizes[0]])
    baseline = "cross_entropy (baseline)"
    rows = [
        [f"{name} (us)"] + [f"{times[c][name] * 1e6:.1f}" for c in class_sizes]
        for name in names[:1]
    ]
    for name in names[1:]:
        rows.append(
            [name]
            + [f"{times[c][name] / times[c][baseline]:.2f}x" for c in class_sizes]
        )
    print(f"\n### {device}: forward+backward time / cross_entropy's (N={N_SAMPLES})\n")
    print(markdown_table(["loss"] + [f"C={c}" for c in class_sizes], rows))

    largest = class_sizes[-1]
    units = N_SAMPLES * largest
    mem_rows = [
        [name, f"{created / units:.2f}", f"{saved / units:.2f}"]
        for name, (created, saved) in memory[largest].items()
    ]
    print(
        f"\n### {device}: largest tensors at C={largest}, in units of N*C = {units} "
        f"(N x C x C would be {largest})\n"
    )
    print(markdown_table(["loss", "largest created", "largest saved"], mem_rows))

    ratios = {
        c: times[c]["LogitAdjustedLoss"] / times[c][baseline] for c in class_sizes
    }
    missed = {c: r for c, r in ratios.items() if r > TARGET_RATIO}
    module = "torch.nn.CrossEntropyLoss"
    versus_module = ", ".join(
        f"C={c}: {times[c]['LogitAdjustedLoss'] / times[c][module]:.2f}x"
        for c in class_sizes
    )
    print(f"\nLogitAdjustedLoss / torch.nn.CrossEntropyLoss: {versus_module}.")
    # The floor of any implementation made of torch ops: one add, then cross_entropy.
    floor = "bare F.cross_entropy(logits + log_priors)"
    for numerator, denominator in ((floor, baseline), ("LogitAdjustedLoss", floor)):
        parts = ", ".join(
            f"C={c}: {times[c][numerator] / times[c][denominator]:.2f}x"
            for c in class_sizes
        )
        print(f"{numerator} / {denominator}: {parts}.")
    if missed:
        verdict = (
            "NOT MET (" + ", ".join(f"C={c}: {r:.2f}x" for c, r in missed.items()) + ")"
        )
    else:
        verdict = "met"
    print(f"Target: LogitAdjustedLoss <= {TARGET_RATIO}x cross_entropy: {verdict}.")
    worst = max(max(m) for m in memory[largest].values()) / units
    verdict = "met" if worst <= 2 else "NOT MET"
    print(f"Target: no N x C x C tensor: {verdict} (largest tensor {worst:.2f} x N*C).")


HIDDEN = 512
FUSED_ROUTES = ("fused CE", "fused LA", "unfused LA")
FUSED_TIME_TARGET = 1.05
FUSED_MEMORY_TARGET = 0.5


def fused_problem(n_rows, n_classes, device, seed=0):
    """Features, a head (weight, bias) needing gradients, targets and priors."""
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(n_rows, HIDDEN, generator=g).to(device).requires_grad_()
    weight = (0.05 * torch.randn(n_classes, HIDDEN, generator=g)).to(device)
    bias = torch.zeros(n_classes).to(device)
    target = torch.randint(0, n_classes, (n_rows,), generator=g).to(device)
    counts = long_tailed_counts(50 * n_classes, n_classes, imbalance_ratio=100)
    priors = counts.astype(float) / counts.sum()
    return features, weight.requires_grad_(), bias.requires_grad_(), target, priors


def fused_step(route, problem):
    """One forward and backward of the head and its loss, by ``route``."""
    features, weight, bias, target, priors = problem
    chunked = torch.nn.LinearCrossEntropyOptions()
    if route == "unfused LA":
        loss_module = LogitAdjustedLoss(priors).to(features.device)

        def step():
            loss_module(F.linear(features, weight, bias), target).backward()

    elif route == "fused LA":
        on_device = torch.as_tensor(priors).to(features.device)

        def step():
            linear_logit_adjusted_loss(
                features, weight, target, bias, priors=on_device, options=chunked
            ).backward()

    else:

        def step():
            F.linear_cross_entropy(
                features, weight, target, linear_bias=bias, options=chunked
            ).backward()

    return step


def time_fused(problem, repeats, device):
    """Median seconds of each route's step, the routes interleaved (shuffled)."""
    steps = {route: fused_step(route, problem) for route in FUSED_ROUTES}
    for step in steps.values():  # warm up
        step()
    times = {route: [] for route in FUSED_ROUTES}
    order = list(FUSED_ROUTES)
    for _ in range(repeats):
        random.shuffle(order)
        for route in order:
            sync(device)
            start = time.perf_counter()
            steps[route]()
            sync(device)
            times[route].append(time.perf_counter() - start)
    return {route: statistics.median(t) for route, t in times.items()}


def peak_step_megabytes(route, n_rows, n_classes, device):
    """Peak memory of one step of ``route`` (MB), in a fresh process on the CPU."""
    if device.type == "cuda":
        problem = fused_problem(n_rows, n_classes, device)
        step = fused_step(route, problem)
        step()  # warm-up, as on the CPU
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    out = subprocess.run(
        [sys.executable, __file__, "--peak", route, str(n_rows), str(n_classes)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.split()[-1])


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _print_peak(route, n_rows, n_classes):
    """(Child process) the peak resident set over a step less before it, in MB.

    Linux resets the peak (VmHWM) when "5" is written to /proc/self/clear_refs,
    so the setup's own peak (importing torch, building the problem) is not
    counted.
    """
    problem = fused_problem(n_rows, n_classes, torch.device("cpu"))
    step = fused_step(route, problem)
    step()  # warm-up: lazy initialisation, and the gradients' own buffers
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # not Linux, or not allowed here: no figure rather than a wrong one
        print("nan")
        return
    before = _status_kb("VmRSS")
    step()
    print((_status_kb("VmHWM") - before) / 1024)


def run_fused(device, shapes, repeats):
    rows = []
    results = {}
    for n_classes, n_rows in shapes:
        note(f"{device}: fused head, C={n_classes}, N={n_rows}")
        problem = fused_problem(n_rows, n_classes, device)
        seconds = time_fused(problem, repeats, device)
        peaks = {
            route: peak_step_megabytes(route, n_rows, n_classes, device)
            for route in FUSED_ROUTES
        }
        results[n_classes, n_rows] = (seconds, peaks)
        base = seconds["fused CE"]
        rows.append(
            [
                f"{n_classes:,}",
                f"{n_rows:,}",
                f"{base * 1e3:.1f}",
                f"{seconds['fused LA'] / base:.3f}x",
                f"{seconds['unfused LA'] / base:.3f}x",
                *(f"{peaks[route]:.0f}" for route in FUSED_ROUTES),
            ]
        )
    header = [
        "C",
        "N",
        "fused CE (ms)",
        "fused LA / fused CE",
        "unfused LA / fused CE",
        *(f"peak MB, {route}" for route in FUSED_ROUTES),
    ]
    print(
        f"\n### {device}: forward+backward of a linear head (hidden {HIDDEN}) and "
        f"its loss, median of {repeats}\n"
    )
    print(markdown_table(header, rows))
    worst = max(s["fused LA"] / s["fused CE"] for s, _ in results.values())
    verdict = "met" if worst <= FUSED_TIME_TARGET else "NOT MET"
    print(
        f"Target: fused LA <= {FUSED_TIME_TARGET}x fused CE: {verdict} ({worst:.3f}x)."
    )
    if (8142, 4096) in results:
        _, peaks = results[8142, 4096]
        share = peaks["fused LA"] / peaks["unfused LA"]
        verdict = "met" if share <= FUSED_MEMORY_TARGET else "NOT MET"
        print(
            "Target: fused LA peak memory <= half of unfused LA's at C=8,142, "
            f"N=4,096: {verdict} ({share:.2f})."
        )


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--peak":
        _print_peak(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's)"
    )
    parser.add_argument(
        "--fused-only", action="store_true", help="only the fused-head tables"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = args.repeats or (5 if args.quick else 21)
    block_seconds = 0.01 if args.quick else 0.05
    if args.quick:
        print(
            "(quick mode: a smoke run on a small budget; the targets are meant for "
            "the full run)"
        )
    class_sizes = [10, 100, 1000, 8142]

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
        f"N={N_SAMPLES}, median of {repeats} blocks of about "
        f"{block_seconds * 1e3:.0f} ms"
    )
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    for device in devices:
        if not args.fused_only:
            run_device(device, class_sizes, repeats, block_seconds)
    if args.quick:
        shapes = [(1000, 1024)]
    else:
        shapes = [(c, n) for c in (1000, 8142) for n in (1024, 4096)]
    for device in devices:
        run_fused(device, shapes, args.repeats or (3 if args.quick else 5))


if __name__ == "__main__":
    main()
