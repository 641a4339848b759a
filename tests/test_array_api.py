"""Array API input: the summary is built in its own namespace and device.

array-api-strict always (on its default device and on a second device, which
raises if anything is mixed with host arrays); PyTorch (CPU) where it is
installed, through both of its reductions (``index_add_`` and the sort-based
one of the other namespaces). sklearn's own array API checks run in
tests/test_common.py.
"""

import copy
import importlib
import math
import pickle

import numpy as np
import pytest
import sklearn
from _helpers import assert_same_fit

from skmix import TwoGaussianMixturePi, make_mixture
from skmix import _array_api as array_api
from skmix._build_numpy import summarize_block
from skmix._densities import check_gaussian_components, sample_terms
from skmix._layout import DEFAULT, N_TAIL, layout

DEGREE, N_BINS = DEFAULT.degree, DEFAULT.n_bins

MEANS, SIGMA = (0.0, 2.0), (1.0, 1.5)
RTOL = 1e-12


def _namespaces():
    yield pytest.param(("array_api_strict", None), id="array_api_strict")
    yield pytest.param(("array_api_strict", "device1"), id="array_api_strict-device1")
    yield pytest.param(("torch", None), id="torch-cpu")


@pytest.fixture(params=list(_namespaces()))
def namespace(request):
    name, device = request.param
    if name == "torch":
        xp = pytest.importorskip("torch")  # optional: tested where installed
        return xp, None
    xp = importlib.import_module(name)
    return xp, None if device is None else xp.Device(device)


def _asarray(namespace, array):
    xp, device = namespace
    return xp.asarray(array, device=device)


def _to_numpy(array):
    if hasattr(array, "numpy"):
        return array.numpy()  # torch, on the CPU
    return np.asarray(array._array)  # array_api_strict


def _data(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X, _ = make_mixture(n, means=MEANS, sigma=SIGMA, pi=0.7, random_state=seed)
    # far-out samples: the tails of the summary are used too
    X[:3] = [[60.0], [-1e6], [-35.0]]
    weight = rng.uniform(0.0, 2.0, n)
    weight[::9] = 0.0
    return X, weight


@pytest.mark.parametrize("solver", ["em", "newton"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_in_the_namespace_equals_numpy(namespace, solver, weighted):
    X, weight = _data()
    weight = weight if weighted else None
    local = TwoGaussianMixturePi(MEANS, SIGMA, solver=solver).fit(
        X, sample_weight=weight
    )
    X_xp = _asarray(namespace, X)
    w_xp = None if weight is None else _asarray(namespace, weight)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA, solver=solver)
        est.fit(X_xp, sample_weight=w_xp)
        assert_same_fit(est, local)
        assert type(est.weights_) is type(X_xp)
        assert est.weights_.device == X_xp.device
        np.testing.assert_allclose(_to_numpy(est.weights_), local.weights_, rtol=RTOL)


@pytest.mark.parametrize("weighted", [False, True])
def test_only_the_summary_comes_to_the_host(namespace, weighted, monkeypatch):
    # blocks of 1000 rows: the build runs over 4 blocks, each sending its
    # moments (and tail sums where it has tail samples; sizes fixed by the
    # layout, not by n) and nothing per-sample; the result is still NumPy's
    X, weight = _data()
    weight = weight if weighted else None
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X, sample_weight=weight)
    sizes = []
    to_host = array_api.to_host

    def recording_to_host(array, xp):
        sizes.append(math.prod(array.shape))
        return to_host(array, xp)

    monkeypatch.setattr(array_api, "to_host", recording_to_host)
    monkeypatch.setattr(array_api, "ARRAY_API_BLOCK_ROWS", 1000)
    monkeypatch.setattr(array_api, "SCATTER_BLOCK_ROWS", 1000)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(
            _asarray(namespace, X),
            sample_weight=None if weight is None else _asarray(namespace, weight),
        )
    moments, tail = 2 * N_BINS * (DEGREE + 1), 2 * (N_TAIL + 3)
    # the first block holds the far-out rows: its tail sums come too
    assert sizes == [tail, moments] + [moments] * 3
    assert_same_fit(est, local)


def test_fitted_estimator_pickles_and_deep_copies(namespace):
    X, weight = _data(1000)
    local = TwoGaussianMixturePi(MEANS, SIGMA, solver="newton").fit(
        X, sample_weight=weight
    )
    X_xp = _asarray(namespace, X)
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA, solver="newton").fit(
            X_xp, sample_weight=_asarray(namespace, weight)
        )
        clones = [pickle.loads(pickle.dumps(est)), copy.deepcopy(est)]
        for clone in clones:
            assert_same_fit(clone, local)
            np.testing.assert_allclose(
                _to_numpy(clone.predict_proba(X_xp)),
                local.predict_proba(X),
                rtol=RTOL,
            )
    assert len(pickle.dumps(est)) < 100_000


