"""Temperature scaling and bias-corrected temperature scaling (pure functions).

A classifier's logits ``z`` (one row of K per sample) are mapped to the
calibrated log-posteriors ``log_softmax(a * z + b)``: ``a = 1 / T`` is the
inverse temperature, ``b`` a vector of K class biases (bias-corrected
temperature scaling, BCTS; Alexandari, Kundaje & Shrikumar 2020) or zero
(temperature scaling; Guo et al. 2017). The parameters maximise the
(weighted) likelihood of held-out labels. The negative log-likelihood is
convex in ``(a, b)`` (a multinomial logistic regression with one feature per
class), so a safeguarded Newton method reaches its minimum in a few
iterations; ``a`` is kept in ``[0, MAX_INV_TEMPERATURE]`` (a negative ``a``
would reverse the classifier's ranking, and on separable data the
likelihood rises without bound as ``a`` grows). ``b`` is defined up to a
common shift; it is returned centred (``b.sum() == 0``).

Everything is computed in log space (``logsumexp``), so that logits of
-700 or probabilities of 1e-300 give finite losses and gradients.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

# Floor added to probabilities before taking their log, as in
# sklearn.calibration's temperature scaling: a classifier's probability of 0
# would otherwise give a logit of -inf, a likelihood of 0 for any a > 0,
# and no maximum.
PROBA_EPS = 1e-12
# Upper bound on the inverse temperature (sklearn's temperature scaling
# searches log(a) in [-10, 10], i.e. a <= 2.2e4).
MAX_INV_TEMPERATURE = 1e4
# Armijo constant of the backtracking line search.
_ARMIJO = 1e-4
# Relative rounding error of the loss, a sum of n terms each of a few
# floating-point operations: a few hundred units of eps (2.2e-16).
_LOSS_ROUNDING = 256 * np.finfo(np.float64).eps


class CalibrationFit(NamedTuple):
    """The result of :func:`fit_temperature`."""

    inv_temperature: float
    """``a = 1 / T``, in ``[0, MAX_INV_TEMPERATURE]``."""
    bias: np.ndarray
    """(K,) class biases, summing to 0 (all 0 for temperature scaling)."""
    loss: float
    """Weighted mean negative log-likelihood at the solution."""
    n_iter: int
    """Newton steps taken (the smallest ``max_iter`` that converges)."""
    converged: bool
    """Whether the minimum was reached (see ``tol``)."""


def proba_to_logits(proba, eps=PROBA_EPS):
    """Logits of predicted probabilities: ``log(proba + eps)``.

    Any per-row constant may be added to logits without changing the
    softmax; ``log(proba)`` are logits of ``proba``. ``eps`` keeps
    probabilities of exactly 0 (trees, forests, k-NN) finite.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities, in [0, 1].
    eps : float, default=1e-12
        Added to every probability before the log.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._calibration import proba_to_logits
    >>> proba_to_logits(np.array([[1.0, 0.0]])).round(2)
    array([[  0.  , -27.63]])
    """
    proba = np.asarray(proba, dtype=np.float64)
    return np.log(proba + eps)


def calibrated_log_proba(logits, inv_temperature, bias=None):
    """Calibrated log-posteriors ``log_softmax(inv_temperature * logits + bias)``.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
    inv_temperature : float
        ``a = 1 / T``.
    bias : ndarray of shape (n_classes,), default=None
        Class biases; None for zero.

    Returns
    -------
    log_proba : ndarray of shape (n_samples, n_classes)
        Rows whose exponentials sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._calibration import calibrated_log_proba
    >>> np.exp(calibrated_log_proba(np.log([[0.9, 0.1]]), 0.5)).round(3)
    array([[0.75, 0.25]])
    """
    logits = np.asarray(logits, dtype=np.float64)
    u = inv_temperature * logits
    if bias is not None:
        u = u + np.asarray(bias, dtype=np.float64)
    return u - logsumexp(u, axis=1, keepdims=True)


def calibration_loss(logits, y, inv_temperature, bias=None, sample_weight=None):
    """Weighted mean negative log-likelihood of labels ``y`` under calibration.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
    y : ndarray of shape (n_samples,)
        Class indices in ``0 .. n_classes - 1``.
    inv_temperature : float
    bias : ndarray of shape (n_classes,), default=None
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._calibration import calibration_loss
    >>> round(calibration_loss(np.log([[0.5, 0.5]]), np.array([0]), 1.0), 4)
    0.6931
    """
    log_q = calibrated_log_proba(logits, inv_temperature, bias)
    s = _weights(sample_weight, log_q.shape[0])
    return float(-(s @ log_q[np.arange(log_q.shape[0]), y]) / s.sum())


def fit_temperature(
    logits, y, *, sample_weight=None, bias=True, tol=1e-10, max_iter=100
):
    """Fit (bias-corrected) temperature scaling by maximum likelihood.

    Minimises the weighted mean negative log-likelihood
    ``-sum_i s_i log softmax(a z_i + b)[y_i] / sum_i s_i`` over the inverse
    temperature ``a`` in ``[0, MAX_INV_TEMPERATURE]`` and, with ``bias=True``,
    the class biases ``b`` (BCTS). The objective is convex; the solver is a
    Newton method with a backtracking (Armijo) line search, projected onto
    the bounds of ``a`` (when ``a`` sits on a bound and the gradient pushes
    outward, the step is taken in ``b`` alone). At the solution with biases,
    the weighted mean calibrated posterior of each class equals that class's
    weighted frequency in ``y`` (the stationarity condition in ``b``).

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Held-out (out-of-fold) logits, finite.
    y : array-like of shape (n_samples,)
        Class indices in ``0 .. n_classes - 1``. With ``bias=True`` every
        class must occur (with positive weight), or its bias has no finite
        maximum.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.
    bias : bool, default=True
        Fit class biases (BCTS) or not (temperature scaling).
    tol : float, default=1e-10
        Stop when the largest entry of the projected gradient of the mean
        negative log-likelihood is at most ``tol``, or -- converged too --
        when no step lowers the loss by more than its rounding error while
        the decrease that the Newton model promises is below it (the
        minimum to rounding: with thousands of samples and logits of
        tens, the gradient cannot always be brought to 1e-10).
    max_iter : int, default=100
        Maximum number of Newton steps.

    Returns
    -------
    CalibrationFit
        ``inv_temperature``, ``bias`` (centred), ``loss``, ``n_iter``,
        ``converged``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._calibration import fit_temperature
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> x = 2.0 * np.eye(3)[y] + rng.normal(size=(2000, 3))
    >>> bayes_logits = 2.0 * x  # log p(y | x) up to a constant, for this model
    >>> fit = fit_temperature(3.0 * bayes_logits, y, bias=False)  # over-confident
    >>> fit.converged, round(fit.inv_temperature, 2)
    (True, 0.32)
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    n, n_classes = z.shape
    s = _weights(sample_weight, n)
    s = s / s.sum()
    counts = np.bincount(y, weights=s, minlength=n_classes)  # class frequencies
    if bias and np.any(counts <= 0):
        missing = np.flatnonzero(counts <= 0).tolist()
        raise ValueError(
            "bias-corrected temperature scaling needs every class in y with "
            f"positive weight; classes {missing} have none"
        )
    z_true = z[np.arange(n), y]

    # theta = (a, b_1, ..., b_{K-1}); b_0 = 0 fixes the common shift of b.
    n_bias = n_classes - 1 if bias else 0
    theta = np.zeros(1 + n_bias)
    theta[0] = 1.0

    def unpack(theta):
        b = np.zeros(n_classes)
        b[1:] = theta[1:] if bias else 0.0
        return theta[0], b

    def loss_of(theta):
        a, b = unpack(theta)
        u = a * z + b
        return float(s @ (logsumexp(u, axis=1) - u[np.arange(n), y]))

    def derivatives(theta):
        a, b = unpack(theta)
        u = a * z + b
        lse = logsumexp(u, axis=1)
        u_true = u[np.arange(n), y]
        loss = float(s @ (lse - u_true))
        # the size of the terms summed into the loss: its rounding error is
        # a few units of eps times this
        noise = _LOSS_ROUNDING * float(s @ (np.abs(lse) + np.abs(u_true)))
        q = np.exp(u - lse[:, None])
        zbar = np.sum(q * z, axis=1)
        dz = z - zbar[:, None]  # centred logits: no cancellation in the variance
        grad = np.empty(1 + n_bias)
        grad[0] = s @ (zbar - z_true)
        hess = np.empty((1 + n_bias, 1 + n_bias))
        hess[0, 0] = s @ np.sum(q * dz * dz, axis=1)
        if bias:
            sq = s[:, None] * q
            grad[1:] = sq.sum(axis=0)[1:] - counts[1:]
            hess[0, 1:] = hess[1:, 0] = np.sum(sq * dz, axis=0)[1:]
            hess[1:, 1:] = np.diag(sq.sum(axis=0)[1:]) - (q[:, 1:].T @ sq[:, 1:])
        return loss, noise, grad, hess

    def projected_gradient(theta, grad):
        a = theta[0]
        at_lower = a <= 0.0 and grad[0] > 0.0
        at_upper = a >= MAX_INV_TEMPERATURE and grad[0] < 0.0
        free = np.ones(theta.size, dtype=bool)
        free[0] = not (at_lower or at_upper)
        return np.where(free, grad, 0.0), free

    # Steps are limited by how much they may change any calibrated logit
    # (a trust radius, in logit units, so the same for any scale of z),
    # grown after full steps and shrunk after poor ones; a Levenberg term
    # keeps the Newton system solvable where the softmax saturates.
    z_spread = float(np.max(np.abs(z - z.mean(axis=1, keepdims=True))))
    radius = 4.0
    converged = False
    n_iter = 0  # Newton steps taken
    loss, noise, grad, hess = derivatives(theta)
    projected, free = projected_gradient(theta, grad)
    while True:
        gradient_norm = float(np.max(np.abs(projected)))
        if gradient_norm <= tol:
            converged = True
            break
        if n_iter == max_iter:
            break
        step = np.zeros_like(theta)
        h = hess[np.ix_(free, free)]
        damping = 1e-10 * max(float(np.max(np.diag(h))), 1e-300)
        step[free] = np.linalg.solve(h + damping * np.eye(h.shape[0]), -grad[free])
        if not grad @ step < 0.0:  # not a descent direction (rounding): gradient
            step = -projected
        change = abs(step[0]) * z_spread
        if bias:
            change += float(np.max(np.abs(step[1:]))) * 2.0
        t = min(1.0, radius / change) if change > 0 else 1.0
        full = t == 1.0
        accepted = None
        while True:
            candidate = theta + t * step
            candidate[0] = min(max(candidate[0], 0.0), MAX_INV_TEMPERATURE)
            new_loss = loss_of(candidate)
            if new_loss <= loss + _ARMIJO * (grad @ (candidate - theta)):
                accepted = derivatives(candidate)
                break
            if t == 1.0 and new_loss <= loss + noise:
                # Near the minimum the decrease falls below the loss's
                # rounding error and the Armijo test reads noise: a full
                # Newton step is taken where it lowers the gradient.
                trial = derivatives(candidate)
                if np.max(np.abs(projected_gradient(candidate, trial[2])[0])) < (
                    gradient_norm
                ):
                    accepted = trial
                    break
            t *= 0.5
            full = False
            if t < 1e-20:
                break
        if accepted is None or np.array_equal(candidate, theta):
            # No representable decrease. Converged if the decrease that the
            # quadratic model still promises (half the Newton decrement) is
            # below the rounding error of the loss: the minimum to rounding.
            decrement = -float(grad @ step)
            converged = 0.5 * decrement <= noise
            break
        n_iter += 1
        radius = radius * 2.0 if full or t * change >= radius else radius / 2.0
        theta = candidate
        loss, noise, grad, hess = accepted
        projected, free = projected_gradient(theta, grad)
    a, b = unpack(theta)
    return CalibrationFit(
        inv_temperature=float(a),
        bias=b - b.mean(),
        loss=loss,
        n_iter=n_iter,
        converged=converged,
    )


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)
