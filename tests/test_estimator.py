import math
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from _reference import (
    component_pdfs,
    exact_em,
    exact_log_densities,
    fisher_stderr,
    mixture_logpdf,
)
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skmix import TwoGaussianMixturePi, make_mixture
from skmix._inference import observed_information

X_SEED, Y_SEED = make_mixture(5000, pi=0.8, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    return TwoGaussianMixturePi().fit(X_SEED)


def test_fitted_attributes(fitted):
    est = fitted
    assert isinstance(est.pi_, float)
    np.testing.assert_array_equal(est.weights_, [est.pi_, 1 - est.pi_])
    assert est.n_features_in_ == 1
    assert isinstance(est.n_iter_, int) and est.n_iter_ >= 1
    assert est.converged_ is True
    np.testing.assert_allclose(
        est.loglik_, mixture_logpdf(X_SEED, (0, 2), 1.0, est.pi_).sum(), rtol=1e-12
    )
    assert set(est.history_) == {"iteration", "pi", "loglik", "diff_loglik"}
    assert all(len(v) == est.n_iter_ + 1 for v in est.history_.values())


def test_pi_is_a_stationary_point_of_the_likelihood(fitted):
    # at the MLE the score sum (f0 - f1) / p vanishes; EM stops within tol of it
    f0, f1 = component_pdfs(X_SEED, (0, 2), 1.0)
    p = fitted.pi_ * f0 + (1 - fitted.pi_) * f1
    score = np.sum((f0 - f1) / p)
    se = fisher_stderr(X_SEED, (0, 2), 1.0, fitted.pi_)
    # a step of |score| * se^2 reaches the MLE; it must be far below the SE
    assert abs(score) * se**2 < 1e-2 * se


def test_predict_proba_predict_score_match_formulas(fitted):
    Xt = np.linspace(-4, 6, 41)[:, None]
    f0, f1 = component_pdfs(Xt, (0, 2), 1.0)
    pi = fitted.pi_
    r0 = pi * f0 / (pi * f0 + (1 - pi) * f1)
    r1 = (1 - pi) * f1 / (pi * f0 + (1 - pi) * f1)
    proba = fitted.predict_proba(Xt)
    np.testing.assert_allclose(proba, np.column_stack([r0, r1]), rtol=1e-12)
    np.testing.assert_array_equal(fitted.predict(Xt), (r0 < 0.5).astype(int))
    logp = np.log(pi * f0 + (1 - pi) * f1)
    np.testing.assert_allclose(fitted.score_samples(Xt), logp, rtol=1e-12)
    assert fitted.score(Xt) == pytest.approx(logp.mean(), rel=1e-12)
    assert fitted.score_samples(Xt).sum() == pytest.approx(logp.sum(), rel=1e-12)


def test_unfitted_raises():
    est = TwoGaussianMixturePi()
    for method in ("predict_proba", "predict", "score_samples", "score"):
        with pytest.raises(NotFittedError):
            getattr(est, method)(X_SEED)


@pytest.mark.parametrize(
    ("X", "params", "match"),
    [
        (np.zeros(5), {}, "Expected a 2-dimensional container|Reshape your data"),
        (np.zeros((0, 1)), {}, "0 sample"),
        (np.zeros((3, 0)), {}, "0 feature"),
        (np.array([[0.0], [np.nan]]), {}, "NaN"),
        (np.array([[0.0], [np.inf]]), {}, "infinity"),
        (np.array([[1 + 1j], [2]]), {}, "[Cc]omplex"),
        (np.array([["a"], ["b"]]), {}, "string|convert"),
        (
            np.zeros((4, 3)),
            {"means": [[0, 0], [1, 1]]},
            "values for 2 features, but X has 3 features",
        ),
        (np.zeros((4, 1)), {"means": (1.0, 1.0)}, "not identifiable"),
        (
            np.zeros((4, 1)),
            {"means": (0, 1), "sigma": [[1, 2]]},
            r"sigma must have shape",
        ),
        (
            np.zeros((4, 1)),
            {"sigma": (1.0, -2.0)},
            r"sigma must be > 0, got \(1.0, -2.0\)",
        ),
        (np.zeros((4, 1)), {"means": (0, np.inf)}, "means must be finite"),
    ],
)
def test_bad_input_raises_value_error(X, params, match):
    with pytest.raises(ValueError, match=match):
        TwoGaussianMixturePi(**params).fit(X)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("pi_init", 0.0),
        ("pi_init", 1.0),
        ("pi_init", -0.1),
        ("pi_init", "half"),
        ("sigma", 0.0),
        ("sigma", -1.0),
        ("sigma", "wide"),
        ("tol", -1e-3),
        ("max_iter", 0),
        ("max_iter", 2.5),
        ("warm_start", "yes"),
        ("solver", "lbfgs"),
        ("verbose", -1),
        ("means", "far"),
    ],
)
def test_invalid_parameters(param, value):
    with pytest.raises(InvalidParameterError, match=param):
        TwoGaussianMixturePi(**{param: value}).fit(X_SEED)


