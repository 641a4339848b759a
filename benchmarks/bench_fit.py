"""Time skmix's fit against the references, all measured in the same run.

For each size n, on data drawn like the tutorial's (``make_mixture(n, pi=0.8,
random_state=1)``: 0.8 N(0, 1) + 0.2 N(2, 1)), with its settings (means
(0, 2), sigma 1, pi_init 0.5, tol 1e-5), it reports the best of ``--repeat``
runs of:

- skmix, ``solver="em"`` (the default) and ``solver="newton"``, the whole
  ``fit`` (validation, the one-pass summary, the solver, the standard
  error): with the compiled summary build where numba is installed, and with
  the NumPy build only; peak memory allocated during the fit (tracemalloc, in
  a separate untimed run) relative to the size of X; pi;
- ``per_pass``: skmix's previous method (commit 975c6f4), a one-time pass
  then one pass over n stored ratios per EM iteration, with its compiled and
  its NumPy kernels (``benchmarks/per_pass_reference.py``), BLAS limited to
  one thread (its per-block ``np.dot`` is slow with BLAS threads on a loaded
  machine);
- ``plain``: the best plain NumPy EM: the log-densities computed once
  (scipy.stats.norm.logpdf) and turned into the ratio f1/f0, then one
  vectorised pass per iteration into preallocated buffers (d = pi + (1 - pi)
  ratio, the responsibilities pi / d and their mean, the log-likelihood
  sum(log d) + const);
- ``numpy``: a plain transcription of the tutorial's formulas
  (scipy.stats.norm.pdf for both densities, then its E-step / M-step /
  log-likelihood loop), the naive reference;
- ``gmm``: sklearn's GaussianMixture(n_components=2, covariance_type="tied")
  started at the true parameters (it also estimates the means, which skmix
  holds fixed), for n <= 1e6;
- ``floor``: one ``np.log`` pass over an array of n float64 (into a
  preallocated output);
- ``R``: the tutorial's own R code on the same data, only where ``Rscript``
  with dplyr is installed (silently left out otherwise);
- one evaluation of the summary at a value of pi (all the sums EM and Newton
  need), in microseconds.

Ratios: each reference's time over skmix EM's, and skmix's whole fit over the
floor. ``--load K`` runs K busy processes during the timings (a competing
load, e.g. one per core) to show how the fit degrades. Run ``python
benchmarks/bench_fit.py --help`` for the options.
"""

import os
import sys

# PyTorch timings (--torch) go through sklearn's array API dispatch, which
# needs SciPy's array API mode, set before SciPy is imported
if "--torch" in sys.argv:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse
import contextlib
import gc
import json
import platform
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

import skmix
from skmix import TwoGaussianMixturePi, make_mixture
from skmix._build_numpy import summarize_numpy
from skmix._densities import check_gaussian_components
from skmix._dispatch import compiled_build, numpy_build_only
from skmix._summary import increase, sums

sys.path.insert(0, str(Path(__file__).resolve().parent))
from per_pass_reference import (
    compiled_side_sums as per_pass_compiled_kernel,
)
from per_pass_reference import fit as per_pass_fit

MEANS, SIGMA, PI, PI_INIT, TOL = (0.0, 2.0), 1.0, 0.8, 0.5, 1e-5
GMM_MAX_N = 1_000_000
R_MAX_N = 10_000_000  # the tutorial's tibbles of 1e8 rows need >24 GB


CLOCK = {"now": time.perf_counter, "min_total": 0.25}


def best_time(fn, repeat, min_total=None):
    """Best wall time of at least ``repeat`` calls, and the last call's result.

    Fast calls are repeated until ``min_total`` seconds are spent, so that
    every method is timed often enough to find its minimum on a noisy machine.
    As in ``timeit``, the garbage collector is off while timing (a collection
    between runs would also empty the caches, which would slow the cheap
    floor most and flatter the ratios).
    """
    if min_total is None:
        min_total = CLOCK["min_total"]
    best, result, runs, spent = np.inf, None, 0, 0.0
    gc.collect()
    gc.disable()
    try:
        while runs < repeat or spent < min_total:
            result = None
            start = CLOCK["now"]()
            result = fn()
            elapsed = CLOCK["now"]() - start
            best, runs, spent = min(best, elapsed), runs + 1, spent + elapsed
    finally:
        gc.enable()
    return best, result


