"""Component adapters: scipy's distributions (old and new), fitted estimators,
the repr and the clone of the ``components`` parameter."""

import numpy as np
import pytest
from _known_reference import kkt_gap
from scipy import stats
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KernelDensity

from skmix import KnownComponentsMixture
from skmix._components import ComponentsParamMixin, component_repr

NEW_DISTRIBUTIONS = pytest.mark.skipif(
    not hasattr(stats, "Normal"), reason="stats.Normal is new in SciPy 1.15"
)


if issubclass(KnownComponentsMixture, ComponentsParamMixin):
    _WithMixin = KnownComponentsMixture
else:

    class _WithMixin(ComponentsParamMixin, KnownComponentsMixture):
        """KnownComponentsMixture with the mixin, as the lead will declare it."""


def _rows_log_density(dist, X):
    """log f(x_i) by evaluating scipy on one row at a time."""
    return np.array([float(dist.logpdf(x)) for x in X])


def test_dirichlet_components_read_rows_when_n_equals_d():
    # a doubly stochastic X: its columns lie on the simplex too, so reading
    # columns instead of rows gives finite, wrong log-densities
    X = np.array([[0.2, 0.3, 0.5], [0.5, 0.2, 0.3], [0.3, 0.5, 0.2]])
    comps = [stats.dirichlet([1.0, 2.0, 6.0]), stats.dirichlet([5.0, 2.0, 1.0])]
    est = KnownComponentsMixture(comps).fit(X)
    A = np.column_stack([_rows_log_density(c, X) for c in comps])
    assert kkt_gap(A, est.weights_) <= 1e-8
    np.testing.assert_allclose(
        est.score_samples(X), logsumexp(A + np.log(est.weights_), axis=1)
    )


def test_multinomial_components_sample_rows():
    comps = [
        stats.multinomial(4, [0.2, 0.3, 0.5]),
        stats.multinomial(4, [0.6, 0.3, 0.1]),
    ]
    X = np.array([[1, 1, 2], [4, 0, 0], [0, 1, 3], [2, 2, 0]], dtype=float)
    est = KnownComponentsMixture(comps).fit(X)
    A = np.column_stack([[float(c.logpmf(x)) for x in X] for c in comps])
    assert kkt_gap(A, est.weights_) <= 1e-8
    Xs, ys = est.sample(50, random_state=0)
    assert Xs.shape == (50, 3) and ys.shape == (50,)
    np.testing.assert_array_equal(Xs.sum(axis=1), 4.0)  # 4 trials per row


@NEW_DISTRIBUTIONS
def test_new_scipy_discrete_distribution_uses_logpmf():
    rng = np.random.default_rng(0)
    X = np.r_[rng.binomial(10, 0.3, 300), rng.binomial(10, 0.7, 100)].reshape(-1, 1)
    comps = [stats.Binomial(n=10, p=0.3), stats.Binomial(n=10, p=0.7)]
    est = KnownComponentsMixture(comps).fit(X)
    A = np.column_stack([stats.binom(10, p).logpmf(X[:, 0]) for p in (0.3, 0.7)])
    assert kkt_gap(A, est.weights_) <= 1e-8
    assert np.all(np.isfinite(est.score_samples(X)))


@NEW_DISTRIBUTIONS
def test_new_scipy_distribution_draws_with_sample():
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (200, 2))
    comps = [stats.Normal(mu=0.0, sigma=1.0), stats.Normal(mu=50.0, sigma=1.0)]
    est = KnownComponentsMixture(comps).fit(X)
    A = np.column_stack([stats.norm(m, 1).logpdf(X).sum(axis=1) for m in (0, 50)])
    assert kkt_gap(A, est.weights_) <= 1e-8
    Xs, ys = est.sample(4000, random_state=0)
    assert Xs.shape == (4000, 2)
    # component 1 has weight ~0; the draws of component 0 are N(0, 1)
    assert abs(Xs[ys == 0].mean()) < 0.1 and abs(Xs[ys == 0].std() - 1) < 0.05


