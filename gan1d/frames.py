"""The frames table: what every picture of training needs, as one long Parquet table.

One row per (frame, curve, x): ``frame`` (0-based), ``step`` (training steps done when it was
taken), ``curve`` (``decision_boundary``, ``real``, ``generated``, ``transport`` or ``quantile``), ``x``
and ``y``. Densities are given at histogram bin centres; the decision boundary at the points of an x
grid; the transport map G(z) and the target's quantile function F^-1(u(z)) at points z of the noise
range (u(z) the level of z in G's uniform noise), so G's map can be drawn against the ideal one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gan1d.errors import ArtifactError
from gan1d.io import RESTORE_HINT, read_table, write_table

import numpy as np
import pyarrow as pa

COLUMNS = ("frame", "step", "curve", "x", "y")
CURVES = ("decision_boundary", "real", "generated", "transport", "quantile")


@dataclass(frozen=True)
class Frames:
    steps: np.ndarray  # (F,) training steps done at each frame
    grid: np.ndarray  # (G,) x grid of the decision boundary
    boundary: np.ndarray  # (F, G) D(x), a probability
    centers: np.ndarray  # (K,) histogram bin centres
    real: np.ndarray  # (K,) density of the real data (the same in every frame)
    generated: np.ndarray  # (F, K) density of generated samples
    noise: np.ndarray  # (Z,) points of G's noise range
    transport: np.ndarray  # (F, Z) G(z) at those points
    quantile: np.ndarray  # (Z,) the target's quantile function at the same levels (the same in every frame)

    def __len__(self) -> int:
        return len(self.steps)


def to_table(f: Frames) -> pa.Table:
    n, g, k, z = len(f.steps), len(f.grid), len(f.centers), len(f.noise)
    per_frame = g + 2 * k + 2 * z
    x = np.concatenate([f.grid, f.centers, f.centers, f.noise, f.noise])
    y = np.concatenate(
        [f.boundary, np.broadcast_to(f.real, (n, k)), f.generated, f.transport, np.broadcast_to(f.quantile, (n, z))],
        axis=1,
    )
    curve = np.repeat(np.array(CURVES), [g, k, k, z, z])
    return pa.table(
        {
            "frame": pa.array(np.repeat(np.arange(n, dtype=np.int32), per_frame)),
            "step": pa.array(np.repeat(f.steps.astype(np.int32), per_frame)),
            "curve": pa.array(np.tile(curve, n)).dictionary_encode(),
            "x": pa.array(np.tile(x, n).astype(np.float64)),
            "y": pa.array(y.reshape(-1).astype(np.float64)),
        }
    )


def write(path: str | Path, f: Frames) -> None:
    write_table(path, to_table(f))


def _curve_names(column: pa.ChunkedArray) -> np.ndarray:
    """The curve column as a NumPy array of names, decoded through its dictionary (fast)."""
    arr = column.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    names = np.asarray(arr.dictionary.to_pylist(), dtype=object)
    return names[arr.indices.to_numpy(zero_copy_only=False)]


def read(path: str | Path) -> Frames:
    """Read and check a frames file; a malformed one raises :class:`ArtifactError` naming it."""
    t = read_table(path, COLUMNS)
    try:
        frame = t["frame"].to_numpy()
        step = t["step"].to_numpy()
        curve = _curve_names(t["curve"])
        x = t["x"].to_numpy()
        y = t["y"].to_numpy()
        n = int(frame.max()) + 1
        per_frame = len(frame) // n
        if per_frame * n != len(frame) or not np.array_equal(frame, np.repeat(np.arange(n), per_frame)):
            raise ValueError("frames are not complete and in order")
        first = curve[:per_frame]
        masks = [first == c for c in CURVES]
        if not all(m.any() for m in masks) or not np.array_equal(np.tile(first, n), curve):
            raise ValueError("every frame must hold the same curves at the same x")
        y2 = y.reshape(n, per_frame)
        b, r, g, t, q = masks
        return Frames(
            steps=step[::per_frame].astype(np.int64),
            grid=x[:per_frame][b],
            boundary=y2[:, b],
            centers=x[:per_frame][g],
            real=y2[0, r],
            generated=y2[:, g],
            noise=x[:per_frame][t],
            transport=y2[:, t],
            quantile=y2[0, q],
        )
    except (ValueError, pa.ArrowException) as err:
        raise ArtifactError(f"{path}: not a frames table ({err}); {RESTORE_HINT}") from None
