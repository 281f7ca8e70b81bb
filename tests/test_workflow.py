"""The pull-request workflow passes actionlint (which does reject a broken workflow) and runs gate and report."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github/workflows/report.yml"


def actionlint(path: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    return subprocess.run([exe, "-no-color", str(path)], capture_output=True, text=True)


def test_workflow_passes_actionlint():
    proc = actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github/workflows/report.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        WORKFLOW.read_text()
        .replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    step: []")
        .replace("steps.gate.outcome", "steps.gates.outcome")
    )
    proc = actionlint(broken)
    assert proc.returncode == 1
    assert 'unexpected key "step"' in proc.stdout and "gates" in proc.stdout


def test_workflow_steps():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["report"]
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    assert uses[:2] == ["actions/checkout", "actions/setup-python"] and "iterative/setup-cml" in uses
    for cmd in (
        "dvc pull --run-cache",
        "dvc repro",
        'gan1d gate "$BASE"',
        'gan1d report "$BASE"',
        "cml comment create report.md",
    ):
        assert cmd in runs
    assert job["env"]["BASE"] == "origin/${{ github.base_ref }}"


def lock_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci/check-lock", repo / ".ci/check-lock")
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    for cmd in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "lock"],
    ):
        subprocess.run(cmd, cwd=repo, check=True)
    return repo


def check_lock(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", ".ci/check-lock"], cwd=repo, capture_output=True, text=True)


def test_ci_runs_the_lock_check_after_reproducing():
    lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert lines.index("bash .ci/check-lock") > lines.index("dvc repro")


def test_the_lock_check_fails_on_a_changed_lock_staged_or_not(tmp_path):
    repo = lock_repo(tmp_path)
    assert check_lock(repo).returncode == 0
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {sample: {}}\n")
    proc = check_lock(repo)
    assert proc.returncode == 1 and "dvc.lock changed on reproduction" in proc.stderr
    subprocess.run(["git", "add", "dvc.lock"], cwd=repo, check=True)  # as core.autostage does after dvc repro
    proc = check_lock(repo)
    assert proc.returncode == 1 and "dvc.lock changed on reproduction" in proc.stderr
