"""Experiments: a two-experiment queue, and an experiment pushed to a bare git remote and pulled back."""

import json
import time

import pytest
from test_reliability import md5s
from test_remote import md5

from conftest import built_repo, run

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


def test_a_queue_of_two_experiments_runs(repo):
    for steps in (20, 40):
        run(["dvc", "exp", "run", "--queue", "-S", f"train.steps={steps}"], repo)
    run(["dvc", "queue", "start", "-j", "2"], repo)
    deadline = time.time() + 600
    while time.time() < deadline:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(3)
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
