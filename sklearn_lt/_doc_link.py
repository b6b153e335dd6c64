"""Links from an estimator's HTML representation to its page of the API reference.

scikit-learn draws an estimator in a notebook (``estimator_html_repr``) with a
"?" link to its documentation. The link comes from the estimator's
``_get_doc_link``, which scikit-learn's ``BaseEstimator`` builds from three class
attributes: ``_doc_link_module`` (links are made only for classes of that
package), ``_doc_link_template`` (the URL, with ``{fields}``) and
``_doc_link_url_param_generator`` (a method that returns the fields).
:class:`DocLinkMixin` sets them for sklearn-lt, so that every public estimator
links to its autosummary page, ``generated/<public name>.html``, in the docs of
this version.
"""

from ._version import __version__

__all__ = ["DOCS_URL", "DocLinkMixin", "docs_version"]

DOCS_URL = "https://sklearn-lt.readthedocs.io"


def docs_version(version=__version__):
    """The Read the Docs version whose pages document ``version``.

    A development version (``0.2.0.dev0``, or a local build ``0.2.0+g1234``) has
    no docs of its own: it is documented by "latest", the docs of the main
    branch, as scikit-learn links a development version to its "dev" docs.

    Parameters
    ----------
    version : str, default=sklearn_lt.__version__
        A PEP 440 version string.

    Returns
    -------
    slug : str
        ``"latest"``, or ``version`` itself for a release.

    Examples
    --------
    >>> from sklearn_lt._doc_link import docs_version
    >>> docs_version("0.2.0.dev0"), docs_version("0.2.0")
    ('latest', '0.2.0')
    """
    return "latest" if ".dev" in version or "+" in version else version


class DocLinkMixin:
    """Make scikit-learn's HTML repr link to the estimator's sklearn-lt API page.

    Put it before ``BaseEstimator`` in the bases, so that its attributes take the
    place of scikit-learn's (which link to scikit-learn's own site). The page is
    that of the estimator's public name: ``sklearn_lt.<Name>`` unless the class
    sets ``_doc_link_public_module`` to the module that documents it (see
    ``docs/api.rst``). A private class (a fold's adjuster, say) links to the page
    of its nearest public base class.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LogitAdjustedClassifier
    >>> link = LogitAdjustedClassifier(LogisticRegression())._get_doc_link()
    >>> link.startswith("https://sklearn-lt.readthedocs.io/en/")
    True
    >>> link.rsplit("/", 1)[1]
    'sklearn_lt.LogitAdjustedClassifier.html'
    """

    _doc_link_module = "sklearn_lt"
    _doc_link_template = DOCS_URL + "/en/{version}/generated/{public_name}.html"

    def _doc_link_url_param_generator(self):
        public = next(
            cls for cls in type(self).__mro__ if not cls.__name__.startswith("_")
        )
        module = vars(public).get("_doc_link_public_module", "sklearn_lt")
        return {
            "version": docs_version(),
            "public_name": f"{module}.{public.__name__}",
        }