@pytest.mark.parametrize(
    ("component", "match"),
    [
        (stats.t, r"components\[1\] is the scipy distribution 't' itself.*t\(df=1\)"),
        (stats.norm, r"components\[1\] .*'norm' itself, which is not frozen"),
        (stats.poisson, r"not frozen; call it .*poisson\(mu=1\)"),
        (stats.multivariate_normal, r"'multivariate_normal' itself.*not frozen"),
        (stats.wishart(3, np.eye(2)), r"wishart.*not rows of X"),
        (GaussianMixture(), r"components\[1\] is a GaussianMixture that is not fitted"),
    ],
)
def test_components_that_are_no_fixed_density_raise(component, match):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=match):
        KnownComponentsMixture([stats.norm(), component]).fit(X)


def test_component_repr():
    assert component_repr(stats.norm(0, 1)) == "norm(loc=0, scale=1)"
    assert component_repr(stats.norm()) == "norm()"
    assert component_repr(stats.t(3, scale=2.5)) == "t(df=3, scale=2.5)"
    assert component_repr(stats.poisson(2.0, 1)) == "poisson(mu=2.0, loc=1)"
    assert component_repr(stats.dirichlet([1, 2])) == "dirichlet(alpha=[1, 2])"
    assert component_repr(stats.multivariate_t([0.0], [[2.0]], df=3)) == (
        "multivariate_t(loc=[0.0], shape=[[2.0]], df=3)"
    )
    gm = GaussianMixture(3)
    assert component_repr(gm) == repr(gm)


def _check_repr(est):
    text = repr(est)
    assert "object at 0x" not in text
    assert "components=[norm(loc=0, scale=1), t(df=3, loc=1)]" in text
    html = est._repr_html_()
    assert "object at 0x" not in html
    assert "norm(loc=0, scale=1)" in html


def test_repr_shows_frozen_distributions_by_their_parameters():
    est = _WithMixin([stats.norm(0, 1), stats.t(3, loc=1)])
    _check_repr(est)
    assert isinstance(est.components[0], type(stats.norm(0, 1)))  # not modified


def test_known_components_mixture_repr():
    _check_repr(KnownComponentsMixture([stats.norm(0, 1), stats.t(3, loc=1)]))


def _fitted_density_estimators():
    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(-2, 1, (300, 1)), rng.normal(2, 1, (100, 1))]
    gm = GaussianMixture(2, random_state=0).fit(rng.normal(-2, 1, (200, 1)))
    kde = KernelDensity(bandwidth=0.5).fit(rng.normal(2, 1, (200, 1)))
    return X, gm, kde


def _check_clone_keeps_fitted(cls):
    X, gm, kde = _fitted_density_estimators()
    est = cls([gm, kde, stats.norm(0, 5)])
    cloned = clone(est)
    assert cloned.components[0] is gm and cloned.components[1] is kde
    scores = cross_val_score(est, X, cv=3)
    # the score of each fold, computed independently with the fitted densities
    A = np.column_stack([gm.score_samples(X), kde.score_samples(X)])
    A = np.column_stack([A, stats.norm(0, 5).logpdf(X[:, 0])])
    folds = np.array_split(np.arange(X.shape[0]), 3)
    for score, test in zip(scores, folds, strict=True):
        train = np.setdiff1d(np.arange(X.shape[0]), test)
        w = KnownComponentsMixture("precomputed").fit(A[train]).weights_
        assert kkt_gap(A[train], w) <= 1e-8  # the fold's maximum
        expected = logsumexp(A[test], b=w, axis=1).mean()
        assert score == pytest.approx(expected, rel=1e-6)


def test_clone_keeps_fitted_density_estimators():
    _check_clone_keeps_fitted(_WithMixin)


def test_cross_val_score_with_fitted_density_estimators():
    _check_clone_keeps_fitted(KnownComponentsMixture)
