"""The bias-decay benchmark runs end to end on a tiny configuration."""

import math

import numpy as np
import pytest
from _benchmarks import load_benchmark
from numpy.testing import assert_allclose

pytest.importorskip("torch")
pytest.importorskip("skorch")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_bias_decay")


@pytest.fixture(scope="module")
def results(bench, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bias_decay")
    results = bench.main(
        [
            "--seeds", "1", "--epochs", "3", "--hidden", "16",
            "--datasets", "digits-100", "--out-dir", str(out_dir),
        ]
    )  # fmt: skip
    return results, out_dir


def test_every_setting_and_metric_is_measured_and_written(bench, results):
    results, out_dir = results
    per_setting = results["digits-100"]
    assert list(per_setting) == list(bench.SETTINGS)
    for setting, metrics in per_setting.items():
        assert list(metrics) == list(bench.METRICS)
        values = {metric: value for metric, (value,) in metrics.items()}
        assert all(math.isfinite(value) for value in values.values()), setting
        for metric in ("la_error", "posthoc_error", "erm_error", "disagreement"):
            assert 0.0 <= values[metric] <= 1.0, (setting, metric)
        assert values["logit_gap"] >= 0.0 and values["bias_residual"] >= 0.0
        assert -1.0 <= values["bias_corr"] <= 1.0
    text = (out_dir / "bias_decay.md").read_text()
    for setting in bench.SETTINGS:
        assert f"| {setting} |" in text


def test_excluded_bias_is_not_decayed_by_the_optimizer(results):
    results, _ = results
    per_setting = results["digits-100"]
    assert per_setting["decay on every parameter"]["bias_decay"] == [5e-4]
    assert per_setting["no decay on the classifier bias"]["bias_decay"] == [0.0]


def test_param_group_holds_only_the_classifier_bias(bench):
    problem = bench.DATASETS["digits-100"](0)
    extra = bench.SETTINGS["no decay on the classifier bias"]
    net = bench.make_net({"loss": "cross_entropy", **extra}, 1, 8, 0)
    net.fit(problem.X_train, problem.y_train)
    groups = net.optimizer_.param_groups
    bias = net.module_.classifier.bias
    (no_decay,) = [group for group in groups if group["weight_decay"] == 0.0]
    assert len(no_decay["params"]) == 1 and no_decay["params"][0] is bias
    decayed = [
        param for group in groups if group is not no_decay for param in group["params"]
    ]
    assert len(decayed) == len(list(net.module_.parameters())) - 1
    assert all(
        group["weight_decay"] == 5e-4 for group in groups if group is not no_decay
    )


def test_bias_shift_is_zero_when_the_biases_differ_by_log_priors(bench):
    priors = np.array([0.5, 0.3, 0.15, 0.05])
    log_priors = np.log(priors)
    b_la = np.array([0.2, -0.1, 0.4, 1.0])
    # Shifted by log pi plus a constant: the identity holds (softmax ignores it).
    measures = bench.bias_shift(b_la + log_priors + 3.0, b_la, priors)
    assert_allclose(measures["bias_residual"], 0.0, atol=1e-12)
    assert_allclose(measures["bias_corr"], 1.0)
    # Half the shift: the residual is half the norm of the centred log-priors.
    norm = np.sqrt(np.sum((log_priors - log_priors.mean()) ** 2))
    measures = bench.bias_shift(b_la + 0.5 * log_priors, b_la, priors)
    assert_allclose(measures["bias_residual"], 0.5 * norm)
    assert_allclose(measures["log_prior_norm"], norm)
    assert_allclose(measures["bias_corr"], 1.0)


def test_logit_gap_ignores_a_per_row_shift(bench):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 4))
    other = scores + rng.normal(size=(5, 1))  # a shift per row only
    assert_allclose(bench.logit_gap(scores, other), 0.0, atol=1e-12)
    other[:, 0] += 0.8  # one class raised by 0.8: centred, 0.6 there, 0.2 elsewhere
    assert_allclose(bench.logit_gap(scores, other), (0.6 + 3 * 0.2) / 4)


def test_a_shifted_start_without_bias_decay_makes_the_routes_one(results):
    # Both conditions of the identity hold: the cross-entropy net's bias starts at
    # b_0 + log(priors) and is not decayed. What is left is float32 rounding: the
    # shifted bias and the adjusted logits round differently (about 1e-7 of
    # values of order 1-10) and 12 SGD steps carry that along, far below 1e-3.
    results, _ = results
    one = results["digits-100"]["no decay on the bias, CE bias started at b_0 + log π"]
    assert one["logit_gap"][0] < 1e-3 and one["bias_residual"][0] < 1e-3
    assert one["disagreement"] == [0.0]
    apart = results["digits-100"]["no decay on the classifier bias"]
    assert apart["logit_gap"][0] > 100 * one["logit_gap"][0]
