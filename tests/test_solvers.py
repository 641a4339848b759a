import math
import warnings

import numpy as np
import pytest
from _helpers import random_problem
from _reference import component_pdfs
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from skmix import make_mixture
from skmix._build_numpy import summarize_numpy
from skmix._densities import check_gaussian_components
from skmix._problem_summary import SummaryProblem
from skmix._solve import fit_em as _fit_em
from skmix._solve import fit_newton as _fit_newton
from skmix._stopping import Path
from skmix._summary import sums


def fit_em(summary, pi, **kwargs):
    return _fit_em(SummaryProblem(summary), pi, **kwargs)


def fit_newton(summary, pi, **kwargs):
    return _fit_newton(SummaryProblem(summary), pi, **kwargs)


def precompute(X, means, sigma, weight=None):
    return summarize_numpy(X, means, sigma, weight)


def _data(n, d=1):
    return random_problem(n, d, seed=1)


@pytest.mark.parametrize(
    "pi", [0.0, 1e-12, 9e-4, 0.0011, 0.2, 0.5, 0.97, 0.9989, 0.9991, 1 - 1e-12, 1.0]
)
def test_summary_gives_loglik_and_responsibility_sums(pi):
    X, means, sigma = _data(5000, 2)
    f0, f1 = component_pdfs(X, means, sigma)
    summary = precompute(X, means, sigma)
    s = sums(summary, pi, derivatives=True)
    p = pi * f0 + (1 - pi) * f1
    np.testing.assert_allclose(
        summary.total_log_max + s.log_d, np.log(p).sum(), rtol=1e-12
    )
    np.testing.assert_allclose(s.resp0, (pi * f0 / p).sum(), rtol=1e-10)
    np.testing.assert_allclose(s.resp1, ((1 - pi) * f1 / p).sum(), rtol=1e-10)
    score = (f0 - f1) / p
    np.testing.assert_allclose(
        s.grad, score.sum(), rtol=1e-9, atol=1e-9 * np.abs(score).sum()
    )
    np.testing.assert_allclose(s.curv, np.sum(score**2), rtol=1e-10)


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
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.nansum((f0 - f1) / (pi * f0 + (1 - pi) * f1))

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
    means, sigma = check_gaussian_components(mu, sd, 1)
    terms = precompute(X, means, sigma)
    target = mle(X, means, sigma)
    newton = fit_newton(terms, 0.5, tol=1e-5, max_iter=100)
    em = fit_em(terms, 0.5, tol=1e-11, max_iter=100_000)
    assert newton.converged and em.converged
    assert abs(newton.point - target) < 1e-8
    assert abs(em.point - target) < 1e-6
    assert newton.n_evaluations < em.n_evaluations
    assert np.all(newton.history["diff_loglik"][1:] >= 0)


def test_newton_on_the_seed_data_needs_few_passes():
    X, _ = make_mixture(500_000, pi=0.8, random_state=1)
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    res = fit_newton(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=100)
    assert res.n_evaluations <= 16
    assert abs(res.point - mle(X, means, sigma)) < 1e-8


@pytest.mark.parametrize("side", [0, 1])
def test_boundary_mle_is_reached_exactly(side):
    # samples beyond component `side`, away from the other: the MLE is on the
    # boundary, pi = 1 for side 0 and pi = 0 for side 1
    x = np.random.default_rng(0).normal(-1.0 if side == 0 else 3.0, 1.0, size=(400, 1))
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    target = 1.0 - side
    assert mle(x, means, sigma) == target
    terms = precompute(x, means, sigma)
    res = fit_newton(terms, 0.5, tol=1e-5, max_iter=100)
    assert res.converged and res.point == target
    assert res.n_evaluations <= 20
    em = fit_em(terms, 0.5, tol=1e-5, max_iter=10_000)
    assert em.converged and abs(em.point - target) < 1e-3


def test_newton_rejects_a_step_that_lowers_the_likelihood():
    X, (means, sigma) = _overshooting_data(0)
    res = fit_newton(precompute(X, means, sigma), 0.5, tol=1e-10, max_iter=200)
    assert res.converged
    assert res.n_evaluations > 2 * res.n_iter + 1  # some step tried and refused
    assert np.all(res.history["diff_loglik"][1:] >= 0)
    assert abs(res.point - mle(X, means, sigma)) < 1e-8


