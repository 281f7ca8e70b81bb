"""Where and how a stage runs, as opposed to what it computes: read from the environment, not params.yaml.

None of these settings changes an output's bytes, so none of them may change dvc.lock: they are
environment variables, read once by the stage scripts and passed explicitly to the library.

| variable | default | what |
|---|---|---|
| ``GAN1D_WORKERS`` | the cores this process may use | worker processes for the seeds of `robustness` |
| ``GAN1D_DASK_SCHEDULER`` | unset: local workers | a Dask scheduler address to run the seeds' shards on: ``tls://host:8786`` with certificates from Dask's own settings (``DASK_DISTRIBUTED__COMM__TLS__*``; docs/cluster.md), ``tcp://`` only on a trusted network |
| ``GAN1D_CACHE`` | ``.cache`` (in the repository root) | XLA's compile cache (``xla/``) and resume points (``resume/``); ``off`` disables both |
| ``GAN1D_RESUME_EVERY`` | ``2`` | seconds of training between two saves of a resume point, at least |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gan1d.errors import ConfigError

WORKERS, SCHEDULER, CACHE, RESUME_EVERY = "GAN1D_WORKERS", "GAN1D_DASK_SCHEDULER", "GAN1D_CACHE", "GAN1D_RESUME_EVERY"
DEFAULT_CACHE = ".cache"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and `taskset` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Runtime:
    workers: int | None = 1  # processes (or Dask tasks) the seeds are split over; None = one per core (per Dask thread)
    scheduler: str | None = None  # Dask scheduler address; None = local processes
    cache: Path | None = None  # root of the compile cache and resume points; None = neither
    resume_every: float = 2.0  # seconds between two saves of a resume point, at least

    @property
    def compile_cache(self) -> Path | None:
        return None if self.cache is None else self.cache / "xla"

    @property
    def resume_dir(self) -> Path | None:
        return None if self.cache is None else self.cache / "resume"


def from_environ(environ: Mapping[str, str] = os.environ) -> Runtime:
    """The runtime the environment asks for; a bad value raises :class:`ConfigError` naming the variable."""
    raw = environ.get(WORKERS, "").strip()
    if raw:
        try:
            workers = int(raw)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ConfigError(f"{WORKERS}={raw!r}: must be a whole number of worker processes, at least 1")
    else:
        workers = None
    scheduler = environ.get(SCHEDULER, "").strip() or None
    cache_raw = environ.get(CACHE, DEFAULT_CACHE).strip()
    cache = None if cache_raw.lower() in ("", "off", "0", "none") else Path(cache_raw).resolve()
    raw = environ.get(RESUME_EVERY, "").strip()
    try:
        resume_every = float(raw) if raw else 2.0
    except ValueError:
        resume_every = -1.0
    if not resume_every >= 0:
        raise ConfigError(f"{RESUME_EVERY}={raw!r}: must be a number of seconds, at least 0")
    return Runtime(workers, scheduler, cache, resume_every)
