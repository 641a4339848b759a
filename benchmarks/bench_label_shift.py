"""Label shift: PriorShiftAdapter against QuaPy's EMQ, CC, ACC/BBSE and plain EM.

For each data set that scikit-learn ships (digits: 10 classes; breast cancer:
2) the data are split in half, stratified: a source (training) half, with the
data set's own class priors, and a target pool. For each classifier
(LogisticRegression in a StandardScaler pipeline, HistGradientBoosting,
RandomForest) the adapter is fitted once on the source half (classifier on
all of it, BCTS on 5-fold out-of-fold predictions). Then, ``--repeats``
times for each target size n and Dirichlet concentration alpha, target
priors are drawn from Dirichlet(alpha, ..., alpha), class counts from the
multinomial, and that many samples of each class from the target pool (with
replacement, as the pool is small). Every method sees the same target
samples and the same classifier:

- ``ours``: ``PriorShiftAdapter`` (BCTS, the default SQP solver);
- ``ours_nocal``: the same classifier without calibration (``calibration=None``);
- ``emq_bcts``: QuaPy's EMQ with BCTS (``EMQ.EMQ_BCTS``'s settings:
  abstention's BCTS, prevalence from the calibrated posteriors), fitted on the
  *same* out-of-fold predictions (``aggregation_fit``), so that only the
  calibration and EM implementations differ; the probabilities QuaPy sees are
  floored like ours (``(p + 1e-12) / (1 + K 1e-12)``), since abstention takes
  ``log(p)`` and fails on the exact zeros of trees;
- ``emq_bcts_conv``: the same as ``emq_bcts`` (the same BCTS, the same
  posteriors), but with QuaPy's EM run to convergence: ``EMQ.EM`` stops when
  the prevalence estimate moves by less than ``epsilon`` in mean absolute
  value, 1e-4 by default; here ``epsilon=1e-12``, with ``EMQ.MAX_ITER``
  raised from 1000 to 100,000 (never reached in the runs reported);
- ``emq_ourcal_conv``: QuaPy's EM run to convergence in the same way, on
  *our* calibrated posteriors and source priors: the very likelihood that
  ``ours`` maximises, so that only the solver differs (SQP against EM);
- ``emq``: QuaPy's EMQ without calibration (the SLD algorithm);
- ``cc``: classify and count; ``acc``: adjusted classify and count / BBSE
  (hard confusion matrix from the out-of-fold predictions, solved by least
  squares, clipped to >= 0 and normalised).

Reported: the mean absolute error of the estimated priors against the
realised class frequencies of the target sample, and the accuracy and
log-loss of the adapted predictions (``unadapted``: the calibrated
classifier without adaptation); paired differences against ``ours`` with
their standard errors (standard deviation / sqrt(repeats)); the Monte Carlo
standard error of each method's MAE (``mae_se``, also standard deviation /
sqrt(repeats)); the largest absolute difference between the priors of
``ours`` and of each QuaPy EM (``prior_gap_max``, over classes and
repetitions); and the coverage of ``ours``'s 95% intervals of the priors the
target was drawn with (all classes pooled; the intervals are conditional on
the fitted classifier).

The log-loss clips the posterior of the true class at 1e-15. As the
maximum-likelihood priors can be exactly 0 (and so the adapted posteriors),
``ours`` also reports ``n_zero_priors`` (priors exactly 0) and every method
with predictions ``n_clipped`` (samples whose true class has a posterior
below 1e-15) and ``logloss_excl``, the log-loss over the samples *not*
clipped for ``ours`` (the same samples for every method, so it pairs).

QuaPy is optional (``pip install quapy``; its columns are left out without
it). ``--coverage-simulation`` runs instead a simulation of the intervals'
coverage where the class-conditionals are known (Gaussian classes; the exact
posteriors, and a LogisticRegression with BCTS), ``--repeats`` times per
setting. Run ``python benchmarks/bench_label_shift.py`` (100 repetitions, about
10 minutes on 2 cores), ``--repeats 20`` for a quicker run, ``--json FILE``
to keep the numbers, ``--markdown`` for README tables.
"""

import argparse
import copy
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmix
from skmix import PriorShiftAdapter
from skmix._calibration import calibration_loss, proba_to_logits

try:  # optional reference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import quapy
        from quapy.method.aggregative import EMQ
except ImportError:  # pragma: no cover - depends on the environment
    quapy = None

DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer}
MODELS = {
    "lr": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
    "rf": lambda: RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1),
}
EPS = 1e-12  # the floor of skmix._calibration.proba_to_logits
CLIP = 1e-15  # the floor of the posterior in the log-loss
QUAPY_METHODS = ("emq_bcts", "emq_bcts_conv", "emq_ourcal_conv", "emq")
CONV_EPSILON = 1e-12  # QuaPy's EM run to convergence: its stopping threshold
CONV_MAX_ITER = 100_000  # and its iteration limit (EMQ.MAX_ITER is 1000)


def acc_bbse(confusion, cc):
    """Adjusted classify and count: solve confusion @ p = cc, p on the simplex
    by clipping (confusion[i, j] = P(predicted i | true j))."""
    p = np.linalg.lstsq(confusion, cc, rcond=None)[0]
    p = np.clip(p, 0.0, None)
    return p / p.sum() if p.sum() > 0 else np.full_like(cc, 1.0 / cc.size)


def log_loss_of(y_index, proba, keep=None):
    """Mean log-loss, the posterior of the true class clipped at 1e-15;
    over the samples where ``keep`` is true if given."""
    p = proba[np.arange(len(y_index)), y_index]
    if keep is not None:
        p = p[keep]
    return float(-np.mean(np.log(np.maximum(p, CLIP))))


def true_class_proba(y_index, proba):
    return proba[np.arange(len(y_index)), y_index]


def quapy_em(tr_prev, posteriors, converge=False):
    """QuaPy's ``EMQ.EM``: its own stopping rule, or run to convergence
    (``epsilon=1e-12`` and ``EMQ.MAX_ITER`` raised, restored afterwards)."""
    if not converge:
        return EMQ.EM(tr_prev, posteriors)
    max_iter = EMQ.MAX_ITER  # EM reads the class attribute EMQ.MAX_ITER
    EMQ.MAX_ITER = CONV_MAX_ITER
    try:
        return EMQ.EM(tr_prev, posteriors, epsilon=CONV_EPSILON)
    finally:
        EMQ.MAX_ITER = max_iter


def floored(proba):
    return (proba + EPS) / (1.0 + proba.shape[1] * EPS)


def prepare(dataset, model_name, seed):
    """Split, fit the adapter and the references' ingredients (once)."""
    X, y = DATASETS[dataset](return_X_y=True)
    X_src, X_pool, y_src, y_pool = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    model = MODELS[model_name]()
    t0 = time.perf_counter()
    ours = PriorShiftAdapter(model, cv=5).fit(X_src, y_src)
    fit_seconds = time.perf_counter() - t0
    unadapted = copy.deepcopy(ours)  # never adapted: the source priors
    # the same classifier, uncalibrated (source priors from y_src)
    nocal = PriorShiftAdapter(FrozenEstimator(ours.estimator_), calibration=None)
    nocal.fit(X_src, y_src)
    classes = ours.classes_
    K = classes.size
    y_src_i = np.searchsorted(classes, y_src)
    # the out-of-fold predictions the adapter's calibration was fitted on
    oof = cross_val_predict(
        clone(model), X_src, y_src, cv=StratifiedKFold(5), method="predict_proba"
    )
    confusion = np.zeros((K, K))
    np.add.at(confusion, (oof.argmax(axis=1), y_src_i), 1.0)
    confusion /= confusion.sum(axis=0, keepdims=True)
    refs = {"confusion": confusion}
    if quapy is not None:
        emq_bcts = EMQ(
            classifier=ours.estimator_,
            fit_classifier=False,
            val_split=None,
            exact_train_prev=False,
            calib="bcts",
        )
        with warnings.catch_warnings():
            # "calib requires val_split": the predictions are given below
            warnings.simplefilter("ignore", UserWarning)
            emq_bcts.aggregation_fit(floored(oof), y_src)
        emq = EMQ(classifier=ours.estimator_, fit_classifier=False)
        emq.train_prevalence = np.bincount(y_src_i, minlength=K) / len(y_src_i)
        refs.update(emq_bcts=emq_bcts, emq_bcts_conv=emq_bcts, emq=emq)
        # both BCTS fits, scored on the same objective (the mean negative
        # log-likelihood of the out-of-fold labels)
        cal = emq_bcts.calibration_function
        contents = [c.cell_contents for c in cal.__closure__]
        cells = dict(zip(cal.__code__.co_freevars, contents, strict=True))
        logits = proba_to_logits(oof)
        refs["calibration_loss"] = {
            "ours": calibration_loss(
                logits, y_src_i, ours.inv_temperature_, ours.class_bias_
            ),
            "abstention": calibration_loss(
                logits, y_src_i, 1.0 / cells["optimal_t"], cells["biases"]
            ),
        }
    pool_proba = ours.estimator_.predict_proba(X_pool)
    return {
        "X_pool": X_pool,
        "y_pool_i": np.searchsorted(classes, y_pool),
        "pool_proba": pool_proba,
        "ours": ours,
        "nocal": nocal,
        "unadapted": unadapted,
        "refs": refs,
        "K": K,
        "fit_seconds": fit_seconds,
        "inv_temperature": ours.inv_temperature_,
        "calibration_loss": refs.get("calibration_loss"),
    }


