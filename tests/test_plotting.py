import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from _data import gaussian_classes
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from sklearn_lt import LogitAdjustedClassifier  # noqa: E402
from sklearn_lt.metrics import balanced_error_scorer  # noqa: E402
from sklearn_lt.plotting import PerClassErrorDisplay, TauCurveDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _numpy_per_class_error(y_true, y_pred, labels):
    """Independent float64 evaluation: 1 - recall of each label, NaN if absent."""
    out = []
    for label in labels:
        mask = y_true == label
        out.append(np.nan if not mask.any() else np.mean(y_pred[mask] != label))
    return np.array(out)


def _span_x_range(span):
    """Data x range of an axvspan patch (a Polygon or a Rectangle, by version)."""
    span.axes.figure.canvas.draw()
    (x0, _), (x1, _) = span.axes.transData.inverted().transform(
        span.get_extents().get_points()
    )
    return x0, x1


_long_tailed = gaussian_classes


# -- PerClassErrorDisplay ------------------------------------------------------


def test_lines_are_numpy_per_class_errors_sorted_by_training_count():
    rng = np.random.default_rng(0)
    labels = np.array(["ant", "bee", "cat", "dog", "eel"])
    counts = {"ant": 30, "bee": 500, "cat": 5, "dog": 150, "eel": 60}
    y_true = labels[rng.integers(0, 5, size=200)]
    y_pred = {
        "ERM": np.where(rng.random(200) < 0.7, y_true, "bee"),
        "adjusted": np.where(rng.random(200) < 0.6, y_true, "cat"),
    }
    display = PerClassErrorDisplay.from_predictions(y_true, y_pred, class_counts=counts)

    expected_order = ["bee", "dog", "eel", "ant", "cat"]
    assert_array_equal(labels[display.order_], expected_order)
    tick_labels = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert tick_labels == expected_order
    assert list(display.lines_) == ["ERM", "adjusted"]
    for name, pred in y_pred.items():
        line = display.lines_[name]
        assert_array_equal(line.get_xdata(), np.arange(5))
        expected = _numpy_per_class_error(y_true, pred, expected_order)
        assert_allclose(line.get_ydata(), expected)  # ratios of counts: ~eps apart
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["ERM", "adjusted"]
    assert display.figure_ is display.ax_.figure


@pytest.mark.parametrize(
    "thresholds, expected",
    [
        ((20, 100), {"many": (0, 1), "medium": (2, 4), "few": (5, 6)}),
        ((10, 200), {"many": (0, 0), "medium": (1, 5), "few": (6, 6)}),
    ],
)
def test_band_spans_cover_the_positions_of_their_classes(thresholds, expected):
    # Given out of order; sorted they are 500, 150, 100, 50, 20, 19, 3.
    counts = np.array([19, 500, 20, 3, 100, 150, 50])
    labels = np.arange(7)
    y = np.repeat(labels, 2)
    display = PerClassErrorDisplay.from_predictions(
        y, y, class_counts=counts, labels=labels, thresholds=thresholds
    )

    assert_array_equal(display.order_, [1, 5, 4, 6, 2, 0, 3])
    assert list(display.spans_) == list(expected)
    for band, (first, last) in expected.items():
        x0, x1 = _span_x_range(display.spans_[band])
        # A round trip through the display transform (640 pixels for 7 positions)
        # rounds by ~1e-14 (measured 1.8e-15); a wrong span is 1 position off.
        assert_allclose([x0, x1], [first - 0.5, last + 0.5], atol=1e-6)
    texts = {t.get_text(): t.get_position()[0] for t in display.ax_.texts}
    assert texts == {
        name: pytest.approx((first + last) / 2)
        for name, (first, last) in zip(
            ["Many", "Medium", "Few"], expected.values(), strict=True
        )
    }


def test_count_bars_show_sorted_training_counts_on_a_log_twin_axis():
    counts = {"a": 7, "b": 900, "c": 40}
    y = np.array(["a", "b", "c"])
    display = PerClassErrorDisplay.from_predictions(y, y, class_counts=counts)

    (bars,) = display.counts_ax_.containers
    assert_allclose([bar.get_height() for bar in bars], [900, 40, 7])
    assert display.counts_ax_.get_yscale() == "log"
    assert display.counts_ax_ in display.figure_.axes

    display = PerClassErrorDisplay.from_predictions(
        y, y, class_counts=counts, show_counts=False
    )
    assert display.counts_ax_ is None
    assert display.figure_.axes == [display.ax_]


