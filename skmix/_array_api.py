"""Array API inputs (array-api-strict, PyTorch, CuPy, ...): compute there.

With ``sklearn.set_config(array_api_dispatch=True)`` and X from a non-NumPy
Array API namespace, ``fit`` builds the summary of :mod:`skmix._summary` in
that namespace and on X's device (:func:`summarize`), block by block; only
the summary's sums (tens of KB per block, whatever its length) come to the
host, where they are added and the NumPy solvers run on them. The fitted
state is therefore NumPy (it pickles and deep-copies); the prediction methods
compute in X's namespace and return arrays there.

The per-sample formulas are those of the NumPy build: the log-odds of
:func:`skmix._densities.sample_terms` (one function for NumPy and every
namespace), the bins of :meth:`skmix._layout.Layout.bin_position` (shared),
and the Chebyshev recurrence written with the standard's functions only.
The backends differ in the reduction: the standard has no bincount or
scatter-add, so :func:`_binned_moments` sorts each block and takes
differences of cumulative sums at the bins' ends; PyTorch uses its
``index_add_`` (:func:`_binned_moments_scatter`).
"""

import math

import numpy as np

from . import _densities
from ._compat import (
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
)
from ._densities import log_mixture_density, posterior_logit
from ._layout import DEFAULT, N_TAIL, T_MAX
from ._summary import Summary, merge

# Rows per block of the Array API build: its temporaries are about 25 arrays
# of this many float64 (the Chebyshev columns and their cumulative sums), and
# the sort-based bin sums round to a few eps times a block's total weight.
ARRAY_API_BLOCK_ROWS = 1 << 16
# With a scatter-add (PyTorch) nothing rounds with the block's length, so the
# blocks are longer: fewer, larger kernels on a GPU.
SCATTER_BLOCK_ROWS = 1 << 20


def array_api_namespace(*arrays):
    """``(xp, device)`` for non-NumPy Array API input when dispatch is on."""
    xp, is_array_api, device = get_namespace_and_device(*arrays)
    if not is_array_api or _is_numpy_namespace(xp):
        return None
    return xp, device


def float_dtype(xp, device):
    """float64, or float32 on devices without float64 (e.g. Apple MPS)."""
    return _max_precision_float_dtype(xp, device)


def _components(means, sigma, xp, device, dtype):
    return (
        xp.asarray(np.asarray(means), dtype=dtype, device=device),
        xp.asarray(np.asarray(sigma), dtype=dtype, device=device),
    )


def sample_terms(X, means, sigma, xp, device):
    """Log-odds and larger log-density of each row, in X's namespace: the
    formula of :func:`skmix._densities.sample_terms`, in the float dtype of
    :func:`float_dtype`."""
    return _densities.sample_terms(X, means, sigma, xp, float_dtype(xp, device))


def _posterior_parts(X, means, sigma, pi, xp, device):
    """``|t|``, ``exp(-|t|)`` and ``t >= 0`` for the posterior log-odds ``t``
    of component 0; on the boundary (pi = 0 or 1) the prior decides."""
    t = posterior_logit(sample_terms(X, means, sigma, xp, device)[0], pi, xp)
    abs_t = xp.abs(t)
    return abs_t, xp.exp(-abs_t), t >= 0


def responsibilities(X, means, sigma, pi, xp, device):
    _, e, first = _posterior_parts(X, means, sigma, pi, xp, device)
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)  # expit(|t|), expit(-|t|)
    return xp.stack([xp.where(first, big, small), xp.where(first, small, big)], axis=1)


def log_responsibilities(X, means, sigma, pi, xp, device):
    abs_t, e, first = _posterior_parts(X, means, sigma, pi, xp, device)
    big = -xp.log1p(e)  # log expit(|t|)
    small = -abs_t + big  # log expit(-|t|)
    return xp.stack([xp.where(first, big, small), xp.where(first, small, big)], axis=1)


def labels(X, means, sigma, pi, xp, device):
    p0 = responsibilities(X, means, sigma, pi, xp, device)[:, 0]
    return xp.astype(p0 < 0.5, xp.int64)


def log_density(X, means, sigma, pi, xp, device):
    return log_mixture_density(*sample_terms(X, means, sigma, xp, device), pi, xp)


