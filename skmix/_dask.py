"""Dask arrays: fit in one map-reduce round, predict lazily.

``fit`` is one round over the chunks of rows: each chunk's summary of the
log-odds (:mod:`skmix._summary`) is built where the chunk lives
(:func:`chunk_summary`, one task per chunk, with the in-memory build that
:mod:`skmix._dispatch` passes down), the summaries are added in a tree
of ``TREE_FAN_IN``-way additions, and only their sum (tens of KB) comes to the
client, where the solver and the inference run on it. Nothing per-sample is
persisted on the workers, and the fitted estimator holds no reference to the
cluster: it pickles, and computes ``pi_stderr_`` and its intervals, after the
cluster is gone. The per-chunk formula is the in-memory one; only the mapping
and the reduction are dask's. The prediction methods map a per-sample
function over the chunks, lazily (:func:`map_rows`). dask is imported only
when dask input is given, so it stays an optional dependency.
"""

import math
import numbers

import numpy as np

from ._summary import merge

# Summaries added per task in the tree reduction of a dask fit.
TREE_FAN_IN = 8


def is_dask_array(X):
    """Whether X is a dask array (without importing dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def check_dask_X(X, n_features=None, *, estimator_name):
    """Validate the shape, dtype and chunks of a dask array X, lazily.

    Values (NaN, inf) are checked chunk by chunk when the chunks are computed.
    ``n_features`` (if not None) is the number of features the estimator
    named ``estimator_name`` was fitted on (its class name: the message is
    scikit-learn's). Returns X, cast to float64 if its dtype is integer or
    boolean.
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
            f"X has {X.shape[1]} features, but {estimator_name} is "
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


def chunk_summary(block, weight, means, sigma, build):
    """Validate one chunk of rows and build its summary (on a worker), with
    ``build(block, means, sigma, weight)``."""
    block = np.asarray(block)
    if block.dtype not in (np.float32, np.float64):
        block = block.astype(np.float64)
    if weight is not None:
        # the build's own check of X (see summarize_in_memory) sees only rows
        # of positive weight
        _check_finite(block, "X")
        weight = check_chunk_weight(weight)
    return build(block, means, sigma, weight)


def check_chunk_weight(weight):
    """One chunk's sample weights as float64, finite and >= 0 (on a worker)."""
    weight = np.asarray(weight, dtype=np.float64)
    _check_finite(weight, "sample_weight")
    if (weight < 0).any():
        raise ValueError("Negative values in data passed to sample_weight.")
    return weight


def tree_sum(parts, fan_in=TREE_FAN_IN):
    """Add delayed summaries in a tree of ``fan_in``-way additions."""
    import dask

    while len(parts) > 1:
        parts = [
            dask.delayed(merge)(*parts[i : i + fan_in])
            for i in range(0, len(parts), fan_in)
        ]
    return parts[0]


def summarize(X, means, sigma, sample_weight, build):
    """The summary of a dask array X, in one map-reduce round.

    One task per chunk of rows builds that chunk's summary where the chunk
    lives; the summaries are added in a tree and only their sum comes to the
    client. Nothing is persisted on the workers.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        Checked by :func:`check_dask_X` (chunked along rows only).
    means, sigma : ndarray of shape (2, n_features)
        Validated component parameters.
    sample_weight : dask array of shape (n_samples,) or None
        From :func:`check_dask_sample_weight`.
    build : callable
        ``build(block, means, sigma, weight)``: the summary of one in-memory
        chunk (:func:`skmix._dispatch.summarize_in_memory`).

    Returns
    -------
    summary : Summary
    """
    import dask

    blocks = X.to_delayed().ravel()
    if sample_weight is None:
        weights = [None] * len(blocks)
    else:
        weights = sample_weight.rechunk((X.chunks[0],)).to_delayed().ravel()
    parts = [
        dask.delayed(chunk_summary)(block, weight, means, sigma, build)
        for block, weight in zip(blocks, weights, strict=True)
    ]
    (summary,) = dask.compute(tree_sum(parts))
    return summary


def check_dask_sample_weight(sample_weight, X):
    """A 1-D float64 dask array of weights with X's rows (values: lazily).

    ``sample_weight`` may be a number, a NumPy array (or array-like) or a
    dask array; its length is checked here, on the client, before it is
    chunked like X.
    """
    import dask.array as da

    n_samples = X.shape[0]
    if isinstance(sample_weight, numbers.Number):
        return da.full(n_samples, float(sample_weight), chunks=(X.chunks[0],))
    if not is_dask_array(sample_weight):
        sample_weight = np.asarray(sample_weight)
    if sample_weight.dtype.kind not in "fiub":
        raise ValueError(
            "sample_weight must hold real numbers, got an array of dtype "
            f"{sample_weight.dtype}."
        )
    if sample_weight.ndim != 1:
        raise ValueError(
            "sample_weight must be a 1D array (one weight per sample) or a "
            f"scalar, got an array of shape {sample_weight.shape}."
        )
    if math.isnan(sample_weight.shape[0]):
        raise ValueError(
            "sample_weight is a dask array of unknown length (unknown chunk "
            "sizes); call sample_weight.compute_chunk_sizes() first."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} values, but X has "
            f"{n_samples} samples: give one weight per sample (row) of X."
        )
    if not is_dask_array(sample_weight):
        sample_weight = da.from_array(sample_weight, chunks=(X.chunks[0],))
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
