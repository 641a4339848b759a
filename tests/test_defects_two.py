"""Solver and TwoGaussianMixturePi defects of issue 17, on the public API.

Expected values are computed in the tests (differences of the recorded
log-likelihoods, closed forms), never read back from the estimator.
"""

import math
import warnings

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

from skmix import KnownComponentsMixture, TwoGaussianMixturePi, make_mixture


def _grid_problem(n=500, seed=0):
    """Log-densities on an empirical-Bayes grid, where SQP prunes weights."""
    x = np.random.default_rng(seed).normal(0, 1, n)
    grid = np.linspace(-6, 6, 25)
    return norm.logpdf(x[:, None], grid[None, :], 1.0)


def test_sqp_history_diffs_add_up_to_the_loglik():
    A = _grid_problem()
    est = KnownComponentsMixture().fit(A)
    h = est.history_
    diffs = np.diff(h["loglik"])
    # each row's gain is the rise of loglik from the row before (the pruned
    # point of the SQP warm-up is a row of its own)
    np.testing.assert_allclose(h["diff_loglik"][1:], diffs, rtol=1e-7, atol=1e-9)
    W = np.column_stack([h[f"weight_{k}"] for k in range(A.shape[1])])
    np.testing.assert_allclose(W.sum(axis=1), 1.0, rtol=1e-12)
    # the weights of each row give its loglik
    from scipy.special import logsumexp

    with np.errstate(divide="ignore"):
        ll = [logsumexp(A + np.log(w), axis=1).sum() for w in W]
    np.testing.assert_allclose(h["loglik"], ll, rtol=1e-10)
    assert est.n_iter_ == len(h["loglik"]) - 1


@pytest.mark.filterwarnings("ignore:components .* have the same:UserWarning")
def test_em_with_tol_zero_stops_at_a_fixed_point():
    # one component explains every sample: EM is at the maximum from the start
    A = np.column_stack([np.zeros(20), np.full((20, 2), -np.inf)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = KnownComponentsMixture(
            solver="em", tol=0.0, max_iter=50, weights_init=[1.0, 0.0, 0.0]
        ).fit(A)
    assert est.converged_ and est.n_iter_ == 1 and est.kkt_gap_ == 0.0
    # two identical columns at equal weights: EM's step is the identity
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = KnownComponentsMixture(solver="em", tol=0.0, max_iter=50).fit(
            np.zeros((5, 2))
        )
    assert est.converged_ and est.n_iter_ == 1


def test_em_convergence_warning_reports_the_rule_s_gain():
    A = np.random.default_rng(0).normal(size=(60, 3))
    s = np.full(60, 1e-3)
    with pytest.warns(ConvergenceWarning) as record:
        est = KnownComponentsMixture(solver="em", max_iter=3).fit(A, sample_weight=s)
    # the rule compares gain / smallest weight with tol
    rule_gain = est.history_["diff_loglik"][-1] / 1e-3
    assert f"{rule_gain:.3g} in units of the smallest sample weight" in str(
        record[0].message
    )


def test_no_eigendecomposition_when_the_information_has_rank_below_the_face(
    monkeypatch,
):
    # n = 10 samples, EM keeps all K = 300 weights positive: the information
    # (rank <= 10) is singular on the face of the support, every stderr inf
    x = np.random.default_rng(0).normal(0, 1, 10)
    A = norm.logpdf(x[:, None], np.linspace(-4, 4, 300)[None, :], 1.0)
    calls = []
    eigh = np.linalg.eigh

    def counting(a, *args, **kwargs):
        calls.append(np.shape(a))
        return eigh(a, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "eigh", counting)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = KnownComponentsMixture(solver="em", max_iter=20).fit(A)
    assert (est.weights_ > 0).sum() - 1 > len(x)
    assert np.isinf(est.weights_stderr_).all()
    assert not [c for c in calls if c[0] > len(x)]


# -- TwoGaussianMixturePi -----------------------------------------------------------


def test_partial_fit_with_a_batch_of_zero_weights():
    X, _ = make_mixture(400, pi=0.3, random_state=0)
    s = np.r_[np.ones(250), np.zeros(150)]
    whole = TwoGaussianMixturePi().fit(X, sample_weight=s)
    assert whole.pi_ == TwoGaussianMixturePi().fit(X[:250]).pi_
    for solver in ("em", "newton"):
        est = TwoGaussianMixturePi(solver=solver)
        est.partial_fit(X[:250])
        est.partial_fit(X[250:], sample_weight=np.zeros(150))
        ref = TwoGaussianMixturePi(solver=solver).fit(X[:250])
        assert est.pi_ == pytest.approx(ref.pi_, abs=1e-13)
        assert est.n_iter_ == ref.n_iter_
    with pytest.raises(ValueError, match="non-zero"):  # nothing seen at all
        TwoGaussianMixturePi().partial_fit(X[:5], sample_weight=np.zeros(5))


@pytest.mark.filterwarnings("ignore:components 0 and 1 have the same:UserWarning")
@pytest.mark.parametrize("offset", [1e-300, 1e-9])
def test_stderr_is_inf_where_the_data_cannot_tell_the_components_apart(offset):
    # the information sum s ((f0 - f1) / p)^2 is about n * offset^2 (the
    # log-odds is x * offset): far below rounding of the weights' own
    X, _ = make_mixture(500, pi=0.3, random_state=0)
    info = np.sum((X[:, 0] * offset) ** 2)  # (f0 - f1) / p ~ log-odds at pi 1/2
    assert info < 1e-13 * len(X)
    two = TwoGaussianMixturePi(means=(0.0, offset)).fit(X)
    known = KnownComponentsMixture([norm(0, 1), norm(offset, 1)], solver="em").fit(X)
    assert two.pi_stderr_ == np.inf
    assert np.all(known.weights_stderr_ == np.inf)


def test_single_sample_warns_and_n_samples_seen():
    with pytest.warns(UserWarning, match="One sample"):
        est = TwoGaussianMixturePi().fit([[0.3]])
    assert est.n_samples_seen_ == 1
    X, _ = make_mixture(300, pi=0.3, random_state=1)
    s = np.r_[np.zeros(10), np.full(290, 2.5)]
    assert TwoGaussianMixturePi().fit(X, sample_weight=s).n_samples_seen_ == 290
    est = TwoGaussianMixturePi().partial_fit(X[:100]).partial_fit(X[100:])
    assert est.n_samples_seen_ == 300


def test_tail_increase_where_the_step_takes_nearly_all_of_a_side():
    # found by test_fuzz: sigma (1, 1e-300), a step of pi from 0.75 to
    # 5.6e-17; sign / A of the tail term rounded below -1 and log1p
    # raised 'math domain error'. The fit's first gain is the rise of the
    # log-likelihood, computed here in closed form.
    X = np.array([[1.0], [0.0]])
    s = np.array([2.0**-52, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = TwoGaussianMixturePi(
            means=[0.0, 0.0], sigma=[1.0, 1e-300], pi_init=0.75, tol=0.0, max_iter=1
        ).fit(X, sample_weight=s)
    pi0, pi1 = est.history_["pi"]
    # sample 0 (x = 1): only component 0 has density there (f1 underflows)
    # sample 1 (x = 0): f1 / f0 = 1e300 * ... is astronomically larger
    gain0 = s[0] * math.log(pi1 / pi0)
    gain1 = s[1] * math.log((1 - pi1) / (1 - pi0))
    assert est.history_["diff_loglik"][1] == pytest.approx(gain0 + gain1, rel=1e-9)
