"""Component adapters: known densities -> an (n, K) matrix of log-densities.

The only place where scipy distributions, fitted scikit-learn density
estimators or a precomputed matrix enter :class:`~skmix.KnownComponentsMixture`.
Each component becomes an adapter with a dimension (``None``: a univariate
density, applied to every column of X as independent coordinates), a
``log_density(X_block)`` and, when it can draw, ``draw(n, rng)``.
"""

import numpy as np
from scipy.stats._distn_infrastructure import rv_discrete, rv_frozen

# Rows per block when the log-density matrix is computed
BLOCK_ROWS = 65536


class _Univariate:
    """A frozen univariate scipy distribution; columns independent."""

    def __init__(self, dist):
        self.dist = dist
        discrete = isinstance(getattr(dist, "dist", None), rv_discrete)
        if not hasattr(dist, "logpdf") or (discrete and hasattr(dist, "logpmf")):
            self._log = dist.logpmf
        else:
            self._log = dist.logpdf
        self.dim = None

    def log_density(self, X):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(self._log(X), dtype=np.float64)
        return out.sum(axis=1) if out.ndim == 2 else out

    def can_draw(self):
        return hasattr(self.dist, "rvs")

    def draw(self, n, n_features, rng):
        return np.asarray(
            self.dist.rvs(size=(n, n_features), random_state=rng), dtype=np.float64
        )


class _Multivariate:
    """A frozen multivariate scipy distribution (``logpdf`` of rows)."""

    def __init__(self, dist, dim):
        self.dist = dist
        self.dim = dim
        self._log = dist.logpdf if hasattr(dist, "logpdf") else dist.logpmf

    def log_density(self, X):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(self._log(X), dtype=np.float64)
        return np.reshape(out, (X.shape[0],))

    def can_draw(self):
        return hasattr(self.dist, "rvs")

    def draw(self, n, n_features, rng):
        out = np.asarray(self.dist.rvs(size=n, random_state=rng), dtype=np.float64)
        return out.reshape(n, n_features)


class _Estimator:
    """A fitted density estimator: ``score_samples`` gives log-densities."""

    def __init__(self, estimator):
        self.estimator = estimator
        self.dim = getattr(estimator, "n_features_in_", None)

    def log_density(self, X):
        return np.asarray(self.estimator.score_samples(X), dtype=np.float64)

    def can_draw(self):
        return hasattr(self.estimator, "sample")

    def draw(self, n, n_features, rng):
        seed = int(rng.integers(2**31 - 1))
        try:
            out = self.estimator.sample(n, random_state=seed)
        except TypeError:  # GaussianMixture draws from its own random_state
            out = self.estimator.sample(n)
        if isinstance(out, tuple):  # GaussianMixture.sample returns (X, y)
            out = out[0]
        return np.asarray(out, dtype=np.float64).reshape(n, n_features)


def _dimension_of(dist):
    dim = getattr(dist, "dim", None)
    if dim is None:
        mean = getattr(dist, "mean", None)
        if isinstance(mean, np.ndarray):
            dim = mean.shape[-1]
        elif hasattr(dist, "alpha"):  # dirichlet
            dim = len(dist.alpha)
    return None if dim is None else int(dim)


def make_adapter(component, index):
    """One adapter for ``components[index]``; ValueError if it is no density."""
    if isinstance(component, rv_frozen):
        return _Univariate(component)
    if hasattr(component, "score_samples") and not (
        hasattr(component, "logpdf") or hasattr(component, "logpmf")
    ):
        return _Estimator(component)
    if hasattr(component, "logpdf") or hasattr(component, "logpmf"):
        # scipy's frozen multivariate distributions are multi_rv_frozen
        is_multi = type(component).__name__.endswith("_frozen") or hasattr(
            component, "dim"
        )
        if is_multi:
            dim = _dimension_of(component)
            if dim is not None:
                return _Multivariate(component, dim)
        return _Univariate(component)
    raise ValueError(
        f"components[{index}] must be a frozen scipy.stats distribution (with "
        "logpdf or logpmf), a fitted density estimator with score_samples, or "
        f"components must be 'precomputed'; got {component!r} of type "
        f"{type(component).__name__}."
    )


def check_components(components):
    """Adapters for a list of K >= 2 components; their common dimension.

    Returns
    -------
    adapters : list
    dim : int or None
        The number of columns X must have (None: any, all univariate).
    """
    if isinstance(components, str) or not hasattr(components, "__len__"):
        raise ValueError(
            "components must be a list of at least 2 densities or 'precomputed'; "
            f"got {components!r}."
        )
    if len(components) < 2:
        raise ValueError(
            f"components must have at least 2 entries (K >= 2); got {len(components)}."
        )
    adapters = [make_adapter(c, i) for i, c in enumerate(components)]
    dims = {a.dim for a in adapters if a.dim is not None}
    if len(dims) > 1:
        detail = ", ".join(
            f"components[{i}]: {a.dim}" for i, a in enumerate(adapters) if a.dim
        )
        raise ValueError(f"components must all have the same dimension; got {detail}.")
    return adapters, (dims.pop() if dims else None)


def check_width(n_features, dim, K, precomputed):
    """ValueError unless X's width fits the components."""
    if precomputed:
        if n_features < 2:
            raise ValueError(
                "With components='precomputed', X is the (n_samples, K) matrix of "
                "log-densities, K >= 2 columns; got X with "
                f"{n_features} feature(s)."
            )
    elif dim is not None and n_features != dim:
        raise ValueError(
            f"X has {n_features} feature(s) but the components are densities on "
            f"{dim} dimension(s)."
        )


def log_density_matrix(adapters, X):
    """``log f_k(x_i)``, shape (n, K), computed block by block of rows."""
    n = X.shape[0]
    out = np.empty((n, len(adapters)))
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        Xb = X[rows]
        for k, adapter in enumerate(adapters):
            out[rows, k] = adapter.log_density(Xb)
    return out


def check_log_density(A, what="X"):
    """ValueError for NaN, +inf or a row that is -inf everywhere (NumPy).

    Returns the row maxima, which the solvers need anyway: they are all
    finite exactly when none of the three is present (a maximum propagates
    NaN), so the detailed search only runs to name the offending sample.
    """
    m = A.max(axis=1)
    if np.isfinite(m).all():
        return m
    bad = np.isnan(A) | np.isposinf(A)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        raise ValueError(
            f"{what}: the log-density of sample {i} under component {k} is "
            f"{A[i, k]}; log-densities must be finite or -inf, not NaN or +inf."
        )
    dead = np.all(np.isneginf(A), axis=1)
    i = int(np.flatnonzero(dead)[0])
    raise ValueError(
        f"{what}: sample {i} has density 0 (log-density -inf) under every "
        f"component ({int(dead.sum())} such sample(s)); every sample needs a "
        "positive density under at least one component."
    )
