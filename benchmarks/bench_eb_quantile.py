"""Empirical Bayes normal means: timings of each prior family, with the
credible intervals (the posterior quantiles) timed on their own.

Data as in :mod:`bench_eb` (``theta ~ 0.6 delta_0 + 0.3 N(0, 1) + 0.1 N(0,
9)``, ``s ~ U(0.5, 2)``). For each family: ``fit``, ``posterior`` (the
table), ``credible_interval`` (level 0.95: two quantiles per sample), and the
whole call (their sum), in seconds of wall time.

Run ``PYTHONPATH=. nice python benchmarks/bench_eb_quantile.py --sizes 1e5 1e6``.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from bench_eb import draw

from skmix import EmpiricalBayesNormalMeans
from skmix._eb_grid import FAMILIES


def time_family(x, s, family):
    """Seconds of ``fit``, ``posterior``, ``credible_interval`` and their sum."""
    t0 = time.perf_counter()
    est = EmpiricalBayesNormalMeans(prior=family).fit(x, s=s)
    t1 = time.perf_counter()
    est.posterior(x, s=s)
    t2 = time.perf_counter()
    est.credible_interval(x, s=s)
    t3 = time.perf_counter()
    return {
        "fit": t1 - t0,
        "posterior": t2 - t1,
        "credible_interval": t3 - t2,
        "whole": t3 - t0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    args = parser.parse_args(argv)
    for size in args.sizes:
        _, x, s = draw(int(size))
        for family in args.families:
            row = time_family(x, s, family)
            times = ", ".join(f"{k} {v:.2f} s" for k, v in row.items())
            print(f"n = {size:.0e} {family}: {times}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
