"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmix import TwoGaussianMixturePi


@parametrize_with_checks(
    [
        TwoGaussianMixturePi(),
        TwoGaussianMixturePi(sigma=(1.0, 2.0)),
        TwoGaussianMixturePi(means=(1.0, -1.0), sigma=(0.5, 3.0), pi_init=0.2),
        TwoGaussianMixturePi(sigma=(1.0, 2.0), solver="newton"),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