def test_class_absent_from_test_set_has_nan_error():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0])
    display = PerClassErrorDisplay.from_predictions(
        y_true, y_pred, class_counts=[10, 200, 50], labels=[0, 1, 2]
    )
    # Sorted by count: class 1, class 2 (no test example), class 0.
    assert_allclose(display.lines_["model"].get_ydata(), [1 / 3, np.nan, 0.5])


def test_many_classes_get_no_tick_labels():
    y = np.repeat(np.arange(40), 2)
    counts = np.arange(40, 0, -1) * 10
    display = PerClassErrorDisplay.from_predictions(y, y, class_counts=counts)
    assert len(display.ax_.get_xticks()) == 0
    assert_array_equal(display.order_, np.arange(40))


def test_plot_draws_on_the_given_axes():
    _, ax = plt.subplots()
    display = PerClassErrorDisplay(
        errors={"m": [0.5, 0.1]}, class_counts=[3, 300], classes=["x", "y"]
    ).plot(ax=ax)
    assert display.ax_ is ax
    assert_allclose(display.lines_["m"].get_ydata(), [0.1, 0.5])


def test_from_estimator_reads_class_counts_and_predicts_each_model():
    X_train, y_train, X_test, y_test = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X_train, y_train)
    models = {"ERM": clf.estimator_, "adjusted": clf}
    display = PerClassErrorDisplay.from_estimator(models, X_test, y_test)

    names, counts = np.unique(y_train, return_counts=True)
    order = np.argsort(-counts)
    assert_array_equal(display.order_, order)
    (bars,) = display.counts_ax_.containers
    assert_allclose([bar.get_height() for bar in bars], counts[order])
    for name, model in models.items():
        expected = _numpy_per_class_error(y_test, model.predict(X_test), names[order])
        assert_allclose(display.lines_[name].get_ydata(), expected)
    assert set(display.spans_) == {"many", "medium", "few"}


