"""A text report of each model's overall, balanced and many/medium/few errors.

One row per model, one column per error, the table of Menon et al. (2021): logit
adjustment should lower the balanced error and the "few" error at a small cost on
the "many" classes. Turning estimators into named predictions, and finding the
training class counts, is shared with :mod:`sklearn_lt.plotting` (``_evaluation``).
"""

import numpy as np

from ._compat import validate_params
from ._evaluation import (
    ESTIMATORS_PARAMS,
    PREDICTIONS_PARAMS,
    estimator_predictions,
    named_predictions,
)
from .metrics import _BANDS, balanced_error, frequency_bands, many_medium_few_error

__all__ = ["ErrorReport", "error_report", "error_report_from_predictions"]


class ErrorReport:
    """Errors of several models on one test set, as a small table.

    Rows are models, columns the errors, all fractions between 0 and 1 (NaN where a
    band has no class in the test labels). ``str(report)`` shows them as
    percentages, with the number of classes of each band in its header: "few (3)"
    is the mean error of 3 classes. Build one with :func:`error_report` or
    :func:`error_report_from_predictions`.

    Parameters
    ----------
    rows : dict
        ``{model name: {column: error}}``, with every column of ``columns``.

    n_classes : dict, default=None
        ``{band: number of classes}`` for ``"many"``, ``"medium"`` and ``"few"``:
        how many classes each band's error averages over, i.e. the classes of the
        band that have examples in the test labels (the same for every model).
        None leaves the numbers out.

    Attributes
    ----------
    columns : tuple of str
        ``("error", "balanced_error", "many", "medium", "few")``: the plain
        misclassification rate (``1 - accuracy``), the balanced error, and the
        balanced error within the Many, Medium and Few classes.

    rows : dict
        ``{model name: {column: error}}``.

    n_classes : dict or None
        ``{band: number of classes}``, shown in the band headers.

    Examples
    --------
    >>> from sklearn_lt.report import ErrorReport
    >>> row = {"error": 0.1, "balanced_error": 0.25, "many": 0.05, "medium": 0.2,
    ...        "few": float("nan")}
    >>> ErrorReport({"ERM": row}, n_classes={"many": 2, "medium": 3, "few": 0})
    model   error  balanced_error  many (2)  medium (3)  few (0)
    ERM    10.00%          25.00%     5.00%      20.00%        -
    """

    columns = ("error", "balanced_error", "many", "medium", "few")

    def __init__(self, rows, n_classes=None):
        self.rows = rows
        self.n_classes = n_classes

    @staticmethod
    def _percent(value):
        return "-" if np.isnan(value) else f"{100 * value:.2f}%"

    def _header(self):
        """The column names, each band's with its number of classes."""
        counts = self.n_classes or {}
        return [
            f"{column} ({counts[column]})" if column in counts else column
            for column in self.columns
        ]

    def _cells(self):
        """Header and rows of the table as strings."""
        header = ["model", *self._header()]
        body = [
            [str(name), *(self._percent(row[c]) for c in self.columns)]
            for name, row in self.rows.items()
        ]
        return header, body

    def __str__(self):
        header, body = self._cells()
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = []
        for cells in [header, *body]:
            first = cells[0].ljust(widths[0])
            rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
            lines.append("  ".join([first, *rest]).rstrip())
        return "\n".join(lines)

    __repr__ = __str__

    def to_markdown(self):
        """The table in Markdown, errors as percentages.

        Returns
        -------
        text : str
            A Markdown (GitHub-flavoured) table, one row per model.

        Examples
        --------
        >>> from sklearn_lt.report import ErrorReport
        >>> row = {"error": 0.1, "balanced_error": 0.25, "many": 0.05,
        ...        "medium": 0.2, "few": 0.5}
        >>> report = ErrorReport({"ERM": row}, {"many": 2, "medium": 3, "few": 1})
        >>> print(report.to_markdown())
        | model | error | balanced_error | many (2) | medium (3) | few (1) |
        |:--|--:|--:|--:|--:|--:|
        | ERM | 10.00% | 25.00% | 5.00% | 20.00% | 50.00% |
        """
        header, body = self._cells()
        lines = [
            "| " + " | ".join(header) + " |",
            "|:--|" + "--:|" * len(self.columns),
        ]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)

    def to_dict(self):
        """The errors as plain dicts of floats (fractions, not percentages).

        Returns
        -------
        rows : dict
            ``{model name: {column: error}}``, a copy of ``rows``.

        Examples
        --------
        >>> from sklearn_lt.report import ErrorReport
        >>> row = {"error": 0.1, "balanced_error": 0.25, "many": 0.05,
        ...        "medium": 0.2, "few": 0.5}
        >>> ErrorReport({"ERM": row}).to_dict()["ERM"]["few"]
        0.5
        """
        return {
            name: {c: float(row[c]) for c in self.columns}
            for name, row in self.rows.items()
        }

    def to_frame(self):
        """The errors as a pandas DataFrame (fractions, not percentages).

        Returns
        -------
        frame : pandas.DataFrame
            One row per model (index named "model"), one column per error (named
            as in ``columns``, so ``frame["few"]`` is the "few" errors). The
            number of classes of each band is in ``frame.attrs["n_classes"]``.

        Examples
        --------
        >>> from sklearn_lt.report import ErrorReport
        >>> row = {"error": 0.1, "balanced_error": 0.25, "many": 0.05,
        ...        "medium": 0.2, "few": 0.5}
        >>> report = ErrorReport({"ERM": row}, {"many": 2, "medium": 3, "few": 1})
        >>> frame = report.to_frame()
        >>> frame
             error  balanced_error  many  medium  few
        model
        ERM    0.1            0.25  0.05     0.2  0.5
        >>> frame.attrs["n_classes"]
        {'many': 2, 'medium': 3, 'few': 1}
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "ErrorReport.to_frame needs pandas, which is not installed; "
                "install it with `pip install pandas`, or use to_dict()."
            ) from exc
        frame = pd.DataFrame.from_dict(
            self.to_dict(), orient="index", columns=list(self.columns)
        )
        frame.index.name = "model"
        if self.n_classes is not None:
            frame.attrs["n_classes"] = dict(self.n_classes)
        return frame


@validate_params(PREDICTIONS_PARAMS, prefer_skip_nested_validation=True)
def error_report_from_predictions(
    y_true, y_pred, *, class_counts, labels=None, thresholds=(20, 100)
):
    """Report the overall, balanced and many/medium/few errors of predictions.

    For each model: the plain error ``1 - accuracy``, the balanced error (see
    :func:`~sklearn_lt.metrics.balanced_error`) and the balanced error within the
    Many, Medium and Few classes, banded by their *training* counts (see
    :func:`~sklearn_lt.metrics.many_medium_few_error`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True (test) labels.

    y_pred : array-like of shape (n_samples,) or dict
        Predicted labels of one model (named "model"), or a dict
        ``{name: predicted labels}``, one entry per model.

    class_counts : array-like of shape (n_labels,) or dict
        Training examples per class: a dict ``{label: count}`` or an array aligned
        with ``labels``.

    labels : array-like of shape (n_labels,), default=None
        The classes ``class_counts`` is aligned with, when it is an array. Defaults
        to the sorted union of the labels of ``y_true`` and of every ``y_pred``.

    thresholds : tuple of (low, high), default=(20, 100)
        Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

    Returns
    -------
    report : ErrorReport
        One row per model, and the number of classes each band's error averages
        over (the band's classes with examples in ``y_true``) in ``n_classes``.

    See Also
    --------
    error_report : The same from fitted estimators and test data.

    Examples
    --------
    >>> from sklearn_lt.report import error_report_from_predictions
    >>> y_true = [0, 0, 0, 0, 1, 1, 2, 2]
    >>> y_pred = {"ERM": [0, 0, 0, 0, 1, 0, 0, 0],
    ...           "adjusted": [0, 0, 0, 1, 1, 1, 2, 0]}
    >>> error_report_from_predictions(
    ...     y_true, y_pred, class_counts={0: 500, 1: 50, 2: 5}
    ... )
    model      error  balanced_error  many (1)  medium (1)  few (1)
    ERM       37.50%          50.00%     0.00%      50.00%  100.00%
    adjusted  25.00%          25.00%    25.00%       0.00%   50.00%
    """
    y_true, y_pred, labels, counts = named_predictions(
        y_true, y_pred, class_counts, labels
    )
    # The classes each band's error averages over: those with test examples.
    tested = frequency_bands(counts, thresholds=thresholds)[np.isin(labels, y_true)]
    n_classes = {band: int(np.sum(tested == band)) for band in _BANDS}
    rows = {}
    for name, pred in y_pred.items():
        bands = many_medium_few_error(
            y_true, pred, counts, labels=labels, thresholds=thresholds
        )
        rows[name] = {
            "error": float(np.mean(y_true != pred)),
            "balanced_error": balanced_error(y_true, pred),
            **bands,
        }
    return ErrorReport(rows, n_classes)


@validate_params(
    {"estimators": "no_validation", **ESTIMATORS_PARAMS},
    prefer_skip_nested_validation=True,
)
def error_report(estimators, X, y, *, class_counts=None, thresholds=(20, 100)):
    """Report the overall, balanced and many/medium/few errors of estimators.

    Each estimator predicts ``X``; the predictions are scored against ``y`` as in
    :func:`error_report_from_predictions`.

    Parameters
    ----------
    estimators : estimator instance or dict
        A fitted classifier (named "model"), or a dict ``{name: fitted
        classifier}``. To compare a model before and after logit adjustment, pass
        ``{"ERM": clf.estimator_, "adjusted": clf}`` for a fitted
        :class:`~sklearn_lt.LogitAdjustedClassifier` ``clf``.

    X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
        Test data.

    y : array-like of shape (n_samples,)
        Test labels.

    class_counts : array-like of shape (n_labels,) or dict, default=None
        Training examples per class: a dict ``{label: count}``, or an array aligned
        with the sorted union of the labels of ``y`` and the estimators'
        ``classes_``. ``None`` takes them from the ``class_counts_`` attribute of
        the estimators that have one (fitted
        :class:`~sklearn_lt.LogitAdjustedClassifier` objects).

    thresholds : tuple of (low, high), default=(20, 100)
        Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

    Returns
    -------
    report : ErrorReport
        One row per estimator.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_lt import LogitAdjustedClassifier
    >>> from sklearn_lt.report import error_report
    >>> X, y = make_classification(
    ...     n_samples=1000, n_classes=3, n_informative=4,
    ...     weights=[0.9, 0.085], flip_y=0, random_state=0,
    ... )
    >>> clf = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    >>> report = error_report({"ERM": clf.estimator_, "adjusted": clf}, X, y)
    >>> list(report.rows)
    ['ERM', 'adjusted']
    >>> report.rows["adjusted"]["few"] < report.rows["ERM"]["few"]
    True
    """
    y_pred, labels, class_counts = estimator_predictions(
        estimators, X, y, class_counts, "estimators"
    )
    return error_report_from_predictions(
        y, y_pred, class_counts=class_counts, labels=labels, thresholds=thresholds
    )
