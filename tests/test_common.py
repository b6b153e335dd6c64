"""scikit-learn's own estimator checks on every public estimator."""

import inspect
import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import estimator_html_repr
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_lt
from sklearn_lt import (
    CostSensitiveClassifier,
    LabelShiftClassifier,
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    LogitsClassifier,
    TunedAdjustmentClassifierCV,
    datasets,
    label_shift,
    metrics,
    plotting,
    priors,
    report,
)
from sklearn_lt._doc_link import docs_version
from sklearn_lt.label_shift import LogitCalibrator

ESTIMATORS = [
    LogitAdjustedClassifier(LogisticRegression()),
    LogitAdjustedClassifier(GaussianNB()),
    LogitAdjustedClassifier(DecisionTreeClassifier(random_state=0)),
    LogitAdjustedClassifier(
        HistGradientBoostingClassifier(max_iter=10, random_state=0)
    ),
    LogitAdjustedClassifier(LogisticRegression(), response_method="decision_function"),
    # LinearDiscriminantAnalysis supports the array API: with it, scikit-learn's
    # array API checks run on the adjuster (array-api-strict, torch CPU, CUDA).
    LogitAdjustedClassifier(LinearDiscriminantAnalysis()),
    LogitAdjustedClassifierCV(LogisticRegression(), taus=5, cv=3),
    LogitAdjustedClassifierCV(DecisionTreeClassifier(random_state=0), taus=5, cv=3),
    LogitsClassifier(),
    TunedAdjustmentClassifierCV(LogisticRegression(max_iter=1000), cv=3, max_iter=10),
    TunedAdjustmentClassifierCV(
        DecisionTreeClassifier(random_state=0),
        scoring="geometric_mean_recall",
        cv=3,
        max_iter=10,
    ),
    TunedAdjustmentClassifierCV(
        LogisticRegression(max_iter=1000), scoring="balanced_accuracy", cv=3, max_iter=2
    ),
    # A cost matrix names the classes, and the checks fit on labels [0, 1, 2],
    # [1, 2], ["one", "two"], ...: only the 0-1 cost (None) fits every one of them.
    # Under a cost on labels 0 and 1, every check that fits other labels fails on
    # the (rightful) unknown-label error, and check_classifiers_train on its
    # assertion that predict is the argmax of predict_proba, which a cost-sensitive
    # rule is not (as FixedThresholdClassifier's is not); tests/test_cost_sensitive.py
    # tests the costs themselves.
    CostSensitiveClassifier(LogisticRegression()),
    CostSensitiveClassifier(DecisionTreeClassifier(random_state=0)),
    CostSensitiveClassifier(LogisticRegression(), response_method="decision_function"),
    LabelShiftClassifier(LogisticRegression(max_iter=1000), cv=3),
    LabelShiftClassifier(DecisionTreeClassifier(random_state=0), calibration=None),
    LabelShiftClassifier(
        LogisticRegression(max_iter=1000), method="bbse", calibration="vector", cv=3
    ),
    LogitCalibrator(),
]

# LogitsClassifier's X is the output of another model, one column per class, so
# fitting it on features (whose count differs from the number of classes) is
# refused. These checks fit on such data, and fail on that refusal alone.
_LOGITS_ARE_ONE_COLUMN_PER_CLASS = (
    "X is the model's output, one column per class: fit refuses this check's "
    "features, whose count differs from its number of classes."
)
_CHECKS_FITTING_FEATURES = (
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_fit2d_1feature",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_array_api_input",
    "check_array_api_mixed_inputs",
    "check_array_api_same_namespace",
)


# LogitCalibrator's X is a classifier's scores, one column per class of y: the
# checks that fit a transformer on features refuse, for the same reason.
_CALIBRATOR_CHECKS_FITTING_FEATURES = (
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_array_api_input",
)


_CHECKS_PASSING_SAMPLE_WEIGHT = (
    "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_sample_weight_equivalence_on_dense_data",
)


