"""TunedAdjustmentClassifierCV: per-class gains by cross-validation (issue 14)."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.stats import multivariate_normal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    TunedThresholdClassifierCV,
)

from sklearn_lt import (
    LogitAdjustedClassifier,
    TunedAdjustmentClassifierCV,
)
from sklearn_lt._compat import InvalidParameterError
from sklearn_lt.metrics import worst_class_error, worst_class_error_scorer


@pytest.fixture(scope="module")
def three_classes():
    return make_classification(
        n_samples=3000,
        n_classes=3,
        n_informative=4,
        weights=[0.75, 0.18],
        class_sep=0.8,
        random_state=0,
    )


class _FitRaises(ClassifierMixin, BaseEstimator):
    """An estimator whose fit fails: proves that a check comes before any fit."""

    def fit(self, X, y):
        raise AssertionError("fit was called")

    def predict_proba(self, X):  # pragma: no cover - never reached
        raise AssertionError("predict_proba was called")


def test_balanced_error_is_logit_adjustment_with_tau_one(three_classes):
    X, y = three_classes
    tuned = TunedAdjustmentClassifierCV(
        LogisticRegression(), scoring="balanced_error"
    ).fit(X, y)
    np.testing.assert_array_equal(tuned.gains_, np.full(3, 1 / 3))
    # log(pi) - log(3 * 1/3): one rounding of log(3 * (1/3)) = log(1) = 0 exactly.
    np.testing.assert_allclose(tuned.adjustment_, np.log(tuned.priors_), atol=1e-15)
    plain = LogitAdjustedClassifier(LogisticRegression(), tau=1.0).fit(X, y)
    np.testing.assert_array_equal(tuned.predict(X), plain.predict(X))
    assert tuned.optimizer_ == "closed form"


@pytest.mark.parametrize(
    "scoring, optimizer",
    [
        ("worst_class_error", "exponentiated gradient"),
        (worst_class_error_scorer, "exponentiated gradient"),
        ("geometric_mean_recall", "Frank-Wolfe"),
        ("harmonic_mean_recall", "Frank-Wolfe"),
        ("balanced_accuracy", "coordinate ascent"),
    ],
)
def test_results_describe_the_chosen_gains(three_classes, scoring, optimizer):
    X, y = three_classes
    tuned = TunedAdjustmentClassifierCV(
        LogisticRegression(), scoring=scoring, cv=3, max_iter=20
    ).fit(X, y)
    assert tuned.optimizer_ == optimizer
    results = tuned.cv_results_
    n = results["score"].size
    assert results["gains"].shape == (n, 3)
    assert tuned.best_score_ == results["score"].max()
    assert tuned.best_score_ == results["score"][tuned.best_index_]
    np.testing.assert_array_equal(tuned.gains_, results["gains"][tuned.best_index_])
    # Gains on the simplex: the sum of three exp's rounds by a few ulps.
    assert tuned.gains_.sum() == pytest.approx(1.0, abs=1e-12)
    assert tuned.best_score_ >= results["score"][0]  # never worse than the start
    if optimizer != "coordinate ascent":
        assert results["recall"].shape == (n, 3)
    decision = tuned.decision_function(X)
    np.testing.assert_array_equal(
        tuned.predict(X), tuned.classes_[decision.argmax(axis=1)]
    )
    np.testing.assert_array_equal(
        tuned.predict(X), tuned.classes_[tuned.predict_proba(X).argmax(axis=1)]
    )


def test_decision_is_the_base_scores_minus_the_adjustment(three_classes):
    X, y = three_classes
    tuned = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    base = tuned.estimator_.predict_log_proba(X)
    # One subtraction of operands below 40 in size: 64 ulps of 40.
    np.testing.assert_allclose(
        tuned.decision_function(X), base - tuned.adjustment_, rtol=0, atol=64 * 40e-16
    )
    np.testing.assert_allclose(  # the definition, with the same rounding
        tuned.adjustment_,
        np.log(tuned.priors_) - np.log(3 * tuned.gains_),
        rtol=0,
        atol=1e-14,
    )


# --- Against an optimum computed independently --------------------------------------

PRIORS = np.array([0.55, 0.25, 0.12, 0.08])
MEANS = np.array([[0.0, 0.0], [2.5, 0.0], [0.5, 1.0], [1.2, -0.8]])


def _grid():
    """Cell centres and area of a grid holding all but ~1e-9 of each class's mass."""
    step = 0.03
    xs = np.arange(-6.0, 8.5, step)
    ys = np.arange(-7.0, 7.0, step)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    density = np.column_stack([multivariate_normal(mean).pdf(points) for mean in MEANS])
    return points, density * step**2


