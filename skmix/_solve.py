"""The solvers, written once against the problem protocol.

Every solver sees the data only through a problem
(the protocols of :mod:`skmix._problem`): the K-component matrix in memory or in
chunks, or the two-component summary. Each records its iterations with one
recorder (:class:`skmix._stopping.Path`) and returns one
:class:`SolverResult`:

- :func:`fit_em`: the EM algorithm (any problem), stopped by ``tol``
  (:func:`skmix._stopping.meets_tol`);
- :func:`fit_sqp`: the active-set SQP method of mixsqp on the simplex (the
  K-component problems), stopped by the KKT gap, with its settings in
  :data:`SQP_OPTIONS`;
- :func:`fit_newton`: safeguarded Newton steps in one parameter (the
  two-component :class:`~skmix._problem_summary.SummaryProblem`; for K = 2
  the SQP step is the projected Newton step on ``pi``).

All have the signature ``solver(problem, x0, *, tol, max_iter, verbose=0,
options=None)``; ``status`` is one of :data:`STATUSES`.
"""

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

from ._problem import kkt_gap
from ._stopping import Path

#: the stopping rule was met (``tol`` for EM and Newton, the KKT gap for SQP,
#: or the maximum on the boundary)
CONVERGED = "converged"
#: ``max_iter`` iterations without meeting it
MAX_ITER = "max_iter"
#: no step raises the log-likelihood any more (the maximum to rounding when
#: ``converged`` is True)
NO_ASCENT = "no ascent step"
STATUSES = (CONVERGED, MAX_ITER, NO_ASCENT)

#: The settings of :func:`fit_sqp`, as mixsqp's control list, and their
#: defaults (the ``solver_options`` of the estimators).
SQP_OPTIONS = {
    # stop at this KKT gap (see kkt_gap)
    "kkt_tol": 1e-8,
    # EM iterations before the first SQP step
    "em_steps": 4,
    # after them, weights below this fraction of the largest are set to 0
    "prune": 0.1,
    # columns with g_k > 1 added to the working set at each iteration
    "working_set_extra": 20,
    # Armijo line search: sufficient decrease, backtracking factor, last step
    "armijo_c": 0.01,
    "armijo_beta": 0.5,
    "min_step": 1e-10,
    # the quadratic subproblem (nnqp): optimality tolerance, relative ridge
    # (to the largest diagonal entry of H, at most 1000 times that of each)
    "qp_tol": 1e-13,
    "qp_ridge": 1e-12,
}

_OPTION_CONSTRAINTS = {
    "kkt_tol": [Interval(Real, 0, None, closed="neither")],
    "em_steps": [Interval(Integral, 0, None, closed="left")],
    "prune": [Interval(Real, 0, 1, closed="left")],
    "working_set_extra": [Interval(Integral, 0, None, closed="left")],
    "armijo_c": [Interval(Real, 0, 1, closed="neither")],
    "armijo_beta": [Interval(Real, 0, 1, closed="neither")],
    "min_step": [Interval(Real, 0, 1, closed="right")],
    "qp_tol": [Interval(Real, 0, None, closed="left")],
    "qp_ridge": [Interval(Real, 0, None, closed="left")],
}


def check_solver_options(options):
    """The settings of :func:`fit_sqp`: ``options`` over :data:`SQP_OPTIONS`.

    Parameters
    ----------
    options : dict or None
        Some keys of :data:`SQP_OPTIONS` and their values.

    Returns
    -------
    options : dict
        Every key, the defaults where ``options`` has none.

    Raises
    ------
    ValueError
        For an unknown key (the message lists the allowed ones) or a value
        out of range.

    Examples
    --------
    >>> from skmix._solve import check_solver_options
    >>> check_solver_options({"kkt_tol": 1e-10})["kkt_tol"]
    1e-10
    >>> check_solver_options({"ktt_tol": 1e-10})
    Traceback (most recent call last):
    ...
    ValueError: solver_options has no key 'ktt_tol'; allowed keys: armijo_beta, ...
    """
    if options is None:
        return SQP_OPTIONS
    if not isinstance(options, dict):
        raise ValueError(
            f"solver_options must be a dict or None; got {type(options).__name__}."
        )
    for key in options:
        if key not in SQP_OPTIONS:
            raise ValueError(
                f"solver_options has no key {key!r}; allowed keys: "
                f"{', '.join(sorted(SQP_OPTIONS))}."
            )
    merged = {**SQP_OPTIONS, **options}
    validate_parameter_constraints(
        _OPTION_CONSTRAINTS, merged, caller_name="solver_options"
    )
    return merged


