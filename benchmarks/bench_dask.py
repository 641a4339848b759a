"""Fit pi through dask on a LocalCluster: from worker memory, and from disk.

Two measurements, in one run, on a LocalCluster of ``--workers`` processes
with one thread each (dask's nanny limits each worker's BLAS and OpenMP to one
thread):

1. **In worker memory.** ``--memory-n`` samples (default 2e7) of the
   tutorial's mixture are drawn chunk by chunk on the workers and persisted
   there; ``fit`` on that dask array (one map-reduce round: a summary per
   chunk, added in a tree, the solver on the client) is timed against the
   in-memory NumPy fit of the same samples in this process, limited to one
   thread (threadpoolctl, and numba's thread count where numba is installed).
   Both fits must give the same path (checked: ``pi`` to 1e-12).
2. **From disk.** ``--n`` samples (default 1e8, 800 MB) are written to a
   ``.npy`` file chunk by chunk; each worker reads its chunks from the file
   itself (the client never holds the data) and ``fit`` is timed, against a
   read-only pass over the same chunks (``X.sum()``, the floor of any fit from
   disk). The file was just written, so it is read from the page cache, not
   from the device, unless the machine is short of memory.

3. **Malloc trimming.** dask's nanny starts workers with
   ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc returns every freed block above
   64 KB to the system and each large temporary array of a block-by-block
   build is a fresh ``mmap`` (page faults, zeroed pages). Part 1 is repeated
   on a second cluster whose workers keep glibc's default, to show that cost.

Reported: times and ratios, the machine's load average (``os.getloadavg``)
before and after each timing, the peak memory of the client during the disk
fit (tracemalloc, and the peak resident size of the process) and the peak
resident size of each worker.

Run ``python benchmarks/bench_dask.py`` (a few minutes at the defaults), or
with ``--n 2e6 --memory-n 1e6`` for a quick look.
"""

import argparse
import json
import os
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


def mixture_rows(n, seed):
    """``n`` samples of the tutorial's mixture (runs on a worker, or here)."""
    return make_mixture(n, means=MEANS, sigma=SIGMA, pi=PI, random_state=seed)[0]


def chunk_bounds(n, chunk):
    return [(start, min(start + chunk, n)) for start in range(0, n, chunk)]


