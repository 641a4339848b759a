"""KnownComponentsMixture against R mixsqp, mixtools and a plain NumPy EM.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_mixture.py            # full run
    PYTHONPATH=$PWD python benchmarks/bench_mixture.py --smoke    # tiny, seconds

What it measures, all in one run so that ratios compare like with like on a
shared machine (the load average is printed before and after):

1. mixsqp's own simulation design (``simulatemixdata``: x from N(0, 1),
   N(0, 3^2), N(0, 6^2) in proportions 1/2, 1/4, 1/4; a grid of K scales
   ``s = (0, logspace(0.1, 2 sqrt(max(x^2 - 1))))``; ``L_ik = N(x_i; 0, 1 +
   s_k^2)``, rows scaled to max 1), drawn here with NumPy and written to a
   file that R reads, so both solve the same matrix. skmix gets ``log L``
   (``components="precomputed"``; its time includes the ``exp``), mixsqp gets
   ``L`` with its default control. For both: the best wall time of
   ``--repeat`` fits (and the best CPU time: the machine may be shared), the
   objective ``-sum_i s_i log (L w)_i / sum_i s_i``
   and the KKT gap, computed by the same independent function here.
2. A plain NumPy EM on the same matrix, run until its KKT gap is <= 1e-8 or
   ``--em-seconds`` have passed (its gap is then reported).
3. mixtools ``normalmixEM`` with the means and standard deviations fixed
   (``mean.constr``, ``sd.constr``) for K = 3, against skmix's EM and SQP.
4. mixsqp's Beckett-Diaconis tack data (``data(tacks)``, a 9 x 299
   likelihood matrix with data weights), with ``sample_weight``.

NumPy's BLAS keeps its default threads unless ``--threads N`` limits them
(skmix's fit limits them itself: :mod:`skmix._threads`); ``--r-openblas
DIR`` also times mixsqp with R loading the OpenBLAS found in DIR (see
:func:`openblas_env`), with ``--threads`` threads (default: one per core).
Without ``Rscript`` (or mixsqp/mixtools) the R columns are left out and the
rest still runs.

``--load 0,2`` runs the load study instead: for each number of competing
busy processes (each in a session of its own, as another user's program
would be; see ``bench_fit.competing_load``), the fits of the grid's first
two sizes with NumPy's default BLAS threads, ``--repeat`` times each
(median and best), interleaved with the same fit without skmix's BLAS limit
(``unlimited``: skmix before it) and with mixsqp (median of as many runs in
one R process). Each fit's CPU time is reported too: with the limit it stays
the same under load while the wall time follows the CPU share.
"""

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_info, threadpool_limits

from skmix import KnownComponentsMixture

sys.path.insert(0, str(Path(__file__).resolve().parent))


def load():
    return os.getloadavg()


def simulate(n, K, seed=1):
    """mixsqp's simulatemixdata(n, K) in NumPy: (x, log L) with rows max 0."""
    rng = np.random.default_rng(seed)
    k = n // 4
    x = np.concatenate(
        [rng.normal(size=n - 2 * k), 3 * rng.normal(size=k), 6 * rng.normal(size=k)]
    )
    smax = 1.0 if np.all(x**2 < 1) else 2 * math.sqrt(np.max(x**2 - 1))
    grid = np.r_[0.0, np.geomspace(0.1, smax, K - 1)]
    logL = norm.logpdf(x[:, None], 0.0, np.sqrt(1 + grid**2))
    logL -= logL.max(axis=1, keepdims=True)
    return x, logL


def certificate(L, w, s=None):
    """Objective ``-sum s log(L w) / sum s`` and KKT gap, independently of skmix."""
    s = np.ones(L.shape[0]) if s is None else s
    w = np.asarray(w, float)
    u = L @ w
    with np.errstate(divide="ignore"):
        objective = -float(s @ np.log(u)) / s.sum()
    g = L.T @ (s / u) / s.sum()
    gap = float(np.max(g - 1))
    if np.any(w > 0):
        gap = max(gap, float(np.max(np.abs(g[w > 0] - 1))))
    return objective, gap


def best_time(fn, repeat, cpu=False):
    """Best wall time of ``repeat`` calls (and best CPU time if ``cpu``)."""
    times, cpus, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return (min(times), min(cpus), out) if cpu else (min(times), out)


