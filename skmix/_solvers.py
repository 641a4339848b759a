"""EM for the mixing proportion pi of two known components.

With the components fixed, the data enter only through each sample's
log-odds ``lo_i = log f0(x_i) - log f1(x_i)`` and ``m_i = max(log f0, log f1)``.
Writing ``u_i = exp(-|lo_i|)`` (in [0, 1]: the smaller density over the
larger), the log-likelihood of pi is

    loglik(pi) = sum_i m_i + sum_i log(d_i(pi)),
    d_i(pi)    = pi + (1 - pi) * u_i      if lo_i >= 0   ("component 0 side")
                 (1 - pi) + pi * u_i      if lo_i <  0   ("component 1 side")

and the E-step responsibility of component 0 is ``r_i = pi / d_i`` on the
component-0 side and ``pi * u_i / d_i`` on the other. ``u_i``, the side and
``sum_i m_i`` do not depend on pi: :func:`precompute` finds them in one pass
over X, storing ``u`` with the component-0 side first, and every EM iteration
afterwards is one pass over ``u`` with one log and one division per sample.
``d_i`` lies in ``[min(pi, 1 - pi), 1]``, so nothing underflows or overflows,
however far out a sample lies.
"""

import math
from typing import NamedTuple

import numpy as np

from ._densities import log_odds, log_odds_coefficients, sample_terms

# Samples processed at a time: large enough to amortise numpy's call overhead,
# small enough that a block's temporaries stay in cache.
BLOCK_SIZE = 65536
# sum(log d) is taken as the log of products of up to this many d's; with
# d >= a, a product of k of them stays above a**k, kept above 1e-260.
_MAX_CHUNK = 64
_MIN_LOG_PRODUCT = 600.0


class MixtureTerms(NamedTuple):
    """Everything EM needs from the data, computed once by :func:`precompute`.

    Attributes
    ----------
    u : ndarray of shape (n_samples,)
        ``exp(-|lo_i|)``, samples with ``lo_i >= 0`` first.
    n_pos : int
        Number of samples with ``lo_i >= 0`` (they are ``u[:n_pos]``).
    const : float
        ``sum_i max(log f0(x_i), log f1(x_i))``; ``-inf`` only if a sample's
        log-density leaves float64's range.
    """

    u: np.ndarray
    n_pos: int
    const: float


class EMResult(NamedTuple):
    """Outcome of :func:`fit_em`."""

    pi: float
    loglik: float
    n_iter: int
    converged: bool
    history: dict


def _blocks(n, block_size=BLOCK_SIZE):
    for start in range(0, n, block_size):
        yield slice(start, min(start + block_size, n))


def precompute(X, means, sigma):
    """One pass over X: the per-sample terms that do not depend on pi.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite data, float32 or float64 (computed in float64, block by block).
    means, sigma : ndarray of shape (2, n_features)
        Validated component parameters.

    Returns
    -------
    terms : MixtureTerms
    """
    n = X.shape[0]
    coef = log_odds_coefficients(means, sigma)
    log_norm0 = -np.log(sigma[0]).sum() - 0.5 * X.shape[1] * math.log(2 * math.pi)
    u = np.empty(n)
    front, back = 0, n
    const = 0.0
    for sl in _blocks(n):
        xb = np.asarray(X[sl], dtype=np.float64)
        lo = log_odds(xb, coef)
        const += _sum_log_max(xb, lo, means, sigma, log_norm0)
        pos = np.flatnonzero(lo >= 0)
        neg = np.flatnonzero(lo < 0)
        np.abs(lo, out=lo)
        np.negative(lo, out=lo)
        np.exp(lo, out=lo)
        np.take(lo, pos, out=u[front : front + len(pos)])
        np.take(lo, neg, out=u[back - len(neg) : back])
        front += len(pos)
        back -= len(neg)
    return MixtureTerms(u=u, n_pos=front, const=float(const))


