r"""Per-class gains for the metric a user has, found on cached validation scores.

For a metric of the per-class recalls (or any scorer), the decision is the
plug-in rule

.. math::

    \hat y(x) = \operatorname{argmax}_y \; b_y(x) + \log w_y,
    \qquad b_y(x) = \log p(y \mid x) - \log \pi_y,

with :math:`b` the balanced log-posterior (the logit-adjusted score with
``tau=1``) and :math:`w` the gains, on the simplex. Uniform gains are logit
adjustment, optimal for the balanced error (Menon et al., 2021). The other
optimisers here search :math:`w` on the validation scores of the splits of a
cross-validation, which never change: only the argmax is recomputed.

- Worst-class error: exponentiated-gradient (EG) ascent on the Lagrange
  multipliers of :math:`\min_h \max_y \mathrm{err}_y(h)`; the best response to
  multipliers :math:`\lambda` is the plug-in with gains :math:`\lambda`
  (Narasimhan & Menon, 2021, "Training over-parameterized models with
  non-decomposable objectives", NeurIPS).
- G-mean and H-mean of the recalls: Frank-Wolfe on the (concave) metric of the
  recall vector; its linear step is the plug-in with gains the metric's
  gradient (Narasimhan, Ramaswamy, Saha & Agarwal, 2015, "Consistent multiclass
  algorithms for complex performance measures", ICML).
- Any scorer: coordinate ascent on the log-gains, one class at a time, trying
  the values at which predictions change.

All of them return a deterministic classifier: the plug-in whose gains scored
best on the validation recalls among those the optimiser visited (see
:func:`search_gains`).
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from .metrics import _RECALL_SCORES

# Rows whose scores (rows x classes float64) take at most about 1 MiB: the argmax of
# each chunk runs in cache.
_CHUNK_BYTES = 1 << 20


# With more than twice this many classes, a row's argmax is first looked for among
# its largest scores (see ValidationScores.predictions).
_N_CANDIDATES = 32


def _argmax_rows(scores, log_gains):
    """``argmax(scores + log_gains, axis=1)``, a chunk of rows at a time."""
    n_rows, n_classes = scores.shape
    chunk = max(1, _CHUNK_BYTES // (8 * n_classes))
    pred = np.empty(n_rows, dtype=np.intp)
    buffer = np.empty((min(chunk, n_rows), n_classes))
    for start in range(0, n_rows, chunk):
        part = scores[start : start + chunk]
        shifted = buffer[: part.shape[0]]
        np.add(part, log_gains, out=shifted)
        pred[start : start + chunk] = shifted.argmax(axis=1)
    return pred


def _normalised(log_gains):
    """Log-gains shifted so that the gains sum to 1 (the argmax ignores a shift)."""
    return log_gains - logsumexp(log_gains)


@dataclass(eq=False)
class ValidationScores:
    """The balanced log-posteriors of each split's validation part, cached.

    ``scores[k]`` has shape ``(n_k, n_classes)`` (``-inf`` for a class the split's
    model never saw), ``codes[k]`` the true class of each row, ``weights[k]`` the
    weight of each row (or ``None``). Every class must occur in every split.
    """

    scores: list
    codes: list
    weights: list = field(default=None)

    def __post_init__(self):
        self.n_classes = self.scores[0].shape[1]
        if self.weights is None:
            self.weights = [None] * len(self.scores)
        self._top = [None] * len(self.scores)
        self.class_weight = [
            np.bincount(code, weights=weight, minlength=self.n_classes)
            for code, weight in zip(self.codes, self.weights, strict=True)
        ]

    def predictions(self, log_gains):
        """The plug-in's predicted class codes of every split.

        With many classes, each row's argmax is looked for among its
        ``_N_CANDIDATES`` largest scores only, when the row's gap between its
        best score and the first one left out exceeds the spread of the
        log-gains (then no class left out can win, whatever the gains); the
        other rows take the argmax over all the classes. The predictions are
        exactly those of the full argmax, ties included (the lowest class).
        """
        spread = float(np.max(log_gains) - np.min(log_gains))
        out = []
        for k, scores in enumerate(self.scores):
            if self.n_classes <= 2 * _N_CANDIDATES:
                out.append(_argmax_rows(scores, log_gains))
                continue
            columns, top, gap = self._candidates(k)
            # Candidates are in increasing class order: the first maximum is the
            # lowest class among ties, as in the full argmax.
            best = (top + log_gains[columns]).argmax(axis=1)
            pred = columns[np.arange(best.size), best]
            # A margin of 1e-9, far above the rounding of the sums compared
            # (ulps of scores of at most ~745 in size), so that no rounding can
            # let a class left out tie with the best candidate.
            unsure = np.flatnonzero(gap <= spread + 1e-9)
            if unsure.size:
                pred[unsure] = _argmax_rows(scores[unsure], log_gains)
            out.append(pred)
        return out

    def _candidates(self, k):
        """Split ``k``'s rows' largest scores: their classes (sorted), values, gap."""
        if self._top[k] is None:
            scores = self.scores[k]
            part = np.argpartition(-scores, _N_CANDIDATES, axis=1)
            columns = np.sort(part[:, :_N_CANDIDATES], axis=1)
            top = np.take_along_axis(scores, columns, axis=1)
            left_out = np.take_along_axis(
                scores, part[:, _N_CANDIDATES : _N_CANDIDATES + 1], axis=1
            )[:, 0]
            # The largest score left out is the (K+1)-th: argpartition puts it
            # first after the K largest.
            with np.errstate(invalid="ignore"):  # -inf - -inf: no gap, dense
                gap = top.max(axis=1) - left_out
            self._top[k] = (columns, top, np.nan_to_num(gap, nan=-np.inf))
        return self._top[k]

    def recalls(self, predictions):
        """Per split and class, the (weighted) share of its rows predicted right."""
        out = np.empty((len(self.scores), self.n_classes))
        for k, (pred, code, weight) in enumerate(
            zip(predictions, self.codes, self.weights, strict=True)
        ):
            hit = pred == code
            hits = np.bincount(
                code,
                weights=hit if weight is None else hit * weight,
                minlength=self.n_classes,
            )
            out[k] = hits / self.class_weight[k]
        return out


_minus_worst_error = _RECALL_SCORES["worst_class_error"]
_balanced_score = _RECALL_SCORES["balanced_error"]


@dataclass(eq=False)
class GainSearch:
    """What an optimiser found: the chosen log-gains and every candidate tried.

    ``history`` holds one entry per candidate: ``"score"`` (the objective on the
    validation splits, greater is better), ``"log_gains"`` and ``"recall"`` (the
    per-class recall averaged over the splits).
    """

    method: str
    history: dict = field(default_factory=lambda: {"score": [], "log_gains": []})
    recall_history: list = field(default_factory=list)
    tiebreaks: list = field(default_factory=list)
    n_iter: int = 0

    def add(self, log_gains, score, recall=None, tiebreak=0.0):
        self.tiebreaks.append(float(tiebreak))
        self.history["score"].append(float(score))
        self.history["log_gains"].append(_normalised(np.asarray(log_gains, float)))
        self.recall_history.append(recall)

    @property
    def best_index(self):
        # The best score, then the best tie-break; the first of equals, as the
        # earlier candidates are the simpler ones.
        scores = np.asarray(self.history["score"])
        tied = np.flatnonzero(scores == scores.max())
        return int(tied[np.argmax(np.asarray(self.tiebreaks)[tied])])

    @property
    def log_gains(self):
        return self.history["log_gains"][self.best_index]

    @property
    def score(self):
        return self.history["score"][self.best_index]


def _recall_of(data, log_gains):
    """The per-class recall averaged over the splits, of the plug-in."""
    return data.recalls(data.predictions(log_gains)).mean(axis=0)


def _zero_floor(data):
    """Half an example of the largest class, below every recall above 0: where a
    zero recall is clipped to."""
    return 0.5 / max(float(weight.max()) for weight in data.class_weight)


def balanced_gains(data):
    """Uniform gains: logit adjustment with ``tau=1``, optimal for balanced error."""
    search = GainSearch("closed form")
    log_gains = np.zeros(data.n_classes)
    recall = _recall_of(data, log_gains)
    search.add(log_gains, _balanced_score(recall), recall)
    return search


def worst_class_gains(data, *, max_iter=100, step=4.0, tol=1e-4):
    r"""Exponentiated-gradient ascent on the multipliers of the worst-class error.

    The worst-class error is :math:`\max_\lambda \sum_y \lambda_y
    \mathrm{err}_y(h)` over the simplex; for fixed :math:`\lambda` the minimising
    plug-in has gains :math:`\lambda` (Narasimhan & Menon, 2021). Each iteration
    takes that best response and moves the multipliers towards the classes it
    serves worst, :math:`\lambda_y \leftarrow \lambda_y \exp(\eta_t
    \mathrm{err}_y)`, with :math:`\eta_t = \mathrm{step} / \sqrt{t + 1}`. Stops
    after ``max_iter`` iterations, or once the per-class errors of the best
    response are all within ``tol`` of each other (they are equal at the
    optimum when every class is active). Every best response is a candidate,
    and so is the plug-in at the mean of the multipliers (the deterministic
    counterpart of the averaged, randomised classifier that EG's guarantee is
    for). Candidates with the same worst error (as when some class is never
    recognised) are ranked by their balanced error.
    """
    search = GainSearch("exponentiated gradient")
    log_lambda = np.zeros(data.n_classes)
    running = np.zeros(data.n_classes)
    for t in range(max_iter):
        recall = _recall_of(data, log_lambda)
        # Ties (a class never recognised by any candidate) go to the best mean.
        search.add(log_lambda, _minus_worst_error(recall), recall, recall.mean())
        search.n_iter = t + 1
        errors = 1.0 - recall
        running += np.exp(_normalised(log_lambda))
        if np.ptp(errors) <= tol:
            break
        log_lambda = _normalised(log_lambda + step / np.sqrt(t + 1.0) * errors)
    mean_lambda = np.log(running / search.n_iter)
    recall = _recall_of(data, mean_lambda)
    search.add(mean_lambda, _minus_worst_error(recall), recall, recall.mean())
    return search


def _gradient(objective, recall, floor):
    """Gains proportional to the metric's gradient at ``recall`` (clipped above 0)."""
    recall = np.maximum(recall, floor)
    if objective == "geometric_mean_recall":
        return -np.log(recall)  # d/dr_y of prod(r)^(1/C), up to a positive factor
    return -2.0 * np.log(recall)  # of C / sum(1/r), up to a positive factor


