"""The empirical Bayes fit as a problem of :mod:`skmix._solve`'s solvers.

The likelihood matrix ``L`` (n, K) of ``(x_i, s_i)`` against the prior's
components is never held: each pass over the samples builds it again, one
block of rows at a time (:func:`skmix._eb_likelihood.scaled_block`), and
does with the block everything the solver needs from it. What is kept per
sample is ``u = L w`` at the current point and ``v = L p`` along a proposed
step (two vectors of length n), as in :class:`skmix._problem.DenseProblem`,
so that a line search costs no pass. Each pass that moves the point also
accumulates the full K x K Hessian ``sum_i L_i L_i^T / u_i^2`` (K is small),
so that :meth:`EBProblem.hessian` costs no pass. An SQP iteration is one
pass: the pass that builds the step ``v = L p`` also accumulates the
gradient and Hessian at the full step's point ``u + v`` (the step the line
search takes near the maximum), which :meth:`EBProblem.accept` then uses;
a shorter step needs a second pass at its point. EM steps skip the
Hessian but for the last before the SQP steps (``em_steps_before_sqp``);
with many components (``K > FULL_HESSIAN_MAX``) it is built on the working
set only, by a pass of its own.

ashr's null-biased penalty (``null_weight = lambda_0 > 1``) enters as a
pseudo-observation: one more row whose likelihood is 1 on the null
component (index 0) and 0 elsewhere, with weight ``lambda_0 - 1``; its terms
are added to each reduction on the side.
"""

import math

import numpy as np

from . import _eb_likelihood as lik
from . import _simplex_blocks as blocks
from ._problem import SimplexProblem

# Up to this many components, the passes that move the point build the full
# Hessian (K^2 / 2 products per sample); above, hessian(cols) is a pass.
FULL_HESSIAN_MAX = 48


def row_constants(x, s, comps, df, rows):
    """``sum_i c_i`` of :func:`skmix._eb_likelihood.scaled_block` (one pass)."""
    kind = lik.block_kind(comps, df)
    total = 0.0
    for start in range(0, len(x), rows):
        sl = slice(start, start + rows)
        c = lik.row_constants(x[sl], s[sl], comps, df, kind)
        if c is None:
            c = lik.scaled_block(x[sl], s[sl], comps, df, kind)[1]
        total += math.fsum(c)
    return total


def _reductions(L, u, hessian):
    """A block's gradient ``L^T (1 / u)`` and, if ``hessian``, ``Z^T Z`` with
    ``Z = L / u`` (built in ``L``, which is spent)."""
    inv = 1.0 / u
    g = L.T @ inv
    if not hessian:
        return g, None
    L *= inv[:, None]
    return g, L.T @ L