def test_predictions_come_back_in_the_namespace(namespace):
    X, _ = _data()
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X)
    X_xp = _asarray(namespace, X)
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
            assert output.device == X_xp.device, name
            np.testing.assert_allclose(
                _to_numpy(output), getattr(local, name)(X), rtol=RTOL, atol=1e-15
            )
        assert isinstance(est.score(X_xp), float)
        assert est.score(X_xp) == pytest.approx(local.score(X), rel=RTOL)
        with pytest.raises(ValueError, match="same namespace"):
            est.predict(X)  # NumPy input to an estimator fitted on another namespace


def test_float32_input_is_computed_in_float64(namespace):
    xp, _ = namespace
    X, _ = _data()
    X32 = X.astype(np.float32)
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X32)
    with sklearn.config_context(array_api_dispatch=True):
        X_xp = _asarray(namespace, X32)
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(X_xp)
        assert_same_fit(est, local)
        assert est.weights_.dtype == xp.float64
        assert est.predict_proba(X_xp).dtype == xp.float64


def test_densities_beyond_float64_and_bad_values(namespace):
    X, weight = _data(200)
    X = np.vstack([X, [[1e300]], [[-1e300]]])
    weight = np.r_[weight, 1.0, 0.5]
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X, sample_weight=weight)
    assert local.loglik_ == -np.inf
    with sklearn.config_context(array_api_dispatch=True):
        est = TwoGaussianMixturePi(MEANS, SIGMA).fit(
            _asarray(namespace, X), sample_weight=_asarray(namespace, weight)
        )
        assert_same_fit(est, local)
        assert np.isfinite(_to_numpy(est.predict_proba(_asarray(namespace, X)))).all()
        with pytest.raises(ValueError, match="NaN"):
            est.fit(_asarray(namespace, np.vstack([X, [[np.nan]]])))
        with pytest.raises(ValueError, match="Negative"):
            est.fit(
                _asarray(namespace, X),
                sample_weight=_asarray(namespace, -np.ones(len(X))),
            )


def test_inputs_are_not_modified(namespace):
    X, weight = _data(300)
    X_xp, w_xp = _asarray(namespace, X), _asarray(namespace, weight)
    with sklearn.config_context(array_api_dispatch=True):
        TwoGaussianMixturePi(MEANS, SIGMA).fit(X_xp, sample_weight=w_xp)
    np.testing.assert_array_equal(_to_numpy(X_xp), X)
    np.testing.assert_array_equal(_to_numpy(w_xp), weight)


def test_repeated_fits_are_identical(namespace):
    X, weight = _data(1000)
    with sklearn.config_context(array_api_dispatch=True):
        fits = [
            TwoGaussianMixturePi(MEANS, SIGMA).fit(
                _asarray(namespace, X), sample_weight=_asarray(namespace, weight)
            )
            for _ in range(2)
        ]
    for key in fits[0].history_:
        np.testing.assert_array_equal(fits[0].history_[key], fits[1].history_[key])


def test_bin_edges_are_those_of_bin_position():
    # the sort-based build finds bins by their edges; they must be exactly
    # where skmix._layout.Layout.bin_position changes bin
    edges = DEFAULT.bin_edges()
    index, _ = DEFAULT.bin_position(edges[:-1])
    np.testing.assert_array_equal(index, np.arange(N_BINS))
    index, _ = DEFAULT.bin_position(np.nextafter(edges[1:], 0.0))
    np.testing.assert_array_equal(index, np.arange(N_BINS))


def _hard_log_odds(seed=0):
    """t on and next to every bin edge, at 0, -0.0, tiny, huge and infinite."""
    rng = np.random.default_rng(seed)
    edges = DEFAULT.bin_edges()
    special = np.concatenate(
        [
            edges,
            np.nextafter(edges, -1.0),
            np.nextafter(edges, 100.0),
            [0.0, -0.0, 5e-324, 1e-300, 2.0**-64, 2.0**-65, 1e6, np.inf],
        ]
    )
    t = np.concatenate(
        [
            special,
            -special,
            rng.normal(0.0, 6.0, 20_000),
            1e-12 * rng.standard_cauchy(2_000),
        ]
    )
    rng.shuffle(t)
    m = rng.normal(-3.0, 1.0, t.size)
    weight = rng.uniform(0.0, 2.0, t.size)
    weight[::5] = 0.0
    m[weight == 0.0][:3] = -np.inf  # left out with their weight 0
    return t, m, weight


