"""Cost of the logit-adjusted loss against plain cross-entropy, where users meet it.

Three parts, each timed in one run with its routes interleaved in a shuffled order
(drifts hit every route alike), after a warm-up; on the CPU, and on CUDA too when a
device is there (synchronised around each timing; the fused head and the training
step then run under bf16 autocast). Class counts follow an exponential profile with
imbalance ratio 100.

(a) The fused head: forward and backward of a linear head of hidden size 512 and
its loss, at C = 1,000 and 8,142 classes (iNaturalist 2018's number) and N = 1,024
and 4,096 rows (--quick: C = 1,000, N = 1,024), three routes: torch's fused
F.linear_cross_entropy (plain cross-entropy, chunked with
LinearCrossEntropyOptions()), linear_logit_adjusted_loss (the same op, the offset in
its bias, chunked) and the unfused LogitAdjustedLoss on F.linear's logits. Peak
memory of a step of each route is measured in a fresh process, after one warm-up
step (its peak resident set over the step less the resident set before it, on a
Linux CPU; CUDA's max_memory_allocated on a GPU). Targets: fused LA at most 1.05x
fused CE; fused LA peak memory at most half of unfused LA's at C = 8,142, N = 4,096.

(b) A training step of a real model: LogitAdjustedNet's train_step (forward, loss,
backward, SGD with momentum) on one batch, for the library's MLPModule (128
features, one hidden layer of 512 units, batch 512) and the ResNet-32 of cifar_lt.py
(CifarResNet, its 64-wide linear head, batch 128), at C = 10, 100, 1,000 and 8,142
(--quick: an MLP on 32 features and a ResNet-8, C = 10 and 1,000). Four routes:
loss="cross_entropy" (CE) and loss="logit_adjusted" (LA), each unfused and with
fused_head="classifier", and a second CE net identical to the first, whose ratio
to it is the noise floor (an A/A comparison). Ratios are medians of per-round
ratios, each round timing every route once in a shuffled order. Target: LA at most
1.02x CE, unfused and fused alike.

(c) The micro-benchmark, as information, not a target: one forward and backward of
each loss of sklearn_lt.losses on N=256 float32 logits with C in 10, 100, 1,000 and
8,142, divided by F.cross_entropy's on the same logits (median of --repeats blocks).
At small C a loss takes microseconds, and the adjustment's broadcast add and the
module's checks are a fixed per-call cost of the same order, so the ratio there
measures call overhead, which a training step (b) does not see. It also checks that
the pairwise forms never build an N x C x C tensor (target: the largest tensor made
in the forward pass or saved for backward is at most 2 x N*C).

Run: python benchmarks/bench_losses.py [--quick] [--repeats R] [--threads 1]
     [--only fused|steps|micro]
"""

import argparse
import contextlib
import functools
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
from sklearn_lt.net import CifarResNet, LogitAdjustedNet, MLPModule

N_SAMPLES = 256


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


def interleaved_rounds(timers, repeats):
    """``{name: [seconds per round]}``: each round calls every timer once.

    Interleaved, so drifts hit all of them alike, and shuffled (seeded), so none
    always runs on the heap (freed blocks, page faults) its neighbour left.
    """
    samples = {name: [] for name in timers}
    order = list(timers)
    shuffler = random.Random(0)
    for _ in range(repeats):
        shuffler.shuffle(order)
        for name in order:
            samples[name].append(timers[name]())
    return samples


def paired_ratio(samples, top, bottom):
    """The median over rounds of ``top``'s time over ``bottom``'s in that round."""
    return statistics.median(np.divide(samples[top], samples[bottom]))


