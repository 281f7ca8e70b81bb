"""Shared fixtures: the default params as a dict, tiny params for fast runs, a throwaway repo copy."""

from __future__ import annotations

import copy
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from gan1d.config import Params, parse_params
from gan1d.quiet import use_compile_cache

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def default_raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def tiny_raw() -> dict:
    """Params small enough for a whole pipeline run in seconds."""
    raw = copy.deepcopy(default_raw())
    raw["data"]["n_real"] = 500
    raw["pretrain"].update(steps=20, batch=8)
    raw["train"].update(steps=30, batch=8, log_every=10, loss_every=5, frame_grid=50, frame_bins=20, frame_samples=200)
    raw["seed"] = 1
    raw["target"] = {"means": [-2.0, 4.0], "sigmas": [0.5, 0.5], "weights": [1.0, 1.0]}  # a mixture, end to end
    raw["robustness"].update(first_seed=1, count=3)  # seed 1 again: its row must equal the main run
    raw["evaluate"].update(n_points=500, bins=20)
    raw["render"].update(dpi=40)
    return raw


@pytest.fixture
def tiny() -> Params:
    return parse_params(tiny_raw())


# A shell that starts a command in the background without job control (as a CI runner may) makes it ignore
# SIGINT, and an ignored signal stays ignored in every child: the stages would never see the Ctrl-C that the
# interrupt tests send. A handled signal is reset to the default in a child, as in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# One folder for the whole session, shared by pytest-xdist's test processes (it names the run): the compile
# cache and the built repositories below. Without xdist, a folder of this process's own.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
SESSION = Path(tempfile.gettempdir()) / f"gan1d-tests-{_RUN}" if _RUN else Path(tempfile.mkdtemp(prefix="gan1d-tests-"))
(SESSION / "xla").mkdir(parents=True, exist_ok=True)

# One compile cache for every stage the tests run: each tiny program is compiled once per session, not once per
# run or per test process (outputs are the same bytes either way: tests/test_parallel.py; XLA writes an entry
# under a temporary name and renames it, so processes can share it). The resume points stay this process's own
# (``TEST_CACHE/resume``); tiny runs are one chunk long, so they never leave one here anyway.
TEST_CACHE = Path(tempfile.mkdtemp(prefix="gan1d-test-cache-"))
(TEST_CACHE / "xla").symlink_to(SESSION / "xla", target_is_directory=True)
use_compile_cache(TEST_CACHE / "xla")  # and for the programs the tests compile in this process


def run_env() -> dict[str, str]:
    """Environment for subprocesses: this interpreter's bin first, so dvc's `python` is ours."""
    env = dict(os.environ)
    env["GAN1D_CACHE"] = str(TEST_CACHE)
    env["GAN1D_WORKERS"] = (
        "1"  # tiny runs: one process is cheaper than spawning workers (tests that test workers set it)
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DVC_EXP_BASELINE_REV", None)
    return env


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=run_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_repo(dest: Path, raw: dict) -> Path:
    """A git+DVC copy of the tracked sources in ``dest`` with ``raw`` as params.yaml, committed."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for rel in files:
        if (rel.startswith("data/") and not rel.startswith("data/raw/")) or rel == "dvc.lock":
            continue  # pipeline outputs and their lock are rebuilt by the test
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    for cmd in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.email", "test@example.com"],
        ["git", "config", "user.name", "test"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "init"],
    ):
        run(cmd, dest)
    return dest


def built_repo(parent: Path, name: str, raw: dict | None = None) -> Path:
    """``parent/name``: a repository with the tiny pipeline (or ``raw``) reproduced and committed; the first
    `dvc repro`'s stdout and stderr are in ``.git/first_repro.log``.

    Each params is built once per session, by whichever test process needs it first (the others wait on a
    lock); later calls get a copy of that repository (work tree, git history and DVC cache alike, less DVC's
    ``.dvc/tmp`` state): what a fresh build gives, without rerunning it.
    """
    text = yaml.safe_dump(raw or tiny_raw(), sort_keys=False)
    built = SESSION / "built" / hashlib.sha256(text.encode()).hexdigest()[:16]
    built.mkdir(parents=True, exist_ok=True)
    template = built / "repo"
    with open(built / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a test process dies
        if not (built / "done").exists():
            shutil.rmtree(template, ignore_errors=True)  # a build that a dead process left half done
            template.mkdir()
            make_repo(template, yaml.safe_load(text))
            proc = run(["dvc", "repro"], template)
            (template / ".git" / "first_repro.log").write_text(proc.stdout + proc.stderr)
            run(["git", "add", "-A"], template)
            run(["git", "commit", "-qm", "pipeline run"], template)
            (built / "done").touch()
    repo = parent / name
    shutil.copytree(template, repo, symlinks=True, ignore=lambda d, names: ["tmp"] if d.endswith(".dvc") else [])
    return repo


def robustness_stage(params: Path, out: Path, env: dict[str, str], timeout: float | None = None):
    """stages/robustness.py on ``params`` with every output in ``out`` (its cwd), in environment ``env``."""
    args = ["--real", "real.parquet", "--heldout", "heldout.parquet", "--metrics", "metrics.json"]
    args += ["--per-seed", "per_seed.parquet", "--samples", "samples.parquet"]
    args += ["--w1-plot", "w1_per_seed.png", "--densities", "densities.png"]
    cmd = [sys.executable, str(ROOT / "stages" / "robustness.py"), "--params", str(params), *args]
    return subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown when it is not loaded
def pytest_xdist_auto_num_workers(config) -> int:
    """`--numprocesses=auto`: one test process more than there are cores, so that the cores stay busy while a
    process waits on DVC, git or a worker starting (docs/performance.md, "The test suite")."""
    return (os.cpu_count() or 1) + 1
