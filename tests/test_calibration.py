"""Temperature scaling and BCTS against scipy.optimize, a plain transcription
of the objective, sklearn's temperature scaling and the optimality conditions."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skmix._calibration import (
    MAX_INV_TEMPERATURE,
    calibrated_log_proba,
    calibration_loss,
    fit_temperature,
    proba_to_logits,
)


def plain_nll(logits, y, a, b, w):
    """The objective transcribed sample by sample: softmax, then -log of the
    label's probability, averaged with the weights (no log-space tricks; only
    for moderate logits)."""
    total = 0.0
    for z_i, y_i, w_i in zip(logits, y, w, strict=True):
        e = np.exp(a * z_i + b)
        total += -w_i * np.log(e[y_i] / e.sum())
    return total / np.sum(w)


def make_logits(n, n_classes, scale, seed, shift=0.0):
    """Logits of a Gaussian-class model, scaled and shifted (miscalibrated)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    x = 1.5 * np.eye(n_classes)[y] + rng.normal(size=(n, n_classes))
    bayes = 1.5 * x  # log p(y | x) + const for equal priors
    shift = np.resize(np.asarray(shift, dtype=float), n_classes)
    return scale * bayes + shift, y


def scipy_fit(logits, y, w, bias):
    """The same objective minimised by L-BFGS-B (a bounded, b_0 = 0)."""
    k = logits.shape[1]

    def f(theta):
        b = np.zeros(k)
        if bias:
            b[1:] = theta[1:]
        log_q = calibrated_log_proba(logits, theta[0], b)
        return -(w @ log_q[np.arange(len(y)), y]) / w.sum()

    theta0 = np.r_[1.0, np.zeros(k - 1 if bias else 0)]
    bounds = [(0.0, MAX_INV_TEMPERATURE)] + [(None, None)] * (k - 1 if bias else 0)
    res = minimize(
        f, theta0, method="L-BFGS-B", bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 10_000},
    )  # fmt: skip
    b = np.zeros(k)
    if bias:
        b[1:] = res.x[1:]
    return res.x[0], b - b.mean(), res.fun


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize(
    ("n_classes", "scale", "shift", "weighted"),
    [(2, 3.0, 0.0, False), (3, 0.4, [0.0, 1.0, -0.5], True), (10, 2.0, 0.3, False)],
)
def test_matches_scipy_and_plain_objective(n_classes, scale, shift, weighted, bias):
    logits, y = make_logits(1500, n_classes, scale, seed=n_classes, shift=shift)
    rng = np.random.default_rng(1)
    w = rng.uniform(0.2, 3.0, len(y)) if weighted else np.ones(len(y))
    fit = fit_temperature(logits, y, sample_weight=w if weighted else None, bias=bias)
    assert fit.converged
    a_ref, b_ref, loss_ref = scipy_fit(logits, y, w, bias)
    assert fit.loss <= loss_ref + 1e-12  # at least as good as scipy's optimum
    assert fit.inv_temperature == pytest.approx(a_ref, rel=1e-5)
    np.testing.assert_allclose(fit.bias, b_ref, atol=1e-5)
    # the reported loss is the objective, transcribed independently
    assert fit.loss == pytest.approx(
        plain_nll(logits, y, fit.inv_temperature, fit.bias, w), rel=1e-12
    )
    assert calibration_loss(
        logits, y, fit.inv_temperature, fit.bias, w if weighted else None
    ) == pytest.approx(fit.loss, rel=1e-14)
    if not bias:
        assert np.all(fit.bias == 0)
    # the true scale is known: a * scale ~ 1 without shift (large n)
    if np.all(np.asarray(shift) == 0):
        assert fit.inv_temperature * scale == pytest.approx(1.0, abs=0.15)