def time_losses(losses, logits, target, repeats, device, block_seconds):
    for loss in losses.values():  # warm-up (allocator, kernels, dispatch caches)
        time_block(loss, logits, target, 5, device)
    one = time_block(losses["cross_entropy (baseline)"], logits, target, 20, device)
    inner = max(1, int(block_seconds / one))
    timers = {
        name: functools.partial(time_block, loss, logits, target, inner, device)
        for name, loss in losses.items()
    }
    samples = interleaved_rounds(timers, repeats)
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
    extra = ", ".join(
        f"C={c}: {(times[c]['LogitAdjustedLoss'] - times[c][baseline]) * 1e6:.0f} us"
        for c in class_sizes
    )
    print(
        "Information, not a target: LogitAdjustedLoss takes this much longer per "
        f"call than cross_entropy: {extra}. That is the adjustment's add and its "
        "backward plus the module's checks (shapes, the targets' range, a finite "
        "loss), a cost per call of the order of the small-C loss itself, so the "
        "ratio is large there; a training step (table (b)) pays it once per step, "
        "and the fused head (table (a)) folds the add into the bias."
    )
    worst = max(max(m) for m in memory[largest].values()) / units
    verdict = "met" if worst <= 2 else "NOT MET"
    print(f"Target: no N x C x C tensor: {verdict} (largest tensor {worst:.2f} x N*C).")


HIDDEN = 512
# "fused CE again" repeats "fused CE": their ratio is the noise floor (A/A).
FUSED_ROUTES = ("fused CE", "fused CE again", "fused LA", "unfused LA")
MEMORY_ROUTES = ("fused CE", "fused LA", "unfused LA")
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
    """One forward and backward of the head and its loss, by ``route``.

    On CUDA the forward runs under bf16 autocast, as mixed-precision training does.
    """
    features, weight, bias, target, priors = problem
    chunked = torch.nn.LinearCrossEntropyOptions()
    device = features.device
    if route == "unfused LA":
        loss_module = LogitAdjustedLoss(priors).to(device)

        def loss():
            return loss_module(F.linear(features, weight, bias), target)

    elif route == "fused LA":
        on_device = torch.as_tensor(priors).to(device)

        def loss():
            return linear_logit_adjusted_loss(
                features, weight, target, bias, priors=on_device, options=chunked
            )

    else:

        def loss():
            return F.linear_cross_entropy(
                features, weight, target, linear_bias=bias, options=chunked
            )

    def step():
        with torch.autocast("cuda", torch.bfloat16, enabled=device.type == "cuda"):
            value = loss()
        value.backward()

    return step


def time_fused(problem, repeats, device):
    """Seconds of each route's step in every round (:func:`interleaved_rounds`)."""
    steps = {route: fused_step(route, problem) for route in FUSED_ROUTES}
    for step in steps.values():  # warm up
        step()

    def timed(step):
        sync(device)
        start = time.perf_counter()
        step()
        sync(device)
        return time.perf_counter() - start

    timers = {route: functools.partial(timed, step) for route, step in steps.items()}
    return interleaved_rounds(timers, repeats)


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
        times = time_fused(problem, repeats, device)
        peaks = {
            route: peak_step_megabytes(route, n_rows, n_classes, device)
            for route in MEMORY_ROUTES
        }
        ratios = {
            route: paired_ratio(times, route, "fused CE") for route in FUSED_ROUTES[1:]
        }
        results[n_classes, n_rows] = (ratios, peaks)
        rows.append(
            [
                f"{n_classes:,}",
                f"{n_rows:,}",
                f"{statistics.median(times['fused CE']) * 1e3:.1f}",
                *(f"{ratios[route]:.3f}x" for route in FUSED_ROUTES[1:]),
                *(f"{peaks[route]:.0f}" for route in MEMORY_ROUTES),
            ]
        )
    header = [
        "C",
        "N",
        "fused CE (ms)",
        "fused CE again / fused CE (noise)",
        "fused LA / fused CE",
        "unfused LA / fused CE",
        *(f"peak MB, {route}" for route in MEMORY_ROUTES),
    ]
    print(
        f"\n### {device}: forward+backward of a linear head (hidden {HIDDEN}) and "
        f"its loss; ratios: medians of {repeats} paired rounds\n"
    )
    print(markdown_table(header, rows))
    worst = max(ratios["fused LA"] for ratios, _ in results.values())
    noise = [ratios["fused CE again"] for ratios, _ in results.values()]
    verdict = "met" if worst <= FUSED_TIME_TARGET else "NOT MET"
    print(
        f"Target: fused LA <= {FUSED_TIME_TARGET}x fused CE: {verdict} ({worst:.3f}x; "
        f"fused CE against itself: from {min(noise):.3f}x to {max(noise):.3f}x)."
    )
    if (8142, 4096) in results:
        _, peaks = results[8142, 4096]
        share = peaks["fused LA"] / peaks["unfused LA"]
        verdict = "met" if share <= FUSED_MEMORY_TARGET else "NOT MET"
        print(
            "Target: fused LA peak memory <= half of unfused LA's at C=8,142, "
            f"N=4,096: {verdict} ({share:.2f})."
        )


