"""Display classes: per-class errors against class frequency, and errors against tau.

They follow scikit-learn's display conventions (see
:class:`sklearn.metrics.ConfusionMatrixDisplay`): ``__init__`` stores the data,
``plot`` draws it and sets ``ax_``, ``figure_`` and the artists, and the
``from_*`` class methods compute the data, build the display and plot it.

matplotlib is imported inside the plotting methods only, so importing this module
(or ``sklearn_lt``) never imports it. Install it with ``pip install
"sklearn-lt[plot]"``.
"""

from collections.abc import Mapping

import numpy as np
from sklearn.utils import column_or_1d

from ._compat import validate_params
from ._evaluation import (
    ESTIMATORS_PARAMS,
    PREDICTIONS_PARAMS,
    estimator_predictions,
    named_predictions,
)
from ._validation import preview
from .metrics import (
    _BANDS,
    _METRICS,
    _check_class_counts,
    frequency_bands,
    per_class_error,
)

__all__ = ["PerClassErrorDisplay", "TauCurveDisplay"]

_BAND_STYLE = {  # band -> (label, background colour)
    "many": ("Many", "#dceaf7"),
    "medium": ("Medium", "#fcefd6"),
    "few": ("Few", "#f8dcdc"),
}
# The error rates among the metrics of cv_results_ (all but the tuner's "score").
_TAU_ERRORS = _METRICS[1:]
# The drawing parameters of PerClassErrorDisplay's from_* methods.
_AXES_PARAMS = {"ax": "no_validation", "show_counts": ["boolean"]}


