"""The distribution to learn, whatever its kind, behind one interface (NumPy/SciPy only).

Every target answers ``pdf``, ``cdf``, ``ppf``, ``sample``, ``mean``, ``std`` and ``window``; metrics,
scaling, pictures and pretraining ask that interface and nothing else.

- :class:`Mixture`: a weighted mixture of continuous ``scipy.stats`` families, each with its shape
  parameters, ``loc`` and ``scale``. A Gaussian component uses closed forms (the classic N(4, 0.5) and the
  Gaussian suite compute exactly what they always did); any other family asks its frozen SciPy distribution.
- :class:`Empirical`: a data set's values (the held-out part of a data file): a step cdf, its quantile
  function, a histogram for pictures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from gan1d.config import Component, Params, Target, family_distribution

import numpy as np
from scipy import special

# The plot window spans the target's quantiles at TAIL and 1 - TAIL (for a Gaussian: mean +/- 4 sigma),
# widened by a quarter of that span on each side: room to see a generator that overshoots.
TAIL = float(special.ndtr(-4.0))
PAD = 0.25


@dataclass(frozen=True)
class Mixture:
    """A mixture of continuous scipy.stats families with exact pdf, cdf and quantile function."""

    components: tuple[Component, ...]

    @classmethod
    def from_config(cls, target: Target) -> Mixture:
        if target.data is not None:
            raise ValueError("a data target has no closed form: build it with targets.of(params, heldout)")
        return cls(target.components)

    # Gaussian components keep their closed forms: arrays of every component's numbers.
    @cached_property
    def weights(self) -> np.ndarray:
        w = np.array([c.weight for c in self.components], np.float64)
        return w / w.sum()

    @cached_property
    def gaussian(self) -> bool:
        return all(c.family == "norm" for c in self.components)

    @cached_property
    def means(self) -> np.ndarray:
        return np.array([c.loc for c in self.components], np.float64)

    @cached_property
    def sigmas(self) -> np.ndarray:
        return np.array([c.scale for c in self.components], np.float64)

    @cached_property
    def frozen(self) -> list[Any]:
        return [family_distribution(c) for c in self.components]

    @property
    def key(self) -> tuple:
        """Hashable identity (caches of quantiles key on it)."""
        return ("mixture", self.components)

    @property
    def modes(self) -> int:
        return len(self.components)

    @cached_property
    def mean(self) -> float:
        if self.gaussian:
            return float(np.sum(self.weights * self.means))
        return float(sum(w * d.mean() for w, d in zip(self.weights, self.frozen)))

    @cached_property
    def std(self) -> float:
        if self.gaussian:
            second = np.sum(self.weights * (self.sigmas**2 + self.means**2))
        else:
            second = sum(w * (d.var() + d.mean() ** 2) for w, d in zip(self.weights, self.frozen))
        return float(np.sqrt(second - self.mean**2))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        if self.gaussian:
            x = np.asarray(x, np.float64)[..., None]
            z = (x - self.means) / self.sigmas
            return np.sum(self.weights * np.exp(-0.5 * z**2) / (self.sigmas * np.sqrt(2 * np.pi)), axis=-1)
        x = np.asarray(x, np.float64)
        return sum(w * d.pdf(x) for w, d in zip(self.weights, self.frozen))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        if self.gaussian:
            x = np.asarray(x, np.float64)[..., None]
            return np.sum(self.weights * special.ndtr((x - self.means) / self.sigmas), axis=-1)
        x = np.asarray(x, np.float64)
        return sum(w * d.cdf(x) for w, d in zip(self.weights, self.frozen))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantile function; exact for one component, bisection to ~1e-12 of the span for a mixture."""
        q = np.asarray(q, np.float64)
        if len(self.components) == 1:
            if self.gaussian:
                return self.means[0] + self.sigmas[0] * special.ndtri(q)
            return np.asarray(self.frozen[0].ppf(q), np.float64)
        if self.gaussian:
            lo = np.full_like(q, np.min(self.means - 40 * self.sigmas))
            hi = np.full_like(q, np.max(self.means + 40 * self.sigmas))
        else:
            ends = np.array([d.ppf([1e-15, 1 - 1e-15]) for d in self.frozen])
            lo, hi = np.full_like(q, ends[:, 0].min()), np.full_like(q, ends[:, 1].max())
        for _ in range(100):  # halves a width below 1e-12 of the span
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        component = gen.choice(len(self.weights), size=n, p=self.weights)
        if self.gaussian:
            return gen.normal(self.means[component], self.sigmas[component])
        u = gen.random(n)  # inverse transform: exact for every family, and the same draws on every machine
        out = np.empty(n)
        for k, d in enumerate(self.frozen):
            pick = component == k
            out[pick] = d.ppf(u[pick])
        return out

    def log_posterior(self, x: np.ndarray) -> np.ndarray:
        """(n, K) log w_k + log pdf_k(x), up to a constant shared by the components (for mode regions)."""
        if self.gaussian:
            z = (x[:, None] - self.means) / self.sigmas
            return np.log(self.weights) - np.log(self.sigmas) - 0.5 * z**2
        with np.errstate(divide="ignore"):
            return np.stack([np.log(w) + d.logpdf(x) for w, d in zip(self.weights, self.frozen)], axis=1)

    def window(self) -> tuple[float, float]:
        lo, hi = (float(v) for v in self.ppf(np.array([TAIL, 1.0 - TAIL])))
        return _pad(lo, hi)


