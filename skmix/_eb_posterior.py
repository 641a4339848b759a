"""Posterior summaries of the normal means model: pure functions on a block.

Given a prior ``g = sum_k w_k g_k`` (:class:`skmix._eb_grid.Prior`) and a
sample ``(x, s)``, the posterior of ``theta`` is the mixture ``sum_k r_k
p_k(theta | x)`` with ``r_k`` proportional to ``w_k p(x | g_k)`` (computed in
log space) and, for a normal likelihood,

- a point mass at ``m``: the same point mass;
- ``N(m, sigma^2)``: ``N(m + sigma^2 / (s^2 + sigma^2) (x - m), s^2
  sigma^2 / (s^2 + sigma^2))``;
- ``U[a, b]``: ``N(x, s^2)`` truncated to ``[a, b]`` (a truncated Student
  t for a t likelihood).

A sample with ``s = 0`` has ``theta = x`` exactly. Probabilities of
``theta < 0`` and ``> 0`` are each summed from the components' own tails
(never ``1 -`` the other), so that a tiny lfsr keeps its digits.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri, ndtri_exp, stdtr, stdtrit

from . import _eb_likelihood as lik


def responsibilities(x, s, prior, df=None):
    """``r_ik``, shape (n, K): component k's posterior weight for sample i.

    From the scaled likelihoods of the fast paths where no row's mixture
    density underflows there, else in log space.
    """
    comps = prior.components
    w = prior.weights
    kind = lik.block_kind(comps, df)
    if kind is not None and np.all(s > 0):
        L, _ = lik.scaled_block(x, s, comps, df, kind)
        total = L @ w
        if np.all(total > 1e-250):
            L *= w
            L *= (1.0 / total)[:, None]
            return L
    A = lik.log_lik(x, s, comps, df)
    with np.errstate(divide="ignore"):
        A += np.log(w)[None, :]
    m = A.max(axis=1, keepdims=True)
    A -= m
    np.exp(A, out=A)
    A /= A.sum(axis=1, keepdims=True)
    return A


def _bounds(x, s, comps):
    """``alpha, beta`` of the uniforms (ends in units of s from x)."""
    lower, upper, _ = comps
    se = np.where(s == 0, 1.0, s)[:, None]
    return (lower[None, :] - x[:, None]) / se, (upper[None, :] - x[:, None]) / se


def _tilted_moments(tau):
    """Mean and variance of the density ``exp(-tau y) / norm`` on [-1, 1]."""
    small = np.abs(tau) < 1e-2
    t = np.where(small, 1.0, tau)
    with np.errstate(over="ignore"):
        mean_big = -(1.0 / np.tanh(t) - 1.0 / t)
        var_big = 1.0 / (t * t) - 1.0 / np.sinh(t) ** 2
    t2 = tau * tau
    mean_small = -tau * (1.0 / 3 - t2 / 45)
    var_small = 1.0 / 3 - t2 / 15 + 2 * t2 * t2 / 189
    return np.where(small, mean_small, mean_big), np.where(small, var_small, var_big)


def _truncnorm_moments(alpha, beta):
    """Mean and variance of ``N(0, 1)`` truncated to ``[alpha, beta]``; the
    mean as its offset from the interval's centre ``(alpha + beta) / 2``
    (exact for a narrow interval far from 0)."""
    log_z = lik.log_ndtr_diff(alpha, beta)
    la, lb = lik.log_phi(alpha), lik.log_phi(beta)
    with np.errstate(over="ignore", invalid="ignore"):
        lam_a = np.exp(la - log_z)
        lam_b = np.exp(lb - log_z)
        # lam_a - lam_b from the larger one, without a difference
        d2 = 0.5 * (beta - alpha) * (beta + alpha)  # (beta^2 - alpha^2) / 2
        mean = np.where(
            np.abs(alpha) <= np.abs(beta),
            lam_a * -np.expm1(-d2),
            -lam_b * -np.expm1(d2),
        )
        ta = np.where(np.isfinite(alpha), alpha * lam_a, 0.0)
        tb = np.where(np.isfinite(beta), beta * lam_b, 0.0)
        var = 1.0 + ta - tb - mean * mean
    h = 0.5 * (beta - alpha)
    c = 0.5 * (beta + alpha)
    offset = mean - c
    narrow = h < lik.NARROW
    if narrow.any():
        my, vy = _tilted_moments(c * h)
        offset = np.where(narrow, h * my, offset)
        var = np.where(narrow, h * h * vy, var)
    return offset, np.maximum(var, 0.0)


def _trunct_moments(df, lo, hi):
    """Mean and variance of Student's t (``df > 2``) truncated to ``[lo, hi]``."""
    z = lik.t_cdf_diff(df, lo, hi)
    c = np.exp(lik.t_log_const(df))

    def dens1(t):  # (1 + t^2 / df) f(t)
        return c * (1 + t * t / df) ** (-(df - 1) / 2)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = df / (df - 1) * (dens1(lo) - dens1(hi)) / z
        r = np.sqrt((df - 2) / df)
        ratio = np.exp(lik.t_log_const(df) - lik.t_log_const(df - 2)) / r
        i1 = ratio * lik.t_cdf_diff(df - 2, lo * r, hi * r)
        var = df * (i1 / z - 1.0) - mean * mean
    return mean, np.maximum(var, 0.0)


