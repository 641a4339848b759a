"""Independent references for the label-shift tests (no skmix code).

- :func:`saerens_em`: the EM of Saerens, Latinne & Decaestecker (2002),
  transcribed from the paper's equations (E-step: re-weight the posteriors by
  the ratio of the current to the training priors and normalise; M-step: the
  new priors are the mean re-weighted posteriors), with the stopping rule of
  skmix's EM (stop after the first M-step that raises the total
  log-likelihood by less than ``tol``).
- :func:`make_gaussian_classes` and :class:`ExactPosteriorClassifier`:
  classes with known class-conditional densities N(mean_k, I) and the exact
  posterior under the priors of the training labels.
"""

import numpy as np
from scipy.stats import multivariate_normal
from sklearn.base import BaseEstimator, ClassifierMixin

MEANS = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])


def saerens_em(posteriors, train_priors, tol=1e-5, max_iter=1000):
    """Returns (priors, n_iter, loglik path) of the plain Saerens EM.

    The log-likelihood of priors p (up to a constant) is
    ``sum_i log sum_k p_k / p_train_k * posterior_ik``: the target density of
    x_i is ``sum_k p_k f_k(x_i)`` and ``f_k(x) = p_train(k | x) p_train(x) /
    p_train_k``.
    """
    posteriors = np.asarray(posteriors, dtype=float)
    train_priors = np.asarray(train_priors, dtype=float)
    p = train_priors.copy()

    def loglik(p):
        return float(np.sum(np.log((posteriors * (p / train_priors)).sum(axis=1))))

    path = [loglik(p)]
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        # E-step (eq. 2.9): adjusted posteriors
        unnormalised = posteriors * (p / train_priors)
        adjusted = unnormalised / unnormalised.sum(axis=1, keepdims=True)
        # M-step (eq. 2.10): new priors
        p = adjusted.mean(axis=0)
        path.append(loglik(p))
        if path[-1] - path[-2] < tol:
            break
    return p, n_iter, np.array(path)


def make_gaussian_classes(n, priors, random_state=None):
    """n samples from sum_k priors_k N(MEANS[k], I); returns X, y."""
    rng = np.random.default_rng(random_state)
    y = rng.choice(len(priors), size=n, p=priors)
    X = MEANS[y] + rng.standard_normal((n, MEANS.shape[1]))
    return X, y


def exact_posteriors(X, priors):
    """p(k | x) for the Gaussian classes and the given priors."""
    dens = np.column_stack(
        [multivariate_normal(m, np.eye(MEANS.shape[1])).pdf(X) for m in MEANS]
    )
    joint = dens * priors
    return joint / joint.sum(axis=1, keepdims=True)


class ExactPosteriorClassifier(ClassifierMixin, BaseEstimator):
    """The Bayes classifier of the Gaussian classes for the priors of the
    training labels (the class-conditionals are known, not learned)."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        counts = np.array([w[y == c].sum() for c in self.classes_])
        self.priors_ = counts / counts.sum()
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        return exact_posteriors(np.asarray(X, dtype=float), self.priors_)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