def _pyplot(caller):
    """Import ``matplotlib.pyplot``, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install it with "
            '`pip install "sklearn-lt[plot]"` (or `pip install matplotlib`).'
        ) from exc
    return plt


def _axes(ax, caller):
    """The given axes, or the axes of a new figure."""
    plt = _pyplot(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax


class PerClassErrorDisplay:
    """Per-class error against training class frequency.

    The "break-down of error rates" figure of Menon et al. (2021): classes are
    sorted by their number of training examples, most frequent first, and each
    model's per-class error is drawn as a line over them. Shaded spans mark the
    Many, Medium and Few bands (see :func:`~sklearn_lt.metrics.frequency_bands`),
    and light bars (on a log scale) show the training counts. A logit-adjusted
    model trades a little error on the head classes for a lower error on the tail.

    Use :meth:`from_estimator` or :meth:`from_predictions` to build one. All
    parameters are stored as attributes.

    Parameters
    ----------
    errors : dict
        ``{model name: per-class errors}``, each an array of shape (n_classes,)
        aligned with ``classes``; NaN for a class with no test example.

    class_counts : array-like of shape (n_classes,)
        Training examples of each class, aligned with ``classes``.

    classes : array-like of shape (n_classes,)
        Class labels.

    thresholds : tuple of (low, high), default=(20, 100)
        Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the per-class errors.

    figure_ : matplotlib Figure
        Figure containing the axes.

    lines_ : dict
        ``{model name: matplotlib Line2D}``.

    spans_ : dict
        ``{band: matplotlib Patch}``, the shaded span of each band present. They
        are drawn on ``counts_ax_`` (below the bars) when it exists, else on
        ``ax_``.

    counts_ax_ : matplotlib Axes or None
        Twin axes with the training-count bars, or None if ``show_counts=False``.

    order_ : ndarray of shape (n_classes,)
        Positions of the classes in ``classes``, in plotting order (most frequent
        first): the class at x position ``i`` is ``classes[order_[i]]``.

    See Also
    --------
    sklearn_lt.metrics.per_class_error : The errors drawn here.
    sklearn_lt.report.error_report : The same models' errors as a table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt.plotting import PerClassErrorDisplay
    >>> display = PerClassErrorDisplay(
    ...     errors={"ERM": np.array([0.0, 0.3, 0.9])},
    ...     class_counts=[10, 500, 50],
    ...     classes=["a", "b", "c"],
    ... ).plot()
    >>> display.order_
    array([1, 2, 0])
    >>> display.lines_["ERM"].get_ydata()
    array([0.3, 0.9, 0. ])
    """

    def __init__(self, *, errors, class_counts, classes, thresholds=(20, 100)):
        self.errors = errors
        self.class_counts = class_counts
        self.classes = classes
        self.thresholds = thresholds

    def _check_data(self):
        """The classes, counts and errors as arrays of matching shapes."""
        classes = column_or_1d(self.classes)
        if classes.size == 0:
            raise ValueError("classes is empty; expected at least one class.")
        counts = _check_class_counts(self.class_counts, classes)
        if not isinstance(self.errors, Mapping) or not self.errors:
            raise ValueError(
                "errors must be a non-empty dict {model name: per-class errors}, "
                f"got {self.errors!r}."
            )
        errors = {}
        for name, values in self.errors.items():
            values = np.asarray(values, dtype=np.float64)
            if values.shape != classes.shape:
                raise ValueError(
                    f"errors[{name!r}] has shape {values.shape} but there are "
                    f"{classes.size} classes; expected one error per class, in the "
                    "order of classes."
                )
            errors[name] = values
        return classes, counts, errors

    def plot(self, ax=None, *, show_counts=True):
        """Plot the per-class errors.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        show_counts : bool, default=True
            Whether to draw the training counts as bars on a twin axis (log scale).

        Returns
        -------
        display : PerClassErrorDisplay
            The display, with ``ax_``, ``figure_``, ``lines_``, ``spans_``,
            ``counts_ax_`` and ``order_`` set.
        """
        classes, counts, errors = self._check_data()
        bands = frequency_bands(counts, thresholds=self.thresholds)
        ax = _axes(ax, f"{type(self).__name__}.plot")

        # Stable, so classes with equal counts keep their given order.
        order = np.argsort(-counts, kind="stable")
        x = np.arange(classes.size)

        # Layers, bottom to top: band spans, count bars, error lines. The bars live
        # on a twin axes (log scale), so the spans go on the lower of the two.
        base_ax = ax
        self.counts_ax_ = None
        if show_counts:
            self.counts_ax_ = ax.twinx()
            self.counts_ax_.bar(x, counts[order], width=0.8, color="0.45", alpha=0.3)
            self.counts_ax_.set_yscale("log")
            self.counts_ax_.set_ylabel("training examples (log scale)")
            ax.set_zorder(self.counts_ax_.get_zorder() + 1)
            ax.patch.set_visible(False)
            base_ax = self.counts_ax_

        self.spans_ = {}
        for band in _BANDS:
            text, colour = _BAND_STYLE[band]
            where = np.flatnonzero(bands[order] == band)
            if where.size == 0:
                continue
            # Sorted by count, each band is one contiguous run of positions.
            start, stop = where[0] - 0.5, where[-1] + 0.5
            self.spans_[band] = base_ax.axvspan(start, stop, color=colour, zorder=0)
            ax.text((start + stop) / 2, 1.06, text, ha="center", va="center")

        self.lines_ = {}
        for name, values in errors.items():
            (self.lines_[name],) = ax.plot(
                x, values[order], marker="o", markersize=4, label=str(name)
            )

        ax.set_xlim(-0.5, classes.size - 0.5)
        # Headroom above an error of 1 holds the band names.
        ax.set_ylim(-0.02, 1.12)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel("per-class error")
        if classes.size <= 30:
            names = [str(c) for c in classes[order]]
            rotate = classes.size > 12 or max(map(len, names)) > 6
            ax.set_xticks(x, labels=names, rotation=45 if rotate else 0)
            if rotate:
                for label in ax.get_xticklabels():
                    label.set_horizontalalignment("right")
            ax.set_xlabel("class, most frequent first")
        else:
            ax.set_xticks([])
            ax.set_xlabel(f"{classes.size} classes, most frequent first")
        ax.legend(loc="best")

        self.order_ = order
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @validate_params(
        {**PREDICTIONS_PARAMS, **_AXES_PARAMS}, prefer_skip_nested_validation=True
    )
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        class_counts,
        labels=None,
        thresholds=(20, 100),
        ax=None,
        show_counts=True,
    ):
        """Plot per-class errors from true and predicted labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True (test) labels.

        y_pred : array-like of shape (n_samples,) or dict
            Predicted labels of one model (named "model"), or a dict
            ``{name: predicted labels}``, one line per model.

        class_counts : array-like of shape (n_labels,) or dict
            Training examples per class: a dict ``{label: count}`` or an array
            aligned with ``labels``.

        labels : array-like of shape (n_labels,), default=None
            The classes to show (and that ``class_counts`` is aligned with, when it
            is an array). Defaults to the sorted union of the labels of ``y_true``
            and of every ``y_pred``.

        thresholds : tuple of (low, high), default=(20, 100)
            Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        show_counts : bool, default=True
            Whether to draw the training counts as bars on a twin axis.

        Returns
        -------
        display : PerClassErrorDisplay
            The plotted display.

        Examples
        --------
        >>> from sklearn_lt.plotting import PerClassErrorDisplay
        >>> y_true = ["cat", "cat", "dog", "dog", "eel", "eel"]
        >>> y_pred = ["cat", "cat", "dog", "cat", "cat", "cat"]
        >>> display = PerClassErrorDisplay.from_predictions(
        ...     y_true, y_pred, class_counts={"cat": 500, "dog": 50, "eel": 5}
        ... )
        >>> display.lines_["model"].get_ydata()
        array([0. , 0.5, 1. ])
        """
        _pyplot(f"{cls.__name__}.from_predictions")
        y_true, y_pred, labels, counts = named_predictions(
            y_true, y_pred, class_counts, labels
        )
        errors = {
            name: per_class_error(y_true, pred, labels=labels)
            for name, pred in y_pred.items()
        }
        display = cls(
            errors=errors, class_counts=counts, classes=labels, thresholds=thresholds
        )
        return display.plot(ax=ax, show_counts=show_counts)

    @classmethod
    @validate_params(
        {"estimator": "no_validation", **ESTIMATORS_PARAMS, **_AXES_PARAMS},
        prefer_skip_nested_validation=True,
    )
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        class_counts=None,
        thresholds=(20, 100),
        ax=None,
        show_counts=True,
    ):
        """Plot per-class errors of fitted classifiers on test data.

        Parameters
        ----------
        estimator : estimator instance or dict
            A fitted classifier (named "model"), or a dict ``{name: fitted
            classifier}``. To compare a model before and after logit adjustment,
            pass ``{"ERM": clf.estimator_, "adjusted": clf}`` for a fitted
            :class:`~sklearn_lt.LogitAdjustedClassifier` ``clf``.

        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Test data.

        y : array-like of shape (n_samples,)
            Test labels.

        class_counts : array-like of shape (n_labels,) or dict, default=None
            Training examples per class: a dict ``{label: count}``, or an array
            aligned with the sorted union of the labels of ``y`` and the
            estimators' ``classes_``. ``None`` takes them from the
            ``class_counts_`` attribute of the estimators that have one (fitted
            :class:`~sklearn_lt.LogitAdjustedClassifier` objects).

        thresholds : tuple of (low, high), default=(20, 100)
            Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        show_counts : bool, default=True
            Whether to draw the training counts as bars on a twin axis.

        Returns
        -------
        display : PerClassErrorDisplay
            The plotted display.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_lt import LogitAdjustedClassifier
        >>> from sklearn_lt.plotting import PerClassErrorDisplay
        >>> X, y = make_classification(
        ...     n_samples=1000, n_classes=3, n_informative=4,
        ...     weights=[0.9, 0.085], flip_y=0, random_state=0,
        ... )
        >>> clf = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
        >>> display = PerClassErrorDisplay.from_estimator(
        ...     {"ERM": clf.estimator_, "adjusted": clf}, X, y
        ... )
        >>> sorted(display.lines_), sorted(display.spans_)
        (['ERM', 'adjusted'], ['few', 'many', 'medium'])
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        y_pred, labels, class_counts = estimator_predictions(
            estimator, X, y, class_counts, "estimator"
        )
        return cls.from_predictions(
            y,
            y_pred,
            class_counts=class_counts,
            labels=labels,
            thresholds=thresholds,
            ax=ax,
            show_counts=show_counts,
        )


