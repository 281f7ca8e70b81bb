"""Quality metrics of generated samples against the exact target (NumPy only)."""

from __future__ import annotations

import numpy as np

from gan1d.distributions import Mixture

SUCCESS_W1_STD = 0.1  # a run "succeeds" when W1 < SUCCESS_W1_STD x the target's std (scale-free)
COVERED = 0.5  # a mode is covered when it gets at least this fraction of its weight


def success_w1(target: Mixture) -> float:
    """The W1 below which a run succeeds: 0.1 target standard deviations (0.05 for N(4, 0.5))."""
    return SUCCESS_W1_STD * target.std


_QUANTILES: dict[tuple, np.ndarray] = {}


def quantiles(target: Mixture, n: int) -> np.ndarray:
    """F^-1((i + 0.5) / n) for i < n, cached: a mixture's quantiles take a bisection, and quality over
    training scores hundreds of frames against the same target."""
    key = (target.means.tobytes(), target.sigmas.tobytes(), target.weights.tobytes(), n)
    if key not in _QUANTILES:
        _QUANTILES.clear()  # one target at a time is all any caller needs
        _QUANTILES[key] = target.ppf((np.arange(n) + 0.5) / n)
    return _QUANTILES[key]


def wasserstein1(samples: np.ndarray, target: Mixture) -> float:
    """W1 = mean_i |x_(i) - F^-1((i + 0.5) / n)|: sorted samples against the target's quantiles."""
    x = np.sort(np.asarray(samples, np.float64))
    return float(np.mean(np.abs(x - quantiles(target, len(x)))))


def ks_statistic(samples: np.ndarray, target: Mixture) -> float:
    """Kolmogorov-Smirnov: sup_x |F_n(x) - F(x)|, checked on both sides of every sample."""
    x = np.sort(np.asarray(samples, np.float64))
    n = len(x)
    f = target.cdf(x)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def js_divergence(samples: np.ndarray, target: Mixture, edges: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between binned samples and the target's exact bin masses.

    Two open-ended outer bins catch the tails, so both sides are probability vectors.
    """
    full = np.concatenate([[-np.inf], edges, [np.inf]])
    counts, _ = np.histogram(samples, bins=full)
    p = counts / counts.sum()
    q = np.diff(target.cdf(full))
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def mode_masses(samples: np.ndarray, target: Mixture) -> np.ndarray:
    """The fraction of ``samples`` in each component's region: where its posterior is the highest.

    A sample belongs to the component k maximising w_k N(x; m_k, s_k) (log-space, so far tails
    never underflow to a tie). Non-finite samples belong to no component.
    """
    x = np.asarray(samples, np.float64)
    finite = np.isfinite(x)
    z = (x[finite, None] - target.means) / target.sigmas
    log_post = np.log(target.weights) - np.log(target.sigmas) - 0.5 * z**2
    counts = np.bincount(np.argmax(log_post, axis=1), minlength=len(target.means))
    return counts / max(len(x), 1)


def mode_coverage(samples: np.ndarray, target: Mixture) -> dict[str, float]:
    """``modes_covered``: components whose region gets at least half their weight; ``mass_error``: the
    largest |mass - weight| over components. For one Gaussian: 1 and 0 (every sample is in its region)."""
    mass = mode_masses(samples, target)
    return {
        "modes": float(len(mass)),
        "modes_covered": float(np.sum(mass >= COVERED * target.weights)),
        "mass_error": float(np.max(np.abs(mass - target.weights))),
    }


def summarize(samples: np.ndarray, target: Mixture, edges: np.ndarray) -> dict[str, float]:
    """Every metric the evaluate stage reports, rounded so reruns print identical JSON."""
    x = np.asarray(samples, np.float64)
    lo = target.mean - 3 * target.std
    hi = target.mean + 3 * target.std
    finite = bool(np.all(np.isfinite(x)))
    out = {
        "w1": wasserstein1(x, target) if finite else float("nan"),
        "ks": ks_statistic(x, target) if finite else float("nan"),
        "js": js_divergence(x, target, edges) if finite else float("nan"),
        "mean": float(np.mean(x)),
        "std": float(np.std(x)),
        "std_ratio": float(np.std(x) / target.std),
        "within_3sigma": float(np.mean((x >= lo) & (x <= hi))),
    }
    out.update(mode_coverage(x, target))
    out["w1_std"] = out["w1"] / target.std
    out["success"] = float(out["w1"] < success_w1(target) and out["modes_covered"] == out["modes"])
    return {k: round(v, 6) for k, v in out.items()}
