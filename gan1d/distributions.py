"""Target distributions and the generator's noise (NumPy/SciPy only)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import special

from gan1d.config import Noise, Target


def rng(seed: int, stream: str) -> np.random.Generator:
    """An independent NumPy generator for one named use of the run's single ``seed``.

    The stream name is hashed with CRC32 (stable across Python runs, unlike ``hash``).
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


@dataclass(frozen=True)
class Mixture:
    """A mixture of Gaussians with exact pdf, cdf and quantile function."""

    means: np.ndarray
    sigmas: np.ndarray
    weights: np.ndarray  # normalised to sum to 1

    @classmethod
    def from_config(cls, target: Target) -> "Mixture":
        w = np.asarray(target.weights, dtype=np.float64)
        return cls(np.asarray(target.means, np.float64), np.asarray(target.sigmas, np.float64), w / w.sum())

    @property
    def mean(self) -> float:
        return float(np.sum(self.weights * self.means))

    @property
    def std(self) -> float:
        second = np.sum(self.weights * (self.sigmas**2 + self.means**2))
        return float(np.sqrt(second - self.mean**2))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)[..., None]
        z = (x - self.means) / self.sigmas
        return np.sum(self.weights * np.exp(-0.5 * z**2) / (self.sigmas * np.sqrt(2 * np.pi)), axis=-1)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)[..., None]
        return np.sum(self.weights * special.ndtr((x - self.means) / self.sigmas), axis=-1)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantile function; exact for one component, bisection to ~1e-12 for a mixture."""
        q = np.asarray(q, np.float64)
        if len(self.means) == 1:
            return self.means[0] + self.sigmas[0] * special.ndtri(q)
        lo = np.full_like(q, np.min(self.means - 40 * self.sigmas))
        hi = np.full_like(q, np.max(self.means + 40 * self.sigmas))
        for _ in range(100):  # halves a width below 1e-12 of the span
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        component = gen.choice(len(self.weights), size=n, p=self.weights)
        return gen.normal(self.means[component], self.sigmas[component])


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
