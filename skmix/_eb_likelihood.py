"""Log-likelihoods ``log p(x_i | component k)`` of the normal means model.

``x_i = theta_i + s_i e_i`` with ``e_i ~ N(0, 1)`` (or Student's t with
``df`` degrees of freedom), ``theta_i`` drawn from a component of the prior
(see :mod:`skmix._eb_grid`):

- a point mass at ``m``: ``N(x; m, s^2)`` (``t_df((x - m) / s) / s``);
- ``N(m, sigma^2)``: ``N(x; m, s^2 + sigma^2)`` (no closed form with t);
- ``U[a, b]``: ``(F((b - x) / s) - F((a - x) / s)) / (b - a)``, ``F`` the
  error's CDF, as a difference of tails where it is small.

Everything is computed in log space. A sample with ``s = 0`` is exact: its
likelihood is the prior's density at ``x`` (a component's density with
respect to Lebesgue measure, or, where ``x`` is exactly at a point mass, 1
for that point mass and 0 for the continuous components: each row is only
defined up to a factor, which changes no weight).

:func:`scaled_block` returns a block's likelihoods scaled by row, ``L_ik =
p_ik / c_i`` with ``L <= 1`` and ``log c_i`` the row's constant, without a
logarithm per entry for the normal families (the fast path of the fits).
"""

import math

import numpy as np
from scipy.special import gammaln, log_ndtr, ndtr, stdtr

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# below this half-width (in units of s), a uniform's posterior is computed as
# an exponentially tilted uniform (the normal's curvature over it < 1e-10)
NARROW = 1e-5


def log_phi(z):
    return -0.5 * z * z - LOG_SQRT_2PI


def log_sinhc(tau):
    """``log(sinh(tau) / tau)``, accurate for every ``tau``."""
    a = np.abs(tau)
    small = a < 1e-4
    with np.errstate(divide="ignore", invalid="ignore"):
        big = a + np.log(-np.expm1(-2.0 * a)) - np.log(2.0 * np.where(small, 1, a))
    return np.where(small, a * a / 6.0, big)