def summarize(X, means, sigma, sample_weight, xp, device, layout=DEFAULT):
    """The :class:`~skmix._summary.Summary` of X, built in X's namespace.

    Block by block of ``ARRAY_API_BLOCK_ROWS`` rows (``SCATTER_BLOCK_ROWS``
    with PyTorch), on X's device: the log-odds ``t``
    and the larger log-density ``m`` (:func:`sample_terms`), then the binned
    Chebyshev moments of ``|t|`` per side (:func:`_binned_moments`), the
    tail sums and the totals of :mod:`skmix._summary`, in ``layout``. Only
    those sums (a few KB per block) come to the host (:func:`to_host`), where
    they are added into one summary.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Validated, in namespace ``xp`` on ``device``.
    means, sigma : ndarray of shape (2, n_features)
        Validated component parameters (NumPy).
    sample_weight : array of shape (n_samples,) or None
        Validated non-negative weights, in ``xp`` on ``device``; samples of
        weight 0 are left out.
    xp, device : namespace and device of X.
    layout : Layout, default=DEFAULT
        The bins and the degree of the summary.

    Returns
    -------
    summary : Summary
    """
    edges = xp.asarray(layout.bin_edges(), dtype=float_dtype(xp, device), device=device)
    n_samples = X.shape[0]
    parts = []
    rows = SCATTER_BLOCK_ROWS if _is_torch(xp) else ARRAY_API_BLOCK_ROWS
    for start in range(0, n_samples, rows):
        stop = min(start + rows, n_samples)
        t, m = sample_terms(X[start:stop, ...], means, sigma, xp, device)
        weight = None
        if sample_weight is not None:
            weight = xp.astype(sample_weight[start:stop], t.dtype)
        parts.append(_block_summary(t, m, weight, edges, xp, layout))
    return merge(*parts)


def _block_summary(t, m, weight, edges, xp, layout=DEFAULT):
    """The summary of one block of ``t``, ``m`` and weights (or None)."""
    a = xp.abs(t)
    side1 = t < 0
    body = a < T_MAX
    # the common case, no sample in the tail: no masks, no tail sums
    tails = bool(xp.any(~body))
    if weight is None:
        count = t.shape[0]
        total, min_weight = float(count), 1.0
        log_max = xp.sum(m)
        w_body = xp.astype(body, t.dtype) if tails else None
        w_tail = xp.astype(~body, t.dtype)
    else:
        positive = weight > 0
        zero = _scalar(0.0, weight, xp)
        count = int(xp.sum(xp.astype(positive, xp.int64)))
        total = float(xp.sum(weight))
        min_weight = float(
            xp.min(xp.where(positive, weight, _scalar(math.inf, weight, xp)))
        )
        # weight 0 leaves the sample out, even where m is -inf
        log_max = xp.sum(weight * xp.where(positive, m, zero))
        w_body = xp.where(body, weight, zero) if tails else weight
        w_tail = xp.where(body, zero, weight)
    if tails:
        # finite positions for the tail's rows
        a_body = xp.where(body, a, _scalar(0.0, a, xp))
        tail = to_host(_tail_sums(a, side1, w_tail, xp), xp)
    else:
        a_body = a
        tail = np.zeros((2, N_TAIL + 3))
    if _is_torch(xp):
        moments = _binned_moments_scatter(a_body, side1, w_body, xp, layout)
    else:
        moments = _binned_moments(t, a_body, w_body, edges, xp, layout)
    return Summary.from_arrays(
        to_host(moments, xp),
        tail,
        total,
        count,
        min_weight if count else math.inf,
        float(log_max),
        layout,
    )


def _chebyshev_columns(u, weight, xp, degree):
    """``weight * T_k(u)``, ``k = 0 .. degree``, as columns (``weight`` None:
    1): the recurrence of :func:`skmix._layout.chebyshev_recurrence` in
    ``xp``."""
    columns = [xp.ones_like(u), u]
    two_u = 2.0 * u
    for _ in range(2, degree + 1):
        columns.append(two_u * columns[-1] - columns[-2])
    columns = xp.stack(columns, axis=1)
    return columns if weight is None else columns * weight[:, None]


