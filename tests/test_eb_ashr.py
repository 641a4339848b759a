"""EmpiricalBayesNormalMeans against R's ashr and mixsqp (skipped without them).

On one data set (theta ~ 0.6 delta_0 + 0.3 N(0, 1) + 0.1 N(0, 9), s ~ U(0.5,
2)) and ashr's default grid for a normal scale mixture (the point mass at 0,
then ``autoselect.mixsd`` with gridmult sqrt(2)):

- the grid is ashr's (its rule is transcribed here as well);
- skmix's fitted weights have a log-likelihood at least ashr's (no penalty);
- at ashr's fitted g, skmix's posterior summaries are ashr's to 1e-10;
- on the same likelihood matrix, skmix's objective is at least mixsqp's.

The log-likelihood and objective are computed here, from the weights alone.
ashr runs where ``Rscript -e 'library(ashr)'`` works (R's library path,
``R_LIBS_USER`` included); mixsqp where R has it.
"""

import functools
import shutil
import subprocess

import numpy as np
import pytest
from scipy.special import logsumexp

from skmix import EmpiricalBayesNormalMeans

RSCRIPT = shutil.which("Rscript")
N = 2000
SQRT2 = float(np.sqrt(2))
COLUMNS = (
    "PosteriorMean",
    "PosteriorSD",
    "lfsr",
    "lfdr",
    "qvalue",
    "svalue",
    "NegativeProb",
    "PositiveProb",
)


