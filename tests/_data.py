"""Long-tailed data shared by several test modules."""

import numpy as np
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
