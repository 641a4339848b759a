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
    with pytest.raises(ImportError, match="pip install matplotlib"):
        EMPathDisplay.from_estimator(fitted)
    with pytest.raises(ImportError, match="matplotlib"):
        EMPathDisplay(pi=[0.5], loglik=[-1.0]).plot()


def test_a_fit_with_infinite_loglik_is_a_clear_error():
    # a point of density 0 in float64: loglik is -inf at every iteration
    X = np.r_[make_mixture(200, random_state=0)[0], [[1e300]]]
    est = TwoGaussianMixturePi().fit(X)
    assert np.isneginf(est.loglik_)
    with pytest.raises(ValueError, match="finite"):
        EMPathDisplay.from_estimator(est)
    plt.close("all")


def test_default_figure_holds_every_label():
    # the tutorial's path (500,000 points): long tick labels on the y axis
    loglik = [-877993.0, -837325.6, -828344.1, -826266.6, -825761.3, -825634.4]
    pi = [0.5, 0.6655, 0.7379, 0.7703, 0.7857, 0.7932]
    display = EMPathDisplay(pi=pi, loglik=loglik).plot()
    fig = display.figure_
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # everything drawn: labels, tick labels, title, colour bar with its label
    for ax in (display.ax_, display.colorbar_.ax):
        box = ax.get_tightbbox(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, box
        assert box.y0 >= 0 and box.y1 <= fig.bbox.height, box
    plt.close("all")


@pytest.mark.parametrize(("solver", "title"), [("em", "EM"), ("newton", "Newton")])
def test_title_names_the_solver(solver, title):
    X, _ = make_mixture(500, random_state=0)
    est = TwoGaussianMixturePi(solver=solver).fit(X)
    display = EMPathDisplay.from_estimator(est)
    assert display.ax_.get_title() == f"{title} path of TwoGaussianMixturePi"
    plt.close("all")


def test_colour_bar_ticks_are_whole_iterations():
    X, _ = make_mixture(500, random_state=0)
    est = TwoGaussianMixturePi(solver="newton").fit(X)  # iterations 0 to 3
    display = EMPathDisplay.from_estimator(est)
    display.figure_.canvas.draw()
    low, high = display.colorbar_.mappable.get_clim()
    ticks = [t for t in display.colorbar_.get_ticks() if low <= t <= high]
    assert len(ticks) >= 2
    np.testing.assert_array_equal(ticks, np.round(ticks))
    plt.close("all")
