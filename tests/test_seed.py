"""The seed vignette reproduced: skmix's EM path equals the vignette's formulas."""

import numpy as np
import pandas as pd
import pytest
from _reference import component_pdfs, seed_em

from skmix import TwoGaussianMixturePi, make_mixture

SETTINGS = [
    # (means, sigma, pi_true, pi_init, n_features)
    ((0.0, 2.0), 1.0, 0.8, 0.5, 1),  # the seed's
    ((0.0, 2.0), 1.0, 0.8, 0.05, 1),
    ((-1.0, 1.5), (0.7, 1.3), 0.3, 0.5, 1),  # one sigma per component
    ((10.0, 12.0), (2.0, 0.5), 0.6, 0.9, 1),
    (((0.0, 1.0), (1.0, -1.0)), ((1.0, 2.0), (1.5, 0.5)), 0.4, 0.5, 2),
]


@pytest.mark.parametrize(("means", "sigma", "pi_true", "pi_init", "d"), SETTINGS)
def test_history_matches_vignette_formulas(means, sigma, pi_true, pi_init, d):
    X, _ = make_mixture(
        20_000, n_features=d, means=means, sigma=sigma, pi=pi_true, random_state=0
    )
    ref = seed_em(*component_pdfs(X, means, sigma), pi_init)
    est = TwoGaussianMixturePi(means=means, sigma=sigma, pi_init=pi_init).fit(X)

    assert est.n_iter_ == len(ref["pi"]) - 1
    np.testing.assert_array_equal(est.history_["iteration"], ref["iteration"])
    np.testing.assert_allclose(est.history_["pi"], ref["pi"], rtol=1e-10)
    np.testing.assert_allclose(est.history_["loglik"], ref["loglik"], rtol=1e-10)
    # the increases are differences of large numbers: compare them absolutely
    scale = np.abs(ref["loglik"]).max()
    np.testing.assert_allclose(
        est.history_["diff_loglik"][1:],
        ref["diff_loglik"][1:],
        rtol=0,
        atol=1e-10 * scale,
    )
    assert np.isnan(est.history_["diff_loglik"][0])
    assert est.pi_ == est.history_["pi"][-1]
    assert est.loglik_ == est.history_["loglik"][-1]
    assert est.converged_


def test_seed_experiment_at_full_size():
    """The vignette's own run: 500,000 points, 0.8 N(0, 1) + 0.2 N(2, 1)."""
    X, _ = make_mixture(500_000, pi=0.8, random_state=1)
    est = TwoGaussianMixturePi().fit(X)
    table = pd.DataFrame(est.history_)

    # the seed: 19 rows (18 M-steps), pi -> 0.8006, loglik -> -825284.2 on R's sample
    assert list(table.columns) == ["iteration", "pi", "loglik", "diff_loglik"]
    assert 16 <= est.n_iter_ <= 20
    assert len(table) == est.n_iter_ + 1
    assert table["pi"].iloc[0] == 0.5
    assert abs(est.pi_ - 0.8) < 0.005
    assert abs(est.loglik_ - (-825_284.2)) < 2_000
    assert table["diff_loglik"].iloc[-1] < 1e-5 <= table["diff_loglik"].iloc[-2]
