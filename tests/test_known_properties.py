"""Hypothesis: EM never lowers the log-likelihood; permuting the components
permutes the weights; weights are on the simplex; the KKT certificate holds."""

import numpy as np
import pytest
from _known_reference import kkt_gap
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmix import KnownComponentsMixture

finite = st.floats(-50, 5, allow_nan=False, allow_infinity=False)


@st.composite
def log_density_matrices(draw, max_n=40, max_k=6):
    n = draw(st.integers(1, max_n))
    K = draw(st.integers(2, max_k))
    A = draw(arrays(np.float64, (n, K), elements=finite))
    # some -inf entries, but never a whole row
    mask = draw(arrays(np.bool_, (n, K)))
    mask[np.arange(n), draw(arrays(np.int64, n, elements=st.integers(0, K - 1)))] = (
        False
    )
    A[mask] = -np.inf
    shift = draw(arrays(np.float64, (n, 1), elements=st.floats(-1e4, 1e4)))
    return A + shift


weights_strategy = st.one_of(
    st.none(), arrays(np.float64, 40, elements=st.floats(0, 10))
)


@given(log_density_matrices(), weights_strategy)
def test_em_loglik_never_decreases(A, s):
    s = None if s is None else s[: len(A)] + 0.1
    est = KnownComponentsMixture("precomputed", solver="em", tol=1e-8, max_iter=200)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(A, sample_weight=s)
    diff = est.history_["diff_loglik"][1:]
    # rounding of a gain computed sample by sample: far below any real step
    assert np.all(diff >= -1e-12 * (1 + np.abs(est.history_["loglik"][1:])))
    w = est.weights_
    assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-12


@pytest.mark.filterwarnings("ignore:components .* have the same:UserWarning")
@given(log_density_matrices(), st.randoms(use_true_random=False))
def test_sqp_certified_and_permutation_equivariant(A, random):
    K = A.shape[1]
    perm = list(range(K))
    random.shuffle(perm)
    est = KnownComponentsMixture("precomputed").fit(A)
    w = est.weights_
    assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-12
    assert kkt_gap(A, w) <= 1e-8
    assert est.converged_
    permuted = KnownComponentsMixture("precomputed").fit(A[:, perm])
    assert kkt_gap(A[:, perm], permuted.weights_) <= 1e-8
    # the maximum is unique when the information is regular; compare the
    # log-likelihoods always, the weights where the maximum is well defined
    np.testing.assert_allclose(permuted.loglik_, est.loglik_, rtol=1e-10, atol=1e-9)
    if np.all(np.isfinite(est.weights_stderr_)) and np.all(est.weights_stderr_ < 1):
        np.testing.assert_allclose(permuted.weights_, w[perm], atol=1e-6)
    # from any positive start, and by EM run long, the same maximum
    start = np.array([random.uniform(0.01, 1) for _ in range(K)])
    other = KnownComponentsMixture(weights_init=start / start.sum()).fit(A)
    assert kkt_gap(A, other.weights_) <= 1e-8
    np.testing.assert_allclose(other.loglik_, est.loglik_, rtol=1e-10, atol=1e-9)
