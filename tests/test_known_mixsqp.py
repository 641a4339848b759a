"""KnownComponentsMixture against R's mixsqp (skipped without Rscript/mixsqp).

mixsqp is the reference solver for this problem; on the same matrices
(mixsqp's simulation design) skmix's objective must be as good, and its
weights the same to mixsqp's accuracy. (The tack data, with data weights, is
compared in benchmarks/bench_mixture.py: mixsqp takes seconds on it.)
"""

import shutil
import subprocess

import numpy as np
import pytest
from _known_reference import kkt_gap
from scipy.stats import norm

from skmix import KnownComponentsMixture

RSCRIPT = shutil.which("Rscript")

R_CODE = r"""
suppressMessages(library(mixsqp))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); m <- as.integer(args[3])
L <- matrix(readBin(args[1], "double", n * m), n, m)
x <- mixsqp(L, control = list(verbose = FALSE))$x
writeBin(as.double(x), args[4])
"""


def _has_mixsqp():
    if RSCRIPT is None:
        return False
    out = subprocess.run(
        [RSCRIPT, "-e", "cat(requireNamespace('mixsqp', quietly=TRUE))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip().endswith("TRUE")


pytestmark = pytest.mark.skipif(not _has_mixsqp(), reason="R mixsqp not installed")


def _objective(L, w, s=None):
    s = np.ones(len(L)) if s is None else s
    return -float(s @ np.log(L @ w)) / s.sum()


def test_same_maximum_as_mixsqp(tmp_path):
    rng = np.random.default_rng(0)
    sd = np.array([1.0, 3.0, 6.0])[rng.choice(3, size=2000, p=[0.5, 0.25, 0.25])]
    x = rng.normal(0, sd)
    grid = np.r_[0, np.geomspace(0.1, 2 * np.sqrt(max(x**2 - 1)), 11)]
    logL = norm.logpdf(x[:, None], 0, np.sqrt(1 + grid**2))
    logL -= logL.max(axis=1, keepdims=True)
    L = np.exp(logL)
    (tmp_path / "f.R").write_text(R_CODE)
    np.asfortranarray(L).T.tofile(tmp_path / "L.bin")
    subprocess.run(
        [
            RSCRIPT,
            str(tmp_path / "f.R"),
            str(tmp_path / "L.bin"),
            *map(str, L.shape),
            str(tmp_path / "out.bin"),
        ],
        check=True,
        capture_output=True,
    )
    out = np.fromfile(tmp_path / "out.bin")
    K = L.shape[1]
    x_r = out[:K] / out[:K].sum()
    est = KnownComponentsMixture("precomputed").fit(logL)
    assert _objective(L, est.weights_) <= _objective(L, x_r) + 1e-12
    np.testing.assert_allclose(est.weights_, x_r, atol=1e-5)
    assert kkt_gap(logL, est.weights_) <= 1e-8
