"""Which build summarises X: dask, Array API, compiled (numba) or NumPy.

The one place where a summary build is chosen (:func:`summarize`):

- a dask array: :func:`skmix._dask.summarize`, each chunk summarised on its
  worker by :func:`summarize_in_memory`, the summaries added;
- an Array API array (``namespace = (xp, device)``):
  :func:`skmix._array_api.summarize`, built in X's namespace and on its
  device (only the summary comes to the host);
- otherwise NumPy, :func:`summarize_in_memory`: the compiled kernel of
  :mod:`skmix._kernels` when numba is installed, not turned off (environment
  variable ``SKMIX_NUMBA=0``, or :func:`numpy_build_only`) and X has at
  least ``COMPILED_MIN_ROWS`` rows; else the NumPy build of
  :mod:`skmix._build_numpy`.
"""

import contextlib
import os

from . import _array_api, _dask, _kernels
from ._build_numpy import summarize_numpy

# Below this many rows, the NumPy build is used: importing numba and calling a
# compiled function is not worth it there.
COMPILED_MIN_ROWS = 20_000

_state = {"enabled": True}


def compiled_build(n_samples, verbose=0):
    """The compiled summary build, or None (numba missing, turned off, or
    fewer than ``COMPILED_MIN_ROWS`` rows).

    It is called as ``kernel(X, means, sigma, sample_weight)`` with validated
    NumPy inputs and returns a :class:`skmix._summary.Summary`.
    """
    if not _state["enabled"] or os.environ.get("SKMIX_NUMBA", "1") == "0":
        return None
    if n_samples < COMPILED_MIN_ROWS:
        return None
    return _kernels.load(verbose)


@contextlib.contextmanager
def numpy_build_only():
    """Within the block, use the NumPy build even if numba is installed."""
    previous = _state["enabled"]
    _state["enabled"] = False
    try:
        yield
    finally:
        _state["enabled"] = previous


def summarize_in_memory(X, means, sigma, sample_weight=None, verbose=0):
    """The summary of an in-memory NumPy X: compiled where possible.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        float32 or float64. NaN or infinity in rows of positive weight raise
        scikit-learn's ValueError; rows of weight 0 are not looked at, so
        callers with weights check X themselves (the estimator's validation
        does).
    means, sigma : ndarray of shape (2, n_features)
        Validated components.
    sample_weight : ndarray of shape (n_samples,) or None
        Finite non-negative float64 weights.
    verbose : int, default=0
        Print when the compiled kernel is loaded.
    """
    kernel = compiled_build(X.shape[0], verbose=verbose)
    if kernel is not None:
        return kernel(X, means, sigma, sample_weight)
    return summarize_numpy(X, means, sigma, sample_weight)


def summarize(X, means, sigma, sample_weight=None, namespace=None, verbose=0):
    """The summary of validated X, wherever X lives (see the module docstring)."""
    if _dask.is_dask_array(X):
        return _dask.summarize(X, means, sigma, sample_weight, summarize_in_memory)
    if namespace is not None:
        return _array_api.summarize(X, means, sigma, sample_weight, *namespace)
    return summarize_in_memory(X, means, sigma, sample_weight, verbose)
