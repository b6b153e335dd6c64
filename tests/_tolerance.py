"""Float tolerances for results that two code paths compute from the same operands.

A sum or difference of operands (a log-probability minus a log-prior, a logit minus a
log-sum-exp) rounds to about eps times the largest operand, however small the result
is. So when the two sides come from different code paths (BLAS at another batch shape,
numpy against torch, logsumexp against a direct formula), compare them with an
absolute tolerance in those units, not a relative one: a result near 0 makes a
relative tolerance fail on another CPU or BLAS.
"""

import numpy as np

EPS64 = float(np.finfo(np.float64).eps)  # 2.2e-16
EPS32 = float(np.finfo(np.float32).eps)  # 1.2e-7


def rounding_atol(*operands, ulps=64, eps=EPS64):
    """``ulps * eps * max|operand|``: the absolute rounding of results computed from
    ``operands``, with room for ``ulps`` roundings (64 by default)."""
    scale = max(float(np.max(np.abs(np.asarray(op, float)))) for op in operands)
    return ulps * eps * scale
