"""The shell of the mixture estimators: one base class, as sklearn's BaseMixture.

:class:`_BaseKnownMixture` writes once what every estimator of mixture
weights with known components does: the input dispatch (NumPy, dask, Array
API) of ``fit`` and of the per-sample methods, the start (``warm_start``),
the solver call (:mod:`skmix._solve`) and its ``ConvergenceWarning``, the
fitted attributes every estimator has (``weights_``, ``n_iter_``,
``converged_``, ``status_``, ``loglik_``, ``history_``), ``score``,
``score_samples``, ``predict``, ``predict_proba``, ``predict_log_proba``,
``bic``, ``aic`` and the checks of :meth:`confidence_interval`'s arguments.

An estimator says how it builds its problem and what its fitted attributes
mean. It implements:

- ``_solvers`` (class attribute): solver name -> driver of :mod:`skmix._solve`
  (each called as ``driver(problem, x0, tol=, max_iter=, verbose=,
  options=)``);
- ``_from_numpy(X, sample_weight, reset)``, ``_from_dask(...)`` and
  ``_from_array_api(X, sample_weight, reset, xp, device)``: validate the
  input (``reset``: as ``validate_data``) and return its *data*, a
  :class:`skmix._problem.Problem` or what one is built from (then
  ``_problem(data)`` builds it); ``_array_api_input()`` says whether Array
  API input is computed in its namespace (else it is converted to NumPy);
- ``_per_sample_rows(X, method)``: validated rows and the per-block function
  of a prediction method (``"predict_proba"``, ``"predict_log_proba"``,
  ``"predict"``, ``"score_samples"``), and whether they are in an Array API
  namespace; ``_dask_per_sample(X, method, n_columns, dtype)``: the same,
  lazily, on a dask array;
- the public ``fit`` (``return self._fit(X, sample_weight)``),
  ``confidence_interval`` (``return self._confidence_interval(alpha,
  method)``, the methods listed in ``_interval_methods``, each computed by
  ``_<method>_interval(alpha)``) and ``sample``, whose docstrings say what
  the estimator's parameters mean.

The defaults are those of K weights on the simplex (KnownComponentsMixture's;
TwoGaussianMixturePi, whose point is ``pi``, overrides them): the first
point ``_init_point(problem)`` (``weights_init`` or 1 / K) and
``_warm_point()`` (the previous weights, moved inside the simplex),
``_set_fitted(result, problem, data, namespace)`` (``weights_stderr_`` and
``kkt_gap_``), ``_wald_interval(alpha)`` and ``_convergence_message(result,
problem)``.
A ``solver_options`` parameter, where the estimator has one, is checked by
:func:`skmix._solve.check_solver_options` and passed to the solver.
"""

import math
import time
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._array_api import array_api_namespace, float_dtype
from ._compat import _convert_to_numpy, get_namespace
from ._dask import is_dask_array
from ._inference import simplex_stderr, wald_intervals
from ._solve import NO_ASCENT, check_solver_options
from ._threads import fit_blas_threads
from ._warnings import warn_at_caller

try:  # vendored by scikit-learn >= 1.7
    from sklearn.externals import array_api_compat
except ImportError:  # pragma: no cover -- scikit-learn 1.6: the package
    import array_api_compat

# EM cannot leave a weight at 0 (pi at 0 or 1), and from within 1e-16 of the
# boundary its first steps gain less than any sensible tol, so it would stop
# at once. A warm start therefore begins at least this far inside.
WARM_START_MARGIN = 1e-6
# Rows per block in the prediction methods (their temporaries are a few
# arrays of this many rows).
PREDICT_BLOCK_SIZE = 65536