# -- (b) a training step of a real model --------------------------------------------

# "CE again" is a second, identical cross-entropy net: CE again / CE is the noise
# floor of the ratios (an A/A comparison).
STEP_ROUTES = ("CE", "CE again", "LA", "fused CE", "fused LA")
# Ratio -> (numerator, denominator); the medians of the per-round ratios.
STEP_PAIRS = {
    "CE again / CE (noise)": ("CE again", "CE"),
    "LA / CE": ("LA", "CE"),
    "fused LA / fused CE": ("fused LA", "fused CE"),
    "fused LA / CE": ("fused LA", "CE"),
}
STEP_TARGET = 1.02


def step_models(quick):
    """{name: (module class, module parameters, one row's shape, batch, rounds)}.

    Rounds: the default number of paired rounds, more for the faster model, whose
    steps are noisier (two identical nets were up to 5% apart over 15 rounds).
    """
    if quick:
        return {
            "MLP": (MLPModule, {"n_features": 32, "hidden_units": (64,)}, (32,), 64, 3),
            "ResNet-8": (CifarResNet, {"blocks_per_stage": 1}, (3, 32, 32), 16, 3),
        }
    return {
        # The library's MLP, one hidden layer of 512 units, on 128 features.
        "MLP": (
            MLPModule,
            {"n_features": 128, "hidden_units": (512,)},
            (128,),
            512,
            41,
        ),
        # cifar_lt.py's model: ResNet-32, its 64-wide linear head, batch 128.
        "ResNet-32": (CifarResNet, {"blocks_per_stage": 5}, (3, 32, 32), 128, 15),
    }


def step_net(route, model, n_classes, device):
    """A LogitAdjustedNet, initialised through fit with max_epochs=0, and a batch."""
    module, module_params, row_shape, batch_size, _ = model
    counts = long_tailed_counts(50 * n_classes, n_classes, imbalance_ratio=100)
    priors = counts.astype(float) / counts.sum()
    net = LogitAdjustedNet(
        module,
        loss="logit_adjusted" if route.endswith("LA") else "cross_entropy",
        priors=priors,
        fused_head="classifier" if route.startswith("fused") else None,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        lr=0.01,
        max_epochs=0,
        train_split=None,
        device=device,
        random_state=0,
        verbose=0,
        **{f"module__{k}": v for k, v in module_params.items()},
    )
    g = torch.Generator().manual_seed(0)
    # One row per class for the fit that builds the net (its priors are given).
    fit_X = torch.rand(n_classes, *row_shape, generator=g) * 255
    net.fit(fit_X, np.arange(n_classes))
    X = torch.rand(batch_size, *row_shape, generator=g) * 255
    y = torch.as_tensor(
        np.random.default_rng(0).choice(n_classes, batch_size, p=priors)
    )
    return net, (X.to(device), y.to(device))


