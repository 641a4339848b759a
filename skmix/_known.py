"""KnownComponentsMixture: the weights of K known mixture components."""

import math
import time
from numbers import Integral
from typing import ClassVar, NamedTuple

import numpy as np
from scipy.special import logsumexp
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import (
    _assert_all_finite,
    check_is_fitted,
    validate_data,
)

from ._array_api import array_api_namespace, float_dtype
from ._base import WARM_START_MARGIN, _BaseKnownMixture
from ._compat import (
    WEIGHT_SUM_OVERFLOWS,
    _convert_to_numpy,
    check_not_1d,
    check_same_namespace,
    check_sample_weight,
)
from ._components import (
    ComponentsParamMixin,
    check_components,
    check_log_density,
    check_not_strings,
    check_width,
    log_density_matrix,
)
from ._dask import check_dask_sample_weight, check_dask_X, is_dask_array
from ._known_backends import array_api_problem, dask_problem
from ._problem import DenseProblem, StartDensityZero
from ._simplex_profile import maximum, profile_intervals
from ._solve import fit_em, fit_sqp
from ._warnings import warn_at_caller


class KnownComponentsMixture(ComponentsParamMixin, _BaseKnownMixture):
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
        ``GaussianMixture``; kept fitted as they are by :func:`~sklearn.base.clone`,
        so that the mixture works in ``GridSearchCV`` and
        ``cross_val_score``, as :class:`~sklearn.frozen.FrozenEstimator`
        would), or one of SciPy's distribution objects (SciPy >= 1.15:
        ``stats.Normal(mu=0, sigma=1)``, ``stats.Binomial(n=10, p=0.3)``;
        discrete ones read with ``logpmf``). A scipy distribution that is
        not frozen (``stats.t`` itself) is refused with a hint.
        ``"precomputed"`` (or None): X is the
        (n_samples, K) matrix of log-densities ``log f_k(x_i)``; ``-inf``
        entries are allowed, NaN and ``+inf`` are not, and every row needs a
        finite entry.

    weights_init : array-like of shape (K,), default=None
        Starting weights, on the simplex (None: ``1 / K`` each). EM cannot
        move a weight away from 0. A start whose zero weights leave some
        sample a mixture density below float64's range relative to its
        largest component density (positive, but ``e**-800`` of it) is
        moved 1e-6 inside the simplex by ``"sqp"``, whose maximum does not
        depend on the start; EM then raises.

    solver : {"sqp", "em"}, default="sqp"
        ``"sqp"``: an active-set sequential quadratic programming method in
        the spirit of R's mixsqp (a few EM steps, then Newton steps on a
        working set of components, each solved exactly as a non-negative
        quadratic problem, with a line search); it stops when the KKT gap is
        at most ``solver_options["kkt_tol"]`` (1e-8) -- the maximum itself,
        with weights exactly 0 where the
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
        does not stop EM). Not used by ``"sqp"``, which stops at its KKT
        certificate, a gap of at most ``solver_options["kkt_tol"]`` (1e-8: a
        gap, not a gain of the log-likelihood).

    max_iter : int, default=1000
        Maximum number of iterations; reaching it without converging raises
        a :class:`~sklearn.exceptions.ConvergenceWarning`.

    verbose : int, default=0
        If >= 1, print the log-likelihood at every iteration.

    warm_start : bool, default=False
        If True, a new ``fit`` starts from the previous ``weights_`` (moved
        1e-6 inside the simplex, as EM cannot leave a weight at 0).

    solver_options : dict, default=None
        Settings of the ``"sqp"`` solver, as R mixsqp's ``control`` list
        (None: the defaults; not used by ``"em"``). Keys: ``"kkt_tol"``
        (1e-8: stop at this KKT gap), ``"em_steps"`` (4: EM iterations
        before the first SQP step; with 0, the first SQP steps can drop the
        components a few far samples live on, and the solver then stalls:
        an NPMLE grid of 300 points, n = 1e5, stopped at a KKT gap of 1e12
        after ``max_iter``, with a ConvergenceWarning), ``"prune"`` (0.1:
        after them, weights below this fraction of the largest are set to
        0; 0: none),
        ``"working_set_extra"`` (20: components with ``g_k > 1`` added to
        the working set per iteration), ``"armijo_c"`` (0.01) and
        ``"armijo_beta"`` (0.5: the line search's sufficient decrease and
        backtracking factor), ``"min_step"`` (1e-10: the shortest step
        tried), ``"qp_tol"`` (1e-13) and ``"qp_ridge"`` (1e-12: the
        quadratic subproblem's optimality tolerance and relative ridge). An
        unknown key raises a ValueError that lists the allowed ones.

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
        Whether the solver met its stopping rule (or, with ``"sqp"``, found
        no step that raises the log-likelihood at a KKT gap below
        ``sqrt(kkt_tol)``).

    status_ : str
        How the solver stopped: ``"converged"`` (its stopping rule),
        ``"max_iter"`` (the iteration limit) or ``"no ascent step"`` (no step
        raises the log-likelihood any more).

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

    For a sample whose density is 0 under every component of positive
    weight, the posterior probabilities are taken in proportion to the
    densities alone (the limit as the weights at 0 grow equally from 0).

    The fitted state is O(K) numbers (and the history), never the data. The
    components are stored at fit time (a copy of the list): a later
    ``set_params(components=...)`` affects the next fit only.

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
    >>> est.confidence_interval(0.05, X=X).round(2)  # profile likelihood
    array([[0.56, 0.64],
           [0.27, 0.35],
           [0.07, 0.11]])
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseKnownMixture._parameter_constraints,
        "components": [list, tuple, StrOptions({"precomputed"}), None],
        "weights_init": ["array-like", None],
        "solver": [StrOptions({"sqp", "em"})],
        "solver_options": [dict, None],
    }
    _solvers: ClassVar[dict] = {"sqp": fit_sqp, "em": fit_em}
    _interval_methods: ClassVar[tuple] = ("profile", "wald")

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
        solver_options=None,
    ):
        self.components = components
        self.weights_init = weights_init
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.solver_options = solver_options

    # -- validation ---------------------------------------------------------
    def _precomputed(self, fitted=False):
        components = self._fitted_components if fitted else self.components
        return components is None or isinstance(components, str)

    def _components_of(self, reset):
        """The components: the parameter when fitting, else those of the fit
        (``set_params(components=...)`` affects the next fit only)."""
        return self.components if reset else self._fitted_components

    def _array_api_input(self):
        # precomputed log-densities are computed in their namespace; the
        # components' (scipy) need NumPy
        return self._precomputed()

    def _log_density(
        self, X, reset, with_row_max=False, predict=False, sample_weight=None
    ):
        """Validate X; return its (n, K) log-density matrix (NumPy).

        With ``with_row_max``, also the row maxima (from the check). With
        ``predict``, rows of -inf only (samples outside every support) pass.
        With ``sample_weight``, returns ``(A, row_max, sample_weight)``: the
        weights checked, rows of weight 0 left out before the log-density
        check (their log-densities are not looked at).
        """
        check_not_strings(X)
        check_not_1d(X)
        check = _check_for_predictions if predict else check_log_density
        if self._precomputed(fitted=not reset):
            with np.errstate(invalid="ignore", over="ignore"):
                X = validate_data(
                    self,
                    X,
                    reset=reset,
                    dtype=[np.float64, np.float32],
                    ensure_all_finite=False,
                )
            check_width(X.shape[1], None, None, precomputed=True)
            A, what = X, "X (precomputed log-densities)"
        else:
            adapters, dim = check_components(self._components_of(reset))
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
            check_width(X.shape[1], dim, len(adapters), precomputed=False)
            start = time.perf_counter()
            A = log_density_matrix(adapters, X)
            if self.verbose and reset:
                print(
                    f"Log-densities of {A.shape[0]} samples under {A.shape[1]} "
                    f"components in {time.perf_counter() - start:.3f} s"
                )
            what = "the components' log-densities of X"
        if sample_weight is None:
            m = check(A, what)
            A = np.asarray(A, dtype=np.float64)
            return (A, m) if with_row_max else A
        sample_weight = check_sample_weight(sample_weight, A.shape[0])
        rows = sample_weight > 0
        if rows.all():
            m = check(A, what)
        else:
            # (the rows left out checked as zeros: errors name the sample)
            m = check(np.where(rows[:, None], A, 0.0), what)[rows]
            A, sample_weight = A[rows], sample_weight[rows]
        return np.asarray(A, dtype=np.float64), m, sample_weight

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
            sample out (its log-densities may then all be -inf). Only the
            ratios matter: weights near float64's limit are rescaled
            exactly (by a power of two) before the solver runs.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # the components of this fit (a copy of the list): predictions use
        # them, whatever set_params does later
        components = self.components
        self._fit(X, sample_weight)
        self._fitted_components = (
            components if self._precomputed() else tuple(components)
        )
        return self

    def _from_numpy(self, X, sample_weight, reset):
        try:
            if sample_weight is None:
                A, row_max = self._log_density(X, reset=reset, with_row_max=True)
            else:  # rows of weight 0 are left out, before any check
                A, row_max, sample_weight = self._log_density(
                    X, reset=reset, sample_weight=sample_weight
                )
        except ValueError as exc:
            if self.components is None and "precomputed" in str(exc):
                raise ValueError(f"{exc} {_NONE_MEANS_PRECOMPUTED}") from None
            raise
        if self._precomputed():
            _warn_if_likelihoods(A, row_max)
        _warn_if_identical_columns(A)
        if sample_weight is not None and np.all(sample_weight == 1.0):
            sample_weight = None
        # the log-densities stay with the data (for the start's check in
        # log space, _fit_problem); the solver sees the scaled matrix
        return _InMemory(A, sample_weight, row_max)

    def _problem(self, data):
        if isinstance(data, _InMemory):
            return DenseProblem(data.A, data.sample_weight, data.row_max)
        return data

    def _fit_problem(self, problem, data, namespace, options, x0=None):
        try:
            return super()._fit_problem(problem, data, namespace, options, x0)
        except StartDensityZero:
            w0 = self._start_point(problem)
            if not isinstance(data, _InMemory) or not _positive_in_log_space(
                data.A, w0
            ):
                raise  # a density of 0 indeed
            if self.solver == "em":
                raise ValueError(
                    "weights_init leaves some samples a mixture density below "
                    "float64's range relative to their largest component density "
                    "(their components of positive weight are about e**-745 "
                    "times less likely than one of weight 0): EM cannot move a "
                    "weight away from 0; give those components a positive weight "
                    "or use solver='sqp'."
                ) from None
        # the maximum does not depend on the start: moved inside the simplex
        w0 = (w0 + WARM_START_MARGIN) / (1.0 + WARM_START_MARGIN * w0.size)
        return super()._fit_problem(problem, data, namespace, options, w0)

    def _from_dask(self, X, sample_weight, reset):
        """Validate a dask X lazily; the problem on its persisted row chunks."""
        check_not_strings(X)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if X.ndim == 2:
            X = X.rechunk({1: -1})
        X = check_dask_X(
            X,
            None if reset else self.n_features_in_,
            estimator_name=type(self).__name__,
        )
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
        if not math.isfinite(problem.total):
            raise ValueError(WEIGHT_SUM_OVERFLOWS)
        if not problem.total > 0:
            raise ValueError("sample_weight must have a positive sum; got 0.")
        return problem

    def _from_array_api(self, X, sample_weight, reset, xp, device):
        """Validate Array API X; the problem computed in its namespace."""
        check_not_1d(X)
        with np.errstate(invalid="ignore", over="ignore"):
            X = validate_data(self, X, reset=reset, ensure_all_finite=False)
        check_width(X.shape[1], None, None, precomputed=True)
        A = xp.astype(X, float_dtype(xp, device))
        if sample_weight is not None:
            sample_weight = check_sample_weight(
                sample_weight, A.shape[0], xp=xp, device=device
            )
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return array_api_problem(A, sample_weight, xp, device)

    def confidence_interval(
        self, alpha=0.05, method="profile", X=None, sample_weight=None
    ):
        """Confidence intervals for the weights, at level ``1 - alpha``.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level, ``0 < alpha <= 0.5``.

        method : {"profile", "wald"}, default="profile"
            ``"profile"``: for each weight ``w_k``, the values ``v`` that a
            likelihood-ratio test does not reject: ``2 * (loglik_ - max
            loglik with w_k = v) <= chi2_1(1 - alpha)``, the maximum taken
            over the other weights on the simplex; a value ``v = 0`` (and
            ``v = 1`` for K = 2) lies on the boundary and is tested
            one-sided, with ``chi2_1(1 - 2 alpha)``, so that a true weight
            of 0 is covered with probability ``1 - alpha``. A weight
            estimated at 0 gets ``[0, high]``. Needs the training data
            ``X`` (the model keeps O(K) numbers, not the data); each end is
            a root search on maximisations over the other weights.
            ``"wald"``: ``weights_ -/+ z_{1 - alpha / 2} *
            weights_stderr_``, clipped to [0, 1]; no data needed, but
            invalid for weights at or near 0 (a weight at 0 gets ``[0, z *
            stderr]``, which can reach 1).

        X : array-like of shape (n_samples, n_features), default=None
            With ``"profile"``: the data given to :meth:`fit` (NumPy or
            array-like; a dask array needs ``X.compute()``). A ValueError
            is raised if ``weights_`` is not their maximum. Not used by
            ``"wald"``.

        sample_weight : array-like of shape (n_samples,), default=None
            With ``"profile"``: the sample weights given to :meth:`fit`.

        Returns
        -------
        intervals : ndarray of shape (K, 2)
            Low and high end for each weight.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.stats import norm
        >>> from skmix import KnownComponentsMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.concatenate([rng.normal(-2, 1, 600), rng.normal(0, 1, 300),
        ...                     rng.normal(3, 1, 100)]).reshape(-1, 1)
        >>> components = [norm(-2, 1), norm(0, 1), norm(3, 1), norm(6, 1)]
        >>> est = KnownComponentsMixture(components).fit(X)
        >>> est.weights_.round(2)
        array([0.6 , 0.31, 0.09, 0.  ])
        >>> est.confidence_interval(0.05, X=X).round(3)
        array([[0.558, 0.639],
               [0.271, 0.354],
               [0.071, 0.111],
               [0.   , 0.003]])
        >>> est.confidence_interval(0.05, method="wald").round(3)
        array([[0.558, 0.639],
               [0.27 , 0.353],
               [0.07 , 0.11 ],
               [0.   , 0.008]])
        """
        return self._confidence_interval(
            alpha, method, X=X, sample_weight=sample_weight
        )

    def _profile_interval(self, alpha, X=None, sample_weight=None):
        """The profile intervals on the training data X; shape (K, 2)."""
        if X is None:
            raise ValueError(
                "method='profile' needs the training data: call "
                "confidence_interval(alpha, X=X_train, sample_weight=...) with "
                "the data given to fit, or use method='wald'."
            )
        if is_dask_array(X):
            raise ValueError("method='profile' needs X in memory: pass X.compute().")
        if (namespace := array_api_namespace(X, sample_weight)) is not None:
            X = _convert_to_numpy(X, namespace[0])
            if sample_weight is not None:
                sample_weight = _convert_to_numpy(sample_weight, namespace[0])
        if sample_weight is None:
            A, row_max = self._log_density(X, reset=False, with_row_max=True)
        else:
            A, row_max, sample_weight = self._log_density(
                X, reset=False, sample_weight=sample_weight
            )
        problem = DenseProblem(A, sample_weight, row_max)
        w = self._host(self.weights_)
        w_hat = maximum(problem, w, self.max_iter, fitted_gap=self.kkt_gap_)
        ci = profile_intervals(problem, w_hat, alpha, max_iter=self.max_iter)
        return self._to_fit_namespace(ci)

    # -- predictions ----------------------------------------------------------
    def _checked_log_density(self, X):
        """``log f_k(x_i)`` of new samples, shape (n, K)."""
        check_is_fitted(self)
        A = self._log_density(X, reset=False, predict=True)
        if A.shape[1] != self.weights_.shape[0]:
            raise ValueError(
                f"X gives {A.shape[1]} log-densities per sample but the model "
                f"has K = {self.weights_.shape[0]} components."
            )
        return A

    def _dask_per_sample(self, X, method, n_columns, dtype):
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, "
                f"but KnownComponentsMixture is expecting "
                f"{self.n_features_in_} features as input."
            )
        X = X.rechunk({1: -1})
        adapters = None
        if not self._precomputed(fitted=True):
            adapters = check_components(self._fitted_components)[0]
        w = self._host(self.weights_)
        chunks = (X.chunks[0],) if n_columns is None else (X.chunks[0], (n_columns,))
        return X.map_blocks(
            _dask_block,
            _PER_SAMPLE[method],
            adapters,
            w,
            dtype=dtype,
            chunks=chunks,
            drop_axis=1 if n_columns is None else None,
        )

    def _per_sample_rows(self, X, method):
        check_not_strings(X)
        function = _PER_SAMPLE[method]
        namespace = self._fit_namespace()
        if namespace is not None:
            check_same_namespace(X, self, attribute="weights_", method=method)
            xp = namespace[0]
            with np.errstate(invalid="ignore", over="ignore"):
                A = validate_data(self, X, reset=False, ensure_all_finite=False)
            A = xp.astype(A, self.weights_.dtype)

            def in_namespace(A):
                with np.errstate(divide="ignore", invalid="ignore"):
                    return function(A, self.weights_, xp)

            return A, in_namespace, True
        w = self.weights_
        return self._checked_log_density(X), lambda A: function(A, w, np), False

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted mixture.

        Needs components that can draw (``rvs`` or ``sample``); not available
        with ``"precomputed"``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples, at least 1.

        random_state : int, RandomState instance or None, default=None
            Determines random number generation. Pass an int for
            reproducible output across multiple function calls.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, with as many features as seen in ``fit``.

        y : ndarray of shape (n_samples,)
            The component of each sample (grouped by component, as
            :meth:`sklearn.mixture.GaussianMixture.sample`).

        See Also
        --------
        sklearn.mixture.GaussianMixture.sample : The same for a Gaussian mixture.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.stats import norm
        >>> from skmix import KnownComponentsMixture
        >>> X = np.random.default_rng(0).normal(0, 1, (200, 1))
        >>> est = KnownComponentsMixture([norm(0, 1), norm(3, 1)]).fit(X)
        >>> X_new, y_new = est.sample(4, random_state=0)
        >>> X_new.shape, y_new.shape
        ((4, 1), (4,))
        """
        check_is_fitted(self)
        if self._precomputed(fitted=True):
            raise ValueError(
                "sample needs the component densities; with "
                "components='precomputed' there are none to draw from."
            )
        adapters, _ = check_components(self._fitted_components)
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


class _InMemory(NamedTuple):
    """The data of a fit in memory: checked log-densities (rows of weight 0
    left out), sample weights (None: all 1) and row maxima."""

    A: np.ndarray
    sample_weight: np.ndarray | None
    row_max: np.ndarray


def _positive_in_log_space(A, w):
    """Whether every row has a positive mixture density at ``w``, computed
    in log space (``L w`` may underflow where the density is positive)."""
    support = w > 0
    with np.errstate(divide="ignore"):
        log_p = logsumexp(A[:, support] + np.log(w[support]), axis=1)
    return bool(np.all(log_p > -np.inf))


_NONE_MEANS_PRECOMPUTED = (
    "(components=None means 'precomputed': X is read as the (n_samples, K) "
    "matrix of log-densities; to fit samples, pass the densities, e.g. "
    "components=[norm(0, 1), norm(2, 1)].)"
)


def _warn_if_likelihoods(A, row_max):
    """Warn when precomputed X looks like likelihoods, not log-densities.

    mixsqp's matrix L holds likelihoods with each row scaled to a maximum of
    1: passed as log-densities, every entry is in [0, 1] and every row's
    maximum is exactly 1 (log-densities of that pattern would be densities
    between 1 and e with the largest of each row exactly e).
    """
    ones = row_max.size and row_max.min() == 1.0 and row_max.max() == 1.0
    if ones and A.min() >= 0.0:
        warn_at_caller(
            "X (precomputed log-densities) looks like likelihoods: every "
            "entry is in [0, 1] and every row's maximum is exactly 1, the "
            "pattern of mixsqp's matrix L. KnownComponentsMixture reads X as "
            "log-densities log f_k(x_i); pass np.log(L) if X holds "
            "likelihoods.",
            UserWarning,
        )


def _warn_if_identical_columns(A, head=256):
    """Warn when two components give the same log-density at every sample
    (only the sum of their weights is then identified)."""
    K = A.shape[1]
    if K < 2 or not A.shape[0]:
        return
    _, first, inverse = np.unique(
        A[:head].T, axis=0, return_index=True, return_inverse=True
    )
    rep = first[np.reshape(inverse, -1)]
    for j in np.flatnonzero(rep != np.arange(K)):
        i = int(rep[j])
        if np.array_equal(A[:, i], A[:, j]):
            warn_at_caller(
                f"components {i} and {int(j)} have the same log-density at every "
                "sample: only the sum of their weights is identified (their "
                "weights_stderr_ are inf). Remove one of them.",
                UserWarning,
            )
            return


def _row_max(A, xp):
    """The row maxima of ``A``, 0 for a row of -inf only: ``A - m`` is exact
    (a constant common to a row, however large, changes no posterior)."""
    m = xp.max(A, axis=1)
    return xp.where(xp.isinf(m), xp.zeros_like(m), m)


def _log_posterior(A, weights, xp=np):
    """``log w_k f_ik - log sum_j w_j f_ij`` in log space (no NaN).

    Each row is shifted by its maximum first, so that a large constant
    common to a row (log-densities of 1e17 or -1e300) cannot absorb the
    ``log w_k``. A row of -inf only (a sample outside every component's
    support) carries no information: its posterior is the prior,
    ``weights``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        m = xp.max(A, axis=1)
        A = A - _row_max(A, xp)[:, None]
        log_w = xp.log(weights)
        B = A + log_w
        norm = _logsumexp(B, xp)
        dead = xp.isinf(norm) & (norm < 0)
        if bool(xp.any(dead)):
            # zero density under every component of positive weight
            B = xp.where(dead[:, None], A, B)
            norm = xp.where(dead, _logsumexp(A, xp), norm)
        out = B - norm[:, None]
        outside = xp.isinf(m) & (m < 0)
        if bool(xp.any(outside)):
            out = xp.where(outside[:, None], log_w[None, :], out)
        return out


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
    """``log sum_k w_k f_ik``: the row maximum plus the log of the sum of the
    shifted terms (``-inf`` for a sample outside every support)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        m = _row_max(A, xp)
        return m + _logsumexp(A - m[:, None] + xp.log(weights), xp)


def _check_for_predictions(A, what):
    """ValueError for NaN or +inf; rows of -inf only are allowed here."""
    if np.isnan(A).any() or np.isposinf(A).any():
        check_log_density(A, what)  # raises, naming the sample


_NAME = "KnownComponentsMixture"  # in sklearn's message for NaN in X


def _block_log_density(X, adapters):
    """The components' log-densities of a block of rows (dask)."""
    X = np.asarray(X, dtype=np.float64)
    _assert_all_finite(X, input_name="X", estimator_name=_NAME)  # as NumPy X
    return log_density_matrix(adapters, X)


def _dask_block(X, function, adapters, weights):
    A = np.asarray(X, dtype=np.float64)
    if adapters is not None:
        _assert_all_finite(A, input_name="X", estimator_name=_NAME)
        A = log_density_matrix(adapters, A)
    _check_for_predictions(A, "X")
    return function(A, weights, np)


_PER_SAMPLE = {
    "predict_proba": _posterior,
    "predict_log_proba": _log_posterior,
    "predict": _labels,
    "score_samples": _log_mixture_density,
}
