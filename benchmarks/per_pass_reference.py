"""Reference: skmix's per-pass EM as of commit 975c6f4 (the baseline).

Kept for the benchmark only (``benchmarks/bench_fit.py``), not used by the
library: a one-time pass stores ``u = exp(-|t|)`` per sample (8 bytes each),
then every EM iteration is a pass over ``u`` (NumPy kernels, or the compiled
kernel of that commit where numba is installed). The code is that commit's
``_densities``, ``_kernels`` and ``_solvers``, concatenated.

    from per_pass_reference import fit
    result = fit(X, means, sigma, kernel="compiled")  # or "numpy"
"""

import contextlib
import math
from typing import NamedTuple

import numpy as np

_LOG_2PI = np.log(2.0 * np.pi)


def log_densities(X, means, sigma):
    """Log-density of each sample under each component.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_components`.

    Returns
    -------
    log_dens : ndarray of shape (n_samples, 2)
        ``log f_k(x_i)``. Finite unless a standardised distance overflows
        float64 (``|x| > ~1e154`` for unit sigma), in which case it is ``-inf``,
        the correctly rounded value.
    """
    out = np.empty((X.shape[0], 2))
    with np.errstate(over="ignore"):
        for k in range(2):
            z = (X - means[k]) / sigma[k]
            out[:, k] = -0.5 * np.einsum("ij,ij->i", z, z)
            out[:, k] -= np.log(sigma[k]).sum() + 0.5 * X.shape[1] * _LOG_2PI
    return out


def log_odds_coefficients(means, sigma):
    """Coefficients of the per-feature log-odds in factored form.

    For one feature, with ``d_k = (x - mu_k) / sigma_k``,

    ``log f0(x) - log f1(x) = c + 0.5 * (d1 - d0) * (d1 + d0)``
    ``d1 - d0 = alpha * x + beta``,  ``d1 + d0 = gamma * x + delta``.

    The factored form never subtracts two huge squares, so it stays exact when
    ``sigma0 == sigma1`` (then ``alpha == 0`` and the log-odds is linear in x)
    and overflows only to the correctly signed infinity.

    Returns
    -------
    coef : ndarray of shape (5, n_features)
        Rows ``c, alpha, beta, gamma, delta``.
    """
    # sigma near the float64 limits: a precision may overflow to inf, which
    # the log-odds then turns into the right infinity, or a clear error
    with np.errstate(over="ignore", invalid="ignore"):
        prec0, prec1 = 1.0 / sigma[0], 1.0 / sigma[1]
        return np.stack(
            [
                np.log(sigma[1]) - np.log(sigma[0]),
                prec1 - prec0,
                means[0] * prec0 - means[1] * prec1,
                prec1 + prec0,
                -(means[0] * prec0 + means[1] * prec1),
            ]
        )


