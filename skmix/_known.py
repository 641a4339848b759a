"""KnownComponentsMixture: the weights of K known mixture components."""

import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
    validate_data,
)

from ._array_api import array_api_namespace, float_dtype
from ._compat import _convert_to_numpy, check_same_namespace, check_sample_weight
from ._components import (
    check_components,
    check_log_density,
    check_width,
    log_density_matrix,
)
from ._dask import check_dask_sample_weight, is_dask_array
from ._known_backends import array_api_problem, dask_problem
from ._simplex import (
    DenseProblem,
    fit_em,
    fit_sqp,
    wald_intervals,
    weights_stderr,
)
from ._threads import fit_blas_threads
from ._warnings import warn_at_caller

# EM cannot leave a weight at 0: a warm start moves the previous weights
# this far inside the simplex.
WARM_START_MARGIN = 1e-6
# Rows per block in the prediction methods.
PREDICT_BLOCK_SIZE = 65536


class KnownComponentsMixture(DensityMixin, BaseEstimator):
    """Mixture weights of K known components, by maximum likelihood.

    The model is ``p(x) = sum_k w_k f_k(x)`` with the densities ``f_k``
    known; only the weights ``w`` (on the simplex: ``w_k >= 0``, ``sum_k w_k
    = 1``) are estimated. The log-likelihood is concave in ``w``, so its
    maximum is found exactly and certified by the KKT conditions (see
    Notes).

    Parameters
    ----------
    components : list of densities or "precomputed", default=None
        K >= 2 known densities, each one of: a frozen ``scipy.stats``
        distribution, continuous (``logpdf``) or discrete (``logpmf``) --
        univariate ones apply to X of shape (n, 1), or to several columns as
        independent coordinates; multivariate ones (e.g.
        ``multivariate_normal(mean, cov)``) to X of shape (n, d) -- or a
        fitted density estimator with ``score_samples`` (``KernelDensity``,
        ``GaussianMixture``). ``"precomputed"`` (or None): X is the
        (n_samples, K) matrix of log-densities ``log f_k(x_i)``; ``-inf``
        entries are allowed, NaN and ``+inf`` are not, and every row needs a
        finite entry.

    weights_init : array-like of shape (K,), default=None
        Starting weights, on the simplex (None: ``1 / K`` each). EM cannot
        move a weight away from 0.

    solver : {"sqp", "em"}, default="sqp"
        ``"sqp"``: an active-set sequential quadratic programming method in
        the spirit of R's mixsqp (a few EM steps, then Newton steps on a
        working set of components, each solved exactly as a non-negative
        quadratic problem, with a line search); it stops when the KKT gap is
        at most 1e-8 -- the maximum itself, with weights exactly 0 where the
        maximum puts them -- typically in 10 to 30 iterations whatever K. It
        is the default because it is what a user of K = 100 components needs:
        EM's linear convergence slows to thousands of iterations when
        components overlap, as on the grids of empirical Bayes. ``"em"``:
        the EM algorithm (``w_k <- w_k * mean_i r_ik``), stopped by ``tol``;
        the reference path, as in :class:`TwoGaussianMixturePi`.

    tol : float, default=1e-5
        EM stops after the first iteration that raises the total
        log-likelihood by less than ``tol`` (the rule of
        :class:`TwoGaussianMixturePi`: with sample weights the rise is
        measured in units of the smallest positive weight, and an iteration
        that more than doubles a weight's distance to the nearer of 0 and 1
        does not stop EM). Not used by ``"sqp"``, which stops at its KKT certificate.

    max_iter : int, default=1000
        Maximum number of iterations; reaching it without converging raises
        a :class:`~sklearn.exceptions.ConvergenceWarning`.

    verbose : int, default=0
        If >= 1, print the log-likelihood at every iteration.

    warm_start : bool, default=False
        If True, a new ``fit`` starts from the previous ``weights_`` (moved
        1e-6 inside the simplex, as EM cannot leave a weight at 0).

    Attributes
    ----------
    weights_ : ndarray of shape (K,)
        Estimated weights, on the simplex.

    weights_stderr_ : ndarray of shape (K,)
        Standard errors of ``weights_`` from the observed information on the
        simplex, ``sum_i s_i f_i f_i^T / p_i^2`` (``f_i`` the component
        densities of sample i, ``p_i`` the mixture density, ``s_i`` the
        sample weights), restricted to the face of the simplex where the
        estimate lies: for a positive weight, the face of the positive
        weights; for a weight at 0, that face plus the weight (how far it
        could move off the boundary). ``inf`` where that information is
        singular (e.g. two identical components). For K = 2 inside the
        simplex it equals :attr:`TwoGaussianMixturePi.pi_stderr_`.

    kkt_gap_ : float
        The KKT gap at ``weights_`` (0 at the maximum; see Notes).

    n_iter_ : int
        Number of iterations run.

    converged_ : bool
        Whether the solver met its stopping rule.

    loglik_ : float
        Total (weighted) log-likelihood of the training data at ``weights_``.

    history_ : dict of ndarray
        One row per iteration, starting with the initial weights:
        ``"iteration"``, ``"loglik"`` (total log-likelihood),
        ``"diff_loglik"`` (its increase, NaN in row 0) and ``"weight_k"``
        for each component. ``pandas.DataFrame(history_)`` makes it a table.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    TwoGaussianMixturePi : Two Gaussian components, with profile intervals.

    Notes
    -----
    With ``L_ik = f_ik / max_k f_ik`` (each row scaled by its largest
    density, computed from log-densities) and ``g_k = sum_i s_i L_ik / (L
    w)_i / sum_i s_i``, the weights ``w`` are the maximum exactly when
    ``g_k <= 1`` for every k and ``g_k = 1`` wherever ``w_k > 0``.
    ``kkt_gap_`` is ``max(max_k (g_k - 1), max_{w_k > 0} |g_k - 1|)``,
    computed in one exact pass at the fitted weights.

    The fitted state is O(K) numbers (and the history), never the data.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from skmix import KnownComponentsMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-2, 1, 600), rng.normal(0, 1, 300),
    ...                     rng.normal(3, 1, 100)]).reshape(-1, 1)
    >>> est = KnownComponentsMixture([norm(-2, 1), norm(0, 1), norm(3, 1)]).fit(X)
    >>> est.weights_.round(2)
    array([0.6 , 0.31, 0.09])
    >>> bool(est.kkt_gap_ <= 1e-8), est.converged_
    (True, True)
    >>> est.confidence_interval(0.05).shape
    (3, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "components": [list, tuple, StrOptions({"precomputed"}), None],
        "weights_init": ["array-like", None],
        "solver": [StrOptions({"sqp", "em"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        components=None,
        *,
        weights_init=None,
        solver="sqp",
        tol=1e-5,
        max_iter=1000,
        verbose=0,
        warm_start=False,
    ):
        self.components = components
        self.weights_init = weights_init
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # precomputed Array API input (with array_api_dispatch) is computed in
        # its own namespace and on its device; see skmix/_known_backends.py
        tags.array_api_support = self._precomputed()
        return tags

    # -- validation ---------------------------------------------------------
    def _precomputed(self):
        return self.components is None or isinstance(self.components, str)

    def _log_density(self, X, reset, with_row_max=False):
        """Validate X; return its (n, K) log-density matrix (NumPy).

        With ``with_row_max``, also the row maxima (from the check).
        """
        if self._precomputed():
            with np.errstate(invalid="ignore", over="ignore"):
                X = validate_data(
                    self,
                    X,
                    reset=reset,
                    dtype=[np.float64, np.float32],
                    ensure_all_finite=False,
                )
            check_width(X.shape[1], None, None, precomputed=True)
            m = check_log_density(X, "X (precomputed log-densities)")
            A = np.asarray(X, dtype=np.float64)
        else:
            adapters, dim = check_components(self.components)
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
            check_width(X.shape[1], dim, len(adapters), precomputed=False)
            A = log_density_matrix(adapters, X)
            m = check_log_density(A, "the components' log-densities of X")
        return (A, m) if with_row_max else A

    def _start(self, K):
        if (
            self.warm_start
            and hasattr(self, "weights_")
            and self.weights_.shape[0] == K
        ):
            w = self._host(self.weights_) + WARM_START_MARGIN
            return w / w.sum()
        if self.weights_init is None:
            return np.full(K, 1.0 / K)
        w = np.asarray(self.weights_init, dtype=float)
        if w.shape != (K,):
            raise ValueError(
                f"weights_init must have shape ({K},), one weight per component; "
                f"got shape {w.shape}."
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0) or abs(w.sum() - 1) > 1e-6:
            raise ValueError(
                "weights_init must be on the simplex (finite, >= 0, summing to 1); "
                f"got {w} (sum {w.sum()})."
            )
        return w / w.sum()

    # -- fit ----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the weights by maximum likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, or with ``components="precomputed"`` the (n_samples, K)
            matrix of log-densities.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all 1): the
            log-likelihood is ``sum_i s_i log p(x_i)``, so integer weights
            are the same as repeated samples and weight 0 as leaving a
            sample out.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._namespace = None
        if is_dask_array(X):
            problem = self._dask_problem(X, sample_weight)
        elif self._precomputed() and (namespace := array_api_namespace(X)):
            problem = self._array_api_problem(X, sample_weight, *namespace)
            self._namespace = namespace
        else:
            if array_api_namespace(X) is not None:  # scipy needs NumPy
                X = _convert_to_numpy(X, array_api_namespace(X)[0])
            A, row_max = self._log_density(X, reset=True, with_row_max=True)
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, A.shape[0])
                if np.all(sample_weight == 1.0):
                    sample_weight = None
            problem = DenseProblem(A, sample_weight, row_max)
        w0 = self._start(problem.K)
        self._fit_problem(problem, w0)
        return self

    def _dask_problem(self, X, sample_weight):
        """Validate a dask X lazily; the problem on its persisted row chunks."""
        validate_data(self, X, skip_check_array=True)
        if X.ndim != 2 or any(math.isnan(c) for c in X.chunks[0]) or not X.shape[0]:
            raise ValueError(
                "A dask array X must be 2D, with known chunk sizes and at least "
                f"one sample; got shape {X.shape}."
            )
        X = X.rechunk({1: -1})
        if self._precomputed():
            check_width(X.shape[1], None, None, precomputed=True)
            A = X.astype(np.float64)
        else:
            adapters, dim = check_components(self.components)
            check_width(X.shape[1], dim, len(adapters), precomputed=False)
            A = X.map_blocks(
                _block_log_density,
                adapters,
                dtype=np.float64,
                chunks=(X.chunks[0], (len(adapters),)),
            )
        if sample_weight is not None:
            sample_weight = check_dask_sample_weight(sample_weight, X)
        problem = dask_problem(A, sample_weight)
        if not problem.total > 0:
            raise ValueError("sample_weight must have a positive sum; got 0.")
        return problem

    def _array_api_problem(self, X, sample_weight, xp, device):
        """Validate Array API X; the problem computed in its namespace."""
        with np.errstate(invalid="ignore", over="ignore"):
            X = validate_data(self, X, reset=True, ensure_all_finite=False)
        check_width(X.shape[1], None, None, precomputed=True)
        A = xp.astype(X, float_dtype(xp, device))
        if sample_weight is not None:
            sample_weight = check_sample_weight(
                sample_weight, A.shape[0], xp=xp, device=device
            )
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return array_api_problem(A, sample_weight, xp, device)

    def _fit_problem(self, problem, w0):
        with fit_blas_threads(problem):
            if self.solver == "em":
                result = fit_em(
                    problem,
                    w0,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    verbose=self.verbose,
                )
            else:
                result = fit_sqp(
                    problem, w0, max_iter=self.max_iter, verbose=self.verbose
                )
        if not result.converged:
            warn_at_caller(
                f"solver={self.solver!r} did not converge in max_iter="
                f"{self.max_iter} iterations (last gain of the log-likelihood "
                f"{result.history['diff_loglik'][-1]:.3g}, KKT gap "
                f"{result.kkt_gap:.3g}). Increase max_iter"
                + (" or tol." if self.solver == "em" else "."),
                ConvergenceWarning,
            )
        w = result.weights
        support = np.flatnonzero(w > 0)
        with fit_blas_threads(problem, support):
            with np.errstate(divide="ignore", invalid="ignore"):
                H_cols, diag = problem.information(support)
            stderr = weights_stderr(w, H_cols, diag, support)
        if self._namespace is None:
            self.weights_, self.weights_stderr_ = w, stderr
        else:  # in the namespace and on the device of X
            xp, device = self._namespace
            dtype = float_dtype(xp, device)
            self.weights_ = xp.asarray(w, dtype=dtype, device=device)
            self.weights_stderr_ = xp.asarray(stderr, dtype=dtype, device=device)
        self.kkt_gap_ = result.kkt_gap
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.loglik_ = result.loglik
        self.history_ = result.history

    def confidence_interval(self, alpha=0.05):
        """Wald confidence intervals for the weights, at level ``1 - alpha``.

        ``weights_ -/+ z_{1 - alpha / 2} * weights_stderr_``, clipped to
        [0, 1]; for a weight at 0 the interval is ``[0, z * stderr]``.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level, in (0, 1).

        Returns
        -------
        intervals : ndarray of shape (K, 2)
            Low and high end for each weight.
        """
        check_is_fitted(self)
        validate_parameter_constraints(
            {"alpha": [Interval(Real, 0, 1, closed="neither")]},
            {"alpha": alpha},
            caller_name="confidence_interval",
        )
        w, se = self._host(self.weights_), self._host(self.weights_stderr_)
        ci = wald_intervals(w, se, alpha)
        if getattr(self, "_namespace", None) is None:
            return ci
        xp, device = self._namespace
        return xp.asarray(ci, dtype=self.weights_.dtype, device=device)

    def _host(self, a):
        """A fitted array as NumPy float64."""
        namespace = getattr(self, "_namespace", None)
        if namespace is None:
            return np.asarray(a, dtype=np.float64)
        return np.asarray(_convert_to_numpy(a, namespace[0]), dtype=np.float64)

    # -- predictions ----------------------------------------------------------
    def _checked_log_density(self, X):
        """``log f_k(x_i)`` of new samples, shape (n, K)."""
        check_is_fitted(self)
        A = self._log_density(X, reset=False)
        if A.shape[1] != self.weights_.shape[0]:
            raise ValueError(
                f"X gives {A.shape[1]} log-densities per sample but the model "
                f"has K = {self.weights_.shape[0]} components."
            )
        return A

    def _per_sample(self, X, function, n_columns, method, dtype=np.float64):
        """``function(A_block, weights)`` on the log-densities of X.

        NumPy: block by block; dask: lazily, chunk by chunk (a dask array);
        Array API (precomputed, dispatch on): in X's namespace and device.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, "
                    f"but KnownComponentsMixture is expecting "
                    f"{self.n_features_in_} features as input."
                )
            X = X.rechunk({1: -1})
            adapters = None
            if not self._precomputed():
                adapters = check_components(self.components)[0]
            w = self._host(self.weights_)
            chunks = (
                (X.chunks[0],) if n_columns is None else (X.chunks[0], (n_columns,))
            )
            return X.map_blocks(
                _dask_block,
                function,
                adapters,
                w,
                dtype=dtype,
                chunks=chunks,
                drop_axis=1 if n_columns is None else None,
            )
        namespace = getattr(self, "_namespace", None)
        if namespace is not None:
            check_same_namespace(X, self, attribute="weights_", method=method)
            xp = namespace[0]
            with np.errstate(invalid="ignore", over="ignore"):
                A = validate_data(self, X, reset=False, ensure_all_finite=False)
            A = xp.astype(A, self.weights_.dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                return function(A, self.weights_, xp)
        A = self._checked_log_density(X)
        w = self.weights_
        shape = (A.shape[0],) if n_columns is None else A.shape
        out = np.empty(shape, dtype=dtype)
        for start in range(0, A.shape[0], PREDICT_BLOCK_SIZE):
            rows = slice(start, start + PREDICT_BLOCK_SIZE)
            out[rows] = function(A[rows], w, np)
        return out

    def predict_log_proba(self, X):
        """Log of the posterior probability of each component.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (log-densities for ``"precomputed"``).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, K)
            ``log P(component k | x_i)`` at ``weights_``. For a sample whose
            density is 0 under every component of positive weight, the
            posterior is taken in proportion to the densities alone (the
            limit as the weights at 0 grow equally from 0).
        """
        check_is_fitted(self)
        return self._per_sample(
            X, _log_posterior, self.weights_.shape[0], "predict_log_proba"
        )

    def predict_proba(self, X):
        """Posterior probability of each component (responsibilities).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (log-densities for ``"precomputed"``).

        Returns
        -------
        proba : ndarray of shape (n_samples, K)
            Rows sum to 1.
        """
        check_is_fitted(self)
        return self._per_sample(X, _posterior, self.weights_.shape[0], "predict_proba")

    def predict(self, X):
        """Most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (log-densities for ``"precomputed"``).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the component with the largest posterior (the first on
            ties).
        """
        return self._per_sample(X, _labels, None, "predict", dtype=np.intp)

    def score_samples(self, X):
        """Log-density of each sample under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (log-densities for ``"precomputed"``).

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log sum_k w_k f_k(x_i)``; ``-inf`` where it is 0.
        """
        return self._per_sample(X, _log_mixture_density, None, "score_samples")

    def score(self, X, y=None):
        """Mean log-likelihood per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (log-densities for ``"precomputed"``).

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
        """
        log_density = self.score_samples(X)
        if is_dask_array(log_density):
            return float(log_density.mean().compute())
        namespace = getattr(self, "_namespace", None)
        if namespace is not None:
            return float(namespace[0].mean(log_density))
        return float(np.mean(log_density))

    def _n_parameters(self):
        return self.weights_.shape[0] - 1

    def bic(self, X):
        """Bayesian information criterion on X (K - 1 free weights).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
        """
        n = _num_samples(X)
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X):
        """Akaike information criterion on X (K - 1 free weights).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        aic : float
        """
        return -2 * self.score(X) * _num_samples(X) + 2 * self._n_parameters()

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted mixture.

        Needs components that can draw (``rvs`` or ``sample``); not available
        with ``"precomputed"``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The component of each sample (grouped by component, as
            :meth:`sklearn.mixture.GaussianMixture.sample`).
        """
        check_is_fitted(self)
        if self._precomputed():
            raise ValueError(
                "sample needs the component densities; with "
                "components='precomputed' there are none to draw from."
            )
        adapters, _ = check_components(self.components)
        for k, adapter in enumerate(adapters):
            if not adapter.can_draw():
                raise ValueError(
                    f"components[{k}] cannot draw samples (no rvs or sample)."
                )
        if not (isinstance(n_samples, Integral) and n_samples >= 1):
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        rng = np.random.default_rng(check_random_state(random_state).randint(2**31))
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        d = self.n_features_in_
        X = [a.draw(c, d, rng) for a, c in zip(adapters, counts, strict=True) if c]
        y = np.repeat(np.arange(len(adapters)), counts)
        return np.concatenate(X, axis=0), y


# Per-sample computations of the prediction methods, on a block of
# log-densities A (n, K) and the weights, in namespace xp (NumPy by default).


def _log_posterior(A, weights, xp=np):
    """``log w_k f_ik - log sum_j w_j f_ij`` in log space (no NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        B = A + xp.log(weights)
        norm = _logsumexp(B, xp)
        dead = xp.isinf(norm) & (norm < 0)
        if bool(xp.any(dead)):
            # zero density under every component of positive weight
            B = xp.where(dead[:, None], A, B)
            norm = xp.where(dead, _logsumexp(A, xp), norm)
        return B - norm[:, None]


def _logsumexp(B, xp):
    if xp is np:
        return logsumexp(B, axis=1)
    m = xp.max(B, axis=1)
    m = xp.where(xp.isinf(m), xp.zeros_like(m), m)
    return m + xp.log(xp.sum(xp.exp(B - m[:, None]), axis=1))


def _posterior(A, weights, xp=np):
    return xp.exp(_log_posterior(A, weights, xp))


def _labels(A, weights, xp=np):
    return xp.argmax(_log_posterior(A, weights, xp), axis=1)


def _log_mixture_density(A, weights, xp=np):
    with np.errstate(divide="ignore", invalid="ignore"):
        return _logsumexp(A + xp.log(weights), xp)


def _block_log_density(X, adapters):
    """The components' log-densities of a block of rows (dask)."""
    return log_density_matrix(adapters, np.asarray(X, dtype=np.float64))


def _dask_block(X, function, adapters, weights):
    A = np.asarray(X, dtype=np.float64)
    if adapters is not None:
        A = log_density_matrix(adapters, A)
    check_log_density(A, "X")
    return function(A, weights, np)
