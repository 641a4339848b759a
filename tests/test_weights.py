"""Sample weights: a weighted likelihood, equal to repeating or dropping rows."""

import numpy as np
import pytest
from _helpers import mixture_X as _data
from _reference import component_pdfs, seed_em

from skmix import TwoGaussianMixturePi

SOLVERS = ["em", "newton"]


def test_weighted_history_matches_weighted_vignette_formulas():
    means, sigma = (-1.0, 1.5), (0.7, 1.3)
    X = _data(means=means, sigma=sigma)
    weight = np.random.default_rng(1).uniform(0.1, 3.0, len(X))
    # the rule: increases in units of the smallest weight
    tol = 1e-5 * weight.min()
    ref = seed_em(*component_pdfs(X, means, sigma), 0.5, tol=tol, weight=weight)
    est = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X, sample_weight=weight)
    assert est.n_iter_ == len(ref["pi"]) - 1
    np.testing.assert_allclose(est.history_["pi"], ref["pi"], rtol=1e-10)
    np.testing.assert_allclose(est.history_["loglik"], ref["loglik"], rtol=1e-10)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("n_features", [1, 2])
def test_integer_weights_equal_repeated_rows(solver, n_features):
    X = _data(500, n_features=n_features)
    counts = np.random.default_rng(2).integers(1, 4, len(X))
    est = TwoGaussianMixturePi(solver=solver)
    weighted = est.fit(X, sample_weight=counts).history_
    repeated = TwoGaussianMixturePi(solver=solver).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted["pi"], repeated.history_["pi"], rtol=1e-11)
    np.testing.assert_allclose(
        weighted["loglik"], repeated.history_["loglik"], rtol=1e-11
    )
    assert est.pi_stderr_ == pytest.approx(repeated.pi_stderr_, rel=1e-10)


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_weights_equal_dropping_rows(solver):
    X = _data(400)
    # rows of weight 0, far beyond float64's squares: they must not count
    X_extra = np.vstack([X, [[1e300], [-1e300], [5.0]]])
    weight = np.r_[np.ones(len(X)), 0.0, 0.0, 0.0]
    est = TwoGaussianMixturePi(solver=solver).fit(X_extra, sample_weight=weight)
    ref = TwoGaussianMixturePi(solver=solver).fit(X)
    assert np.isfinite(est.loglik_)
    np.testing.assert_allclose(est.history_["pi"], ref.history_["pi"], rtol=1e-12)
    np.testing.assert_allclose(
        est.history_["loglik"], ref.history_["loglik"], rtol=1e-12
    )


def test_unit_weights_equal_no_weights():
    X = _data()
    est = TwoGaussianMixturePi().fit(X, sample_weight=np.ones(len(X)))
    ref = TwoGaussianMixturePi().fit(X)
    np.testing.assert_allclose(est.history_["loglik"], ref.history_["loglik"])


def test_scaling_the_weights_keeps_pi_and_scales_the_loglik():
    X = _data()
    weight = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    one = TwoGaussianMixturePi(solver="newton").fit(X, sample_weight=weight)
    ten = TwoGaussianMixturePi(solver="newton").fit(X, sample_weight=10 * weight)
    assert ten.pi_ == pytest.approx(one.pi_, rel=1e-9)
    assert ten.loglik_ == pytest.approx(10 * one.loglik_, rel=1e-12)
    # ten times the weight is ten times the information
    assert ten.pi_stderr_ == pytest.approx(one.pi_stderr_ / np.sqrt(10), rel=1e-6)


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (-np.ones(5), "Negative values"),
        (np.zeros(5), "zero"),
        (np.r_[1.0, np.nan, 1.0, 1.0, 1.0], "NaN"),
        (np.ones(4), "sample_weight.shape"),
        (np.ones((5, 2)), "1D array or scalar"),
    ],
)
def test_bad_weights_raise(weight, match):
    X = _data(5)
    with pytest.raises(ValueError, match=match):
        TwoGaussianMixturePi().fit(X, sample_weight=weight)


def test_weights_are_not_modified():
    X = _data(100)
    weight = np.r_[np.zeros(10), np.linspace(0.5, 2, 90)]
    before = weight.copy()
    TwoGaussianMixturePi().fit(X, sample_weight=weight)
    np.testing.assert_array_equal(weight, before)


@pytest.mark.parametrize("scale", [1.0 / 3000, 5e-7, 1e6])
def test_scaling_the_weights_changes_nothing_but_the_loglik(scale):
    """Issue 9.5: weights 1/n or 5e-7 stopped EM early at a wrong pi."""
    X = _data()
    weight = np.random.default_rng(4).uniform(0.5, 2.0, len(X))
    base = TwoGaussianMixturePi().fit(X, sample_weight=weight)
    scaled = TwoGaussianMixturePi().fit(X, sample_weight=scale * weight)
    assert scaled.n_iter_ == base.n_iter_
    assert abs(scaled.pi_ - base.pi_) < 1e-12
    assert scaled.loglik_ == pytest.approx(scale * base.loglik_, rel=1e-12)
    # uniform weights 1/n: the unweighted fit
    plain = TwoGaussianMixturePi().fit(X)
    uniform = TwoGaussianMixturePi().fit(X, sample_weight=np.full(len(X), scale))
    assert uniform.n_iter_ == plain.n_iter_
    assert abs(uniform.pi_ - plain.pi_) < 1e-12


def test_weights_whose_sum_overflows_raise_a_clear_error():
    """Issue 9.15: sample_weight=1e308 raised OverflowError from fsum."""
    X = _data(10)
    with pytest.raises(ValueError, match=r"sample_weight.*overflows float64"):
        TwoGaussianMixturePi().fit(X, sample_weight=np.full(10, 1e308))
