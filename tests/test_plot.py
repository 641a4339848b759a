"""EMPathDisplay draws exactly history_ (Agg backend)."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skmix import EMPathDisplay, TwoGaussianMixturePi, make_mixture

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture
def fitted():
    X, _ = make_mixture(2000, pi=0.7, random_state=0)
    yield TwoGaussianMixturePi(pi_init=0.2).fit(X)
    plt.close("all")


def test_points_are_the_history(fitted):
    display = EMPathDisplay.from_estimator(fitted)
    history = fitted.history_
    offsets = display.scatter_.get_offsets()
    np.testing.assert_array_equal(offsets[:, 0], history["pi"])
    np.testing.assert_array_equal(offsets[:, 1], history["loglik"])
    np.testing.assert_array_equal(display.scatter_.get_array(), history["iteration"])
    assert display.ax_.figure is display.figure_
    assert display.colorbar_.ax.get_ylabel() == "Iteration"
    assert "pi" in display.ax_.get_xlabel()
    assert display.ax_.get_ylabel() == "Log-likelihood"


def test_arrows_join_consecutive_iterations(fitted):
    display = EMPathDisplay.from_estimator(fitted)
    pi, loglik = fitted.history_["pi"], fitted.history_["loglik"]
    assert len(display.arrows_) == fitted.n_iter_
    for i, arrow in enumerate(display.arrows_):
        assert arrow.xyann == (pi[i], loglik[i])
        assert arrow.xy == (pi[i + 1], loglik[i + 1])


def test_draws_on_the_given_axes_with_options(fitted):
    fig, ax = plt.subplots()
    display = EMPathDisplay.from_estimator(
        fitted, ax=ax, arrows=False, colorbar=False, cmap="plasma", marker="s"
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert display.arrows_ == [] and display.colorbar_ is None
    assert display.scatter_.get_cmap().name == "plasma"
    assert len(fig.axes) == 1  # no colour bar axes


def test_plot_from_arrays_and_again():
    display = EMPathDisplay(pi=[0.5, 0.6, 0.65], loglik=[-10.0, -9.0, -8.9])
    first = display.plot()
    np.testing.assert_array_equal(first.scatter_.get_array(), [0, 1, 2])
    _, ax = plt.subplots()
    assert display.plot(ax=ax).ax_ is ax  # re-plot on other axes
    plt.close("all")


@pytest.mark.parametrize(
    ("pi", "loglik"), [([0.5, 0.6], [-1.0]), ([], []), ([[0.5]], [[-1.0]])]
)
def test_bad_arrays_raise(pi, loglik):
    with pytest.raises(ValueError, match="same length"):
        EMPathDisplay(pi=pi, loglik=loglik).plot()


def test_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        EMPathDisplay.from_estimator(TwoGaussianMixturePi())


def test_without_matplotlib_names_the_extra(fitted, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(ImportError, match=r"skmix\[plot\]"):
        EMPathDisplay.from_estimator(fitted)
    with pytest.raises(ImportError, match="matplotlib"):
        EMPathDisplay(pi=[0.5], loglik=[-1.0]).plot()
