"""`gan1d gate`: a regression beyond the params' limits fails and names the metric; an improvement passes."""

import json

from gan1d.config import Gate
from gan1d.gate import evaluate

import pytest

from conftest import make_repo, run, tiny_raw

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"

GATE = Gate(w1=0.01, ks=0.02, success_rate=0.1)


def diff(**metrics):
    return {"data/evaluate/metrics.json": {k: {"old": o, "new": n, "diff": n - o} for k, (o, n) in metrics.items()}}


def test_rows_against_hand_values():
    rows = {r.metric: r.ok for r in evaluate(diff(w1=(0.03, 0.045), ks=(0.05, 0.06), mean=(4.0, 9.0)), GATE)}
    assert rows == {"w1": False, "ks": True}  # w1 rose 0.015 > 0.01; ks rose 0.01 <= 0.02; mean is not gated
    rate = {"data/robustness/metrics.json": {"success_rate": {"old": 0.9, "new": 0.75}}}
    assert [r.ok for r in evaluate(rate, GATE)] == [False]  # fell 0.15 > 0.1
    assert [r.ok for r in evaluate({"m.json": {"w1": {"old": 0.03, "new": None}}}, GATE)] == [False]


def write_metrics(repo, w1, rate):
    (repo / "data/evaluate").mkdir(parents=True, exist_ok=True)
    (repo / "data/robustness").mkdir(parents=True, exist_ok=True)
    (repo / "data/evaluate/metrics.json").write_text(json.dumps({"w1": w1, "ks": 0.05}))
    (repo / "data/robustness/metrics.json").write_text(json.dumps({"success_rate": rate}))


@pytest.fixture
def repo(tmp_path):
    repo = make_repo(tmp_path, tiny_raw())
    write_metrics(repo, 0.030, 0.9)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "base metrics"], repo)
    return repo


def test_gate_fails_on_a_regression_and_names_it(repo):
    write_metrics(repo, 0.060, 0.9)
    proc = run(["gan1d", "gate", "HEAD"], repo, check=False)
    assert proc.returncode == 1
    assert "REGRESSION" in proc.stdout and "data/evaluate/metrics.json:w1" in proc.stdout
    assert "w1 (data/evaluate/metrics.json) regressed against HEAD" in proc.stderr


def test_gate_passes_an_improvement(repo):
    write_metrics(repo, 0.020, 1.0)
    proc = run(["gan1d", "gate", "HEAD"], repo)
    assert "gate: passed against HEAD" in proc.stdout
