"""scikit-learn's estimator checks for PriorShiftAdapter."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmix import PriorShiftAdapter

# The one check that cannot apply. check_non_transformer_estimators_n_iter
# requires every estimator with a `max_iter` parameter to set `n_iter_ >= 1`
# in `fit`. PriorShiftAdapter's `max_iter` bounds the iterations of `adapt`
# (the prior estimation on unlabeled target data), which `fit` does not run:
# `n_iter_` is set by `adapt`, and `fit` has no iterations of its own to
# report (the classifier's are the classifier's, and the calibration's Newton
# iterations are not bounded by `max_iter`). test_label_shift.py checks that
# `adapt` sets `n_iter_`, equal to the iterations of the Saerens EM.
EXPECTED_FAILED = {
    "check_non_transformer_estimators_n_iter": (
        "max_iter bounds adapt, not fit; n_iter_ is set by adapt"
    ),
}


@parametrize_with_checks(
    [
        # max_iter: lbfgs converges on the checks' unscaled iris data
        PriorShiftAdapter(LogisticRegression(max_iter=1000), cv=3),
        PriorShiftAdapter(LogisticRegression(max_iter=1000), calibration=None),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