def _columns(mask):
    """The columns of ``mask`` as a slice where they are a run (a view, no
    copy, when an array is indexed by it), else their indices."""
    cols = np.flatnonzero(mask)
    if cols.size and cols[-1] - cols[0] == cols.size - 1:
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def component_moments(x, s, comps, df=None):
    """Posterior means and variances of ``theta`` under each component, (n, K)."""
    lower, upper, scale = comps
    se = s[:, None]
    s2 = se * se
    sig2 = scale * scale
    # N(m, sigma^2) (a point mass: sigma = 0): shrink (x - m) by sigma^2 / v
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = sig2 / (s2 + sig2)
    if np.any(sig2 == 0) and np.any(s == 0):  # v = 0: an atom, x exact
        shrink[np.isnan(shrink)] = 0.0
    if np.all(lower == lower[0]):  # one centre (the scale mixtures)
        mean = shrink * (x - lower[0])[:, None]
        if lower[0] != 0:
            mean += lower[0]
    else:
        mean = x[:, None] - lower
        mean *= shrink
        mean += lower
    var = shrink
    var *= s2
    unif = upper > lower
    if unif.any():
        cols = np.flatnonzero(unif)
        sub = (lower[cols], upper[cols], scale[cols])
        a, b = _bounds(x, s, sub)
        if df is None:
            off, vt = _truncnorm_moments(a, b)
            mean[:, cols] = 0.5 * (lower[cols] + upper[cols])[None, :] + se * off
        else:
            mt, vt = _trunct_moments(df, -b, -a)
            mean[:, cols] = x[:, None] - se * mt
        var[:, cols] = s2 * vt
        exact = s == 0
        if exact.any():
            mean[exact] = x[exact, None]
            var[exact] = 0.0
    return mean, var


def sign_probabilities(r, x, s, comps, df=None, moments=None):
    """``P(theta < 0 | x)`` and ``P(theta > 0 | x)`` of each row, shape (n,).

    The components' own tails at 0, weighted by the responsibilities ``r``
    (n, K); point masses at 0 count in neither. ``moments``:
    :func:`component_moments`' result, if at hand. A normal component's
    entry takes one normal CDF: its smaller tail, exact, and ``r`` less
    ``r`` times it for the other, so that each probability keeps its
    digits however small. Rows with ``s = 0`` are left to the caller.
    """
    lower, upper, scale = comps
    n = len(x)
    neg, pos = np.zeros(n), np.zeros(n)
    point = (lower == upper) & (scale == 0)
    unif = upper > lower
    normal = ~point & ~unif
    if point.any():
        cols = _columns(point)
        neg += r[:, cols] @ (lower[cols] < 0).astype(float)
        pos += r[:, cols] @ (lower[cols] > 0).astype(float)
    if normal.any():
        cols = _columns(normal)
        m, v = component_moments(x, s, comps, df) if moments is None else moments
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.sqrt(v[:, cols])
            np.divide(m[:, cols], z, out=z)  # -z: the CDF's argument at 0
        low = z > 0  # 0 lies in the lower tail
        np.abs(z, out=z)
        np.negative(z, out=z)
        tail = ndtr(z, out=z)
        rt = r[:, cols] * tail
        rc = r[:, cols] - rt
        ones = np.ones(rt.shape[1])
        neg += np.where(low, rt, rc) @ ones
        pos += np.where(low, rc, rt) @ ones
    if unif.any():
        cols = np.flatnonzero(unif)
        x2, se = x[:, None], np.where(s == 0, 1.0, s)[:, None]
        if df is None:
            a = (lower[cols] - x2) / se
            b = (upper[cols] - x2) / se
            g = np.clip(-x2 / se, a, b)
            log_z = lik.log_ndtr_diff(a, b)
            with np.errstate(divide="ignore"):
                below = np.exp(lik.log_ndtr_diff(a, g) - log_z)
                above = np.exp(lik.log_ndtr_diff(g, b) - log_z)
        else:  # theta = x - s T, T ~ t_df on [lo, hi]
            tl = (x2 - upper[cols]) / se
            th = (x2 - lower[cols]) / se
            g = np.clip(x2 / se, tl, th)
            z = lik.t_cdf_diff(df, tl, th)
            below = lik.t_cdf_diff(df, g, th) / z
            above = lik.t_cdf_diff(df, tl, g) / z
        neg += np.einsum("ik,ik->i", r[:, cols], below)
        pos += np.einsum("ik,ik->i", r[:, cols], above)
    return neg, pos


