"""Component parameters and per-sample log-densities of the two Gaussians.

This is the only module where the means, the standard deviations and the
features enter. Everything downstream sees two numbers per sample: the
log-odds ``log f0(x) - log f1(x)`` of the components and the larger of the
two log-densities, ``max(log f0(x), log f1(x))``.

Component ``k`` is ``N(means[k], diag(sigma[k] ** 2))``: the features are
independent given the component, so the log-densities are sums over features.
"""

import math
import numbers

import numpy as np

_LOG_2PI = np.log(2.0 * np.pi)


def _as_component_array(value, name, n_features):
    """Broadcast a scalar, a (2,) or a (2, n_features) parameter to (2, d)."""
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real numbers, got {value!r}.")
    arr = arr.astype(np.float64)
    if arr.ndim == 0:
        if name == "means":
            raise ValueError(
                "means must hold one value per component: shape (2,) or "
                f"(2, n_features), got a scalar {value!r}."
            )
        arr = np.full(2, arr)
    if arr.ndim == 1 and arr.shape[0] == 2:
        arr = np.repeat(arr[:, np.newaxis], n_features, axis=1)
    elif arr.ndim != 2 or arr.shape[0] != 2:
        raise ValueError(
            f"{name} must have shape (2,) or (2, n_features), got shape {arr.shape}."
        )
    elif arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has shape {arr.shape}, i.e. values for {arr.shape[1]} "
            f"features, but X has {n_features} features."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return arr


def check_components(means, sigma, n_features, *, identifiable=True):
    """Validate and broadcast the component parameters.

    Parameters
    ----------
    means : array-like of shape (2,) or (2, n_features)
        Mean of each component, the same for every feature or one per feature.
    sigma : float or array-like of shape (2,) or (2, n_features)
        Standard deviation: common, one per component, or one per component
        and feature. Must be positive.
    n_features : int
        Number of features of the data.
    identifiable : bool, default=True
        If True, raise when the two components are the same distribution, for
        then the mixing proportion cannot be estimated.

    Returns
    -------
    means : ndarray of shape (2, n_features)
    sigma : ndarray of shape (2, n_features)
    """
    if not isinstance(n_features, numbers.Integral) or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features!r}.")
    given_sigma = sigma
    means = _as_component_array(means, "means", n_features)
    sigma = _as_component_array(sigma, "sigma", n_features)
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be > 0, got {given_sigma!r}.")
    same_means = np.array_equal(means[0], means[1])
    if identifiable and same_means and np.array_equal(sigma[0], sigma[1]):
        raise ValueError(
            "The two components are identical (same means and same sigma), so "
            "the mixing proportion pi is not identifiable. Give components "
            "that differ in their means or their sigma."
        )
    return means, sigma


def log_densities(X, means, sigma):
    """Log-density of each sample under each component.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_components`.

    Returns
    -------
    log_dens : ndarray of shape (n_samples, 2)
        ``log f_k(x_i)``. Finite unless a standardised distance overflows
        float64 (``|x| > ~1e154`` for unit sigma), in which case it is ``-inf``,
        the correctly rounded value.
    """
    out = np.empty((X.shape[0], 2))
    with np.errstate(over="ignore"):
        for k in range(2):
            z = (X - means[k]) / sigma[k]
            out[:, k] = -0.5 * np.einsum("ij,ij->i", z, z)
            out[:, k] -= np.log(sigma[k]).sum() + 0.5 * X.shape[1] * _LOG_2PI
    return out


def log_odds_coefficients(means, sigma):
    """Coefficients of the per-feature log-odds in factored form.

    For one feature, with ``d_k = (x - mu_k) / sigma_k``,

    ``log f0(x) - log f1(x) = c + 0.5 * (d1 - d0) * (d1 + d0)``
    ``d1 - d0 = alpha * x + beta``,  ``d1 + d0 = gamma * x + delta``.

    The factored form never subtracts two huge squares, so it stays exact when
    ``sigma0 == sigma1`` (then ``alpha == 0`` and the log-odds is linear in x)
    and overflows only to the correctly signed infinity.

    Returns
    -------
    coef : ndarray of shape (5, n_features)
        Rows ``c, alpha, beta, gamma, delta``.
    """
    # sigma near the float64 limits: a precision may overflow to inf, which
    # the log-odds then turns into the right infinity, or a clear error
    with np.errstate(over="ignore", invalid="ignore"):
        prec0, prec1 = 1.0 / sigma[0], 1.0 / sigma[1]
        return np.stack(
            [
                np.log(sigma[1]) - np.log(sigma[0]),
                prec1 - prec0,
                means[0] * prec0 - means[1] * prec1,
                prec1 + prec0,
                -(means[0] * prec0 + means[1] * prec1),
            ]
        )


