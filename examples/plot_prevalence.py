"""
=====================================================
Prevalence of a condition from a biomarker
=====================================================

A screening study measures a biomarker (say, the log of a blood
concentration) in 1,500 people, without a diagnosis. Earlier studies give its
distribution in people with the condition, ``N(2.2, 0.6^2)``, and without,
``N(1.0, 0.4^2)``. The unknown is the prevalence: the share of people with
the condition, which is the mixing proportion ``pi`` of the first component.

We estimate it with its standard error and two 95% confidence intervals,
check the fit against a histogram, and look at the EM path.

Run it as a script: it prints the estimates and saves ``prevalence.png`` in
the current directory (or in the folder named by ``SKMIX_EXAMPLE_OUTPUT``).
"""

# %%
# Simulated screening data
# ------------------------
# The true prevalence is 12%. Component 0 is "has the condition", so
# ``pi`` is the prevalence.
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skmix import EMPathDisplay, TwoGaussianMixturePi, make_mixture

SICK, HEALTHY = (2.2, 0.6), (1.0, 0.4)
means, sigma = (SICK[0], HEALTHY[0]), (SICK[1], HEALTHY[1])
X, has_condition = make_mixture(1500, means=means, sigma=sigma, pi=0.12, random_state=7)
has_condition = has_condition == 0
print(f"true share with the condition in this sample: {has_condition.mean():.3f}")

# %%
# Estimate, standard error, intervals
# -----------------------------------
# The profile-likelihood interval is the recommended one; the Wald interval
# is the familiar estimate +/- 1.96 standard errors.
est = TwoGaussianMixturePi(means=means, sigma=sigma).fit(X)
profile = est.confidence_interval(0.05)
wald = est.confidence_interval(0.05, method="wald")
print(f"estimated prevalence: {est.pi_:.3f} (standard error {est.pi_stderr_:.3f})")
print(f"95% profile-likelihood interval: [{profile[0]:.3f}, {profile[1]:.3f}]")
print(f"95% Wald interval:               [{wald[0]:.3f}, {wald[1]:.3f}]")

# %%
# Each person's probability of having the condition
# -------------------------------------------------
# ``predict_proba`` gives, for each measurement, the posterior probability of
# each component at the estimated prevalence.
for value in (1.0, 1.6, 2.2):
    p_sick = est.predict_proba([[value]])[0, 0]
    print(f"biomarker {value:.1f}: P(condition | biomarker) = {p_sick:.3f}")

# %%
# The fit and the EM path
# -----------------------
# Left: the histogram of the biomarker with the fitted mixture density and
# its two weighted components (component 0 is the condition). Right: EM from
# ``pi = 0.5`` to the estimate.
fig, (ax_hist, ax_path) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
grid = np.linspace(X.min(), X.max(), 400)[:, None]
ax_hist.hist(X[:, 0], bins=60, density=True, color="0.8", label="biomarker")
ax_hist.plot(grid, np.exp(est.score_samples(grid)), "k", label="fitted mixture")
resp = est.predict_proba(grid)
components = [("component 0: condition", "C3"), ("component 1: no condition", "C0")]
for k, (name, color) in enumerate(components):
    ax_hist.plot(grid, np.exp(est.score_samples(grid)) * resp[:, k], color, label=name)
ax_hist.set_xlabel("biomarker")
ax_hist.set_ylabel("density")
ax_hist.set_title(f"Fitted mixture: prevalence {est.pi_:.3f}")
ax_hist.legend()
EMPathDisplay.from_estimator(est, ax=ax_path)
ax_path.axvspan(*profile, color="C1", alpha=0.15, label="95% profile interval")
ax_path.set_xlabel(r"$\pi$: prevalence, probability of component 0 (condition)")
ax_path.set_title(f"EM path from 0.5 to {est.pi_:.3f} ({est.n_iter_} iterations)")
ax_path.legend(loc="upper right")

output = Path(os.environ.get("SKMIX_EXAMPLE_OUTPUT", ".")) / "prevalence.png"
fig.savefig(output, dpi=110)
print(f"figure saved to {output.name}")
