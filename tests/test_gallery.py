"""The example gallery (examples/, run by sphinx-gallery at every docs build).

The docs build (``.ci/run``, warnings as errors, ``abort_on_example_error``) runs
every example; these checks are of the gallery's shape: that it answers the
questions it promises, each with a titled figure, without a download.
"""

import ast
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# The questions issue 18 asks the gallery to answer, and the example that does.
TOPICS = {
    "adjusting a model you already have": "plot_adjust_existing_model.py",
    "choosing tau (the tau curve)": "plot_choose_tau.py",
    "what adjustment does to each class": "plot_per_class.py",
    "post-hoc adjustment versus the adjusted loss": "plot_posthoc_vs_loss.py",
    "the paper's synthetic experiment": "plot_synthetic.py",
    "long-tailed digits with every baseline": "plot_digits_baselines.py",
    "label shift, known and estimated priors": "plot_label_shift.py",
    "training LogitAdjustedNet": "plot_logit_adjusted_net.py",
    "decisions for other metrics": "plot_other_metrics.py",
    "ONNX export": "plot_onnx_export.py",
    "a real, naturally long-tailed data set": "plot_real_world_flights.py",
}
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def test_every_topic_has_its_example_and_there_are_at_least_ten():
    names = {path.name for path in SCRIPTS}
    missing = {topic: name for topic, name in TOPICS.items() if name not in names}
    assert not missing, missing
    assert len(SCRIPTS) >= 10
    assert (EXAMPLES / "README.rst").is_file()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_each_example_asks_its_question_and_draws_a_titled_figure(script):
    source = script.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring, f"{script.name} has no title docstring"
    title, underline = docstring.splitlines()[:2]
    assert title.rstrip().endswith("?"), (
        f"{script.name}: title {title!r} is no question"
    )
    assert set(underline.strip()) == {"="} and len(underline) >= len(title)
    assert "plt.show()" in source, f"{script.name} shows no figure"
    assert "set_title(" in source, f"{script.name}: its panels say not what they show"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_no_example_downloads_anything(script):
    source = script.read_text(encoding="utf-8")
    for needle in ("fetch_", "urlopen", "requests.", "http://", "https://"):
        assert needle not in source, f"{script.name} uses {needle!r}"
