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
#: The error where features pull to different components without bound.
UNDEFINED_LOG_ODDS = (
    "X holds values so extreme (near the float64 range) that the log-odds of "
    "the two components is undefined (inf - inf). Rescale X, means and sigma "
    "together."
)


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


def check_gaussian_components(means, sigma, n_features, *, identifiable=True):
    """Validate and broadcast the parameters of the two Gaussian components.

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


def sample_terms(X, means, sigma, xp=np, dtype=None):
    """The two per-sample numbers everything else is computed from.

    Per feature, the standardised distances ``z_k = (x - mu_k) / sigma_k`` are
    formed from the differences ``x - mu_k`` (so a common offset of X and the
    means changes nothing), and the log-odds of the feature is

    - ``delta * (x - mid) / sigma`` with ``delta = (mu_0 - mu_1) / sigma``,
      ``mid = (mu_0 + mu_1) / 2``, when both sigmas are equal (exact, linear);
    - ``0.5 * (z_1 - z_0) * (z_1 + z_0) + log(sigma_1 / sigma_0)`` otherwise,

    never a difference of two large squares (divisions by sigma are
    multiplications by its reciprocal). Far out (``|x|`` near the float64
    limits) the log-odds is the correctly signed infinity.

    The one home of this formula for NumPy and every Array API namespace
    (the compiled kernel of :mod:`skmix._kernels` has its own copy, tested
    equal).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Finite samples, of any float dtype (computed in ``dtype``).
    means, sigma : ndarray of shape (2, n_features)
        As returned by :func:`check_gaussian_components` (NumPy).
    xp : namespace, default=numpy
        X's array namespace.
    dtype : dtype, default=None
        The floating dtype of the computation: ``xp.float64`` if None
        (float32 only on devices without float64).

    Returns
    -------
    lo : array of shape (n_samples,)
        Log-odds ``log f0(x_i) - log f1(x_i)``.
    log_max : array of shape (n_samples,)
        ``max(log f0, log f1)``, the larger log-density: up to rounding, the
        log-density of the component on whose side of the log-odds the
        sample lies (``log f0`` if ``lo >= 0``, else ``log f1``); ``-inf``
        where it leaves float64.

    Raises
    ------
    ValueError
        If the log-odds is undefined in float64 (features pulling to
        different components without bound, values near the float64 range).
    """
    if xp is np:
        X = np.asarray(X)
    if dtype is None:
        dtype = xp.float64
    n_features = X.shape[1]
    log_norm = log_normalisation(sigma)
    constants = log_odds_constants(means, sigma)
    lo = sq0 = sq1 = None
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n_features):
            xj = _astype(X[:, j], dtype, xp)  # a view where it has the dtype
            mu0, mu1, inv0, inv1, linear, delta, mid, far, ratio = constants[j]
            z0 = xj - mu0
            z0 *= inv0
            z1 = xj - mu1
            z1 *= inv1
            if linear:
                term = xj - mid
                term *= inv0
                term *= delta
            else:
                term = z1 - z0
                term *= z1 + z0
                term *= 0.5
                term = _nan_to(term, far, xp)  # both distances overflowed
                term += ratio
            z0 *= z0
            z1 *= z1
            if lo is None:
                lo, sq0, sq1 = term, z0, z1
            else:
                lo += term
                sq0 += z0
                sq1 += z1
        undefined = bool(xp.any(xp.isnan(lo)))
    if undefined:
        raise ValueError(UNDEFINED_LOG_ODDS)
    # log_max = max(log f0, log f1) = max_k (log_norm_k - 0.5 * sq_k); with
    # equal normalisations (equal sigmas), log_norm - 0.5 * min(sq0, sq1)
    if log_norm[0] == log_norm[1]:
        log_max = _extremum(xp.minimum, sq0, sq1, xp)
        log_max *= -0.5
        log_max += float(log_norm[0])
    else:
        sq0 *= -0.5
        sq0 += float(log_norm[0])
        sq1 *= -0.5
        sq1 += float(log_norm[1])
        log_max = _extremum(xp.maximum, sq0, sq1, xp)
    return lo, log_max


def log_normalisation(sigma):
    """``log`` of each component's normalising constant: ``-sum_j
    log(sigma[k, j]) - (n_features / 2) log(2 pi)``, shape (2,)."""
    return -np.log(sigma).sum(axis=1) - 0.5 * sigma.shape[1] * _LOG_2PI


#: The order of the constants of :func:`log_odds_constants`.
MU0, MU1, INV0, INV1, LINEAR, DELTA, MID, FAR, LOG_RATIO = range(9)


def log_odds_constants(means, sigma):
    """Per feature, the constants of the log-odds of :func:`sample_terms`.

    Returns
    -------
    constants : list of tuple
        One tuple of 9 floats per feature, in the order ``MU0, MU1`` (the
        means), ``INV0, INV1`` (the reciprocals of sigma: distances are
        differences times these, a division pass costs several multiplies),
        ``LINEAR`` (1.0 where both sigmas are equal, the log-odds then
        linear, else 0.0), ``DELTA`` (``(mu_0 - mu_1) / sigma`` where linear,
        else 0), ``MID`` (``(mu_0 + mu_1) / 2``), ``FAR`` (the log-odds where
        both distances overflow: the wider component wins, ``+inf`` if
        ``sigma_0 > sigma_1``, else ``-inf``) and ``LOG_RATIO`` (``log(sigma_1
        / sigma_0)``). Python floats: a few microseconds per block.
    """
    out = []
    for mu0, mu1, s0, s1 in zip(*means.tolist(), *sigma.tolist(), strict=True):
        inv0, inv1 = 1.0 / s0, 1.0 / s1
        linear = s0 == s1
        out.append(
            (
                mu0,
                mu1,
                inv0,
                inv1,
                1.0 if linear else 0.0,
                (mu0 - mu1) * inv0 if linear else 0.0,
                0.5 * mu0 + 0.5 * mu1,
                math.inf if s0 > s1 else -math.inf,
                math.log(s1) - math.log(s0),
            )
        )
    return out


def _astype(x, dtype, xp):
    if xp is np:  # NumPy 2.0 has no np.astype
        return x.astype(dtype, copy=False)
    return xp.astype(x, dtype, copy=False)


def _nan_to(x, value, xp):
    """``x`` with its NaN replaced by ``value`` (in place for NumPy)."""
    if xp is np:
        nan = np.isnan(x)
        if nan.any():
            x[nan] = value
        return x
    # an array, not a Python scalar: the 2023.12 standard's where takes arrays
    fill = xp.asarray(value, dtype=x.dtype, device=x.device)
    return xp.where(xp.isnan(x), fill, x)


def _extremum(function, a, b, xp):
    """``function(a, b)`` (``xp.minimum`` or ``xp.maximum``), into ``a`` for
    NumPy."""
    if xp is np:
        return function(a, b, out=a)
    return function(a, b)


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