@dataclass(frozen=True)
class Empirical:
    """The distribution of a data set's values (sorted): a step cdf, its inverse, its moments."""

    values: np.ndarray

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Empirical:
        return cls(np.sort(np.asarray(values, np.float64)))

    @property
    def key(self) -> tuple:
        return ("empirical", self.values.tobytes())

    modes = 1  # a data set names no modes: coverage is measured on its deciles

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """F(x) = #{values <= x} / m (right-continuous)."""
        return np.searchsorted(self.values, np.asarray(x, np.float64), side="right") / len(self.values)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """The smallest value v with F(v) >= q."""
        m = len(self.values)
        idx = np.clip(np.ceil(np.asarray(q, np.float64) * m).astype(np.int64) - 1, 0, m - 1)
        return self.values[idx]

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """A histogram density of the values (Freedman-Diaconis bins), for pictures only."""
        x = np.asarray(x, np.float64)
        edges = np.histogram_bin_edges(self.values, bins="fd")
        dens, _ = np.histogram(self.values, bins=edges, density=True)
        i = np.searchsorted(edges, x, side="right") - 1
        inside = (i >= 0) & (i < len(dens))
        return np.where(inside, dens[np.clip(i, 0, len(dens) - 1)], 0.0)

    def window(self) -> tuple[float, float]:
        return _pad(float(self.values[0]), float(self.values[-1]))


def _pad(lo: float, hi: float) -> tuple[float, float]:
    pad = PAD * (hi - lo)
    return lo - pad, hi + pad


def of(params: Params, heldout: np.ndarray | None = None) -> Mixture | Empirical:
    """The target that scores and pictures compare with: the mixture of ``params.target``, or for a data
    target the held-out part of the data file (``heldout``, which the `sample` stage wrote)."""
    if params.target.data is None:
        return Mixture.from_config(params.target)
    if heldout is None:
        raise ValueError("a data target is scored against its held-out part: pass heldout")
    return Empirical.of(heldout)


def moments(params: Params) -> tuple[float, float]:
    """The target's mean and std (a data target's training part's: ``target.stats``)."""
    if params.target.data is not None:
        return params.target.stats[0], params.target.stats[1]
    mix = Mixture.from_config(params.target)
    return mix.mean, mix.std


def kde_pdf(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A Gaussian kernel density estimate of ``values`` at ``x`` with Silverman's rule-of-thumb bandwidth
    h = 0.9 min(std, IQR / 1.34) m^(-1/5): the pretraining labels of a data target."""
    v = np.asarray(values, np.float64)
    iqr = float(np.subtract(*np.percentile(v, [75, 25])))
    spread = min(float(np.std(v)), iqr / 1.34) or float(np.std(v))
    h = 0.9 * spread * len(v) ** -0.2
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for chunk in np.array_split(np.arange(len(x)), max(1, len(x) * len(v) // 2_000_000)):
        z = (x[chunk, None] - v) / h
        out[chunk] = np.mean(np.exp(-0.5 * z**2), axis=1) / (h * math.sqrt(2 * math.pi))
    return out
