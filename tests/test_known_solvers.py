"""Both solvers reach the maximum on the simplex, certified by the KKT conditions.

Every problem is checked against plain transcriptions in tests/_known_reference.py
(the KKT gradient from log space, scipy.optimize on a softmax parametrisation,
a long plain EM), never against skmix's own numbers.
"""

import numpy as np
import pytest
from _known_reference import kkt_gap, loglik, plain_em, softmax_optimum
from scipy.stats import norm, uniform

from skmix import KnownComponentsMixture
from skmix._problem import DenseProblem
from skmix._solve import fit_em, fit_sqp, nnqp


def _three_normals(n=2000, seed=0, w=(0.5, 0.3, 0.2), means=(-2, 0, 3)):
    rng = np.random.default_rng(seed)
    comp = rng.choice(len(w), size=n, p=w)
    x = rng.normal(np.asarray(means)[comp], 1.0)
    return norm.logpdf(x[:, None], np.asarray(means, float), 1.0)


def _grid(n=3000, K=30, seed=1):
    # mixsqp's simulatemixdata design: x from N(0, 1), N(0, 9), N(0, 36)
    rng = np.random.default_rng(seed)
    sd = np.array([1.0, 3.0, 6.0])[rng.choice(3, size=n, p=[0.5, 0.25, 0.25])]
    x = rng.normal(0, sd)
    grid = np.r_[0, np.geomspace(0.1, np.sqrt(max(x**2 - 1)), K - 1)]
    return norm.logpdf(x[:, None], 0, np.sqrt(1 + grid**2))


def _problems():
    rng = np.random.default_rng(3)
    A3 = _three_normals()
    yield "three_normals", A3, None, True
    s = rng.uniform(0, 3, len(A3))
    s[::7] = 0.0
    yield "sample_weights", A3, s, True
    # a fourth component absent from the data: its weight is 0 at the maximum
    A4 = np.column_stack(
        [A3, norm.logpdf(A3[:, :1] * 0 + 10 + rng.normal(size=(2000, 1)), 0, 1)]
    )
    yield "boundary", A4, None, False
    # densities with bounded support: -inf entries
    x = rng.uniform(0, 1.5, 500)
    Ainf = np.column_stack(
        [uniform(0, 1).logpdf(x), uniform(0.5, 1).logpdf(x), norm(0.7, 0.5).logpdf(x)]
    )
    yield "minus_inf", Ainf, None, False
    # rows far out in the tails: log-densities near -1e5 and a spread of 2000
    far = A3 + rng.uniform(-1e5, 0, (len(A3), 1))
    far[:, 0] -= 2000 * (rng.uniform(size=len(A3)) < 0.1)
    yield "far_out", far, None, False
    yield "one_sample", A3[:1], None, False
    yield "two_samples", A3[:2], None, False
    yield "duplicate_columns", np.column_stack([A3, A3[:, 1]]), None, False
    yield "grid_K30", _grid(), None, False


PROBLEMS = list(_problems())
IDS = [p[0] for p in PROBLEMS]


@pytest.mark.filterwarnings("ignore:components .* have the same:UserWarning")
@pytest.mark.parametrize(("name", "A", "s", "interior"), PROBLEMS, ids=IDS)
def test_sqp_certified_by_kkt(name, A, s, interior):
    est = KnownComponentsMixture("precomputed").fit(A, sample_weight=s)
    w = est.weights_
    assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-12
    assert est.converged_
    assert kkt_gap(A, w, s) <= 1e-8, kkt_gap(A, w, s)
    np.testing.assert_allclose(est.kkt_gap_, kkt_gap(A, w, s), atol=1e-10)
    np.testing.assert_allclose(est.loglik_, loglik(A, w, s), rtol=1e-12)
    # an independent optimiser gets no higher
    ref = softmax_optimum(A, s) if A.shape[1] <= 4 else plain_em(A, s, 300)
    assert est.loglik_ >= loglik(A, ref, s) - 1e-9 * abs(est.loglik_)
    if interior:
        np.testing.assert_allclose(w, ref, atol=2e-5)


@pytest.mark.parametrize(
    ("name", "A", "s", "interior"),
    [p for p in PROBLEMS if p[0] in ("three_normals", "sample_weights", "far_out")],
    ids=["three_normals", "sample_weights", "far_out"],
)
def test_em_certified_by_kkt(name, A, s, interior):
    est = KnownComponentsMixture(
        "precomputed", solver="em", tol=1e-14, max_iter=100_000
    )
    est.fit(A, sample_weight=s)
    assert est.converged_
    assert kkt_gap(A, est.weights_, s) <= 1e-8
    sqp = KnownComponentsMixture("precomputed").fit(A, sample_weight=s)
    np.testing.assert_allclose(est.weights_, sqp.weights_, atol=1e-7)


def test_boundary_weight_is_exactly_zero():
    A = PROBLEMS[IDS.index("boundary")][1]
    est = KnownComponentsMixture("precomputed").fit(A)
    assert est.weights_[3] == 0.0  # exact, not 1e-300
    # the KKT condition for a weight at 0: g_k < 1, from the reference
    from _known_reference import kkt_g

    assert kkt_g(A, est.weights_)[3] < 1


