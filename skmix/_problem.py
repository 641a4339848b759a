"""The problem the solvers see: a protocol, and the K-component matrix in memory.

Components are known, so the data enter the fit only through a *problem*:
an object that, at given weights, returns the log-likelihood, its gradient,
its curvature and line-search gains, each a reduction over row blocks. The
solvers of :mod:`skmix._solve` are written once against the protocols
below (:class:`EMProblem` for EM, :class:`Problem` for SQP,
:class:`OneParameterProblem` for Newton); the inference of
:mod:`skmix._inference` uses their ``information``. The problems:

- :class:`DenseProblem` (here): the (n, K) log-density matrix in memory;
- :class:`skmix._known_backends.ChunkedProblem`: the same matrix in dask
  chunks or one Array API array on its device (map and reduce);
- :class:`skmix._problem_summary.SummaryProblem`: two components, on the
  one-pass summary of the log-odds (:mod:`skmix._summary`).

The K-component log-likelihood: given ``log f_k(x_i)`` (n, K) and sample
weights ``s_i``, maximise ``loglik(w) = sum_i s_i log(sum_k w_k f_k(x_i))``
over the simplex ``w >= 0, sum_k w_k = 1``. It is concave. Each row is
scaled by its largest entry, ``L_ik = f_ik / max_k f_ik`` in [0, 1], which
changes no weight: ``loglik(w) = const + sum_i s_i log (L w)_i`` with
``const = sum_i s_i max_k log f_ik``. Every per-block formula is in
:mod:`skmix._simplex_blocks`.

A new problem (say the empirical-Bayes likelihood of ``(x_i, s_i)`` on a
grid of priors, built block by block) subclasses :class:`SimplexProblem`
and implements the reductions; ``fit_em`` and ``fit_sqp`` then run on it
unchanged.
"""

import math
from typing import Protocol, runtime_checkable

import numpy as np

from . import _simplex_blocks as blocks


def kkt_gap(weights, g):
    """Distance from the KKT conditions of the maximum on the simplex.

    ``max(max_k (g_k - 1), max_{w_k > 0} |g_k - 1|)`` with ``g`` the
    normalised gradient ``g_k = sum_i s_i L_ik / (L w)_i / sum_i s_i``; 0 at
    the maximum (the problem is concave, so a point with gap 0 is the
    maximum).

    Parameters
    ----------
    weights : ndarray of shape (K,)
        A point on the simplex.
    g : ndarray of shape (K,)
        The normalised gradient there.

    Returns
    -------
    gap : float
        The gap, >= 0.
    """
    dev = np.asarray(g, dtype=float) - 1.0
    gap = float(dev.max())
    support = np.asarray(weights) > 0
    if support.any():
        gap = max(gap, float(np.abs(dev[support]).max()))
    return gap


@runtime_checkable
class EMProblem(Protocol):
    """What :func:`skmix._solve.fit_em` needs: the part every problem has.

    The point ``x`` is the vector of the K weights, or for a one-parameter
    problem (:class:`OneParameterProblem`) the float ``pi``, the weight of
    component 0. Log-likelihoods are returned as ``log_d``, the total less
    ``const``; gains are computed sample by sample, never as a difference of
    two totals. A problem holds the scratch state of one fit (the current
    point and what depends on it): it is made per fit and never shared
    between threads. A problem may count its evaluations in
    ``n_evaluations`` (reported in the solver's result).

    Attributes
    ----------
    K : int
        Number of components.
    const : float
        The constant part of the log-likelihood (total = ``const + log_d``).
    total : float
        Sum of the sample weights, ``S``.
    min_weight : float
        Smallest positive sample weight (1 without weights): the unit of the
        EM stopping rule (:func:`skmix._stopping.meets_tol`).
    """

    K: int
    const: float
    total: float
    min_weight: float

    def initial(self, x):
        """:meth:`start` at a solver's first point; ValueError if ``x`` is
        no valid start (a sample of density 0)."""

    def start(self, x):
        """Move to ``x``; return its ``log_d`` (one exact pass)."""

    def m_step(self, x):
        """EM's update from the current point ``x``: the new point."""

    def em_update(self, x, log_d):
        """One EM iteration from the current point ``x`` (``log_d`` there).

        Returns ``(x_new, log_d_new, gain)``; the problem is then at
        ``x_new``.
        """

    def kkt_gap(self, x):
        """The KKT gap at the current point ``x`` (:func:`kkt_gap`; NaN
        where the problem has no gradient on the simplex)."""

    def columns(self, points):
        """The history's columns of the recorded points: ``(leading,
        trailing)`` dicts (see :meth:`skmix._stopping.Path.history`)."""

    def show(self, x):
        """The text of a point in a printed row of the path."""


