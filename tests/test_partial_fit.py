"""partial_fit: batches merged into one summary give the fit of their union."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skmix import TwoGaussianMixturePi, make_mixture

MEANS, SIGMA = (0.0, 2.0), (1.0, 1.5)


def _data(n=20_000, seed=0):
    X, _ = make_mixture(n, means=MEANS, sigma=SIGMA, pi=0.3, random_state=seed)
    X = np.vstack([X, [[60.0], [1e6], [-40.0]]])  # tails too
    return X


def _est(**kwargs):
    return TwoGaussianMixturePi(means=MEANS, sigma=SIGMA, **kwargs)


def _assert_same_fit(a, b):
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_
    np.testing.assert_allclose(a.history_["pi"], b.history_["pi"], rtol=1e-12)
    np.testing.assert_allclose(a.history_["loglik"], b.history_["loglik"], rtol=1e-12)
    assert a.pi_stderr_ == pytest.approx(b.pi_stderr_, rel=1e-12)
    np.testing.assert_allclose(a.confidence_interval(), b.confidence_interval(), 1e-12)
    np.testing.assert_allclose(
        a.confidence_interval(method="wald"),
        b.confidence_interval(method="wald"),
        rtol=1e-12,
    )


@pytest.mark.filterwarnings("ignore:One sample:UserWarning")  # a batch of one
@settings(max_examples=15, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 20_002), min_size=0, max_size=6, unique=True),
    solver=st.sampled_from(["em", "newton"]),
    weighted=st.booleans(),
)
def test_any_batching_equals_fit_on_the_concatenation(cuts, solver, weighted):
    X = _data()
    weight = None
    if weighted:
        weight = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
        weight[::9] = 0.0
    whole = _est(solver=solver).fit(X, sample_weight=weight)
    est = _est(solver=solver)
    bounds = [0, *sorted(cuts), len(X)]
    for a, b in itertools.pairwise(bounds):
        w = None if weight is None else weight[a:b]
        if w is not None and not (w > 0).any():
            continue  # a batch with no weight is not a batch
        est.partial_fit(X[a:b], sample_weight=w)
    _assert_same_fit(est, whole)


def test_partial_fit_after_fit_continues_from_its_summary():
    X = _data()
    est = _est().fit(X[:5000]).partial_fit(X[5000:])
    _assert_same_fit(est, _est().fit(X))
    # fit starts again
    again = est.fit(X[:5000])
    _assert_same_fit(again, _est().fit(X[:5000]))


def test_first_call_sets_the_features_and_later_batches_must_match():
    X = _data(2000)
    frame = pd.DataFrame({"x": X[:, 0]})
    est = _est().partial_fit(frame.iloc[:1000])
    assert est.n_features_in_ == 1
    assert list(est.feature_names_in_) == ["x"]
    est.partial_fit(frame.iloc[1000:])
    # an array after a DataFrame: scikit-learn warns, then the width is wrong
    with (
        pytest.warns(UserWarning, match="valid feature names"),
        pytest.raises(ValueError, match="features"),
    ):
        est.partial_fit(np.hstack([X, X]))


def test_changing_the_components_between_calls_raises():
    X = _data(2000)
    est = _est().partial_fit(X[:1000])
    est.set_params(means=(0.0, 3.0))
    with pytest.raises(ValueError, match="means or sigma changed"):
        est.partial_fit(X[1000:])
    est.set_params(means=MEANS, sigma=(1.0, 2.0))
    with pytest.raises(ValueError, match="means or sigma changed"):
        est.partial_fit(X[1000:])


def test_warm_start_starts_from_the_previous_pi():
    X = _data()
    est = _est(warm_start=True).partial_fit(X[:10_000])
    previous = est.pi_
    est.partial_fit(X[10_000:])
    assert est.history_["pi"][0] == previous
    whole = _est(tol=1e-10).fit(X)
    assert est.pi_ == pytest.approx(whole.pi_, abs=1e-4)


def test_streaming_keeps_no_per_sample_state():
    rng = np.random.default_rng(2)
    est = _est()
    for _ in range(20):
        est.partial_fit(rng.normal(size=(50_000, 1)))
    for value in vars(est).values():
        assert np.asarray(value, dtype=object).size < 10_000 or not isinstance(
            value, np.ndarray
        )
    assert est._summary.count == 1_000_000
