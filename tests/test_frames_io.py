"""Parquet round trips, damaged artifacts and atomic writes."""

from gan1d import data, frames
from gan1d.errors import ArtifactError
from gan1d.io import atomic_path, read_table, write_table

import numpy as np
import pyarrow as pa
import pytest


def sample_frames() -> frames.Frames:
    r = np.random.default_rng(0)
    return frames.Frames(
        steps=np.array([10, 20, 25]),
        grid=np.linspace(-8, 8, 7),
        boundary=r.random((3, 7)),
        centers=np.linspace(-7.5, 7.5, 4),
        real=r.random(4),
        generated=r.random((3, 4)),
        noise=np.linspace(-8, 8, 5),
        transport=r.random((3, 5)),
        quantile=np.linspace(2, 6, 5),
    )


def test_frames_round_trip(tmp_path):
    f = sample_frames()
    frames.write(tmp_path / "f.parquet", f)
    back = frames.read(tmp_path / "f.parquet")
    for name in ("steps", "grid", "boundary", "centers", "real", "generated", "noise", "transport", "quantile"):
        np.testing.assert_array_equal(getattr(back, name), getattr(f, name))
    assert len(back) == 3


def test_frames_file_is_byte_identical_on_rewrite(tmp_path):
    frames.write(tmp_path / "a.parquet", sample_frames())
    frames.write(tmp_path / "b.parquet", sample_frames())
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_real_and_pretrain_round_trip(tmp_path, tiny):
    real = data.draw_real(tiny, tiny.seed)
    x, pdf = data.draw_pretrain(tiny, tiny.seed)
    data.write_real(tmp_path / "r.parquet", real)
    data.write_pretrain(tmp_path / "p.parquet", x, pdf)
    np.testing.assert_array_equal(data.read_real(tmp_path / "r.parquet", tiny), real)
    bx, bpdf = data.read_pretrain(tmp_path / "p.parquet", tiny)
    np.testing.assert_array_equal(bx, x)
    np.testing.assert_array_equal(bpdf, pdf)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.unlink(),
        lambda p: p.write_bytes(p.read_bytes()[:100]),
        lambda p: p.write_bytes(b"not parquet at all"),
        lambda p: write_table(p, pa.table({"other": [1.0]})),
    ],
    ids=["missing", "truncated", "garbage", "foreign"],
)
def test_damaged_frames_name_the_file(tmp_path, damage):
    path = tmp_path / "frames.parquet"
    frames.write(path, sample_frames())
    damage(path)
    with pytest.raises(ArtifactError, match="frames.parquet"):
        frames.read(path)


def test_wrong_row_count_is_reported(tmp_path, tiny):
    data.write_real(tmp_path / "r.parquet", np.zeros(3))
    with pytest.raises(ArtifactError, match="has 3 rows, expected 500"):
        data.read_real(tmp_path / "r.parquet", tiny)


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_path_replaces_a_directory(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "old").write_text("x")
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new").write_text("y")
    assert [p.name for p in target.iterdir()] == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_read_table_reports_missing_columns(tmp_path):
    write_table(tmp_path / "t.parquet", pa.table({"a": [1]}))
    with pytest.raises(ArtifactError, match="lacks column"):
        read_table(tmp_path / "t.parquet", ["a", "b"])
