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
  moments ``mu_k = sum_i s_i T_k(u_i)``, ``k = 0 .. degree`` (8), with ``u_i`` in
  [-1, 1) the sample's position in the bin; ``|T_k| <= 1``, so nothing
  cancels. ``sum_i s_i g(a_i)`` over the bin is then evaluated exactly for the
  degree-``degree`` interpolant of ``g`` at the bin's Chebyshev points: a
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
  the weights on the host and call :func:`skmix._build_numpy.summarize_block`
  ``(t, m, weight)``; or
- compute the same arrays in the block's own namespace and build the
  summary with :meth:`Summary.from_arrays`, from:

  * ``moments``, float64, shape ``(2, n_bins, degree + 1)``: for each sample
    with ``a = |t| < T`` (side ``t < 0``), ``bin, u =
    layout.bin_position(a)`` (:mod:`skmix._layout`)
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

The bins and the degree are those of a :class:`skmix._layout.Layout` (the
default one unless a benchmark passes another to the build); a summary
carries its layout, and only summaries of one layout add.

The builds are :mod:`skmix._build_numpy`, :mod:`skmix._array_api`,
:mod:`skmix._kernels` (numba) and :mod:`skmix._dask`; :mod:`skmix._dispatch`
picks one for X. The module's functions are pure; a :class:`Summary` is
immutable (its arrays are read-only), picklable (about 45 KB), and safe to
share between threads.

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

from ._layout import DEFAULT, N_TAIL, T_MAX, TAIL_MARGIN, Layout


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@dataclass(frozen=True, eq=False)
class Summary:
    """What a fit needs from the data: see the module docstring.

    Build it with :func:`skmix._build_numpy.summarize_block` or
    :meth:`from_arrays`; merge with ``+``. Immutable: its arrays are
    read-only.

    Attributes
    ----------
    moments : ndarray of shape (2, layout.n_bins, layout.degree + 1)
    tail : ndarray of shape (2, N_TAIL + 3)
    weight : float
        Total weight (the number of samples without weights).
    count : int
        Number of samples of positive weight.
    min_weight : float
        Smallest positive weight (``inf`` for an empty summary).
    log_max : tuple of float
        ``sum s m`` as ``(high, low)``, ``high + low`` to twice the precision.
    layout : Layout
        The bins and the degree (:data:`skmix._layout.DEFAULT` unless given).
    """

    moments: np.ndarray
    tail: np.ndarray
    weight: float
    count: int
    min_weight: float
    log_max: tuple = field(default=(0.0, 0.0))
    layout: Layout = field(default=DEFAULT)

    @classmethod
    def from_arrays(
        cls, moments, tail, weight, count, min_weight, log_max, layout=DEFAULT
    ):
        """A summary from its arrays (copied as read-only float64)."""
        moments = np.array(moments, dtype=np.float64)
        tail = np.array(tail, dtype=np.float64)
        shape = (2, layout.n_bins, layout.n_moments)
        if moments.shape != shape or tail.shape != (2, N_TAIL + 3):
            raise ValueError(
                f"moments must have shape {shape} and tail "
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
            layout,
        )

    @classmethod
    def empty(cls, layout=DEFAULT):
        """The summary of no data (the neutral element of ``+``)."""
        return cls.from_arrays(
            np.zeros((2, layout.n_bins, layout.n_moments)),
            np.zeros((2, N_TAIL + 3)),
            0.0,
            0,
            math.inf,
            0,
            layout,
        )

    def __add__(self, other):
        if not isinstance(other, Summary):
            return NotImplemented
        if other.layout != self.layout:
            raise ValueError(
                f"Summaries of different layouts do not add: {self.layout} "
                f"and {other.layout}."
            )
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
            self.layout,
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
                self.layout,
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
            a = self.layout.node_a[used].ravel()
            w = (mom[used] @ self.layout.moments_to_weights).ravel()
            e = np.exp(-a)
            om = -np.expm1(-a)
            for arr in (a, w, e, om):
                arr.flags.writeable = False
            out.append((a, w, e, om))
        return tuple(out)


def merge(*summaries):
    """The summary of the union of the data: the sum of the summaries."""
    total = Summary.empty(summaries[0].layout if summaries else DEFAULT)
    for s in summaries:
        total = total + s
    return total


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
    return A > 0 and (B == 0 or math.log(B) - math.log(A) < T_MAX - TAIL_MARGIN)


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
            # log(A2 / A): log1p where it is small; the ratio itself where
            # the step takes most of A (sign / A rounds below -1 there)
            x = sign / A
            log_ratio = math.log(A2 / A) if x < -0.5 else math.log1p(x)
            total += c * log_ratio + float(_dot(coef, tail[1 : N_TAIL + 1]))
    return total
