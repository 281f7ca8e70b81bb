"""`gan1d report BASE`: metrics with the gate's verdicts, the params diff, and pictures whose links exist."""

import re

import pytest
import yaml
from test_gate import write_metrics

from conftest import make_repo, run, tiny_raw

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"

PNG = b"\x89PNG\r\n\x1a\n not a real picture, only copied"


def test_report_against_the_last_commit(tmp_path):
    repo = make_repo(tmp_path, tiny_raw())
    write_metrics(repo, 0.030, 0.9)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "base metrics"], repo)

    write_metrics(repo, 0.060, 0.85)  # w1 rises 0.03 > gate.w1; success_rate falls 0.05 <= gate.success_rate
    raw = tiny_raw()
    raw["train"]["steps"] = 40
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (repo / "data/render").mkdir(parents=True)
    (repo / "data/render/final.png").write_bytes(PNG)

    proc = run(["gan1d", "report", "HEAD", "--out", "out/report.md"], repo)
    assert "report: wrote out/report.md" in proc.stdout
    text = (repo / "out/report.md").read_text()
    assert "| `data/evaluate/metrics.json` | w1 | 0.03 | 0.06 | +0.03 | 0.01 | **REGRESSION** |" in text
    assert "| `data/evaluate/metrics.json` | ks | 0.05 | 0.05 | +0 | 0.02 | ok |" in text  # unchanged, still listed
    assert "| `data/robustness/metrics.json` | success_rate | 0.9 | 0.85 | -0.05 | 0.1 | ok |" in text
    assert "**failed**: w1 (data/evaluate/metrics.json) regressed" in text
    assert "| `params.yaml` | `train.steps` | 30 | 40 |" in text

    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["report_images/final.png"]
    assert (repo / "out" / links[0]).read_bytes() == PNG

    run(["gan1d", "report", "HEAD", "--out", "out/again.md"], repo)
    assert (repo / "out/again.md").read_text() == text.replace("report_images", "again_images")

    # the gate reads the same verdicts
    gate = run(["gan1d", "gate", "HEAD"], repo, check=False)
    assert gate.returncode == 1 and "w1 (data/evaluate/metrics.json) regressed" in gate.stderr


def test_missing_picture_is_named_not_fatal(tmp_path):
    repo = make_repo(tmp_path, tiny_raw())
    write_metrics(repo, 0.030, 0.9)
    proc = run(["gan1d", "report", "HEAD"], repo)
    text = (repo / "report.md").read_text()
    assert proc.returncode == 0
    assert "`data/render/final.png` is missing (run `dvc repro`)" in text
    assert "No params changed." in text
    assert "| w1 | - | 0.03 |" in text  # new since HEAD: no base value, and not a regression
