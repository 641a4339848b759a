"""Empirical Bayes normal means: whole-call timings of EmpiricalBayesNormalMeans.

Data (issue 18): ``theta ~ 0.6 delta_0 + 0.3 N(0, 1) + 0.1 N(0, 9)``, ``s ~
U(0.5, 2)``, ``x = theta + s N(0, 1)``, drawn with NumPy (seed fixed). A
*whole call* is: the grid (ashr's rule), the likelihood, the fit and every
posterior summary (the table of mean, sd, lfsr, lfdr, q-values, s-values and
the sign probabilities). Each method's fitted prior is scored by one
independent function (:func:`objective_and_gap`: the log-likelihood and the
KKT gap on the same grid, from ``scipy.stats``), and its posterior means by
their MSE against the true theta.

Hook for other methods (the R comparators): a method is a function
``method(x, s, grid) -> dict`` with at least ``seconds`` (the whole call),
``weights`` (on ``grid``: scales, the point mass at 0 first) and
``posterior_mean``; add it to ``METHODS`` (a dict name -> function), e.g.
from a module that writes the data with :func:`write_data` and runs R.
Methods that cannot run report ``{"skipped": reason}``.

Run ``PYTHONPATH=. python benchmarks/bench_eb.py --sizes 1e5 1e6 1e7``
(``--load K``: K busy processes during the timings; ``--memory``: peak
extra memory of the fit and of the whole call, by tracemalloc, in a second
run).
"""

import argparse
import json
import math
import os
import sys
import time
import tracemalloc

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from bench_fit import competing_load

from skmix import EmpiricalBayesNormalMeans

SEED = 20261205


def draw(n, seed=SEED):
    """``(theta, x, s)`` of the issue's design."""
    rng = np.random.default_rng(seed)
    z = rng.random(n)
    theta = np.where(z < 0.6, 0.0, rng.standard_normal(n))
    theta *= np.where(z < 0.9, 1.0, 3.0)
    s = rng.uniform(0.5, 2.0, n)
    x = theta + s * rng.standard_normal(n)
    return theta, x, s


def write_data(path, x, s, grid):
    """The data and the grid for another program (R): ``x``, ``s`` as a
    two-column float64 binary (little-endian, row-major) and the grid as a
    text file next to it."""
    np.column_stack([x, s]).astype("<f8").tofile(path)
    np.savetxt(path + ".grid", grid, fmt="%.17g")


def objective_and_gap(x, s, grid, weights, block=1 << 16):
    """Log-likelihood and KKT gap of a normal scale mixture's weights.

    ``grid``: the scales (0 = the point mass at 0), ``weights`` on them.
    ``L_ik = N(x_i; 0, s_i^2 + grid_k^2)`` from ``scipy.stats``, in blocks;
    the gap is ``max(max_k g_k - 1, max_{w_k > 0} |g_k - 1|)`` with ``g_k =
    mean_i L_ik / (L w)_i``.
    """
    grid = np.asarray(grid, float)
    w = np.asarray(weights, float)
    w = w / w.sum()
    loglik = 0.0
    g = np.zeros(len(grid))
    for start in range(0, len(x), block):
        xb, sb = x[start : start + block], s[start : start + block]
        A = stats.norm.logpdf(xb[:, None], 0, np.sqrt(sb[:, None] ** 2 + grid**2))
        m = A.max(axis=1)
        L = np.exp(A - m[:, None])
        u = L @ w
        loglik += math.fsum(m + np.log(u))
        g += (L / u[:, None]).sum(axis=0)
    g /= len(x)
    dev = g - 1
    gap = max(dev.max(), np.abs(dev[w > 0]).max())
    return loglik, float(gap)


def skmix_method(x, s, grid=None):
    """EmpiricalBayesNormalMeans, whole call: fit and the posterior table."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    est = EmpiricalBayesNormalMeans(grid=None if grid is None else grid[1:])
    est.fit(x, s=s)
    t1 = time.perf_counter()
    table = est.posterior(x, s=s)
    t2 = time.perf_counter()
    return {
        "seconds": t2 - t0,
        "cpu_seconds": time.process_time() - c0,
        "fit_seconds": t1 - t0,
        "posterior_seconds": t2 - t1,
        "weights": est.prior_weights_,
        "grid": est.prior_grid_,
        "posterior_mean": np.asarray(table["PosteriorMean"]),
        "n_iter": est.n_iter_,
        "reported_kkt_gap": est.kkt_gap_,
    }


METHODS = {"skmix": skmix_method}


def peak_memory(x, s):
    """Peak bytes allocated (tracemalloc) by a fit, and by a whole call."""
    tracemalloc.start()
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    est.posterior(x, s=s)
    post_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return fit_peak, post_peak


def run(n, methods, theta=None, x=None, s=None):
    if x is None:
        theta, x, s = draw(n)
    # the grid every method uses: ashr's rule (skmix's default)
    grid = EmpiricalBayesNormalMeans().fit(x[:1], s=s[:1]).prior_grid_  # warm-up
    rows = {}
    for name, method in methods.items():
        out = method(x, s, None if name == "skmix" else grid)
        if "skipped" in out:
            rows[name] = out
            continue
        loglik, gap = objective_and_gap(x, s, out["grid"], out["weights"])
        rows[name] = {
            "seconds": round(out["seconds"], 3),
            "loglik": loglik,
            "kkt_gap": gap,
            "mse": float(np.mean((out["posterior_mean"] - theta) ** 2)),
            **{
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in out.items()
                if k in ("cpu_seconds", "fit_seconds", "posterior_seconds", "n_iter")
            },
        }
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        help="run this many busy processes during the timings (competing load)",
    )
    parser.add_argument("--memory", action="store_true", help="peak memory too")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = {
        "load_average_before": os.getloadavg(),
        "competing_processes": args.load,
        "cpu_count": os.cpu_count(),
        "runs": {},
    }
    print(f"load average before: {os.getloadavg()}; competing processes: {args.load}")
    for size in args.sizes:
        n = int(size)
        theta, x, s = draw(n)
        with competing_load(args.load):
            rows = run(n, METHODS, theta, x, s)
        entry = {"methods": rows, "load_average": os.getloadavg()}
        if args.memory:
            fit_peak, post_peak = peak_memory(x, s)
            entry["fit_peak_over_x"] = fit_peak / x.nbytes
            entry["posterior_peak_over_x"] = post_peak / x.nbytes
        results["runs"][n] = entry
        print(f"n = {n:.0e}: load average {os.getloadavg()}")
        for name, row in rows.items():
            print(f"  {name}: {row}")
        if args.memory:
            print(
                f"  peak extra memory / x's size: fit {entry['fit_peak_over_x']:.2f}, "
                f"posterior table {entry['posterior_peak_over_x']:.2f}"
            )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1, default=float)
    return results


if __name__ == "__main__":
    main()
