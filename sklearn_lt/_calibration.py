r"""Calibration of logits by log-loss on labelled data, in log space (issue 15, part).

The calibrators of Alexandari, Kundaje & Shrikumar (2020), "Maximum likelihood
with bias-corrected calibration is hard-to-beat at label shift adaptation"
(ICML), which EM needs before it estimates target priors:

- ``"temperature"``: :math:`\log\operatorname{softmax}(z / T)`;
- ``"bcts"`` (bias-corrected temperature scaling):
  :math:`\log\operatorname{softmax}(z / T + b)`;
- ``"vector"`` (vector scaling): :math:`\log\operatorname{softmax}(w \odot z + b)`,

each fitted by minimising the mean negative log-likelihood of labelled rows with
L-BFGS and the exact gradient. For the first two ``z`` may be logits or
log-probabilities (a per-row constant changes nothing); vector scaling scales
each class's column, so it depends on which (as in the paper, fit it on what the
model outputs). :class:`LogitCalibrator` is public through
:mod:`sklearn_lt.label_shift`.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_consistent_length
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _fit_context
from ._doc_link import DocLinkMixin
from ._validation import Choice, check_labels, preview

__all__ = ["LogitCalibrator"]

_METHODS = ("temperature", "bcts", "vector")


def _split(params, method, n_classes):
    """``(scale, bias)`` of a parameter vector: scale scalar or per class."""
    if method == "temperature":
        return params[0], np.zeros(n_classes)
    if method == "bcts":
        return params[0], params[1:]
    return params[:n_classes], params[n_classes:]


def _negative_log_likelihood(params, method, logits, codes):
    """Mean NLL of ``codes`` under the calibrated logits, and its gradient."""
    n_rows, n_classes = logits.shape
    scale, bias = _split(params, method, n_classes)
    calibrated = logits * scale + bias
    # log-softmax with numpy (scipy's per-call cost dominates here: the
    # bootstrap refits a calibrator hundreds of times): one exp serves both the
    # loss and the softmax of the gradient.
    calibrated -= calibrated.max(axis=1, keepdims=True)
    exp = np.exp(calibrated)
    total = exp.sum(axis=1)
    rows = np.arange(n_rows)
    loss = np.mean(np.log(total) - calibrated[rows, codes])
    # d loss / d calibrated = (softmax - one hot) / n, from the log-softmax.
    delta = exp / total[:, None]
    delta[rows, codes] -= 1.0
    delta /= n_rows
    grad_bias = delta.sum(axis=0)
    if method == "vector":
        grad_scale = (delta * logits).sum(axis=0)
        return loss, np.concatenate([grad_scale, grad_bias])
    grad_scale = np.array([np.sum(delta * logits)])
    if method == "temperature":
        return loss, grad_scale
    return loss, np.concatenate([grad_scale, grad_bias])


class LogitCalibrator(DocLinkMixin, TransformerMixin, BaseEstimator):
    r"""Temperature, bias-corrected temperature or vector scaling of logits.

    A calibrator of a classifier's scores, fitted by log-loss on labelled rows
    that the classifier was not trained on, as Alexandari, Kundaje & Shrikumar
    (2020) do before estimating target priors with EM
    (:func:`~sklearn_lt.label_shift.estimate_target_priors`). ``X`` holds the
    classifier's logits or log-probabilities, one column per class; ``transform``
    returns calibrated log-probabilities, computed with ``log_softmax``:

    - ``"temperature"``: :math:`\log\operatorname{softmax}(z / T)`;
    - ``"bcts"`` (bias-corrected temperature scaling):
      :math:`\log\operatorname{softmax}(z / T + b)`;
    - ``"vector"`` (vector scaling):
      :math:`\log\operatorname{softmax}(w \odot z + b)`.

    The parameters minimise the mean negative log-likelihood of ``y`` (L-BFGS-B
    with the exact gradient, from the identity map). Temperature and BCTS give
    the same result for logits and for log-probabilities (a per-row constant
    changes no softmax); vector scaling scales each column, so fit and use it
    on the same kind of scores.

    Parameters
    ----------
    method : {"temperature", "bcts", "vector"}, default="bcts"
        The calibration map, see above. BCTS is Alexandari et al.'s
        recommendation before EM: the class biases correct a systematic
        over- or under-prediction of classes that a temperature cannot.

    Attributes
    ----------
    scale_ : float or ndarray of shape (n_classes,)
        ``1 / T`` (temperature and BCTS) or the per-class ``w`` (vector scaling).

    bias_ : ndarray of shape (n_classes,)
        ``b``; zeros for temperature scaling. Defined up to a common constant.

    classes_ : ndarray of shape (n_classes,)
        The class of each column of ``X``: the sorted labels of ``y``.

    n_iter_ : int
        Iterations of L-BFGS-B.

    n_features_in_ : int
        Number of columns of ``X`` (the number of classes).

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : Calibration of a classifier by
        cross-validation (sigmoid, isotonic or temperature scaling).
    sklearn_lt.LabelShiftClassifier : Fits this on out-of-fold scores and adapts
        to unlabelled data.

    References
    ----------
    .. [1] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum likelihood with
       bias-corrected calibration is hard-to-beat at label shift adaptation",
       ICML 2020.
    .. [2] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of
       modern neural networks", ICML 2017 (temperature and vector scaling).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt.label_shift import LogitCalibrator
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(scale=2.0, size=(5000, 3))
    >>> proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    >>> y = (proba.cumsum(axis=1) > rng.random((5000, 1))).argmax(axis=1)
    >>> calibrator = LogitCalibrator("temperature").fit(3 * logits, y)
    >>> round(1 / calibrator.scale_, 1)  # the model's temperature, 3, up to noise
    2.9
    >>> calibrator.transform(3 * logits).shape
    (5000, 3)
    """

    # Documented (docs/api.rst) under its public name, in label_shift.
    _doc_link_public_module = "sklearn_lt.label_shift"

    _parameter_constraints: dict = {
        "method": [
            Choice(
                set(_METHODS),
                fix='"bcts" is the usual choice before EM (Alexandari et al., 2020)',
            )
        ]
    }

    def __init__(self, method="bcts"):
        self.method = method

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the calibration map to labelled scores by log-loss.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            The classifier's logits or log-probabilities on held-out rows, one
            column per class, in the order of the sorted labels of ``y``.
            Finite: clip the logarithms of zero probabilities first, e.g.
            ``np.log(np.maximum(proba, np.finfo(float).tiny))``.

        y : array-like of shape (n_samples,)
            Their labels, with every class at least once.

        Returns
        -------
        self : LogitCalibrator
            The fitted calibrator.
        """
        X = self._validate_scores(X, reset=True)
        y = check_labels(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if classes.size != X.shape[1] or classes.size < 2:
            raise ValueError(
                f"X has {X.shape[1]} columns but y has {classes.size} distinct "
                f"labels ({preview(classes)}); X must hold a classifier's scores, "
                "one column per class, and y an example of every class (at least "
                "two). Calibrate on held-out rows that include every class, e.g. "
                "a stratified split."
            )
        self.classes_ = classes
        return self._fit_scores(X, codes)

    def _fit_scores(self, X, codes, start=None):
        """Fit on checked scores and codes ``0..C-1``, from ``start``'s parameters.

        ``start`` (a fitted calibrator of the same method) warm-starts the
        optimiser, as the bootstrap does on each resample of the same rows.
        """
        n_classes = X.shape[1]
        if start is not None:
            params = np.concatenate([np.ravel(start.scale_), start.bias_])
            params = params if self.method != "temperature" else params[:1]
        else:
            n_scale = n_classes if self.method == "vector" else 1
            n_bias = 0 if self.method == "temperature" else n_classes
            params = np.concatenate([np.ones(n_scale), np.zeros(n_bias)])
        result = minimize(
            _negative_log_likelihood,
            params,
            args=(self.method, self._shifted(X), codes),
            jac=True,
            method="L-BFGS-B",
        )
        scale, bias = _split(result.x, self.method, n_classes)
        self.scale_ = scale if self.method == "vector" else float(scale)
        self.bias_ = np.asarray(bias, dtype=np.float64)
        self.n_iter_ = int(result.nit)
        return self

    def transform(self, X):
        """Calibrated log-probabilities of the scores ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Scores of the kind the calibrator was fitted on.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Calibrated log-probabilities (float64, finite, ``logsumexp`` 0 per
            row), columns aligned with ``classes_``.
        """
        check_is_fitted(self)
        return self._transform_scores(self._validate_scores(X, reset=False))

    def _transform_scores(self, X):
        """``transform`` of checked scores."""
        return log_softmax(self._shifted(X) * self.scale_ + self.bias_, axis=1)

    def _validate_scores(self, X, reset):
        X = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite=False
        )
        bad = ~np.isfinite(X)
        if np.any(bad):
            raise ValueError(
                f"X holds {int(bad.sum())} non-finite scores (NaN or infinite; first "
                f"in row {int(np.flatnonzero(bad.any(axis=1))[0])}); a calibrator "
                "needs finite logits or log-probabilities. Clip the logarithms of "
                "zero probabilities to a finite floor first, e.g. "
                "np.log(np.maximum(proba, np.finfo(float).tiny))."
            )
        return X

    def _shifted(self, X):
        if self.method == "vector":
            return X
        # A per-row shift changes no softmax under a common scale; with each
        # row's largest score at 0 the optimiser's steps stay well scaled.
        return X - X.max(axis=1, keepdims=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
