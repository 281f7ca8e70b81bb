"""Resume points: an interrupted run continues where it stopped and ends with the same bytes."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from gan1d import data, engine, resume, training
from gan1d.config import parse_params

import numpy as np
import pytest

from conftest import TEST_CACHE, make_repo, run, run_env, tiny_raw


@pytest.fixture(scope="module")
def chunks():
    """Tiny params with three compiled chunks of 2000 steps (a resume point sits between chunks)."""
    raw = tiny_raw()
    raw["train"].update(steps=5000, log_every=1000, loss_every=100)
    return parse_params(raw)


@pytest.fixture(scope="module")
def whole(chunks):
    """The uninterrupted run."""
    return train(chunks, [3])


def train(params, seeds, directory=None, on_chunk=None):
    real = np.stack([data.draw_real(params, s) for s in seeds])
    engine.set_seed(seeds[0])
    return training.train(
        params, real, seeds, resume_dir=directory, resume_every=0.0, on_chunk=on_chunk, progress=False
    )


def interrupt_after(chunk: int):
    calls = []

    def hook(steps, seconds):
        calls.append(steps)
        if len(calls) == chunk:
            raise KeyboardInterrupt

    return hook


@pytest.fixture(scope="module")
def stopped(chunks, tmp_path_factory):
    """The folder of a run interrupted in its second chunk: its one resume point, at step 2000. Made once (a
    training costs seconds whatever its steps, docs/performance.md "The test suite"); each test that resumes
    from it, damages it or starts beside it gets its own copy (``from_stopped``)."""
    directory = tmp_path_factory.mktemp("stopped")
    with pytest.raises(KeyboardInterrupt):
        train(chunks, [3], directory, interrupt_after(2))
    return directory


def from_stopped(stopped: Path, directory: Path) -> None:
    """``directory`` as the interrupted run of ``stopped`` left it (the resume point's name is its run's key)."""
    for point in stopped.iterdir():
        shutil.copy2(point, directory / point.name)


def same(a, b) -> None:
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.boundary, b.boundary)
    np.testing.assert_array_equal(a.generated, b.generated)
    np.testing.assert_array_equal(a.weights, b.weights)
    for x, y in zip(
        a.discriminator.weights + a.d_optimizer.variables + a.g_optimizer.variables,
        b.discriminator.weights + b.d_optimizer.variables + b.g_optimizer.variables,
    ):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [1, 2])
def test_an_interrupted_run_resumes_and_ends_identical(chunks, whole, stopped, tmp_path, capfd, chunk):
    if chunk == 1:  # after chunk 1 (a point saved): the shared interrupted run
        from_stopped(stopped, tmp_path)
    else:  # during the last chunk
        with pytest.raises(KeyboardInterrupt):
            train(chunks, [3], tmp_path, interrupt_after(chunk + 1))
    assert len(list(tmp_path.glob("*.npz"))) == 1
    capfd.readouterr()
    done = []
    resumed = train(chunks, [3], tmp_path, lambda steps, s: done.append(steps))
    assert f"train: resuming from step {2000 * chunk} of 5000" in capfd.readouterr().err
    assert sum(done) == 5000 - 2000 * chunk  # only what was left was trained
    same(whole, resumed)
    assert not list(tmp_path.glob("*")), "a completed run removes its resume point"


@pytest.mark.slow
def test_an_interrupted_save_leaves_the_previous_point(chunks, whole, tmp_path, monkeypatch, capfd):
    replace, saves = os.replace, []

    def failing_replace(src, dst):  # the second save is interrupted before its rename
        saves.append(dst)
        if len(saves) == 2:
            raise KeyboardInterrupt
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        train(chunks, [3], tmp_path)
    monkeypatch.setattr(os, "replace", replace)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]  # no temporary file left
    capfd.readouterr()
    resumed = train(chunks, [3], tmp_path)
    assert "resuming from step 2000 of 5000" in capfd.readouterr().err
    same(whole, resumed)


@pytest.mark.slow
def test_a_changed_param_starts_from_step_0(stopped, tmp_path, capfd):
    from_stopped(stopped, tmp_path)
    raw = tiny_raw()
    raw["train"].update(steps=5000, log_every=1000, loss_every=100, ema=0.99)
    other = parse_params(raw)
    capfd.readouterr()
    done = []
    train(other, [3], tmp_path, lambda steps, s: done.append(steps))
    assert sum(done) == 5000 and "resuming" not in capfd.readouterr().err
    assert len(list(tmp_path.glob("*.npz"))) == 1  # the other run's point is left alone, never trusted


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "foreign"])
def test_a_damaged_or_foreign_point_is_ignored_with_one_line(chunks, whole, stopped, tmp_path, capfd, damage):
    from_stopped(stopped, tmp_path)
    (point,) = tmp_path.glob("*.npz")
    if damage == "truncate":
        point.write_bytes(point.read_bytes()[: point.stat().st_size // 2])
    else:  # another run's file under this run's name
        with np.load(point) as f:
            arrays = {k: f[k] for k in f.files}
        arrays["key"] = np.array("0" * 32)
        np.savez(point, **arrays)
    capfd.readouterr()
    again = train(chunks, [3], tmp_path)
    lines = [line for line in capfd.readouterr().err.splitlines() if "resume point" in line]
    assert len(lines) == 1 and "damaged or foreign" in lines[0] and str(point) in lines[0]
    same(whole, again)


def test_the_key_covers_code_and_inputs():
    a = resume.run_key("train", {"x": 1}, np.zeros(3))
    assert a == resume.run_key("train", {"x": 1}, np.zeros(3))
    assert a != resume.run_key("train", {"x": 2}, np.zeros(3))
    assert a != resume.run_key("train", {"x": 1}, np.ones(3))


def _resume_points(repo: Path) -> list[Path]:
    return sorted((repo / ".cache" / "resume").glob("*.npz"))


def _long_raw() -> dict:
    """Train and robustness runs of three chunks (a resume point after the first two)."""
    raw = tiny_raw()
    raw["train"].update(steps=5000, log_every=1000, loss_every=100)
    raw["robustness"]["count"] = 4  # two seeds per worker
    return raw


def _md5s(repo: Path) -> dict[str, str]:
    return {
        str(p.relative_to(repo)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted((repo / "data").rglob("*"))
        if p.is_file() and p.name != ".gitignore"
    }


def _interrupt(repo: Path, stage: str, sig: signal.Signals) -> None:
    """Run `dvc repro stage` and send ``sig`` to dvc and every process of the stage once a resume point
    is on disk, as Ctrl-C in a terminal (SIGINT) or a preempted machine (SIGTERM) does. A process that saved
    one waits there (GAN1D_PAUSE_AT), so the signal finds the run unfinished on any machine."""
    env = {
        **run_env(),
        "GAN1D_CACHE": str(repo / ".cache"),
        "GAN1D_RESUME_EVERY": "0",
        "GAN1D_WORKERS": "2",
        "GAN1D_PAUSE_AT": "resumable",
    }
    proc = subprocess.Popen(
        ["dvc", "repro", "-f", "-s", stage],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not _resume_points(repo) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.25)
    os.killpg(proc.pid, sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, (
        f"the stage finished before the signal: nothing was interrupted\n{out.decode()}{err.decode()}"
    )
    assert _resume_points(repo), "no resume point survived the interruption"
    assert not [p for p in (repo / ".cache").rglob("*") if ".tmp" in p.name]


def _repro(repo: Path, stage: str) -> str:
    env = {**run_env(), "GAN1D_CACHE": str(repo / ".cache"), "GAN1D_WORKERS": "2"}
    proc = subprocess.run(["dvc", "repro", stage], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def _resumed_steps(output: str) -> list[int]:
    return [int(s) for s in re.findall(r"resuming from step (\d+) of 5000", output)]


@pytest.mark.slow
def test_an_interrupted_repro_resumes_and_every_output_is_identical(tmp_path):
    repo = make_repo(tmp_path / "repo", _long_raw())
    # its own resume points (repo/.cache/resume), the session's compiled programs (the same bytes either way)
    (repo / ".cache").mkdir()
    (repo / ".cache" / "xla").symlink_to(TEST_CACHE / "xla", target_is_directory=True)
    run(["dvc", "repro", "train", "robustness"], repo)  # robustness on one worker; below on two
    whole = _md5s(repo)
    # as if these were the first runs: with the outputs in its cache DVC would check them out instead of rerunning
    shutil.rmtree(repo / ".dvc" / "cache")

    _interrupt(repo, "train", signal.SIGTERM)
    assert len(_resumed_steps(_repro(repo, "train"))) == 1

    _interrupt(repo, "robustness", signal.SIGINT)  # two worker processes
    assert _resumed_steps(_repro(repo, "robustness"))  # each worker's shard that had saved one

    assert _md5s(repo) == whole
    assert not _resume_points(repo)
