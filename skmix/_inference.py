"""Uncertainty of the estimated pi: standard error and confidence intervals.

All work on the summary of the training data (:mod:`skmix._summary`): each
evaluation of the log-likelihood, or of its derivatives, at a value of pi is
an evaluation of the summary (microseconds), not a pass over the data.
"""

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2

from ._simplex import wald_intervals
from ._summary import increase, sums


def observed_information(summary, pi):
    """Minus the second derivative of the log-likelihood in pi, at ``pi``.

    For one parameter the observed Fisher information has the closed form
    ``sum_i s_i ((f0(x_i) - f1(x_i)) / p(x_i))**2`` (weights ``s_i``).
    """
    return sums(summary, pi, derivatives=True).curv


def standard_error(information):
    """``1 / sqrt(information)``; ``inf`` when the information is 0."""
    return 1.0 / math.sqrt(information) if information > 0 else math.inf


def wald_interval(pi, stderr, alpha):
    """``pi -/+ z_{1 - alpha/2} * stderr``, clipped to [0, 1].

    :func:`skmix._simplex.wald_intervals` (KnownComponentsMixture's) for the
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
