"""A mergeable summary of the data: everything the fit needs, in one pass.

With both components known, a sample enters the log-likelihood of ``pi`` only
through its log-odds ``t = log f0(x) - log f1(x)``, its larger log-density
``m = log f_side(x)`` (``side`` 0 if ``t >= 0``, else 1) and its weight ``s``::

    loglik(pi) = M + sum_i s_i log d_i(pi),     M = sum_i s_i m_i,
    d_i(pi)    = A + B e_i,   e_i = exp(-|t_i|),
    (A, B)     = (pi, 1 - pi) on side 0, (1 - pi, pi) on side 1.

Every sum the solvers and the inference need (the log-likelihood, the
responsibilities, the score, the observed information, increases of the
log-likelihood between two values of pi) is ``sum_i s_i g(|t_i|)`` per side,
for functions ``g`` that are analytic in ``a = |t|`` with their singularities
at imaginary distance pi (3.14...) from the real axis, whatever pi is. So a
polynomial of low degree represents each of them to rounding on any interval
of ``a`` much narrower than pi, and the :class:`Summary` keeps, per side:

- **bins** of ``a``: geometric bins ``[2**(e-1), 2**e)`` for ``2**-64 <= a <
  1/4`` (``e = -63 .. -2``; smaller ``a`` count at ``2**-64``), where the
  functions vanish like ``a`` and a bin's relative accuracy must hold, then
  uniform bins of width ``1/4`` up to ``T = 64``. In each bin, the Chebyshev
  moments ``mu_k = sum_i s_i T_k(u_i)``, ``k = 0 .. DEGREE``, with ``u_i`` in
  [-1, 1) the sample's position in the bin; ``|T_k| <= 1``, so nothing
  cancels. ``sum_i s_i g(a_i)`` over the bin is then evaluated exactly for the
  degree-``DEGREE`` interpolant of ``g`` at the bin's Chebyshev points: a
  weighted sum of ``g`` at those points (:meth:`Summary.nodes`).
- **the tail** ``a >= T`` (including ``a = inf``, where a density
  underflows): the weight, ``E_j = sum_i s_i exp(-j a_i)`` for ``j = 1 ..
  N_TAIL``, the weight with ``a = inf`` and ``sum_i s_i a_i`` over the finite
  ones. There every function is a power series in ``(B / A) exp(-a)``,
  summed from the ``E_j`` while ``B / A < exp(T - 5)`` (``min(pi, 1 - pi) >
  2e-26``); on the boundary (``A = 0``) exactly from ``sum a``. Between the
  two, the tail is taken as ``E_1**2 / E_2`` samples at ``e = E_2 / E_1`` and
  the rest at ``e = 0`` (an approximation, only for pi within 2e-26 of 0 or
  1 with samples beyond
  ``|t| = 64`` on the side of the vanishing component; exact when those
  samples' ``exp(-|t|)`` take one positive value, e.g. a single outlier).
- the total weight, the number of samples (of positive weight), the smallest
  positive weight, and ``M`` as a compensated (double-double) sum.

Two summaries of disjoint data **merge by addition** (``a + b`` or
:func:`merge`): the arrays add, the counts add, the smallest weight is the
smaller one. The result does not depend on how the data were split, up to the
rounding of those additions.

The layout, for a backend (dask, Array API, ...)
-------------------------------------------------
A backend maps each block of rows to a :class:`Summary` and reduces them by
addition; the solvers only see the reduced summary. For a block, either

- compute ``t``, ``m`` (e.g. with :func:`skmix._densities.sample_terms`) and
  the weights on the host and call :func:`summarize_block` ``(t, m,
  weight)``; or
- compute the same arrays in the block's own namespace and build the
  summary with :meth:`Summary.from_arrays`, from:

  * ``moments``, float64, shape ``(2, N_BINS, DEGREE + 1)``: for each sample
    with ``a = |t| < T`` (side ``t < 0``), ``bin, u = bin_position(a)``
    (a pure function, written with ``frexp``/``floor`` that any namespace
    has), add ``s * T_k(u)`` (``T_0 = 1, T_1 = u, T_{k+1} = 2 u T_k -
    T_{k-1}``) to ``moments[side, bin, k]`` -- a scatter-add / bincount;
  * ``tail``, shape ``(2, N_TAIL + 3)``: per side over ``a >= T``: ``[sum s,
    sum s e, sum s e**2, ..., sum s e**N_TAIL, sum_{a=inf} s, sum_{a<inf} s
    a]`` with ``e = exp(-a)``;
  * ``weight`` (``sum s``), ``count`` (number of samples with ``s > 0``),
    ``min_weight`` (smallest positive ``s``), ``log_max`` (``sum s m``,
    as a float or a ``(high, low)`` pair).

  Samples of weight 0 are left out of everything (also of ``count``).

The module's functions are pure; a :class:`Summary` is immutable (its arrays
are read-only), picklable (about 45 KB), and safe to share between threads.

The evaluation used by the solvers and the inference is :func:`sums` (the
log-likelihood, the responsibilities and the derivatives at one pi) and
:func:`increase` (the change of the log-likelihood between two values of pi,
computed without subtracting two totals).
"""

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from ._densities import sample_terms

