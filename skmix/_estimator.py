"""The scikit-learn estimator: validation, fitted attributes, predictions."""

import math
import time
from numbers import Real
from typing import ClassVar

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _array_api as array_api
from ._array_api import array_api_namespace
from ._base import WARM_START_MARGIN, _BaseKnownMixture, _rule_gain
from ._compat import (
    WEIGHT_SUM_OVERFLOWS,
    check_not_1d,
    check_same_namespace,
    check_sample_weight,
    get_namespace,
)
from ._components import check_not_strings
from ._dask import (
    check_dask_sample_weight,
    check_dask_X,
    map_rows,
)
from ._datasets import make_mixture
from ._densities import (
    check_gaussian_components,
    log_mixture_density,
    posterior_logit,
    sample_terms,
)
from ._dispatch import summarize
from ._inference import profile_interval, standard_error, wald_interval
from ._problem_summary import SummaryProblem
from ._solve import fit_em, fit_newton
from ._warnings import warn_at_caller as _warn_at_caller

_SOLVERS = {"em": fit_em, "newton": fit_newton}


class TwoGaussianMixturePi(_BaseKnownMixture):
    """Mixing proportion of two known Gaussian components, by EM.

    The model is ``x ~ pi * N(means[0], sigma[0]**2) + (1 - pi) *
    N(means[1], sigma[1]**2)`` with the means and standard deviations fixed;
    only ``pi``, the probability of component 0, is estimated, by maximum
    likelihood with the EM algorithm. With several features, component ``k``
    is ``N(means[k], diag(sigma[k]**2))``: features are independent given the
    component.

    Parameters
    ----------
    means : array-like of shape (2,) or (2, n_features), default=(0.0, 2.0)
        Mean of component 0 and of component 1: one value per component
        (used for every feature) or one per component and feature.

    sigma : float or array-like of shape (2,) or (2, n_features), default=1.0
        Standard deviation, positive: common to both components, one per
        component, or one per component and feature.

    pi_init : float, default=0.5
        Initial probability of component 0, in the open interval (0, 1).

    tol : float, default=1e-5
        EM stops after the first iteration that raises the total
        log-likelihood of the training data by less than ``tol``.

    max_iter : int, default=1000
        Maximum number of iterations (M-steps for EM). Reaching it without
        meeting ``tol`` raises a :class:`~sklearn.exceptions.ConvergenceWarning`.

    solver : {"em", "newton"}, default="em"
        ``"em"``: the EM algorithm, one M-step per iteration (the reference
        path; the log-likelihood rises at every step, linearly convergent).
        ``"newton"``: safeguarded Newton steps on the concave log-likelihood,
        falling back to the EM step whenever Newton would lower it; converges
        quadratically, in a handful of passes over the data, to the same
        maximum, and reaches a maximum on the boundary (0 or 1) exactly. Both
        record their iterations in ``history_`` and stop on the same rule.

    verbose : int, default=0
        If >= 1, print the iteration, pi, log-likelihood and its increase at
        every iteration.

    warm_start : bool, default=False
        If True, a new ``fit`` starts from the previous ``pi_`` instead of
        ``pi_init`` (moved 1e-6 inside (0, 1) if it lies closer to 0 or 1,
        since EM cannot leave the boundary).

    Attributes
    ----------
    pi_ : float
        Estimated probability of component 0.

    weights_ : ndarray of shape (2,)
        ``[pi_, 1 - pi_]``, the weights of component 0 and component 1.

    n_iter_ : int
        Number of EM iterations (M-steps) run.

    converged_ : bool
        Whether the last iteration met ``tol`` (or, with ``"newton"``,
        reached the maximum: on the boundary, or where no step raises the
        log-likelihood any more).

    status_ : str
        How the solver stopped: ``"converged"`` (it met ``tol``, or the
        maximum on the boundary), ``"max_iter"`` (the iteration limit) or
        ``"no ascent step"`` (``"newton"``: no step raises the
        log-likelihood, the maximum to rounding).

    history_ : dict of ndarray
        One row per iteration, starting with ``pi_init``: ``"iteration"``,
        ``"pi"``, ``"loglik"`` (total log-likelihood) and ``"diff_loglik"``
        (its increase, NaN in row 0); read-only.

    loglik_ : float
        Total log-likelihood of the training data at ``pi_`` (weighted by
        ``sample_weight`` if given).

    pi_stderr_ : float
        Standard error of ``pi_``: ``1 / sqrt(I)``, with ``I = sum_i s_i
        ((f0(x_i) - f1(x_i)) / p(x_i))**2`` the observed Fisher information
        at ``pi_`` (``s_i`` the sample weights). On the boundary (``pi_`` 0
        or 1) it is still that curvature, but it is no standard error there:
        the estimate is not asymptotically normal at a boundary; use the
        profile interval of :meth:`confidence_interval`. ``inf`` where the
        data carry no information on pi (``I`` at most 1e-13 times the total
        weight: components the samples cannot tell apart), as
        :attr:`KnownComponentsMixture.weights_stderr_`. A fit on a single
        sample warns.

    n_samples_seen_ : int
        Number of samples of positive weight the fit used: those of ``fit``,
        or of all the batches of :meth:`partial_fit` (a count, as
        scikit-learn's ``n_samples_seen_``, not the sum of the weights).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X``
        has feature names that are all strings.

    See Also
    --------
    sklearn.mixture.GaussianMixture : Estimates the means and covariances too.
    make_mixture : Draw samples from this model.

    Notes
    -----
    The components' log-odds ``log f0(x) - log f1(x)`` and the larger
    log-density are computed once, in a form that does not overflow, so that
    far-out samples (``x = 1e6``) give finite log-likelihoods and samples
    beyond float64's range of squares (``x = 1e300``) still give finite
    responsibilities and ``pi_`` (their log-density, hence ``loglik_``, is
    ``-inf`` in float64). One pass over X turns them into a mergeable summary
    (per-bin Chebyshev moments of the log-odds and exact tail sums), from
    which every sum EM, Newton and the intervals need is evaluated to
    rounding at any pi, in microseconds.

    The fitted estimator keeps a summary of the training data of a few tens
    of KB, whatever their size, from which :meth:`confidence_interval`
    evaluates the likelihood at other values of pi and :meth:`partial_fit`
    continues; the fitted state is immutable, so every method may be called
    from several threads. The components (``means``, ``sigma``) are stored
    at fit time: a later ``set_params`` affects the next fit only.

    Besides NumPy arrays, lists and DataFrames, every method accepts a dask
    array chunked along rows (``fit`` then runs on the cluster, and
    ``predict_proba``, ``predict`` and ``score_samples`` return dask arrays,
    lazily) and, with ``sklearn.set_config(array_api_dispatch=True)``, arrays
    of other Array API namespaces (PyTorch, CuPy, ...), computed and returned
    in that namespace, on the input's device. With numba installed, large
    fits use a compiled kernel (``SKMIX_NUMBA=0`` turns it off).

    Examples
    --------
    >>> from skmix import TwoGaussianMixturePi, make_mixture
    >>> X, y = make_mixture(10_000, pi=0.8, random_state=0)
    >>> est = TwoGaussianMixturePi(means=(0.0, 2.0), sigma=1.0).fit(X)
    >>> round(est.pi_, 2)
    0.8
    >>> est.n_iter_, est.converged_
    (14, True)
    >>> est.predict_proba([[0.0], [2.0]]).round(3)
    array([[0.967, 0.033],
           [0.351, 0.649]])
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseKnownMixture._parameter_constraints,
        "means": ["array-like"],
        "sigma": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "pi_init": [Interval(Real, 0, 1, closed="neither")],
        "solver": [StrOptions(set(_SOLVERS))],
    }
    _solvers: ClassVar[dict] = _SOLVERS
    _interval_methods: ClassVar[tuple] = ("profile", "wald")

    def __init__(
        self,
        means=(0.0, 2.0),
        sigma=1.0,
        *,
        pi_init=0.5,
        tol=1e-5,
        max_iter=1000,
        solver="em",
        verbose=0,
        warm_start=False,
    ):
        self.means = means
        self.sigma = sigma
        self.pi_init = pi_init
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.verbose = verbose
        self.warm_start = warm_start

    def _validate_X(self, X, reset, ensure_all_finite=True):
        check_not_strings(X)
        check_not_1d(X)
        # sklearn's finite check sums X first; with values near the float64
        # limits and an inf that sum is inf - inf: a spurious RuntimeWarning
        # before the ValueError it then raises
        xp = get_namespace(X)[0]
        with np.errstate(invalid="ignore", over="ignore"):
            return validate_data(
                self,
                X,
                reset=reset,
                dtype=[xp.float64, xp.float32],
                ensure_min_samples=1,
                ensure_all_finite=ensure_all_finite,
            )

    def _components(self, n_features):
        return check_gaussian_components(self.means, self.sigma, n_features)

    @property
    def _means(self):
        """The component means of the fit, shape (2, n_features)."""
        return np.array(self._components_fit[0])

    @property
    def _sigma(self):
        """The component standard deviations of the fit."""
        return np.array(self._components_fit[1])

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Estimate pi by maximum likelihood.

        One pass over X builds a small summary of the data (see the user
        guide); the solver and the inference then run on the summary alone.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; usually ``n_features == 1``. Also a dask array chunked
            along rows (summarised on its workers), or, with
            ``sklearn.set_config(array_api_dispatch=True)``, an array of an
            Array API namespace such as PyTorch or CuPy (summarised in that
            namespace, on its device).

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all 1). The
            log-likelihood is the weighted sum of the per-sample
            log-likelihoods and the M-step the weighted mean of the
            responsibilities, so integer weights are the same as repeating
            samples and weight 0 the same as leaving a sample out. The
            stopping rule measures the increase of the log-likelihood with the
            weights divided by the smallest positive weight: counts (smallest
            1) stop exactly as the repeated rows, and multiplying all weights
            by a constant changes nothing but ``loglik_`` (scaled).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Add a batch of samples and refit on all the samples seen so far.

        The batch's summary is added to the estimator's (summaries merge by
        addition), and the solver runs again from ``pi_init`` (or from the
        previous ``pi_`` with ``warm_start=True``). After any split of the
        data into batches the result is that of :meth:`fit` on their
        concatenation (to rounding). Memory stays of the order of one batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of samples, with the features of the first batch.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample of the batch (None: all 1).

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> from skmix import TwoGaussianMixturePi, make_mixture
        >>> X, _ = make_mixture(30_000, pi=0.3, random_state=0)
        >>> est = TwoGaussianMixturePi()
        >>> for batch in (X[:10_000], X[10_000:25_000], X[25_000:]):
        ...     est = est.partial_fit(batch)
        >>> whole = TwoGaussianMixturePi().fit(X)
        >>> abs(est.pi_ - whole.pi_) < 1e-12, est.n_iter_ == whole.n_iter_
        (True, True)
        """
        first = not hasattr(self, "_summary")
        options = self._solver_options()
        (summary, means, sigma), namespace = self._read_input(
            X, sample_weight, reset=first
        )
        if not first:
            if not (
                np.array_equal(means, self._means)
                and np.array_equal(sigma, self._sigma)
            ):
                raise ValueError(
                    "means or sigma changed since the first call of partial_fit "
                    f"(means={self._means.tolist()}, sigma={self._sigma.tolist()}; "
                    f"now means={means.tolist()}, sigma={sigma.tolist()}). "
                    "Call fit to start again with other components."
                )
            summary = self._summary + summary
        data = (summary, means, sigma)
        return self._fit_problem(self._problem(data), data, namespace, options)

    # -- hooks of _BaseKnownMixture -------------------------------------------------
    def _from_dask(self, X, sample_weight, reset):
        start = time.perf_counter()
        X = check_dask_X(
            validate_data(self, X, skip_check_array=True, reset=reset),
            None if reset else self.n_features_in_,
            estimator_name=type(self).__name__,
        )
        if sample_weight is not None:
            sample_weight = check_dask_sample_weight(sample_weight, X)
        return self._summarize(X, sample_weight, None, start, reset)

    def _from_array_api(self, X, sample_weight, reset, xp, device):
        start = time.perf_counter()
        X = self._validate_X(X, reset=reset)
        if sample_weight is not None:
            # (a later batch of partial_fit may weigh nothing)
            sample_weight = check_sample_weight(
                sample_weight,
                X.shape[0],
                xp=xp,
                device=device,
                allow_all_zero=not reset,
            )
        return self._summarize(X, sample_weight, (xp, device), start, reset)

    def _from_numpy(self, X, sample_weight, reset):
        start = time.perf_counter()
        # the NumPy builds raise scikit-learn's error for NaN or infinity
        # themselves, without a separate pass over X (about 7% of a fit at
        # n = 1e7); sklearn checks weighted input
        X = self._validate_X(
            X, reset=reset, ensure_all_finite=sample_weight is not None
        )
        if sample_weight is not None:
            sample_weight = check_sample_weight(
                sample_weight, X.shape[0], allow_all_zero=not reset
            )
            if np.all(sample_weight == 1.0):  # the unweighted fit
                sample_weight = None
        return self._summarize(X, sample_weight, None, start, reset)

    def _summarize(self, X, sample_weight, namespace, start, reset):
        """The summary of validated X and the components: the fit's data
        (``reset``: a fit or partial_fit's first batch, which must weigh
        something; a later batch may add nothing)."""
        means, sigma = self._components(X.shape[1])
        summary = summarize(
            X, means, sigma, sample_weight, namespace, verbose=self.verbose
        )
        if not math.isfinite(summary.weight):
            raise ValueError(WEIGHT_SUM_OVERFLOWS)
        if summary.weight <= 0 and reset:  # (partial_fit: the total is checked)
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        if self.verbose:
            print(
                f"Summarised {summary.count} samples in "
                f"{time.perf_counter() - start:.3f} s"
            )
        return summary, means, sigma

    def _problem(self, data):
        return SummaryProblem(data[0])

    def _init_point(self, problem):
        return self.pi_init

    def _warm_point(self):
        return min(max(self.pi_, WARM_START_MARGIN), 1 - WARM_START_MARGIN)

    def _convergence_message(self, result, problem):
        return (
            f"{self.solver!r} did not converge in max_iter={self.max_iter} "
            "iterations: the "
            f"last increase of the log-likelihood, "
            f"{_rule_gain(result, problem)}, is not below "
            f"tol={self.tol}. Increase max_iter or tol."
        )

    def _set_fitted(self, result, problem, data, namespace):
        summary, means, sigma = data
        self.pi_ = result.point
        # plain tuples: sklearn's Array API checks want array attributes in
        # the input's namespace, and these are host-side parameters
        self._components_fit = (_nested_tuple(means), _nested_tuple(sigma))
        self.pi_stderr_ = standard_error(problem.information(self.pi_), summary.weight)
        self.n_samples_seen_ = int(summary.count)
        if summary.count < 2:
            _warn_at_caller(
                f"One sample (of positive weight) only: pi_ = {self.pi_:.3g} and "
                f"pi_stderr_ = {self.pi_stderr_:.3g} carry no useful information "
                "(the maximum of one sample's likelihood lies on the boundary; "
                "the standard error is no measure of it).",
                UserWarning,
            )
        # the summary of the training data (a few tens of KB, immutable):
        # intervals and partial_fit work from it
        self._summary = summary

    def confidence_interval(self, alpha=0.05, method="profile"):
        """Confidence interval for pi, at level ``1 - alpha``.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level, in (0, 0.5].

        method : {"profile", "wald"}, default="profile"
            ``"profile"``: the likelihood-ratio (profile likelihood) interval,
            the values ``p`` whose log-likelihood on the training data lies
            within ``chi2_1(1 - alpha) / 2`` of that at ``pi_``, found by a
            root search on each side of ``pi_``; it is not symmetric, it
            reaches 0 or 1 exactly when the data allow it, and it stays
            accurate near the boundaries. ``"wald"``: ``pi_ -/+ z *
            pi_stderr_``, clipped to [0, 1]; cheaper, but poor when ``pi_`` is
            near 0 or 1 or the sample is small.

        Returns
        -------
        low, high : float
            The ends of the interval, ``0 <= low <= pi_ <= high <= 1``.
        """
        return self._confidence_interval(alpha, method)

    def _wald_interval(self, alpha):
        if self.pi_ in (0.0, 1.0):
            _warn_at_caller(
                f"pi_ = {self.pi_} lies on the boundary, where the estimate is "
                "not asymptotically normal and the Wald interval has no "
                "meaning; use method='profile'.",
                UserWarning,
            )
        return wald_interval(self.pi_, self.pi_stderr_, alpha)

    def _profile_interval(self, alpha):
        return profile_interval(self._summary, self.pi_, alpha)

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted mixture.

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
            The samples, float64, with as many features as seen in ``fit``.

        y : ndarray of shape (n_samples,)
            Their components, 0 (with probability ``pi_``) or 1.

        See Also
        --------
        make_mixture : Samples from given parameters.

        Examples
        --------
        >>> from skmix import TwoGaussianMixturePi, make_mixture
        >>> X, _ = make_mixture(1000, pi=0.8, random_state=0)
        >>> est = TwoGaussianMixturePi().fit(X)
        >>> X_new, y_new = est.sample(5, random_state=0)
        >>> X_new.shape, y_new.shape
        ((5, 1), (5,))
        """
        check_is_fitted(self)
        return make_mixture(
            n_samples,
            n_features=self.n_features_in_,
            means=self._means,
            sigma=self._sigma,
            pi=self.pi_,
            random_state=random_state,
        )

    def _args(self):
        return self._means, self._sigma, self.pi_

    def _dask_per_sample(self, X, method, n_columns, dtype):
        X = check_dask_X(X, self.n_features_in_, estimator_name=type(self).__name__)
        numpy_function = _PER_SAMPLE[method][0]
        return map_rows(
            X, numpy_function, *self._args(), n_columns=n_columns, dtype=dtype
        )

    def _per_sample_rows(self, X, method):
        numpy_function, xp_function = _PER_SAMPLE[method]
        check_same_namespace(X, self, attribute="weights_", method=method)
        namespace = array_api_namespace(X)
        X = self._validate_X(X, reset=False)
        args = self._args()
        if namespace is not None:
            return X, lambda rows: xp_function(rows, *args, *namespace), True
        return X, lambda rows: numpy_function(rows, *args), False


def _nested_tuple(array):
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array))


# Per-sample computations of the prediction methods, as functions of a block
# of validated rows and the fitted parameters (so that dask can map them).


def _responsibilities(X, means, sigma, pi):
    t = posterior_logit(sample_terms(X, means, sigma)[0], pi)
    return np.column_stack([expit(t), expit(-t)])


def _log_responsibilities(X, means, sigma, pi):
    t = posterior_logit(sample_terms(X, means, sigma)[0], pi)
    return np.column_stack([log_expit(t), log_expit(-t)])


def _labels(X, means, sigma, pi):
    lo = sample_terms(X, means, sigma)[0]
    return (posterior_logit(lo, pi) < 0).astype(np.intp)


def _log_density(X, means, sigma, pi):
    return log_mixture_density(*sample_terms(X, means, sigma), pi)


_PER_SAMPLE = {
    "predict_proba": (_responsibilities, array_api.responsibilities),
    "predict_log_proba": (_log_responsibilities, array_api.log_responsibilities),
    "predict": (_labels, array_api.labels),
    "score_samples": (_log_density, array_api.log_density),
}
