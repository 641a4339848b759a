"""Data and fits shared by the test modules (one place, each seeded locally).

Every function draws from its own ``numpy.random.default_rng(seed)`` or
``random_state=seed``: no module-level generator, so the data a test sees do
not depend on which tests ran before it.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skmix import TwoGaussianMixturePi, make_mixture
from skmix._densities import check_gaussian_components


def mixture_X(n=3000, *, pi=0.7, seed=0, **kwargs):
    """``X`` of ``make_mixture(n, pi=pi, random_state=seed, **kwargs)``."""
    return make_mixture(n, pi=pi, random_state=seed, **kwargs)[0]


def uniform_weights(n, low, high, seed):
    """``n`` sample weights drawn uniformly from ``[low, high)``."""
    return np.random.default_rng(seed).uniform(low, high, n)


def random_problem(n, d=1, seed=0):
    """Random components and data (not drawn from them): ``X, means, sigma``."""
    rng = np.random.default_rng(seed)
    means, sigma = check_gaussian_components(
        rng.normal(size=(2, d)), rng.uniform(0.5, 2, (2, d)), d
    )
    X = rng.normal(scale=2, size=(n, d))
    return X, means, sigma


def fit_quietly(X, sample_weight=None, **params):
    """``TwoGaussianMixturePi(**params).fit(X, sample_weight)``, with
    ``ConvergenceWarning`` and the one-sample warning silenced (for
    generated data, where reaching ``max_iter`` or one sample is allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "One sample", UserWarning)
        return TwoGaussianMixturePi(**params).fit(X, sample_weight=sample_weight)


def assert_same_fit(est, reference, rtol=1e-12):
    """Two fits of TwoGaussianMixturePi agree: iterations, path (pi and
    loglik), pi_, pi_stderr_ and both intervals, to ``rtol``."""
    assert est.n_iter_ == reference.n_iter_
    assert est.converged_ == reference.converged_
    for key in ("pi", "loglik"):
        np.testing.assert_allclose(
            est.history_[key], reference.history_[key], rtol=rtol, atol=0
        )
    assert est.pi_ == pytest.approx(reference.pi_, rel=rtol)
    assert est.pi_stderr_ == pytest.approx(reference.pi_stderr_, rel=rtol)
    for method in ("profile", "wald"):
        np.testing.assert_allclose(
            est.confidence_interval(method=method),
            reference.confidence_interval(method=method),
            rtol=rtol,
        )
