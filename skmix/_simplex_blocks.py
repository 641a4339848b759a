"""The per-block formulas of the K-component log-likelihood, in any namespace.

A block is some rows of the scaled likelihood matrix ``L`` (each row
divided by its largest entry), their sample weights ``s`` (None: unit
weights) and ``u = L x`` at the current point ``x``. Every reduction the
solvers of :mod:`skmix._solve` need is a sum over blocks of one of these
functions, written once, with the Array API standard's functions only
(``xp``: NumPy or any Array API namespace). The backends differ only in how
they map them and add the results up:

- :class:`skmix._problem.DenseProblem` maps them over cache-sized row blocks
  of one NumPy array and keeps ``u`` (and a step's ``L p``) between calls,
  so that a line search costs no pass over ``L``;
- :class:`skmix._known_backends.ChunkedProblem` maps them over the row
  chunks of a dask array, or one Array API array on its device, computing
  ``u`` in each call (nothing per sample is kept between calls), and adds
  up the results on the host.
"""

import numpy as np


def wsum(xp, s, t):
    """``sum_i s_i t_i`` (``sum_i t_i`` when ``s`` is None)."""
    if s is not None:
        return s @ t
    # (np.sum's Python wrapper, once per block, costs 4% of a dense EM pass)
    return np.add.reduce(t) if xp is np else xp.sum(t)


def loglik(xp, s, u):
    """``sum_i s_i log u_i``: the log-likelihood, less the row maxima's part."""
    return wsum(xp, s, xp.log(u))


def gradient(L, s, u):
    """``L^T (s / u)``: the gradient of :func:`loglik` in ``x`` (unnormalised)."""
    return L.T @ (1.0 / u if s is None else s / u)


def gain(xp, s, u, v, a=1.0):
    """``sum_i s_i log1p(a v_i / u_i)``: the change of :func:`loglik` from
    ``u = L x`` to ``L (x + a p) = u + a v`` (``v = L p``), sample by
    sample, never a difference of two large totals."""
    # (a * v / u: NumPy divides in the temporary a * v, no second array)
    return wsum(xp, s, xp.log1p(v / u if a == 1.0 else a * v / u))


def hessian(xp, L, sqrt_s, u, cols):
    """``sum_i s_i L_iW L_iW^T / u_i^2``, the curvature on the columns ``W``.

    ``Z^T Z`` with ``Z = diag(sqrt(s) / u) L_W`` (``sqrt_s`` None: unit
    weights), ``W = cols``: only those columns of ``L`` are read. NumPy
    computes ``Z.T @ Z`` by a symmetric rank-k update (half the flops of a
    product).
    """
    Z = _columns(xp, L, cols)  # a copy: scaled in place
    Z *= _row_scale(sqrt_s, u)[:, None]
    return Z.T @ Z


def information(xp, L, sqrt_s, u, support):
    """The observed information's columns ``support`` and its diagonal.

    ``H = sum_i s_i L_i L_i^T / u_i^2`` (``= sum_i s_i f_i f_i^T / p_i^2``:
    the scaling of the rows cancels): returns ``H[:, support]`` and
    ``diag(H)``.
    """
    Z = L * _row_scale(sqrt_s, u)[:, None]
    return Z.T @ _columns(xp, Z, support), xp.vecdot(Z, Z, axis=-2)


def _row_scale(sqrt_s, u):
    return 1.0 / u if sqrt_s is None else sqrt_s / u


def _columns(xp, A, idx):
    """``A[:, idx]``, a copy (NumPy's indexing is several times faster than
    ``take`` on a column-major array; the standard has ``take``)."""
    return A[:, idx] if isinstance(A, np.ndarray) else xp.take(A, idx, axis=1)
