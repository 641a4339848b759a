"""The EM stopping rule of TwoGaussianMixturePi and KnownComponentsMixture.

One function for both estimators (and both of TwoGaussianMixturePi's
solvers), so that a K = 2 KnownComponentsMixture stops at the same iteration
as TwoGaussianMixturePi.
"""

import numpy as np


def meets_tol(gain, tol, unit, w_old, w_new):
    """Whether an iteration from ``w_old`` to ``w_new`` meets ``tol``.

    An iteration meets ``tol`` when the log-likelihood rose by less than
    ``tol``, the increase ``gain`` measured with the sample weights divided
    by the smallest positive one (``unit``): weights that are counts
    (smallest 1) stop exactly as the repeated rows would, and multiplying
    every weight by a constant changes nothing. The caller computes ``gain``
    sample by sample (``sum_i s_i log(p_new(x_i) / p_old(x_i))``), never as a
    difference of two large totals.

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
