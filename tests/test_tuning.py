import numpy as np
import pytest
from _data import long_tailed_classification
from _tolerance import EPS64
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    get_scorer_names,
    make_scorer,
    mean_squared_error,
)
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    PredefinedSplit,
    StratifiedKFold,
)

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt._compat import InvalidParameterError
from sklearn_lt._tuning import _REGRESSION_SCORERS
from sklearn_lt.metrics import balanced_error, balanced_error_scorer


class CountingLogisticRegression(LogisticRegression):
    """Logistic regression that counts its fits (tests run the search in-process)."""

    n_fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture
def counting():
    CountingLogisticRegression.n_fits = 0
    return CountingLogisticRegression


_long_tailed = long_tailed_classification


TAUS = np.linspace(0.0, 2.0, 9)
CV = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
PREFIT_DEPRECATED = (
    r'cv="prefit" is deprecated and will be removed in 0\.3.*FrozenEstimator'
)


def test_cv_scores_equal_grid_search_over_tau():
    X, y = _long_tailed()
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    tuner.fit(X, y)
    search = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": TAUS},
        scoring=balanced_error_scorer,
        cv=CV,
    ).fit(X, y)
    # Balanced errors from the same counts, averaged in another order: ~eps apart.
    # A std over folds can be ~0, so it gets an absolute floor of 64 eps (errors
    # are <= 1); a different prediction would move either by ~1/n.
    assert_allclose(
        tuner.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert_allclose(
        tuner.cv_results_["std_test_score"],
        search.cv_results_["std_test_score"],
        atol=64 * EPS64,
    )
    assert_array_equal(
        tuner.cv_results_["rank_test_score"], search.cv_results_["rank_test_score"]
    )
    assert tuner.best_tau_ == search.best_params_["tau"]
    assert tuner.best_score_ == pytest.approx(search.best_score_)  # rates, as above
    assert_array_equal(tuner.predict(X), search.predict(X))


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss", "f1_macro"])
def test_any_scorer_gives_the_grid_search_scores(scoring):
    # These scorers call predict, predict_proba and predict again: the cached
    # validation scores must serve each of them exactly.
    X, y = _long_tailed()
    tuner = LogitAdjustedClassifierCV(
        LogisticRegression(), taus=TAUS, cv=CV, scoring=scoring
    ).fit(X, y)
    search = GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": TAUS},
        scoring=scoring,
        cv=CV,
    ).fit(X, y)
    # The same fold models and adjusted scores (one batch per fold on both sides),
    # so the same predictions and probabilities: neg_log_loss (~ -1) and the rates
    # agree to rounding, far inside rtol 1e-7.
    assert_allclose(
        tuner.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert tuner.best_tau_ == search.best_params_["tau"]


def test_fits_once_per_split_then_once_on_all_data(counting):
    X, y = _long_tailed()
    LogitAdjustedClassifierCV(counting(), taus=41, cv=CV).fit(X, y)
    assert counting.n_fits == CV.get_n_splits() + 1


def test_cv_results_error_rates_match_numpy_on_each_split():
    X, y = _long_tailed()
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    results = tuner.fit(X, y).cv_results_
    counts = np.bincount(y)
    bands = np.where(counts > 100, "many", np.where(counts < 20, "few", "medium"))
    for k, (train, test) in enumerate(CV.split(X, y)):
        model = LogisticRegression().fit(X[train], y[train])
        log_priors = np.log(np.bincount(y[train]) / train.size)
        log_proba = np.log(model.predict_proba(X[test]))
        for i, tau in enumerate(TAUS):
            pred = np.argmax(log_proba - tau * log_priors, axis=1)
            per_class = np.array(
                [np.mean(pred[y[test] == c] != c) for c in range(counts.size)]
            )
            # Ratios of counts (an error of 0 is exact on both sides, inside
            # approx's abs 1e-12): ~eps apart, while a flipped prediction is 1/n.
            assert results[f"split{k}_test_error"][i] == pytest.approx(
                np.mean(pred != y[test])
            )
            assert results[f"split{k}_test_balanced_error"][i] == pytest.approx(
                per_class.mean()
            )
            for band in ("many", "medium", "few"):
                value = results[f"split{k}_test_{band}_error"][i]
                if np.any(bands == band):
                    assert value == pytest.approx(per_class[bands == band].mean())
                else:
                    assert np.isnan(value)
    # The same numbers (without NaN, nanmean and nanstd are mean and std): equal.
    assert_allclose(results["mean_test_balanced_error"], -results["mean_test_score"])
    table = np.vstack([results[f"split{k}_test_error"] for k in range(3)])
    assert_allclose(results["mean_test_error"], table.mean(axis=0))
    assert_allclose(results["std_test_error"], table.std(axis=0))


def test_predictions_use_best_tau_and_model_refitted_on_all_data():
    X, y = _long_tailed()
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    tuner.fit(X, y)
    fixed = LogitAdjustedClassifier(LogisticRegression(), tau=tuner.best_tau_)
    fixed.fit(X, y)
    assert_array_equal(tuner.predict(X), fixed.predict(X))
    # The same refit, the same tau, the same scoring code: equal in practice.
    assert_allclose(tuner.predict_proba(X), fixed.predict_proba(X))
    assert_allclose(tuner.priors_, fixed.priors_)
    assert_array_equal(tuner.class_counts_, np.bincount(y))
    assert tuner.taus_.size == TAUS.size and tuner.n_splits_ == 3


def test_tuned_tau_lowers_balanced_error_against_plain_erm():
    X, y = _long_tailed(n_samples=3000, seed=3)
    X_test, y_test = X[2000:], y[2000:]
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), cv=CV).fit(
        X[:2000], y[:2000]
    )
    erm = balanced_error(y_test, tuner.estimator_.predict(X_test))
    assert tuner.best_tau_ > 0
    assert balanced_error(y_test, tuner.predict(X_test)) < erm


