"""Standard errors and intervals of KnownComponentsMixture, and K = 2 against
TwoGaussianMixturePi (its public API)."""

import numpy as np
import pytest
from _known_reference import free_information, stderr_from_information
from scipy.stats import norm

from skmix import KnownComponentsMixture, TwoGaussianMixturePi, make_mixture


@pytest.mark.parametrize(
    ("means", "sigma", "pi", "n_features", "weighted"),
    [
        ((0.0, 2.0), 1.0, 0.8, 1, False),
        ((1.0, -1.0), (0.5, 3.0), 0.3, 1, False),
        ((0.0, 2.0), 1.0, 0.6, 2, False),
        ((0.0, 2.0), 1.0, 0.8, 1, True),
    ],
)
def test_two_normals_em_matches_two_gaussian_mixture_pi(
    means, sigma, pi, n_features, weighted
):
    X, _ = make_mixture(
        5000, n_features=n_features, means=means, sigma=sigma, pi=pi, random_state=2
    )
    sw = None
    if weighted:  # (smallest weight 1: the stopping rule's unit)
        sw = np.random.default_rng(0).uniform(1, 3, len(X))
        sw[7] = 1.0
    sig = np.broadcast_to(np.asarray(sigma, float), (2,))
    comps = [norm(means[0], sig[0]), norm(means[1], sig[1])]
    two = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X, sample_weight=sw)
    known = KnownComponentsMixture(comps, solver="em").fit(X, sample_weight=sw)
    assert known.n_iter_ == two.n_iter_
    np.testing.assert_allclose(
        known.history_["weight_0"], two.history_["pi"], atol=1e-10
    )
    np.testing.assert_allclose(
        known.history_["weight_1"], 1 - two.history_["pi"], atol=1e-10
    )
    np.testing.assert_allclose(
        known.history_["loglik"], two.history_["loglik"], rtol=1e-10
    )
    np.testing.assert_allclose(
        known.history_["diff_loglik"][1:],
        two.history_["diff_loglik"][1:],
        rtol=1e-6,
        atol=1e-10,
    )
    np.testing.assert_allclose(known.weights_stderr_, two.pi_stderr_, rtol=1e-10)
    np.testing.assert_allclose(known.loglik_, two.loglik_, rtol=1e-12)


def _three(n=3000, seed=0, w=(0.5, 0.3, 0.2)):
    rng = np.random.default_rng(seed)
    comp = rng.choice(3, size=n, p=w)
    x = rng.normal(np.array([-2.0, 0.0, 2.5])[comp], 1.0)
    return norm.logpdf(x[:, None], [-2.0, 0.0, 2.5], 1.0)


def test_stderr_against_finite_differences():
    A = _three()
    s = np.random.default_rng(1).uniform(0.5, 2, len(A))
    est = KnownComponentsMixture("precomputed").fit(A, sample_weight=s)
    I_free = free_information(A, est.weights_, s)
    np.testing.assert_allclose(
        est.weights_stderr_, stderr_from_information(I_free), rtol=1e-4
    )
    # Wald intervals from them
    z = norm.ppf(0.95)
    ci = est.confidence_interval(0.1, method="wald")
    np.testing.assert_allclose(ci[:, 0], est.weights_ - z * est.weights_stderr_)
    np.testing.assert_allclose(ci[:, 1], est.weights_ + z * est.weights_stderr_)


def test_stderr_against_the_bootstrap():
    A = _three(2000, seed=4)
    est = KnownComponentsMixture("precomputed").fit(A)
    rng = np.random.default_rng(5)
    boot = np.array(
        [
            KnownComponentsMixture("precomputed")
            .fit(A[rng.integers(0, len(A), len(A))])
            .weights_
            for _ in range(200)
        ]
    )
    # 200 replicates: the bootstrap sd is within ~10% of the truth (2 se)
    np.testing.assert_allclose(boot.std(axis=0), est.weights_stderr_, rtol=0.2)


def test_stderr_of_a_weight_at_zero_uses_the_face_with_it():
    # component 3 absent: its weight is 0; its stderr is that of the face
    # spanned by the support and itself, by finite differences there
    rng = np.random.default_rng(2)
    A = np.column_stack([_three(), norm.logpdf(rng.normal(size=(3000, 1)), 9, 1)])
    est = KnownComponentsMixture("precomputed").fit(A)
    assert est.weights_[3] == 0.0
    # on the full simplex the information is regular here: by finite
    # differences at the estimate (the function is smooth across w_3 = 0)
    se = stderr_from_information(free_information(A, est.weights_))
    np.testing.assert_allclose(est.weights_stderr_[3], se[3], rtol=1e-4)
    ci = est.confidence_interval(method="wald")
    assert ci[3, 0] == 0.0
    np.testing.assert_allclose(ci[3, 1], norm.ppf(0.975) * se[3], rtol=1e-4)


def test_stderr_infinite_for_identical_components():
    A = _three()
    A = np.column_stack([A, A[:, 1]])
    with pytest.warns(UserWarning, match="components 1 and 3 have the same"):
        est = KnownComponentsMixture("precomputed", solver="em").fit(A)
    assert np.isinf(est.weights_stderr_[1]) and np.isinf(est.weights_stderr_[3])
    assert not np.isnan(est.confidence_interval(method="wald")).any()


def test_confidence_interval_validates_alpha():
    est = KnownComponentsMixture("precomputed").fit(_three(200))
    with pytest.raises(ValueError, match="alpha"):
        est.confidence_interval(1.5)


def test_stderr_of_many_zero_weights_on_a_grid():
    # empirical-Bayes grid: most weights are 0; each one's stderr is that of
    # the face (support + k), by finite differences on those columns only
    rng = np.random.default_rng(6)
    sd = np.array([1.0, 3.0])[rng.choice(2, size=3000, p=[0.6, 0.4])]
    x = rng.normal(0, sd)
    grid = np.r_[0, np.geomspace(0.1, 8, 14)]
    A = norm.logpdf(x[:, None], 0, np.sqrt(1 + grid**2))
    est = KnownComponentsMixture("precomputed").fit(A)
    support = np.flatnonzero(est.weights_ > 0)
    zeros = np.flatnonzero(est.weights_ == 0)
    assert len(support) >= 2 and len(zeros) >= 5
    for k in zeros[:: max(1, len(zeros) // 4)]:
        cols = np.r_[k, support]
        w = est.weights_[cols]
        se = stderr_from_information(free_information(A[:, cols], w, h=1e-4))
        np.testing.assert_allclose(est.weights_stderr_[k], se[0], rtol=2e-3)