#: Width of the uniform bins of ``|t|`` (a power of two: binning is exact).
BIN_WIDTH = 0.25
#: Degree of the per-bin Chebyshev interpolation.
DEGREE = 8
#: ``|t|`` at which the tail starts.
T_MAX = 64.0
#: Terms of the tail series.
N_TAIL = 8
#: Geometric bins [2**(e-1), 2**e) for e = E_MIN .. E_MAX.
E_MIN, E_MAX = -63, -2
N_GEOMETRIC = E_MAX - E_MIN + 1
#: Bins per side: the geometric ones, then uniform ones [k/4, (k+1)/4), k >= 1.
N_BINS = N_GEOMETRIC + int(T_MAX / BIN_WIDTH) - 1
_A_MIN = 2.0**E_MIN / 2  # smaller |t| are counted at this value
# the tail series is used while B / A < exp(T_MAX - _TAIL_MARGIN)
_TAIL_MARGIN = 5.0


def _configure(bin_width=0.25, degree=8):
    """Set the bin width (a power of two, at most 1/4) and the degree.

    For the accuracy study in ``benchmarks/summary_accuracy.py`` only: every
    summary in a process must share one layout. Returns the previous values.
    """
    global BIN_WIDTH, DEGREE, N_BINS, _M, _CHEB_X, _MOMENTS_TO_WEIGHTS, _NODE_A
    previous = BIN_WIDTH, DEGREE
    BIN_WIDTH, DEGREE = float(bin_width), int(degree)
    N_BINS = N_GEOMETRIC + int(T_MAX / BIN_WIDTH) - int(0.25 / BIN_WIDTH)
    _M = DEGREE + 1
    _CHEB_X = np.cos(np.pi * (np.arange(_M) + 0.5) / _M)
    _MOMENTS_TO_WEIGHTS = (
        np.where(np.arange(_M)[:, None] == 0, 1.0, 2.0)
        / _M
        * np.cos(np.arange(_M)[:, None] * np.pi * (np.arange(_M)[None, :] + 0.5) / _M)
    )
    _NODE_A = node_positions()
    return previous


_M = DEGREE + 1
# Chebyshev points of the first kind, and the matrix that turns a bin's
# moments into weights on them: sum_i p(u_i) = sum_j w_j g(x_j) for the
# interpolant p of g at the points x_j, w = moments @ _MOMENTS_TO_WEIGHTS.
_CHEB_X = np.cos(np.pi * (np.arange(_M) + 0.5) / _M)
_MOMENTS_TO_WEIGHTS = (
    np.where(np.arange(_M)[:, None] == 0, 1.0, 2.0)
    / _M
    * np.cos(np.arange(_M)[:, None] * np.pi * (np.arange(_M)[None, :] + 0.5) / _M)
)


