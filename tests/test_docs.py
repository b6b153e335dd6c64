"""The user guide's code blocks run, in order, in one session (as the guide says)."""

import re
import textwrap
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _python_blocks(path):
    """The bodies of the ``.. code-block:: python`` directives of an rst file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if re.match(r"\s*\.\. code-block:: python\s*$", lines[i]):
            indent = len(lines[i]) - len(lines[i].lstrip())
            i += 1
            body = []
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
            ):
                body.append(lines[i])
                i += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
        else:
            i += 1
    return blocks


def test_user_guide_code_blocks_run_in_order(monkeypatch, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    pytest.importorskip("accelerate")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    blocks = _python_blocks(DOCS / "user_guide.rst")
    assert len(blocks) >= 10
    monkeypatch.chdir(tmp_path)  # a block that saves a file writes it here
    namespace = {"__name__": "user_guide"}
    for number, block in enumerate(blocks, start=1):
        with warnings.catch_warnings():
            # Blocks on tiny or long-tailed data may warn (e.g. a fold lacking a
            # rare class); the guide shows usage, not warning-free data.
            warnings.simplefilter("ignore")
            try:
                code = compile(block, f"user_guide.rst block {number}", "exec")
                exec(code, namespace)
            except Exception as exc:
                raise AssertionError(
                    f"user guide code block {number} failed:\n{block}"
                ) from exc


def test_deploying_page_code_runs_and_its_printed_claims_hold(capsys):
    pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    pytest.importorskip("torch", reason="the GPU example needs the torch extra")
    blocks = _python_blocks(DOCS / "deploying.rst")
    assert blocks
    namespace = {"__name__": "deploying"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. protobuf's notice on skl2onnx's bools
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"deploying.rst block {number}", "exec"), namespace)
    # The page prints what its comments claim: every label equal, the
    # probabilities within 1e-5; the labels of the GPU example on the logits'
    # device, and a lower balanced error than the plain argmax.
    assert capsys.readouterr().out.split() == ["1.0", "True", "True", "True"]
