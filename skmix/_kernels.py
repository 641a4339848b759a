"""Optional compiled kernel for the EM pass (numba, when installed).

The NumPy kernels in :mod:`skmix._solvers` are the reference; this one
computes the same sums, in one loop over the data instead of several NumPy
calls, for unweighted samples and pi inside (0, 1). An EM pass needs no
division per sample: over a chunk of ``k`` values ``w_j = u_j + shift`` it
keeps ``den = prod w_j`` and ``num`` with ``num / den = sum_j num_j / w_j``
(``num_j`` is 1 or ``u_j``), updated as

    num <- num * w + den * num_j,     den <- den * w,

an addition, a fused multiply-add and a multiplication per sample, all of
positive numbers (no cancellation); each chunk then costs one division and
one log. A pass with derivatives (Newton's) divides once per sample. The
chunks are interleaved (chunk ``c`` holds samples ``c, C + c, 2C + c,
...``) so that the loop over chunks vectorises. The chunk length
bounds ``den`` as in the NumPy kernel, and ``num <= k * den / shift``.

``pip install "skmix[fast]"`` installs numba; without it, or with the
environment variable ``SKMIX_NUMBA=0``, skmix uses the NumPy kernels only.
The first call in a Python environment compiles the kernel (a few seconds,
then cached on disk), and the first call in each process loads numba and
the cached kernel (about 0.3 s); it is used from ``MIN_SAMPLES`` samples per
side on.
"""

import contextlib
import math
import os

import numpy as np

# Below this many samples on a side, the NumPy kernel is used: importing
# numba and calling a compiled function is not worth it there.
MIN_SAMPLES = 20_000

_state = {"kernel": None, "loaded": False, "enabled": True}


def _chunk_sums(u, shift, k, u_in_numerator, derivatives):
    n = u.shape[0]
    n_chunks = n // k
    den = np.ones(n_chunks)
    num = np.zeros(n_chunks)
    s_t = np.zeros(n_chunks if derivatives else 0)
    s_t2 = np.zeros(n_chunks if derivatives else 0)
    for j in range(k):
        row = u[j * n_chunks : (j + 1) * n_chunks]
        if derivatives:  # t = (1 - u) / w needs the division anyway
            for c in range(n_chunks):
                w = row[c] + shift
                q = 1.0 / w
                num[c] += (row[c] if u_in_numerator else 1.0) * q
                t = (1.0 - row[c]) * q
                s_t[c] += t
                s_t2[c] += t * t
                den[c] = den[c] * w
        else:
            for c in range(n_chunks):
                w = row[c] + shift
                if u_in_numerator:
                    num[c] = num[c] * w + den[c] * row[c]
                else:
                    num[c] = num[c] * w + den[c]
                den[c] = den[c] * w
    s_log = 0.0
    s_ratio = 0.0
    for c in range(n_chunks):
        s_log += math.log(den[c])
        s_ratio += num[c] if derivatives else num[c] / den[c]
    t_sum = s_t.sum() if derivatives else 0.0
    t2_sum = s_t2.sum() if derivatives else 0.0
    for i in range(n_chunks * k, n):
        w = u[i] + shift
        s_log += math.log(w)
        s_ratio += (u[i] if u_in_numerator else 1.0) / w
        t = (1.0 - u[i]) / w
        t_sum += t
        t2_sum += t * t
    if not derivatives:
        t_sum = 0.0
        t2_sum = 0.0
    return s_log, s_ratio, t_sum, t2_sum


# Samples per call of the compiled kernel: its per-chunk accumulators then
# take at most 4 * BLOCK / k floats, whatever n is.
BLOCK = 1 << 18


def _blockwise(kernel):
    def side_sums(u, shift, k, u_in_numerator, derivatives):
        totals = [0.0, 0.0, 0.0, 0.0]
        for start in range(0, u.shape[0], BLOCK):
            block = u[start : start + BLOCK]
            sums = kernel(block, shift, k, u_in_numerator, derivatives)
            for i in range(4):
                totals[i] += sums[i]
        return totals

    return side_sums


def compiled_side_sums():
    """The compiled kernel, or None (numba missing, or turned off).

    It is called as ``kernel(u, shift, k, u_in_numerator, derivatives)`` and
    returns ``sum log w``, ``sum num / w`` and, with derivatives, ``sum t``
    and ``sum t**2`` (``t = (1 - u) / w``), for ``w = u + shift > 0``.
    """
    if not _state["enabled"] or os.environ.get("SKMIX_NUMBA", "1") == "0":
        return None
    if not _state["loaded"]:
        _state["loaded"] = True
        try:
            import numba
        except ImportError:
            return None
        compiled = numba.njit(cache=True, fastmath={"contract"})(_chunk_sums)
        _state["kernel"] = _blockwise(compiled)
    return _state["kernel"]


@contextlib.contextmanager
def numpy_kernels_only():
    """Within the block, use the NumPy kernels even if numba is installed."""
    previous = _state["enabled"]
    _state["enabled"] = False
    try:
        yield
    finally:
        _state["enabled"] = previous
