"""Uncertainty of pi: standard error, profile and Wald intervals, coverage."""

import math

import numpy as np
import pytest
from _helpers import mixture_X
from _reference import exact_log_densities, mixture_logpdf
from scipy.optimize import brentq
from scipy.stats import chi2, norm
from sklearn.exceptions import NotFittedError

from skmix import TwoGaussianMixturePi, make_mixture

MEANS, SIGMA = (0.0, 2.0), (1.0, 1.5)


def _fit(n=1000, pi=0.7, seed=0, solver="newton", weight=None, **data):
    data = {"means": MEANS, "sigma": SIGMA, **data}
    X = mixture_X(n, pi=pi, seed=seed, **data)
    return X, TwoGaussianMixturePi(solver=solver, **data).fit(X, sample_weight=weight)


def _loglik(X, pi, weight=None, means=MEANS, sigma=SIGMA):
    logpdf = mixture_logpdf(X, means, sigma, pi)
    return logpdf.sum() if weight is None else np.dot(weight, logpdf)


@pytest.mark.parametrize("solver", ["em", "newton"])
@pytest.mark.parametrize("weighted", [False, True])
def test_stderr_is_the_curvature_of_the_loglik(solver, weighted):
    n = 1000
    weight = np.random.default_rng(5).uniform(0.5, 2, n) if weighted else None
    X, est = _fit(n, solver=solver, weight=weight)
    h, p = 1e-4, est.pi_
    second = (
        _loglik(X, p + h, weight)
        - 2 * _loglik(X, p, weight)
        + _loglik(X, p - h, weight)
    ) / h**2
    assert est.pi_stderr_ == pytest.approx(1 / np.sqrt(-second), rel=1e-6)


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.01])
@pytest.mark.parametrize("weighted", [False, True])
def test_profile_ends_lie_the_chi2_cutoff_below_the_maximum(alpha, weighted):
    n = 2000
    weight = np.random.default_rng(6).uniform(0.5, 2, n) if weighted else None
    X, est = _fit(n, weight=weight)
    low, high = est.confidence_interval(alpha)
    assert 0 < low < est.pi_ < high < 1
    drop = chi2.ppf(1 - alpha, df=1) / 2
    top = _loglik(X, est.pi_, weight)
    assert est.loglik_ == pytest.approx(top, rel=1e-12)
    for end in (low, high):
        assert _loglik(X, end, weight) == pytest.approx(top - drop, abs=1e-8)


def test_wald_interval_is_symmetric_and_clipped():
    _, est = _fit(3000)
    low, high = est.confidence_interval(0.05, method="wald")
    z = norm.ppf(0.975)
    assert low == pytest.approx(est.pi_ - z * est.pi_stderr_, rel=1e-12)
    assert high == pytest.approx(est.pi_ + z * est.pi_stderr_, rel=1e-12)
    # near the boundary it is cut at 1; the profile interval is asymmetric
    _, near = _fit(60, pi=0.995, seed=1)
    assert near.pi_ == 1.0  # on the boundary: the Wald interval warns
    with pytest.warns(UserWarning, match="boundary"):
        assert near.confidence_interval(0.05, method="wald")[1] <= 1.0
    p_low, p_high = near.confidence_interval(0.05)
    assert near.pi_ - p_low != pytest.approx(p_high - near.pi_, rel=0.05)


def test_wider_confidence_gives_a_wider_interval():
    _, est = _fit(1000)
    inner = est.confidence_interval(0.2)
    outer = est.confidence_interval(0.01)
    assert outer[0] < inner[0] < est.pi_ < inner[1] < outer[1]


@pytest.mark.parametrize("component", [0, 1])
def test_profile_interval_reaches_the_boundary(component):
    # every sample from one well-separated component: the MLE is 0 or 1
    X, _ = make_mixture(200, means=(0.0, 8.0), pi=1.0 - component, random_state=3)
    est = TwoGaussianMixturePi(means=(0.0, 8.0), solver="newton").fit(X)
    assert est.pi_ == 1.0 - component
    low, high = est.confidence_interval()
    assert np.isfinite(est.pi_stderr_)
    if component == 0:
        assert high == 1.0 and 0.95 < low < 1.0
        end = low
    else:
        assert low == 0.0 and 0.0 < high < 0.05
        end = high
    drop = chi2.ppf(0.95, df=1) / 2
    assert _loglik(X, end, means=(0.0, 8.0), sigma=1.0) == pytest.approx(
        est.loglik_ - drop, abs=1e-8
    )