def _expected_failed_checks(estimator):
    if isinstance(estimator, LogitCalibrator):
        return dict.fromkeys(
            _CALIBRATOR_CHECKS_FITTING_FEATURES,
            "X is a classifier's scores, one column per class of y: fit refuses "
            "this check's features, whose count differs from its number of classes.",
        )
    if isinstance(estimator, LogitsClassifier):
        return dict.fromkeys(_CHECKS_FITTING_FEATURES, _LOGITS_ARE_ONE_COLUMN_PER_CLASS)
    if isinstance(estimator, LabelShiftClassifier):
        return {
            "check_non_transformer_estimators_n_iter": (
                "max_iter bounds EM, which runs in adapt, not in fit: n_iter_ is "
                "set by adapt (tests/test_label_shift_classifier.py)."
            )
        }
    if isinstance(getattr(estimator, "estimator", None), LinearDiscriminantAnalysis):
        reason = (
            "LinearDiscriminantAnalysis.fit takes no sample_weight, and the adjuster "
            "refuses to weight its priors but not its model (tests/test_posthoc.py)."
        )
        return {
            **dict.fromkeys(_CHECKS_PASSING_SAMPLE_WEIGHT, reason),
            # scikit-learn marks this check as failing for LDA itself.
            "check_array_api_mixed_inputs": (
                "It passes sample_weight (see above), and without it "
                "LinearDiscriminantAnalysis.fit itself fails on y of another "
                "namespace than X: scikit-learn marks this check as failing for it."
            ),
        }
    if isinstance(getattr(estimator, "estimator", None), GaussianNB):
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


# --- the HTML repr links each estimator to its API page -----------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"
_PUBLIC_MODULES = (sklearn_lt, datasets, label_shift, metrics, plotting, priors, report)
try:  # the torch extra: LogitAdjustedNet links to its page in sklearn_lt.net too
    from sklearn_lt import net as _net_module
except ImportError:
    _net_module = None
else:
    _PUBLIC_MODULES += (_net_module,)


def _autosummary_pages():
    """``{public name: page}`` of every entry of docs/api.rst's autosummary tables."""
    pages, module, in_table = {}, None, False
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\.\. module:: (\S+)$", line):
            module = match[1]
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and (match := re.match(r"   (\w+)$", line)):
            name = f"{module}.{match[1]}"
            pages[name] = f"generated/{name}.html"
        elif in_table and line and not line.startswith("   "):
            in_table = False
    return pages


def _public_estimator_classes():
    """Every BaseEstimator subclass a public module exports (torch-free ones)."""
    found = {}
    for module in _PUBLIC_MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseEstimator):
                found[value.__name__] = value
    return sorted(found.values(), key=lambda cls: cls.__name__)


def _instance(cls):
    """An instance of ``cls``, with a classifier for a required ``estimator``."""
    parameters = inspect.signature(cls).parameters
    for name, value in (("estimator", LogisticRegression), ("module", "MLPModule")):
        required = parameters.get(name)
        if required is not None and required.default is inspect.Parameter.empty:
            if isinstance(value, str):  # a torch module class of sklearn_lt.net
                value = getattr(_net_module, value)
            return cls(value() if name == "estimator" else value)
    return cls()


def test_the_public_estimators_are_found():
    # The walk below must not pass by finding nothing: these are known to be public.
    names = {cls.__name__ for cls in _public_estimator_classes()}
    assert {type(e).__name__ for e in ESTIMATORS} <= names
    if _net_module is not None:
        assert "LogitAdjustedNet" in names


@pytest.mark.parametrize("cls", _public_estimator_classes(), ids=lambda c: c.__name__)
def test_html_repr_links_to_the_estimators_api_page(cls):
    estimator = _instance(cls)
    pages = _autosummary_pages()
    link = estimator._get_doc_link()

    version = "latest" if ".dev" in sklearn_lt.__version__ else sklearn_lt.__version__
    base = f"https://sklearn-lt.readthedocs.io/en/{version}/"
    assert link.startswith(base), link
    page = link[len(base) :]
    assert page in pages.values(), f"{link} is not a page of docs/api.rst"
    documented = next(name for name, p in pages.items() if p == page)
    assert documented.rsplit(".", 1)[1] == cls.__name__
    assert f'href="{link}"' in estimator_html_repr(estimator)


def test_a_private_subclass_links_to_its_public_base_and_a_users_to_nothing():
    from sklearn_lt._tuning import _FoldAdjuster

    public = LogitAdjustedClassifier(LogisticRegression())._get_doc_link()
    assert _FoldAdjuster(LogisticRegression())._get_doc_link() == public

    class UsersAdjuster(LogitAdjustedClassifier):
        pass

    # Defined here, outside sklearn_lt: scikit-learn's rule gives it no link.
    assert UsersAdjuster(LogisticRegression())._get_doc_link() == ""


@pytest.mark.parametrize(
    "version, slug",
    [("0.1.0.dev0", "latest"), ("0.2.0+g1a2b3c", "latest"), ("0.2.0", "0.2.0")],
)
def test_a_development_version_links_to_the_latest_docs(version, slug):
    assert docs_version(version) == slug
