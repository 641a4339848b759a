import numpy as np
import pytest
from scipy.stats import kstest, norm
from sklearn.utils._param_validation import InvalidParameterError

from skmix import make_mixture


def test_shapes_and_dtypes():
    X, y = make_mixture(37, n_features=3, random_state=0)
    assert X.shape == (37, 3) and X.dtype == np.float64
    assert y.shape == (37,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) <= {0, 1}


def test_random_state_reproducible():
    a = make_mixture(50, random_state=3)
    b = make_mixture(50, random_state=np.random.RandomState(3))
    c = make_mixture(50, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("pi", [0.1, 0.5, 0.8])
def test_label_frequency_is_pi(pi):
    n = 200_000
    _, y = make_mixture(n, pi=pi, random_state=0)
    se = np.sqrt(pi * (1 - pi) / n)
    assert abs(np.mean(y == 0) - pi) < 5 * se


def test_boundary_pi():
    assert np.all(make_mixture(100, pi=0.0, random_state=0)[1] == 1)
    assert np.all(make_mixture(100, pi=1.0, random_state=0)[1] == 0)


def test_conditional_moments_per_component_and_feature():
    means = np.array([[0.0, 5.0], [-3.0, 1.0]])
    sigma = np.array([[1.0, 0.5], [2.0, 3.0]])
    n = 100_000
    X, y = make_mixture(
        n, n_features=2, means=means, sigma=sigma, pi=0.4, random_state=1
    )
    for k in range(2):
        Xk = X[y == k]
        se_mean = sigma[k] / np.sqrt(len(Xk))
        assert np.all(np.abs(Xk.mean(axis=0) - means[k]) < 5 * se_mean)
        se_sd = sigma[k] / np.sqrt(2 * len(Xk))
        assert np.all(np.abs(Xk.std(axis=0) - sigma[k]) < 5 * se_sd)
    # independent features within a component
    assert abs(np.corrcoef(X[y == 0].T)[0, 1]) < 5 / np.sqrt(np.sum(y == 0))


def test_marginal_is_the_mixture():
    pi, mu, s = 0.8, (0.0, 2.0), (1.0, 1.5)
    X, _ = make_mixture(20_000, means=mu, sigma=s, pi=pi, random_state=2)

    def cdf(x):
        return pi * norm.cdf(x, mu[0], s[0]) + (1 - pi) * norm.cdf(x, mu[1], s[1])

    assert kstest(X[:, 0], cdf).pvalue > 1e-3
    # and not the mixture with another proportion
    assert (
        kstest(
            X[:, 0], lambda x: 0.6 * norm.cdf(x, 0, 1) + 0.4 * norm.cdf(x, 2, 1.5)
        ).pvalue
        < 1e-6
    )


def test_identical_components_are_allowed_for_sampling():
    X, y = make_mixture(20_000, means=(1.0, 1.0), random_state=0)
    assert set(np.unique(y)) == {0, 1}
    assert kstest(X[:, 0], norm(1.0, 1.0).cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, InvalidParameterError, "n_samples"),
        ({"n_features": 0}, InvalidParameterError, "n_features"),
        ({"pi": 1.5}, InvalidParameterError, "pi"),
        ({"pi": -0.1}, InvalidParameterError, "pi"),
        ({"sigma": -1.0}, InvalidParameterError, "sigma"),
        ({"sigma": (1.0, 0.0)}, ValueError, r"sigma must be > 0"),
        ({"means": (0.0, 1.0, 2.0)}, ValueError, r"means must have shape"),
        (
            {"means": [[0, 1], [1, 0]], "n_features": 3},
            ValueError,
            r"means has shape \(2, 2\), that is 2 features, but n_features=3",
        ),
        ({"random_state": "seed"}, InvalidParameterError, "random_state"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_mixture(**{"n_samples": 10, **kwargs})


@pytest.mark.parametrize("name", ["means", "sigma"])
def test_components_for_other_features_name_n_features(name):
    # (2, 3) parameters with the default n_features=1: there is no X to blame
    value = np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]) + (name == "sigma")
    with pytest.raises(ValueError, match=r"n_features=1") as info:
        make_mixture(10, **{name: value})
    message = str(info.value)
    assert name in message and "(2, 3)" in message and "X has" not in message
