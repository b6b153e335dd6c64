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
model outputs). Private until issue 15 settles its public face.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

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
    log_proba = log_softmax(calibrated, axis=1)
    loss = -log_proba[np.arange(n_rows), codes].mean()
    # d loss / d calibrated = (softmax - one hot) / n, from the log-softmax.
    delta = softmax(calibrated, axis=1)
    delta[np.arange(n_rows), codes] -= 1.0
    delta /= n_rows
    grad_bias = delta.sum(axis=0)
    if method == "vector":
        grad_scale = (delta * logits).sum(axis=0)
        return loss, np.concatenate([grad_scale, grad_bias])
    grad_scale = np.array([np.sum(delta * logits)])
    if method == "temperature":
        return loss, grad_scale
    return loss, np.concatenate([grad_scale, grad_bias])


@dataclass(eq=False)
class LogitCalibrator:
    """Temperature, bias-corrected temperature or vector scaling of logits.

    ``fit(logits, codes)`` on labelled rows (``codes`` in ``0..C-1``), then
    ``transform(logits)`` gives calibrated log-probabilities. ``scale_`` is
    ``1 / T`` (a scalar) or the per-class ``w``; ``bias_`` is ``b`` (zeros for
    temperature scaling).
    """

    method: str = "bcts"

    def fit(self, logits, codes):
        if self.method not in _METHODS:
            raise ValueError(
                f"method={self.method!r} is not a calibration method; use one of "
                f"{list(_METHODS)}."
            )
        logits = self._checked(logits)
        codes = np.asarray(codes)
        n_classes = logits.shape[1]
        n_scale = n_classes if self.method == "vector" else 1
        n_bias = 0 if self.method == "temperature" else n_classes
        start = np.concatenate([np.ones(n_scale), np.zeros(n_bias)])
        result = minimize(
            _negative_log_likelihood,
            start,
            args=(self.method, logits, codes),
            jac=True,
            method="L-BFGS-B",
        )
        scale, bias = _split(result.x, self.method, n_classes)
        self.scale_ = scale
        self.bias_ = np.asarray(bias, dtype=np.float64)
        self.n_iter_ = int(result.nit)
        return self

    def transform(self, logits):
        """Calibrated log-probabilities, rows summing to 1 after ``exp``."""
        return log_softmax(self._checked(logits) * self.scale_ + self.bias_, axis=1)

    def _checked(self, logits):
        logits = np.asarray(logits, dtype=np.float64)
        if logits.ndim != 2 or not np.all(np.isfinite(logits)):
            raise ValueError(
                f"logits must be a finite 2d array (rows x classes), got shape "
                f"{logits.shape} with {np.sum(~np.isfinite(logits))} non-finite "
                "entries; clip log-probabilities of 0 to a finite floor first."
            )
        if self.method == "vector":
            return logits
        # A per-row shift changes no softmax under a common scale; with each
        # row's largest logit at 0 the optimiser's steps stay well scaled.
        return logits - logits.max(axis=1, keepdims=True)
