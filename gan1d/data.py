"""The data sets the `sample` stage draws, as plain arrays and as Parquet tables (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from gan1d.config import Params
from gan1d.distributions import Mixture, rng
from gan1d.io import read_table, write_table


def draw_real(params: Params, seed: int) -> np.ndarray:
    """The real data set: ``data.n_real`` draws from the target."""
    return Mixture.from_config(params.target).sample(rng(seed, "real"), params.data.n_real)


def draw_pretrain(params: Params, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pretraining inputs x ~ U(low, high), one batch per step, and their labels: the target pdf at x."""
    cfg = params.pretrain
    x = rng(seed, "pretrain").uniform(cfg.low, cfg.high, cfg.steps * cfg.batch)
    return x, Mixture.from_config(params.target).pdf(x)


def write_real(path: str | Path, values: np.ndarray) -> None:
    write_table(path, pa.table({"value": pa.array(values, pa.float64())}))


def read_real(path: str | Path, params: Params) -> np.ndarray:
    return read_table(path, ["value"], params.data.n_real)["value"].to_numpy()


def write_samples(path: str | Path, samples: np.ndarray, seeds: list[int] | None = None) -> None:
    """Generated samples for re-scoring: column ``value``; with ``seeds``, (R, n) samples and a ``seed`` column."""
    samples = np.asarray(samples, np.float64)
    columns = {}
    if seeds is not None:
        columns["seed"] = pa.array(np.repeat(seeds, samples.shape[-1]), pa.int64())
    columns["value"] = pa.array(samples.reshape(-1), pa.float64())
    write_table(path, pa.table(columns))


def write_pretrain(path: str | Path, x: np.ndarray, pdf: np.ndarray) -> None:
    write_table(path, pa.table({"x": pa.array(x, pa.float64()), "pdf": pa.array(pdf, pa.float64())}))


def read_pretrain(path: str | Path, params: Params) -> tuple[np.ndarray, np.ndarray]:
    table = read_table(path, ["x", "pdf"], params.pretrain.steps * params.pretrain.batch)
    return table["x"].to_numpy(), table["pdf"].to_numpy()