def test_predict_with_other_number_of_features_raises(fitted):
    with pytest.raises(
        ValueError,
        match="X has 2 features, but TwoGaussianMixturePi is expecting 1 features",
    ):
        fitted.predict_proba(np.zeros((3, 2)))


@pytest.mark.parametrize(
    "make_input",
    [
        lambda: X_SEED.copy(),
        lambda: X_SEED.astype(np.float32),
        lambda: np.asfortranarray(np.hstack([X_SEED, X_SEED])),
        lambda: pd.DataFrame({"x": X_SEED[:, 0]}),
    ],
)
def test_input_is_never_modified(make_input):
    X = make_input()
    before = X.copy()
    est = TwoGaussianMixturePi().fit(X)
    for method in (est.predict_proba, est.predict, est.score_samples, est.score):
        method(X)
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before)
    else:
        np.testing.assert_array_equal(X, before)
        assert X.dtype == before.dtype


def test_float32_and_int_input_computed_in_float64():
    X32 = X_SEED.astype(np.float32)
    est32 = TwoGaussianMixturePi().fit(X32)
    est64 = TwoGaussianMixturePi().fit(X32.astype(np.float64))
    assert est32.pi_ == est64.pi_
    assert est32.history_["loglik"].dtype == np.float64
    assert est32.predict_proba(X32).dtype == np.float64
    Xi = np.round(X_SEED * 3).astype(np.int32)
    np.testing.assert_array_equal(
        TwoGaussianMixturePi().fit(Xi).history_["pi"],
        TwoGaussianMixturePi().fit(Xi.astype(float)).history_["pi"],
    )


def test_list_input():
    est = TwoGaussianMixturePi().fit(X_SEED.tolist())
    assert est.pi_ == TwoGaussianMixturePi().fit(X_SEED).pi_


def test_dataframe_feature_names():
    df = pd.DataFrame({"biomarker": X_SEED[:, 0]})
    est = TwoGaussianMixturePi().fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, ["biomarker"])
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X_SEED)


