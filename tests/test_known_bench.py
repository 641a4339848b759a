"""bench_mixture.py runs at tiny size and its numbers are consistent (no timings
are asserted)."""

import json
import runpy
from pathlib import Path

import numpy as np
from scipy.stats import norm

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mixture.py"


def test_bench_mixture_smoke(tmp_path, capsys):
    bench = runpy.run_path(str(BENCH))
    # the simulation is mixsqp's simulatemixdata: rows scaled to max 1
    x, logL = bench["simulate"](400, 7, seed=3)
    assert logL.shape == (400, 7) and np.allclose(logL.max(axis=1), 0)
    grid = np.r_[0, np.geomspace(0.1, 2 * np.sqrt(max(x**2 - 1)), 6)]
    ref = norm.logpdf(x[:, None], 0, np.sqrt(1 + grid**2))
    np.testing.assert_allclose(logL, ref - ref.max(axis=1, keepdims=True))
    out = tmp_path / "bench.json"
    bench["main"](["--smoke", "--no-r", "--json", str(out)])
    rows = json.loads(out.read_text())
    for row in rows["grid"]:
        assert row["skmix_gap"] <= 1e-8
        # the plain EM never gets a better objective than the certified maximum
        assert row["numpy_em_obj"] >= row["skmix_obj"] - 1e-12
    mt = rows["mixtools"]
    assert mt["skmix_em_loglik"] <= mt["skmix_sqp_loglik"] + 1e-9
    assert "| data |" in capsys.readouterr().out