def _body_columns(a_body, w_body, xp, layout):
    """Each sample's bin and Chebyshev columns (``w_body`` is 0 outside the
    body, where ``a_body`` is 0)."""
    index, u = layout.bin_position(a_body, xp)
    return index, _chebyshev_columns(u, w_body, xp, layout.degree)


def _binned_moments(t, a_body, w_body, edges, xp, layout):
    """Per-side, per-bin sums of the Chebyshev columns, without a scatter.

    The standard has no bincount or scatter-add, so the block is sorted by
    ``t``: each bin's samples are then a contiguous run, whose ends
    ``searchsorted`` finds from the bins' edges, and a bin's sums are
    differences of the cumulative sums of the columns at its ends. Side 1
    (``t < 0``) is the front of the sorted block, its bins in reverse.
    The differences are exact to the rounding of the cumulative sums (at
    most ``ARRAY_API_BLOCK_ROWS`` terms of magnitude at most the weight).
    """
    if w_body is None:  # every sample in the body, unit weights
        t = xp.sort(t)
        a_body = xp.abs(t)
    else:
        order = xp.argsort(t)
        t, a_body = xp.take(t, order), xp.take(a_body, order)
        w_body = xp.take(w_body, order)
    _, columns = _body_columns(a_body, w_body, xp, layout)
    cumulative = xp.cumulative_sum(columns, axis=0, include_initial=True)
    zero = xp.zeros(1, dtype=t.dtype, device=t.device)
    # side 0 (t >= 0, -0.0 included): bin b is edges[b] <= t < edges[b + 1]
    ends0 = xp.searchsorted(t, edges, side="left")
    # side 1 (t < 0): bin b is -edges[b + 1] < t <= -edges[b], but t < 0
    ends1 = xp.concat(
        [
            xp.searchsorted(t, zero, side="left"),
            xp.searchsorted(t, -edges[1:], side="right"),
        ]
    )
    at = lambda ends: xp.take(cumulative, ends, axis=0)  # noqa: E731
    side0 = at(ends0[1:]) - at(ends0[:-1])
    side1 = at(ends1[:-1]) - at(ends1[1:])
    return xp.stack([side0, side1], axis=0)


def _binned_moments_scatter(a_body, side1, w_body, xp, layout):
    """The same sums as :func:`_binned_moments`, by PyTorch's ``index_add_``."""
    index, columns = _body_columns(a_body, w_body, xp, layout)
    index = index + xp.astype(side1, index.dtype) * layout.n_bins
    out = xp.zeros(
        (2 * layout.n_bins, layout.n_moments), dtype=a_body.dtype, device=a_body.device
    )
    out.index_add_(0, index, columns)
    return xp.reshape(out, (2, layout.n_bins, layout.n_moments))


def _tail_sums(a, side1, w_tail, xp):
    """Per side, over ``|t| >= T_MAX`` (``w_tail`` is 0 elsewhere): the
    weight, ``sum s exp(-j |t|)`` for ``j = 1 .. N_TAIL``, the weight at
    ``|t| = inf`` and ``sum s |t|`` over the finite ones."""
    finite = xp.isfinite(a)
    e = xp.exp(-a)
    zero = _scalar(0.0, a, xp)
    rows = []
    for side in (~side1, side1):
        w = xp.where(side, w_tail, zero)
        sums = [xp.sum(w)]
        power = w
        for _ in range(N_TAIL):
            power = power * e
            sums.append(xp.sum(power))
        sums.append(xp.sum(xp.where(finite, zero, w)))
        sums.append(xp.sum(w * xp.where(finite, a, zero)))
        rows.append(xp.stack(sums))
    return xp.stack(rows, axis=0)


def _scalar(value, like, xp):
    """``value`` as a 0-d array of ``like``'s dtype, on its device.

    The 2023.12 standard's ``where`` takes arrays only (Python scalars came
    in 2024.12), and scikit-learn 1.6 sets array-api-strict to 2023.12.
    """
    return xp.asarray(value, dtype=like.dtype, device=like.device)


def _is_torch(xp):
    return "torch" in getattr(xp, "__name__", "")


def to_host(array, xp):
    """A (small) array of namespace ``xp`` as a NumPy array on the host."""
    return _convert_to_numpy(array, xp)
