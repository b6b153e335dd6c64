"""Models and their predictions, by name, with the training counts that band classes.

The first steps shared by :func:`sklearn_lt.report.error_report` and the displays of
:mod:`sklearn_lt.plotting`: take one model or a dict ``{name: model}`` (or their
predictions), find the labels to report and the training count of each, check them
all, and only then predict.
"""

from collections.abc import Mapping

import numpy as np
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import unique_labels

from .metrics import _THRESHOLDS, _check_class_counts, _resolve_labels

__all__ = [
    "ESTIMATORS_PARAMS",
    "PREDICTIONS_PARAMS",
    "estimator_predictions",
    "named",
    "named_predictions",
]

# validate_params constraints of the functions that score the predictions of named
# models (error_report_from_predictions, PerClassErrorDisplay.from_predictions) ...
PREDICTIONS_PARAMS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like", Mapping],
    "class_counts": ["array-like", Mapping],
    "labels": ["array-like", None],
    "thresholds": _THRESHOLDS,
}
# ... and of those that first predict with them (error_report, from_estimator). The
# models themselves are checked by estimator_predictions, with a message for each.
ESTIMATORS_PARAMS = {
    "X": "no_validation",
    "y": ["array-like"],
    "class_counts": ["array-like", Mapping, None],
    "thresholds": _THRESHOLDS,
}


def named(value, name):
    """A dict ``{model name: value}``; a single value gets the name "model"."""
    if not isinstance(value, Mapping):
        return {"model": value}
    if not value:
        raise ValueError(
            f"{name} is an empty dict; pass one model, or a dict {{name: model}} "
            "with at least one entry."
        )
    return dict(value)


def _check_predictors(estimators):
    """Fail early on an entry that cannot predict (before any work is done)."""
    for name, estimator in estimators.items():
        if not hasattr(estimator, "predict"):
            raise TypeError(
                f"estimator {name!r} is a {type(estimator).__name__}, which has no "
                "predict method; pass fitted classifiers, or a dict {name: "
                "classifier}."
            )


def _counts_from_estimators(estimators):
    """Training class counts ``{label: count}`` from fitted ``class_counts_``."""
    counts, source = {}, {}
    for name, estimator in estimators.items():
        fitted = getattr(estimator, "class_counts_", None)
        if fitted is None:
            continue
        for label, count in zip(estimator.classes_, fitted, strict=True):
            label = label.item() if isinstance(label, np.generic) else label
            if label in counts and counts[label] != count:
                raise ValueError(
                    f"estimators {source[label]!r} and {name!r} were fitted on "
                    f"different numbers of class {label!r} ({counts[label]} and "
                    f"{count}); pass the training counts explicitly with "
                    "class_counts={label: count}."
                )
            counts[label], source[label] = int(count), name
    if not counts:
        names = [type(e).__name__ for e in estimators.values()]
        raise ValueError(
            f"class_counts is None, but none of the estimators ({', '.join(names)}) "
            "has a class_counts_ attribute (fitted LogitAdjustedClassifier objects "
            "do). Pass the training counts with class_counts={label: count}, e.g. "
            "dict(zip(*np.unique(y_train, return_counts=True)))."
        )
    return counts


def _labels_and_counts(y_true, y_preds, class_counts, labels):
    """``y_true`` as 1d, the labels to report and the class counts aligned with them."""
    y_true = column_or_1d(y_true)
    labels = _resolve_labels(labels, y_true, *y_preds)
    return y_true, labels, _check_class_counts(class_counts, labels)


def named_predictions(y_true, y_pred, class_counts, labels):
    """Predictions by model name, with the labels and counts they are scored on.

    Returns ``(y_true, y_pred, labels, counts)``: ``y_pred`` as ``{name: 1d
    labels}``, and ``counts`` the training count of each of ``labels``.
    """
    y_pred = {name: column_or_1d(p) for name, p in named(y_pred, "y_pred").items()}
    y_true, labels, counts = _labels_and_counts(
        y_true, list(y_pred.values()), class_counts, labels
    )
    return y_true, y_pred, labels, counts


def estimator_predictions(estimators, X, y, class_counts, name):
    """Each model's predictions of ``X``, once the labels and counts are checked.

    ``estimators`` is one fitted classifier or a dict of them (``name`` is the
    argument's name, for messages); ``class_counts=None`` takes the counts from
    their ``class_counts_``. Returns ``(y_pred, labels, class_counts)``, with
    ``labels`` the sorted union of those of ``y`` and of the models' ``classes_``.
    """
    estimators = named(estimators, name)
    _check_predictors(estimators)
    if class_counts is None:
        class_counts = _counts_from_estimators(estimators)
    known = [e.classes_ for e in estimators.values() if hasattr(e, "classes_")]
    labels = unique_labels(column_or_1d(y), *known)
    # Check the counts before predicting, which may be slow.
    _labels_and_counts(y, [], class_counts, labels)
    y_pred = {model: estimator.predict(X) for model, estimator in estimators.items()}
    return y_pred, labels, class_counts
