"""BLAS threads during a K-component fit (skmix/_threads.py)."""

import contextlib

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skmix import KnownComponentsMixture, _threads
from skmix._problem import DenseProblem
from skmix._threads import (
    blas_threads,
    fit_blas_threads,
    inference_flops,
    limit_blas_threads,
)

OUTER = 3  # a count set by the user, different from 1 and from the default


def numpy_blas_threads():
    """NumPy's BLAS thread counts, read by threadpoolctl (not by skmix)."""
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    own = [i for i in blas if "numpy" in i["filepath"]] or blas
    return {i["num_threads"] for i in own}


def log_density(n=3000, K=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, n)
    scales = np.geomspace(0.5, 8, K)
    return -0.5 * (x[:, None] / scales) ** 2 - np.log(scales)


@pytest.fixture
def spy(monkeypatch):
    """Records NumPy's BLAS threads at each call of some problem methods."""
    seen = {}

    def wrap(name):
        method = getattr(DenseProblem, name)

        def spied(self, *args, **kwargs):
            seen.setdefault(name, set()).update(numpy_blas_threads())
            return method(self, *args, **kwargs)

        monkeypatch.setattr(DenseProblem, name, spied)

    for name in ("start", "em_step", "hessian", "propose", "information"):
        wrap(name)
    return seen


@pytest.mark.parametrize("solver", ["sqp", "em"])
def test_fit_runs_its_blas_with_one_thread_and_restores(spy, solver):
    A = log_density()
    with threadpool_limits(OUTER, user_api="blas"):
        assert numpy_blas_threads() == {OUTER}
        KnownComponentsMixture("precomputed", solver=solver).fit(A)
        assert numpy_blas_threads() == {OUTER}
    expected = ["start", "em_step", "information"]
    expected += ["hessian", "propose"] if solver == "sqp" else []
    for name in expected:
        assert spy[name] == {1}, name


def test_restored_after_an_exception(monkeypatch):
    def boom(self, *args):
        assert numpy_blas_threads() == {1}
        raise RuntimeError("boom")

    monkeypatch.setattr(DenseProblem, "hessian", boom)
    with threadpool_limits(OUTER, user_api="blas"):
        with pytest.raises(RuntimeError, match="boom"):
            KnownComponentsMixture("precomputed").fit(log_density())
        assert numpy_blas_threads() == {OUTER}
        with pytest.raises(RuntimeError, match="boom"), limit_blas_threads(1):
            raise RuntimeError("boom")
        assert numpy_blas_threads() == {OUTER}


def test_large_information_gets_the_idle_cores(spy, monkeypatch):
    # every product "large" and 8 idle cores: the standard errors run with
    # as many threads as the user allows (OUTER), the solver with one
    monkeypatch.setattr(_threads, "FLOPS_PER_THREAD", 1.0)
    monkeypatch.setattr(_threads, "idle_cores", lambda: (8, 0.0))
    with threadpool_limits(OUTER, user_api="blas"):
        KnownComponentsMixture("precomputed").fit(log_density())
        assert numpy_blas_threads() == {OUTER}
    assert spy["information"] == {OUTER}
    assert spy["hessian"] == {1} and spy["start"] == {1}


def test_chunked_problems_keep_one_thread(monkeypatch):
    monkeypatch.setattr(_threads, "idle_cores", lambda: (8, 0.0))
    monkeypatch.setattr(_threads, "FLOPS_PER_THREAD", 1.0)

    class Chunked:  # no L in memory: dask or Array API
        pass

    with threadpool_limits(OUTER, user_api="blas"):
        with fit_blas_threads(Chunked(), np.arange(500)):
            assert numpy_blas_threads() == {1}
        with fit_blas_threads(DenseProblem(log_density(50, 3)), np.arange(500)):
            assert numpy_blas_threads() == {OUTER}


@pytest.mark.parametrize(
    "flops, cores, load, expected",
    [
        (1e3, 16, 0.0, 1),  # tiny: one thread even on an idle machine
        (9.9e7, 16, 0.0, 1),  # just below one thread's worth
        (2.5e8, 16, 0.0, 2),  # two threads' worth
        (1e12, 16, 0.0, 16),  # huge: every core
        (1e12, 16, 12.0, 4),  # huge, 12 of 16 cores busy: the 4 idle ones
        (1e12, 16, 12.6, 3),  # (3.4 idle cores round to 3)
        (1e12, 2, 1.6, 1),  # huge, 2 cores, one and a half busy
        (1e12, 2, 3.6, 1),  # overloaded: never less than one
        (1e12, 2, 0.2, 2),
    ],
)
def test_thread_count(flops, cores, load, expected):
    assert blas_threads(flops, cores=cores, load=load) == expected


def test_inference_flops():
    # a row block (2**17 elements) by m columns, or m^3 for the eigenvalues
    assert inference_flops(10) == 10 * 2**17
    assert inference_flops(1000) == 1e9
    # the standard errors of 2000 positive weights on 16 idle cores
    assert blas_threads(inference_flops(2000), cores=16, load=0.0) == 16
    assert blas_threads(inference_flops(30), cores=16, load=0.0) == 1


def test_never_raises_a_lower_user_limit():
    with threadpool_limits(1, user_api="blas"):
        with limit_blas_threads(OUTER):
            assert numpy_blas_threads() == {1}
        assert numpy_blas_threads() == {1}


def test_overlapping_limits_share_the_lowest_and_restore_once():
    # two fits in two threads: entered A, B; left A, B (not nested)
    with threadpool_limits(OUTER, user_api="blas"):
        a, b = limit_blas_threads(2), limit_blas_threads(1)
        a.__enter__()
        assert numpy_blas_threads() == {2}
        b.__enter__()
        assert numpy_blas_threads() == {1}
        a.__exit__(None, None, None)
        assert numpy_blas_threads() == {1}  # B still running
        b.__exit__(None, None, None)
        assert numpy_blas_threads() == {OUTER}
        with contextlib.ExitStack() as stack:
            stack.enter_context(limit_blas_threads(1))
            stack.enter_context(limit_blas_threads(2))  # asks more: keeps 1
            assert numpy_blas_threads() == {1}
        assert numpy_blas_threads() == {OUTER}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["sqp", "em"])
def test_same_bits_as_a_fit_without_the_limit(monkeypatch, solver):
    A = log_density(4000, 30, seed=2)
    s = np.random.default_rng(1).uniform(0.5, 2.0, A.shape[0])
    est = KnownComponentsMixture("precomputed", solver=solver, max_iter=200)
    limited = est.fit(A, sample_weight=s)
    w, hist, se = limited.weights_, limited.history_, limited.weights_stderr_
    monkeypatch.setattr(
        "skmix._base.fit_blas_threads", lambda *a: contextlib.nullcontext()
    )
    free = KnownComponentsMixture("precomputed", solver=solver, max_iter=200)
    free.fit(A, sample_weight=s)
    np.testing.assert_array_equal(free.weights_, w)
    np.testing.assert_array_equal(free.weights_stderr_, se)
    assert free.history_.keys() == hist.keys()
    for key in hist:
        np.testing.assert_array_equal(free.history_[key], hist[key])
