"""Atomic writes and checked reads of artifacts (no TensorFlow)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gan1d.atomic import atomic_path  # noqa: F401 (re-exported: every writer imports it from here)
from gan1d.errors import ArtifactError

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

RESTORE_HINT = "run `dvc checkout` to restore it, or `dvc repro` to rebuild it"


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
