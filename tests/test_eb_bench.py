"""benchmarks/bench_eb.py: its grid, its objective, and a smoke run."""

import json
import runpy
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

from skmix import KnownComponentsMixture

BENCH = runpy.run_path(
    str(Path(__file__).resolve().parents[1] / "benchmarks" / "bench_eb.py")
)


def test_ashr_grid_rule():
    # ashr's autoselect.mixsd by hand on numbers chosen so that J is known:
    # sigma_min = 0.5 / 10, sigma_max = 2 sqrt(max(x^2 - s^2)) = 2 sqrt(15) ...
    x, s = np.array([1.0, -4.0, 0.5]), np.array([0.5, 1.0, 1.0])
    smin, smax = 0.05, 2 * np.sqrt(15.0)
    J = int(np.ceil(2 * np.log2(smax / smin)))  # log2(sqrt 2) = 1/2
    want = np.r_[0.0, [smax / np.sqrt(2) ** j for j in range(J, -1, -1)]]
    np.testing.assert_allclose(BENCH["ashr_grid"](x, s), want, rtol=1e-14)
    # ... and 8 sigma_min when no estimate exceeds its standard error
    np.testing.assert_allclose(
        BENCH["ashr_grid"](np.array([0.1, -0.2]), np.array([1.0, 2.0])),
        [0.0] + [0.8 / 2 ** (j / 2) for j in range(6, -1, -1)],  # 0.1 to 0.8
        rtol=1e-14,
    )


def test_objective_is_the_likelihood_and_bounds_the_gap():
    _, x, s = BENCH["make_data"](3000, seed=1)
    grid = BENCH["ashr_grid"](x, s)
    logL = norm.logpdf(x[:, None], 0, np.sqrt(s[:, None] ** 2 + grid**2))
    uniform = np.full(len(grid), 1 / len(grid))
    got = BENCH["objective"](x, s, grid, uniform)
    assert got["loglik"] == pytest.approx(
        logsumexp(logL + np.log(uniform), axis=1).sum(), rel=1e-13
    )
    best = KnownComponentsMixture("precomputed").fit(logL)
    at_best = BENCH["objective"](x, s, grid, best.weights_)
    assert at_best["kkt_gap"] <= 1e-7
    assert at_best["loglik_gap_bound"] <= 1e-3
    # the bound n log max_k g_k holds at the uniform weights, and is not loose
    # by orders of magnitude
    distance = at_best["loglik"] - got["loglik"]
    assert distance <= got["loglik_gap_bound"] <= 100 * distance


def test_smoke_run(tmp_path):
    out = tmp_path / "eb.json"
    BENCH["main"](["--sizes", "2e3", "--no-r", "--json", str(out)])
    (row,) = json.loads(out.read_text())["rows"]
    assert row["n"] == 2000 and row["K"] == len(row["grid"])
    methods = {m["method"]: m for m in row["methods"]}
    assert set(methods) == {"skmix", "ash_nopenalty", "ash_default", "ebnm"} | {
        "mixsqp_posterior"
    }
    for name in ("ash_nopenalty", "ash_default", "ebnm", "mixsqp_posterior"):
        assert methods[name]["skipped"] == "--no-r"
    skmix = methods["skmix"]
    assert skmix["same_grid"]
    assert skmix["kkt_gap"] <= 1e-7
    assert 0 < skmix["mse"] < 1.0
    # the whole call is the fit and the posterior table
    assert skmix["fit_seconds"] + skmix["posterior_seconds"] == pytest.approx(
        skmix["seconds"], rel=1e-6
    )
