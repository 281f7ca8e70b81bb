"""The whole DVC pipeline, end to end, in a throwaway copy of the repository with tiny params."""

import copy
import hashlib
import json
import re
from pathlib import Path

from gan1d import frames

import imageio_ffmpeg
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import built_repo, run, tiny_raw

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"

OUTPUTS = [
    "data/validate/valid.txt",
    "data/sample/real.parquet",
    "data/sample/heldout.parquet",
    "data/sample/pretrain.parquet",
    "data/pretrain/discriminator.weights.h5",
    "data/pretrain/metrics.json",
    "data/train/checkpoint/ckpt.index",
    "data/train/generator.weights.h5",
    "data/train/frames.parquet",
    "data/train/live/metrics.json",
    "data/train/live/plots/metrics/loss_d.tsv",
    "data/train/live/plots/metrics/loss_g.tsv",
    "data/train/live/plots/metrics/quality/w1.tsv",
    "data/train/live/plots/metrics/quality/modes_covered.tsv",
    "data/evaluate/metrics.json",
    "data/evaluate/samples.parquet",
    "data/render/training.mp4",
    "data/render/final.png",
    "data/robustness/metrics.json",
    "data/robustness/per_seed.parquet",
    "data/robustness/samples.parquet",
    "data/robustness/w1_per_seed.png",
    "data/robustness/densities.png",
]

ALL_STAGES = {"validate", "sample", "pretrain", "train", "evaluate", "render", "robustness"}


def md5s(repo: Path) -> dict[str, str]:
    return {
        str(p.relative_to(repo)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted((repo / "data").rglob("*"))
        if p.is_file() and p.name != ".gitignore"
    }


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def set_params(repo: Path, raw: dict) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return built_repo(tmp_path_factory.mktemp("repo"), "repo")


def test_repro_builds_every_artifact(repo):
    log = (repo / ".git" / "first_repro.log").read_text()
    assert set(ran(log)) == ALL_STAGES
    assert re.search(r"evaluate: W1 \d+\.\d{4}", log)
    for rel in OUTPUTS:
        assert (repo / rel).is_file(), rel

    table = frames.read(repo / "data/train/frames.parquet")
    assert len(table) == 30 // 10 and table.steps.tolist() == [10, 20, 30]
    reader = imageio_ffmpeg.read_frames(str(repo / "data/render/training.mp4"))
    meta = next(reader)
    assert meta["codec"] == "h264"
    assert sum(1 for _ in reader) == len(table)
    assert (repo / "data/render/final.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    metrics = json.loads((repo / "data/evaluate/metrics.json").read_text())
    assert {
        "w1",
        "w1_std",
        "ks",
        "js",
        "mean",
        "std",
        "std_ratio",
        "within_3sigma",
        "modes_covered",
        "mass_error",
        "bins_covered",
        "decile_error",
        "fold_share",
        "tail_w1_std",
    } <= set(metrics)
    assert metrics["modes"] == 2.0  # the tiny target is a two-component mixture
    # quality over training: one row per frame, and the kept frame's W1 (train.select_from) is the evaluate stage's
    quality = (repo / "data/train/live/plots/metrics/quality/w1.tsv").read_text().splitlines()
    assert quality[0] == "step\tw1" and [int(r.split("\t")[0]) for r in quality[1:]] == [10, 20, 30]
    kept = json.loads((repo / "data/train/live/metrics.json").read_text())["kept_step"]
    assert dict(map(float, r.split("\t")) for r in quality[1:])[kept] == metrics["w1"]
    assert table.transport.shape == (3, len(table.noise)) and table.quantile[0] < table.quantile[-1]
    # the default recipe does not pretrain: the stage wrote its fixed placeholder and trained nothing
    assert json.loads((repo / "data/pretrain/metrics.json").read_text()) == {"pretrained": False}
    losses = (repo / "data/train/live/plots/metrics/loss_d.tsv").read_text().splitlines()
    assert losses[0] == "step\tloss_d" and len(losses) == 1 + 30 // 5  # loss_every = 5

    summary = json.loads((repo / "data/robustness/metrics.json").read_text())
    assert summary["seeds"] == 3 and set(summary) == {
        "seeds",
        "success_rate",
        "all_modes_rate",
        "median_w1",
        "median_w1_std",
        "worst_w1",
        "worst_mass_error",
        "nan_count",
        "worst_w1_std",
        "median_fold_share",
        "worst_fold_share",
        "median_tail_w1_std",
    }
    per_seed = pq.read_table(repo / "data/robustness/per_seed.parquet")
    assert per_seed["seed"].to_pylist() == [1, 2, 3]
    # seed 1 trained beside seeds 2 and 3 is exactly the pipeline's own run of seed 1
    assert per_seed["w1"][0].as_py() == metrics["w1"]
    assert per_seed["ks"][0].as_py() == metrics["ks"]
    assert per_seed["kept_step"][0].as_py() == kept
    samples = pq.read_table(repo / "data/robustness/samples.parquet")
    assert samples.column_names == ["seed", "value"] and samples.num_rows == 3 * 500


def test_rerun_is_a_no_op_and_forced_rerun_is_byte_identical(repo):
    before = md5s(repo)
    assert ran(run(["dvc", "repro"], repo).stdout) == []
    assert set(ran(run(["dvc", "repro", "-f"], repo).stdout)) == ALL_STAGES
    assert md5s(repo) == before


def test_only_affected_stages_rerun(repo):
    raw = tiny_raw()
    raw["render"]["fps"] = 12
    set_params(repo, raw)
    assert ran(run(["dvc", "repro"], repo).stdout) == ["validate", "render"]  # validate reads every key

    # a recipe that does not pretrain: a pretrain key reruns sample and pretrain (a placeholder), not train;
    # robustness reads every pretrain key (it pretrains each seed itself under a recipe that does)
    raw = copy.deepcopy(raw)
    raw["pretrain"]["steps"] = 25
    set_params(repo, raw)
    assert ran(run(["dvc", "repro"], repo).stdout) == ["validate", "sample", "pretrain", "robustness"]

    raw = copy.deepcopy(raw)
    raw["train"]["steps"] = 40
    set_params(repo, raw)
    assert set(ran(run(["dvc", "repro"], repo).stdout)) == {"validate", "train", "evaluate", "render", "robustness"}
    assert len(frames.read(repo / "data/train/frames.parquet")) == 4

    diff = json.loads(run(["dvc", "metrics", "diff", "--json"], repo).stdout)
    assert "data/evaluate/metrics.json" in diff and "w1" in diff["data/evaluate/metrics.json"]


NO_TF = "import runpy, sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


@pytest.mark.parametrize("stage", ["sample", "pretrain", "evaluate", "render"])
def test_stages_that_do_not_train_never_import_tensorflow(repo, stage):
    import sys

    cmd = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"][stage]["cmd"].split()
    assert cmd[0] == "python"
    proc = run([sys.executable, "-c", NO_TF, *cmd[1:]], repo)
    assert proc.stdout.startswith(f"{stage}:")
