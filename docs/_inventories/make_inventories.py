"""Write the offline fallback inventories used by intersphinx (docs/conf.py).

The docs link scikit-learn, NumPy and SciPy objects through intersphinx. Each
project's full ``objects.inv`` is fetched from its site when the network is
there; without network (CI, a train) intersphinx falls back to these small
inventories of the objects the skmix docs name, so the build neither fails
nor loses those links. Regenerate them after adding a name below:
``python docs/_inventories/make_inventories.py``.
"""

import zlib
from pathlib import Path

# (name, role, path on the project's site; "$" stands for the name)
SKLEARN = "modules/generated/$.html#$"
OBJECTS = {
    "sklearn": (
        "scikit-learn",
        [
            ("sklearn.base.BaseEstimator", "class", SKLEARN),
            ("sklearn.base.DensityMixin", "class", SKLEARN),
            ("sklearn.config_context", "function", SKLEARN),
            ("sklearn.datasets.make_blobs", "function", SKLEARN),
            ("sklearn.exceptions.ConvergenceWarning", "class", SKLEARN),
            ("sklearn.mixture.GaussianMixture", "class", SKLEARN),
            ("sklearn.model_selection.GridSearchCV", "class", SKLEARN),
            ("sklearn.model_selection.cross_val_score", "function", SKLEARN),
            ("sklearn.neighbors.KernelDensity", "class", SKLEARN),
            ("sklearn.pipeline.Pipeline", "class", SKLEARN),
            ("sklearn.pipeline.make_pipeline", "function", SKLEARN),
            ("sklearn.preprocessing.StandardScaler", "class", SKLEARN),
            ("sklearn.set_config", "function", SKLEARN),
            ("sklearn.utils.check_random_state", "function", SKLEARN),
        ],
    ),
    "numpy": (
        "NumPy",
        [
            ("numpy.ndarray", "class", "reference/generated/$.html#$"),
            ("numpy.random.Generator", "class", "reference/random/generator.html#$"),
            ("numpy.random.RandomState", "class", "reference/random/legacy.html#$"),
            (
                "numpy.random.default_rng",
                "function",
                "reference/random/generator.html#$",
            ),
        ],
    ),
    "scipy": (
        "SciPy",
        [
            ("scipy.optimize.brentq", "function", "reference/generated/$.html#$"),
            ("scipy.special.logsumexp", "function", "reference/generated/$.html#$"),
            ("scipy.stats.chi2", "data", "reference/generated/$.html#$"),
            ("scipy.stats.norm", "data", "reference/generated/$.html#$"),
        ],
    ),
}


def inventory(project, objects):
    """The bytes of a Sphinx v2 ``objects.inv``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: stable\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(
        f"{name} py:{role} 1 {uri.replace('$', name)} -\n"
        for name, role, uri in sorted(objects)
    )
    return header.encode() + zlib.compress(lines.encode(), 9)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for key, (project, objects) in OBJECTS.items():
        (here / f"{key}.inv").write_bytes(inventory(project, objects))