def summaries(x, s, prior, df=None):
    """Posterior mean, sd and sign probabilities of a block (a dict of (n,)).

    Keys: ashr's ``PosteriorMean``, ``PosteriorSD``, ``NegativeProb``
    (``P(theta < 0)``), ``ZeroProb`` (``P(theta = 0)``), ``PositiveProb``,
    ``lfsr`` (``min(P(theta <= 0), P(theta >= 0))``) and ``lfdr`` (``P(theta
    = 0)``, the local false discovery rate).
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    comps = prior.components
    r = responsibilities(x, s, prior, df)
    m, v = component_moments(x, s, comps, df)
    mean = np.einsum("ik,ik->i", r, m)
    dev = m - mean[:, None]
    var = np.einsum("ik,ik->i", r, v + dev * dev)
    neg, pos = sign_probabilities(r, x, s, comps, df, (m, v))
    atom0 = ((comps.lower == 0) & (comps.upper == 0) & (comps.scale == 0)).astype(float)
    zero = r @ atom0
    exact = s == 0
    if exact.any():
        mean = np.where(exact, x, mean)
        var = np.where(exact, 0.0, var)
        neg = np.where(exact, (x < 0).astype(float), neg)
        pos = np.where(exact, (x > 0).astype(float), pos)
        zero = np.where(exact, (x == 0).astype(float), zero)
    return {
        "PosteriorMean": mean,
        "PosteriorSD": np.sqrt(var),
        "lfsr": np.minimum(neg + zero, pos + zero),
        "lfdr": zero,
        "NegativeProb": neg,
        "ZeroProb": zero,
        "PositiveProb": pos,
    }


def qvalues(local, out=None):
    """ashr's q-values (or s-values) from lfdr (or lfsr): the running mean of
    the sorted local rates, mapped back to each sample (into ``out`` if
    given, an array of the same length that is not ``local``).

    Examples
    --------
    >>> from skmix._eb_posterior import qvalues
    >>> qvalues([0.5, 0.1, 0.9, 0.2]).round(4).tolist()
    [0.2667, 0.1, 0.425, 0.15]
    """
    local = np.asarray(local, dtype=float)
    # rates >= 0 (no -0.0, no NaN) sort as their bits read as int64, the
    # same order, faster
    keys = local
    if not (np.signbit(local).any() or np.isnan(local).any()):
        keys = local.view(np.int64)
    order = np.argsort(keys, kind="stable")
    # two vectors of the data's length besides the result (the order and
    # the running sums), the divisors a block at a time
    run = local[order]
    np.cumsum(run, out=run)
    step = 1 << 16
    for start in range(0, len(run), step):
        part = run[start : start + step]
        part /= np.arange(start + 1, start + len(part) + 1, dtype=float)
    if out is None:
        out = np.empty_like(local)
    out[order] = run
    return out


# Posterior quantiles are solved to |F(t) - p| <= QUANTILE_RTOL * min(p, 1 - p)
QUANTILE_RTOL = 1e-12
# a row's uniforms whose normalising constant is below this take the log path
_TINY_Z = 1e-200
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class _Block(NamedTuple):
    """One block's posterior, for the quantiles: rows of x, s, r (n, K),
    the components' posterior means m and sds (n, K), reflected (``theta ->
    -theta``) where the upper tail is solved for."""

    x: np.ndarray
    s: np.ndarray
    r: np.ndarray
    m: np.ndarray
    sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    df: object

    def rows(self, idx):
        return _Block(
            self.x[idx], self.s[idx], self.r[idx], self.m[idx], self.sd[idx],
            self.lower, self.upper, self.scale, self.df,
        )  # fmt: skip

    def reflected(self):
        return _Block(
            -self.x, self.s, self.r, -self.m, self.sd, -self.upper, -self.lower,
            self.scale, self.df,
        )  # fmt: skip


def _cdf_pdf(t, b):
    """``F(t) = P(theta <= t | x)`` (atoms at t included) and the density
    of the continuous part at t, for the rows of :class:`_Block` ``b``.

    Normal components: ``Phi((t - m) / sd)``; uniforms (a truncated normal
    ``N(x, s^2)`` on ``[lower, upper]``): from ``Phi`` at ``u = (t - x) / s``
    (one per row) and at the ends, each from its nearer tail; rows whose
    normalising constant is below ``_TINY_Z`` (and Student t likelihoods):
    in log space per entry.
    """
    point = (b.lower == b.upper) & (b.scale == 0)
    unif = b.upper > b.lower
    normal = ~point & ~unif
    tt = t[:, None]
    F = np.zeros(len(t))
    f = np.zeros(len(t))
    if point.any():
        F += np.einsum("ik,ik->i", b.r[:, point], b.m[:, point] <= tt)
    if normal.any():
        inv = 1.0 / b.sd[:, normal]
        z = (tt - b.m[:, normal]) * inv
        F += np.einsum("ik,ik->i", b.r[:, normal], ndtr(z))
        z *= z
        z *= -0.5
        np.exp(z, out=z)
        f += np.einsum("ik,ik->i", b.r[:, normal] * inv, z) * _INV_SQRT_2PI
    if unif.any():
        Fu, fu = _uniform_cdf_pdf(t, b.x, b.s, b.lower[unif], b.upper[unif], b.df)
        F += np.einsum("ik,ik->i", b.r[:, unif], Fu)
        f += np.einsum("ik,ik->i", b.r[:, unif], fu)
    return F, f


def _uniform_cdf_pdf(t, x, s, lower, upper, df):
    """CDF and density at t of each uniform component's posterior, (n, K)."""
    se = s[:, None]
    u = ((t - x) / s)[:, None]
    a = (lower[None, :] - x[:, None]) / se
    b = (upper[None, :] - x[:, None]) / se
    if df is None:
        # the interval above x: upper tails (Q), else lower tails (P)
        up = a > 0
        pa = ndtr(np.where(up, -a, a))
        pb = ndtr(np.where(up, -b, b))
        z = np.abs(pb - pa)
        pu = ndtr(np.where(up, -u, u))
        num = np.where(up, pa - pu, pu - pa)
        inside = (num > 0) & (num < z)
        with np.errstate(divide="ignore", invalid="ignore"):
            Fk = np.minimum(np.maximum(num, 0.0), z) / z
            fk = np.where(inside, np.exp(-0.5 * u * u) * _INV_SQRT_2PI / (se * z), 0.0)
        slow = (z < _TINY_Z).any(axis=1)
        if not slow.any():
            return Fk, fk
        rows = np.flatnonzero(slow)
        a, b, u, se = a[rows], b[rows], u[rows], se[rows]
        g = np.clip(u, a, b)
        log_z = lik.log_ndtr_diff(a, b)
        with np.errstate(divide="ignore"):
            Fk[rows] = np.exp(lik.log_ndtr_diff(a, g) - log_z)
        fk[rows] = np.where((u > a) & (u < b), np.exp(lik.log_phi(u) - log_z) / se, 0.0)
        return Fk, fk
    # theta = x - s T, T ~ t_df on [-b, -a]: P(theta <= t) = P(T >= -u)
    g = np.clip(-u, -b, -a)
    z = lik.t_cdf_diff(df, -b, -a)
    Fk = lik.t_cdf_diff(df, g, -a) / z
    log_dens = lik.t_log_const(df) - 0.5 * (df + 1) * np.log1p(u * u / df)
    fk = np.where((u > a) & (u < b), np.exp(log_dens) / (se * z), 0.0)
    return Fk, fk