def peak_memory(fn):
    """Peak bytes allocated (tracemalloc) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def seed_transcription(x):
    """The tutorial's fit_model, line for line, on a 1-D array."""
    f0 = norm.pdf(x, MEANS[0], SIGMA)
    f1 = norm.pdf(x, MEANS[1], SIGMA)
    pi = PI_INIT
    joint0, joint1 = f0 * pi, f1 * (1 - pi)
    p_y = joint0 + joint1
    post = joint0 / p_y
    ll = np.log(p_y).sum()
    iteration = 0
    while iteration < 1000:
        iteration += 1
        pi = post.mean()
        joint0, joint1 = f0 * pi, f1 * (1 - pi)
        p_y = joint0 + joint1
        post = joint0 / p_y
        ll_old, ll = ll, np.log(p_y).sum()
        if ll - ll_old < TOL:
            break
    return pi, iteration


def plain_numpy_em(x):
    """The best plain NumPy EM: densities once, one vectorised pass per step."""
    lf0 = norm.logpdf(x, MEANS[0], SIGMA)
    lf1 = norm.logpdf(x, MEANS[1], SIGMA)
    ratio = np.exp(lf1 - lf0)  # f1 / f0 (finite on these data)
    const = lf0.sum()
    d, r = np.empty_like(x), np.empty_like(x)
    n = len(x)

    def step(pi):
        np.multiply(ratio, 1.0 - pi, out=d)
        np.add(d, pi, out=d)
        np.divide(pi, d, out=r)
        new_pi = np.add.reduce(r) / n
        np.log(d, out=d)
        return new_pi, const + np.add.reduce(d)

    pi = PI_INIT
    new_pi, ll = step(pi)
    iteration = 0
    while iteration < 1000:
        iteration += 1
        pi = new_pi
        ll_old = ll
        new_pi, ll = step(pi)
        if ll - ll_old < TOL:
            break
    return pi, iteration


def summary_evaluation_us(X):
    """Microseconds for the sums at one pi plus one increase (best of many)."""
    summary = summarize_numpy(X[:100_000], *check_gaussian_components(MEANS, SIGMA, 1))
    t, _ = best_time(
        lambda: (sums(summary, 0.3, True), increase(summary, 0.3, 0.31)), 50
    )
    return 1e6 * t


@contextlib.contextmanager
def competing_load(processes, new_session=False):
    """``processes`` busy Python processes while the block runs.

    ``new_session``: each in a session of its own, as another user's program
    would be (where the kernel groups processes by session, its default on
    many Linux systems, children of the benchmark's session would share its
    share of the CPU instead of competing with it).
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "while True: pass"], start_new_session=new_session
        )
        for _ in range(processes)
    ]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def sklearn_gmm(X):
    """GaussianMixture from the true parameters; it may stop at max_iter=100."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm = GaussianMixture(
            n_components=2,
            covariance_type="tied",
            means_init=np.array(MEANS)[:, None],
            weights_init=[PI_INIT, 1 - PI_INIT],
            precisions_init=np.array([[1 / SIGMA**2]]),
            tol=TOL / len(X),  # sklearn's tol is on the per-sample mean
            max_iter=100,
        ).fit(X)
    return gmm.weights_[0], gmm.n_iter_


