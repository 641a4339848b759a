"""Component adapters: known densities -> an (n, K) matrix of log-densities.

The only place where scipy distributions, fitted scikit-learn density
estimators or a precomputed matrix enter :class:`~skmix.KnownComponentsMixture`.
Each component becomes an adapter with a dimension (``None``: a univariate
density, applied to every column of X as independent coordinates), a
``log_density(X_block)`` and, when it can draw, ``draw(n, rng)``.
"""

import copy
import inspect

import numpy as np
from scipy.stats._distn_infrastructure import rv_discrete, rv_frozen, rv_generic
from scipy.stats._multivariate import multi_rv_frozen, multi_rv_generic
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

try:  # SciPy >= 1.15: stats.Normal, stats.Binomial, make_distribution, ...
    from scipy.stats._distribution_infrastructure import (
        DiscreteDistribution as _NewDiscrete,
    )
    from scipy.stats._distribution_infrastructure import (
        UnivariateDistribution as _NewUnivariateBase,
    )
except ImportError:  # pragma: no cover - SciPy 1.14
    _NewDiscrete = _NewUnivariateBase = ()

# Rows per block when the log-density matrix is computed
BLOCK_ROWS = 65536

# scipy's multivariate distributions whose samples are not one row of X
# (matrices, tables, pairs): no density of a row, so not components.
_NOT_ROW_DENSITIES = {
    "wishart",
    "invwishart",
    "matrix_normal",
    "matrix_t",
    "random_table",
    "special_ortho_group",
    "ortho_group",
    "unitary_group",
    "random_correlation",
    "uniform_direction",
    "normal_inverse_gamma",
}
# scipy's multivariate distributions that read the coordinates of a point
# along the *first* axis of x (x of shape (d, n)): given X (n, d), they
# would evaluate its columns.
_FIRST_AXIS = {"dirichlet"}


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


class _NewUnivariate(_Univariate):
    """A univariate distribution object of SciPy >= 1.15 (``stats.Normal``).

    Discrete ones (``stats.Binomial``) are read with ``logpmf``: their
    ``logpdf`` is +inf on the support. They draw with ``sample``.
    """

    def __init__(self, dist):
        self.dist = dist
        discrete = isinstance(dist, _NewDiscrete)
        self._log = dist.logpmf if discrete else dist.logpdf
        self.dim = None

    def can_draw(self):
        return hasattr(self.dist, "sample")

    def draw(self, n, n_features, rng):
        out = self.dist.sample(shape=(n, n_features), rng=rng)
        return np.asarray(out, dtype=np.float64).reshape(n, n_features)


class _Multivariate:
    """A frozen multivariate scipy distribution (``logpdf`` of rows)."""

    def __init__(self, dist, dim):
        self.dist = dist
        self.dim = dim
        self._log = dist.logpdf if hasattr(dist, "logpdf") else dist.logpmf
        self._first_axis = _scipy_name(dist) in _FIRST_AXIS

    def log_density(self, X):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(self._log(X.T if self._first_axis else X), np.float64)
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


def _scipy_name(dist):
    """``"dirichlet"`` for ``dirichlet([1, 2])`` or ``dirichlet`` itself."""
    name = type(getattr(dist, "_dist", dist)).__name__
    return name.removesuffix("_frozen").removesuffix("_gen")


def _frozen_params(dist):
    """The parameters of a frozen multivariate scipy distribution, by name."""
    generic = getattr(dist, "_dist", None)
    if generic is None:
        return {}
    try:
        parameters = inspect.signature(type(generic).__call__).parameters
    except (TypeError, ValueError):  # pragma: no cover - no signature
        return {}
    out = {}
    for name, parameter in parameters.items():
        if name in ("self", "seed") or parameter.kind is parameter.VAR_KEYWORD:
            continue
        value = getattr(dist, name, None)
        if value is None or callable(value):
            continue
        default = parameter.default
        is_default = (
            default is not parameter.empty
            and not isinstance(value, np.ndarray)
            and (value is default or value == default)
        )
        if is_default:
            continue
        out[name] = value
    return out


