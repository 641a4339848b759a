"""Compare the fits of two skmix trees, bit for bit (a refactoring check).

Runs a grid of fits (TwoGaussianMixturePi EM/Newton, weighted or not, NumPy,
dask and array-api-strict input, warm start, partial_fit;
KnownComponentsMixture EM/SQP on scipy components, precomputed, dask and
array-api-strict input, with and without weights, warm start;
PriorShiftAdapter) in one subprocess per tree and compares what they return:
``history_``, the fitted attributes, intervals, predictions, the warnings'
and errors' texts.

    python benchmarks/compare_fits.py /work/main .    # old tree, new tree

Each tree runs with ``PYTHONPATH=<tree>``. Differences are printed with the
largest absolute difference; the exit status is 1 if any value differs by more
than ``--atol`` (default 0: bit-identical).
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import warnings

import numpy as np


def _host(a):
    if hasattr(a, "__array_namespace__") and not isinstance(a, np.ndarray):
        import array_api_strict as xp

        return np.asarray(xp.asarray(a, device=xp.Device("CPU_DEVICE")))
    if hasattr(a, "compute"):
        return np.asarray(a.compute())
    return a


def _record(fn):
    """``fn()``'s value (or its error), with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as exc:  # recorded and compared
            value = ("error", type(exc).__name__, str(exc))
    return value, [(w.category.__name__, str(w.message)) for w in caught]


def _state(est, X_new):
    out = {}
    for name in (
        "pi_",
        "weights_",
        "pi_stderr_",
        "weights_stderr_",
        "loglik_",
        "n_iter_",
        "converged_",
        "kkt_gap_",
    ):
        if hasattr(est, name):
            out[name] = _host(getattr(est, name))
    out["history_"] = {k: np.asarray(v) for k, v in est.history_.items()}
    out["ci"] = _record(lambda: _host(_wald(est, 0.05)))
    out["ci_bad_alpha"] = _record(lambda: _wald(est, 0.5))
    for method in ("predict_proba", "score_samples", "predict"):
        out[method] = _host(getattr(est, method)(X_new))
    return out


def _wald(est, alpha):
    """Wald intervals in any tree (before issue 17 they were the only kind
    for K weights; since then profile intervals are the default)."""
    try:
        return est.confidence_interval(alpha, method="wald")
    except TypeError:
        return est.confidence_interval(alpha)


