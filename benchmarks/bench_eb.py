"""Empirical Bayes normal means: skmix against ashr, ebnm and mixsqp (issue 18).

Data (one NumPy draw per size, ``--seed``): theta ~ 0.6 delta_0 + 0.3 N(0, 1)
+ 0.1 N(0, 9), s ~ U(0.5, 2), x = theta + s * eps. The grid is ashr's
default for a normal scale mixture (``autoselect.mixsd`` with gridmult
sqrt(2), plus the point mass at 0), written here from its formula
(:func:`ashr_grid`); every method fits the weights on it. Timed, each by one
function returning a dict (so that other benchmark files can take them):

- ``skmix``: ``EmpiricalBayesNormalMeans().fit(x, s=s)`` then ``posterior``
  (grid, likelihood, fit, every posterior summary), best of ``--repeat``,
  with the fit's and the posterior table's shares (``fit_seconds``,
  ``posterior_seconds``); its grid is checked against :func:`ashr_grid`;
- ``ash_nopenalty``: ``ashr::ash(x, s, mixcompdist = "normal", prior =
  "uniform")``, the whole call with ashr's own grid (checked against ours),
  no penalty on the null weight;
- ``ash_default``: ``ashr::ash(x, s, mixcompdist = "normal")``, ashr's
  defaults (``method = "fdr"``: the nullbiased prior, nullweight 10), so its
  weights maximise a penalised likelihood, not the likelihood;
- ``ebnm``: ``ebnm::ebnm_normal_scale_mixture(x, s, scale = grid)``;
- ``mixsqp_posterior``: the likelihood matrix in R, ``mixsqp::mixsqp`` and a
  posterior written by hand in R (mean, sd, lfdr, lfsr).

The R methods (``benchmarks/bench_eb_r.R``) run once each, for n up to
``--r-max-n`` and at most ``--r-timeout`` seconds; a package R cannot load is
reported as skipped. For every method, from its fitted weights alone, one
function (:func:`objective`) computes the log-likelihood on the grid, the KKT
gap (``max(max_k (g_k - 1), max_{w_k > 0} |g_k - 1|)`` with ``g`` the
normalised gradient, as ``skmix._problem.kkt_gap`` defines it) and the bound
``n log max_k g_k`` on the distance to the maximum log-likelihood; and the
mean squared error of the posterior means against the true theta. Each
method reports its wall time and its CPU time (user + system, all threads of
the process; steadier than the wall time on a machine loaded by others).

``--load K`` runs K busy processes during the timings. ``--memory``: the
peak extra memory (tracemalloc) of skmix's fit and of its whole call, over
x's size, in an untimed run. ``--dask-n 1e8`` also
fits n = 1e8 from ``.npy`` files on disk through dask (skmix only). Results go
to ``benchmarks/results/bench_eb_<sizes>_<HHMM>utc.json`` unless ``--json``
says otherwise. Run ``python benchmarks/bench_eb.py --help`` for the options.
"""

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
R_SCRIPT = HERE / "bench_eb_r.R"
R_METHODS = ("ash_nopenalty", "ash_default", "ebnm", "mixsqp_posterior")
R_PACKAGE = {
    "ash_nopenalty": "ashr",
    "ash_default": "ashr",
    "ebnm": "ebnm",
    "mixsqp_posterior": "mixsqp",
}
BLOCK = 1 << 16  # rows per block in objective()
SQRT2 = float(np.sqrt(2.0))  # ashr's default gridmult

sys.path.insert(0, str(HERE))
from bench_fit import competing_load  # noqa: E402 (the benchmarks' helper)

# --------------------------------------------------------------------------
# data, grid, objective


def make_data(n, seed=0):
    """theta ~ 0.6 delta_0 + 0.3 N(0, 1) + 0.1 N(0, 9); s ~ U(0.5, 2)."""
    rng = np.random.default_rng(seed)
    comp = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    theta = np.where(comp == 0, 0.0, rng.standard_normal(n) * np.where(comp == 1, 1, 3))
    s = rng.uniform(0.5, 2.0, n)
    x = theta + s * rng.standard_normal(n)
    return theta, x, s


