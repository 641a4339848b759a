import numpy as np
import pytest
from _reference import component_pdfs

from skmix._densities import check_components
from skmix._solvers import BLOCK_SIZE, em_pass, fit_em, precompute

rng = np.random.default_rng(1)


def _data(n, d=1):
    means, sigma = check_components(
        rng.normal(size=(2, d)), rng.uniform(0.5, 2, (2, d)), d
    )
    X = rng.normal(scale=2, size=(n, d))
    return X, means, sigma


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


@pytest.mark.parametrize("pi", [1e-12, 0.2, 0.5, 0.97, 1 - 1e-12])
def test_em_pass_gives_loglik_and_responsibility_sum(pi):
    X, means, sigma = _data(5000, 2)
    f0, f1 = component_pdfs(X, means, sigma)
    terms = precompute(X, means, sigma)
    s, r_sum = em_pass(terms, pi)
    p = pi * f0 + (1 - pi) * f1
    np.testing.assert_allclose(terms.const + s, np.log(p).sum(), rtol=1e-12)
    np.testing.assert_allclose(r_sum, (pi * f0 / p).sum(), rtol=1e-10)


def test_fit_em_stops_at_first_gain_below_tol():
    X, means, sigma = _data(3000)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=1e-3, max_iter=500)
    diffs = res.history["diff_loglik"]
    assert res.converged
    assert diffs[-1] < 1e-3
    assert np.all(diffs[1:-1] >= 1e-3)
    assert res.n_iter == len(diffs) - 1


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