def bin_position(a, xp=np):
    """Bin index in ``[0, N_BINS)`` and position ``u`` in [-1, 1] of ``a = |t|``.

    ``a`` must be below ``T_MAX``. Geometric bins for ``a < 1/4`` (values
    below ``2**-64`` are placed at ``2**-64``), uniform bins of width 1/4
    above. ``xp`` is the array namespace (NumPy by default); the arithmetic is
    exact (powers of two).
    """
    small = a < 0.25
    expo, u_geometric = _geometric_position(a, xp)
    b, u_uniform = _uniform_position(a, xp)
    index = xp.where(small, expo - E_MIN, N_GEOMETRIC - round(0.25 / BIN_WIDTH) + b)
    return xp.astype(index, xp.int64), xp.where(small, u_geometric, u_uniform)


def _uniform_position(a, xp=np):
    """``floor(a / BIN_WIDTH)`` and the position in that uniform bin."""
    y = a * (1.0 / BIN_WIDTH)
    b = xp.floor(y)
    if xp is np:  # 2 (y - b) - 1 in place (the NumPy build's inner loop)
        y -= b
        y *= 2.0
        y -= 1.0
        return b, y
    return b, 2.0 * (y - b) - 1.0


def _geometric_position(a, xp=np):
    """The exponent ``e`` of the geometric bin ``[2**(e-1), 2**e)`` of ``a``
    (``a`` below ``2**-64`` counted at ``2**-64``) and the position in it."""
    if xp is np:
        mant, expo = np.frexp(np.maximum(a, _A_MIN))
    else:
        mant, expo = _frexp(a, xp)
    return expo, 4.0 * mant - 3.0


def _frexp(a, xp):
    # frexp for namespaces without it (exact: powers of two)
    # arrays, not Python scalars, as second operands: PyTorch's maximum and
    # pow take tensors only
    a = xp.maximum(a, xp.full_like(a, _A_MIN))
    two = xp.full_like(a, 2.0)
    expo = xp.floor(xp.log2(a)) + 1.0
    mant = a / xp.pow(two, expo)
    # log2 may round across a power of two
    expo = xp.where(mant >= 1.0, expo + 1.0, xp.where(mant < 0.5, expo - 1.0, expo))
    mant = a / xp.pow(two, expo)
    return mant, expo


def node_positions():
    """``a`` at each bin's Chebyshev points: shape ``(N_BINS, DEGREE + 1)``."""
    e = np.arange(E_MIN, E_MAX + 1, dtype=float)
    geometric = np.ldexp((_CHEB_X + 3.0) / 4.0, e[:, None].astype(int))
    first = round(0.25 / BIN_WIDTH)  # the uniform bins start at 1/4
    b = np.arange(first, first + N_BINS - N_GEOMETRIC, dtype=float)
    uniform = (b[:, None] + (_CHEB_X + 1.0) / 2.0) * BIN_WIDTH
    return np.vstack([geometric, uniform])


_NODE_A = node_positions()


def chebyshev_moments(u, weight=None, out=None):
    """``s * T_k(u)`` for k = 0 .. DEGREE: shape ``(DEGREE + 1, len(u))``
    (written into ``out`` if given)."""
    if out is None:
        out = np.empty((_M, len(u)))
    if weight is None:
        out[0] = 1.0
        out[1] = u
    else:
        out[0] = weight
        np.multiply(u, weight, out=out[1])
    _chebyshev_recurrence(u, out[0], out[1], out[2:])
    return out