def test_from_estimator_with_a_plain_classifier_needs_class_counts():
    X_train, y_train, X_test, y_test = _long_tailed()
    model = LogisticRegression().fit(X_train, y_train)
    with pytest.raises(ValueError, match="none of the estimators .* class_counts_"):
        PerClassErrorDisplay.from_estimator(model, X_test, y_test)

    names, counts = np.unique(y_train, return_counts=True)
    display = PerClassErrorDisplay.from_estimator(
        model, X_test, y_test, class_counts=dict(zip(names, counts, strict=True))
    )
    expected = _numpy_per_class_error(y_test, model.predict(X_test), names)
    # A single estimator's line is named after its class, as in scikit-learn.
    assert_allclose(display.lines_["LogisticRegression"].get_ydata(), expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_pred": {}}, "y_pred is an empty dict"),
        ({"class_counts": {"a": 1, "b": 2}}, r"no entry for classes \['c'\]"),
        ({"labels": ["a", "b"]}, r"labels \['c'\] that are not in labels"),
        ({"class_counts": [1, 2]}, r"class_counts has shape \(2,\)"),
        (
            {"thresholds": (100, 20)},
            r"'thresholds' parameter of PerClassErrorDisplay.from_predictions must be "
            r"two numbers \(low, high\) with low <= high.*Got \(100, 20\) instead",
        ),
    ],
)
def test_from_predictions_bad_input_says_what_is_wrong(kwargs, match):
    args = {
        "y_true": ["a", "b", "c"],
        "y_pred": ["a", "b", "b"],
        "class_counts": {"a": 1, "b": 2, "c": 3},
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        PerClassErrorDisplay.from_predictions(**args)


def test_errors_of_the_wrong_length_are_rejected():
    display = PerClassErrorDisplay(
        errors={"m": [0.1, 0.2]}, class_counts=[5, 50, 500], classes=[0, 1, 2]
    )
    with pytest.raises(ValueError, match=r"errors\['m'\] has shape \(2,\).*3 classes"):
        display.plot()


def test_missing_matplotlib_names_the_plot_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-lt\[plot\]"'):
        PerClassErrorDisplay.from_predictions([0, 1], [0, 1], class_counts=[5, 50])
    with pytest.raises(ImportError, match=r"TauCurveDisplay.plot needs matplotlib"):
        TauCurveDisplay(taus=[0.0], errors={"error": ([0.1], [0.0])}).plot()


def test_importing_plotting_and_report_does_not_import_matplotlib():
    # A fresh interpreter: this test process has imported matplotlib already.
    code = (
        "import sys, sklearn_lt.plotting, sklearn_lt.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_second_display_on_the_same_axes_adds_its_line_and_no_more_bars():
    # The bug of issue 18: both lines read "model", and the bars, spans and band
    # names were drawn twice (a second twin axes of bars).
    rng = np.random.default_rng(3)
    labels = np.array(["ant", "bee", "cat", "dog"])
    counts = {"ant": 400, "bee": 60, "cat": 15, "dog": 4}
    y_true = labels[rng.integers(0, 4, size=120)]
    erm = np.where(rng.random(120) < 0.6, y_true, "ant")
    adjusted = np.where(rng.random(120) < 0.7, y_true, "dog")
    first = PerClassErrorDisplay.from_predictions(
        y_true, erm, class_counts=counts, name="ERM"
    )
    second = PerClassErrorDisplay.from_predictions(
        y_true, adjusted, class_counts=counts, name="adjusted", ax=first.ax_
    )

    ax = first.ax_
    assert second.ax_ is ax and second.counts_ax_ is first.counts_ax_
    assert ax.figure.axes == [ax, first.counts_ax_]  # no second twin
    assert len(first.counts_ax_.containers) == 1  # one set of bars
    assert len(first.counts_ax_.patches) == 4 + 3  # 4 bars and 3 band spans
    assert sorted(t.get_text() for t in ax.texts) == ["Few", "Many", "Medium"]
    assert second.spans_ == first.spans_
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ERM", "adjusted"]
    order = ["ant", "bee", "cat", "dog"]
    for display, name, pred in ((first, "ERM", erm), (second, "adjusted", adjusted)):
        expected = _numpy_per_class_error(y_true, pred, order)
        assert_allclose(display.lines_[name].get_ydata(), expected)  # ratios: ~eps
    # Two lines of two colours.
    assert first.lines_["ERM"].get_color() != second.lines_["adjusted"].get_color()


def test_a_cleared_axes_gets_its_bars_drawn_again():
    counts = [50, 5]
    display = PerClassErrorDisplay.from_predictions(
        [0, 1], [0, 1], class_counts=counts, show_counts=False
    )
    display.ax_.cla()
    again = PerClassErrorDisplay.from_predictions(
        [0, 1], [0, 0], class_counts=counts, ax=display.ax_
    )
    assert again.counts_ax_ is not None
    assert sorted(again.spans_) == ["few", "medium"]


def test_a_display_of_other_classes_on_the_same_axes_is_refused():
    display = PerClassErrorDisplay.from_predictions(
        ["a", "b"], ["a", "b"], class_counts={"a": 50, "b": 5}
    )
    with pytest.raises(ValueError, match=r"already shows .* \['a', 'b'\].*another ax"):
        PerClassErrorDisplay.from_predictions(
            ["a", "c"], ["a", "c"], class_counts={"a": 50, "c": 5}, ax=display.ax_
        )
    with pytest.raises(ValueError, match=r"thresholds \(20, 100\).*\(2, 100\)"):
        PerClassErrorDisplay.from_predictions(
            ["a", "b"],
            ["a", "b"],
            class_counts={"a": 50, "b": 5},
            thresholds=(2, 100),
            ax=display.ax_,
        )


def test_from_estimator_names_one_estimator_after_its_class_or_name():
    X_train, y_train, X_test, y_test = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X_train, y_train)
    display = PerClassErrorDisplay.from_estimator(clf, X_test, y_test)
    assert list(display.lines_) == ["LogitAdjustedClassifier"]

    # One estimator at a time on one axes, each with its name (the plain model has
    # no class_counts_: pass them).
    counts = dict(zip(clf.classes_, clf.class_counts_, strict=True))
    _, ax = plt.subplots()
    for name, model in (("ERM", clf.estimator_), ("adjusted", clf)):
        PerClassErrorDisplay.from_estimator(
            model, X_test, y_test, class_counts=counts, name=name, ax=ax
        )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ERM", "adjusted"]
    assert len(ax.figure.axes) == 2


@pytest.mark.parametrize("method", ["from_predictions", "from_estimator"])
def test_name_with_a_dict_of_models_is_refused(method):
    X_train, y_train, X_test, y_test = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X_train, y_train)
    if method == "from_estimator":
        call = PerClassErrorDisplay.from_estimator
        args = ({"a": clf}, X_test, y_test)
    else:
        call = PerClassErrorDisplay.from_predictions
        args = (y_test, {"a": clf.predict(X_test)})
    counts = dict(zip(clf.classes_, clf.class_counts_, strict=True))
    with pytest.raises(ValueError, match=r"name='m' names a single model.*\['a'\]"):
        call(*args, class_counts=counts, name="m")


