"""The robustness stage on a network that is not trusted, and when processes die under it.

- A Dask cluster on 127.0.0.1 with TLS (a throw-away CA and certificates made here): the per-seed
  results are the local bytes; a client without the certificates is refused with one line.
- A Dask worker killed (SIGKILL) while it runs a shard: Dask runs the shard again, same bytes.
- A local worker process killed while it trains: one line naming its seeds and the signal, the other
  workers are stopped, and a rerun resumes from the resume points.
- Two `dvc repro` at once in one repository: the second gets DVC's lock error, the first's outputs
  are whole.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from conftest import make_repo, robustness_stage, run, run_env, tiny_raw

pytestmark = pytest.mark.slow  # starts Dask clusters and worker processes: deselect with -m "not slow"

BIN = Path(sys.executable).parent
TLS_ENV = (
    "DASK_DISTRIBUTED__COMM__TLS__CA_FILE",
    "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
    "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY",
)
NO_DASK_CONFIG = tempfile.mkdtemp(prefix="gan1d-no-dask-config-")  # DASK_CONFIG: no user settings
TIMINGS: dict[str, float] = {}  # seconds, printed at the end of the module (pytest -s)

# A stage-like script: robustness.run with the runtime of the environment; the per-seed results pickled.
ROBUSTNESS = """
import gan1d.stage  # as every stage: Ctrl-C and SIGTERM end it with one line
import pickle, sys
from gan1d import robustness, runtime
from gan1d.config import load_params
from gan1d.errors import run_main

def main():
    result = robustness.run(load_params(sys.argv[1]), runtime.from_environ())
    with open(sys.argv[2], "wb") as f:
        pickle.dump((result.seeds, result.per_seed, result.samples), f)