def _chebyshev_recurrence(u, first, second, out):
    """Rows ``s T_2(u), s T_3(u), ...`` into ``out`` from ``s T_0`` and ``s
    T_1`` (``first``, ``second``: arrays, or 1.0 and ``u`` without weights):
    ``s T_k = 2 u (s T_{k-1}) - s T_{k-2}``, the weight riding along."""
    two_u = u + u
    previous, current = first, second
    for k in range(out.shape[0]):
        np.multiply(two_u, current, out=out[k])
        out[k] -= previous
        previous, current = current, out[k]
    return out


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@dataclass(frozen=True, eq=False)
class Summary:
    """What a fit needs from the data: see the module docstring.

    Build it with :func:`summarize_block` or :meth:`from_arrays`; merge with
    ``+``. Immutable: its arrays are read-only.

    Attributes
    ----------
    moments : ndarray of shape (2, N_BINS, DEGREE + 1)
    tail : ndarray of shape (2, N_TAIL + 3)
    weight : float
        Total weight (the number of samples without weights).
    count : int
        Number of samples of positive weight.
    min_weight : float
        Smallest positive weight (``inf`` for an empty summary).
    log_max : tuple of float
        ``sum s m`` as ``(high, low)``, ``high + low`` to twice the precision.
    """

    moments: np.ndarray
    tail: np.ndarray
    weight: float
    count: int
    min_weight: float
    log_max: tuple = field(default=(0.0, 0.0))

    @classmethod
    def from_arrays(cls, moments, tail, weight, count, min_weight, log_max):
        """A summary from its arrays (copied as read-only float64)."""
        moments = np.array(moments, dtype=np.float64)
        tail = np.array(tail, dtype=np.float64)
        if moments.shape != (2, N_BINS, _M) or tail.shape != (2, N_TAIL + 3):
            raise ValueError(
                f"moments must have shape {(2, N_BINS, _M)} and tail "
                f"{(2, N_TAIL + 3)}, got {moments.shape} and {tail.shape}."
            )
        moments.flags.writeable = False
        tail.flags.writeable = False
        if np.ndim(log_max) == 0:
            log_max = (float(log_max), 0.0)
        return cls(
            moments,
            tail,
            float(weight),
            int(count),
            float(min_weight),
            (float(log_max[0]), float(log_max[1])),
        )

    @classmethod
    def empty(cls):
        """The summary of no data (the neutral element of ``+``)."""
        return cls.from_arrays(
            np.zeros((2, N_BINS, _M)), np.zeros((2, N_TAIL + 3)), 0.0, 0, math.inf, 0
        )

    def __add__(self, other):
        if not isinstance(other, Summary):
            return NotImplemented
        high, low = _two_sum(self.log_max[0], other.log_max[0])
        with np.errstate(invalid="ignore"):  # -inf + -inf
            low = low + self.log_max[1] + other.log_max[1]
        if not math.isfinite(high):
            low = 0.0
        return Summary.from_arrays(
            self.moments + other.moments,
            self.tail + other.tail,
            self.weight + other.weight,
            self.count + other.count,
            min(self.min_weight, other.min_weight),
            (high, low),
        )

    def __reduce__(self):  # pickle the arrays only, not the cached nodes
        return (
            Summary.from_arrays,
            (
                self.moments,
                self.tail,
                self.weight,
                self.count,
                self.min_weight,
                self.log_max,
            ),
        )

    @property
    def total_log_max(self):
        """``M = sum_i s_i m_i``: the part of the log-likelihood free of pi."""
        return self.log_max[0] + self.log_max[1]

    @cached_property
    def nodes(self):
        """Per side: ``(a, weights)`` at the Chebyshev points of occupied bins.

        ``sum_i s_i g(a_i)`` over a side's binned samples is ``weights @
        g(a)``. Computed once, on first use (idempotent, so safe if two
        threads race to it).
        """
        out = []
        for side in range(2):
            mom = self.moments[side]
            used = np.flatnonzero(np.any(mom != 0.0, axis=1))
            a = _NODE_A[used].ravel()
            w = (mom[used] @ _MOMENTS_TO_WEIGHTS).ravel()
            e = np.exp(-a)
            om = -np.expm1(-a)
            for arr in (a, w, e, om):
                arr.flags.writeable = False
            out.append((a, w, e, om))
        return tuple(out)


def merge(*summaries):
    """The summary of the union of the data: the sum of the summaries."""
    total = Summary.empty()
    for s in summaries:
        total = total + s
    return total


def bin_edges():
    """Edges of the bins of ``|t|``: bin ``b`` holds ``edges[b] <= |t| <
    edges[b + 1]``.

    The first bin starts at 0 (smaller ``|t|`` are counted in it), the last
    ends at ``T_MAX``; :func:`bin_position` places every ``|t|`` in the bin
    these edges give (tested). Read from the layout when called.
    """
    h = BIN_WIDTH
    edges = np.concatenate(
        [
            [0.0],
            np.ldexp(1.0, np.arange(E_MIN, E_MAX + 1)),
            h * np.arange(round(0.25 / h) + 1, round(T_MAX / h) + 1),
        ]
    )
    assert edges.shape == (N_BINS + 1,) and edges[-1] == T_MAX
    return edges


