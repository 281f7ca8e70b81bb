"""Sharing artifacts: the default local remote and S3 (moto's server on 127.0.0.1), push then pull."""

import hashlib
import socket
from pathlib import Path

import pytest

from conftest import built_repo, run

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"

ARTIFACTS = [
    "data/sample/real.parquet",
    "data/pretrain/discriminator.weights.h5",
    "data/train/checkpoint/ckpt.index",
    "data/train/frames.parquet",
    "data/train/generator.weights.h5",
    "data/evaluate/samples.parquet",
    "data/render/training.mp4",
    "data/render/final.png",
    "data/robustness/per_seed.parquet",
]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A repository with the tiny pipeline run and committed, in its own parent folder."""
    return built_repo(tmp_path_factory.mktemp("share"), "origin")


def fresh_clone(repo: Path, name: str) -> Path:
    dest = repo.parent / name
    run(["git", "clone", "-q", str(repo), str(dest)], repo.parent)
    return dest


def test_default_local_remote_round_trip(built):
    run(["dvc", "push"], built)
    assert (built.parent / "gan1d-remote").is_dir()  # next to the repository, as documented
    clone = fresh_clone(built, "teammate")
    run(["dvc", "pull"], clone)
    for rel in ARTIFACTS:
        assert md5(clone / rel) == md5(built / rel), rel
    assert "are in sync" in run(["dvc", "status", "-c"], clone).stdout
    assert "Data and pipelines are up to date" in run(["dvc", "status"], clone).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_server(monkeypatch):
    """moto's S3 server on 127.0.0.1 with throwaway credentials, stopped at the end."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_s3_round_trip_on_loopback(built, s3_server):
    import boto3

    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="gan1d")
    clone = fresh_clone(built, "s3-teammate")
    for repo in (built, clone):  # each clone configures the remote in its own, git-ignored config.local
        run(["dvc", "remote", "add", "--local", "-f", "s3", "s3://gan1d/store"], repo)
        run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_server], repo)
    run(["dvc", "push", "-r", "s3"], built)
    run(["dvc", "pull", "-r", "s3"], clone)
    for rel in ARTIFACTS:
        assert md5(clone / rel) == md5(built / rel), rel
    # the S3 settings live in .dvc/config.local, which git ignores: nothing to leak in a commit
    assert "s3" not in (clone / ".dvc/config").read_text()
    assert run(["git", "status", "--porcelain"], clone).stdout.strip() == ""