class TauCurveDisplay:
    """Cross-validated errors as a function of the adjustment strength tau.

    Draws the mean (and standard deviation over splits) of the balanced error, the
    plain error and the Many / Medium / Few errors of each ``tau`` of a tuner's grid,
    with a dashed line at the chosen ``tau``. The balanced error usually has its
    minimum near ``tau=1``, where the "few" error has dropped and the "many" error
    not yet risen much.

    Use :meth:`from_estimator` (a fitted ``LogitAdjustedClassifierCV``) or
    :meth:`from_cv_results` to build one. All parameters are stored as attributes.

    Parameters
    ----------
    taus : array-like of shape (n_taus,)
        The tau grid.

    errors : dict
        ``{metric name: (mean, std)}``, each an array of shape (n_taus,) aligned
        with ``taus``. Values may be NaN (a band with no class in the validation
        data).

    best_tau : float, default=None
        The chosen tau, marked by a dashed vertical line; None draws no line.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the axes.

    lines_ : dict
        ``{metric name: matplotlib Line2D}`` for each plotted metric.

    fill_between_ : dict
        ``{metric name: matplotlib PolyCollection}``, the std bands (empty if
        ``show_std=False``).

    best_tau_line_ : matplotlib Line2D or None
        The dashed line at ``best_tau``, or None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt.plotting import TauCurveDisplay
    >>> display = TauCurveDisplay(
    ...     taus=[0.0, 1.0, 2.0],
    ...     errors={"balanced_error": (np.array([0.4, 0.3, 0.35]), np.zeros(3))},
    ...     best_tau=1.0,
    ... ).plot(metrics=["balanced_error"])
    >>> display.lines_["balanced_error"].get_ydata()
    array([0.4 , 0.3 , 0.35])
    """

    def __init__(self, *, taus, errors, best_tau=None):
        self.taus = taus
        self.errors = errors
        self.best_tau = best_tau

    def _check_data(self, metrics):
        """The taus and the (mean, std) arrays of ``metrics``."""
        taus = np.asarray(self.taus, dtype=np.float64)
        if taus.ndim != 1 or taus.size == 0:
            raise ValueError(
                f"taus must be a non-empty 1d array, got shape {taus.shape}; expected "
                "the tau grid, one value per candidate."
            )
        if not isinstance(self.errors, Mapping) or not self.errors:
            raise ValueError(
                "errors must be a non-empty dict {metric name: (mean, std)}, got "
                f"{self.errors!r}."
            )
        if isinstance(metrics, str):
            metrics = (metrics,)
        unknown = [m for m in metrics if m not in self.errors and m not in _METRICS]
        if unknown:
            raise ValueError(
                f"unknown metrics {unknown}; expected names from {list(_METRICS)} "
                f"or keys of errors, which has {list(self.errors)}."
            )
        present = [m for m in metrics if m in self.errors]
        if not present:
            raise ValueError(
                f"none of the metrics {list(metrics)} is in errors, which has "
                f"{list(self.errors)}; pass metrics=[...] from those keys."
            )
        curves = {}
        for metric in present:
            mean, std = (np.asarray(a, dtype=np.float64) for a in self.errors[metric])
            if mean.shape != taus.shape or std.shape != taus.shape:
                raise ValueError(
                    f"errors[{metric!r}] has a mean of shape {mean.shape} and a std "
                    f"of shape {std.shape}, but taus has {taus.size} entries; "
                    "expected one mean and one std per tau."
                )
            curves[metric] = mean, std
        return taus, curves

    def plot(
        self,
        ax=None,
        *,
        metrics=(
            "balanced_error",
            "error",
            "many_error",
            "medium_error",
            "few_error",
        ),
        show_std=True,
    ):
        """Plot the error curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        metrics : sequence of str, default=("balanced_error", "error", \
"many_error", "medium_error", "few_error")
            Metrics to plot, one line each. A known metric missing from ``errors``,
            or whose means are all NaN, is skipped. ``"score"``, the tuner's
            scorer, is greater-is-better and is not plotted unless asked for.

        show_std : bool, default=True
            Whether to shade mean +/- one standard deviation over the splits.

        Returns
        -------
        display : TauCurveDisplay
            The display, with ``ax_``, ``figure_``, ``lines_``,
            ``fill_between_`` and ``best_tau_line_`` set.
        """
        taus, curves = self._check_data(metrics)
        ax = _axes(ax, f"{type(self).__name__}.plot")
        order = np.argsort(taus, kind="stable")
        x = taus[order]

        self.lines_, self.fill_between_ = {}, {}
        for metric, (mean, std) in curves.items():
            if np.all(np.isnan(mean)):
                continue
            mean, std = mean[order], std[order]
            width = 2.5 if metric == "balanced_error" else 1.5
            (line,) = ax.plot(
                x,
                mean,
                marker="o",
                markersize=3,
                linewidth=width,
                label=metric.replace("_", " "),
            )
            self.lines_[metric] = line
            if show_std:
                self.fill_between_[metric] = ax.fill_between(
                    x, mean - std, mean + std, color=line.get_color(), alpha=0.15
                )

        self.best_tau_line_ = None
        if self.best_tau is not None:
            self.best_tau_line_ = ax.axvline(
                self.best_tau,
                color="black",
                linestyle="--",
                linewidth=1,
                label=f"best tau = {self.best_tau:g}",
            )
        ax.set_xlabel("tau")
        ax.set_ylabel("error")
        ax.legend()

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_cv_results(cls, cv_results, *, best_tau=None, ax=None, **plot_kwargs):
        """Plot the error curves from a tuner's ``cv_results_``.

        Parameters
        ----------
        cv_results : dict
            The ``cv_results_`` of a fitted ``LogitAdjustedClassifierCV``: a
            ``"tau"`` array and, per metric ``m`` among ``"score"``,
            ``"balanced_error"``, ``"error"``, ``"many_error"``,
            ``"medium_error"`` and ``"few_error"``, the arrays
            ``"mean_test_<m>"`` and ``"std_test_<m>"``. Metrics without a
            ``"mean_test_<m>"`` entry are left out.

        best_tau : float, default=None
            The chosen tau, marked by a dashed line.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        **plot_kwargs : dict
            Passed to :meth:`plot` (``metrics``, ``show_std``).

        Returns
        -------
        display : TauCurveDisplay
            The plotted display.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_lt.plotting import TauCurveDisplay
        >>> cv_results = {
        ...     "tau": np.array([0.0, 1.0, 2.0]),
        ...     "mean_test_balanced_error": np.array([0.4, 0.3, 0.35]),
        ...     "std_test_balanced_error": np.array([0.02, 0.01, 0.02]),
        ... }
        >>> display = TauCurveDisplay.from_cv_results(
        ...     cv_results, best_tau=1.0, metrics=["balanced_error"]
        ... )
        >>> display.ax_.get_xlabel()
        'tau'
        """
        _pyplot(f"{cls.__name__}.from_cv_results")
        if not isinstance(cv_results, Mapping) or "tau" not in cv_results:
            keys = list(cv_results) if isinstance(cv_results, Mapping) else None
            raise ValueError(
                "cv_results must be the cv_results_ dict of a fitted "
                "LogitAdjustedClassifierCV, with a 'tau' entry; got "
                f"{type(cv_results).__name__} with keys {preview(keys or [])}."
            )
        taus = np.asarray(cv_results["tau"], dtype=np.float64)
        errors = {}
        for metric in _METRICS:
            mean = cv_results.get(f"mean_test_{metric}")
            if mean is not None:
                nan = np.full(np.shape(mean), np.nan)
                errors[metric] = (mean, cv_results.get(f"std_test_{metric}", nan))
        if not any(m in errors for m in _TAU_ERRORS):
            raise ValueError(
                "cv_results has no 'mean_test_<metric>' entry for any of "
                f"{list(_TAU_ERRORS)}; got keys {preview(list(cv_results))}."
            )
        display = cls(taus=taus, errors=errors, best_tau=best_tau)
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **plot_kwargs):
        """Plot the error curves of a fitted ``LogitAdjustedClassifierCV``.

        Reads its ``cv_results_`` and marks its ``best_tau_``; nothing is refitted.

        Parameters
        ----------
        estimator : LogitAdjustedClassifierCV
            A fitted tuner.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        **plot_kwargs : dict
            Passed to :meth:`plot` (``metrics``, ``show_std``).

        Returns
        -------
        display : TauCurveDisplay
            The plotted display.

        Examples
        --------
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from sklearn_lt.plotting import TauCurveDisplay
        >>> tuner = SimpleNamespace(  # stands in for a fitted tuner
        ...     best_tau_=1.0,
        ...     cv_results_={
        ...         "tau": np.array([0.0, 1.0, 2.0]),
        ...         "mean_test_error": np.array([0.1, 0.2, 0.4]),
        ...         "std_test_error": np.array([0.01, 0.01, 0.02]),
        ...     },
        ... )
        >>> display = TauCurveDisplay.from_estimator(tuner, metrics=["error"])
        >>> float(display.best_tau_line_.get_xdata()[0])
        1.0
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        cv_results = getattr(estimator, "cv_results_", None)
        if cv_results is None:
            raise ValueError(
                f"{type(estimator).__name__} has no cv_results_; "
                "TauCurveDisplay.from_estimator needs a fitted "
                "LogitAdjustedClassifierCV (call its fit first), or use "
                "TauCurveDisplay.from_cv_results with a cv_results_ dict."
            )
        return cls.from_cv_results(
            cv_results,
            best_tau=getattr(estimator, "best_tau_", None),
            ax=ax,
            **plot_kwargs,
        )