def _rarest_bars_under_the_legend(display):
    """Whether the legend's box meets a bar of the rarest quarter of the classes."""
    figure = display.figure_
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = display.ax_.get_legend().get_window_extent(renderer)
    axes_box = display.ax_.get_window_extent(renderer)
    (bars,) = display.counts_ax_.containers
    n_rare = max(1, len(bars) // 4)
    # A bar from 0 on a log axis extends far below the axes: clip it to them.
    rare = [
        Bbox.intersection(bar.get_window_extent(renderer), axes_box)
        for bar in list(bars)[-n_rare:]
    ]
    return any(box is not None and legend.overlaps(box) for box in rare)


@pytest.mark.parametrize(
    "counts",
    [
        [500, 200, 80, 30, 10, 3],  # the paper's bands, a steep tail
        [1000, 900, 800, 700, 600],  # flat: the rarest bars are tall too
        [300, 5],
        np.geomspace(2000, 2, 40).astype(int),  # no tick labels
    ],
    ids=["steep", "flat", "two", "forty"],
)
def test_the_legend_stays_off_the_rarest_classes_bars(counts):
    n = len(counts)
    # Errors rise towards the tail, as they do: the tail's points sit high.
    errors = {f"model {k}": np.linspace(0.05, 0.95, n) ** (k + 1) for k in range(3)}
    display = PerClassErrorDisplay(
        errors=errors, class_counts=counts, classes=np.arange(n)
    ).plot()
    assert not _rarest_bars_under_the_legend(display)
    # What loc="best" did in the steep case: it sees no bars (they are on the
    # twin axes) and puts the legend over the rarest ones.
    if n == 6:
        display.ax_.legend(loc="best")
        assert _rarest_bars_under_the_legend(display)


# -- TauCurveDisplay -----------------------------------------------------------

METRICS = ("score", "balanced_error", "error", "many_error", "medium_error")


def _cv_results(taus=(0.0, 0.5, 1.0, 1.5, 2.0), n_splits=3, seed=0):
    """A hand-made cv_results_ as LogitAdjustedClassifierCV lays it out."""
    rng = np.random.default_rng(seed)
    taus = np.asarray(taus, dtype=float)
    results = {"tau": taus}
    splits = {m: rng.random((n_splits, taus.size)) for m in METRICS}
    splits["score"] = -splits["balanced_error"]
    # "few" is NaN in one split (no rare class there) and "medium" in every split.
    splits["few_error"] = rng.random((n_splits, taus.size))
    splits["few_error"][0] = np.nan
    splits["medium_error"][:] = np.nan
    for metric, values in splits.items():
        for k in range(n_splits):
            results[f"split{k}_test_{metric}"] = values[k]
        with warnings.catch_warnings():
            # The all-NaN "medium" column: its mean is NaN, as the tuner gives it.
            warnings.filterwarnings(
                "ignore", "Mean of empty slice|Degrees of freedom", RuntimeWarning
            )
            results[f"mean_test_{metric}"] = np.nanmean(values, axis=0)
            results[f"std_test_{metric}"] = np.nanstd(values, axis=0)
    results["rank_test_score"] = np.argsort(np.argsort(-results["mean_test_score"])) + 1
    return results


def test_tau_curve_lines_are_the_cv_results_means():
    cv_results = _cv_results()
    display = TauCurveDisplay.from_cv_results(cv_results, best_tau=1.0)

    # "medium_error" is all NaN, so it is skipped; "score" is not drawn by default.
    assert list(display.lines_) == [
        "balanced_error",
        "error",
        "many_error",
        "few_error",
    ]
    for metric, line in display.lines_.items():
        assert_allclose(line.get_xdata(), cv_results["tau"])
        assert_allclose(line.get_ydata(), cv_results[f"mean_test_{metric}"])
    assert_allclose(display.best_tau_line_.get_xdata(), [1.0, 1.0])
    assert display.ax_.get_xlabel() == "tau"
    assert display.ax_.get_ylabel() == "error"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == [
        "balanced error",
        "error",
        "many error",
        "few error",
        "best tau = 1",
    ]


def test_tau_curve_std_band_spans_mean_plus_minus_std():
    cv_results = _cv_results()
    display = TauCurveDisplay.from_cv_results(cv_results, metrics=["error"])
    mean, std = cv_results["mean_test_error"], cv_results["std_test_error"]
    vertices = display.fill_between_["error"].get_paths()[0].vertices
    assert_allclose(vertices[:, 1].min(), np.min(mean - std))
    assert_allclose(vertices[:, 1].max(), np.max(mean + std))

    display = TauCurveDisplay.from_cv_results(cv_results, show_std=False)
    assert display.fill_between_ == {}
    assert len(display.ax_.collections) == 0
    assert display.best_tau_line_ is None


def test_tau_curve_sorts_an_unsorted_grid():
    taus = np.array([2.0, 0.0, 1.0])
    errors = {"balanced_error": (np.array([0.5, 0.4, 0.3]), np.zeros(3))}
    display = TauCurveDisplay(taus=taus, errors=errors).plot(metrics=["balanced_error"])
    line = display.lines_["balanced_error"]
    assert_allclose(line.get_xdata(), [0.0, 1.0, 2.0])
    assert_allclose(line.get_ydata(), [0.4, 0.3, 0.5])


def test_tau_curve_from_estimator_reads_cv_results_and_best_tau():
    cv_results = _cv_results()
    tuner = SimpleNamespace(cv_results_=cv_results, best_tau_=1.5)
    display = TauCurveDisplay.from_estimator(tuner, metrics=["score"])
    assert list(display.lines_) == ["score"]
    assert_allclose(display.lines_["score"].get_ydata(), cv_results["mean_test_score"])
    assert_allclose(display.best_tau_line_.get_xdata(), [1.5, 1.5])


def test_tau_curve_from_estimator_without_cv_results_says_it_needs_the_tuner():
    with pytest.raises(ValueError, match="needs a fitted LogitAdjustedClassifierCV"):
        TauCurveDisplay.from_estimator(LogisticRegression())


@pytest.mark.parametrize(
    "taus, errors, metrics, match",
    [
        ([], {"error": ([], [])}, ["error"], r"non-empty 1d array, got shape \(0,\)"),
        (
            [0.0, 1.0],
            {"error": ([0.1, 0.2, 0.3], [0.0, 0.0, 0.0])},
            ["error"],
            r"mean of shape \(3,\).*taus has 2 entries",
        ),
        (
            [0.0, 1.0],
            {"error": ([0.1, 0.2], [0.0, 0.0])},
            ["error", "bogus"],
            r"unknown metrics \['bogus'\]",
        ),
        (
            [0.0, 1.0],
            {"error": ([0.1, 0.2], [0.0, 0.0])},
            ["few_error"],
            r"none of the metrics \['few_error'\] is in errors",
        ),
    ],
)
def test_tau_curve_bad_input_says_what_was_received(taus, errors, metrics, match):
    display = TauCurveDisplay(taus=taus, errors=errors)
    with pytest.raises(ValueError, match=match):
        display.plot(metrics=metrics)


def test_tau_curve_from_cv_results_needs_a_tau_entry():
    with pytest.raises(ValueError, match=r"no tau to plot against.*got keys"):
        TauCurveDisplay.from_cv_results({"mean_test_error": np.zeros(3)})


TAUS = [0.0, 0.5, 1.0, 1.5, 2.0]


def _numpy_cv_balanced_error(X, y, tau, cv):
    """Independent float64 evaluation: mean over splits of the per-split BER."""
    out = []
    for train, test in cv.split(X, y):
        model = LogitAdjustedClassifier(LogisticRegression(), tau=tau)
        y_pred = model.fit(X[train], y[train]).predict(X[test])
        present = np.unique(y[test])
        out.append(np.mean([np.mean(y_pred[y[test] == c] != c) for c in present]))
    return np.mean(out)


def test_tau_curve_of_a_plain_grid_search_plots_its_scores_honestly():
    X, y, _, _ = _long_tailed()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": TAUS},
        scoring=balanced_error_scorer,
        cv=cv,
    ).fit(X, y)
    display = TauCurveDisplay.from_estimator(search)

    assert list(display.lines_) == ["score"]
    line = display.lines_["score"]
    assert_allclose(line.get_xdata(), TAUS)
    # The scores as recorded, greater is better: minus the balanced error.
    expected = [-_numpy_cv_balanced_error(X, y, tau, cv) for tau in TAUS]
    assert_allclose(line.get_ydata(), expected)  # means of count ratios: ~eps
    assert display.ax_.get_ylabel() == "score (greater is better)"
    best = TAUS[int(np.argmax(expected))]
    assert search.best_params_["tau"] == best
    assert_allclose(display.best_tau_line_.get_xdata(), [best, best])
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["score", f"best tau = {best:g}"]