def test_fit_em_max_iter_reached():
    X, means, sigma = _data(3000)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=0.0, max_iter=3)
    assert not res.converged
    assert res.n_iter == 3
    assert len(res.history["pi"]) == 4


def test_flat_likelihood_stops_at_once():
    # every sample halfway between the means: f0 == f1, the data say nothing
    X = np.ones((50, 1))
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    res = fit_em(precompute(X, means, sigma), 0.3, tol=1e-5, max_iter=100)
    assert res.converged
    assert res.n_iter == 1
    assert res.point == pytest.approx(0.3, abs=1e-15)


def test_verbose_prints_one_line_per_iteration(capsys):
    X, means, sigma = _data(500)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=100, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == res.n_iter + 1
    assert lines[-1].startswith(f"Iteration {res.n_iter:4d}")
    assert f"{res.point:.10f}" in lines[-1]


@pytest.mark.parametrize("pi_init", [1e-15, 1 - 1e-16])
def test_em_started_at_the_boundary_reaches_the_maximum(pi_init):
    """Issue 9.4: from pi_init within 1e-15 of 0 or 1, EM must not stop at once."""
    X, _ = make_mixture(30_000, pi=0.3, random_state=0)
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    res = fit_em(precompute(X, means, sigma), pi_init, tol=1e-5, max_iter=10_000)
    assert res.converged
    assert res.n_iter > 5
    assert abs(res.point - mle(X, means, sigma)) < 1e-3


def test_newton_landing_on_a_boundary_maximum_has_converged():
    """Issue 9.14: one Newton step onto the boundary maximum is convergence."""
    x = np.random.default_rng(0).normal(-1.0, 1.0, size=(400, 1))
    means, sigma = check_gaussian_components((0, 2), 1.0, 1)
    assert mle(x, means, sigma) == 1.0
    res = fit_newton(precompute(x, means, sigma), 0.999, tol=1e-5, max_iter=1)
    assert res.point == 1.0
    assert res.converged


@pytest.mark.parametrize("max_iter", [10**11, 2**62])
def test_huge_max_iter_allocates_nothing_up_front(max_iter):
    """Issue 9.12: the path grows as iterations run."""
    X, means, sigma = _data(500)
    res = fit_em(precompute(X, means, sigma), 0.5, tol=1e-5, max_iter=max_iter)
    assert res.converged
    assert len(res.history["pi"]) == res.n_iter + 1 < 1000


def _overshooting_data(seed):
    # a few samples of a wide component 0 among many of a narrow component 1:
    # the curvature at pi = 0.5 is small, so the Newton step lands on pi = 0,
    # far below the maximum (where those few samples get no density)
    r = np.random.default_rng(seed)
    x = np.r_[r.normal(0, 3.0, 10), r.normal(5.0, 0.3, 355)]
    return x[:, None], check_gaussian_components((0.0, 5.0), (3.0, 0.3), 1)


@pytest.mark.parametrize("seed", range(4))
def test_newton_overshoot_is_refused_and_em_takes_over(seed):
    """Issue 9.20: data that make the raw Newton step lower the likelihood."""
    X, (means, sigma) = _overshooting_data(seed)
    summary = precompute(X, means, sigma)
    pi0 = 0.5
    s = sums(summary, pi0, derivatives=True)
    step = min(max(pi0 + s.grad / s.curv, 0.0), 1.0)
    f0, f1 = component_pdfs(X, means, sigma)

    def loglik(p):
        with np.errstate(divide="ignore"):
            return np.log(p * f0 + (1 - p) * f1).sum()

    assert loglik(step) < loglik(pi0) - 1.0  # the raw step overshoots
    res = fit_newton(summary, pi0, tol=1e-8, max_iter=200)
    assert res.converged
    assert np.all(res.history["diff_loglik"][1:] >= 0)
    assert abs(res.point - mle(X, means, sigma)) < 1e-7


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(5, 20),
    st.floats(2.5, 4.0),
    st.floats(0.2, 0.4),
    st.sampled_from([0.1, 0.5, 0.9]),
)
def test_newton_reaches_the_mle_on_data_that_make_it_overshoot(
    seed, k, wide, narrow, pi0
):
    """Issue 9.20: a strategy over the family of data where Newton overshoots."""
    r = np.random.default_rng(seed)
    x = np.r_[r.normal(0, wide, k), r.normal(5.0, narrow, 300)][:, None]
    means, sigma = check_gaussian_components((0.0, 5.0), (wide, narrow), 1)
    res = fit_newton(precompute(x, means, sigma), pi0, tol=1e-9, max_iter=500)
    assert res.converged
    assert np.all(res.history["diff_loglik"][1:] >= 0)
    assert abs(res.point - mle(x, means, sigma)) < 1e-6


