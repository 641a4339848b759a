"""The NumPy build of a summary: the reference, block by block.

Each block's log-odds ``t`` and larger log-density ``m`` come from
:func:`skmix._densities.sample_terms`; the block is sorted by ``t``, so that
a side's bins are contiguous runs summed by ``np.add.reduceat`` (see
:class:`_Accumulator`). The result is a :class:`skmix._summary.Summary` of
the given :class:`skmix._layout.Layout`.
"""

import math

import numpy as np
from sklearn.utils import assert_all_finite

from ._densities import sample_terms
from ._layout import DEFAULT, N_TAIL, T_MAX, chebyshev_recurrence
from ._summary import Summary


class _Accumulator:
    """Mutable sums of a summary under construction (private to one build).

    Each block is sorted by ``t``: a side's bins are then contiguous runs
    (found from the bins' edges by ``searchsorted``), summed by
    ``np.add.reduceat`` (pairwise sums, nothing subtracted), and the tails
    are the two ends of the sorted block.
    """

    def __init__(self, layout=DEFAULT):
        self.layout = layout
        self.moments = np.zeros((2, layout.n_bins, layout.n_moments))
        self.tail = np.zeros((2, N_TAIL + 3))
        self.weight = 0.0
        self.count = 0
        self.min_weight = math.inf
        self.log_max = []  # per-block sums, added exactly at the end
        self._edges = layout.bin_edges()
        self._buffer = np.empty((0, 0))

    def add(self, t, m, weight=None):
        """Add a block of samples (weight 0 samples are left out).

        Returns the block's ``sum s m`` (0.0 if nothing was added): NaN or
        ``-inf`` where a sample of positive weight has a non-finite ``m``.
        """
        if weight is not None:
            keep = weight > 0
            if not keep.all():
                t, m, weight = t[keep], m[keep], weight[keep]
        n = t.shape[0]
        if n == 0:
            return 0.0
        self.count += n
        with np.errstate(invalid="ignore", over="ignore"):
            if weight is None:
                self.weight += n
                self.min_weight = min(self.min_weight, 1.0)
                part = float(np.sum(m))
                t = np.sort(t)
            else:
                self.weight += float(np.sum(weight))
                self.min_weight = min(self.min_weight, float(weight.min()))
                part = float(np.add.reduce(weight * m))
                order = np.argsort(t)
                t, weight = t[order], weight[order]
        self.log_max.append(part)
        if np.isnan(t[-1]):  # NaN sorts last
            raise ValueError("The log-odds t must not be NaN.")
        # side 0 (t >= 0, -0.0 included) has its tail at t >= T_MAX, side 1
        # (t < 0) at t <= -T_MAX: the two ends of the sorted block
        zero, tail0 = np.searchsorted(t, [0.0, T_MAX], side="left").tolist()
        tail1 = int(np.searchsorted(t, -T_MAX, side="right"))
        sides = (
            (slice(zero, tail0), slice(tail0, n)),
            (slice(tail1, zero), slice(0, tail1)),
        )
        with np.errstate(over="ignore", invalid="ignore"):  # weights ~1e308
            for s, (body, far) in enumerate(sides):
                a = t[body]
                w = None if weight is None else weight[body]
                if s == 1:  # |t| ascending
                    a = np.negative(a[::-1])
                    w = None if w is None else w[::-1]
                self._add_body(self.moments[s], a, w)
                if far.start < far.stop:
                    _add_tail(
                        self.tail[s],
                        np.abs(t[far]),
                        None if weight is None else weight[far],
                    )
        return part

    def _add_body(self, moments, a, weight):
        """Add the moments of ascending ``a`` (all below ``T_MAX``)."""
        if a.shape[0] == 0:
            return
        layout = self.layout
        u = layout.sorted_positions(a)
        ends = np.searchsorted(a, self._edges)
        used = np.flatnonzero(ends[1:] != ends[:-1])
        n_moments = layout.n_moments
        if self._buffer.shape[1] < a.shape[0]:
            self._buffer = np.empty((n_moments, a.shape[0]))
        buffer = self._buffer[:, : a.shape[0]]
        # a run of empty bins between two used ones adds nothing to the
        # reduceat sum of the used bin before it
        starts = ends[used]
        if weight is None:  # T_0 = 1 and T_1 = u need no rows of their own
            moments[used, 0] += ends[used + 1] - starts
            moments[used, 1] += np.add.reduceat(u, starts)
            rows = chebyshev_recurrence(u, 1.0, u, buffer[: n_moments - 2])
            moments[used, 2:] += np.add.reduceat(rows, starts, axis=1).T
        else:
            columns = layout.chebyshev_moments(u, weight, out=buffer)
            moments[used] += np.add.reduceat(columns, starts, axis=1).T

    def freeze(self):
        """The :class:`Summary` of everything added."""
        parts = self.log_max
        if all(math.isfinite(p) for p in parts):
            high = math.fsum(parts)
            low = math.fsum([*parts, -high])
        else:
            with np.errstate(invalid="ignore"):
                high, low = float(np.sum(parts)), 0.0
        return Summary.from_arrays(
            self.moments,
            self.tail,
            self.weight,
            self.count,
            self.min_weight,
            (high, low),
            self.layout,
        )


