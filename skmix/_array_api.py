"""Array API inputs (array-api-strict, PyTorch, CuPy, ...): compute there.

With ``sklearn.set_config(array_api_dispatch=True)`` and X from a non-NumPy
Array API namespace, the per-sample terms are computed in that namespace and
on X's device, and each pass of the solvers is a few reductions there, whose
results (four floats) come back to the host. The solvers themselves are the
NumPy ones: they only need ``const``, ``total`` and ``sums(pi, derivatives)``.

The formulas are those of the NumPy kernels (the factored log-odds, the ratio
``u = exp(-|lo|)`` split by side), written with the standard's functions
only; the NumPy path keeps its faster, blockwise kernels.
"""

import math

import numpy as np
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
    move_to,
)

from ._densities import log_mixture_density, posterior_logit


def array_api_namespace(*arrays):
    """``(xp, device)`` for non-NumPy Array API input when dispatch is on."""
    xp, is_array_api, device = get_namespace_and_device(*arrays)
    if not is_array_api or _is_numpy_namespace(xp):
        return None
    return xp, device


def float_dtype(xp, device):
    """float64, or float32 on devices without float64 (e.g. Apple MPS)."""
    return _max_precision_float_dtype(xp, device)


def _components(means, sigma, xp, device, dtype):
    return (
        xp.asarray(np.asarray(means), dtype=dtype, device=device),
        xp.asarray(np.asarray(sigma), dtype=dtype, device=device),
    )


def sample_terms(X, means, sigma, xp, device):
    """Log-odds ``log f0 - log f1`` and ``max(log f0, log f1)`` of each row.

    The factored form of :func:`skmix._densities.log_odds_coefficients`, so
    that far-out rows give the right infinity; an ``inf - inf`` (values near
    the float64 range) raises a ValueError.
    """
    dtype = float_dtype(xp, device)
    X = xp.astype(X, dtype)
    m, s = _components(means, sigma, xp, device, dtype)
    n_features = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        prec0, prec1 = 1.0 / s[0, :], 1.0 / s[1, :]
        first = X * (prec1 - prec0) + (m[0, :] * prec0 - m[1, :] * prec1)
        second = X * (prec1 + prec0) - (m[0, :] * prec0 + m[1, :] * prec1)
        c = xp.sum(xp.log(s[1, :]) - xp.log(s[0, :]))
        lo = c + xp.sum(0.5 * first * second, axis=1)
        if bool(xp.any(xp.isnan(lo))):
            raise ValueError(
                "X holds values so extreme (near the float64 range) that the "
                "log-odds of the two components is undefined (inf - inf). "
                "Rescale X, means and sigma together."
            )
        log_dens = []
        for k in range(2):
            z = (X - m[k, :]) / s[k, :]
            log_norm = -xp.sum(xp.log(s[k, :])) - 0.5 * n_features * math.log(
                2 * math.pi
            )
            log_dens.append(log_norm - 0.5 * xp.sum(z * z, axis=1))
    return lo, xp.where(lo >= 0, log_dens[0], log_dens[1])


def _posterior_parts(X, means, sigma, pi, xp, device):
    """``|t|``, ``exp(-|t|)`` and ``t >= 0`` for the posterior log-odds ``t``
    of component 0; on the boundary (pi = 0 or 1) the prior decides."""
    t = posterior_logit(sample_terms(X, means, sigma, xp, device)[0], pi, xp)
    abs_t = xp.abs(t)
    return abs_t, xp.exp(-abs_t), t >= 0


def responsibilities(X, means, sigma, pi, xp, device):
    _, e, first = _posterior_parts(X, means, sigma, pi, xp, device)
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)  # expit(|t|), expit(-|t|)
    return xp.stack([xp.where(first, big, small), xp.where(first, small, big)], axis=1)


def log_responsibilities(X, means, sigma, pi, xp, device):
    abs_t, e, first = _posterior_parts(X, means, sigma, pi, xp, device)
    big = -xp.log1p(e)  # log expit(|t|)
    small = -abs_t + big  # log expit(-|t|)
    return xp.stack([xp.where(first, big, small), xp.where(first, small, big)], axis=1)


def labels(X, means, sigma, pi, xp, device):
    p0 = responsibilities(X, means, sigma, pi, xp, device)[:, 0]
    return xp.astype(p0 < 0.5, xp.int64)


def log_density(X, means, sigma, pi, xp, device):
    return log_mixture_density(*sample_terms(X, means, sigma, xp, device), pi, xp)


def to_namespace(array, xp, device):
    """``array`` (any namespace, or array-like) in ``xp`` on ``device``.

    Scalars and None are returned as they are.
    """
    if array is None or (np.ndim(array) == 0 and not hasattr(array, "shape")):
        return array
    if not hasattr(array, "__array_namespace__"):
        array = np.asarray(array)
    return move_to(array, xp=xp, device=device)
