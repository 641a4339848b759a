"""Array API input: computed in its own namespace and device, same results.

array-api-strict always; PyTorch (CPU) where it is installed. sklearn's own
array API checks run in tests/test_common.py.
"""

import importlib

import numpy as np
import pytest
import sklearn
from _helpers import mixture_X, uniform_weights

from skmix import TwoGaussianMixturePi

MEANS, SIGMA = (0.0, 2.0), (1.0, 1.5)


def _namespaces():
    yield pytest.param("array_api_strict", id="array_api_strict")
    yield pytest.param("torch", id="torch-cpu")


@pytest.fixture(params=list(_namespaces()))
def xp(request):
    if request.param == "torch":
        return pytest.importorskip("torch")  # optional: tested where installed
    return importlib.import_module(request.param)


def _to_numpy(array):
    if hasattr(array, "numpy"):
        return array.numpy()  # torch, on the CPU
    return np.asarray(array._array)  # array_api_strict


def _data(n=4000, seed=0):
    X = mixture_X(n, means=MEANS, sigma=SIGMA, seed=seed)
    return X, uniform_weights(n, 0.0, 2.0, seed)


@pytest.mark.parametrize("solver", ["em", "newton"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_in_the_namespace_equals_numpy(xp, solver, weighted):
    X, weight = _data()
    weight = weight if weighted else None
    local = TwoGaussianMixturePi(MEANS, SIGMA, solver=solver).fit(
        X, sample_weight=weight
    )
    X_xp = xp.asarray(X)
    w_xp = None if weight is None else xp.asarray(weight)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA, solver=solver)
        est.fit(X_xp, sample_weight=w_xp)
        assert est.n_iter_ == local.n_iter_
        for key in ("pi", "loglik"):
            np.testing.assert_allclose(
                est.history_[key], local.history_[key], rtol=1e-10
            )
        assert type(est.weights_) is type(X_xp)
        np.testing.assert_allclose(_to_numpy(est.weights_), local.weights_, rtol=1e-12)
        assert est.pi_stderr_ == pytest.approx(local.pi_stderr_, rel=1e-9)
        np.testing.assert_allclose(
            est.confidence_interval(), local.confidence_interval(), rtol=1e-9
        )


def test_predictions_come_back_in_the_namespace(xp):
    X, _ = _data()
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X)
    X_xp = xp.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(X_xp)
        outputs = {
            "predict_proba": est.predict_proba(X_xp),
            "predict_log_proba": est.predict_log_proba(X_xp),
            "predict": est.predict(X_xp),
            "score_samples": est.score_samples(X_xp),
        }
        for name, output in outputs.items():
            assert type(output) is type(X_xp), name
            np.testing.assert_allclose(
                _to_numpy(output), getattr(local, name)(X), rtol=1e-12, atol=1e-15
            )
        assert isinstance(est.score(X_xp), float)
        assert est.score(X_xp) == pytest.approx(local.score(X), rel=1e-12)
        with pytest.raises(ValueError, match="same namespace"):
            est.predict(X)  # NumPy input to an estimator fitted on another namespace


def test_float32_input_is_computed_in_float64(xp):
    X, _ = _data()
    X32 = X.astype(np.float32)
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X32)
    with sklearn.config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X32)
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(X_xp)
        np.testing.assert_allclose(
            est.history_["loglik"], local.history_["loglik"], rtol=1e-10
        )
        assert est.weights_.dtype == xp.float64
        assert est.predict_proba(X_xp).dtype == xp.float64


def test_far_out_points_and_bad_values(xp):
    X, _ = _data(200)
    X = np.vstack([X, [[1e6]], [[-1e300]]])
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(xp.asarray(X))
        np.testing.assert_allclose(est.history_["pi"], local.history_["pi"], rtol=1e-10)
        assert np.isfinite(_to_numpy(est.predict_proba(xp.asarray(X)))).all()
        with pytest.raises(ValueError, match="NaN"):
            est.fit(xp.asarray(np.vstack([X, [[np.nan]]])))
        with pytest.raises(ValueError, match="Negative"):
            est.fit(xp.asarray(X), sample_weight=xp.asarray(-np.ones(len(X))))


def test_inputs_are_not_modified(xp):
    X, weight = _data(300)
    X_xp, w_xp = xp.asarray(X), xp.asarray(weight)
    with sklearn.config_context(array_api_dispatch=True):
        TwoGaussianMixturePi(MEANS, SIGMA).fit(X_xp, sample_weight=w_xp)
    np.testing.assert_array_equal(_to_numpy(X_xp), X)
    np.testing.assert_array_equal(_to_numpy(w_xp), weight)


def test_repeated_fits_are_identical(xp):
    X, weight = _data(1000)
    with sklearn.config_context(array_api_dispatch=True):
        fits = [
            TwoGaussianMixturePi(MEANS, SIGMA).fit(
                xp.asarray(X), sample_weight=xp.asarray(weight)
            )
            for _ in range(2)
        ]
    for key in fits[0].history_:
        np.testing.assert_array_equal(fits[0].history_[key], fits[1].history_[key])
