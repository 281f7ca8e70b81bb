"""Quality metrics of generated samples against the target (NumPy only).

A target is a :class:`gan1d.targets.Mixture` (exact cdf and quantile function) or, for a data file, the
:class:`gan1d.targets.Empirical` distribution of its held-out part (W1 and KS then exact between two
samples). Coverage: a mixture's modes, and for every target its deciles.
"""

from __future__ import annotations

from gan1d.targets import Empirical, Mixture

import numpy as np

Target = Mixture | Empirical

SUCCESS_W1_STD = 0.1  # a family target succeeds when W1 < SUCCESS_W1_STD x the target's std (scale-free)
COVERED = 0.5  # a mode (or decile) is covered when it gets at least this fraction of its weight
DECILES = 10
KS_LEVEL = 0.05  # a data target succeeds when the KS test against its held-out part does not reject at this level


def success_w1(target: Target) -> float:
    """The W1 below which a run succeeds: 0.1 target standard deviations (0.05 for N(4, 0.5))."""
    return SUCCESS_W1_STD * target.std


_QUANTILES: dict[tuple, np.ndarray] = {}


def quantiles(target: Target, n: int) -> np.ndarray:
    """F^-1((i + 0.5) / n) for i < n, cached: a mixture's quantiles take a bisection, and quality over
    training scores hundreds of frames against the same target."""
    key = (target.key, n)
    if key not in _QUANTILES:
        _QUANTILES.clear()  # one target at a time is all any caller needs
        _QUANTILES[key] = target.ppf((np.arange(n) + 0.5) / n)
    return _QUANTILES[key]


def wasserstein1(samples: np.ndarray, target: Target) -> float:
    """W1 = mean_i |x_(i) - F^-1((i + 0.5) / n)|: sorted samples against the target's quantiles. Against a
    data set: the exact W1 between the two samples, the integral of |F_n - G_m| over x."""
    x = np.sort(np.asarray(samples, np.float64))
    if isinstance(target, Empirical):
        points = np.sort(np.concatenate([x, target.values]))
        gap = np.diff(points)
        f = np.searchsorted(x, points[:-1], side="right") / len(x)
        return float(np.sum(np.abs(f - target.cdf(points[:-1])) * gap))
    return float(np.mean(np.abs(x - quantiles(target, len(x)))))


def ks_statistic(samples: np.ndarray, target: Target) -> float:
    """Kolmogorov-Smirnov: sup_x |F_n(x) - F(x)|, checked on both sides of every sample (against a data
    set: at every point of either sample, where the two step functions jump)."""
    x = np.sort(np.asarray(samples, np.float64))
    n = len(x)
    if isinstance(target, Empirical):
        points = np.concatenate([x, target.values])
        return float(np.max(np.abs(np.searchsorted(x, points, side="right") / n - target.cdf(points))))
    f = target.cdf(x)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def ks_critical(m: int, level: float = KS_LEVEL) -> float:
    """The KS statistic that a sample from the true distribution exceeds with probability ``level`` against
    ``m`` held-out values (the one-sample distribution: the generated side is large). Calibrated by
    simulation in tests/test_metrics.py."""
    from scipy import stats

    return float(stats.kstwo.isf(level, m))


