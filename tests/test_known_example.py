"""The KnownComponentsMixture example runs headless and does what it says."""

import re
import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_plot_known_components(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "plot_known_components.py"), run_name="__main__")
    out = capsys.readouterr().out
    K, n_iter, gap = re.search(
        r"(\d+) components, (\d+) iterations, KKT gap (\S+)", out
    ).groups()
    assert int(K) == 20 and float(gap) <= 1e-8 and int(n_iter) < 100
    point_mass = float(re.search(r"point mass at 0: (\S+)", out)[1])
    assert abs(point_mass - 0.5) < 0.05  # the truth is 0.5
    rows = re.findall(r"weight (\S+) \[(\S+), (\S+)\]", out)
    weights = [float(r[0]) for r in rows]
    assert abs(sum(weights) - 1) < 1e-3  # all positive weights printed
    assert all(float(lo) <= float(w) <= float(hi) for w, lo, hi in rows)
    # the profile intervals of the weights at 0 stay well inside [0, 1]
    profile, wald = map(
        float, re.search(r"at 0: profile (\S+), Wald (\S+)", out).groups()
    )
    assert profile < 0.6 < 0.9 < wald
    em_ll, sqp_ll = map(
        float, re.search(r"log-likelihood (\S+) \(SQP (\S+)\)", out).groups()
    )
    assert em_ll <= sqp_ll + 1e-6
    png = tmp_path / "known_components.png"
    assert "figure saved to known_components.png\n" in out  # no absolute path printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
