"""Profile-likelihood intervals of KnownComponentsMixture and PriorShiftAdapter.

The references are independent: the log-likelihood transcribed with
logsumexp, its maximum with one weight fixed found by scipy's bounded
scalar minimiser (for K = 3 the other two weights are one parameter), and
TwoGaussianMixturePi's profile interval for K = 2.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp
from scipy.stats import chi2, norm
from sklearn.linear_model import LogisticRegression

from skmix import (
    KnownComponentsMixture,
    PriorShiftAdapter,
    TwoGaussianMixturePi,
    make_mixture,
)
from skmix._simplex_profile import _end

# every maximisation converges
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

ALPHA = 0.05
C_INSIDE = chi2.ppf(1 - ALPHA, df=1)
C_ZERO = chi2.ppf(1 - 2 * ALPHA, df=1)
MEANS = (-2.0, 0.0, 2.0)


def _data(n, weights, seed):
    rng = np.random.default_rng(seed)
    z = rng.choice(3, n, p=weights)
    x = rng.normal(np.take(MEANS, z), 1.0)
    return np.column_stack([norm.logpdf(x, m, 1.0) for m in MEANS])


def _loglik(A, w):
    with np.errstate(divide="ignore"):
        return logsumexp(A + np.log(w), axis=1).sum()


def _fixed(k, v, t):
    """Weights with w_k = v and the other two (1 - v) t, (1 - v)(1 - t)."""
    w = np.empty(3)
    others = [j for j in range(3) if j != k]
    w[k], w[others[0]], w[others[1]] = v, (1 - v) * t, (1 - v) * (1 - t)
    return w


def _profile_ref(A, k, v):
    """max over the simplex with w_k = v, by a bounded scalar search."""
    res = minimize_scalar(
        lambda t: -_loglik(A, _fixed(k, v, t)),
        bounds=(0, 1),
        method="bounded",
        options={"xatol": 1e-11},
    )
    return max(-res.fun, _loglik(A, _fixed(k, v, 0.0)), _loglik(A, _fixed(k, v, 1.0)))


def _max_ref(A):
    res = minimize_scalar(
        lambda v: -_profile_ref(A, 0, v),
        bounds=(0, 1),
        method="bounded",
        options={"xatol": 1e-11},
    )
    return max(-res.fun, _profile_ref(A, 0, 0.0), _profile_ref(A, 0, 1.0))


@pytest.fixture(scope="module")
def interior():
    A = _data(400, [0.5, 0.3, 0.2], seed=0)
    est = KnownComponentsMixture("precomputed").fit(A)
    return A, est, est.confidence_interval(ALPHA, X=A)


@pytest.fixture(scope="module")
def at_zero():
    A = _data(400, [0.6, 0.4, 0.0], seed=3)
    est = KnownComponentsMixture("precomputed").fit(A)
    assert est.weights_[2] == 0.0  # the maximum puts it at 0
    return A, est, est.confidence_interval(ALPHA, X=A)


def test_ends_solve_the_profile_equation(interior):
    A, est, ci = interior
    top = _max_ref(A)
    assert top == pytest.approx(est.loglik_, abs=1e-7)
    for k in range(3):
        low, high = ci[k]
        assert 0 < low < est.weights_[k] < high < 1
        for end in (low, high):
            drop = 2 * (top - _profile_ref(A, k, end))
            assert drop == pytest.approx(C_INSIDE, abs=1e-6)


def test_brute_force_grid_agrees(interior):
    """Every grid value accepted by the likelihood-ratio test is inside the
    interval, every rejected one outside."""
    A, _, ci = interior
    top = _max_ref(A)
    grid = np.linspace(0.01, 0.99, 99)
    for k in range(3):
        drops = np.array([2 * (top - _profile_ref(A, k, v)) for v in grid])
        inside = (grid >= ci[k, 0]) & (grid <= ci[k, 1])
        assert np.all(inside[drops < C_INSIDE - 1e-6])
        assert not np.any(inside[drops > C_INSIDE + 1e-6])
        assert inside.any()


def test_weight_at_zero_one_sided(at_zero):
    A, est, ci = at_zero
    top = _max_ref(A)
    assert ci[2, 0] == 0.0
    # the upper end: the two-sided cut-off (only the value 0 is on the boundary)
    assert 2 * (top - _profile_ref(A, 2, ci[2, 1])) == pytest.approx(C_INSIDE, abs=1e-6)
    # narrower than Wald's [0, z * stderr] here
    assert ci[2, 1] < est.confidence_interval(ALPHA, method="wald")[2, 1]
    # the others' lower ends: 0 only if the one-sided test accepts 0
    for k in (0, 1):
        d0 = 2 * (top - _profile_ref(A, k, 0.0))
        assert (ci[k, 0] == 0.0) == (d0 <= C_ZERO)


@pytest.mark.parametrize(
    ("drop_at_zero", "expected"),
    [
        (2.5, lambda s: 0.0),  # 0 accepted one-sided
        (3.3, lambda s: 0.3 - s * np.sqrt(C_ZERO)),  # 0 rejected one-sided only
        (5.0, lambda s: 0.3 - s * np.sqrt(C_INSIDE)),  # 0 rejected two-sided
    ],
)
def test_lower_end_rule_on_a_quadratic_profile(drop_at_zero, expected):
    """2 drop(v) = (v - 0.3)^2 / s^2, s chosen for the given 2 drop(0)."""
    s = 0.3 / np.sqrt(drop_at_zero)
    low = _end(lambda v: (v - 0.3) ** 2 / (2 * s * s), 0.3, 0.0, C_INSIDE, C_ZERO)
    assert low == pytest.approx(expected(s), abs=1e-9)


def test_two_components_agree_with_two_gaussian_mixture_pi():
    X, _ = make_mixture(500, means=(0, 2), sigma=1, pi=0.3, random_state=0)
    two = TwoGaussianMixturePi(means=(0, 2), sigma=1, solver="newton").fit(X)
    est = KnownComponentsMixture([norm(0, 1), norm(2, 1)]).fit(X)
    ci = est.confidence_interval(ALPHA, X=X)
    expected = two.confidence_interval(ALPHA)
    assert expected[0] > 0 and expected[1] < 1  # interior: the same rule
    np.testing.assert_allclose(ci[0], expected, atol=1e-7)
    np.testing.assert_allclose(ci[1], 1 - np.array(expected)[::-1], atol=1e-7)


def test_two_components_symmetric_in_the_one_sided_band():
    """K = 2: the interval of weight 1 is 1 minus that of weight 0, also when
    2 drop(0) lies between the one- and two-sided cut-offs (the value 1 of
    weight 1 is weight 0 at 0, tested one-sided)."""
    components = [norm(0, 1), norm(2, 1)]
    for seed in range(200):
        X, _ = make_mixture(200, means=(0, 2), sigma=1, pi=0.05, random_state=seed)
        A = np.column_stack([c.logpdf(X[:, 0]) for c in components])
        est = KnownComponentsMixture("precomputed").fit(A)
        d0 = 2 * (est.loglik_ - logsumexp(A[:, 1:], axis=1).sum())
        if C_ZERO < d0 <= C_INSIDE:
            break
    else:
        pytest.fail("no sample in the band")
    ci = est.confidence_interval(ALPHA, X=A)
    assert ci[0, 0] > 0  # 0 rejected, one-sided
    np.testing.assert_allclose(ci[1], 1 - ci[0, ::-1], atol=1e-9)
    # the end is the root at the one-sided cut-off
    w = np.array([ci[0, 0], 1 - ci[0, 0]])
    assert 2 * (est.loglik_ - _loglik(A, w)) == pytest.approx(C_ZERO, abs=1e-6)


def test_sample_weight_as_repeated_rows(interior):
    A = interior[0][:150]
    s = np.random.default_rng(1).integers(1, 4, len(A))
    weighted = KnownComponentsMixture("precomputed").fit(A, sample_weight=s)
    repeated = KnownComponentsMixture("precomputed").fit(np.repeat(A, s, axis=0))
    np.testing.assert_allclose(
        weighted.confidence_interval(X=A, sample_weight=s),
        repeated.confidence_interval(X=np.repeat(A, s, axis=0)),
        atol=1e-8,
    )


def test_wald_unchanged(interior):
    est = interior[1]
    z = norm.ppf(1 - 0.1 / 2)
    w, se = est.weights_, est.weights_stderr_
    expected = np.column_stack([np.clip(w - z * se, 0, 1), np.clip(w + z * se, 0, 1)])
    np.testing.assert_allclose(est.confidence_interval(0.1, method="wald"), expected)


def test_profile_needs_the_training_data(interior):
    A, est, _ = interior
    with pytest.raises(ValueError, match="needs the training data"):
        est.confidence_interval()
    with pytest.raises(ValueError, match="data the model was fitted on"):
        est.confidence_interval(X=A[:300])


@pytest.mark.parametrize("method", ["profile", "wald"])
def test_alpha_above_one_half_rejected(interior, method):
    A, est, _ = interior
    X, _ = make_mixture(100, random_state=0)
    two = TwoGaussianMixturePi().fit(X)
    with pytest.raises(ValueError) as expected:
        two.confidence_interval(0.95, method=method)
    assert "asks for a 5% interval" in str(expected.value)
    with pytest.raises(ValueError) as got:
        est.confidence_interval(0.95, method=method, X=A)
    assert str(got.value) == str(expected.value)
    est.confidence_interval(0.5, method=method, X=A)  # allowed
    with pytest.raises(ValueError, match="alpha"):
        est.confidence_interval(1.5, method=method, X=A)


def test_prior_shift_adapter():
    rng = np.random.default_rng(0)
    means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    y = rng.integers(0, 3, 3000)
    adapter = PriorShiftAdapter(LogisticRegression(), calibration=None)
    adapter.fit(means[y] + rng.normal(size=(3000, 2)), y)
    yt = rng.choice(3, 500, p=[0.7, 0.3, 0.0])
    Xt = means[yt] + rng.normal(size=(500, 2))
    adapter.adapt(Xt)
    # the mixture the adapter describes, built here from the classifier
    A = np.log(adapter.estimator_.predict_proba(Xt)) - np.log(adapter.source_priors_)
    ref = KnownComponentsMixture("precomputed", weights_init=adapter.source_priors_)
    ref.fit(A)
    np.testing.assert_allclose(
        adapter.confidence_interval(X=Xt), ref.confidence_interval(X=A), atol=1e-8
    )
    np.testing.assert_allclose(
        adapter.confidence_interval(method="wald"),
        ref.confidence_interval(method="wald"),
        atol=1e-8,
    )
    with pytest.raises(ValueError, match="needs the training data"):
        adapter.confidence_interval()
    with pytest.raises(ValueError, match="asks for a 5% interval"):
        adapter.confidence_interval(0.95, X=Xt)