def _sorted_positions(a):
    """``u`` of :func:`bin_position` for ascending ``a`` in ``[0, T_MAX)``:
    the geometric bins are a prefix."""
    small = int(np.searchsorted(a, 0.25))
    _, u = _uniform_position(a)
    if small:
        u[:small] = _geometric_position(a[:small])[1]
    return u


class _Accumulator:
    """Mutable sums of a summary under construction (private to one build).

    Each block is sorted by ``t``: a side's bins are then contiguous runs
    (found from the bins' edges by ``searchsorted``), summed by
    ``np.add.reduceat`` (pairwise sums, nothing subtracted), and the tails
    are the two ends of the sorted block.
    """

    def __init__(self):
        self.moments = np.zeros((2, N_BINS, _M))
        self.tail = np.zeros((2, N_TAIL + 3))
        self.weight = 0.0
        self.count = 0
        self.min_weight = math.inf
        self.log_max = []  # per-block sums, added exactly at the end
        self._edges = bin_edges()
        self._buffer = np.empty((0, 0))

    def add(self, t, m, weight=None):
        """Add a block of samples (weight 0 samples are left out).

        Returns the block's ``sum s m`` (0.0 if nothing was added): NaN or
        ``-inf`` where a sample of positive weight has a non-finite ``m``.
        """
        if weight is not None:
            keep = weight > 0
            if not keep.all():
                t, m, weight = t[keep], m[keep], weight[keep]
        n = t.shape[0]
        if n == 0:
            return 0.0
        self.count += n
        with np.errstate(invalid="ignore", over="ignore"):
            if weight is None:
                self.weight += n
                self.min_weight = min(self.min_weight, 1.0)
                part = float(np.sum(m))
                t = np.sort(t)
            else:
                self.weight += float(np.sum(weight))
                self.min_weight = min(self.min_weight, float(weight.min()))
                part = float(np.add.reduce(weight * m))
                order = np.argsort(t)
                t, weight = t[order], weight[order]
        self.log_max.append(part)
        if np.isnan(t[-1]):  # NaN sorts last
            raise ValueError("The log-odds t must not be NaN.")
        # side 0 (t >= 0, -0.0 included) has its tail at t >= T_MAX, side 1
        # (t < 0) at t <= -T_MAX: the two ends of the sorted block
        zero, tail0 = np.searchsorted(t, [0.0, T_MAX], side="left").tolist()
        tail1 = int(np.searchsorted(t, -T_MAX, side="right"))
        sides = (
            (slice(zero, tail0), slice(tail0, n)),
            (slice(tail1, zero), slice(0, tail1)),
        )
        with np.errstate(over="ignore", invalid="ignore"):  # weights ~1e308
            for s, (body, far) in enumerate(sides):
                a = t[body]
                w = None if weight is None else weight[body]
                if s == 1:  # |t| ascending
                    a = np.negative(a[::-1])
                    w = None if w is None else w[::-1]
                self._add_body(self.moments[s], a, w)
                if far.start < far.stop:
                    _add_tail(
                        self.tail[s],
                        np.abs(t[far]),
                        None if weight is None else weight[far],
                    )
        return part

    def _add_body(self, moments, a, weight):
        """Add the moments of ascending ``a`` (all below ``T_MAX``)."""
        if a.shape[0] == 0:
            return
        u = _sorted_positions(a)
        ends = np.searchsorted(a, self._edges)
        used = np.flatnonzero(ends[1:] != ends[:-1])
        if self._buffer.shape[1] < a.shape[0]:
            self._buffer = np.empty((_M, a.shape[0]))
        buffer = self._buffer[:, : a.shape[0]]
        # a run of empty bins between two used ones adds nothing to the
        # reduceat sum of the used bin before it
        starts = ends[used]
        if weight is None:  # T_0 = 1 and T_1 = u need no rows of their own
            moments[used, 0] += ends[used + 1] - starts
            moments[used, 1] += np.add.reduceat(u, starts)
            rows = _chebyshev_recurrence(u, 1.0, u, buffer[: _M - 2])
            moments[used, 2:] += np.add.reduceat(rows, starts, axis=1).T
        else:
            columns = chebyshev_moments(u, weight, out=buffer)
            moments[used] += np.add.reduceat(columns, starts, axis=1).T

    def freeze(self):
        """The :class:`Summary` of everything added."""
        parts = self.log_max
        if all(math.isfinite(p) for p in parts):
            high = math.fsum(parts)
            low = math.fsum([*parts, -high])
        else:
            with np.errstate(invalid="ignore"):
                high, low = float(np.sum(parts)), 0.0
        return Summary.from_arrays(
            self.moments,
            self.tail,
            self.weight,
            self.count,
            self.min_weight,
            (high, low),
        )


