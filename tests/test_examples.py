"""The examples run headless and produce what they promise."""

import re
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_plot_em_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "plot_em_path.py"), run_name="__main__")
    out = capsys.readouterr().out
    n_iter = int(re.search(r"for (\d+) EM iterations on 500,000 points", out).group(1))
    assert 16 <= n_iter <= 20
    rows = re.findall(r"^\s+(\d+) (0\.\d{4}) (-\d+\.\d)", out, flags=re.MULTILINE)
    assert [int(r[0]) for r in rows] == list(range(n_iter + 1))
    assert float(rows[0][1]) == 0.5
    assert float(rows[-1][1]) == pytest.approx(0.80, abs=0.005)
    assert float(rows[-1][2]) == pytest.approx(-825_284.2, abs=2_000)
    png = tmp_path / "em_path.png"
    assert "figure saved to em_path.png\n" in out  # no absolute path printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_prevalence(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "plot_prevalence.py"), run_name="__main__")
    out = capsys.readouterr().out
    truth = float(
        re.search(r"true share with the condition in this sample: (\S+)", out)[1]
    )
    pi, se = map(
        float, re.search(r"prevalence: (\S+) \(standard error (\S+)\)", out).groups()
    )
    low, high = map(
        float, re.search(r"profile-likelihood interval: \[(\S+), (\S+)\]", out).groups()
    )
    assert low < pi < high and low <= truth <= high
    assert abs(pi - 0.12) < 3 * se
    probs = [float(p) for p in re.findall(r"P\(condition \| biomarker\) = (\S+)", out)]
    assert len(probs) == 3 and probs == sorted(probs)  # rises with the biomarker
    png = tmp_path / "prevalence.png"
    assert "figure saved to prevalence.png\n" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("name", "figure"),
    [
        ("plot_em_path.py", "em_path.png"),
        ("plot_prevalence.py", "prevalence.png"),
        ("plot_known_components.py", "known_components.png"),
        ("plot_label_shift.py", "label_shift.png"),
        ("plot_shrinkage.py", "shrinkage.png"),
    ],
)
def test_figure_goes_to_the_output_folder(name, figure, tmp_path, monkeypatch):
    # the docs build sets SKMIX_EXAMPLE_OUTPUT so as not to write into examples/
    run_dir, output = tmp_path / "run", tmp_path / "output"
    run_dir.mkdir()
    output.mkdir()
    monkeypatch.chdir(run_dir)
    monkeypatch.setenv("SKMIX_EXAMPLE_OUTPUT", str(output))
    namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert (output / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(run_dir.iterdir()) == []
    if name != "plot_known_components.py":  # its figure is reworked (issue 17)
        _check_titles_and_component_numbers(namespace["fig"], name)
    plt.close("all")


def _texts(fig):
    """Titles, axis labels and legend entries of every axes of a figure."""
    out = {"titles": [], "xlabels": [], "legends": []}
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        out["titles"].append(ax.get_title())
        out["xlabels"].append(ax.get_xlabel())
        legend = ax.get_legend()
        out["legends"] += [t.get_text() for t in legend.get_texts()] if legend else []
    return out


def _check_titles_and_component_numbers(fig, name):
    texts = _texts(fig)
    assert texts["titles"] and all(texts["titles"])  # every panel has a title
    words = " ".join(texts["xlabels"] + texts["legends"])
    # components are numbered 0 and 1 everywhere, as in predict_proba's columns
    assert "Z=1" not in words and "component 2" not in words
    if name == "plot_prevalence.py":
        assert "component 0: condition" in texts["legends"]
        assert "component 1: no condition" in texts["legends"]
