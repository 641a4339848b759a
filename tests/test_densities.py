import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm

from skmix._densities import (
    check_gaussian_components,
    log_mixture_density,
    posterior_logit,
    sample_terms,
)


@pytest.mark.parametrize(
    ("means", "sigma", "d", "means_out", "sigma_out"),
    [
        ((0, 2), 1.0, 1, [[0], [2]], [[1], [1]]),
        ((0, 2), (1, 3), 2, [[0, 0], [2, 2]], [[1, 1], [3, 3]]),
        ([[0, 1], [2, 3]], [[1, 2], [3, 4]], 2, [[0, 1], [2, 3]], [[1, 2], [3, 4]]),
        (
            np.array([0.5, -0.5], dtype=np.float32),
            np.float64(2.0),
            1,
            [[0.5], [-0.5]],
            [[2], [2]],
        ),
    ],
)
def test_check_components_broadcasts(means, sigma, d, means_out, sigma_out):
    m, s = check_gaussian_components(means, sigma, d)
    assert m.dtype == s.dtype == np.float64
    np.testing.assert_array_equal(m, means_out)
    np.testing.assert_array_equal(s, sigma_out)


@pytest.mark.parametrize(
    ("means", "sigma", "d", "match"),
    [
        ((0, 1, 2), 1.0, 1, r"means must have shape \(2,\) or \(2, n_features\), got"),
        (0.0, 1.0, 1, "means must hold one value per component"),
        ([[0, 1], [2, 3]], 1.0, 3, "values for 2 features, but X has 3 features"),
        ((0, 2), [[1, 1, 1], [1, 1, 1]], 2, "values for 3 features, but X has 2"),
        ((0, np.nan), 1.0, 1, "means must be finite"),
        ((0, 2), (1, np.inf), 1, "sigma must be finite"),
        ((0, 2), (1, 0), 1, r"sigma must be > 0, got \(1, 0\)"),
        ((0, 2), -1.0, 1, r"sigma must be > 0, got -1\.0"),
        (("a", "b"), 1.0, 1, "means must be real numbers"),
        ((0j, 1j), 1.0, 1, "means must be real numbers"),
        ((1, 1), (2, 2), 1, "identical.*not identifiable"),
        ([[0, 1], [0, 1]], 1.0, 2, "identical.*not identifiable"),
    ],
)
def test_check_components_errors(means, sigma, d, match):
    with pytest.raises(ValueError, match=match):
        check_gaussian_components(means, sigma, d)


def test_identical_components_allowed_when_asked():
    m, _ = check_gaussian_components((1, 1), 2.0, 1, identifiable=False)
    np.testing.assert_array_equal(m, [[1], [1]])


def test_equal_means_different_sigma_is_identifiable():
    check_gaussian_components((0, 0), (1, 2), 1)


