"""Experiments: a two-experiment queue, and an experiment pushed to a bare git remote and pulled back."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_reliability import md5s
from test_remote import md5

from conftest import built_repo, run, run_env

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return built_repo(tmp_path_factory.mktemp("exps"), "work")


def experiments(repo) -> dict[str, tuple[int, dict]]:
    """{experiment name: (train.steps, evaluate metrics)} from `dvc exp show --json`."""
    out = {}
    for entry in json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout):
        for exp in entry.get("experiments") or []:
            for rev in exp.get("revs", []):
                data = rev.get("data") or {}
                metrics = (data.get("metrics") or {}).get("data/evaluate/metrics.json", {}).get("data")
                params = (data.get("params") or {}).get("params.yaml", {}).get("data", {})
                if rev.get("name") and metrics:
                    out[rev["name"]] = (params["train"]["steps"], metrics)
    return out


def stop_workers(repo) -> None:
    """Stop the queue's workers: `dvc queue stop`, then a kill for any worker still alive a few seconds later."""
    run(["dvc", "queue", "stop"], repo, check=False)
    texts = [p.read_text().strip() for p in (repo / ".dvc" / "tmp" / "exps" / "celery").glob("*.pid")]
    pids = [int(text) for text in texts if text.isdigit()]
    for _ in range(10):
        alive = [pid for pid in pids if pid > 0 and Path(f"/proc/{pid}").exists()]
        if not alive:
            return
        time.sleep(1)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_queue_of_two_experiments_runs(repo):
    for steps in (20, 40):
        run(["dvc", "exp", "run", "--queue", "-S", f"train.steps={steps}"], repo)
    # The queue's workers are daemons that inherit the stdout and stderr of `dvc queue start`: captured through
    # pipes, the call would wait for the workers to exit, and one that misses celery's "empty queue" shutdown
    # (seen once) never does. So its output goes to a file, the status is polled, and the workers are stopped.
    log = repo.parent / "queue-start.log"
    with open(log, "w") as out:
        started = subprocess.run(["dvc", "queue", "start", "-j", "2"], cwd=repo, env=run_env(), stdout=out, stderr=out)
    assert started.returncode == 0, log.read_text()
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            status = run(["dvc", "queue", "status"], repo).stdout
            if "Queued" not in status and "Running" not in status:
                break
            time.sleep(3)
    finally:
        stop_workers(repo)
    assert "Failed" not in status, status
    found = experiments(repo)
    assert len(found) >= 2, found
    assert len({m["w1"] for _, m in found.values()}) >= 2  # different params, different results

    # a queue worker (its own temporary directory) produces the bytes a plain run in the workspace does
    name = next(n for n, (steps, _) in found.items() if steps == 40)
    run(["dvc", "exp", "apply", name], repo)
    from_worker = md5s(repo)
    run(["dvc", "repro", "-f"], repo)
    assert md5s(repo) == from_worker
    run(["git", "checkout", "--", "."], repo)
    run(["dvc", "checkout", "-f"], repo)


def test_an_experiment_pushed_and_pulled_restores_its_artifacts(repo):
    bare = repo.parent / "origin.git"
    run(["git", "init", "-q", "--bare", str(bare)], repo.parent)
    run(["git", "remote", "add", "origin", str(bare)], repo)
    run(["git", "push", "-q", "origin", "main"], repo)
    run(["dvc", "exp", "run", "-n", "longer", "-S", "train.steps=50"], repo)
    expected = md5(repo / "data/train/generator.weights.h5")
    run(["dvc", "exp", "push", "origin", "longer"], repo)  # git refs to origin, artifacts to the DVC remote

    clone = repo.parent / "teammate"
    run(["git", "clone", "-q", "-b", "main", str(bare), str(clone)], repo.parent)
    run(["dvc", "exp", "pull", "origin", "longer"], clone)
    run(["dvc", "exp", "apply", "longer"], clone)
    run(["dvc", "pull"], clone)
    assert md5(clone / "data/train/generator.weights.h5") == expected