def log_ndtr_diff(alpha, beta):
    """``log(Phi(beta) - Phi(alpha))`` for ``alpha <= beta``, in log space.

    Both ends above 0: the upper tails; an interval narrower than
    ``2 NARROW``: ``phi`` at its centre times the integral of the tilted
    uniform; else ``log Phi(beta) + log(1 - Phi(alpha) / Phi(beta))``.
    """
    alpha, beta = np.broadcast_arrays(alpha, beta)
    flip = alpha > 0
    lo = np.where(flip, -beta, alpha)
    hi = np.where(flip, -alpha, beta)
    la, lb = log_ndtr(lo), log_ndtr(hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        wide = lb + np.log(-np.expm1(la - lb))
    h = 0.5 * (hi - lo)
    narrow = h < NARROW
    if narrow.any():
        c = 0.5 * (hi + lo)
        with np.errstate(divide="ignore"):
            near = log_phi(c) + np.log(2.0 * h) + log_sinhc(c * h)
        wide = np.where(narrow, near, wide)
    return wide


def t_log_const(df):
    """``log`` of Student's t density's constant."""
    return gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * math.log(df * math.pi)


def t_cdf_diff(df, lo, hi):
    """``F(hi) - F(lo)`` of Student's t, from the nearer tails."""
    flip = lo > 0
    a = np.where(flip, -hi, lo)
    b = np.where(flip, -lo, hi)
    return stdtr(df, b) - stdtr(df, a)


def log_lik(x, s, comps, df=None):
    """``log p(x_i | component k)``, shape (n, K) (see the module's notes)."""
    x = np.asarray(x, dtype=float)[:, None]
    s = np.asarray(s, dtype=float)[:, None]
    lower, upper, scale = (np.asarray(a)[None, :] for a in comps)
    point = (lower == upper) & (scale == 0)
    unif = upper > lower
    exact = s == 0
    se = np.where(exact, 1.0, s)
    out = np.empty(np.broadcast_shapes(x.shape, lower.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        if df is None:
            v = se * se + scale * scale
            d = x - lower
            normal = -0.5 * d * d / v - 0.5 * np.log(v) - LOG_SQRT_2PI
            width = np.where(unif, upper - lower, 1.0)
            a = (lower - x) / se
            b = (upper - x) / se
            uni = log_ndtr_diff(np.minimum(a, b), b) - np.log(width)
        else:
            z = (x - lower) / se
            normal = (
                t_log_const(df) - 0.5 * (df + 1) * np.log1p(z * z / df) - np.log(se)
            )
            width = np.where(unif, upper - lower, 1.0)
            a = (x - upper) / se
            b = (x - lower) / se
            uni = np.log(t_cdf_diff(df, a, b)) - np.log(width)
        out[...] = np.where(unif, uni, normal)
        if exact.any():
            rows = exact[:, 0]
            xe = x[rows]
            sc = np.where(point, 1.0, scale)
            dens = np.where(
                unif,
                np.where((xe >= lower) & (xe <= upper), -np.log(width), -np.inf),
                -0.5 * ((xe - lower) / sc) ** 2 - np.log(sc) - LOG_SQRT_2PI,
            )
            at_atom = point & (xe == lower)
            on_atom = at_atom.any(axis=1, keepdims=True)
            dens = np.where(point, -np.inf, dens)
            dens = np.where(on_atom, np.where(at_atom, 0.0, -np.inf), dens)
            out[rows] = dens
    return out


def scaled_block(x, s, comps, df=None, kind=None, cols=None):
    """``(L, c)``: ``L_ik = exp(log p_ik - c_i)`` with ``L <= 1``, ``c_i`` per row.

    ``kind`` (from :func:`block_kind`) picks a fast path: ``"scale"`` (point
    mass and normals all centred at one mode: ``L_ik = sqrt(s^2 / v_ik)
    exp(-d^2 (1 / v_ik - 1 / v_iK) / 2)``, ``v_ik = s_i^2 + sigma_k^2``, no
    logarithm per entry), ``"atoms"`` (point masses only: ``exp(-((x -
    m_k)^2 - min_k (x - m_k)^2) / (2 s^2))``), else the general
    :func:`log_lik` and its row maxima. Rows with ``s = 0`` always take the
    general path. ``cols``: only these columns (the ``"scale"`` path only).
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    if cols is not None and (kind != "scale" or not np.all(s > 0)):
        return scaled_block(x, s, comps, df, kind)[0][:, cols], None
    if kind == "uniform" and np.all(s > 0):
        out = _uniform_block(x, s, comps)
        if out is not None:
            return out
    if kind in (None, "uniform") or df is not None or not np.all(s > 0):
        A = log_lik(x, s, comps, df)
        c = A.max(axis=1)
        if not np.all(np.isfinite(c)):
            i = int(np.flatnonzero(~np.isfinite(c))[0])
            raise ValueError(
                f"X: sample {i} (x = {x[i]!r}, s = {s[i]!r}) has likelihood 0 "
                "under every component of the prior's grid; widen the grid."
            )
        A -= c[:, None]
        np.exp(A, out=A)
        return A, c
    lower, _, scale = comps
    s2 = (s * s)[:, None]
    if kind == "scale":
        d = x - lower[0]
        h = 0.5 * d * d
        vmax = s * s + float(np.max(scale)) ** 2
        if cols is not None:  # some columns only (the same row scaling)
            scale = scale[cols]
        # two arrays of the block's size, seven operations per entry
        L = s2 + (scale * scale)[None, :]
        np.divide(s2, L, out=L)  # s^2 / v
        E = L * (-h / (s * s))[:, None]  # -d^2 / (2 v)
        E += (h / vmax)[:, None]
        np.exp(E, out=E)
        np.sqrt(L, out=L)
        L *= E
        c = -h / vmax - np.log(s) - LOG_SQRT_2PI
        return L, c
    # atoms
    D = x[:, None] - lower[None, :]
    D *= D
    dmin = D.min(axis=1)
    D -= dmin[:, None]
    D *= -0.5 / s2
    np.exp(D, out=D)
    c = -0.5 * dmin / (s * s) - np.log(s) - LOG_SQRT_2PI
    return D, c


def _uniform_block(x, s, comps):
    """:func:`scaled_block` for point masses and uniforms, from the normal
    CDF at each distinct end of the uniforms (no logarithm per entry); None
    where it would lose digits (a uniform narrower than ``s / 1000``, or a
    row whose densities all underflow): then the general path.

    Each end's CDF is taken from its smaller tail ``T`` (exact); a uniform
    above x is ``T_a - T_b`` (upper tails), one below x ``T_b - T_a`` (lower
    tails), one around x ``1 - T_a - T_b``.
    """
    lower, upper, _ = comps
    unif = upper > lower
    if float(np.min((upper - lower)[unif])) < 1e-3 * float(s.max()):
        return None
    lo_u, up_u = lower[unif], upper[unif]
    ends, inv = np.unique(np.r_[lo_u, up_u], return_inverse=True)
    ia, ib = inv[: lo_u.size], inv[lo_u.size :]
    T = (ends[None, :] - x[:, None]) / s[:, None]
    np.abs(T, out=T)
    np.negative(T, out=T)
    ndtr(T, out=T)  # the smaller tail at each end
    Ta, Tb = T[:, ia], T[:, ib]
    dens = Tb - Ta  # the uniforms below x
    above = lo_u[None, :] > x[:, None]
    np.negative(dens, out=dens, where=above)  # above x: Ta - Tb
    around = ~above & (up_u[None, :] >= x[:, None])
    Ta += Tb
    np.subtract(1.0, Ta, out=dens, where=around)
    dens /= up_u - lo_u
    pts = ~unif
    if pts.any():
        full = np.empty((len(x), len(lower)))
        full[:, unif] = dens
        zp = (x[:, None] - lower[pts][None, :]) / s[:, None]
        full[:, pts] = np.exp(-0.5 * zp * zp) / (s[:, None] * math.sqrt(2 * math.pi))
        dens = full
    c = dens.max(axis=1)
    if not np.all(c > 1e-280):
        return None
    dens /= c[:, None]
    return dens, np.log(c)


def row_constants(x, s, comps, df, kind):
    """The row constants ``c`` of :func:`scaled_block` where they have a
    closed form (the ``"scale"`` path), else None."""
    if kind != "scale" or df is not None or not np.all(s > 0):
        return None
    d = x - comps.lower[0] if hasattr(comps, "lower") else x - comps[0][0]
    vmax = s * s + float(np.max(comps[2])) ** 2
    return -0.5 * d * d / vmax - np.log(s) - LOG_SQRT_2PI


def block_kind(comps, df):
    """The fast path of :func:`scaled_block` that ``comps`` allow, or None."""
    lower, upper, scale = comps
    if df is None and np.any(upper > lower) and np.all(scale == 0):
        return "uniform"
    if df is not None or np.any(upper > lower):
        return None
    if np.all(scale == 0):
        return "atoms"
    if np.all(lower == lower[0]):
        return "scale"
    return None
