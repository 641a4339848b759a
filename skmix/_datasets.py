"""Samples from a two-component Gaussian mixture."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._densities import check_gaussian_components


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "means": ["array-like"],
        "sigma": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "pi": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_mixture(
    n_samples=100,
    *,
    n_features=1,
    means=(0.0, 2.0),
    sigma=1.0,
    pi=0.8,
    random_state=None,
):
    """Draw samples from a mixture of two Gaussians and their components.

    Each sample comes from component 0 with probability ``pi`` and from
    component 1 otherwise; its features are then independent Gaussians with
    that component's means and standard deviations. This is the model that
    :class:`~skmix.TwoGaussianMixturePi` fits.

    Parameters
    ----------
    n_samples : int, default=100
        Number of samples.

    n_features : int, default=1
        Number of features.

    means : array-like of shape (2,) or (2, n_features), default=(0.0, 2.0)
        Mean of each component, for every feature or one per feature.

    sigma : float or array-like of shape (2,) or (2, n_features), default=1.0
        Standard deviation, positive: common, one per component, or one per
        component and feature.

    pi : float, default=0.8
        Probability of component 0, in [0, 1].

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible
        output across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples, float64.

    y : ndarray of shape (n_samples,)
        The component of each sample: 0 or 1 (integers).

    See Also
    --------
    TwoGaussianMixturePi : Estimate ``pi`` from such samples.
    sklearn.datasets.make_blobs : Isotropic Gaussian blobs with labels.

    Examples
    --------
    >>> from skmix import make_mixture
    >>> X, y = make_mixture(5, pi=0.5, random_state=0)
    >>> X.shape, y.shape
    ((5, 1), (5,))
    >>> y
    array([1, 1, 1, 1, 0])
    >>> X.round(2)
    array([[1.16],
           [3.97],
           [3.27],
           [1.49],
           [2.55]])
    """
    for name, value in (("means", means), ("sigma", sigma)):
        shape = np.shape(value)
        if len(shape) == 2 and shape[1] != n_features:
            raise ValueError(
                f"{name} has shape {shape}, that is {shape[1]} features, but "
                f"n_features={n_features}. Give {name} of shape (2,) or "
                f"(2, {n_features}), or n_features={shape[1]}."
            )
    means, sigma = check_gaussian_components(
        means, sigma, n_features, identifiable=False
    )
    generator = check_random_state(random_state)
    y = (generator.uniform(size=n_samples) > pi).astype(np.intp)
    X = means[y] + sigma[y] * generator.standard_normal((n_samples, n_features))
    return X, y