def test_tau_curve_of_a_multi_metric_search_over_a_pipeline_step():
    X, y, _, _ = _long_tailed()
    pipeline = make_pipeline(
        StandardScaler(), LogitAdjustedClassifier(LogisticRegression())
    )
    scoring = {"balanced_error": balanced_error_scorer, "accuracy": "accuracy"}
    search = GridSearchCV(
        pipeline,
        {"logitadjustedclassifier__tau": TAUS},
        scoring=scoring,
        refit="balanced_error",
        cv=3,
    ).fit(X, y)
    display = TauCurveDisplay.from_estimator(search, name="LR")

    # A scorer named like an error is still a score: renamed, never an "error".
    assert list(display.lines_) == ["balanced_error_score", "accuracy"]
    results = search.cv_results_
    assert_allclose(
        display.lines_["balanced_error_score"].get_ydata(),
        results["mean_test_balanced_error"],
    )
    assert_allclose(
        display.lines_["accuracy"].get_ydata(), results["mean_test_accuracy"]
    )
    best = search.best_params_["logitadjustedclassifier__tau"]
    assert_allclose(display.best_tau_line_.get_xdata(), [best, best])
    assert display.ax_.get_ylabel() == "score (greater is better)"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == [
        "LR: balanced error score",
        "LR: accuracy",
        f"LR: best tau = {best:g}",
    ]

    # Without refit, a multi-metric search has no best_params_: no line.
    unrefitted = clone(search).set_params(refit=False).fit(X, y)
    assert not hasattr(unrefitted, "best_params_")
    assert TauCurveDisplay.from_estimator(unrefitted).best_tau_line_ is None


