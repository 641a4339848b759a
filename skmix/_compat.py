"""What skmix needs from scikit-learn's Array API support, for every supported
scikit-learn (1.6 and later).

scikit-learn has no public Array API helpers: everything lives in the private
``sklearn.utils._array_api``. skmix imports from there only the functions that
exist, with the same signature and behaviour, from scikit-learn 1.6 on
(``get_namespace``, ``get_namespace_and_device``, ``_is_numpy_namespace``,
``_max_precision_float_dtype``), and writes here those that are recent
(``check_same_namespace`` and ``move_to``, both added after 1.8) or that
behave differently in 1.6 (``_convert_to_numpy``, which there cannot bring
an array-api-strict array back from a non-CPU device). It validates
``sample_weight`` itself (``check_sample_weight``): scikit-learn 1.6's
private ``_check_sample_weight`` accepts all-zero weights and fails on Array
API input. The CI's minimum-dependencies run (``.ci/min-requirements.txt``)
checks that this stays true: modules other than this one import nothing
from ``sklearn.utils._array_api``.
"""

import numbers

import numpy as np
from sklearn import get_config
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace,
    get_namespace_and_device,
)

__all__ = [
    "_convert_to_numpy",
    "_is_numpy_namespace",
    "_max_precision_float_dtype",
    "check_same_namespace",
    "check_sample_weight",
    "get_namespace",
    "get_namespace_and_device",
    "move_to",
]


def _namespace_name(xp):
    # "array_api_compat.torch" and "torch" are the same library
    return xp.__name__.removeprefix("array_api_compat.")


def check_same_namespace(X, estimator, *, attribute, method):
    """Raise unless ``X`` has the namespace and device of a fitted attribute.

    A no-op unless ``array_api_dispatch`` is on. NumPy arrays and array-likes
    (lists, pandas) are compatible with one another.

    Parameters
    ----------
    X : array-like
        The input of the method.
    estimator : estimator object
        The fitted estimator.
    attribute : str
        The fitted attribute whose namespace and device are those of the fit.
    method : str
        The calling method, named in the error message.

    Raises
    ------
    ValueError
        If the namespaces or the devices differ.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix import TwoGaussianMixturePi
    >>> from skmix._compat import check_same_namespace
    >>> est = TwoGaussianMixturePi().fit(np.array([[0.0], [1.0], [2.0]]))
    >>> check_same_namespace([[1.0]], est, attribute="weights_", method="predict")
    """
    if not get_config()["array_api_dispatch"]:
        return
    a_xp, _, a_device = get_namespace_and_device(getattr(estimator, attribute))
    try:
        X_xp, _, X_device = get_namespace_and_device(X)
    except TypeError:  # lists on scikit-learn < 1.7: array-likes, for NumPy
        X_xp, X_device = np, None
    if X_device is None and not _is_numpy_namespace(a_xp):
        raise ValueError(
            f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
            "same namespace and the same device as those passed to fit(): the "
            f"namespace used in fit is {a_xp.__name__}, and {method} was given "
            f"an array-like ({type(X).__name__}), which only NumPy accepts."
        )
    if _is_numpy_namespace(a_xp) and _is_numpy_namespace(X_xp):
        return
    if _namespace_name(X_xp) == _namespace_name(a_xp) and X_device == a_device:
        return
    if _namespace_name(X_xp) != _namespace_name(a_xp):
        detail = (
            f"the namespace used in fit ({a_xp.__name__}) and in {method} "
            f"({X_xp.__name__}) differ"
        )
    else:
        detail = (
            f"the device used in fit ({a_device}) and in {method} ({X_device}) differ"
        )
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
        "same namespace and the same device as those passed to fit(): "
        f"{detail}."
    )


def _convert_to_numpy(array, xp):
    """``array`` of namespace ``xp`` as a NumPy array on the host.

    scikit-learn's function of that name (1.6 and 1.7) cannot bring an
    array-api-strict array back from a device other than its CPU device.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._compat import _convert_to_numpy
    >>> _convert_to_numpy(np.array([1.0, 2.0]), np)
    array([1., 2.])
    """
    name = _namespace_name(xp)
    if name == "torch":
        return array.detach().cpu().numpy()
    if name == "cupy":  # pragma: no cover - needs a GPU
        return array.get()
    if name == "array_api_strict" and hasattr(xp, "Device"):
        array = xp.asarray(array, device=xp.Device("CPU_DEVICE"))
    try:  # the DLPack protocol: array-api-strict, and any CPU array
        return np.from_dlpack(array)
    except (AttributeError, BufferError, RuntimeError, TypeError):
        return np.asarray(array)


