"""Solver and TwoGaussianMixturePi defects of issue 17, on the public API.

Expected values are computed in the tests (differences of the recorded
log-likelihoods, closed forms), never read back from the estimator.
"""

import numpy as np
from scipy.stats import norm

from skmix import KnownComponentsMixture


def _grid_problem(n=500, seed=0):
    """Log-densities on an empirical-Bayes grid, where SQP prunes weights."""
    x = np.random.default_rng(seed).normal(0, 1, n)
    grid = np.linspace(-6, 6, 25)
    return norm.logpdf(x[:, None], grid[None, :], 1.0)


def test_sqp_history_diffs_add_up_to_the_loglik():
    A = _grid_problem()
    est = KnownComponentsMixture().fit(A)
    h = est.history_
    diffs = np.diff(h["loglik"])
    # each row's gain is the rise of loglik from the row before (the pruned
    # point of the SQP warm-up is a row of its own)
    np.testing.assert_allclose(h["diff_loglik"][1:], diffs, rtol=1e-7, atol=1e-9)
    W = np.column_stack([h[f"weight_{k}"] for k in range(A.shape[1])])
    np.testing.assert_allclose(W.sum(axis=1), 1.0, rtol=1e-12)
    # the weights of each row give its loglik
    from scipy.special import logsumexp

    with np.errstate(divide="ignore"):
        ll = [logsumexp(A + np.log(w), axis=1).sum() for w in W]
    np.testing.assert_allclose(h["loglik"], ll, rtol=1e-10)
    assert est.n_iter_ == len(h["loglik"]) - 1
