"""scikit-learn's estimator checks for KnownComponentsMixture, no expected failures."""

from scipy.stats import laplace, norm, poisson, t
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmix import KnownComponentsMixture


@parametrize_with_checks(
    [
        KnownComponentsMixture(),  # precomputed log-densities
        KnownComponentsMixture("precomputed", solver="em"),
        KnownComponentsMixture([norm(0, 1), norm(2, 1)]),
        KnownComponentsMixture([norm(0, 1), norm(2, 1)], solver="em"),
        KnownComponentsMixture([norm(-1, 2), t(df=3, loc=1), laplace(0, 0.5)]),
        KnownComponentsMixture(
            [norm(0, 1), laplace(3, 1), norm(-3, 2), t(df=5)],
            weights_init=[0.1, 0.2, 0.3, 0.4],
            solver="em",
        ),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_discrete_components_fit():
    # logpmf: counts from two Poisson populations
    import numpy as np

    rng = np.random.default_rng(0)
    X = np.r_[rng.poisson(2, 700), rng.poisson(9, 300)].reshape(-1, 1)
    est = KnownComponentsMixture([poisson(2), poisson(9)]).fit(X)
    assert est.kkt_gap_ <= 1e-8
    assert abs(est.weights_[0] - 0.7) < 0.05