def test_em_stopping_rule_and_history():
    # the rule: stop after the first iteration whose total gain is below tol;
    # gains checked against differences of the reference log-likelihood
    A = _three_normals(500)
    est = KnownComponentsMixture("precomputed", solver="em", tol=1e-3).fit(A)
    h = est.history_
    W = np.column_stack([h[f"weight_{k}"] for k in range(3)])
    ll = np.array([loglik(A, w) for w in W])
    np.testing.assert_allclose(h["loglik"], ll, rtol=1e-12)
    np.testing.assert_allclose(h["diff_loglik"][1:], np.diff(ll), atol=1e-9)
    assert np.all(h["diff_loglik"][1:-1] >= 1e-3) and h["diff_loglik"][-1] < 1e-3
    assert est.n_iter_ == len(ll) - 1
    # each row is one EM step of the reference
    np.testing.assert_allclose(W[1], plain_em(A, n_iter=1), rtol=1e-12)
    np.testing.assert_allclose(W[5], plain_em(A, n_iter=5), rtol=1e-11)


def test_em_gain_does_not_cancel_on_large_totals():
    # 2e5 samples with log-densities near -1e4: totals ~ -2e9, where a
    # difference of totals has rounding ~1e-7 but the gain sum log1p does not
    A = _three_normals(200_000, seed=5) - 1e4
    problem = DenseProblem(A)
    w0 = np.array([0.4, 0.35, 0.25])
    w1 = np.array([0.4 + 1e-9, 0.35, 0.25 - 1e-9])
    problem.start(w0)
    gain = problem.em_step(w0, w1)
    # the gain by Taylor expansion in log space: with d_i = sum_k dw_k f_ik / p_i,
    # sum_i log(1 + d_i) = sum d - sum d^2 / 2 + O(1e-27 n)
    from scipy.special import logsumexp

    log_p = logsumexp(A + np.log(w0), axis=1)
    dw = w1 - w0  # exactly representable differences (not exactly 1e-9)
    d = np.exp(A - log_p[:, None]) @ dw
    expected = d.sum() - 0.5 * (d * d).sum()
    assert abs(gain - expected) < 1e-13 * (1 + abs(expected)) + 1e-20 * len(A)
    # a difference of the two totals (about -2e9) is off by ~1e-7 at best:
    # the gain is 7e-5, so the stopping rule needs the gain computed this way


def test_sqp_maximum_is_a_fixed_point_of_em_on_a_grid():
    # EM's fixed point is the maximum: started at sqp's answer it stays there
    A = _grid(2000, 15)
    sqp = KnownComponentsMixture("precomputed").fit(A)
    em = KnownComponentsMixture(
        "precomputed", solver="em", weights_init=sqp.weights_, tol=1e-9
    ).fit(A)
    assert em.n_iter_ == 1 and em.history_["diff_loglik"][1] < 1e-9
    np.testing.assert_allclose(em.weights_, sqp.weights_, atol=1e-9)
    # and EM from the uniform start never gets above it
    em = KnownComponentsMixture("precomputed", solver="em", tol=1e-3).fit(A)
    assert sqp.loglik_ >= em.loglik_ - 1e-9
    assert sqp.n_iter_ < 60


def test_nnqp_against_kkt_of_the_quadratic():
    rng = np.random.default_rng(0)
    for m in (1, 2, 5, 12):
        for _ in range(20):
            B = rng.normal(size=(m + 3, m))
            H = B.T @ B
            c = rng.normal(size=m)
            y = nnqp(H, c, rng.uniform(size=m) < 0.5)
            q = H @ y + c
            assert np.all(y >= 0)
            assert np.all(q >= -1e-9)  # no descent into the free directions
            assert np.all(np.abs(q[y > 0]) <= 1e-9)  # stationary on the support


def test_solvers_directly_agree_with_the_estimator():
    A = _three_normals(300)
    w0 = np.full(3, 1 / 3)
    r_em = fit_em(DenseProblem(A), w0, tol=1e-5, max_iter=1000)
    r_sqp = fit_sqp(DenseProblem(A), w0, max_iter=100)
    assert r_sqp.kkt_gap <= 1e-8
    assert r_em.loglik <= r_sqp.loglik + 1e-9


def test_em_stopping_rule_with_weights_and_near_the_boundary():
    A = _three_normals(600, seed=8)
    counts = np.random.default_rng(9).integers(1, 4, len(A))
    est = KnownComponentsMixture("precomputed", solver="em").fit(
        A, sample_weight=counts
    )
    rep = KnownComponentsMixture("precomputed", solver="em").fit(
        np.repeat(A, counts, 0)
    )
    # counts (smallest 1) stop exactly where the repeated rows do
    assert est.n_iter_ == rep.n_iter_
    np.testing.assert_allclose(
        est.history_["loglik"], rep.history_["loglik"], rtol=1e-11
    )
    # scaling every weight changes nothing but the log-likelihood's scale
    small = KnownComponentsMixture("precomputed", solver="em").fit(
        A, sample_weight=counts * 1e-7
    )
    assert small.n_iter_ == est.n_iter_
    np.testing.assert_allclose(small.weights_, est.weights_, rtol=1e-10)
    # started within a hair of 0, EM keeps going while it leaves the boundary
    hair = KnownComponentsMixture(
        "precomputed", solver="em", weights_init=[1e-12, 0.5, 0.5 - 1e-12]
    ).fit(A)
    assert hair.n_iter_ > 10 and hair.weights_[0] > 0.1
