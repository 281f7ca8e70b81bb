"""How often does the recipe work? Train it on many seeds side by side and score every seed.

The seeds are split into shards, one per worker process (or Dask task); TensorFlow is imported only
where a shard runs.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue as queue_module
import signal
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from gan1d import data
from gan1d.config import Params
from gan1d.errors import ConfigError
from gan1d.inference import score
from gan1d.runtime import SCHEDULER, Runtime, available_cores

ChunkHook = Callable[[int, float], None]  # (steps, seconds) of each compiled call, as gan1d.training reports


@dataclass
class Robustness:
    seeds: list[int]
    per_seed: list[dict[str, float]]  # summarize() of each seed, plus "nan" (1 if training diverged)
    samples: np.ndarray  # (R, n_points) generated samples of each seed

    def per_seed_table(self) -> pa.Table:
        """One row per seed: ``seed`` and every metric (NaN where a diverged seed has none)."""
        keys = sorted({k for m in self.per_seed for k in m})
        columns = {"seed": pa.array(self.seeds, pa.int64())}
        columns.update({k: pa.array([m.get(k, float("nan")) for m in self.per_seed], pa.float64()) for k in keys})
        return pa.table(columns)

    def summary(self) -> dict[str, float]:
        """Success rate (W1 < 0.1 target std with every mode covered), W1 quantiles, coverage, NaN count.

        A diverged seed fails and counts as the worst W1 (the medians and worst become null past half).
        """
        def column(key: str) -> np.ndarray:
            return np.array([m.get(key, np.nan) for m in self.per_seed], np.float64)

        def rounded(value: float) -> float | None:
            return round(float(value), 6) if np.isfinite(value) else None

        # a diverged seed has no metrics: it counts as the worst
        w1, w1_std, mass_error = (np.where(np.isfinite(v), v, np.inf) for v in map(column, ("w1", "w1_std", "mass_error")))
        covered = column("modes_covered") == column("modes")
        return {
            "seeds": len(self.seeds),
            "success_rate": round(float(np.mean(column("success") == 1.0)), 6),
            "all_modes_rate": round(float(np.mean(covered)), 6),
            "median_w1": rounded(np.median(w1)),
            "median_w1_std": rounded(np.median(w1_std)),
            "worst_w1": rounded(np.max(w1)),
            "worst_mass_error": rounded(np.max(mass_error)),
            "nan_count": int(sum(m["nan"] for m in self.per_seed)),
        }


def shards(seeds: Sequence[int], count: int) -> list[list[int]]:
    """``seeds`` split into at most ``count`` contiguous shards of near-equal size (none empty)."""
    count = max(1, min(count, len(seeds)))
    return [[int(s) for s in part] for part in np.array_split(np.asarray(seeds), count)]


def run_shard(params: Params, seeds: Sequence[int], runtime: Runtime = Runtime(),
              progress: ChunkHook | None = None) -> tuple[list[dict[str, float]], np.ndarray]:
    """Pretrain (if the recipe does) and train ``seeds`` side by side in one program; score each seed.

    Replica r is exactly the run that seed r would give alone (its own data, initialisation and
    noise), so a seed's row does not depend on which shard it ran in. Runs in a worker process (or
    a Dask worker): TensorFlow is imported here, not by the process that splits the work. Training
    keeps a resume point in ``runtime.resume_dir`` (if any), one per shard.
    """
    from gan1d.quiet import import_tensorflow

    import_tensorflow(runtime.compile_cache)
    from gan1d import training

    training.set_seed(seeds[0])
    real = np.stack([data.draw_real(params, s) for s in seeds])
    d = None
    if params.train.use_pretrained:
        pairs = [data.draw_pretrain(params, s) for s in seeds]
        d = training.pretrain(params, np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs]), seeds,
                              on_chunk=progress, progress=progress is None).discriminator
    trained = training.train(params, real, seeds, d, record_frames=False, on_chunk=progress, progress=progress is None,
                             resume_dir=runtime.resume_dir, resume_every=runtime.resume_every)
    per_seed, samples = [], []
    for r in range(len(seeds)):
        x, metrics = score(training.generator_weights(trained.ema_generator, r), params)
        diverged = not np.all(np.isfinite(trained.losses[:, r])) or not np.all(np.isfinite(x))
        if diverged:
            metrics = {"w1": float("nan")}
        per_seed.append({**metrics, "nan": float(diverged)})
        samples.append(x)
    training.release_memory()
    return per_seed, np.stack(samples)


_progress = None  # in a worker process: the queue its chunks' step counts go to


def _start_worker(progress) -> None:
    """A worker process's set-up: Ctrl-C is left to the parent, which stops the workers with SIGTERM;
    SIGTERM exits quietly but unwinds first (so atomic writes clean up); progress goes to the parent."""
    global _progress
    _progress = progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    # Runs after multiprocessing has flushed the worker's queues: skips TensorFlow's ~0.8 s teardown,
    # which the parent would otherwise wait for in join().
    atexit.register(os._exit, 0)


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _run_local_shard(params: Params, seeds: list[int], runtime: Runtime) -> tuple:
    """A worker process's shard; each chunk's step count goes to the parent's progress bar."""
    return run_shard(params, seeds, runtime, lambda steps, _seconds: _progress.put(steps * len(seeds)))


