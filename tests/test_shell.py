"""The shared shell and the solver interface: one alpha rule, solver_options,
status_, and a problem written from the protocol alone.

Expected values come from the plain transcriptions of _known_reference.py
(KKT gap, EM in log space) and from a root search on the two-component
score, not from skmix's solvers.
"""

import re
import warnings

import numpy as np
import pytest
from _known_reference import kkt_gap, loglik, plain_em
from scipy.optimize import brentq
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

from skmix import KnownComponentsMixture, TwoGaussianMixturePi, make_mixture
from skmix._problem import DenseProblem, OneParameterProblem, Problem, SimplexProblem
from skmix._problem_summary import SummaryProblem
from skmix._solve import SQP_OPTIONS, fit_em, fit_sqp


def _log_densities(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-2, 1, n // 2), rng.normal(1, 1, n // 2)])
    locs = np.linspace(-3, 3, 7)
    return np.column_stack([norm(m, 1).logpdf(x) for m in locs])


# -- one alpha rule ------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.6, 0.95])
def test_alpha_above_one_half_is_refused_by_both_estimators(alpha):
    X, _ = make_mixture(500, pi=0.4, random_state=0)
    two = TwoGaussianMixturePi().fit(X)
    known = KnownComponentsMixture("precomputed").fit(_log_densities())
    messages = []
    for est in (two, known):
        with pytest.raises(ValueError, match=re.escape("0 < alpha <= 0.5")) as info:
            est.confidence_interval(alpha)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert f"alpha={alpha!r}" in messages[0]
    # 0.5 itself is allowed: the interval is w -/+ z_0.75 * stderr
    ci = known.confidence_interval(0.5, method="wald")
    half = norm.ppf(0.75) * known.weights_stderr_
    expected = np.clip(known.weights_[:, None] + np.outer(half, [-1, 1]), 0, 1)
    np.testing.assert_allclose(ci, expected, rtol=1e-13)


# -- solver_options ---------------------------------------------------------------


def test_unknown_solver_option_names_it_and_lists_the_allowed_keys():
    est = KnownComponentsMixture("precomputed", solver_options={"ktt_tol": 1e-9})
    with pytest.raises(ValueError) as info:
        est.fit(_log_densities())
    message = str(info.value)
    assert "'ktt_tol'" in message
    for key in SQP_OPTIONS:
        assert key in message


@pytest.mark.parametrize(
    "options",
    [{"kkt_tol": -1.0}, {"em_steps": 1.5}, {"prune": 1.0}, {"armijo_beta": 0}],
)
def test_out_of_range_solver_option_is_refused(options):
    (key,) = options
    est = KnownComponentsMixture("precomputed", solver_options=options)
    with pytest.raises(ValueError, match=re.escape(f"'{key}' parameter")):
        est.fit(_log_densities())


def test_solver_options_take_effect():
    A = _log_densities()
    default = KnownComponentsMixture("precomputed").fit(A)
    loose = KnownComponentsMixture("precomputed", solver_options={"kkt_tol": 1e-2}).fit(
        A
    )
    # the stopping rule is the given KKT gap, checked by the transcription
    assert kkt_gap(A, default.weights_) <= 1e-8
    assert kkt_gap(A, loose.weights_) <= 1e-2
    assert loose.n_iter_ < default.n_iter_
    # em_steps: the number of EM rows before the first SQP step (with no
    # pruning after them, "prune": 0)
    em_only = KnownComponentsMixture(
        "precomputed",
        solver_options={"em_steps": 7, "kkt_tol": 1e-300, "prune": 0},
        max_iter=7,
    )
    with pytest.warns(ConvergenceWarning):
        em_only.fit(A)
    w = np.full(7, 1 / 7)
    for k in range(1, 8):  # EM's rows, as plain EM computes them
        w = plain_em(A, n_iter=1, w=w)
        np.testing.assert_allclose(
            [em_only.history_[f"weight_{j}"][k] for j in range(7)], w, rtol=1e-10
        )


def test_status_says_how_the_solver_stopped():
    A = _log_densities()
    est = KnownComponentsMixture("precomputed").fit(A)
    assert (est.status_, est.converged_) == ("converged", True)
    with pytest.warns(ConvergenceWarning):
        est = KnownComponentsMixture("precomputed", solver="em", max_iter=3).fit(A)
    assert (est.status_, est.converged_) == ("max_iter", False)
    # Newton: converged at the root of the score
    X, _ = make_mixture(3000, pi=0.3, random_state=1)
    two = TwoGaussianMixturePi(solver="newton", tol=1e-10).fit(X)
    assert (two.status_, two.converged_) == ("converged", True)
    f0, f1 = norm(0, 1).pdf(X[:, 0]), norm(2, 1).pdf(X[:, 0])
    root = brentq(lambda p: np.sum((f0 - f1) / (p * f0 + (1 - p) * f1)), 1e-6, 1)
    assert abs(two.pi_ - root) < 1e-10
    with pytest.warns(ConvergenceWarning):
        two = TwoGaussianMixturePi(max_iter=2).fit(X)
    assert two.status_ == "max_iter"


def test_history_is_read_only_for_both_estimators():
    X, _ = make_mixture(500, pi=0.4, random_state=0)
    for est in (
        TwoGaussianMixturePi().fit(X),
        KnownComponentsMixture("precomputed").fit(_log_densities()),
    ):
        for column in est.history_.values():
            with pytest.raises(ValueError, match="read-only"):
                column[0] = 0


# -- a problem written from the protocol alone ----------------------------------


class PlainProblem(SimplexProblem):
    """The K-component problem on the density matrix F, each reduction
    transcribed from the protocol's docstrings (no row scaling, no blocks)."""

    def __init__(self, F):
        self.F = F
        self.K = F.shape[1]
        self.const, self.total, self.min_weight = 0.0, float(F.shape[0]), 1.0

    def start(self, x):
        self.x = np.array(x, dtype=float)
        self.u = self.F @ self.x
        return float(np.sum(np.log(self.u)))

    def gradient(self):
        return self.F.T @ (1 / self.u) / self.total

    def hessian(self, cols):
        Z = self.F[:, cols] / self.u[:, None]
        return Z.T @ Z / self.total

    def propose(self, p):
        self.p = np.array(p, dtype=float)

    def gain(self, a):
        return float(np.sum(np.log1p(a * (self.F @ self.p) / self.u)))

    def accept(self, a):
        self.start(self.x + a * self.p)

    def em_step(self, w_old, w_new):
        gain = float(np.sum(np.log(self.F @ w_new) - np.log(self.u)))
        self.start(w_new)
        return gain

    def try_point(self, x, min_ratio):
        return None

    def information(self, support):
        Z = self.F / self.u[:, None]
        H = Z.T @ Z
        return H[:, support], np.diag(H)


def test_a_new_problem_needs_only_the_protocol():
    A = _log_densities(seed=3)
    problem = PlainProblem(np.exp(A))
    assert isinstance(problem, Problem)
    assert isinstance(DenseProblem(A), Problem)
    X, _ = make_mixture(100, pi=0.4, random_state=0)
    summary = TwoGaussianMixturePi().fit(X)._summary
    assert isinstance(SummaryProblem(summary), OneParameterProblem)
    assert not isinstance(SummaryProblem(summary), Problem)
    w0 = np.full(7, 1 / 7)
    sqp = fit_sqp(problem, w0, max_iter=200)
    assert sqp.converged and sqp.status == "converged"
    assert kkt_gap(A, sqp.weights) <= 1e-8
    assert abs(sqp.loglik - loglik(A, sqp.weights)) < 1e-9 * abs(sqp.loglik)
    em = fit_em(PlainProblem(np.exp(A)), w0, tol=1e-12, max_iter=5)
    w = w0
    for k in range(1, 6):
        w = plain_em(A, n_iter=1, w=w)
        np.testing.assert_allclose(
            [em.history[f"weight_{j}"][k] for j in range(7)], w, rtol=1e-12
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dense = fit_sqp(DenseProblem(A), w0, max_iter=200)
    np.testing.assert_allclose(sqp.weights, dense.weights, atol=1e-7)
