"""scikit-learn's own estimator checks on every public estimator."""

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV

ESTIMATORS = [
    LogitAdjustedClassifier(LogisticRegression()),
    LogitAdjustedClassifier(GaussianNB()),
    LogitAdjustedClassifier(DecisionTreeClassifier(random_state=0)),
    LogitAdjustedClassifier(
        HistGradientBoostingClassifier(max_iter=10, random_state=0)
    ),
    LogitAdjustedClassifier(LogisticRegression(), response_method="decision_function"),
    LogitAdjustedClassifierCV(LogisticRegression(), taus=5, cv=3),
    LogitAdjustedClassifierCV(DecisionTreeClassifier(random_state=0), taus=5, cv=3),
]


def _expected_failed_checks(estimator):
    if isinstance(estimator.estimator, GaussianNB):
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "GaussianNB adds var_smoothing times the *unweighted* variance of X, "
                "so a weighted fit and a fit on repeated rows differ slightly; the "
                "log-space decision_function shows it for classes with "
                "log-probability near -350, where predict_proba cannot."
            )
        }
    return {}


# scikit-learn's checks fit the tuner on random data, where the largest tau of a
# small grid often wins; the tuner rightly warns about it (tested in test_tuning).
@pytest.mark.filterwarnings("ignore:best_tau_=.* is the largest tau:UserWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