def ashr_grid(x, s, mult=SQRT2, mode=0.0):
    """ashr's default grid of prior scales, with the point mass 0 first.

    ashr's ``autoselect.mixsd`` (Stephens 2017): from sigma_min = min(s) / 10
    to sigma_max = 2 sqrt(max(x_i^2 - s_i^2)) (8 sigma_min when no x_i^2
    exceeds s_i^2), the geometric grid sigma_max mult^-j, j = npoint, ..., 0,
    npoint = ceil(log2(sigma_max / sigma_min) / log2(mult)).
    """
    b = np.asarray(x, dtype=float) - mode
    s = np.broadcast_to(np.asarray(s, dtype=float), b.shape)
    ok = np.isfinite(b) & np.isfinite(s) & (s > 0)
    b, s = b[ok], s[ok]
    smin = s.min() / 10
    excess = b**2 - s**2
    smax = 8 * smin if np.all(excess <= 0) else 2 * np.sqrt(excess.max())
    npoint = int(np.ceil(np.log2(smax / smin) / np.log2(mult)))
    return np.r_[0.0, mult ** np.arange(-npoint, 1.0) * smax]


def objective(x, s, grid, weights):
    """Log-likelihood, KKT gap and optimality bound of ``weights`` on ``grid``.

    The model: x_i ~ sum_k w_k N(0, s_i^2 + grid_k^2). Computed block by
    block from the weights alone (the same function for every method), with
    each row's largest log-density factored out. ``g_k = mean_i L_ik /
    (L w)_i``; at the maximum g_k <= 1 with equality where w_k > 0, and by
    Jensen's inequality the maximum log-likelihood exceeds this one by at most
    ``n log max_k g_k`` (``loglik_gap_bound``).
    """
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    w = w / total
    n = len(x)
    loglik, grad = 0.0, np.zeros(len(grid))
    v_grid = np.asarray(grid, dtype=float) ** 2
    for start in range(0, n, BLOCK):
        xb, sb = x[start : start + BLOCK], s[start : start + BLOCK]
        v = sb[:, None] ** 2 + v_grid
        logl = -0.5 * (np.log(2 * np.pi * v) + xb[:, None] ** 2 / v)
        top = logl.max(axis=1)
        L = np.exp(logl - top[:, None])
        Lw = L @ w
        loglik += float(np.sum(top + np.log(Lw)))
        grad += (1.0 / Lw) @ L
    g = grad / n
    dev = g - 1.0
    gap = float(dev.max())
    if np.any(w > 0):
        gap = max(gap, float(np.abs(dev[w > 0]).max()))
    return {
        "loglik": loglik,
        "kkt_gap": gap,
        "max_g_minus_1": float(dev.max()),
        "loglik_gap_bound": float(n * np.log(max(g.max(), 1.0))),
        "weights_sum": float(total),
    }


def evaluate(result, theta, x, s, grid):
    """Add the objective of the fitted weights and the posterior-mean MSE."""
    if "weights" not in result:
        return result
    res_grid = np.asarray(result.pop("grid"), dtype=float)
    same = res_grid.shape == grid.shape and np.allclose(res_grid, grid, rtol=1e-12)
    result["grid_max_abs_diff"] = (
        float(np.abs(res_grid - grid).max()) if res_grid.shape == grid.shape else None
    )
    result["same_grid"] = bool(same)
    result.update(objective(x, s, res_grid, result["weights"]))
    pm = result.pop("posterior_mean")
    result["mse"] = float(np.mean((np.ravel(pm) - theta) ** 2))
    result["weights"] = [float(w) for w in result["weights"]]
    return result


# --------------------------------------------------------------------------
# R comparators (benchmarks/bench_eb_r.R)


def r_packages():
    """{package: version or None} for ashr, ebnm and mixsqp in this R."""
    if shutil.which("Rscript") is None:
        return {}
    out = subprocess.run(
        ["Rscript", str(R_SCRIPT), "check"], capture_output=True, text=True
    )
    found = {}
    for line in out.stdout.splitlines():
        name, version = line.split()[:2]
        found[name] = None if version == "missing" else version
    return found


def write_r_data(folder, x, s, grid):
    data, grid_file = Path(folder) / "xs.bin", Path(folder) / "grid.bin"
    np.concatenate([x, s]).astype("<f8").tofile(data)
    np.asarray(grid, dtype="<f8").tofile(grid_file)
    return data, grid_file