def _integrated_worst_error(pred, density):
    recall = np.array([density[pred == c, c].sum() for c in range(PRIORS.size)])
    return 1.0 - recall.min()


def test_worst_class_error_comes_within_one_point_of_the_bayes_optimum():
    points, density = _grid()
    # The Bayes-optimal worst-class classifier is a plug-in on the true posterior
    # (Narasimhan & Menon, 2021): minimise its integrated worst error over the
    # three free log-gains with Nelder-Mead, from several starts.
    log_lik = np.log(np.maximum(density, 1e-300))

    def worst(free):
        pred = np.argmax(log_lik + np.concatenate([[0.0], free]), axis=1)
        return _integrated_worst_error(pred, density)

    optimum = min(
        minimize(worst, start, method="Nelder-Mead", options={"xatol": 1e-3}).fun
        for start in (np.zeros(3), np.full(3, 0.5), np.array([-0.5, 0.0, 0.5]))
    )

    rng = np.random.default_rng(0)
    y = rng.choice(PRIORS.size, 20_000, p=PRIORS)
    X = MEANS[y] + rng.standard_normal((y.size, 2))
    # Shared covariances: the true posterior is a softmax of linear functions, so
    # logistic regression is well specified.
    tuned = TunedAdjustmentClassifierCV(LogisticRegression()).fit(X, y)
    found = _integrated_worst_error(tuned.predict(points), density)
    balanced = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    uniform = _integrated_worst_error(balanced.predict(points), density)
    assert found <= optimum + 0.01  # the margin: one percentage point
    assert uniform > optimum + 0.02  # logit adjustment alone is clearly not optimal


def test_two_classes_scores_at_least_tuned_threshold_classifier():
    X, y = make_classification(
        n_samples=4000, weights=[0.9], class_sep=0.6, flip_y=0.02, random_state=0
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    for scoring in ("f1", "balanced_accuracy"):
        theirs = TunedThresholdClassifierCV(
            LogisticRegression(), scoring=scoring, cv=cv, thresholds=100
        ).fit(X, y)
        ours = TunedAdjustmentClassifierCV(
            LogisticRegression(), scoring=scoring, cv=cv
        ).fit(X, y)
        # Their 100 thresholds are spaced 1% of the probability range apart; ours
        # are flip points, about 3,200 rows / 32**2 = 3 rows apart: ours should
        # not score lower by more than a grid step's worth, 0.002.
        assert ours.best_score_ >= theirs.best_score_ - 0.002, scoring


# --- target_priors -------------------------------------------------------------------


def test_target_priors_leave_recall_objectives_unchanged(three_classes):
    X, y = three_classes
    plain = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    shifted = TunedAdjustmentClassifierCV(
        LogisticRegression(), cv=3, target_priors=[0.1, 0.1, 0.8]
    ).fit(X, y)
    # A per-class recall does not depend on the class mix: the same search.
    np.testing.assert_array_equal(shifted.gains_, plain.gains_)


def test_target_priors_weight_the_scorers_validation_rows(three_classes):
    X, y = three_classes
    seen = []

    def scorer(estimator, X_val, y_val, sample_weight=None):
        seen.append((np.asarray(y_val), sample_weight))
        return accuracy_score(y_val, estimator.predict(X_val))

    target = np.array([0.2, 0.3, 0.5])
    TunedAdjustmentClassifierCV(
        LogisticRegression(), scoring=scorer, cv=3, max_iter=1, target_priors=target
    ).fit(X, y)
    counts = np.bincount(y)
    y_val, weight = seen[0]
    np.testing.assert_allclose(weight, target[y_val] / counts[y_val], rtol=1e-15)


def test_target_priors_move_an_accuracy_tuned_decision(three_classes):
    X, y = three_classes
    kwargs = {"scoring": "accuracy", "cv": 3}
    plain = TunedAdjustmentClassifierCV(LogisticRegression(), **kwargs).fit(X, y)
    rare = TunedAdjustmentClassifierCV(
        LogisticRegression(), target_priors=[0.05, 0.05, 0.9], **kwargs
    ).fit(X, y)
    # Accuracy under a mix dominated by class 2 predicts class 2 far more often.
    assert np.mean(rare.predict(X) == 2) > np.mean(plain.predict(X) == 2) + 0.1


# --- Estimator behaviour -------------------------------------------------------------


def test_string_labels_and_pandas(three_classes):
    X, y = three_classes
    names = np.array(["cat", "dog", "eel"])[y]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    tuned = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(
        frame, pd.Series(names)
    )
    coded = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    np.testing.assert_array_equal(tuned.classes_, ["cat", "dog", "eel"])
    np.testing.assert_array_equal(tuned.gains_, coded.gains_)
    np.testing.assert_array_equal(
        tuned.predict(frame), tuned.classes_[coded.predict(X)]
    )
    assert list(tuned.feature_names_in_) == list(frame.columns)


def test_frozen_estimator_is_never_refitted(three_classes):
    X, y = three_classes
    model = LogisticRegression().fit(X[:1500], y[:1500])
    coef = model.coef_.copy()
    tuned = TunedAdjustmentClassifierCV(FrozenEstimator(model), cv=3).fit(
        X[1500:], y[1500:]
    )
    assert tuned.estimator_.estimator is model
    np.testing.assert_array_equal(model.coef_, coef)


def test_refit_false_keeps_the_search_but_cannot_predict(three_classes):
    X, y = three_classes
    tuned = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3, refit=False)
    tuned.fit(X, y)
    assert tuned.gains_.shape == (3,)
    assert not hasattr(tuned, "estimator_")
    with pytest.raises(AttributeError) as info:
        tuned.predict(X)
    # available_if raises its own AttributeError, from ours.
    assert "refit=False" in str(info.value.__cause__)


