"""The compiled summary build equals the NumPy build (where numba is installed)."""

import warnings

import numpy as np
import pytest

from skmix import TwoGaussianMixturePi, make_mixture
from skmix import _kernels as kernels
from skmix._build_numpy import summarize_numpy
from skmix._densities import check_gaussian_components, sample_terms
from skmix._dispatch import COMPILED_MIN_ROWS, compiled_build, numpy_build_only
from skmix._summary import sums

numba = pytest.importorskip("numba")


@pytest.fixture
def kernel(monkeypatch):
    # the kernel whatever SKMIX_NUMBA says (CI runs the suite with it off too)
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)
    found = compiled_build(COMPILED_MIN_ROWS)
    assert found is not None
    return found


def _numpy(X, comp, weight=None):
    with numpy_build_only():
        return summarize_numpy(X, *comp, weight)


def _assert_same(a, b):
    scale = max(1.0, np.abs(b.moments).max())
    np.testing.assert_allclose(a.moments, b.moments, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(a.tail, b.tail, rtol=1e-12)
    assert a.count == b.count and a.min_weight == b.min_weight
    assert a.weight == pytest.approx(b.weight, rel=1e-14)
    if np.isfinite(b.total_log_max):
        assert a.total_log_max == pytest.approx(b.total_log_max, rel=1e-14)
    else:
        assert a.total_log_max == b.total_log_max
    for pi in (0.0, 0.1, 0.5, 0.97, 1.0):
        for x, y in zip(sums(a, pi, True), sums(b, pi, True), strict=True):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    ("means", "sigma", "d"),
    [
        ((0.0, 2.0), 1.0, 1),
        ((0.0, 3.0), (1.0, 0.3), 1),
        ([[0, 1, -1], [1.5, -0.5, 0]], [[1, 2, 0.5], [1.5, 2, 0.7]], 3),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_build_equals_numpy_build(kernel, means, sigma, d, weighted, dtype):
    X, _ = make_mixture(
        50_000, n_features=d, means=means, sigma=sigma, pi=0.3, random_state=0
    )
    X = np.vstack([X, np.full((3, d), 60.0), np.full((2, d), -1e6)]).astype(dtype)
    comp = check_gaussian_components(means, sigma, d)
    weight = None
    if weighted:
        weight = np.random.default_rng(1).uniform(0.1, 3, len(X))
        weight[::17] = 0.0
    _assert_same(kernel(X, *comp, weight), _numpy(X, comp, weight))


@pytest.mark.parametrize(
    ("means", "sigma", "d"),
    [
        ((0.0, 2.0), 1.0, 1),
        ((0.0, 3.0), (1.0, 0.3), 1),
        ((0.0, 0.0), (1e-200, 1.0), 1),
        ([[0, 1, -1], [1.5, -0.5, 0]], [[1, 2, 0.5], [1.5, 2, 0.7]], 3),
        ([[0, 1], [1e-12, 2.3]], [[1, 1.7], [1, 1.7]], 2),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_formula_is_the_shared_one(means, sigma, d, dtype):
    # the kernel's own copy of the per-sample formula (phase A and m) gives
    # the bits of skmix._densities.sample_terms, far out and on ties too
    rng = np.random.default_rng(5)
    big = np.finfo(dtype).max
    X = np.vstack(
        [
            rng.normal(0.5, 3.0, (2000, d)),
            np.full((1, d), 1.0),  # t = 0 for means (0, 2) and equal sigmas
            np.full((1, d), big),
            np.full((1, d), -big),
            np.full((1, d), np.sqrt(big)),
            # squares near the float range: where the rounding of each
            # product shows (and the order of the multiplications matters)
            np.repeat(np.geomspace(np.sqrt(big) / 1e3, np.sqrt(big), 300), d)
            .reshape(-1, d)
            .astype(dtype),
        ]
    ).astype(dtype)
    comp = check_gaussian_components(means, sigma, d)
    t, m = sample_terms(X, *comp)
    t_kernel, m_kernel = kernels.compiled_sample_terms()(X, *comp)
    np.testing.assert_array_equal(t_kernel, t)
    np.testing.assert_array_equal(m_kernel, m)


def test_compiled_build_with_underflowing_densities(kernel):
    X, _ = make_mixture(30_000, pi=0.5, random_state=0)
    X = np.vstack([X, [[1e300], [-1e300], [1e-320]]])
    comp = check_gaussian_components((0, 2), 1.0, 1)
    _assert_same(kernel(X, *comp, None), _numpy(X, comp))


def test_compiled_build_raises_like_numpy_on_undefined_log_odds(kernel):
    comp = check_gaussian_components([[0, 0], [0, 0]], [[1, 2], [2, 1]], 2)
    X = np.zeros((COMPILED_MIN_ROWS, 2))
    X[5] = 1e300
    with pytest.raises(ValueError, match=r"undefined \(inf - inf\)"):
        kernel(X, *comp, None)


def test_fit_is_the_same_with_either_build(monkeypatch):
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)
    X, _ = make_mixture(60_000, pi=0.7, random_state=3)
    fast = TwoGaussianMixturePi().fit(X)
    with numpy_build_only():
        slow = TwoGaussianMixturePi().fit(X)
    assert fast.n_iter_ == slow.n_iter_
    np.testing.assert_allclose(fast.history_["pi"], slow.history_["pi"], rtol=1e-13)


def test_environment_variable_turns_the_kernel_off(monkeypatch):
    monkeypatch.setenv("SKMIX_NUMBA", "0")
    assert compiled_build(10**9) is None


def test_unwritable_cache_falls_back_with_one_warning(monkeypatch):
    """Issue 9.13: 'cannot cache function ...: no locator available'."""
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)
    real_njit = numba.njit

    def njit(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function '_build': no locator available")
        return real_njit(*args, cache=cache, **kwargs)

    monkeypatch.setattr(numba, "njit", njit)
    monkeypatch.setattr(kernels, "_state", {"kernel": None, "loaded": False})
    X, _ = make_mixture(COMPILED_MIN_ROWS, pi=0.5, random_state=0)
    comp = check_gaussian_components((0, 2), 1.0, 1)
    with pytest.warns(RuntimeWarning, match="could not be cached") as record:
        found = compiled_build(len(X))
        second = compiled_build(len(X))
    assert len(record) == 1 and found is second is not None
    _assert_same(found(X, *comp, None), _numpy(X, comp))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TwoGaussianMixturePi().fit(X)  # no further warning


def test_verbose_announces_the_kernel(monkeypatch, capsys):
    """Issue 9.26: the numba load/compilation on a first fit is reported."""
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)
    monkeypatch.setattr(kernels, "_state", {"kernel": None, "loaded": False})
    X, _ = make_mixture(COMPILED_MIN_ROWS, pi=0.5, random_state=0)
    TwoGaussianMixturePi(verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "numba kernel" in out and "ready in" in out


def test_compiled_build_bins_like_numpy_at_bin_edges(kernel):
    # |t| = 0, below the smallest geometric bin, on and next to the edges of
    # the geometric bins (powers of two), the switch to uniform bins at 1/4,
    # uniform edges and the tail threshold 64, on both sides of t = 0
    edges = [0.0, 2.0**-80, 2.0**-64, 2.0**-63, 2.0**-10, 0.125, 0.25, 0.5, 63.75]
    edges += [64.0, 100.0, 1e300]
    values = []
    for v in edges:
        values += [v, np.nextafter(v, 0.0), np.nextafter(v, np.inf)]
    values = np.array(values)
    # means (0, 1), sigma 1: t = 0.5 - x exactly for these x
    X = np.concatenate([0.5 - values, 0.5 + values])
    X = np.resize(X, COMPILED_MIN_ROWS)[:, None]
    comp = check_gaussian_components((0, 1), 1.0, 1)
    _assert_same(kernel(X, *comp, None), _numpy(X, comp))
    weight = np.resize([0.0, 1.0, 2.5], COMPILED_MIN_ROWS)
    _assert_same(kernel(X, *comp, weight), _numpy(X, comp, weight))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, (1 << 20) + 3, -1])
def test_compiled_build_raises_sklearn_error_for_nan_or_inf(monkeypatch, bad, where):
    # fit skips scikit-learn's separate finite check: the kernel must raise it
    # in any of its blocks, while finite far-out samples still fit
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)
    X, _ = make_mixture((1 << 20) + 10, pi=0.5, random_state=0)
    X[:4, 0] = [1e300, -1e300, np.finfo(float).max, -np.finfo(float).max]
    pi = TwoGaussianMixturePi().fit(X).pi_
    assert 0.0 < pi < 1.0
    X[where, 0] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        TwoGaussianMixturePi().fit(X)
