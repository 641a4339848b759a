"""BLAS threads for a fit: a second thread only where a product can use it.

NumPy's BLAS (OpenBLAS by default) starts one thread per core and splits
each large enough product between them; its idle threads spin while they
wait for the next one. The K-component solvers do their products in row
blocks of about a megabyte (:class:`skmix._problem.DenseProblem`), one or a
few milliseconds each: on an idle machine a second thread gains at most a
few percent on them (one product in a hundred, ``L p``, halves), and on a
loaded one each product waits for a thread the scheduler is running
elsewhere -- a fit then took 16 times as long as with one thread. So the
fit runs its BLAS with one thread; more only for products of at least
:data:`FLOPS_PER_THREAD` each (the information matrix and its
eigendecomposition on hundreds of positive weights), and only on cores that
the load average says are idle.

The limit is process-wide (BLAS has one thread count per library): it is
counted, so that fits running at the same time in several threads share it
-- the lowest count asked for holds until the last of them leaves, which
then restores the count found on entering -- and it never raises a count
that the user has lowered (``threadpoolctl.threadpool_limits``,
``OPENBLAS_NUM_THREADS``). Entering it costs microseconds (the libraries
are found once, on first use).
"""

import math
import os
import threading
from contextlib import contextmanager

# Flops of one BLAS call from which each thread beyond the first pays off.
# Measured (OpenBLAS 0.3.31, 2-core AMD EPYC, another process running): a
# syrk of 1024 x m or a product of 256 x K by K x m gains 1.2-1.9x from a
# second idle core at 4e7-1e9 flops and loses up to 8x once that core is
# busy; below 1e7 flops it never gains.
FLOPS_PER_THREAD = 1e8
# Elements of DenseProblem's row blocks (about a megabyte of float64).
BLOCK_ELEMENTS = 1 << 17

_lock = threading.Lock()
_state = {"libraries": None, "depth": 0, "saved": None, "threads": None}


def idle_cores():
    """``(cores, load)``: the cores this process may run on, and the load.

    ``cores`` from the CPU affinity (``os.sched_getaffinity``, else
    ``os.cpu_count()``); ``load`` the one-minute load average (0 where the
    system has none).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return max(cores, 1), load


def blas_threads(flops, *, cores=None, load=None):
    """BLAS threads for products of ``flops`` floating-point operations each.

    One per :data:`FLOPS_PER_THREAD` of a product, at most one per idle
    core (``cores`` less the ``load`` average, rounded; both read from the
    system when None), and at least one.

    Parameters
    ----------
    flops : float
        Floating-point operations of the largest single BLAS call.
    cores : int, default=None
    load : float, default=None

    Returns
    -------
    threads : int
    """
    if cores is None or load is None:
        found_cores, found_load = idle_cores()
        cores = found_cores if cores is None else cores
        load = found_load if load is None else load
    idle = math.floor(cores - load + 0.5)
    useful = math.floor(flops / FLOPS_PER_THREAD)
    return int(max(1, min(cores, idle, useful)))


def inference_flops(n_support):
    """Flops of the largest BLAS call of the standard errors.

    The information matrix's columns on the ``m = n_support`` positive
    weights, one row block (``BLOCK_ELEMENTS * m``), and their
    eigendecomposition (about ``m^3``).
    """
    m = float(n_support)
    return max(BLOCK_ELEMENTS * m, m**3)


def _blas_libraries():
    """threadpoolctl's controllers of the loaded BLAS libraries (found once)."""
    if _state["libraries"] is None:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController().select(user_api="blas")
        _state["libraries"] = list(controller.lib_controllers)
    return _state["libraries"]


def _set(libraries, threads):
    for lib, n in zip(libraries, threads, strict=True):
        lib.set_num_threads(n)


@contextmanager
def limit_blas_threads(threads):
    """BLAS limited to ``threads`` threads in the block (process-wide).

    Never more than each library had on entering. While several blocks are
    open (fits in several threads), the lowest count asked for holds; the
    last one to leave restores the counts found by the first, also when the
    block raises.
    """
    threads = max(int(threads), 1)
    with _lock:
        libraries = _blas_libraries()
        if _state["depth"] == 0:
            _state["saved"] = [lib.num_threads for lib in libraries]
            _state["threads"] = None
        current = _state["threads"]
        if current is None or threads < current:
            _set(libraries, [min(threads, n) for n in _state["saved"]])
            _state["threads"] = threads
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _set(libraries, _state["saved"])
                _state["saved"] = _state["threads"] = None


def fit_blas_threads(problem, support=None):
    """The BLAS limit of one step of a K-component fit.

    ``support`` None: the solver, one thread (its products are per row
    block). Otherwise the standard errors on the weights ``support``:
    :func:`blas_threads` of :func:`inference_flops`, for a problem in memory
    (one that has ``L``); dask and Array API problems, whose chunks are
    computed in parallel already, keep one thread.

    Returns
    -------
    context : context manager
    """
    if support is None or getattr(problem, "L", None) is None:
        return limit_blas_threads(1)
    return limit_blas_threads(blas_threads(inference_flops(len(support))))
