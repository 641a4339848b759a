"""Independent reference implementations for the tests.

These follow the seed vignette's formulas literally (densities, then E-step,
M-step and total log-likelihood) with scipy.stats, sharing no code with skmix.
"""

import numpy as np
from scipy.stats import norm


def _per_feature(value, n_features):
    """A scalar, (2,) or (2, d) component parameter as (2, d)."""
    value = np.asarray(value, dtype=np.float64)
    if value.ndim < 2:
        value = np.broadcast_to(value, (2,)).reshape(2, 1)
    return np.broadcast_to(value, (2, n_features))


def component_pdfs(X, means, sigma):
    """Densities f0, f1 of each row of X: products of per-feature normal pdfs."""
    X = np.asarray(X, dtype=np.float64)
    means, sigma = _per_feature(means, X.shape[1]), _per_feature(sigma, X.shape[1])
    return tuple(norm.pdf(X, means[k], sigma[k]).prod(axis=1) for k in range(2))


def seed_em(f0, f1, pi, tol=1e-5, max_iterations=1000, weight=None):
    """The vignette's fit_model: returns the iteration table as a dict.

    With ``weight``, the log-likelihood is the weighted sum and the M-step the
    weighted mean (the vignette itself has no weights).
    """
    rows = []
    weight = np.ones_like(f0) if weight is None else np.asarray(weight, float)

    def e_step(pi):
        joint0 = f0 * pi
        joint1 = f1 * (1 - pi)
        p_y = joint0 + joint1
        return joint0 / p_y, np.dot(weight, np.log(p_y))

    post, ll = e_step(pi)
    rows.append((0, pi, ll, np.nan))
    for i in range(1, max_iterations + 1):
        pi = np.dot(weight, post) / weight.sum()
        ll_old = ll
        post, ll = e_step(pi)
        rows.append((i, pi, ll, ll - ll_old))
        if ll - ll_old < tol:
            break
    it, pis, lls, diffs = map(np.array, zip(*rows, strict=True))
    return {"iteration": it, "pi": pis, "loglik": lls, "diff_loglik": diffs}


def mixture_logpdf(X, means, sigma, pi):
    f0, f1 = component_pdfs(X, means, sigma)
    return np.log(pi * f0 + (1 - pi) * f1)


def fisher_stderr(X, means, sigma, pi):
    """Standard error of pi from the observed information at pi."""
    f0, f1 = component_pdfs(X, means, sigma)
    info = np.sum(((f0 - f1) / (pi * f0 + (1 - pi) * f1)) ** 2)
    return 1.0 / np.sqrt(info)


def exact_log_densities(X, means, sigma):
    """Per-sample ``log f0``, ``log f1`` by scipy.stats.norm.logpdf, features summed."""
    X = np.asarray(X, dtype=np.float64)
    means, sigma = _per_feature(means, X.shape[1]), _per_feature(sigma, X.shape[1])
    with np.errstate(over="ignore"):
        return tuple(norm.logpdf(X, means[k], sigma[k]).sum(axis=1) for k in range(2))


def exact_em(l0, l1, pi, tol=1e-5, max_iter=1000, weight=None, side=None):
    """EM sample by sample, in log space, sums by math.fsum.

    ``l0, l1``: per-sample log-densities. Where both are ``-inf`` (a density
    beyond float64), ``side`` (True for component 0) says which one is
    infinitely larger. The increase of each iteration is the fsum of the
    per-sample increases ``c_i(new) - c_i(old)`` with ``c_i = log(pi f0 + (1 -
    pi) f1) - max(log f0, log f1)`` (values of order 1: no total cancels). The
    stopping rule is skmix's documented one: increase / smallest weight <
    tol, except for a step that more than doubles pi's distance to the nearer
    boundary.
    """
    import math

    from scipy.special import expit

    weight = np.ones_like(l0) if weight is None else np.asarray(weight, float)
    keep = weight > 0
    l0, l1, weight = l0[keep], l1[keep], weight[keep]
    both = np.isneginf(l0) & np.isneginf(l1)
    m = np.maximum(l0, l1)
    with np.errstate(invalid="ignore"):
        t = l0 - l1
    if both.any():
        t[both] = np.where(np.asarray(side)[keep][both], np.inf, -np.inf)
    rel0 = np.where(t >= 0, 0.0, -np.abs(t))  # log f0 - m
    rel1 = np.where(t >= 0, -np.abs(t), 0.0)  # log f1 - m
    total = math.fsum(weight)
    unit = weight.min()
    with np.errstate(invalid="ignore"):
        log_max = (
            math.fsum(weight * m) if np.isfinite(m).all() else float(np.dot(weight, m))
        )

    def c(p):
        with np.errstate(divide="ignore"):
            return np.logaddexp(np.log(p) + rel0, np.log1p(-p) + rel1)

    def resp(p):
        return expit(t + (math.log(p) - math.log1p(-p)))

    rows = [(pi, log_max + math.fsum(weight * c(pi)), math.nan)]
    converged = False
    for _ in range(max_iter):
        old = pi
        pi = math.fsum(weight * resp(old)) / total
        diff = math.fsum(weight * (c(pi) - c(old)))
        with np.errstate(invalid="ignore"):
            rows.append((pi, log_max + math.fsum(weight * c(pi)), diff))
        nearer = 0.0 if old <= 0.5 else 1.0
        leaving = abs(pi - nearer) > 2 * abs(old - nearer) > 0
        if not leaving and diff / unit < tol:
            converged = True
            break
    pis, lls, diffs = map(np.array, zip(*rows, strict=True))
    return {"pi": pis, "loglik": lls, "diff_loglik": diffs, "converged": converged}