def _dimension_of(dist):
    dim = getattr(dist, "dim", None)
    if dim is None:
        for value in _frozen_params(dist).values():
            value = np.asarray(value)
            if value.ndim == 1:  # the first vector parameter: mean, alpha, p
                dim = value.shape[0]
                break
    return None if dim is None else int(dim)


def _not_frozen_message(component, index):
    name = _scipy_name(component)
    if isinstance(component, rv_generic):
        shapes = [s.strip() for s in (component.shapes or "").split(",") if s]
        example = f"{name}({', '.join(f'{s}=1' for s in shapes)})"
    else:
        names = [p for p in _call_parameters(component) if p not in ("seed",)]
        example = f"{name}({', '.join(f'{p}=...' for p in names[:2])})"
    return (
        f"components[{index}] is the scipy distribution {name!r} itself, which "
        f"is not frozen; call it with its parameters, e.g. {example}."
    )


def _call_parameters(generic):
    try:
        parameters = inspect.signature(type(generic).__call__).parameters
    except (TypeError, ValueError):  # pragma: no cover - no signature
        return []
    return [
        p
        for p, v in parameters.items()
        if p != "self" and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)
    ]


def _check_fitted_estimator(component, index):
    try:
        check_is_fitted(component)
    except NotFittedError:
        raise ValueError(
            f"components[{index}] is a {type(component).__name__} that is not "
            "fitted; components are fixed densities: fit it before passing it "
            "(a fitted density estimator is kept as it is by fit, clone and "
            "model selection)."
        ) from None
    except TypeError:  # not a scikit-learn estimator: trust score_samples
        pass


def make_adapter(component, index):
    """One adapter for ``components[index]``; ValueError if it is no density."""
    if isinstance(component, rv_frozen):
        return _Univariate(component)
    if isinstance(component, (rv_generic, multi_rv_generic)):
        raise ValueError(_not_frozen_message(component, index))
    if inspect.isclass(component):
        raise ValueError(
            f"components[{index}] is the class {component.__name__}, not a "
            "distribution; create one with its parameters, e.g. "
            f"{component.__name__}(...)."
        )
    if _NewUnivariateBase and isinstance(component, _NewUnivariateBase):
        return _NewUnivariate(component)
    if hasattr(component, "score_samples") and not (
        hasattr(component, "logpdf") or hasattr(component, "logpmf")
    ):
        _check_fitted_estimator(component, index)
        return _Estimator(component)
    if isinstance(component, multi_rv_frozen):
        name = _scipy_name(component)
        dim = _dimension_of(component)
        if name in _NOT_ROW_DENSITIES or dim is None:
            raise ValueError(
                f"components[{index}] is a {name} distribution, whose values "
                "are not rows of X (vectors of a fixed dimension); it cannot "
                "be a mixture component."
            )
        return _Multivariate(component, dim)
    if hasattr(component, "logpdf") or hasattr(component, "logpmf"):
        # other frozen distributions with a dimension, e.g. user-written ones
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


# -- the ``components`` parameter: how it is shown and cloned -----------------


def _format_value(value):
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    return repr(value)


def component_repr(component):
    """A readable repr of one component: ``norm(loc=0, scale=1)``.

    scipy's frozen distributions print as ``<... object at 0x...>``; they
    are shown as the call that makes them, with the parameters named.
    Anything else keeps its own repr.

    Examples
    --------
    >>> from scipy.stats import multivariate_normal, norm, poisson
    >>> from skmix._components import component_repr
    >>> component_repr(norm(0, 1))
    'norm(loc=0, scale=1)'
    >>> component_repr(poisson(3.5))
    'poisson(mu=3.5)'
    >>> component_repr(multivariate_normal([0.0, 1.0]))
    'multivariate_normal(mean=[0.0, 1.0], cov=[[1.0, 0.0], [0.0, 1.0]])'
    """
    if isinstance(component, rv_frozen):
        generic = component.dist
        shapes = [s.strip() for s in (generic.shapes or "").split(",") if s]
        names = [*shapes, "loc"]
        if not isinstance(generic, rv_discrete):
            names.append("scale")
        args = [
            f"{name}={_format_value(v)}"
            for name, v in zip(names, component.args, strict=False)
        ]
        args += [f"{k}={_format_value(v)}" for k, v in component.kwds.items()]
        return f"{generic.name}({', '.join(args)})"
    if isinstance(component, multi_rv_frozen):
        params = _frozen_params(component)
        args = [f"{k}={_format_value(v)}" for k, v in params.items()]
        return f"{_scipy_name(component)}({', '.join(args)})"
    return repr(component)