def run_r(method, data, grid_file, n, K, timeout):
    """One R method on the data file: time, grid, weights, posterior means."""
    folder = Path(data).parent
    out, script = folder / f"{method}.out", folder / R_SCRIPT.name
    # Rscript reads its file as it runs: run a copy, safe from later edits
    shutil.copyfile(R_SCRIPT, script)
    cmd = ["Rscript", str(script), method, str(data), str(n), str(grid_file)]
    cmd += [str(K), str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "skipped": f"did not finish in {timeout} s"}
    if proc.returncode != 0:
        return {"method": method, "skipped": "R failed: " + proc.stderr[-300:]}
    vals = np.fromfile(out, dtype="<f8")
    k = int(vals[2])
    return {
        "method": method,
        "seconds": float(vals[0]),
        "cpu_seconds": float(vals[1]),
        "grid": vals[3 : 3 + k],
        "weights": vals[3 + k : 3 + 2 * k],
        "posterior_mean": vals[3 + 2 * k :],
    }


def _r_timer(method):
    def timer(ctx):
        version = ctx["r_packages"].get(R_PACKAGE[method])
        if ctx.get("no_r"):
            return {"method": method, "skipped": "--no-r"}
        if version is None:
            return {
                "method": method,
                "skipped": f"R package {R_PACKAGE[method]} not installed",
            }
        if ctx["n"] > ctx["r_max_n"]:
            return {"method": method, "skipped": f"n > --r-max-n {ctx['r_max_n']:.0e}"}
        res = run_r(
            method,
            ctx["data"],
            ctx["grid_file"],
            ctx["n"],
            len(ctx["grid"]),
            ctx["r_timeout"],
        )
        res["version"] = version
        return res

    timer.__name__ = f"time_{method}"
    timer.__doc__ = f"R's {method} on the context's data file (bench_eb_r.R)."
    return timer


def r_methods(r_max_n=1e6, timeout=600):
    """The R comparators as ``{name: method(x, s, grid) -> dict}``.

    For a benchmark whose methods take the data and the grid (scales, the
    point mass at 0 first) and return ``seconds``, ``weights``, ``grid`` and
    ``posterior_mean`` (or ``skipped``): each writes the data to a temporary
    folder and runs ``bench_eb_r.R``.
    """
    packages = r_packages()

    def make(name):
        def method(x, s, grid):
            with tempfile.TemporaryDirectory() as tmp:
                data, grid_file = write_r_data(tmp, x, s, grid)
                ctx = {"n": len(x), "r_packages": packages, "r_max_n": r_max_n}
                ctx.update(data=data, grid_file=grid_file, grid=np.asarray(grid))
                ctx["r_timeout"] = timeout
                return _r_timer(name)(ctx)

        method.__name__ = name
        return method

    return {name: make(name) for name in R_METHODS}


time_ash_nopenalty = _r_timer("ash_nopenalty")
time_ash_default = _r_timer("ash_default")
time_ebnm = _r_timer("ebnm")
time_mixsqp_posterior = _r_timer("mixsqp_posterior")


# --------------------------------------------------------------------------
# skmix


def time_skmix(ctx):
    """skmix's whole call: grid, likelihood, fit, every posterior summary."""
    from skmix import EmpiricalBayesNormalMeans

    x, s = ctx["x"], ctx["s"]
    best = {"seconds": np.inf}
    for _ in range(ctx["repeat"]):
        est = table = None
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        est = EmpiricalBayesNormalMeans().fit(x, s=s)
        fitted = time.perf_counter()
        table = est.posterior(x, s=s)
        end = time.perf_counter()
        if end - start < best["seconds"]:
            best = {
                "seconds": end - start,
                "cpu_seconds": time.process_time() - start_cpu,
                "fit_seconds": fitted - start,
                "posterior_seconds": end - fitted,
            }
    res = {
        "method": "skmix",
        **best,
        "grid": np.asarray(est.prior_grid_, dtype=float),
        "weights": np.asarray(est.prior_weights_, dtype=float),
        "posterior_mean": np.asarray(table["PosteriorMean"], dtype=float),
        "reported_loglik": float(est.loglik_),
        "reported_kkt_gap": float(est.kkt_gap_),
        "n_iter": int(est.n_iter_),
    }
    if ctx.get("memory"):
        est = table = None
        gc.collect()
        tracemalloc.start()
        try:
            est = EmpiricalBayesNormalMeans().fit(x, s=s)
            fit_peak = tracemalloc.get_traced_memory()[1]
            est.posterior(x, s=s)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        res["fit_peak_memory_over_x"] = fit_peak / x.nbytes
        res["peak_memory_over_x"] = peak / x.nbytes
    return res


