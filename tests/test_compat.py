"""skmix/_compat.py: what skmix needs from scikit-learn's private Array API
helpers, written so that it works from scikit-learn 1.6 on."""

import array_api_strict
import numpy as np
import pytest
import sklearn

from skmix import TwoGaussianMixturePi
from skmix._compat import check_same_namespace, check_sample_weight, move_to


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (np.zeros(4), "at least one non-zero"),
        ([0, 0, 0, 0], "at least one non-zero"),
        (np.r_[1.0, np.nan, 1.0, 1.0], "NaN"),
        (np.r_[1.0, np.inf, 1.0, 1.0], "infinity"),
        (np.r_[1.0, -1.0, 1.0, 1.0], "Negative"),
        (np.ones(3), r"sample_weight.shape == \(3,\), expected \(4,\)"),
        (np.ones((4, 1)), "1D array or scalar"),
        (["a", "b", "c", "d"], "real numbers"),
        (np.ones(4) * 1j, "real numbers"),
        (-2.0, "Negative"),
    ],
)
def test_bad_sample_weight_is_a_clear_error(weight, match):
    with pytest.raises(ValueError, match=match):
        check_sample_weight(weight, 4)


def test_sample_weight_as_float64_unmodified():
    weight = [1, 2, 0, 3]
    out = check_sample_weight(weight, 4)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 2.0, 0.0, 3.0])
    np.testing.assert_array_equal(check_sample_weight(2.5, 3), [2.5, 2.5, 2.5])
    original = np.arange(4, dtype=np.float32)
    check_sample_weight(original, 4)
    np.testing.assert_array_equal(original, np.arange(4, dtype=np.float32))


def test_sample_weight_in_an_array_api_namespace():
    xp = array_api_strict
    with sklearn.config_context(array_api_dispatch=True):
        out = check_sample_weight(np.array([1.0, 0.0, 2.0]), 3, xp=xp, device=None)
        assert type(out) is type(xp.asarray([1.0]))
        assert out.dtype == xp.float64
        np.testing.assert_array_equal(np.from_dlpack(out), [1.0, 0.0, 2.0])
        with pytest.raises(ValueError, match="at least one non-zero"):
            check_sample_weight(xp.zeros(3), 3, xp=xp, device=None)


def test_move_to_round_trip():
    xp = array_api_strict
    values = np.array([0.5, -1.0, 3.25])
    with sklearn.config_context(array_api_dispatch=True):
        moved = move_to(values, xp=xp, device=xp.asarray(1.0).device)
        assert type(moved) is type(xp.asarray([1.0]))
        back = move_to(moved, xp=np, device="cpu")
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, values)


def test_check_same_namespace():
    fitted = TwoGaussianMixturePi().fit(np.array([[0.0], [1.0], [2.5]]))
    X = array_api_strict.asarray([[1.0]])
    check_same_namespace(X, fitted, attribute="weights_", method="predict")  # off
    with sklearn.config_context(array_api_dispatch=True):
        check_same_namespace([[1.0]], fitted, attribute="weights_", method="predict")
        check_same_namespace(
            np.ones((1, 1)), fitted, attribute="weights_", method="predict"
        )
        with pytest.raises(ValueError, match=r"predict\(\) must use the same names"):
            check_same_namespace(X, fitted, attribute="weights_", method="predict")


def test_arrays_come_back_from_another_array_api_strict_device():
    # scikit-learn 1.6's _convert_to_numpy raised here (np.asarray of an
    # array on array-api-strict's "device1")
    from skmix._compat import _convert_to_numpy

    xp = array_api_strict
    a = xp.asarray([1.0, 2.5, -3.0], device=xp.Device("device1"))
    host = _convert_to_numpy(a, xp)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, [1.0, 2.5, -3.0])


def test_only_compat_imports_private_array_api_helpers():
    # the minimum-dependencies run relies on every private helper whose
    # signature or behaviour changed since scikit-learn 1.6 going through
    # skmix/_compat.py
    import pathlib

    import skmix

    private = ("sklearn.utils._array_api", "_check_sample_weight")
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(pathlib.Path(skmix.__file__).parent.glob("*.py"))
        if path.name != "_compat.py"
        for name in private
        if name in path.read_text()
    ]
    assert offenders == []
