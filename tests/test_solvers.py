import numpy as np
import pytest
from _helpers import random_problem
from _reference import component_pdfs
from scipy.optimize import brentq

from skmix import make_mixture
from skmix._densities import check_components
from skmix._solvers import (
    BLOCK_SIZE,
    _chunk_length,
    _sum_log,
    em_pass,
    fit_em,
    fit_newton,
    precompute,
)


def _data(n, d=1):
    return random_problem(n, d, seed=1)


# sizes around the block boundaries exercise the blockwise partition
@pytest.mark.parametrize("n", [1, 7, BLOCK_SIZE - 1, BLOCK_SIZE, 2 * BLOCK_SIZE + 5])
@pytest.mark.parametrize("d", [1, 2])
def test_precompute_partitions_ratio_of_densities(n, d):
    X, means, sigma = _data(n, d)
    f0, f1 = component_pdfs(X, means, sigma)
    terms = precompute(X, means, sigma)
    side0 = f0 >= f1
    assert terms.n_pos == side0.sum()
    # u holds min/max of the two densities, component-0 side first (any order)
    np.testing.assert_allclose(
        np.sort(terms.u[: terms.n_pos]), np.sort((f1 / f0)[side0]), rtol=1e-9
    )
    np.testing.assert_allclose(
        np.sort(terms.u[terms.n_pos :]), np.sort((f0 / f1)[~side0]), rtol=1e-9
    )
    np.testing.assert_allclose(
        terms.const, np.log(np.maximum(f0, f1)).sum(), rtol=1e-12
    )


@pytest.mark.parametrize(
    "pi", [0.0, 1e-12, 9e-4, 0.0011, 0.2, 0.5, 0.97, 0.9989, 0.9991, 1 - 1e-12, 1.0]
)
def test_em_pass_gives_loglik_and_responsibility_sum(pi):
    X, means, sigma = _data(5000, 2)
    f0, f1 = component_pdfs(X, means, sigma)
    terms = precompute(X, means, sigma)
    sums = em_pass(terms, pi, derivatives=True)
    p = pi * f0 + (1 - pi) * f1
    np.testing.assert_allclose(terms.const + sums.log_d, np.log(p).sum(), rtol=1e-12)
    np.testing.assert_allclose(sums.resp, (pi * f0 / p).sum(), rtol=1e-10)
    score = (f0 - f1) / p
    np.testing.assert_allclose(
        sums.grad, score.sum(), rtol=1e-9, atol=1e-9 * np.abs(score).sum()
    )
    np.testing.assert_allclose(sums.curv, np.sum(score**2), rtol=1e-10)
    plain = em_pass(terms, pi)
    assert plain.grad == plain.curv == 0.0
    assert (plain.log_d, plain.resp) == (sums.log_d, sums.resp)


def test_fit_em_stops_at_first_gain_below_tol():
    X, means, sigma = _data(3000)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=1e-3, max_iter=500)
    diffs = res.history["diff_loglik"]
    assert res.converged
    assert diffs[-1] < 1e-3
    assert np.all(diffs[1:-1] >= 1e-3)
    assert res.n_iter == len(diffs) - 1


