"""Array API namespaces: which array library and device an input lives on.

With ``sklearn.set_config(array_api_dispatch=True)`` (and ``SCIPY_ARRAY_API=1``
set before scipy is imported), scikit-learn lets estimators and metrics compute
in the caller's array library (torch, CuPy, ...) and on its device, instead of
copying the data to NumPy. sklearn-lt's adjustment and metrics follow the same
rules, with scikit-learn's own helpers (see ``_compat``):

- the inputs that carry data (scores, labels) must share one namespace and one
  device; small NumPy inputs beside them (priors, costs, sample weights) are
  moved to that namespace and device, as their copy is cheap and cannot change
  a result;
- with dispatch off, every input goes through ``np.asarray``, which works for
  arrays on the CPU; an array that NumPy cannot read (a GPU tensor) is refused
  with the two ways out.
"""

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn import get_config

from ._compat import _logsumexp, get_namespace_and_device, is_array_api_obj

__all__ = [
    "array_namespace",
    "check_numpy_estimator",
    "check_numpy_readable",
    "log_softmax_rows",
    "softmax_rows",
    "to_namespace",
]


def _is_foreign(array):
    """An array of another library than NumPy (torch, CuPy, array-api-strict)."""
    return is_array_api_obj(array) and not isinstance(array, (np.ndarray, np.generic))


def _describe(array):
    kind = type(array)
    device = getattr(array, "device", None)
    where = "" if device is None else f" on device {device}"
    module = kind.__module__.split("._")[0]  # array_api_strict, not its private module
    return f"of type {module}.{kind.__qualname__}{where}"


def check_numpy_readable(array, name, *, why=None):
    """Refuse, with the fix, a foreign array that ``np.asarray`` cannot read.

    Called on the NumPy route, before any work (``why`` says why that route is
    taken when it is not that dispatch is off): NumPy reads CPU tensors
    (and array-api-strict's CPU arrays) without a copy, but raises for arrays on
    another device, with an error that names neither the argument nor the fix.
    """
    if not _is_foreign(array):
        return
    try:
        np.asarray(array[:0, ...] if getattr(array, "ndim", 0) else array)
    except (TypeError, RuntimeError, ValueError) as exc:
        if why is None:
            raise ValueError(
                f"{name} is {_describe(array)}, which NumPy cannot read ({exc}), "
                "and scikit-learn's array API dispatch is off, so sklearn-lt would "
                "have to go through NumPy. Either turn dispatch on to compute on "
                "that device (set the environment variable SCIPY_ARRAY_API=1 "
                "before importing scipy, then "
                "sklearn.set_config(array_api_dispatch=True)), or move "
                f"{name} to the CPU first (for torch: {name}.cpu())."
            ) from None
        raise ValueError(
            f"{name} is {_describe(array)}, which NumPy cannot read ({exc}), but "
            f"{why}. Move {name} to the CPU first (for torch: {name}.cpu())."
        ) from None


def check_numpy_estimator(owner, what="its decisions", **arrays):
    """Refuse, before any work, arrays an estimator computing in NumPy cannot take.

    For the estimators that compute in NumPy whatever the input (the tuners,
    ``CostSensitiveClassifier``, ``LabelShiftClassifier``). With dispatch on, an
    array of another library would reach the inner estimator beside NumPy
    arrays of the estimator's own and fail deep inside scikit-learn (for
    example ``_unique2(): argument 'input' must be Tensor``), so it is refused
    with the ways out. With dispatch off, a CPU tensor goes through NumPy as
    everywhere, and an array NumPy cannot read is refused
    (:func:`check_numpy_readable`). ``None`` values are skipped.
    """
    name = type(owner).__name__
    dispatch = get_config()["array_api_dispatch"]
    for arg, array in arrays.items():
        if array is None or not _is_foreign(array):
            continue
        if dispatch:
            raise ValueError(
                f"{arg} is {_describe(array)} and scikit-learn's array API dispatch "
                f"is on, but {name} computes {what} in NumPy. Pass NumPy arrays "
                f"(for torch: {arg}.cpu().numpy()), or call it with dispatch off "
                "(sklearn.config_context(array_api_dispatch=False)); "
                "LogitAdjustedClassifier and LogitsClassifier compute in the "
                "input's namespace."
            )
        check_numpy_readable(array, arg, why=f"{name} computes {what} in NumPy")


def array_namespace(**arrays):
    """``(xp, device)`` of the data arrays when they should be computed on there.

    ``None`` means the NumPy route: dispatch is off, or every array is a NumPy
    array (or a list, a dataframe, ...). With dispatch on, the foreign arrays
    among ``arrays`` (keyword: the argument's name) must share one namespace
    and device; a mix is refused, naming each argument and where it lives.
    ``None`` values are skipped.
    """
    if not get_config()["array_api_dispatch"]:
        for name, array in arrays.items():
            check_numpy_readable(array, name)
        return None
    foreign = {name: array for name, array in arrays.items() if _is_foreign(array)}
    if not foreign:
        return None
    places = {name: get_namespace_and_device(array) for name, array in foreign.items()}
    (first, (xp, _, device)), *others = places.items()
    for name, (other_xp, _, other_device) in others:
        if other_xp is not xp or other_device != device:
            raise ValueError(
                f"{first} is {_describe(foreign[first])} but {name} is "
                f"{_describe(foreign[name])}; with array API dispatch on, the "
                "arrays of one call must come from one library and sit on one "
                f"device. Move {name} to where {first} is (for torch: "
                f"{name}.to({first}.device)), or pass NumPy arrays."
            )
    return xp, device


def to_namespace(array, xp, device, dtype=None):
    """A small NumPy array (priors, costs, weights) as an array of ``xp`` there."""
    if _is_foreign(array):
        return array if dtype is None else xp.astype(array, dtype)
    # A copy (n_classes numbers): torch warns of read-only NumPy arrays.
    return xp.asarray(np.array(array), dtype=dtype, device=device)


def log_softmax_rows(scores, xp=np):
    """Row-wise log-softmax in log space, in any namespace (scipy's for NumPy)."""
    if xp is np:
        return log_softmax(scores, axis=1)
    return scores - xp.reshape(_logsumexp(scores, axis=1, xp=xp), (-1, 1))


def softmax_rows(scores, xp=np):
    """Row-wise softmax, the exp of :func:`log_softmax_rows` (scipy's for NumPy)."""
    if xp is np:
        return softmax(scores, axis=1)
    return xp.exp(log_softmax_rows(scores, xp))
