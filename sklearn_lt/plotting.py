"""Display classes: per-class errors against class frequency, and errors against tau.

They follow scikit-learn's display conventions (see
:class:`sklearn.metrics.ConfusionMatrixDisplay`): ``__init__`` stores the data,
``plot`` draws it and sets ``ax_``, ``figure_`` and the artists, and the
``from_*`` class methods compute the data, build the display and plot it.

matplotlib is imported inside the plotting methods only, so importing this module
(or ``sklearn_lt``) never imports it. Install it with ``pip install
"sklearn-lt[plot]"``.
"""

import weakref
from collections.abc import Mapping
from dataclasses import dataclass

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
_AXES_PARAMS = {"ax": "no_validation", "show_counts": ["boolean"], "name": [str, None]}


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


def _one_model(value, name, default, argument):
    """``{name: value}`` for one model; a dict of models keeps the names it has."""
    if not isinstance(value, Mapping):
        return {default if name is None else name: value}
    if name is not None:
        raise ValueError(
            f"name={name!r} names a single model, but {argument} is a dict, whose "
            f"keys already name its models ({preview(list(value))}); drop name=, "
            "or rename the dict's keys."
        )
    return value


@dataclass
class _Layout:
    """What a PerClassErrorDisplay drew under its lines: bars, band spans, names."""

    labels: np.ndarray  # the classes, in plotting order
    counts: np.ndarray  # their training counts
    thresholds: tuple
    counts_ax: object  # the twin axes of the count bars, or None
    spans: dict
    artists: list  # everything drawn, to tell whether it is still on the figure

    def is_drawn_on(self, ax):
        if self.counts_ax is not None and self.counts_ax not in ax.figure.axes:
            return False
        # Removed artists (ax.cla(), artist.remove()) lose their axes.
        return all(artist.axes is not None for artist in self.artists)


