"""The path and the EM stopping rule of both estimators' solvers.

One recorder (:class:`Path`) and one rule (:func:`meets_tol`) for
TwoGaussianMixturePi's solvers (on pi) and KnownComponentsMixture's (on the
K weights), so that both build ``history_`` the same way and a K = 2
KnownComponentsMixture stops at the same iteration as TwoGaussianMixturePi.
"""

import time

import numpy as np


class Path:
    """A solver's iterations as they are made: point, log-likelihood, gain.

    Row 0 is the starting point (its gain NaN). The log-likelihood is
    recorded as ``log_d``, relative to ``const``: the total is ``const +
    log_d``.

    Parameters
    ----------
    const : float
        The constant part of the log-likelihood.
    verbose : int
        If >= 1, :meth:`record` prints each row.
    show : callable, default=None
        ``show(point)``, the point's text in a printed row (None: nothing).

    Examples
    --------
    >>> from skmix._stopping import Path
    >>> path = Path(-10.0, verbose=0)
    >>> path.record(0.5, -2.0, float("nan"))
    >>> path.record(0.6, -1.5, 0.5)
    >>> path.n_iter, path.meets_tol(1.0, 1.0)
    (1, True)
    >>> path.history(leading={"pi": [0.5, 0.6]})["loglik"]
    array([-12. , -11.5])
    """

    def __init__(self, const, verbose, show=None):
        self.const = const
        self.verbose = verbose
        self.show = show
        # points are kept as given: a caller that changes an array in place
        # records a copy
        self.points, self.log_d, self.diff = [], [], []
        self.start = time.perf_counter()

    @property
    def n_iter(self):
        return len(self.points) - 1

    def record(self, point, log_d, diff):
        """Add a row: the point, its ``log_d`` and the gain that reached it."""
        self.points.append(point)
        self.log_d.append(log_d)
        self.diff.append(diff)
        if self.verbose:
            with np.errstate(invalid="ignore"):
                loglik = self.const + log_d
            shown = "" if self.show is None else self.show(point)
            print(
                f"Iteration {self.n_iter:4d}  {shown}"
                f"loglik = {loglik:.6f}  diff = {diff:.3e}  "
                f"({time.perf_counter() - self.start:.3f} s)"
            )

    def meets_tol(self, tol, unit):
        """Whether the last row's iteration meets ``tol`` (see :func:`meets_tol`)."""
        if self.n_iter == 0:
            return False
        return meets_tol(self.diff[-1], tol, unit, self.points[-2], self.points[-1])

    def loglik(self):
        """The total log-likelihood of every row, as an array."""
        with np.errstate(invalid="ignore"):
            return self.const + np.array(self.log_d)

    def history(self, leading=None, trailing=None):
        """The rows as a dict of arrays.

        ``iteration``, the columns ``leading``, ``loglik`` (total),
        ``diff_loglik`` (NaN in row 0), then the columns ``trailing``:
        ``leading`` and ``trailing`` are dicts of the point's columns.
        """
        return {
            "iteration": np.arange(len(self.points)),
            **(leading or {}),
            "loglik": self.loglik(),
            "diff_loglik": np.array(self.diff),
            **(trailing or {}),
        }


def meets_tol(gain, tol, unit, w_old, w_new):
    """Whether an iteration from ``w_old`` to ``w_new`` meets ``tol``.

    An iteration meets ``tol`` when the log-likelihood rose by less than
    ``tol``, the increase ``gain`` measured with the sample weights divided
    by the smallest positive one (``unit``): weights that are counts
    (smallest 1) stop exactly as the repeated rows would, and multiplying
    every weight by a constant changes nothing. The caller computes ``gain``
    sample by sample (``sum_i s_i log(p_new(x_i) / p_old(x_i))``), never as a
    difference of two large totals.

    An iteration that leaves the weights exactly as they were (a fixed
    point of the solver, gain 0) meets any ``tol``, 0 included.

    An iteration that more than doubles some weight's distance to the end of
    [0, 1] nearer to its old value does not meet ``tol``: EM started within a
    hair of the boundary moves away from it by a factor per step while
    gaining almost nothing.

    Parameters
    ----------
    gain : float
        The increase of the log-likelihood in this iteration.
    tol : float
        The tolerance on ``gain / unit``.
    unit : float
        The smallest positive sample weight (1 without weights).
    w_old, w_new : float or ndarray of shape (K,)
        The weights before and after the iteration (for two components, the
        mixing proportion ``pi`` alone is enough).

    Returns
    -------
    bool

    Examples
    --------
    >>> from skmix._stopping import meets_tol
    >>> meets_tol(1e-7, 1e-5, 1.0, 0.30, 0.31)
    True
    >>> meets_tol(1e-7, 1e-5, 1.0, 1e-12, 3e-12)  # leaving the boundary
    False
    >>> meets_tol(1e-7, 1e-5, 1e-3, 0.30, 0.31)  # gain: 1e-4 lightest samples
    False
    """
    if _leaves_boundary(w_old, w_new):
        return False
    if gain == 0 and np.array_equal(w_old, w_new):
        return True  # a fixed point: no later iteration moves (tol = 0 too)
    with np.errstate(over="ignore"):  # a subnormal smallest weight
        return bool(gain / unit < tol)


def _leaves_boundary(w_old, w_new):
    """Some weight more than doubles its distance to the end nearer ``w_old``."""
    # the same expressions for Python floats (the two-component solvers call
    # this once per iteration, a few microseconds matter) and arrays
    nearer = w_old > 0.5  # the end 1 (True) or 0 (False)
    d_old = abs(w_old - nearer)
    leaving = (abs(w_new - nearer) > 2.0 * d_old) & (d_old > 0.0)
    return leaving if isinstance(leaving, bool) else bool(leaving.any())
