"""The README and the docs: self-contained commands, claims that match the
code, benchmark tables in docs/benchmarks.rst (in the toctree)."""

import pickle
import re
from pathlib import Path

import numpy as np
from scipy.stats import norm

from skmix import KnownComponentsMixture, TwoGaussianMixturePi

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_commands():
    return re.findall(r"```bash\n(.*?)\n```", README, flags=re.DOTALL)


def test_each_readme_command_makes_its_own_environment():
    commands = _bash_commands()[:2]
    venvs = []
    for command in commands:
        created = re.search(r"python3 -m venv (\S+)", command)
        assert created, command  # each command creates its environment...
        venv = created.group(1)
        assert f". {venv}/bin/activate" in command  # ...and activates that one
        venvs.append(venv)
    assert len(set(venvs)) == len(venvs) == 2
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert all(f"{v}/" in ignored for v in venvs)


def test_history_is_described_as_what_it_is():
    X = np.random.default_rng(0).normal(size=(50, 1))
    history = KnownComponentsMixture([norm(0, 1), norm(2, 1)]).fit(X).history_
    assert isinstance(history, dict)
    assert "pandas table" not in README
    assert "`history_` (a dict of arrays" in README


def test_user_guide_does_not_claim_per_sample_storage():
    guide = (ROOT / "docs" / "user_guide.rst").read_text()
    assert "float64 per training sample" not in guide
    # what it claims instead: the state does not grow with n
    small = TwoGaussianMixturePi().fit(np.zeros((100, 1)))
    large = TwoGaussianMixturePi().fit(np.zeros((100_000, 1)))
    assert len(pickle.dumps(large)) < 1.1 * len(pickle.dumps(small)) + 1000


def test_readme_is_short_and_links_the_benchmarks():
    sections = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert sections[-1] == "Development"  # not between two estimator sections
    assert len(README.splitlines()) < 600  # four estimator sections (issue 18)
    tables = re.findall(r"(?:^\|.*\n)+", README, flags=re.MULTILINE)
    assert max(len(t.splitlines()) for t in tables) <= 22  # the tutorial's path
    assert README.count("docs/benchmarks.rst") >= 4
    index = (ROOT / "docs" / "index.rst").read_text()
    toctree = index[index.index(".. toctree::") :]
    assert re.search(r"^   benchmarks$", toctree, flags=re.MULTILINE)
    for estimator in (
        "TwoGaussianMixturePi",
        "KnownComponentsMixture",
        "PriorShiftAdapter",
        "EmpiricalBayesNormalMeans",
    ):
        assert f":class:`~skmix.{estimator}`" in index
