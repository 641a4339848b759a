"""Dask and Array API input for KnownComponentsMixture: map and reduce.

The solvers of :mod:`skmix._solve` talk to a *problem*
(:class:`skmix._problem.Problem`) through a few reductions over the
samples. :class:`ChunkedProblem` provides them for data held elsewhere:
row chunks of a dask array, persisted on their workers, or
one array of an Array API namespace (PyTorch, CuPy, array-api-strict) on its
device. Each reduction runs the same per-block function (:func:`_block_sums`,
the formulas of :mod:`skmix._simplex_blocks`, which NumPy's
:class:`~skmix._problem.DenseProblem` maps too) on every block and adds the
results on the host: ``K`` or ``K + 1`` numbers per block for EM and a
line-search step (each also returns the gradient at its new point, so an EM
iteration is one reduction), ``|W|^2`` for a Hessian on a working set.
Nothing of the size of the data comes back.
"""

import math

import numpy as np

from . import _simplex_blocks as blocks
from ._compat import _convert_to_numpy
from ._dask import check_chunk_weight
from ._problem import SimplexProblem


def _to_numpy(a, xp):
    return np.asarray(_convert_to_numpy(a, xp), dtype=np.float64)


# -- per-block computations (NumPy or any Array API namespace) -----------------


def _prepare(xp, A, s, offset):
    """Check a block of log-densities; return ``(L, s, sum s * rowmax)``.

    ``L = exp(A - rowmax)``; rows of weight 0 are replaced by ones, so that
    ``L x > 0`` there and their (zero-weighted) terms are finite.
    """
    bad = xp.isnan(A) | (xp.isinf(A) & (A > 0))
    if bool(xp.any(bad)):
        rows = xp.any(bad, axis=1)
        i = int(_to_numpy(xp.argmax(xp.astype(rows, xp.int32)), xp)) + offset
        raise ValueError(
            f"X (precomputed log-densities): sample {i} has a log-density that is "
            "NaN or +inf; log-densities must be finite or -inf, not NaN or +inf."
        )
    m = xp.max(A, axis=1)
    dead = m == -xp.inf
    if bool(xp.any(dead)):
        i = int(_to_numpy(xp.argmax(xp.astype(dead, xp.int32)), xp)) + offset
        raise ValueError(
            f"X (precomputed log-densities): sample {i} has density 0 (log-density "
            "-inf) under every component; every sample needs a positive density "
            "under at least one component."
        )
    L = xp.exp(A - m[:, None])
    if s is None:
        s = xp.ones_like(m)
    L = xp.where((s > 0)[:, None], L, xp.ones_like(L))
    const = blocks.wsum(xp, s, m)
    return L, s, const


def _block_sums(xp, L, s, what, args):
    """One block's share of a reduction; see :class:`ChunkedProblem`.

    ``u = L x`` is computed here, at the point ``x`` passed (no per-sample
    state is kept between reductions), then the formulas of
    :mod:`skmix._simplex_blocks` are applied to the block.
    """
    x = args[0]
    u = L @ x
    if what == "start":
        return [blocks.loglik(xp, s, u), blocks.gradient(L, s, u)]
    if what == "step":  # from x along p by a: the gain, the new gradient
        _, p, a = args
        v = L @ p
        return [blocks.gain(xp, s, u, v, a), blocks.gradient(L, s, u + a * v)]
    if what == "hessian":
        cols = args[1]
        return [blocks.hessian(xp, L, xp.sqrt(s), u, cols)]
    if what == "information":
        support = args[1]
        return list(blocks.information(xp, L, xp.sqrt(s), u, support))
    raise ValueError(what)


