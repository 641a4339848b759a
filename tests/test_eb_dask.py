"""EmpiricalBayesNormalMeans on dask arrays: the same fit (certified by the
same KKT conditions) and a lazy posterior equal to the NumPy one."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from skmix import EmpiricalBayesNormalMeans  # noqa: E402


def data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    theta = np.where(rng.random(n) < 0.6, 0.0, rng.normal(0, 2, n))
    s = rng.uniform(0.5, 2.0, n)
    return theta + s * rng.normal(size=n), s


@pytest.mark.parametrize("null_weight", [None, 5.0])
def test_dask_fit_and_posterior_match_numpy(null_weight):
    x, s = data()
    ref = EmpiricalBayesNormalMeans(null_weight=null_weight).fit(x, s=s)
    X = da.from_array(np.column_stack([x, s]), chunks=(700, 2))
    est = EmpiricalBayesNormalMeans(null_weight=null_weight).fit(X)
    np.testing.assert_allclose(est.prior_grid_, ref.prior_grid_, rtol=1e-12)
    assert est.kkt_gap_ <= 1e-8 and est.converged_
    # two maxima of one concave problem
    assert est.loglik_ == pytest.approx(ref.loglik_, rel=1e-10)
    np.testing.assert_allclose(est.prior_weights_, ref.prior_weights_, atol=1e-5)
    table = est.posterior(X)  # lazy: a dask DataFrame, or dict of dask arrays
    want = est.posterior(x, s=s)
    columns = table.columns if hasattr(table, "columns") else list(table)
    assert len(columns) == 7
    for c in columns:
        assert hasattr(table[c], "dask")
        got = np.asarray(table[c].compute())
        np.testing.assert_allclose(got, want[c].to_numpy(), rtol=1e-12)
    mean = est.transform(X)
    assert mean.shape == (3000, 1)
    np.testing.assert_allclose(mean.compute(), est.transform(x, s=s), rtol=1e-13)


def test_dask_s_checked_in_chunks():
    x, s = data(100)
    s[57] = -1.0
    with pytest.raises(ValueError, match=r"s\[57\] = -1.0"):
        EmpiricalBayesNormalMeans().fit(
            da.from_array(x, chunks=30), s=da.from_array(s, chunks=30)
        )
