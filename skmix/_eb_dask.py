"""Dask input for EmpiricalBayesNormalMeans: one map-reduce round per reduction.

The estimates and standard errors stay in their row chunks, where they are
(persisted once, checked there). Each reduction the solver asks for (see
:class:`skmix._known_backends.ChunkedProblem`) builds each chunk's scaled
likelihoods in blocks (:func:`skmix._eb_likelihood.scaled_block`), applies
the formulas of :mod:`skmix._simplex_blocks` to them
(:func:`skmix._known_backends._block_sums`) and adds up ``K`` or ``K^2``
numbers per chunk on the host. The posterior is lazy: a dask array, one
task per chunk.
"""

import math

import numpy as np

from . import _eb_grid as grids
from . import _eb_likelihood as lik
from ._eb_posterior import summaries
from ._known_backends import ChunkedProblem, _block_sums

BLOCK = 1 << 14


def _check_chunk(x, s, offset):
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    s = np.broadcast_to(np.asarray(s, dtype=np.float64), x.shape)
    if not np.all(np.isfinite(x)):
        i = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ValueError(
            f"X: the estimates must be finite; got x[{i + offset}] = {float(x[i])!r}."
        )
    if not np.all(np.isfinite(s) & (s >= 0)):
        i = int(np.flatnonzero(~(np.isfinite(s) & (s >= 0)))[0])
        raise ValueError(
            f"s must be finite and >= 0; got s[{i + offset}] = {float(s[i])!r}."
        )
    return x, np.ascontiguousarray(s)


def _grid_stats(chunk, mode):
    x, s = chunk
    keep = s > 0
    if not keep.any():
        return np.inf, -np.inf
    d, se = x[keep] - mode, s[keep]
    return float(se.min()), float(np.max(d * d - se * se))


def _chunk_reduce(chunk, comps, df, what, args):
    """The chunk's share of a reduction (and of the row constants: "const")."""
    x, s = chunk
    kind = lik.block_kind(comps, df)
    out = None
    for start in range(0, len(x), BLOCK):
        xb, sb = x[start : start + BLOCK], s[start : start + BLOCK]
        L, c = lik.scaled_block(xb, sb, comps, df, kind)
        if what == "const":
            part = [math.fsum(c)]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                # (unit weights: None, except where a square root is taken)
                w = np.ones(len(xb)) if what in ("hessian", "information") else None
                part = _block_sums(np, L, w, what, args)
        out = part if out is None else [a + b for a, b in zip(out, part, strict=True)]
    return out


def chunk_tasks(x, s):
    """``[delayed (x, s)]`` per row chunk (checked when computed) and the
    chunks' lengths. ``x``: a dask array (n,) (split from X by the
    estimator); ``s``: a scalar or a dask array."""
    import dask.array as da
    from dask import delayed

    if isinstance(s, da.Array):
        if s.shape != x.shape:
            raise ValueError(
                f"s must be a scalar or have one entry per sample ({x.shape[0]}); "
                f"got shape {s.shape}."
            )
        s_parts = s.rechunk((x.chunks[0],)).to_delayed().ravel()
    else:
        s = np.asarray(s, dtype=np.float64)
        if s.ndim != 0:
            raise ValueError("s: with dask X, pass s as a scalar or a dask array.")
        s_parts = [float(s)] * len(x.chunks[0])
    offsets = np.r_[0, np.cumsum(x.chunks[0])[:-1]]
    tasks = [
        delayed(_check_chunk)(xb, sb, int(o))
        for xb, sb, o in zip(x.to_delayed().ravel(), s_parts, offsets, strict=True)
    ]
    return tasks, list(x.chunks[0])


def persist_chunks(x, s):
    """:func:`chunk_tasks`, computed and persisted where they are; ``n``."""
    import dask

    tasks, sizes = chunk_tasks(x, s)
    return list(dask.persist(*tasks)), int(sum(sizes))


def scale_grid(chunks, mode, mult):
    """ashr's rule (:func:`skmix._eb_grid.ashr_scale_grid`) from per-chunk
    extremes: one round."""
    import dask
    from dask import delayed

    parts = dask.compute(*[delayed(_grid_stats)(c, mode) for c in chunks])
    smin = min(p[0] for p in parts)
    if not math.isfinite(smin):
        raise ValueError(
            "s: the default grid needs at least one sample with s > 0; "
            "every s is 0 (give grid= explicitly)."
        )
    excess = max(p[1] for p in parts)
    # the rule on two pseudo-samples with the same extremes
    x = np.array([0.0, math.sqrt(max(excess, 0.0) + smin * smin)])
    s = np.array([smin, smin])
    return grids.ashr_scale_grid(x + mode, s, mode, mult)


def problem(chunks, n, comps, df, null_weight):
    """A :class:`ChunkedProblem` on the chunks (the null-biased pseudo-row's
    terms added on the host)."""
    import dask
    from dask import delayed

    extra = 0.0 if null_weight is None else float(null_weight) - 1.0

    def reduce(what, args):
        parts = dask.compute(
            *[delayed(_chunk_reduce)(c, comps, df, what, args) for c in chunks]
        )
        return [np.sum([p[j] for p in parts], axis=0) for j in range(len(parts[0]))]

    def run(what, args):
        out = reduce(what, args)
        if extra:
            x0 = float(args[0][0])
            if what == "start":
                out[0] = out[0] + extra * (math.log(x0) if x0 > 0 else -math.inf)
                out[1][0] += extra / x0
            elif what == "step":
                _, p, a = args
                out[0] = out[0] + extra * math.log1p(a * p[0] / x0)
                out[1][0] += extra / (x0 + a * p[0])
            elif what == "hessian" and args[1][0] == 0:
                out[0][0, 0] += extra / (x0 * x0)
        return out

    (const,) = reduce("const", ())
    return ChunkedProblem(
        run, n + (extra > 0), len(comps.lower), n + extra, float(const)
    )


def _posterior_chunk(chunk, prior, df, columns):
    x, s = chunk
    out = np.empty((len(x), len(columns)))
    for start in range(0, len(x), BLOCK):
        sl = slice(start, start + BLOCK)
        part = summaries(x[sl], s[sl], prior, df)
        for j, c in enumerate(columns):
            out[sl, j] = part[c]
    return out


def posterior(x, s, prior, df, columns):
    """The posterior summaries as a lazy dask array (n, len(columns))."""
    import dask.array as da
    from dask import delayed

    tasks, sizes = chunk_tasks(x, s)
    parts = [
        da.from_delayed(
            delayed(_posterior_chunk)(c, prior, df, columns),
            shape=(m, len(columns)),
            dtype=np.float64,
        )
        for c, m in zip(tasks, sizes, strict=True)
    ]
    return da.concatenate(parts, axis=0)
