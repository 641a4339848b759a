"""The two-component problem on the one-pass summary of the log-odds.

:class:`SummaryProblem` is the :class:`skmix._problem.OneParameterProblem` of
TwoGaussianMixturePi: the point is ``pi``, the weight of component 0 (a
float), and every reduction is an evaluation of the summary
(:func:`skmix._summary.sums`, :func:`skmix._summary.increase`), a few
microseconds whatever the number of samples. EM (:func:`skmix._solve.fit_em`)
runs on it as on the K-component problems; the safeguarded Newton method
(:func:`skmix._solve.fit_newton`) uses its one-parameter reductions
:meth:`~SummaryProblem.score` and :meth:`~SummaryProblem.curvature`.

On the boundary (``pi`` 0 or 1) with the score pointing outwards the
log-likelihood cannot rise inwards: that is the maximum
(:meth:`~SummaryProblem.at_boundary_maximum`).
"""

import math

import numpy as np

from ._summary import increase, sums


class SummaryProblem:
    """Two components, on a :class:`skmix._summary.Summary`.

    Parameters
    ----------
    summary : Summary
        The summary of the training data (its nodes computed).
    derivatives : bool, default=False
        Whether each evaluation at a point also computes the score and the
        observed information (Newton needs them, EM does not).

    Notes
    -----
    ``n_evaluations`` counts the evaluations of the summary (at one point,
    or the increase between two).
    """

    K = 2

    def __init__(self, summary, *, derivatives=False):
        self.summary = summary
        self.derivatives = derivatives
        # loglik is relative to the summary's maxima
        self.const = summary.total_log_max
        self.total = summary.weight
        # increases are compared in units of the lightest sample
        self.min_weight = summary.min_weight if summary.min_weight > 0 else 1.0
        self.n_evaluations = 0
        self._s = None
        # the summary's nodes (cached on it), computed here, before the fitted
        # estimator's summary is used from several threads
        self.nodes = summary.nodes

    @staticmethod
    def show(pi):
        """The text of a point in a printed row of the path."""
        return f"pi = {pi:.10f}  "

    def start(self, pi):
        """Evaluate the summary at ``pi``; return ``log_d`` there."""
        self._s = sums(self.summary, pi, derivatives=self.derivatives)
        self.n_evaluations += 1
        return self._s.log_d

    initial = start  # every pi is a valid start (-inf: a density underflows)

    def kkt_gap(self, pi):
        """Not defined on the summary (NaN): its stopping rules are ``tol``
        and the boundary's (:meth:`at_boundary_maximum`)."""
        return math.nan

    def m_step(self, pi):
        """The M-step from the sums at ``pi``: the mean responsibility.

        Taken from the smaller of the two responsibility totals, so that pi
        near 1 is ``1 - sum(1 - r) / W`` without the cancellation of ``1 -
        sum(r) / W``.
        """
        s, total = self._s, self.total
        new = s.resp0 / total if s.resp0 <= s.resp1 else 1.0 - s.resp1 / total
        return min(max(new, 0.0), 1.0)

    def gain_to(self, pi, new_pi):
        """The increase of the log-likelihood from ``pi`` to ``new_pi``."""
        self.n_evaluations += 1
        return increase(self.summary, pi, new_pi)

    def em_update(self, pi, log_d):
        """One EM iteration: the M-step, its gain, the evaluation there."""
        new_pi = self.m_step(pi)
        gain = self.gain_to(pi, new_pi)
        return new_pi, self.start(new_pi), gain

    def score(self):
        """The derivative of the log-likelihood in pi at the current point."""
        return self._s.grad

    def curvature(self):
        """Minus its second derivative (the observed information)."""
        return self._s.curv

    def at_boundary_maximum(self, pi):
        """On the boundary with the score pointing outwards: the maximum."""
        s = self._s
        return (pi == 1.0 and s.grad >= 0) or (pi == 0.0 and s.grad <= 0)

    def information(self, pi):
        """The observed information at ``pi``, ``sum_i s_i ((f0 - f1) / p)^2``."""
        return sums(self.summary, pi, derivatives=True).curv

    def columns(self, points):
        """The history's column ``pi``, before the log-likelihood's."""
        return {"pi": np.array(points)}, {}