class SolverResult(NamedTuple):
    """The outcome of a solver.

    ``point`` is the solver's own point (the float ``pi`` for the
    two-component summary, the weights otherwise); ``weights`` the K weights
    (``[pi, 1 - pi]``); ``loglik`` the total (weighted) log-likelihood at
    them; ``status`` one of :data:`STATUSES`; ``kkt_gap`` the KKT gap at the
    end (NaN for the two-component summary); ``n_evaluations`` the
    evaluations of the summary (None for problems that do not count them);
    ``history`` the path (:meth:`skmix._stopping.Path.history`).
    """

    point: object
    weights: np.ndarray
    loglik: float
    n_iter: int
    converged: bool
    status: str
    kkt_gap: float
    n_evaluations: object
    history: dict


def _result(problem, path, converged, status, gap):
    """The :class:`SolverResult` of a recorded path."""
    leading, trailing = problem.columns(path.points)
    history = path.history(leading=leading, trailing=trailing)
    point = path.points[-1]
    if np.ndim(point) == 0:
        point = float(point)
        weights = np.array([point, 1.0 - point])
    else:
        point = np.array(point, dtype=float)
        weights = point
    return SolverResult(
        point=point,
        weights=weights,
        loglik=float(history["loglik"][-1]),
        n_iter=path.n_iter,
        converged=converged,
        status=status,
        kkt_gap=gap,
        n_evaluations=getattr(problem, "n_evaluations", None),
        history=history,
    )


def _first_point(x0):
    return float(x0) if np.ndim(x0) == 0 else np.array(x0, dtype=float)


def fit_em(problem, x0, *, tol, max_iter, verbose=0, options=None):
    """EM from ``x0`` until an iteration meets ``tol``.

    Row 0 of the history is the starting point; each iteration is the M-step
    (:meth:`~skmix._problem.EMProblem.em_update`: ``w_k <- w_k g_k(w)``, or
    the mean responsibility for two components) followed by the
    log-likelihood at the new point. EM stops after the first iteration that
    meets ``tol`` (:func:`skmix._stopping.meets_tol`: the gain, computed
    sample by sample, in units of the lightest sample), or after
    ``max_iter`` iterations. The log-likelihood never decreases.

    Parameters
    ----------
    problem : EMProblem
        Any problem (see :class:`skmix._problem.EMProblem`).
    x0 : float or ndarray of shape (K,)
        The starting point.
    tol : float
        The stopping rule's tolerance.
    max_iter : int
        Maximum number of iterations (M-steps).
    verbose : int, default=0
        If >= 1, print each iteration.
    options : dict, default=None
        Not used (EM has no other settings).

    Returns
    -------
    result : SolverResult
    """
    x = _first_point(x0)
    path = Path(problem.const, verbose, show=problem.show)
    log_d = problem.initial(x)
    path.record(x, log_d, math.nan)
    converged, status = False, MAX_ITER
    while path.n_iter < max_iter:
        x, log_d, gain = problem.em_update(x, log_d)
        path.record(x, log_d, gain)
        if path.meets_tol(tol, problem.min_weight):
            converged, status = True, CONVERGED
            break
    return _result(problem, path, converged, status, problem.kkt_gap(x))


def _newton_candidates(problem, pi):
    """Next values of pi to try: the Newton step (projected on [0, 1]), then EM.

    On the boundary with the score pointing inwards (a projected Newton step
    overshot the maximum), neither moves (EM is stuck on the boundary, the
    Newton step is inf / inf there): then steps back towards 1/2, halving,
    one of which raises the log-likelihood since the score points inwards.
    """
    candidates = []
    grad, curv = problem.score(), problem.curvature()
    if curv > 0 and math.isfinite(grad / curv):
        candidates.append(min(max(pi + grad / curv, 0.0), 1.0))
    candidates.append(problem.m_step(pi))
    candidates = [c for i, c in enumerate(candidates) if c not in candidates[:i]]
    if pi in (0.0, 1.0) and not problem.at_boundary_maximum(pi):
        candidates += [pi + (0.5 - pi) * 0.5**k for k in range(1, 1075)]
    return [c for c in candidates if c != pi]