def move_to(array, *, xp, device):
    """``array`` (an array of any namespace) in namespace ``xp`` on ``device``.

    Unchanged when it is there already. float64 becomes float32 on devices
    without float64 (e.g. Apple MPS).

    Parameters
    ----------
    array : array
        An array of any Array API namespace, or a NumPy array.
    xp : namespace
        The target namespace.
    device : device
        The target device.

    Returns
    -------
    array
        The array in ``xp`` on ``device``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix._compat import move_to
    >>> move_to(np.array([1.0, 2.0]), xp=np, device="cpu")
    array([1., 2.])
    """
    a_xp, _, a_device = get_namespace_and_device(array)
    same = _namespace_name(a_xp) == _namespace_name(xp) or (
        _is_numpy_namespace(a_xp) and _is_numpy_namespace(xp)
    )
    if not (same and a_device == device):
        host = array if _is_numpy_namespace(a_xp) else _convert_to_numpy(array, a_xp)
        host = np.asarray(host)
        if np.dtype(host.dtype) == np.float64 and (
            _max_precision_float_dtype(xp, device) == xp.float32
        ):  # pragma: no cover - needs such a device
            host = host.astype(np.float32)
        if _is_numpy_namespace(xp):
            return host
        array = xp.asarray(host, device=device)
    return array


WEIGHT_SUM_OVERFLOWS = (
    "sample_weight: the total weight overflows float64 (got weights up to about "
    "1e308). Allowed: finite non-negative weights whose sum is finite; rescale "
    "them (e.g. divide by their maximum), the estimate depends only on their "
    "ratios."
)


def check_sample_weight(
    sample_weight, n_samples, *, xp=None, device=None, allow_all_zero=False
):
    """Validated sample weights: float, shape ``(n_samples,)``, finite, >= 0,
    not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or float
        The weights (a scalar is the same weight for every sample). NumPy
        array-likes, or arrays of any Array API namespace.
    n_samples : int
        The number of rows of X.
    allow_all_zero : bool, default=False
        Accept weights that are all 0 (a batch of ``partial_fit`` that adds
        nothing to what was seen).
    xp, device : namespace and device, optional
        Where the result lives (an Array API namespace and device; NumPy,
        float64, by default). The result has that namespace's highest
        precision float dtype there.

    Returns
    -------
    sample_weight : array of shape (n_samples,)

    Raises
    ------
    ValueError
        Saying what was given and what is allowed.

    Examples
    --------
    >>> from skmix._compat import check_sample_weight
    >>> check_sample_weight([1, 2, 0], 3)
    array([1., 2., 0.])
    >>> check_sample_weight([0, 0], 2)
    Traceback (most recent call last):
    ...
    ValueError: Sample weights must contain at least one non-zero number; got all zeros.
    """
    if xp is None or _is_numpy_namespace(xp):
        xp, device = np, None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    if isinstance(sample_weight, np.ndarray) or not hasattr(
        sample_weight, "__array_namespace__"
    ):
        try:
            sample_weight = np.asarray(sample_weight)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"sample_weight must be an array of numbers; got {sample_weight!r}"
            ) from exc
        if not (
            np.issubdtype(sample_weight.dtype, np.number) or sample_weight.dtype == bool
        ) or np.iscomplexobj(sample_weight):
            raise ValueError(
                "sample_weight must be an array of real numbers; got dtype "
                f"{sample_weight.dtype}."
            )
    if sample_weight.ndim != 1:
        raise ValueError(
            "Sample weights must be 1D array or scalar; got an array of shape "
            f"{tuple(sample_weight.shape)}."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {tuple(sample_weight.shape)}, expected "
            f"({n_samples},)!"
        )
    if xp is np:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    else:
        sample_weight = move_to(sample_weight, xp=xp, device=device)
        sample_weight = xp.astype(
            sample_weight, _max_precision_float_dtype(xp, device), copy=False
        )
    if bool(xp.any(xp.isnan(sample_weight))):
        raise ValueError("Input sample_weight contains NaN.")
    if not bool(xp.all(xp.isfinite(sample_weight))):
        raise ValueError("Input sample_weight contains infinity.")
    if bool(xp.any(sample_weight < 0)):
        raise ValueError(
            "Negative values in data passed to `sample_weight`; weights must be >= 0."
        )
    if not allow_all_zero and not bool(xp.any(sample_weight > 0)):
        raise ValueError(
            "Sample weights must contain at least one non-zero number; got all zeros."
        )
    return sample_weight


def check_not_1d(X):
    """ValueError, short and with the reshape hint, for a 1-D X.

    scikit-learn's own message prints the whole array (30 lines for a long
    one); this one gives the shape.

    Examples
    --------
    >>> from skmix._compat import check_not_1d
    >>> check_not_1d([0.5, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: Expected 2D array X of shape (n_samples, n_features), got a 1D
    array of shape (2,). Reshape your data with X.reshape(-1, 1) ...
    """
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, (list, tuple)):
        try:
            shape = np.shape(X)
        except ValueError:  # ragged: left to scikit-learn's validation
            return
    if shape is not None and len(shape) == 1:
        raise ValueError(
            "Expected 2D array X of shape (n_samples, n_features), got a 1D "
            f"array of shape {tuple(shape)}. Reshape your data with "
            "X.reshape(-1, 1) if it has a single feature, or X.reshape(1, -1) "
            "if it is a single sample."
        )