R_SCRIPT = r"""
# The tutorial's own code (its E_step, M_step, loglik and fit_model, as
# published), on the data of this run: Y read from a file, the two densities
# computed before the timing as the tutorial's gen_data does.
suppressMessages(library(dplyr))
args <- commandArgs(trailingOnly = TRUE)
data <- tibble(Y = scan(args[1], quiet = TRUE)) |>
  mutate(`p(Y=y|Z=1)` = dnorm(Y, 0, sd = 1), `p(Y=y|Z=2)` = dnorm(Y, 2, sd = 1))

fit_model = function(
    data,
    `p(Z=1)` = 0.5, # initial guess for `pi-hat`
    tolerance = 0.00001,
    max_iterations = 1000,
    verbose = FALSE
)
{
  progress = tibble(
      Iteration = 0:max_iterations,
      `p(Z=1)` = NA_real_,
      loglik =  NA_real_,
      diff_loglik = NA_real_
    )
  data = data |> E_step(`p(Z=1)` = `p(Z=1)`)
  ll = loglik(data)
  progress[1, ] = list(0, `p(Z=1)`, ll, NA)
  for(i in 1:max_iterations)
  {
    `p(Z=1)` = data |> M_step()
    data = data |> E_step(`p(Z=1)` = `p(Z=1)`)
    ll_old = ll
    ll = loglik(data)
    ll_diff = ll - ll_old
    progress[i+1, ] = list(i, `p(Z=1)`, ll, ll_diff)
    if(verbose) print(progress[i+1, ])
    if(ll_diff < tolerance) break;
  }
  return(progress[1:(i+1), ])
}

E_step = function(data, `p(Z=1)`)
{
  data |>
    mutate(
      `p(Y=y, Z=1)` = `p(Y=y|Z=1)` * `p(Z=1)`,
      `p(Y=y, Z=2)` = `p(Y=y|Z=2)` * (1 - `p(Z=1)`),
      `p(Y=y)`      = `p(Y=y, Z=1)` + `p(Y=y, Z=2)`,
      `p(Z=1|Y=y)`  = `p(Y=y, Z=1)` / `p(Y=y)`,
    )
}

M_step = function(data)
{
  data |> pull(`p(Z=1|Y=y)`) |> mean()
}

loglik = function(data)
{
  data |> pull(`p(Y=y)`) |> log() |> sum()
}

best <- Inf
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time({results = fit_model(data, tolerance = 0.00001)})[["elapsed"]]
  best <- min(best, t)
}
last <- nrow(results)
cat(sprintf("%.6f %.17g %d\n", best, results$`p(Z=1)`[last], results$Iteration[last]))
"""


def r_available():
    if shutil.which("Rscript") is None:
        return False
    check = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('dplyr', quietly = TRUE))"],
        capture_output=True,
    )
    return check.returncode == 0