def time_skmix_credible_interval(ctx):
    """skmix's 95% credible intervals for every x (after the fit, untimed)."""
    from skmix import EmpiricalBayesNormalMeans

    x, s = ctx["x"], ctx["s"]
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    start = time.perf_counter()
    ci = np.asarray(est.credible_interval(x, s=s, level=0.95))
    seconds = time.perf_counter() - start
    cover = (ci[:, 0] <= ctx["theta"]) & (ctx["theta"] <= ci[:, 1])
    return {
        "method": "skmix_credible_interval",
        "seconds": seconds,
        "coverage": float(cover.mean()),
    }


TIMERS = (
    time_skmix,
    time_ash_nopenalty,
    time_ash_default,
    time_ebnm,
    time_mixsqp_posterior,
)


def bench_size(n, args, packages):
    theta, x, s = make_data(n, args.seed)
    grid = ashr_grid(x, s)
    row = {"n": n, "K": len(grid), "grid": [float(g) for g in grid], "methods": []}
    with tempfile.TemporaryDirectory() as tmp:
        data, grid_file = write_r_data(tmp, x, s, grid)
        ctx = {
            "n": n,
            "theta": theta,
            "x": x,
            "s": s,
            "grid": grid,
            "data": data,
            "grid_file": grid_file,
            "r_packages": packages,
            "repeat": args.repeat,
            "r_max_n": args.r_max_n,
            "r_timeout": args.r_timeout,
            "memory": args.memory,
            "no_r": args.no_r,
        }
        for timer in TIMERS:
            if timer.__name__.removeprefix("time_") not in args.methods:
                continue
            res = evaluate(timer(ctx), theta, x, s, grid)
            res["load_average"] = os.getloadavg()
            row["methods"].append(res)
            print_result(n, res)
        if args.intervals:
            res = time_skmix_credible_interval(ctx)
            row["methods"].append(res)
            print_result(n, res)
    best = max((m["loglik"] for m in row["methods"] if "loglik" in m), default=None)
    for m in row["methods"]:
        if "loglik" in m:
            m["loglik_below_best"] = best - m["loglik"]
    return row


def print_result(n, res):
    if "skipped" in res:
        print(f"{n:>9.0e} {res['method']:<18} skipped: {res['skipped']}")
    elif "loglik" in res:
        print(
            f"{n:>9.0e} {res['method']:<18} {res['seconds']:9.2f} s "
            f"(CPU {res['cpu_seconds']:8.2f} s)  "
            f"loglik {res['loglik']:.4f}  KKT gap {res['kkt_gap']:.1e}  "
            f"gap bound {res['loglik_gap_bound']:.1e}  MSE {res['mse']:.5f}  "
            f"same grid {res['same_grid']}  load {os.getloadavg()[0]:.2f}"
        )
    else:
        extra = {k: v for k, v in res.items() if k not in ("method", "seconds")}
        print(f"{n:>9.0e} {res['method']:<18} {res['seconds']:9.2f} s  {extra}")
    sys.stdout.flush()


# --------------------------------------------------------------------------
# n = 1e8 through dask


def write_npy(folder, n, seed, chunk=10_000_000):
    """x, s, theta as .npy files, drawn chunk by chunk (same model)."""
    paths = {k: Path(folder) / f"{k}.npy" for k in ("x", "s", "theta")}
    maps = {
        k: np.lib.format.open_memmap(p, mode="w+", dtype=np.float64, shape=(n,))
        for k, p in paths.items()
    }
    for i, start in enumerate(range(0, n, chunk)):
        stop = min(n, start + chunk)
        theta, x, s = make_data(stop - start, seed=(seed, i))
        maps["theta"][start:stop], maps["x"][start:stop], maps["s"][start:stop] = (
            theta,
            x,
            s,
        )
    for m in maps.values():
        m.flush()
    del maps
    return paths