def test_parameters_changed_after_fit_are_refused(three_classes):
    X, y = three_classes
    tuned = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    tuned.set_params(priors=[1, 1, 1])
    with pytest.raises(ValueError, match="priors was changed after fit"):
        tuned.predict(X)
    tuned.set_params(priors="train", target_priors=[0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="target_priors was changed after fit"):
        tuned.predict(X)


# --- Bad input: each refused before any fit -------------------------------------


def test_unknown_objective_name_is_refused_with_a_suggestion(three_classes):
    X, y = three_classes
    with pytest.raises(InvalidParameterError, match="Did you mean 'worst_class_error'"):
        TunedAdjustmentClassifierCV(_FitRaises(), scoring="worst_class_eror").fit(X, y)


def test_a_metric_function_is_refused_as_a_scorer(three_classes):
    X, y = three_classes
    with pytest.raises(ValueError, match="looks like a metric"):
        TunedAdjustmentClassifierCV(_FitRaises(), scoring=worst_class_error).fit(X, y)
    with pytest.raises(ValueError, match="make_scorer"):
        TunedAdjustmentClassifierCV(_FitRaises(), scoring=accuracy_score).fit(X, y)


def test_a_validation_fold_missing_a_class_is_refused(three_classes):
    X, y = three_classes
    order = np.argsort(y, kind="stable")  # unshuffled KFold on sorted labels
    with pytest.raises(ValueError, match="has no example of classes"):
        TunedAdjustmentClassifierCV(_FitRaises(), cv=KFold(3)).fit(X[order], y[order])
    # A scorer's objective needs no per-class recall: only the recall-based refuse.
    scorer = make_scorer(accuracy_score)
    with pytest.raises(AssertionError, match="fit was called"):
        TunedAdjustmentClassifierCV(_FitRaises(), scoring=scorer, cv=KFold(3)).fit(
            X[order], y[order]
        )


def test_sample_weight_weights_the_priors_and_reaches_the_estimator(three_classes):
    X, y = three_classes
    w = np.random.default_rng(0).uniform(0.5, 2.0, y.size)
    tuned = TunedAdjustmentClassifierCV(LogisticRegression(), cv=3).fit(
        X, y, sample_weight=w
    )
    expected = np.bincount(y, weights=w) / w.sum()
    # Weighted frequencies: sums of 3,000 weights, then one division.
    np.testing.assert_allclose(tuned.priors_, expected, rtol=1e-12)
    refit = LogisticRegression().fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(tuned.estimator_.coef_, refit.coef_)