def _lower_quantile(p, blk, max_iter):
    """The ``p``-quantile (``p <= 1/2``) of each row of :class:`_Block`.

    The bracket: the quantile lies between the smallest and the largest of
    the components' own p-quantiles (their supports' ends for uniforms);
    each atom inside it is tested (the quantile is the atom where the CDF
    jumps over p there) and halves the bracket. Then Newton's method on
    ``ndtri(F(t)) = ndtri(p)`` (exact in one step for a normal posterior),
    safeguarded by the bracket: a step outside it, or at ``F = 0``, is a
    bisection. Done at ``|F(t) - p| <= QUANTILE_RTOL p`` or a bracket of a
    few ulps (a jump of F: its upper end is returned).
    """
    n = blk.r.shape[0]
    point = (blk.lower == blk.upper) & (blk.scale == 0)
    unif = blk.upper > blk.lower
    zp = ndtri(p)
    q_lo = np.where(unif[None, :], blk.lower[None, :], blk.m + blk.sd * zp)
    q_hi = np.where(unif[None, :], blk.upper[None, :], blk.m + blk.sd * zp)
    live = blk.r > 0
    lo = np.where(live, q_lo, np.inf).min(axis=1)
    hi = np.where(live, q_hi, -np.inf).max(axis=1)
    lo -= 4 * np.spacing(np.abs(lo))
    hi += 4 * np.spacing(np.abs(hi))
    out = hi.copy()
    done = np.zeros(n, dtype=bool)
    atoms = np.unique(blk.lower[point])
    if 0 < len(atoms) <= 8 and not point.all():
        for a in atoms:
            t = np.full(n, a)
            F, _ = _cdf_pdf(t, blk)
            mass = blk.r[:, point & (blk.lower == a)].sum(axis=1)
            at = (F - mass < p) & (p <= F)
            out[at & ~done] = a
            done |= at
            hi = np.where(F - mass >= p, np.minimum(hi, a), hi)
            lo = np.where(p > F, np.maximum(lo, a), lo)
    act = np.flatnonzero(~done & (hi > lo))
    # start: the normal with the posterior's mean and sd
    mean = np.einsum("ik,ik->i", blk.r, blk.m)
    dev = blk.m - mean[:, None]
    var = np.einsum("ik,ik->i", blk.r, blk.sd * blk.sd + dev * dev)
    t = mean + np.sqrt(var) * zp
    a, b = lo[act], hi[act]
    t = t[act]
    t = np.where((t > a) & (t < b), t, 0.5 * (a + b))
    sub = blk.rows(act)
    for _ in range(max_iter):
        if act.size == 0:
            break
        F, f = _cdf_pdf(t, sub)
        below = p > F
        a = np.where(below, t, a)
        b = np.where(below, b, t)
        ok = np.abs(F - p) <= QUANTILE_RTOL * p
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g = ndtri(F)
            step = (g - zp) * np.exp(-0.5 * g * g) * _INV_SQRT_2PI / f
            t_new = t - step
        bad = ~((t_new > a) & (t_new < b))
        t_new = np.where(bad, 0.5 * (a + b), t_new)
        tight = (b - a) <= 4 * np.spacing(np.maximum(np.abs(a), np.abs(b)))
        out[act[ok]] = t[ok]
        out[act[tight & ~ok]] = b[tight & ~ok]
        keep = ~(ok | tight)
        act, t, a, b = act[keep], t_new[keep], a[keep], b[keep]
        if not keep.all():
            sub = sub.rows(keep)
    if act.size:
        out[act] = b
    return out