def fit_newton(problem, x0, *, tol, max_iter, verbose=0, options=None):
    """Maximise the log-likelihood in one parameter by safeguarded Newton steps.

    For a one-parameter problem (:class:`~skmix._problem_summary.
    SummaryProblem`: ``score``, ``curvature``, ``gain_to``,
    ``at_boundary_maximum``). The log-likelihood is concave in pi, so
    Newton's method converges quadratically near the maximum. Each iteration
    tries the Newton step (projected on [0, 1], so a maximum on the boundary
    is reached exactly) and keeps it if it does not lower the
    log-likelihood; otherwise it takes the EM step, which never does. Rows
    and stopping rule are those of :func:`fit_em`. It also stops, converged,
    when neither step can raise the log-likelihood (the maximum to rounding:
    status ``"no ascent step"``) or on the boundary with the score pointing
    outwards.

    Parameters
    ----------
    problem : OneParameterProblem
        The problem; its evaluations compute the derivatives from now on.
    x0 : float
        The starting ``pi``.
    tol : float
        The stopping rule's tolerance.
    max_iter : int
        Maximum number of iterations.
    verbose : int, default=0
        If >= 1, print each iteration.
    options : dict, default=None
        Not used.

    Returns
    -------
    result : SolverResult
    """
    problem.derivatives = True
    pi = float(x0)
    path = Path(problem.const, verbose, show=problem.show)
    log_d = problem.initial(pi)
    path.record(pi, log_d, math.nan)
    converged, status = False, MAX_ITER
    while path.n_iter < max_iter:
        for candidate in _newton_candidates(problem, pi):
            diff = problem.gain_to(pi, candidate)
            if diff >= 0:
                break
        else:  # no step raises the log-likelihood: pi is the maximum
            converged, status = True, NO_ASCENT
            break
        pi, log_d = candidate, problem.start(candidate)
        path.record(pi, log_d, diff)
        if path.meets_tol(tol, problem.min_weight) or problem.at_boundary_maximum(pi):
            converged, status = True, CONVERGED
            break
    return _result(problem, path, converged, status, problem.kkt_gap(pi))


#: nnqp's ridge on a variable is at most this times ``ridge`` times its own
#: diagonal entry of H
_RIDGE_SPREAD = 1000.0


def nnqp(H, c, start, *, max_iter=None, tol=1e-13, ridge=1e-12):
    """``argmin_{y >= 0} y^T H y / 2 + c^T y`` by an active-set method.

    Lawson and Hanson's NNLS method written for a quadratic (positive
    semi-definite ``H``), warm-started from the set ``start`` of variables
    thought positive: once the support has settled this is one solve.

    Parameters
    ----------
    H : ndarray of shape (m, m)
    c : ndarray of shape (m,)
    start : ndarray of bool, shape (m,)
    max_iter : int, default=None
        Iterations of the outer loop (None: ``3 m + 10``).
    tol : float, default=1e-13
        A variable enters when its gradient is below ``-tol (1 + max|c|)``.
    ridge : float, default=1e-12
        ``ridge * max(diag(H))`` is added to the diagonal of each solve, but
        at most ``1000 * ridge * H_kk`` to variable ``k`` (where ``H_kk >
        0``). A ridge relative to the largest diagonal alone is not enough:
        one sample whose density ``(L x)_i`` is tiny makes ``H_kk`` of the
        columns it lies in up to 1e14 times the others, and that ridge
        swamps the rest of the model (its solution is then about ``-c /
        ridge``: the SQP step goes nowhere and the method stalls with a
        KKT gap of 1e4), or at 1e4 times biases the model's minimum by
        ``ridge * y_k`` (the SQP steps then stop at a KKT gap above 1e-8).

    Returns
    -------
    y : ndarray of shape (m,), ``y >= 0``, exact zeros outside the support.
    """
    m = len(c)
    max_iter = 3 * m + 10 if max_iter is None else max_iter
    tol = tol * (1.0 + np.abs(c).max())
    diag = np.diag(H)
    cap = _RIDGE_SPREAD * ridge * diag
    ridge = ridge * max(float(np.max(diag)), 1e-300)
    ridge = np.where((cap > 0) & (cap < ridge), cap, ridge)
    y = np.zeros(m)

    def solve(P):
        idx = np.flatnonzero(P)
        Hp = H[np.ix_(idx, idx)] + np.diag(ridge[idx])
        try:
            z = np.linalg.solve(Hp, -c[idx])
        except np.linalg.LinAlgError:
            z = np.linalg.lstsq(Hp, -c[idx], rcond=None)[0]
        return idx, z

    P = np.array(start, dtype=bool)
    if P.any():
        idx, z = solve(P)
        if np.all(z > 0):
            y[idx] = z
        else:
            P[:] = False
    for _ in range(max_iter):
        q = H @ y + c
        free = ~P
        if not free.any() or q[free].min() >= -tol:
            break
        j = np.flatnonzero(free)[np.argmin(q[free])]
        P[j] = True
        for _ in range(m + 1):
            idx, z = solve(P)
            if np.all(z > 0):
                y[:] = 0.0
                y[idx] = z
                break
            yp = y[idx]
            neg = z <= 0
            ratio = yp[neg] / (yp[neg] - z[neg])
            alpha = ratio.min() if ratio.size else 0.0
            y[idx] = yp + alpha * (z - yp)
            hit = np.zeros(len(idx), dtype=bool)
            hit[np.flatnonzero(neg)[ratio <= alpha]] = True
            drop = idx[(y[idx] <= 1e-300) | hit]
            y[drop] = 0.0
            P[drop] = False
            if not P.any():
                break
    return y


