"""Test-session setup shared by tests/ and the doctests in skmix/ and README.md."""

import os

# sklearn's array API check (check_array_api_input, run on numpy here) needs
# SciPy's array API mode, which must be switched on before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Figures in examples and tests are written to files; never open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings

# Deterministic examples on CI; no deadline anywhere (the machines are noisy).
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
