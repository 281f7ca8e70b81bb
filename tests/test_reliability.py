"""Interruptions, damaged artifacts, divergence and determinism under other environments."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from gan1d.config import parse_params
from gan1d.errors import ConfigError

import pytest
import yaml
from test_config import BAD, with_change

from conftest import built_repo, run, run_env, tiny_raw

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"


def md5s(repo: Path) -> dict[str, str]:
    return {
        str(p.relative_to(repo)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted((repo / "data").rglob("*"))
        if p.is_file() and p.name != ".gitignore"
    }


def stage_cmd(repo: Path, stage: str, params: Path | None = None) -> list[str]:
    cmd = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"][stage]["cmd"].split()
    cmd[0] = sys.executable
    return cmd + (["--params", str(params)] if params else [])


def pretraining_raw() -> dict:
    """The tiny params under a recipe that pretrains: the pretrain stage trains, and train reads its weights."""
    raw = tiny_raw()
    raw["train"]["use_pretrained"] = True
    return raw


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return built_repo(tmp_path_factory.mktemp("reliable"), "repo", pretraining_raw())


def paused(cmd: list[str], repo: Path, phase: str, **popen) -> subprocess.Popen:
    """Start ``cmd`` with the stage set to wait at ``phase`` (GAN1D_PAUSE_AT), and return once it waits there:
    an interrupt then lands in that phase on any machine, however fast."""
    env = {**run_env(), "GAN1D_PAUSE_AT": phase}
    proc = subprocess.Popen(
        cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **popen
    )
    for line in proc.stderr:
        if line.strip() == f"gan1d: paused at {phase}":
            return proc
    proc.wait()
    raise AssertionError(f"{' '.join(cmd)} never reached phase {phase!r} (exit {proc.returncode})")


PHASES = [  # every phase of the stages that train, and the writing phase of every stage
    ("pretrain", "imports", signal.SIGINT),
    ("pretrain", "tensorflow", signal.SIGTERM),
    ("pretrain", "training", signal.SIGINT),
    ("pretrain", "writing", signal.SIGTERM),
    ("train", "imports", signal.SIGTERM),
    ("train", "tensorflow", signal.SIGINT),
    ("train", "training", signal.SIGTERM),
    ("train", "writing", signal.SIGINT),
    ("sample", "writing", signal.SIGTERM),
    ("evaluate", "writing", signal.SIGINT),
    ("render", "rendering", signal.SIGTERM),
    ("render", "writing", signal.SIGINT),
]


@pytest.mark.parametrize("stage,phase,sig", PHASES, ids=[f"{s}-{p}-{g.name}" for s, p, g in PHASES])
def test_an_interrupted_stage_leaves_every_output_whole(repo, stage, phase, sig):
    before = md5s(repo)
    proc = paused(stage_cmd(repo, stage), repo, phase)
    proc.send_signal(sig)
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        f"interrupted ({sig.name}): no output was left half-written; rerun "
        "`dvc repro` (training resumes from its last resume point)"
    ]
    assert md5s(repo) == before  # every output as it was; never a temporary or half-written file
    assert not [p for p in (repo / "data").rglob("*") if ".tmp" in p.name or ".old" in p.name]


def test_an_interrupted_repro_is_completed_by_the_next(repo):
    before = md5s(repo)
    proc = paused(["dvc", "repro", "-f", "train"], repo, "training", start_new_session=True)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches dvc and the stage alike
    proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert not [p for p in (repo / "data").rglob("*") if ".tmp" in p.name]
    run(["dvc", "repro"], repo)
    assert md5s(repo) == before


@pytest.mark.parametrize(
    "stage,artifact",
    [
        ("pretrain", "data/sample/pretrain.parquet"),
        ("train", "data/sample/real.parquet"),
        ("train", "data/pretrain/discriminator.weights.h5"),
        ("evaluate", "data/train/generator.weights.h5"),
        ("render", "data/train/frames.parquet"),
    ],
)
@pytest.mark.parametrize("damage", ["truncate", "remove"])
def test_a_damaged_input_is_named(repo, tmp_path, stage, artifact, damage):
    raw = tiny_raw()
    raw["train"]["use_pretrained"] = True  # so that train reads the pretrained weights
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    path = repo / artifact
    good = path.read_bytes()
    before = md5s(repo)
    try:
        if damage == "truncate":
            path.write_bytes(good[: len(good) // 2])
        else:
            path.unlink()
        proc = subprocess.run(stage_cmd(repo, stage, params), cwd=repo, env=run_env(), capture_output=True, text=True)
    finally:
        path.write_bytes(good)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and artifact in lines[0] and "dvc checkout" in lines[0]
    assert md5s(repo) == before  # the stage wrote nothing


def test_divergence_stops_naming_the_step_or_continues_when_asked(repo, tmp_path):
    raw = tiny_raw()
    wild = {
        "name": "sgd",
        "learning_rate": 1e38,
        "schedule": "constant",
        "decay_rate": 1.0,
        "decay_steps": 1,
        "beta1": 0.5,
        "beta2": 0.999,
        "epsilon": 1e-7,
    }
    raw["train"].update(d_optimizer=wild, g_optimizer=wild)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    before = md5s(repo)
    proc = subprocess.run(stage_cmd(repo, "train", params), cwd=repo, env=run_env(), capture_output=True, text=True)
    assert proc.returncode == 4
    assert "the training loss became non-finite at step" in proc.stderr
    assert md5s(repo) == before

    raw["train"]["on_divergence"] = "continue"
    params.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    cmd = stage_cmd(repo, "train", params)
    for flag in ("--checkpoint", "--generator", "--frames", "--live"):  # write elsewhere: keep the repo's
        i = cmd.index(flag)
        cmd[i + 1] = str(out / Path(cmd[i + 1]).name)
    proc = subprocess.run(cmd, cwd=repo, env=run_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (out / "frames.parquet").is_file()


def test_thread_count_is_fixed_by_the_code():
    code = (
        "from gan1d import engine; engine.set_seed(1); import tensorflow as tf; "
        "print(tf.config.threading.get_intra_op_parallelism_threads(), "
        "tf.config.threading.get_inter_op_parallelism_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=run_env(), check=True)
    assert out.stdout.split() == ["1", "1"]


# Kinds of bad params: a missing, unknown or mistyped key, a number out of range or not whole, a choice, a bad list
# element, lengths or bounds that depend on other keys, a nested optimizer key, a section that is not a mapping.
THROUGH_DVC = {"seed", "train", "train.stepz", "train.steps", "train.loss", "train.log_every", "train.d_optimizer"}
THROUGH_DVC |= {"target", "target.means", "target.weights", "model.pack", "noise.range"}


@pytest.mark.parametrize("command", [["dvc", "repro"], ["dvc", "exp", "run"]], ids=["repro", "exp-run"])
def test_bad_params_stop_the_pipeline_before_any_output_is_removed(repo, command):
    """Rows of the bad-params table, through DVC: one error line naming the key, and afterwards every
    output, git-tracked ones (metrics, dvclive files) included, is what it was: `git status` is clean."""
    good = (repo / "params.yaml").read_text()
    before = md5s(repo)
    # test_config checks every row's message; through DVC, one row of each kind of error is enough (each row
    # costs a `dvc repro`), and `dvc exp run` a few (each costs an experiment's set-up)
    rows = [row for row in BAD if row[0] in THROUGH_DVC] if command[1] == "repro" else BAD[:3]
    try:
        for path, value, _ in rows:
            bad = with_change(path, value, yaml.safe_load(good))
            try:
                parse_params(bad)
                continue  # a row that is bad for the default params only (e.g. a bound set by train.steps)
            except ConfigError as err:
                message = f"error: {err}"
            (repo / "params.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
            proc = run(command, repo, check=False)
            assert proc.returncode != 0, (path, value)
            errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error: ")]
            assert errors == [message], (path, errors)
            assert md5s(repo) == before, (path, value)
            status = run(["git", "status", "--porcelain", "--untracked-files=all"], repo).stdout.splitlines()
            assert status == [" M params.yaml"], (path, status)
    finally:
        (repo / "params.yaml").write_text(good)
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_outputs_do_not_depend_on_directory_hash_seed_or_cpu_extensions(repo, tmp_path):
    """The tiny pipeline (pretraining too) rebuilt from scratch in another, deeper directory, with another
    PYTHONHASHSEED, a cold compile cache and, where this CPU has them, without AVX-512 and NumPy's wider code
    paths (tests/test_portable.py: NumPy stays pinned to its baseline, and XLA's --xla_cpu_max_isa stands in
    for a CPU without them): every output, md5 for md5. One rebuild checks all of these, as each costs a run."""
    from test_portable import avx512, wider_extensions

    other = tmp_path / "elsewhere" / "deeper"
    shutil.copytree(repo, other, ignore=shutil.ignore_patterns("data", "dvc.lock", "cache", "tmp"))
    shutil.copytree(repo / "data/raw", other / "data/raw")
    env = {k: v for k, v in run_env().items() if not k.startswith("NPY_")}
    env["PYTHONHASHSEED"] = "987"
    env["GAN1D_CACHE"] = "off"  # a cached XLA program was compiled for this CPU: compile afresh
    wider = wider_extensions()
    if wider:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(wider)
    if avx512():
        env["XLA_FLAGS"] = "--xla_cpu_max_isa=AVX2"
    subprocess.run(["dvc", "repro"], cwd=other, env=env, check=True, capture_output=True)
    assert md5s(other) == md5s(repo)
    assert len(md5s(repo)) > 15
