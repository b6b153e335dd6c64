"""Weight decay on the classifier bias: how far apart it keeps the two LA routes.

With an unregularised bias in the last linear layer, training with the logit-adjusted
loss (cross-entropy of ``f(x) + tau * log(priors)``) is training with cross-entropy
whose last-layer bias starts shifted by ``tau * log(priors)``
(``tests/test_loss_as_bias_shift.py``). The adjusted-loss net would then predict as the
cross-entropy net adjusted post hoc (``argmax f(x) - tau * log(priors)``) if both
reached the same optimum. Weight decay on the bias breaks this: it pulls both biases
towards 0, not towards each other. This script measures how much, in the setting of
``method_table.py`` (its data sets, MLP, SGD with momentum 0.9, lr 0.05, batch 64,
weight decay 5e-4, seeds and epochs).

Per data set and seed, six trainings: {cross-entropy, logit-adjusted loss (tau=1)} x

- **decay on every parameter**: ``optimizer__weight_decay=5e-4``, as the method table;
- **no decay on the classifier bias**: the same, with skorch's
  ``optimizer__param_groups=[("classifier.bias", {"weight_decay": 0.0})]``;
- **no decay on the bias, shifted start**: the same again, the cross-entropy net's
  bias moved to ``b_0 + log(priors)`` when training begins (a callback), so that both
  conditions of the identity hold and only float32 rounding is left between the
  routes (its "ERM" column is then that net's plain argmax).

The weight decay the optimiser actually applies to ``module_.classifier.bias`` is read
back from ``net.optimizer_.param_groups`` after each fit and reported. Both nets of a
setting share ``random_state``, hence their initial weights and batch order.

Reported per setting (mean ± std over seeds), on the balanced test set:

- balanced error (%) of the adjusted-loss net, of the cross-entropy net adjusted post
  hoc (``posthoc_tau=1``) and of the plain cross-entropy net (ERM);
- **logit gap**: the mean absolute difference between the adjusted-loss net's logits
  and the post-hoc logits of the cross-entropy net (its logits minus ``log(priors)``),
  each row centred first (softmax ignores a per-row shift);
- **disagreement** (%): the share of test points where the two routes predict
  different classes;
- **bias residual**: the norm of ``(b_CE - b_LA) - log(priors)``, both centred (the
  identity says ``b_CE - b_LA = log(priors)`` when nothing breaks it), next to the norm
  of the centred ``log(priors)`` for scale, and the correlation of ``b_CE - b_LA`` with
  ``log(priors)``.

A last table gives the paired effect of excluding the bias from decay (per seed, the
second setting minus the first). Written as Markdown to
``benchmarks/results/bias_decay.md``.

Run: python benchmarks/bench_bias_decay.py [--quick] [--seeds 5] [--epochs 100]
     [--datasets digits-100 gaussians100-100]
"""

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
    save_text,
)
from method_table import DATASETS, experiment_parser, experiment_settings, make_net
from skorch.callbacks import Callback

from sklearn_lt.metrics import balanced_error

NO_BIAS_DECAY = {
    "optimizer__param_groups": [("classifier.bias", {"weight_decay": 0.0})]
}
# Setting -> extra LogitAdjustedNet parameters; the method table decays everything.
# The third setting also starts the cross-entropy net's bias at b_0 + log(priors):
# the identity's other condition, so that only float32 rounding is left.
SETTINGS = {
    "decay on every parameter": {},
    "no decay on the classifier bias": NO_BIAS_DECAY,
    "no decay on the bias, CE bias started at b_0 + log π": {
        **NO_BIAS_DECAY,
        "shifted_start": True,
    },
}


class ShiftBiasAtStart(Callback):
    """Adds ``log(priors_)`` to the classifier's bias when training begins."""

    def on_train_begin(self, net, **kwargs):
        bias = net.module_.classifier.bias
        with torch.no_grad():
            bias += torch.as_tensor(np.log(net.priors_), dtype=bias.dtype)


