"""How often does the recipe work? Train it on many seeds side by side and score every seed.

The seeds are split into shards, one per worker process (or Dask task); TensorFlow is imported only
where a shard runs.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gan1d import data, targets
from gan1d.config import Params
from gan1d.errors import Gan1dError, unwinding
from gan1d.inference import score
from gan1d.runtime import Runtime, available_cores

import numpy as np
import pyarrow as pa
from tqdm import tqdm

ChunkHook = Callable[[int, float], None]  # (steps, seconds) of each compiled call, as gan1d.engine reports


@dataclass
class Robustness:
    seeds: list[int]
    per_seed: list[dict[str, float]]  # summarize() of each seed, "nan" (1 if training diverged), "kept_step"
    samples: np.ndarray  # (R, n_points) generated samples of each seed

    def per_seed_table(self) -> pa.Table:
        """One row per seed: ``seed`` and every metric (NaN where a diverged seed has none)."""
        keys = sorted({k for m in self.per_seed for k in m})
        columns = {"seed": pa.array(self.seeds, pa.int64())}
        columns.update({k: pa.array([m.get(k, float("nan")) for m in self.per_seed], pa.float64()) for k in keys})
        return pa.table(columns)

    def summary(self) -> dict[str, float]:
        """Success rate (each seed's ``success``: W1 < 0.1 target std with every mode and decile covered; for a
        data target the KS test against its held-out part), W1 quantiles, coverage, folds, NaN count.

        A diverged seed fails and counts as the worst W1 (the medians and worst become null past half).
        """

        def column(key: str) -> np.ndarray:
            return np.array([m.get(key, np.nan) for m in self.per_seed], np.float64)

        def rounded(value: float) -> float | None:
            return round(float(value), 6) if np.isfinite(value) else None

        # a diverged seed has no metrics: it counts as the worst
        w1, w1_std, mass_error = (
            np.where(np.isfinite(v), v, np.inf) for v in map(column, ("w1", "w1_std", "mass_error"))
        )
        covered = column("modes_covered") == column("modes")
        fold = np.where(np.isfinite(column("fold_share")), column("fold_share"), 1.0)
        extra = {}
        if any("baseline_w1_std" in m for m in self.per_seed):  # a data target: the training part's own score
            extra["baseline_w1_std"] = rounded(np.nanmedian(column("baseline_w1_std")))
            extra["baseline_success"] = rounded(np.nanmedian(column("baseline_success")))  # one split: all equal
        if any("tail_w1_std" in m for m in self.per_seed):
            extra["median_tail_w1_std"] = rounded(
                np.median(np.where(np.isfinite(column("tail_w1_std")), column("tail_w1_std"), np.inf))
            )
        return {
            **extra,
            "median_fold_share": rounded(np.median(fold)),
            "worst_fold_share": rounded(np.max(fold)),
            "seeds": len(self.seeds),
            "success_rate": round(float(np.mean(column("success") == 1.0)), 6),
            "all_modes_rate": round(float(np.mean(covered)), 6),
            "median_w1": rounded(np.median(w1)),
            "median_w1_std": rounded(np.median(w1_std)),
            "worst_w1": rounded(np.max(w1)),
            "worst_w1_std": rounded(np.max(w1_std)),
            "worst_mass_error": rounded(np.max(mass_error)),
            "nan_count": int(sum(m["nan"] for m in self.per_seed)),
        }


def shards(seeds: Sequence[int], count: int) -> list[list[int]]:
    """``seeds`` split into at most ``count`` contiguous shards of near-equal size (none empty)."""
    count = max(1, min(count, len(seeds)))
    return [[int(s) for s in part] for part in np.array_split(np.asarray(seeds), count)]


def run_shard(
    params: Params, seeds: Sequence[int], runtime: Runtime = Runtime(), progress: ChunkHook | None = None
) -> tuple[list[dict[str, float]], np.ndarray]:
    """Pretrain (if the recipe does) and train ``seeds`` side by side in one program; score each seed.

    Replica r is exactly the run that seed r would give alone (its own data, initialisation and
    noise), so a seed's row does not depend on which shard it ran in. Runs in a worker process (or
    a Dask worker): TensorFlow is imported here, not by the process that splits the work. Training
    keeps a resume point in ``runtime.resume_dir`` (if any), one per shard.
    """
    from gan1d.quiet import import_tensorflow

    import_tensorflow(runtime.compile_cache)
    from gan1d import engine, training, writers

    engine.set_seed(seeds[0])
    if params.target.data is not None:  # every seed trains on the data's training part
        train, heldout = (np.array(v, np.float64) for v in params.target.parts)
        real = np.stack([train] * len(seeds))
    else:
        train, heldout = None, None
        real = np.stack([data.draw_real(params, s) for s in seeds])
    target = targets.of(params, heldout)
    d = None
    if params.train.use_pretrained:
        pairs = [data.draw_pretrain(params, s, train) for s in seeds]
        d = training.pretrain(
            params,
            np.stack([x for x, _ in pairs]),
            np.stack([y for _, y in pairs]),
            seeds,
            on_chunk=progress,
            progress=progress is None,
        ).discriminator
    trained = training.train(
        params,
        real,
        seeds,
        d,
        record_frames=False,
        on_chunk=progress,
        progress=progress is None,
        resume_dir=runtime.resume_dir,
        resume_every=runtime.resume_every,
    )
    per_seed, samples = [], []
    for r in range(len(seeds)):
        x, metrics = score(writers.generator_weights(trained.ema_generator, r), params, target, train)
        diverged = not np.all(np.isfinite(trained.losses[:, r])) or not np.all(np.isfinite(x))
        if diverged:
            metrics = {"w1": float("nan")}
        per_seed.append({**metrics, "nan": float(diverged), "kept_step": float(trained.kept_steps[r])})
        samples.append(x)
    engine.release_memory()
    return per_seed, np.stack(samples)


class WorkerLost(Gan1dError):
    """A worker process died before its shard was done (killed, out of memory, ...): one line naming
    the shard and the signal; the other workers were stopped and keep their resume points."""


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _label(seeds: Sequence[int]) -> str:
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"


class _ParentGone(Exception):
    """The parent process is gone (its end of the pipe is closed)."""


def _send(conn, message: tuple) -> None:
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError: the parent died (a worker outlives it only until its next chunk)
        raise _ParentGone from None


def _local_worker(conn, params: Params, seeds: list[int], runtime: Runtime) -> None:
    """A worker process: trains its shard and sends the parent ("steps", n) after every compiled chunk,
    then ("done", result) or ("error", exception, traceback).

    Ctrl-C is left to the parent, which stops the workers with SIGTERM; SIGTERM exits quietly but
    unwinds first (so atomic writes clean up and the last resume point stays whole). A worker whose
    parent died stops at its next chunk (and keeps its resume point). The process
    ends with ``os._exit`` once multiprocessing has cleaned up: every message is already in the pipe,
    and TensorFlow's ~0.8 s teardown would only delay the parent's join.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    # tqdm's default lock holds a named semaphore, which a killed worker could never unlink: the
    # resource tracker would then warn about it on the stage's stderr. Its bars here are hidden anyway.
    tqdm.set_lock(threading.RLock())
    code = 0
    try:
        result = run_shard(params, seeds, runtime, lambda steps, _seconds: _send(conn, ("steps", steps * len(seeds))))
        _send(conn, ("done", result))
    except SystemExit as err:  # SIGTERM: the parent is stopping the workers
        code = err.code if isinstance(err.code, int) else 1
    except _ParentGone:  # nobody left to train for; the resume point stays
        code = 1
    except BaseException as err:  # noqa: BLE001 - every failure goes to the parent
        code = 1
        trace = "".join(traceback.format_exception(err))
        try:
            try:
                _send(conn, ("error", err, trace))
            except _ParentGone:
                raise
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                _send(conn, ("error", RuntimeError(f"{type(err).__name__}: {err}"), trace))
        except _ParentGone:
            pass
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Returning lets multiprocessing clean up; then, instead of TensorFlow's ~0.8 s teardown, this hook
    # ends the process.
    atexit.register(os._exit, code)


