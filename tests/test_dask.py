"""Dask input, on a real distributed LocalCluster (2 worker processes).

A dask fit is one map-reduce round (a summary per chunk, added in a tree),
so it must equal the in-memory fit to rounding, leave nothing on the workers
and survive its cluster.
"""

import copy
import faulthandler
import math
import pickle
import time

import dask.array as da
import numpy as np
import pytest
from _helpers import assert_same_fit
from dask.utils import key_split
from distributed import Client, LocalCluster, get_task_stream, wait

from skmix import TwoGaussianMixturePi, make_mixture
from skmix._dask import TREE_FAN_IN

N, CHUNK = 20_000, 3_000
CLUSTER_TIME_LIMIT_S = 300
RTOL = 1e-12


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
    rng = np.random.default_rng(1)
    X, _ = make_mixture(N, means=(0.0, 2.0), sigma=(1.0, 1.5), pi=0.7, random_state=0)
    # far-out samples: the tails of the summary are used too
    X[[5, 9_000, 17_000]] = [[60.0], [-1e6], [-35.0]]
    weight = rng.uniform(0.0, 3.0, N)
    weight[::7] = 0.0
    return X, weight


def _est(solver="em", **params):
    return TwoGaussianMixturePi(
        means=(0.0, 2.0), sigma=(1.0, 1.5), solver=solver, **params
    )


@pytest.mark.parametrize("solver", ["em", "newton"])
@pytest.mark.parametrize("weights", [None, "dask", "numpy"])
def test_fit_on_the_cluster_equals_the_in_memory_fit(client, data, solver, weights):
    X, weight = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    if weights is None:
        weight = remote_weight = None
    elif weights == "dask":  # chunked unlike X: aligned by the fit
        remote_weight = da.from_array(weight, chunks=CHUNK // 2 + 1)
    else:
        remote_weight = weight
    local = _est(solver).fit(X, sample_weight=weight)
    remote = _est(solver).fit(dX, sample_weight=remote_weight)
    assert_same_fit(remote, local)


def test_float32_and_uneven_chunks(client, data):
    X, weight = data
    X32 = X.astype(np.float32)
    chunks = ((1, 6_000, 2_999, 11_000), (1,))
    local = _est().fit(X32, sample_weight=weight)
    remote = _est().fit(da.from_array(X32, chunks=chunks), sample_weight=weight)
    assert_same_fit(remote, local)


def test_the_fit_is_one_round_of_one_task_per_chunk(client, data):
    X, _ = data
    dX = da.from_array(X, chunks=(CHUNK, 1)).persist()
    wait(dX)
    n_chunks = dX.numblocks[0]
    with get_task_stream(client) as stream:
        _est("newton").fit(dX)
    prefixes = [key_split(task["key"]) for task in stream.data]
    assert prefixes.count("chunk_summary") == n_chunks
    # the tree: ceil(7 / 8) = 1 addition of the seven chunk summaries
    levels, width = 0, n_chunks
    while width > 1:
        width = math.ceil(width / TREE_FAN_IN)
        levels += width
    assert prefixes.count("merge") == levels
    assert len(prefixes) == n_chunks + levels  # nothing else: one round


def test_nothing_stays_on_the_workers(client, data):
    X, weight = data
    dX = da.from_array(X, chunks=(CHUNK, 1)).persist()
    wait(dX)
    before = set().union(*client.has_what().values())
    est = _est().fit(dX, sample_weight=weight)
    deadline = time.monotonic() + 10
    while (extra := set().union(*client.has_what().values()) - before) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)  # releases reach the workers asynchronously
    assert not extra
    assert len(pickle.dumps(est)) < 100_000


def test_the_fitted_estimator_outlives_its_cluster(data):
    X, weight = data
    local = _est("newton").fit(X, sample_weight=weight)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as own_client,
    ):
        dX = da.from_array(X, chunks=(CHUNK, 1))
        remote = _est("newton").fit(dX, sample_weight=da.from_array(weight, CHUNK))
        assert own_client.status == "running"
    assert own_client.status == "closed"
    # nothing of the fit refers to the closed cluster
    for clone in (pickle.loads(pickle.dumps(remote)), copy.deepcopy(remote), remote):
        assert_same_fit(clone, local)
        np.testing.assert_allclose(
            clone.predict_proba(X[:50]), local.predict_proba(X[:50]), rtol=RTOL
        )


def test_densities_beyond_float64(client, data):
    X, weight = data
    X = np.vstack([X, [[1e300]], [[-1e300]]])
    weight = np.r_[weight, 1.0, 2.0]
    local = _est().fit(X, sample_weight=weight)
    remote = _est().fit(da.from_array(X, chunks=(CHUNK, 1)), sample_weight=weight)
    assert local.loglik_ == remote.loglik_ == -np.inf
    assert_same_fit(remote, local)


