"""Fuzzing the public API (hypothesis): valid input gives finite, consistent
results or a clear ValueError; invalid input always a clear error; inputs are
never modified; fits are repeatable and survive pickling."""

import pickle

import numpy as np
import pytest
from _helpers import fit_quietly
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from skmix import TwoGaussianMixturePi

# any finite float64, with the awkward ones often
special = st.sampled_from(
    [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        2.2e-308,
        1.0,
        -1.0,
        1e-300,
        1e6,
        -1e6,
        1e154,
        -1e154,
        1e300,
        -1e300,
        1.7976931348623157e308,
        -1.7976931348623157e308,
    ]
)
finite = st.one_of(
    st.floats(-10, 10), special, st.floats(allow_nan=False, allow_infinity=False)
)


@st.composite
def datasets(draw, max_features=3):
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, max_features))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    if draw(st.booleans()):  # constant, or repeated rows
        X = np.full((n, d), draw(finite))
    else:
        X = draw(arrays(np.float64, (n, d), elements=finite))
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    assume(np.isfinite(X).all())  # float32 may overflow to inf
    return X


@st.composite
def parameters(draw, n_features):
    shape = draw(st.sampled_from(["scalar", "per_component", "per_feature"]))
    mean_values = st.one_of(st.floats(-100, 100), st.sampled_from([0.0, 1e6, -1e300]))
    sigma_values = st.one_of(
        st.floats(0.05, 50), st.sampled_from([1e-300, 1e-8, 1e300])
    )
    size = (2,) if shape != "per_feature" else (2, n_features)
    means = draw(arrays(np.float64, size, elements=mean_values))
    if shape == "scalar":
        sigma = draw(sigma_values)
    else:
        sigma = draw(arrays(np.float64, size, elements=sigma_values))
    # two identical components are rejected by design (tested elsewhere)
    sigma_rows = np.broadcast_to(sigma, (2, *np.shape(sigma)[1:]))
    assume(
        not (
            np.array_equal(means[0], means[1])
            and np.array_equal(sigma_rows[0], sigma_rows[1])
        )
    )
    return {
        "means": means,
        "sigma": sigma,
        "pi_init": draw(st.floats(1e-6, 1 - 1e-6)),
        "tol": draw(st.sampled_from([0.0, 1e-8, 1e-5, 1.0])),
        "max_iter": draw(st.integers(1, 200)),
        "solver": draw(st.sampled_from(["em", "newton"])),
    }


def _fit(X, params, sample_weight=None):
    """Fit; None if the model cannot be evaluated in float64.

    Only one ValueError is allowed for finite data and valid parameters: the
    log-odds of a sample is ``inf - inf``. That needs both of the sample's
    log-densities to be -inf in float64, checked here with scipy.
    """
    try:
        return fit_quietly(X, sample_weight, **params)
    except ValueError as exc:
        assert "log-odds of the two components is undefined" in str(exc), exc
        assert _some_row_underflows_in_both_components(X, params), exc
        return None


def _some_row_underflows_in_both_components(X, params):
    def per_feature(value):  # scalar, (2,) or (2, d) -> (2, d)
        value = np.asarray(value, dtype=np.float64)
        value = np.broadcast_to(value, (2,))[:, None] if value.ndim < 2 else value
        return np.broadcast_to(value, (2, X.shape[1]))

    means, sigma = per_feature(params["means"]), per_feature(params["sigma"])
    with np.errstate(all="ignore"):
        logf = [norm.logpdf(X, means[k], sigma[k]).sum(axis=1) for k in range(2)]
    return bool(np.any(np.isneginf(logf[0]) & np.isneginf(logf[1])))


