"""The package version, on the ground floor.

It lives here, not in ``__init__.py``, so that the modules that need it (the
documentation links of ``_doc_link``) can import it without importing the package
face. ``pyproject.toml`` reads it from here; ``sklearn_lt.__version__`` re-exports it.
"""

__version__ = "0.1.0.dev0"