def quantiles(ps, x, s, prior, df=None, max_iter=100):
    """The ``p``-quantiles ``inf{t : P(theta <= t | x) >= p}`` of each
    sample's posterior, for each p in ``ps``: shape (n, len(ps)).

    All samples at once (see :func:`_lower_quantile`): the root of the
    posterior mixture's CDF, to ``|F(t) - p| <= QUANTILE_RTOL min(p, 1 -
    p)`` (1e-12 relative in the smaller tail), where the CDF jumps over p at
    an atom, the atom itself. ``p > 1/2`` is solved as the ``(1 -
    p)``-quantile of ``-theta`` (its lower tail, where the CDF's digits are).
    Samples with ``s = 0`` give x. A prior of point masses only: the first
    atom (in order) at which the cumulative posterior weight reaches p.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._eb_grid import Prior
    >>> from skmix._eb_posterior import quantiles
    >>> g = Prior("normal_scale_mixture", np.array([1.0]), np.zeros(1),
    ...           np.zeros(1), np.array([1.0]), 0.0)
    >>> quantiles([0.025, 0.975], np.array([2.0]), np.array([1.0]), g).round(4)
    array([[-0.3859,  2.3859]])
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    ps = np.atleast_1d(np.asarray(ps, dtype=float))
    comps = prior.components
    n = len(x)
    out = np.empty((n, len(ps)))
    exact = s == 0
    out[exact] = x[exact, None]
    rows = np.flatnonzero(~exact)
    if rows.size == 0:
        return out
    xr, sr = x[rows], s[rows]
    r = responsibilities(xr, sr, prior, df)
    point = comps.is_point
    if point.all():  # a discrete posterior: cumulative weights in location order
        order = np.argsort(comps.lower, kind="stable")
        cum = np.cumsum(r[:, order], axis=1)
        for j, p in enumerate(ps):
            k = np.minimum((cum < p).sum(axis=1), len(order) - 1)
            out[rows, j] = comps.lower[order][k]
        return out
    m, v = component_moments(xr, sr, comps, df)
    blk = _Block(xr, sr, r, m, np.sqrt(v), *comps, df)
    for j, p in enumerate(ps):
        if p <= 0.5:
            out[rows, j] = _lower_quantile(p, blk, max_iter)
        else:
            out[rows, j] = -_lower_quantile(1.0 - p, blk.reflected(), max_iter)
    return out


def quantile(p, x, s, prior, df=None, max_iter=100):
    """The ``p``-quantile of each sample's posterior (see :func:`quantiles`)."""
    return quantiles([p], x, s, prior, df, max_iter)[:, 0]


