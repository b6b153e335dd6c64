import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from _data import gaussian_classes
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_lt import LogitAdjustedClassifier  # noqa: E402
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
    assert_allclose(display.lines_["model"].get_ydata(), expected)


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
    with pytest.raises(ValueError, match=r"with a 'tau' entry; got dict with keys"):
        TauCurveDisplay.from_cv_results({"mean_test_error": np.zeros(3)})