@pytest.mark.parametrize("reduction", ["default", "sort"])
@pytest.mark.parametrize("weighted", [False, True])
def test_summary_built_in_the_namespace_equals_the_numpy_build(
    namespace, reduction, weighted, monkeypatch
):
    if reduction == "sort":  # PyTorch's index_add_ replaced by the standard's
        monkeypatch.setattr(array_api, "_is_torch", lambda xp: False)
    t, m, weight = _hard_log_odds()
    weight = weight if weighted else None
    reference = summarize_block(t, m, weight)
    summary = _block_summary_in(namespace, t, m, weight)
    # the binning, against plain counting by the edges
    keep = np.ones(t.size, bool) if weight is None else weight > 0
    a, side = np.abs(t[keep]), (t[keep] < 0).astype(int)
    body = a < DEFAULT.bin_edges()[-1]
    counts = np.zeros((2, N_BINS))
    np.add.at(
        counts,
        (side[body], np.searchsorted(DEFAULT.bin_edges(), a[body], "right") - 1),
        1.0 if weight is None else weight[keep][body],
    )
    # a bin's sums are differences of cumulative sums over the block, so they
    # round to a few eps times the block's total |weight| (not the bin's)
    eps = np.finfo(float).eps
    atol = 8 * eps * (t.size if weight is None else weight.sum())
    np.testing.assert_allclose(summary.moments[..., 0], counts, rtol=0, atol=atol)
    np.testing.assert_allclose(summary.moments, reference.moments, rtol=0, atol=atol)
    np.testing.assert_allclose(summary.tail, reference.tail, rtol=1e-14)
    assert summary.count == reference.count == keep.sum()
    assert summary.min_weight == reference.min_weight
    assert summary.weight == pytest.approx(reference.weight, rel=1e-15)
    assert summary.total_log_max == pytest.approx(reference.total_log_max, rel=1e-14)


@pytest.mark.parametrize(
    ("X", "means", "sigma"),
    [
        (np.linspace(-50, 50, 1001)[:, None], (0.0, 2.0), (1.0, 1.0)),
        (np.linspace(-50, 50, 1001)[:, None] + 1e12, (1e12, 1e12 + 2), (1.0, 1.5)),
        (
            np.array([[1e300, 0.0], [-1e300, 1.0], [0.5, 1e200], [3.0, -2.0]]),
            ((0.0, 1.0), (2.0, -1.0)),
            ((1.0, 2.0), (1.5, 2.0)),
        ),
    ],
)
def test_sample_terms_in_the_namespace_equal_numpy(namespace, X, means, sigma):
    means, sigma = check_gaussian_components(means, sigma, X.shape[1])
    lo, log_max = sample_terms(X, means, sigma)
    xp, device = namespace
    X_xp = _asarray(namespace, X)
    with sklearn.config_context(array_api_dispatch=True):
        xp, device = array_api.array_api_namespace(X_xp)
        lo_xp, log_max_xp = array_api.sample_terms(X_xp, means, sigma, xp, device)
    # one function for every namespace: the same arithmetic, the same bits
    np.testing.assert_array_equal(_to_numpy(lo_xp), lo)
    np.testing.assert_array_equal(_to_numpy(log_max_xp), log_max)


def test_partial_fit_on_batches_in_the_namespace_equals_the_whole_fit(namespace):
    X, weight = _data()
    local = TwoGaussianMixturePi(MEANS, SIGMA).fit(X, sample_weight=weight)
    est = TwoGaussianMixturePi(MEANS, SIGMA)
    with sklearn.config_context(array_api_dispatch=True):
        for rows in (slice(0, 1500), slice(1500, 1501), slice(1501, None)):
            est.partial_fit(
                _asarray(namespace, X[rows]),
                sample_weight=_asarray(namespace, weight[rows]),
            )
        assert_same_fit(est, local)


def _block_summary_in(namespace, t, m, weight, layout=DEFAULT):
    """``_block_summary`` of NumPy ``t``, ``m``, ``weight`` moved to ``namespace``."""
    with sklearn.config_context(array_api_dispatch=True):
        t_xp = _asarray(namespace, t)
        xp, device = array_api.array_api_namespace(t_xp)
        edges = xp.asarray(layout.bin_edges(), dtype=xp.float64, device=device)
        return array_api._block_summary(
            t_xp,
            _asarray(namespace, m),
            None if weight is None else _asarray(namespace, weight),
            edges,
            xp,
            layout,
        )


@pytest.mark.parametrize(("bin_width", "degree"), [(0.125, 6), (0.0625, 4)])
def test_other_layouts_of_the_summary(namespace, bin_width, degree):
    # the layout is passed down to the builds (benchmarks/summary_accuracy.py
    # passes others): bins and moments still match the NumPy build
    other = layout(bin_width, degree)
    t, m, weight = _hard_log_odds(seed=1)
    reference = summarize_block(t, m, weight, layout=other)
    summary = _block_summary_in(namespace, t, m, weight, other)
    assert summary.layout == reference.layout == other
    assert summary.moments.shape == (2, other.n_bins, degree + 1)
    atol = 8 * np.finfo(float).eps * weight.sum()
    np.testing.assert_allclose(summary.moments, reference.moments, rtol=0, atol=atol)
    np.testing.assert_allclose(summary.tail, reference.tail, rtol=1e-14)
