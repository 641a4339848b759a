"""Mixture weights on the simplex: EM, an active-set SQP solver, KKT, inference.

The problem: given a matrix of component log-densities ``log f_k(x_i)``
(n, K) and sample weights ``s_i``, maximise

    loglik(w) = sum_i s_i log(sum_k w_k f_k(x_i))

over the simplex ``w >= 0, sum_k w_k = 1``. It is concave. Each row is scaled
by its largest entry, ``L_ik = f_ik / max_k f_ik`` in [0, 1], which changes
no weight: ``loglik(w) = const + sum_i s_i log (L w)_i`` with
``const = sum_i s_i max_k log f_ik``.

Optimality (KKT): with ``g_k(w) = sum_i s_i L_ik / (L w)_i / sum_i s_i``, the
maximum has ``g_k <= 1`` for every k and ``g_k = 1`` wherever ``w_k > 0``;
:func:`kkt_gap` measures how far a point is from that.

The solvers only talk to a *problem* object (:class:`DenseProblem` for arrays
in memory; chunked problems for dask and Array API input live in
:mod:`skmix._known_backends`) through a handful of reductions over the
samples, each a sum over row blocks of a formula of
:mod:`skmix._simplex_blocks`, so that a backend only changes how those
formulas are mapped and summed, never a formula.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy.stats import norm

from . import _simplex_blocks as blocks
from ._stopping import Path

# The accelerated solver stops at this KKT gap (see kkt_gap)
KKT_TOL = 1e-8
# Rows per block in the passes that build matrices (Hessian, information)
BLOCK_ROWS = 8192
# Columns with g_k > 1 added to the working set at each SQP iteration
WORKING_SET_EXTRA = 20
# EM iterations before the first SQP step
SQP_EM_STEPS = 4
# after them, weights below this fraction of the largest are set to 0
SQP_PRUNE = 0.1
# Armijo line search: sufficient decrease and backtracking factor
ARMIJO_C = 0.01
ARMIJO_BETA = 0.5
ARMIJO_MIN_STEP = 1e-10


class SimplexResult(NamedTuple):
    """Outcome of :func:`fit_em` and :func:`fit_sqp`."""

    weights: np.ndarray  # (K,), on the simplex
    loglik: float  # total (weighted) log-likelihood at weights
    n_iter: int
    converged: bool
    kkt_gap: float  # at weights, from an exact pass
    history: dict


def kkt_gap(weights, g):
    """Distance from the KKT conditions of the maximum on the simplex.

    ``max(max_k (g_k - 1), max_{w_k > 0} |g_k - 1|)`` with ``g`` the
    normalised gradient ``g_k = sum_i s_i L_ik / (L w)_i / sum_i s_i``; 0 at
    the maximum (the problem is concave, so a point with gap 0 is the
    maximum).

    Parameters
    ----------
    weights : ndarray of shape (K,)
    g : ndarray of shape (K,)

    Returns
    -------
    gap : float
    """
    dev = np.asarray(g, dtype=float) - 1.0
    gap = float(dev.max())
    support = np.asarray(weights) > 0
    if support.any():
        gap = max(gap, float(np.abs(dev[support]).max()))
    return gap


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


class DenseProblem:
    """The scaled likelihood matrix in memory, with the current point cached.

    Parameters
    ----------
    log_density : ndarray of shape (n, K)
        Checked log-densities.
    sample_weight : ndarray of shape (n,) or None
        Non-negative weights with a positive sum; rows of weight 0 are left
        out. None: unit weights.
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
        self.s = None if s is None else np.asarray(s, dtype=np.float64)
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


def _result(path, converged, gap):
    """The :class:`SimplexResult` of a recorded path; ``history`` has a
    column ``weight_k`` per component after the log-likelihood's."""
    weights = np.array(path.points)
    history = path.history(
        trailing={f"weight_{k}": weights[:, k].copy() for k in range(weights.shape[1])}
    )
    return SimplexResult(
        weights=weights[-1].copy(),
        loglik=float(path.const + path.log_d[-1]),
        n_iter=path.n_iter,
        converged=converged,
        kkt_gap=gap,
        history=history,
    )


