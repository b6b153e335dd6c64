"""Tuning on a Dask cluster: joblib's "dask" backend gives the local results.

One real ``LocalCluster`` (two worker processes) is shared by the module's tests.
"""

import importlib
import os

import joblib
import numpy as np
import pytest
from _data import long_tailed_classification
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import sklearn_lt
from sklearn_lt import LogitAdjustedClassifier, LogitAdjustedClassifierCV
from sklearn_lt.metrics import balanced_error_scorer

distributed = pytest.importorskip(
    "distributed", reason="tuning on a Dask cluster needs the `dask` extra"
)
psutil = pytest.importorskip("psutil")  # a dependency of distributed

# Seconds to wait for the cluster to start, connect or close, so a broken cluster
# fails the tests instead of hanging them.
TIMEOUT = 60

TAUS = np.linspace(0.0, 2.0, 9)
CV = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)


_long_tailed = long_tailed_classification


def _grid_search(scoring=balanced_error_scorer, refit=True, n_jobs=None):
    return GridSearchCV(
        LogitAdjustedClassifier(LogisticRegression()),
        {"tau": TAUS},
        scoring=scoring,
        refit=refit,
        cv=CV,
        n_jobs=n_jobs,
    )


def _pid_scorer():
    """A scorer whose score is the id of the process that computes it."""

    # Defined inside a function so that cloudpickle ships it by value: the worker
    # processes need not be able to import this test module.
    def pid(estimator, X, y):
        return os.getpid()

    return pid


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        # Without a dashboard the scheduler still serves HTTP, on port 8787 unless
        # told otherwise; with another cluster on the machine that port is taken and
        # the fallback warns (an error here). Port 0: any free port, no warning.
        scheduler_kwargs={"dashboard_address": ":0"},
    )
    try:
        client = distributed.Client(cluster, timeout=TIMEOUT)
        try:
            client.wait_for_workers(2, timeout=TIMEOUT)
            workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
            # Every worker must import the same sklearn-lt (doing it now also keeps
            # the first test from paying for the workers' imports).
            versions = client.run(
                lambda: importlib.import_module("sklearn_lt").__version__
            )
            assert set(versions.values()) == {sklearn_lt.__version__}
            yield client
        finally:
            client.close(timeout=TIMEOUT)
    finally:
        cluster.close(timeout=TIMEOUT)
    _, alive = psutil.wait_procs(workers, timeout=TIMEOUT)
    assert not alive, f"worker processes left running after close: {alive}"


def test_worker_processes_are_not_this_process(client):
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2
    assert os.getpid() not in pids


@pytest.mark.parametrize("scatter", [False, True])
def test_grid_search_over_tau_on_dask_equals_the_local_search(client, scatter):
    X, y = _long_tailed()
    local = _grid_search().fit(X, y)
    backend = {"scatter": [X, y]} if scatter else {}
    with joblib.parallel_backend("dask", wait_for_workers_timeout=TIMEOUT, **backend):
        on_dask = _grid_search(n_jobs=-1).fit(X, y)
    assert on_dask.cv_results_["params"] == local.cv_results_["params"]
    # Workers fit with one BLAS thread, which may round the fits differently, but
    # the scores are error rates: the same counts unless a near-tie flips (1/n).
    for key in ("mean_test_score", "std_test_score", "split0_test_score"):
        assert_allclose(on_dask.cv_results_[key], local.cv_results_[key])
    assert_array_equal(
        on_dask.cv_results_["rank_test_score"], local.cv_results_["rank_test_score"]
    )
    assert on_dask.best_params_ == local.best_params_
    assert on_dask.best_score_ == pytest.approx(local.best_score_)
    assert_array_equal(on_dask.predict(X), local.predict(X))


def test_cv_tuner_on_dask_equals_the_local_tuner(client):
    X, y = _long_tailed()
    y = np.array(["head", "second", "middle", "rare", "rarest"])[y]
    local = LogitAdjustedClassifierCV(LogisticRegression(), taus=TAUS, cv=CV)
    local.fit(X, y)
    with joblib.parallel_backend("dask", wait_for_workers_timeout=TIMEOUT):
        on_dask = LogitAdjustedClassifierCV(
            LogisticRegression(), taus=TAUS, cv=CV, n_jobs=2
        ).fit(X, y)
    assert on_dask.best_tau_ == local.best_tau_
    assert on_dask.best_score_ == pytest.approx(local.best_score_)
    assert on_dask.cv_results_.keys() == local.cv_results_.keys()
    # Error rates from the same counts, as above: equal unless a near-tie flips.
    for key, value in local.cv_results_.items():
        assert_allclose(on_dask.cv_results_[key], value, err_msg=key)
    assert_array_equal(on_dask.predict(X), local.predict(X))


def test_grid_search_and_cv_tuner_fit_on_the_cluster_workers(client):
    # The scorer reports the process it runs in: every split must have been scored
    # in a worker process of the cluster, none in this one.
    worker_pids = set(client.run(os.getpid).values())
    X, y = _long_tailed()
    with joblib.parallel_backend("dask", wait_for_workers_timeout=TIMEOUT):
        search = _grid_search(
            scoring={"balanced_error": balanced_error_scorer, "pid": _pid_scorer()},
            refit="balanced_error",
            n_jobs=-1,
        ).fit(X, y)
        tuner = LogitAdjustedClassifierCV(
            LogisticRegression(), taus=TAUS, cv=CV, scoring=_pid_scorer(), n_jobs=2
        ).fit(X, y)
    search_pids = {
        int(pid)
        for k in range(CV.get_n_splits())
        for pid in search.cv_results_[f"split{k}_test_pid"]
    }
    tuner_pids = {
        int(pid)
        for k in range(CV.get_n_splits())
        for pid in tuner.cv_results_[f"split{k}_test_score"]
    }
    assert search_pids and search_pids <= worker_pids
    assert tuner_pids and tuner_pids <= worker_pids
    assert os.getpid() not in search_pids | tuner_pids