@pytest.mark.parametrize("sigma", [1.0, (1.0, 3.0), (3.0, 1.0)])
@pytest.mark.parametrize("far", [1e6, -1e6, 1e100])
def test_far_out_points_give_finite_results(sigma, far):
    X = np.vstack([X_SEED[:500], [[far]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = TwoGaussianMixturePi(sigma=sigma).fit(X)
        proba = est.predict_proba(X)
        logp = est.score_samples(X)
    assert np.isfinite(est.pi_) and 0 <= est.pi_ <= 1
    assert np.all(np.isfinite(est.history_["loglik"]))
    assert np.all(np.isfinite(proba)) and np.all(np.isfinite(logp))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        logp[-1], mixture_logpdf_far(far, sigma, est.pi_), rtol=1e-12
    )


def mixture_logpdf_far(x, sigma, pi):
    """log(pi f0 + (1-pi) f1) at one far point, via logaddexp of log-pdfs."""
    from scipy.stats import norm

    s0, s1 = np.broadcast_to(sigma, (2,))
    return np.logaddexp(
        np.log(pi) + norm.logpdf(x, 0, s0), np.log1p(-pi) + norm.logpdf(x, 2, s1)
    )


@pytest.mark.parametrize("sigma", [1.0, (1.0, 3.0), (3.0, 1.0)])
@pytest.mark.parametrize("far", [1e300, -1e300, 1.7e308])
def test_points_beyond_float64_squares_give_finite_pi(sigma, far):
    X = np.vstack([X_SEED[:500], [[far]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = TwoGaussianMixturePi(sigma=sigma, max_iter=200).fit(X)
        proba = est.predict_proba(X)
    assert np.isfinite(est.pi_) and 0 <= est.pi_ <= 1
    assert est.converged_ and est.n_iter_ < 200
    # the far point's density is 0 in float64: the total is -inf, never NaN
    assert est.loglik_ == -np.inf
    assert not np.isnan(est.history_["diff_loglik"][1:]).any()
    assert np.all(np.isfinite(proba))
    # the far point is certainly from the wider component (or by the means)
    expected = 0 if np.atleast_1d(sigma)[0] > np.atleast_1d(sigma)[-1] else 1
    if np.ndim(sigma) == 0:
        expected = 0 if far < 0 else 1
    assert proba[-1, expected] == 1.0
    # the other points decide pi as if the far one were certain of its component
    X_rest = X[:-1]
    est_rest = TwoGaussianMixturePi(sigma=sigma, tol=1e-12).fit(X_rest)
    n = len(X)
    pi_expected = (est_rest.pi_ * (n - 1) + (expected == 0)) / n
    assert abs(est.pi_ - pi_expected) < 0.01


@pytest.mark.filterwarnings("ignore:One sample:UserWarning")
def test_single_sample_goes_to_the_boundary():
    est = TwoGaussianMixturePi(tol=1e-10).fit([[-0.5]])  # nearer component 0
    assert 0.999 < est.pi_ <= 1.0
    est = TwoGaussianMixturePi(tol=1e-10).fit([[2.5]])
    assert 0 <= est.pi_ < 1e-3


def test_constant_data_at_the_midpoint_is_uninformative():
    est = TwoGaussianMixturePi(pi_init=0.3).fit(np.ones((20, 1)))
    assert est.converged_ and est.pi_ == pytest.approx(0.3)


def test_several_features_match_product_densities():
    means = [[0.0, 1.0, -1.0], [1.0, 1.0, 2.0]]
    sigma = [[1.0, 0.5, 2.0], [1.5, 1.0, 2.0]]
    X, _ = make_mixture(
        3000, n_features=3, means=means, sigma=sigma, pi=0.35, random_state=3
    )
    est = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X)
    f0, f1 = component_pdfs(X, means, sigma)
    r0 = est.pi_ * f0 / (est.pi_ * f0 + (1 - est.pi_) * f1)
    np.testing.assert_allclose(est.predict_proba(X)[:, 0], r0, rtol=1e-10)
    assert abs(est.pi_ - 0.35) < 5 * fisher_stderr(X, means, sigma, est.pi_)


def test_convergence_warning():
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        est = TwoGaussianMixturePi(max_iter=2).fit(X_SEED)
    assert not est.converged_
    assert est.n_iter_ == 2


def test_no_warning_when_converged():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TwoGaussianMixturePi().fit(X_SEED)


def test_warm_start_continues_from_previous_pi():
    est = TwoGaussianMixturePi(max_iter=3, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X_SEED)
    first = est.pi_
    with pytest.warns(ConvergenceWarning):
        est.fit(X_SEED)
    assert est.history_["pi"][0] == first
    cold = TwoGaussianMixturePi(max_iter=6)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X_SEED)
    # three and three iterations from 0.5 are six from 0.5
    assert est.pi_ == pytest.approx(cold.pi_, rel=1e-12)
    assert TwoGaussianMixturePi(pi_init=0.2).fit(X_SEED).history_["pi"][0] == 0.2


@pytest.mark.filterwarnings("ignore:One sample:UserWarning")
def test_warm_start_from_the_boundary_can_move():
    est = TwoGaussianMixturePi(warm_start=True).fit([[-60.0]])
    assert est.pi_ == 1.0
    est.fit(X_SEED)
    assert abs(est.pi_ - 0.8) < 0.05


def test_verbose_output(capsys):
    est = TwoGaussianMixturePi(verbose=1).fit(X_SEED)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith(f"Summarised {len(X_SEED)} samples in ")
    out = out[1:]
    assert len(out) == est.n_iter_ + 1


def test_pipeline_with_column_transformer():
    df = pd.DataFrame({"biomarker": X_SEED[:, 0], "age": np.arange(len(X_SEED))})
    pipe = Pipeline(
        [
            ("select", ColumnTransformer([("x", "passthrough", ["biomarker"])])),
            ("mix", TwoGaussianMixturePi()),
        ]
    ).fit(df)
    direct = TwoGaussianMixturePi().fit(X_SEED)
    assert pipe[-1].pi_ == direct.pi_
    np.testing.assert_array_equal(pipe.predict_proba(df), direct.predict_proba(X_SEED))
    np.testing.assert_array_equal(pipe.predict(df), direct.predict(X_SEED))
    assert pipe.score(df) == direct.score(X_SEED)


def test_cross_val_score_is_held_out_mean_loglik():
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(TwoGaussianMixturePi(), X_SEED, cv=cv)
    expected = []
    for train, test in cv.split(X_SEED):
        pi = TwoGaussianMixturePi().fit(X_SEED[train]).pi_
        expected.append(mixture_logpdf(X_SEED[test], (0, 2), 1.0, pi).mean())
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_grid_search_over_pi_init():
    grid = GridSearchCV(
        TwoGaussianMixturePi(tol=1e-9), {"pi_init": [0.05, 0.5, 0.95]}, cv=3
    ).fit(X_SEED)
    scores = grid.cv_results_["mean_test_score"]
    # the likelihood is concave in pi: every start reaches the same maximum,
    # up to where EM stops (|pi - pi_mle| ~ 1e-5 here, scores to ~1e-9)
    np.testing.assert_allclose(scores, scores[0], rtol=1e-7)
    # refitted on all of X_SEED: the maximum of the reference log-likelihood
    mle = minimize_scalar(
        lambda p: -mixture_logpdf(X_SEED, (0, 2), 1.0, p).sum(),
        bounds=(0, 1),
        method="bounded",
        options={"xatol": 1e-10},
    ).x
    assert grid.best_estimator_.pi_ == pytest.approx(mle, abs=1e-5)


def test_grid_search_selects_the_better_model():
    # components as parameters: the true means win on held-out likelihood
    grid = GridSearchCV(
        TwoGaussianMixturePi(), {"means": [(0.0, 2.0), (0.0, 3.0), (-1.0, 2.0)]}, cv=3
    )
    grid.fit(X_SEED)
    assert grid.best_params_["means"] == (0.0, 2.0)


def test_clone_pickle_set_params_round_trip(fitted):
    est = TwoGaussianMixturePi(
        means=(1.0, -1.0), sigma=(0.5, 2.0), pi_init=0.3, tol=1e-7
    )
    params = est.get_params()
    cloned = clone(est)
    assert cloned.get_params() == params and not hasattr(cloned, "pi_")
    assert est.set_params(pi_init=0.7).get_params()["pi_init"] == 0.7
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.pi_ == fitted.pi_
    np.testing.assert_array_equal(
        restored.history_["loglik"], fitted.history_["loglik"]
    )
    np.testing.assert_array_equal(
        restored.predict_proba(X_SEED), fitted.predict_proba(X_SEED)
    )


def test_repeated_fits_are_identical():
    a = TwoGaussianMixturePi().fit(X_SEED)
    b = TwoGaussianMixturePi().fit(X_SEED)
    for key in a.history_:
        np.testing.assert_array_equal(a.history_[key], b.history_[key])


def test_total_beyond_float64_is_minus_inf_without_warning():
    # each log-density (-5e307) is finite, their sum is not
    X = np.full((15, 1), 1e154)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = TwoGaussianMixturePi(means=(0.0, 0.0), sigma=(1.0, 2.0)).fit(X)
        assert est.score(X) == -np.inf
    assert est.loglik_ == -np.inf
    assert est.pi_ == pytest.approx(0.0, abs=1e-6)  # the wider component explains it


@pytest.mark.parametrize("sigma", [1.0, (1.0, 3.0)])
def test_newton_solver_agrees_with_em(sigma):
    em = TwoGaussianMixturePi(sigma=sigma, tol=1e-12).fit(X_SEED)
    newton = TwoGaussianMixturePi(sigma=sigma, solver="newton").fit(X_SEED)
    assert newton.converged_
    assert newton.n_iter_ < em.n_iter_
    assert abs(newton.pi_ - em.pi_) < 1e-8
    assert newton.loglik_ >= em.loglik_ - 1e-9
    assert newton.history_["pi"][0] == 0.5
    np.testing.assert_allclose(
        newton.predict_proba(X_SEED), em.predict_proba(X_SEED), atol=1e-8
    )


def test_predict_log_proba_is_the_log_of_predict_proba_without_underflow():
    from scipy.special import logsumexp
    from scipy.stats import norm

    X, _ = make_mixture(3000, sigma=(1.0, 1.5), pi=0.6, random_state=4)
    est = TwoGaussianMixturePi(sigma=(1.0, 1.5)).fit(X)
    log_proba = est.predict_log_proba(X)
    # log(proba) near 0 is only as exact as proba near 1: absolute 1e-15
    np.testing.assert_allclose(
        log_proba, np.log(est.predict_proba(X)), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(logsumexp(log_proba, axis=1), 0.0, atol=1e-13)
    # far out, P(component 0 | x) underflows to 0 but its log is finite
    far = np.array([[60.0], [-60.0], [1e6]])
    t = (np.log(est.pi_) + norm.logpdf(far[:, 0], 0.0, 1.0)) - (
        np.log1p(-est.pi_) + norm.logpdf(far[:, 0], 2.0, 1.5)
    )
    expected = -np.logaddexp(0.0, -t)  # log expit(t), independently
    assert est.predict_proba(far)[0, 0] == 0.0
    np.testing.assert_allclose(est.predict_log_proba(far)[:, 0], expected, rtol=1e-10)
    assert np.isfinite(est.predict_log_proba(far)).all()


def test_predict_log_proba_on_the_boundary():
    X, _ = make_mixture(200, means=(0.0, 8.0), pi=1.0, random_state=0)
    est = TwoGaussianMixturePi(means=(0.0, 8.0), solver="newton").fit(X)
    assert est.pi_ == 1.0
    log_proba = est.predict_log_proba([[0.0], [8.0]])
    np.testing.assert_array_equal(log_proba[:, 0], 0.0)
    np.testing.assert_array_equal(log_proba[:, 1], -np.inf)


def test_predictions_over_several_blocks_match_the_formulas():
    from _reference import component_pdfs

    from skmix._base import PREDICT_BLOCK_SIZE

    n = 2 * PREDICT_BLOCK_SIZE + 17
    X, _ = make_mixture(n, sigma=(1.0, 1.5), pi=0.6, random_state=8)
    est = TwoGaussianMixturePi(sigma=(1.0, 1.5)).fit(X[:1000])
    f0, f1 = component_pdfs(X, (0.0, 2.0), (1.0, 1.5))
    p = est.pi_ * f0 + (1 - est.pi_) * f1
    np.testing.assert_allclose(est.predict_proba(X)[:, 0], est.pi_ * f0 / p, rtol=1e-10)
    np.testing.assert_allclose(est.score_samples(X), np.log(p), rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), (est.pi_ * f0 < (1 - est.pi_) * f1))


# -- the EM path from the summary equals an exact per-sample EM --------------


def _hard_case(name):
    rng = np.random.default_rng(11)
    means, sigma, pi_init, weight, side = (0.0, 2.0), 1.0, 0.5, None, None
    if name == "seed":
        X, _ = make_mixture(500_000, pi=0.8, random_state=1)
    elif name == "unequal_sigmas":
        means, sigma = (0.0, 3.0), (1.0, 0.3)
        X, _ = make_mixture(50_000, means=means, sigma=sigma, pi=0.6, random_state=2)
    elif name == "pi_0.999":
        X, _ = make_mixture(50_000, pi=0.999, random_state=3)
    elif name == "pi_0.02":
        X, _ = make_mixture(50_000, pi=0.02, random_state=4)
    elif name == "outliers":  # x = 1e6: |loglik| ~ 5e11 per outlier
        X, _ = make_mixture(20_000, pi=0.4, random_state=5)
        X = np.vstack([X, [[60.0], [1e6], [-1e6], [-60.0]]])
    elif name == "underflow":  # log-densities beyond float64: -inf
        X, _ = make_mixture(20_000, pi=0.4, random_state=6)
        X = np.vstack([X, [[1e300], [-1e300]]])
        side = np.r_[np.zeros(20_000, bool), False, True]
    elif name == "n50":
        X, _ = make_mixture(50, pi=0.3, random_state=7)
    elif name == "features":
        means = [[0.0, 1.0, -1.0], [1.5, -0.5, 0.0]]
        sigma = [[1.0, 2.0, 0.5], [1.5, 1.0, 0.7]]
        X, _ = make_mixture(
            30_000, n_features=3, means=means, sigma=sigma, pi=0.35, random_state=8
        )
    elif name == "weights":
        X, _ = make_mixture(30_000, pi=0.7, random_state=9)
        weight = rng.uniform(0.2, 3.0, len(X))
        weight[::11] = 0.0
    elif name == "near_boundary_start":
        X, _ = make_mixture(30_000, pi=0.3, random_state=0)
        pi_init = 1e-15
    return X, means, sigma, pi_init, weight, side


HARD_CASES = [
    "seed",
    "unequal_sigmas",
    "pi_0.999",
    "pi_0.02",
    "outliers",
    "underflow",
    "n50",
    "features",
    "weights",
    "near_boundary_start",
]


@pytest.mark.parametrize("name", HARD_CASES)
def test_history_equals_an_exact_per_sample_em(name):
    X, means, sigma, pi_init, weight, side = _hard_case(name)
    ref = exact_em(
        *exact_log_densities(X, means, sigma), pi_init, weight=weight, side=side
    )
    est = TwoGaussianMixturePi(means=means, sigma=sigma, pi_init=pi_init)
    est.fit(X, sample_weight=weight)
    assert est.n_iter_ == len(ref["pi"]) - 1
    assert est.converged_ == ref["converged"]
    np.testing.assert_allclose(est.history_["pi"], ref["pi"], rtol=1e-12)
    np.testing.assert_allclose(est.history_["loglik"], ref["loglik"], rtol=1e-12)
    scale = max(1.0, np.abs(ref["diff_loglik"][1:]).max())
    np.testing.assert_allclose(
        est.history_["diff_loglik"][1:], ref["diff_loglik"][1:], atol=1e-9 * scale
    )


def test_a_difference_of_totals_would_stop_at_the_wrong_iteration():
    """With x = 1e6, loglik ~ -5e11: its rounding (~1e-4) exceeds tol."""
    X, means, sigma, pi_init, _weight, _side = _hard_case("outliers")
    l0, l1 = exact_log_densities(X, means, sigma)
    ref = exact_em(l0, l1, pi_init)
    # the increases as differences of totals are noise at the level of tol
    totals = ref["loglik"]
    noise = np.abs(np.diff(totals) - ref["diff_loglik"][1:]).max()
    assert noise > 1e-6
    est = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X)
    np.testing.assert_allclose(
        est.history_["diff_loglik"][1:], ref["diff_loglik"][1:], atol=1e-9
    )
    assert est.n_iter_ == len(ref["pi"]) - 1


# -- issue 9: hardening ------------------------------------------------------


def test_every_method_is_safe_from_several_threads():
    """Issue 9.1: a shared scratch buffer gave wrong intervals from 4 threads."""
    X, _ = make_mixture(30_000, pi=0.3, random_state=0)
    est = TwoGaussianMixturePi(solver="newton").fit(X)
    serial = [est.confidence_interval(), est.confidence_interval(method="wald")]
    stderr = est.pi_stderr_

    def work(i):
        if i % 2:
            return est.confidence_interval(), est.pi_stderr_
        return est.confidence_interval(method="wald"), est.pi_stderr_

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(16)))
    for i, (interval, se) in enumerate(results):
        assert interval == serial[0 if i % 2 else 1]
        assert se == stderr


