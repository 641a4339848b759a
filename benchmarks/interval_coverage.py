"""Empirical coverage of skmix's confidence intervals for pi.

For each sample size n and true pi, draw ``--reps`` data sets with
``make_mixture(n, means=(0, 2), sigma=1, pi=pi)``, fit each (Newton solver:
the exact maximum-likelihood estimate), and count how often the 95%
profile-likelihood and Wald intervals contain the true pi. Prints a table
(and writes JSON with ``--json``); with 2000 replications the Monte Carlo
standard error of a coverage near 0.95 is about 0.005.

Target: profile coverage within [0.93, 0.97] for n >= 200 at every pi.

Run ``python benchmarks/interval_coverage.py`` (about a minute), or ``--quick``.

``--known``: the same for the weights of K known components
(KnownComponentsMixture, unit-variance Gaussians at ``KNOWN_MEANS``), with
true weights ``--weights`` (some of them 0): the coverage of each weight's
95% profile (``method="profile"``) and Wald intervals. Targets: profile
coverage within [0.93, 0.97] for interior weights, and for true weights of
0 at n >= 1000.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

import skmix
from skmix import KnownComponentsMixture, TwoGaussianMixturePi, make_mixture

MEANS, SIGMA = (0.0, 2.0), 1.0
KNOWN_MEANS = (-2.0, 0.0, 2.0, 4.0)


def coverage(n, pi, reps, alpha, seed=0):
    """Coverage, mean width and boundary estimates of both intervals."""
    hits = {"profile": 0, "wald": 0}
    widths = {"profile": 0.0, "wald": 0.0}
    on_boundary = 0
    est = TwoGaussianMixturePi(means=MEANS, sigma=SIGMA, solver="newton")
    for rep in range(reps):
        X, _ = make_mixture(n, means=MEANS, sigma=SIGMA, pi=pi, random_state=seed + rep)
        est.fit(X)
        on_boundary += est.pi_ in (0.0, 1.0)
        for method in hits:
            low, high = est.confidence_interval(alpha, method=method)
            hits[method] += low <= pi <= high
            widths[method] += high - low
    return {
        "n": n,
        "pi": pi,
        "reps": reps,
        **{f"{m}_coverage": hits[m] / reps for m in hits},
        **{f"{m}_mean_width": widths[m] / reps for m in widths},
        "mle_on_boundary": on_boundary / reps,
    }


def coverage_known(n, weights, reps, alpha, seed=0):
    """Per-weight coverage and mean width of both intervals, K components."""
    weights = np.asarray(weights, dtype=float)
    K = len(weights)
    means = np.asarray(KNOWN_MEANS[:K])
    hits = {"profile": np.zeros(K), "wald": np.zeros(K)}
    widths = {"profile": np.zeros(K), "wald": np.zeros(K)}
    at_zero = np.zeros(K)
    est = KnownComponentsMixture("precomputed")
    for rep in range(reps):
        rng = np.random.default_rng(seed + rep)
        x = rng.normal(means[rng.choice(K, n, p=weights)], 1.0)
        A = norm.logpdf(x[:, None], means, 1.0)
        est.fit(A)
        at_zero += est.weights_ == 0
        for method in hits:
            ci = est.confidence_interval(alpha, method=method, X=A)
            hits[method] += (ci[:, 0] <= weights) & (weights <= ci[:, 1])
            widths[method] += ci[:, 1] - ci[:, 0]
    return [
        {
            "n": n,
            "k": k,
            "weight": float(weights[k]),
            "reps": reps,
            **{f"{m}_coverage": float(hits[m][k] / reps) for m in hits},
            **{f"{m}_mean_width": float(widths[m][k] / reps) for m in widths},
            "mle_at_zero": float(at_zero[k] / reps),
        }
        for k in range(K)
    ]


def main_known(args):
    """The table for K components (``--known``)."""
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    weights = [float(w) for w in args.weights.split(",")]
    print(
        f"skmix {skmix.__version__}: coverage of {1 - args.alpha:.0%} intervals "
        f"for K = {len(weights)} weights, {args.reps} replications, unit "
        f"Gaussians at {KNOWN_MEANS[: len(weights)]}, true weights {weights}"
    )
    print(
        f"{'n':>6} {'k':>2} {'weight':>6} {'profile':>8} {'wald':>6} "
        f"{'width P':>8} {'width W':>8} {'MLE at 0':>8}"
    )
    rows = []
    for n in sizes:
        for r in coverage_known(n, weights, args.reps, args.alpha):
            rows.append(r)
            print(
                f"{n:>6} {r['k']:>2} {r['weight']:>6} {r['profile_coverage']:8.3f} "
                f"{r['wald_coverage']:6.3f} {r['profile_mean_width']:8.4f} "
                f"{r['wald_mean_width']:8.4f} {r['mle_at_zero']:8.3f}",
                flush=True,
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--sizes", default="50,200,5000")
    parser.add_argument("--pis", default="0.5,0.8,0.98")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="200 replications")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--known", action="store_true", help="K components")
    parser.add_argument("--weights", default="0.5,0.3,0.2,0")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps = 200
    start = time.perf_counter()
    if args.known:
        rows = main_known(args)
        print(f"done in {time.perf_counter() - start:.1f} s")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
        return rows
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    pis = [float(p) for p in args.pis.split(",")]

    start = time.perf_counter()
    print(
        f"skmix {skmix.__version__}: coverage of {1 - args.alpha:.0%} intervals, "
        f"{args.reps} replications, means {MEANS}, sigma {SIGMA}"
    )
    print(
        f"{'n':>6} {'pi':>5} {'profile':>8} {'wald':>6} "
        f"{'width P':>8} {'width W':>8} {'MLE on 0/1':>10}"
    )
    rows = []
    for n in sizes:
        for pi in pis:
            r = coverage(n, pi, args.reps, args.alpha)
            rows.append(r)
            print(
                f"{n:>6} {pi:>5} {r['profile_coverage']:8.3f} "
                f"{r['wald_coverage']:6.3f} {r['profile_mean_width']:8.4f} "
                f"{r['wald_mean_width']:8.4f} {r['mle_on_boundary']:10.3f}",
                flush=True,
            )
    print(f"done in {time.perf_counter() - start:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
        print(f"written to {args.json}")
    return rows


if __name__ == "__main__":
    main()