@runtime_checkable
class Problem(EMProblem, Protocol):
    """What :func:`skmix._solve.fit_sqp` (and the K-weight inference) need.

    The K-component problems (:class:`DenseProblem`,
    :class:`~skmix._known_backends.ChunkedProblem`): :class:`EMProblem` and
    the reductions of the SQP method, at the current point ``x`` with ``u =
    L x``.
    """

    def gradient(self):
        """``g_k = sum_i s_i L_ik / (L x)_i / S`` at the current point."""

    def hessian(self, cols):
        """``sum_i s_i L_iW L_iW^T / (L x)_i^2 / S`` on the columns ``W``."""

    def propose(self, p):
        """Prepare a line search along ``p`` from the current point."""

    def gain(self, a):
        """The change of ``log_d`` from the current point to ``x + a p``."""

    def accept(self, a):
        """Move to ``x + a p`` (after :meth:`gain` for that ``a``)."""

    def em_step(self, w_old, w_new):
        """Move from ``w_old`` (the current point) to ``w_new``; the gain."""

    def try_point(self, x, min_ratio):
        """``log_d`` at ``x`` (moving there), or None (staying) if some
        sample's density falls below ``min_ratio`` times its current one."""

    def information(self, support):
        """The observed information's columns ``support`` and diagonal.

        ``H = sum_i s_i f_i f_i^T / p_i^2`` at the current point (not
        divided by ``S``).
        """


@runtime_checkable
class OneParameterProblem(EMProblem, Protocol):
    """What :func:`skmix._solve.fit_newton` needs: one parameter, ``pi``.

    :class:`~skmix._problem_summary.SummaryProblem` (two components on the
    summary): :class:`EMProblem` and the derivatives in ``pi``.
    """

    derivatives: bool

    def score(self):
        """The derivative of the log-likelihood in ``pi`` at the current
        point (evaluations compute it once ``derivatives`` is True)."""

    def curvature(self):
        """Minus its second derivative (the observed information)."""

    def gain_to(self, pi, new_pi):
        """The increase of the log-likelihood from ``pi`` to ``new_pi``."""

    def at_boundary_maximum(self, pi):
        """Whether ``pi`` (the current point) is 0 or 1 with the score
        pointing outwards: the maximum."""

    def information(self, pi):
        """The observed information at ``pi``."""


class StartDensityZero(ValueError):
    """The starting weights give a sample a mixture density of 0 (in float:
    ``L w`` may underflow where the density is positive)."""


def rescaled_weights(sample_weight):
    """Weights divided by a power of two near their maximum, and its exponent.

    Weights near float64's limit (2e306 each) overflow the sums of the
    solvers (the information, ``sum s f f^T / p^2``) while only their ratios
    matter: above 2**100 they are divided by ``2**e`` (``max s = f 2**e``,
    ``f`` in [0.5, 1)), which is exact and changes no ratio, so the
    maximiser is the same to the last bit. Smaller weights are left as
    they are (a division could make the smallest subnormal).

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._problem import rescaled_weights
    >>> rescaled_weights(np.array([1.0, 3.0]))
    (array([1., 3.]), 0)
    >>> rescaled_weights(np.array([2.0**200, 2.0**199]))
    (array([0.5 , 0.25]), 201)
    """
    e = math.frexp(float(np.max(sample_weight)))[1]
    if e <= 100:
        return sample_weight, 0
    return np.ldexp(sample_weight, -e), e


class SimplexProblem:
    """Base of the K-component problems: EM and the history from the reductions.

    A subclass implements ``start``, ``gradient``, ``hessian``, ``propose``,
    ``gain``, ``accept``, ``em_step``, ``try_point`` and ``information``
    (each a reduction over row blocks) and sets ``K``, ``const``, ``total``
    and ``min_weight``. ``weight_scale``: the sample weights were divided by
    ``2**weight_scale`` (see :func:`rescaled_weights`); the problem's totals
    (log-likelihood, gains, information) are in those units, and the shell
    scales them back.
    """

    weight_scale = 0

    def show(self, w):
        """The text of a point in a printed row of the path: none."""
        return ""

    def initial(self, w):
        """The first pass; ValueError if ``w`` leaves a sample with density 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log_d = self.start(w)
        if not math.isfinite(log_d):
            raise StartDensityZero(
                "The starting weights give some samples a mixture density of 0 "
                "(their only components with a positive density have weight 0); "
                "give those components a positive weight in weights_init."
            )
        return log_d

    def kkt_gap(self, w):
        """:func:`kkt_gap` at ``w``, the current point."""
        return kkt_gap(w, self.gradient())

    def m_step(self, w):
        """EM's update ``w_k <- w_k g_k(w)``, renormalised onto the simplex."""
        w_new = w * self.gradient()
        w_new /= w_new.sum()
        return w_new

    def em_update(self, w, log_d):
        """The M-step and one pass there: ``(w_new, log_d + gain, gain)``."""
        w_new = self.m_step(w)
        gain = self.em_step(w, w_new)
        return w_new, log_d + gain, gain

    def columns(self, points):
        """A column ``weight_k`` per component, after the log-likelihood's."""
        weights = np.array(points)
        return {}, {f"weight_{k}": weights[:, k].copy() for k in range(self.K)}


