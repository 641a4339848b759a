"""Dask input, on a real distributed LocalCluster (2 worker processes)."""

import faulthandler
import pickle

import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster

from skmix import TwoGaussianMixturePi, make_mixture

N, CHUNK = 20_000, 3_000
CLUSTER_TIME_LIMIT_S = 300


@pytest.fixture(scope="module")
def client():
    # a bound on the whole module: a hung cluster ends the run (with every
    # thread's traceback) instead of stalling CI; the module takes ~10 s
    faulthandler.dump_traceback_later(CLUSTER_TIME_LIMIT_S, exit=True)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            death_timeout=60,
        ) as cluster,
        Client(cluster, timeout=60) as client,
    ):
        yield client
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def data():
    X, _ = make_mixture(N, means=(0.0, 2.0), sigma=(1.0, 1.5), pi=0.7, random_state=0)
    weight = np.random.default_rng(1).uniform(0.0, 3.0, N)
    weight[::7] = 0.0
    return X, weight


def _est(solver):
    return TwoGaussianMixturePi(means=(0.0, 2.0), sigma=(1.0, 1.5), solver=solver)


@pytest.mark.parametrize("solver", ["em", "newton"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_on_the_cluster_equals_the_in_memory_fit(client, data, solver, weighted):
    X, weight = data
    weight = weight if weighted else None
    dX = da.from_array(X, chunks=(CHUNK, 1))
    dweight = None if weight is None else da.from_array(weight, chunks=CHUNK)
    local = _est(solver).fit(X, sample_weight=weight)
    remote = _est(solver).fit(dX, sample_weight=dweight)
    assert remote.n_iter_ == local.n_iter_ and remote.converged_
    for key in ("pi", "loglik"):
        np.testing.assert_allclose(
            remote.history_[key], local.history_[key], rtol=1e-10
        )
    assert remote.pi_stderr_ == pytest.approx(local.pi_stderr_, rel=1e-9)
    np.testing.assert_allclose(
        remote.confidence_interval(), local.confidence_interval(), rtol=1e-9
    )


def test_numpy_weights_and_float32_with_dask_X(client, data):
    X, weight = data
    dX = da.from_array(X.astype(np.float32), chunks=(CHUNK, 1))
    local = _est("em").fit(X.astype(np.float32), sample_weight=weight)
    remote = _est("em").fit(dX, sample_weight=weight)
    np.testing.assert_allclose(
        remote.history_["loglik"], local.history_["loglik"], rtol=1e-10
    )


def test_predictions_are_lazy_dask_arrays(client, data):
    X, _ = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    est = _est("newton").fit(dX)
    local = _est("newton").fit(X)
    proba = est.predict_proba(dX)
    labels = est.predict(dX)
    log_density = est.score_samples(dX)
    for result in (proba, labels, log_density):
        assert isinstance(result, da.Array)
        assert result.chunks[0] == dX.chunks[0]
    np.testing.assert_allclose(proba.compute(), local.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(labels.compute(), local.predict(X))
    assert labels.dtype == local.predict(X).dtype
    np.testing.assert_allclose(
        log_density.compute(), local.score_samples(X), rtol=1e-12
    )
    assert est.score(dX) == pytest.approx(local.score(X), rel=1e-12)


def test_pickled_dask_fit_keeps_its_results(client, data):
    X, _ = data
    est = _est("em").fit(da.from_array(X, chunks=(CHUNK, 1)))
    stderr, pi = est.pi_stderr_, est.pi_
    clone = pickle.loads(pickle.dumps(est))
    assert (clone.pi_, clone.pi_stderr_) == (pi, stderr)
    np.testing.assert_allclose(clone.predict_proba(X[:5]), est.predict_proba(X[:5]))
    # the summary travels with the estimator: intervals after the cluster
    assert clone.confidence_interval() == est.confidence_interval()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda X: da.from_array(X[:, 0], chunks=CHUNK), "2D"),
        (lambda X: da.from_array(np.hstack([X, X]), chunks=(CHUNK, 1)), "rows only"),
        (lambda X: da.from_array(X.astype(complex), chunks=(CHUNK, 1)), "Complex"),
        (lambda X: da.from_array(X.astype(str), chunks=(CHUNK, 1)), "real numbers"),
        (lambda X: da.from_array(X[:0], chunks=(CHUNK, 1)), "0 sample"),
        (lambda X: da.from_array(np.where(X > 3, np.nan, X), chunks=(CHUNK, 1)), "NaN"),
        (
            lambda X: da.from_array(np.where(X > 3, np.inf, X), chunks=(CHUNK, 1)),
            "infinity",
        ),
    ],
)
def test_bad_dask_X_raises(client, data, make, match):
    X, _ = data
    with pytest.raises(ValueError, match=match):
        _est("em").fit(make(X))


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (lambda n: -np.ones(n), "Negative"),
        (lambda n: np.zeros(n), "non-zero"),
        (lambda n: np.ones(n - 1), "shape"),
        (lambda n: np.full(n, np.nan), "NaN"),
    ],
)
def test_bad_weights_with_dask_X_raise(client, data, weight, match):
    X, _ = data
    with pytest.raises(ValueError, match=match):
        _est("em").fit(da.from_array(X, chunks=(CHUNK, 1)), sample_weight=weight(N))


def test_predict_checks_the_number_of_features(client, data):
    X, _ = data
    est = _est("em").fit(da.from_array(X, chunks=(CHUNK, 1)))
    with pytest.raises(ValueError, match="2 features"):
        est.predict(da.from_array(np.hstack([X, X]), chunks=(CHUNK, 2)))
    with pytest.raises(ValueError, match="NaN"):
        est.predict(da.from_array(np.full((10, 1), np.nan), chunks=5)).compute()


def test_repeated_dask_fits_are_identical(client, data):
    X, weight = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    first = _est("newton").fit(dX, sample_weight=weight)
    second = _est("newton").fit(dX, sample_weight=weight)
    for key in first.history_:
        np.testing.assert_array_equal(first.history_[key], second.history_[key])


def test_predict_log_proba_is_lazy(client, data):
    X, _ = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    est = _est("em").fit(dX)
    result = est.predict_log_proba(dX)
    assert isinstance(result, da.Array) and result.chunks[1] == (2,)
    np.testing.assert_allclose(
        result.compute(), _est("em").fit(X).predict_log_proba(X), rtol=1e-12
    )