def summarize_block(t, m, weight=None):
    """The :class:`Summary` of one block of samples.

    Parameters
    ----------
    t : ndarray of shape (n,)
        Log-odds ``log f0 - log f1`` (may be infinite, not NaN).
    m : ndarray of shape (n,)
        ``log f_side``, the larger log-density (may be ``-inf``).
    weight : ndarray of shape (n,) or None
        Non-negative finite weights; samples of weight 0 are left out.

    Returns
    -------
    summary : Summary
    """
    acc = _Accumulator()
    acc.add(
        np.asarray(t, dtype=np.float64),
        np.asarray(m, dtype=np.float64),
        None if weight is None else np.asarray(weight, dtype=np.float64),
    )
    return acc.freeze()


#: Rows per block when summarising an in-memory X: the block's temporaries
#: (about 20 arrays of this many float64) stay in a core's cache.
BLOCK_SIZE = 32768


def check_finite_block(X):
    """Raise scikit-learn's ValueError if the block X holds NaN or infinity.

    The builds skip the separate finite check of the validation (a pass over
    X): a NaN or an infinity in X makes the block's sum of ``log_max`` NaN
    or ``-inf`` (or its log-odds undefined), and only then is the block
    checked here, which tells such X from far-out finite samples.
    """
    from sklearn.utils import assert_all_finite

    with np.errstate(invalid="ignore", over="ignore"):
        assert_all_finite(X, input_name="X")


def summarize_numpy(X, means, sigma, sample_weight=None, verbose=0):
    """The summary of an in-memory X, block by block (compiled where possible).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        float32 or float64. NaN or infinity in rows of positive weight raise
        scikit-learn's ValueError (see :func:`check_finite_block`); rows of
        weight 0 are not looked at (as in the compiled build), so callers
        with weights check X themselves (the estimator's validation does).
    means, sigma : ndarray of shape (2, n_features)
        Validated components.
    sample_weight : ndarray of shape (n_samples,) or None
        Finite non-negative float64 weights.
    """
    from ._kernels import compiled_summarize

    kernel = compiled_summarize(X.shape[0], verbose=verbose)
    if kernel is not None:
        return kernel(X, means, sigma, sample_weight)
    acc = _Accumulator()
    for start in range(0, X.shape[0], BLOCK_SIZE):
        rows = slice(start, start + BLOCK_SIZE)
        try:
            t, m = sample_terms(X[rows], means, sigma)
        except ValueError:  # undefined log-odds: NaN in X, or far out
            check_finite_block(X[rows])
            raise
        part = acc.add(t, m, None if sample_weight is None else sample_weight[rows])
        if not math.isfinite(part):
            check_finite_block(X[rows])
    return acc.freeze()


def summarize(X, means, sigma, sample_weight=None, namespace=None, verbose=0):
    """The summary of validated X, wherever X lives: the one dispatch point.

    - a dask array: ``skmix._dask.summarize(X, means, sigma, sample_weight)``
      (each chunk summarised on its worker, the summaries added);
    - an Array API array (``namespace = (xp, device)``):
      ``skmix._array_api.summarize(X, means, sigma, sample_weight, xp,
      device)`` (built in X's namespace and on its device; only the summary
      comes to the host);
    - otherwise NumPy: :func:`summarize_numpy`.
    """
    from . import _array_api, _dask

    if _dask.is_dask_array(X):
        return _dask.summarize(X, means, sigma, sample_weight)
    if namespace is not None:
        return _array_api.summarize(X, means, sigma, sample_weight, *namespace)
    return summarize_numpy(X, means, sigma, sample_weight, verbose)