class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return f"\n(in the worker process)\n{self.args[0]}"


def run(params: Params, runtime: Runtime = Runtime()) -> Robustness:
    """Train and score every seed of ``params.robustness``: in this process (one worker), over
    ``runtime.workers`` local processes, or on the Dask cluster at ``runtime.scheduler``.

    The per-seed results are the same bytes in every case: each seed's replica is independent of
    the others, and every worker runs TensorFlow single-threaded.
    """
    cfg = params.robustness
    seeds = list(range(cfg.first_seed, cfg.first_seed + cfg.count))
    if runtime.scheduler is not None:
        from gan1d.cluster import run_on_dask

        results = run_on_dask(params, seeds, runtime.workers, runtime.scheduler)
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


def _how(exitcode: int | None) -> str:
    """What ended a process, from its exit code: the signal's name if it was one."""
    signum = (
        -exitcode if exitcode is not None and exitcode < 0 else (exitcode - 128 if exitcode and exitcode > 128 else 0)
    )
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"exit code {exitcode}"


def _run_local(params: Params, parts: list[list[int]], runtime: Runtime) -> list[tuple]:
    """One fresh process per shard (spawned: TensorFlow must not be forked), all at once, each with a
    pipe for its progress and its result.

    If a worker dies (a signal, the out-of-memory killer) or fails, or this process is interrupted,
    the other workers are stopped with SIGTERM (each keeps its resume point) and the error is raised:
    a lost worker as :class:`WorkerLost`, one line naming its seeds and the signal.
    """
    context = multiprocessing.get_context("spawn")
    procs, pipes = [], []
    # unwinding(): in a stage, Ctrl-C or SIGTERM raises KeyboardInterrupt in here (instead of ending the
    # process at once), so that the workers are stopped first
    with unwinding():
        try:
            for part in parts:
                receive, send = context.Pipe(duplex=False)
                procs.append(
                    context.Process(
                        target=_local_worker,
                        args=(send, params, part, runtime),
                        daemon=True,
                        name=f"gan1d robustness {_label(part)}",
                    )
                )
                pipes.append(receive)
                procs[-1].start()
                send.close()  # the worker holds the only write end: its death reads as the end of the pipe
            results = _gather(procs, pipes, parts, _steps(params) * sum(map(len, parts)))
        except BaseException:
            _stop(procs, signal.SIGTERM)  # a worker still training unwinds and leaves its resume point whole
            raise
        finally:
            for conn in pipes:
                conn.close()
    for proc in procs:
        proc.join(timeout=30)
    return results


