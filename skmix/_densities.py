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


def sample_terms(X, means, sigma):
    """The two per-sample numbers everything else is computed from.

    Per feature, the standardised distances ``z_k = (x - mu_k) / sigma_k`` are
    formed from the differences ``x - mu_k`` (so a common offset of X and the
    means changes nothing), and the log-odds of the feature is

    - ``delta * (x - mid) / sigma`` with ``delta = (mu_0 - mu_1) / sigma``,
      ``mid = (mu_0 + mu_1) / 2``, when both sigmas are equal (exact, linear);
    - ``0.5 * (z_1 - z_0) * (z_1 + z_0) + log(sigma_1 / sigma_0)`` otherwise,

    never a difference of two large squares. Far out (``|x|`` near the float64
    limits) the log-odds is the correctly signed infinity.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite samples, of any float dtype (computed in float64).
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_components`.

    Returns
    -------
    lo : ndarray of shape (n_samples,)
        Log-odds ``log f0(x_i) - log f1(x_i)``.
    log_max : ndarray of shape (n_samples,)
        ``max(log f0, log f1)``: up to rounding, the log-density of the
        component on whose side of the log-odds the sample lies (``log f0``
        if ``lo >= 0``, else ``log f1``); ``-inf`` where it leaves float64.

    Raises
    ------
    ValueError
        If the log-odds is undefined in float64 (features pulling to
        different components without bound, values near the float64 range).
    """
    X = np.asarray(X)
    n_features = X.shape[1]
    log_norm = -np.log(sigma).sum(axis=1) - 0.5 * n_features * _LOG_2PI
    lo = sq0 = sq1 = None
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n_features):
            xj = X[:, j]
            mu0, mu1 = means[0, j], means[1, j]
            s0, s1 = sigma[0, j], sigma[1, j]
            # times the reciprocals (a division pass costs several multiplies;
            # the compiled build and the Array API build compute the same)
            inv0, inv1 = 1.0 / s0, 1.0 / s1
            # float64 from here on, whatever X's dtype
            z0 = np.subtract(xj, mu0, dtype=np.float64)
            z0 *= inv0
            z1 = np.subtract(xj, mu1, dtype=np.float64)
            z1 *= inv1
            if s0 == s1:
                term = np.subtract(xj, 0.5 * mu0 + 0.5 * mu1, dtype=np.float64)
                term *= inv0
                term *= (mu0 - mu1) * inv0
            else:
                term = z1 - z0
                term *= z1 + z0
                term *= 0.5
                # both distances overflowed: the wider component wins
                far = np.isnan(term)
                if far.any():
                    term[far] = math.inf if s0 > s1 else -math.inf
                term += math.log(s1) - math.log(s0)
            z0 *= z0
            z1 *= z1
            if lo is None:
                lo, sq0, sq1 = term, z0, z1
            else:
                lo += term
                sq0 += z0
                sq1 += z1
        undefined = np.isnan(lo).any()
    if undefined:
        raise ValueError(
            "X holds values so extreme (near the float64 range) that the log-odds "
            "of the two components is undefined (inf - inf). Rescale X, means "
            "and sigma together."
        )
    # log_max = max(log f0, log f1) = max_k (log_norm_k - 0.5 * sq_k); with
    # equal normalisations (equal sigmas), log_norm - 0.5 * min(sq0, sq1)
    if log_norm[0] == log_norm[1]:
        np.minimum(sq0, sq1, out=sq0)
        sq0 *= -0.5
        sq0 += log_norm[0]
    else:
        sq0 *= -0.5
        sq0 += log_norm[0]
        sq1 *= -0.5
        sq1 += log_norm[1]
        np.maximum(sq0, sq1, out=sq0)
    return lo, sq0


def log_mixture_density(lo, log_max, pi, xp=np):
    """``log(pi f0(x) + (1 - pi) f1(x))`` from :func:`sample_terms`.

    Computed as ``log_max + log(d)``, with ``d = pi + (1 - pi) exp(-lo)`` for
    ``lo >= 0`` and ``d = (1 - pi) + pi exp(lo)`` otherwise: ``d`` lies in
    ``[min(pi, 1 - pi), 1]``, so no density is ever formed. On the boundary
    (``pi`` = 0 or 1) the samples on the side of the missing component get
    ``log_max - |lo|``, the log-density of the remaining one, finite however
    far out (no ``exp(-|lo|)`` that underflows). ``xp`` is the array
    namespace of ``lo`` and ``log_max`` (NumPy by default).
    """
    if pi <= 0.0 or pi >= 1.0:
        own = lo >= 0 if pi >= 1.0 else lo < 0
        return xp.where(own, log_max, log_max - xp.abs(lo))
    u = xp.exp(-xp.abs(lo))
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
