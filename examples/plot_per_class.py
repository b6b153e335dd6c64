"""
What does adjustment do to each class?
======================================

The balanced error averages the per-class errors; the paper's breakdown groups
the classes by training count into Many (more than 100 examples), Medium (20 to
100) and Few (fewer than 20). :class:`~sklearn_lt.plotting.PerClassErrorDisplay`
draws every class's error over its training count, with the bands shaded, and
:func:`~sklearn_lt.report.error_report` puts the numbers side by side.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sklearn_lt import LogitAdjustedClassifier, error_report
from sklearn_lt.datasets import make_long_tailed
from sklearn_lt.plotting import PerClassErrorDisplay

# Twenty classes, subsampled to an exponential long tail from 300 examples down to 3
# (imbalance ratio 100), tested on a balanced set.
X, y = make_classification(
    n_samples=12_000,
    n_classes=20,
    n_informative=12,
    n_redundant=0,
    n_clusters_per_class=1,
    class_sep=1.2,
    random_state=0,
)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train, y_train = make_long_tailed(
    X_pool, y_pool, imbalance_ratio=100, n_max=300, random_state=0
)

plain = LogisticRegression(max_iter=1000).fit(X_train, y_train)
adjusted = LogitAdjustedClassifier(LogisticRegression(max_iter=1000)).fit(
    X_train, y_train
)

# %%
# The numbers: the band headers say how many classes each band holds
report = error_report(
    {"plain": plain, "adjusted": adjusted},
    X_test,
    y_test,
    class_counts=adjusted.class_counts_,
)
print(report)

# %%
# The picture: both models on one axes, the count bars drawn once
fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
PerClassErrorDisplay.from_estimator(
    plain, X_test, y_test, name="plain", ax=ax, class_counts=adjusted.class_counts_
)
PerClassErrorDisplay.from_estimator(
    adjusted, X_test, y_test, name="logit-adjusted", ax=ax
)
ax.set_title("Per-class test error, imbalance ratio 100 (classes by training count)")
plt.show()