LOSSES = {
    "cross_entropy": {"loss": "cross_entropy"},
    "logit_adjusted": {"loss": "logit_adjusted", "tau": 1.0},
}
# Metric -> (column header, in percent); the order of the tables' columns.
METRICS = {
    "la_error": ("LA loss", True),
    "posthoc_error": ("CE + post-hoc", True),
    "erm_error": ("ERM", True),
    "logit_gap": ("logit gap", False),
    "disagreement": ("disagreement (%)", True),
    "bias_residual": ("bias residual", False),
    "log_prior_norm": ("‖log π‖", False),
    "bias_corr": ("corr(b_CE − b_LA, log π)", False),
    "bias_decay": ("decay on bias", False),
}


def bias_weight_decay(net):
    """The weight decay ``net.optimizer_`` applies to ``module_.classifier.bias``."""
    bias = net.module_.classifier.bias
    for group in net.optimizer_.param_groups:
        if any(param is bias for param in group["params"]):
            return float(group["weight_decay"])
    raise ValueError("the classifier bias is in none of the optimizer's param groups")


def centred(values):
    """``values`` minus their mean along the last axis (softmax ignores that shift)."""
    values = np.asarray(values, dtype=np.float64)
    return values - values.mean(axis=-1, keepdims=True)


def logit_gap(la_log_proba, posthoc_log_proba):
    """Mean absolute difference of two score arrays, each row centred first."""
    return float(np.mean(np.abs(centred(la_log_proba) - centred(posthoc_log_proba))))


def bias_shift(b_ce, b_la, priors):
    """How far ``b_CE - b_LA`` is from ``log(priors)``, both centred.

    Returns the residual norm, the norm of the centred ``log(priors)`` (its scale)
    and the correlation of the two.
    """
    shift = centred(np.asarray(b_ce, dtype=np.float64) - b_la)
    log_priors = centred(np.log(priors))
    return {
        "bias_residual": float(np.linalg.norm(shift - log_priors)),
        "log_prior_norm": float(np.linalg.norm(log_priors)),
        "bias_corr": float(np.corrcoef(shift, log_priors)[0, 1]),
    }


def classifier_bias(net):
    return net.module_.classifier.bias.detach().cpu().double().numpy()


def compare(ce_net, la_net, problem):
    """The metrics of one setting and seed, from its two fitted nets."""
    X, y = problem.X_test, problem.y_test
    erm_pred = ce_net.predict(X)
    ce_net.set_params(posthoc_tau=1.0)
    posthoc_pred = ce_net.predict(X)
    posthoc_log_proba = ce_net.predict_log_proba(X)
    ce_net.set_params(posthoc_tau=0.0)
    la_pred = la_net.predict(X)
    return {
        "la_error": balanced_error(y, la_pred),
        "posthoc_error": balanced_error(y, posthoc_pred),
        "erm_error": balanced_error(y, erm_pred),
        "logit_gap": logit_gap(la_net.predict_log_proba(X), posthoc_log_proba),
        "disagreement": float(np.mean(la_pred != posthoc_pred)),
        **bias_shift(classifier_bias(ce_net), classifier_bias(la_net), ce_net.priors_),
        "bias_decay": bias_weight_decay(ce_net),
    }


def run_seed(problem, epochs, hidden, seed):
    """{setting: {metric: value}} for one seed: two trainings per setting."""
    results = {}
    for setting, extra in SETTINGS.items():
        extra = dict(extra)
        shifted = extra.pop("shifted_start", False)
        nets = {}
        for name, params in LOSSES.items():
            net = make_net({**params, **extra}, epochs, hidden, seed)
            if shifted and name == "cross_entropy":
                net.set_params(callbacks=[("shift_bias", ShiftBiasAtStart())])
            nets[name] = net.fit(problem.X_train, problem.y_train)
        results[setting] = compare(
            nets["cross_entropy"], nets["logit_adjusted"], problem
        )
        decays = {bias_weight_decay(net) for net in nets.values()}
        if len(decays) != 1:
            raise RuntimeError(f"the two nets of {setting!r} decay the bias {decays}")
    return results