def check_alpha(alpha):
    """``alpha`` of a confidence interval: one minus the level, in (0, 0.5].

    Parameters
    ----------
    alpha : float
        Already checked to lie in (0, 1).

    Raises
    ------
    ValueError
        If ``alpha > 0.5`` (a level below 50%: a mistaken level, as
        ``alpha=0.95`` for a 95% interval).
    """
    if alpha > 0.5:
        raise ValueError(
            f"alpha={alpha!r} asks for a {100 * (1 - alpha):.3g}% interval: "
            "alpha is one minus the confidence level (alpha=0.05 for a 95% "
            "interval). Allowed: 0 < alpha <= 0.5."
        )


def _rule_gain(result, problem=None):
    """The last gain as the stopping rule of ``problem`` sees it: in units of
    the smallest sample weight where that is not 1 (None: as it is)."""
    gain = result.history["diff_loglik"][-1]
    unit = 1.0 if problem is None else getattr(problem, "min_weight", 1.0)
    if unit == 1.0:
        return f"{gain:.3g}"
    with np.errstate(over="ignore"):
        return f"{gain / unit:.3g} in units of the smallest sample weight"


class _BaseKnownMixture(DensityMixin, BaseEstimator):
    """Base class of the estimators of the weights of known components.

    Not for direct use; see the module docstring for the hooks a subclass
    implements.
    """

    _parameter_constraints: ClassVar[dict] = {
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }
    _solvers: ClassVar[dict] = {}
    _interval_methods: ClassVar[tuple] = ("wald",)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Array API input (with array_api_dispatch) is computed in its own
        # namespace and on its own device
        tags.array_api_support = self._array_api_input()
        return tags

    def _array_api_input(self):
        return True

    # -- fit --------------------------------------------------------------------
    def _read_input(self, X, sample_weight, reset):
        """Dispatch on the kind of X; return ``(data, namespace)``.

        ``namespace`` is ``(xp, device)`` for Array API input computed in its
        namespace, else None.
        """
        if is_dask_array(X):
            return self._from_dask(X, sample_weight, reset), None
        namespace = array_api_namespace(X)
        if namespace is not None:
            if self._array_api_input():
                return self._from_array_api(X, sample_weight, reset, *namespace), (
                    namespace
                )
            X = _convert_to_numpy(X, namespace[0])  # e.g. scipy needs NumPy
        return self._from_numpy(X, sample_weight, reset), None

    def _problem(self, data):
        return data

    def _fit(self, X, sample_weight):
        """Validate, build the problem, solve; the body of ``fit``."""
        options = self._solver_options()
        data, namespace = self._read_input(X, sample_weight, reset=True)
        return self._fit_problem(self._problem(data), data, namespace, options)

    def _solver_options(self):
        """The checked ``solver_options`` (the defaults if the estimator
        has no such parameter)."""
        return check_solver_options(getattr(self, "solver_options", None))

    def _start_point(self, problem):
        """The solver's first point: the previous fit's with ``warm_start``."""
        if (
            self.warm_start
            and hasattr(self, "weights_")
            and self.weights_.shape[0] == problem.K
        ):
            return self._warm_point()
        return self._init_point(problem)

    def _fit_problem(self, problem, data, namespace, options, x0=None):
        """Run the solver on ``problem`` (from ``x0``, default
        ``_start_point``); set the fitted attributes."""
        if x0 is None:
            x0 = self._start_point(problem)
        # one BLAS thread: the solver's products are per row block (a second
        # thread never helps them and busy-waits on a loaded machine)
        with fit_blas_threads(problem):
            result = self._solvers[self.solver](
                problem,
                x0,
                tol=self.tol,
                max_iter=self.max_iter,
                verbose=self.verbose,
                options=options,
            )
        if not result.converged:
            warn_at_caller(
                self._convergence_message(result, problem), ConvergenceWarning
            )
        self.weights_ = self._in_namespace(result.weights, namespace)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.status_ = result.status
        loglik, history = result.loglik, result.history
        scale = getattr(problem, "weight_scale", 0)
        if scale:  # sample weights divided by 2**scale: totals scaled back
            with np.errstate(over="ignore"):  # beyond float64: -inf
                loglik = float(np.ldexp(loglik, scale))
                for key in ("loglik", "diff_loglik"):
                    history[key] = np.ldexp(history[key], scale)
        self.loglik_ = loglik
        for column in history.values():
            column.flags.writeable = False
        self.history_ = history
        self._set_fitted(result, problem, data, namespace)
        return self

    @staticmethod
    def _in_namespace(values, namespace):
        """Host values as a fitted array: NumPy, or in the namespace and on
        the device of the training data."""
        if namespace is None:
            return values
        xp, device = namespace
        return xp.asarray(values, dtype=float_dtype(xp, device), device=device)

    def _fit_namespace(self):
        """``(xp, device)`` of the fitted arrays, None for NumPy."""
        weights = self.weights_
        if isinstance(weights, np.ndarray):
            return None
        return (
            array_api_compat.array_namespace(weights),
            array_api_compat.device(weights),
        )

    def _host(self, a):
        """A fitted array as NumPy float64."""
        namespace = self._fit_namespace()
        if namespace is None:
            return np.asarray(a, dtype=np.float64)
        return np.asarray(_convert_to_numpy(a, namespace[0]), dtype=np.float64)

    # -- defaults for K weights on the simplex (TwoGaussianMixturePi overrides) --
    def _warm_point(self):
        """The previous weights, moved inside the simplex (EM cannot leave 0)."""
        w = self._host(self.weights_) + WARM_START_MARGIN
        return w / w.sum()

    def _init_point(self, problem):
        """``weights_init`` (if the estimator has it), checked; else 1 / K."""
        K = problem.K
        if getattr(self, "weights_init", None) is None:
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

    def _convergence_message(self, result, problem):
        """The text of the ConvergenceWarning."""
        em = self.solver == "em"
        if result.status == NO_ASCENT:
            return (
                f"solver={self.solver!r} did not converge: it stopped after "
                f"{result.n_iter} iterations, no step raising the "
                f"log-likelihood, at a KKT gap of {result.kkt_gap:.3g}."
            )
        return (
            f"solver={self.solver!r} did not converge in max_iter="
            f"{self.max_iter} iterations (last gain of the log-likelihood "
            f"{_rule_gain(result, problem if em else None)}"
            + (f", not below tol={self.tol}" if em else "")
            + f"; KKT gap {result.kkt_gap:.3g}). Increase max_iter"
            + (" or tol." if em else ".")
        )

    def _set_fitted(self, result, problem, data, namespace):
        """``weights_stderr_`` (from the problem at the fitted weights) and
        ``kkt_gap_``."""
        with fit_blas_threads(problem, np.flatnonzero(result.weights > 0)):
            stderr = simplex_stderr(problem, result.weights)
        self.weights_stderr_ = self._in_namespace(stderr, namespace)
        self.kkt_gap_ = result.kkt_gap

    # -- inference -------------------------------------------------------------
    def _wald_interval(self, alpha, X=None, sample_weight=None):
        """``weights_ -/+ z * weights_stderr_``, clipped; shape (K, 2).

        Needs no data: ``X`` and ``sample_weight`` are not used.
        """
        w, se = self._host(self.weights_), self._host(self.weights_stderr_)
        return self._to_fit_namespace(wald_intervals(w, se, alpha))

    def _to_fit_namespace(self, ci):
        """A NumPy result in the namespace and on the device of the fit."""
        namespace = self._fit_namespace()
        if namespace is None:
            return ci
        xp, device = namespace
        return xp.asarray(ci, dtype=self.weights_.dtype, device=device)

    def _confidence_interval(self, alpha, method, **data):
        """Check the arguments; the interval of ``method`` (verbose: timed)."""
        check_is_fitted(self)
        validate_parameter_constraints(
            {
                "alpha": [Interval(Real, 0, 1, closed="neither")],
                "method": [StrOptions(set(self._interval_methods))],
            },
            {"alpha": alpha, "method": method},
            caller_name="confidence_interval",
        )
        check_alpha(alpha)
        start = time.perf_counter()
        interval = getattr(self, f"_{method}_interval")(alpha, **data)
        if self.verbose:
            print(
                f"{method} interval {interval} in {time.perf_counter() - start:.4f} s"
            )
        return interval

    def _n_parameters(self):
        return self.weights_.shape[0] - 1  # the weights; the components are fixed

    def bic(self, X):
        """Bayesian information criterion of the fitted model on X.

        As in :class:`sklearn.mixture.GaussianMixture`, with ``K - 1`` free
        parameters (the weights): ``-2 * total log-likelihood + (K - 1) *
        log(n_samples)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        bic : float
            The lower the better.
        """
        n = _num_samples(X)
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X):
        """Akaike information criterion of the fitted model on X.

        As in :class:`sklearn.mixture.GaussianMixture`, with ``K - 1`` free
        parameters (the weights): ``-2 * total log-likelihood + 2 * (K - 1)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        aic : float
            The lower the better.
        """
        return -2 * self.score(X) * _num_samples(X) + 2 * self._n_parameters()

    # -- per-sample methods -------------------------------------------------------
    def _per_sample(self, X, method):
        """``method``'s per-sample values on X, dispatched on its kind.

        NumPy: block by block, so that temporaries stay small however large X
        is; dask: lazily, chunk by chunk (a dask array); Array API (with
        dispatch on): in X's namespace and on its device.
        """
        check_is_fitted(self)
        n_columns = self.weights_.shape[0] if method.endswith("proba") else None
        dtype = np.intp if method == "predict" else np.float64
        if is_dask_array(X):
            return self._dask_per_sample(X, method, n_columns, dtype)
        rows, function, in_namespace = self._per_sample_rows(X, method)
        if in_namespace:
            return function(rows)
        n = rows.shape[0]
        out = np.empty((n,) if n_columns is None else (n, n_columns), dtype=dtype)
        for start in range(0, n, PREDICT_BLOCK_SIZE):
            block = slice(start, start + PREDICT_BLOCK_SIZE)
            out[block] = function(rows[block])
        return out

    def predict_proba(self, X):
        """Posterior probability of each component (the E-step responsibilities).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components)
            ``P(component k | x_i)`` at the fitted weights, columns in the
            order of ``weights_``; each row sums to 1. A sample outside
            every component's support (density 0 under all) carries no
            information: its row is the prior, ``weights_``.
        """
        return self._per_sample(X, "predict_proba")

    def predict_log_proba(self, X):
        """Log of the posterior probability of each component.

        Computed in log space, so it stays finite (and exact) where
        :meth:`predict_proba` underflows to 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_components)
            ``log P(component k | x_i)`` at the fitted weights, columns in
            the order of ``weights_``; ``log(weights_)`` for a sample
            outside every component's support.
        """
        return self._per_sample(X, "predict_log_proba")

    def predict(self, X):
        """Most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the component of largest posterior probability (ties go
            to the first).
        """
        return self._per_sample(X, "predict")

    def score_samples(self, X):
        """Log-density of each sample under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log sum_k w_k f_k(x_i)``; ``-inf`` only where that density is 0
            (e.g. a sample outside every component's support) or underflows
            float64.
        """
        return self._per_sample(X, "score_samples")

    def score(self, X, y=None):
        """Mean log-likelihood per sample.

        This follows :class:`sklearn.mixture.GaussianMixture`: the per-sample
        mean, so that folds of different sizes compare in cross-validation.
        The total log-likelihood is ``score_samples(X).sum()``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as in :meth:`fit`.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Mean of :meth:`score_samples` over the samples.
        """
        log_density = self.score_samples(X)
        with np.errstate(over="ignore"):  # a sum beyond float64 is -inf
            if is_dask_array(log_density):
                return float(log_density.mean().compute())
            xp = get_namespace(log_density)[0]
            return float(xp.mean(log_density))
