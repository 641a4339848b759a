"""examples/plot_label_shift.py runs headless and shows what it promises."""

import re
import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plot_label_shift.py"


def test_plot_label_shift(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    rows = re.findall(
        r"^\s+(\d)\s+(\S+)\s+(\S+)\s+\((\S+)\)\s+\[(\S+), (\S+)\]$", out, re.MULTILINE
    )
    assert [int(r[0]) for r in rows] == list(range(10))
    truth, est, se, low, high = np.array([r[1:] for r in rows], dtype=float).T
    assert abs(truth.sum() - 1) < 0.01
    assert abs(est.sum() - 1) < 0.01
    assert np.all((low <= est) & (est <= high))
    # the dominant digits are found, within a few standard errors
    assert np.all(np.abs(est - truth) < 4 * se + 0.002)
    before = float(re.search(r"accuracy before adaptation: (\S+)", out)[1])
    after = float(re.search(r"accuracy after adaptation: (\S+)", out)[1])
    assert after >= before
    png = tmp_path / "label_shift.png"
    assert "figure saved to label_shift.png\n" in out  # no absolute path printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