def frank_wolfe_gains(data, objective, *, max_iter=100):
    r"""Frank-Wolfe ascent on a concave metric of the recall vector.

    The achievable (randomised) classifiers have a convex set of recall vectors
    :math:`r`. At the current :math:`r_t` the linear step maximises
    :math:`\nabla\psi(r_t)^\top r(h)`, whose maximiser is the plug-in with gains
    :math:`\nabla\psi(r_t)` (Narasimhan et al., 2015); then
    :math:`r_{t+1} = (1-\gamma_t) r_t + \gamma_t r(h_t)` with
    :math:`\gamma_t = 2/(t+2)`. The mixture of the :math:`h_t` is the randomised
    solution. At the optimum the best deterministic classifier is the plug-in
    at the gradient there, which the later linear steps approach: every linear
    step's plug-in is a candidate, and the best on the validation recalls is
    kept. Runs ``max_iter`` steps: the plug-in is the linear step's maximiser in
    the population, not exactly on the sample, so the sample's duality gap is
    no reliable stopping rule. Where every candidate scores 0 (some class
    never recognised), the one with the best metric of the recalls clipped at
    half an example wins, not the first.
    """
    metric = _RECALL_SCORES[objective]
    floor = _zero_floor(data)
    search = GainSearch("Frank-Wolfe")

    def add(log_gains, recall):
        clipped = metric(np.maximum(recall, floor))
        search.add(log_gains, metric(recall), recall, tiebreak=clipped)

    log_gains = np.zeros(data.n_classes)
    recall = _recall_of(data, log_gains)
    add(log_gains, recall)
    mixture = recall
    for t in range(max_iter):
        log_gains = _gradient(objective, mixture, floor)
        recall = _recall_of(data, log_gains)
        add(log_gains, recall)
        search.n_iter = t + 1
        gamma = 2.0 / (t + 2.0)
        mixture = (1.0 - gamma) * mixture + gamma * recall
    return search