def time_skmix_dask(n, folder, seed, chunk):
    """skmix fit + posterior means on dask arrays read from .npy on disk."""
    from skmix import EmpiricalBayesNormalMeans

    try:
        import dask.array as da
    except ImportError as exc:
        return {"method": "skmix_dask", "n": n, "skipped": f"dask: {exc}"}
    paths = write_npy(folder, n, seed)
    arrays = {
        k: da.from_array(np.load(p, mmap_mode="r"), chunks=chunk)
        for k, p in paths.items()
    }
    start = time.perf_counter()
    est = EmpiricalBayesNormalMeans().fit(arrays["x"], s=arrays["s"])
    fit_seconds = time.perf_counter() - start
    pm = est.transform(arrays["x"], s=arrays["s"])
    pm = pm[:, 0] if pm.ndim == 2 else pm
    mse = float(((pm - arrays["theta"]) ** 2).mean().compute())
    seconds = time.perf_counter() - start
    return {
        "method": "skmix_dask",
        "n": n,
        "chunk": chunk,
        "fit_seconds": fit_seconds,
        "seconds": seconds,
        "reported_loglik": float(est.loglik_),
        "reported_kkt_gap": float(est.kkt_gap_),
        "mse": mse,
        "load_average": os.getloadavg(),
    }


# --------------------------------------------------------------------------


def parse_sizes(text):
    return [int(float(v)) for v in text.split(",") if v.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("1e5,1e6,1e7"),
        help="comma-separated sample sizes (default 1e5,1e6,1e7)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="skmix runs per size, the best counts (R runs once)",
    )
    parser.add_argument(
        "--r-max-n",
        type=float,
        default=1e6,
        help="run the R methods up to this n (default 1e6; at 1e7 "
        "ash and mixsqp hold several n x K matrices: > 8 GB)",
    )
    parser.add_argument(
        "--r-timeout",
        type=float,
        default=600,
        help="seconds one R call may take (default 600)",
    )
    parser.add_argument("--no-r", action="store_true", help="leave R out")
    parser.add_argument(
        "--methods",
        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
        default=[t.__name__.removeprefix("time_") for t in TIMERS],
        help="comma-separated methods to time (default: all of "
        + ", ".join(t.__name__.removeprefix("time_") for t in TIMERS)
        + ")",
    )
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        help="run this many busy processes during the timings",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also measure skmix's peak memory (tracemalloc, untimed run)",
    )
    parser.add_argument(
        "--intervals",
        action="store_true",
        help="also time skmix's 95%% credible intervals",
    )
    parser.add_argument(
        "--dask-n",
        type=float,
        default=0,
        help="also fit this n (e.g. 1e8) through dask from .npy files",
    )
    parser.add_argument(
        "--dask-dir",
        type=Path,
        default=None,
        help="folder for the .npy files (default: a temporary one)",
    )
    parser.add_argument("--dask-chunk", type=int, default=5_000_000)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    packages = {} if args.no_r else r_packages()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.gmtime()),
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "R_packages": packages,
        "competing_processes": args.load,
        "load_average_before": os.getloadavg(),
        "seed": args.seed,
    }
    print(
        f"{meta['date']}, {meta['cpu_count']} CPUs, R packages {packages or 'none'}, "
        f"competing processes {args.load}, load average {meta['load_average_before']}"
    )
    rows, dask_row = [], None
    with competing_load(args.load):
        for n in args.sizes:
            rows.append(bench_size(n, args, packages))
        if args.dask_n:
            with contextlib.ExitStack() as stack:
                folder = args.dask_dir or stack.enter_context(
                    tempfile.TemporaryDirectory()
                )
                dask_row = time_skmix_dask(
                    int(args.dask_n), folder, args.seed, args.dask_chunk
                )
            print(dask_row)
    meta["load_average_after"] = os.getloadavg()
    path = args.json
    if path is None:
        sizes = "-".join(f"{n:.0e}".replace("+0", "") for n in args.sizes)
        stamp = time.strftime("%H%M", time.gmtime())
        path = HERE / "results" / f"bench_eb_{sizes}_load{args.load}_{stamp}utc.json"
    path.write_text(
        json.dumps({"meta": meta, "rows": rows, "dask": dask_row}, indent=2)
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
