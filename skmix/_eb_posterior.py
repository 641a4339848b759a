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

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri_exp, stdtr, stdtrit

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
        L *= w[None, :]
        total = L.sum(axis=1)
        if np.all(total > 1e-250):
            L /= total[:, None]
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


def component_moments(x, s, comps, df=None):
    """Posterior means and variances of ``theta`` under each component, (n, K)."""
    lower, upper, scale = comps
    x2, s2 = x[:, None], s[:, None]
    unif = (upper > lower)[None, :]
    sig2 = (scale * scale)[None, :]
    v = s2 * s2 + sig2
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(v > 0, sig2 / np.where(v > 0, v, 1.0), 0.0)
    mean = lower[None, :] + shrink * (x2 - lower[None, :])
    var = s2 * s2 * shrink
    if unif.any():
        cols = np.flatnonzero(unif[0])
        sub = (lower[cols], upper[cols], scale[cols])
        a, b = _bounds(x, s, sub)
        if df is None:
            off, vt = _truncnorm_moments(a, b)
            mean[:, cols] = 0.5 * (lower[cols] + upper[cols])[None, :] + s2 * off
        else:
            mt, vt = _trunct_moments(df, -b, -a)
            mean[:, cols] = x2 - s2 * mt
        var[:, cols] = s2 * s2 * vt
        exact = s == 0
        if exact.any():
            mean[exact] = x[exact, None]
            var[exact] = 0.0
    return mean, var


def component_tails(t, x, s, comps, df=None, moments=None):
    """``P(theta < t)`` and ``P(theta > t)`` under each component, (n, K).

    ``t`` has shape (n,) (or is a scalar). Point masses at ``t`` count in
    neither. ``moments``: :func:`component_moments`' result, if at hand.
    Each entry takes one normal CDF: its smaller tail, exact, and 1 minus
    it for the other (whose digits are then those of a number >= 1/2).
    """
    lower, upper, scale = comps
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)[:, None]
    x2, s2 = x[:, None], s[:, None]
    lo, up = lower[None, :], upper[None, :]
    point = (lower == upper) & (scale == 0)
    unif = (upper > lower)[None, :]
    m, v = component_moments(x, s, comps, df) if moments is None else moments
    sd = np.sqrt(np.where(unif, 1.0, v))
    with np.errstate(divide="ignore", invalid="ignore"):
        zz = (t - m) / sd
    exact_comp = (sd == 0) | point[None, :]
    zz = np.where(exact_comp, 0.0, zz)
    tail = ndtr(-np.abs(zz))
    neg = zz < 0
    below = np.where(exact_comp, (m < t).astype(float), np.where(neg, tail, 1 - tail))
    above = np.where(exact_comp, (m > t).astype(float), np.where(neg, 1 - tail, tail))
    if unif.any():
        cols = np.flatnonzero(unif[0])
        se = np.where(s2 == 0, 1.0, s2)
        if df is None:
            a = (lo[:, cols] - x2) / se
            b = (up[:, cols] - x2) / se
            g = np.clip((t - x2) / se, a, b)
            log_z = lik.log_ndtr_diff(a, b)
            with np.errstate(divide="ignore"):
                below_u = np.exp(lik.log_ndtr_diff(a, g) - log_z)
                above_u = np.exp(lik.log_ndtr_diff(g, b) - log_z)
        else:  # theta = x - s T, T ~ t_df on [lo, hi]
            tl = (x2 - up[:, cols]) / se
            th = (x2 - lo[:, cols]) / se
            g = np.clip((x2 - t) / se, tl, th)
            z = lik.t_cdf_diff(df, tl, th)
            below_u = lik.t_cdf_diff(df, g, th) / z
            above_u = lik.t_cdf_diff(df, tl, g) / z
        exact = s2 == 0
        below[:, cols] = np.where(exact, (x2 < t), below_u)
        above[:, cols] = np.where(exact, (x2 > t), above_u)
    return below, above


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
    below, above = component_tails(0.0, x, s, comps, df, (m, v))
    atom0 = ((comps.lower == 0) & (comps.upper == 0) & (comps.scale == 0)).astype(float)
    zero = r @ atom0
    neg = np.einsum("ik,ik->i", r, below)
    pos = np.einsum("ik,ik->i", r, above)
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


