"""Independent reference implementations for the tests.

These follow the seed vignette's formulas literally (densities, then E-step,
M-step and total log-likelihood) with scipy.stats, sharing no code with skmix.
"""

import numpy as np
from scipy.stats import norm


def component_pdfs(X, means, sigma):
    """Densities f0, f1 of each row of X: products of per-feature normal pdfs."""
    X = np.asarray(X, dtype=np.float64)

    def per_feature(value):  # scalar, (2,) or (2, d) -> (2, d)
        value = np.asarray(value, dtype=np.float64)
        if value.ndim < 2:
            value = np.broadcast_to(value, (2,)).reshape(2, 1)
        return np.broadcast_to(value, (2, X.shape[1]))

    means, sigma = per_feature(means), per_feature(sigma)
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
