"""Accuracy of the one-pass summary against exact per-sample sums, by layout.

For each bin width h and degree K, on several hard data sets, it reports the
largest relative error over pi in a grid (0 and 1 included) of the summary's
sums (log-likelihood less M, responsibilities, score, information) against
the same sums over the samples (``math.fsum`` of per-sample terms, each
formed in log space), and whether EM from the summary takes the same
iterations as an exact per-sample EM, with the largest relative difference of
the path (pi and log-likelihood). Also the summary's size.

    python benchmarks/summary_accuracy.py [--n 200000]

The default layout (h = 1/4, K = 8) is the coarsest whose sums are within a
few units of rounding (~1e-15) everywhere here; see the README.
"""

import argparse
import math
import pickle

import numpy as np
from scipy.special import expit

from skmix import make_mixture
from skmix._build_numpy import summarize_numpy
from skmix._densities import check_gaussian_components, sample_terms
from skmix._layout import layout
from skmix._problem_summary import SummaryProblem
from skmix._solve import fit_em
from skmix._summary import sums

PIS = [0.0, 1e-12, 0.02, 0.3, 0.5, 0.8, 0.999, 1 - 1e-12, 1.0]


def datasets(n):
    rng = np.random.default_rng(0)
    X, _ = make_mixture(n, pi=0.8, random_state=1)
    yield "seed", X, (0.0, 2.0), 1.0
    X, _ = make_mixture(n, means=(0, 3), sigma=(1, 0.3), pi=0.6, random_state=2)
    yield "unequal sigmas", X, (0.0, 3.0), (1.0, 0.3)
    X, _ = make_mixture(n, pi=0.02, random_state=3)
    X = np.vstack([X, [[60.0], [1e6], [-30.0]]])
    yield "pi 0.02 + outliers", X, (0.0, 2.0), 1.0
    X = rng.normal(size=(n, 1))
    yield "close means (0, 1e-6)", X, (0.0, 1e-6), 1.0


def per_sample_sums(t, pi):
    a = np.abs(t)
    om = -np.expm1(-a)
    out = dict.fromkeys(("log_d", "resp0", "resp1", "grad", "curv"), 0.0)
    for side, sel in ((0, t >= 0), (1, t < 0)):
        A, B = (pi, 1 - pi) if side == 0 else (1 - pi, pi)
        aa, o = a[sel], om[sel]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_d = np.logaddexp(np.log(A), np.log(B) - aa)
            near = B * o < 0.5
            log_d[near] = np.log1p(-B * o[near])
            d = np.exp(log_d)
            own = np.exp(np.log(A) - log_d)
            other = np.exp(np.log(B) - aa - log_d)
            g = o / d
        out["log_d"] += math.fsum(log_d)
        out["resp0" if side == 0 else "resp1"] += math.fsum(own)
        out["resp1" if side == 0 else "resp0"] += math.fsum(other)
        out["grad"] += (1 if side == 0 else -1) * math.fsum(g)
        out["curv"] += math.fsum(g * g)
        out["scale_grad"] = out.get("scale_grad", 0.0) + math.fsum(g)
    return out


def exact_em(t, m, pi, tol=1e-5, max_iter=1000):
    rel0 = np.where(t >= 0, 0.0, -np.abs(t))
    rel1 = np.where(t >= 0, -np.abs(t), 0.0)
    log_max = math.fsum(m)

    def c(p):
        return np.logaddexp(np.log(p) + rel0, np.log1p(-p) + rel1)

    pis, lls = [pi], [log_max + math.fsum(c(pi))]
    for _ in range(max_iter):
        old = pi
        pi = math.fsum(expit(t + math.log(old) - math.log1p(-old))) / len(t)
        diff = math.fsum(c(pi) - c(old))
        pis.append(pi)
        lls.append(log_max + math.fsum(c(pi)))
        if diff < tol:
            break
    return np.array(pis), np.array(lls)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=2e5)
    parser.add_argument("--quick", action="store_true", help="the default only")
    args = parser.parse_args(argv)
    layouts = [(h, k) for h in (0.5, 0.25, 0.125) for k in (4, 6, 8, 10)]
    if args.quick:
        layouts = [(0.25, 8)]
    data = []
    for name, X, means, sigma in datasets(int(args.n)):
        comp = check_gaussian_components(means, sigma, 1)
        t, m = sample_terms(X, *comp)
        exact = {pi: per_sample_sums(t, pi) for pi in PIS}
        path = exact_em(t, m, 0.5)
        data.append((name, X, comp, exact, path))
    print(
        f"{'h':>6} {'K':>3} {'KB':>5}  {'data':<24} {'max rel err of sums':>20} "
        f"{'same iters':>10} {'path rel diff':>14}"
    )
    for h, k in layouts:
        for name, X, comp, exact, (pis, lls) in data:
            s = summarize_numpy(X, *comp, layout=layout(h, k))
            worst = 0.0
            for pi, ref in exact.items():
                got = sums(s, pi, derivatives=True)._asdict()
                for key, value in ref.items():
                    if key == "scale_grad" or not math.isfinite(got[key]):
                        # on the boundary with samples beyond |t| = 64 on
                        # the vanishing side the derivatives are given as
                        # inf (they exceed 1e27)
                        continue
                    # the score is a difference of the two sides' sums:
                    # its error is measured against their size
                    scale = ref["scale_grad"] if key == "grad" else abs(value)
                    if scale > 0 and math.isfinite(scale):
                        worst = max(worst, abs(got[key] - value) / scale)
            res = fit_em(SummaryProblem(s), 0.5, tol=1e-5, max_iter=1000)
            same = res.n_iter == len(pis) - 1
            rows = min(len(pis), len(res.history["pi"]))
            diff = max(
                np.max(np.abs(res.history["pi"][:rows] / pis[:rows] - 1)),
                np.max(np.abs(res.history["loglik"][:rows] / lls[:rows] - 1)),
            )
            size = len(pickle.dumps(s)) / 1024
            print(
                f"{h:>6} {k:>3} {size:>5.0f}  {name:<24} {worst:>20.2e} "
                f"{same!s:>10} {diff:>14.2e}"
            )


if __name__ == "__main__":
    main()