def log_odds(X, coef):
    """Log-odds ``log f0(x_i) - log f1(x_i)`` of component 0 for each sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    coef : ndarray of shape (5, n_features)
        From :func:`log_odds_coefficients`.

    Returns
    -------
    lo : ndarray of shape (n_samples,)
        Finite, or ``+inf``/``-inf`` where one component's density is
        infinitely larger than the other's in float64.

    Raises
    ------
    ValueError
        If the log-odds is undefined in float64 (an ``inf - inf``), which can
        only happen for values of X near the float64 range.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        lo = _expanded_log_odds(X, coef)
        # one reduction in the common case: the sum is finite iff every term
        # is; otherwise recompute in the factored form, whose infinities are
        # the true ones, and only an inf - inf there is undefined
        undefined = False
        if not np.isfinite(lo.sum()):
            lo = _factored_log_odds(X, coef)
            undefined = np.isnan(lo).any()
    if undefined:
        raise ValueError(
            "X holds values so extreme (near the float64 range) that the log-odds "
            "of the two components is undefined (inf - inf). Rescale X, means "
            "and sigma together."
        )
    return lo


def _factored_log_odds(X, coef):
    """``c + sum_j 0.5 * (alpha x + beta) * (gamma x + delta)``, feature by feature."""
    c, alpha, beta, gamma, delta = coef
    lo = np.full(X.shape[0], c.sum())
    for j in range(X.shape[1]):
        xj = X[:, j]
        lo += 0.5 * (xj * alpha[j] + beta[j]) * (xj * gamma[j] + delta[j])
    return lo


def _expanded_log_odds(X, coef):
    """The factored form, with features of equal sigmas (alpha = 0) expanded
    to ``x * slope + constant``: one multiplication per sample. Exact unless
    a term overflows, when :func:`_factored_log_odds` must be used."""
    c, alpha, beta, gamma, delta = coef
    linear = alpha == 0  # equal sigmas: that feature's log-odds is linear in x
    slope = 0.5 * beta * gamma
    lo = np.empty(X.shape[0])
    for j in range(X.shape[1]):
        xj = X[:, j]
        if linear[j]:
            term = np.multiply(xj, slope[j], out=lo if j == 0 else None)
        else:
            term = np.multiply(xj, alpha[j])
            term += beta[j]
            term *= xj * gamma[j] + delta[j]
            term *= 0.5
        if j == 0:
            lo[...] = term
        else:
            lo += term
    lo += c.sum() + 0.5 * (beta * delta)[linear].sum()
    return lo


def sample_terms(X, means, sigma):
    """The two per-sample numbers everything else is computed from.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite samples, of any float dtype (computed in float64).
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_components`.

    Returns
    -------
    lo : ndarray of shape (n_samples,)
        Log-odds ``log f0(x_i) - log f1(x_i)``, see :func:`log_odds`.
    log_max : ndarray of shape (n_samples,)
        ``max(log f0(x_i), log f1(x_i))``: the log-density of the component on
        whose side of the log-odds the sample lies.
    """
    X = np.asarray(X, dtype=np.float64)
    lo = log_odds(X, log_odds_coefficients(means, sigma))
    log_dens = log_densities(X, means, sigma)
    return lo, np.where(lo >= 0, log_dens[:, 0], log_dens[:, 1])


def log_mixture_density(lo, log_max, pi, xp=np):
    """``log(pi f0(x) + (1 - pi) f1(x))`` from :func:`sample_terms`.

    Computed as ``log_max + log(d)``, with ``d = pi + (1 - pi) exp(-lo)`` for
    ``lo >= 0`` and ``d = (1 - pi) + pi exp(lo)`` otherwise: ``d`` lies in
    ``[min(pi, 1 - pi), 1]``, so no density is ever formed. ``xp`` is the
    array namespace of ``lo`` and ``log_max`` (NumPy by default).
    """
    u = xp.exp(-xp.abs(lo))
    with np.errstate(divide="ignore"):
        return log_max + xp.log(xp.where(lo >= 0, pi + (1 - pi) * u, 1 - pi + pi * u))


def posterior_logit(lo, pi, xp=np):
    """Log-odds of component 0 given x: ``lo + logit(pi)``.

    On the boundary (``pi`` = 0 or 1) the prior decides, so the result is
    ``-inf`` or ``+inf`` for every sample, never ``inf - inf``. ``xp`` is the
    array namespace of ``lo`` (NumPy by default).
    """
    if pi <= 0.0 or pi >= 1.0:
        return xp.full_like(lo, -math.inf if pi <= 0.0 else math.inf)
    return lo + (math.log(pi) - math.log1p(-pi))