def sample(x, s, prior, n_samples, rng, df=None):
    """Draws from each sample's posterior, shape (n, n_samples)."""
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    comps = prior.components
    r = responsibilities(x, s, prior, df)
    n = len(x)
    cum = np.cumsum(r, axis=1)
    cum[:, -1] = 1.0
    u = rng.random((n, n_samples))
    k = np.empty((n, n_samples), dtype=np.intp)
    for j in range(n_samples):
        k[:, j] = (cum < u[:, j, None]).sum(axis=1)
    k = np.minimum(k, len(comps.lower) - 1)
    m, v = component_moments(x, s, comps, df)
    rows = np.arange(n)[:, None]
    mk, sdk = m[rows, k], np.sqrt(v[rows, k])
    lower, upper = comps.lower[k], comps.upper[k]
    unif = upper > lower
    z = rng.standard_normal((n, n_samples))
    out = mk + sdk * z
    if unif.any():
        xs = np.broadcast_to(x[:, None], k.shape)
        ss = np.broadcast_to(s[:, None], k.shape)
        xs, ss, lo, up = xs[unif], ss[unif], lower[unif], upper[unif]
        w = rng.random(xs.shape)
        se = np.where(ss == 0, 1.0, ss)
        if df is None:  # T = x + s T, T ~ N(0, 1) on [a, b]; the lower tail
            a, b = (lo - xs) / se, (up - xs) / se
            flip = a > 0
            aa, bb = np.where(flip, -b, a), np.where(flip, -a, b)
            log_z = lik.log_ndtr_diff(aa, bb)
            with np.errstate(divide="ignore"):
                lp = np.logaddexp(log_ndtr(aa), np.log(w) + log_z)
            tt = np.clip(ndtri_exp(np.minimum(lp, 0.0)), aa, bb)
            tt = np.where(flip, -tt, tt)
            val = xs + se * tt
        else:  # theta = x - s T, T ~ t_df on [tl, th]
            tl, th = (xs - up) / se, (xs - lo) / se
            flip = tl > 0
            aa, bb = np.where(flip, -th, tl), np.where(flip, -tl, th)
            fa = stdtr(df, aa)
            tt = np.clip(stdtrit(df, fa + w * (stdtr(df, bb) - fa)), aa, bb)
            tt = np.where(flip, -tt, tt)
            val = xs - se * tt
        out[unif] = np.where(ss == 0, xs, val)
    return out
