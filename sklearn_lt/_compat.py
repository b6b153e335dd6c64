"""The one place that touches private scikit-learn helpers.

scikit-learn's parameter validation and metadata-routing switches are not public API,
but every scikit-learn-compatible library uses them to behave like scikit-learn;
the Array API helpers (namespaces, devices, moving arrays) are scikit-learn's own, so
that sklearn-lt follows the same rules as its estimators.
Importing them here keeps a future rename to a one-file fix; tests and benchmarks
import them from here too (tests/test_package.py checks that nothing else does).
"""

from sklearn.base import _fit_context
from sklearn.externals.array_api_compat import is_array_api_obj
from sklearn.utils import _safe_indexing
from sklearn.utils._array_api import (
    _bincount,
    _logsumexp,
    _max_precision_float_dtype,
    check_same_namespace,
    get_namespace_and_device,
    move_to,
)
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    _num_features,
    _num_samples,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "check_same_namespace",
    "get_chunk_n_rows",
    "get_namespace_and_device",
    "is_array_api_obj",
    "move_to",
    "_bincount",
    "_logsumexp",
    "_max_precision_float_dtype",
    "_check_method_params",
    "_check_sample_weight",
    "_fit_context",
    "_num_features",
    "_num_samples",
    "_routing_enabled",
    "_safe_indexing",
    "validate_parameter_constraints",
    "validate_params",
]