def test_bias_stationarity_mean_posterior_equals_class_frequency():
    """At the BCTS optimum d loss / d b_k = 0: the weighted mean calibrated
    posterior of each class equals the class's weighted frequency."""
    logits, y = make_logits(3000, 4, 2.5, seed=3, shift=[0.0, 2.0, -1.0, 0.5])
    w = np.random.default_rng(2).exponential(size=len(y))
    fit = fit_temperature(logits, y, sample_weight=w)
    q = np.exp(calibrated_log_proba(logits, fit.inv_temperature, fit.bias))
    freq = np.bincount(y, weights=w, minlength=4) / w.sum()
    np.testing.assert_allclose(w @ q / w.sum(), freq, atol=1e-10)
    assert fit.bias.sum() == pytest.approx(0.0, abs=1e-12)


def test_temperature_matches_sklearn():
    """sklearn's temperature scaling (a bounded scalar search on the same
    objective, on log(p + 1e-12)) gives the same inverse temperature."""
    ts = pytest.importorskip("sklearn.calibration")
    if not hasattr(ts, "_TemperatureScaling"):  # sklearn < 1.8
        pytest.skip("sklearn has no temperature scaling")
    logits, y = make_logits(2000, 5, 2.0, seed=5)
    proba = np.exp(calibrated_log_proba(logits, 1.0))
    ours = fit_temperature(proba_to_logits(proba), y, bias=False)
    theirs = ts._TemperatureScaling().fit(proba, y)
    assert ours.inv_temperature == pytest.approx(float(theirs.beta_), rel=1e-6)


def test_extreme_logits_stay_finite():
    """Logits of -700 (probabilities of 1e-304) and zero probabilities."""
    logits, y = make_logits(500, 3, 200.0, seed=7)  # very over-confident
    assert logits.min() < -700
    fit = fit_temperature(logits, y)
    assert fit.converged and np.isfinite(fit.loss)
    _, _, loss_ref = scipy_fit(logits, y, np.ones(len(y)), True)
    assert fit.loss <= loss_ref + 1e-10
    proba = np.zeros((4, 3))
    proba[np.arange(4), [0, 1, 2, 0]] = 1.0
    z = proba_to_logits(proba)
    assert np.all(np.isfinite(z))
    assert np.all(np.isfinite(calibrated_log_proba(z, 0.3, [0.0, 1.0, -1.0])))


def test_separable_data_stops_at_the_bound():
    """Perfectly separated labels: the likelihood rises without bound in a;
    the solver stops once the gradient is below tol (loss ~ 0), finite,
    within the bound."""
    y = np.array([0, 1, 2] * 20)
    logits = np.eye(3)[y] * 5.0
    for bias in (False, True):
        fit = fit_temperature(logits, y, bias=bias)
        assert fit.converged and 0 <= fit.loss < 1e-9
        assert 1.0 < fit.inv_temperature <= MAX_INV_TEMPERATURE
        assert np.all(np.isfinite(fit.bias))
        assert fit.loss == pytest.approx(
            plain_nll(logits, y, fit.inv_temperature, fit.bias, np.ones(60)),
            rel=1e-6,
        )


def test_uninformative_classifier_keeps_priors():
    """Constant logits: a does not matter, and BCTS's bias reproduces the class
    frequencies (the MLE of a constant softmax)."""
    y = np.array([0] * 30 + [1] * 60 + [2] * 10)
    logits = np.tile([0.2, -0.1, 0.5], (100, 1))
    fit = fit_temperature(logits, y)
    assert fit.converged
    q = np.exp(calibrated_log_proba(logits, fit.inv_temperature, fit.bias))
    np.testing.assert_allclose(q[0], [0.3, 0.6, 0.1], atol=1e-10)


def test_bias_needs_every_class():
    logits, y = make_logits(100, 3, 1.0, seed=0)
    y = np.where(y == 2, 0, y)
    with pytest.raises(ValueError, match=r"classes \[2\] have none"):
        fit_temperature(logits, y)


def test_inputs_not_modified():
    logits, y = make_logits(200, 3, 2.0, seed=0)
    w = np.ones(len(y))
    copies = logits.copy(), y.copy(), w.copy()
    fit_temperature(logits, y, sample_weight=w)
    for before, after in zip(copies, (logits, y, w), strict=True):
        np.testing.assert_array_equal(before, after)


