"""Random streams, the generator's noise and histograms (NumPy only; the targets live in gan1d.targets)."""

from __future__ import annotations

import zlib

from gan1d.config import Noise

import numpy as np
from scipy import special


def rng(seed: int, stream: str) -> np.random.Generator:
    """An independent NumPy generator for one named use of the run's single ``seed``.

    The stream name is hashed with CRC32 (stable across Python runs, unlike ``hash``).
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def stratified_noise(gen: np.random.Generator, noise: Noise, n: int) -> np.ndarray:
    """``n`` evenly spaced points on [-range, range], each moved by U(0, jitter): the seed's noise."""
    grid = np.linspace(-noise.range, noise.range, n)
    return grid + gen.random(n) * noise.jitter


NORMAL_SPREAD = 0.5  # normal noise: its standard deviation in noise ranges


def noise_at(noise: Noise, levels: np.ndarray) -> np.ndarray:
    """G's noise at quantile ``levels`` in (0, 1): range * (2u - 1) (uniform) or range / 2 * Phi^-1(u) (normal)."""
    u = np.asarray(levels, np.float64)
    if noise.distribution == "normal":
        return noise.range * NORMAL_SPREAD * special.ndtri(u)
    return noise.range * (2.0 * u - 1.0)


def noise_levels(noise: Noise, z: np.ndarray) -> np.ndarray:
    """The quantile level of noise ``z`` (the inverse of :func:`noise_at`)."""
    z = np.asarray(z, np.float64)
    if noise.distribution == "normal":
        return special.ndtr(z / (noise.range * NORMAL_SPREAD))
    return (z + noise.range) / (2.0 * noise.range)


def noise_grid(noise: Noise, n: int) -> np.ndarray:
    """G's noise at the centres of ``n`` equal cells of its quantile levels: a deterministic stratified grid
    (uniform noise: the centres of ``n`` equal cells of [-range, range])."""
    if noise.distribution == "normal":
        return noise_at(noise, (np.arange(n) + 0.5) / n)
    edges = np.linspace(-noise.range, noise.range, n + 1)  # computed as it always was: the same bits
    return 0.5 * (edges[:-1] + edges[1:])


def histogram_edges(window: tuple[float, float], bins: int) -> np.ndarray:
    """Shared histogram bin edges on the plot window (``Params.window``), used by frames and metrics alike."""
    return np.linspace(window[0], window[1], bins + 1)


def density(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram as a density over *all* values: mass outside the edges is lost, not renormalised."""
    counts, _ = np.histogram(values, bins=edges)
    return counts / (len(values) * np.diff(edges))
