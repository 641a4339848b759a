"""PriorShiftAdapter: priors, intervals, predictions, references, errors."""

import copy
import warnings

import numpy as np
import pytest
import sklearn
from _label_shift_reference import (
    ExactPosteriorClassifier,
    exact_posteriors,
    make_gaussian_classes,
    saerens_em,
)
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import (
    ConvergenceWarning,
    NotFittedError,
    UnsetMetadataPassedError,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skmix import PriorShiftAdapter
from skmix._calibration import calibrated_log_proba, fit_temperature, proba_to_logits

BALANCED = np.array([1 / 3, 1 / 3, 1 / 3])
_FITTED = {}
SHIFTED = np.array([0.6, 0.3, 0.1])


@pytest.fixture(scope="module")
def source():
    # large enough that the classifier's own estimation error is small against
    # the sampling error of the target samples (the intervals are conditional
    # on the fitted classifier)
    return make_gaussian_classes(20_000, BALANCED, random_state=0)


@pytest.fixture(scope="module")
def small_source():
    # where the classifier's accuracy does not matter
    return make_gaussian_classes(3000, BALANCED, random_state=0)


@pytest.fixture(scope="module")
def adapter_lr(source):
    return PriorShiftAdapter(LogisticRegression()).fit(*source)


@pytest.mark.parametrize(
    ("estimator", "calibration"),
    [
        (ExactPosteriorClassifier(), None),
        (LogisticRegression(), "bcts"),
        (LogisticRegression(), "temperature"),
        (make_pipeline(StandardScaler(), LogisticRegression()), "bcts"),
    ],
)
@pytest.mark.parametrize("priors", [SHIFTED, np.array([0.05, 0.15, 0.8])])
def test_priors_recovered_within_sampling_error(source, estimator, calibration, priors):
    key = (repr(estimator), calibration)
    if key not in _FITTED:  # one fit per classifier, shared by both priors
        _FITTED[key] = PriorShiftAdapter(estimator, calibration=calibration)
        _FITTED[key].fit(*source)
    adapter = copy.deepcopy(_FITTED[key])
    X, _ = make_gaussian_classes(4000, priors, random_state=1)
    adapter.adapt(X)
    assert adapter.converged_
    se = adapter.priors_stderr_
    assert np.all((se > 0.003) & (se < 0.03))  # sampling error at n = 4000
    np.testing.assert_array_less(np.abs(adapter.priors_ - priors), 4 * se)
    assert adapter.priors_.sum() == pytest.approx(1.0, abs=1e-12)
    low, high = adapter.confidence_interval(0.01, X=X).T
    assert np.all((low <= priors) & (priors <= high))


def test_standard_errors_match_the_spread_of_the_estimates(source):
    """The information-based standard error against the standard deviation of
    the estimates over replicated target samples, and 95% interval coverage
    at its nominal rate (exact posteriors: the model is exactly right)."""
    adapter = PriorShiftAdapter(ExactPosteriorClassifier(), calibration=None)
    adapter.fit(*source)
    priors = np.array([0.5, 0.3, 0.2])
    estimates, stderrs, covered = [], [], []
    for rep in range(300):
        X, _ = make_gaussian_classes(400, priors, random_state=100 + rep)
        adapter.adapt(X)
        low, high = adapter.confidence_interval(0.05, method="wald").T
        estimates.append(adapter.priors_)
        stderrs.append(adapter.priors_stderr_)
        covered.append((low <= priors) & (priors <= high))
    estimates = np.array(estimates)
    np.testing.assert_allclose(estimates.mean(axis=0), priors, atol=0.01)
    np.testing.assert_allclose(
        np.mean(stderrs, axis=0), estimates.std(axis=0, ddof=1), rtol=0.15
    )
    rate = np.mean(covered)  # 900 intervals, correlated within a replicate
    assert abs(rate - 0.95) < 0.03, rate


def test_target_like_source_gives_back_source_priors(adapter_lr):
    """A frozen classifier, BCTS on (X_cal, y_cal), adapted to X_cal itself:
    at the calibration optimum the mean calibrated posterior is exactly the
    class frequency (stationarity in the biases), so the source priors are
    the maximum (KKT), whatever the solver."""
    clf = adapter_lr.estimator_
    X_cal, y_cal = make_gaussian_classes(2000, [0.5, 0.2, 0.3], random_state=5)
    freq = np.bincount(y_cal) / len(y_cal)
    for solver in ("em", "sqp"):
        adapter = PriorShiftAdapter(FrozenEstimator(clf), solver=solver, tol=1e-10)
        adapter.fit(X_cal, y_cal).adapt(X_cal)
        np.testing.assert_allclose(adapter.source_priors_, freq, rtol=1e-14)
        np.testing.assert_allclose(adapter.priors_, freq, atol=1e-7)


def test_new_sample_with_source_priors(adapter_lr):
    X, _ = make_gaussian_classes(3000, BALANCED, random_state=11)
    adapter = copy.deepcopy(adapter_lr)
    adapter.adapt(X)
    assert np.all(np.abs(adapter.priors_ - BALANCED) < 4 * adapter.priors_stderr_)


def test_adapted_predictions_are_better_under_shift(adapter_lr):
    X, y = make_gaussian_classes(5000, [0.8, 0.15, 0.05], random_state=3)
    before_proba = adapter_lr.predict_proba(X)
    adapter = copy.deepcopy(adapter_lr)
    adapter.adapt(X)
    after_proba = adapter.predict_proba(X)
    acc_before = accuracy_score(y, adapter.classes_[before_proba.argmax(axis=1)])
    acc_after = accuracy_score(y, adapter.predict(X))
    assert acc_after >= acc_before + 0.02
    assert log_loss(y, after_proba) < log_loss(y, before_proba) - 0.05
    # the Bayes posteriors under the true target priors are the ceiling
    bayes = exact_posteriors(X, np.array([0.8, 0.15, 0.05]))
    assert np.mean(np.abs(after_proba - bayes)) < 0.02


def test_em_equals_plain_saerens_iteration(small_source):
    source = small_source
    """solver="em" follows Saerens et al.'s EM step by step (same start, same
    stopping rule): the same number of iterations and priors to 1e-10."""
    X, _ = make_gaussian_classes(3000, SHIFTED, random_state=4)
    for calibration in (None, "bcts"):
        adapter = PriorShiftAdapter(
            LogisticRegression(), calibration=calibration, solver="em", tol=1e-8
        ).fit(*source)
        posteriors = adapter.predict_proba(X)  # calibrated, not yet adapted
        adapter.adapt(X)
        priors, n_iter, path = saerens_em(posteriors, adapter.source_priors_, tol=1e-8)
        assert adapter.n_iter_ == n_iter
        np.testing.assert_allclose(adapter.priors_, priors, rtol=1e-10, atol=1e-12)
        assert np.all(np.diff(path) >= -1e-9)  # EM never lowers the likelihood


def test_sqp_and_em_reach_the_same_maximum(adapter_lr):
    X, _ = make_gaussian_classes(3000, SHIFTED, random_state=4)
    em = copy.deepcopy(adapter_lr).set_params(solver="em", tol=1e-12).adapt(X)
    sqp = copy.deepcopy(adapter_lr).set_params(solver="sqp").adapt(X)
    np.testing.assert_allclose(sqp.priors_, em.priors_, atol=1e-6)


@pytest.mark.parametrize(
    "classifier",
    # a forest fits differently with weights of 1 than without weights: the
    # adapter must not pass weights that were not given
    [LogisticRegression(), RandomForestClassifier(n_estimators=20, random_state=0)],
)
def test_predict_proba_is_reweighted_calibrated_posterior(small_source, classifier):
    """Independent transcription of the prediction: BCTS-calibrated
    probabilities times priors_ / source_priors_, normalised."""
    source = small_source
    X, _ = make_gaussian_classes(500, SHIFTED, random_state=8)
    adapter = PriorShiftAdapter(classifier, cv=3).fit(*source)
    # the classifier is fitted on all of the data, as given
    direct = clone(classifier).fit(*source).predict_proba(X)
    np.testing.assert_array_equal(adapter.estimator_.predict_proba(X), direct)
    # the calibration is fitted on out-of-fold predictions
    oof = cross_val_predict(
        clone(classifier), *source, cv=StratifiedKFold(3), method="predict_proba"
    )
    fit = fit_temperature(proba_to_logits(oof), source[1])
    assert adapter.inv_temperature_ == pytest.approx(fit.inv_temperature, rel=1e-12)
    np.testing.assert_allclose(adapter.class_bias_, fit.bias, atol=1e-12)
    raw = adapter.estimator_.predict_proba(X)
    a, b = fit.inv_temperature, fit.bias
    calibrated = (raw + 1e-12) ** a * np.exp(b)
    calibrated /= calibrated.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(adapter.predict_proba(X), calibrated, rtol=1e-10)
    adapter.adapt(X)
    reweighted = calibrated * adapter.priors_ / adapter.source_priors_
    reweighted /= reweighted.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(adapter.predict_proba(X), reweighted, rtol=1e-10)
    np.testing.assert_allclose(
        adapter.predict_log_proba(X), np.log(reweighted), rtol=1e-10
    )
    np.testing.assert_array_equal(
        adapter.predict(X), adapter.classes_[reweighted.argmax(axis=1)]
    )


def test_adapt_again_replaces_the_target(adapter_lr):
    adapter = copy.deepcopy(adapter_lr)
    X1, _ = make_gaussian_classes(2000, SHIFTED, random_state=1)
    X2, _ = make_gaussian_classes(2000, [0.1, 0.1, 0.8], random_state=2)
    first = adapter.adapt(X1).priors_.copy()
    second = adapter.adapt(X2).priors_
    third = adapter.adapt(X1).priors_
    assert np.abs(first - second).max() > 0.3
    np.testing.assert_array_equal(first, third)


def test_sample_weight_in_adapt_equals_repetition(adapter_lr):
    adapter = copy.deepcopy(adapter_lr)
    X, _ = make_gaussian_classes(300, SHIFTED, random_state=9)
    reps = np.random.default_rng(0).integers(1, 4, len(X))
    weighted = adapter.adapt(X, sample_weight=reps).priors_.copy()
    repeated = adapter.adapt(np.repeat(X, reps, axis=0)).priors_
    np.testing.assert_allclose(weighted, repeated, atol=1e-7)


def test_string_labels_and_dataframes(small_source):
    source = small_source
    pd = pytest.importorskip("pandas")
    X, y = source
    names = np.array(["cat", "dog", "eel"])
    frame = pd.DataFrame(X, columns=["a", "b"])
    adapter = PriorShiftAdapter(LogisticRegression()).fit(frame, names[y])
    np.testing.assert_array_equal(adapter.classes_, names)
    np.testing.assert_array_equal(adapter.feature_names_in_, ["a", "b"])
    Xt, _ = make_gaussian_classes(1000, SHIFTED, random_state=1)
    adapter.adapt(pd.DataFrame(Xt, columns=["a", "b"]))
    assert set(adapter.predict(pd.DataFrame(Xt, columns=["a", "b"]))) <= set(names)


def test_frozen_estimator_is_used_as_is(source):
    clf = LogisticRegression().fit(*make_gaussian_classes(3000, BALANCED, 0))
    coef = clf.coef_.copy()
    X_cal, y_cal = make_gaussian_classes(1000, BALANCED, random_state=21)
    adapter = PriorShiftAdapter(FrozenEstimator(clf), cv=1000).fit(X_cal, y_cal)
    assert adapter.estimator_.estimator is clf  # not cloned, not refitted
    np.testing.assert_array_equal(clf.coef_, coef)
    # the calibration is fitted on the frozen classifier's predictions of X_cal
    fit = fit_temperature(proba_to_logits(clf.predict_proba(X_cal)), y_cal)
    assert adapter.inv_temperature_ == pytest.approx(fit.inv_temperature, rel=1e-12)
    X, _ = make_gaussian_classes(500, SHIFTED, random_state=2)
    expected = np.exp(
        calibrated_log_proba(proba_to_logits(clf.predict_proba(X)), *fit[:2])
    )
    np.testing.assert_allclose(adapter.predict_proba(X), expected, rtol=1e-10)


def test_hard_zero_one_probabilities(source):
    """1-NN predicts probabilities of exactly 0 and 1: everything stays
    finite, and BCTS (which softens them) beats no calibration, whose
    likelihoods are 0 wherever the neighbour's class is wrong."""
    X, y = make_gaussian_classes(2000, SHIFTED, random_state=1)
    truth = np.bincount(y) / len(y)
    errors = {}
    for calibration in ("bcts", None):
        adapter = PriorShiftAdapter(KNeighborsClassifier(1), calibration=calibration)
        adapter.fit(*make_gaussian_classes(3000, BALANCED, 0)).adapt(X)
        assert np.all(np.isfinite(adapter.priors_)) and adapter.converged_
        assert adapter.priors_.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.isfinite(adapter.predict_log_proba(X)))
        errors[calibration] = np.abs(adapter.priors_ - truth).max()
    assert errors["bcts"] < 0.05 < errors[None]


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_uninformative_classifier_keeps_source_priors(small_source):
    """Constant posteriors: the likelihood is flat in the priors, the solver
    stays at its start (the source priors) and the intervals are [0, 1]; the
    calibration of constant logits converges (it used to warn, see
    test_calibration.py::test_constant_logits_converge)."""
    source = small_source
    X, _ = make_gaussian_classes(500, SHIFTED, random_state=1)
    for calibration in ("bcts", None):
        adapter = PriorShiftAdapter(DummyClassifier(), calibration=calibration)
        adapter.fit(*source).adapt(X)
        np.testing.assert_allclose(adapter.priors_, adapter.source_priors_, atol=1e-8)
        for method in ("profile", "wald"):
            np.testing.assert_allclose(
                adapter.confidence_interval(method=method, X=X), [[0, 1]] * 3
            )


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_target(adapter_lr, n):
    X, _ = make_gaussian_classes(n, SHIFTED, random_state=1)
    adapter = copy.deepcopy(adapter_lr).adapt(X)
    assert np.all(adapter.priors_ >= 0)
    assert adapter.priors_.sum() == pytest.approx(1.0, abs=1e-12)
    low, high = adapter.confidence_interval(X=X).T
    assert np.all((low >= 0) & (low <= adapter.priors_) & (high <= 1))