class ChunkedProblem(SimplexProblem):
    """The reductions of :class:`skmix._problem.DenseProblem` by map/reduce.

    The blocks (per-block ``(L, s)`` of :func:`_prepare`, in memory, on a
    device or on workers) are held by ``run``, not by the problem.

    Parameters
    ----------
    run : callable
        ``run(what, args)`` returns the host-side sum over the blocks of
        :func:`_block_sums` (a list of NumPy arrays).
    n : int
        Number of samples.
    K : int
        Number of components.
    total : float
        Sum of the sample weights.
    const : float
        ``sum_i s_i max_k log f_ik``, the constant part of the log-likelihood.
    min_weight : float, default=1.0
        The smallest positive sample weight.
    """

    def __init__(self, run, n, K, total, const, min_weight=1.0):
        self._run = run
        self.n, self.K = n, K
        self.total, self.const = total, const
        self.min_weight = min_weight
        self.x = self.p = self._g = None

    def start(self, x):
        self.x = np.array(x, dtype=float)
        log_d, g = self._run("start", (self.x,))
        self._g = g / self.total
        return float(log_d)

    def gradient(self):
        return self._g

    def try_point(self, x, min_ratio):
        return None  # (no per-sample state here: never prune)

    def hessian(self, cols):
        (H,) = self._run("hessian", (self.x, np.asarray(cols)))
        return H / self.total

    def propose(self, p):
        self.p = np.array(p, dtype=float)

    def gain(self, a):
        gain, g = self._run("step", (self.x, self.p, float(a)))
        self._step = (a, g / self.total)
        return float(gain)

    def accept(self, a):
        if self._step[0] != a:  # the gradient of another step: recompute
            self.gain(a)
        self.x = self.x + a * self.p
        self._g = self._step[1]

    def em_step(self, w_old, w_new):
        self.x = np.array(w_old, dtype=float)
        self.propose(np.asarray(w_new, float) - self.x)
        gain = self.gain(1.0)
        self.x = np.array(w_new, dtype=float)
        self._g = self._step[1]
        return gain

    def information(self, support):
        H_cols, diag = self._run("information", (self.x, np.asarray(support)))
        return H_cols, diag


# -- Array API: one block, in its namespace and on its device --------------------


def array_api_problem(A, sample_weight, xp, device):
    """A :class:`ChunkedProblem` on one Array API array (n, K)."""
    dtype = A.dtype
    s = None
    if sample_weight is not None:
        s = xp.asarray(sample_weight, dtype=dtype, device=device)
    L, s, const = _prepare(xp, A, s, 0)
    total = float(_to_numpy(xp.sum(s), xp))
    s_host = _to_numpy(s, xp)
    min_weight = float(s_host[s_host > 0].min()) if sample_weight is not None else 1.0

    def run(what, args):
        conv = [
            xp.asarray(
                a, dtype=xp.int64 if a.dtype.kind == "i" else dtype, device=device
            )
            if isinstance(a, np.ndarray)
            else a
            for a in args
        ]
        return [_to_numpy(r, xp) for r in _block_sums(xp, L, s, what, conv)]

    return ChunkedProblem(
        run, A.shape[0], A.shape[1], total, float(_to_numpy(const, xp)), min_weight
    )


# -- dask: row chunks persisted where they live ----------------------------------


def _prepare_chunk(A, s, offset):
    A = np.asarray(A, dtype=np.float64)
    s = None if s is None else check_chunk_weight(s)
    with np.errstate(invalid="ignore", over="ignore"):
        L, s, const = _prepare(np, A, s, offset)
    positive = s[s > 0]
    smallest = float(positive.min()) if positive.size else np.inf
    return np.ascontiguousarray(L), s, float(const), float(s.sum()), smallest


def _chunk_sums(chunk, what, args):
    L, s = chunk[0], chunk[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return _block_sums(np, L, s, what, args)


def dask_problem(A, sample_weight):
    """A :class:`ChunkedProblem` on a dask array (n, K) chunked by rows.

    The scaled chunks are computed once, where they are, and persisted; each
    reduction is then one task per chunk.
    """
    import dask
    from dask import delayed

    A = A.rechunk({1: -1})
    blocks = A.to_delayed().ravel()
    if sample_weight is not None:
        sample_weight = sample_weight.rechunk((A.chunks[0],))
        weights = sample_weight.to_delayed().ravel()
    else:
        weights = [None] * len(blocks)
    offsets = np.r_[0, np.cumsum(A.chunks[0])[:-1]]
    prepared = [
        delayed(_prepare_chunk)(b, w, int(o))
        for b, w, o in zip(blocks, weights, offsets, strict=True)
    ]
    prepared = dask.persist(*prepared)
    meta = dask.compute(*[delayed(lambda c: c[2:])(c) for c in prepared])
    const = math.fsum(m[0] for m in meta)
    total = math.fsum(m[1] for m in meta)
    min_weight = 1.0 if sample_weight is None else min(m[2] for m in meta)

    def run(what, args):
        parts = dask.compute(*[delayed(_chunk_sums)(c, what, args) for c in prepared])
        return [np.sum([p[j] for p in parts], axis=0) for j in range(len(parts[0]))]

    return ChunkedProblem(run, A.shape[0], A.shape[1], total, const, min_weight)