def test_interval_with_a_density_beyond_float64():
    X, _ = make_mixture(300, pi=0.6, random_state=4)
    X = np.vstack([X, [[1e300]]])  # log-likelihood -inf at every pi
    est = TwoGaussianMixturePi().fit(X)
    low, high = est.confidence_interval()
    assert 0 <= low <= est.pi_ <= high <= 1


def test_small_coverage_check():
    # 300 fixed-seed replications: the 95% profile interval covers the true
    # pi about 95% of the time (binomial sd 1.3%), the 50% interval about half
    pi, hits95, hits50 = 0.8, 0, 0
    for seed in range(300):
        _, est = _fit(200, pi=pi, seed=seed)
        low, high = est.confidence_interval(0.05)
        hits95 += low <= pi <= high
        low, high = est.confidence_interval(0.5)
        hits50 += low <= pi <= high
    assert 0.91 <= hits95 / 300 <= 0.99
    assert 0.41 <= hits50 / 300 <= 0.59


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": "0.05"}, "alpha"),
        ({"method": "bootstrap"}, "method"),
    ],
)
def test_bad_interval_arguments_raise(kwargs, match):
    _, est = _fit(100)
    with pytest.raises(ValueError, match=match):
        est.confidence_interval(**kwargs)


def test_interval_needs_a_fit():
    with pytest.raises(NotFittedError):
        TwoGaussianMixturePi().confidence_interval()


# -- Newton, the standard error and both intervals from the summary equal the
#    same quantities computed sample by sample ---------------------------------


def _exact_parts(X, means, sigma):
    l0, l1 = exact_log_densities(X, means, sigma)
    m = np.maximum(l0, l1)
    return l0 - m, l1 - m  # log f_k - max, at most 0


def _exact_c(parts, p):
    r0, r1 = parts
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log(p) + r0, np.log1p(-p) + r1)


def _exact_score(parts, p, w):
    r0, r1 = parts
    g = (np.exp(r0) - np.exp(r1)) / np.exp(_exact_c(parts, p))
    return math.fsum(w * g), math.fsum(w * g * g)


@pytest.mark.parametrize("case", ["seed", "unequal_outliers", "weighted"])
def test_newton_stderr_and_intervals_equal_per_sample_computations(case):
    means, sigma, weight = (0.0, 2.0), 1.0, None
    if case == "seed":
        X, _ = make_mixture(100_000, pi=0.8, random_state=1)
    elif case == "unequal_outliers":
        means, sigma = (0.0, 3.0), (1.0, 0.3)
        X, _ = make_mixture(20_000, means=means, sigma=sigma, pi=0.4, random_state=2)
        X = np.vstack([X, [[60.0], [1e6], [-25.0]]])
    else:
        X, _ = make_mixture(20_000, pi=0.3, random_state=3)
        weight = np.random.default_rng(4).uniform(0.2, 3.0, len(X))
    w = np.ones(len(X)) if weight is None else weight
    est = TwoGaussianMixturePi(means=means, sigma=sigma, solver="newton", tol=1e-12)
    est.fit(X, sample_weight=weight)
    parts = _exact_parts(X, means, sigma)
    # Newton's maximum: the root of the exact score
    root = brentq(lambda p: _exact_score(parts, p, w)[0], 0.01, 0.99, xtol=1e-16)
    assert est.pi_ == pytest.approx(root, rel=1e-12)
    # the standard error from the exact information at pi_
    info = _exact_score(parts, est.pi_, w)[1]
    assert est.pi_stderr_ == pytest.approx(1 / math.sqrt(info), rel=1e-12)
    z = norm.ppf(0.975)
    wald = est.confidence_interval(method="wald")
    np.testing.assert_allclose(
        wald, [est.pi_ - z / math.sqrt(info), est.pi_ + z / math.sqrt(info)], 1e-12
    )
    # the profile ends: roots of the exact log-likelihood drop
    top = _exact_c(parts, est.pi_)
    drop = chi2.ppf(0.95, df=1) / 2

    def excess(p):
        return math.fsum(w * (_exact_c(parts, p) - top)) + drop

    low = brentq(excess, 1e-9, est.pi_, xtol=1e-16)
    high = brentq(excess, est.pi_, 1 - 1e-9, xtol=1e-16)
    np.testing.assert_allclose(est.confidence_interval(), [low, high], rtol=1e-12)
