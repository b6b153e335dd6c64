"""Long-tailed data shared by several test modules."""

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification


def long_tailed_classification(
    n_samples=900,
    n_classes=5,
    seed=0,
    *,
    decay=0.45,
    n_features=8,
    n_informative=5,
    class_sep=0.7,
):
    """``make_classification`` with class k drawn with weight ``decay ** k``."""
    weights = decay ** np.arange(n_classes)
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=n_classes,
        weights=weights / weights.sum(),
        class_sep=class_sep,
        random_state=seed,
    )


def gaussian_classes(seed=0, counts=(300, 120, 60, 25, 12, 6)):
    """Gaussian classes with string labels and the given training counts, and a
    balanced test set of 30 per class: ``X_train, y_train, X_test, y_test``."""
    rng = np.random.default_rng(seed)
    names = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])[: len(counts)]
    means = rng.normal(scale=1.5, size=(len(counts), 3))

    def sample(sizes):
        X = np.vstack(
            [rng.normal(m, 1.0, size=(n, 3)) for m, n in zip(means, sizes, strict=True)]
        )
        return X, np.repeat(names, sizes)

    X_train, y_train = sample(counts)
    X_test, y_test = sample([30] * len(counts))
    return X_train, y_train, X_test, y_test


class KnownPosteriorGaussians:
    """Gaussian classes ``N(mean_y, I)`` whose posteriors are known exactly.

    Four classes in two dimensions. Under class priors ``p`` the posterior is
    ``softmax(x . mean_y - |mean_y|^2 / 2 + log p_y)``; ``model(temperature)``
    returns a fitted classifier with that posterior under the training priors,
    its logits divided by ``temperature`` (below 1: over-confident) and shifted
    by ``bias`` (a systematic over-prediction of some classes): a model that is
    miscalibrated in a known way.
    """

    means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    train_priors = np.array([0.55, 0.25, 0.15, 0.05])

    def sample(self, n, priors, rng):
        y = rng.choice(len(priors), size=n, p=priors)
        return self.means[y] + rng.standard_normal((n, 2)), y

    def model(self, temperature=1.0, bias=None):
        return _GaussianPosterior(self, temperature, bias).fit()


class _GaussianPosterior(ClassifierMixin, BaseEstimator):
    """The (mis)calibrated Bayes posterior of a ``KnownPosteriorGaussians``."""

    def __init__(self, problem=None, temperature=1.0, bias=None):
        self.problem = problem
        self.temperature = temperature
        self.bias = bias

    def fit(self, X=None, y=None):
        self.classes_ = np.arange(len(self.problem.means))
        self.n_features_in_ = 2
        return self

    def predict_proba(self, X):
        means = self.problem.means
        logits = (
            np.asarray(X) @ means.T
            - 0.5 * (means**2).sum(axis=1)
            + np.log(self.problem.train_priors)
        )
        if self.bias is not None:
            logits = logits + self.bias
        return np.exp(log_softmax(logits / self.temperature, axis=1))