def test_refit_false_keeps_the_search_but_cannot_predict(counting):
    X, y = _long_tailed()
    tuner = LogitAdjustedClassifierCV(counting(), taus=TAUS, cv=CV, refit=False)
    tuner.fit(X, y)
    assert counting.n_fits == 3
    assert 0.0 <= tuner.best_tau_ <= 2.0
    assert not hasattr(tuner, "estimator_")
    assert not hasattr(tuner, "predict")
    with pytest.raises(AttributeError) as info:
        tuner.predict(X)
    assert "refit=False" in str(info.value.__cause__)


def test_prefit_uses_the_fitted_model_and_a_validation_set(counting):
    X, y = _long_tailed(n_samples=1500)
    base = counting().fit(X[:1000], y[:1000])
    coef = base.coef_.copy()
    X_val, y_val = X[1000:], y[1000:]
    tuner = LogitAdjustedClassifierCV(base, taus=TAUS, cv="prefit")
    with pytest.warns(FutureWarning, match=PREFIT_DEPRECATED):
        tuner.fit(X_val, y_val)
    assert counting.n_fits == 1
    assert tuner.estimator_ is base
    assert_array_equal(base.coef_, coef)
    # Independent sweep on the validation set, priors from its labels.
    log_priors = np.log(np.bincount(y_val) / y_val.size)
    log_proba = np.log(base.predict_proba(X_val))
    errors = [
        balanced_error(y_val, np.argmax(log_proba - tau * log_priors, axis=1))
        for tau in TAUS
    ]
    assert tuner.best_tau_ == TAUS[int(np.argmin(errors))]
    # Ratios of counts on both sides: ~eps apart; a flipped prediction is 1/n.
    assert_allclose(tuner.cv_results_["mean_test_balanced_error"], errors)
    assert tuner.n_splits_ == 1


def test_frozen_estimator_with_cv_sweeps_each_validation_part(counting):
    X, y = _long_tailed()
    base = counting().fit(X, y)
    tuner = LogitAdjustedClassifierCV(FrozenEstimator(base), taus=TAUS, cv=CV)
    tuner.fit(X, y)
    assert counting.n_fits == 1
    assert np.isfinite(tuner.best_score_)


