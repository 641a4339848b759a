"""The layout of a summary: the bins of ``|t|``, their Chebyshev points, the tail.

The constants and the pure geometry that every summary build (NumPy, Array
API, compiled, dask) and the summary's evaluation share; see
:mod:`skmix._summary` for what a summary holds. This module imports nothing
from skmix.

Per side, the bins of ``a = |t|`` are geometric, ``[2**(e-1), 2**e)`` for
``e = E_MIN .. E_MAX`` (smaller ``a`` are counted at ``A_MIN = 2**-64``),
then uniform of width ``bin_width`` from 1/4 up to ``T_MAX``; in each bin, a
sample's position ``u`` in [-1, 1) carries the Chebyshev moments ``T_k(u)``,
``k = 0 .. degree``. Samples with ``a >= T_MAX`` go to the tail (``N_TAIL``
terms of a series).

The bin width and the degree are the fields of a :class:`Layout`; the
default one (:data:`DEFAULT`, width 1/4, degree 8) serves every estimator.
``benchmarks/summary_accuracy.py`` passes others down to the builds.
"""

from functools import cache

import numpy as np

#: ``|t|`` at which the tail starts.
T_MAX = 64.0
#: Terms of the tail series.
N_TAIL = 8
#: Geometric bins [2**(e-1), 2**e) for e = E_MIN .. E_MAX.
E_MIN, E_MAX = -63, -2
N_GEOMETRIC = E_MAX - E_MIN + 1
#: Smaller ``|t|`` are counted at this value (``2**-64``).
A_MIN = 2.0**E_MIN / 2
#: The tail series is used while ``B / A < exp(T_MAX - TAIL_MARGIN)``.
TAIL_MARGIN = 5.0


class Layout:
    """The bins of ``|t|`` and the degree of the per-bin interpolation.

    Immutable; get instances from :func:`layout` (one per parameter pair, so
    that summaries built with the same layout share its arrays).

    Parameters
    ----------
    bin_width : float, default=0.25
        Width of the uniform bins: a power of two (binning is then exact),
        at most 1/2 (with 1/2, the first uniform bin holds ``[1/4, 1/2)``).
    degree : int, default=8
        Degree of the per-bin Chebyshev interpolation.

    Attributes
    ----------
    n_bins : int
        Bins per side: the geometric ones, then the uniform ones.
    n_moments : int
        ``degree + 1``.
    cheb_x : ndarray of shape (n_moments,)
        Chebyshev points of the first kind on [-1, 1].
    moments_to_weights : ndarray of shape (n_moments, n_moments)
        Turns a bin's moments into weights on its Chebyshev points: ``sum_i
        p(u_i) = sum_j w_j g(x_j)`` for the interpolant ``p`` of ``g`` at the
        points ``x_j``, ``w = moments @ moments_to_weights``.
    node_a : ndarray of shape (n_bins, n_moments)
        ``a`` at each bin's Chebyshev points.
    """

    def __init__(self, bin_width=0.25, degree=8):
        bin_width, degree = float(bin_width), int(degree)
        if not (0 < bin_width <= 0.5 and np.frexp(bin_width)[0] == 0.5):
            raise ValueError(
                f"bin_width must be a power of two <= 1/2, got {bin_width!r}."
            )
        if degree < 1:
            raise ValueError(f"degree must be >= 1, got {degree!r}.")
        self.bin_width = bin_width
        self.degree = degree
        self.inv_width = 1.0 / bin_width
        # the index of the uniform bin that holds 1/4 (the first one used)
        self.first_uniform = round(0.25 / bin_width)
        self.n_bins = N_GEOMETRIC + int(T_MAX / bin_width) - self.first_uniform
        self.n_moments = m = degree + 1
        k = np.arange(m)
        self.cheb_x = np.cos(np.pi * (k + 0.5) / m)
        self.moments_to_weights = (
            np.where(k[:, None] == 0, 1.0, 2.0)
            / m
            * np.cos(k[:, None] * np.pi * (k[None, :] + 0.5) / m)
        )
        self.node_a = self._node_positions()
        for array in (self.cheb_x, self.moments_to_weights, self.node_a):
            array.flags.writeable = False

    def __repr__(self):
        return f"Layout(bin_width={self.bin_width!r}, degree={self.degree!r})"

    def __reduce__(self):  # the two parameters only
        return layout, (self.bin_width, self.degree)

    def __eq__(self, other):
        if not isinstance(other, Layout):
            return NotImplemented
        return (self.bin_width, self.degree) == (other.bin_width, other.degree)

    def __hash__(self):
        return hash((self.bin_width, self.degree))

    def _node_positions(self):
        e = np.arange(E_MIN, E_MAX + 1, dtype=float)
        geometric = np.ldexp((self.cheb_x + 3.0) / 4.0, e[:, None].astype(int))
        first = self.first_uniform
        b = np.arange(first, first + self.n_bins - N_GEOMETRIC, dtype=float)
        uniform = (b[:, None] + (self.cheb_x + 1.0) / 2.0) * self.bin_width
        return np.vstack([geometric, uniform])

    def bin_edges(self):
        """Edges of the bins of ``|t|``: bin ``b`` holds ``edges[b] <= |t| <
        edges[b + 1]``.

        The first bin starts at 0 (smaller ``|t|`` are counted in it), the
        last ends at ``T_MAX``; :meth:`bin_position` places every ``|t|`` in
        the bin these edges give (tested).
        """
        h = self.bin_width
        edges = np.concatenate(
            [
                [0.0],
                np.ldexp(1.0, np.arange(E_MIN, E_MAX + 1)),
                h * np.arange(self.first_uniform + 1, round(T_MAX / h) + 1),
            ]
        )
        assert edges.shape == (self.n_bins + 1,) and edges[-1] == T_MAX
        return edges

    def bin_position(self, a, xp=np):
        """Bin index in ``[0, n_bins)`` and position ``u`` in [-1, 1] of ``a = |t|``.

        ``a`` must be below ``T_MAX``. Geometric bins for ``a < 1/4`` (values
        below ``2**-64`` are placed at ``2**-64``), uniform bins of width
        ``bin_width`` above. ``xp`` is the array namespace (NumPy by
        default); the arithmetic is exact (powers of two).
        """
        small = a < 0.25
        expo, u_geometric = geometric_position(a, xp)
        b, u_uniform = self.uniform_position(a, xp)
        index = xp.where(small, expo - E_MIN, N_GEOMETRIC - self.first_uniform + b)
        return xp.astype(index, xp.int64), xp.where(small, u_geometric, u_uniform)

    def uniform_position(self, a, xp=np):
        """``floor(a / bin_width)`` and the position in that uniform bin."""
        y = a * self.inv_width
        b = xp.floor(y)
        if xp is np:  # 2 (y - b) - 1 in place (the NumPy build's inner loop)
            y -= b
            y *= 2.0
            y -= 1.0
            return b, y
        return b, 2.0 * (y - b) - 1.0

    def sorted_positions(self, a):
        """``u`` of :meth:`bin_position` for ascending NumPy ``a`` in ``[0,
        T_MAX)``: the geometric bins are a prefix."""
        small = int(np.searchsorted(a, 0.25))
        _, u = self.uniform_position(a)
        if small:
            u[:small] = geometric_position(a[:small])[1]
        return u

    def chebyshev_moments(self, u, weight=None, out=None):
        """``s * T_k(u)`` for k = 0 .. degree: shape ``(degree + 1, len(u))``
        (written into ``out`` if given)."""
        if out is None:
            out = np.empty((self.n_moments, len(u)))
        if weight is None:
            out[0] = 1.0
            out[1] = u
        else:
            out[0] = weight
            np.multiply(u, weight, out=out[1])
        chebyshev_recurrence(u, out[0], out[1], out[2:])
        return out


