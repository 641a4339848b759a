"""skmix: the mixing proportion of two known Gaussian components, by EM.

The public API:

- :class:`TwoGaussianMixturePi`, a scikit-learn density estimator that fits
  ``pi`` with the means and standard deviations held fixed;
- :func:`make_mixture`, which draws samples from that model.
"""

from ._datasets import make_mixture
from ._estimator import TwoGaussianMixturePi

__version__ = "0.1.0"

__all__ = ["TwoGaussianMixturePi", "__version__", "make_mixture"]
