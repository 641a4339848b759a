"""The optional compiled kernel (numba) gives the NumPy kernels' sums."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skmix import TwoGaussianMixturePi, _kernels, make_mixture
from skmix._kernels import MIN_SAMPLES, compiled_side_sums, numpy_kernels_only
from skmix._solvers import MixtureTerms, em_pass

numba = pytest.importorskip("numba")  # an optional dependency (extra "fast")


@pytest.fixture(autouse=True)
def kernel_on(monkeypatch):
    """These tests compare the two kernels, whatever SKMIX_NUMBA says."""
    monkeypatch.delenv("SKMIX_NUMBA", raising=False)


def _terms(n_pos, n_neg, seed=0):
    rng = np.random.default_rng(seed)
    # ratios in [0, 1], many tiny and some exactly 0 or 1
    u = rng.uniform(size=n_pos + n_neg) ** rng.choice([1, 8, 40], n_pos + n_neg)
    u[::1001] = 0.0
    u[5::997] = 1.0
    n = len(u)
    return MixtureTerms(
        u=u,
        n_pos=n_pos,
        const=0.0,
        weight=None,
        total=float(n),
        work=np.empty((3, min(n, 32768))),
    )


@pytest.mark.parametrize(
    ("n_pos", "n_neg"),
    [(MIN_SAMPLES, MIN_SAMPLES + 13), (300_007, 40_000), (5, 70_000)],
)
@pytest.mark.parametrize("pi", [1e-200, 1e-6, 0.3, 0.8, 1 - 1e-6])
@pytest.mark.parametrize("derivatives", [False, True])
def test_compiled_pass_equals_the_numpy_pass(n_pos, n_neg, pi, derivatives):
    terms = _terms(n_pos, n_neg)
    assert compiled_side_sums() is not None
    fast = em_pass(terms, pi, derivatives)
    with numpy_kernels_only():
        assert compiled_side_sums() is None
        reference = em_pass(terms, pi, derivatives)
    assert fast.log_d == pytest.approx(reference.log_d, rel=1e-12)
    assert fast.resp == pytest.approx(reference.resp, rel=1e-12)
    # the gradient is a difference of sums: compare it on their scale
    assert fast.grad == pytest.approx(reference.grad, rel=1e-12, abs=1e-12 * fast.curv)
    assert fast.curv == pytest.approx(reference.curv, rel=1e-12)


@pytest.mark.parametrize("solver", ["em", "newton"])
def test_fits_agree_across_kernels(solver):
    X, _ = make_mixture(120_000, sigma=(1.0, 1.5), pi=0.75, random_state=3)
    est = TwoGaussianMixturePi(sigma=(1.0, 1.5), solver=solver)
    fast = est.fit(X).history_
    with numpy_kernels_only():
        reference = TwoGaussianMixturePi(sigma=(1.0, 1.5), solver=solver).fit(X)
    rows = min(len(fast["pi"]), len(reference.history_["pi"]))
    np.testing.assert_allclose(
        fast["pi"][:rows], reference.history_["pi"][:rows], rtol=1e-12
    )
    np.testing.assert_allclose(
        fast["loglik"][:rows], reference.history_["loglik"][:rows], rtol=1e-13
    )
    assert est.pi_ == pytest.approx(reference.pi_, abs=1e-9)


def test_environment_variable_turns_it_off(monkeypatch):
    monkeypatch.setenv("SKMIX_NUMBA", "0")
    assert compiled_side_sums() is None
    monkeypatch.setenv("SKMIX_NUMBA", "1")
    assert compiled_side_sums() is not None


def test_without_numba_the_numpy_kernels_run(monkeypatch):
    monkeypatch.setitem(_kernels._state, "loaded", False)
    monkeypatch.setitem(_kernels._state, "kernel", None)
    monkeypatch.setitem(sys.modules, "numba", None)  # import fails
    assert compiled_side_sums() is None
    X, _ = make_mixture(60_000, random_state=0)
    est = TwoGaussianMixturePi().fit(X)
    assert 0.75 < est.pi_ < 0.85


@given(
    seed=st.integers(0, 2**32 - 1),
    power=st.floats(0.1, 60.0),
    share_pos=st.floats(0.0, 1.0),
    pi=st.one_of(st.floats(1e-300, 1 - 1e-12), st.sampled_from([1e-12, 0.5])),
    derivatives=st.booleans(),
)
@settings(max_examples=60)
def test_compiled_pass_matches_on_random_ratios(
    seed, power, share_pos, pi, derivatives
):
    rng = np.random.default_rng(seed)
    n = MIN_SAMPLES * 2 + int(rng.integers(0, 1000))
    u = rng.uniform(size=n) ** power
    n_pos = int(share_pos * n)
    terms = MixtureTerms(
        u=u,
        n_pos=n_pos,
        const=0.0,
        weight=None,
        total=float(n),
        work=np.empty((3, 32768)),
    )
    fast = em_pass(terms, pi, derivatives)
    with numpy_kernels_only():
        reference = em_pass(terms, pi, derivatives)
    assert fast.log_d == pytest.approx(reference.log_d, rel=1e-11, abs=1e-9)
    assert fast.resp == pytest.approx(reference.resp, rel=1e-11, abs=1e-300)
    assert fast.grad == pytest.approx(reference.grad, rel=1e-11, abs=1e-11 * fast.curv)
    assert fast.curv == pytest.approx(reference.curv, rel=1e-11)
