"""Prior families of the empirical Bayes normal means model, and their grids.

A prior is a mixture of components, each given by three numbers
``(lower, upper, scale)``:

- a point mass at ``m``: ``lower = upper = m``, ``scale = 0``;
- a normal ``N(m, scale^2)``: ``lower = upper = m``, ``scale > 0``;
- a uniform on ``[lower, upper]`` (``lower < upper``), ``scale = 0``.

:func:`ashr_scale_grid` is ashr's default grid rule (``autoselect.mixsd``),
:func:`components` lays the components of each family on a grid.
"""

import math
from typing import NamedTuple

import numpy as np

FAMILIES = (
    "normal_scale_mixture",
    "unimodal_symmetric",
    "unimodal",
    "unimodal_nonnegative",
    "unimodal_nonpositive",
    "npmle",
)
UNIFORM_FAMILIES = FAMILIES[1:5]
# Koenker and Mizera's GLmix: point masses on this many equally spaced points
NPMLE_GRID_SIZE = 300


class Components(NamedTuple):
    """The components of a prior: arrays of shape (K,)."""

    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray

    @property
    def is_point(self):
        return (self.lower == self.upper) & (self.scale == 0)

    @property
    def is_uniform(self):
        return self.upper > self.lower


class Prior(NamedTuple):
    """A fitted prior ``g``: a mixture of :class:`Components` with weights.

    ``weights[k]`` is the weight of the component ``k``: a point mass at
    ``lower[k]`` (``lower == upper``, ``scale == 0``), a normal
    ``N(lower[k], scale[k]^2)`` (``scale > 0``) or a uniform on
    ``[lower[k], upper[k]]``.
    """

    family: str
    weights: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    mode: float

    @property
    def components(self):
        return Components(self.lower, self.upper, self.scale)


def ashr_scale_grid(x, s, mode, mult):
    """ashr's default grid of scales (``autoselect.mixsd``), without the 0.

    With ``d = x - mode`` over the samples with ``0 < s < inf``: the
    smallest scale is ``min(s) / 10``; the largest ``2 sqrt(max(d^2 -
    s^2))``, or 8 times the smallest when every ``d^2 <= s^2``; the grid is
    ``largest * mult^(-m), ..., largest * mult^-1, largest`` with ``m =
    ceil(log2(largest / smallest) / log2(mult))``. ``mult = 0`` gives ashr's
    two-point grid ``[largest / 2]`` (after the 0).

    Parameters
    ----------
    x, s : ndarray of shape (n,)
    mode : float
    mult : float
        ``> 1``, or 0.

    Returns
    -------
    scales : ndarray, increasing

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._eb_grid import ashr_scale_grid
    >>> # largest 2 sqrt(3^2 - 1) = 5.657, smallest 0.1: m = ceil(11.64) = 12
    >>> grid = ashr_scale_grid(np.array([3.0, 0.5]), np.ones(2), 0.0, np.sqrt(2))
    >>> len(grid), float(grid[-1].round(3)), float(grid[0].round(4))
    (13, 5.657, 0.0884)
    """
    smallest = np.inf
    excess_max = -np.inf
    step = 1 << 16  # in blocks: no temporary of the data's length
    for start in range(0, len(x), step):
        sb = s[start : start + step]
        keep = (sb > 0) & np.isfinite(sb)
        if not keep.any():
            continue
        d, se = x[start : start + step][keep] - mode, sb[keep]
        smallest = min(smallest, float(se.min()) / 10.0)
        excess_max = max(excess_max, float(np.max(d * d - se * se)))
    if not math.isfinite(smallest):
        raise ValueError(
            "s: the default grid needs at least one sample with s > 0; "
            "every s is 0 (give grid= explicitly)."
        )
    largest = 8.0 * smallest if excess_max <= 0 else 2.0 * math.sqrt(excess_max)
    if mult == 0:
        return np.array([largest / 2.0])
    m = math.ceil(math.log2(largest / smallest) / math.log2(mult))
    return mult ** np.arange(-m, 1, dtype=float) * largest


def components(family, grid, mode):
    """The components of ``family`` on ``grid`` around ``mode``.

    ``grid``: increasing scales > 0 (the point mass at the mode is added,
    and a 0 in ``grid`` is dropped), or for ``"npmle"`` the locations of the
    point masses.

    - normal_scale_mixture: a point mass at the mode and ``N(mode,
      scale^2)`` for each scale (ashr's ``mixcompdist = "normal"``);
    - unimodal_symmetric: the point mass and ``U[mode - scale, mode +
      scale]`` (``"uniform"``);
    - unimodal: the point mass, ``U[mode - scale, mode]`` and ``U[mode,
      mode + scale]`` (``"halfuniform"``; ashr has the point mass twice, as
      two uniforms of width 0: the fitted prior is the same);
    - unimodal_nonnegative / unimodal_nonpositive: the point mass and
      ``U[mode, mode + scale]`` / ``U[mode - scale, mode]``;
    - npmle: point masses at the grid's locations (``mode`` unused).
    """
    grid = np.asarray(grid, dtype=float)
    if family == "npmle":
        z = np.zeros_like(grid)
        return Components(grid.copy(), grid.copy(), z)
    g = grid[grid > 0]
    k = len(g)
    m = np.full(k, float(mode))
    if family == "normal_scale_mixture":
        lower, upper, scale = m, m, g
    elif family == "unimodal_symmetric":
        lower, upper, scale = m - g, m + g, np.zeros(k)
    elif family == "unimodal":
        lower = np.r_[m - g, m]
        upper = np.r_[m, m + g]
        scale = np.zeros(2 * k)
    elif family == "unimodal_nonnegative":
        lower, upper, scale = m, m + g, np.zeros(k)
    elif family == "unimodal_nonpositive":
        lower, upper, scale = m - g, m, np.zeros(k)
    else:  # pragma: no cover (validated by the estimator)
        raise ValueError(family)
    return Components(
        np.r_[mode, lower], np.r_[mode, upper], np.r_[0.0, scale].astype(float)
    )


def npmle_grid(x, size=NPMLE_GRID_SIZE):
    """GLmix's default: ``size`` equally spaced locations over ``[min x, max x]``."""
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi == lo:
        return np.array([lo])
    return np.linspace(lo, hi, size)
