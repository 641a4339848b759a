"""Invariants of the EM fit, checked on generated data (hypothesis)."""

import numpy as np
import pytest
from _helpers import fit_quietly
from _reference import fisher_stderr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from skmix import TwoGaussianMixturePi, make_mixture

values = st.one_of(
    st.floats(-20, 20),
    st.sampled_from([0.0, 1.0, 5e-324, -2.2e-308, 1e6, -1e6, 1e154, 1e300, -1e300]),
    st.floats(-1e308, 1e308),
)
samples = st.integers(1, 60).flatmap(
    lambda n: arrays(np.float64, (n, 1), elements=values)
)
components = st.tuples(
    st.tuples(st.floats(-5, 5), st.floats(-5, 5)),
    st.tuples(st.floats(0.2, 5), st.floats(0.2, 5)),
).filter(lambda c: c[0][0] != c[0][1] or c[1][0] != c[1][1])
pi_inits = st.floats(0.01, 0.99)
SOLVERS = ["em", "newton"]


def _fit(X, means, sigma, pi_init, solver="em", sample_weight=None, tol=1e-5):
    return fit_quietly(
        X,
        sample_weight,
        means=means,
        sigma=sigma,
        pi_init=pi_init,
        max_iter=3000,
        solver=solver,
        tol=tol,
    )


@given(X=samples, comp=components, pi_init=pi_inits, solver=st.sampled_from(SOLVERS))
def test_loglik_never_decreases_and_results_are_finite(X, comp, pi_init, solver):
    est = _fit(X, *comp, pi_init, solver)
    diffs = est.history_["diff_loglik"][1:]
    assert not np.isnan(diffs).any()
    # EM is monotone; allow only float rounding of the sum over samples
    assert np.all(diffs >= -1e-9 * len(X))
    assert 0.0 <= est.pi_ <= 1.0
    assert not np.isnan(est.history_["loglik"]).any()
    assert est.loglik_ < np.inf
    proba = est.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert not np.isnan(est.score_samples(X)).any()


@given(X=samples, comp=components, pi_init=pi_inits)
def test_swapping_components_mirrors_the_path(X, comp, pi_init):
    (m0, m1), (s0, s1) = comp
    a = _fit(X, (m0, m1), (s0, s1), pi_init)
    b = _fit(X, (m1, m0), (s1, s0), 1.0 - pi_init)
    assert abs(a.n_iter_ - b.n_iter_) <= 1
    k = min(a.n_iter_, b.n_iter_) + 1
    np.testing.assert_allclose(
        a.history_["pi"][:k], 1.0 - b.history_["pi"][:k], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        a.predict_proba(X), b.predict_proba(X)[:, ::-1], rtol=0, atol=1e-8
    )
    if a.n_iter_ == b.n_iter_:
        assert abs(a.pi_ - (1.0 - b.pi_)) <= 1e-9


@settings(max_examples=25)
@given(
    pi=st.floats(0.05, 0.95),
    separation=st.floats(1.5, 5.0),
    sigma1=st.floats(0.5, 2.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_large_samples_recover_the_generating_pi(pi, separation, sigma1, seed):
    means, sigma = (0.0, separation), (1.0, sigma1)
    X, _ = make_mixture(5000, means=means, sigma=sigma, pi=pi, random_state=seed)
    est = TwoGaussianMixturePi(means=means, sigma=sigma, tol=1e-8).fit(X)
    assume(0 < est.pi_ < 1)
    se = fisher_stderr(X, means, sigma, est.pi_)
    assert abs(est.pi_ - pi) < 5 * se


@given(
    data=st.data(),
    X=samples,
    comp=components,
    pi_init=pi_inits,
    solver=st.sampled_from(SOLVERS),
)
def test_weighted_fit_equals_repeated_rows_and_interval_holds_pi(
    data, X, comp, pi_init, solver
):
    counts = data.draw(arrays(np.int64, len(X), elements=st.integers(0, 3)))
    assume(counts.sum() > 0)
    weighted = _fit(X, *comp, pi_init, solver, sample_weight=counts)
    # the stopping rule counts increases in units of the smallest weight
    unit = counts[counts > 0].min()
    repeated = _fit(
        np.repeat(X, counts, axis=0), *comp, pi_init, solver, tol=1e-5 * unit
    )
    # the same path, up to rounding; a stopping decision at a rounding-level
    # tie (gain ~ tol) may end one of them an iteration later
    assert abs(weighted.n_iter_ - repeated.n_iter_) <= 1
    rows = min(weighted.n_iter_, repeated.n_iter_) + 1
    np.testing.assert_allclose(
        weighted.history_["pi"][:rows],
        repeated.history_["pi"][:rows],
        rtol=0,
        atol=1e-9,
    )
    longer = max(weighted, repeated, key=lambda est: est.n_iter_)
    last_step = abs(np.diff(longer.history_["pi"][-2:])).max(initial=0.0)
    assert abs(weighted.pi_ - repeated.pi_) <= max(1e-9, 1.01 * last_step)
    diffs = weighted.history_["diff_loglik"][1:]
    assert np.all(diffs >= -1e-9 * counts.sum())
    low, high = weighted.confidence_interval(0.05)
    assert 0.0 <= low <= weighted.pi_ <= high <= 1.0
    expected = _stderr_of_repeated_rows(X, counts, *comp, weighted.pi_)
    if 0.0 < weighted.pi_ < 1.0 and np.isfinite(expected):
        assert weighted.pi_stderr_ == pytest.approx(expected, rel=1e-6)


def _stderr_of_repeated_rows(X, counts, means, sigma, pi):
    """1 / sqrt(sum_i c_i t_i^2), t = (f0 - f1) / (pi f0 + (1 - pi) f1), with
    the densities scaled by their row maximum (NaN where both underflow)."""
    with np.errstate(all="ignore"):
        logf = np.column_stack(
            [norm.logpdf(X[:, 0], means[k], sigma[k]) for k in range(2)]
        )
        if np.abs(logf).max() > 1e12:
            # the plain reference cannot resolve log-odds of order 1 between
            # two log-densities this large (the estimator computes them from
            # x - mu): no independent value to compare with
            return np.nan
        scaled = np.exp(logf - logf.max(axis=1, keepdims=True))
        t = (scaled[:, 0] - scaled[:, 1]) / (
            pi * scaled[:, 0] + (1 - pi) * scaled[:, 1]
        )
        return 1.0 / np.sqrt(np.dot(counts, t * t))