def test_predictions_are_lazy_dask_arrays(client, data):
    X, _ = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    est = _est("newton").fit(dX)
    local = _est("newton").fit(X)
    # the fitted components are used, whatever the parameters say now
    est.set_params(means=(5.0, 9.0), sigma=(2.0, 3.0))
    outputs = {
        "predict_proba": est.predict_proba(dX),
        "predict_log_proba": est.predict_log_proba(dX),
        "predict": est.predict(dX),
        "score_samples": est.score_samples(dX),
    }
    for name, result in outputs.items():
        assert isinstance(result, da.Array), name
        assert result.chunks[0] == dX.chunks[0], name
        expected = getattr(local, name)(X)
        assert result.dtype == expected.dtype, name
        np.testing.assert_allclose(result.compute(), expected, rtol=RTOL, atol=0)
    assert est.score(dX) == pytest.approx(local.score(X), rel=RTOL)


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
        _est().fit(make(X))


def _unknown_length(n):
    weight = da.from_array(np.ones(n), chunks=CHUNK)
    return weight[weight > 0]  # chunk sizes unknown until computed


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (lambda n: -np.ones(n), "Negative"),
        (lambda n: np.zeros(n), "non-zero"),
        (lambda n: np.full(n, np.nan), "NaN"),
        (lambda n: np.ones(n - 1), r"sample_weight has 19999 values.*20000 samples"),
        (lambda n: np.ones(n + 5), r"sample_weight has 20005 values.*20000 samples"),
        (
            lambda n: da.from_array(np.ones(n - 1), chunks=CHUNK),
            r"sample_weight has 19999 values.*20000 samples",
        ),
        (lambda n: np.ones((n, 1)), "sample_weight must be a 1D array"),
        (lambda n: np.full(n, "a"), "sample_weight must hold real numbers"),
        (_unknown_length, "sample_weight .*unknown length"),
    ],
)
def test_bad_weights_with_dask_X_raise(client, data, weight, match):
    X, _ = data
    with pytest.raises(ValueError, match=match):
        _est().fit(da.from_array(X, chunks=(CHUNK, 1)), sample_weight=weight(N))


def test_predict_checks_the_number_of_features(client, data):
    X, _ = data
    est = _est().fit(da.from_array(X, chunks=(CHUNK, 1)))
    # scikit-learn's message, naming the estimator
    message = "X has 2 features, but TwoGaussianMixturePi is expecting 1 features"
    with pytest.raises(ValueError, match=message):
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


def test_partial_fit_on_dask_batches_equals_the_whole_fit(client, data):
    # summaries merge by addition: dask batches (one round each) and a NumPy
    # batch give the fit of their concatenation
    X, weight = data
    est = _est("newton")
    for rows, to_dask in ((slice(0, 7_000), True), (slice(7_000, 9_000), False)):
        Xb, wb = X[rows], weight[rows]
        if to_dask:
            Xb, wb = da.from_array(Xb, chunks=(CHUNK, 1)), da.from_array(wb, CHUNK)
        est.partial_fit(Xb, sample_weight=wb)
    est.partial_fit(
        da.from_array(X[9_000:], chunks=(CHUNK, 1)), sample_weight=weight[9_000:]
    )
    assert_same_fit(est, _est("newton").fit(X, sample_weight=weight))


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_local_schedulers_without_a_cluster(data, scheduler):
    # no distributed Client needed: the round runs on dask's local schedulers
    import dask

    X, weight = data
    with dask.config.set(scheduler=scheduler):
        remote = _est().fit(
            da.from_array(X, chunks=(CHUNK, 1)), sample_weight=da.from_array(weight)
        )
    assert_same_fit(remote, _est().fit(X, sample_weight=weight))


def test_scalar_and_list_weights(client, data):
    X, weight = data
    dX = da.from_array(X, chunks=(CHUNK, 1))
    assert_same_fit(_est().fit(dX, sample_weight=3.0), _est().fit(X, sample_weight=3.0))
    assert_same_fit(
        _est().fit(dX, sample_weight=weight.tolist()),
        _est().fit(X, sample_weight=weight),
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("weighted", [False, True])
def test_nan_or_inf_in_a_chunk_raises(client, data, bad, weighted):
    # each chunk's build checks its rows (weighted: also rows of weight 0)
    X, weight = data
    X = X.copy()
    row = 2 * CHUNK + 7
    X[row, 0] = bad
    weight = weight.copy()
    weight[row] = 0.0
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        _est().fit(
            da.from_array(X, chunks=(CHUNK, 1)),
            sample_weight=weight if weighted else None,
        )
