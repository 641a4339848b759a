"""Posterior summaries of EmpiricalBayesNormalMeans against closed forms
written here (normal-normal conjugacy, scipy's truncated normal, numerical
integration) and mpmath at extreme x / s."""

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, optimize, stats

from skmix import _eb_posterior as post
from skmix._eb_grid import Prior

W0, W1, SIG = 0.4, 0.6, 1.7


def spike_slab(w0=W0, w1=W1, sig=SIG, mu=0.0):
    """pi_0 delta_mu + pi_1 N(mu, sig^2)."""
    return Prior(
        "normal_scale_mixture",
        np.array([w0, w1]),
        np.array([mu, mu]),
        np.array([mu, mu]),
        np.array([0.0, sig]),
        mu,
    )


def uniform_prior(a, b):
    return Prior(
        "unimodal_symmetric",
        np.array([1.0]),
        np.array([float(a)]),
        np.array([float(b)]),
        np.array([0.0]),
        0.0,
    )


def spike_slab_reference(x, s, w0=W0, w1=W1, sig=SIG):
    """Conjugacy: the posterior's weights, mean, sd and sign probabilities."""
    l0 = w0 * stats.norm.pdf(x, 0, s)
    l1 = w1 * stats.norm.pdf(x, 0, np.sqrt(s**2 + sig**2))
    r1 = l1 / (l0 + l1)
    m1 = sig**2 / (s**2 + sig**2) * x
    t1 = np.sqrt(s**2 * sig**2 / (s**2 + sig**2))
    mean = r1 * m1
    var = r1 * (t1**2 + m1**2) - mean**2
    neg = r1 * stats.norm.cdf(0, m1, t1)
    pos = r1 * stats.norm.sf(0, m1, t1)
    zero = l0 / (l0 + l1)
    return mean, np.sqrt(var), neg, zero, pos, r1, m1, t1