def armijo_accepts(decrease, a, slope, slack=0.0, c=SQP_OPTIONS["armijo_c"]):
    """Armijo's sufficient decrease: a step of length ``a`` along a direction
    where the objective's derivative is ``slope`` is accepted when the
    objective falls by at least ``c * a * |slope|``, to within ``slack``
    (``decrease`` is its change, negative when it falls). A slope that
    rounding made positive counts as 0 (the step then need only not raise
    the objective beyond ``slack``).

    Examples
    --------
    >>> from skmix._solve import armijo_accepts
    >>> armijo_accepts(-0.02, 1.0, -1.0), armijo_accepts(-0.005, 1.0, -1.0)
    (True, False)
    >>> armijo_accepts(-1e-20, 1.0, 1e-12)
    True
    """
    return decrease <= c * a * min(slope, 0.0) + slack


def fit_sqp(problem, weights_init, *, tol=None, max_iter, verbose=0, options=None):
    """The maximum on the simplex by active-set sequential quadratic programming.

    mix-SQP's method (Kim, Carbonetto, Stephens and Anitescu, 2020), lean:

    1. the relaxation ``min_{x >= 0} -sum_i s_i log (L x)_i / S + sum_k x_k``
       (``S = sum_i s_i``), whose minimum has ``sum x = 1`` and is the
       maximum on the simplex, so that only ``x >= 0`` remains;
    2. ``em_steps`` EM steps from ``weights_init``, then the weights below
       ``prune`` times the largest set to 0 (only where no sample loses more
       than half its density by it);
    3. each iteration: the gradient ``g = L^T (s / u) / S`` (one pass, ``u =
       L x`` kept up to date); a working set of the support and the (up to
       ``working_set_extra``) columns with the largest ``g_k > 1``; the
       Hessian on that set only, ``H = Z^T Z`` with ``Z = diag(sqrt(s) / u)
       L_W / sqrt(S)``, in row blocks; the quadratic model ``min_{y >= 0} y^T
       H y / 2 + (1 - 2 g)^T y`` solved exactly by :func:`nnqp` (weights
       exactly 0 where the model puts them);
    4. a backtracking Armijo line search along ``y - x`` (sufficient
       decrease ``armijo_c``, factor ``armijo_beta``, down to ``min_step``),
       the change of the objective computed as ``sum_i s_i log1p(a v_i /
       u_i)`` (``v = L (y - x)``), accurate near the maximum where a
       difference of totals is not;
    5. stop when :func:`~skmix._problem.kkt_gap` at ``w = x / sum(x)``, from
       an exact pass, is at most ``kkt_tol`` (status ``"converged"``), or
       when no step lowers the objective any more (status ``"no ascent
       step"``, converged only if the gap is then below ``sqrt(kkt_tol)``),
       or after ``max_iter`` iterations (``"max_iter"``).

    Parameters
    ----------
    problem : Problem
        A K-component problem (see :class:`skmix._problem.Problem`).
    weights_init : ndarray of shape (K,)
        The starting weights, on the simplex.
    tol : None
        Not used (the rule is the KKT gap); accepted for a common signature.
    max_iter : int
        Maximum number of iterations (EM steps included).
    verbose : int, default=0
        If >= 1, print each iteration.
    options : dict, default=None
        Keys of :data:`SQP_OPTIONS` (see :func:`check_solver_options`).

    Returns
    -------
    result : SolverResult
    """
    opts = check_solver_options(options)
    kkt_tol, extra = opts["kkt_tol"], opts["working_set_extra"]
    K = problem.K
    S = problem.total
    x = np.array(weights_init, dtype=float)
    path = Path(problem.const, verbose, show=problem.show)
    log_d = problem.initial(x)
    path.record(x, log_d, np.nan)
    g = problem.gradient()
    # EM warm-up
    for _ in range(min(opts["em_steps"], max_iter)):
        if kkt_gap(x, g) <= kkt_tol:
            break
        x, log_d, gain = problem.em_update(x, log_d)
        path.record(x, log_d, gain)
        g = problem.gradient()
    # weights that EM is taking to 0 leave the support: the working set, and
    # with it the Hessian, stays small (they come back if g_k > 1)
    # (only where no sample loses more than half its density by it)
    small = x < opts["prune"] * x.max()
    if small.any() and opts["prune"] > 0:
        pruned = np.where(small, 0.0, x)
        pruned /= pruned.sum()
        log_d_pruned = problem.try_point(pruned, min_ratio=0.5)
        if log_d_pruned is not None:
            # part of the last EM iteration's step (so that diff_loglik adds
            # up to the rise of loglik, and n_iter is that of the backends
            # that never prune); a row of its own after no EM step
            if path.n_iter:
                path.points[-1] = pruned
                path.diff[-1] += log_d_pruned - path.log_d[-1]
                path.log_d[-1] = log_d_pruned
            else:
                path.record(pruned, log_d_pruned, log_d_pruned - log_d)
            x, log_d = pruned, log_d_pruned
            g = problem.gradient()
    converged, status = False, MAX_ITER
    exact = True  # problem.u = L x from an exact product (not updated)
    on_simplex = False  # ... and x was divided by its sum before it
    while True:
        # x sums to 1 up to rounding: the gap at w = x / sum(x)
        sx = x.sum()
        gap = kkt_gap(x, g * sx)
        if gap <= kkt_tol:
            if exact:
                converged, status = True, CONVERGED
                break
            # the exact pass at the point on the simplex: the final point
            # if the gap holds there (no further pass)
            x = x / sx
            log_d = problem.start(x)
            g = problem.gradient()
            exact = on_simplex = True
            continue
        if path.n_iter >= max_iter:
            break
        support = x > 0
        candidates = np.flatnonzero((g > 1.0) & ~support)
        if candidates.size > extra:
            top = np.argpartition(-g[candidates], extra)
            candidates = candidates[top[:extra]]
        W = np.union1d(np.flatnonzero(support), candidates)
        H = problem.hessian(W)
        y_W = nnqp(
            H, 1.0 - 2.0 * g[W], support[W], tol=opts["qp_tol"], ridge=opts["qp_ridge"]
        )
        y = np.zeros(K)
        y[W] = y_W
        p = y - x
        slope = float(np.dot(1.0 - g, p))  # f's derivative along p
        # rounding of f near the maximum: steps within it are accepted, so
        # that weights the model puts at exactly 0 reach 0
        slack = 1e-14 * (1.0 + abs(log_d) / S)
        problem.propose(p)
        a = 1.0
        while a >= opts["min_step"]:
            gain = problem.gain(a)
            decrease = -gain / S + a * float(p.sum())
            if armijo_accepts(decrease, a, slope, slack, opts["armijo_c"]):
                break
            a *= opts["armijo_beta"]
        else:  # no step lowers the objective: the maximum, to rounding?
            if not exact:
                log_d, g, exact = problem.start(x), problem.gradient(), True
                on_simplex = False
                continue
            status = NO_ASCENT
            if gap <= math.sqrt(kkt_tol):
                converged = True
                break
            # far from the maximum (a badly scaled model): an EM step, which
            # never lowers the likelihood, and the SQP steps again after it
            w = x / sx
            x = w * (g * sx)
            x /= x.sum()
            gain = problem.em_step(w, x)
            if not gain > 0:
                break
            status = MAX_ITER
            log_d = problem.start(x)
            path.record(x, log_d, gain)
            g = problem.gradient()
            continue
        x = y if a == 1.0 else x + a * p
        x[x < 0] = 0.0
        problem.accept(a)
        exact = on_simplex = False
        # the path records weights on the simplex: w = x / sum(x), whose
        # log-likelihood is sum s log u - S log(sum x)
        sx_new = x.sum()
        step = gain - S * math.log1p((sx_new - sx) / sx)
        log_d += gain
        path.record(x / sx_new, log_d - S * math.log(sx_new), step)
        g = problem.gradient()
    # the final point on the simplex, from an exact pass
    if not (exact and on_simplex):
        w = x / x.sum()
        log_d = problem.start(w)
        g = problem.gradient()
    else:
        w = x
    gap = kkt_gap(w, g)
    # never converged with a large gap at the point returned (a NaN gap
    # included)
    if converged and not gap <= math.sqrt(kkt_tol):
        converged, status = False, NO_ASCENT
    result = _result(problem, path, converged, status, gap)
    history = result.history
    history["loglik"][-1] = problem.const + log_d
    for k in range(K):
        history[f"weight_{k}"][-1] = w[k]
    return result._replace(point=w, weights=w, loglik=problem.const + log_d)
