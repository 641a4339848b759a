"""The SQP solver does not stall where one sample's density is tiny.

Empirical-Bayes likelihoods (uniform components ``U[-a_k, a_k]`` on ashr's
grid, a point mass at 0) with one outlying sample in the tail of the widest
components: the first SQP step drops those components, the outlier's density
(L w)_i falls to ~1e-10, and the Hessian's diagonal on them grows to 1e14
times the others. nnqp's ridge, relative to the largest diagonal entry only,
then swamped the model on the other components: the SQP stopped after
max_iter at a KKT gap of 1e5 (or, where the spread was 1e4, at a KKT gap just
above kkt_tol, after max_iter). The gap is checked against the plain
transcription in tests/_known_reference.py.
"""

import numpy as np
import pytest
from _known_reference import kkt_g, kkt_gap, loglik
from scipy.special import log_ndtr
from sklearn.exceptions import ConvergenceWarning

from skmix import KnownComponentsMixture
from skmix._solve import nnqp


def _log_uniform_normal(x, s, a):
    """log of (Phi((a - x) / s) - Phi((-a - x) / s)) / (2 a), both tails."""
    hi, lo = (a - x) / s, (-a - x) / s
    flip = lo > 0  # both in the upper tail: Phi(-lo) - Phi(-hi)
    h, low = np.where(flip, -lo, hi), np.where(flip, -hi, lo)
    lh, ll = log_ndtr(h), log_ndtr(low)
    return lh + np.log1p(-np.exp(ll - lh)) - np.log(2 * a)


def _eb_matrix(n, K, seed):
    """n samples of the EB design and one outlier x = 9.94, s = 0.51; the
    point mass at 0 and K uniforms of half-widths 28 sqrt(2)^-j."""
    rng = np.random.default_rng(seed)
    z = rng.random(n)
    theta = np.where(z < 0.6, 0.0, rng.standard_normal(n))
    theta *= np.where(z < 0.9, 1.0, 3.0)
    s = rng.uniform(0.5, 2.0, n)
    x = theta + s * rng.standard_normal(n)
    x, s = np.r_[x, 9.94], np.r_[s, 0.51]
    a = 28.0 * np.sqrt(2.0) ** -np.arange(K - 1, -1, -1.0)
    point = -0.5 * (x / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)
    uniform = _log_uniform_normal(x[:, None], s[:, None], a[None, :])
    return np.column_stack([point, uniform])


@pytest.mark.parametrize(
    "n, K, weight, seed",
    [
        (100, 10, 100.0, 0),  # stalled at a KKT gap of 2.7e5
        (100, 12, 1000.0, 2),  # stopped at a KKT gap of 2.2e-8 > kkt_tol
    ],
)
def test_outlier_in_the_tail_converges(n, K, weight, seed):
    A = _eb_matrix(n, K, seed)
    # the n samples stand for `weight` copies each: the outlier weighs little
    sw = np.r_[np.full(n, weight), 1.0]
    est = KnownComponentsMixture("precomputed", max_iter=100).fit(A, sample_weight=sw)
    gap = kkt_gap(A, est.weights_, sw)
    assert est.converged_
    assert gap < 1e-7
    assert est.kkt_gap_ == pytest.approx(gap, abs=1e-9)
    # the outlier keeps a density far above the stalled fit's 1e-10
    assert loglik(A[-1:], est.weights_) > np.log(1e-8)


def test_nnqp_ridge_does_not_swamp_a_spread_diagonal():
    # a diagonal spread of 1e14: the minimum of y^T H y / 2 + c^T y is
    # H^-1 (-c) > 0, which a ridge of 1e-12 * max(diag) = 100 moved to ~1/101
    H = np.array([[1.0, 1e3], [1e3, 1e14]])
    c = np.array([-1.0, -2e7])
    exact = np.linalg.solve(H, -c)
    assert np.all(exact > 0)
    y = nnqp(H, c, np.zeros(2, dtype=bool))
    np.testing.assert_allclose(y, exact, rtol=1e-8)


def _no_ascent(monkeypatch, cls):
    """Every step of ``cls`` lowers the objective and EM gains nothing."""
    monkeypatch.setattr(cls, "gain", lambda self, a: -np.inf)
    monkeypatch.setattr(cls, "em_step", lambda self, w_old, w_new: 0.0)


def test_no_ascent_step_status_and_warning(monkeypatch):
    from skmix._problem import DenseProblem

    rng = np.random.default_rng(0)
    A = np.log(rng.random((300, 5)))
    _no_ascent(monkeypatch, DenseProblem)
    est = KnownComponentsMixture(
        "precomputed", solver_options={"em_steps": 0, "prune": 0.0}
    )
    with pytest.warns(ConvergenceWarning, match="no step raising the log-likelihood"):
        est.fit(A)
    assert est.status_ == "no ascent step" and not est.converged_
    # the SQP step failed at the start, and so did (by the patch) the EM
    # step tried after it: its point, w_k g_k(w) from w = 1 / 5, is returned
    w0 = np.full(5, 0.2)
    w1 = w0 * kkt_g(A, w0)
    np.testing.assert_allclose(est.weights_, w1 / w1.sum(), rtol=1e-12)
    assert est.kkt_gap_ == pytest.approx(kkt_gap(A, est.weights_), rel=1e-9)
    assert est.kkt_gap_ > 1e-4


def test_eb_no_ascent_step_warning(monkeypatch):
    from skmix import EmpiricalBayesNormalMeans
    from skmix._eb_problem import EBProblem

    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, 300)
    _no_ascent(monkeypatch, EBProblem)
    est = EmpiricalBayesNormalMeans()
    with pytest.warns(ConvergenceWarning, match="no step raises the likelihood"):
        est.fit(x, s=1.0)
    assert est.status_ == "no ascent step" and not est.converged_
    assert est.kkt_gap_ > 1e-4
