"""Tests that catch the mutants of issue 17, section 5, that the suite missed.

Each test states the mutant it catches; expected values are transcriptions
of the formulas in the test (closed forms, the KKT conditions), computed
independently of the estimator.
"""

import math

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

from skmix import KnownComponentsMixture, TwoGaussianMixturePi
from skmix._inference import observed_information
from skmix._problem import kkt_gap


def _g(A, w):
    """g_k = sum_i L_ik / (L w)_i / n, L = exp(A - rowmax): a transcription."""
    L = np.exp(A - A.max(axis=1, keepdims=True))
    return L.T @ (1.0 / (L @ w)) / len(A)


def test_kkt_gap_has_the_support_term():
    # mutant: the gap without max_{w_k > 0} |g_k - 1|
    A = np.random.default_rng(0).normal(size=(40, 3)) - [0.0, 3.0, 3.0]
    # not the maximum: a light weight on a poor component (g_1 << 1)
    w = np.array([0.9, 0.1, 0.0])
    g = _g(A, w)
    dev = g - 1
    expected = max(dev.max(), np.abs(dev[:2]).max())
    assert expected > dev.max() + 1e-3  # the support term decides here
    assert kkt_gap(w, g) == pytest.approx(expected, rel=1e-15)
    # and the estimator's certificate is that of its own weights
    with pytest.warns(ConvergenceWarning):
        est = KnownComponentsMixture(solver="em", max_iter=2).fit(A)
    gap = _g(A, est.weights_) - 1
    pos = est.weights_ > 0
    assert est.kkt_gap_ == pytest.approx(
        max(gap.max(), np.abs(gap[pos]).max()), rel=1e-8
    )


def _grid(n=400, seed=0, k=30):
    x = np.random.default_rng(seed).normal(0, 1.3, n)
    return norm.logpdf(x[:, None], np.linspace(-5, 5, k)[None, :], 1.0)


def test_sqp_history_gains_include_the_rescaling():
    # mutant: the recorded step ``gain`` without ``- S log1p((sx' - sx)/sx)``
    # (the SQP iterate x does not sum to 1; the path records x / sum(x))
    for seed in range(4):
        A = _grid(seed=seed)
        h = KnownComponentsMixture().fit(A).history_
        W = np.column_stack([h[f"weight_{k}"] for k in range(A.shape[1])])
        with np.errstate(divide="ignore"):
            ll = np.array([logsumexp(A + np.log(w), axis=1).sum() for w in W])
        np.testing.assert_allclose(
            h["diff_loglik"][1:], np.diff(ll), rtol=0, atol=1e-11
        )


def test_single_support_stderr_is_the_largest_of_the_others():
    # mutant: stderr of the one positive weight = min (not max) of the others'
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 300).reshape(-1, 1)
    comps = [norm(0, 1), norm(1.5, 1), norm(-3, 1)]
    est = KnownComponentsMixture(comps).fit(x)
    assert est.weights_[0] == 1.0
    A = np.column_stack([c.logpdf(x[:, 0]) for c in comps])
    # on the face {0, k}: var(w_k) = 1 / sum_i ((f_k - f_0) / f_0)^2
    r = np.exp(A[:, 1:] - A[:, :1])
    se = 1 / np.sqrt(((r - 1) ** 2).sum(axis=0))
    np.testing.assert_allclose(est.weights_stderr_[1:], se, rtol=1e-10)
    assert se[0] != pytest.approx(se[1], rel=0.1)
    assert est.weights_stderr_[0] == pytest.approx(se.max(), rel=1e-10)


def test_warm_start_leaves_zero_weights_with_em():
    # mutant: the warm start without its margin (EM cannot leave 0)
    rng = np.random.default_rng(3)
    comps = [norm(-2, 1), norm(0, 1), norm(3, 1)]
    first = rng.normal(-2, 1, 400).reshape(-1, 1)
    est = KnownComponentsMixture(comps, warm_start=True).fit(first)
    assert est.weights_[2] == 0.0
    second = np.r_[rng.normal(-2, 1, 200), rng.normal(3, 1, 200)].reshape(-1, 1)
    est.set_params(solver="em", tol=1e-10)
    est.fit(second)
    A = np.column_stack([c.logpdf(second[:, 0]) for c in comps])
    gap = _g(A, est.weights_) - 1
    assert est.weights_[2] > 0.4
    assert gap.max() < 1e-3


@pytest.mark.parametrize(("total", "ok"), [(1 + 5e-7, True), (1 + 3e-6, False)])
def test_weights_init_must_sum_to_one(total, ok):
    # mutant: the simplex check's tolerance 1e-6 -> 1e-1
    A = np.random.default_rng(4).normal(size=(30, 3))
    w = np.array([0.5, 0.3, total - 0.8])
    if ok:
        with pytest.warns(ConvergenceWarning):
            est = KnownComponentsMixture(weights_init=w, solver="em", max_iter=1)
            est.fit(A)
        assert est.history_["weight_0"][0] == pytest.approx(0.5 / total, rel=1e-15)
    else:
        with pytest.raises(ValueError, match="on the simplex"):
            KnownComponentsMixture(weights_init=w).fit(A)
    with pytest.raises(ValueError, match="on the simplex"):
        KnownComponentsMixture(weights_init=[0.5, 0.3, 0.21]).fit(A)


def test_tail_sample_at_infinite_log_odds_on_the_vanishing_side():
    # mutant: the near-boundary tail curvature c0 / A**2 -> c0 / A.
    # sigma (2, 1): x = 1e300 overflows both distances, the wider component
    # 0 wins, log-odds +inf: its density is pi f0 alone, so near pi = 0 its
    # information is 1 / pi**2
    X = np.array([[1e300], [0.1], [1.9], [2.5], [-1.0]])
    est = TwoGaussianMixturePi(means=(0.0, 2.0), sigma=(2.0, 1.0)).fit(X)
    f0 = norm(0, 2).logpdf(X[1:, 0])
    f1 = norm(2, 1).logpdf(X[1:, 0])
    for pi in (1e-30, 1e-100):
        lo = f0 - f1
        # (f0 - f1) / p in terms of the log-odds, per sample
        with np.errstate(over="ignore"):
            score = np.where(
                lo >= 0,
                -np.expm1(-lo) / (pi + (1 - pi) * np.exp(-lo)),
                np.expm1(lo) / ((1 - pi) + pi * np.exp(lo)),
            )
        expected = math.fsum(score**2) + 1.0 / pi**2
        assert observed_information(est._summary, pi) == pytest.approx(
            expected, rel=1e-9
        )


def test_armijo_sufficient_decrease():
    # mutant: the slope clipped by max (0) instead of min: any decrease passes
    from skmix._solve import SQP_OPTIONS, armijo_accepts

    ARMIJO_C = SQP_OPTIONS["armijo_c"]

    slope, a = -2.0, 0.5
    need = ARMIJO_C * a * slope  # the decrease Armijo asks for, negative
    assert armijo_accepts(need * 1.001, a, slope)
    assert not armijo_accepts(need * 0.999, a, slope)
    assert not armijo_accepts(need * 0.999, a, slope, slack=-need * 0.0005)
    assert armijo_accepts(need * 0.999, a, slope, slack=-need * 0.002)
    # a slope that rounding made positive: the step must not raise f
    assert armijo_accepts(0.0, 1.0, 1e-12)
    assert not armijo_accepts(1e-15, 1.0, 1e-12)