def run_grid():
    import array_api_strict as xp
    import dask.array as da
    import sklearn
    from scipy.stats import norm
    from sklearn.linear_model import LogisticRegression

    from skmix import (
        KnownComponentsMixture,
        PriorShiftAdapter,
        TwoGaussianMixturePi,
        make_mixture,
    )

    results = {}
    rng = np.random.default_rng(0)
    X, _ = make_mixture(20_000, pi=0.3, means=(0.0, 1.5), random_state=0)
    w = rng.uniform(0.2, 3.0, X.shape[0])
    X_new = np.linspace(-3, 4, 7).reshape(-1, 1)
    # TwoGaussianMixturePi
    for solver in ("em", "newton"):
        for weighted in (False, True):
            sw = w if weighted else None
            for backend in ("numpy", "dask", "array_api"):
                key = ("two", solver, weighted, backend)

                def fit(solver=solver, sw=sw, backend=backend):
                    est = TwoGaussianMixturePi(means=(0.0, 1.5), solver=solver)
                    if backend == "numpy":
                        return est.fit(X, sample_weight=sw), X_new
                    if backend == "dask":
                        Xd = da.from_array(X, chunks=(5000, 1))
                        swd = None if sw is None else da.from_array(sw, chunks=5000)
                        return est.fit(Xd, sample_weight=swd), X_new
                    with sklearn.config_context(array_api_dispatch=True):
                        fitted = est.fit(
                            xp.asarray(X),
                            sample_weight=None if sw is None else xp.asarray(sw),
                        )
                    return fitted, X_new

                value, warns = _record(fit)
                if value[0] == "error":
                    results[key] = (value, warns)
                    continue
                est, Xn = value
                results[key] = (_state(est, Xn), warns)
            # max_iter reached: the ConvergenceWarning
            est, warns = _record(
                lambda solver=solver: TwoGaussianMixturePi(
                    means=(0.0, 1.5), solver=solver, max_iter=2, tol=0.0
                ).fit(X)
            )
            results[("two-maxiter", solver)] = (est.history_, warns)
            # warm start and partial_fit
            est = TwoGaussianMixturePi(means=(0.0, 1.5), solver=solver, warm_start=True)
            est.fit(X[:5000])
            est.fit(X)
            results[("two-warm", solver)] = (_state(est, X_new), [])
            est = TwoGaussianMixturePi(means=(0.0, 1.5), solver=solver)
            for batch in (X[:7000], X[7000:]):
                est.partial_fit(batch)
            results[("two-partial", solver)] = (_state(est, X_new), [])
    # profile interval
    est = TwoGaussianMixturePi(means=(0.0, 1.5)).fit(X)
    results["two-profile"] = (
        est.confidence_interval(0.1, method="profile"),
        est.confidence_interval(0.1, method="wald"),
    )

    # KnownComponentsMixture
    comps = [norm(-2, 1), norm(0, 1), norm(0.5, 1.2), norm(3, 1)]
    Xk = np.concatenate(
        [rng.normal(-2, 1, 3000), rng.normal(0, 1, 1500), rng.normal(3, 1, 500)]
    ).reshape(-1, 1)
    wk = rng.uniform(0.5, 2.0, Xk.shape[0])
    A = np.column_stack([c.logpdf(Xk[:, 0]) for c in comps])
    Xk_new = np.linspace(-3, 4, 7).reshape(-1, 1)
    A_new = np.column_stack([c.logpdf(Xk_new[:, 0]) for c in comps])
    for solver in ("em", "sqp"):
        for weighted in (False, True):
            sw = wk if weighted else None
            for backend in ("components", "precomputed", "dask", "array_api"):
                key = ("known", solver, weighted, backend)

                def fitk(solver=solver, sw=sw, backend=backend):
                    if backend == "components":
                        est = KnownComponentsMixture(comps, solver=solver)
                        return est.fit(Xk, sample_weight=sw), Xk_new
                    est = KnownComponentsMixture("precomputed", solver=solver)
                    if backend == "precomputed":
                        return est.fit(A, sample_weight=sw), A_new
                    if backend == "dask":
                        Ad = da.from_array(A, chunks=(1500, 4))
                        swd = None if sw is None else da.from_array(sw, chunks=1500)
                        return est.fit(Ad, sample_weight=swd), A_new
                    with sklearn.config_context(array_api_dispatch=True):
                        est.fit(
                            xp.asarray(A),
                            sample_weight=None if sw is None else xp.asarray(sw),
                        )
                    return est, A_new

                value, warns = _record(fitk)
                if value[0] == "error":
                    results[key] = (value, warns)
                    continue
                est, Xn = value
                if backend == "array_api":
                    with sklearn.config_context(array_api_dispatch=True):
                        state = _state(est, xp.asarray(Xn))
                else:
                    state = _state(est, Xn)
                results[key] = (state, warns)
        est, warns = _record(
            lambda solver=solver: KnownComponentsMixture(
                comps, solver=solver, max_iter=2, tol=0.0
            ).fit(Xk)
        )
        results[("known-maxiter", solver)] = (est.history_, warns)
        est = KnownComponentsMixture(comps, solver=solver, warm_start=True)
        est.fit(Xk[:2000])
        est.fit(Xk)
        results[("known-warm", solver)] = (_state(est, Xk_new), [])

    # PriorShiftAdapter
    means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    y = rng.integers(0, 3, 3000)
    Xs = means[y] + rng.normal(size=(3000, 2))
    yt = rng.choice(3, 800, p=[0.7, 0.2, 0.1])
    Xt = means[yt] + rng.normal(size=(800, 2))
    for solver in ("sqp", "em"):
        ad = PriorShiftAdapter(LogisticRegression(), solver=solver).fit(Xs, y)
        ad.adapt(Xt)
        results[("shift", solver)] = (
            ad.priors_,
            ad.priors_stderr_,
            ad.n_iter_,
            ad.mixture_.history_,
            _wald(ad, 0.05),
            ad.predict_proba(Xt[:5]),
        )
    return results


def _compare(a, b, path, atol, out):
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            out.append((path, "keys", list(a), list(b)))
        for k in a:
            if k in b:
                _compare(a[k], b[k], f"{path}/{k}", atol, out)
        return
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) != len(b):
            out.append((path, "length", len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _compare(x, y, f"{path}[{i}]", atol, out)
        return
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        if a != b:
            out.append((path, "value", a, b))
        return
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
        out.append((path, "shape/dtype", (x.shape, x.dtype), (y.shape, y.dtype)))
        return
    if x.dtype.kind in "fc":
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        if not same.all():
            with np.errstate(invalid="ignore"):
                d = float(np.nanmax(np.abs(x - y)))
            if not d <= atol:
                out.append((path, "max |diff|", d, None))
    elif not np.array_equal(x, y):
        out.append((path, "value", x, y))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--atol", type=float, default=0.0)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        with open(args.dump, "wb") as f:
            pickle.dump(run_grid(), f)
        return 0
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        for tree in (args.old, args.new):
            out = os.path.join(tmp, f"{len(res)}.pkl")
            env = dict(
                os.environ, PYTHONPATH=os.path.abspath(tree), SCIPY_ARRAY_API="1"
            )
            subprocess.run(
                [sys.executable, __file__, "x", "x", "--dump", out],
                env=env,
                check=True,
                cwd=tmp,
            )
            with open(out, "rb") as f:
                res.append(pickle.load(f))
    old, new = res
    diffs = []
    if set(old) != set(new):
        diffs.append(("", "cases", sorted(map(str, old)), sorted(map(str, new))))
    for key in old:
        if key in new:
            _compare(old[key], new[key], str(key), args.atol, diffs)
    for d in diffs:
        print(*d)
    print(f"{len(old)} cases, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
