"""KnownComponentsMixture defects of issue 17, each checked on the public API.

Every expected value is computed in the test (closed forms, log-space
transcriptions), never taken from the estimator.
"""

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm, uniform
from sklearn import config_context

from skmix import KnownComponentsMixture

RNG = np.random.default_rng(17)
A = RNG.normal(size=(60, 3))


def _fitted():
    return KnownComponentsMixture("precomputed").fit(A)


# -- predictions with a per-row constant ----------------------------------------


@pytest.mark.parametrize("shift", [1e15, 1e17, 1e300, -1e300])
def test_predictions_with_a_per_row_constant_equal_the_weights(shift):
    # equal log-densities, whatever their common value, leave the prior
    est = _fitted()
    w = est.weights_
    rows = np.full((2, 3), shift)
    rows[1, 2] = -np.inf
    expected = np.vstack([w, [w[0], w[1], 0.0] / (w[0] + w[1])])
    proba = est.predict_proba(rows)
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(
            est.predict_log_proba(rows), np.log(expected), rtol=1e-12
        )
    np.testing.assert_array_equal(est.predict(rows), expected.argmax(axis=1))
    np.testing.assert_allclose(est.score_samples(rows[:1]), [shift], rtol=1e-15)


def test_predictions_with_a_per_row_constant_dask():
    da = pytest.importorskip("dask.array")
    est = _fitted()
    rows = np.full((4, 3), 1e17)
    proba = est.predict_proba(da.from_array(rows, chunks=(2, 3))).compute()
    np.testing.assert_allclose(proba, np.tile(est.weights_, (4, 1)), rtol=1e-12)


def test_predictions_with_a_per_row_constant_array_api():
    xp = pytest.importorskip("array_api_strict")
    with config_context(array_api_dispatch=True):
        est = KnownComponentsMixture().fit(xp.asarray(A))
        rows = xp.asarray(np.full((3, 3), -1e300))
        proba = np.asarray(est.predict_proba(rows))
        log_density = np.asarray(est.score_samples(rows))
    w = np.asarray(est.weights_)
    np.testing.assert_allclose(proba, np.tile(w, (3, 1)), rtol=1e-12)
    np.testing.assert_allclose(log_density, -1e300, rtol=1e-15)


# -- samples outside every component's support ----------------------------------


def test_sample_outside_every_support():
    rng = np.random.default_rng(0)
    comps = [uniform(0, 1), uniform(1, 1)]
    est = KnownComponentsMixture(comps).fit(rng.uniform(0, 2, (200, 1)))
    X = np.array([[0.5], [5.0], [1.5]])
    inside = np.array([[0.5], [1.5]])
    log_density = est.score_samples(X)
    assert log_density[1] == -np.inf
    np.testing.assert_allclose(log_density[[0, 2]], est.score_samples(inside))
    assert est.score(X) == -np.inf
    # no information in the sample: the posterior is the prior, weights_
    proba = est.predict_proba(X)
    assert not np.isnan(proba).any()
    np.testing.assert_allclose(proba[1], est.weights_, rtol=1e-15)
    np.testing.assert_allclose(
        est.predict_log_proba(X)[1], np.log(est.weights_), rtol=1e-15
    )
    assert est.predict(X)[1] == np.argmax(est.weights_)
    # precomputed too; NaN and +inf still raise
    pre = _fitted()
    dead = np.full((1, 3), -np.inf)
    assert pre.score_samples(dead)[0] == -np.inf
    np.testing.assert_allclose(pre.predict_proba(dead)[0], pre.weights_)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        pre.predict_proba(np.array([[0.0, np.nan, 1.0]]))


# -- set_params after fit ---------------------------------------------------------


def test_set_params_components_needs_a_refit():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, 50), rng.normal(2, 1, 30)].reshape(-1, 1)
    comps = [norm(0, 1), norm(2, 1)]
    est = KnownComponentsMixture(list(comps)).fit(X)
    B = np.column_stack([c.logpdf(X[:, 0]) for c in comps]) + np.log(est.weights_)
    expected = np.exp(B - logsumexp(B, axis=1, keepdims=True))
    est.set_params(components=[norm(5, 1), norm(-5, 1), norm(0, 3)])
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_allclose(est.score_samples(X), logsumexp(B, axis=1))
    Xs, _ = est.sample(500, random_state=0)  # drawn from the fitted components
    assert abs(Xs.mean() - (2 * est.weights_[1])) < 0.3
    est.fit(X)  # the next fit takes the new components
    assert est.weights_.shape == (3,)


# -- sample weights -----------------------------------------------------------------


@pytest.mark.parametrize("solver", ["sqp", "em"])
def test_huge_sample_weights_give_the_unweighted_maximum(solver):
    # equal weights change nothing but the totals (scaled by the weight)
    ref = KnownComponentsMixture(solver=solver).fit(A)
    for each in (2e306, 1e307):  # the second: a sum beyond float64
        est = KnownComponentsMixture(solver=solver).fit(
            A, sample_weight=np.full(len(A), each)
        )
        np.testing.assert_allclose(est.weights_, ref.weights_, rtol=1e-12, atol=1e-15)
        assert est.converged_ and est.kkt_gap_ <= max(ref.kkt_gap_, 1e-12) * 10
        # information scales with the weight: stderr with its square root
        np.testing.assert_allclose(
            est.weights_stderr_, ref.weights_stderr_ / np.sqrt(each), rtol=1e-9
        )
        expected = ref.loglik_ * each
        assert est.loglik_ == pytest.approx(expected, rel=1e-12) or (
            not np.isfinite(expected) and est.loglik_ == expected
        )