# ---------------------------------------------------------------- errors


def test_adapt_before_fit():
    X, _ = make_gaussian_classes(50, BALANCED, 0)
    adapter = PriorShiftAdapter(LogisticRegression())
    for method in (adapter.adapt, adapter.predict_proba, adapter.predict):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            method(X)
    with pytest.raises(NotFittedError):
        adapter.confidence_interval()


def test_confidence_interval_before_adapt(adapter_lr):
    adapter = clone(adapter_lr).fit(*make_gaussian_classes(300, BALANCED, 0))
    with pytest.raises(NotFittedError, match="adapt"):
        adapter.confidence_interval()


def test_other_features(adapter_lr):
    X = np.zeros((10, 3))
    for method in (adapter_lr.adapt, adapter_lr.predict_proba, adapter_lr.predict):
        with pytest.raises(ValueError, match=r"3 features.*expecting 2"):
            method(X)


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (LinearSVC(), "LinearSVC has none"),
        (SVC(), "predict_proba"),
        (object(), "an object implementing 'fit'"),
    ],
)
def test_classifier_without_predict_proba(source, estimator, match):
    with pytest.raises(ValueError, match=match):
        PriorShiftAdapter(estimator).fit(*source)


def test_classes_never_occurring_in_y(source):
    clf = LogisticRegression().fit(*make_gaussian_classes(300, BALANCED, 0))
    # clf knows classes 0, 1, 2
    X, y = make_gaussian_classes(500, [0.5, 0.5, 0.0], random_state=0)
    with pytest.raises(ValueError, match=r"classes \[2\] never occur in y"):
        PriorShiftAdapter(FrozenEstimator(clf)).fit(X, y)
    # a class present with zero weight only
    X, y = make_gaussian_classes(500, BALANCED, random_state=0)
    w = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"classes \[1\] never occur in y"):
        PriorShiftAdapter(LogisticRegression()).fit(X, y, sample_weight=w)
    # labels the frozen classifier does not know
    with pytest.raises(ValueError, match=r"labels \[7\].*does not know"):
        PriorShiftAdapter(FrozenEstimator(clf)).fit(X, np.where(y == 1, 7, y))