def qvalues(local):
    """ashr's q-values (or s-values) from lfdr (or lfsr): the running mean of
    the sorted local rates, mapped back to each sample.

    Examples
    --------
    >>> from skmix._eb_posterior import qvalues
    >>> qvalues([0.5, 0.1, 0.9, 0.2]).round(4).tolist()
    [0.2667, 0.1, 0.425, 0.15]
    """
    local = np.asarray(local, dtype=float)
    order = np.argsort(local, kind="stable")
    out = np.empty_like(local)
    out[order] = np.cumsum(local[order]) / np.arange(1, len(local) + 1)
    return out


def _cdf(t, x, s, prior, r, df):
    """``P(theta <= t | x)`` (atoms at t included), rows of t, x, s, r."""
    _, above = component_tails(t, x, s, prior.components, df)
    return np.einsum("ik,ik->i", r, 1.0 - above)


def _component_ranges(x, s, comps, df):
    """Intervals holding each component's posterior (to rounding), (n, K)."""
    m, v = component_moments(x, s, comps, df)
    unif = (comps.upper > comps.lower)[None, :]
    sd = np.sqrt(v)
    width = 40.0 if df is None else 1e4  # (t tails are polynomial)
    lo = np.where(unif, comps.lower[None, :], m - width * sd)
    hi = np.where(unif, comps.upper[None, :], m + width * sd)
    return lo, hi


def quantile(p, x, s, prior, df=None, max_iter=200):
    """The ``p``-quantile ``inf{t : P(theta <= t | x) >= p}`` of each sample.

    A bracketed root find on the posterior mixture's CDF, all samples at
    once: regula falsi with the Illinois rule, and a bisection every third
    step (the CDF jumps at point masses), until the bracket is a few ulps.
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    comps = prior.components
    r = responsibilities(x, s, prior, df)
    lo_k, hi_k = _component_ranges(x, s, comps, df)
    live = r > 0
    lo = np.where(live, lo_k, np.inf).min(axis=1)
    hi = np.where(live, hi_k, -np.inf).max(axis=1)
    lo = lo - 1e-9 * np.maximum(hi - lo, 1e-300) - 4 * np.spacing(np.abs(lo))
    f_lo = _cdf(lo, x, s, prior, r, df) - p
    f_hi = np.ones_like(lo) - p
    out = hi.copy()
    act = np.flatnonzero((s > 0) & (hi > lo))
    out[s == 0] = x[s == 0]
    side = np.zeros(len(x))
    for it in range(max_iter):
        if act.size == 0:
            break
        a, b, fa, fb = lo[act], hi[act], f_lo[act], f_hi[act]
        if it % 3 == 2:
            t = 0.5 * (a + b)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                t = b - fb * (b - a) / (fb - fa)
            bad = ~((t > a) & (t < b))
            t = np.where(bad, 0.5 * (a + b), t)
        ft = _cdf(t, x[act], s[act], prior, r[act], df) - p
        up = ft >= 0  # t becomes the upper end
        hi[act] = np.where(up, t, b)
        f_hi[act] = np.where(up, ft, fb)
        lo[act] = np.where(up, a, t)
        f_lo[act] = np.where(up, fa, ft)
        # Illinois: halve the stale end's value when the same end moves twice
        sd = side[act]
        stale_lo = up & (sd == 1)
        stale_hi = ~up & (sd == -1)
        f_lo[act] = np.where(stale_lo, 0.5 * f_lo[act], f_lo[act])
        f_hi[act] = np.where(stale_hi, 0.5 * f_hi[act], f_hi[act])
        side[act] = np.where(up, 1, -1)
        width = hi[act] - lo[act]
        done = width <= 4 * np.spacing(np.maximum(np.abs(lo[act]), np.abs(hi[act])))
        act = act[~done]
    out[s > 0] = hi[s > 0]
    return out


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
