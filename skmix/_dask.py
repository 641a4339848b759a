"""Dask arrays: fit on chunks of rows where they live, predict lazily.

``fit`` computes the per-sample terms of each chunk once, where the chunk is
(:func:`chunk_terms`), and persists them; each pass of the solvers is then one
small graph of one task per chunk, whose results (four floats each) are added
on the client. Nothing of the size of the data is gathered, and the graph of a
pass does not grow with the number of iterations. dask is imported only when
dask input is given, so it stays an optional dependency.
"""

import math
import numbers

import numpy as np


def is_dask_array(X):
    """Whether X is a dask array (without importing dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def check_dask_X(X, n_features=None):
    """Validate the shape, dtype and chunks of a dask array X, lazily.

    Values (NaN, inf) are checked chunk by chunk when the chunks are computed.
    Returns X, cast to float64 if its dtype is integer or boolean.
    """
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D dask array, got {X.ndim}D array instead. Reshape "
            "your data either using X.reshape(-1, 1) if your data has a single "
            "feature or X.reshape(1, -1) if it contains a single sample."
        )
    if any(math.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            "The dask array X has unknown chunk sizes; call "
            "X.compute_chunk_sizes() first."
        )
    if X.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
            "of 1 is required."
        )
    if len(X.chunks[1]) != 1:
        raise ValueError(
            "A dask array X must be chunked along rows only, with all "
            f"{X.shape[1]} features in one chunk; got column chunks "
            f"{X.chunks[1]}. Use X.rechunk({{1: -1}})."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but TwoGaussianMixturePi is "
            f"expecting {n_features} features as input."
        )
    kind = X.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {X.dtype}.")
    if kind not in "fiub":
        raise ValueError(
            f"X must hold real numbers; got a dask array of dtype {X.dtype}."
        )
    return X if kind == "f" else X.astype(np.float64)


def _check_finite(block, name):
    if not np.isfinite(block).all():
        raise ValueError(f"Input {name} contains NaN or infinity.")


def check_dask_sample_weight(sample_weight, X):
    """A 1-D float64 dask array of weights with X's rows (values: lazily)."""
    import dask.array as da

    if isinstance(sample_weight, numbers.Number):
        return da.full(X.shape[0], float(sample_weight), chunks=(X.chunks[0],))
    if not is_dask_array(sample_weight):
        sample_weight = np.asarray(sample_weight)
        if sample_weight.dtype.kind not in "fiub":
            raise ValueError(
                f"sample_weight must hold real numbers, got {sample_weight.dtype}."
            )
        sample_weight = da.from_array(
            sample_weight.astype(np.float64), chunks=(X.chunks[0],)
        )
    if sample_weight.ndim != 1:
        raise ValueError("Sample weights must be 1D array or scalar")
    if sample_weight.shape != (X.shape[0],):
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected {(X.shape[0],)}!"
        )
    return sample_weight.astype(np.float64)


def map_rows(X, function, *args, n_columns=None, dtype=np.float64):
    """``function(block, *args)`` on each chunk of rows, lazily.

    The result has X's row chunks and ``n_columns`` columns, or is 1-D when
    ``n_columns`` is None.
    """

    def apply(block):
        block = np.asarray(block)
        _check_finite(block, "X")
        return function(block, *args)

    if n_columns is None:
        return X.map_blocks(apply, drop_axis=1, dtype=dtype, meta=np.empty(0, dtype))
    return X.map_blocks(
        apply,
        chunks=(X.chunks[0], (n_columns,)),
        dtype=dtype,
        meta=np.empty((0, 0), dtype),
    )
