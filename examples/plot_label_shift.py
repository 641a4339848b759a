"""
======================================================
A digit classifier deployed where the digits are rarer
======================================================

A classifier of handwritten digits is trained on a balanced sample: every
digit is about as frequent as any other. It is then deployed on a stream in
which a few digits dominate (say, postcodes of one region). The images of
each digit look the same as before -- only the class priors have changed:
*label shift*. The classifier's probabilities still assume balanced classes.

:class:`~skmix.PriorShiftAdapter` estimates the new priors from the
unlabeled deployment sample, with standard errors and confidence intervals,
and re-weights the classifier's (calibrated) probabilities to them.

Run it as a script: it prints the estimates and the accuracy before and
after adaptation, and saves ``label_shift.png``.
"""

# %%
# A balanced source sample and a shifted target sample
# -----------------------------------------------------
# Half of scikit-learn's digits (stratified, so balanced) train the
# classifier; the target sample of 1,500 images is drawn from the other half
# with priors that favour the digits 1, 4 and 7.
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmix import PriorShiftAdapter

X, y = load_digits(return_X_y=True)
X_source, X_pool, y_source, y_pool = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
rng = np.random.default_rng(0)
target_priors = np.full(10, 0.02)
target_priors[[1, 4, 7]] = [0.40, 0.25, 0.19]
counts = rng.multinomial(1500, target_priors)
index = np.concatenate(
    [rng.choice(np.flatnonzero(y_pool == k), c) for k, c in enumerate(counts)]
)
X_target, y_target = X_pool[index], y_pool[index]  # y_target: to check only
truth = counts / counts.sum()

# %%
# Fit on the source, adapt to the target
# --------------------------------------
# ``fit`` trains the classifier and calibrates it (bias-corrected temperature
# scaling on 5-fold out-of-fold predictions); ``adapt`` estimates the target
# priors from the unlabeled images alone.
classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
adapter = PriorShiftAdapter(classifier).fit(X_source, y_source)
before = adapter.predict(X_target)  # source priors (balanced)
adapter.adapt(X_target)
after = adapter.predict(X_target)  # target priors
intervals = adapter.confidence_interval(0.05, X=X_target)  # profile likelihood
print(f"adapt: {adapter.n_iter_} iterations, converged: {adapter.converged_}")
print("digit  true   estimate  (std. err.)  95% interval")
for k in range(10):
    low, high = intervals[k]
    print(
        f"{k:>5}  {truth[k]:.3f}  {adapter.priors_[k]:.3f}     "
        f"({adapter.priors_stderr_[k]:.3f})      [{low:.3f}, {high:.3f}]"
    )
mae = np.mean(np.abs(adapter.priors_ - truth))
print(f"mean absolute error of the priors: {mae:.4f}")
print(f"accuracy before adaptation: {accuracy_score(y_target, before):.3f}")
print(f"accuracy after adaptation: {accuracy_score(y_target, after):.3f}")

# %%
# Estimated and true priors
# -------------------------
# Bars: the estimated priors with their 95% intervals; dots: the true
# shares of each digit in the target sample; the dashed line is the
# (balanced) source prior that the classifier assumed.
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
digits = np.arange(10)
ax.bar(digits, adapter.priors_, color="C0", alpha=0.6, label="estimated prior")
ax.errorbar(
    digits,
    adapter.priors_,
    yerr=np.abs(intervals.T - adapter.priors_),
    fmt="none",
    ecolor="k",
    capsize=3,
    label="95% interval",
)
ax.plot(digits, truth, "o", color="C3", label="true share in the sample")
ax.axhline(0.1, color="0.5", ls="--", label="source prior")
ax.set_xticks(digits)
ax.set_xlabel("digit")
ax.set_ylabel("prior")
ax.set_title("Target priors estimated from unlabeled digits, with 95% intervals")
ax.legend()

output = Path(os.environ.get("SKMIX_EXAMPLE_OUTPUT", ".")) / "label_shift.png"
fig.savefig(output, dpi=110)
print(f"figure saved to {output.name}")