def _flip_points(data, log_gains, c):
    """Per split: where class ``c``'s log-gain makes each row predict ``c``.

    Returns ``(thresholds, alternatives)``: row ``i`` predicts ``c`` iff
    ``log_gains[c] > thresholds[i]``, else ``alternatives[i]`` (its best other
    class).
    """
    others = log_gains.copy()
    others[c] = -np.inf
    out = []
    for scores in data.scores:
        shifted = scores + others
        alternative = shifted.argmax(axis=1)
        best_other = shifted[np.arange(scores.shape[0]), alternative]
        out.append((best_other - scores[:, c], alternative))
    return out


def _candidates(points, n_candidates, low=-np.inf, high=np.inf):
    """At most ``n_candidates`` values between consecutive distinct flip points."""
    points = np.unique(points[np.isfinite(points) & (points > low) & (points < high)])
    if points.size == 0:
        return np.zeros(0)
    edges = np.concatenate([[points[0] - 1.0], points, [points[-1] + 1.0]])
    mids = (edges[:-1] + edges[1:]) / 2
    if mids.size > n_candidates:
        mids = mids[
            np.unique(np.linspace(0, mids.size - 1, n_candidates).round().astype(int))
        ]
    return mids


def coordinate_ascent_gains(data, score, *, max_iter=10, n_candidates=32):
    """Coordinate ascent of a black-box score on the log-gains.

    ``score(predictions, log_gains)`` is the mean validation score (greater is
    better) of the plug-in with ``log_gains``, given its predicted codes per
    split. For each class in turn, every other gain fixed, a row's prediction
    changes only where the class's log-gain crosses that row's flip point; the
    score is tried between ``n_candidates`` evenly ranked flip points, then
    between the flip points around the best of them (so the resolution is about
    ``n_rows / n_candidates**2`` rows), and the best value is kept when it scores
    higher. Passes over the classes repeat until one changes nothing, at most
    ``max_iter`` times. A local search: it finds a coordinate-wise optimum,
    started from uniform gains (logit adjustment).
    """
    search = GainSearch("coordinate ascent")
    log_gains = np.zeros(data.n_classes)
    current = score(data.predictions(log_gains), log_gains)
    search.add(log_gains, current)
    for sweep in range(max_iter):
        search.n_iter = sweep + 1
        improved = False
        for c in range(data.n_classes):
            flips = _flip_points(data, log_gains, c)
            points = np.concatenate([t for t, _ in flips])
            best_value, best_score = log_gains[c], current
            low, high = -np.inf, np.inf
            for _ in range(2):  # a coarse look, then a fine one around the best
                values = _candidates(points, n_candidates, low, high)
                for value in values:
                    predictions = [np.where(value > t, c, alt) for t, alt in flips]
                    trial = log_gains.copy()
                    trial[c] = value
                    trial_score = score(predictions, trial)
                    if trial_score > best_score:
                        best_value, best_score = value, trial_score
                if values.size == 0:
                    break
                below = values[values < best_value]
                above = values[values > best_value]
                low = below[-1] if below.size else -np.inf
                high = above[0] if above.size else np.inf
            if best_score > current:
                log_gains[c] = best_value
                current = best_score
                improved = True
        search.add(log_gains, current)
        if not improved:
            break
    return search
