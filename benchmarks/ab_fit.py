"""A/B timing of two skmix trees: the fits of bench_fit and bench_mixture.

One process per tree and round, the trees alternating (A, B, A, B, ...), so
that a change of the machine's load hits both alike; each process times
every case (best of ``--repeat``, CPU time of the process, BLAS on one
thread) and the report is the best over the rounds, with the load average
before and after.

    python benchmarks/ab_fit.py /work/main . --rounds 5

Cases: TwoGaussianMixturePi (EM and Newton) on bench_fit's data
(``make_mixture(n, pi=0.8, random_state=1)``), KnownComponentsMixture
(SQP, and EM on a short run) on bench_mixture's mixsqp design.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_cases(repeat):
    import numpy as np

    sys.path.insert(0, HERE)
    from bench_mixture import simulate

    from skmix import KnownComponentsMixture, TwoGaussianMixturePi, make_mixture

    cases = {}
    for n in (100_000, 1_000_000):
        X, _ = make_mixture(n, pi=0.8, random_state=1)
        for solver in ("em", "newton"):
            cases[f"two {solver} n={n:.0e}"] = lambda X=X, solver=solver: (
                TwoGaussianMixturePi(solver=solver).fit(X)
            )
    for n, K in ((100_000, 20), (20_000, 100)):
        _, logL = simulate(n, K)
        cases[f"known sqp n={n:.0e} K={K}"] = lambda logL=logL: KnownComponentsMixture(
            "precomputed"
        ).fit(logL)
        cases[f"known em(50) n={n:.0e} K={K}"] = lambda logL=logL: (
            KnownComponentsMixture(
                "precomputed", solver="em", max_iter=50, tol=0.0
            ).fit(logL)
        )
    import warnings

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fit in cases.items():
            fit()  # warm-up (numba compilation, caches)
            best = np.inf
            for _ in range(repeat):
                start = time.process_time()
                fit()
                best = min(best, time.process_time() - start)
            out[name] = best
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_cases(args.repeat)))
        return
    env1 = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    best = {args.a: {}, args.b: {}}
    print(f"load before: {os.getloadavg()}")
    for r in range(args.rounds):
        for tree in (args.a, args.b) if r % 2 == 0 else (args.b, args.a):
            env = dict(os.environ, PYTHONPATH=os.path.abspath(tree), **env1)
            cmd = [sys.executable, __file__, "x", "x", "--child"]
            cmd += ["--repeat", str(args.repeat)]
            res = json.loads(
                subprocess.run(
                    cmd, env=env, capture_output=True, text=True, check=True
                ).stdout
            )
            for k, v in res.items():
                best[tree][k] = min(best[tree].get(k, float("inf")), v)
        print(f"round {r + 1} done, load {os.getloadavg()}", flush=True)
    print(f"{'case':32s} {'A (s)':>9s} {'B (s)':>9s} {'B/A':>6s}")
    for k in best[args.a]:
        ta, tb = best[args.a][k], best[args.b][k]
        print(f"{k:32s} {ta:9.4f} {tb:9.4f} {tb / ta:6.3f}")


if __name__ == "__main__":
    main()
