"""KnownComponentsMixture on dask arrays (row chunks) and Array API arrays."""

import numpy as np
import pytest
from _known_reference import kkt_gap
from scipy.stats import norm
from sklearn import config_context

from skmix import KnownComponentsMixture

da = pytest.importorskip("dask.array")


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    comp = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    x = rng.normal(np.array([-3.0, 0.0, 2.0, 5.0])[comp], 1.0)
    means = [-3.0, 0.0, 2.0, 5.0, 9.0]  # the last is absent: weight 0
    A = norm.logpdf(x[:, None], means, 1.0)
    A[::97, 4] = -np.inf
    return x.reshape(-1, 1), A


@pytest.mark.parametrize("solver", ["em", "sqp"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dask_fit_equals_numpy(solver, weighted):
    _, A = _data()
    s = np.random.default_rng(1).uniform(0, 2, len(A)) if weighted else None
    ref = KnownComponentsMixture(solver=solver).fit(A, sample_weight=s)
    dA = da.from_array(A, chunks=(700, 5))
    ds = None if s is None else da.from_array(s, chunks=700)
    est = KnownComponentsMixture(solver=solver).fit(dA, sample_weight=ds)
    assert est.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(est.weights_, ref.weights_, rtol=1e-9, atol=1e-12)
    # NumPy's SQP prunes small weights after its EM warm-up (in the row of
    # the last EM step, 4), the chunked backends never prune: the paths part
    # there and meet at the maximum
    rows = [0, 1, 2, 3, -1] if solver == "sqp" else slice(None)
    np.testing.assert_allclose(
        est.history_["loglik"][rows], ref.history_["loglik"][rows], rtol=1e-12
    )
    np.testing.assert_allclose(est.weights_stderr_, ref.weights_stderr_, rtol=1e-6)
    if solver == "sqp":  # (EM only approaches the weight at 0)
        assert kkt_gap(A, est.weights_, s) <= 1e-8
    proba = est.predict_proba(dA)
    assert type(proba).__module__.startswith("dask")
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(A), rtol=1e-9)
    np.testing.assert_allclose(est.score_samples(dA).compute(), ref.score_samples(A))
    np.testing.assert_array_equal(est.predict(dA).compute(), ref.predict(A))
    np.testing.assert_allclose(est.score(dA), ref.score(A))


def test_dask_em_is_one_reduction_per_iteration(monkeypatch):
    import skmix._known_backends as backends

    calls = []
    original = backends._chunk_sums

    def counting(chunk, what, args):
        calls.append(what)
        return original(chunk, what, args)

    monkeypatch.setattr(backends, "_chunk_sums", counting)
    _, A = _data()
    est = KnownComponentsMixture(solver="em").fit(da.from_array(A, chunks=(500, 5)))
    n_chunks = 6
    # one start, one "step" per iteration (gain and next gradient), one for
    # the information at the end; each one task per chunk
    assert calls.count("step") == n_chunks * est.n_iter_
    assert calls.count("start") == n_chunks
    assert len(calls) == n_chunks * (est.n_iter_ + 2)


def test_dask_with_scipy_components_and_bad_values():
    X, A = _data()
    comps = [norm(m, 1.0) for m in (-3.0, 0.0, 2.0, 5.0)]
    ref = KnownComponentsMixture(comps).fit(X)
    est = KnownComponentsMixture(comps).fit(da.from_array(X, chunks=(800, 1)))
    np.testing.assert_allclose(est.weights_, ref.weights_, rtol=1e-9, atol=1e-12)
    bad = A.copy()
    bad[2100, 1] = np.nan
    with pytest.raises(ValueError, match="sample 2100"):
        KnownComponentsMixture().fit(da.from_array(bad, chunks=(700, 5)))
    bad = A.copy()
    bad[1500] = -np.inf
    with pytest.raises(ValueError, match="sample 1500"):
        KnownComponentsMixture().fit(da.from_array(bad, chunks=(700, 5)))


@pytest.mark.parametrize(
    ("bad", "match"),
    [(-1.0, "Negative"), (np.nan, "NaN"), (np.inf, "NaN or infinity")],
)
def test_dask_bad_sample_weight_raises(bad, match):
    # checked on the workers as TwoGaussianMixturePi's dask weights are (a
    # negative weight used to be taken as it was)
    _, A = _data()
    s = np.ones(len(A))
    s[2200] = bad
    with pytest.raises(ValueError, match=match):
        KnownComponentsMixture().fit(
            da.from_array(A, chunks=(700, 5)), sample_weight=da.from_array(s, 700)
        )
    with pytest.raises(ValueError, match="2999 values, but X has 3000 samples"):
        KnownComponentsMixture().fit(
            da.from_array(A, chunks=(700, 5)), sample_weight=s[1:]
        )


def test_array_api_strict_precomputed():
    xp = pytest.importorskip("array_api_strict")
    _, A = _data()
    s = np.random.default_rng(2).uniform(0.5, 2, len(A))
    for solver in ("em", "sqp"):
        ref = KnownComponentsMixture(solver=solver).fit(A, sample_weight=s)
        X = xp.asarray(A)
        with config_context(array_api_dispatch=True):
            est = KnownComponentsMixture(solver=solver).fit(
                X, sample_weight=xp.asarray(s)
            )
            proba = est.predict_proba(X)
            log_density = est.score_samples(X)
            ci = est.confidence_interval(method="wald")
            profile = est.confidence_interval(X=X, sample_weight=xp.asarray(s))
        assert type(est.weights_).__module__.startswith("array_api_strict")
        assert type(proba).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(np.asarray(est.weights_), ref.weights_, atol=1e-12)
        np.testing.assert_allclose(np.asarray(proba), ref.predict_proba(A), rtol=1e-9)
        np.testing.assert_allclose(np.asarray(log_density), ref.score_samples(A))
        np.testing.assert_allclose(
            np.asarray(ci), ref.confidence_interval(method="wald"), rtol=1e-6
        )
        np.testing.assert_allclose(
            np.asarray(profile),
            ref.confidence_interval(X=A, sample_weight=s),
            rtol=1e-6,
        )
        assert est.n_iter_ == ref.n_iter_


def test_dask_on_a_distributed_cluster():
    distributed = pytest.importorskip("distributed")
    _, A = _data(2000)
    ref = KnownComponentsMixture().fit(A)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        est = KnownComponentsMixture().fit(da.from_array(A, chunks=(500, 5)))
        proba = est.predict_proba(da.from_array(A, chunks=(500, 5))).compute()
    np.testing.assert_allclose(est.weights_, ref.weights_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(proba, ref.predict_proba(A), rtol=1e-9)
    assert kkt_gap(A, est.weights_) <= 1e-8