def test_frozen_estimator_is_scored_on_each_fold_with_the_priors_of_all_y(counting):
    X, y = _long_tailed(n_samples=1500)
    base = counting().fit(X[:1000], y[:1000])
    coef = base.coef_.copy()
    X_val, y_val = X[1000:], y[1000:]
    frozen = FrozenEstimator(base)
    tuner = LogitAdjustedClassifierCV(frozen, taus=TAUS, cv=CV).fit(X_val, y_val)
    assert counting.n_fits == 1  # never refitted, on a split or on all the data
    assert_array_equal(base.coef_, coef)
    assert tuner.estimator_ is frozen and tuner.n_splits_ == 3
    # Independent: the frozen model on each validation part, with the priors of
    # all of y_val (as LogitAdjustedClassifier(FrozenEstimator(base)) uses).
    log_priors = np.log(np.bincount(y_val) / y_val.size)
    assert_allclose(tuner.priors_, np.exp(log_priors))  # both are counts / n
    log_proba = np.log(base.predict_proba(X_val))
    for k, (_, test) in enumerate(CV.split(X_val, y_val)):
        errors = [
            balanced_error(
                y_val[test], np.argmax(log_proba[test] - tau * log_priors, axis=1)
            )
            for tau in TAUS
        ]
        # Ratios of counts on both sides: ~eps apart; a flipped prediction is 1/n.
        assert_allclose(tuner.cv_results_[f"split{k}_test_balanced_error"], errors)
    fixed = LogitAdjustedClassifier(frozen, tau=tuner.best_tau_).fit(X_val, y_val)
    assert_array_equal(tuner.predict(X), fixed.predict(X))


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss"])
def test_frozen_estimator_with_a_scorer_gives_the_grid_search_scores(scoring):
    X, y = _long_tailed(n_samples=1500)
    base = LogisticRegression().fit(X[:1000], y[:1000])
    X_val, y_val = X[1000:], y[1000:]
    priors = np.bincount(y[:1000]) / 1000  # the same priors on both sides
    frozen = FrozenEstimator(base)
    tuner = LogitAdjustedClassifierCV(
        frozen, taus=TAUS, cv=CV, scoring=scoring, priors=priors
    ).fit(X_val, y_val)
    search = GridSearchCV(
        LogitAdjustedClassifier(frozen, priors=priors),
        {"tau": TAUS},
        scoring=scoring,
        cv=CV,
    ).fit(X_val, y_val)
    # The same model, priors and adjusted scores on the same folds: equal
    # predictions, and probabilities to rounding, far inside rtol 1e-7.
    assert_allclose(
        tuner.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert tuner.best_tau_ == search.best_params_["tau"]


def test_frozen_estimator_on_one_split_of_all_data_equals_prefit():
    X, y = _long_tailed(n_samples=1500)
    base = LogisticRegression().fit(X[:1000], y[:1000])
    X_val, y_val = X[1000:], y[1000:]
    whole = PredefinedSplit(np.zeros(y_val.size))  # one split: everything validates
    frozen = LogitAdjustedClassifierCV(FrozenEstimator(base), taus=TAUS, cv=whole)
    frozen.fit(X_val, y_val)
    with pytest.warns(FutureWarning, match=PREFIT_DEPRECATED):
        prefit = LogitAdjustedClassifierCV(base, taus=TAUS, cv="prefit")
        prefit.fit(X_val, y_val)
    # The same model, rows and priors through the same sweep: the same numbers.
    for key, value in prefit.cv_results_.items():
        assert_array_equal(frozen.cv_results_[key], value)
    assert frozen.best_tau_ == prefit.best_tau_ and frozen.n_splits_ == 1
    assert_array_equal(frozen.predict(X), prefit.predict(X))


def test_frozen_estimator_with_refit_false_keeps_only_the_search():
    X, y = _long_tailed()
    base = LogisticRegression().fit(X, y)
    tuner = LogitAdjustedClassifierCV(
        FrozenEstimator(base), taus=TAUS, cv=CV, refit=False
    ).fit(X, y)
    assert not hasattr(tuner, "estimator_")
    assert_array_equal(tuner.classes_, base.classes_)


def test_frozen_estimator_ignores_sample_weight_for_the_model_only(counting):
    # As in LogitAdjustedClassifier: the weights make the priors; the frozen
    # model, fitted already, needs no sample_weight support.
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    base = counting().fit(X, y)
    tuner = LogitAdjustedClassifierCV(FrozenEstimator(base), taus=TAUS, cv=CV)
    tuner.fit(X, y, sample_weight=w)
    assert counting.n_fits == 1
    # Weighted counts over their total, on both sides: ~eps apart.
    assert_allclose(tuner.priors_, np.bincount(y, weights=w) / w.sum())


def test_unfitted_frozen_estimator_is_rejected_before_any_work():
    X, y = _long_tailed()
    with pytest.raises(NotFittedError, match="FrozenEstimator needs a fitted"):
        LogitAdjustedClassifierCV(FrozenEstimator(LogisticRegression())).fit(X, y)


def test_user_priors_are_used_in_every_split():
    X, y = _long_tailed()
    priors = np.full(5, 0.2)  # uniform priors: adjustment does nothing
    tuner = LogitAdjustedClassifierCV(
        LogisticRegression(), taus=TAUS, cv=CV, priors=priors
    ).fit(X, y)
    scores = tuner.cv_results_["mean_test_score"]
    # Uniform priors shift every class alike: the same predictions for every tau.
    assert_allclose(scores, scores[0])
    assert tuner.best_tau_ == 0.0  # ties go to the first candidate


def test_string_labels_and_pandas_frames():
    pd = pytest.importorskip("pandas")
    X, y = _long_tailed()
    names = np.array(["ant", "bee", "cat", "dog", "emu"])
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    tuner.fit(frame, pd.Series(names[y]))
    numeric = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    numeric.fit(X, y)
    assert_array_equal(tuner.classes_, names)
    # The same fits on the same numbers: the same counts, equal rates.
    assert_allclose(
        tuner.cv_results_["mean_test_score"], numeric.cv_results_["mean_test_score"]
    )
    assert_array_equal(tuner.predict(frame), names[numeric.predict(X)])
    assert_array_equal(tuner.feature_names_in_, frame.columns)


def test_split_whose_training_part_lacks_a_class():
    X, y = _long_tailed()
    rare = np.flatnonzero(y == 4)
    others = np.setdiff1d(np.arange(y.size), rare)
    # Split 0 trains without class 4 and validates on all of it.
    splits = [
        (
            others[: others.size // 2],
            np.concatenate([others[others.size // 2 :], rare]),
        ),
        (
            np.concatenate([others[others.size // 2 :], rare]),
            others[: others.size // 2],
        ),
    ]
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=splits)
    results = tuner.fit(X, y).cv_results_
    # The fold model never predicts class 4, so that class is always wrong there.
    per_class_max = results["split0_test_balanced_error"]
    assert np.all(per_class_max >= 1 / 5)
    assert_array_equal(tuner.classes_, np.arange(5))


def test_groups_are_routed_to_the_splitter():
    X, y = _long_tailed()
    groups = np.arange(y.size) % 4
    with config_context(enable_metadata_routing=True):
        tuner = LogitAdjustedClassifierCV(
            LogisticRegression(), taus=TAUS, cv=GroupKFold(n_splits=4)
        )
        tuner.fit(X, y, groups=groups)
    assert tuner.n_splits_ == 4


def test_sample_weight_weights_priors_and_fits():
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    tuner = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    tuner.fit(X, y, sample_weight=w)
    assert_allclose(tuner.priors_, np.bincount(y, weights=w) / w.sum())
    expected = LogisticRegression().fit(X, y, sample_weight=w)
    assert_allclose(tuner.estimator_.coef_, expected.coef_)


@pytest.mark.parametrize(
    "taus, match",
    [
        ([], "non-empty 1d array"),
        ([[0.5, 1.0]], "non-empty 1d array"),
        ([0.5, np.nan], r"finite taus >= 0; got \[nan\]"),
        ([0.5, np.inf], r"got \[inf\]"),
        ([-1.0, 1.0], r"got \[-1.0\]"),
        (0, "'taus' parameter"),
    ],
)
def test_bad_tau_grid_is_rejected_before_any_fit(counting, taus, match):
    X, y = _long_tailed()
    with pytest.raises(InvalidParameterError, match=match):
        LogitAdjustedClassifierCV(counting(), taus=taus).fit(X, y)
    assert counting.n_fits == 0


@pytest.mark.parametrize(
    "scoring, error, match",
    [
        (balanced_error, ValueError, "looks like a metric.*make_scorer"),
        # scikit-learn's check_scoring refuses its own metric functions.
        (accuracy_score, ValueError, "looks like it is a metric.*make_scorer"),
        ("r2", ValueError, r"regression metric \(r2_score\)"),
        ("not_a_scorer", InvalidParameterError, "'scoring' parameter"),
    ],
)
def test_bad_scorer_is_rejected_before_any_fit(counting, scoring, error, match):
    X, y = _long_tailed()
    with pytest.raises(error, match=match):
        LogitAdjustedClassifierCV(counting(), scoring=scoring).fit(X, y)
    assert counting.n_fits == 0


@pytest.mark.parametrize("name", sorted(_REGRESSION_SCORERS))
def test_every_regression_scorer_name_is_refused(name):
    assert name in get_scorer_names()  # the list follows scikit-learn's names
    X, y = _long_tailed()
    with pytest.raises(ValueError, match="regression metric"):
        LogitAdjustedClassifierCV(LogisticRegression(), scoring=name).fit(X, y)


def test_scorer_objects_are_trusted_as_scikit_learn_does(counting):
    # check_scoring takes any callable but sklearn.metrics' functions: a scorer
    # object is the user's choice, even a regression one (labels 0..4 as numbers).
    X, y = _long_tailed()
    scorer = make_scorer(mean_squared_error, greater_is_better=False)
    tuner = LogitAdjustedClassifierCV(counting(), taus=TAUS, cv=CV, scoring=scorer)
    tuner.fit(X, y)
    assert counting.n_fits == 3 + 1
    assert np.all(tuner.cv_results_["mean_test_score"] <= 0)


def test_scorer_with_the_wrong_signature_fails_at_its_first_call(counting):
    # Not inspected beforehand (as in scikit-learn): Python's TypeError comes at
    # the first score, after the first split's fit.
    X, y = _long_tailed()
    with pytest.raises(TypeError, match="positional argument"):
        LogitAdjustedClassifierCV(counting(), scoring=lambda estimator, X: 0.0).fit(
            X, y
        )
    assert counting.n_fits == 1


def test_prefit_with_unfitted_estimator_is_rejected():
    X, y = _long_tailed()
    with (
        pytest.warns(FutureWarning, match=PREFIT_DEPRECATED),
        pytest.raises(NotFittedError, match='cv="prefit" needs a fitted estimator'),
    ):
        LogitAdjustedClassifierCV(LogisticRegression(), cv="prefit").fit(X, y)


# Cheap GridSearchCV over tau: LogitAdjustedClassifier(memory=...)


def test_memory_makes_grid_search_fit_once_per_split_with_identical_results(
    counting, tmp_path
):
    X, y = _long_tailed()
    grid = {"tau": TAUS}
    plain = GridSearchCV(
        LogitAdjustedClassifier(counting()), grid, scoring=balanced_error_scorer, cv=CV
    ).fit(X, y)
    assert counting.n_fits == TAUS.size * 3 + 1
    counting.n_fits = 0
    cached = GridSearchCV(
        LogitAdjustedClassifier(counting(), memory=str(tmp_path)),
        grid,
        scoring=balanced_error_scorer,
        cv=CV,
    ).fit(X, y)
    assert counting.n_fits == 3 + 1  # once per split, once for the refit
    # A cached fit is the pickled fitted model: bitwise the same scores, so equal.
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(cached.cv_results_[key], plain.cv_results_[key])
    assert_array_equal(cached.predict(X), plain.predict(X))


def test_memory_key_includes_fit_parameters(counting, tmp_path):
    X, y = _long_tailed()
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    clf = LogitAdjustedClassifier(counting(), memory=str(tmp_path))
    clf.fit(X, y)
    clf.fit(X, y, sample_weight=w)
    assert counting.n_fits == 2
    expected = LogisticRegression().fit(X, y, sample_weight=w)
    assert_allclose(clf.estimator_.coef_, expected.coef_)