@given(data=st.data(), X=datasets())
def test_any_finite_data_gives_finite_consistent_results(data, X):
    params = data.draw(parameters(X.shape[1]))
    weight = data.draw(
        st.one_of(st.none(), arrays(np.float64, len(X), elements=st.floats(0, 10)))
    )
    assume(weight is None or weight.sum() > 0)
    X_before = X.copy()
    weight_before = None if weight is None else weight.copy()
    means_before = params["means"].copy()
    est = _fit(X, params, weight)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(params["means"], means_before)
    if weight is not None:
        np.testing.assert_array_equal(weight, weight_before)
    if est is None:
        return
    assert 0.0 <= est.pi_ <= 1.0
    history = est.history_
    assert not np.isnan(history["pi"]).any() and not np.isnan(history["loglik"]).any()
    diffs = history["diff_loglik"][1:]
    assert not np.isnan(diffs).any()
    finite_loglik = np.isfinite(history["loglik"]).all()
    if finite_loglik:
        scale = max(1.0, np.abs(history["loglik"]).max())
        assert np.all(diffs >= -1e-12 * scale * len(X))
    proba = est.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(np.unique(est.predict(X))) <= {0, 1}
    assert not np.isnan(est.score_samples(X)).any()
    assert not np.isnan(est.pi_stderr_)


@given(data=st.data(), X=datasets(max_features=2))
def test_fits_are_repeatable_and_survive_pickling(data, X):
    params = data.draw(parameters(X.shape[1]))
    first = _fit(X, params)
    assume(first is not None)
    second = _fit(X, params)
    for key in first.history_:
        np.testing.assert_array_equal(first.history_[key], second.history_[key])
    clone = pickle.loads(pickle.dumps(first))
    assert clone.pi_ == first.pi_ and clone.n_iter_ == first.n_iter_
    np.testing.assert_array_equal(clone.predict_proba(X), first.predict_proba(X))
    np.testing.assert_array_equal(clone.score_samples(X), first.score_samples(X))
    assert clone.confidence_interval() == first.confidence_interval()


bad_values = st.sampled_from([np.nan, np.inf, -np.inf])


@given(X=datasets(), bad=bad_values, where=st.integers(0, 10**6))
def test_nan_or_inf_in_X_is_a_clear_error(X, bad, where):
    X = X.astype(np.float64)
    X.flat[where % X.size] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        TwoGaussianMixturePi().fit(X)
    fitted = TwoGaussianMixturePi().fit(
        np.linspace(0, 2, 3 * X.shape[1]).reshape(3, -1)
    )
    for method in ("predict_proba", "predict", "score_samples", "score"):
        with pytest.raises(ValueError, match=r"NaN|infinity"):
            getattr(fitted, method)(X)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([1.0, 2.0, 3.0]), "Expected 2D array"),
        (np.zeros((2, 2, 2)), "dim 3"),
        (np.zeros((0, 1)), "0 sample"),
        (np.array([["a"], ["b"]]), "dtype|string|convert"),
        (np.array([[object()], [object()]]), "float|object|convert"),
        (np.array([[1 + 2j], [3j]]), "[Cc]omplex"),
        ([[1.0], ["x"]], "convert|string|dtype"),
        ("not an array", "Expected 2D array|string"),
    ],
)
def test_malformed_X_is_a_clear_error(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TwoGaussianMixturePi().fit(X)


INVALID = {
    "pi_init": [0.0, 1.0, -0.5, 1.5, np.nan, np.inf, "0.5", None],
    "tol": [-1e-9, np.nan, "1e-5", None],
    "max_iter": [0, -1, 2.5, "10", None, np.nan],
    "solver": ["EM", "lbfgs", None, 1],
    "sigma": [0.0, -1.0, np.nan, np.inf, [1.0, 2.0, 3.0], [[1.0]], "1", [0.5, -1.0]],
    "means": [
        (0.0, np.nan),
        (0.0, np.inf),
        0.0,
        [1.0, 2.0, 3.0],
        "ab",
        [[1.0], [2.0], [3.0]],
    ],
    "verbose": [-1, "yes", 1.5],
    "warm_start": ["yes", 2, None],
}


@pytest.mark.parametrize(
    ("name", "value"), [(name, v) for name, values in INVALID.items() for v in values]
)
def test_invalid_parameters_are_clear_errors(name, value):
    X = np.array([[0.0], [1.0], [2.5]])
    with pytest.raises((ValueError, TypeError), match=name):
        TwoGaussianMixturePi(**{name: value}).fit(X)