def write_npy(path, n, chunk, seed=1):
    """The mixture's samples, written to ``path`` without holding them all."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, 1))
    for i, (start, stop) in enumerate(chunk_bounds(n, chunk)):
        out[start:stop] = mixture_rows(stop - start, seed + i)
    out.flush()
    del out


def read_rows(path, start, stop):
    """Rows ``start:stop`` of the .npy file (runs on a worker)."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array_from_chunks(function, bounds, *args):
    """A dask array whose chunk ``i`` is ``function(*args_i)``, made on a worker."""
    import dask
    import dask.array as da

    blocks = [
        da.from_delayed(
            dask.delayed(function)(*chunk_args),
            shape=(stop - start, 1),
            dtype=np.float64,
        )
        for (start, stop), chunk_args in zip(bounds, args, strict=True)
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


def best_time(function, repeat):
    """Best wall time of ``repeat`` calls, the last result, and the load
    average (1 minute) before the first and after the last call."""
    load_before = os.getloadavg()[0]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result, {"before": load_before, "after": os.getloadavg()[0]}


def fit_in_worker_memory(bounds, seeds, args):
    """Best time of fits of chunks drawn and persisted on the workers."""
    from distributed import wait

    X = dask_array_from_chunks(mixture_rows, bounds, *seeds).persist()
    wait(X)
    fit(X)  # warm up the workers (imports, compiled kernel)
    return best_time(lambda: fit(X), args.repeat)


def fit(X):
    return TwoGaussianMixturePi(means=MEANS, sigma=SIGMA).fit(X)


def one_thread():
    """Limit this process to one thread for the in-memory reference."""
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(1)
    try:
        import numba

        numba.set_num_threads(1)
    except ImportError:
        pass
    return limits


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=float, default=1e8, help="rows read from disk")
    parser.add_argument(
        "--memory-n", type=float, default=2e7, help="rows in worker memory"
    )
    parser.add_argument("--chunk", type=float, default=5e6, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="best of, in memory")
    parser.add_argument("--dir", type=Path, help="where to write the .npy file")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    n, n_mem, chunk = int(args.n), int(args.memory_n), int(args.chunk)

    from distributed import Client, LocalCluster

    def cluster():
        return LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )

    mem_bounds = chunk_bounds(n_mem, chunk)
    seeds = [(stop - start, 1 + i) for i, (start, stop) in enumerate(mem_bounds)]
    with (
        tempfile.TemporaryDirectory(dir=args.dir) as tmp,
        cluster() as default_cluster,
        Client(default_cluster) as client,
    ):
        # 1. in worker memory, against the same samples in this process
        t_mem, est_mem, load_mem = fit_in_worker_memory(mem_bounds, seeds, args)
        X_local = np.concatenate([mixture_rows(*s) for s in seeds])
        with one_thread():
            fit(X_local[:100_000])  # warm up (imports, compiled kernel)
            t_local, est_local, load_local = best_time(
                lambda: fit(X_local), args.repeat
            )
        X_local = None
        same_path = bool(
            est_mem.n_iter_ == est_local.n_iter_
            and np.allclose(
                est_mem.history_["pi"], est_local.history_["pi"], rtol=1e-12, atol=0
            )
        )

        # 2. from disk
        path = Path(tmp) / "x.npy"
        start = time.perf_counter()
        write_npy(path, n, chunk)
        t_write = time.perf_counter() - start
        disk_bounds = chunk_bounds(n, chunk)
        X = dask_array_from_chunks(
            read_rows, disk_bounds, *[(str(path), *b) for b in disk_bounds]
        )
        t_read, _, load_read = best_time(lambda: float(X.sum().compute()), 1)
        tracemalloc.start()
        with RssSampler() as rss:
            t_disk, est_disk, load_disk = best_time(lambda: fit(X), 1)
        client_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        worker_peaks = client.run(peak_rss_bytes)

    # 3. in worker memory again, on workers that keep glibc's default malloc
    # trimming (dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536, which makes
    # every large temporary array a fresh mmap)
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        cluster() as glibc_cluster,
        Client(glibc_cluster),
    ):
        t_glibc, est_glibc, load_glibc = fit_in_worker_memory(mem_bounds, seeds, args)
    same_path = same_path and est_glibc.pi_ == est_mem.pi_

    result = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "skmix": skmix.__version__,
            "cpu_count": os.cpu_count(),
            "workers": args.workers,
            "threads_per_worker": 1,
        },
        "memory": {
            "n": n_mem,
            "chunks": len(mem_bounds),
            "dask_time_s": t_mem,
            "numpy_time_s": t_local,
            "n_iter": est_mem.n_iter_,
            "pi": est_mem.pi_,
            "numpy_pi": est_local.pi_,
            "same_path": same_path,
            "dask_glibc_malloc_time_s": t_glibc,
            "load_dask": load_mem,
            "load_dask_glibc_malloc": load_glibc,
            "load_numpy": load_local,
        },
        "disk": {
            "n": n,
            "chunks": len(disk_bounds),
            "write_time_s": t_write,
            "read_time_s": t_read,
            "fit_time_s": t_disk,
            "n_iter": est_disk.n_iter_,
            "pi": est_disk.pi_,
            "load_read": load_read,
            "load_fit": load_disk,
            "client_tracemalloc_peak_bytes": client_peak,
            "client_rss_peak_bytes": rss.peak,
            "worker_rss_peak_bytes": sorted(worker_peaks.values()),
        },
        "ratios": {
            "memory_dask_over_numpy_one_core": t_mem / t_local,
            "memory_dask_glibc_malloc_over_numpy_one_core": t_glibc / t_local,
            "disk_fit_over_read": t_disk / t_read,
            "disk_ns_per_sample": 1e9 * t_disk / n,
            "memory_dask_ns_per_sample": 1e9 * t_mem / n_mem,
            "memory_numpy_ns_per_sample": 1e9 * t_local / n_mem,
        },
    }
    gb, ratios = 1e9, result["ratios"]
    print(
        f"in worker memory, n = {n_mem:,} in {len(mem_bounds)} chunks, "
        f"{args.workers} workers x 1 thread: dask fit {1e3 * t_mem:.0f} ms "
        f"(load {load_mem['before']:.2f} -> {load_mem['after']:.2f}); in-memory "
        f"NumPy fit on one thread {1e3 * t_local:.0f} ms (load "
        f"{load_local['before']:.2f} -> {load_local['after']:.2f}); dask / numpy "
        f"= {ratios['memory_dask_over_numpy_one_core']:.2f}; best of "
        f"{args.repeat}; same path: {same_path}"
    )
    print(
        f"  the same on workers with glibc's default malloc trimming: "
        f"{1e3 * t_glibc:.0f} ms (load {load_glibc['before']:.2f} -> "
        f"{load_glibc['after']:.2f}); dask / numpy = "
        f"{ratios['memory_dask_glibc_malloc_over_numpy_one_core']:.2f}"
    )
    print(
        f"from disk, n = {n:,} ({n * 8 / gb:.2f} GB, written in {t_write:.1f} s) "
        f"in {len(disk_bounds)} chunks: fit {t_disk:.2f} s, {est_disk.n_iter_} "
        f"EM iterations, pi = {est_disk.pi_:.6f} (load {load_disk['before']:.2f}"
        f" -> {load_disk['after']:.2f}); reading the chunks and summing them "
        f"{t_read:.2f} s; fit / read = {ratios['disk_fit_over_read']:.2f}"
    )
    print(
        f"client during the disk fit: {client_peak / 1e6:.1f} MB allocated at "
        f"peak (tracemalloc), peak RSS {rss.peak / gb:.2f} GB; worker peak RSS "
        + ", ".join(f"{p / gb:.2f} GB" for p in result["disk"]["worker_rss_peak_bytes"])
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
        print(f"written to {args.json}")
    return result


if __name__ == "__main__":
    main()