def _sum_log_max(X, lo, means, sigma, log_norm0):
    """``sum_i max(log f0, log f1)`` over a block, as ``sum log f0 - sum min(lo, 0)``.

    Falls back to the per-sample maximum where that shortcut overflows; the
    total itself may be -inf (a density beyond float64), never NaN.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        z = (X - means[0]) / sigma[0]
        total = (
            len(X) * log_norm0
            - 0.5 * np.einsum("ij,ij->", z, z)
            - np.minimum(lo, 0.0).sum()
        )
        if not math.isfinite(total):
            total = sample_terms(X, means, sigma)[1].sum()
    return total


def _chunk_length(a):
    """Largest k <= 64 with a**k >= exp(-600): safe product length for d >= a."""
    if a <= 0.0:
        return 1
    neg_log_a = -math.log(a)
    if neg_log_a * _MAX_CHUNK <= _MIN_LOG_PRODUCT:
        return _MAX_CHUNK
    return max(1, int(_MIN_LOG_PRODUCT / neg_log_a))


def _sum_log(d, k):
    """``sum(log(d))`` with one log per ``k`` values: logs of column products."""
    m = len(d) - len(d) % k
    products = d[:m].reshape(k, m // k).prod(axis=0)
    return float(np.log(products).sum() + np.log(d[m:]).sum())


def _side_sums(u, a, b, u_in_numerator, curvature):
    """Sums over one side at ``d = a + b * u`` (``a, b >= 0``, ``a + b = 1``).

    Returns ``sum log d``, ``sum num / d`` (``num`` is ``u`` or 1) and, if
    ``curvature``, ``sum (1/d - 1)**2`` (else 0.0). Works block by block, so
    its temporaries stay in cache and its memory does not grow with n.
    """
    n = len(u)
    k = _chunk_length(a)
    d_buf = np.empty(min(n, BLOCK_SIZE))
    q_buf = np.empty_like(d_buf)
    s_log = s_ratio = s_curv = 0.0
    for sl in _blocks(n):
        ub = u[sl]
        d, q = d_buf[: len(ub)], q_buf[: len(ub)]
        np.multiply(ub, b, out=d)
        d += a
        np.divide(1.0, d, out=q)
        s_ratio += float(np.dot(ub, q)) if u_in_numerator else float(q.sum())
        s_log += _sum_log(d, k)
        if curvature:
            q -= 1.0
            s_curv += float(np.dot(q, q))
    return s_log, s_ratio, s_curv


class PassSums(NamedTuple):
    """Sums over the samples at one value of pi, from :func:`em_pass`."""

    log_d: float  # sum_i log d_i(pi): the log-likelihood less terms.const
    resp: float  # sum_i r_i(pi): n times the next EM estimate of pi
    curv: float  # -d2 loglik / d pi2 (0.0 unless asked for)


def em_pass(terms, pi, curvature=False):
    """One pass over ``terms.u`` at ``pi``.

    Parameters
    ----------
    terms : MixtureTerms
    pi : float in [0, 1]
    curvature : bool, default=False
        Also compute minus the second derivative of the log-likelihood,
        ``sum_i ((f0 - f1) / p)**2``, for a Newton step.

    Returns
    -------
    sums : PassSums
    """
    n_pos = terms.n_pos
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log0, inv0, curv0 = _side_sums(terms.u[:n_pos], pi, 1.0 - pi, False, curvature)
        log1, ratio1, curv1 = _side_sums(terms.u[n_pos:], 1.0 - pi, pi, True, curvature)
        # on the component-0 side (f0 - f1) / p = (1/d - 1) / (1 - pi), on the
        # other side -(1/d - 1) / pi
        curv = curv0 / (1.0 - pi) ** 2 + curv1 / pi**2 if curvature else 0.0
    return PassSums(log_d=log0 + log1, resp=pi * (inv0 + ratio1), curv=curv)


def fit_em(terms, pi_init, *, tol, max_iter, verbose=0):
    """Run EM on pi from ``pi_init`` until the log-likelihood gains < ``tol``.

    Row 0 of the history is the starting value. Each iteration is an M-step
    (pi <- mean responsibility) followed by the E-step and log-likelihood at
    the new pi; EM stops after the first iteration whose gain in total
    log-likelihood is below ``tol``, or after ``max_iter`` iterations.

    Parameters
    ----------
    terms : MixtureTerms
    pi_init : float in (0, 1)
    tol : float >= 0
    max_iter : int >= 1
    verbose : int
        Print one line per iteration if >= 1.

    Returns
    -------
    result : EMResult
        ``history`` is a dict of arrays ``iteration``, ``pi``, ``loglik``
        (total) and ``diff_loglik`` (NaN in row 0).
    """
    n = len(terms.u)
    pis = np.empty(max_iter + 1)
    slog = np.empty(max_iter + 1)
    pi = float(pi_init)
    s, r_sum, _ = em_pass(terms, pi)
    pis[0], slog[0] = pi, s
    converged = False
    it = 0
    if verbose:
        print(f"Iteration {0:4d}  pi = {pi:.10f}  loglik = {terms.const + s:.6f}")
    while it < max_iter:
        it += 1
        pi = min(max(r_sum / n, 0.0), 1.0)
        s_old = s
        s, r_sum, _ = em_pass(terms, pi)
        pis[it], slog[it] = pi, s
        diff = s - s_old
        if verbose:
            print(
                f"Iteration {it:4d}  pi = {pi:.10f}  "
                f"loglik = {terms.const + s:.6f}  diff = {diff:.3e}"
            )
        if diff < tol:
            converged = True
            break
    diffs = np.diff(slog[: it + 1], prepend=np.nan)
    history = {
        "iteration": np.arange(it + 1),
        "pi": pis[: it + 1].copy(),
        "loglik": terms.const + slog[: it + 1],
        "diff_loglik": diffs,
    }
    return EMResult(
        pi=pi,
        loglik=float(terms.const + s),
        n_iter=it,
        converged=converged,
        history=history,
    )