def _saturated_case(seed):
    """200 samples, 10 classes, found by a random search: the Armijo test reads
    rounding noise before the gradient reaches 1e-10 (it used to stop there
    with converged=False, at the optimum to 1e-8)."""
    rng = np.random.default_rng(seed)
    rng.choice([200, 2000, 20000]), rng.choice([2, 3, 5, 10])  # as the search drew
    y = rng.integers(0, 10, 200)
    x = rng.uniform(0.5, 3) * np.eye(10)[y] + rng.normal(size=(200, 10))
    return rng.choice([0.1, 1, 5, 30, 200]) * x + rng.normal(0, 3, 10), y


@pytest.mark.parametrize(("seed", "bias"), [(42, True), (14, False)])
def test_converges_where_the_loss_is_flat_to_rounding(seed, bias):
    logits, y = _saturated_case(seed)
    fit = fit_temperature(logits, y, bias=bias)
    assert fit.converged
    a_ref, b_ref, loss_ref = scipy_fit(logits, y, np.ones(len(y)), bias)
    assert fit.loss <= loss_ref + 1e-12
    assert fit.inv_temperature == pytest.approx(a_ref, rel=1e-5)
    np.testing.assert_allclose(fit.bias, b_ref, atol=1e-4)


@pytest.mark.parametrize("bias", [True, False])
def test_n_iter_is_the_smallest_max_iter_that_converges(bias):
    logits, y = make_logits(800, 3, 3.0, seed=11, shift=[0.0, 1.0, -1.0])
    fit = fit_temperature(logits, y, bias=bias)
    assert fit.converged and fit.n_iter >= 2
    again = fit_temperature(logits, y, bias=bias, max_iter=fit.n_iter)
    assert again.converged and again.n_iter == fit.n_iter
    assert again.inv_temperature == fit.inv_temperature
    short = fit_temperature(logits, y, bias=bias, max_iter=fit.n_iter - 1)
    assert not short.converged and short.n_iter == fit.n_iter - 1


@pytest.mark.parametrize(("seed", "bias"), [(103, True), (183, True), (9, False)])
def test_constant_logits_converge(seed, bias):
    """A classifier that ignores x (DummyClassifier): every row has the same
    logits ``log p``. With biases the optimum is any (a, b) whose posterior is
    the class frequencies (the loss is then their entropy); without, a 1-D
    problem in ``a``, solved here by scipy's bounded scalar search."""
    from scipy.optimize import minimize_scalar
    from scipy.special import xlogy

    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(2, 6)), int(rng.integers(10, 5000))
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    p = np.bincount(y, minlength=k) / n if seed % 2 == 0 else rng.dirichlet(np.ones(k))
    logits = np.tile(proba_to_logits(p[None]), (n, 1))
    fit = fit_temperature(logits, y, bias=bias)
    assert fit.converged
    freq = np.bincount(y, minlength=k) / n
    if bias:
        assert fit.loss == pytest.approx(-xlogy(freq, freq).sum(), rel=1e-10)
        q = np.exp(calibrated_log_proba(logits[:1], fit.inv_temperature, fit.bias))
        np.testing.assert_allclose(q[0], freq, atol=1e-7)
    else:
        z = logits[0]

        def loss(a):
            return float(-(freq @ (a * z)) + np.log(np.exp(a * z).sum()))

        ref = minimize_scalar(loss, bounds=(0, 50), method="bounded",
                              options={"xatol": 1e-12})  # fmt: skip
        assert fit.loss <= ref.fun + 1e-12
        assert fit.inv_temperature == pytest.approx(ref.x, rel=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_no_step_at_the_optimum(bias):
    """Logits +-log 3 whose labels occur with frequencies 3/4 and 1/4: the
    posteriors softmax(z) are already calibrated, so the start (a = 1, b = 0)
    is the optimum (both gradients vanish) and no Newton step is taken."""
    t = np.log(3.0)
    logits = np.array([[0.0, t]] * 4 + [[0.0, -t]] * 4)
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    fit = fit_temperature(logits, y, bias=bias)
    assert fit.converged and fit.n_iter == 0
    assert fit.inv_temperature == 1.0 and np.all(fit.bias == 0.0)
