"""KnownComponentsMixture: component adapters, bad input, predictions, API."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from _known_reference import kkt_gap, loglik
from scipy.special import logsumexp
from scipy.stats import laplace, multivariate_normal, norm, poisson, t
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from skmix import KnownComponentsMixture

RNG = np.random.default_rng(0)
X1 = np.r_[RNG.normal(-2, 1, 600), RNG.normal(1, 2, 300), RNG.laplace(4, 1, 100)]
X1 = X1.reshape(-1, 1)
COMPS = [norm(-2, 1), norm(1, 2), laplace(4, 1)]


def _manual(X, comps):
    return np.column_stack([c.logpdf(X).sum(axis=1) for c in comps])


def test_scipy_components_equal_precomputed():
    est = KnownComponentsMixture(COMPS).fit(X1)
    A = _manual(X1, COMPS)
    pre = KnownComponentsMixture("precomputed").fit(A)
    np.testing.assert_allclose(est.weights_, pre.weights_, rtol=1e-12)
    assert kkt_gap(A, est.weights_) <= 1e-8
    np.testing.assert_allclose(est.loglik_, loglik(A, est.weights_), rtol=1e-12)
    # predictions against hand computation
    B = A + np.log(est.weights_)
    np.testing.assert_allclose(est.score_samples(X1), logsumexp(B, axis=1), rtol=1e-12)
    P = np.exp(B - logsumexp(B, axis=1, keepdims=True))
    np.testing.assert_allclose(est.predict_proba(X1), P, rtol=1e-10, atol=1e-300)
    np.testing.assert_array_equal(est.predict(X1), P.argmax(axis=1))
    np.testing.assert_allclose(est.score(X1), logsumexp(B, axis=1).mean())
    n = len(X1)
    ll = logsumexp(B, axis=1).sum()
    np.testing.assert_allclose(est.bic(X1), -2 * ll + 2 * np.log(n))
    np.testing.assert_allclose(est.aic(X1), -2 * ll + 4)
    np.testing.assert_array_equal(pre.predict(A), est.predict(X1))


def test_univariate_components_on_several_columns_are_independent():
    X = RNG.normal(size=(500, 3)) + np.where(RNG.uniform(size=(500, 1)) < 0.3, 2, 0)
    comps = [norm(0, 1), norm(2, 1)]
    est = KnownComponentsMixture(comps).fit(X)
    A = _manual(X, comps)
    assert kkt_gap(A, est.weights_) <= 1e-8
    np.testing.assert_allclose(est.loglik_, loglik(A, est.weights_), rtol=1e-12)


def test_multivariate_and_fitted_estimators():
    rng = np.random.default_rng(1)
    cov = [[1.0, 0.8], [0.8, 1.0]]
    X = np.r_[rng.multivariate_normal([0, 0], cov, 700), rng.normal(3, 1, (300, 2))]
    kde = KernelDensity(bandwidth=0.5).fit(rng.normal(3, 1, (400, 2)))
    gm = GaussianMixture(2, random_state=0).fit(
        rng.multivariate_normal([0, 0], cov, 400)
    )
    mvn = multivariate_normal([0, 0], cov)
    est = KnownComponentsMixture([mvn, kde]).fit(X)
    A = np.column_stack([mvn.logpdf(X), kde.score_samples(X)])
    assert kkt_gap(A, est.weights_) <= 1e-8
    assert abs(est.weights_[0] - 0.7) < 0.05
    est2 = KnownComponentsMixture([gm, kde]).fit(X)
    A2 = np.column_stack([gm.score_samples(X), kde.score_samples(X)])
    assert kkt_gap(A2, est2.weights_) <= 1e-8
    # sampling from components that can draw: GaussianMixture and KDE
    Xs, ys = est2.sample(2000, random_state=0)
    assert Xs.shape == (2000, 2) and set(np.unique(ys)) <= {0, 1}
    assert abs(ys.mean() - est2.weights_[1]) < 0.05
    Xs, ys = est.sample(10, random_state=3)
    assert Xs.shape == (10, 2)


def test_discrete_components_use_logpmf():
    rng = np.random.default_rng(2)
    X = np.r_[rng.poisson(2, 700), rng.poisson(8, 300)].reshape(-1, 1)
    comps = [poisson(2), poisson(8)]
    est = KnownComponentsMixture(comps).fit(X)
    A = np.column_stack([c.logpmf(X[:, 0]) for c in comps])
    assert kkt_gap(A, est.weights_) <= 1e-8


def test_sample_from_scipy_components():
    est = KnownComponentsMixture(COMPS).fit(X1)
    X, y = est.sample(20000, random_state=0)
    assert X.shape == (20000, 1)
    np.testing.assert_allclose(np.bincount(y) / 20000, est.weights_, atol=0.015)
    np.testing.assert_allclose(X[y == 0].mean(), -2, atol=0.05)
    with pytest.raises(ValueError, match="precomputed"):
        KnownComponentsMixture().fit(_manual(X1, COMPS)).sample(3)


@pytest.mark.parametrize(
    ("components", "X", "match"),
    [
        ([norm()], X1, "at least 2"),
        ([norm(), object()], X1, r"components\[1\] must be a frozen scipy"),
        (
            [multivariate_normal([0, 0]), multivariate_normal([0, 0, 0])],
            np.zeros((3, 2)),
            "same dimension",
        ),
        ([multivariate_normal([0, 0]), norm()], np.zeros((3, 3)), "3 feature"),
        ("precomputed", np.zeros((3, 1)), "1 feature"),
        ("precomputed", np.array([[0.0, np.nan]]), "NaN"),
        ("precomputed", np.array([[0.0, np.inf]]), r"\+inf"),
        ("precomputed", np.array([[0.0, 0.0], [-np.inf, -np.inf]]), "sample 1"),
    ],
)
def test_bad_input_raises_value_error(components, X, match):
    with pytest.raises(ValueError, match=match):
        KnownComponentsMixture(components).fit(X)


def test_bad_weights_init_and_sample_weight():
    A = _manual(X1, COMPS)
    with pytest.raises(ValueError, match="shape"):
        KnownComponentsMixture(weights_init=[0.5, 0.5]).fit(A)
    with pytest.raises(ValueError, match="simplex"):
        KnownComponentsMixture(weights_init=[0.5, 0.7, -0.2]).fit(A)
    with pytest.raises(ValueError, match="non-zero"):
        KnownComponentsMixture().fit(A, sample_weight=np.zeros(len(A)))
    with pytest.raises(ValueError, match=r"(?i)negative"):
        KnownComponentsMixture().fit(A, sample_weight=-np.ones(len(A)))


def test_wrong_width_at_predict_time():
    A = _manual(X1, COMPS)
    est = KnownComponentsMixture().fit(A)
    with pytest.raises(ValueError, match="3 features"):
        est.predict_proba(A[:, :2])
    est = KnownComponentsMixture([multivariate_normal([0, 0]), norm(1)])
    est.fit(np.arange(8.0).reshape(4, 2))
    with pytest.raises(ValueError, match="features"):
        est.score_samples(np.zeros((3, 3)))


def test_inputs_not_modified_and_sample_weight_as_repeats():
    A = _manual(X1, COMPS)
    A[::11, 2] = -np.inf
    keep = A.copy()
    est = KnownComponentsMixture().fit(A)
    est.predict_proba(A), est.score_samples(A)
    np.testing.assert_array_equal(A, keep)
    counts = np.random.default_rng(3).integers(0, 3, len(A))
    w = KnownComponentsMixture().fit(A, sample_weight=counts).weights_
    rep = KnownComponentsMixture().fit(np.repeat(A, counts, axis=0)).weights_
    np.testing.assert_allclose(w, rep, atol=1e-9)


def test_zero_weight_components_give_finite_posteriors():
    A = _manual(X1, COMPS)
    est = KnownComponentsMixture(weights_init=[0.5, 0.5, 0.0], solver="em").fit(A)
    assert est.weights_[2] == 0.0
    # a sample only component 2 can explain
    new = np.array([[-np.inf, -np.inf, -1.0], [-1.0, -2.0, -3.0]])
    P = est.predict_proba(new)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P[0], [0, 0, 1])
    assert est.score_samples(new)[0] == -np.inf


def test_history_table_warm_start_verbose_and_convergence_warning(capsys):
    A = _manual(X1, COMPS)
    est = KnownComponentsMixture(solver="em", verbose=1).fit(A)
    table = pd.DataFrame(est.history_)
    assert list(table.columns) == [
        "iteration",
        "loglik",
        "diff_loglik",
        "weight_0",
        "weight_1",
        "weight_2",
    ]
    assert len(table) == est.n_iter_ + 1
    assert "Iteration" in capsys.readouterr().out
    with pytest.warns(ConvergenceWarning, match="max_iter=2") as caught:
        KnownComponentsMixture(solver="em", max_iter=2).fit(A)
    # at the caller (a fixed stacklevel named sklearn/base.py's fit wrapper)
    assert [w.filename for w in caught] == [__file__]
    warm = KnownComponentsMixture(solver="em", warm_start=True).fit(A)
    n_first = warm.n_iter_
    warm.fit(A)
    assert warm.n_iter_ < n_first


def test_pickle_is_small_and_clone_gridsearch_work():
    A = _manual(np.tile(X1, (50, 1)), COMPS)
    est = KnownComponentsMixture().fit(A)
    assert len(pickle.dumps(est)) < 20_000  # O(K) state, not the data
    est2 = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est2.weights_, est.weights_)
    grid = GridSearchCV(
        KnownComponentsMixture(COMPS), {"solver": ["em", "sqp"]}, cv=3
    ).fit(X1)
    assert grid.best_estimator_.solver in ("em", "sqp")
    c = clone(est)
    assert not hasattr(c, "weights_")


def test_extreme_values_stay_finite():
    # samples far in the tails: log-densities ~ -5e11, still finite weights
    X = np.r_[X1[:, 0], [1e6, -1e6]].reshape(-1, 1)
    est = KnownComponentsMixture([norm(0, 1), t(df=2)]).fit(X)
    assert np.all(np.isfinite(est.weights_)) and np.isfinite(est.loglik_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = est.predict_proba(X)
    assert np.all(np.isfinite(P))


def test_weights_init_with_a_sample_of_zero_density_raises():
    A = np.array([[0.0, -np.inf], [-np.inf, 0.0], [-1.0, -2.0]])
    for solver in ("em", "sqp"):
        with pytest.raises(ValueError, match="density of 0"):
            KnownComponentsMixture(weights_init=[1.0, 0.0], solver=solver).fit(A)


def test_sqp_recovers_from_a_badly_scaled_start():
    # a start where the Newton model is badly scaled (curvature ~1e14 in one
    # sample): the EM fallback and SQP still reach the certified maximum
    A = np.full((11, 3), -np.inf)
    A[:, 0] = 0.0
    A[1] = [-16.0, 0.0, -np.inf]
    est = KnownComponentsMixture(weights_init=[1.0, 0.0, 0.0]).fit(A)
    assert est.converged_ and kkt_gap(A, est.weights_) <= 1e-8
    # the maximum by hand: 10 log(1 - w1) + log((1 - w1) e + w1) is maximal
    # at w1 = (1 - 11 e) / (11 (1 - e)), e = exp(-16); w2 = 0
    e = np.exp(-16.0)
    assert est.weights_[2] == 0.0
    np.testing.assert_allclose(
        est.weights_[1], (1 - 11 * e) / (11 * (1 - e)), rtol=1e-9
    )
