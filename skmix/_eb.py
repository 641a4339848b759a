"""EmpiricalBayesNormalMeans: adaptive shrinkage (ashr) of estimates with
standard errors."""

import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _eb_dask
from . import _eb_grid as grids
from . import _eb_posterior as post
from ._dask import is_dask_array
from ._eb_problem import FULL_HESSIAN_MAX, EBProblem
from ._solve import MAX_ITER, SQP_OPTIONS, fit_sqp
from ._threads import fit_blas_threads
from ._warnings import warn_at_caller

SQRT2 = math.sqrt(2.0)
# Rows per block in the posterior passes.
POSTERIOR_BLOCK = 8192
COLUMNS = (
    "PosteriorMean",
    "PosteriorSD",
    "lfsr",
    "lfdr",
    "qvalue",
    "svalue",
    "NegativeProb",
    "ZeroProb",
    "PositiveProb",
)


def _prune(problem):
    """The solver's ``prune`` option: off where the problem builds the full
    Hessian anyway (few components: a smaller working set saves nothing,
    and with many samples some sample always needs the small weights, so
    that the pruned point's pass was spent in vain)."""
    return 0.0 if problem.K <= FULL_HESSIAN_MAX else SQP_OPTIONS["prune"]


def _row_blocks(n):
    """Slices of :data:`POSTERIOR_BLOCK` rows that cover ``n`` rows."""
    return (slice(i, i + POSTERIOR_BLOCK) for i in range(0, n, POSTERIOR_BLOCK))


def _split_xs(X, s):
    """``(x, s)`` from X of shape (n,) or (n, 1) with ``s`` given, or from
    the two columns ``[x, s]`` with ``s`` None (NumPy or dask: a dask X is
    first made one chunk wide, so that each row chunk holds both)."""
    if X.ndim == 2:
        if X.shape[1] == 2 and s is None:
            if is_dask_array(X):
                X = X.rechunk({1: -1})
            X, s = X[:, 0], X[:, 1]
        elif X.shape[1] == 1:
            X = X[:, 0]
        else:
            raise ValueError(
                "X: expected the estimates x, of shape (n,) or (n, 1) with s "
                "given, or the two columns [x, s]; got shape "
                f"{X.shape} with s {'None' if s is None else 'given'}."
            )
    if s is None:
        raise ValueError(
            "s (the standard errors) is required: pass s=... or a two-column "
            "X = [x, s]."
        )
    return X, s


def _first_bad(a):
    return int(np.flatnonzero(~(np.isfinite(a) & (a >= 0)))[0])


