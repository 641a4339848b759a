"""
=====================================================
Empirical Bayes on a grid: K known components
=====================================================

Each of 20,000 units has an effect ``theta_i`` that we do not see; we see a
noisy measurement ``x_i ~ N(theta_i, 1)``. Half of the effects are exactly 0
and half are spread as ``N(0, 2^2)``. The empirical-Bayes approach of
ashr/mixsqp estimates the distribution of the effects as a mixture of
``N(0, s_k^2)`` on a grid of scales ``s_k`` (``s_0 = 0``: a point mass at 0),
so that each measurement has the known marginal density ``N(0, 1 + s_k^2)``
under component k. Only the weights are unknown: a concave problem on the
simplex that :class:`~skmix.KnownComponentsMixture` solves exactly.

Run it as a script: it prints the fit and saves ``known_components.png``.
"""

# %%
# Data and the grid of components
# -------------------------------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from skmix import KnownComponentsMixture

rng = np.random.default_rng(0)
n = 20_000
theta = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.normal(0, 2, n))
x = rng.normal(theta, 1.0)
grid = np.r_[0.0, np.geomspace(0.1, 2 * np.sqrt(max(x**2 - 1)), 19)]
components = [norm(0, np.sqrt(1 + s**2)) for s in grid]

# %%
# Fit with the default solver (active-set SQP)
# --------------------------------------------
# The fit is certified by the KKT conditions: ``kkt_gap_`` is 0 at the
# maximum. Most grid weights are exactly 0.
est = KnownComponentsMixture(components).fit(x.reshape(-1, 1))
print(f"{len(grid)} components, {est.n_iter_} iterations, KKT gap {est.kkt_gap_:.1e}")
print(f"weight of the point mass at 0: {est.weights_[0]:.3f} (true 0.5)")
# Profile-likelihood intervals (the default): they need the training data,
# which the fitted model does not keep. A weight at 0 gets [0, high], where
# 2 x the drop of the profile log-likelihood reaches the chi2(1) quantile.
ci = est.confidence_interval(0.05, X=x.reshape(-1, 1))
wald = est.confidence_interval(0.05, method="wald")
for k in np.flatnonzero(est.weights_ > 0):
    print(
        f"s = {grid[k]:6.3f}: weight {est.weights_[k]:.3f} "
        f"[{ci[k, 0]:.3f}, {ci[k, 1]:.3f}]"
    )

print(
    f"widest interval of a weight at 0: profile {ci[est.weights_ == 0, 1].max():.3f}, "
    f"Wald {wald[est.weights_ == 0, 1].max():.3f}"
)

# %%
# EM gets to the same maximum, slowly
# -----------------------------------
# Its convergence is linear, with a rate close to 1 when the components
# overlap as they do on a grid: after 500 iterations it is still far from
# the maximum (and warns that it did not converge).
import warnings

from sklearn.exceptions import ConvergenceWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    em = KnownComponentsMixture(components, solver="em", max_iter=500).fit(
        x.reshape(-1, 1)
    )
print(
    f"EM: {em.n_iter_} iterations, log-likelihood {em.loglik_:.3f} "
    f"(SQP {est.loglik_:.3f}), KKT gap {em.kkt_gap_:.1e}"
)

# %%
# The fitted marginal density over the histogram; the weights with intervals
# ---------------------------------------------------------------------------
# Neighbouring grid components are nearly the same density, so the data
# cannot tell their weights apart: the profile intervals of the small scales
# are wide (a weight can move to its neighbour), while those of the large
# scales are close to 0. Wald intervals of the weights at 0, ``[0, z *
# stderr]``, reach 1 for the small scales and have no meaning there.
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
ax0.hist(x, bins=120, density=True, color="0.8", label="measurements")
t = np.linspace(x.min(), x.max(), 600)
ax0.plot(t, np.exp(est.score_samples(t.reshape(-1, 1))), label="fitted mixture")
ax0.set_xlabel("x")
ax0.set_ylabel("density")
ax0.set_yscale("log")
ax0.set_ylim(1e-5, 1)
ax0.legend()
k = np.arange(len(grid))
ax1.bar(k, est.weights_, color="C0")
ax1.errorbar(
    k,
    est.weights_,
    yerr=np.abs(ci.T - est.weights_),
    fmt="none",
    ecolor="k",
    capsize=2,
)
ax1.set_xticks(k[::3], [f"{s:.2g}" for s in grid[::3]])
ax1.set_xlabel("grid scale s_k")
ax1.set_ylabel("weight (95% profile-likelihood interval)")
ax1.set_title("Grid weights")
ax0.set_title("Measurements and the fitted marginal density")
fig.tight_layout()
path = Path(os.environ.get("SKMIX_EXAMPLE_OUTPUT", ".")) / "known_components.png"
fig.savefig(path)
print(f"figure saved to {path.name}")