def cell(metric, values, percent):
    if metric == "bias_decay":  # a setting, not a measurement: its distinct values
        return ", ".join(sorted({f"{value:g}" for value in values}))
    return mean_std(values, percent=percent)


def section(title, n_train, per_setting, seeds, epochs, hidden):
    header = ["setting"] + [label for label, _ in METRICS.values()]
    rows = [
        [setting]
        + [
            cell(metric, values[metric], percent)
            for metric, (_, percent) in METRICS.items()
        ]
        for setting, values in per_setting.items()
    ]
    first, second = (per_setting[setting] for setting in list(SETTINGS)[:2])
    paired = [
        [
            label,
            mean_std(np.subtract(second[metric], first[metric]), percent=percent),
        ]
        for metric, (label, percent) in METRICS.items()
        if metric not in ("log_prior_norm", "bias_decay")
    ]
    return (
        f"## {title}: {n_train} training examples, balanced test set; mean ± std "
        f"over {len(seeds)} seeds, {epochs} epochs, MLP({hidden})\n\n"
        "Balanced error (%) of the logit-adjusted loss net (tau=1), of the "
        "cross-entropy net adjusted post hoc (tau=1) and of ERM; logit gap: mean "
        "|LA logits − (CE logits − log π)|, rows centred; disagreement: test points "
        "where the two routes predict differently; bias residual: "
        "‖(b_CE − b_LA) − log π‖, centred; decay on bias: read back from "
        "net.optimizer_.param_groups.\n\n"
        f"{markdown_table(header, rows)}\n\n"
        "Paired effect of excluding the classifier bias from weight decay (per seed, "
        f"'{list(SETTINGS)[1]}' minus '{list(SETTINGS)[0]}'):\n\n"
        f"{markdown_table(['metric', 'difference'], paired)}"
    )


def run(datasets, seeds, epochs, hidden, out_dir=RESULTS_DIR):
    """Run every setting on each data set and seed; print and save the tables.

    Returns ``{dataset: {setting: {metric: [value per seed]}}}``.
    """
    all_results = {}
    sections = []
    for key in datasets:
        per_setting = {setting: {} for setting in SETTINGS}
        start = time.perf_counter()
        for seed in progress(list(seeds), desc=f"{key}: seeds"):
            problem = DATASETS[key](seed)
            for setting, metrics in run_seed(problem, epochs, hidden, seed).items():
                for metric, value in metrics.items():
                    per_setting[setting].setdefault(metric, []).append(value)
        seconds = time.perf_counter() - start
        all_results[key] = per_setting
        sections.append(
            section(
                problem.name, len(problem.y_train), per_setting, seeds, epochs, hidden
            )
            + f"\n\n({len(seeds)} seeds, {2 * len(SETTINGS) * len(seeds)} trainings in "
            f"{seconds:.0f} s.)"
        )
        print(sections[-1] + "\n", flush=True)
    header = (
        "# Weight decay on the classifier bias: the two logit-adjustment routes\n\n"
        f"Command: `python {' '.join(sys.argv)}`  \nMachine: {machine_line()}\n\n"
    )
    save_text(header + "\n\n".join(sections), os.path.join(out_dir, "bias_decay.md"))
    return all_results


def main(argv=None):
    parser = experiment_parser(
        __doc__.splitlines()[0],
        "data sets (default: digits-100 and gaussians100-100; --quick: digits-100)",
    )
    args = parser.parse_args(argv)
    seeds, epochs, datasets = experiment_settings(
        args, "Bias decay", ["digits-100"], ["digits-100", "gaussians100-100"]
    )
    start = time.perf_counter()
    results = run(datasets, seeds, epochs, args.hidden, args.out_dir)
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")
    return results


if __name__ == "__main__":
    main()