def test_newton_leaves_the_boundary_when_its_step_overshoots_onto_it():
    # found by the strategy above: from 0.5 the projected Newton step lands on
    # pi = 0, which raises the log-likelihood, but the score there points
    # inwards (the maximum is 0.0137); EM cannot leave 0 and the Newton step
    # is inf / inf there, so Newton used to stop on 0 as if converged
    r = np.random.default_rng(51633)
    x = np.r_[r.normal(0, 4.0, 5), r.normal(5.0, 0.25, 300)][:, None]
    means, sigma = check_gaussian_components((0.0, 5.0), (4.0, 0.25), 1)
    res = fit_newton(precompute(x, means, sigma), 0.5, tol=1e-9, max_iter=500)
    assert res.history["pi"][1] == 0.0  # the overshoot this test is about
    assert res.converged
    assert abs(res.point - mle(x, means, sigma)) < 1e-9
    # mirrored (components swapped): the overshoot lands on pi = 1
    means, sigma = check_gaussian_components((5.0, 0.0), (0.25, 4.0), 1)
    res = fit_newton(precompute(x, means, sigma), 0.5, tol=1e-9, max_iter=500)
    assert res.history["pi"][1] == 1.0
    assert res.converged
    assert abs(res.point - mle(x, means, sigma)) < 1e-9


def test_path_records_rows_and_builds_the_history(capsys):
    # the recorder of both estimators' solvers (skmix._stopping.Path)
    path = Path(-100.0, verbose=1, show=lambda p: f"p = {p}  ")
    rows = [(0.5, -3.0, math.nan), (0.6, -2.0, 1.0), (0.6000001, -1.99999, 1e-5)]
    for row in rows:
        path.record(*row)
    assert path.n_iter == 2
    history = path.history(
        leading={"pi": np.array([r[0] for r in rows])}, trailing={"x": np.ones(3)}
    )
    assert list(history) == ["iteration", "pi", "loglik", "diff_loglik", "x"]
    np.testing.assert_array_equal(history["iteration"], [0, 1, 2])
    np.testing.assert_allclose(
        history["loglik"], [-103.0, -102.0, -101.99999], rtol=1e-15
    )
    assert np.isnan(history["diff_loglik"][0])
    assert history["diff_loglik"][1:].tolist() == [1.0, 1e-5]
    # the rule on the last iteration: gain 1e-5 in units of the lightest sample
    assert path.meets_tol(1e-4, unit=1.0)
    assert not path.meets_tol(1e-4, unit=0.01)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith(
        "Iteration    1  p = 0.6  loglik = -102.000000  diff = 1.000e+00  ("
    )
    # a row 0 never meets tol; leaving the boundary does not either
    start = Path(0.0, verbose=0)
    start.record(np.array([1e-12, 1 - 1e-12]), -1.0, math.nan)
    assert not start.meets_tol(1.0, 1.0)
    start.record(np.array([3e-12, 1 - 3e-12]), -1.0, 0.0)
    assert not start.meets_tol(1.0, 1.0)
    # a density of 0 (log_d = -inf) is a log-likelihood of -inf, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        start.record(np.array([0.5, 0.5]), -math.inf, math.nan)
        assert start.loglik()[-1] == -math.inf