def draw_target(prep, n, alpha, rng):
    K = prep["K"]
    priors = rng.dirichlet(np.full(K, alpha))
    counts = rng.multinomial(n, priors)
    idx = np.concatenate(
        [
            rng.choice(np.flatnonzero(prep["y_pool_i"] == k), c, replace=True)
            for k, c in enumerate(counts)
            if c > 0
        ]
    )
    return idx, counts / n, priors


def one_repetition(prep, idx, truth, priors):
    """Prior MAE, accuracy and log-loss of every method on one target sample."""
    X, y_i = prep["X_pool"][idx], prep["y_pool_i"][idx]
    raw = prep["pool_proba"][idx]
    out = {}
    ours, nocal = prep["ours"], prep["nocal"]
    unadapted = prep["unadapted"].predict_proba(X)
    out["unadapted"] = {"acc": float(np.mean(unadapted.argmax(1) == y_i))}
    out["unadapted"]["logloss"] = log_loss_of(y_i, unadapted)
    keep = None  # the samples whose true class ours does not give < 1e-15
    for name, adapter in (("ours", ours), ("ours_nocal", nocal)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            adapter.adapt(X)
        proba = adapter.predict_proba(X)
        p_true = true_class_proba(y_i, proba)
        if name == "ours":
            keep = p_true >= CLIP
        out[name] = {
            "mae": float(np.mean(np.abs(adapter.priors_ - truth))),
            "acc": float(np.mean(proba.argmax(1) == y_i)),
            "logloss": log_loss_of(y_i, proba),
            "logloss_excl": log_loss_of(y_i, proba, keep),
            "n_clipped": int(np.sum(p_true < CLIP)),
            "n_iter": int(adapter.n_iter_),
            "warned": len(caught) > 0,
        }
        if name == "ours":
            out[name]["n_zero_priors"] = int(np.sum(adapter.priors_ == 0))
            out[name]["n_zero_proba"] = int(np.sum(p_true == 0))
            # the intervals are for the priors the target was drawn with (the
            # realised frequencies vary around them multinomially)
            low, high = adapter.confidence_interval(0.05, X=X).T
            out[name]["covered"] = float(np.mean((low <= priors) & (priors <= high)))
    K = prep["K"]
    cc = np.bincount(raw.argmax(1), minlength=K) / len(idx)
    out["cc"] = {"mae": float(np.mean(np.abs(cc - truth)))}
    acc = acc_bbse(prep["refs"]["confusion"], cc)
    out["acc"] = {"mae": float(np.mean(np.abs(acc - truth)))}
    refs = prep["refs"]
    for name in QUAPY_METHODS:
        if name == "emq_ourcal_conv":
            if "emq" not in refs:
                continue
            # our calibrated posteriors and source priors: our likelihood
            tr_prev, posteriors = ours.source_priors_, unadapted
        elif name in refs:
            emq = refs[name]
            tr_prev = emq.train_prevalence
            posteriors = emq._calibrate_if_requested(floored(raw))
        else:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            q, proba = quapy_em(tr_prev, posteriors, converge=name.endswith("_conv"))
        out[name] = {
            "mae": float(np.mean(np.abs(q - truth))),
            "prior_gap": float(np.max(np.abs(q - ours.priors_))),
            "acc": float(np.mean(proba.argmax(1) == y_i)),
            "logloss": log_loss_of(y_i, proba),
            "logloss_excl": log_loss_of(y_i, proba, keep),
            "n_clipped": int(np.sum(true_class_proba(y_i, proba) < CLIP)),
            "warned": len(caught) > 0,
        }
    return out


def summarise(reps):
    """Means, and paired differences against ours with standard errors."""
    methods = reps[0].keys()
    summary = {}
    r = len(reps)
    for m in methods:
        summary[m] = {}
        for metric in reps[0][m]:
            values = np.array([rep[m][metric] for rep in reps], dtype=float)
            summary[m][metric] = float(values.mean())
            if metric == "mae":  # Monte Carlo standard error of the mean
                sd = values.std(ddof=1) if r > 1 else float("nan")
                summary[m]["mae_se"] = float(sd / np.sqrt(r))
            if metric == "prior_gap":
                summary[m]["prior_gap_max"] = float(values.max())
            if metric.startswith("n_"):
                summary[m][f"{metric}_total"] = int(values.sum())
            if m != "ours" and metric in ("mae", "acc", "logloss", "logloss_excl"):
                ours = np.array([rep["ours"][metric] for rep in reps], dtype=float)
                diff = ours - values
                se = float(diff.std(ddof=1) / np.sqrt(r)) if r > 1 else float("nan")
                summary[m][f"ours_minus_{metric}"] = float(diff.mean())
                summary[m][f"ours_minus_{metric}_se"] = se
    return summary


def run(datasets, models, sizes, alphas, repeats, seed=0, verbose=True):
    rows = []
    for dataset in datasets:
        for model_name in models:
            prep = prepare(dataset, model_name, seed)
            for n in sizes:
                for alpha in alphas:
                    rng = np.random.default_rng([seed, n, int(alpha * 1000)])
                    t0 = time.perf_counter()
                    reps = [
                        one_repetition(prep, *draw_target(prep, n, alpha, rng))
                        for _ in range(repeats)
                    ]
                    row = {
                        "dataset": dataset,
                        "model": model_name,
                        "n": n,
                        "alpha": alpha,
                        "repeats": repeats,
                        "n_classes": prep["K"],
                        "inv_temperature": prep["inv_temperature"],
                        "calibration_loss": prep["calibration_loss"],
                        "fit_seconds": prep["fit_seconds"],
                        "seconds": time.perf_counter() - t0,
                        "summary": summarise(reps),
                    }
                    rows.append(row)
                    if verbose:
                        print_row(row)
    return rows


def _fmt_diff(s, m, metric, scale=1.0, digits=3):
    if m not in s or f"ours_minus_{metric}" not in s[m]:
        return "-"
    d = s[m][f"ours_minus_{metric}"] * scale
    se = s[m][f"ours_minus_{metric}_se"] * scale
    return f"{d:+.{digits}f} ± {se:.{digits}f}"


def _fmt_diff_e(s, m, metric):
    """A paired difference and its standard error, absolute, in e-notation."""
    if m not in s or f"ours_minus_{metric}" not in s[m]:
        return "-"
    return (
        f"{s[m][f'ours_minus_{metric}']:+.1e} ± {s[m][f'ours_minus_{metric}_se']:.1e}"
    )


def print_row(row):
    s = row["summary"]

    def mae(m):
        return f"{100 * s[m]['mae']:.2f}" if m in s else "-"

    print(
        f"{row['dataset']:>13} {row['model']:>3} n={row['n']:<5} a={row['alpha']:<4}"
        f" MAE x100: ours {mae('ours')} emq_bcts {mae('emq_bcts')} "
        f"nocal {mae('ours_nocal')} emq {mae('emq')} cc {mae('cc')} acc {mae('acc')}"
        f" | ours-emq_bcts {_fmt_diff_e(s, 'emq_bcts', 'mae')}"
        f" ours-emq_bcts_conv {_fmt_diff_e(s, 'emq_bcts_conv', 'mae')}"
        f" | ours-nocal {_fmt_diff(s, 'ours_nocal', 'mae', 100)}"
        f" | acc% unadapted {100 * s['unadapted']['acc']:.1f}"
        f" ours {100 * s['ours']['acc']:.1f}"
        f" | coverage {s['ours']['covered']:.2f} ({row['seconds']:.1f} s)",
        flush=True,
    )


def markdown(rows):
    """Two README tables: prior error, then the adapted predictions."""
    lines = [
        "| data | model | n | alpha | ours | QuaPy EMQ-BCTS | ours - EMQ-BCTS | "
        "ours, no calibration | ours - no cal. | QuaPy EMQ (no cal.) | CC | ACC/BBSE |"
        " 95% CI coverage |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row["summary"]

        def mae(m, s=s):
            return f"{100 * s[m]['mae']:.3f}" if m in s else "-"

        lines.append(
            f"| {row['dataset']} | {row['model']} | {row['n']} | {row['alpha']} | "
            f"{mae('ours')} | {mae('emq_bcts')} | "
            f"{_fmt_diff(s, 'emq_bcts', 'mae', 100)} | {mae('ours_nocal')} | "
            f"{_fmt_diff(s, 'ours_nocal', 'mae', 100)} | {mae('emq')} | "
            f"{mae('cc')} | {mae('acc')} | {s['ours']['covered']:.2f} |"
        )
    lines += [
        "",
        "| data | model | n | alpha | accuracy: unadapted | ours | EMQ-BCTS |"
        " no cal. | log-loss: unadapted | ours | ours - EMQ-BCTS | no cal. |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row["summary"]

        def acc(m, s=s):
            return f"{100 * s[m]['acc']:.1f}" if m in s else "-"

        def ll(m, s=s):
            return f"{s[m]['logloss']:.3f}" if m in s else "-"

        lines.append(
            f"| {row['dataset']} | {row['model']} | {row['n']} | {row['alpha']} | "
            f"{acc('unadapted')} | {acc('ours')} | {acc('emq_bcts')} | "
            f"{acc('ours_nocal')} | {ll('unadapted')} | {ll('ours')} | "
            f"{_fmt_diff(s, 'emq_bcts', 'logloss', digits=4)} | {ll('ours_nocal')} |"
        )
    if not any("emq_bcts_conv" in row["summary"] for row in rows):
        return "\n".join(lines)
    lines += [
        "",
        "| data | model | n | alpha | ours | EMQ-BCTS | EMQ-BCTS, converged |"
        " ours - EMQ-BCTS | ours - EMQ-BCTS, converged |"
        " max abs. prior diff., ours vs converged |"
        " max abs. prior diff., ours vs EM on our posteriors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row["summary"]

        def mae_se(m, s=s):
            return f"{100 * s[m]['mae']:.3f} ± {100 * s[m]['mae_se']:.3f}"

        lines.append(
            f"| {row['dataset']} | {row['model']} | {row['n']} | {row['alpha']} | "
            f"{mae_se('ours')} | {mae_se('emq_bcts')} | {mae_se('emq_bcts_conv')} | "
            f"{_fmt_diff_e(s, 'emq_bcts', 'mae')} | "
            f"{_fmt_diff_e(s, 'emq_bcts_conv', 'mae')} | "
            f"{s['emq_bcts_conv']['prior_gap_max']:.1e} | "
            f"{s['emq_ourcal_conv']['prior_gap_max']:.1e} |"
        )
    lines += [
        "",
        "| data | model | n | alpha | priors exactly 0 (ours) |"
        " samples clipped: ours / EMQ-BCTS / converged |"
        " log-loss: ours - EMQ-BCTS | ours - EMQ-BCTS, converged |"
        " ours - EMQ-BCTS, clipped left out | ours - converged, clipped left out |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row["summary"]
        r, K = row["repeats"], row.get("n_classes", "K")
        clipped = " / ".join(
            str(s[m]["n_clipped_total"]) for m in ("ours", "emq_bcts", "emq_bcts_conv")
        )
        lines.append(
            f"| {row['dataset']} | {row['model']} | {row['n']} | {row['alpha']} | "
            f"{s['ours']['n_zero_priors_total']} of {r * K} | {clipped} | "
            f"{_fmt_diff(s, 'emq_bcts', 'logloss', digits=4)} | "
            f"{_fmt_diff(s, 'emq_bcts_conv', 'logloss', digits=4)} | "
            f"{_fmt_diff(s, 'emq_bcts', 'logloss_excl', digits=4)} | "
            f"{_fmt_diff(s, 'emq_bcts_conv', 'logloss_excl', digits=4)} |"
        )
    return "\n".join(lines)


MEANS = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])


def _gaussian_classes(n, priors, rng):
    y = rng.choice(len(priors), size=n, p=priors)
    return MEANS[y] + rng.standard_normal((n, 2)), y


class _ExactPosterior(ClassifierMixin, BaseEstimator):
    """The Bayes posteriors of the Gaussian classes under balanced priors."""

    def fit(self, X, y):
        self.classes_ = np.arange(3)
        return self

    def predict_proba(self, X):
        log_joint = -0.5 * ((X[:, None, :] - MEANS[None]) ** 2).sum(axis=2)
        log_joint -= log_joint.max(axis=1, keepdims=True)
        p = np.exp(log_joint)
        return p / p.sum(axis=1, keepdims=True)


def coverage_simulation(repeats, sizes=(200, 1000, 5000), seed=0, alpha=0.05):
    """Coverage of the intervals where the class-conditionals are known:
    three Gaussian classes N(mean_k, I) in 2-D, balanced source of 20,001,
    target priors (0.5, 0.3, 0.2), (0.8, 0.15, 0.05) and (0.6, 0.4, 0) (a
    class absent from the target: the interval's one-sided case at 0). Two
    classifiers:
    the exact posteriors (no calibration: the model is exactly right) and a
    LogisticRegression with BCTS (the usual case)."""
    rng = np.random.default_rng(seed)
    y_src = np.repeat(np.arange(3), 6667)  # exactly balanced, as the posteriors
    X_src = MEANS[y_src] + rng.standard_normal((y_src.size, 2))
    frozen = FrozenEstimator(_ExactPosterior().fit(X_src, y_src))
    exact = PriorShiftAdapter(frozen, calibration=None)
    exact.fit(X_src, y_src)
    lr = PriorShiftAdapter(LogisticRegression()).fit(X_src, y_src)
    rows = []
    for priors in ([0.5, 0.3, 0.2], [0.8, 0.15, 0.05], [0.6, 0.4, 0.0]):
        priors = np.array(priors)
        for n in sizes:
            for name, adapter in (("exact", exact), ("lr_bcts", lr)):
                est, se, hit, width = [], [], [], []
                for _ in range(repeats):
                    X, _ = _gaussian_classes(n, priors, rng)
                    adapter.adapt(X)
                    low, high = adapter.confidence_interval(alpha, X=X).T
                    est.append(adapter.priors_)
                    se.append(adapter.priors_stderr_)
                    hit.append((low <= priors) & (priors <= high))
                    width.append(high - low)
                est = np.array(est)
                row = {
                    "classifier": name,
                    "n": n,
                    "priors": priors.tolist(),
                    "repeats": repeats,
                    "coverage": np.mean(hit, axis=0).tolist(),
                    "mean_width": np.mean(width, axis=0).tolist(),
                    "sd_of_estimates": est.std(axis=0, ddof=1).tolist(),
                    "mean_stderr": np.mean(se, axis=0).tolist(),
                    "bias": (est.mean(axis=0) - priors).tolist(),
                }
                rows.append(row)
                ratio = np.divide(row["sd_of_estimates"], row["mean_stderr"])
                print(
                    f"{name:>8} n={n:<5} priors {priors} coverage "
                    f"{np.round(row['coverage'], 3)} sd/se {np.round(ratio, 2)}",
                    flush=True,
                )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--sizes", default="500,2000")
    parser.add_argument("--alphas", default="0.1,1")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--markdown", action="store_true", help="print tables")
    parser.add_argument(
        "--tables-from",
        type=Path,
        help="print the tables of a --json file, run nothing",
    )
    parser.add_argument(
        "--coverage-simulation",
        action="store_true",
        help="run the interval-coverage simulation (known class-conditionals) only",
    )
    args = parser.parse_args(argv)
    if args.coverage_simulation:
        rows = coverage_simulation(args.repeats, seed=args.seed)
        if args.json:
            args.json.write_text(json.dumps({"coverage": rows}, indent=1))
        return {"coverage": rows}
    if args.tables_from:
        print(markdown(json.loads(args.tables_from.read_text())["rows"]))
        return None
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    alphas = [float(a) for a in args.alphas.split(",")]
    load = os.getloadavg()
    print(
        f"skmix {skmix.__version__}, quapy "
        f"{quapy.__version__ if quapy is not None else 'not installed'}, "
        f"{platform.machine()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.repeats} repetitions"
    )
    start = time.perf_counter()
    rows = run(
        args.datasets.split(","),
        args.models.split(","),
        sizes,
        alphas,
        args.repeats,
        seed=args.seed,
    )
    result = {
        "skmix": skmix.__version__,
        "quapy": quapy.__version__ if quapy is not None else None,
        "repeats": args.repeats,
        "load_average_start": load,
        "load_average_end": os.getloadavg(),
        "seconds": time.perf_counter() - start,
        "rows": rows,
    }
    print(f"total {result['seconds']:.0f} s")
    if args.markdown:
        print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