def js_divergence(samples: np.ndarray, target: Target, edges: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between binned samples and the target's bin masses.

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


def mode_masses(samples: np.ndarray, target: Target) -> np.ndarray:
    """The fraction of ``samples`` in each component's region: where its posterior is the highest.

    A sample belongs to the component k maximising w_k pdf_k(x) (log-space, so far tails never
    underflow to a tie). Non-finite samples belong to no component; a data set is one region.
    """
    x = np.asarray(samples, np.float64)
    finite = np.isfinite(x)
    if isinstance(target, Empirical) or target.modes == 1:
        return np.array([np.sum(finite) / max(len(x), 1)])
    counts = np.bincount(np.argmax(target.log_posterior(x[finite]), axis=1), minlength=target.modes)
    return counts / max(len(x), 1)


def mode_coverage(samples: np.ndarray, target: Target) -> dict[str, float]:
    """``modes_covered``: components whose region gets at least half their weight; ``mass_error``: the
    largest |mass - weight| over components. For one component: 1 and 0 (every sample is in its region)."""
    mass = mode_masses(samples, target)
    weights = np.ones(1) if isinstance(target, Empirical) else target.weights
    return {
        "modes": float(len(mass)),
        "modes_covered": float(np.sum(mass >= COVERED * weights)),
        "mass_error": float(np.max(np.abs(mass - weights))),
    }


def decile_masses(samples: np.ndarray, target: Target) -> np.ndarray:
    """The fraction of ``samples`` in each of the target's 10 equiprobable bins (between its deciles)."""
    x = np.asarray(samples, np.float64)
    inner = target.ppf(np.arange(1, DECILES) / DECILES)
    counts = np.bincount(np.searchsorted(inner, x[np.isfinite(x)], side="right"), minlength=DECILES)
    return counts / max(len(x), 1)


def decile_threshold(target: Target) -> float:
    """The mass a decile's bin needs to count as covered: half its 0.1 for a distribution; for a data set's m
    held-out values, what its deciles allow: 0.1 less three standard deviations of a bin's mass, sqrt(0.09 / m),
    at most 0.05 and at least 0 (a bin then needs some mass). Calibrated in tests/test_metrics.py: 82 held-out
    values pin a decile's mass only to +-0.03."""
    if isinstance(target, Empirical):
        m = len(target.values)
        return float(min(COVERED / DECILES, max(0.0, 1.0 / DECILES - 3.0 * np.sqrt(0.09 / m))))
    return COVERED / DECILES


def decile_coverage(samples: np.ndarray, target: Target) -> dict[str, float]:
    """``bins_covered``: deciles whose bin gets more than :func:`decile_threshold` (at least half its 0.1
    for a distribution); ``decile_error``: the largest |mass - 0.1| over the 10 bins."""
    mass = decile_masses(samples, target)
    threshold = decile_threshold(target)
    covered = mass > threshold if threshold == 0 else mass >= threshold
    return {
        "bins_covered": float(np.sum(covered)),
        "decile_error": float(np.max(np.abs(mass - 1.0 / DECILES))),
    }


TAIL = 0.02  # the tail metric looks at the outer 2% of the quantile levels on each side


def fold_share(transport: np.ndarray) -> float:
    """The share of G's noise range on which G runs against its overall direction: ``transport`` is G on the
    evenly spaced evaluation grid, in noise order, and the overall direction is the one G takes on more of the
    range (so the share is at most 0.5). A monotone map, increasing or decreasing, scores 0; every fold, where
    G turns back on itself and piles samples into a spike, adds its width."""
    step = np.diff(np.asarray(transport, np.float64))
    if not np.all(np.isfinite(step)):
        return float("nan")
    if len(step) == 0:
        return 0.0
    return float(min(np.mean(step > 0), np.mean(step < 0)))


def tail_w1(samples: np.ndarray, target: Target) -> float:
    """W1 restricted to the tails: the mean |x_(i) - F^-1((i + 0.5) / n)| over the levels in the outer TAIL
    of each side (where a bounded generator runs out of room on a heavy-tailed target)."""
    x = np.sort(np.asarray(samples, np.float64))
    k = max(1, int(round(TAIL * len(x))))
    q = quantiles(target, len(x))
    return float(np.mean(np.abs(np.concatenate([x[:k] - q[:k], x[-k:] - q[-k:]]))))


def summarize(
    samples: np.ndarray, target: Target, edges: np.ndarray, train: np.ndarray | None = None
) -> dict[str, float]:
    """Every metric the evaluate stage reports, rounded so reruns print identical JSON.

    Against a data set (``target`` Empirical, ``train`` its training part): ``baseline_*`` is the same
    metric of the training part itself, what a generator that memorised its data would score, and
    success is the KS test's (the statistic below ``ks_critical``) with every decile covered.
    ``baseline_success`` 0 says that the split itself fails that test: its held-out part is far from
    its training part, and few generators trained on the one will pass against the other.
    """
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
    out.update(decile_coverage(x, target))
    out["w1_std"] = out["w1"] / target.std
    covered = out["modes_covered"] == out["modes"] and out["bins_covered"] == DECILES
    if isinstance(target, Empirical):
        out["ks_critical"] = ks_critical(len(target.values))
        out["success"] = float(out["ks"] < out["ks_critical"] and covered)
        if train is not None:
            base = summarize(train, target, edges)
            keys = ("w1", "w1_std", "ks", "js", "decile_error", "success")  # success: does the data pass its own test?
            out.update({f"baseline_{k}": base[k] for k in keys})
    else:
        out["success"] = float(out["w1"] < success_w1(target) and covered)
        out["tail_w1_std"] = tail_w1(x, target) / target.std if finite else float("nan")
    return {k: round(v, 6) for k, v in out.items()}