class EBProblem(SimplexProblem):
    """The reductions of :class:`skmix._problem.DenseProblem`, ``L`` built per block.

    A :class:`skmix._problem.SimplexProblem`: EM's update, the KKT gap, the
    first pass's check and the history's columns come from there.

    Parameters
    ----------
    x, s : ndarray of shape (n,)
        Checked estimates and standard errors (not copied, not modified).
    comps : skmix._eb_grid.Components
    df : float or None
    null_weight : float or None
        ``lambda_0``; its pseudo-row has weight ``lambda_0 - 1``.
    """

    def __init__(self, x, s, comps, df=None, null_weight=None):
        self.x, self.s, self.comps, self.df = x, s, comps, df
        self.kind = lik.block_kind(comps, df)
        self.n_data = len(x)
        self.K = len(comps[0])
        self.rows = max(1024, (1 << 16) // self.K)
        self.extra = 0.0 if null_weight is None else float(null_weight) - 1.0
        self.n = self.n_data + (self.extra > 0)
        self.total = self.n_data + self.extra
        self.const = row_constants(x, s, comps, df, self.rows)
        self.min_weight = 1.0
        self.u = self.v = self._g = self._H = None
        self._u0 = self._v0 = 1.0  # the pseudo-row's u and v
        # (gain, gradient, Hessian) of the full step proposed last, or None
        self._full = None
        # EM steps taken, and how many the solver takes before its SQP steps
        self.em_steps_done = 0
        self.em_steps_before_sqp = 0

    def _blocks(self, cols=None):
        kind = self.kind
        for start in range(0, self.n_data, self.rows):
            sl = slice(start, start + self.rows)
            L, _ = lik.scaled_block(
                self.x[sl], self.s[sl], self.comps, self.df, kind, cols
            )
            yield sl, L

    def _curvature_pass(self, x=None, dw=None, hessian=False):
        """Gradient (and the full Hessian if ``hessian``) at the point (``u =
        L x`` first if ``x`` given; the gain of ``dw`` from the old ``u`` if
        given)."""
        # (L is spent by _reductions: the gain and u first)
        K = self.K
        g = np.zeros(K)
        H = np.zeros((K, K)) if hessian else None
        log_d = gain = 0.0
        self._full = None
        for sl, L in self._blocks():
            u = self.u[sl]
            if dw is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    gain += float(np.add.reduce(np.log1p((L @ dw) / u)))
            if x is not None:
                u[:] = L @ x
                with np.errstate(divide="ignore"):
                    log_d += float(np.add.reduce(np.log(u)))
            g_b, H_b = _reductions(L, u, hessian)
            g += g_b
            if hessian:
                H += H_b
        if self.extra:
            u0 = self._u0
            if dw is not None:
                gain += self.extra * math.log1p(dw[0] / u0)
            if x is not None:
                u0 = self._u0 = float(x[0])
                with np.errstate(divide="ignore"):
                    log_d += self.extra * (math.log(u0) if u0 > 0 else -math.inf)
            with np.errstate(divide="ignore"):
                g[0] += self.extra / u0
                if hessian:
                    H[0, 0] += self.extra / (u0 * u0)
        self._g = g / self.total
        self._H = H
        return log_d, gain

    # -- the reductions of skmix._problem.Problem -----------------------------
    def start(self, x):
        x = np.asarray(x, dtype=float)
        if self.u is None:
            self.u = np.empty(self.n_data)
        log_d, _ = self._curvature_pass(x=x)
        return float(log_d)

    def try_point(self, x, min_ratio):
        # the new u is built in v's buffer (no step is proposed yet) and the
        # two swapped if accepted: no third vector of the data's length
        u_old, u0_old, g_old, H_old = self.u, self._u0, self._g, self._H
        if self.v is None:
            self.v = np.empty(self.n_data)
        self.u = self.v
        # (a point that leaves a sample almost no density overflows 1 / u:
        # rejected)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_d = self.start(x)
        step = 1 << 16
        ok = all(
            np.all(self.u[i : i + step] >= min_ratio * u_old[i : i + step])
            for i in range(0, self.n_data, step)
        )
        if ok and (not self.extra or self._u0 >= min_ratio * u0_old):
            self.v = u_old
            return log_d
        self.v = self.u
        self.u, self._u0, self._g, self._H = u_old, u0_old, g_old, H_old
        return None

    def gradient(self):
        return self._g

    def hessian(self, cols):
        cols = np.asarray(cols)
        if self._H is not None:
            return self._H[np.ix_(cols, cols)] / self.total
        H = np.zeros((len(cols), len(cols)))
        for sl, L in self._blocks():
            Z = L[:, cols] / self.u[sl, None]
            H += Z.T @ Z
        if self.extra and cols[0] == 0:
            H[0, 0] += self.extra / (self._u0 * self._u0)
        return H / self.total

    def propose(self, p):
        """``v = L p``; and the gain, gradient and Hessian of the full step
        (at ``u + v``), in the same pass (see the module's notes)."""
        p = np.asarray(p, dtype=float)
        if self.v is None:
            self.v = np.empty(self.n_data)
        K = self.K
        hessian = K <= FULL_HESSIAN_MAX
        g = np.zeros(K)
        H = np.zeros((K, K)) if hessian else None
        gain = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            for sl, L in self._blocks():
                v = L @ p
                self.v[sl] = v
                u_new = self.u[sl] + v
                t = v / self.u[sl]
                gain += float(np.add.reduce(np.log1p(t, out=t)))
                g_b, H_b = _reductions(L, u_new, hessian)
                g += g_b
                if hessian:
                    H += H_b
            self._v0 = v0 = float(p[0])
            if self.extra:
                u0 = self._u0 + v0
                gain += self.extra * math.log1p(v0 / self._u0)
                g[0] += self.extra / u0
                if hessian:
                    H[0, 0] += self.extra / (u0 * u0)
        self._full = (gain, g / self.total, H)

    def gain(self, a):
        if a == 1.0 and self._full is not None:
            return self._full[0]
        gain = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            # in blocks: no temporary of the data's length
            step = 1 << 16
            for start in range(0, self.n_data, step):
                v, u = self.v[start : start + step], self.u[start : start + step]
                t = v / u if a == 1.0 else a * v / u
                gain += float(np.add.reduce(np.log1p(t, out=t)))
            if self.extra:
                gain += self.extra * math.log1p(a * self._v0 / self._u0)
        return gain

    def accept(self, a):
        if a == 1.0:
            self.u += self.v
            self._u0 += self._v0
            if self._full is not None:  # built by propose: no pass
                _, self._g, self._H = self._full
                self._full = None
                return
        else:
            for start in range(0, self.n_data, 1 << 16):
                sl = slice(start, start + (1 << 16))
                self.u[sl] += a * self.v[sl]
            self._u0 += a * self._v0
        self._curvature_pass(hessian=self.K <= FULL_HESSIAN_MAX)

    def em_step(self, w_old, w_new):
        w_new = np.asarray(w_new, dtype=float)
        # the last of the solver's EM warm-up steps (em_steps_before_sqp of
        # them) builds the Hessian (few components): the SQP's first step
        # then needs no pass of its own
        self.em_steps_done += 1
        hessian = (
            self.K <= FULL_HESSIAN_MAX
            and self.em_steps_done >= self.em_steps_before_sqp
        )
        _, gain = self._curvature_pass(x=w_new, dw=w_new - w_old, hessian=hessian)
        return float(gain)

    def information(self, support):
        """Observed information blocks: ``H[:, support]`` and ``diag(H)``.

        ``H = sum_i L_i L_i^T / u_i^2`` at the current point (not divided by
        the total), the null-biased pseudo-row's term included.
        """
        support = np.asarray(support)
        H_cols = np.zeros((self.K, len(support)))
        diag = np.zeros(self.K)
        for sl, L in self._blocks():
            H_b, diag_b = blocks.information(np, L, None, self.u[sl], support)
            H_cols += H_b
            diag += diag_b
        if self.extra:
            term = self.extra / (self._u0 * self._u0)
            H_cols[0, support == 0] += term
            diag[0] += term
        return H_cols, diag
