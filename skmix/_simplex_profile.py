"""Profile-likelihood confidence intervals for the weights of K components.

For weight k, the profile log-likelihood at ``v`` is the maximum of the
log-likelihood over the simplex with ``w_k = v``; its drop from the maximum,

    drop_k(v) = loglik(w_hat) - max_{w on the simplex, w_k = v} loglik(w),

is convex in ``v`` (the log-likelihood is concave), 0 at ``v = w_hat_k``.
The interval is the set of values that a likelihood-ratio test at level
``alpha`` does not reject, ``2 drop_k(v) <= c(v)``:

- ``c = chi2_1(1 - alpha)`` for ``0 < v < 1``: the two-sided test;
- ``c = chi2_1(1 - 2 alpha)`` for ``v = 0``: a weight of exactly 0 lies on
  the boundary, where the statistic is asymptotically ``chi2_0 / 2 +
  chi2_1 / 2`` (Self and Liang, 1987), so the test is one-sided; the same
  at ``v = 1`` for K = 2, where it is the other weight at 0.

The end of the interval below ``w_hat_k`` is thus 0 when ``2 drop_k(0) <=
chi2_1(1 - 2 alpha)``, the root of ``2 drop_k = chi2_1(1 - alpha)`` when
``2 drop_k(0)`` exceeds that, and between the two (0 rejected one-sided,
while the two-sided cut-off reaches 0) the root of ``2 drop_k =
chi2_1(1 - 2 alpha)``; the end above ``w_hat_k`` likewise. A weight
estimated at 0 gets ``[0, high]``. This rule makes a true weight of 0
covered with probability ``1 - alpha`` (a two-sided cut-off at 0 would give
``1 - alpha / 2``).

The maximum with ``w_k = v`` fixed is a problem of the same kind on the
other K - 1 weights, ``w = E_v x`` with ``E_v x = (1 - v) x`` on the other
components and ``v sum(x)`` at k (linear in ``x``, so that the columns of the
restricted likelihood matrix are ``(1 - v) L_j + v L_k``):
:class:`FixedWeightProblem` wraps any problem of the solver protocol
(:class:`skmix._problem.DenseProblem`, the chunked ones) and the active-set
SQP solves it, warm-started from the previous point of the root search.
Each drop is computed sample by sample as the gain from ``E_v x`` to
``w_hat`` (``sum_i s_i log1p(...)``), never as a difference of two totals.
"""

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2
from sklearn.exceptions import ConvergenceWarning

from ._problem import SimplexProblem, kkt_gap
from ._solve import fit_sqp
from ._warnings import warn_at_caller

# brentq's absolute tolerance on the ends of the intervals
PROFILE_XTOL = 1e-10
# the model's data: the KKT gap of the fitted weights on X may exceed the
# one recorded at fit by this much (rounding) and no more
DATA_GAP_SLACK = 1e-6


class FixedWeightProblem(SimplexProblem):
    """A problem with the weight of component ``k`` held at ``v``.

    The variables are the K - 1 other weights ``x`` (relaxed, ``x >= 0``, as
    the SQP works); the point of the full problem is ``E x``, with ``(E x)_j
    = (1 - v) x_j`` for ``j != k`` and ``(E x)_k = v sum(x)``. Every
    reduction is the full problem's at ``E x``: the gradient is ``E^T g``
    and the Hessian on columns W is ``E_W^T H E_W``, from the full Hessian
    on ``W + {k}``. The full problem's cached state is used (one profile at
    a time).
    """

    def __init__(self, problem, k, v):
        self.base = problem
        self.k, self.v = k, float(v)
        self.others = np.delete(np.arange(problem.K), k)
        self.K = problem.K - 1
        self.total, self.const = problem.total, problem.const
        self.min_weight = getattr(problem, "min_weight", 1.0)

    def embed(self, x):
        """``E x``: the point of the full problem."""
        x = np.asarray(x, dtype=float)
        full = np.empty(self.K + 1)
        full[self.others] = (1.0 - self.v) * x
        full[self.k] = self.v * x.sum()
        return full

    def start(self, x):
        return self.base.start(self.embed(x))

    def try_point(self, x, min_ratio):
        return self.base.try_point(self.embed(x), min_ratio)

    def gradient(self):
        g = self.base.gradient()
        return (1.0 - self.v) * g[self.others] + self.v * g[self.k]

    def hessian(self, cols):
        cols = np.asarray(cols)
        H = self.base.hessian(np.append(self.others[cols], self.k))
        a, b, c = H[:-1, :-1], H[:-1, -1], H[-1, -1]
        v, r = self.v, 1.0 - self.v
        return r * r * a + r * v * (b[:, None] + b[None, :]) + v * v * c

    def propose(self, p):
        self.base.propose(self.embed(p))

    def gain(self, a):
        return self.base.gain(a)

    def accept(self, a):
        self.base.accept(a)

    def em_step(self, w_old, w_new):
        return self.base.em_step(self.embed(w_old), self.embed(w_new))