def geometric_position(a, xp=np):
    """The exponent ``e`` of the geometric bin ``[2**(e-1), 2**e)`` of ``a``
    (``a`` below ``2**-64`` counted at ``2**-64``) and the position in it."""
    if xp is np:
        mant, expo = np.frexp(np.maximum(a, A_MIN))
    else:
        mant, expo = _frexp(a, xp)
    return expo, 4.0 * mant - 3.0


def _frexp(a, xp):
    # frexp for namespaces without it (exact: powers of two)
    # arrays, not Python scalars, as second operands: PyTorch's maximum and
    # pow take tensors only
    a = xp.maximum(a, xp.full_like(a, A_MIN))
    two = xp.full_like(a, 2.0)
    expo = xp.floor(xp.log2(a)) + 1.0
    mant = a / xp.pow(two, expo)
    # log2 may round across a power of two
    expo = xp.where(mant >= 1.0, expo + 1.0, xp.where(mant < 0.5, expo - 1.0, expo))
    mant = a / xp.pow(two, expo)
    return mant, expo


def chebyshev_recurrence(u, first, second, out):
    """Rows ``s T_2(u), s T_3(u), ...`` into ``out`` from ``s T_0`` and ``s
    T_1`` (``first``, ``second``: arrays, or 1.0 and ``u`` without weights):
    ``s T_k = 2 u (s T_{k-1}) - s T_{k-2}``, the weight riding along."""
    two_u = u + u
    previous, current = first, second
    for k in range(out.shape[0]):
        np.multiply(two_u, current, out=out[k])
        out[k] -= previous
        previous, current = current, out[k]
    return out


def layout(bin_width=0.25, degree=8):
    """The :class:`Layout` with these parameters (one instance per pair)."""
    return _cached_layout(float(bin_width), int(degree))


@cache
def _cached_layout(bin_width, degree):
    return Layout(bin_width, degree)


#: The layout of every estimator's summary: bins of width 1/4, degree 8.
DEFAULT = layout()