def _params(d, rng):
    means = rng.normal(size=(2, d)) * 3
    sigma = rng.uniform(0.3, 3, size=(2, d))
    return means, sigma


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("equal_sigma", [True, False])
def test_sample_terms_match_scipy(d, equal_sigma):
    rng = np.random.default_rng(0)
    means, sigma = _params(d, rng)
    if equal_sigma:
        sigma[1] = sigma[0]
    X = rng.normal(scale=4, size=(200, d))
    expected = np.column_stack(
        [norm.logpdf(X, means[k], sigma[k]).sum(axis=1) for k in range(2)]
    )
    lo, log_max = sample_terms(X, means, sigma)
    np.testing.assert_allclose(
        lo, expected[:, 0] - expected[:, 1], rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(log_max, expected.max(axis=1), rtol=1e-12)


def test_log_odds_exact_at_large_x_with_equal_sigma():
    # log f0 - log f1 = (mu0 - mu1) (2x - mu0 - mu1) / (2 sigma^2), exactly linear
    X = np.array([[1e6], [-1e6], [1e150], [1e300], [-1e300]])
    lo, _ = sample_terms(X, *check_gaussian_components((0, 2), 1.0, 1))
    np.testing.assert_allclose(lo, -2 * X[:, 0] + 2, rtol=1e-15)


def test_log_odds_saturates_with_the_right_sign():
    # the wider component wins far out, on either side
    lo, _ = sample_terms(
        np.array([[1e300], [-1e300], [1e200]]),
        *check_gaussian_components((0, 2), (1, 3), 1),
    )
    np.testing.assert_array_equal(lo, [-np.inf, -np.inf, -np.inf])
    lo, _ = sample_terms(
        np.array([[1e300], [-1e300]]), *check_gaussian_components((0, 2), (3, 1), 1)
    )
    np.testing.assert_array_equal(lo, [np.inf, np.inf])


def test_log_odds_undefined_raises():
    # feature 0 pulls to component 1 without bound, feature 1 to component 0
    means, sigma = check_gaussian_components([[0, 0], [0, 0]], [[1, 2], [2, 1]], 2)
    with pytest.raises(ValueError, match=r"undefined \(inf - inf\)"):
        sample_terms(np.array([[1e300, 1e300]]), means, sigma)


def test_log_odds_do_not_depend_on_a_common_offset():
    """Issue 9.3: unequal sigmas with data and means far from 0."""
    x = np.random.default_rng(1).normal(size=(300, 1))
    means, sigma = check_gaussian_components((0.0, 2.0), (1.0, 1.5), 1)
    offset = 1e12
    lo, _log_max = sample_terms(x, means, sigma)
    # exact shift: the data and the means are both representable after it
    shifted = (x + offset) - offset
    lo_ref, _ = sample_terms(shifted, means, sigma)
    lo_far, _log_max_far = sample_terms(shifted + offset, means + offset, sigma)
    np.testing.assert_allclose(lo_far, lo_ref, rtol=1e-8, atol=1e-8)
    # against scipy at the shifted points (differences formed exactly there)
    expected = norm.logpdf(shifted[:, 0], 0.0, 1.0) - norm.logpdf(
        shifted[:, 0], 2.0, 1.5
    )
    np.testing.assert_allclose(lo_far, expected, rtol=1e-8, atol=1e-8)
    assert np.abs(lo - lo_ref).max() < 1e-3  # the offset shift moved x by ~1e-4


def test_log_max_keeps_precision_with_very_different_sigmas():
    """Issue 9.2: log-densities with sigma 1e-200 neither underflow nor cancel."""
    x = np.array([[1e-200], [-3e-200], [5e-199]])
    means, sigma = check_gaussian_components((0.0, 0.0), (1e-200, 1.0), 1)
    lo, log_max = sample_terms(x, means, sigma)
    l0 = norm.logpdf(x[:, 0] / 1e-200) - np.log(1e-200)
    l1 = norm.logpdf(x[:, 0])
    np.testing.assert_allclose(log_max, np.maximum(l0, l1), rtol=1e-14)
    np.testing.assert_allclose(lo, l0 - l1, rtol=1e-14)


@pytest.mark.parametrize("pi", [0.0, 1e-300, 0.3, 0.5, 1 - 1e-16, 1.0])
def test_log_mixture_density_and_posterior_match_direct_formula(pi):
    rng = np.random.default_rng(1)
    means, sigma = _params(2, rng)
    X = rng.normal(scale=3, size=(300, 2))
    f0 = norm.pdf(X, means[0], sigma[0]).prod(axis=1)
    f1 = norm.pdf(X, means[1], sigma[1]).prod(axis=1)
    lo, log_max = sample_terms(X, means, sigma)
    np.testing.assert_allclose(
        log_mixture_density(lo, log_max, pi),
        np.log(pi * f0 + (1 - pi) * f1),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        expit(posterior_logit(lo, pi)),
        pi * f0 / (pi * f0 + (1 - pi) * f1),
        rtol=1e-9,
        atol=1e-300,
    )


def test_sample_terms_far_out_are_finite_or_correct_infinity():
    means, sigma = check_gaussian_components((0, 2), (1, 2), 1)
    X = np.array([[1e6], [-1e6], [1e300]])
    lo, log_max = sample_terms(X, means, sigma)
    # at 1e6 both densities are astronomically small but their logs are finite
    expected = norm.logpdf(X[:2, 0], 2, 2)  # the wider component is the larger
    np.testing.assert_allclose(log_max[:2], expected, rtol=1e-12)
    assert log_max[2] == -np.inf  # -5e599 / 4 is beyond float64: -inf is correct
    assert lo[2] == -np.inf
    log_p = log_mixture_density(lo, log_max, 0.5)
    np.testing.assert_allclose(log_p[:2], expected + np.log(0.5), rtol=1e-12)
    assert not np.isnan(log_p).any()


@pytest.mark.parametrize("pi", [0.0, 1.0])
def test_log_mixture_density_on_the_boundary_far_out(pi):
    """Issue 9.6: at pi exactly 0 or 1, far points keep the remaining density."""
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    X = np.array([[400.0], [-400.0], [0.5], [1e6]])
    lo, log_max = sample_terms(X, means, sigma)
    k = 0 if pi == 1.0 else 1
    expected = norm.logpdf(X[:, 0], means[k, 0], 1.0)
    np.testing.assert_allclose(
        log_mixture_density(lo, log_max, pi), expected, rtol=1e-14
    )
