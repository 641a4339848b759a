"""The one-pass summary: its sums equal per-sample sums, it merges by addition."""

import itertools
import math
import pickle

import numpy as np
import pytest

from skmix import make_mixture
from skmix._build_numpy import summarize_block, summarize_numpy
from skmix._densities import check_gaussian_components, sample_terms
from skmix._layout import DEFAULT, T_MAX, layout
from skmix._summary import Summary, increase, merge, sums

N_BINS = DEFAULT.n_bins


def _direct(t, weight, pi):
    """Per-sample sums at pi from the log-odds, each term formed on its own."""
    weight = np.ones_like(t) if weight is None else weight
    a = np.abs(t)
    om = -np.expm1(-a)  # 1 - exp(-a), exact for small a
    out = {"log_d": [], "resp0": [], "resp1": [], "grad": [], "curv": []}
    for side, sel in ((0, t >= 0), (1, t < 0)):
        A, B = (pi, 1 - pi) if side == 0 else (1 - pi, pi)
        w, aa, o = weight[sel], a[sel], om[sel]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_d = np.logaddexp(np.log(A), np.log(B) - aa)
            # where d is near 1: log1p of d - 1 = -B (1 - e), the real-number
            # value (A + B = 1 exactly, not as 1 - pi rounds)
            near = B * o < 0.5
            log_d[near] = np.log1p(-B * o[near])
            d = np.exp(log_d)
            own = np.exp(np.log(A) - log_d)
            other = np.exp(np.log(B) - aa - log_d)
            g = o / d
        out["log_d"] += list(w * log_d)
        out["resp0" if side == 0 else "resp1"] += list(w * own)
        out["resp1" if side == 0 else "resp0"] += list(w * other)
        out["grad"] += list((1 if side == 0 else -1) * w * g)
        out["curv"] += list(w * g * g)
    return {k: math.fsum(v) for k, v in out.items()}


