import re
import sys
import warnings

import numpy as np
import pytest
from _data import gaussian_classes
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from sklearn_lt import LogitAdjustedClassifier
from sklearn_lt.report import (
    ErrorReport,
    error_report,
    error_report_from_predictions,
)

COLUMNS = ("error", "balanced_error", "many", "medium", "few")


def _numpy_row(y_true, y_pred, counts, low=20, high=100):
    """Independent float64 evaluation of one report row; counts is {label: n}."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    per_class = {
        label: np.mean(y_pred[y_true == label] != label) for label in np.unique(y_true)
    }
    bands = {
        "many": [e for lab, e in per_class.items() if counts[lab] > high],
        "medium": [e for lab, e in per_class.items() if low <= counts[lab] <= high],
        "few": [e for lab, e in per_class.items() if counts[lab] < low],
    }
    return {
        "error": np.mean(y_true != y_pred),
        "balanced_error": np.mean(list(per_class.values())),
        **{band: np.mean(e) if e else np.nan for band, e in bands.items()},
    }


def _assert_rows_equal(report, expected):
    assert list(report.rows) == list(expected)
    for name, row in expected.items():
        assert list(report.rows[name]) == list(COLUMNS)
        # Error rates (ratios of counts, and means of them) along two code paths:
        # ~eps apart, while a different prediction moves them by 1/n.
        assert_allclose(
            [report.rows[name][c] for c in COLUMNS], [row[c] for c in COLUMNS]
        )


def _predictions(seed=0, n=400):
    rng = np.random.default_rng(seed)
    labels = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])
    counts = {"ant": 800, "bee": 150, "cat": 100, "dog": 40, "eel": 19, "fox": 3}
    y_true = labels[rng.integers(0, 6, size=n)]
    y_pred = {
        "ERM": np.where(rng.random(n) < 0.6, y_true, "ant"),
        "adjusted": np.where(rng.random(n) < 0.7, y_true, labels[rng.integers(0, 6)]),
    }
    return y_true, y_pred, counts


def test_rows_equal_numpy_errors_with_string_labels():
    y_true, y_pred, counts = _predictions()
    report = error_report_from_predictions(y_true, y_pred, class_counts=counts)
    assert report.columns == COLUMNS
    expected = {name: _numpy_row(y_true, p, counts) for name, p in y_pred.items()}
    _assert_rows_equal(report, expected)


def test_custom_thresholds_move_classes_between_bands():
    y_true, y_pred, counts = _predictions(seed=1)
    report = error_report_from_predictions(
        y_true, y_pred, class_counts=counts, thresholds=(5, 500)
    )
    expected = {
        name: _numpy_row(y_true, p, counts, low=5, high=500)
        for name, p in y_pred.items()
    }
    _assert_rows_equal(report, expected)


def test_array_counts_align_with_labels_and_a_single_model_is_named_model():
    pd = pytest.importorskip("pandas")
    y_true = pd.Series([2, 2, 0, 0, 0, 1])
    y_pred = np.array([2, 0, 0, 0, 1, 1])
    counts = {0: 300, 1: 50, 2: 10}
    report = error_report_from_predictions(
        y_true, y_pred, class_counts=[300, 50, 10], labels=[0, 1, 2]
    )
    _assert_rows_equal(report, {"model": _numpy_row(y_true, y_pred, counts)})


def test_empty_band_is_nan_and_shown_as_a_dash():
    y_true = [0, 0, 1, 1]
    y_pred = [0, 1, 1, 1]
    report = error_report_from_predictions(y_true, y_pred, class_counts={0: 500, 1: 50})
    row = report.rows["model"]
    assert np.isnan(row["few"])
    assert row["many"] == pytest.approx(0.5)
    assert str(report).splitlines()[1].split() == [
        "model",
        "25.00%",
        "25.00%",
        "50.00%",
        "0.00%",
        "-",
    ]
    assert report.to_markdown().splitlines()[2].endswith("| 0.00% | - |")
    assert np.isnan(report.to_dict()["model"]["few"])


def test_text_table_is_aligned_percentages_and_repr_is_the_same():
    y_true, y_pred, counts = _predictions()
    report = error_report_from_predictions(y_true, y_pred, class_counts=counts)
    lines = str(report).splitlines()
    assert repr(report) == str(report)
    # Two classes in each band: ant, bee > 100; cat, dog in 20-100; eel, fox < 20.
    assert re.split(r"\s{2,}", lines[0]) == [
        "model",
        "error",
        "balanced_error",
        "many (2)",
        "medium (2)",
        "few (2)",
    ]
    # Right-aligned numbers: every line ends at the same column.
    assert len({len(line) for line in lines}) == 1
    for line, (name, row) in zip(lines[1:], report.rows.items(), strict=True):
        assert line.split() == [name, *(f"{100 * row[c]:.2f}%" for c in COLUMNS)]


def test_markdown_table_has_a_header_separator_and_one_line_per_model():
    y_true, y_pred, counts = _predictions()
    report = error_report_from_predictions(y_true, y_pred, class_counts=counts)
    lines = report.to_markdown().splitlines()
    assert lines[0] == (
        "| model | error | balanced_error | many (2) | medium (2) | few (2) |"
    )
    assert lines[1] == "|:--|--:|--:|--:|--:|--:|"
    row = report.rows["adjusted"]
    assert (
        lines[3]
        == "| adjusted | " + " | ".join(f"{100 * row[c]:.2f}%" for c in COLUMNS) + " |"
    )
    assert len(lines) == 4


def _numpy_band_sizes(y_true, counts, low=20, high=100):
    """Independent count: classes of each band that have examples in y_true."""
    tested = [counts[label] for label in np.unique(y_true)]
    return {
        "many": sum(n > high for n in tested),
        "medium": sum(low <= n <= high for n in tested),
        "few": sum(n < low for n in tested),
    }


@pytest.mark.parametrize("thresholds", [(20, 100), (5, 500)])
def test_band_headers_count_the_classes_each_band_averages_over(thresholds):
    pd = pytest.importorskip("pandas")
    y_true, y_pred, counts = _predictions(seed=2)
    # "eel" (19 training examples) has no test example: its band averages over
    # one class fewer, and it is only predicted.
    keep = y_true != "eel"
    y_true = y_true[keep]
    y_pred = {
        name: np.where(p[keep] == "fox", "eel", p[keep]) for name, p in y_pred.items()
    }
    report = error_report_from_predictions(
        y_true, y_pred, class_counts=counts, thresholds=thresholds
    )

    expected = _numpy_band_sizes(y_true, counts, *thresholds)
    assert report.n_classes == expected
    header = [f"{band} ({expected[band]})" for band in ("many", "medium", "few")]
    assert re.split(r"\s{2,}", str(report).splitlines()[0])[3:] == header
    assert report.to_markdown().splitlines()[0].endswith(" | ".join(header) + " |")
    frame = report.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(COLUMNS)
    assert frame.attrs["n_classes"] == expected


def test_a_report_built_without_band_sizes_shows_plain_headers():
    report = ErrorReport({"m": dict.fromkeys(COLUMNS, 0.5)})
    assert report.n_classes is None
    assert str(report).splitlines()[0].split() == ["model", *COLUMNS]


def test_to_dict_and_to_frame_hold_fractions():
    pd = pytest.importorskip("pandas")
    y_true, y_pred, counts = _predictions()
    report = error_report_from_predictions(y_true, y_pred, class_counts=counts)
    as_dict = report.to_dict()
    assert as_dict == report.rows
    assert all(type(v) is float for row in as_dict.values() for v in row.values())

    frame = report.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame.index) == ["ERM", "adjusted"]
    assert frame.index.name == "model"
    assert_allclose(frame.loc["ERM"].to_numpy(), [as_dict["ERM"][c] for c in COLUMNS])


def test_to_frame_without_pandas_says_how_to_install_it(monkeypatch):
    report = ErrorReport({"m": dict.fromkeys(COLUMNS, 0.5)})
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="to_frame needs pandas.*pip install pandas"):
        report.to_frame()


def test_predicted_class_missing_from_y_true_is_left_out_silently():
    y_true = [0, 0, 1, 1]
    y_pred = [0, 2, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = error_report_from_predictions(
            y_true, y_pred, class_counts={0: 500, 1: 50, 2: 5}
        )
    row = report.rows["model"]
    assert row["balanced_error"] == pytest.approx(0.25)
    assert np.isnan(row["few"])


_long_tailed = gaussian_classes


def test_error_report_reads_class_counts_and_predicts_each_model():
    X_train, y_train, X_test, y_test = _long_tailed()
    clf = LogitAdjustedClassifier(LogisticRegression()).fit(X_train, y_train)
    models = {"ERM": clf.estimator_, "adjusted": clf}
    report = error_report(models, X_test, y_test)

    counts = dict(zip(*np.unique(y_train, return_counts=True), strict=True))
    expected = {
        name: _numpy_row(y_test, model.predict(X_test), counts)
        for name, model in models.items()
    }
    _assert_rows_equal(report, expected)
    assert report.n_classes == _numpy_band_sizes(y_test, counts)
    # The point of the adjustment: a lower balanced and tail error.
    assert (
        report.rows["adjusted"]["balanced_error"] < report.rows["ERM"]["balanced_error"]
    )
    assert report.rows["adjusted"]["few"] < report.rows["ERM"]["few"]


def test_error_report_of_a_plain_classifier_needs_class_counts():
    X_train, y_train, X_test, y_test = _long_tailed()
    model = LogisticRegression().fit(X_train, y_train)
    with pytest.raises(ValueError, match="Pass the training counts with class_counts"):
        error_report(model, X_test, y_test)

    counts = dict(zip(*np.unique(y_train, return_counts=True), strict=True))
    report = error_report(model, X_test, y_test, class_counts=counts)
    _assert_rows_equal(
        report, {"model": _numpy_row(y_test, model.predict(X_test), counts)}
    )


def test_estimators_fitted_on_different_counts_must_be_given_counts():
    X_train, y_train, X_test, y_test = _long_tailed()
    keep = np.ones(len(y_train), dtype=bool)
    keep[:10] = False  # ten fewer "ant"
    a = LogitAdjustedClassifier(LogisticRegression()).fit(X_train, y_train)
    b = LogitAdjustedClassifier(LogisticRegression()).fit(X_train[keep], y_train[keep])
    with pytest.raises(ValueError, match="different numbers of class 'ant'"):
        error_report({"a": a, "b": b}, X_test, y_test)


@pytest.mark.parametrize(
    "estimators, match, error",
    [
        ({}, "estimators is an empty dict", ValueError),
        ({"x": "not a model"}, "'x' is a str, which has no predict", TypeError),
    ],
)
def test_error_report_bad_estimators(estimators, match, error):
    with pytest.raises(error, match=match):
        error_report(estimators, np.zeros((2, 1)), [0, 1], class_counts=[1, 1])


def test_bad_class_counts_are_rejected_before_predicting():
    y_true, y_pred, counts = _predictions()
    del counts["fox"]
    with pytest.raises(ValueError, match=r"no entry for classes \['fox'\]"):
        error_report_from_predictions(y_true, y_pred, class_counts=counts)
    with pytest.raises(ValueError, match=r"class_counts has shape \(2,\)"):
        error_report_from_predictions([0, 1, 2], [0, 1, 1], class_counts=[5, 50])