def numpy_em(L, s=None, seconds=30.0, tol=1e-8):
    """Plain EM (w <- w * L^T (s / L w) / sum s) until gap <= tol or time is up."""
    n, K = L.shape
    s = np.ones(n) if s is None else s
    S = s.sum()
    w = np.full(K, 1.0 / K)
    t0 = time.perf_counter()
    it = 0
    while True:
        u = L @ w
        g = L.T @ (s / u) / S
        gap = max(float(np.max(g - 1)), float(np.max(np.abs(g[w > 0] - 1))))
        elapsed = time.perf_counter() - t0
        if gap <= tol or elapsed > seconds:
            return elapsed, w, it, gap
        w = w * g
        w /= w.sum()
        it += 1


# -- R -----------------------------------------------------------------------

R_MIXSQP = r"""
suppressMessages(library(mixsqp))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); m <- as.integer(args[3]); repeats <- as.integer(args[4])
L <- matrix(readBin(args[1], "double", n * m), n, m)
w <- if (args[5] == "none") rep(1, n) else readBin(args[5], "double", n)
best <- Inf; cpu <- Inf; all <- c()
for (r in seq_len(repeats)) {
  t <- system.time(fit <- mixsqp(L, w, control = list(verbose = FALSE)))
  best <- min(best, t[["elapsed"]]); cpu <- min(cpu, t[["user.self"]] + t[["sys.self"]])
  all <- c(all, t[["elapsed"]])
}
writeBin(as.double(c(best, cpu, median(all), fit$x)), args[6])
"""

R_MIXTOOLS = r"""
suppressMessages(library(mixtools))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); repeats <- as.integer(args[3])
x <- readBin(args[1], "double", n)
mu <- c(-2, 0, 3); sg <- c(1, 1, 1)
best <- Inf
for (r in seq_len(repeats)) {
  t <- system.time(fit <- normalmixEM(x, lambda = rep(1/3, 3), mu = mu, sigma = sg,
      mean.constr = mu, sd.constr = sg, epsilon = 1e-8, maxit = 10000))[["elapsed"]]
  best <- min(best, t)
}
niter <- length(fit$all.loglik) - 1
writeBin(as.double(c(best, fit$loglik, niter, fit$lambda)), args[4])
"""

R_TACKS = r"""
suppressMessages(library(mixsqp))
data(tacks)
args <- commandArgs(trailingOnly = TRUE)
repeats <- as.integer(args[2])
best <- Inf; cpu <- Inf
for (r in seq_len(repeats)) {
  t <- system.time(fit <- mixsqp(tacks$L, tacks$w, control = list(verbose = FALSE)))
  best <- min(best, t[["elapsed"]]); cpu <- min(cpu, t[["user.self"]] + t[["sys.self"]])
}
writeBin(as.double(c(dim(tacks$L), best, cpu, tacks$w, tacks$L, fit$x)), args[1])
"""


def rscript():
    return shutil.which("Rscript")


