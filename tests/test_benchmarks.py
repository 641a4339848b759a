"""The benchmark script runs and its solvers agree (no timings are asserted)."""

import json
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_fit.py"


def test_bench_fit_runs_and_agrees(tmp_path, capsys):
    bench = runpy.run_path(str(BENCH))
    out = tmp_path / "bench.json"
    argv = ["--sizes", "2e3,3e3", "--repeat", "1", "--gmm-max-n", "2500"]
    bench["main"]([*argv, "--json", str(out)])
    row, large = json.loads(out.read_text())["rows"]
    assert (row["n"], large["n"]) == (2000, 3000)
    assert "gmm" not in large  # above --gmm-max-n: left out, the row still prints
    # skmix's EM is the tutorial's algorithm: same iterations, same estimate
    assert row["em"]["n_iter"] == row["numpy"]["n_iter"]
    assert row["em"]["pi"] == pytest.approx(row["numpy"]["pi"], rel=1e-10)
    assert row["newton"]["pi"] == pytest.approx(row["em"]["pi"], abs=1e-4)
    assert row["newton"]["n_iter"] < row["em"]["n_iter"]
    # memory: the summary (tens of KB) and temporaries of at most 16 floats
    # per sample (about 10 measured), never a copy of X per iteration
    x_bytes = {2000: 2000 * 8, 3000: 3000 * 8}
    peak = {r["n"]: r["em"]["peak_mem_over_X"] * x_bytes[r["n"]] for r in (row, large)}
    assert 0 < peak[2000] < 1e6
    assert (peak[3000] - peak[2000]) / 1000 < 16 * 8
    if "R" in row:  # where Rscript with dplyr is installed: the same path
        assert row["R"]["n_iter"] == row["em"]["n_iter"]
        assert row["R"]["pi"] == pytest.approx(row["em"]["pi"], rel=1e-9)
    assert set(row["ratios"]) >= {
        "numpy_over_em",
        "gmm_over_em",
        "em_over_floor",
        "plain_over_em",
        "per_pass_numpy_over_em",
    }
    # the baselines fit the same model: the same iterations and estimate
    for ref in ("plain", "per_pass_numpy"):
        assert row[ref]["n_iter"] == row["em"]["n_iter"]
        assert row[ref]["pi"] == pytest.approx(row["em"]["pi"], rel=1e-10)
    # one evaluation of the summary is microseconds (about 70 measured under
    # load); a pass over its 1e5 samples would take milliseconds
    assert 0 < row["evaluation_us"] < 1000
    printed = capsys.readouterr().out
    assert "2,000" in printed and "3,000" in printed


def test_bench_dask_runs_and_agrees(tmp_path):
    bench = runpy.run_path(str(BENCH.with_name("bench_dask.py")))
    out = tmp_path / "dask.json"
    argv = ["--n", "4e5", "--memory-n", "4e5", "--chunk", "1e5", "--workers", "1"]
    argv += ["--repeat", "1", "--dir", str(tmp_path), "--json", str(out)]
    result = bench["main"](argv)
    assert json.loads(out.read_text()) == result
    memory, disk = result["memory"], result["disk"]
    assert memory["chunks"] == disk["chunks"] == 4
    assert memory["n"] == disk["n"] == 400_000
    # the dask fit from worker memory took the NumPy fit's path (checked by
    # the script to 1e-12), and the file holds the same samples
    assert memory["same_path"]
    assert disk["pi"] == pytest.approx(memory["numpy_pi"], rel=1e-12)
    assert disk["client_tracemalloc_peak_bytes"] < 400_000 * 8  # never the data
    assert len(disk["worker_rss_peak_bytes"]) == 1
    assert set(result["ratios"]) >= {
        "memory_dask_over_numpy_one_core",
        "disk_fit_over_read",
    }


def test_bench_fit_with_pytorch(tmp_path):
    pytest.importorskip("torch")  # optional: run where PyTorch is installed
    bench = runpy.run_path(str(BENCH))
    out = tmp_path / "bench.json"
    argv = ["--sizes", "2e3", "--repeat", "1", "--gmm-max-n", "0", "--torch", "cpu"]
    bench["main"]([*argv, "--json", str(out)])
    (row,) = json.loads(out.read_text())["rows"]
    assert row["torch"]["device"] == "cpu"
    assert row["torch"]["n_iter"] == row["em"]["n_iter"]
    assert row["torch"]["pi"] == pytest.approx(row["em"]["pi"], rel=1e-10)