def _drop_from(problem, point, w_hat):
    """``loglik(w_hat) - loglik(point)`` sample by sample (``inf`` where
    ``point`` gives a sample a density of 0); in units of the given sample
    weights (the problem's may be divided by ``2**weight_scale``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        problem.start(point)
        problem.propose(w_hat - point)
        drop = float(np.ldexp(problem.gain(1.0), getattr(problem, "weight_scale", 0)))
    return math.inf if math.isnan(drop) else max(drop, 0.0)


class _Profile:
    """``drop_k(v)`` for one weight, warm-starting each maximisation."""

    def __init__(self, problem, w_hat, k, max_iter):
        self.problem, self.w_hat, self.k = problem, w_hat, k
        self.max_iter = max_iter
        others = np.delete(w_hat, k)
        total = others.sum()
        uniform = np.full(len(others), 1.0 / len(others))
        self.x = others / total if total > 0 else uniform
        self.uniform = uniform
        self.converged = True

    def __call__(self, v):
        K = self.problem.K
        if v >= 1.0:
            return _drop_from(self.problem, np.eye(K)[self.k], self.w_hat)
        fixed = FixedWeightProblem(self.problem, self.k, v)
        if K == 2:  # nothing left to maximise
            return _drop_from(self.problem, fixed.embed([1.0]), self.w_hat)
        for x0 in (self.x, self.uniform):
            try:
                result = fit_sqp(fixed, x0, max_iter=self.max_iter)
            except ValueError:  # a sample of density 0 at x0
                continue
            self.x = result.weights
            self.converged &= result.converged
            return _drop_from(self.problem, fixed.embed(result.weights), self.w_hat)
        return math.inf  # every point of the face gives a sample density 0


def _end(profile, w, boundary, c_inside, c_boundary):
    """The end of the interval between ``w`` and ``boundary`` (0 or 1)."""
    if w == boundary:
        return float(boundary)
    d_boundary = 2.0 * profile(boundary)
    if d_boundary <= c_boundary:
        return float(boundary)
    cut = c_inside if d_boundary > c_inside else c_boundary
    low, high = sorted((w, float(boundary)))
    return float(
        brentq(
            lambda v: 2.0 * profile(v) - cut,
            low,
            high,
            xtol=PROFILE_XTOL,
            rtol=4 * np.finfo(float).eps,
        )
    )


def maximum(problem, weights, max_iter, fitted_gap=None):
    """The exact maximum of ``problem``, warm-started from ``weights``.

    With ``fitted_gap`` (the KKT gap recorded when ``weights`` were fitted),
    first check that ``problem`` holds the data that ``weights`` were fitted
    on: ValueError when their KKT gap on it exceeds ``fitted_gap`` by more
    than rounding.
    """
    weights = np.asarray(weights, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = problem.start(weights)
    gap = kkt_gap(weights, problem.gradient()) if math.isfinite(log_d) else math.inf
    if fitted_gap is not None and not gap <= 2 * fitted_gap + DATA_GAP_SLACK:
        raise ValueError(
            "X (and sample_weight) must be the data the model was fitted on: "
            f"the fitted weights are not their maximum (KKT gap {gap:.3g}, "
            f"{fitted_gap:.3g} at fit)."
        )
    return fit_sqp(problem, weights, max_iter=max_iter).weights


def profile_intervals(problem, weights, alpha, *, max_iter=1000):
    """Profile-likelihood intervals for every weight, shape (K, 2).

    Parameters
    ----------
    problem : problem object
        The data's problem (:class:`skmix._problem.DenseProblem` or any
        object of its protocol); its cached state is changed.
    weights : ndarray of shape (K,)
        The maximum of ``problem`` on the simplex (see :func:`maximum`).
    alpha : float
        One minus the confidence level, ``0 < alpha <= 0.5``.
    max_iter : int, default=1000
        Iterations of each constrained maximisation.

    Returns
    -------
    intervals : ndarray of shape (K, 2)
        ``[low, high]`` for each weight; ``low <= weights[k] <= high``.
    """
    w_hat = np.asarray(weights, dtype=float)
    K = len(w_hat)
    c_inside = float(chi2.ppf(1 - alpha, df=1))
    c_zero = float(chi2.ppf(1 - 2 * alpha, df=1))
    c_one = c_zero if K == 2 else c_inside
    out = np.empty((K, 2))
    converged = True
    for k in range(K):
        for j, (boundary, c_boundary) in enumerate(((0.0, c_zero), (1.0, c_one))):
            profile = _Profile(problem, w_hat, k, max_iter)
            out[k, j] = _end(profile, w_hat[k], boundary, c_inside, c_boundary)
            converged &= profile.converged
    if not converged:
        warn_at_caller(
            "A maximisation over the other weights, with one weight held fixed, "
            f"did not converge in max_iter={max_iter} iterations: the profile "
            "intervals may be inaccurate. Increase max_iter.",
            ConvergenceWarning,
        )
    return out
