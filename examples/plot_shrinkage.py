"""
=====================================================
Adaptive shrinkage of 10,000 effect estimates
=====================================================

A screen measures 10,000 effects (say, log fold changes of genes): each unit
gives an estimate ``x_i`` of its true effect ``theta_i`` with a known standard
error ``s_i``, ``x_i ~ N(theta_i, s_i^2)``. Most true effects are exactly 0,
a few are large. Empirical Bayes (ashr's adaptive shrinkage) estimates the
distribution ``g`` of the effects from all the estimates at once, as a
mixture of ``N(0, sigma_k^2)`` on a grid of scales with a point mass at 0,
then reports for each unit the posterior of ``theta_i`` given ``x_i``: the
posterior mean (the estimate shrunk towards 0, the more so the noisier it
is), the local false sign rate ``lfsr`` (the probability that the sign of
the posterior mean is wrong, or the effect is 0) and credible intervals.

:class:`~skmix.EmpiricalBayesNormalMeans` fits ``g`` with the same solver as
:class:`~skmix.KnownComponentsMixture` and gives the posterior summaries.

Run it as a script: it prints the fit and saves ``shrinkage.png``.
"""

# %%
# Effects, estimates and their standard errors
# --------------------------------------------
# 60% of the effects are 0, 30% are N(0, 1), 10% are N(0, 3^2); the
# standard errors vary from 0.5 to 2.
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from skmix import EmpiricalBayesNormalMeans

rng = np.random.default_rng(0)
n = 10_000
kind = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
theta = np.where(kind == 0, 0.0, rng.normal(0, np.where(kind == 1, 1.0, 3.0)))
s = rng.uniform(0.5, 2.0, n)
x = rng.normal(theta, s)

# %%
# Fit the prior, then the posterior of every effect
# -------------------------------------------------
# The default prior is a scale mixture of normals around 0 (with a point mass
# at 0) on ashr's grid of scales. ``posterior`` gives one row per estimate,
# with ashr's column names.
eb = EmpiricalBayesNormalMeans().fit(x, s=s)
post = eb.posterior(x, s=s)
print(
    f"{len(eb.prior_grid_)} components, {eb.n_iter_} iterations, "
    f"KKT gap {eb.kkt_gap_:.1e}"
)
grid = np.asarray(eb.prior_grid_, dtype=float)
weights = np.asarray(eb.prior_weights_, dtype=float)
# With s >= 0.5, a point mass at 0 and normals of scales up to about 0.3 give
# nearly the same likelihood: the fit may spread the null over them (its
# weight at 0 alone is poorly determined), but the prior's mass within a
# standard error of 0 is well determined:
with np.errstate(divide="ignore"):
    near_0 = np.where(grid > 0, 2 * norm.cdf(1 / grid) - 1, 1.0) @ weights
true_near_0 = 0.6 + 0.3 * (2 * norm.cdf(1) - 1) + 0.1 * (2 * norm.cdf(1 / 3) - 1)
print(f"prior probability of |theta| < 1: {near_0:.3f} (true {true_near_0:.3f})")

pm = np.asarray(post["PosteriorMean"], dtype=float)
lfsr = np.asarray(post["lfsr"], dtype=float)
print(f"mean squared error: x {np.mean((x - theta) ** 2):.3f}, ", end="")
print(f"posterior mean {np.mean((pm - theta) ** 2):.3f}")

# %%
# Which signs can we trust?
# -------------------------
# Declaring the sign of every effect with ``lfsr < 0.05`` should get at most
# 5% of those signs wrong (a wrong sign here: theta is 0 or of the other sign).
found = lfsr < 0.05
wrong = np.sign(pm[found]) != np.sign(theta[found])
print(
    f"effects with lfsr < 0.05: {found.sum()}, with a wrong sign: {wrong.sum()} "
    f"({wrong.mean():.1%})"
)
ci = np.asarray(eb.credible_interval(x, s=s, level=0.95))
covered = (ci[:, 0] <= theta) & (theta <= ci[:, 1])
print(f"95% credible intervals that cover theta: {covered.mean():.3f}")
top = np.argsort(lfsr)[:3]
for i in top:
    print(
        f"x = {x[i]:6.2f} (s = {s[i]:.2f}): posterior mean {pm[i]:6.2f}, "
        f"95% interval [{ci[i, 0]:.2f}, {ci[i, 1]:.2f}], lfsr {lfsr[i]:.1e}"
    )

# %%
# Shrinkage, the fitted prior and a volcano plot
# ----------------------------------------------
# Left: estimates near 0 are shrunk to 0 and large ones barely move; the
# colour is the lfsr. Middle: the fitted prior's distribution function
# against the true one (the jump at 0 is the point mass). Right: the
# z-score ``x / s`` against ``-log10 lfsr`` (red: lfsr < 0.05).
fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(15, 4.5))
order = np.argsort(-lfsr)  # the most confident points drawn last, on top
points = ax0.scatter(
    x[order], pm[order], c=lfsr[order], s=4, cmap="viridis_r", vmin=0, vmax=1
)
lim = np.abs(x).max()
ax0.plot([-lim, lim], [-lim, lim], color="0.6", lw=0.8, ls="--")
ax0.set_xlabel("estimate x")
ax0.set_ylabel("posterior mean")
ax0.set_title("Shrinkage towards 0")
fig.colorbar(points, ax=ax0, label="lfsr")

t = np.linspace(-5, 5, 1001)
sd = grid[None, :]
with np.errstate(divide="ignore", invalid="ignore"):
    cdf_k = np.where(sd > 0, norm.cdf(t[:, None] / sd), (t[:, None] >= 0) * 1.0)
true_cdf = 0.6 * (t >= 0) + 0.3 * norm.cdf(t) + 0.1 * norm.cdf(t / 3)
ax1.plot(t, true_cdf, color="0.5", lw=3, label="true g")
ax1.plot(t, cdf_k @ weights, color="C1", label="fitted g")
ax1.set_xlabel("effect theta")
ax1.set_ylabel("P(theta <= t)")
ax1.set_title("Fitted prior (distribution function)")
ax1.legend()

floor = 1e-16  # lfsr below it (down to 0) drawn at it
ax2.scatter(x / s, -np.log10(np.maximum(lfsr, floor)), c=found, s=4, cmap="coolwarm")
ax2.axhline(-np.log10(0.05), color="0.4", lw=0.8, ls="--", label="lfsr = 0.05")
ax2.set_xlabel("z = x / s")
ax2.set_ylabel("-log10 lfsr")
ax2.set_title("Volcano plot")
ax2.legend()
fig.tight_layout()
path = Path(os.environ.get("SKMIX_EXAMPLE_OUTPUT", ".")) / "shrinkage.png"
fig.savefig(path)
print(f"figure saved to {path.name}")
