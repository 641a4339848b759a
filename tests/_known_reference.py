"""Plain, independent transcriptions for the KnownComponentsMixture tests.

Written from the formulas, in log space, without skmix's code: the
log-likelihood, the KKT gradient, a long plain EM, scipy.optimize on a
softmax parametrisation of the simplex, finite-difference information.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax


def loglik(A, w, s=None):
    """sum_i s_i log sum_k w_k exp(A_ik), straight from the definition."""
    with np.errstate(divide="ignore"):
        per_sample = logsumexp(A + np.log(w), axis=1)
    return float(np.sum(per_sample if s is None else s * per_sample))


def kkt_g(A, w, s=None):
    """g_k = sum_i s_i f_ik / p_i / sum_i s_i, with f/p from log space."""
    with np.errstate(divide="ignore"):
        log_p = logsumexp(A + np.log(w), axis=1)
    R = np.exp(A - log_p[:, None])  # f_ik / p_i
    s = np.ones(len(A)) if s is None else s
    return s @ R / s.sum()


def kkt_gap(A, w, s=None):
    g = kkt_g(A, w, s)
    gap = np.max(g - 1)
    pos = w > 0
    return float(max(gap, np.max(np.abs(g[pos] - 1))))


def plain_em(A, s=None, n_iter=20000, w=None):
    """EM in log space: w_k <- sum_i s_i r_ik / sum_i s_i."""
    K = A.shape[1]
    w = np.full(K, 1 / K) if w is None else np.asarray(w, float)
    s = np.ones(len(A)) if s is None else s
    for _ in range(n_iter):
        with np.errstate(divide="ignore"):
            B = A + np.log(w)
        R = np.exp(B - logsumexp(B, axis=1, keepdims=True))
        w = s @ R / s.sum()
    return w


def softmax_optimum(A, s=None):
    """scipy.optimize (BFGS) on w = softmax(theta); for small K, interior optima."""
    K = A.shape[1]
    s = np.ones(len(A)) if s is None else s

    def f(theta):
        return -loglik(A, softmax(theta), s) / s.sum()

    res = minimize(f, np.zeros(K), method="BFGS", options={"gtol": 1e-10})
    return softmax(res.x)


def loglik_linear(A, w, s=None):
    """The log-likelihood as a function of any w (also slightly negative ones)."""
    m = A.max(axis=1)
    per_sample = m + np.log(np.exp(A - m[:, None]) @ w)
    return float(np.sum(per_sample if s is None else s * per_sample))


def free_information(A, w, s=None, h=1e-5):
    """Minus the Hessian of loglik in the K-1 free weights, central differences."""
    K = len(w)

    def ll(v):
        return loglik_linear(A, np.r_[v, 1 - v.sum()], s)

    v0 = np.asarray(w[:-1], float)
    H = np.empty((K - 1, K - 1))
    for a in range(K - 1):
        for b in range(K - 1):
            ea, eb = np.eye(K - 1)[a] * h, np.eye(K - 1)[b] * h
            H[a, b] = (
                ll(v0 + ea + eb)
                - ll(v0 + ea - eb)
                - ll(v0 - ea + eb)
                + ll(v0 - ea - eb)
            ) / (4 * h * h)
    return -H


def stderr_from_information(I_free):
    C = np.linalg.inv(I_free)
    return np.sqrt(np.r_[np.diag(C), C.sum()])
