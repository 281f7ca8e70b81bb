"""What losing a Dask worker costs the robustness stage: wall time, never bytes.

Starts a Dask scheduler and single-threaded workers on 127.0.0.1 (fresh worker processes for every
run), runs the seeds of params.yaml (``--count`` of them, two shards) undisturbed, then again with one
worker killed (SIGKILL) a given fraction of the undisturbed run into its shard, and prints the
seconds of each run, how soon the scheduler gave the lost shard to another worker, and whether every per-seed result
is the same bytes. With ``--spare`` the
cluster has one worker more than there are shards, so the lost shard can restart at once.

    python benchmarks/lost_worker.py --count 4 --at 0 0.5 [--spare] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gan1d import robustness
from gan1d.config import parse_params
from gan1d.runtime import Runtime

import yaml

BIN = Path(sys.executable).parent


class Cluster:
    def __init__(self, folder: Path, workers: int):
        self.folder, self.procs = folder, []
        env = {**os.environ, "GAN1D_CACHE": "off"}
        scheduler_file = folder / "scheduler.json"
        self.procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 60
        while not (scheduler_file.exists() and scheduler_file.read_text()):
            if time.monotonic() > deadline:
                raise SystemExit("the Dask scheduler did not start")
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.workers = [
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    self.address,
                    "--no-nanny",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        self.procs += self.workers
        from distributed import Client

        self.client = Client(self.address, timeout="30s")
        self.client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        self.client.close()
        for group in (self.workers, self.procs[:1]):
            for proc in group:
                proc.terminate()
            for proc in group:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def results(r: robustness.Robustness) -> tuple:
    return [sorted((k, float(v).hex()) for k, v in row.items()) for row in r.per_seed], r.samples.tobytes()


def one_run(params, workers: int, kill_after: float | None) -> dict:
    """A run on a fresh cluster of ``workers`` workers, with one busy worker killed ``kill_after`` seconds
    after it started a shard (None: undisturbed): its seconds, from the kill to the end and to the lost
    shard's reassignment to another worker, and its results."""
    with tempfile.TemporaryDirectory(prefix="gan1d-lost-worker-") as folder:
        cluster = Cluster(Path(folder), workers)
        try:
            client = cluster.client
            pids = client.run(os.getpid)
            out: dict = {}
            began = time.monotonic()
            thread = threading.Thread(
                target=lambda: out.setdefault(
                    "r", robustness.run(params, Runtime(workers=2, scheduler=cluster.address))
                )
            )
            thread.start()
            killed = reassigned = None
            if kill_after is not None:
                while not (busy := [(a, keys) for a, keys in client.processing().items() if keys]):
                    time.sleep(0.05)
                address, keys = busy[0]
                time.sleep(kill_after)
                os.kill(pids[address], signal.SIGKILL)
                killed = time.monotonic()
                while thread.is_alive() and reassigned is None:  # the lost shard given to another worker
                    if any(keys[0] in k for a, k in client.processing().items() if a != address):
                        reassigned = time.monotonic()
                    time.sleep(0.02)
            thread.join()
            done = time.monotonic()
            return {
                "run": done - began,
                "kill to end": done - killed if killed else None,
                "kill to reassigned": reassigned - killed if reassigned else None,
                "results": results(out["r"]),
            }
        finally:
            cluster.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--count", type=int, default=4, help="seeds (two shards)")
    ap.add_argument(
        "--at",
        type=float,
        nargs="+",
        default=[0.0, 0.5],
        help="when to kill: fractions of the undisturbed run after the shard started",
    )
    ap.add_argument("--spare", action="store_true", help="one worker more than there are shards")
    ap.add_argument("--repeat", type=int, default=1, help="pairs of runs (undisturbed, killed) per fraction")
    args = ap.parse_args()
    raw = yaml.safe_load(Path(args.params).read_text())
    raw["robustness"]["count"] = args.count
    params = parse_params(raw)
    workers = 3 if args.spare else 2
    print(
        "| workers | kill | undisturbed run (s) | run with the kill (s) | cost (s) | kill to reassigned (s) | same bytes |"
    )
    print("|---|---|---|---|---|---|---|", flush=True)
    for _ in range(args.repeat):
        for at in args.at:  # each disturbed run right after an undisturbed one: the machine's load drifts
            base = one_run(params, workers, None)
            hit = one_run(params, workers, at * base["run"])
            restart = f"{hit['kill to reassigned']:.2f}" if hit["kill to reassigned"] is not None else "-"
            print(
                f"| {workers} | at {at:.0%} of the run | {base['run']:.1f} | {hit['run']:.1f} | "
                f"{hit['run'] - base['run']:+.1f} | {restart} | {'yes' if hit['results'] == base['results'] else 'NO'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