def time_steps(model, n_classes, device, repeats, block_seconds, autocast):
    """Seconds of a training step (forward, loss, backward, SGD) and their ratios.

    Each timing is a block of steps of about ``block_seconds`` (at least one);
    every round times each route once, in a shuffled order. Returns the median
    seconds per route and, per pair of ``STEP_PAIRS``, the median of the rounds'
    ratios (paired, so drifts between rounds cancel).
    """
    nets = {route: step_net(route, model, n_classes, device) for route in STEP_ROUTES}
    context = (
        (lambda: torch.autocast(device.type, dtype=torch.bfloat16))
        if autocast
        else contextlib.nullcontext
    )

    def step(route):
        net, batch = nets[route]
        with context():
            net.train_step(batch)

    for route in STEP_ROUTES:  # warm-up
        step(route)
        step(route)

    def block(route, inner):
        sync(device)
        start = time.perf_counter()
        for _ in range(inner):
            step(route)
        sync(device)
        return (time.perf_counter() - start) / inner

    inner = max(1, int(block_seconds / block("CE", 3)))
    timers = {route: functools.partial(block, route, inner) for route in STEP_ROUTES}
    times = interleaved_rounds(timers, repeats)
    fused = {route: nets[route][0].fused_ for route in STEP_ROUTES}
    assert fused == {r: r.startswith("fused") for r in STEP_ROUTES}, fused
    ratios = {
        pair: paired_ratio(times, top, bottom)
        for pair, (top, bottom) in STEP_PAIRS.items()
    }
    return {route: statistics.median(t) for route, t in times.items()}, ratios


def run_steps(device, class_sizes, repeats, quick):
    block_seconds = 0.02 if quick else 0.2
    autocast = device.type == "cuda"
    rows, worst, noise = [], dict.fromkeys(STEP_PAIRS, 0.0), []
    for name, model in step_models(quick).items():
        for n_classes in class_sizes:
            note(f"{device}: training step, {name}, C={n_classes}")
            rounds = repeats or model[-1]
            seconds, ratios = time_steps(
                model, n_classes, device, rounds, block_seconds, autocast
            )
            for pair, ratio in ratios.items():
                worst[pair] = max(worst[pair], ratio)
            noise.append(ratios["CE again / CE (noise)"])
            rows.append(
                [
                    name,
                    f"{n_classes:,}",
                    str(rounds),
                    f"{seconds['CE'] * 1e3:.1f}",
                    *(f"{ratios[pair]:.3f}x" for pair in STEP_PAIRS),
                ]
            )
    precision = "bf16 autocast" if autocast else "float32"
    print(
        f"\n### {device}: a training step of LogitAdjustedNet (forward, loss, "
        f"backward, SGD step; {precision}), medians over paired rounds of blocks of "
        f"about {block_seconds * 1e3:.0f} ms\n"
    )
    print(markdown_table(["model", "C", "rounds", "CE step (ms)", *STEP_PAIRS], rows))
    for pair in ("LA / CE", "fused LA / fused CE"):
        verdict = "met" if worst[pair] <= STEP_TARGET else "NOT MET"
        print(
            f"Target: {pair} <= {STEP_TARGET}x in a training step: {verdict} "
            f"(largest {worst[pair]:.3f}x; two identical CE nets: from "
            f"{min(noise):.3f}x to {max(noise):.3f}x)."
        )


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--peak":
        _print_peak(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="blocks of the micro-benchmark, rounds of the fused head and of the "
        "training step (default 21, 15, and 41 for the MLP and 15 for the "
        "ResNet; --quick: 5, 3 and 3)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's)"
    )
    parser.add_argument(
        "--only",
        choices=("fused", "steps", "micro"),
        default=None,
        help="one part: the fused head (a), the training step (b) or the "
        "micro-benchmark (c)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        print(
            "(quick mode: a smoke run on a small budget; the targets are meant for "
            "the full run)"
        )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    parts = ("fused", "steps", "micro") if args.only is None else (args.only,)
    for device in devices:
        if "fused" in parts:
            shapes = (
                [(1000, 1024)]
                if args.quick
                else [(c, n) for c in (1000, 8142) for n in (1024, 4096)]
            )
            run_fused(device, shapes, args.repeats or (3 if args.quick else 15))
        if "steps" in parts:
            class_sizes = [10, 1000] if args.quick else [10, 100, 1000, 8142]
            run_steps(device, class_sizes, args.repeats, args.quick)
        if "micro" in parts:
            repeats = args.repeats or (5 if args.quick else 21)
            block_seconds = 0.01 if args.quick else 0.05
            print(
                f"\n(c) micro-benchmark: N={N_SAMPLES}, median of {repeats} blocks "
                f"of about {block_seconds * 1e3:.0f} ms"
            )
            run_device(device, [10, 100, 1000, 8142], repeats, block_seconds)


if __name__ == "__main__":
    main()
