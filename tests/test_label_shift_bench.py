"""The label-shift benchmark runs (tiny size), and its references are right."""

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_label_shift.py"


@pytest.fixture(scope="module")
def bench():
    return runpy.run_path(str(BENCH))


def test_acc_bbse_inverts_a_known_confusion_matrix(bench):
    rng = np.random.default_rng(0)
    confusion = rng.dirichlet(np.full(4, 0.5), size=4).T + 2 * np.eye(4)
    confusion /= confusion.sum(axis=0)  # columns: P(predicted | true)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(bench["acc_bbse"](confusion, confusion @ p), p)
    cc = np.array([0.5, 0.3, 0.2, 0.0])
    np.testing.assert_allclose(bench["acc_bbse"](np.eye(4), cc), cc)
    # a solution outside the simplex is clipped and renormalised
    out = bench["acc_bbse"](np.array([[0.9, 0.2], [0.1, 0.8]]), np.array([0.95, 0.05]))
    np.testing.assert_allclose(out, [1.0, 0.0])


def test_unadapted_predictions_stay_unadapted(bench):
    """The "unadapted" baseline keeps the source priors across repetitions."""
    prep = bench["prepare"]("breast_cancer", "lr", 0)
    rng = np.random.default_rng(0)
    outs = [bench["one_repetition"](prep, *bench["draw_target"](prep, 200, 0.1, rng))]
    outs.append(
        bench["one_repetition"](prep, *bench["draw_target"](prep, 200, 0.1, rng))
    )
    assert not hasattr(prep["unadapted"], "priors_")
    assert hasattr(prep["ours"], "priors_")
    for out in outs:
        assert out["unadapted"]["acc"] > 0.85


def test_benchmark_runs(bench, tmp_path, capsys):
    out = tmp_path / "ls.json"
    argv = ["--repeats", "3", "--datasets", "breast_cancer", "--models", "lr"]
    result = bench["main"](
        [*argv, "--sizes", "300", "--alphas", "1", "--json", str(out)]
    )
    assert json.loads(out.read_text())["repeats"] == 3
    (row,) = result["rows"]
    s = row["summary"]
    assert {"ours", "ours_nocal", "cc", "acc", "unadapted"} <= set(s)
    assert 0 <= s["ours"]["mae"] < 0.1
    assert 0 <= s["ours"]["covered"] <= 1
    assert s["unadapted"]["acc"] > 0.85
    # paired differences are differences of the per-method means
    assert s["cc"]["ours_minus_mae"] == pytest.approx(
        s["ours"]["mae"] - s["cc"]["mae"], abs=1e-12
    )
    if result["quapy"] is not None:  # where QuaPy is installed
        assert abs(s["emq_bcts"]["ours_minus_mae"]) < 0.01
    assert "breast_cancer" in capsys.readouterr().out


def test_coverage_simulation_runs(bench):
    rows = bench["coverage_simulation"](20, sizes=(300,))
    assert len(rows) == 4  # two priors x two classifiers
    for row in rows:
        assert row["repeats"] == 20 and len(row["coverage"]) == 3
        assert 0.5 <= min(row["coverage"]) <= max(row["coverage"]) <= 1
        assert all(0 < se < 0.1 for se in row["mean_stderr"])
