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
    assert len(rows) == 6  # three priors x two classifiers
    for row in rows:
        assert row["repeats"] == 20 and len(row["coverage"]) == 3
        assert 0.5 <= min(row["coverage"]) <= max(row["coverage"]) <= 1
        # (a prior of 0 is often estimated as exactly 0)
        assert all(
            (se >= 0 if p == 0 else se > 0) and se < 0.1
            for se, p in zip(row["mean_stderr"], row["priors"], strict=True)
        )


def test_summarise_standard_errors_maxima_and_totals(bench):
    """Checked against a direct computation on made-up repetitions."""
    rng = np.random.default_rng(1)
    reps = [
        {
            "ours": {"mae": rng.random(), "logloss": rng.random(), "n_zero_priors": 2},
            "emq_bcts_conv": {
                "mae": rng.random(),
                "logloss": rng.random(),
                "prior_gap": rng.random(),
            },
        }
        for _ in range(7)
    ]
    s = bench["summarise"](reps)
    ours = np.array([r["ours"]["mae"] for r in reps])
    ref = np.array([r["emq_bcts_conv"]["mae"] for r in reps])
    assert s["ours"]["mae_se"] == pytest.approx(np.std(ours, ddof=1) / np.sqrt(7))
    assert s["emq_bcts_conv"]["mae_se"] == pytest.approx(
        np.std(ref, ddof=1) / np.sqrt(7)
    )
    diff = ours - ref
    assert s["emq_bcts_conv"]["ours_minus_mae"] == pytest.approx(diff.mean())
    assert s["emq_bcts_conv"]["ours_minus_mae_se"] == pytest.approx(
        np.std(diff, ddof=1) / np.sqrt(7)
    )
    gaps = [r["emq_bcts_conv"]["prior_gap"] for r in reps]
    assert s["emq_bcts_conv"]["prior_gap_max"] == max(gaps)
    assert s["ours"]["n_zero_priors_total"] == 14


def test_log_loss_clips_and_leaves_out(bench):
    proba = np.array([[0.9, 0.1], [0.0, 1.0], [0.5, 0.5]])
    y = np.array([0, 0, 1])
    full = -(np.log(0.9) + np.log(1e-15) + np.log(0.5)) / 3
    assert bench["log_loss_of"](y, proba) == pytest.approx(full)
    keep = np.array([True, False, True])
    kept = -(np.log(0.9) + np.log(0.5)) / 2
    assert bench["log_loss_of"](y, proba, keep) == pytest.approx(kept)


def test_quapy_em_run_to_convergence_reaches_the_maximum(bench):
    """QuaPy's EM with epsilon=1e-12 meets the optimality conditions of the
    likelihood (an independent check: the gradient, not another solver), and
    leaves QuaPy's iteration limit as it was."""
    pytest.importorskip("quapy")  # optional: only the benchmark uses it
    from _label_shift_reference import exact_posteriors, make_gaussian_classes
    from quapy.method.aggregative import EMQ

    train = np.full(3, 1 / 3)
    X, _ = make_gaussian_classes(3000, [0.6, 0.4, 0.0], random_state=0)
    post = exact_posteriors(X, train)
    max_iter = EMQ.MAX_ITER
    q, _ = bench["quapy_em"](train, post, converge=True)
    assert max_iter == EMQ.MAX_ITER
    ratio = post / train
    grad = (ratio / (ratio @ q)[:, None]).mean(axis=0)  # d loglik / n d q_k
    # KKT on the simplex: grad_k = 1 where q_k > 0, grad_k <= 1 where q_k = 0
    assert np.all(grad <= 1 + 1e-8)
    assert np.all(np.abs(q * (grad - 1)) < 1e-9)
    q_default, _ = bench["quapy_em"](train, post)
    assert np.max(np.abs(q_default - q)) > 1e-7  # QuaPy's own rule stops early
