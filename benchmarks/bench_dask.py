"""Fit pi on data read from disk through dask, on a LocalCluster.

Writes ``--n`` samples (default 1e8, 800 MB) of the tutorial's mixture to a
``.npy`` file chunk by chunk, builds a dask array whose chunks each worker
reads from that file itself (so the client never holds the data), and fits
``TwoGaussianMixturePi`` (EM, the tutorial's settings) on a LocalCluster of
``--workers`` processes with one thread each. For reference it also fits
``--reference-n`` samples (default 1e7) in memory, in this process.

Reported: fit time, iterations, time per iteration and per sample and
iteration for both, their ratio, the peak memory of the client during the
dask fit (tracemalloc, and the peak resident size of the process) and the
peak resident size of each worker.

Run ``python benchmarks/bench_dask.py`` (about a minute at 1e8), or with
``--n 2e6 --reference-n 1e6`` for a quick look.
"""

import argparse
import json
import resource
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

import skmix
from skmix import TwoGaussianMixturePi, make_mixture

MEANS, SIGMA, PI = (0.0, 2.0), 1.0, 0.8


def write_npy(path, n, chunk, seed=1):
    """The mixture's samples, written to ``path`` without holding them all."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, 1))
    for i, start in enumerate(range(0, n, chunk)):
        stop = min(start + chunk, n)
        out[start:stop] = make_mixture(
            stop - start, means=MEANS, sigma=SIGMA, pi=PI, random_state=seed + i
        )[0]
    out.flush()
    del out


def read_rows(path, start, stop):
    """Rows ``start:stop`` of the .npy file (runs on a worker)."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array_from_npy(path, n, chunk):
    import dask
    import dask.array as da

    blocks = [
        da.from_delayed(
            dask.delayed(read_rows)(str(path), start, min(start + chunk, n)),
            shape=(min(start + chunk, n) - start, 1),
            dtype=np.float64,
        )
        for start in range(0, n, chunk)
    ]
    return da.concatenate(blocks, axis=0)


def peak_rss_bytes():
    """Peak resident set size of this process (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler:
    """Largest resident size of this process seen while the block runs."""

    def __enter__(self):
        import psutil

        self._process, self.peak, self._stop = psutil.Process(), 0, False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop:
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join()


def fit_timed(X):
    est = TwoGaussianMixturePi(means=MEANS, sigma=SIGMA)
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start, est


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=float, default=1e8)
    parser.add_argument("--reference-n", type=float, default=1e7)
    parser.add_argument("--chunk", type=float, default=5e6, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="where to write the .npy file")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    n, chunk, n_ref = int(args.n), int(args.chunk), int(args.reference_n)

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "x.npy"
        start = time.perf_counter()
        write_npy(path, n, chunk)
        print(
            f"wrote {n:,} samples ({n * 8 / 1e9:.2f} GB) to {path} in "
            f"{time.perf_counter() - start:.1f} s"
        )

        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            X = dask_array_from_npy(path, n, chunk)
            tracemalloc.start()
            with RssSampler() as rss:
                t_dask, est = fit_timed(X)
            client_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            worker_peaks = client.run(peak_rss_bytes)
            est.__dict__.pop("_terms", None)  # old design: persisted chunks
        dask_row = {
            "n": n,
            "chunks": X.numblocks[0],
            "workers": args.workers,
            "time_s": t_dask,
            "n_iter": est.n_iter_,
            "pi": est.pi_,
            "time_per_iter_s": t_dask / est.n_iter_,
            "client_tracemalloc_peak_bytes": client_peak,
            "client_rss_peak_bytes": rss.peak,
            "worker_rss_peak_bytes": sorted(worker_peaks.values()),
        }

    X_ref, _ = make_mixture(n_ref, means=MEANS, sigma=SIGMA, pi=PI, random_state=1)
    fit_timed(X_ref)  # warm up
    t_ref, ref = fit_timed(X_ref)
    ref_row = {
        "n": n_ref,
        "time_s": t_ref,
        "n_iter": ref.n_iter_,
        "pi": ref.pi_,
        "time_per_iter_s": t_ref / ref.n_iter_,
    }
    per_sample = {
        name: 1e9 * row["time_per_iter_s"] / row["n"]
        for name, row in (("dask", dask_row), ("memory", ref_row))
    }
    result = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "skmix": skmix.__version__,
        },
        "dask": dask_row,
        "in_memory": ref_row,
        "ratios": {
            "time_per_iter_dask_over_memory": dask_row["time_per_iter_s"]
            / ref_row["time_per_iter_s"],
            "ns_per_sample_iter_dask": per_sample["dask"],
            "ns_per_sample_iter_memory": per_sample["memory"],
            "per_sample_dask_over_memory": per_sample["dask"] / per_sample["memory"],
        },
    }
    gb = 1e9
    print(
        f"dask, {args.workers} workers x 1 thread, {dask_row['chunks']} chunks: "
        f"n = {n:,}: {t_dask:.2f} s, {est.n_iter_} iterations, "
        f"{1e3 * dask_row['time_per_iter_s']:.1f} ms per iteration "
        f"({per_sample['dask']:.2f} ns per sample per iteration), pi = {est.pi_:.6f}"
    )
    print(
        f"in memory, this process: n = {n_ref:,}: {t_ref:.2f} s, {ref.n_iter_} "
        f"iterations, {1e3 * ref_row['time_per_iter_s']:.1f} ms per iteration "
        f"({per_sample['memory']:.2f} ns per sample per iteration)"
    )
    print(
        "time per iteration, dask at n over in memory at reference n: "
        f"{result['ratios']['time_per_iter_dask_over_memory']:.2f}; per sample: "
        f"{result['ratios']['per_sample_dask_over_memory']:.2f}"
    )
    print(
        f"client during the dask fit: {client_peak / 1e6:.1f} MB allocated at "
        f"peak (tracemalloc), peak RSS {rss.peak / gb:.2f} GB; data "
        f"{n * 8 / gb:.2f} GB; worker peak RSS "
        + ", ".join(f"{p / gb:.2f} GB" for p in dask_row["worker_rss_peak_bytes"])
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
        print(f"written to {args.json}")
    return result


if __name__ == "__main__":
    main()