class EmpiricalBayesNormalMeans(TransformerMixin, BaseEstimator):
    """Empirical Bayes normal means: adaptive shrinkage with posterior summaries.

    Each estimate ``x_i`` is a noisy measurement of an unknown ``theta_i``
    with a known standard error ``s_i``: ``x_i ~ N(theta_i, s_i^2)`` (or
    ``theta_i + s_i t_df``), and ``theta_i ~ g`` with the prior ``g`` a
    mixture on a fixed grid, fitted by maximum likelihood from all the data
    (Stephens 2017, ashr). The posterior of each ``theta_i`` then shrinks
    ``x_i`` towards the prior's mode, the more the noisier it is.

    Parameters
    ----------
    prior : str, default="normal_scale_mixture"
        The prior family (ashr's ``mixcompdist`` in brackets):

        - ``"normal_scale_mixture"`` (``"normal"``): a point mass at the mode
          and normals ``N(mode, sigma_k^2)``;
        - ``"unimodal_symmetric"`` (``"uniform"``): the point mass and
          uniforms ``U[mode - sigma_k, mode + sigma_k]``;
        - ``"unimodal"`` (``"halfuniform"``): the point mass, ``U[mode -
          sigma_k, mode]`` and ``U[mode, mode + sigma_k]`` (any unimodal
          prior);
        - ``"unimodal_nonnegative"`` / ``"unimodal_nonpositive"``
          (``"+uniform"`` / ``"-uniform"``): one-sided uniforms;
        - ``"npmle"``: point masses on a grid of locations (Koenker and
          Mizera's GLmix: the Kiefer-Wolfowitz NPMLE, not unimodal).

    grid : array-like, default=None
        The scales ``sigma_k > 0`` (the point mass at the mode is always
        added), or for ``"npmle"`` the locations. None: ashr's rule
        (``autoselect.mixsd``): with ``d = x - mode``, from ``min(s) / 10``
        to ``2 sqrt(max(d^2 - s^2))`` (8 times the smallest if every ``|d|
        <= s``) in ratios of ``grid_mult``, the largest exactly; for
        ``"npmle"``, 300 equally spaced points over ``[min x, max x]``.

    grid_mult : float, default=sqrt(2)
        The ratio of neighbouring scales of the default grid.

    mode : float or "estimate", default=0.0
        The prior's mode, or ``"estimate"``: the mode maximising the
        likelihood, by a search over 9 quantiles of x and then Brent's
        method between the best one's neighbours (each evaluation is a fit).

    df : float, default=None
        None: a normal likelihood. A number > 2: Student's t likelihood with
        ``df`` degrees of freedom, for the uniform families only (the
        closed forms exist there; a ValueError elsewhere).

    null_weight : float, default=None
        The null-biased penalty of ashr, ``lambda_0 >= 1``: the fit maximises
        ``loglik(w) + (lambda_0 - 1) log w_0`` (``w_0`` the point mass at
        the mode), like ``lambda_0 - 1`` pseudo-observations from the null
        (ashr's ``prior = "nullbiased"`` is ``lambda_0 = 10``). None: off.

    max_iter : int, default=1000
        Iterations of the solver (the SQP of :class:`KnownComponentsMixture`).

    kkt_tol : float, default=1e-8
        The solver stops at this KKT gap.

    verbose : int, default=0
        Print the solver's iterations.

    Attributes
    ----------
    prior_ : Prior
        The fitted prior, a named tuple ``(family, weights, lower, upper,
        scale, mode)``: component ``k`` is a point mass at ``lower[k]``
        (``lower == upper``, ``scale == 0``), ``N(lower[k], scale[k]^2)`` or
        ``U[lower[k], upper[k]]``.
    prior_weights_ : ndarray of shape (K,)
        The fitted weights (``prior_.weights``).
    prior_grid_ : ndarray of shape (K,)
        Each component's scale: the normal's sd, the uniform's width, 0 for
        the point mass; for ``"npmle"``, the locations.
    prior_lower_, prior_upper_ : ndarray of shape (K,)
        The components' interval ends (equal for point masses and normals).
    mode_ : float
        The mode used (fitted for ``mode="estimate"``).
    loglik_ : float
        The log-likelihood of the data at the fitted prior (the penalty not
        included).
    kkt_gap_ : float
        The fitted weights' distance from optimality (0 at the maximum).
    n_iter_ : int
        Number of solver iterations (EM warm-up steps included).
    converged_ : bool
        Whether the solver reached ``kkt_gap_ <= kkt_tol`` (or found no step
        that raises the likelihood at a gap below ``sqrt(kkt_tol)``); a
        :class:`~sklearn.exceptions.ConvergenceWarning` otherwise.
    status_ : str
        How the solver stopped: ``"converged"``, ``"max_iter"`` (the
        iteration limit) or ``"no ascent step"`` (no step raises the
        likelihood any more), as :attr:`KnownComponentsMixture.status_`.
    history_ : dict of ndarray
        The solver's path (see :class:`KnownComponentsMixture`; with
        ``null_weight``, its ``loglik`` is the penalised objective).
    n_features_in_ : int
        1 (x) or 2 (x, s).

    See Also
    --------
    KnownComponentsMixture : The weights of known components, the same solver.

    Notes
    -----
    Data: ``fit(x, s=s)`` with x of shape (n,) or (n, 1) and s a scalar or
    shape (n,); or a two-column X ``[x, s]`` (in that order) with ``s=None``,
    which is what a :class:`~sklearn.pipeline.Pipeline` passes on. ``s = 0``
    means x is exact (its posterior is ``theta = x``).

    The likelihood matrix is never held: each solver pass builds it in
    blocks of rows. Dask arrays (x, or ``[x, s]``; s a scalar or a dask
    array) are fitted where their chunks are, one map-reduce round per
    solver reduction (``mode="estimate"`` and the default npmle grid are
    not available there); :meth:`transform` and :meth:`posterior` are then
    lazy. The posterior methods need the data again: nothing of
    the data is stored in the estimator, and q-values and s-values
    (:meth:`posterior`) are computed over the samples passed.

    The fit runs the solver of the mixture estimators
    (:func:`skmix._solve.fit_sqp`, with ``kkt_tol`` as its option, one BLAS
    thread, ``status_``, the ``ConvergenceWarning`` at the caller's line)
    on an :class:`skmix._eb_problem.EBProblem`, a
    :class:`skmix._problem.SimplexProblem`. The estimator is not a
    subclass of the mixture estimators' base class
    (:class:`skmix._base._BaseKnownMixture`): that is a density estimator
    whose per-sample methods (``predict_proba``, ``predict``,
    ``score_samples``, ``bic``) take X alone and speak of components, and
    whose fit takes ``sample_weight`` and the parameters ``solver``,
    ``tol`` and ``warm_start``; here a sample is a pair ``(x_i, s_i)`` with
    ``s`` a keyword, the output is each ``theta_i``'s posterior (a
    transformer), only the SQP applies (the grid's components overlap,
    where EM is slow), one fit may run many solves (``mode="estimate"``),
    and ``loglik_`` leaves out ``null_weight``'s penalty that the solver
    maximises.

    References
    ----------
    M. Stephens (2017), False discovery rates: a new deal. Biostatistics
    18(2), 275-294. J. Willwerscheid, P. Carbonetto and M. Stephens (2025),
    ebnm: an R package for solving the empirical Bayes normal means problem
    using a variety of prior families. JSS. R. Koenker and I. Mizera (2014),
    Convex optimization, shape constraints, compound decisions, and empirical
    Bayes rules. JASA 109, 674-685.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix import EmpiricalBayesNormalMeans
    >>> rng = np.random.default_rng(0)
    >>> theta = np.where(rng.random(2000) < 0.8, 0.0, rng.normal(0, 3, 2000))
    >>> x = theta + rng.normal(size=2000)
    >>> eb = EmpiricalBayesNormalMeans().fit(x, s=1.0)
    >>> bool(eb.converged_), round(float(eb.prior_weights_[0]), 2)
    (True, 0.79)
    >>> table = eb.posterior(x[:3], s=1.0)
    >>> list(table.columns[:4])
    ['PosteriorMean', 'PosteriorSD', 'lfsr', 'lfdr']
    >>> eb.transform(x[:3], s=1.0).shape
    (3, 1)
    """

    _parameter_constraints: ClassVar[dict] = {
        "prior": [StrOptions(set(grids.FAMILIES))],
        "grid": ["array-like", None],
        "grid_mult": [Interval(Real, 1, None, closed="neither")],
        "mode": [
            Interval(Real, None, None, closed="neither"),
            StrOptions({"estimate"}),
        ],
        "df": [Interval(Real, 2, None, closed="neither"), None],
        "null_weight": [Interval(Real, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "kkt_tol": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        prior="normal_scale_mixture",
        *,
        grid=None,
        grid_mult=SQRT2,
        mode=0.0,
        df=None,
        null_weight=None,
        max_iter=1000,
        kkt_tol=1e-8,
        verbose=0,
    ):
        self.prior = prior
        self.grid = grid
        self.grid_mult = grid_mult
        self.mode = mode
        self.df = df
        self.null_weight = null_weight
        self.max_iter = max_iter
        self.kkt_tol = kkt_tol
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.target_tags.required = False
        return tags

    # -- data ----------------------------------------------------------------
    def _check_xs(self, X, s, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            ensure_2d=False,
            dtype=np.float64,
            ensure_all_finite=False,
        )
        x, s = _split_xs(X, s)
        if not np.all(np.isfinite(x)):
            i = int(np.flatnonzero(~np.isfinite(x))[0])
            raise ValueError(
                f"X: the estimates must be finite; got x[{i}] = {float(x[i])!r}."
            )
        s = np.asarray(s, dtype=np.float64)
        if s.ndim == 0:
            if not (math.isfinite(float(s)) and s >= 0):
                raise ValueError(f"s must be finite and >= 0; got {float(s)!r}.")
            s = np.full(x.shape, float(s))
        elif s.shape != x.shape:
            raise ValueError(
                f"s must be a scalar or have one entry per sample ({x.shape[0]}); "
                f"got shape {s.shape}."
            )
        elif not np.all(np.isfinite(s) & (s >= 0)):
            i = _first_bad(s)
            raise ValueError(
                f"s must be finite and >= 0; got s[{i}] = {float(s[i])!r}."
            )
        return x, s

    # -- fit -----------------------------------------------------------------
    def _components(self, x, s, mode):
        family = self.prior
        if self.grid is None:
            if family == "npmle":
                grid = grids.npmle_grid(x)
            else:
                grid = grids.ashr_scale_grid(x, s, mode, float(self.grid_mult))
        else:
            grid = np.asarray(self.grid, dtype=float).ravel()
            if grid.size == 0 or not np.all(np.isfinite(grid)):
                raise ValueError(f"grid must be non-empty and finite; got {grid!r}.")
            if family != "npmle" and np.any(grid < 0):
                raise ValueError(
                    f"grid: the scales must be >= 0; got {grid[grid < 0][0]!r}."
                )
        return grids.components(family, np.sort(grid), mode)

    def _solve(self, problem):
        """The SQP of :class:`KnownComponentsMixture` on ``problem`` from
        ``1 / K`` (one BLAS thread, as the mixture estimators' shell runs
        it: the products are per row block)."""
        K = problem.K
        problem.em_steps_before_sqp = SQP_OPTIONS["em_steps"]
        with fit_blas_threads(problem):
            return fit_sqp(
                problem,
                np.full(K, 1.0 / K),
                max_iter=self.max_iter,
                verbose=self.verbose,
                options={"kkt_tol": self.kkt_tol, "prune": _prune(problem)},
            )

    def _fit_at(self, x, s, mode):
        comps = self._components(x, s, mode)
        problem = EBProblem(x, s, comps, self.df, self.null_weight)
        return comps, problem, self._solve(problem)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, s=None):
        """Fit the prior ``g`` to estimates ``x`` with standard errors ``s``.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            The estimates x; or the columns ``[x, s]`` when ``s`` is None.
        y : None
            Ignored.
        s : float or array-like of shape (n,), default=None
            The standard errors (>= 0; 0: x is exact).

        Returns
        -------
        self : EmpiricalBayesNormalMeans
            The fitted estimator.
        """
        if is_dask_array(X):
            return self._fit_dask(X, s)
        x, s = self._check_xs(X, s, reset=True)
        self._check_options()
        if x.shape[0] < 1:
            raise ValueError("X: at least one sample is needed.")
        if self.mode == "estimate":
            mode = self._estimate_mode(x, s)
        else:
            mode = float(self.mode)
        comps, problem, result = self._fit_at(x, s, mode)
        return self._store(comps, problem.extra, result, mode)

    def _fit_dask(self, X, s):
        """Dask X: the reductions by map-reduce over its row chunks."""
        self._check_options()
        if self.mode == "estimate":
            raise ValueError("mode='estimate' is not available for dask input.")
        self.n_features_in_ = 1 if X.ndim == 1 else X.shape[1]
        chunks, n = _eb_dask.persist_chunks(*_split_xs(X, s))
        mode = float(self.mode)
        if self.grid is None and self.prior == "npmle":
            raise ValueError("prior='npmle' with dask input needs grid= (locations).")
        if self.grid is None:
            grid = _eb_dask.scale_grid(chunks, mode, float(self.grid_mult))
            comps = grids.components(self.prior, grid, mode)
        else:
            comps = self._components(None, None, mode)
        problem = _eb_dask.problem(chunks, n, comps, self.df, self.null_weight)
        result = self._solve(problem)
        extra = 0.0 if self.null_weight is None else self.null_weight - 1.0
        return self._store(comps, extra, result, mode)

    def _check_options(self):
        family = self.prior
        if self.df is not None and family not in grids.UNIFORM_FAMILIES:
            raise ValueError(
                f"df (a Student t likelihood) needs a uniform prior family "
                f"{grids.UNIFORM_FAMILIES}, where the posterior has closed forms; "
                f"got prior={family!r}."
            )
        if self.null_weight is not None and family == "npmle":
            raise ValueError(
                "null_weight penalises the point mass at the mode, which the "
                "'npmle' prior does not have; use null_weight=None."
            )
        if family == "npmle" and self.mode == "estimate":
            raise ValueError("mode='estimate' does not apply to prior='npmle'.")

    def _store(self, comps, extra, result, mode):
        family = self.prior
        w = result.weights
        penalty = extra * math.log(w[0]) if extra else 0.0
        self.mode_ = mode
        self.prior_ = grids.Prior(
            family, w, comps.lower, comps.upper, comps.scale, mode
        )
        self.prior_weights_ = w
        self.prior_lower_ = comps.lower
        self.prior_upper_ = comps.upper
        if family == "npmle":
            self.prior_grid_ = comps.lower.copy()
        else:
            self.prior_grid_ = np.where(
                comps.upper > comps.lower, comps.upper - comps.lower, comps.scale
            )
        # (loglik of x_i under N(theta, s^2) or t; the penalty left out)
        self.loglik_ = float(result.loglik - penalty)
        self.kkt_gap_ = float(result.kkt_gap)
        self.n_iter_ = int(result.n_iter)
        self.converged_ = bool(result.converged)
        self.status_ = result.status
        for column in result.history.values():
            column.flags.writeable = False
        self.history_ = result.history
        if not self.converged_:
            advice = (
                "increase max_iter"
                if self.status_ == MAX_ITER
                else "no step raises the likelihood any more: check the grid"
            )
            warn_at_caller(
                f"EmpiricalBayesNormalMeans: the solver stopped after "
                f"{self.n_iter_} iterations (status {self.status_!r}) at a KKT "
                f"gap of {self.kkt_gap_:.3g} > kkt_tol={self.kkt_tol}; {advice}.",
                ConvergenceWarning,
            )
        return self

    def _estimate_mode(self, x, s):
        """The mode maximising the (penalised) likelihood: the best of 9
        quantiles of x, then Brent's method between its neighbours."""

        def objective(m):
            return -self._fit_at(x, s, float(m))[2].loglik

        qs = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
        if qs.size == 1:
            return float(qs[0])
        values = [objective(m) for m in qs]
        j = int(np.argmin(values))
        lo = qs[max(j - 1, 0)] if j > 0 else qs[0] - (qs[1] - qs[0])
        hi = qs[j + 1] if j + 1 < qs.size else qs[-1] + (qs[-1] - qs[-2])
        span = float(hi - lo)
        res = minimize_scalar(
            objective,
            bounds=(float(lo), float(hi)),
            method="bounded",
            options={"xatol": 1e-6 * span},
        )
        return float(res.x) if res.fun <= values[j] else float(qs[j])

    # -- posterior -------------------------------------------------------------
    def transform(self, X, s=None):
        """Posterior means of ``theta``.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            As in :meth:`fit`.
        s : float or array-like of shape (n,), default=None
            The standard errors of x (>= 0), as in :meth:`fit`; None with a
            two-column X.

        Returns
        -------
        mean : ndarray of shape (n, 1)
            The posterior mean ``E[theta_i | x_i, s_i]`` of each sample (a
            lazy dask array for dask X).
        """
        check_is_fitted(self)
        if is_dask_array(X):
            cols = ("PosteriorMean",)
            return _eb_dask.posterior(*_split_xs(X, s), self.prior_, self.df, cols)
        x, s = self._check_xs(X, s, reset=False)
        out = np.empty(x.shape[0])
        for sl in _row_blocks(x.shape[0]):
            out[sl] = post.summaries(x[sl], s[sl], self.prior_, self.df)[
                "PosteriorMean"
            ]
        return out[:, None]

    def fit_transform(self, X, y=None, s=None):
        """Fit the prior, then return the posterior means of the same data.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            The estimates x, or the columns ``[x, s]``, as in :meth:`fit`.
        y : None
            Ignored.
        s : float or array-like of shape (n,), default=None
            The standard errors of x (>= 0), as in :meth:`fit`; None with a
            two-column X.

        Returns
        -------
        mean : ndarray of shape (n, 1)
            :meth:`transform` of X after :meth:`fit` on it.
        """
        return self.fit(X, s=s).transform(X, s=s)

    def posterior(self, X, s=None):
        """The posterior summaries of each sample, ashr's columns.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            As in :meth:`fit` (the fitted data or new data: nothing of the
            data is kept by :meth:`fit`).
        s : float or array-like of shape (n,), default=None
            The standard errors of x (>= 0), as in :meth:`fit`; None with a
            two-column X.

        Returns
        -------
        table : pandas.DataFrame or dict of ndarray
            (a dict when pandas is not installed) with the columns
            ``PosteriorMean``, ``PosteriorSD``, ``lfsr`` (the local false sign
            rate ``min(P(theta <= 0), P(theta >= 0))``), ``lfdr`` (``P(theta
            = 0)``), ``qvalue`` and ``svalue`` (the running means of the
            sorted lfdr and lfsr: over the samples passed here; not for
            dask X, whose table is a lazy dask DataFrame of the other
            columns, or a dict of dask arrays without dask.dataframe),
            ``NegativeProb`` (``P(theta < 0)``), ``ZeroProb`` and
            ``PositiveProb``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            cols = [c for c in COLUMNS if c not in ("qvalue", "svalue")]
            arr = _eb_dask.posterior(*_split_xs(X, s), self.prior_, self.df, cols)
            try:
                import dask.dataframe as dd
            except ImportError:  # (dask.dataframe needs pandas and pyarrow)
                return {c: arr[:, j] for j, c in enumerate(cols)}
            return dd.from_dask_array(arr, columns=cols)
        x, s = self._check_xs(X, s, reset=False)
        n = x.shape[0]
        # one (n, 9) block, column-major: the DataFrame wraps it uncopied
        out = np.empty((n, len(COLUMNS)), order="F")
        cols = {c: out[:, j] for j, c in enumerate(COLUMNS)}
        for sl in _row_blocks(n):
            part = post.summaries(x[sl], s[sl], self.prior_, self.df)
            for c, v in part.items():
                cols[c][sl] = v
        post.qvalues(cols["lfdr"], out=cols["qvalue"])
        post.qvalues(cols["lfsr"], out=cols["svalue"])
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover
            return cols
        return pd.DataFrame(out, columns=list(COLUMNS), copy=False)

    def credible_interval(self, X, s=None, level=0.95):
        """Equal-tailed posterior intervals of ``theta``.

        The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of each
        posterior (a mixture), by a bracketed root find on its CDF.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            The estimates x, or the columns ``[x, s]``, as in :meth:`fit`.
        s : float or array-like of shape (n,), default=None
            The standard errors of x (>= 0), as in :meth:`fit`; None with a
            two-column X.
        level : float, default=0.95
            The posterior probability of each interval, in (0, 1).

        Returns
        -------
        intervals : ndarray of shape (n, 2)
            The lower and upper ends for each sample.
        """
        check_is_fitted(self)
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1); got {level!r}.")
        x, s = self._check_xs(X, s, reset=False)
        out = np.empty((x.shape[0], 2))
        for sl in _row_blocks(x.shape[0]):
            # both ends from one responsibilities-and-moments pass
            out[sl] = post.quantiles(
                ((1 - level) / 2, (1 + level) / 2), x[sl], s[sl], self.prior_, self.df
            )
        return out

    def sample_posterior(self, X, s=None, n_samples=1, random_state=None):
        """Draw ``theta`` from each sample's posterior.

        Parameters
        ----------
        X : array-like of shape (n,), (n, 1) or (n, 2)
            The estimates x, or the columns ``[x, s]``, as in :meth:`fit`.
        s : float or array-like of shape (n,), default=None
            The standard errors of x (>= 0), as in :meth:`fit`; None with a
            two-column X.
        n_samples : int, default=1
            Draws per sample.
        random_state : int, RandomState or Generator, default=None
            The random numbers (as in scikit-learn; a NumPy Generator is
            used as it is).

        Returns
        -------
        draws : ndarray of shape (n, n_samples)
            Independent draws from the posterior of each ``theta_i``.
        """
        check_is_fitted(self)
        if not (isinstance(n_samples, Integral) and n_samples >= 1):
            raise ValueError(f"n_samples must be an int >= 1; got {n_samples!r}.")
        x, s = self._check_xs(X, s, reset=False)
        if isinstance(random_state, np.random.Generator):
            rng = random_state
        else:
            seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
            rng = np.random.default_rng(seed)
        out = np.empty((x.shape[0], n_samples))
        for sl in _row_blocks(x.shape[0]):
            out[sl] = post.sample(x[sl], s[sl], self.prior_, n_samples, rng, self.df)
        return out