def run_r(x, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "y.txt", Path(tmp) / "fit.R"
        np.savetxt(data, x, fmt="%.17g")
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(data), str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    return float(out[0]), float(out[1]), int(float(out[2]))


def log_floor(X, repeat):
    """Best time of one np.log pass over n positive float64 (no allocation)."""
    positive = np.abs(X[:, 0]) + 1.0
    out = np.empty_like(positive)
    np.log(positive, out=out)  # touch the output's pages
    return best_time(lambda: np.log(positive, out=out), max(repeat, 20))[0]


def torch_device(requested):
    """The device for --torch: the one asked for, or CUDA when available."""
    if requested in ("none", "off"):
        return None
    try:
        import torch
    except ImportError:
        return None
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else None
    return requested


def torch_fit(X, device, repeat):
    """skmix's EM on a PyTorch tensor on ``device`` (array API dispatch).

    The data are moved to the device once, outside the timing; each timed
    fit ends with a device synchronisation.
    """
    import torch
    from sklearn import config_context

    X_t = torch.asarray(X, device=device)

    def fit():
        with config_context(array_api_dispatch=True):
            est = TwoGaussianMixturePi(
                means=MEANS, sigma=SIGMA, pi_init=PI_INIT, tol=TOL
            ).fit(X_t)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return est

    t, est = best_time(fit, repeat)
    return {"time_s": t, "n_iter": est.n_iter_, "pi": est.pi_, "device": device}


def bench_size(n, repeat, with_r, gmm_max_n=GMM_MAX_N, torch_on=None, r_max_n=R_MAX_N):
    X, _ = make_mixture(n, means=MEANS, sigma=SIGMA, pi=PI, random_state=1)
    x_bytes = X.nbytes
    row = {"n": n}

    row["floor_s"] = log_floor(X, repeat)

    # skmix as installed (with the compiled kernel if numba is there), and,
    # when it is, also with the NumPy build only
    kernels = {"": contextlib.nullcontext}
    if compiled_build(10**9) is not None:
        kernels["_numpy_kernels"] = numpy_build_only
    for suffix, context in kernels.items():
        for solver in ("em", "newton"):

            def fit(solver=solver):
                return TwoGaussianMixturePi(
                    means=MEANS, sigma=SIGMA, pi_init=PI_INIT, tol=TOL, solver=solver
                ).fit(X)

            with context():
                fit()  # compile the kernel, if any, outside the timing
                t, est = best_time(fit, repeat)
                peak = peak_memory(fit)
            row[solver + suffix] = {
                "time_s": t,
                "n_iter": est.n_iter_,
                "peak_mem_over_X": peak / x_bytes,
                "pi": est.pi_,
            }

    # the previous method calls np.dot per block: with BLAS threads on a
    # loaded machine that alone made it several times slower (issue 9.19);
    # timed with BLAS limited to one thread, its fair speed
    comp = check_gaussian_components(MEANS, SIGMA, 1)
    kinds = ["numpy"] + (["compiled"] if per_pass_compiled_kernel() else [])
    blas = threadpool_limits(limits=1, user_api="blas")
    for kind in kinds:
        per_pass_fit(X[:50_000], *comp, kernel=kind)  # compile outside the timing
        t, res = best_time(
            lambda kind=kind: per_pass_fit(X, *comp, kernel=kind), repeat
        )
        row[f"per_pass_{kind}"] = {"time_s": t, "n_iter": res.n_iter, "pi": res.pi}
    blas.restore_original_limits()
    t, (pi, n_iter) = best_time(lambda: plain_numpy_em(X[:, 0]), repeat)
    row["plain"] = {"time_s": t, "n_iter": n_iter, "pi": pi}
    t, (pi, n_iter) = best_time(lambda: seed_transcription(X[:, 0]), repeat)
    row["numpy"] = {"time_s": t, "n_iter": n_iter, "pi": pi}
    if n <= gmm_max_n:
        t, (pi, n_iter) = best_time(lambda: sklearn_gmm(X), repeat)
        row["gmm"] = {"time_s": t, "n_iter": n_iter, "pi": pi}
    if torch_on is not None:
        row["torch"] = torch_fit(X, torch_on, repeat)
    if with_r and n <= r_max_n:
        t, pi, n_iter = run_r(X[:, 0], repeat)
        row["R"] = {"time_s": t, "n_iter": n_iter, "pi": pi}
    row["evaluation_us"] = summary_evaluation_us(X)

    em = row["em"]["time_s"]
    row["ratios"] = {
        f"{ref}_over_em": row[ref]["time_s"] / em
        for ref in (
            "per_pass_compiled",
            "per_pass_numpy",
            "plain",
            "numpy",
            "gmm",
            "R",
            "newton",
            "torch",
            "em_numpy_kernels",
            "newton_numpy_kernels",
        )
        if ref in row
    }
    if "em_numpy_kernels" in row:
        row["ratios"]["per_pass_numpy_over_em_numpy_kernels"] = (
            row["per_pass_numpy"]["time_s"] / row["em_numpy_kernels"]["time_s"]
        )
    for solver in ("em", "newton", "em_numpy_kernels", "newton_numpy_kernels"):
        if solver in row:
            row["ratios"][f"{solver}_over_floor"] = (
                row[solver]["time_s"] / row["floor_s"]
            )
    return row


def print_header():
    print(
        f"{'n':>11} {'floor ms':>9} {'EM ms':>9} {'it':>3} {'Newton ms':>9} "
        f"{'EM/fl':>6} {'perpass/EM':>10} {'plain/EM':>8} {'numpy/EM':>8} "
        f"{'GMM/EM':>7} {'R/EM':>6} {'memEM':>6} {'eval us':>7}"
    )


def print_row(r):
    q = r["ratios"]

    def opt(key, fmt):
        v = q.get(key)
        width = int(fmt.split(".")[0].rstrip("df"))
        return format(v, fmt) if v is not None else "-".rjust(width)

    per_pass = "per_pass_compiled_over_em"
    if per_pass not in q:
        per_pass = "per_pass_numpy_over_em"
    print(
        f"{r['n']:>11,} {1e3 * r['floor_s']:9.2f} {1e3 * r['em']['time_s']:9.2f} "
        f"{r['em']['n_iter']:>3} {1e3 * r['newton']['time_s']:9.2f} "
        f"{q['em_over_floor']:6.2f} {q[per_pass]:10.2f} {q['plain_over_em']:8.2f} "
        f"{q['numpy_over_em']:8.2f} {opt('gmm_over_em', '7.1f')} "
        f"{opt('R_over_em', '6.1f')} {r['em']['peak_mem_over_X']:6.3f} "
        f"{r['evaluation_us']:7.1f}"
    )
    if "em_numpy_kernels" in r:
        e, nw = r["em_numpy_kernels"], r["newton_numpy_kernels"]
        print(
            f"{'':>11} NumPy build only: EM {1e3 * e['time_s']:.2f} ms "
            f"({q['em_numpy_kernels_over_floor']:.2f} x floor), Newton "
            f"{1e3 * nw['time_s']:.2f} ms; per-pass EM with NumPy kernels / this "
            f"EM = {q['per_pass_numpy_over_em_numpy_kernels']:.2f}; plain NumPy EM "
            f"/ this EM = {r['plain']['time_s'] / e['time_s']:.2f}"
        )
    if "torch" in r:
        t = r["torch"]
        print(
            f"{'':>11} PyTorch on {t['device']}: {1e3 * t['time_s']:.2f} ms, "
            f"{t['n_iter']} iterations, pi {t['pi']:.6f}; EM (NumPy) / PyTorch "
            f"= {1 / q['torch_over_em']:.2f}"
        )


def cpu_model():
    """The CPU's model name (it decides whether np.log is vectorised)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_sizes(text):
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("1e4,1e5,5e5,1e6,1e7"),
        help="comma-separated sample sizes (default: 1e4,1e5,5e5,1e6,1e7)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs per timing, at least (fast ones run for 0.25 s); the best counts",
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes 1e4,1e5,5e5 and 3 repeats"
    )
    parser.add_argument(
        "--gmm-max-n",
        type=float,
        default=GMM_MAX_N,
        help=f"time GaussianMixture up to this size (default {GMM_MAX_N:.0e})",
    )
    parser.add_argument(
        "--r-max-n",
        type=float,
        default=R_MAX_N,
        help=f"run the R reference up to this size (default {R_MAX_N:.0e})",
    )
    parser.add_argument(
        "--torch",
        default="auto",
        help="also fit a PyTorch tensor on this device (cpu, cuda, ...); "
        "'auto' (default): on CUDA when PyTorch sees a GPU, else not at all; "
        "'none': never",
    )
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        help="run this many busy processes during the timings (competing load)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time by the wall clock (default) or by this process's CPU time "
        "(all its threads; steadier on a machine loaded by others)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = parse_sizes("1e4,1e5,5e5"), 3

    if args.clock == "cpu":
        CLOCK["now"] = time.process_time
    if args.repeat == 1:  # a smoke run: each method once
        CLOCK["min_total"] = 0.0
    with_r = r_available()
    device = torch_device(args.torch)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "skmix": skmix.__version__,
        "repeat": args.repeat,
        "R": with_r,
        "torch_device": device,
        "compiled_kernel": compiled_build(10**9) is not None,
        "competing_processes": args.load,
        "clock": args.clock,
        "load_average": os.getloadavg(),
    }
    print(
        f"skmix {meta['skmix']}, numpy {meta['numpy']}, Python {meta['python']}, "
        f"{meta['machine']}, {meta['cpu_count']} CPUs, {meta['date']}; "
        f"best of {args.repeat}; "
        f"R {'found' if with_r else 'not installed: left out'}; "
        f"PyTorch {'on ' + device if device else 'left out'}; compiled kernel "
        f"{'(numba) used' if meta['compiled_kernel'] else 'not installed'}; "
        f"{args.clock} clock"
    )
    print(f"load average before: {os.getloadavg()}; competing processes: {args.load}")
    print_header()
    rows = []
    with competing_load(args.load):
        for n in args.sizes:
            rows.append(
                bench_size(n, args.repeat, with_r, args.gmm_max_n, device, args.r_max_n)
            )
            print_row(rows[-1])
            sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
