"""The benchmark script runs and its solvers agree (no timings are asserted)."""

import json
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_fit.py"


def test_bench_fit_runs_and_agrees(tmp_path, capsys):
    bench = runpy.run_path(str(BENCH))
    out = tmp_path / "bench.json"
    bench["main"](["--sizes", "2e3", "--repeat", "1", "--json", str(out)])
    (row,) = json.loads(out.read_text())["rows"]
    assert row["n"] == 2000
    # skmix's EM is the tutorial's algorithm: same iterations, same estimate
    assert row["em"]["n_iter"] == row["numpy"]["n_iter"]
    assert row["em"]["pi"] == pytest.approx(row["numpy"]["pi"], rel=1e-10)
    assert row["newton"]["pi"] == pytest.approx(row["em"]["pi"], abs=1e-4)
    assert row["newton"]["n_iter"] < row["em"]["n_iter"]
    assert row["em"]["peak_mem_over_X"] > 0
    assert set(row["ratios"]) >= {"numpy_over_em", "gmm_over_em", "em_iter_over_floor"}
    assert "2,000" in capsys.readouterr().out
