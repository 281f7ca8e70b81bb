"""The robustness seeds on a Dask cluster: a client that speaks TLS with Dask's own settings, one-line errors.

Whoever can reach a Dask scheduler can run code on its workers and on the submitting machine (tasks are pickles):
beyond one machine, run the scheduler and workers with TLS (docs/cluster.md). Credentials stay in Dask's
configuration (``distributed.comm.tls.*``, e.g. ``DASK_DISTRIBUTED__COMM__TLS__*``), never in params.yaml.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from gan1d.config import Params
from gan1d.errors import ConfigError
from gan1d.robustness import WorkerLost, _label, run_shard, shards
from gan1d.runtime import SCHEDULER

from tqdm import tqdm

TLS_VARIABLES = "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and ..._CLIENT__KEY"
TLS_FILES = {
    "ca-file": "DASK_DISTRIBUTED__COMM__TLS__CA_FILE",
    "client.cert": "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
    "client.key": "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY",
}


def _tls_needed(address: str, why: str) -> ConfigError:
    return ConfigError(
        f"{SCHEDULER}={address}: {why}; TLS certificates are needed: set {TLS_VARIABLES} "
        f"(Dask's distributed.comm.tls.* settings; see docs/cluster.md)"
    )


def connect(address: str):
    """A Dask client of the scheduler at ``address``, with the TLS settings of Dask's own configuration
    (``distributed.comm.tls.*``, e.g. from ``DASK_DISTRIBUTED__COMM__TLS__*``); a failure to connect is
    a :class:`ConfigError`: one line naming ``GAN1D_DASK_SCHEDULER`` and what to do."""
    import dask.config
    from distributed import Client
    from distributed.comm.core import CommClosedError

    tls = address.startswith("tls://")
    if tls and not (
        dask.config.get("distributed.comm.tls.client.cert", None)
        and dask.config.get("distributed.comm.tls.ca-file", None)
    ):
        raise _tls_needed(address, "this client has no TLS certificate and CA")
    for key, variable in TLS_FILES.items():
        path = dask.config.get(f"distributed.comm.tls.{key}", None)
        if tls and path and not Path(path).expanduser().is_file():
            raise ConfigError(
                f"{SCHEDULER}={address}: the TLS file {path} (distributed.comm.tls.{key}, "
                f"e.g. {variable}) does not exist"
            )
    try:
        return Client(address, timeout="10s")
    except CommClosedError as err:  # the TLS handshake failed, or the scheduler hung up (it wants TLS)
        if "certificate does not match" in str(err):  # the scheduler's is not signed by our CA
            why = "the scheduler's TLS certificate is not trusted"
        elif tls:  # the scheduler sent an "unknown CA" alert, or just closed the connection
            why = "the scheduler refused this client's TLS certificate"
        else:
            why = "the scheduler closed the connection (does it use TLS? then the address starts tls://)"
        raise _tls_needed(address, f"{why} ({str(err) or type(err).__name__})") from None
    except RuntimeError as err:  # distributed.comm.require-encryption and a tcp:// address
        if "encryption required" not in str(err):
            raise
        raise _tls_needed(
            address,
            "Dask is set to require encryption (distributed.comm.require-encryption): the address must start tls://",
        ) from None
    except TypeError as err:  # no SSL context: TLS settings that Dask could not use
        if "ssl_context" not in str(err):
            raise
        raise _tls_needed(address, f"this client has no usable TLS settings ({err})") from None
    except FileNotFoundError as err:
        raise _tls_needed(address, f"a TLS file is missing: {err.filename or err}") from None
    except ssl.SSLError as err:
        raise _tls_needed(address, f"the TLS certificate or key cannot be used ({err})") from None
    except (OSError, TimeoutError) as err:
        raise ConfigError(f"{SCHEDULER}={address}: cannot reach the Dask scheduler ({err})") from None


def run_on_dask(params: Params, seeds: list[int], workers: int | None, address: str) -> list[tuple]:
    """The seeds' shards as tasks on a Dask cluster, by default one per worker thread; the workers
    need gan1d installed (the same version) and should run one thread each (``--nthreads 1``).
    Paths of this machine mean nothing there: the workers use no compile cache and keep no resume points.

    A worker lost mid-shard costs that shard's work so far: Dask runs the shard again on another
    worker, and the results are the same bytes. A shard whose workers die again and again
    (``distributed.scheduler.allowed-failures``, 3 by default) fails the stage with one line.
    """
    try:
        from distributed import KilledWorker, as_completed
    except ImportError:
        raise ConfigError(
            f"{SCHEDULER}={address}: Dask is not installed; `pip install -e '.[cluster]'` or unset {SCHEDULER}"
        ) from None
    client = connect(address)
    with client:
        parts = shards(seeds, workers or sum(client.nthreads().values()))
        # pure=False: each shard runs once even if an identical one ran before on this cluster.
        futures = client.map(run_shard, [params] * len(parts), parts, pure=False)
        labels = {f.key: _label(part) for f, part in zip(futures, parts)}
        try:
            with tqdm(
                total=len(parts), desc="robustness (Dask shards)", unit="shard", leave=False, disable=None
            ) as bar:
                for _ in as_completed(futures):
                    bar.update(1)
            return client.gather(futures)
        except KilledWorker as err:
            key = getattr(err, "task", None)
            raise WorkerLost(
                f"robustness: on the Dask cluster, the shard of {labels.get(key, 'some seeds')} lost "
                f"{err.allowed_failures + 1} workers, each while running it (see the workers' logs); "
                f"rerun `dvc repro` once the cluster is healthy"
            ) from None