def test_one_class_and_too_few_per_fold(small_source):
    source = small_source
    X, y = source
    with pytest.raises(ValueError, match="at least 2 classes"):
        PriorShiftAdapter(LogisticRegression()).fit(X, np.zeros(len(y)))
    y_rare = y.copy()
    y_rare[:] = np.where(y == 2, 0, y)
    y_rare[:3] = 2
    with pytest.raises(ValueError, match="at least 5 samples of each class"):
        PriorShiftAdapter(LogisticRegression()).fit(X, y_rare)
    # the boundary: 4 samples of a class for 4 folds fit, 3 for 4 do not
    y_rare[:4] = 2
    PriorShiftAdapter(LogisticRegression(), cv=4).fit(X, y_rare)
    with pytest.raises(ValueError, match="at least 5 samples of each class"):
        PriorShiftAdapter(LogisticRegression(), cv=5).fit(X, y_rare)
    # without calibration no folds are needed
    PriorShiftAdapter(LogisticRegression(), calibration=None).fit(X, y_rare)


def test_sample_weight_with_a_classifier_that_takes_none(small_source):
    X, y = small_source
    w = np.where(y == 0, 2.0, 1.0)
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier(20))
    with pytest.warns(UserWarning, match="does not accept sample_weight") as caught:
        adapter = PriorShiftAdapter(pipe).fit(X, y, sample_weight=w)
    assert [w.filename for w in caught] == [__file__]  # at the caller
    # the weights still define the source priors
    expected = np.bincount(y, weights=w) / w.sum()
    np.testing.assert_allclose(adapter.source_priors_, expected, rtol=1e-14)