@pytest.mark.parametrize(
    ("scale", "sigma"),
    [(1.0, (1e-3, 1e3)), (1e3, (1e-6, 1e6)), (1e-197, (1e-200, 1.0))],
)
def test_loglik_is_accurate_with_very_different_sigmas(scale, sigma):
    """Issue 9.2: the old constant cancelled (-207.8263 for -207.8221)."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1e-3, 50), rng.normal(0, 1e3, 50)][:, None] * scale
    if sigma[1] == 1.0:
        X = np.r_[rng.normal(0, 1e-200, 50), rng.normal(0, 1.0, 50)][:, None]
    est = TwoGaussianMixturePi(means=(0, 0), sigma=sigma, solver="newton").fit(X)
    l0, l1 = exact_log_densities(X, (0, 0), sigma)
    with np.errstate(divide="ignore"):  # pi_ may be 0 or 1
        ref = logsumexp([np.log(est.pi_) + l0, np.log1p(-est.pi_) + l1], axis=0).sum()
    assert est.loglik_ == pytest.approx(ref, rel=1e-10)
    assert est.score(X) * len(X) == pytest.approx(ref, rel=1e-10)


def test_results_do_not_depend_on_a_common_offset():
    """Issue 9.3: unequal sigmas with data near 1e12 gave another pi."""
    X, _ = make_mixture(300, pi=0.3, random_state=0)
    far = X + 1e12
    near = far - 1e12  # the same offsets, exactly
    a = TwoGaussianMixturePi(means=(1e12, 1e12 + 2), sigma=(1, 1.5)).fit(far)
    b = TwoGaussianMixturePi(means=(0, 2), sigma=(1, 1.5)).fit(near)
    assert a.pi_ == pytest.approx(b.pi_, abs=1e-8)
    np.testing.assert_allclose(a.predict_proba(far), b.predict_proba(near), atol=1e-8)
    np.testing.assert_allclose(a.score_samples(far), b.score_samples(near), rtol=1e-8)


@pytest.mark.parametrize("pi_init", [1e-15, 1 - 1e-16])
def test_em_from_the_edge_reaches_the_maximum(pi_init):
    """Issue 9.4: pi_init=1e-15 stopped after one iteration, 'converged'."""
    X, _ = make_mixture(30_000, pi=0.3, random_state=0)
    est = TwoGaussianMixturePi(pi_init=pi_init).fit(X)
    ref = TwoGaussianMixturePi(solver="newton", tol=1e-12).fit(X)
    assert est.converged_
    assert est.pi_ == pytest.approx(ref.pi_, abs=1e-3)


def test_score_samples_on_the_boundary_is_the_remaining_density():
    """Issue 9.6: at pi_ = 1, score_samples(400) was -inf."""
    x = np.random.default_rng(0).normal(-1.0, 1.0, size=(400, 1))
    est = TwoGaussianMixturePi(solver="newton").fit(x)
    assert est.pi_ == 1.0
    expected = norm.logpdf([400.0, -1e6], 0.0, 1.0)
    np.testing.assert_allclose(
        est.score_samples([[400.0], [-1e6]]), expected, rtol=1e-14
    )
    assert np.isfinite(est.score([[400.0]]))
    assert np.isfinite(est.bic(np.array([[400.0]])))


def test_set_params_after_fit_does_not_change_the_fitted_model():
    """Issue 9.7: predict_proba and sample used the new means with the old pi_."""
    X, _ = make_mixture(2000, pi=0.3, random_state=0)
    est = TwoGaussianMixturePi().fit(X)
    proba = est.predict_proba(X[:20])
    est.set_params(means=(5.0, 9.0), sigma=3.0)
    np.testing.assert_array_equal(est.predict_proba(X[:20]), proba)
    sample, _ = est.sample(5000, random_state=0)
    assert abs(sample.mean() - (0.3 * 0 + 0.7 * 2)) < 0.1


def test_stderr_of_nearly_identical_components():
    """Issue 9.8: 1 - u cancelled (relative error 1e-5 for means (0, 1e-12))."""
    x = np.random.default_rng(0).normal(size=(5000, 1))
    est = TwoGaussianMixturePi(means=(0, 1e-12), pi_init=0.3, max_iter=1).fit(x)
    # issue 17: far below rounding of the weights' own information, the
    # standard error is inf (as KnownComponentsMixture's); the information
    # itself is still computed to full accuracy
    assert est.pi_stderr_ == np.inf
    # the log-odds in closed form, then (f0 - f1) / max(f0, f1) = +-(1 - e^-|t|)
    t = -1e-12 * (x[:, 0] - 0.5e-12)
    score = np.sign(t) * -np.expm1(-np.abs(t))
    pi = est.pi_
    d = np.where(t >= 0, pi + (1 - pi) * np.exp(-np.abs(t)), 1 - pi + pi * np.exp(t))
    info = math.fsum((score / d) ** 2)
    assert observed_information(est._summary, pi) == pytest.approx(info, rel=1e-10)


@pytest.mark.parametrize("n", [1_000, 300_000])
def test_fitted_state_is_small_and_survives_pickling(n):
    """Issue 9.11: a pickle of 8 bytes per sample; now the summary only."""
    X, _ = make_mixture(n, pi=0.4, random_state=0)
    est = TwoGaussianMixturePi().fit(X)
    data = pickle.dumps(est)
    assert len(data) < 100_000
    clone = pickle.loads(data)
    assert clone.pi_stderr_ == est.pi_stderr_
    assert clone.confidence_interval() == est.confidence_interval()


def test_huge_max_iter_is_accepted():
    """Issue 9.12: max_iter=10**11 raised MemoryError (preallocated path)."""
    est = TwoGaussianMixturePi(max_iter=10**11).fit(X_SEED)
    assert est.converged_ and len(est.history_["pi"]) == est.n_iter_ + 1


def test_convergence_warning_points_at_the_caller():
    """Issue 9.14: the warning pointed at sklearn/base.py."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TwoGaussianMixturePi(max_iter=2).fit(X_SEED)
    (warning,) = [w for w in caught if w.category is ConvergenceWarning]
    assert warning.filename == __file__


