"""Solvers for the mixing proportion pi, on a summary of the data.

Both solvers see the data only through a :class:`skmix._summary.Summary`:
every iteration evaluates sums over the samples at one or two values of pi
(:func:`skmix._summary.sums`, :func:`skmix._summary.increase`), each a few
microseconds to tens of microseconds whatever the number of samples.

The stopping rule
-----------------
:func:`skmix._stopping.meets_tol`, shared with KnownComponentsMixture: an
iteration *meets* ``tol`` when the log-likelihood rose by less than ``tol``
(the increase is computed per sample, ``log(d_new / d_old)``, never as a
difference of two large totals), measured with the sample weights divided by
the smallest positive weight, unless it more than doubles pi's distance to
the nearer boundary. A solver on the boundary (0 or 1) where the
log-likelihood cannot rise inwards (the score points outwards) has reached
the maximum and stops, converged.

The path (``history``) is recorded by :class:`skmix._stopping.Path`, as
KnownComponentsMixture's is, with a column ``pi``.
"""

import math
from typing import NamedTuple

import numpy as np

from ._stopping import Path
from ._summary import increase, sums


class EMResult(NamedTuple):
    """Outcome of :func:`fit_em` and :func:`fit_newton`."""

    pi: float
    loglik: float
    n_iter: int
    converged: bool
    n_evaluations: int  # evaluations of the summary
    history: dict


def _path(summary, verbose):
    """The recorder of the path, ``loglik`` relative to the summary's maxima."""
    return Path(summary.total_log_max, verbose, show=lambda pi: f"pi = {pi:.10f}  ")


def _unit(summary):
    """Increases are compared in units of the lightest sample."""
    return summary.min_weight if summary.min_weight > 0 else 1.0


def _result(path, converged, n_evaluations):
    """The :class:`EMResult` of a recorded path (``pi`` after ``iteration``)."""
    history = path.history(leading={"pi": np.array(path.points)})
    return EMResult(
        pi=float(path.points[-1]),
        loglik=float(history["loglik"][-1]),
        n_iter=path.n_iter,
        converged=converged,
        n_evaluations=n_evaluations,
        history=history,
    )


def em_step(summary, s):
    """The M-step from the sums at the current pi: the mean responsibility.

    Taken from the smaller of the two responsibility totals, so that pi near
    1 is ``1 - sum(1 - r) / W`` without the cancellation of ``1 - sum(r)/W``.
    """
    total = summary.weight
    pi = s.resp0 / total if s.resp0 <= s.resp1 else 1.0 - s.resp1 / total
    return min(max(pi, 0.0), 1.0)


def _kkt_boundary(pi, s):
    """On the boundary with the score pointing outwards: the maximum."""
    return (pi == 1.0 and s.grad >= 0) or (pi == 0.0 and s.grad <= 0)


def fit_em(summary, pi_init, *, tol, max_iter, verbose=0):
    """EM on pi from ``pi_init`` until an iteration meets ``tol``.

    Row 0 of the history is the starting value. Each iteration is an M-step
    (pi <- mean responsibility) followed by the log-likelihood at the new pi;
    EM stops after the first iteration that meets ``tol`` (see the module
    docstring), or after ``max_iter`` iterations.

    Returns
    -------
    result : EMResult
        ``history`` is a dict of arrays ``iteration``, ``pi``, ``loglik``
        (total) and ``diff_loglik`` (NaN in row 0).
    """
    path, unit = _path(summary, verbose), _unit(summary)
    pi = float(pi_init)
    s = sums(summary, pi)
    path.record(pi, s.log_d, math.nan)
    n_eval = 1
    converged = False
    while path.n_iter < max_iter:
        new_pi = em_step(summary, s)
        diff = increase(summary, pi, new_pi)
        pi, s = new_pi, sums(summary, new_pi)
        n_eval += 2
        path.record(pi, s.log_d, diff)
        if path.meets_tol(tol, unit):
            converged = True
            break
    return _result(path, converged, n_eval)


def _newton_candidates(pi, s, summary):
    """Next values of pi to try: the Newton step (projected on [0, 1]), then EM.

    On the boundary with the score pointing inwards (a projected Newton step
    overshot the maximum), neither moves (EM is stuck on the boundary, the
    Newton step is inf / inf there): then steps back towards 1/2, halving,
    one of which raises the log-likelihood since the score points inwards.
    """
    candidates = []
    if s.curv > 0 and math.isfinite(s.grad / s.curv):
        candidates.append(min(max(pi + s.grad / s.curv, 0.0), 1.0))
    candidates.append(em_step(summary, s))
    candidates = [c for i, c in enumerate(candidates) if c not in candidates[:i]]
    if pi in (0.0, 1.0) and not _kkt_boundary(pi, s):
        candidates += [pi + (0.5 - pi) * 0.5**k for k in range(1, 1075)]
    return [c for c in candidates if c != pi]


def fit_newton(summary, pi_init, *, tol, max_iter, verbose=0):
    """Maximise the log-likelihood in pi by safeguarded Newton steps.

    The log-likelihood is concave in pi, so Newton's method converges
    quadratically near the maximum. Each iteration tries the Newton step
    (projected on [0, 1], so a maximum on the boundary is reached exactly) and
    keeps it if it does not lower the log-likelihood; otherwise it takes the
    EM step, which never does. Rows, stopping rule and result are those of
    :func:`fit_em`. It also stops, converged, when neither step can raise the
    log-likelihood (the maximum to rounding) or on the boundary with the score
    pointing outwards.
    """
    path, unit = _path(summary, verbose), _unit(summary)
    pi = float(pi_init)
    s = sums(summary, pi, derivatives=True)
    path.record(pi, s.log_d, math.nan)
    n_eval = 1
    converged = False
    while path.n_iter < max_iter:
        for candidate in _newton_candidates(pi, s, summary):
            diff = increase(summary, pi, candidate)
            n_eval += 1
            if diff >= 0:
                break
        else:  # no step raises the log-likelihood: pi is the maximum
            converged = True
            break
        pi, s = candidate, sums(summary, candidate, derivatives=True)
        n_eval += 1
        path.record(pi, s.log_d, diff)
        if path.meets_tol(tol, unit) or _kkt_boundary(pi, s):
            converged = True
            break
    return _result(path, converged, n_eval)