def _add_tail(tail, a, weight):
    """Add one side's tail sums (samples with ``a = |t| >= T_MAX``) into its
    row ``tail``."""
    ws = np.ones(a.shape[0]) if weight is None else weight
    finite = np.isfinite(a)
    e = np.exp(-a)
    tail[0] += ws.sum()
    power = ws.copy()
    for j in range(1, N_TAIL + 1):
        power *= e
        tail[j] += power.sum()
    tail[N_TAIL + 1] += ws[~finite].sum()
    with np.errstate(over="ignore"):  # sum s a beyond float64 is inf
        tail[N_TAIL + 2] += np.add.reduce(ws[finite] * a[finite])


class Sums(NamedTuple):
    """Sums over the samples at one value of pi (weighted)."""

    log_d: float  # sum s log d: the log-likelihood less M
    resp0: float  # sum s r: the weight of component 0's responsibilities
    resp1: float  # sum s (1 - r), computed directly (no 1 - r cancellation)
    grad: float  # d loglik / d pi
    curv: float  # -d2 loglik / d pi2: the observed information


def _side_weights(pi, side):
    return (pi, 1.0 - pi) if side == 0 else (1.0 - pi, pi)


def _series_ok(A, B):
    return A > 0 and (B == 0 or math.log(B) - math.log(A) < T_MAX - _TAIL_MARGIN)


def _dot(a, b):
    # small vectors: a NumPy reduction, no BLAS call
    return np.add.reduce(np.multiply(a, b))


def _tail_side(tail, A, B):
    """(log_d, r_own, r_other, g1, g2) summed over a side's tail."""
    c = tail[0]
    if c == 0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    E = tail[: N_TAIL + 1]  # E[0] = c, E[j] = sum s e**j
    c_inf, sum_a = tail[N_TAIL + 1], tail[N_TAIL + 2]
    c_fin = c - c_inf
    if A == 0.0:  # d = B e: the own component is gone
        with np.errstate(divide="ignore"):
            log_d = c_fin * math.log(B) - sum_a + (-math.inf if c_inf > 0 else 0.0)
        g = math.inf if c_fin > 0 else 0.0
        return log_d, 0.0, c, g, g
    if not _series_ok(A, B):
        # pi within exp(-(T - 5)) of the boundary: the tail as n_eff samples
        # at one e_eff > 0 and the others at e = 0, matching E_1 and E_2
        # (exact when the tail's positive e take one value; see the module
        # docstring)
        n_eff = E[1] * E[1] / E[2] if E[2] > 0 else 0.0
        e_eff = E[2] / E[1] if E[1] > 0 else 0.0
        c0 = max(c - n_eff, 0.0)
        out = [c0 * math.log(A), c0, 0.0, c0 / A, c0 / A / A if c0 else 0.0]
        if n_eff > 0:
            d = A + B * e_eff
            out[0] += n_eff * math.log(d)
            out[1] += n_eff * A / d
            out[2] += n_eff * B * e_eff / d
            g1 = (1.0 - e_eff) / d
            out[3] += n_eff * g1
            out[4] += n_eff * g1 * g1
        return tuple(out)
    q = B / A
    j = np.arange(N_TAIL + 1)
    mq = (-q) ** j  # (-q)**j
    # log d = c log A + sum_{j>=1} (-1)**(j+1) q**j E_j / j
    log_d = c * math.log(A) - float(_dot(mq[1:] / j[1:], E[1:]))
    r_own = float(_dot(mq, E))  # 1 / (1 + q e)
    r_other = -float(_dot(mq[1:], E[1:]))  # q e / (1 + q e)
    # g1 = (1 - e) / (A (1 + q e)); g2 = g1**2
    inv = mq
    g1c = inv.copy()
    g1c[1:] -= inv[:-1]
    g2c = np.convolve(g1c, g1c)[: N_TAIL + 1]
    g1 = float(_dot(g1c, E)) / A
    g2 = float(_dot(g2c, E)) / (A * A)
    return log_d, r_own, r_other, g1, g2


