"""Optional compiled kernel for the summary build (numba, when installed).

The NumPy build in :mod:`skmix._build_numpy` is the reference; this kernel
computes the same summary in one fused loop over the rows of X: per sample,
the standardised distances, the log-odds ``t`` and the larger log-density
``m`` (the formulas of :func:`skmix._densities.sample_terms`, in the one
specialised copy: :func:`_feature_terms` and :func:`_larger_log_density`,
tested equal), then the bin of ``|t|`` and its Chebyshev moments (or the
tail sums), added in place. No temporary array of the size of X, no BLAS
call.

``pip install numba`` (or ``pip install -e ".[fast]"`` in a clone) installs
numba; without it, or with the
environment variable ``SKMIX_NUMBA=0``, skmix uses the NumPy build. The first
call in a Python environment compiles the kernel (a few seconds, then cached
on disk; where the cache cannot be written, e.g. a read-only install, it
compiles in memory once per process, with one warning); the first call in
each process loads numba and the cached kernel (about 0.3 s), so
:mod:`skmix._dispatch` uses the kernel from ``COMPILED_MIN_ROWS`` rows on.
"""

import math
import time
import types
import warnings

import numpy as np

from ._build_numpy import check_finite_block
from ._densities import (
    DELTA,
    FAR,
    INV0,
    INV1,
    LINEAR,
    LOG_RATIO,
    MID,
    MU0,
    MU1,
    UNDEFINED_LOG_ODDS,
    log_normalisation,
    log_odds_constants,
)
from ._layout import A_MIN, DEFAULT, E_MIN, N_GEOMETRIC, N_TAIL, T_MAX
from ._summary import Summary

_state = {"kernel": None, "loaded": False}

# Rows per chunk of the compiled loop (its per-sample scratch arrays have
# this length and stay in a core's cache).
COMPILED_CHUNK_ROWS = 8192
# Rows per call of the compiled loop: the NumPy view of a block is all that is
# made per call, and the per-block sums of log_max are added exactly.
COMPILED_BLOCK_ROWS = 1 << 20


# the bits of a positive normal float64: mantissa, and the exponent of 0.5
_MANTISSA = (1 << 52) - 1
_HALF = 1022 << 52


def _moments8(moments, row, u, w, lo, hi):
    """Add the degree-8 Chebyshev moments of samples ``lo:hi`` to ``row``.

    Compiled with reassociation allowed (the sums over the samples vectorise;
    only their order of addition, hence rounding, changes).
    """
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = 0.0
    for p in range(lo, hi):
        c0 = w[p]
        u2 = u[p] + u[p]
        c1 = c0 * u[p]
        c2 = u2 * c1 - c0
        c3 = u2 * c2 - c1
        c4 = u2 * c3 - c2
        c5 = u2 * c4 - c3
        c6 = u2 * c5 - c4
        c7 = u2 * c6 - c5
        c8 = u2 * c7 - c6
        a0 += c0
        a1 += c1
        a2 += c2
        a3 += c3
        a4 += c4
        a5 += c5
        a6 += c6
        a7 += c7
        a8 += c8
    moments[row, 0] += a0
    moments[row, 1] += a1
    moments[row, 2] += a2
    moments[row, 3] += a3
    moments[row, 4] += a4
    moments[row, 5] += a5
    moments[row, 6] += a6
    moments[row, 7] += a7
    moments[row, 8] += a8


def _moments(moments, row, u, w, lo, hi):
    """Any degree: the Chebyshev recurrence per sample."""
    degree = moments.shape[1] - 1
    for p in range(lo, hi):
        u2 = u[p] + u[p]
        t_prev = w[p]
        t_cur = w[p] * u[p]
        moments[row, 0] += t_prev
        if degree >= 1:
            moments[row, 1] += t_cur
        for k in range(2, degree + 1):
            t_next = u2 * t_cur - t_prev
            moments[row, k] += t_next
            t_prev = t_cur
            t_cur = t_next


