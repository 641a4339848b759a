"""Label shift: re-estimate a classifier's class priors on unlabeled data."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import get_tags, indexable
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_y,
    _num_features,
    _num_samples,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._calibration import calibrated_log_proba, fit_temperature, proba_to_logits
from ._compat import check_sample_weight
from ._known import KnownComponentsMixture
from ._warnings import warn_at_caller


class PriorShiftAdapter(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Adapt a classifier to new class priors estimated from unlabeled data.

    Under label shift the class-conditional distributions ``p(x | y)`` stay
    those of the training (source) data while the class priors change. The
    unlabeled target data are then a mixture of the source class-conditionals
    with unknown weights, the target priors; as functions of ``x``, the
    class-conditional likelihoods are proportional to ``p_s(k | x) / p_s(k)``
    (Saerens, Latinne & Decaestecker, 2002). :meth:`adapt` estimates the
    priors by maximum likelihood with
    :class:`KnownComponentsMixture` ``(components="precomputed")`` on the
    calibrated log-posteriors minus the log source priors, with its standard
    errors and confidence intervals; the predictions are then the posteriors
    re-weighted to the new priors.

    The posteriors are calibrated first, as in
    :class:`~sklearn.calibration.CalibratedClassifierCV`
    (``ensemble=False``): the classifier is fitted on all of the data, and
    the calibration on its out-of-fold predictions. Bias-corrected
    temperature scaling (BCTS), the default, makes maximum-likelihood prior
    estimation hard to beat (Alexandari, Kundaje & Shrikumar, 2020).

    Parameters
    ----------
    estimator : estimator object
        A classifier with ``fit`` and ``predict_proba`` (a Pipeline too;
        ``SVC`` with ``probability=True``).
        It is cloned and fitted, unless it is wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`: a frozen, already fitted
        classifier is used as is, and ``fit`` fits only the calibration, on
        the data it is given (which should then be held out from the
        classifier's training data), with ``cv`` unused.

    calibration : {"bcts", "temperature"} or None, default="bcts"
        ``"bcts"``: ``log_softmax(a * z + b)`` with the logits
        ``z = log(predict_proba + 1e-12)``, an inverse temperature ``a`` and
        one bias per class, fitted by maximum likelihood on out-of-fold
        logits. ``"temperature"``: the same without the biases. None: the
        classifier's probabilities as they are.

    cv : int, cross-validation generator or iterable, default=5
        The folds of the out-of-fold predictions that the calibration is
        fitted on (stratified for an int). Unused with ``calibration=None``
        and with a :class:`~sklearn.frozen.FrozenEstimator`.

    solver : {"sqp", "em"}, default="sqp"
        The :class:`KnownComponentsMixture` solver that :meth:`adapt` uses.
        ``"sqp"`` reaches the maximum-likelihood priors exactly (KKT gap
        below 1e-8, priors exactly 0 where the maximum puts them) in a few
        iterations; ``"em"`` is the iteration of Saerens et al., step by
        step, stopped by ``tol`` (slow when classes overlap).

    tol : float, default=1e-5
        EM stops after the first iteration that raises the total
        log-likelihood of the target data by less than ``tol``; not used by
        ``"sqp"``.

    max_iter : int, default=1000
        Maximum number of iterations of :meth:`adapt`.

    verbose : int, default=0
        If >= 1, print the steps of ``fit`` (cross-validated predictions,
        calibration, final classifier) and, in :meth:`adapt`, the
        log-likelihood at every iteration.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted classifier (the frozen one, as given).

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    source_priors_ : ndarray of shape (n_classes,)
        The (weighted) class frequencies in ``y`` at ``fit``.

    inv_temperature_ : float
        The fitted inverse temperature ``a`` (1.0 with ``calibration=None``).

    class_bias_ : ndarray of shape (n_classes,)
        The fitted class biases ``b``, centred (zeros unless ``"bcts"``).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X``
        has feature names that are all strings.

    priors_ : ndarray of shape (n_classes,)
        Set by :meth:`adapt`: the target priors it estimated. Like the
        attributes that ``partial_fit`` sets, the five attributes of
        :meth:`adapt` describe the last call and are removed by ``fit``
        (a new classifier forgets the old target).

    priors_stderr_ : ndarray of shape (n_classes,)
        Set by :meth:`adapt`: the standard errors of ``priors_`` (see
        :class:`KnownComponentsMixture`).

    n_iter_ : int
        Set by :meth:`adapt`: its number of iterations.

    converged_ : bool
        Set by :meth:`adapt`: whether it converged.

    mixture_ : KnownComponentsMixture
        Set by :meth:`adapt`: the mixture it fitted.

    See Also
    --------
    KnownComponentsMixture : Mixture weights with known component densities.
    sklearn.calibration.CalibratedClassifierCV : Probability calibration.

    Notes
    -----
    Label shift assumes that ``p(x | y)`` does not change. Under other
    shifts (new kinds of inputs, a class-conditional that drifts) the
    estimated priors are the weights of the best-fitting mixture of the
    source class-conditionals and can be far from the true priors.

    With ``calibration="bcts"`` the mean calibrated posterior of the
    predictions that the calibration was fitted on equals
    ``source_priors_`` exactly (the optimality condition of the biases).
    With a :class:`~sklearn.frozen.FrozenEstimator` these are the
    classifier's predictions of the data given to ``fit``, so that data,
    re-used as target, gives back the source priors. Otherwise they are
    out-of-fold predictions, while :meth:`adapt` sees the predictions of
    the classifier fitted on all the data: on its own training data a
    flexible classifier (a random forest) is over-confident, and re-using
    the training data as target does not give back the source priors;
    held-out source data do, up to sampling error.

    ``sample_weight`` reaches the classifier as in
    :class:`~sklearn.calibration.CalibratedClassifierCV`: with metadata
    routing enabled (``sklearn.set_config(enable_metadata_routing=True)``)
    where the classifier requests it (``set_fit_request``); otherwise where
    its ``fit`` takes ``sample_weight`` -- for a :class:`~sklearn.pipeline.Pipeline`,
    where its last step's does.

    References
    ----------
    M. Saerens, P. Latinne, C. Decaestecker (2002). Adjusting the outputs of
    a classifier to new a priori probabilities: a simple procedure. Neural
    Computation 14(1), 21-41.

    A. Alexandari, A. Kundaje, A. Shrikumar (2020). Maximum likelihood with
    bias-corrected calibration is hard-to-beat at label shift adaptation.
    ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmix import PriorShiftAdapter
    >>> rng = np.random.default_rng(0)
    >>> means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    >>> y_source = rng.integers(0, 3, 20_000)  # priors 1/3 each
    >>> X_source = means[y_source] + rng.normal(size=(20_000, 2))
    >>> adapter = PriorShiftAdapter(LogisticRegression()).fit(X_source, y_source)
    >>> y_target = rng.choice(3, 2000, p=[0.7, 0.2, 0.1])  # shifted priors
    >>> X_target = means[y_target] + rng.normal(size=(2000, 2))
    >>> np.bincount(y_target) / 2000  # the truth, which adapt does not see
    array([0.69 , 0.208, 0.102])
    >>> adapter.adapt(X_target).priors_.round(2)
    array([0.68, 0.2 , 0.11])
    >>> adapter.confidence_interval(0.05, X=X_target).round(2)
    array([[0.65, 0.72],
           [0.18, 0.23],
           [0.09, 0.14]])
    >>> adapter.predict_proba([[1.0, 1.0]]).round(2)  # re-weighted posteriors
    array([[0.68, 0.2 , 0.12]])
    """

    _parameter_constraints: ClassVar[dict] = {
        # predict_proba is checked in fit, with a hint for SVC
        "estimator": [HasMethods(["fit"])],
        "calibration": [StrOptions({"bcts", "temperature"}), None],
        "cv": ["cv_object"],
        "solver": [StrOptions({"sqp", "em"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    # the attributes that adapt sets (and fit removes)
    _ADAPT_ATTRIBUTES = (
        "priors_",
        "priors_stderr_",
        "n_iter_",
        "converged_",
        "mixture_",
    )

    def __init__(
        self,
        estimator,
        *,
        calibration="bcts",
        cv=5,
        solver="sqp",
        tol=1e-5,
        max_iter=1000,
        verbose=0,
    ):
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    @_fit_context(
        # the classifier is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the classifier and the calibration; record the source priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labeled source data, as the classifier accepts it.

        y : array-like of shape (n_samples,)
            Class labels; at least two classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the source priors and the calibration, and for the
            classifier (see Notes; a warning says when it does not get them).

        **fit_params : dict
            Parameters for the classifier's ``fit`` (and, with metadata
            routing enabled, for the ``cv`` splitter: ``groups``), routed as
            in :class:`~sklearn.calibration.CalibratedClassifierCV`.

        Returns
        -------
        self : object
            Fitted adapter; :meth:`adapt` it to target data.
        """
        X, y = indexable(X, y)
        validate_data(self, X, skip_check_array=True)
        y = _check_y(y, estimator=self)  # 1-D (with a warning for a column), finite
        check_classification_targets(y)
        if _num_samples(X) != y.shape[0]:
            raise ValueError(
                f"X and y have different numbers of samples: "
                f"{_num_samples(X)} and {y.shape[0]}"
            )
        weighted = sample_weight is not None
        sample_weight = (
            check_sample_weight(sample_weight, y.shape[0])
            if weighted
            else np.ones(y.shape[0])
        )
        self._reset_adaptation()
        self._check_estimator()

        frozen = isinstance(self.estimator, FrozenEstimator)
        if frozen:
            self.estimator_ = self.estimator
            self.classes_ = np.asarray(self.estimator_.classes_)
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y has labels {unknown.tolist()} that the frozen classifier "
                    f"does not know; its classes are {self.classes_.tolist()}"
                )
        else:
            self.classes_ = LabelEncoder().fit(y).classes_
        if self.classes_.size < 2:
            raise ValueError(
                "PriorShiftAdapter needs at least 2 classes in y, got 1 class: "
                f"{self.classes_.tolist()}"
            )
        order = np.argsort(self.classes_)  # a frozen classifier's may be unsorted
        y_index = order[np.searchsorted(self.classes_, y, sorter=order)]
        counts = np.bincount(
            y_index, weights=sample_weight, minlength=self.classes_.size
        )
        if np.any(counts <= 0):
            never = self.classes_[counts <= 0].tolist()
            raise ValueError(
                f"classes {never} never occur in y (or only with zero weight): "
                "their source priors would be 0 and their posteriors could not "
                "be re-weighted; every class of the classifier must occur in y"
            )
        self.source_priors_ = counts / counts.sum()

        # the classifier gets sample_weight only when weights were given (some
        # classifiers, e.g. forests, fit differently with weights of 1)
        routed_fit, cv_params = self._route(weighted, sample_weight, fit_params)

        if self.calibration is None:
            self.inv_temperature_ = 1.0
            self.class_bias_ = np.zeros(self.classes_.size)
        else:
            if frozen:
                proba = self.estimator_.predict_proba(X)
            else:
                proba = self._out_of_fold_proba(X, y, y_index, cv_params)
            fit = fit_temperature(
                proba_to_logits(proba),
                y_index,
                sample_weight=sample_weight,
                bias=self.calibration == "bcts",
            )
            if not fit.converged:
                warn_at_caller(
                    f"the {self.calibration} calibration did not converge in "
                    f"{fit.n_iter} Newton iterations",
                    ConvergenceWarning,
                )
            self.inv_temperature_ = fit.inv_temperature
            self.class_bias_ = fit.bias
            if self.verbose:
                print(
                    f"[PriorShiftAdapter] {self.calibration} calibration: inverse "
                    f"temperature {fit.inv_temperature:.6g}, mean log-loss "
                    f"{fit.loss:.6g}, {fit.n_iter} Newton steps"
                    + ("" if fit.converged else " (not converged)")
                )
        if not frozen:
            if self.verbose:
                print(
                    f"[PriorShiftAdapter] fitting {type(self.estimator).__name__} "
                    f"on all {y.shape[0]} samples"
                )
            self.estimator_ = clone(self.estimator).fit(X, y, **routed_fit)
            fitted_classes = np.asarray(self.estimator_.classes_)
            if not np.array_equal(fitted_classes, self.classes_):
                raise ValueError(
                    f"the classifier's classes_ {fitted_classes.tolist()} are not "
                    f"the sorted labels of y {self.classes_.tolist()}"
                )
        return self

    def _reset_adaptation(self):
        """Remove the attributes of an earlier :meth:`adapt` (as
        ``StandardScaler._reset`` removes those of ``partial_fit``)."""
        for attr in self._ADAPT_ATTRIBUTES:
            if hasattr(self, attr):
                delattr(self, attr)

    def _check_estimator(self):
        if hasattr(self.estimator, "predict_proba"):
            return
        name = type(self.estimator).__name__
        params = (
            self.estimator.get_params() if hasattr(self.estimator, "get_params") else {}
        )
        hint = ""
        if any(k == "probability" or k.endswith("__probability") for k in params):
            hint = (
                "; it gives probabilities with probability=True, e.g. "
                "PriorShiftAdapter(SVC(probability=True))"
            )
        raise InvalidParameterError(
            "The 'estimator' parameter of PriorShiftAdapter must be a classifier "
            f"with a predict_proba method; {name} has none{hint}."
        )

    def _route(self, weighted, sample_weight, fit_params):
        """The classifier's fit parameters; those of cross_val_predict."""
        if _routing_enabled():
            if weighted:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            routed = process_routing(self, "fit", **fit_params)
            # cross_val_predict routes the same metadata to the clone and cv
            return dict(routed.estimator.fit), fit_params
        frozen = isinstance(self.estimator, FrozenEstimator)
        fit_params = dict(fit_params)
        if weighted and not frozen:
            estimator, prefix = self.estimator, ""
            if isinstance(estimator, Pipeline) and estimator.steps:
                name, estimator = estimator.steps[-1]
                prefix = f"{name}__"
            if estimator != "passthrough" and has_fit_parameter(
                estimator, "sample_weight"
            ):
                fit_params[prefix + "sample_weight"] = sample_weight
            else:
                warn_at_caller(
                    f"{type(estimator).__name__}.fit does not accept "
                    "sample_weight: the classifier is fitted without them; "
                    "they are used for the source priors and the calibration "
                    "(with metadata routing enabled, a classifier or a "
                    "Pipeline's step that requests them gets them)",
                    UserWarning,
                )
        return fit_params, fit_params

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Please check :ref:`User Guide <sklearn:metadata_routing>` on how the
        routing mechanism works.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    def _out_of_fold_proba(self, X, y, y_index, fit_params):
        cv = check_cv(self.cv, y, classifier=True)
        n_splits = cv.get_n_splits(X, y)
        if self.verbose:
            print(
                f"[PriorShiftAdapter] {n_splits}-fold out-of-fold predictions of "
                f"{type(self.estimator).__name__} for the calibration"
            )
        fewest = int(np.bincount(y_index).min())
        if isinstance(self.cv, Integral) and fewest < n_splits:
            raise ValueError(
                f"calibration with {n_splits}-fold cross-validation needs at "
                f"least {n_splits} samples of each class, got {fewest} for "
                f"class {self.classes_[np.argmin(np.bincount(y_index))]!r}; "
                "lower cv or use calibration=None"
            )
        return cross_val_predict(
            clone(self.estimator),
            X,
            y,
            cv=cv,
            method="predict_proba",
            params=fit_params,
        )

    def _check_features(self, X):
        """Same number (and names) of features as at fit, where X has them."""
        n_samples = _num_samples(X)
        if n_samples == 0:
            shape = getattr(X, "shape", (0,))
            raise ValueError(
                f"Found array with 0 sample(s) (shape={tuple(shape)}) while a "
                "minimum of 1 is required by PriorShiftAdapter."
            )
        try:
            _num_features(X)
        except TypeError:
            # e.g. 1-D input: a text pipeline's documents, or a single sample
            # that the classifier rejects with its own message
            return
        validate_data(self, X, reset=False, skip_check_array=True)

    def _source_log_proba(self, X):
        """Calibrated source log-posteriors of X, (n, n_classes)."""
        check_is_fitted(self)
        self._check_features(X)
        logits = proba_to_logits(self.estimator_.predict_proba(X))
        return calibrated_log_proba(logits, self.inv_temperature_, self.class_bias_)

    def adapt(self, X, sample_weight=None):
        """Estimate the target priors from unlabeled data.

        Fits :class:`KnownComponentsMixture` ``(components="precomputed")``
        to the calibrated log-posteriors of X minus the log source priors,
        from the source priors; replaces the results of any earlier call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Unlabeled target data.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the target samples.

        Returns
        -------
        self : object
            With ``priors_``, ``priors_stderr_``, ``n_iter_``, ``converged_``
            and ``mixture_`` set (see Attributes).
        """
        log_density = self._source_log_proba(X) - np.log(self.source_priors_)
        mixture = KnownComponentsMixture(
            components="precomputed",
            weights_init=self.source_priors_,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=self.verbose,
        ).fit(log_density, sample_weight=sample_weight)
        self.mixture_ = mixture
        self.priors_ = np.asarray(mixture.weights_, dtype=np.float64).copy()
        self.priors_stderr_ = np.asarray(mixture.weights_stderr_, dtype=np.float64)
        self.n_iter_ = mixture.n_iter_
        self.converged_ = mixture.converged_
        return self

    def confidence_interval(
        self, alpha=0.05, method="profile", X=None, sample_weight=None
    ):
        """Confidence intervals of the target priors of the last :meth:`adapt`.

        Those of :meth:`KnownComponentsMixture.confidence_interval` on the
        calibrated log-posteriors of ``X`` minus the log source priors.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level, ``0 < alpha <= 0.5``.

        method : {"profile", "wald"}, default="profile"
            ``"profile"``: likelihood-ratio intervals (a prior of 0 tested
            one-sided); needs the target data ``X`` given to :meth:`adapt`.
            ``"wald"``: ``priors_ -/+ z * priors_stderr_``, clipped to
            [0, 1] (invalid for priors at or near 0).

        X : array-like of shape (n_samples, n_features), default=None
            With ``"profile"``: the target data given to :meth:`adapt`.

        sample_weight : array-like of shape (n_samples,), default=None
            With ``"profile"``: the sample weights given to :meth:`adapt`.

        Returns
        -------
        intervals : ndarray of shape (n_classes, 2)
            Lower and upper bounds, one row per class.
        """
        check_is_fitted(self)
        if not hasattr(self, "mixture_"):
            raise NotFittedError(
                "This PriorShiftAdapter has no target priors yet: call 'adapt' "
                "with unlabeled target data first"
            )
        if X is not None:
            X = self._source_log_proba(X) - np.log(self.source_priors_)
        return self.mixture_.confidence_interval(alpha, method, X, sample_weight)

    def predict_log_proba(self, X):
        """Return the log-posteriors re-weighted to the target priors.

        ``log p_t(k | x) = log q(k | x) + log(priors_[k] / source_priors_[k])``
        normalised, with ``q`` the calibrated source posteriors; before any
        :meth:`adapt`, the calibrated source log-posteriors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as the classifier accepts them.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        log_q = self._source_log_proba(X)
        if not hasattr(self, "priors_"):
            return log_q
        with np.errstate(divide="ignore"):  # a prior of exactly 0 gives -inf
            shift = np.log(self.priors_) - np.log(self.source_priors_)
        u = log_q + shift
        return u - logsumexp(u, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Return the posteriors re-weighted to the target priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as the classifier accepts them.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Predict the most probable class under the target priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as the classifier accepts them.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted labels, from ``classes_``.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        tags.input_tags.sparse = estimator_tags.input_tags.sparse
        tags.input_tags.allow_nan = estimator_tags.input_tags.allow_nan
        return tags