@functools.cache
def _r_loads(package):
    """(True, "") when R loads ``package``, else (False, the reason)."""
    if RSCRIPT is None:
        return False, "Rscript not found"
    proc = subprocess.run(
        [RSCRIPT, "-e", f"suppressMessages(library({package}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["?"])[0]
        return False, f"R cannot load {package}: {first[:200]}"
    return True, ""


ASH_CODE = r"""
suppressMessages(library(ashr))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2])
xs <- readBin(args[1], "double", 2 * n)
x <- xs[1:n]; s <- xs[(n + 1):(2 * n)]
a <- ash(x, s, mixcompdist = "normal", prior = "uniform")
r <- a$result
cols <- c("PosteriorMean", "PosteriorSD", "lfsr", "lfdr", "qvalue", "svalue",
          "NegativeProb", "PositiveProb")
writeBin(as.double(c(length(a$fitted_g$pi), a$fitted_g$sd, a$fitted_g$mean,
                     a$fitted_g$pi, unlist(r[cols]))), args[3])
"""

MIXSQP_CODE = r"""
suppressMessages(library(mixsqp))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); m <- as.integer(args[3])
L <- matrix(readBin(args[1], "double", n * m), n, m)
writeBin(as.double(mixsqp(L, control = list(verbose = FALSE))$x), args[4])
"""


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(18)
    comp = rng.choice(3, size=N, p=[0.6, 0.3, 0.1])
    theta = np.where(comp == 0, 0.0, rng.normal(0, np.where(comp == 1, 1, 3)))
    s = rng.uniform(0.5, 2.0, N)
    x = theta + s * rng.standard_normal(N)
    return x, s


def ashr_grid(x, s, mult=SQRT2):
    """autoselect.mixsd (mode 0) with the point mass first, as ashr's R code."""
    sigma_min = s.min() / 10
    sigma_max = 2 * np.sqrt(np.max(x**2 - s**2))
    npoint = int(np.ceil(np.log2(sigma_max / sigma_min) / np.log2(mult)))
    return np.r_[0, mult ** np.arange(-npoint, 1.0) * sigma_max]


def log_lik_matrix(x, s, grid):
    """log N(x_i; 0, s_i^2 + grid_k^2), shape (n, K)."""
    v = s[:, None] ** 2 + grid**2
    return -0.5 * (np.log(2 * np.pi * v) + x[:, None] ** 2 / v)


def loglik(x, s, grid, w):
    w = np.asarray(w, dtype=float)
    with np.errstate(divide="ignore"):
        return float(logsumexp(log_lik_matrix(x, s, grid) + np.log(w), axis=1).sum())


@pytest.fixture(scope="module")
def ash_fit(data, tmp_path_factory):
    has_ashr, why = _r_loads("ashr")
    if not has_ashr:
        pytest.skip(why)
    x, s = data
    tmp = tmp_path_factory.mktemp("ash")
    (tmp / "ash.R").write_text(ASH_CODE)
    np.concatenate([x, s]).astype("<f8").tofile(tmp / "xs.bin")
    subprocess.run(
        [RSCRIPT, str(tmp / "ash.R"), str(tmp / "xs.bin"), str(N), str(tmp / "o")],
        check=True,
        capture_output=True,
    )
    out = np.fromfile(tmp / "o", dtype="<f8")
    K = int(out[0])
    grid, mean, w = out[1 : 1 + K], out[1 + K : 1 + 2 * K], out[1 + 2 * K : 1 + 3 * K]
    table = out[1 + 3 * K :].reshape(len(COLUMNS), N)
    assert np.all(mean == 0)
    return grid, w, dict(zip(COLUMNS, table, strict=True))


def _grid_of(est):
    return np.asarray(est.prior_grid_, dtype=float).ravel()


def test_grid_is_ashr_default(data, ash_fit):
    x, s = data
    grid, _, _ = ash_fit
    np.testing.assert_allclose(ashr_grid(x, s), grid, rtol=1e-13)
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    np.testing.assert_allclose(_grid_of(est), grid, rtol=1e-12)


def test_loglik_at_least_ashr(data, ash_fit):
    x, s = data
    grid, w_ash, _ = ash_fit
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    w = np.asarray(est.prior_weights_, dtype=float)
    assert w.min() >= 0 and abs(w.sum() - 1) < 1e-12
    assert loglik(x, s, grid, w) >= loglik(x, s, grid, w_ash) - 1e-9


def _posterior_at(est, weights, x, s):
    """est's posterior table after replacing its fitted weights by ``weights``."""
    weights = np.asarray(weights, dtype=float)
    est.prior_weights_ = weights
    if hasattr(est.prior_, "_replace"):
        est.prior_ = est.prior_._replace(weights=weights)
    return est.posterior(x, s=s)


@pytest.mark.parametrize("column", COLUMNS)
def test_posterior_at_ashr_g(data, ash_fit, column):
    x, s = data
    grid, w_ash, table = ash_fit
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    np.testing.assert_allclose(_grid_of(est), grid, rtol=1e-12)
    post = _posterior_at(est, w_ash, x, s)
    np.testing.assert_allclose(
        np.asarray(post[column], dtype=float), table[column], rtol=0, atol=1e-10
    )


def test_objective_at_least_mixsqp(data, tmp_path):
    has_mixsqp, why = _r_loads("mixsqp")
    if not has_mixsqp:
        pytest.skip(why)
    x, s = data
    est = EmpiricalBayesNormalMeans().fit(x, s=s)
    grid = _grid_of(est)
    np.testing.assert_allclose(grid, ashr_grid(x, s), rtol=1e-12)
    logL = log_lik_matrix(x, s, grid)
    L = np.exp(logL - logL.max(axis=1, keepdims=True))
    (tmp_path / "f.R").write_text(MIXSQP_CODE)
    np.asfortranarray(L).T.astype("<f8").tofile(tmp_path / "L.bin")
    files = [tmp_path / name for name in ("f.R", "L.bin", "out.bin")]
    subprocess.run(
        [RSCRIPT, str(files[0]), str(files[1]), *map(str, L.shape), str(files[2])],
        check=True,
        capture_output=True,
    )
    w_r = np.fromfile(tmp_path / "out.bin", dtype="<f8")
    w_r = np.maximum(w_r, 0) / np.maximum(w_r, 0).sum()
    w = np.asarray(est.prior_weights_, dtype=float)

    def objective(w):  # mixsqp's, per sample and with the sign of a maximum
        return float(np.mean(np.log(L @ w)))

    assert objective(w) >= objective(w_r) - 1e-8