def test_newton_onto_a_boundary_maximum_in_one_step_is_converged():
    """Issue 9.14: max_iter=1 landing exactly on the boundary maximum."""
    x = np.random.default_rng(0).normal(-1.0, 1.0, size=(400, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = TwoGaussianMixturePi(solver="newton", pi_init=0.999, max_iter=1).fit(x)
    assert est.pi_ == 1.0 and est.converged_


def test_wald_interval_on_the_boundary_warns_and_points_to_profile():
    """Issue 9.17: a standard error on the boundary is no standard error."""
    x = np.random.default_rng(0).normal(-1.0, 1.0, size=(400, 1))
    est = TwoGaussianMixturePi(solver="newton").fit(x)
    assert est.pi_ == 1.0
    with pytest.warns(UserWarning, match="method='profile'"):
        est.confidence_interval(method="wald")
    low, high = est.confidence_interval()
    assert high == 1.0 and low < 1.0


def test_no_blas_call_in_the_fit(monkeypatch):
    """Issue 9.19: np.dot per block ran BLAS threads (slow on a loaded machine)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("BLAS call in the fit")

    X, _ = make_mixture(200_000, pi=0.4, random_state=0)
    weight = np.random.default_rng(0).uniform(0.5, 2, len(X))
    monkeypatch.setattr(np, "dot", forbidden)
    monkeypatch.setattr(np, "einsum", forbidden)
    TwoGaussianMixturePi().fit(X)
    TwoGaussianMixturePi().fit(X, sample_weight=weight)


@pytest.mark.parametrize("alpha", [0.95, 0.9, 0.51])
def test_alpha_above_one_half_raises(alpha):
    """Issue 9.25: confidence_interval(0.95) silently gave a 5% interval."""
    est = TwoGaussianMixturePi().fit(X_SEED)
    with pytest.raises(ValueError, match=r"alpha=0\.05 for a 95% interval"):
        est.confidence_interval(alpha)


def test_verbose_reports_the_pass_and_the_interval_search(capsys):
    """Issue 9.26: long work gave no feedback."""
    est = TwoGaussianMixturePi(verbose=1).fit(X_SEED)
    est.confidence_interval()
    out = capsys.readouterr().out
    assert f"Summarised {len(X_SEED)} samples in " in out
    assert "profile interval (" in out and " s" in out
