"""Sphinx configuration for the sklearn-lt documentation.

Build with (from the repository root)::

    sphinx-build -W -b html docs docs/_build/html

The build and the built site work offline: no intersphinx, no remote images, and
MathJax is served from the site itself (``sphinx-mathjax-offline``), not from a CDN.
``tests/test_docs_offline.py`` opens the built pages in headless Chromium with the
network off and checks that the formulas render and that no request leaves the site.
"""

import os
import re
import sys

# Normally the package is installed (``pip install -e ".[docs]"``); putting the
# repository root first also lets the docs build from a plain checkout.
sys.path.insert(0, os.path.abspath(".."))

import sklearn_lt  # noqa: E402

# -- Project information ------------------------------------------------------

project = "sklearn-lt"
author = "The sklearn-lt developers"
copyright = "The sklearn-lt developers"
release = sklearn_lt.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ----------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # Copies MathJax 3 into _static/mathjax and points mathjax_path there.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
source_suffix = {".rst": "restructuredtext"}
language = "en"

# Leave `code` in backticks as literal text, not as a cross-reference.
default_role = "literal"

# -- autodoc / autosummary ----------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "alphabetical"}
# Signatures show the parameters as written; type information lives in the
# numpydoc "Parameters" sections.
autodoc_typehints = "none"
add_module_names = False

# -- numpydoc -----------------------------------------------------------------

# The class template (``_templates/autosummary/class.rst``) lists the methods
# itself; numpydoc listing them too would document every method twice.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Example gallery ----------------------------------------------------------

# The examples run at every build (quick by design: about a minute in all on two
# cores); SKLEARN_LT_GALLERY=off builds the pages without running them.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": os.environ.get("SKLEARN_LT_GALLERY", "on") != "off",
    # "Examples using this" on the API pages (docs/_templates/autosummary).
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_lt",),
    "reference_url": {"sklearn_lt": None},
    "remove_config_comments": True,
    # A failing example fails the build.
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "min_reported_time": 0,
    # Nothing that needs a network: no Binder, no JupyterLite, and no execution-time
    # pages (they load jQuery and DataTables from CDNs; tests/test_docs_offline.py).
    "binder": {},
    "write_computation_times": False,
}

# -- HTML output --------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-lt {release}"
html_static_path = []
html_theme_options = {
    # The theme's defaults that reach outside the site are left off: no version
    # switcher (a remote JSON file), no analytics, no icon links to load.
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False


# -- Inherited scikit-learn docstrings -------------------------------------------
#
# Methods inherited from scikit-learn (``score``, ``set_fit_request``, ...) link to
# labels and glossary terms of scikit-learn's own documentation, which an offline
# build (no intersphinx) cannot resolve: keep their text, drop the link. The hook
# runs before numpydoc (priority 400 < 500) and never touches sklearn-lt's own
# docstrings, which must build cleanly as they are.

_ROLE_REF = re.compile(r":(?:ref|term):`([^`]*?)\s*(?:<([^`>]*)>)?`")


def _plain_role(match):
    return match.group(1) or match.group(2) or ""


def _unlink_inherited_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn_lt"):
        lines[:] = [_ROLE_REF.sub(_plain_role, line) for line in lines]


def _skip_torch_module_members(app, what, name, obj, skip, options):
    # The losses and MLPModule inherit dozens of torch.nn.Module methods (to, cuda,
    # named_buffers, ...); their reference is torch's, not ours.
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("torch.") or module == "torch":
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_inherited_docstring, priority=400)
    app.connect("autodoc-skip-member", _skip_torch_module_members)