run_main(main, exit_fast=True)
"""


def make_certs(folder: Path, names: tuple[str, ...] = ("scheduler", "worker", "client")) -> dict[str, Path]:
    """A throw-away CA (``ca``) and, for each of ``names``, a certificate (``name``) and key (``name-key``)
    it signed, for 127.0.0.1 and localhost, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    paths: dict[str, Path] = {}

    def build(subject: str, public_key, issuer: str):
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def write(name: str, cert, key) -> None:
        paths[name] = folder / f"{name}.pem"
        paths[name].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths[f"{name}-key"] = folder / f"{name}-key.pem"
        paths[f"{name}-key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        paths[f"{name}-key"].chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        build(f"gan1d test CA {folder.name}", ca_key.public_key(), f"gan1d test CA {folder.name}")
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    write("ca", ca, ca_key)
    for name in names:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            build(name, key.public_key(), f"gan1d test CA {folder.name}")
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        write(name, cert, key)
    return paths


def client_env(certs: dict[str, Path]) -> dict[str, str]:
    """The client's TLS settings, as Dask reads them from the environment."""
    return dict(zip(TLS_ENV, (str(certs["ca"]), str(certs["client"]), str(certs["client-key"]))))


def clean_env(**extra: str) -> dict[str, str]:
    """run_env() without any Dask TLS settings of this machine (and no user Dask config)."""
    env = {k: v for k, v in run_env().items() if not k.startswith("DASK_")}
    return {**env, "DASK_CONFIG": NO_DASK_CONFIG, "GAN1D_CACHE": "off", **extra}


def wait_until(condition, timeout: float, what: str, proc: subprocess.Popen | None = None, every: float = 0.05):
    """Poll ``condition()`` until it is truthy (returned) or ``timeout`` seconds pass (AssertionError);
    fails at once if ``proc`` ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the process ended ({proc.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(procs: list[subprocess.Popen], grace: float = 30) -> None:
    """SIGTERM to each of ``procs`` still running; SIGKILL to one still there ``grace`` seconds later."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Cluster:
    """A Dask scheduler and single-threaded, nanny-less workers on 127.0.0.1, every connection TLS with
    certificates of one throw-away CA."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.certs = make_certs(folder / "certs")
        self.scheduler_file = folder / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.env = clean_env()
        self.procs.append(
            self._start(
                "scheduler",
                [
                    "scheduler",
                    "--protocol",
                    "tls",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(self.scheduler_file),
                    *self._tls("scheduler"),
                ],
            )
        )
        wait_until(self.scheduler_file.exists, 60, "the Dask scheduler's address", self.procs[0])
        import json

        self.address = wait_until(
            lambda: json.loads(self.scheduler_file.read_text() or "{}").get("address"), 10, "the scheduler file"
        )
        assert self.address.startswith("tls://127.0.0.1:")

    def _tls(self, name: str) -> list[str]:
        c = self.certs
        return ["--tls-ca-file", str(c["ca"]), "--tls-cert", str(c[name]), "--tls-key", str(c[f"{name}-key"])]

    def _start(self, log: str, args: list[str]) -> subprocess.Popen:
        with open(self.folder / f"{log}.log", "ab") as out:
            return subprocess.Popen(
                [str(BIN / "dask"), *args], cwd=self.folder, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def add_worker(self) -> subprocess.Popen:
        proc = self._start(
            f"worker{len(self.workers)}",
            [
                "worker",
                self.address,
                "--no-nanny",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                *self._tls("worker"),
            ],
        )
        self.procs.append(proc)
        self.workers.append(proc)
        return proc

    def security(self):
        from distributed.security import Security

        c = self.certs
        return Security(
            tls_ca_file=str(c["ca"]),
            tls_client_cert=str(c["client"]),
            tls_client_key=str(c["client-key"]),
            require_encryption=True,
        )

    def client(self):
        from distributed import Client

        return Client(self.address, security=self.security(), timeout="30s")

    def alive(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def close(self) -> None:
        stop(self.workers, grace=10)  # first: a worker that outlives the scheduler waits for it
        stop(self.procs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        for _ in range(2):
            cluster.add_worker()
        with cluster.client() as client:
            client.wait_for_workers(2, timeout=90)
        yield cluster
    finally:
        cluster.close()


def results(path: Path) -> tuple:
    """The pickled (seeds, per-seed metrics, samples): every float as its exact hex, the samples as bytes."""
    seeds, per_seed, samples = pickle.loads(path.read_bytes())
    rows = [sorted((key, float(value).hex()) for key, value in row.items()) for row in per_seed]
    return seeds, rows, samples.dtype.str, samples.shape, samples.tobytes()


def robustness(params: Path, out: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-c", ROBUSTNESS, str(params), str(out)],
        env=env,
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def start_robustness(params: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ROBUSTNESS, str(params), str(out)],
        env=env,
        cwd=out.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def write_params(folder: Path, raw: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> Path:
    raw = tiny_raw()
    # 50 compiled chunks of 2000 steps: a few seconds of training, with a resume point between chunks
    raw["train"].update(steps=100_000, log_every=1000, loss_every=1000)
    raw["robustness"]["count"] = 4  # two shards of two seeds
    return write_params(tmp_path_factory.mktemp("params"), raw)


@pytest.fixture(scope="module")
def local(params) -> tuple:
    """The 4 tiny seeds' results trained in one local process."""
    out = params.parent / "local.pkl"
    robustness(params, out, clean_env(GAN1D_WORKERS="1"))
    return results(out)


def test_a_tls_cluster_gives_the_local_bytes(tmp_path, params, local, cluster):
    env = clean_env(GAN1D_DASK_SCHEDULER=cluster.address, GAN1D_WORKERS="2", **client_env(cluster.certs))
    began = time.monotonic()
    robustness(params, tmp_path / "tls.pkl", env)
    TIMINGS["dask run, undisturbed"] = time.monotonic() - began
    assert results(tmp_path / "tls.pkl") == local


def test_a_client_without_the_certificates_is_refused_with_one_line(tmp_path, params, cluster):
    stranger = make_certs(tmp_path / "stranger", ("client",))  # certificates of another CA
    tcp = cluster.address.replace("tls://", "tcp://")
    cases = {
        "none": (cluster.address, {}, "this client has no TLS certificate and CA"),
        "stranger": (cluster.address, client_env(stranger), "TLS certificate is not trusted"),
        "stranger's cert, our CA": (
            cluster.address,
            {**client_env(stranger), TLS_ENV[0]: str(cluster.certs["ca"])},
            "the scheduler refused this client's TLS certificate",
        ),
        "tcp": (tcp, {}, "does it use TLS? then the address starts tls://"),
        "tcp, encryption required": (
            tcp,
            {**client_env(cluster.certs), "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"},
            "the address must start tls://",
        ),
    }
    missing = {**client_env(cluster.certs), TLS_ENV[2]: str(tmp_path / "nowhere-key.pem")}
    cases["a missing key file"] = (
        cluster.address,
        missing,
        f"the TLS file {tmp_path / 'nowhere-key.pem'} "
        "(distributed.comm.tls.client.key, e.g. DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY) does not exist",
    )
    for case, (address, tls, why) in cases.items():
        out = tmp_path / "out" / case
        out.mkdir(parents=True)
        proc = robustness_stage(params, out, clean_env(GAN1D_DASK_SCHEDULER=address, **tls), timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, (case, proc.stderr)
        assert lines[0].startswith(f"error: GAN1D_DASK_SCHEDULER={address}: "), (case, lines)
        assert why in lines[0], (case, lines)
        if case != "a missing key file":
            assert "TLS certificates are needed: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in lines[0], (case, lines)
        assert not list(out.iterdir()), case  # no output written


def test_a_dask_worker_killed_while_it_runs_a_shard_costs_time_not_bytes(tmp_path, params, local, cluster):
    if len(cluster.alive()) < 2:
        cluster.add_worker()
    env = clean_env(GAN1D_DASK_SCHEDULER=cluster.address, GAN1D_WORKERS="2", **client_env(cluster.certs))
    with cluster.client() as client:
        client.wait_for_workers(2, timeout=90)
        pids = {w.pid: w for w in cluster.alive()}
        address_pid = client.run(os.getpid)  # {worker address: its process id}
        assert set(address_pid.values()) == set(pids), "the workers are ours"
        began = time.monotonic()
        proc = start_robustness(params, tmp_path / "killed.pkl", env)
        try:
            # the first worker the scheduler reports running one of our shards (each has one thread)
            busy = wait_until(
                lambda: [a for a, keys in client.processing().items() if keys], 120, "a worker running a shard", proc
            )
            pid = address_pid[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            assert pids[pid].wait(timeout=30) == -signal.SIGKILL
            out, err = proc.communicate(timeout=300)
            done = time.monotonic()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            cluster.add_worker()  # back to two workers for any later test
    assert proc.returncode == 0, err
    assert results(tmp_path / "killed.pkl") == local
    TIMINGS["dask run, a worker killed"] = done - began
    TIMINGS["dask run, from the kill to the end"] = done - killed


def _points(resume_dir: Path) -> list[Path]:
    """The resume points (not a temporary of one being written)."""
    return sorted(p for p in resume_dir.glob("*.npz") if not p.name.startswith("."))


def _workers(pid: int) -> list[psutil.Process]:
    """The worker processes (multiprocessing's spawned children) of process ``pid``, oldest first."""
    children = psutil.Process(pid).children()
    return sorted(
        (c for c in children if "spawn_main" in " ".join(c.cmdline())), key=lambda c: (c.create_time(), c.pid)
    )


def _unpaused(err: str) -> list[str]:
    """The lines of ``err`` less the workers' "paused at" reports."""
    return [line for line in err.strip().splitlines() if not line.startswith("gan1d: paused at ")]


def test_a_killed_local_worker_is_one_line_a_rerun_resumes_and_ctrl_c_still_stops_the_workers(tmp_path, params, local):
    cache = tmp_path / "cache"
    env = clean_env(GAN1D_WORKERS="2", GAN1D_CACHE=str(cache), GAN1D_RESUME_EVERY="0")  # a point after every chunk
    # each worker waits after a save, so both shards have a point and neither is done, however slow the machine
    paused = {**env, "GAN1D_PAUSE_AT": "resumable"}
    proc = start_robustness(params, tmp_path / "killed.pkl", paused)
    try:
        # both shards are past their first chunk (each saved a point) and neither is done
        wait_until(lambda: len(_points(cache / "resume")) == 2, 180, "both shards' first resume point", proc)
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        workers[0].send_signal(signal.SIGKILL)  # the first started: the shard of seeds 1-2
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 1
    assert _unpaused(err) == [
        "error: robustness: the worker process for seeds 1-2 died (SIGKILL); the other workers were stopped and keep "
        "their resume points: rerun `dvc repro` to resume"
    ]
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers), (
        "the other worker was stopped"
    )
    assert not (tmp_path / "killed.pkl").exists()
    assert len(_points(cache / "resume")) == 2, "both shards' resume points survived"

    rerun = robustness(params, tmp_path / "rerun.pkl", env)
    assert "train (seeds 1-2): resuming from step " in rerun.stderr, rerun.stderr  # the killed shard's point
    assert "train (seeds 3-4): resuming from step " in rerun.stderr, rerun.stderr  # the stopped shard's
    assert not _points(cache / "resume"), "a completed run removes its resume points"
    assert results(tmp_path / "rerun.pkl") == local

    # Ctrl-C (SIGINT to the stage): the workers are stopped with SIGTERM and keep their resume points
    proc = start_robustness(params, tmp_path / "interrupted.pkl", paused)
    try:
        wait_until(lambda: len(_points(cache / "resume")) == 2, 180, "both shards' first resume point", proc)
        workers = _workers(proc.pid)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert _unpaused(err) == [
        "interrupted (SIGINT): no output was left half-written; rerun `dvc repro` (training resumes from its last resume point)"
    ]
    assert len(workers) == 2 and not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    assert len(_points(cache / "resume")) == 2


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _stage_processes(pid: int, script: str) -> list[psutil.Process]:
    """The processes under ``pid`` that run ``script`` (DVC starts a stage through a shell)."""
    found = []
    for proc in psutil.Process(pid).children(recursive=True):
        try:
            if any(script in part for part in proc.cmdline()):
                found.append(proc)
        except psutil.NoSuchProcess:
            pass
    return found


def test_a_second_repro_while_one_runs_gets_the_lock_error_and_harms_nothing(tmp_path):
    repo = make_repo(tmp_path / "repo", tiny_raw())
    env = run_env()
    first = subprocess.Popen(
        ["dvc", "repro", "train"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(first.stdout, printed), daemon=True).start()
    seen: list[str] = []
    stopped: list[psutil.Process] = []
    try:

        def in_train() -> bool:
            while not printed.empty():
                seen.append(printed.get())
            return any(line.startswith("Running stage 'train'") for line in seen)

        wait_until(in_train, 180, "the first repro's train stage", first)
        # Hold the first repro inside its stage (SIGSTOP its stage process) while the second one tries:
        # the second then meets the first's locks on any machine, however fast or loaded.
        stopped = wait_until(
            lambda: _stage_processes(first.pid, "stages/train.py"), 30, "the train stage's process", first
        )
        for proc in stopped:
            proc.suspend()
        second = subprocess.run(
            ["dvc", "repro", "train"], cwd=repo, env=env, capture_output=True, text=True, timeout=120
        )
        for proc in stopped:
            proc.resume()
        first.wait(timeout=300)
    finally:
        for proc in stopped:
            try:
                proc.resume()
            except psutil.NoSuchProcess:
                pass
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    while not printed.empty():
        seen.append(printed.get())
    assert first.returncode == 0, "".join(seen)
    # DVC's own message, three lines: the stage, the path that is busy, and who holds it
    assert second.returncode == 255, second.stderr  # DVC's exit code for a failed command
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 3 and "Traceback" not in second.stderr, second.stderr
    assert lines[0].startswith("ERROR: failed to reproduce '") and "is busy, it is being blocked by:" in lines[0], lines
    assert lines[1].strip().startswith(f"(PID {first.pid}): ") and "dvc repro train" in lines[1], lines
    assert lines[2].startswith("If there are no processes with such PIDs, you can manually remove"), lines
    assert "Running stage" not in second.stdout
    # the first run's outputs are what its dvc.lock records, and nothing is left to run
    status = run(["dvc", "status", "train"], repo)
    assert "up to date" in status.stdout, status.stdout


def test_zz_report_timings():
    """Not a check: the measured seconds, for docs/cluster.md (run with -s)."""
    for what, seconds in TIMINGS.items():
        print(f"{what}: {seconds:.1f} s")
