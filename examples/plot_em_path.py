"""
=====================================
The EM path of a mixing proportion
=====================================

500,000 points are drawn from ``0.8 * N(0, 1) + 0.2 * N(2, 1)``. With both
components known, only ``pi``, the probability of the first one, is unknown:
EM starts at ``pi = 0.5`` and stops after the first iteration that raises the
total log-likelihood by less than ``1e-5``. This is the experiment of an R
tutorial on EM (18 iterations there, ``pi -> 0.8006``, log-likelihood
``-825284.2``; the sample drawn here differs from R's, so the numbers differ
slightly).

Run it as a script: it prints the fit time and the iteration table, and saves
the figure to ``em_path.png`` in the current directory (or in the folder
named by the environment variable ``SKMIX_EXAMPLE_OUTPUT``, where the
documentation build puts it).
"""

# %%
# Simulate and fit
# ----------------
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skmix import EMPathDisplay, TwoGaussianMixturePi, make_mixture

X, y = make_mixture(500_000, means=(0.0, 2.0), sigma=1.0, pi=0.8, random_state=1)

est = TwoGaussianMixturePi(means=(0.0, 2.0), sigma=1.0, pi_init=0.5, tol=1e-5)
start = time.perf_counter()
est.fit(X)
elapsed = time.perf_counter() - start
print(
    f"fit: {elapsed * 1000:.1f} ms for {est.n_iter_} EM iterations on {len(X):,} points"
)

# %%
# The iteration table
# -------------------
# ``history_`` has one row per iteration, row 0 being the starting value.
table = pd.DataFrame(est.history_)
print(
    table.to_string(
        index=False,
        formatters={
            "pi": "{:.4f}".format,
            "loglik": "{:.1f}".format,
            "diff_loglik": "{:.3g}".format,
        },
    )
)

# %%
# The path of pi against the log-likelihood
# -----------------------------------------
# Each EM iteration raises the log-likelihood; the steps shrink geometrically
# as pi approaches the maximum-likelihood estimate.
fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
EMPathDisplay.from_estimator(est, ax=ax)
ax.set_xlabel(r"$\pi$: probability of component 0, N(0, 1)")
ax.set_title(rf"EM path: $\hat\pi$ = {est.pi_:.4f} after {est.n_iter_} iterations")
ax.grid(True, color="0.9")

output = Path(os.environ.get("SKMIX_EXAMPLE_OUTPUT", ".")) / "em_path.png"
fig.savefig(output, dpi=120)
print(f"figure saved to {output.name}")
print(f"true fraction of component 0 in the sample: {np.mean(y == 0):.4f}")
