"""The data sets the `sample` stage draws, as plain arrays and as Parquet tables (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

from gan1d import datafile, targets
from gan1d.config import Params
from gan1d.distributions import rng
from gan1d.io import read_table, write_table
from gan1d.metrics import Target
from gan1d.targets import Mixture, kde_pdf

import numpy as np
import pyarrow as pa


def draw_real(params: Params, seed: int) -> np.ndarray:
    """The real data set of a family target: ``data.n_real`` draws from it."""
    return Mixture.from_config(params.target).sample(rng(seed, "real"), params.data.n_real)


def draw_pretrain(params: Params, seed: int, train: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pretraining inputs x ~ U(low, high), one batch per step, and their labels: the target pdf at x (for a
    data target, ``train`` given: the Gaussian density estimate of its training part, :func:`kde_pdf`)."""
    cfg = params.pretrain
    x = rng(seed, "pretrain").uniform(cfg.low, cfg.high, cfg.steps * cfg.batch)
    if params.target.data is not None:
        return x, kde_pdf(train, x)
    return x, Mixture.from_config(params.target).pdf(x)


def write_real(path: str | Path, values: np.ndarray) -> None:
    write_table(path, pa.table({"value": pa.array(values, pa.float64())}))


def read_real(path: str | Path, params: Params) -> np.ndarray:
    """The real data set (a data target's training part, whose size the file decides)."""
    rows = None if params.target.data is not None else params.data.n_real
    return read_table(path, ["value"], rows)["value"].to_numpy()


def read_heldout(path: str | Path) -> np.ndarray:
    """A data target's held-out part (the `sample` stage writes none for a family target)."""
    return read_table(path, ["value"])["value"].to_numpy()


def target_of(
    params: Params, real_path: str | Path, heldout_path: str | Path
) -> tuple[Params, Target, np.ndarray | None]:
    """What a stage scores against: (params, target, training part). A family target: params as they are,
    its mixture, no training part. A data target: params with the data's statistics filled in
    (:func:`gan1d.datafile.resolve`), the held-out part's distribution, and the training part."""
    if params.target.data is None:
        return params, targets.of(params), None
    train, heldout = read_real(real_path, params), read_heldout(heldout_path)
    return datafile.resolve(params, train, heldout), targets.of(params, heldout), train


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