def scale_rows(log_density, row_max=None):
    """``L = exp(A - max_k A_ik)`` (column-major) and the row maxima, float64.

    ``log_density`` has been checked: no NaN or +inf, no row of -inf only
    (``row_max``, its row maxima, if already known). Column-major, so that
    the columns of a working set are contiguous runs (the gradient and step
    products are as fast either way). Computed in cache-sized row blocks.
    """
    A = np.asarray(log_density)
    m = A.max(axis=1) if row_max is None else row_max
    m = np.asarray(m, dtype=np.float64)
    n, K = A.shape
    L = np.empty((n, K), dtype=np.float64, order="F")
    step = max(256, (1 << 15) // K)
    block = np.empty((step, K))
    for start in range(0, n, step):
        rows = slice(start, start + step)
        b = block[: min(step, n - start)]
        np.subtract(A[rows], m[rows, None], out=b)
        np.exp(b, out=b)
        L[rows] = b
    return L, m


class DenseProblem(SimplexProblem):
    """The scaled likelihood matrix in memory, with the current point cached.

    Parameters
    ----------
    log_density : ndarray of shape (n, K)
        Checked log-densities.
    sample_weight : ndarray of shape (n,) or None
        Non-negative weights with a positive sum; rows of weight 0 are left
        out. None: unit weights. Weights above 2**100 are divided by a power
        of two (:func:`rescaled_weights`, ``weight_scale``).
    row_max : ndarray of shape (n,), default=None
        The row maxima of ``log_density``, if already computed.

    Notes
    -----
    The reductions used by the solvers: ``start(x)`` (``u = L x``, ``sum s
    log u`` and the gradient ``L^T (s / u)``), ``gradient()``,
    ``hessian(cols)``, ``propose(p)`` (``v = L p``), ``gain(a)`` (``sum s
    log1p(a v / u)``: the exact change of ``sum s log(L x)`` along the step,
    with no difference of totals), ``accept(a)`` and ``em_step``; each maps
    the formulas of :mod:`skmix._simplex_blocks` over row blocks. Each pass
    over ``L`` works in row blocks of about a megabyte and does everything
    that the block is needed for while it is in cache: ``start`` and
    ``em_step`` are one pass each (products, logs and the new gradient);
    ``accept`` (the gradient), ``hessian`` (on the working set only, where
    the flops are) and ``propose`` one each. ``u = L x`` and ``v = L p`` are
    kept between calls, so that ``gain`` (each step of a line search) is no
    pass over ``L`` at all. The scratch state belongs to one fit: a problem
    object is made per call and never shared.
    """

    def __init__(self, log_density, sample_weight=None, row_max=None):
        A = log_density
        s = sample_weight
        if s is not None:
            keep = s > 0
            if not keep.all():
                A, s = A[keep], s[keep]
                row_max = None if row_max is None else row_max[keep]
        self.L, m = scale_rows(A, row_max)
        if s is not None:
            s, self.weight_scale = rescaled_weights(np.asarray(s, dtype=np.float64))
        self.s = s
        self.n, self.K = self.L.shape
        self.total = float(self.n if s is None else math.fsum(self.s))
        self.const = float(blocks.wsum(np, self.s, m))
        self.sqrt_s = None if s is None else np.sqrt(self.s)
        # the stopping rule measures gains in units of the lightest sample
        self.min_weight = 1.0 if s is None else float(self.s.min())
        self.rows = max(256, (1 << 17) // self.K)
        self.u = self.v = self._g = None

    def _blocks(self, rows=None):
        """Row slices of ``rows`` rows (default: blocks of about a megabyte)."""
        rows = self.rows if rows is None else rows
        for start in range(0, self.n, rows):
            yield slice(start, start + rows)

    def _weights(self, rows):
        return None if self.s is None else self.s[rows]

    def _sqrt_weights(self, rows):
        return None if self.s is None else self.sqrt_s[rows]

    def _gradient_pass(self):
        """``g = L^T (s / u) / S`` at the cached ``u``, block by block."""
        g = np.zeros(self.K)
        for rows in self._blocks():
            g += blocks.gradient(self.L[rows], self._weights(rows), self.u[rows])
        self._g = g / self.total

    # -- reductions ---------------------------------------------------------
    def start(self, x):
        """Set the point; return ``sum s log(L x)`` (one pass, with gradient)."""
        x = np.asarray(x, dtype=float)
        self.u = np.empty(self.n)
        g = np.zeros(self.K)
        log_d = 0.0
        for rows in self._blocks():
            Lb, ub, sb = self.L[rows], self.u[rows], self._weights(rows)
            ub[:] = Lb @ x
            g += blocks.gradient(Lb, sb, ub)
            log_d += blocks.loglik(np, sb, ub)
        self._g = g / self.total
        return float(log_d)

    def try_point(self, x, min_ratio):
        """Move to ``x`` (returning ``sum s log(L x)``) unless some sample's
        ``L x`` falls below ``min_ratio`` times its current value (None)."""
        u_old, g_old = self.u, self._g
        with np.errstate(divide="ignore", invalid="ignore"):
            log_d = self.start(x)
        if np.all(self.u >= min_ratio * u_old):
            return log_d
        self.u, self._g = u_old, g_old
        return None

    def gradient(self):
        """``L^T (s / u) / sum(s)`` at the current point (unnormalised x)."""
        return self._g

    def hessian(self, cols):
        """``sum_i s_i L_iW L_iW^T / u_i^2 / sum(s)`` for ``W = cols``.

        ``Z^T Z`` with ``Z = diag(sqrt(s) / u) L_W``, in row blocks, by a
        symmetric rank-k update (BLAS syrk: half the flops of a product);
        only the columns of ``W`` are read.
        """
        cols = np.asarray(cols)
        m = len(cols)
        H = np.zeros((m, m))
        for rows in self._blocks(max(1024, (1 << 15) // m)):  # Z of 256 KB
            # (L column-major: contiguous runs of each column of W)
            H += blocks.hessian(
                np, self.L[rows], self._sqrt_weights(rows), self.u[rows], cols
            )
        return H / self.total

    def propose(self, p):
        """Prepare a step along ``p``: ``v = L p``.

        ``L p``, not ``L (x + p) - L x``: the difference of two products
        would lose the digits of a small step.
        """
        self.v = self.L @ p

    def gain(self, a):
        """``sum s log(L (x + a p)) - sum s log(L x)``, sample by sample."""
        with np.errstate(divide="ignore"):
            return float(blocks.gain(np, self.s, self.u, self.v, a))

    def accept(self, a):
        """Move to ``x + a p``; the gradient there (one pass)."""
        self.u += a * self.v
        self._gradient_pass()

    def em_step(self, w_old, w_new):
        """Move from ``w_old`` to ``w_new``; return the gain (as :meth:`gain`).

        One pass: ``L (w_new - w_old)`` (the change, to full relative
        accuracy, which ``L w_new - L w_old`` is not), ``L w_new`` (the new
        ``u``, exact) and the gradient there.
        """
        w_new = np.asarray(w_new, dtype=float)
        dw = w_new - w_old
        g = np.zeros(self.K)
        gain = 0.0
        for rows in self._blocks():
            Lb, ub, sb = self.L[rows], self.u[rows], self._weights(rows)
            with np.errstate(divide="ignore", invalid="ignore"):
                gain += blocks.gain(np, sb, ub, Lb @ dw)
            ub[:] = Lb @ w_new
            g += blocks.gradient(Lb, sb, ub)
        self._g = g / self.total
        return float(gain)

    def information(self, support):
        """Observed information blocks: ``H[:, support]`` and ``diag(H)``.

        ``H = sum_i s_i f_i f_i^T / p_i^2`` (not normalised), with
        ``f_i / p_i = L_i / (L w)_i`` at the current point.
        """
        H_cols = np.zeros((self.K, len(support)))
        diag = np.zeros(self.K)
        for rows in self._blocks():
            H_b, diag_b = blocks.information(
                np, self.L[rows], self._sqrt_weights(rows), self.u[rows], support
            )
            H_cols += H_b
            diag += diag_b
        return H_cols, diag
