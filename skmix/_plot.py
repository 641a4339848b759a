"""Visualisation of the EM path, in the style of sklearn's Display objects."""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _import_pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, an optional dependency of skmix. "
            "Install it with: pip install matplotlib (or, in a clone of skmix: "
            "pip install -e '.[plot]')."
        ) from exc
    return plt


class EMPathDisplay:
    """The path of an EM fit: pi against the log-likelihood, by iteration.

    Each iteration of the fit is a point (its pi on the x axis, the total
    log-likelihood of the training data on the y axis) coloured by its
    iteration number, with arrows from each iteration to the next. Create it
    with :meth:`from_estimator`; the constructor only stores the path.

    Parameters
    ----------
    pi : ndarray of shape (n_rows,)
        The value of pi at each row of the path (row 0: the starting value).

    loglik : ndarray of shape (n_rows,)
        Total log-likelihood at each row.

    iteration : ndarray of shape (n_rows,), default=None
        Iteration numbers; ``0, 1, ...`` if None.

    estimator_name : str, default=None
        Name of the estimator, used in the title if given.

    solver : str, default=None
        The solver that took the path (``"em"`` or ``"newton"``), named in
        the title; the title says "Path" if None.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the path.

    figure_ : matplotlib Figure
        Figure containing the path.

    scatter_ : matplotlib PathCollection
        The points, one per row of the path.

    arrows_ : list of matplotlib Annotation
        The arrows from each row to the next (empty if ``arrows=False``).

    colorbar_ : matplotlib Colorbar or None
        The colour bar of the iteration numbers (None if ``colorbar=False``).

    See Also
    --------
    TwoGaussianMixturePi : Its ``history_`` is the path shown.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmix import EMPathDisplay, TwoGaussianMixturePi, make_mixture
    >>> X, _ = make_mixture(1000, random_state=0)
    >>> est = TwoGaussianMixturePi().fit(X)
    >>> display = EMPathDisplay.from_estimator(est)
    >>> len(display.arrows_) == est.n_iter_
    True
    """

    def __init__(self, *, pi, loglik, iteration=None, estimator_name=None, solver=None):
        self.pi = pi
        self.loglik = loglik
        self.iteration = iteration
        self.estimator_name = estimator_name
        self.solver = solver

    def plot(self, ax=None, *, cmap="viridis", arrows=True, colorbar=True, **kwargs):
        """Draw the path.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; if None, a new figure with a constrained layout
            (so that the axis labels and the colour bar fit in it).

        cmap : str or matplotlib Colormap, default="viridis"
            Colour map of the iteration numbers.

        arrows : bool, default=True
            Draw an arrow from each iteration to the next.

        colorbar : bool, default=True
            Add a colour bar of the iteration numbers.

        **kwargs : dict
            Passed to ``ax.scatter``.

        Returns
        -------
        display : EMPathDisplay
            This object, with the attributes of the drawing set.

        Raises
        ------
        ValueError
            If ``pi`` and ``loglik`` are not non-empty 1-D arrays of one
            length, or if ``loglik`` is not finite (a fit whose training data
            hold a point of density 0 in float64 has a log-likelihood of
            ``-inf`` at every iteration: there is no path to draw).
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        from matplotlib.ticker import MaxNLocator

        pi = np.asarray(self.pi, dtype=float)
        loglik = np.asarray(self.loglik, dtype=float)
        if pi.ndim != 1 or pi.shape != loglik.shape or len(pi) == 0:
            raise ValueError(
                "pi and loglik must be non-empty 1-D arrays of the same length, "
                f"got shapes {pi.shape} and {loglik.shape}."
            )
        if not np.all(np.isfinite(loglik)) or not np.all(np.isfinite(pi)):
            raise ValueError(
                "pi and loglik must be finite to draw the path; got "
                f"pi={pi.tolist()!r:.200} and loglik={loglik.tolist()!r:.200}. A "
                "log-likelihood of -inf means that a training sample has "
                "density 0 under both components in float64."
            )
        iteration = (
            np.arange(len(pi)) if self.iteration is None else np.asarray(self.iteration)
        )
        if ax is None:
            _, ax = plt.subplots(layout="constrained")

        self.arrows_ = []
        if arrows:
            style = {"arrowstyle": "->", "color": "0.4", "shrinkA": 3, "shrinkB": 3}
            for i in range(len(pi) - 1):
                self.arrows_.append(
                    ax.annotate(
                        "",
                        xy=(pi[i + 1], loglik[i + 1]),
                        xytext=(pi[i], loglik[i]),
                        arrowprops=style,
                    )
                )
        self.scatter_ = ax.scatter(
            pi, loglik, c=iteration, cmap=cmap, **{"zorder": 3, **kwargs}
        )
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax, label="Iteration")
            # iterations are whole numbers: no ticks between them
            self.colorbar_.locator = MaxNLocator(integer=True)
            self.colorbar_.update_ticks()
        ax.set_xlabel("pi: probability of component 0")
        ax.set_ylabel("Log-likelihood")
        path = {"em": "EM path", "newton": "Newton path"}.get(self.solver, "Path")
        if self.estimator_name is not None:
            ax.set_title(f"{path} of {self.estimator_name}")
        elif self.solver is not None:
            ax.set_title(path)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Draw the path of a fitted estimator's ``history_``.

        Parameters
        ----------
        estimator : TwoGaussianMixturePi
            A fitted estimator (any fitted object with a ``history_`` dict of
            ``"iteration"``, ``"pi"`` and ``"loglik"``).

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes if None.

        **kwargs : dict
            Passed to :meth:`plot` (``cmap``, ``arrows``, ``colorbar``, and
            keywords of ``ax.scatter``).

        Returns
        -------
        display : EMPathDisplay
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator, "history_")
        history = estimator.history_
        display = cls(
            pi=history["pi"],
            loglik=history["loglik"],
            iteration=history["iteration"],
            estimator_name=type(estimator).__name__,
            solver=getattr(estimator, "solver", None),
        )
        return display.plot(ax=ax, **kwargs)