def _start(problem, w):
    """The first pass; ValueError if ``w`` leaves a sample with density 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = problem.start(w)
    if not math.isfinite(log_d):
        raise ValueError(
            "The starting weights give some samples a mixture density of 0 "
            "(their only components with a positive density have weight 0); "
            "give those components a positive weight in weights_init."
        )
    return log_d


def _em_iteration(problem, path, w, log_d, g):
    """One EM step from ``w`` (``g``: the gradient there), recorded in ``path``.

    The M-step ``w_k <- w_k g_k(w)``. Returns the new weights, ``log_d``
    plus the gain, the gain, and the gradient at the new weights.
    """
    w_new = w * g
    w_new /= w_new.sum()
    gain = problem.em_step(w, w_new)
    log_d += gain
    path.record(w_new, log_d, gain)
    return w_new, log_d, gain, problem.gradient()


def fit_em(problem, weights_init, *, tol, max_iter, verbose=0):
    """EM on the weights until an iteration meets ``tol``.

    The stopping rule is TwoGaussianMixturePi's
    (:func:`skmix._stopping.meets_tol`).

    Row 0 of the history is the starting point; each iteration is the M-step
    ``w_k <- w_k g_k(w)`` followed by the log-likelihood at the new weights.
    The gain deciding the stop is ``sum_i s_i log1p(v_i / u_i)`` (``u = L
    w``, ``v = L (w' - w)``), computed sample by sample, never as a
    difference of two large totals. The log-likelihood never decreases.

    Returns
    -------
    result : SimplexResult
    """
    w = np.array(weights_init, dtype=float)
    unit = getattr(problem, "min_weight", 1.0)
    path = Path(problem.const, verbose)
    log_d = _start(problem, w)
    path.record(w, log_d, np.nan)
    converged = False
    g = problem.gradient()
    while path.n_iter < max_iter:
        w, log_d, _, g = _em_iteration(problem, path, w, log_d, g)
        if path.meets_tol(tol, unit):
            converged = True
            break
    gap = kkt_gap(w, g)
    return _result(path, converged, gap)


def nnqp(H, c, start, *, max_iter=None):
    """``argmin_{y >= 0} y^T H y / 2 + c^T y`` by an active-set method.

    Lawson and Hanson's NNLS method written for a quadratic (positive
    semi-definite ``H``), warm-started from the set ``start`` of variables
    thought positive: once the support has settled this is one solve.

    Parameters
    ----------
    H : ndarray of shape (m, m)
    c : ndarray of shape (m,)
    start : ndarray of bool, shape (m,)

    Returns
    -------
    y : ndarray of shape (m,), ``y >= 0``, exact zeros outside the support.
    """
    m = len(c)
    max_iter = 3 * m + 10 if max_iter is None else max_iter
    tol = 1e-13 * (1.0 + np.abs(c).max())
    ridge = 1e-12 * max(float(np.max(np.diag(H))), 1e-300)
    y = np.zeros(m)

    def solve(P):
        idx = np.flatnonzero(P)
        Hp = H[np.ix_(idx, idx)] + ridge * np.eye(len(idx))
        try:
            z = np.linalg.solve(Hp, -c[idx])
        except np.linalg.LinAlgError:
            z = np.linalg.lstsq(Hp, -c[idx], rcond=None)[0]
        return idx, z

    P = np.array(start, dtype=bool)
    if P.any():
        idx, z = solve(P)
        if np.all(z > 0):
            y[idx] = z
        else:
            P[:] = False
    for _ in range(max_iter):
        q = H @ y + c
        free = ~P
        if not free.any() or q[free].min() >= -tol:
            break
        j = np.flatnonzero(free)[np.argmin(q[free])]
        P[j] = True
        for _ in range(m + 1):
            idx, z = solve(P)
            if np.all(z > 0):
                y[:] = 0.0
                y[idx] = z
                break
            yp = y[idx]
            neg = z <= 0
            ratio = yp[neg] / (yp[neg] - z[neg])
            alpha = ratio.min() if ratio.size else 0.0
            y[idx] = yp + alpha * (z - yp)
            hit = np.zeros(len(idx), dtype=bool)
            hit[np.flatnonzero(neg)[ratio <= alpha]] = True
            drop = idx[(y[idx] <= 1e-300) | hit]
            y[drop] = 0.0
            P[drop] = False
            if not P.any():
                break
    return y


def fit_sqp(problem, weights_init, *, max_iter, kkt_tol=KKT_TOL, verbose=0):
    """The maximum on the simplex by active-set sequential quadratic programming.

    mix-SQP's method (Kim, Carbonetto, Stephens and Anitescu, 2020), lean:

    1. the relaxation ``min_{x >= 0} -sum_i s_i log (L x)_i / S + sum_k x_k``
       (``S = sum_i s_i``), whose minimum has ``sum x = 1`` and is the
       maximum on the simplex, so that only ``x >= 0`` remains;
    2. a few EM steps from ``weights_init``;
    3. each iteration: the gradient ``g = L^T (s / u) / S`` (one pass, ``u =
       L x`` kept up to date); a working set of the support and the (up to
       20) columns with the largest ``g_k > 1``; the Hessian on that set
       only, ``H = Z^T Z`` with ``Z = diag(sqrt(s) / u) L_W / sqrt(S)``, in
       row blocks; the quadratic model ``min_{y >= 0} y^T H y / 2 + (1 -
       2 g)^T y`` solved exactly by :func:`nnqp` (weights exactly 0 where the
       model puts them);
    4. a backtracking Armijo line search along ``y - x``, the change of the
       objective computed as ``sum_i s_i log1p(a v_i / u_i)`` (``v = L (y -
       x)``), accurate near the maximum where a difference of totals is not;
    5. stop when :func:`kkt_gap` at ``w = x / sum(x)``, from an exact pass,
       is at most ``kkt_tol``, or when no step lowers the objective any more
       (converged only if the gap is then below ``sqrt(kkt_tol)``).

    Returns
    -------
    result : SimplexResult
    """
    K = problem.K
    S = problem.total
    x = np.array(weights_init, dtype=float)
    path = Path(problem.const, verbose)
    log_d = _start(problem, x)
    path.record(x, log_d, np.nan)
    g = problem.gradient()
    # EM warm-up
    for _ in range(min(SQP_EM_STEPS, max_iter)):
        if kkt_gap(x, g) <= kkt_tol:
            break
        x, log_d, _, g = _em_iteration(problem, path, x, log_d, g)
    # weights that EM is taking to 0 leave the support: the working set, and
    # with it the Hessian, stays small (they come back if g_k > 1)
    # (only where no sample loses more than half its density by it)
    small = x < SQP_PRUNE * x.max()
    if small.any() and SQP_PRUNE > 0:
        pruned = np.where(small, 0.0, x)
        pruned /= pruned.sum()
        log_d_pruned = problem.try_point(pruned, min_ratio=0.5)
        if log_d_pruned is not None:
            x, log_d = pruned, log_d_pruned
            g = problem.gradient()
    converged = False
    exact = True  # problem.u = L x from an exact product (not updated)
    while True:
        # x sums to 1 up to rounding: the gap at w = x / sum(x)
        sx = x.sum()
        gap = kkt_gap(x, g * sx)
        if gap <= kkt_tol:
            if exact:
                converged = True
                break
            log_d = problem.start(x)
            g = problem.gradient()
            exact = True
            continue
        if path.n_iter >= max_iter:
            break
        support = x > 0
        candidates = np.flatnonzero((g > 1.0) & ~support)
        if candidates.size > WORKING_SET_EXTRA:
            top = np.argpartition(-g[candidates], WORKING_SET_EXTRA)
            candidates = candidates[top[:WORKING_SET_EXTRA]]
        W = np.union1d(np.flatnonzero(support), candidates)
        H = problem.hessian(W)
        y_W = nnqp(H, 1.0 - 2.0 * g[W], support[W])
        y = np.zeros(K)
        y[W] = y_W
        p = y - x
        slope = min(float(np.dot(1.0 - g, p)), 0.0)  # f's derivative along p
        # rounding of f near the maximum: steps within it are accepted, so
        # that weights the model puts at exactly 0 reach 0
        slack = 1e-14 * (1.0 + abs(log_d) / S)
        problem.propose(p)
        a = 1.0
        while a >= ARMIJO_MIN_STEP:
            gain = problem.gain(a)
            decrease = -gain / S + a * float(p.sum())
            if decrease <= ARMIJO_C * a * slope + slack:
                break
            a *= ARMIJO_BETA
        else:  # no step lowers the objective: the maximum, to rounding?
            if not exact:
                log_d, g, exact = problem.start(x), problem.gradient(), True
                continue
            if gap <= math.sqrt(kkt_tol):
                converged = True
                break
            # far from the maximum (a badly scaled model): an EM step, which
            # never lowers the likelihood, and the SQP steps again after it
            w = x / sx
            x = w * (g * sx)
            x /= x.sum()
            gain = problem.em_step(w, x)
            if not gain > 0:
                break
            log_d = problem.start(x)
            path.record(x, log_d, gain)
            g = problem.gradient()
            continue
        x = y if a == 1.0 else x + a * p
        x[x < 0] = 0.0
        problem.accept(a)
        exact = False
        # the path records weights on the simplex: w = x / sum(x), whose
        # log-likelihood is sum s log u - S log(sum x)
        sx_new = x.sum()
        step = gain - S * math.log1p((sx_new - sx) / sx)
        log_d += gain
        path.record(x / sx_new, log_d - S * math.log(sx_new), step)
        g = problem.gradient()
    # the final point on the simplex, from an exact pass
    w = x / x.sum()
    log_d = problem.start(w)
    g = problem.gradient()
    gap = kkt_gap(w, g)
    result = _result(path, converged, gap)
    history = result.history
    history["loglik"][-1] = problem.const + log_d
    for k in range(K):
        history[f"weight_{k}"][-1] = w[k]
    return result._replace(weights=w, loglik=problem.const + log_d)


# -- inference ---------------------------------------------------------------


def face_covariance(H_face):
    """Covariance of the weights on a face of the simplex.

    ``H_face`` (m, m) is the observed information ``sum_i s_i f_iF f_iF^T /
    p_i^2`` of the weights of the face, as if they were free. On the face,
    the first m - 1 weights are free and the last is one minus their sum:
    the information of the free ones is ``J^T H J`` with ``J = [I; -1^T]``
    and their covariance its inverse. Returns the variances of all m
    weights (the last one from ``1^T C 1``), ``inf`` when the information
    is singular.
    """
    m = H_face.shape[0]
    if m == 1:
        return np.zeros(1)
    A = H_face[:-1, :-1] - H_face[:-1, -1:] - H_face[-1:, :-1] + H_face[-1, -1]
    if not np.all(np.isfinite(A)):
        return np.full(m, np.inf)
    e, V = np.linalg.eigh(A)
    if not e.min() > 1e-13 * max(e.max(), 1e-300):
        return np.full(m, np.inf)
    C = (V / e) @ V.T
    var = np.empty(m)
    var[:-1] = np.diag(C)
    var[-1] = C.sum()
    return np.maximum(var, 0.0)


def weights_stderr(weights, H_cols, diag, support):
    """Standard errors of the weights from the observed information.

    For a weight inside the support ``S`` (the positive weights), the
    variance is that of the face of the simplex spanned by ``S`` (the zero
    weights held at 0). For a weight at 0, it is that of the face ``S + {k}``:
    how far the weight could move off the boundary. With ``S = {j}`` alone,
    the weight ``j`` gets the largest of the others' (on the face ``{j, k}``
    it is ``1 - w_k``). For K = 2 inside the simplex, this is ``1 /
    sqrt(sum_i s_i ((f0 - f1) / p_i)^2)``.

    Parameters
    ----------
    weights : ndarray of shape (K,)
    H_cols : ndarray of shape (K, len(support))
        The columns ``support`` of the information matrix.
    diag : ndarray of shape (K,)
        Its diagonal.
    support : ndarray of int

    Returns
    -------
    stderr : ndarray of shape (K,)
    """
    K = len(weights)
    support = np.asarray(support)
    m = len(support)
    stderr = np.empty(K)
    H_SS = H_cols[support]
    if m >= 2:
        stderr[support] = np.sqrt(face_covariance(H_SS))
    out = np.setdiff1d(np.arange(K), support)
    if out.size:
        # the face S + {k}, with w_k free and the support's last weight
        # dependent: the information of (w_k, free support weights) is
        # [[a_k, b_k^T], [b_k, A_S]], so var(w_k) = 1 / (a_k - b_k^T A_S^-1 b_k)
        last = m - 1
        h_kl = H_cols[out, last]
        a = diag[out] - 2 * h_kl + H_SS[last, last]
        b = H_cols[out, :last] - h_kl[:, None] - H_SS[last, :last] + H_SS[last, last]
        if m >= 2:
            A_S = H_SS[:-1, :-1] - H_SS[:-1, -1:] - H_SS[-1:, :-1] + H_SS[-1, -1]
            e, V = np.linalg.eigh(A_S)
            if e.min() > 1e-13 * max(e.max(), 1e-300):
                proj = b @ V
                schur = a - np.einsum("ij,ij->i", proj / e, proj)
            else:
                schur = np.zeros_like(a)
        else:
            schur = a
        with np.errstate(divide="ignore"):
            regular = schur > 1e-13 * np.maximum(a, 1e-300)
            stderr[out] = np.where(
                regular, 1.0 / np.sqrt(np.where(regular, schur, 1)), np.inf
            )
    if m == 1:
        stderr[support] = stderr[out].max() if out.size else 0.0
    return stderr


def wald_intervals(weights, stderr, alpha):
    """``w -/+ z_{1 - alpha / 2} stderr``, clipped to [0, 1]; shape (K, 2)."""
    half = norm.ppf(1 - alpha / 2) * np.asarray(stderr)
    with np.errstate(invalid="ignore"):
        low = np.clip(weights - half, 0.0, 1.0)
        high = np.clip(weights + half, 0.0, 1.0)
    return np.column_stack([low, high])
