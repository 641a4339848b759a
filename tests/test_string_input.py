"""Strings in X raise a ValueError that says so, numbers written as text too
(the README says strings raise; NumPy would convert "1.5" silently)."""

import numpy as np
import pytest
from scipy.stats import norm

from skmix import KnownComponentsMixture, TwoGaussianMixturePi
from skmix._components import check_not_strings

STRINGS = [
    [["a"], ["b"]],
    [["1.5"], ["2"]],
    np.array([["1.5"], ["2"]]),
    [[b"1"], [b"2"]],
]


@pytest.mark.parametrize("X", STRINGS)
def test_check_not_strings(X):
    with pytest.raises(ValueError, match=r"X contains strings \(dtype [<|]?[US]"):
        check_not_strings(X)


@pytest.mark.parametrize("X", [[[1.5], [2.0]], np.ones((2, 1)), [[1, 2]], [[True]]])
def test_numbers_pass(X):
    check_not_strings(X)


@pytest.mark.parametrize(
    "estimator",
    [
        KnownComponentsMixture([norm(0, 1), norm(3, 1)]),
        KnownComponentsMixture("precomputed"),
        TwoGaussianMixturePi(),
    ],
)
@pytest.mark.parametrize("X", STRINGS)
def test_estimators_reject_strings(estimator, X):
    if getattr(estimator, "components", None) == "precomputed":
        X = np.hstack([np.asarray(X), np.asarray(X)])  # K = 2 columns
    with pytest.raises(ValueError, match="X contains strings"):
        estimator.fit(X)