def test_spike_slab_matches_conjugacy():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, 200)
    s = rng.uniform(0.3, 2.0, 200)
    got = post.summaries(x, s, spike_slab())
    mean, sd, neg, zero, pos, *_ = spike_slab_reference(x, s)
    np.testing.assert_allclose(got["PosteriorMean"], mean, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got["PosteriorSD"], sd, rtol=1e-9)
    np.testing.assert_allclose(got["NegativeProb"], neg, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(got["PositiveProb"], pos, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(got["lfdr"], zero, rtol=1e-9)
    np.testing.assert_allclose(got["lfsr"], np.minimum(neg, pos) + zero, rtol=1e-9)


def test_quantiles_match_mixture_cdf():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, 40)
    s = rng.uniform(0.3, 2.0, 40)
    _, _, _, _, _, r1, m1, t1 = spike_slab_reference(x, s)
    # extreme levels too: p > 1/2 is solved by reflection, far tails by the
    # probit-Newton steps
    for p in (0.001, 0.025, 0.3, 0.975, 0.999):
        got = post.quantile(p, x, s, spike_slab())
        for i in range(len(x)):

            def cdf(t, i=i):
                return (1 - r1[i]) * (t >= 0) + r1[i] * stats.norm.cdf(t, m1[i], t1[i])

            # the atom at 0 holds the quantile when the CDF jumps over p there
            if cdf(-1e-300) < p <= cdf(0.0):
                ref = 0.0
            else:
                ref = optimize.brentq(
                    lambda t, i=i, p=p: cdf(t) - p, -50, 50, xtol=1e-14, rtol=1e-14
                )
            assert got[i] == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_quantile_of_an_exact_estimate_is_the_estimate():
    # s = 0: theta_i = x_i exactly, so every quantile is x_i (0 at the atom)
    x = np.array([-2.5, 0.0, 1e-3, 7.0])
    s = np.zeros_like(x)
    for p in (0.001, 0.5, 0.999):
        np.testing.assert_array_equal(post.quantile(p, x, s, spike_slab()), x)


@pytest.mark.parametrize("a,b", [(-1.0, 2.0), (0.0, 3.0), (-4.0, 0.0)])
def test_uniform_component_is_truncated_normal(a, b):
    rng = np.random.default_rng(2)
    x = rng.normal(0, 3, 50)
    s = rng.uniform(0.2, 3.0, 50)
    got = post.summaries(x, s, uniform_prior(a, b))
    ref = stats.truncnorm((a - x) / s, (b - x) / s, loc=x, scale=s)
    np.testing.assert_allclose(got["PosteriorMean"], ref.mean(), rtol=1e-9)
    np.testing.assert_allclose(got["PosteriorSD"], ref.std(), rtol=1e-8)
    np.testing.assert_allclose(got["NegativeProb"], ref.cdf(0.0), atol=1e-13)
    np.testing.assert_allclose(got["PositiveProb"], ref.sf(0.0), atol=1e-13)
    for p in (0.05, 0.5, 0.95):
        q = post.quantile(p, x, s, uniform_prior(a, b))
        np.testing.assert_allclose(q, ref.ppf(p), rtol=1e-8, atol=1e-10)


def test_student_t_uniform_by_quadrature():
    df, a, b = 4.0, -1.0, 2.5
    x = np.array([-3.0, 0.2, 1.0, 4.0])
    s = np.array([0.5, 1.0, 2.0, 0.7])
    got = post.summaries(x, s, uniform_prior(a, b), df=df)
    for i in range(len(x)):

        def dens(t, i=i):
            return stats.t.pdf((x[i] - t) / s[i], df)

        z = integrate.quad(dens, a, b, epsabs=0, epsrel=1e-12)[0]
        m = integrate.quad(lambda t: t * dens(t), a, b, epsabs=0, epsrel=1e-12)[0] / z
        v = integrate.quad(lambda t, m=m: (t - m) ** 2 * dens(t), a, b)[0] / z
        neg = integrate.quad(dens, a, 0, epsabs=0, epsrel=1e-12)[0] / z
        assert got["PosteriorMean"][i] == pytest.approx(m, rel=1e-8)
        assert got["PosteriorSD"][i] == pytest.approx(np.sqrt(v), rel=1e-7)
        assert got["NegativeProb"][i] == pytest.approx(neg, rel=1e-8)


def _mp_spike_slab(x, s, w0=W0, w1=W1, sig=SIG):
    mp.mp.dps = 60
    x, s, sig = mp.mpf(x), mp.mpf(s), mp.mpf(sig)
    v1 = s**2 + sig**2
    l0 = w0 * mp.npdf(x, 0, s)
    l1 = w1 * mp.npdf(x, 0, mp.sqrt(v1))
    r1 = l1 / (l0 + l1)
    m1 = sig**2 / v1 * x
    t1 = mp.sqrt(s**2 * sig**2 / v1)
    mean = r1 * m1
    var = r1 * (t1**2 + m1**2) - mean**2
    neg = r1 * mp.ncdf(-m1 / t1)
    pos = r1 * mp.ncdf(m1 / t1)
    r0 = l0 / (l0 + l1)
    lfsr = min(neg, pos) + r0
    return [float(v) for v in (mean, mp.sqrt(var), lfsr, r0)]


@pytest.mark.parametrize(
    "x,s",
    [(40.0, 1.0), (-40.0, 1.0), (4e-7, 1e-8), (0.0, 1e-8), (3e8, 1e8), (0.0, 1.0)],
)
def test_extremes_against_mpmath(x, s):
    got = post.summaries(np.array([x]), np.array([s]), spike_slab())
    mean, sd, lfsr, lfdr = _mp_spike_slab(x, s)
    assert got["PosteriorMean"][0] == pytest.approx(mean, rel=1e-10, abs=1e-300)
    assert got["PosteriorSD"][0] == pytest.approx(sd, rel=1e-8)
    assert got["lfsr"][0] == pytest.approx(lfsr, rel=1e-8, abs=1e-300)
    assert got["lfdr"][0] == pytest.approx(lfdr, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("x,s", [(0.3, 1e8), (5e7, 1e8), (0.0, 1e-8), (41.0, 1.0)])
def test_uniform_extremes_against_mpmath(x, s):
    # U[-1, 2]: x far outside the interval, s far wider or far narrower than it
    a, b = -1.0, 2.0
    mp.mp.dps = 80  # the truncated normal's formulas, cancellation-free at 80 digits
    X, S = mp.mpf(x), mp.mpf(s)
    al, be = (a - X) / S, (b - X) / S
    z = mp.ncdf(be) - mp.ncdf(al)
    mt = (mp.npdf(al) - mp.npdf(be)) / z
    vt = 1 + (al * mp.npdf(al) - be * mp.npdf(be)) / z - mt**2
    mean, var = X + S * mt, S**2 * vt
    neg = (mp.ncdf(-X / S) - mp.ncdf(al)) / z
    got = post.summaries(np.array([x]), np.array([s]), uniform_prior(a, b))
    assert got["PosteriorMean"][0] == pytest.approx(float(mean), rel=1e-9)
    assert got["PosteriorSD"][0] == pytest.approx(float(mp.sqrt(var)), rel=1e-6)
    assert got["NegativeProb"][0] == pytest.approx(float(neg), rel=1e-8, abs=1e-300)


def test_exact_samples():
    # s = 0: theta = x, whatever the prior
    x = np.array([0.0, -2.0, 3.0])
    got = post.summaries(x, np.zeros(3), spike_slab())
    np.testing.assert_array_equal(got["PosteriorMean"], x)
    np.testing.assert_array_equal(got["PosteriorSD"], 0.0)
    np.testing.assert_array_equal(got["ZeroProb"], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(got["lfsr"], [1.0, 0.0, 0.0])


def test_qvalues_are_running_means():
    lfdr = np.array([0.5, 0.1, 0.9, 0.2])
    # sorted: 0.1, 0.2, 0.5, 0.9 -> means 0.1, 0.15, 0.2667, 0.425
    np.testing.assert_allclose(
        post.qvalues(lfdr), [0.8 / 3, 0.1, 1.7 / 4, 0.15], rtol=1e-15
    )


def test_samples_follow_the_posterior():
    rng = np.random.default_rng(3)
    x = np.array([0.5, 3.0])
    s = np.array([1.0, 0.5])
    draws = post.sample(x, s, spike_slab(), 20000, rng)
    mean, sd, _, zero, *_ = spike_slab_reference(x, s)
    for i in range(2):
        assert abs(draws[i].mean() - mean[i]) < 4 * sd[i] / np.sqrt(2e4)
    np.testing.assert_allclose((draws == 0).mean(axis=1), zero, atol=0.015)
    d = post.sample(x, s, uniform_prior(-1, 2), 20000, rng)
    ref = stats.truncnorm((-1 - x) / s, (2 - x) / s, loc=x, scale=s)
    np.testing.assert_allclose(d.mean(axis=1), ref.mean(), atol=0.02)
    assert d.min() >= -1 and d.max() <= 2
