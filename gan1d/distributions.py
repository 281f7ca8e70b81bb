"""Random streams, the generator's noise and histograms (NumPy only; the targets live in gan1d.targets)."""

from __future__ import annotations

import zlib

from gan1d.config import Noise

import numpy as np


def rng(seed: int, stream: str) -> np.random.Generator:
    """An independent NumPy generator for one named use of the run's single ``seed``.

    The stream name is hashed with CRC32 (stable across Python runs, unlike ``hash``).
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def stratified_noise(gen: np.random.Generator, noise: Noise, n: int) -> np.ndarray:
    """``n`` evenly spaced points on [-range, range], each moved by U(0, jitter): the seed's noise."""
    grid = np.linspace(-noise.range, noise.range, n)
    return grid + gen.random(n) * noise.jitter


def noise_grid(noise: Noise, n: int) -> np.ndarray:
    """The centres of ``n`` equal cells of [-range, range]: a deterministic stratified grid."""
    edges = np.linspace(-noise.range, noise.range, n + 1)
    return 0.5 * (edges[:-1] + edges[1:])


def histogram_edges(window: tuple[float, float], bins: int) -> np.ndarray:
    """Shared histogram bin edges on the plot window (``Params.window``), used by frames and metrics alike."""
    return np.linspace(window[0], window[1], bins + 1)


def density(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram as a density over *all* values: mass outside the edges is lost, not renormalised."""
    counts, _ = np.histogram(values, bins=edges)
    return counts / (len(values) * np.diff(edges))
