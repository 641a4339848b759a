"""bic, aic and sample, as in sklearn's GaussianMixture."""

import numpy as np
import pytest
from _reference import mixture_logpdf
from sklearn.exceptions import NotFittedError

from skmix import TwoGaussianMixturePi, make_mixture


def test_bic_and_aic_from_the_total_loglik():
    means, sigma = (0.0, 2.0), (1.0, 0.5)
    X, _ = make_mixture(700, means=means, sigma=sigma, pi=0.4, random_state=0)
    est = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X)
    X_new, _ = make_mixture(300, means=means, sigma=sigma, pi=0.4, random_state=1)
    total = mixture_logpdf(X_new, means, sigma, est.pi_).sum()
    assert est.bic(X_new) == pytest.approx(-2 * total + np.log(300), rel=1e-12)
    assert est.aic(X_new) == pytest.approx(-2 * total + 2, rel=1e-12)


def test_bic_prefers_the_true_components():
    X, _ = make_mixture(2000, means=(0.0, 2.0), pi=0.8, random_state=2)
    right = TwoGaussianMixturePi(means=(0.0, 2.0)).fit(X)
    wrong = TwoGaussianMixturePi(means=(0.5, 3.0)).fit(X)
    assert right.bic(X) < wrong.bic(X)
    assert right.aic(X) < wrong.aic(X)


@pytest.mark.parametrize("n_features", [1, 3])
def test_sample_draws_from_the_fitted_mixture(n_features):
    means = np.array([[0.0] * n_features, [5.0] * n_features])
    X, _ = make_mixture(
        500,
        n_features=n_features,
        means=means,
        sigma=(1.0, 2.0),
        pi=0.3,
        random_state=3,
    )
    est = TwoGaussianMixturePi(means=means, sigma=(1.0, 2.0)).fit(X)
    Xs, ys = est.sample(40_000, random_state=0)
    assert Xs.shape == (40_000, n_features) and Xs.dtype == np.float64
    assert ys.shape == (40_000,) and set(np.unique(ys)) == {0, 1}
    assert np.mean(ys == 0) == pytest.approx(est.pi_, abs=0.01)
    np.testing.assert_allclose(Xs[ys == 0].mean(axis=0), 0.0, atol=0.05)
    np.testing.assert_allclose(Xs[ys == 1].std(axis=0), 2.0, rtol=0.03)
    # reproducible, and different for another seed
    np.testing.assert_array_equal(
        est.sample(10, random_state=5)[0], est.sample(10, random_state=5)[0]
    )
    assert not np.array_equal(
        est.sample(10, random_state=5)[0], est.sample(10, random_state=6)[0]
    )


def test_sample_default_is_one_sample():
    X, _ = make_mixture(100, random_state=0)
    Xs, ys = TwoGaussianMixturePi().fit(X).sample()
    assert Xs.shape == (1, 1) and ys.shape == (1,)


@pytest.mark.parametrize("n_samples", [0, -3, 2.5])
def test_sample_bad_size_raises(n_samples):
    X, _ = make_mixture(100, random_state=0)
    est = TwoGaussianMixturePi().fit(X)
    with pytest.raises(ValueError, match="n_samples"):
        est.sample(n_samples)


@pytest.mark.parametrize("method", ["bic", "aic"])
def test_needs_a_fit(method):
    with pytest.raises(NotFittedError):
        getattr(TwoGaussianMixturePi(), method)([[0.0]])
    with pytest.raises(NotFittedError):
        TwoGaussianMixturePi().sample(3)
