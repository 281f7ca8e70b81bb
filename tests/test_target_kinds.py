"""Target kinds end to end: a user's data file tracked with `dvc add`, and a scipy.stats family, each set by
one `gan1d target` command and reproduced with no other edit, in a throwaway copy of the repository."""

import json
import re

from gan1d.distributions import rng

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import make_repo, run, tiny_raw

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def write_csv(path, values) -> None:
    path.write_text("id,x\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(values)))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    raw = tiny_raw()
    raw["robustness"]["count"] = 2
    path = make_repo(tmp_path_factory.mktemp("kinds"), raw)
    write_csv(path / "data/raw/mine.csv", rng(3, "mine").gamma(2.0, 1.5, 120).round(4).tolist())
    run(["dvc", "add", "data/raw/mine.csv"], path)
    run(["gan1d", "target", "--data", "data/raw/mine.csv", "--column", "x", "--holdout", "0.25"], path)
    path.joinpath("first.log").write_text(run(["dvc", "repro"], path).stdout)
    return path


def test_a_data_file_trains_on_its_training_part_and_is_scored_on_the_held_out_part(repo):
    assert set(ran((repo / "first.log").read_text())) == {
        "validate",
        "sample",
        "pretrain",
        "train",
        "evaluate",
        "robustness",
        "render",
    }
    real = pq.read_table(repo / "data/sample/real.parquet")["value"].to_numpy()
    held = pq.read_table(repo / "data/sample/heldout.parquet")["value"].to_numpy()
    assert (len(real), len(held)) == (90, 30)  # 25% of 120 held out
    values = np.loadtxt(repo / "data/raw/mine.csv", delimiter=",", skiprows=1)[:, 1]
    assert sorted(np.concatenate([real, held]).tolist()) == sorted(values.tolist())  # a split, nothing lost
    metrics = json.loads((repo / "data/evaluate/metrics.json").read_text())
    for key in (
        "baseline_w1",
        "baseline_w1_std",
        "baseline_ks",
        "baseline_success",
        "ks_critical",
        "bins_covered",
        "fold_share",
    ):
        assert key in metrics, key
    assert metrics["ks_critical"] == pytest.approx(0.2417, abs=1e-3)  # kstwo.isf(0.05, 30)
    per_seed = pq.read_table(repo / "data/robustness/per_seed.parquet").to_pydict()
    assert per_seed["baseline_w1"] == [metrics["baseline_w1"]] * 2  # every seed against the same held-out part
    assert per_seed["w1"][0] == metrics["w1"]  # seed 1's row is the pipeline's own run
    summary = json.loads((repo / "data/robustness/metrics.json").read_text())
    assert summary["baseline_w1_std"] == metrics["baseline_w1_std"]
    assert summary["baseline_success"] == metrics["baseline_success"] == float(metrics["baseline_ks"] < 0.2417)


def test_a_second_repro_does_nothing_and_new_data_reruns_sample_and_what_follows(repo):
    assert ran(run(["dvc", "repro"], repo).stdout) == []
    write_csv(repo / "data/raw/mine.csv", rng(4, "mine").gamma(2.0, 1.5, 120).round(4).tolist())
    assert ran(run(["dvc", "repro", "sample"], repo).stdout) == ["validate", "sample"]
    stale = json.loads(run(["dvc", "status", "--json"], repo).stdout)  # what the next repro would rerun
    assert set(stale) == {"pretrain", "train", "evaluate", "robustness"}  # render follows train's new frames


def test_a_scipy_family_needs_only_the_target_command(repo):
    run(["gan1d", "target", "--family", "lognorm", "--args", "0.5"], repo)
    run(["dvc", "repro", "evaluate"], repo)
    metrics = json.loads((repo / "data/evaluate/metrics.json").read_text())
    assert "baseline_w1" not in metrics and metrics["tail_w1_std"] >= 0
    assert pq.read_table(repo / "data/sample/heldout.parquet").num_rows == 0
    real = pq.read_table(repo / "data/sample/real.parquet")["value"].to_numpy()
    assert real.min() > 0 and abs(np.median(real) - 1.0) < 0.1  # lognormal(0.5): positive, median 1
