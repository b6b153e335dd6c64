import subprocess
import sys

import pytest

import sklearn_lt


def test_version_is_exposed():
    assert isinstance(sklearn_lt.__version__, str)
    assert sklearn_lt.__version__[0].isdigit()


def test_import_does_not_load_torch_or_matplotlib():
    # A fresh interpreter: this test process may have imported them already.
    code = (
        "import sys, sklearn_lt, sklearn_lt.metrics, sklearn_lt.priors; "
        "heavy = ('torch', 'skorch', 'matplotlib'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_torch_backed_names_resolve_lazily():
    code = (
        "import sys, sklearn_lt; assert 'torch' not in sys.modules; "
        "net = sklearn_lt.LogitAdjustedNet; losses = sklearn_lt.losses; "
        "assert net.__module__ == 'sklearn_lt.net' and 'torch' in sys.modules; "
        "assert 'LogitAdjustedNet' not in sklearn_lt.__all__; print('ok')"
    )
    pytest.importorskip("torch")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        sklearn_lt.nope  # noqa: B018