def _gather(procs: list, pipes: list, parts: list[list[int]], total: int) -> list[tuple]:
    """Every worker's result, in shard order, with a progress bar of their chunks; a worker's error
    is raised here, and a worker gone without its result raises :class:`WorkerLost`."""
    results: list[tuple | None] = [None] * len(parts)
    waiting = {conn: i for i, conn in enumerate(pipes)}
    with tqdm(
        total=total, desc=f"robustness ({len(parts)} workers)", unit="replica-step", leave=False, disable=None
    ) as bar:
        while waiting:
            for conn in multiprocessing.connection.wait(list(waiting), timeout=1.0):
                i = waiting[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):  # the worker is gone without its result
                    procs[i].join(timeout=10)
                    raise WorkerLost(
                        f"robustness: the worker process for {_label(parts[i])} died ({_how(procs[i].exitcode)}); "
                        f"the other workers were stopped and keep their resume points: rerun `dvc repro` to resume"
                    ) from None
                if message[0] == "steps":
                    bar.update(message[1])
                elif message[0] == "done":
                    results[i] = message[1]
                    del waiting[conn]
                else:  # the worker's own error
                    _, err, trace = message
                    if isinstance(err, Gan1dError):
                        raise err  # one line for the user, as if raised here
                    raise err from _RemoteTraceback(trace)
    return results


def _stop(procs: list, sig: signal.Signals, grace: float = 60.0) -> None:
    """Send ``sig`` to every live process of ``procs`` and wait for them; one still alive after
    ``grace`` seconds (stuck in a long compiled call) is killed."""
    for proc in procs:
        if proc.is_alive():
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