def log_odds(X, coef):
    """Log-odds ``log f0(x_i) - log f1(x_i)`` of component 0 for each sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    coef : ndarray of shape (5, n_features)
        From :func:`log_odds_coefficients`.

    Returns
    -------
    lo : ndarray of shape (n_samples,)
        Finite, or ``+inf``/``-inf`` where one component's density is
        infinitely larger than the other's in float64.

    Raises
    ------
    ValueError
        If the log-odds is undefined in float64 (an ``inf - inf``), which can
        only happen for values of X near the float64 range.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        lo = _expanded_log_odds(X, coef)
        # one reduction in the common case: the sum is finite iff every term
        # is; otherwise recompute in the factored form, whose infinities are
        # the true ones, and only an inf - inf there is undefined
        undefined = False
        if not np.isfinite(lo.sum()):
            lo = _factored_log_odds(X, coef)
            undefined = np.isnan(lo).any()
    if undefined:
        raise ValueError(
            "X holds values so extreme (near the float64 range) that the log-odds "
            "of the two components is undefined (inf - inf). Rescale X, means "
            "and sigma together."
        )
    return lo


def _factored_log_odds(X, coef):
    """``c + sum_j 0.5 * (alpha x + beta) * (gamma x + delta)``, feature by feature."""
    c, alpha, beta, gamma, delta = coef
    lo = np.full(X.shape[0], c.sum())
    for j in range(X.shape[1]):
        xj = X[:, j]
        lo += 0.5 * (xj * alpha[j] + beta[j]) * (xj * gamma[j] + delta[j])
    return lo


def _expanded_log_odds(X, coef):
    """The factored form, with features of equal sigmas (alpha = 0) expanded
    to ``x * slope + constant``: one multiplication per sample. Exact unless
    a term overflows, when :func:`_factored_log_odds` must be used."""
    c, alpha, beta, gamma, delta = coef
    linear = alpha == 0  # equal sigmas: that feature's log-odds is linear in x
    slope = 0.5 * beta * gamma
    lo = np.empty(X.shape[0])
    for j in range(X.shape[1]):
        xj = X[:, j]
        if linear[j]:
            term = np.multiply(xj, slope[j], out=lo if j == 0 else None)
        else:
            term = np.multiply(xj, alpha[j])
            term += beta[j]
            term *= xj * gamma[j] + delta[j]
            term *= 0.5
        if j == 0:
            lo[...] = term
        else:
            lo += term
    lo += c.sum() + 0.5 * (beta * delta)[linear].sum()
    return lo


def sample_terms(X, means, sigma):
    """The two per-sample numbers everything else is computed from.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite samples, of any float dtype (computed in float64).
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_components`.

    Returns
    -------
    lo : ndarray of shape (n_samples,)
        Log-odds ``log f0(x_i) - log f1(x_i)``, see :func:`log_odds`.
    log_max : ndarray of shape (n_samples,)
        ``max(log f0(x_i), log f1(x_i))``: the log-density of the component on
        whose side of the log-odds the sample lies.
    """
    X = np.asarray(X, dtype=np.float64)
    lo = log_odds(X, log_odds_coefficients(means, sigma))
    log_dens = log_densities(X, means, sigma)
    return lo, np.where(lo >= 0, log_dens[:, 0], log_dens[:, 1])


# Below this many samples on a side, the NumPy kernel is used: importing
# numba and calling a compiled function is not worth it there.
MIN_SAMPLES = 20_000

_state = {"kernel": None, "loaded": False, "enabled": True}


def _chunk_sums(u, shift, k, u_in_numerator, derivatives):
    n = u.shape[0]
    n_chunks = n // k
    den = np.ones(n_chunks)
    num = np.zeros(n_chunks)
    s_t = np.zeros(n_chunks if derivatives else 0)
    s_t2 = np.zeros(n_chunks if derivatives else 0)
    for j in range(k):
        row = u[j * n_chunks : (j + 1) * n_chunks]
        if derivatives:  # t = (1 - u) / w needs the division anyway
            for c in range(n_chunks):
                w = row[c] + shift
                q = 1.0 / w
                num[c] += (row[c] if u_in_numerator else 1.0) * q
                t = (1.0 - row[c]) * q
                s_t[c] += t
                s_t2[c] += t * t
                den[c] = den[c] * w
        else:
            for c in range(n_chunks):
                w = row[c] + shift
                if u_in_numerator:
                    num[c] = num[c] * w + den[c] * row[c]
                else:
                    num[c] = num[c] * w + den[c]
                den[c] = den[c] * w
    s_log = 0.0
    s_ratio = 0.0
    for c in range(n_chunks):
        s_log += math.log(den[c])
        s_ratio += num[c] if derivatives else num[c] / den[c]
    t_sum = s_t.sum() if derivatives else 0.0
    t2_sum = s_t2.sum() if derivatives else 0.0
    for i in range(n_chunks * k, n):
        w = u[i] + shift
        s_log += math.log(w)
        s_ratio += (u[i] if u_in_numerator else 1.0) / w
        t = (1.0 - u[i]) / w
        t_sum += t
        t2_sum += t * t
    if not derivatives:
        t_sum = 0.0
        t2_sum = 0.0
    return s_log, s_ratio, t_sum, t2_sum


# Samples per call of the compiled kernel: its per-chunk accumulators then
# take at most 4 * BLOCK / k floats, whatever n is.
BLOCK = 1 << 18


def _blockwise(kernel):
    def side_sums(u, shift, k, u_in_numerator, derivatives):
        totals = [0.0, 0.0, 0.0, 0.0]
        for start in range(0, u.shape[0], BLOCK):
            block = u[start : start + BLOCK]
            sums = kernel(block, shift, k, u_in_numerator, derivatives)
            for i in range(4):
                totals[i] += sums[i]
        return totals

    return side_sums


def compiled_side_sums():
    """The compiled kernel, or None (numba missing, or turned off).

    It is called as ``kernel(u, shift, k, u_in_numerator, derivatives)`` and
    returns ``sum log w``, ``sum num / w`` and, with derivatives, ``sum t``
    and ``sum t**2`` (``t = (1 - u) / w``), for ``w = u + shift > 0``.
    """
    if not _state["enabled"] or False:
        return None
    if not _state["loaded"]:
        _state["loaded"] = True
        try:
            import numba
        except ImportError:
            return None
        compiled = numba.njit(cache=True, fastmath={"contract"})(_chunk_sums)
        _state["kernel"] = _blockwise(compiled)
    return _state["kernel"]


# Samples processed at a time: large enough to amortise numpy's call overhead,
# small enough that a block's temporaries stay in cache.
BLOCK_SIZE = 32768
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
        ``sum_i s_i max(log f0(x_i), log f1(x_i))``; ``-inf`` only if a
        sample's log-density leaves float64's range.
    weight : ndarray of shape (n_samples,) or None
        The positive sample weights ``s_i``, in the order of ``u``; None
        when all weights are 1.
    total : float
        ``sum_i s_i``: the number of samples, or the total weight.
    work : ndarray of shape (3, min(n_samples, BLOCK_SIZE))
        Scratch space reused by every pass, so that passes allocate nothing
        of the size of a block.
    """

    u: np.ndarray
    n_pos: int
    const: float
    weight: np.ndarray | None
    total: float
    work: np.ndarray

    def sums(self, pi, derivatives=False):
        """The sums of one pass at ``pi``: :func:`em_pass` on these terms.

        The solvers and the interval code only call this method (and read
        ``const`` and ``total``), so terms held elsewhere, e.g. in chunks on
        a cluster, only need to provide the same three things.
        """
        return em_pass(self, pi, derivatives)


class EMResult(NamedTuple):
    """Outcome of :func:`fit_em`."""

    pi: float
    loglik: float
    n_iter: int
    converged: bool
    n_passes: int  # passes over the data after the precompute
    history: dict


def _blocks(n):
    for start in range(0, n, BLOCK_SIZE):
        yield slice(start, min(start + BLOCK_SIZE, n))


def precompute(X, means, sigma, sample_weight=None):
    """One pass over X: the per-sample terms that do not depend on pi.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite data, float32 or float64 (computed in float64, block by block).
    means, sigma : ndarray of shape (2, n_features)
        Validated component parameters.
    sample_weight : ndarray of shape (n_samples,), default=None
        Finite, non-negative weights with a positive sum; samples of weight 0
        are left out. None means unit weights.

    Returns
    -------
    terms : MixtureTerms
    """
    if sample_weight is not None:
        keep = sample_weight > 0
        if not keep.all():
            X, sample_weight = X[keep], sample_weight[keep]
    n, n_features = X.shape
    coef = log_odds_coefficients(means, sigma)
    log_norm0 = -np.log(sigma[0]).sum() - 0.5 * n_features * math.log(2 * math.pi)
    u = np.empty(n)
    weight = None if sample_weight is None else np.empty(n)
    front, back = 0, n
    const = 0.0
    # far-out samples may overflow the sums to -inf (then the exact fallback)
    with np.errstate(over="ignore", invalid="ignore"):
        for sl in _blocks(n):
            xb = np.asarray(X[sl], dtype=np.float64)
            lo = log_odds(xb, coef)
            pos = lo >= 0
            n_pos = int(np.count_nonzero(pos))
            side0 = slice(front, front + n_pos)
            side1 = slice(back - (len(lo) - n_pos), back)
            u_pos, u_neg = u[side0], u[side1]
            np.compress(pos, lo, out=u_pos)
            np.compress(~pos, lo, out=u_neg)
            # sum_i max(log f0, log f1) = sum_i log f0 - sum over lo < 0 of lo
            if weight is None:
                const += _sum_log_f0(xb, means[0], sigma[0], log_norm0, None)
                const -= u_neg.sum()
            else:
                sw = sample_weight[sl]
                np.compress(pos, sw, out=weight[side0])
                np.compress(~pos, sw, out=weight[side1])
                const += _sum_log_f0(xb, means[0], sigma[0], log_norm0, sw)
                const -= np.dot(weight[side1], u_neg)
            np.negative(u_pos, out=u_pos)
            np.exp(u_pos, out=u_pos)  # now u = exp(-|lo|)
            np.exp(u_neg, out=u_neg)
            front += n_pos
            back -= len(u_neg)
        if not math.isfinite(const):  # a density beyond float64, or inf - inf
            const = _exact_sum_log_max(X, means, sigma, sample_weight)
    return MixtureTerms(
        u=u,
        n_pos=front,
        const=float(const),
        weight=weight,
        total=float(n if weight is None else math.fsum(sample_weight)),
        work=np.empty((3, min(n, BLOCK_SIZE))),
    )


def _sum_log_f0(X, mean, sigma, log_norm, weight):
    """``sum_i s_i log f0(x_i)`` over a block (may be -inf, never NaN)."""
    z = np.subtract(X, mean)
    if weight is None:
        count = len(X)
        if X.shape[1] == 1:
            # (norm / sigma)**2, not norm**2 / sigma**2: sigma**2 may underflow
            ratio = np.sqrt(np.dot(z[:, 0], z[:, 0])) / sigma[0]
            sq = float(ratio * ratio)
        else:
            z /= sigma
            sq = float(np.einsum("ij,ij->", z, z))
    else:
        count = float(weight.sum())
        z /= sigma
        sq = float(np.einsum("ij,ij,i->", z, z, weight))
    return count * log_norm - 0.5 * sq


def _exact_sum_log_max(X, means, sigma, sample_weight):
    """``sum_i s_i max(log f0, log f1)`` sample by sample: the exact fallback."""
    total = 0.0
    for sl in _blocks(X.shape[0]):
        log_max = sample_terms(X[sl], means, sigma)[1]
        if sample_weight is None:
            total += log_max.sum()
        else:
            total += np.dot(sample_weight[sl], log_max)
    return total


def _chunk_length(low, high):
    """Largest power of two k <= 64 such that a product of k values in
    [low, high] stays within [exp(-600), exp(600)], far from float64's limits.

    A power of two divides every full block, so only a last, short block has
    a remainder to take the logs of one by one.
    """
    if low <= 0.0:
        return 1
    widest = max(-math.log(low), math.log(high), 1e-300)
    k = _MAX_CHUNK
    while k > 1 and k * widest > _MIN_LOG_PRODUCT:
        k //= 2
    return k


def _sum_log(w, k):
    """``sum(log(w))`` with one log per ``k`` values: logs of column products."""
    m = len(w) - len(w) % k
    products = np.multiply.reduce(w[:m].reshape(k, m // k), axis=0)
    total = np.add.reduce(np.log(products, out=products))
    if m < len(w):
        total += np.add.reduce(np.log(w[m:]))
    return total


def _side_sums(u, weight, a, b, u_in_numerator, derivatives, work):
    """Sums over one side at ``d = a + b * u`` (``a, b >= 0``, ``a + b = 1``).

    Returns ``sum s log d``, ``sum s num / d`` (``num`` is ``u`` or 1) and, if
    ``derivatives``, ``sum s t`` and ``sum s t**2`` with ``t = (1 - u) / d``,
    which is ``|f0 - f1| / p``, the per-sample score up to its sign (else
    zeros); ``s`` are the weights (1 when ``weight`` is None).

    ``d`` is formed as ``scale * w`` with ``w = u + a / b`` (one addition per
    sample), or ``w = 1 + (b / a) * u`` when ``b`` is tiny or zero; the scale
    is applied to the sums. Works block by block in ``work``, so temporaries
    stay in cache and nothing of the size of the data is allocated.
    """
    n = len(u)
    if n == 0:
        return 0.0, 0.0, 0.0, 0.0
    if b > 1e-3 * a:
        scale, shift, slope = b, a / b, 1.0
    else:
        scale, shift, slope = a, 1.0, b / a
    k = _chunk_length(shift, shift + slope)
    if (
        weight is None
        and slope == 1.0
        and shift > 0.0
        and n >= MIN_SAMPLES
        and (kernel := compiled_side_sums()) is not None
    ):  # the hot case, compiled: see skmix/_kernels.py
        sums, count = kernel(u, shift, k, u_in_numerator, derivatives), n
    else:
        sums, count = _blockwise_sums(
            u, weight, shift, slope, k, u_in_numerator, derivatives, work
        )
    s_log, s_ratio, s_t, s_t2 = sums
    return (
        float(s_log + count * math.log(scale)),
        float(s_ratio / scale),
        float(s_t / scale),
        float(s_t2 / scale**2),
    )


def _blockwise_sums(u, weight, shift, slope, k, u_in_numerator, derivatives, work):
    """The NumPy kernel of :func:`_side_sums`, at ``w = shift + slope * u``.

    Returns the unscaled sums ``(sum s log w, sum s num / w, sum s t,
    sum s t**2)`` with ``t = (1 - u) / w``, and ``sum s``.
    """
    s_log = s_ratio = s_t = s_t2 = count = 0.0
    for start in range(0, len(u), BLOCK_SIZE):
        ub = u[start : start + BLOCK_SIZE]
        m = len(ub)
        w, q, t = work[0, :m], work[1, :m], work[2, :m]
        if slope == 1.0:
            np.add(ub, shift, out=w)
        else:
            np.multiply(ub, slope, out=w)
            w += shift
        np.divide(1.0, w, out=q)
        if weight is None:
            count += m
            s_ratio += np.dot(ub, q) if u_in_numerator else np.add.reduce(q)
            s_log += _sum_log(w, k)
        else:
            sb = weight[start : start + BLOCK_SIZE]
            count += np.add.reduce(sb)
            if u_in_numerator:
                s_ratio += np.dot(np.multiply(ub, sb, out=t), q)
            else:
                s_ratio += np.dot(sb, q)
            s_log += np.dot(sb, np.log(w, out=w))
        if derivatives:
            np.subtract(1.0, ub, out=t)
            t *= q
            if weight is None:
                s_t += np.add.reduce(t)
                s_t2 += np.dot(t, t)
            else:
                s_t += np.dot(sb, t)
                s_t2 += np.dot(np.multiply(sb, t, out=w), t)
    return (s_log, s_ratio, s_t, s_t2), count


class PassSums(NamedTuple):
    """Sums over the samples at one value of pi, from :func:`em_pass`."""

    log_d: float  # sum_i log d_i(pi): the log-likelihood less terms.const
    resp: float  # sum_i r_i(pi): n times the next EM estimate of pi
    grad: float  # d loglik / d pi (0.0 unless derivatives were asked for)
    curv: float  # -d2 loglik / d pi2 (0.0 unless derivatives were asked for)


def em_pass(terms, pi, derivatives=False):
    """One pass over ``terms.u`` at ``pi``.

    Parameters
    ----------
    terms : MixtureTerms
    pi : float in [0, 1]
    derivatives : bool, default=False
        Also compute the first and minus the second derivative of the
        log-likelihood, ``sum_i (f0 - f1) / p_i`` and ``sum_i ((f0 - f1) /
        p_i)**2``, for a Newton step. Exact on the boundary too.

    Returns
    -------
    sums : PassSums
    """
    side0, side1 = slice(None, terms.n_pos), slice(terms.n_pos, None)
    weight = terms.weight
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log0, inv0, t0, tt0 = _side_sums(
            terms.u[side0],
            None if weight is None else weight[side0],
            pi,
            1 - pi,
            False,
            derivatives,
            terms.work,
        )
        log1, ratio1, t1, tt1 = _side_sums(
            terms.u[side1],
            None if weight is None else weight[side1],
            1 - pi,
            pi,
            True,
            derivatives,
            terms.work,
        )
    # f0 - f1 is positive on the component-0 side, negative on the other
    return PassSums(
        log_d=log0 + log1, resp=pi * (inv0 + ratio1), grad=t0 - t1, curv=tt0 + tt1
    )


class _Path:
    """The EM path as it is made: rows of (pi, loglik), verbose printing."""

    def __init__(self, terms, max_iter, verbose):
        self.const = terms.const
        self.verbose = verbose
        self.pi = np.empty(max_iter + 1)
        self.log_d = np.empty(max_iter + 1)
        self.n_iter = -1

    def record(self, pi, log_d):
        """Add a row; return the increase of the log-likelihood (NaN in row 0)."""
        self.n_iter += 1
        self.pi[self.n_iter], self.log_d[self.n_iter] = pi, log_d
        diff = log_d - self.log_d[self.n_iter - 1] if self.n_iter else np.nan
        if self.verbose:
            print(
                f"Iteration {self.n_iter:4d}  pi = {pi:.10f}  "
                f"loglik = {self.const + log_d:.6f}  diff = {diff:.3e}"
            )
        return diff

    def result(self, converged, n_passes):
        rows = self.n_iter + 1
        log_d = self.log_d[:rows]
        history = {
            "iteration": np.arange(rows),
            "pi": self.pi[:rows].copy(),
            "loglik": self.const + log_d,
            "diff_loglik": np.diff(log_d, prepend=np.nan),
        }
        return EMResult(
            pi=float(self.pi[self.n_iter]),
            loglik=float(self.const + log_d[-1]),
            n_iter=self.n_iter,
            converged=converged,
            n_passes=n_passes,
            history=history,
        )


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
    n = terms.total
    path = _Path(terms, max_iter, verbose)
    pi = float(pi_init)
    sums = terms.sums(pi)
    path.record(pi, sums.log_d)
    converged = False
    while path.n_iter < max_iter:
        pi = min(max(sums.resp / n, 0.0), 1.0)
        sums = terms.sums(pi)
        if path.record(pi, sums.log_d) < tol:
            converged = True
            break
    return path.result(converged, n_passes=path.n_iter + 1)


def _newton_candidates(pi, sums, n):
    """Next values of pi to try: the Newton step (projected on [0, 1]), then EM."""
    candidates = []
    if sums.curv > 0 and math.isfinite(sums.grad / sums.curv):
        candidates.append(min(max(pi + sums.grad / sums.curv, 0.0), 1.0))
    candidates.append(min(max(sums.resp / n, 0.0), 1.0))
    return [c for i, c in enumerate(candidates) if c != pi and c not in candidates[:i]]


def fit_newton(terms, pi_init, *, tol, max_iter, verbose=0):
    """Maximise the log-likelihood in pi by safeguarded Newton steps.

    The log-likelihood is concave in pi, so Newton's method converges
    quadratically near the maximum. Each iteration tries the Newton step
    (projected on [0, 1], so a maximum on the boundary is reached exactly) and
    keeps it if it does not lower the log-likelihood; otherwise it takes the
    EM step, which never does. Rows, stopping rule (gain < ``tol``) and result
    are those of :func:`fit_em`; a rejected step costs one extra pass.
    It also stops, converged, when neither step can raise the log-likelihood
    (the maximum is reached to rounding, e.g. on the boundary).
    """
    n = terms.total
    path = _Path(terms, max_iter, verbose)
    pi = float(pi_init)
    sums = terms.sums(pi, derivatives=True)
    n_passes = 1
    path.record(pi, sums.log_d)
    converged = False
    while path.n_iter < max_iter:
        for candidate in _newton_candidates(pi, sums, n):
            new = terms.sums(candidate, derivatives=True)
            n_passes += 1
            if new.log_d >= sums.log_d:
                break
        else:  # no step raises the log-likelihood: pi is the maximum
            converged = True
            break
        pi, sums = candidate, new
        if path.record(pi, sums.log_d) < tol:
            converged = True
            break
    return path.result(converged, n_passes=n_passes)


@contextlib.contextmanager
def _kernel(kind):
    previous = _state["enabled"]
    _state["enabled"] = kind == "compiled"
    try:
        yield
    finally:
        _state["enabled"] = previous


def fit(X, means, sigma, *, pi_init=0.5, tol=1e-5, max_iter=1000, kernel="numpy"):
    """The whole per-pass EM fit of that commit (validated means and sigma)."""
    with _kernel(kernel):
        return fit_em(precompute(X, means, sigma), pi_init, tol=tol, max_iter=max_iter)