def mle(X, means, sigma):
    """The maximum-likelihood pi, by root-finding on the score (reference pdfs)."""
    f0, f1 = component_pdfs(X, means, sigma)

    def score(pi):
        return np.sum((f0 - f1) / (pi * f0 + (1 - pi) * f1))

    if score(1.0) >= 0:
        return 1.0
    if score(0.0) <= 0:
        return 0.0
    return brentq(score, 0.0, 1.0, xtol=1e-15, rtol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_newton_and_em_reach_the_mle(seed):
    r = np.random.default_rng(seed)
    mu, sd = r.normal(size=2) * 2, r.uniform(0.5, 2, 2)
    X, _ = make_mixture(
        3000, means=mu, sigma=sd, pi=r.uniform(0.1, 0.9), random_state=seed
    )
    means, sigma = check_components(mu, sd, 1)
    terms = precompute(X, means, sigma)
    target = mle(X, means, sigma)
    newton = fit_newton(terms, 0.5, tol=1e-5, max_iter=100)
    em = fit_em(terms, 0.5, tol=1e-11, max_iter=100_000)
    assert newton.converged and em.converged
    assert abs(newton.pi - target) < 1e-8
    assert abs(em.pi - target) < 1e-6
    assert newton.n_passes < em.n_passes
    assert np.all(newton.history["diff_loglik"][1:] >= 0)


def test_newton_on_the_seed_data_needs_few_passes():
    X, _ = make_mixture(500_000, pi=0.8, random_state=1)
    means, sigma = check_components((0, 2), 1.0, 1)
    res = fit_newton(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=100)
    assert res.n_passes <= 8
    assert abs(res.pi - mle(X, means, sigma)) < 1e-8


@pytest.mark.parametrize("side", [0, 1])
def test_boundary_mle_is_reached_exactly(side):
    # samples beyond component `side`, away from the other: the MLE is on the
    # boundary, pi = 1 for side 0 and pi = 0 for side 1
    x = np.random.default_rng(0).normal(-1.0 if side == 0 else 3.0, 1.0, size=(400, 1))
    means, sigma = check_components((0, 2), 1.0, 1)
    target = 1.0 - side
    assert mle(x, means, sigma) == target
    terms = precompute(x, means, sigma)
    res = fit_newton(terms, 0.5, tol=1e-5, max_iter=100)
    assert res.converged and res.pi == target
    assert res.n_passes <= 10
    em = fit_em(terms, 0.5, tol=1e-5, max_iter=10_000)
    assert em.converged and abs(em.pi - target) < 1e-3


def test_newton_rejects_a_step_that_lowers_the_likelihood():
    # with unequal sigmas the first Newton step from 0.5 overshoots here
    X, _ = make_mixture(2000, pi=0.3, sigma=(1.0, 3.0), random_state=0)
    means, sigma = check_components((0, 2), (1.0, 3.0), 1)
    res = fit_newton(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=200)
    assert res.converged
    assert res.n_passes > res.n_iter + 1  # some step was tried and refused
    assert np.all(res.history["diff_loglik"][1:] >= 0)
    assert abs(res.pi - mle(X, means, sigma)) < 1e-8


def test_fit_em_max_iter_reached():
    X, means, sigma = _data(3000)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=0.0, max_iter=3)
    assert not res.converged
    assert res.n_iter == 3
    assert len(res.history["pi"]) == 4


def test_flat_likelihood_stops_at_once():
    # every sample halfway between the means: f0 == f1, the data say nothing
    X = np.ones((50, 1))
    means, sigma = check_components((0, 2), 1.0, 1)
    res = fit_em(precompute(X, means, sigma), 0.3, tol=1e-5, max_iter=100)
    assert res.converged
    assert res.n_iter == 1
    assert res.pi == pytest.approx(0.3, abs=1e-15)


def test_verbose_prints_one_line_per_iteration(capsys):
    X, means, sigma = _data(500)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=100, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == res.n_iter + 1
    assert lines[-1].startswith(f"Iteration {res.n_iter:4d}")
    assert f"{res.pi:.10f}" in lines[-1]


@pytest.mark.parametrize(
    "low, high",
    [
        *[(low, 1.0) for low in (0.5, 0.01, 1e-8, 1e-300, 0.0)],
        *[(1e3, 1e3 + 1), (1e150, 1e150 + 1), (1e-4, 1e300)],
    ],
)
@pytest.mark.parametrize("n", [0, 1, 63, 64, 1000])
def test_sum_log_by_products_never_underflows_or_overflows(low, high, n):
    # the extreme values of w: a product of k of them must stay normal
    w = np.full(n, low)
    w[::3] = high
    k = _chunk_length(low, high)
    with np.errstate(divide="ignore"):  # log(0) = -inf when low = 0
        expected = np.log(w).sum()
        result = _sum_log(w, k)
    if low == 0.0:
        assert k == 1
    assert result == pytest.approx(expected, rel=1e-13)