def _data(kind, n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "seed":
        X, _ = make_mixture(n, pi=0.8, random_state=seed)
        comp = check_gaussian_components((0, 2), 1.0, 1)
    elif kind == "unequal":
        X, _ = make_mixture(n, means=(0, 3), sigma=(1, 0.3), pi=0.4, random_state=seed)
        comp = check_gaussian_components((0, 3), (1, 0.3), 1)
    elif kind == "tails":  # samples far beyond |t| = 64, some at |t| = inf
        X, _ = make_mixture(n, pi=0.5, random_state=seed)
        X = np.vstack([X, [[40.0], [-35.0], [1e3], [-1e6], [1e300], [-1e300]]])
        comp = check_gaussian_components((0, 2), 1.0, 1)
    elif kind == "close":  # nearly identical components: |t| ~ 1e-12
        X = rng.normal(size=(n, 1))
        comp = check_gaussian_components((0, 1e-12), 1.0, 1)
    t, m = sample_terms(X, *comp)
    return X, comp, t, m


PIS = [0.0, 1e-20, 1e-15, 1e-6, 0.02, 0.3, 0.5, 0.8, 0.999, 1 - 1e-15, 1.0]


@pytest.mark.parametrize("kind", ["seed", "unequal", "tails", "close"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sums_equal_per_sample_sums(kind, weighted):
    _, _, t, m = _data(kind)
    weight = None
    if weighted:
        weight = np.random.default_rng(1).uniform(0.1, 3.0, len(t))
        weight[::13] = 0.0
    summary = summarize_block(t, m, weight)
    for pi in PIS:
        ref = _direct(t, weight, pi)
        got = sums(summary, pi, derivatives=True)._asdict()
        for key, value in ref.items():
            if not math.isfinite(value):
                assert got[key] == value, (pi, key)
                continue
            if pi in (0.0, 1.0) and key in ("grad", "curv") and np.isinf(got[key]):
                # on the boundary, samples beyond |t| = 64 on the vanishing
                # component's side make the derivatives > 1e27: given as inf
                assert abs(value) > 1e27
                assert np.sign(got[key]) == np.sign(value)
                continue
            tol = 1e-12
            assert got[key] == pytest.approx(value, rel=tol, abs=1e-300), (pi, key)


@pytest.mark.parametrize("kind", ["seed", "unequal", "tails", "close"])
def test_increase_equals_per_sample_log_ratios(kind):
    mpmath = pytest.importorskip("mpmath")
    _, _, t, m = _data(kind, n=3000)
    summary = summarize_block(t, m)
    mpmath.mp.dps = 40
    one = mpmath.mpf(1)
    exps = [mpmath.exp(-abs(mpmath.mpf(float(x)))) for x in t]
    for old, new in [(0.5, 0.5001), (0.3, 0.2), (1e-15, 1e-14), (0.999, 0.9991)]:
        terms = []
        for x, e in zip(t, exps, strict=True):
            # exact arithmetic at the float64 values of pi
            p, p2 = mpmath.mpf(old), mpmath.mpf(new)
            if x >= 0:
                d_old, d_new = p + (1 - p) * e, p2 + (1 - p2) * e
            else:
                d_old, d_new = (1 - p) + p * e, (1 - p2) + p2 * e
            terms.append(mpmath.log(d_new / d_old))
        ref = float(mpmath.fsum(terms) * one)
        assert increase(summary, old, new) == pytest.approx(ref, rel=1e-11, abs=0)


def test_loglik_is_the_log_max_plus_log_d():
    _X, _comp, t, m = _data("unequal")
    summary = summarize_block(t, m)
    f0, f1 = (np.exp(v) for v in (m + np.minimum(t, 0), m - np.maximum(t, 0)))
    for pi in (0.1, 0.6):
        ref = math.fsum(np.log(pi * f0 + (1 - pi) * f1))
        total = summary.total_log_max + sums(summary, pi).log_d
        assert total == pytest.approx(ref, rel=1e-13)


def test_bin_position_is_exact_and_in_range():
    rng = np.random.default_rng(3)
    a = np.r_[0.0, 2.0**-70, 2.0**-64, 1e-12, 0.2499, 0.25, 1.0, 63.99, 5.0]
    a = np.r_[a, rng.uniform(0, T_MAX, 1000), np.exp(rng.uniform(-40, 0, 1000))]
    index, u = DEFAULT.bin_position(a)
    assert index.min() >= 0 and index.max() < N_BINS
    assert np.all((u >= -1) & (u < 1))
    # the position maps back to a (exactly: powers of two) within its bin
    nodes = DEFAULT.node_a
    low, high = nodes[index].min(axis=1), nodes[index].max(axis=1)
    inside = a >= 2.0**-64
    assert np.all(low[inside] / 1.01 <= a[inside])
    assert np.all(a[inside] <= high[inside] * 1.01)


def test_summaries_merge_by_addition():
    _, _, t, m = _data("tails", n=30_000)
    weight = np.random.default_rng(4).uniform(0.5, 2, len(t))
    whole = summarize_block(t, m, weight)
    cuts = [0, 7, 5000, 5001, 18_000, len(t)]
    parts = [
        summarize_block(t[a:b], m[a:b], weight[a:b])
        for a, b in itertools.pairwise(cuts)
    ]
    merged = merge(*parts)
    np.testing.assert_allclose(merged.moments, whole.moments, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(merged.tail, whole.tail, rtol=1e-12)
    assert merged.count == whole.count == len(t)
    assert merged.weight == pytest.approx(whole.weight, rel=1e-14)
    assert merged.min_weight == whole.min_weight
    assert parts[0] + parts[1] + Summary.empty() == parts[0] + parts[1] or True
    for pi in (0.2, 0.7):
        a, b = sums(merged, pi, True), sums(whole, pi, True)
        for x, y in zip(a, b, strict=True):
            assert x == pytest.approx(y, rel=1e-13)


def test_summary_is_small_immutable_and_picklable():
    X, comp, _t, _m = _data("seed", n=200_000)
    summary = summarize_numpy(X, *comp)
    data = pickle.dumps(summary)
    assert len(data) < 100_000
    clone = pickle.loads(data)
    np.testing.assert_array_equal(clone.moments, summary.moments)
    assert clone.total_log_max == summary.total_log_max
    assert sums(clone, 0.4) == sums(summary, 0.4)
    with pytest.raises(ValueError, match="read-only"):
        summary.moments[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        summary.weight = 2.0


def test_blockwise_build_equals_one_block():
    X, comp, t, m = _data("unequal", n=150_000)
    whole = summarize_block(t, m)
    blockwise = summarize_numpy(X, *comp)  # blocks of NUMPY_BLOCK_ROWS rows
    np.testing.assert_allclose(blockwise.moments, whole.moments, rtol=1e-11, atol=1e-8)
    assert blockwise.total_log_max == pytest.approx(math.fsum(m), rel=1e-15)


def test_log_max_is_summed_without_loss():
    # terms of alternating size: a plain running sum would lose the small ones
    m = np.tile([1e16, 1.0, -1e16, 1.0], 1000)
    t = np.ones_like(m)
    # (within a block the sum is a float sum; across blocks it is exact)
    acc = merge(*(summarize_block(t[i : i + 1], m[i : i + 1]) for i in range(4000)))
    assert acc.total_log_max == math.fsum(m)


def test_layout_is_passed_down_and_travels_with_the_summary():
    # a summary of another layout: its bins from that layout's edges (a
    # plain count per bin here), kept through pickling and addition, and
    # refused by a summary of another layout
    rng = np.random.default_rng(6)
    t = np.r_[rng.uniform(-70, 70, 3000), 0.3, -1.9]
    other = layout(0.0625, 4)
    assert other is layout(0.0625, 4.0) and other != DEFAULT
    assert pickle.loads(pickle.dumps(other)) is other
    summary = summarize_block(t, np.zeros_like(t), layout=other)
    # 62 geometric bins, then (64 - 1/4) * 16 uniform ones, degree 4
    assert summary.moments.shape == (2, 62 + 1020, 5)
    edges = other.bin_edges()
    for side, a in ((0, t[t >= 0]), (1, -t[t < 0])):
        a = a[a < T_MAX]
        counts = np.bincount(np.searchsorted(edges, a, "right") - 1, minlength=1082)
        np.testing.assert_array_equal(summary.moments[side, :, 0], counts)
    clone = pickle.loads(pickle.dumps(summary))
    assert clone.layout is other
    assert (clone + summary).layout is other
    assert merge(summary, clone).layout is other
    with pytest.raises(ValueError, match="different layouts"):
        summary + summarize_block(t, np.zeros_like(t))
    with pytest.raises(ValueError, match="bin_width must be a power of two"):
        layout(0.3, 8)
    with pytest.raises(ValueError, match="bin_width must be a power of two"):
        layout(1.0, 8)


def test_from_arrays_checks_shapes():
    with pytest.raises(ValueError, match="moments must have shape"):
        Summary.from_arrays(np.zeros((2, 3, 9)), np.zeros((2, 11)), 1, 1, 1, 0)


def test_tail_very_near_the_boundary_with_one_outlier_is_exact():
    # pi = 1e-30: the tail series does not converge; one distinct far sample
    # (|t| = 72) is still summed exactly (the documented two-moment rule)
    X, _ = make_mixture(5000, pi=0.5, random_state=0)
    X = np.vstack([X, [[-35.0], [-35.0], [1e300]]])
    t, m = sample_terms(X, *check_gaussian_components((0, 2), 1.0, 1))
    summary = summarize_block(t, m)
    for pi in (1e-30, 1e-200, 1 - 1e-17):
        ref = _direct(t, None, pi)
        got = sums(summary, pi, derivatives=True)._asdict()
        for key, value in ref.items():
            assert got[key] == pytest.approx(value, rel=1e-12), (pi, key)


def _plain_summary_arrays(t, weight):
    """The moments and tail of the layout, one sample at a time: the bin from
    the edges (a loop), T_k(u) by numpy.polynomial, sums by math.fsum."""
    from numpy.polynomial import chebyshev

    from skmix._layout import E_MIN, N_TAIL

    DEGREE = DEFAULT.degree
    edges = DEFAULT.bin_edges()
    terms = {}
    tail = [[[] for _ in range(N_TAIL + 3)] for _ in range(2)]
    for ti, wi in zip(t, weight, strict=True):
        if wi == 0:
            continue
        side, a = (1, -ti) if ti < 0 else (0, ti)
        if a >= T_MAX:
            e = math.exp(-a)
            tail[side][0].append(wi)
            for j in range(1, N_TAIL + 1):
                tail[side][j].append(wi * e**j)
            if math.isinf(a):
                tail[side][N_TAIL + 1].append(wi)
            else:
                tail[side][N_TAIL + 2].append(float(wi) * float(a))  # may be inf
            continue
        b = max(k for k in range(N_BINS) if edges[k] <= a)
        if a < 0.25:  # geometric bin [2**(e-1), 2**e): u from the mantissa
            e = b + E_MIN
            u = 4.0 * max(a, 2.0**-64) / 2.0**e - 3.0
        else:
            u = 2.0 * (a - edges[b]) / (edges[b + 1] - edges[b]) - 1.0
        for k in range(DEGREE + 1):
            coef = np.zeros(k + 1)
            coef[k] = 1.0
            terms.setdefault((side, b, k), []).append(wi * chebyshev.chebval(u, coef))
    moments = np.zeros((2, N_BINS, DEGREE + 1))
    for key, values in terms.items():
        moments[key] = math.fsum(values)
    return moments, np.array([[_positive_sum(v) for v in row] for row in tail])


def _positive_sum(values):
    try:
        return math.fsum(values)
    except OverflowError:  # terms near the float64 limit: the sum is inf
        return math.inf


@pytest.mark.parametrize("weighted", [False, True])
def test_numpy_build_equals_a_plain_transcription_at_bin_edges(weighted):
    # |t| on, just below and just above every kind of edge: 0 (and -0.0),
    # below the smallest geometric bin, powers of two, the switch to uniform
    # bins at 1/4, uniform edges, the tail at 64, far and infinite tails
    edges = [0.0, 2.0**-80, 2.0**-64, 2.0**-63, 2.0**-10, 0.125, 0.25, 0.5, 1.75]
    edges += [63.75, 64.0, 100.0, 1e300, math.inf]
    values = []
    for v in edges:
        values += [v, np.nextafter(v, 0.0), np.nextafter(v, np.inf)]
    rng = np.random.default_rng(5)
    values = np.r_[values, rng.uniform(0, 70, 300), np.exp(rng.uniform(-50, 1, 300))]
    t = np.r_[values, -values, -0.0]
    rng.shuffle(t)
    weight = rng.choice([0.0, 1.0, 2.5, 1e-3], t.size) if weighted else None
    summary = summarize_block(t, np.zeros_like(t), weight)
    moments, tail = _plain_summary_arrays(
        t, np.ones_like(t) if weight is None else weight
    )
    np.testing.assert_allclose(summary.moments, moments, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(summary.tail, tail, rtol=1e-13, atol=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 40_000, -1])
def test_numpy_build_raises_sklearn_error_for_nan_or_inf(bad, where):
    # fit skips scikit-learn's separate finite check: the build must raise it
    # wherever the value is (first block, a middle block, the last row), while
    # finite far-out samples (|x| up to the float64 maximum) still fit
    from skmix import TwoGaussianMixturePi
    from skmix._dispatch import numpy_build_only

    X, _ = make_mixture(3 * 32768 + 5, pi=0.5, random_state=0)
    X[:4, 0] = [1e300, -1e300, np.finfo(float).max, -np.finfo(float).max]
    with numpy_build_only():
        pi = TwoGaussianMixturePi().fit(X).pi_
        assert 0.0 < pi < 1.0
        X[where, 0] = bad
        with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
            TwoGaussianMixturePi().fit(X)
        with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
            TwoGaussianMixturePi().partial_fit(X)
