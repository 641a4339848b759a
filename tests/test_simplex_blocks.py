"""The per-block formulas of skmix._simplex_blocks, and the problems mapping them.

The formulas are checked against plain transcriptions in log space (the
reference of tests/_known_reference.py, the information from the
responsibilities ``f_ik / p_i``), in NumPy and in array-api-strict; then
DenseProblem (NumPy blocks, u kept) and the chunked problems (one Array API
array, dask chunks) are checked to give the same reductions.
"""

import numpy as np
import pytest
from _known_reference import kkt_g, loglik
from scipy.special import logsumexp

from skmix import _simplex_blocks as blocks
from skmix._known_backends import array_api_problem
from skmix._problem import DenseProblem


def _data(n=300, K=6, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(scale=4.0, size=(n, K)) - 50.0
    A[rng.uniform(size=(n, K)) < 0.15] = -np.inf
    A[:, 0] = rng.normal(-50.0, 1.0, n)  # a finite entry in every row
    s = rng.uniform(0.2, 3.0, n)
    w = rng.dirichlet(np.ones(K))
    return A, s, w


def _reference_information(A, w, s):
    """``sum_i s_i r_i r_i^T`` with ``r_ik = f_ik / p_i``, from log space."""
    log_p = logsumexp(A + np.log(w), axis=1)
    R = np.exp(A - log_p[:, None])
    return (R * s[:, None]).T @ R


def _namespaces():
    yield "numpy", np
    try:
        import array_api_strict
    except ImportError:  # optional
        return
    yield "array_api_strict", array_api_strict


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", [n for n, _ in _namespaces()])
def test_formulas_against_log_space_transcriptions(weighted, name):
    xp = dict(_namespaces())[name]
    A, s, w = _data()
    m = A.max(axis=1)
    L = np.exp(A - m[:, None])
    s_ref = s if weighted else np.ones(len(A))
    # unit weights: None in NumPy (DenseProblem), ones in a namespace
    s_arg = s if weighted else (None if xp is np else np.ones(len(A)))
    sqrt_arg = None if s_arg is None else np.sqrt(s_arg)

    def arr(a):
        return None if a is None else xp.asarray(a)

    def host(a):
        return np.asarray(a, dtype=float)

    Lx, sx, sqx = arr(L), arr(s_arg), arr(sqrt_arg)
    ux = Lx @ arr(w)
    # log-likelihood: the row maxima's part added back
    total = float(host(blocks.loglik(xp, sx, ux))) + s_ref @ m
    assert total == pytest.approx(loglik(A, w, s_ref), rel=1e-13)
    # gradient, normalised: the KKT g of the reference
    g = host(blocks.gradient(Lx, sx, ux)) / s_ref.sum()
    np.testing.assert_allclose(g, kkt_g(A, w, s_ref), rtol=1e-12)
    # gain: the change of the log-likelihood along a step
    dw = np.random.default_rng(1).dirichlet(np.ones(len(w))) - w
    v = Lx @ arr(dw)
    for a in (1.0, 0.3, 1e-6):
        gain = float(host(blocks.gain(xp, sx, ux, v, a)))
        expected = loglik(A, w + a * dw, s_ref) - loglik(A, w, s_ref)
        assert gain == pytest.approx(expected, rel=1e-7, abs=1e-9)
    # a tiny step, where a difference of totals (or log(1 + x)) loses every
    # digit: the Taylor series in log space, d_i = sum_k dw_k f_ik / p_i
    log_p = logsumexp(A + np.log(w), axis=1)
    d = 1e-9 * (np.exp(A - log_p[:, None]) @ dw)
    gain = float(host(blocks.gain(xp, sx, ux, v, 1e-9)))
    assert gain == pytest.approx(s_ref @ (d - d * d / 2), rel=1e-12, abs=1e-25)
    # curvature and information: the scaling of the rows cancels
    H = _reference_information(A, w, s_ref)
    cols = np.array([0, 2, 3, 5])
    H_W = host(blocks.hessian(xp, Lx, sqx, ux, xp.asarray(cols)))
    np.testing.assert_allclose(H_W, H[np.ix_(cols, cols)], rtol=1e-12)
    np.testing.assert_array_equal(H_W, H_W.T)
    support = np.array([1, 4])
    H_cols, diag = blocks.information(xp, Lx, sqx, ux, xp.asarray(support))
    np.testing.assert_allclose(host(H_cols), H[:, support], rtol=1e-12)
    np.testing.assert_allclose(host(diag), np.diag(H), rtol=1e-12)


def _problems(A, s):
    yield "dense", DenseProblem(A, s)
    xp = pytest.importorskip("array_api_strict")
    X = xp.asarray(A)
    sw = None if s is None else xp.asarray(s)
    with np.errstate(divide="ignore"):
        yield "array_api", array_api_problem(X, sw, xp, X.device)
    da = pytest.importorskip("dask.array")
    from skmix._known_backends import dask_problem

    ds = None if s is None else da.from_array(s, chunks=70)
    yield "dask", dask_problem(da.from_array(A, chunks=(70, A.shape[1])), ds)


def _reductions(problem, w, w2, p, cols, support):
    """Every reduction a solver uses, in a fixed order, as NumPy arrays."""
    out = [problem.start(w), problem.gradient(), problem.hessian(cols)]
    problem.propose(p)
    out += [problem.gain(0.5), problem.gain(1e-3)]
    problem.accept(1e-3)
    out += [problem.gradient(), problem.hessian(cols)]
    out += [problem.start(w), problem.em_step(w, w2), problem.gradient()]
    out += list(problem.information(support))
    return [np.asarray(o, dtype=float) for o in out]


@pytest.mark.parametrize("weighted", [False, True])
def test_dense_and_chunked_problems_map_the_same_formulas(weighted):
    A, s, w = _data(350)
    s = s if weighted else None
    if weighted:
        s[::9] = 0.0  # rows left out (dense) or made harmless (chunked)
    rng = np.random.default_rng(3)
    w2 = rng.dirichlet(np.ones(len(w)))
    p = 0.5 * (rng.dirichlet(np.ones(len(w))) - w)
    cols, support = np.array([0, 1, 4]), np.array([0, 2, 5])
    results = {
        name: (problem, _reductions(problem, w, w2, p, cols, support))
        for name, problem in _problems(A, s)
    }
    dense, ref = results.pop("dense")
    for problem, got in results.values():
        n_out = 0 if s is None else int(np.sum(s == 0))  # left out by dense
        assert (problem.n, problem.K) == (dense.n + n_out, dense.K)
        assert problem.total == pytest.approx(dense.total, rel=1e-14)
        assert problem.const == pytest.approx(dense.const, rel=1e-14)
        assert problem.min_weight == dense.min_weight
        for a, b in zip(got, ref, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    # and against the log-space transcriptions, independently of both
    s_ref = np.ones(len(A)) if s is None else s
    assert dense.const + ref[0] == pytest.approx(loglik(A, w, s_ref), rel=1e-13)
    np.testing.assert_allclose(ref[1], kkt_g(A, w, s_ref), rtol=1e-12)
    H = _reference_information(A, w2, s_ref)
    np.testing.assert_allclose(ref[-2], H[:, support], rtol=1e-11)
    np.testing.assert_allclose(ref[-1], np.diag(H), rtol=1e-11)
