import subprocess
import sys

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