def summarize_block(t, m, weight=None, layout=DEFAULT):
    """The :class:`Summary` of one block of samples.

    Parameters
    ----------
    t : ndarray of shape (n,)
        Log-odds ``log f0 - log f1`` (may be infinite, not NaN).
    m : ndarray of shape (n,)
        ``log f_side``, the larger log-density (may be ``-inf``).
    weight : ndarray of shape (n,) or None
        Non-negative finite weights; samples of weight 0 are left out.
    layout : Layout, default=DEFAULT
        The bins and the degree of the summary.

    Returns
    -------
    summary : Summary
    """
    acc = _Accumulator(layout)
    acc.add(
        np.asarray(t, dtype=np.float64),
        np.asarray(m, dtype=np.float64),
        None if weight is None else np.asarray(weight, dtype=np.float64),
    )
    return acc.freeze()


#: Rows per block of the NumPy build: the block's temporaries (about 20
#: arrays of this many float64) stay in a core's cache.
NUMPY_BLOCK_ROWS = 32768


def check_finite_block(X):
    """Raise scikit-learn's ValueError if the block X holds NaN or infinity.

    The builds skip the separate finite check of the validation (a pass over
    X): a NaN or an infinity in X makes the block's sum of ``log_max`` NaN
    or ``-inf`` (or its log-odds undefined), and only then is the block
    checked here, which tells such X from far-out finite samples.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        assert_all_finite(X, input_name="X")


def summarize_numpy(X, means, sigma, sample_weight=None, layout=DEFAULT):
    """The summary of an in-memory X, block by block, with NumPy.

    The reference build (:mod:`skmix._dispatch` uses the compiled one of
    :mod:`skmix._kernels` instead where it can).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        float32 or float64. NaN or infinity in rows of positive weight raise
        scikit-learn's ValueError (see :func:`check_finite_block`); rows of
        weight 0 are not looked at (as in the compiled build), so callers
        with weights check X themselves (the estimator's validation does).
    means, sigma : ndarray of shape (2, n_features)
        Validated components.
    sample_weight : ndarray of shape (n_samples,) or None
        Finite non-negative float64 weights.
    layout : Layout, default=DEFAULT
        The bins and the degree of the summary.
    """
    acc = _Accumulator(layout)
    for start in range(0, X.shape[0], NUMPY_BLOCK_ROWS):
        rows = slice(start, start + NUMPY_BLOCK_ROWS)
        try:
            t, m = sample_terms(X[rows], means, sigma)
        except ValueError:  # undefined log-odds: NaN in X, or far out
            check_finite_block(X[rows])
            raise
        part = acc.add(t, m, None if sample_weight is None else sample_weight[rows])
        if not math.isfinite(part):
            check_finite_block(X[rows])
    return acc.freeze()


def _add_tail(tail, a, weight):
    """Add one side's tail sums (samples with ``a = |t| >= T_MAX``) into its
    row ``tail``."""
    ws = np.ones(a.shape[0]) if weight is None else weight
    finite = np.isfinite(a)
    e = np.exp(-a)
    tail[0] += ws.sum()
    power = ws.copy()
    for j in range(1, N_TAIL + 1):
        power *= e
        tail[j] += power.sum()
    tail[N_TAIL + 1] += ws[~finite].sum()
    with np.errstate(over="ignore"):  # sum s a beyond float64 is inf
        tail[N_TAIL + 2] += np.add.reduce(ws[finite] * a[finite])
