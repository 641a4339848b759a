"""skmix: mixture weights with known components, as scikit-learn estimators.

The public API:

- :class:`TwoGaussianMixturePi`, a scikit-learn density estimator that fits
  the mixing proportion ``pi`` of two Gaussian components whose means and
  standard deviations are known, with its standard error and confidence
  intervals;
- :class:`KnownComponentsMixture`, the weights of K >= 2 known components
  (scipy distributions, fitted density estimators or precomputed
  log-densities), by EM or an active-set SQP solver;
- :class:`PriorShiftAdapter`, a classifier's class priors re-estimated on
  unlabeled data under label shift, and its probabilities corrected;
- :class:`EmpiricalBayesNormalMeans`, empirical Bayes shrinkage of estimates
  with standard errors (ashr's adaptive shrinkage) and their posteriors;
- :func:`make_mixture`, which draws samples from the two-Gaussian model;
- :class:`EMPathDisplay`, a plot of the EM path (needs matplotlib).
"""

from ._datasets import make_mixture
from ._eb import EmpiricalBayesNormalMeans
from ._estimator import TwoGaussianMixturePi
from ._known import KnownComponentsMixture
from ._label_shift import PriorShiftAdapter
from ._plot import EMPathDisplay

__version__ = "0.2.0.dev0"

__all__ = [
    "EMPathDisplay",
    "EmpiricalBayesNormalMeans",
    "KnownComponentsMixture",
    "PriorShiftAdapter",
    "TwoGaussianMixturePi",
    "__version__",
    "make_mixture",
]
