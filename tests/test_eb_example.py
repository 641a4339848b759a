"""examples/plot_shrinkage.py runs headless and what it prints holds."""

import re
import runpy
from pathlib import Path

import pytest
from scipy.stats import norm

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plot_shrinkage.py"


def _number(pattern, out):
    return float(re.search(pattern, out).group(1))


def test_plot_shrinkage(tmp_path, monkeypatch, capsys):
    run_dir, output = tmp_path / "run", tmp_path / "output"
    run_dir.mkdir()
    output.mkdir()
    monkeypatch.chdir(run_dir)
    monkeypatch.setenv("SKMIX_EXAMPLE_OUTPUT", str(output))
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert _number(r"KKT gap (\S+)\n", out) <= 1e-8
    # the prior's mass within 1 of 0, against the true prior's
    true_near_0 = 0.6 + 0.3 * (2 * norm.cdf(1) - 1) + 0.1 * (2 * norm.cdf(1 / 3) - 1)
    near_0 = _number(r"prior probability of \|theta\| < 1: (\S+) ", out)
    assert near_0 == pytest.approx(true_near_0, abs=0.05)
    assert f"(true {true_near_0:.3f})" in out
    mse_x = _number(r"mean squared error: x (\S+),", out)
    mse_pm = _number(r"posterior mean (\S+)\n", out)
    assert mse_pm < 0.5 * mse_x  # x's MSE is E s^2 = 1.75; shrinkage does better
    found, wrong = map(
        int, re.search(r"lfsr < 0.05: (\d+), with a wrong sign: (\d+)", out).groups()
    )
    assert found > 100 and wrong <= 0.05 * found
    cover = _number(r"95% credible intervals that cover theta: (\S+)\n", out)
    assert 0.93 <= cover <= 0.97
    assert len(re.findall(r"95% interval \[(\S+), (\S+)\], lfsr", out)) == 3
    assert "figure saved to shrinkage.png\n" in out
    assert (output / "shrinkage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(run_dir.iterdir()) == []