class _Shown:
    """Stands for a component in a repr: prints as the given text."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _shown_components(components):
    if isinstance(components, list | tuple):
        return type(components)(_Shown(component_repr(c)) for c in components)
    return components


def _is_fitted_estimator(component):
    if not isinstance(component, BaseEstimator) or isinstance(
        component, FrozenEstimator
    ):
        return False
    try:
        check_is_fitted(component)
    except (NotFittedError, TypeError):
        return False
    return True


class ComponentsParamMixin:
    """Mixin for estimators with a ``components`` list parameter.

    - ``repr`` and the HTML repr show scipy's frozen distributions as
      ``norm(loc=0, scale=1)``, not ``<... object at 0x...>``;
    - ``clone`` (hence ``GridSearchCV``, ``cross_val_score``) keeps fitted
      density estimators among the components as they are -- the same
      objects, fitted, as :class:`~sklearn.frozen.FrozenEstimator` is kept:
      a component is a fixed density, not a model to refit.

    Put it first among the bases:
    ``class KnownComponentsMixture(ComponentsParamMixin, DensityMixin,
    BaseEstimator)``.
    """

    def __repr__(self, N_CHAR_MAX=700):
        shown = copy.copy(self)  # a shallow copy: self is never modified
        shown.components = _shown_components(self.components)
        return super(ComponentsParamMixin, shown).__repr__(N_CHAR_MAX)

    def _get_params_html(self, deep=True, doc_link=""):
        params = super()._get_params_html(deep, doc_link)
        if "components" in params:
            params["components"] = _shown_components(params["components"])
        return params

    def __sklearn_clone__(self):
        components = self.components
        if not isinstance(components, list | tuple) or not any(
            _is_fitted_estimator(c) for c in components
        ):
            return super().__sklearn_clone__()
        # FrozenEstimator is not cloned; the clone gets the original objects
        proxy = copy.copy(self)
        proxy.components = type(components)(
            FrozenEstimator(c) if _is_fitted_estimator(c) else c for c in components
        )
        new = clone(proxy)
        new.components = type(components)(
            c if _is_fitted_estimator(c) else new_c
            for c, new_c in zip(components, new.components, strict=True)
        )
        return new


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


def check_not_strings(X):
    """ValueError for an X of strings or bytes, numbers written as text too.

    NumPy converts ``"1.5"`` to 1.5 silently and fails on ``"a"`` with its
    own message; skmix's estimators take numbers only and say so. Lists are
    looked at through ``np.asarray``; arrays (NumPy, dask) through their
    dtype. Object arrays and DataFrames are left to ``validate_data``.

    Examples
    --------
    >>> from skmix._components import check_not_strings
    >>> check_not_strings([[1.5], [2.0]])
    >>> check_not_strings([["1.5"], ["2"]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X contains strings (dtype <U3); ...
    """
    dtype = getattr(X, "dtype", None)
    if dtype is None and isinstance(X, list | tuple):
        dtype = np.asarray(X).dtype
    if getattr(dtype, "kind", None) in ("U", "S"):
        raise ValueError(
            f"X contains strings (dtype {dtype}); skmix's estimators take "
            "numbers: convert them first, e.g. np.asarray(X, dtype=float)."
        )
