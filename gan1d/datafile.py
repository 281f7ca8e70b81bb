"""A data target: one numeric column of a CSV or Parquet file, checked, split and summarised (no TensorFlow).

The `sample` stage splits the values (seeded, ``target.holdout`` of them held out); training sees only the
training part, and every score compares with the held-out part (:mod:`gan1d.targets`, :mod:`gan1d.metrics`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from gan1d.config import MIN_ROWS, Params, Target
from gan1d.distributions import rng
from gan1d.errors import ConfigError

import numpy as np

MAX_MODES = 5  # G's width follows the modes of a data set's density estimate, up to this many


def read_column(path: str | Path, column: str) -> np.ndarray:
    """The values of ``column`` as float64, refused in one line naming ``target.data`` or ``target.column``:
    a missing or unreadable file, a missing or non-numeric column, non-finite values (how many, the first
    row), fewer than MIN_ROWS values, a constant column."""
    path = Path(path)
    frame = _read(path)
    columns = [str(c) for c in frame.columns]
    if column not in columns:
        raise ConfigError(f"target.column: got {column!r}; allowed: a column of {path} ({', '.join(columns)})")
    raw = frame[column]
    import pandas as pd

    numeric = pd.to_numeric(raw, errors="coerce")
    bad = numeric.isna() & raw.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ConfigError(
            f"target.column: {column!r} of {path} is not numeric: {int(bad.sum())} value(s) are "
            f"not numbers, the first in data row {row + 1} ({raw.iloc[row]!r})"
        )
    values = numeric.to_numpy(np.float64)
    nonfinite = ~np.isfinite(values)
    if nonfinite.any():
        row = int(np.argmax(nonfinite))
        raise ConfigError(
            f"target.column: {column!r} of {path} has {int(nonfinite.sum())} missing or non-finite "
            f"value(s), the first in data row {row + 1}; allowed: finite numbers only"
        )
    if len(values) < MIN_ROWS:
        raise ConfigError(f"target.data: {path} has {len(values)} value(s) in {column!r}; allowed: at least {MIN_ROWS}")
    if np.all(values == values[0]):
        raise ConfigError(f"target.column: {column!r} of {path} is constant ({values[0]:g}); allowed: values that vary")
    return values


def _read(path: Path):
    """The file as a pandas DataFrame; a missing or unreadable file is one line naming ``target.data``."""
    import pandas as pd

    if not path.is_file():
        raise ConfigError(
            f"target.data: {path}: no such file (add it with `dvc add {path}` or `dvc import-url URL {path}`)"
        )
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pandas()
        return pd.read_csv(path)
    except Exception as err:  # every reader's own error type: the file is not what its name says
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"target.data: {path}: cannot read it as {path.suffix[1:].upper()} ({first})") from None


def only_column(path: str | Path) -> str:
    """The name of the column of a one-column data file (so `gan1d target --data` needs no --column)."""
    columns = [str(c) for c in _read(Path(path)).columns]
    if len(columns) != 1:
        raise ConfigError(f"target.column: {path} has columns {', '.join(columns)}; give one with --column")
    return columns[0]


def split(values: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training part, held-out part): a seeded permutation, ``round(holdout * n)`` values (at least 2) held
    out. Each part keeps the file's order among its values."""
    n = len(values)
    m = min(max(2, int(round(holdout * n))), n - 2)
    held = np.zeros(n, bool)
    held[rng(seed, "holdout").permutation(n)[:m]] = True
    return values[~held], values[held]


def kde_modes(values: np.ndarray) -> int:
    """Local maxima of the Gaussian density estimate of ``values`` (Silverman's bandwidth) on a fine grid, at
    least a tenth of the highest, at most MAX_MODES: how many modes G's width is sized for."""
    from gan1d.targets import kde_pdf

    grid = np.linspace(values.min(), values.max(), 512)
    f = kde_pdf(values, grid)
    # a bump of the tails (a few far values) is no mode: a peak counts from a tenth of the highest
    peaks = np.sum((f[1:-1] > f[:-2]) & (f[1:-1] >= f[2:]) & (f[1:-1] >= 0.1 * f.max()))
    return int(min(max(peaks, 1), MAX_MODES))


def summary(train: np.ndarray, heldout: np.ndarray) -> tuple[float, ...]:
    """(mean, std, window lo, window hi, modes): the training part's mean, std and modes fix G's and D's
    scaling and width; the window spans every value of the file, widened by a quarter on each side."""
    values = np.concatenate([train, heldout])
    lo, hi = float(values.min()), float(values.max())
    pad = 0.25 * (hi - lo)
    return float(np.mean(train)), float(np.std(train)), lo - pad, hi + pad, float(kde_modes(train))


def resolve(params: Params, train: np.ndarray, heldout: np.ndarray) -> Params:
    """``params`` with a data target's statistics (``target.stats``) filled in from its two parts."""
    if params.target.data is None:
        return params
    parts = (tuple(float(v) for v in train), tuple(float(v) for v in heldout))
    target: Target = replace(params.target, stats=summary(train, heldout), parts=parts)
    return replace(params, target=target)


def load(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Read and split a data target's file: (training part, held-out part)."""
    t = params.target
    return split(read_column(t.data, t.column), t.holdout, params.seed)
