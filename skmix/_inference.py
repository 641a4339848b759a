"""Inference on the fitted weights: standard errors and confidence intervals.

For every estimator, from its problem (:mod:`skmix._problem`): the observed
information at the fitted weights gives the standard errors (on the face of
the simplex where the estimate lies: :func:`weights_stderr`), and the Wald
intervals follow (:func:`wald_intervals`). For two components, everything
works on the summary of the training data (:mod:`skmix._summary`): each
evaluation of the log-likelihood, or of its derivatives, at a value of pi is
an evaluation of the summary (microseconds), not a pass over the data; the
profile-likelihood interval (:func:`profile_interval`) is found there.
"""

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2, norm

from ._summary import increase, sums

# Information (an eigenvalue of a face's) below this fraction of the
# weights' own information is rounding: the standard error is inf, in every
# estimator (KnownComponentsMixture's weights_stderr_, TwoGaussianMixturePi's
# pi_stderr_)
NO_INFORMATION = 1e-13


def observed_information(summary, pi):
    """Minus the second derivative of the log-likelihood in pi, at ``pi``.

    For one parameter the observed Fisher information has the closed form
    ``sum_i s_i ((f0(x_i) - f1(x_i)) / p(x_i))**2`` (weights ``s_i``).
    """
    return sums(summary, pi, derivatives=True).curv


def standard_error(information, scale):
    """``1 / sqrt(information)``; ``inf`` when the information is at most
    ``NO_INFORMATION * scale`` (``scale``: the total sample weight, to which
    the information of pi itself is close when the components are alike),
    where the data cannot tell the components apart: the rule of
    KnownComponentsMixture's ``weights_stderr_``."""
    if information > NO_INFORMATION * scale:
        return 1.0 / math.sqrt(information)
    return math.inf


def wald_interval(pi, stderr, alpha):
    """``pi -/+ z_{1 - alpha/2} * stderr``, clipped to [0, 1].

    :func:`wald_intervals` (KnownComponentsMixture's) for the
    one weight ``pi``.
    """
    ((low, high),) = wald_intervals(np.array([pi]), np.array([stderr]), alpha)
    return float(low), float(high)


def profile_interval(summary, pi, alpha, *, xtol=1e-14):
    """Likelihood-ratio (profile likelihood) confidence interval for pi.

    The set of values ``p`` in [0, 1] with ``2 * (loglik(pi) - loglik(p)) <=
    chi2_1(1 - alpha)``, where ``pi`` is the estimate. The log-likelihood is
    concave in pi, so this set is an interval; each end is a root found by
    Brent's method on one side of ``pi``, or the boundary 0 or 1 itself when
    the log-likelihood there is still above the cut-off (which is what keeps
    the interval honest for estimates near the boundary).

    Only increases of the log-likelihood from ``pi`` enter
    (:func:`skmix._summary.increase`, no difference of two totals), so the
    interval is defined even when a sample's density leaves float64's range
    (``loglik = -inf`` at every pi).
    """
    drop = 0.5 * chi2.ppf(1 - alpha, df=1)

    def excess(p):
        # -inf (a zero density at p = 0 or 1) would stall the root search;
        # any finite negative value brackets the same root
        with np.errstate(invalid="ignore"):
            value = increase(summary, pi, p) + drop
        return max(value, -1e300) if not math.isnan(value) else -1e300

    def end(boundary):
        if excess(boundary) >= 0:
            return float(boundary)
        low, high = sorted((boundary, pi))
        rtol = 4 * np.finfo(float).eps
        return float(brentq(excess, low, high, xtol=xtol, rtol=rtol))

    return end(0.0), end(1.0)


# -- K weights on the simplex -------------------------------------------------


def simplex_stderr(problem, weights):
    """Standard errors of ``weights``, the problem's current point.

    One pass for the information's columns on the support and its diagonal
    (:meth:`skmix._problem.Problem.information`), then
    :func:`weights_stderr`; all ``inf`` without them when the support has
    more than ``n + 1`` weights (the information has rank at most ``n``).
    The information of sample weights divided by
    ``2**problem.weight_scale`` is scaled back (the errors by the square
    root).
    """
    support = np.flatnonzero(weights > 0)
    if len(support) - 1 > getattr(problem, "n", math.inf):
        # the information, a sum of n rank-one terms, is singular on the
        # face of the support: every stderr is inf, with no pass and no
        # eigendecomposition (EM with K = 2000, n = 50 spent 3 s finding it)
        return np.full(len(weights), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        H_cols, diag = problem.information(support)
    stderr = weights_stderr(weights, H_cols, diag, support)
    scale = getattr(problem, "weight_scale", 0)
    return stderr * 2.0 ** (-scale / 2) if scale else stderr


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
    # relative to the information of the weights themselves (the diagonal:
    # A's entries are differences of them, exact to rounding only)
    if not e.min() > NO_INFORMATION * max(e.max(), np.diag(H_face).max(), 1e-300):
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
            face_scale = max(e.max(), np.diag(H_SS).max(), 1e-300)
            if e.min() > NO_INFORMATION * face_scale:
                proj = b @ V
                schur = a - np.einsum("ij,ij->i", proj / e, proj)
            else:
                schur = np.zeros_like(a)
        else:
            schur = a
        with np.errstate(divide="ignore"):
            scale = np.maximum(diag[out] + H_SS[last, last], 1e-300)
            regular = schur > NO_INFORMATION * scale
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