def run(params: Params, runtime: Runtime = Runtime()) -> Robustness:
    """Train and score every seed of ``params.robustness``: in this process (one worker), over
    ``runtime.workers`` local processes, or on the Dask cluster at ``runtime.scheduler``.

    The per-seed results are the same bytes in every case: each seed's replica is independent of
    the others, and every worker runs TensorFlow single-threaded.
    """
    cfg = params.robustness
    seeds = list(range(cfg.first_seed, cfg.first_seed + cfg.count))
    if runtime.scheduler is not None:
        results = _run_on_dask(params, seeds, runtime.workers, runtime.scheduler)
    else:
        parts = shards(seeds, runtime.workers or available_cores())
        if len(parts) == 1:
            results = [run_shard(params, seeds, runtime)]
        else:
            results = _run_local(params, parts, runtime)
    per_seed = [row for rows, _ in results for row in rows]
    return Robustness(seeds, per_seed, np.concatenate([samples for _, samples in results]))


def _steps(params: Params) -> int:
    return params.train.steps + (params.pretrain.steps if params.train.use_pretrained else 0)


def _run_local(params: Params, parts: list[list[int]], runtime: Runtime) -> list[tuple]:
    """One fresh process per shard (spawned: TensorFlow must not be forked), all at once. If this
    process is interrupted, the workers are stopped too (each keeps its resume point)."""
    context = multiprocessing.get_context("spawn")
    total = _steps(params) * sum(map(len, parts))
    progress = context.Queue()
    pool = context.Pool(len(parts), initializer=_start_worker, initargs=(progress,))
    try:
        pending = [pool.apply_async(_run_local_shard, (params, part, runtime)) for part in parts]
        with tqdm(total=total, desc=f"robustness ({len(parts)} workers)", unit="replica-step", leave=False,
                  disable=None) as bar:
            while not all(r.ready() for r in pending):
                try:
                    bar.update(progress.get(timeout=0.2))
                except queue_module.Empty:
                    pass
        results = [r.get() for r in pending]  # a worker's error is raised here
    except BaseException:
        pool.terminate()  # SIGTERM: a worker still training unwinds and leaves its resume point whole
        pool.join()
        raise
    pool.close()
    pool.join()
    return results


def _run_on_dask(params: Params, seeds: list[int], workers: int | None, address: str) -> list[tuple]:
    """The seeds' shards as tasks on a Dask cluster, by default one per worker thread; the workers
    need gan1d installed (the same version) and should run one thread each (``--nthreads 1``).
    Paths of this machine mean nothing there: the workers use no compile cache and keep no resume points."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError(
            f"{SCHEDULER}={address}: Dask is not installed; `pip install -e '.[cluster]'` or unset {SCHEDULER}"
        ) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise ConfigError(f"{SCHEDULER}={address}: cannot reach the Dask scheduler ({err})") from None
    with client:
        parts = shards(seeds, workers or sum(client.nthreads().values()))
        # pure=False: each shard runs once even if an identical one ran before on this cluster.
        futures = client.map(run_shard, [params] * len(parts), parts, pure=False)
        with tqdm(total=len(parts), desc="robustness (Dask shards)", unit="shard", leave=False, disable=None) as bar:
            for _ in as_completed(futures):
                bar.update(1)
        return client.gather(futures)
