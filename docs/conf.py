"""Sphinx configuration of the skmix documentation.

Build it from the repository root with
``sphinx-build -W --keep-going -b html docs docs/_build/html``
(after ``pip install -e ".[docs]"``).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import skmix

# the examples save their figures here, not into examples/ (the gallery runs
# each example in its own folder); they print only the file name
_example_output = Path(__file__).resolve().parent / "_build" / "example-output"
_example_output.mkdir(parents=True, exist_ok=True)
os.environ["SKMIX_EXAMPLE_OUTPUT"] = str(_example_output)

project = "skmix"
author = "skmix developers"
copyright = "2026, skmix developers"
version = release = skmix.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "mathml",  # docs/_ext/mathml.py: formulas as MathML, no network needed
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_ext", "_inventories", "Thumbs.db", ".DS_Store"]
root_doc = "index"

autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# math: rendered to MathML while the pages are written (docs/_ext/mathml.py),
# so that pages show formulas offline; no MathJax from a CDN
html_math_renderer = "mathml"

# links to scikit-learn, NumPy and SciPy: each project's inventory from its
# site, or, without network, the small ones in docs/_inventories (see
# make_inventories.py there); either way no warning, so -W holds offline
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", (None, "_inventories/sklearn.inv")),
    "numpy": ("https://numpy.org/doc/stable/", (None, "_inventories/numpy.inv")),
    "scipy": (
        "https://docs.scipy.org/doc/scipy/",
        (None, "_inventories/scipy.inv"),
    ),
}
intersphinx_timeout = 10

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skmix",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"skmix {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