def test_adapt_that_does_not_converge_warns(adapter_lr):
    X, _ = make_gaussian_classes(2000, SHIFTED, random_state=1)
    adapter = copy.deepcopy(adapter_lr).set_params(solver="em", max_iter=2)
    with pytest.warns(ConvergenceWarning) as caught:
        adapter.adapt(X)
    assert [w.filename for w in caught] == [__file__]  # not _label_shift.py
    assert adapter.n_iter_ == 2 and not adapter.converged_


class _Permuted(ExactPosteriorClassifier):
    """Exact posteriors with the classes (and columns) in the order 2, 0, 1."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y)
        self.classes_ = np.array([2, 0, 1])
        return self

    def predict_proba(self, X):
        return super().predict_proba(X)[:, [2, 0, 1]]


def test_frozen_classifier_with_unsorted_classes():
    # the classifier's posteriors assume the priors of the data it was fitted on
    X, y = make_gaussian_classes(3000, [0.5, 0.3, 0.2], random_state=3)
    clf = _Permuted().fit(X, y)
    adapter = PriorShiftAdapter(FrozenEstimator(clf), calibration=None).fit(X, y)
    np.testing.assert_array_equal(adapter.classes_, [2, 0, 1])
    freq = np.bincount(y, minlength=3) / len(y)
    np.testing.assert_allclose(adapter.source_priors_, freq[[2, 0, 1]], rtol=1e-14)
    Xt, _ = make_gaussian_classes(4000, [0.1, 0.1, 0.8], random_state=4)
    adapter.adapt(Xt)
    assert abs(adapter.priors_[0] - 0.8) < 4 * adapter.priors_stderr_[0]
    assert set(adapter.predict(Xt)) <= {0, 1, 2}


def test_negative_sample_weight(small_source):
    X, y = small_source
    w = np.ones(len(y))
    w[0] = -1.0
    with pytest.raises(ValueError, match="Negative values in data"):
        PriorShiftAdapter(LogisticRegression()).fit(X, y, sample_weight=w)


def test_bad_parameters(source):
    with pytest.raises(ValueError, match="calibration"):
        PriorShiftAdapter(LogisticRegression(), calibration="isotonic").fit(*source)
    with pytest.raises(ValueError, match="tol"):
        PriorShiftAdapter(LogisticRegression(), tol=-1.0).fit(*source)


def test_inputs_not_modified(small_source):
    source = small_source
    X, y = (a.copy() for a in source)
    w = np.ones(len(y))
    adapter = PriorShiftAdapter(LogisticRegression()).fit(X, y, sample_weight=w)
    Xt, _ = make_gaussian_classes(300, SHIFTED, random_state=1)
    Xt_copy = Xt.copy()
    adapter.adapt(Xt, sample_weight=np.ones(len(Xt)))
    np.testing.assert_array_equal(X, source[0])
    np.testing.assert_array_equal(y, source[1])
    np.testing.assert_array_equal(w, 1.0)
    np.testing.assert_array_equal(Xt, Xt_copy)


# ------------------------------------------- sample weights, messages, state


def _weighted_source(small_source):
    X, y = small_source
    return X, y, np.where(y == 0, 3.0, 1.0) * np.linspace(0.5, 1.5, len(y))


def _expected_weighted_pipeline(X, y, w):
    """The classifier and the calibration of a Pipeline that gets the weights,
    built by hand: the pipeline fitted with its last step's sample_weight,
    temperature scaling on its out-of-fold predictions."""
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    proba = cross_val_predict(
        pipe, X, y, cv=StratifiedKFold(5), method="predict_proba",
        params={"logisticregression__sample_weight": w},
    )  # fmt: skip
    calibration = fit_temperature(proba_to_logits(proba), y, sample_weight=w)
    return pipe.fit(X, y, logisticregression__sample_weight=w), calibration


def test_pipeline_gets_sample_weight(small_source):
    X, y, w = _weighted_source(small_source)
    pipe, calibration = _expected_weighted_pipeline(X, y, w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "does not accept sample_weight"
        adapter = PriorShiftAdapter(
            make_pipeline(StandardScaler(), LogisticRegression())
        )
        adapter.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(adapter.estimator_[-1].coef_, pipe[-1].coef_, rtol=1e-12)
    assert adapter.inv_temperature_ == pytest.approx(calibration.inv_temperature)
    np.testing.assert_allclose(adapter.class_bias_, calibration.bias, atol=1e-9)


def test_pipeline_gets_sample_weight_by_metadata_routing(small_source):
    X, y, w = _weighted_source(small_source)
    pipe, calibration = _expected_weighted_pipeline(X, y, w)
    with sklearn.config_context(enable_metadata_routing=True):
        requesting = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            LogisticRegression().set_fit_request(sample_weight=True),
        )
        adapter = PriorShiftAdapter(requesting).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(
            adapter.estimator_[-1].coef_, pipe[-1].coef_, rtol=1e-12
        )
        assert adapter.inv_temperature_ == pytest.approx(calibration.inv_temperature)
        # a step that says nothing about sample_weight: sklearn's routing error
        silent = make_pipeline(StandardScaler(), LogisticRegression())
        with pytest.raises(UnsetMetadataPassedError):
            PriorShiftAdapter(silent).fit(X, y, sample_weight=w)


@pytest.mark.parametrize("estimator", [SVC(), make_pipeline(StandardScaler(), SVC())])
def test_svc_without_probability_suggests_it(small_source, estimator):
    with pytest.raises(ValueError, match=r"SVC\(probability=True\)"):
        PriorShiftAdapter(estimator).fit(*small_source)


def test_empty_target_names_the_adapter(adapter_lr):
    adapter = copy.deepcopy(adapter_lr)
    for method in (adapter.adapt, adapter.predict_proba, adapter.predict):
        with pytest.raises(ValueError, match=r"0 sample.*by PriorShiftAdapter"):
            method(np.empty((0, 2)))


def test_verbose_reports_the_steps(small_source, capsys):
    X, y = small_source
    adapter = PriorShiftAdapter(LogisticRegression(), verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "5-fold out-of-fold predictions of LogisticRegression" in out
    assert f"inverse temperature {adapter.inv_temperature_:.6g}" in out
    assert f"LogisticRegression on all {len(y)} samples" in out
    PriorShiftAdapter(LogisticRegression()).fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0 is silent


def test_fit_removes_the_attributes_of_adapt(small_source):
    X, y = small_source
    adapter = PriorShiftAdapter(LogisticRegression()).fit(X, y).adapt(X[:100])
    assert hasattr(adapter, "priors_") and hasattr(adapter, "mixture_")
    adapter.fit(X, y)
    for attr in ("priors_", "priors_stderr_", "n_iter_", "converged_", "mixture_"):
        assert not hasattr(adapter, attr)
    with pytest.raises(NotFittedError, match="adapt"):
        adapter.confidence_interval()


def test_frozen_classifier_calibration_data_gives_back_source_priors():
    """The claim of the Notes: with a FrozenEstimator and BCTS, the data that
    the calibration was fitted on, as target, gives the source priors (the
    KKT conditions hold there: the mean of q_k / pi_k is 1 for every k)."""
    X_train, y_train = make_gaussian_classes(2000, BALANCED, random_state=5)
    X_cal, y_cal = make_gaussian_classes(1500, [0.5, 0.3, 0.2], random_state=6)
    clf = RandomForestClassifier(20, random_state=0).fit(X_train, y_train)
    adapter = PriorShiftAdapter(FrozenEstimator(clf)).fit(X_cal, y_cal)
    adapter.adapt(X_cal)
    np.testing.assert_allclose(adapter.priors_, adapter.source_priors_, atol=1e-6)


def test_numpydoc_validation():
    """The class and public methods pass numpydoc's checks, with the codes
    that scikit-learn's test_docstrings.py ignores ignored."""
    validate = pytest.importorskip("numpydoc.validate").validate
    methods = [
        "fit", "adapt", "confidence_interval", "predict", "predict_proba",
        "predict_log_proba", "score", "get_metadata_routing",
    ]  # fmt: skip
    for name in ["skmix.PriorShiftAdapter"] + [
        f"skmix.PriorShiftAdapter.{m}" for m in methods
    ]:
        ignored = {"RT02", "GL01", "GL02"}
        if name.count(".") == 2:
            ignored |= {"EX01", "SA01", "ES01"}
        errors = [e for e in validate(name)["errors"] if e[0] not in ignored]
        assert errors == [], name
