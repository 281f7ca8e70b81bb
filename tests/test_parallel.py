"""Seeds over worker processes and a Dask cluster, and the compile cache: the same bytes every way."""

import hashlib
import subprocess
import sys
import time
from pathlib import Path

from gan1d.errors import ConfigError
from gan1d.robustness import shards
from gan1d.runtime import Runtime, from_environ

import pytest
import yaml

from conftest import robustness_stage, run_env, tiny_raw

ROBUSTNESS_OUTPUTS = ("metrics.json", "per_seed.parquet", "samples.parquet", "w1_per_seed.png", "densities.png")


def test_shards_are_contiguous_near_equal_and_never_empty():
    assert shards(list(range(1, 8)), 3) == [[1, 2, 3], [4, 5], [6, 7]]
    assert shards([5, 6], 4) == [[5], [6]]  # no more shards than seeds
    assert shards([5, 6, 7], 1) == [[5, 6, 7]]


def test_runtime_comes_from_the_environment_and_a_bad_value_is_named(tmp_path):
    assert from_environ({}) == Runtime(None, None, Path(".cache").resolve())
    rt = from_environ(
        {"GAN1D_WORKERS": "3", "GAN1D_DASK_SCHEDULER": "tcp://127.0.0.1:8786", "GAN1D_CACHE": str(tmp_path)}
    )
    assert rt == Runtime(3, "tcp://127.0.0.1:8786", tmp_path)
    assert rt.compile_cache == tmp_path / "xla" and rt.resume_dir == tmp_path / "resume"
    assert from_environ({"GAN1D_CACHE": "off"}).compile_cache is None
    for bad in ("0", "-2", "two"):
        with pytest.raises(ConfigError, match="GAN1D_WORKERS"):
            from_environ({"GAN1D_WORKERS": bad})


def _md5s(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> Path:
    raw = tiny_raw()
    raw["robustness"]["count"] = 5
    path = tmp_path_factory.mktemp("params") / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _robustness(params: Path, out: Path, env: dict[str, str]) -> dict[str, str]:
    """Run the robustness stage into ``out`` (compile cache off unless ``env`` says otherwise)."""
    out.mkdir()
    proc = robustness_stage(params, out, {**run_env(), "GAN1D_CACHE": "off", **env})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("robustness: 5 seeds")
    return {name: _md5s(out)[name] for name in ROBUSTNESS_OUTPUTS}


@pytest.fixture(scope="module")
def one_worker(params, tmp_path_factory) -> dict[str, str]:
    """The robustness outputs of the 5 tiny seeds trained in the stage's own process."""
    return _robustness(params, tmp_path_factory.mktemp("one") / "out", {"GAN1D_WORKERS": "1"})


@pytest.mark.slow
def test_two_workers_give_the_bytes_of_one(tmp_path, params, one_worker):
    # shards of 3 and 2 seeds; three workers (shards 2, 2, 1) run on the Dask cluster below
    assert _robustness(params, tmp_path / "out", {"GAN1D_WORKERS": "2"}) == one_worker


@pytest.fixture
def dask_cluster(tmp_path):
    """A Dask scheduler and two single-threaded workers on 127.0.0.1, as a team's cluster would run them."""
    pytest.importorskip("distributed")
    bin_dir = Path(sys.executable).parent
    scheduler_file = tmp_path / "scheduler.json"
    env = {**run_env(), "GAN1D_CACHE": "off"}
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), "the Dask scheduler did not start"
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(bin_dir / "dask"),
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        import json

        from distributed import Client

        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
def test_a_dask_cluster_on_loopback_gives_the_local_bytes(tmp_path, params, one_worker, dask_cluster):
    # three shards on two workers: one worker runs two shards in the same process, one after the other
    assert (
        _robustness(params, tmp_path / "out", {"GAN1D_DASK_SCHEDULER": dask_cluster, "GAN1D_WORKERS": "3"})
        == one_worker
    )


@pytest.fixture(scope="module")
def cold(params, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A run with a compile cache of its own, empty before it: that cache's folder and the run's outputs (in
    ``cache.parent / "cold"``). Shared by the two tests below, as each run costs a process start-up and a compile:
    the first runs warm against it, the second sweeps against it."""
    folder = tmp_path_factory.mktemp("cold")
    cache = folder / "cache"
    outputs = _robustness(params, folder / "cold", {"GAN1D_WORKERS": "1", "GAN1D_CACHE": str(cache)})
    return cache, outputs


@pytest.mark.slow
def test_outputs_are_the_same_with_the_compile_cache_off_cold_or_warm(tmp_path, params, one_worker, cold):
    cache, cold_outputs = cold
    assert list((cache / "xla").glob("*")), "the cold run filled the cache"
    warm = _robustness(params, tmp_path / "warm", {"GAN1D_WORKERS": "1", "GAN1D_CACHE": str(cache)})
    assert cold_outputs == warm == one_worker  # one_worker ran with the cache off
    assert not (cache.parent / "cold" / ".cache").exists()


@pytest.mark.slow
def test_a_sweep_over_learning_rates_penalty_and_ema_compiles_once(tmp_path, params, one_worker, cold):
    # These params are runtime values of the compiled program, not constants in it: a second run
    # with other values loads the first run's program from the cache, and still uses its own values.
    cache_dir, first = cold  # the first run: a cold cache of its own (a warm run may have used it since)
    cache = {"GAN1D_WORKERS": "1", "GAN1D_CACHE": str(cache_dir)}
    programs = sorted((cache_dir / "xla").glob("*"))
    assert programs, "the first run filled the cache"
    raw = yaml.safe_load(params.read_text())
    raw["train"].update(r1_gamma=0.3, ema=0.99)
    raw["train"]["d_optimizer"]["learning_rate"] = 0.01
    raw["train"]["g_optimizer"]["learning_rate"] = 0.004
    raw["noise"]["jitter"] = 0.05
    swept = tmp_path / "swept.yaml"
    swept.write_text(yaml.safe_dump(raw))
    second = _robustness(swept, tmp_path / "second", cache)
    assert sorted((cache_dir / "xla").glob("*")) == programs
    assert first == one_worker and second["per_seed.parquet"] != first["per_seed.parquet"]


def test_a_bad_worker_count_is_one_line_naming_the_variable(tmp_path, params):
    proc = robustness_stage(params, tmp_path, {**run_env(), "GAN1D_WORKERS": "zero"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: GAN1D_WORKERS='zero': must be a whole number of worker processes, at least 1"
    ]
    assert not list(tmp_path.glob("*.json"))