# {matplotlib Axes: the _Layout drawn on it}: a second display plotted on the same
# axes adds its lines to that layout instead of drawing the bars and bands again.
_LAYOUTS = weakref.WeakKeyDictionary()


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

        On axes that already show a ``PerClassErrorDisplay`` of the same classes
        and training counts, only the new lines are drawn: they join the lines,
        count bars and band spans already there, and the legend names them all.
        Give each model its own name (the keys of ``errors``).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        show_counts : bool, default=True
            Whether to draw the training counts as bars on a twin axis (log
            scale). Ignored on axes that already show a display, whose bars (or
            their absence) are kept.

        Returns
        -------
        display : PerClassErrorDisplay
            The display, with ``ax_``, ``figure_``, ``lines_``, ``spans_``,
            ``counts_ax_`` and ``order_`` set.
        """
        classes, counts, errors = self._check_data()
        ax = _axes(ax, f"{type(self).__name__}.plot")
        # Stable, so classes with equal counts keep their given order.
        order = np.argsort(-counts, kind="stable")
        layout = _LAYOUTS.get(ax)
        if layout is not None and layout.is_drawn_on(ax):
            self._check_layout(layout, classes[order], counts[order])
        else:
            layout = self._draw_layout(ax, classes[order], counts[order], show_counts)
            _LAYOUTS[ax] = layout

        x = np.arange(classes.size)
        self.lines_ = {}
        for name, values in errors.items():
            (self.lines_[name],) = ax.plot(
                x, values[order], marker="o", markersize=4, label=str(name)
            )
        # The rarest classes are at the right: low bars (the log-scale counts) under
        # high errors. The head classes, at the left, have low errors, so the
        # legend goes top left, just below the band names: it covers at most the
        # top of the head's faint bars. "best" would not see the bars, which live
        # on the twin axes, and often picks the lower right, over the rarest ones.
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(0, 1.0),
            bbox_transform=ax.get_yaxis_transform(),
        )

        self.counts_ax_ = layout.counts_ax
        self.spans_ = dict(layout.spans)
        self.order_ = order
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _draw_layout(self, ax, labels, counts, show_counts):
        """Draw the count bars, band spans and names, axis limits and labels."""
        bands = frequency_bands(counts, thresholds=self.thresholds)
        x = np.arange(labels.size)
        artists = []
        # Layers, bottom to top: band spans, count bars, error lines. The bars live
        # on a twin axes (log scale), so the spans go on the lower of the two.
        base_ax, counts_ax = ax, None
        if show_counts:
            counts_ax = ax.twinx()
            bars = counts_ax.bar(x, counts, width=0.8, color="0.45", alpha=0.3)
            artists.extend(bars)
            counts_ax.set_yscale("log")
            counts_ax.set_ylabel("training examples (log scale)")
            ax.set_zorder(counts_ax.get_zorder() + 1)
            ax.patch.set_visible(False)
            base_ax = counts_ax

        spans = {}
        for band in _BANDS:
            text, colour = _BAND_STYLE[band]
            where = np.flatnonzero(bands == band)
            if where.size == 0:
                continue
            # Sorted by count, each band is one contiguous run of positions.
            start, stop = where[0] - 0.5, where[-1] + 0.5
            spans[band] = base_ax.axvspan(start, stop, color=colour, zorder=0)
            artists.append(spans[band])
            artists.append(
                ax.text((start + stop) / 2, 1.06, text, ha="center", va="center")
            )

        ax.set_xlim(-0.5, labels.size - 0.5)
        # Headroom above an error of 1 holds the band names.
        ax.set_ylim(-0.02, 1.12)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel("per-class error")
        if labels.size <= 30:
            names = [str(c) for c in labels]
            rotate = labels.size > 12 or max(map(len, names)) > 6
            ax.set_xticks(x, labels=names, rotation=45 if rotate else 0)
            if rotate:
                for label in ax.get_xticklabels():
                    label.set_horizontalalignment("right")
            ax.set_xlabel("class, most frequent first")
        else:
            ax.set_xticks([])
            ax.set_xlabel(f"{labels.size} classes, most frequent first")
        return _Layout(
            labels, counts, tuple(self.thresholds), counts_ax, spans, artists
        )

    def _check_layout(self, layout, labels, counts):
        """Refuse to add lines whose x positions mean other classes or bands."""
        same = (
            layout.labels.shape == labels.shape
            and np.array_equal(layout.labels, labels)
            and np.array_equal(layout.counts, counts)
            and layout.thresholds == tuple(self.thresholds)
        )
        if not same:
            raise ValueError(
                "ax already shows a PerClassErrorDisplay of the classes "
                f"{preview(layout.labels)} with training counts "
                f"{preview(layout.counts)} and thresholds {layout.thresholds}, but "
                f"this one has classes {preview(labels)}, counts {preview(counts)} "
                f"and thresholds {tuple(self.thresholds)} (classes sorted by count); "
                "its lines would not line up. Plot displays of the same classes, "
                "counts and thresholds on one axes, or pass another ax."
            )

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
        name=None,
        ax=None,
        show_counts=True,
    ):
        """Plot per-class errors from true and predicted labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True (test) labels.

        y_pred : array-like of shape (n_samples,) or dict
            Predicted labels of one model, or a dict ``{name: predicted labels}``,
            one line per model.

        class_counts : array-like of shape (n_labels,) or dict
            Training examples per class: a dict ``{label: count}`` or an array
            aligned with ``labels``.

        labels : array-like of shape (n_labels,), default=None
            The classes to show (and that ``class_counts`` is aligned with, when it
            is an array). Defaults to the sorted union of the labels of ``y_true``
            and of every ``y_pred``.

        thresholds : tuple of (low, high), default=(20, 100)
            Band limits, as in :func:`~sklearn_lt.metrics.frequency_bands`.

        name : str, default=None
            Legend label of the line of a single model's ``y_pred``; None names
            it "model". With a dict ``y_pred``, its keys are the names.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None. On axes that already
            show a display of the same classes, the lines are added to it (see
            :meth:`plot`).

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
        >>> counts = {"cat": 500, "dog": 50, "eel": 5}
        >>> display = PerClassErrorDisplay.from_predictions(
        ...     y_true, ["cat", "cat", "dog", "cat", "cat", "cat"],
        ...     class_counts=counts, name="ERM",
        ... )
        >>> display.lines_["ERM"].get_ydata()
        array([0. , 0.5, 1. ])
        >>> # A second model on the same axes: one more line, no second set of bars.
        >>> second = PerClassErrorDisplay.from_predictions(
        ...     y_true, ["cat", "cat", "dog", "dog", "eel", "cat"],
        ...     class_counts=counts, name="adjusted", ax=display.ax_,
        ... )
        >>> [text.get_text() for text in second.ax_.get_legend().get_texts()]
        ['ERM', 'adjusted']
        >>> second.counts_ax_ is display.counts_ax_
        True
        """
        _pyplot(f"{cls.__name__}.from_predictions")
        y_pred = _one_model(y_pred, name, "model", "y_pred")
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
        name=None,
        ax=None,
        show_counts=True,
    ):
        """Plot per-class errors of fitted classifiers on test data.

        Parameters
        ----------
        estimator : estimator instance or dict
            A fitted classifier, or a dict ``{name: fitted classifier}``. To
            compare a model before and after logit adjustment, pass ``{"ERM":
            clf.estimator_, "adjusted": clf}`` for a fitted
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

        name : str, default=None
            Legend label of a single estimator's line; None uses its class name,
            as scikit-learn's displays do. With a dict, its keys are the names.

        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None. On axes that already
            show a display of the same classes, the lines are added to it (see
            :meth:`plot`).

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
        >>> list(PerClassErrorDisplay.from_estimator(clf, X, y).lines_)
        ['LogitAdjustedClassifier']
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        estimator = _one_model(estimator, name, type(estimator).__name__, "estimator")
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
    """Cross-validated errors (or scores) as a function of the adjustment strength tau.

    Draws the mean (and standard deviation over splits) of the balanced error, the
    plain error and the Many / Medium / Few errors of each ``tau`` of a tuner's grid,
    with a dashed line at the chosen ``tau``. The balanced error usually has its
    minimum near ``tau=1``, where the "few" error has dropped and the "many" error
    not yet risen much. From a plain :class:`~sklearn.model_selection.GridSearchCV`
    over ``tau`` it draws the search's scores instead, greater is better.

    Use :meth:`from_estimator` (a fitted ``LogitAdjustedClassifierCV`` or
    ``GridSearchCV``) or :meth:`from_cv_results` to build one. All parameters are
    stored as attributes.

    Parameters
    ----------
    taus : array-like of shape (n_taus,)
        The tau grid.

    errors : dict
        ``{metric name: (mean, std)}``, each an array of shape (n_taus,) aligned
        with ``taus``. Values may be NaN (a band with no class in the validation
        data). The names of the tuner's error rates (``"balanced_error"``,
        ``"error"``, ``"many_error"``, ``"medium_error"``, ``"few_error"``) are
        lower-is-better errors; any other name is a score, greater is better.

    best_tau : float, default=None
        The chosen tau, marked by a dashed vertical line; None draws no line.

    name : str, default=None
        The model's name, put before every legend label ("ERM: balanced error")
        to tell the curves of two models on one axes apart; None labels the
        curves by their metric alone.

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

    def __init__(self, *, taus, errors, best_tau=None, name=None):
        self.taus = taus
        self.errors = errors
        self.best_tau = best_tau
        self.name = name

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
        if metrics is None:
            # The tuner's error rates; its "score" repeats one of them, negated.
            # Without any (a GridSearchCV's results), every score.
            metrics = [m for m in _TAU_ERRORS if m in self.errors] or list(self.errors)
        elif isinstance(metrics, str):
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

    def _label(self, text):
        return text if self.name is None else f"{self.name}: {text}"

    def plot(self, ax=None, *, metrics=None, show_std=True):
        """Plot the error (or score) curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is made if None.

        metrics : sequence of str, default=None
            Metrics to plot, one line each. A known metric missing from
            ``errors``, or whose means are all NaN, is skipped. None plots the
            error rates of ``errors`` (``"balanced_error"``, ``"error"``,
            ``"many_error"``, ``"medium_error"``, ``"few_error"``), or every entry
            when it holds none of them (the scores of a ``GridSearchCV``).
            ``"score"``, a tuner's scorer, is greater-is-better and is not plotted
            beside its errors unless asked for.

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
                label=self._label(metric.replace("_", " ")),
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
                label=self._label(f"best tau = {self.best_tau:g}"),
            )
        ax.set_xlabel("tau")
        ax.set_ylabel(_y_label(self.lines_ or curves))
        ax.legend()

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_cv_results(
        cls, cv_results, *, best_tau=None, name=None, ax=None, **plot_kwargs
    ):
        """Plot the error (or score) curves from a search's ``cv_results_``.

        Parameters
        ----------
        cv_results : dict
            The ``cv_results_`` of a fitted ``LogitAdjustedClassifierCV``: a
            ``"tau"`` array and, per metric ``m`` among ``"score"``,
            ``"balanced_error"``, ``"error"``, ``"many_error"``,
            ``"medium_error"`` and ``"few_error"``, the arrays
            ``"mean_test_<m>"`` and ``"std_test_<m>"``; metrics without a
            ``"mean_test_<m>"`` entry are left out. Or the ``cv_results_`` of a
            scikit-learn search over ``tau`` alone (``GridSearchCV``,
            ``RandomizedSearchCV``): a ``"param_tau"`` entry (or
            ``"param_<step>__tau"`` for a step of a pipeline) and the
            ``"mean_test_<scorer>"`` and ``"std_test_<scorer>"`` of each scorer,
            ``"score"`` for a single one. Its curves are the scores as the search
            recorded them, greater is better: with
            :data:`~sklearn_lt.metrics.balanced_error_scorer`, minus the
            balanced error.

        best_tau : float, default=None
            The chosen tau, marked by a dashed line; None draws no line. For a
            ``GridSearchCV``, pass ``search.best_params_["tau"]`` (or use
            :meth:`from_estimator`, which does).

        name : str, default=None
            The model's name, put before every legend label; None labels the
            curves by metric alone.

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
        >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
        ('tau', 'error')

        A ``GridSearchCV`` over ``tau`` with ``balanced_error_scorer``: its
        scores are minus the balanced error, plotted as such.

        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import GridSearchCV
        >>> from sklearn_lt import LogitAdjustedClassifier
        >>> from sklearn_lt.metrics import balanced_error_scorer
        >>> X, y = make_classification(
        ...     n_samples=600, n_classes=3, n_informative=4,
        ...     weights=[0.8, 0.15], random_state=0,
        ... )
        >>> search = GridSearchCV(
        ...     LogitAdjustedClassifier(LogisticRegression()),
        ...     {"tau": [0.0, 0.5, 1.0, 1.5]},
        ...     scoring=balanced_error_scorer,
        ... ).fit(X, y)
        >>> display = TauCurveDisplay.from_cv_results(
        ...     search.cv_results_, best_tau=search.best_params_["tau"]
        ... )
        >>> list(display.lines_), display.ax_.get_ylabel()
        (['score'], 'score (greater is better)')
        """
        _pyplot(f"{cls.__name__}.from_cv_results")
        if isinstance(cv_results, Mapping) and "tau" in cv_results:
            taus, errors = _tuner_curves(cv_results)
        elif isinstance(cv_results, Mapping):
            taus, errors = _search_curves(cv_results, _search_tau_key(cv_results))
        else:
            raise ValueError(
                "cv_results must be the cv_results_ dict of a fitted "
                "LogitAdjustedClassifierCV (with a 'tau' entry) or of a GridSearchCV "
                f"over tau (with a 'param_tau' entry); got {type(cv_results).__name__}."
            )
        display = cls(taus=taus, errors=errors, best_tau=best_tau, name=name)
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, **plot_kwargs):
        """Plot the curves of a fitted ``LogitAdjustedClassifierCV`` or search.

        Reads its ``cv_results_`` and marks its ``best_tau_`` (a
        ``LogitAdjustedClassifierCV``) or the tau of its ``best_params_`` (a
        ``GridSearchCV`` over ``tau``; no line for a multi-metric search without
        ``refit``); nothing is refitted.

        Parameters
        ----------
        estimator : LogitAdjustedClassifierCV or GridSearchCV
            A fitted tuner, or a fitted scikit-learn search over ``tau`` alone
            (see :meth:`from_cv_results`).

        name : str, default=None
            The model's name, put before every legend label; None labels the
            curves by metric alone (one model's curves need no other name).

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
                "LogitAdjustedClassifierCV or GridSearchCV over tau (call its fit "
                "first), or use TauCurveDisplay.from_cv_results with a cv_results_ "
                "dict."
            )
        best_tau = getattr(estimator, "best_tau_", None)
        best_params = getattr(estimator, "best_params_", None)
        if best_tau is None and isinstance(best_params, Mapping):
            key = _search_tau_key(cv_results)[len("param_") :]
            best_tau = best_params.get(key)
        return cls.from_cv_results(
            cv_results, best_tau=best_tau, name=name, ax=ax, **plot_kwargs
        )


def _y_label(metrics):
    """ "error", "score (greater is better)", or both, for the plotted metrics."""
    errors = [m in _TAU_ERRORS for m in metrics]
    if all(errors):
        return "error"
    if not any(errors):
        return "score (greater is better)"
    return "error; score (greater is better)"


def _tuner_curves(cv_results):
    """The taus and ``{metric: (mean, std)}`` of a LogitAdjustedClassifierCV."""
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
    return taus, errors


def _search_tau_key(cv_results):
    """The ``param_<...>tau`` key of a scikit-learn search's ``cv_results_``."""
    keys = [
        key
        for key in cv_results
        if key == "param_tau" or (key.startswith("param_") and key.endswith("__tau"))
    ]
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise ValueError(
            "cv_results has no tau to plot against: expected the cv_results_ of a "
            "LogitAdjustedClassifierCV (a 'tau' entry) or of a GridSearchCV over "
            "tau (a 'param_tau' entry, or 'param_<step>__tau' in a pipeline), got "
            f"keys {preview(list(cv_results))}. Search over tau, e.g. "
            'GridSearchCV(LogitAdjustedClassifier(...), {"tau": [0, 0.5, 1, 1.5]}).'
        )
    raise ValueError(
        f"cv_results holds several tau parameters {keys}; plot a search over one of "
        "them."
    )


