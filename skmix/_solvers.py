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

from typing import NamedTuple

import numpy as np

from ._densities import sample_terms

# Samples processed at a time: large enough to amortise numpy's call overhead,
# small enough that a block's temporaries stay in cache.
BLOCK_SIZE = 16384


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
    u = np.empty(n)
    front, back = 0, n
    const = 0.0
    for sl in _blocks(n):
        lo, log_max = sample_terms(X[sl], means, sigma)
        with np.errstate(over="ignore"):  # a total beyond float64 is -inf
            const += log_max.sum()
        pos = lo >= 0
        k = int(np.count_nonzero(pos))
        neg_abs = -np.abs(lo)
        np.exp(neg_abs, out=neg_abs)
        u[front : front + k] = neg_abs[pos]
        u[back - (len(lo) - k) : back] = neg_abs[~pos]
        front += k
        back -= len(lo) - k
    return MixtureTerms(u=u, n_pos=front, const=float(const))


def _side_sums(u, a, b, u_in_numerator):
    """``sum log(a + b*u)`` and ``sum num / (a + b*u)``, num = u or 1, blockwise."""
    buf = np.empty(min(len(u), BLOCK_SIZE))
    s_log = s_ratio = 0.0
    for sl in _blocks(len(u)):
        ub = u[sl]
        d = buf[: len(ub)]
        np.multiply(ub, b, out=d)
        d += a
        if u_in_numerator:
            s_ratio += float(np.dot(ub, 1.0 / d))
        else:
            s_ratio += float(np.reciprocal(d).sum())
        np.log(d, out=d)
        s_log += float(d.sum())
    return s_log, s_ratio


def em_pass(terms, pi):
    """One pass at ``pi``: ``sum_i log d_i(pi)`` and ``sum_i r_i(pi)``.

    The log-likelihood at pi is ``terms.const`` plus the first value; the
    next EM estimate of pi is the second divided by the number of samples.
    """
    n_pos = terms.n_pos
    with np.errstate(divide="ignore"):
        log_pos, inv_pos = _side_sums(terms.u[:n_pos], pi, 1.0 - pi, False)
        log_neg, ratio_neg = _side_sums(terms.u[n_pos:], 1.0 - pi, pi, True)
    return log_pos + log_neg, pi * inv_pos + pi * ratio_neg


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
    s, r_sum = em_pass(terms, pi)
    pis[0], slog[0] = pi, s
    converged = False
    it = 0
    if verbose:
        print(f"Iteration {0:4d}  pi = {pi:.10f}  loglik = {terms.const + s:.6f}")
    while it < max_iter:
        it += 1
        pi = min(max(r_sum / n, 0.0), 1.0)
        s_old = s
        s, r_sum = em_pass(terms, pi)
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