def _feature_terms(col, start, size, first, features, j, t, q0, q1):
    """Phase A for feature ``j``: add its log-odds and squared distances over
    rows ``start .. start + size`` of the column ``col`` into ``t``, ``q0``,
    ``q1`` (the first feature writes them).

    The formula of :func:`skmix._densities.sample_terms`, per sample. A
    separate function so that it is compiled for a contiguous column (one
    feature: its loads vectorise) and for a strided one (several features).
    """
    m0, m1 = features[MU0, j], features[MU1, j]
    p0, p1 = features[INV0, j], features[INV1, j]
    linear = features[LINEAR, j] != 0.0
    dj, cj = features[DELTA, j], features[MID, j]
    fj, lj = features[FAR, j], features[LOG_RATIO, j]
    # one loop; the test of ``linear`` is loop-invariant (LLVM unswitches it)
    for i in range(size):
        x = float(col[start + i])
        z0 = (x - m0) * p0
        z1 = (x - m1) * p1
        q0[i] = (0.0 if first else q0[i]) + z0 * z0
        q1[i] = (0.0 if first else q1[i]) + z1 * z1
        if linear:
            term = ((x - cj) * p0) * dj
        else:
            term = (z1 - z0) * (z1 + z0) * 0.5
            if term != term:  # both distances overflowed
                term = fj
            term += lj
        t[i] = (0.0 if first else t[i]) + term


def _larger_log_density(q0, q1, log_norm0, log_norm1):
    """``max(log f0, log f1)`` from the squared distances: the ``log_max``
    of :func:`skmix._densities.sample_terms`."""
    return max(log_norm0 - 0.5 * q0, log_norm1 - 0.5 * q1)


def _sample_terms(X, features, log_norm, t, m):
    """``t`` and ``m`` of every row of X, from the kernel's own formulas
    (phase A and B1 of :func:`_build`): compiled for the tests only."""
    n, d = X.shape
    for j in range(d):
        _feature_terms(X[:, j], 0, n, j == 0, features, j, t, m, m[n:])
    for i in range(n):
        m[i] = _larger_log_density(m[i], m[n + i], log_norm[0], log_norm[1])