def _search_curves(cv_results, tau_key):
    """The taus and ``{score name: (mean, std)}`` of a scikit-learn search."""
    param = cv_results[tau_key]
    if np.any(np.ma.getmaskarray(param)):
        raise ValueError(
            f"{tau_key} is not set for every candidate of the search; plot a search "
            "whose every candidate has a tau."
        )
    taus = np.asarray(np.ma.getdata(param), dtype=np.float64)
    # The curves are functions of tau only if nothing else varies between them.
    varied = [
        key
        for key, values in cv_results.items()
        if key.startswith("param_")
        and key != tau_key
        and len({repr(v) for v in np.ma.getdata(values)}) > 1
    ]
    if varied:
        raise ValueError(
            f"the search also varies {varied}, so its scores are not a function of "
            "tau alone; plot a search over tau alone (fix the other parameters, or "
            "pass a cv_results_ filtered to the candidates of one setting)."
        )
    names = [
        key[len("mean_test_") :] for key in cv_results if key.startswith("mean_test_")
    ]
    if not names:
        raise ValueError(
            "cv_results has no 'mean_test_<scorer>' entry; got keys "
            f"{preview(list(cv_results))}."
        )
    errors = {}
    for scorer in names:
        mean = cv_results[f"mean_test_{scorer}"]
        std = cv_results.get(f"std_test_{scorer}", np.full(np.shape(mean), np.nan))
        # A scorer named like one of the tuner's errors is still a score.
        errors[f"{scorer}_score" if scorer in _TAU_ERRORS else scorer] = (mean, std)
    return taus, errors