def test_tau_curve_refuses_a_search_that_is_not_over_tau_alone():
    X, y, _, _ = _long_tailed()
    over_c = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"estimator__C": [0.1, 1.0]},
        cv=2,
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"no tau to plot against.*'param_tau'"):
        TauCurveDisplay.from_estimator(over_c)

    both = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": [0.0, 1.0], "estimator__C": [0.1, 1.0]},
        cv=2,
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"also varies \['param_estimator__C'\]"):
        TauCurveDisplay.from_cv_results(both.cv_results_)


def test_tau_curves_of_two_models_on_one_axes_carry_their_names():
    _, ax = plt.subplots()
    for name, seed in (("ERM", 0), ("balanced", 1)):
        TauCurveDisplay.from_cv_results(
            _cv_results(seed=seed),
            best_tau=1.0,
            name=name,
            ax=ax,
            metrics=["balanced_error"],
        )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "ERM: balanced error",
        "ERM: best tau = 1",
        "balanced: balanced error",
        "balanced: best tau = 1",
    ]


def test_tau_curve_mixing_errors_and_the_score_labels_both():
    display = TauCurveDisplay.from_cv_results(
        _cv_results(), metrics=["balanced_error", "score"]
    )
    assert display.ax_.get_ylabel() == "error; score (greater is better)"
