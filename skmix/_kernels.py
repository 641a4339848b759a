"""Optional compiled kernel for the summary build (numba, when installed).

Filled in below; until then the NumPy build is used.
"""

import contextlib
import os

MIN_SAMPLES = 20_000

_state = {"kernel": None, "loaded": False, "enabled": True}


def compiled_summarize(n_samples, verbose=0):
    """The compiled summary build, or None (numba missing or turned off)."""
    if not _state["enabled"] or os.environ.get("SKMIX_NUMBA", "1") == "0":
        return None
    if n_samples < MIN_SAMPLES:
        return None
    return _state["kernel"]


@contextlib.contextmanager
def numpy_kernels_only():
    """Within the block, use the NumPy kernels even if numba is installed."""
    previous = _state["enabled"]
    _state["enabled"] = False
    try:
        yield
    finally:
        _state["enabled"] = previous
