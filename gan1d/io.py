"""Atomic writes and checked reads of artifacts (no TensorFlow)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Iterator, Sequence

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gan1d.errors import ArtifactError

RESTORE_HINT = "run `dvc checkout` to restore it, or `dvc repro` to rebuild it"


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``final``; rename it onto ``final`` only if the block succeeds.

    Works for files and directories. The temporary name keeps ``final``'s suffix so tools that
    choose a format by extension (ffmpeg, Keras) still do. Interrupted or failed writes leave
    ``final`` as it was and remove the temporary.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stem, dot, suffixes = final.name.partition(".")
    tmp = final.with_name(f".{stem}.tmp{os.getpid()}{dot}{suffixes}")
    _remove(tmp)
    try:
        yield tmp
        if final.is_dir():
            # os.replace cannot overwrite a non-empty directory: move the old one aside first.
            old = final.with_name(f".{final.name}.old{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            _remove(old)
        else:
            os.replace(tmp, final)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write sorted, indented JSON atomically; non-finite numbers become null (valid JSON)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in data.items()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_table(path: str | Path, table: pa.Table) -> None:
    """Write a Parquet file atomically, without pandas index metadata or timestamps."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_table(path: str | Path, columns: Sequence[str], rows: int | None = None) -> pa.Table:
    """Read a Parquet file that must hold ``columns`` (and ``rows`` rows); any failure names the file."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; {RESTORE_HINT}")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise ArtifactError(f"{path}: not a readable Parquet file ({err}); {RESTORE_HINT}") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ArtifactError(f"{path}: lacks column(s) {', '.join(missing)}; {RESTORE_HINT}")
    if table.num_rows == 0 or (rows is not None and table.num_rows != rows):
        want = "some" if rows is None else str(rows)
        raise ArtifactError(f"{path}: has {table.num_rows} rows, expected {want}; {RESTORE_HINT}")
    return table


def write_placeholder_weights(path: str | Path, note: str) -> None:
    """An HDF5 weights file with no layers, only ``note`` as an attribute: the same bytes every time.

    :func:`read_weights` reads it as holding no layers, so loading it into a model fails by name.
    """
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", libver="earliest") as f:
            f.attrs["placeholder"] = note


def read_weights(path: str | Path, what: str = "weights") -> dict[str, list[np.ndarray]]:
    """Read a Keras weights file (HDF5) into {layer name: [arrays in the layer's order]}."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; {RESTORE_HINT}")
    try:
        with h5py.File(path, "r") as f:
            return {
                name: [np.asarray(group["vars"][str(i)]) for i in range(len(group["vars"]))]
                for name, group in f.items()
                if isinstance(group, h5py.Group) and "vars" in group and len(group["vars"])
            }
    except (OSError, KeyError, ValueError) as err:
        raise ArtifactError(f"{path}: not a readable {what} file ({err}); {RESTORE_HINT}") from None