def r_has(package):
    exe = rscript()
    if exe is None:
        return False
    out = subprocess.run(
        [exe, "-e", f"cat(requireNamespace('{package}', quietly=TRUE))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip().endswith("TRUE")


def openblas_env(directory, threads):
    """R's environment to load the OpenBLAS in ``directory`` instead of its BLAS.

    R's start-up script puts ``R_LD_LIBRARY_PATH`` first on the library path,
    so a directory holding OpenBLAS's ``libblas.so.3`` (e.g. extracted with
    ``apt-get download libopenblas0-pthread && dpkg -x <deb> <dir>``) replaces
    the system BLAS for that process only.
    """
    if directory is None:
        return None
    env = dict(os.environ)
    env["R_LD_LIBRARY_PATH"] = f"{directory}:/usr/lib/R/lib:/usr/lib/x86_64-linux-gnu"
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    return env


def run_r(code, args, tmp, env=None):
    path = os.path.join(tmp, "script.R")
    with open(path, "w") as f:
        f.write(code)
    subprocess.run(
        [rscript(), path, *map(str, args)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )


def r_blas(env=None):
    """The BLAS library R actually loads (from its memory map)."""
    code = (
        'm <- readLines("/proc/self/maps"); '
        'cat(unique(sub(".* ", "", grep("blas", m, value = TRUE))))'
    )
    out = subprocess.run(
        [rscript(), "-e", code], capture_output=True, text=True, check=False, env=env
    )
    return out.stdout.strip()


def r_mixsqp(L, s, repeat, tmp, env=None, median=False):
    """mixsqp's best wall and CPU time of ``repeat`` fits (``median``: and
    the median wall time), and its solution."""
    n, m = L.shape
    fL = os.path.join(tmp, "L.bin")
    np.asfortranarray(L).T.tofile(fL)  # column-major for R
    fw = "none"
    if s is not None:
        fw = os.path.join(tmp, "w.bin")
        np.asarray(s, float).tofile(fw)
    fout = os.path.join(tmp, "out.bin")
    run_r(R_MIXSQP, [fL, n, m, repeat, fw, fout], tmp, env)
    out = np.fromfile(fout)
    if median:
        return out[0], out[1], out[2], out[3:]
    return out[0], out[1], out[3:]


# -- the comparisons ----------------------------------------------------------


def grid_rows(sizes, repeat, em_seconds, use_r, tmp, openblas=None):
    rows = []
    for n, K in sizes:
        _, logL = simulate(n, K)
        L = np.exp(logL)

        def fit(logL=logL):
            return KnownComponentsMixture("precomputed").fit(logL)

        t_sk, c_sk, est = best_time(fit, repeat, cpu=True)
        obj_sk, gap_sk = certificate(L, est.weights_)
        row = {
            "data": f"n = {n:.0e}, K = {K}",
            "skmix_s": t_sk,
            "skmix_cpu_s": c_sk,
            "skmix_iter": est.n_iter_,
            "skmix_obj": obj_sk,
            "skmix_gap": gap_sk,
        }
        if use_r:
            t_r, c_r, x = r_mixsqp(L, None, repeat, tmp)
            obj_r, gap_r = certificate(L, x / x.sum())
            row |= {
                "mixsqp_s": t_r,
                "mixsqp_cpu_s": c_r,
                "ratio_cpu": c_r / c_sk,
                "mixsqp_obj": obj_r,
                "mixsqp_gap": gap_r,
                "ratio": t_r / t_sk,
            }
            if openblas is not None:
                t_o, _, x = r_mixsqp(L, None, repeat, tmp, openblas)
                row |= {
                    "mixsqp_openblas_s": t_o,
                    "mixsqp_openblas_gap": certificate(L, x / x.sum())[1],
                    "ratio_openblas": t_o / t_sk,
                }
        t_em, w_em, it_em, gap_em = numpy_em(L, seconds=em_seconds)
        row |= {
            "numpy_em_s": t_em,
            "numpy_em_iter": it_em,
            "numpy_em_gap": gap_em,
            "numpy_em_obj": certificate(L, w_em)[0],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def mixtools_row(n, repeat, use_r, tmp):
    rng = np.random.default_rng(7)
    comp = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    x = rng.normal(np.array([-2.0, 0.0, 3.0])[comp], 1.0)
    comps = [norm(-2, 1), norm(0, 1), norm(3, 1)]
    X = x.reshape(-1, 1)
    t_sqp, sqp = best_time(lambda: KnownComponentsMixture(comps).fit(X), repeat)
    t_em, em = best_time(
        lambda: KnownComponentsMixture(comps, solver="em", tol=1e-8).fit(X), repeat
    )
    row = {
        "data": f"K = 3 normals, n = {n:.0e}",
        "skmix_sqp_s": t_sqp,
        "skmix_sqp_weights": sqp.weights_.tolist(),
        "skmix_sqp_loglik": sqp.loglik_,
        "skmix_em_s": t_em,
        "skmix_em_iter": em.n_iter_,
        "skmix_em_loglik": em.loglik_,
    }
    if use_r:
        fx = os.path.join(tmp, "x.bin")
        x.tofile(fx)
        fout = os.path.join(tmp, "mt.bin")
        run_r(R_MIXTOOLS, [fx, n, repeat, fout], tmp)
        out = np.fromfile(fout)
        row |= {
            "mixtools_s": out[0],
            "mixtools_loglik": out[1],
            "mixtools_iter": int(out[2]),
            "mixtools_weights": out[3:].tolist(),
            "ratio_sqp": out[0] / t_sqp,
            "ratio_em": out[0] / t_em,
        }
    print(json.dumps(row), flush=True)
    return row


def tacks_row(repeat, tmp, openblas=None):
    fout = os.path.join(tmp, "tacks.bin")
    run_r(R_TACKS, [fout, repeat], tmp)
    out = np.fromfile(fout)
    t_o = None
    if openblas is not None:
        run_r(R_TACKS, [fout, repeat], tmp, openblas)
        t_o = np.fromfile(fout)[2]
    n, m = int(out[0]), int(out[1])
    t_r, c_r = out[2], out[3]
    s = out[4 : 4 + n]
    L = out[4 + n : 4 + n + n * m].reshape(m, n).T
    x = out[4 + n + n * m :]
    with np.errstate(divide="ignore"):
        logL = np.log(L)

    def fit():
        return KnownComponentsMixture("precomputed").fit(logL, sample_weight=s)

    t_sk, c_sk, est = best_time(fit, repeat, cpu=True)
    obj_sk, gap_sk = certificate(L, est.weights_, s)
    obj_r, gap_r = certificate(L, x / x.sum(), s)
    row = {
        "data": f"tacks ({n} x {m}, data weights)",
        "skmix_s": t_sk,
        "skmix_cpu_s": c_sk,
        "mixsqp_cpu_s": c_r,
        "ratio_cpu": c_r / c_sk,
        "skmix_obj": obj_sk,
        "skmix_gap": gap_sk,
        "mixsqp_s": t_r,
        "mixsqp_obj": obj_r,
        "mixsqp_gap": gap_r,
        "ratio": t_r / t_sk,
    }
    if t_o is not None:
        row |= {"mixsqp_openblas_s": t_o, "ratio_openblas": t_o / t_sk}
    print(json.dumps(row), flush=True)
    return row


def unlimited_blas():
    """skmix's fit without its BLAS limit (NumPy's default threads): as before."""
    return mock.patch("skmix._base.fit_blas_threads", lambda *a, **k: nullcontext())


def load_rows(sizes, loads, repeat, use_r, tmp):
    """The load study (see the module's docstring): one row per load and size."""
    rows = []
    for n, K in sizes:
        _, logL = simulate(n, K)
        L = np.exp(logL)
        KnownComponentsMixture("precomputed").fit(logL)  # warm-up
        for processes in loads:
            # imported here: bench_fit needs the current skmix (ab_fit.py
            # times older trees with this file's simulate)
            from bench_fit import competing_load

            with competing_load(processes, new_session=True):
                time.sleep(0.5)  # the processes started
                load_before = load()[0]
                fits = {"limited": nullcontext, "unlimited": unlimited_blas}
                wall = {k: [] for k in fits}
                cpu = {k: [] for k in fits}
                est = {}
                # one kind after the other, each after a pause: OpenBLAS's
                # threads spin for a while after the unlimited fit's last
                # product, and in this process they would compete with the
                # limited fit's thread (that fit's own cost is one thread)
                for kind, context in fits.items():
                    time.sleep(0.5)
                    for _ in range(repeat):
                        with context():
                            t0, c0 = time.perf_counter(), time.process_time()
                            est[kind] = KnownComponentsMixture("precomputed").fit(logL)
                            wall[kind].append(time.perf_counter() - t0)
                            cpu[kind].append(time.process_time() - c0)
                row = {
                    "data": f"n = {n:.0e}, K = {K}",
                    "competing_processes": processes,
                    "load_average": load_before,
                }
                for kind in fits:
                    row |= {
                        f"skmix_{kind}_s": float(np.median(wall[kind])),
                        f"skmix_{kind}_best_s": min(wall[kind]),
                        f"skmix_{kind}_cpu_s": float(np.median(cpu[kind])),
                        f"skmix_{kind}_gap": certificate(L, est[kind].weights_)[1],
                    }
                if use_r:
                    t_r, _, med_r, x = r_mixsqp(L, None, repeat, tmp, median=True)
                    row |= {
                        "mixsqp_s": med_r,
                        "mixsqp_best_s": t_r,
                        "mixsqp_gap": certificate(L, x / x.sum())[1],
                        "ratio": med_r / row["skmix_limited_s"],
                        "ratio_unlimited": med_r / row["skmix_unlimited_s"],
                    }
                row["load_average_after"] = load()[0]
            rows.append(row)
            print(json.dumps(row), flush=True)
    # the slowdown of each fit under load, against the same size without
    base = {r["data"]: r for r in rows if r["competing_processes"] == 0}
    for r in rows:
        b = base.get(r["data"])
        for kind in ("limited", "unlimited"):
            if b is not None:
                r[f"slowdown_{kind}"] = r[f"skmix_{kind}_s"] / b[f"skmix_{kind}_s"]
    return rows


def load_table(rows):
    lines = [
        "| data | competing processes (load avg) | skmix (s), CPU s "
        "| x time without | skmix unlimited BLAS (s), CPU s | x time without "
        "| mixsqp (s) | mixsqp / skmix | mixsqp / unlimited |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def opt(r, key, fmt):
        return format(r[key], fmt) if key in r else "-"

    for r in rows:
        lines.append(
            f"| {r['data']} | {r['competing_processes']} "
            f"({r['load_average']:.1f}) | {r['skmix_limited_s']:.3f}, "
            f"{r['skmix_limited_cpu_s']:.3f} | {opt(r, 'slowdown_limited', '.2f')} | "
            f"{r['skmix_unlimited_s']:.3f}, {r['skmix_unlimited_cpu_s']:.3f} | "
            f"{opt(r, 'slowdown_unlimited', '.2f')} | {opt(r, 'mixsqp_s', '.3f')} | "
            f"{opt(r, 'ratio', '.1f')} | {opt(r, 'ratio_unlimited', '.1f')} |"
        )
    return "\n".join(lines)


def table(rows):
    lines = [
        "| data | mixsqp (s) | skmix (s) | ratio | CPU s mixsqp / skmix, ratio "
        "| mixsqp OpenBLAS (s), ratio | objective mixsqp - skmix "
        "| KKT gap mixsqp / skmix | NumPy EM: s, gap |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        em = (
            f"{r['numpy_em_s']:.1f} s, {r['numpy_em_gap']:.1e}"
            if "numpy_em_s" in r
            else ""
        )
        ob = (
            f"{r['mixsqp_openblas_s']:.3f}, {r['ratio_openblas']:.0f}x"
            if "mixsqp_openblas_s" in r
            else "-"
        )
        if "mixsqp_s" in r:
            lines.append(
                f"| {r['data']} | {r['mixsqp_s']:.3f} | {r['skmix_s']:.4f} | "
                f"{r['ratio']:.0f}x | {r['mixsqp_cpu_s']:.3f} / "
                f"{r['skmix_cpu_s']:.4f}, {r['ratio_cpu']:.0f}x | {ob} | "
                f"{r['mixsqp_obj'] - r['skmix_obj']:.1e} | "
                f"{r['mixsqp_gap']:.1e} / {r['skmix_gap']:.1e} | {em} |"
            )
        else:
            lines.append(
                f"| {r['data']} | - | {r['skmix_s']:.4f} | - | - | - | - | "
                f"- / {r['skmix_gap']:.1e} | {em} |"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--em-seconds", type=float, default=30.0)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit NumPy's BLAS to this many threads (default: no limit)",
    )
    parser.add_argument(
        "--load",
        metavar="K,K,...",
        help="run the load study with these numbers of competing processes",
    )
    parser.add_argument("--no-r", action="store_true", help="leave R out")
    parser.add_argument(
        "--r-openblas",
        metavar="DIR",
        help="also time mixsqp with the OpenBLAS libblas.so.3 in DIR",
    )
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    if args.smoke:
        sizes, repeat, em_seconds, n_mt = [(2000, 10), (2000, 30)], 1, 0.3, 2000
    else:
        sizes = [(100_000, 20), (100_000, 100), (1_000_000, 20)]
        repeat, em_seconds, n_mt = args.repeat, args.em_seconds, 100_000
    use_r = not args.no_r and r_has("mixsqp")
    if args.load is not None:
        return load_main(args, sizes[:2], repeat, use_r)
    use_mixtools = not args.no_r and r_has("mixtools")
    print(f"load average before: {load()}", flush=True)
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"numpy BLAS threads: {args.threads or 'default'}",
        flush=True,
    )
    blas = [i.get("internal_api") for i in threadpool_info()]
    print(f"numpy BLAS: {blas}", flush=True)
    threads = args.threads or os.cpu_count()
    openblas = openblas_env(args.r_openblas, threads) if use_r else None
    if use_r:
        print(f"R BLAS: {r_blas()}", flush=True)
        if openblas is not None:
            print(f"R BLAS (second run): {r_blas(openblas)}", flush=True)
    else:
        print("Rscript or mixsqp not found: R columns left out", flush=True)
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads):
        rows = grid_rows(sizes, repeat, em_seconds, use_r, tmp, openblas)
        mt = mixtools_row(n_mt, repeat, use_mixtools, tmp)
        tacks = tacks_row(repeat, tmp, openblas) if use_r else None
    print(f"load average after: {load()}", flush=True)
    print()
    print(table(rows + ([tacks] if tacks else [])))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"grid": rows, "mixtools": mt, "tacks": tacks}, f, indent=1)
    return rows, mt, tacks


def load_main(args, sizes, repeat, use_r):
    loads = [int(k) for k in args.load.split(",")]
    print(
        f"load study: competing processes {loads}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, BLAS {[i.get('version') for i in threadpool_info()]}"
        f" (default threads), median of {repeat}; R mixsqp "
        f"{'found' if use_r else 'not found: left out'}",
        flush=True,
    )
    print(f"load average before: {load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        rows = load_rows(sizes, loads, repeat, use_r, tmp)
    print(f"load average after: {load()}", flush=True)
    print()
    print(load_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load": rows}, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