def test_weight_zero_leaves_a_row_of_minus_inf_out():
    bad = np.vstack([A, np.full((1, 3), -np.inf)])
    s = np.r_[np.ones(len(A)), 0.0]
    for solver in ("sqp", "em"):
        est = KnownComponentsMixture(solver=solver).fit(bad, sample_weight=s)
        ref = KnownComponentsMixture(solver=solver).fit(A)
        np.testing.assert_array_equal(est.weights_, ref.weights_)
        assert est.loglik_ == ref.loglik_
    rng = np.random.default_rng(3)
    X = np.r_[rng.uniform(0, 2, 100), 7.0].reshape(-1, 1)
    comps = [uniform(0, 1), uniform(1, 1)]
    s = np.r_[np.ones(100), 0.0]
    est = KnownComponentsMixture(comps).fit(X, sample_weight=s)
    ref = KnownComponentsMixture(comps).fit(X[:100])
    np.testing.assert_array_equal(est.weights_, ref.weights_)
    with pytest.raises(ValueError, match="sample 100 has density 0"):
        KnownComponentsMixture(comps).fit(X)
    s = np.r_[0.0, np.ones(100)]  # errors name the sample in X
    with pytest.raises(ValueError, match="sample 100 has density 0"):
        KnownComponentsMixture(comps).fit(X, sample_weight=s)


# -- dask X with scipy components and NaN / inf -------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_dask_scipy_components_bad_x_message_is_numpy_s(bad):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 1))
    comps = [norm(0, 1), norm(2, 1)]
    X_bad = X.copy()
    X_bad[7, 0] = bad
    with pytest.raises(ValueError) as numpy_error:
        KnownComponentsMixture(comps).fit(X_bad)
    with pytest.raises(ValueError) as dask_error:
        KnownComponentsMixture(comps).fit(da.from_array(X_bad, chunks=(10, 1)))
    assert str(dask_error.value) == str(numpy_error.value)
    est = KnownComponentsMixture(comps).fit(X)
    with pytest.raises(ValueError) as numpy_error:
        est.predict_proba(X_bad)
    with pytest.raises(ValueError) as dask_error:
        est.predict_proba(da.from_array(X_bad, chunks=(10, 1))).compute()
    assert str(dask_error.value) == str(numpy_error.value)


# -- new-user frictions ---------------------------------------------------------------


def test_likelihoods_passed_as_log_densities_warn():
    # mixsqp's L: likelihoods, each row scaled to a maximum of 1
    L = np.exp(A - A.max(axis=1, keepdims=True))
    with pytest.warns(UserWarning, match="looks like likelihoods"):
        KnownComponentsMixture("precomputed").fit(L)
    with warnings.catch_warnings():  # log-densities do not warn
        warnings.simplefilter("error", UserWarning)
        KnownComponentsMixture("precomputed").fit(np.log(L))
        KnownComponentsMixture("precomputed").fit(L * 0.5)  # maxima 0.5


def test_no_components_says_it_means_precomputed():
    with pytest.raises(ValueError, match="components=None means 'precomputed'"):
        KnownComponentsMixture().fit(np.zeros((5, 1)))
    with pytest.raises(ValueError, match="components=None means 'precomputed'"):
        KnownComponentsMixture().fit(np.full((5, 2), -np.inf))


@pytest.mark.parametrize(
    "make",
    [
        lambda: KnownComponentsMixture([norm(0, 1), norm(2, 1)]),
        lambda: __import__("skmix").TwoGaussianMixturePi(),
    ],
)
def test_1d_x_short_message_with_reshape_hint(make):
    x = np.linspace(0, 1, 1000)
    with pytest.raises(ValueError) as error:
        make().fit(x)
    message = str(error.value)
    assert "X.reshape(-1, 1)" in message and "(1000,)" in message
    assert len(message) < 300  # not the array
    est = make().fit(x.reshape(-1, 1))
    with pytest.raises(ValueError, match="reshape"):
        est.predict(x)


def test_identical_components_warn():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 1))
    with pytest.warns(UserWarning, match="components 0 and 2 have the same"):
        KnownComponentsMixture([norm(0, 1), norm(2, 1), norm(0, 1)]).fit(X)
    B = np.column_stack([A, A[:, 1]])
    B[300:, 3] -= 1  # (no row 300: still identical)
    with pytest.warns(UserWarning, match="components 1 and 3 have the same"):
        KnownComponentsMixture().fit(B)
    C = np.column_stack([A, A[:, 1]])
    C[-1, 3] -= 1e-12  # differ in one sample: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        KnownComponentsMixture().fit(C)


def test_verbose_reports_the_density_evaluation(capsys):
    X = np.random.default_rng(6).normal(size=(50, 1))
    KnownComponentsMixture([norm(0, 1), norm(2, 1)], verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "Log-densities of 50 samples under 2 components in" in out


# -- a start whose density underflows in float ---------------------------------------


def test_weights_init_with_zeros_and_a_density_below_float_range():
    # the row [0, -800, -800] has density e**-800 (not 0) under w = [0, .5, .5]
    B = np.vstack([A, [0.0, -800.0, -800.0]])
    ref = KnownComponentsMixture().fit(B)
    est = KnownComponentsMixture(weights_init=[0.0, 0.5, 0.5]).fit(B)
    np.testing.assert_allclose(est.weights_, ref.weights_, atol=1e-9)
    assert est.kkt_gap_ <= 1e-8
    with pytest.raises(ValueError, match="solver='sqp'"):
        KnownComponentsMixture(weights_init=[0.0, 0.5, 0.5], solver="em").fit(B)
    # a density of 0 indeed: the error stays
    C = np.vstack([A, [0.0, -np.inf, -np.inf]])
    with pytest.raises(ValueError, match="mixture density of 0"):
        KnownComponentsMixture(weights_init=[0.0, 0.5, 0.5]).fit(C)