def _node_side(nodes, A, B, derivatives):
    a, w, e, om = nodes
    if w.size == 0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    if A == 0.0 or B == 0.0:  # the boundary: zeros and infinities on purpose
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _node_side_formulas(a, w, e, om, A, B, derivatives)
    return _node_side_formulas(a, w, e, om, A, B, derivatives)


def _node_side_formulas(a, w, e, om, A, B, derivatives):
    d = B * e
    d += A
    # d = 1 - B (1 - e) exactly (A + B = 1 in real arithmetic): log1p keeps
    # the relative accuracy of log d near 0; log d where d is not near 1
    bom = B * om
    log_d = np.log(d)
    np.log1p(-bom, out=log_d, where=bom <= 0.5)
    if A == 0.0:
        log_d = np.log(B) - a
        r_own = np.zeros_like(a)
        r_other = np.ones_like(a)
    else:
        r_own = A / d
        r_other = B * e / d
    out = [float(w @ log_d), float(w @ r_own), float(w @ r_other), 0.0, 0.0]
    if derivatives:
        g1 = om / d
        out[3] = float(w @ g1)
        out[4] = float(w @ (g1 * g1))
    return tuple(out)


def sums(summary, pi, derivatives=False):
    """The sums at ``pi`` in [0, 1]: log-likelihood less ``M``, responsibilities,
    and (with ``derivatives``) the score and the observed information.

    Returns
    -------
    sums : Sums
    """
    parts = []
    for side in range(2):
        A, B = _side_weights(pi, side)
        node = _node_side(summary.nodes[side], A, B, derivatives)
        tail = _tail_side(summary.tail[side], A, B)
        if not derivatives:
            tail = (*tail[:3], 0.0, 0.0)
        parts.append([x + y for x, y in zip(node, tail, strict=True)])
    (l0, own0, oth0, g0, c0), (l1, own1, oth1, g1, c1) = parts
    with np.errstate(invalid="ignore"):
        return Sums(
            log_d=l0 + l1,
            resp0=own0 + oth1,
            resp1=oth0 + own1,
            grad=g0 - g1,
            curv=c0 + c1,
        )


def increase(summary, pi_old, pi_new):
    """``loglik(pi_new) - loglik(pi_old)``, without subtracting two totals.

    Per sample, ``log(d_new / d_old) = log1p(+-delta (1 - e) / d_old)`` with
    ``delta = pi_new - pi_old`` (``+`` on side 0): small increases stay exact
    whatever the size of the log-likelihood. Falls back to the difference of
    :func:`sums` where a ``d`` vanishes (pi on the boundary).
    """
    if pi_new == pi_old:
        return 0.0
    delta = pi_new - pi_old
    total = 0.0
    for side in range(2):
        A, B = _side_weights(pi_old, side)
        A2, B2 = _side_weights(pi_new, side)
        if min(A, A2) <= 0.0 or not (_series_ok(A, B) and _series_ok(A2, B2)):
            new = sums(summary, pi_new)
            old = sums(summary, pi_old)
            with np.errstate(invalid="ignore"):
                return new.log_d - old.log_d
        # d_new - d_old = +-delta (1 - e): delta = pi_new - pi_old, exact
        # in real arithmetic (no rounding of 1 - pi enters)
        sign = delta if side == 0 else -delta
        _a, w, e, om = summary.nodes[side]
        if w.size:
            d = A + B * e
            total += float(w @ np.log1p(sign * om / d))
        tail = summary.tail[side]
        c = tail[0]
        if c:
            q, q2 = B / A, B2 / A2
            j = np.arange(1, N_TAIL + 1)
            coef = (-1.0) ** (j + 1) * (q2**j - q**j) / j
            total += c * math.log1p(sign / A) + float(_dot(coef, tail[1 : N_TAIL + 1]))
    return total
