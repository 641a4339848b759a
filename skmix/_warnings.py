"""Warnings that point at the user's code, not at skmix or scikit-learn."""

import os
import sys
import warnings

_PACKAGE_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules["skmix"], sys.modules["sklearn"])
)


def warn_at_caller(message, category):
    """Warn with the location of the first frame outside skmix and sklearn.

    A fixed ``stacklevel`` would name skmix's or scikit-learn's own code
    (``@_fit_context`` wraps ``fit``; one estimator may call another's).

    Examples
    --------
    >>> import warnings
    >>> from skmix._warnings import warn_at_caller
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("a message", UserWarning)
    >>> caught[0].filename.endswith("_warnings.py")
    False
    """
    frame, level = sys._getframe(1), 2  # level 2: the caller of this function
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