def _build(X, X1, weight, features, log_norm, moments, tail, scalars, geometry):
    """Add the rows of X into ``moments``, ``tail`` and ``scalars``.

    ``X1`` is X's column as a contiguous 1-D array when X has one feature
    (phase A reads it instead of X: its loads vectorise), else unused.
    ``features`` holds the per-feature constants of
    :func:`skmix._densities.log_odds_constants` (rows ``MU0 .. LOG_RATIO``),
    ``log_norm`` the two components' log normalisations, ``geometry`` the
    layout's ``(n_bins, inv_width, first_uniform)``. ``scalars`` is
    ``[weight, count, min_weight, log_max, compensation]``; ``weight`` is
    None (compiled separately: no per-sample weight code) or an array. Per
    chunk of ``COMPILED_CHUNK_ROWS`` rows, in loops over the chunk that
    vectorise where they can:

    - A, feature by feature: the log-odds and the squared distances;
    - B1, without branches: the weighted larger log-density, the bin (the
      geometric bins from the bits of ``|t|``, as ``math.frexp``) and the
      position in it; B2, the sum of ``w m`` (plain sums of 64 samples added
      with Kahan's compensation in 8 lanes); B3, the weight totals, and only
      where there are some, the tail samples (``|t| >= t_max``) and NaN;
    - C, a counting sort of the chunk by bin, then each bin's Chebyshev
      moments summed in registers (:func:`_moments8`).

    The sums of the moments come out in another order than the NumPy build's
    (rounding only); the other formulas are those of the NumPy build.
    Returns the index of a row whose log-odds is undefined (inf - inf), or -1.
    """
    n, d = X.shape
    n_bins, inv_h, first = geometry
    n_geometric, e_min, a_min, t_max, n_tail = N_GEOMETRIC, E_MIN, A_MIN, T_MAX, N_TAIL
    log_norm0, log_norm1 = log_norm[0], log_norm[1]
    degree = moments.shape[1] - 1
    n_rows = moments.shape[0]
    chunk = COMPILED_CHUNK_ROWS
    t_arr = np.empty(chunk)
    q0_arr = np.empty(chunk)
    q1_arr = np.empty(chunk)
    m_arr = np.zeros(chunk + 64)
    rows = np.empty(chunk, np.int64)
    us = np.empty(chunk)
    ws = np.ones(chunk)
    counts = np.zeros(n_rows + 1, np.int64)
    offs = np.zeros(n_rows + 1, np.int64)
    su = np.empty(chunk)
    sw = np.empty(chunk)
    a_buf = np.empty(chunk)
    a_bits = a_buf.view(np.int64)
    mant_bits = np.empty(chunk, np.int64)
    mant = mant_bits.view(np.float64)
    lane_sum = np.zeros(8)
    lane_comp = np.zeros(8)
    total_w = scalars[0]
    count = scalars[1]
    min_w = scalars[2]
    offset = n_geometric - first
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        size = stop - start
        # phase A, feature by feature over the chunk: the log-odds and the
        # squared distances (the first feature adds to 0.0: no zeroing pass)
        for j in range(d):
            args = (start, size, j == 0, features, j, t_arr, q0_arr, q1_arr)
            if d == 1:  # X1: the contiguous column
                _feature_terms(X1, *args)
            else:
                _feature_terms(X[:, j], *args)
        # phase B1, without branches (vectorises): per sample the weighted
        # larger log-density, and the row and position of its bin. The
        # geometric bins take the exponent and mantissa of |t| from its bits
        # (what math.frexp gives); samples with |t| >= t_max or NaN are
        # counted here and handled in B3.
        if weight is not None:
            for i in range(size):
                ws[i] = weight[start + i]
        for i in range(size):
            a = abs(t_arr[i])
            a_buf[i] = a if a > a_min else a_min
        for i in range(size):
            mant_bits[i] = (a_bits[i] & _MANTISSA) | _HALF
        n_far = 0
        for i in range(size):
            t = t_arr[i]
            w = ws[i]
            m = _larger_log_density(q0_arr[i], q1_arr[i], log_norm0, log_norm1)
            m_arr[i] = w * m if w != 0.0 else 0.0
            n_far += 0 if abs(t) < t_max else 1
            a = a_buf[i]
            geometric = (a_bits[i] >> 52) - (1022 + e_min)
            u_geometric = 4.0 * mant[i] - 3.0
            a = a if a < t_max else 0.0
            y = a * inv_h
            b = math.floor(y)
            small = a < 0.25
            rows[i] = (n_bins if t < 0.0 else 0) + (
                geometric if small else offset + int(b)
            )
            us[i] = u_geometric if small else 2.0 * (y - b) - 1.0
        # phase B2: the sum of w * m: plain sums of 64 samples (8 strided
        # partial sums of 8, added pairwise: an error of a few ulps of the
        # sum of |w m| over those 64, like NumPy's pairwise sum), then
        # Kahan's compensated sum of these in 8 independent lanes
        for i in range(size, (size + 63) // 64 * 64):
            m_arr[i] = 0.0
        for i0 in range(0, size, 64):
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for k in range(i0, i0 + 64, 8):
                s0 += m_arr[k]
                s1 += m_arr[k + 1]
                s2 += m_arr[k + 2]
                s3 += m_arr[k + 3]
                s4 += m_arr[k + 4]
                s5 += m_arr[k + 5]
                s6 += m_arr[k + 6]
                s7 += m_arr[k + 7]
            part = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
            lane = (i0 >> 6) & 7
            y = part - lane_comp[lane]
            s_new = lane_sum[lane] + y
            if math.isfinite(s_new):
                lane_comp[lane] = (s_new - lane_sum[lane]) - y
            lane_sum[lane] = s_new
        # phase B3: the weights' totals; the small and tail samples
        if weight is None:
            total_w += size
            count += size
            if size > 0 and min_w > 1.0:
                min_w = 1.0
        else:
            for i in range(size):
                w = ws[i]
                if w != 0.0:
                    total_w += w
                    count += 1.0
                    if w < min_w:
                        min_w = w
        for i in range(size if n_far > 0 else 0):
            t = t_arr[i]
            a = abs(t)
            if a < t_max:
                continue
            w = ws[i]
            if w == 0.0:
                rows[i] = n_rows
                continue
            if t != t:
                return start + i
            side = 1 if t < 0.0 else 0
            rows[i] = n_rows
            e = math.exp(-a)
            tail[side, 0] += w
            p = w
            for j in range(1, n_tail + 1):
                p *= e
                tail[side, j] += p
            if math.isinf(a):
                tail[side, n_tail + 1] += w
            else:
                tail[side, n_tail + 2] += w * a
        # phase C: a counting sort of the chunk by row (tail samples and
        # samples of weight 0 in the spare row n_rows), then each row's
        # Chebyshev moments summed in registers
        for i in range(size):
            counts[rows[i]] += 1
        pos = 0
        for r in range(n_rows + 1):
            offs[r] = pos
            pos += counts[r]
        for i in range(size):
            r = rows[i]
            p = offs[r]
            su[p] = us[i]
            if weight is not None:  # else ws (all 1) serves as sorted weights
                sw[p] = ws[i]
            offs[r] = p + 1
        pos = 0
        sorted_w = ws if weight is None else sw
        for r in range(n_rows):
            c = counts[r]
            if c > 0:
                counts[r] = 0
                if degree == 8:
                    _moments8(moments, r, su, sorted_w, pos, pos + c)
                else:
                    _moments(moments, r, su, sorted_w, pos, pos + c)
                pos += c
        counts[n_rows] = 0
    scalars[0] = total_w
    scalars[1] = count
    scalars[2] = min_w
    # the lanes' sums and compensations, added exactly by the caller
    high = 0.0
    low = 0.0
    for lane in range(8):
        high += lane_sum[lane]
        if math.isfinite(lane_sum[lane]):
            low -= lane_comp[lane]
    scalars[3] = high
    scalars[4] = low
    return -1


_EMPTY = np.empty(0)


def _kernel_arguments(means, sigma):
    """``features`` and ``log_norm`` of :func:`_build` for the components."""
    # one column per feature, in the rows MU0 .. LOG_RATIO
    features = np.ascontiguousarray(np.array(log_odds_constants(means, sigma)).T)
    return features, log_normalisation(sigma)


def _summarize_with(compiled):
    def summarize(X, means, sigma, sample_weight=None, layout=DEFAULT):
        n_features = X.shape[1]
        features, log_norm = _kernel_arguments(means, sigma)
        n_bins, n_moments = layout.n_bins, layout.n_moments
        geometry = (n_bins, layout.inv_width, layout.first_uniform)
        moments = np.zeros((2 * n_bins, n_moments))
        tail = np.zeros((2, N_TAIL + 3))
        has_weight = sample_weight is not None
        parts, totals = [], [0.0, 0.0, math.inf]
        for start in range(0, X.shape[0], COMPILED_BLOCK_ROWS):
            rows = slice(start, start + COMPILED_BLOCK_ROWS)
            scalars = np.array([totals[0], totals[1], totals[2], 0.0, 0.0])
            block = X[rows]
            # one feature: its column as a contiguous 1-D array (a view of a
            # C- or F-ordered X; a copy of this block if X is strided)
            column = np.ascontiguousarray(block[:, 0]) if n_features == 1 else _EMPTY
            weight = sample_weight[rows] if has_weight else None
            arrays = (features, log_norm, moments, tail, scalars)
            bad = compiled(block, column, weight, *arrays, geometry)
            if bad >= 0 or not math.isfinite(scalars[3]):
                # NaN or infinity in X (scikit-learn's error), else far out
                check_finite_block(X[rows])
            if bad >= 0:
                raise ValueError(UNDEFINED_LOG_ODDS)
            totals = [scalars[0], scalars[1], scalars[2]]
            parts += [scalars[3], scalars[4]]
        if all(math.isfinite(p) for p in parts):
            high = math.fsum(parts)
            low = math.fsum([*parts, -high])
        else:
            with np.errstate(invalid="ignore"):
                high, low = float(np.add.reduce(parts[::2])), 0.0
        return Summary.from_arrays(
            moments.reshape(2, n_bins, n_moments),
            tail,
            totals[0],
            int(totals[1]),
            totals[2],
            (high, low),
            layout,
        )

    return summarize


def _compile(numba, cache):
    # The row sums of the moments may be reassociated (vectorised): that
    # changes their rounding only. Everything else, the compensated sum of
    # log_max included, is compiled without fast-math.
    helpers = {
        "_moments8": numba.njit(cache=cache, fastmath={"reassoc"}, nogil=True)(
            _moments8
        ),
        "_moments": numba.njit(cache=cache, nogil=True)(_moments),
        "_feature_terms": numba.njit(cache=cache, fastmath=False, nogil=True)(
            _feature_terms
        ),
        "_larger_log_density": numba.njit(cache=cache, fastmath=False, nogil=True)(
            _larger_log_density
        ),
    }
    return _jit_with(numba, _build, helpers, cache)


def _jit_with(numba, function, helpers, cache):
    """``function`` compiled, calling the compiled ``helpers``."""
    function = types.FunctionType(
        function.__code__, {**function.__globals__, **helpers}, function.__name__
    )
    return numba.njit(cache=cache, fastmath=False, nogil=True)(function)


def _load(verbose):
    try:
        import numba
    except ImportError:
        return None
    start = time.perf_counter()
    if verbose:
        print("Loading the numba kernel (compiled on first use, then cached)...")
    try:
        compiled = _compile(numba, cache=True)
        summarize = _summarize_with(compiled)
        _warm_up(summarize)
    except Exception as error:
        warnings.warn(
            f"The compiled kernel could not be cached ({error}); it is compiled "
            "in memory for this process instead.",
            RuntimeWarning,
            stacklevel=4,
        )
        compiled = _compile(numba, cache=False)
        summarize = _summarize_with(compiled)
        _warm_up(summarize)
    if verbose:
        print(f"numba kernel ready in {time.perf_counter() - start:.2f} s")
    return summarize


def _warm_up(summarize):
    # compiles (or loads from the cache) for the float64 signature
    X = np.zeros((2, 1))
    means = np.array([[0.0], [1.0]])
    sigma = np.ones((2, 1))
    summarize(X, means, sigma, None)
    summarize(X, means, sigma, np.ones(2))


def load(verbose=0):
    """The compiled summary build, loaded (compiled or read from the cache)
    on the first call; None without numba.

    It is called as ``kernel(X, means, sigma, sample_weight)`` with validated
    NumPy inputs and returns a :class:`skmix._summary.Summary`. Whether to
    use it is :func:`skmix._dispatch.compiled_build`'s choice.
    """
    if not _state["loaded"]:
        _state["loaded"] = True
        _state["kernel"] = _load(verbose)
    return _state["kernel"]


def compiled_sample_terms():
    """The kernel's own ``(t, m)`` of each row, compiled (in memory): for
    the test that its copy of the formula equals
    :func:`skmix._densities.sample_terms`. None without numba."""
    try:
        import numba
    except ImportError:
        return None
    helpers = {
        "_feature_terms": numba.njit(_feature_terms),
        "_larger_log_density": numba.njit(_larger_log_density),
    }
    compiled = _jit_with(numba, _sample_terms, helpers, cache=False)

    def sample_terms(X, means, sigma):
        features, log_norm = _kernel_arguments(means, sigma)
        t = np.empty(X.shape[0])
        m = np.empty(2 * X.shape[0])
        compiled(X, features, log_norm, t, m)
        return t, m[: X.shape[0]]

    return sample_terms
