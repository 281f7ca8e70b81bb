"""Metrics on known cases and against SciPy."""

import numpy as np
import pytest
from scipy import stats

from gan1d.config import Target
from gan1d.distributions import Mixture, rng
from gan1d.metrics import js_divergence, ks_statistic, summarize, wasserstein1

GAUSS = Mixture.from_config(Target(means=(4.0,), sigmas=(0.5,), weights=(1.0,)))
EDGES = np.linspace(-8, 8, 101)


def quantiles(n: int) -> np.ndarray:
    return GAUSS.ppf((np.arange(n) + 0.5) / n)


def test_w1_is_zero_on_exact_quantiles_and_equals_a_shift():
    assert wasserstein1(quantiles(1000), GAUSS) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein1(quantiles(1000) + 0.3, GAUSS) == pytest.approx(0.3, abs=1e-12)


def test_w1_of_uniform_with_the_right_moments_is_0077():
    # the scale mark: uniform with mean 4 and std 0.5 scores W1 = 0.077
    half = 0.5 * np.sqrt(3)
    x = np.linspace(4 - half, 4 + half, 10000)
    assert wasserstein1(x, GAUSS) == pytest.approx(0.077, abs=0.001)


def test_w1_agrees_with_scipy_on_a_large_sample():
    x = rng(3, "w").normal(4.2, 0.6, 20000)
    ref = stats.wasserstein_distance(x, quantiles(200000))
    assert wasserstein1(x, GAUSS) == pytest.approx(ref, abs=2e-3)


def test_ks_agrees_with_scipy():
    x = rng(4, "k").normal(4.1, 0.5, 3000)
    assert ks_statistic(x, GAUSS) == pytest.approx(stats.kstest(x, GAUSS.cdf).statistic, abs=1e-12)


def test_js_known_cases():
    assert js_divergence(quantiles(100000), GAUSS, EDGES) == pytest.approx(0.0, abs=1e-4)
    assert js_divergence(np.full(1000, -7.9), GAUSS, EDGES) == pytest.approx(1.0, abs=1e-6)


def test_summary_keys_and_values():
    m = summarize(quantiles(10000), GAUSS, EDGES)
    assert set(m) == {"w1", "ks", "js", "mean", "std", "std_ratio", "within_3sigma", "success"}
    assert m["mean"] == pytest.approx(4.0, abs=1e-4)
    assert m["std_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert m["within_3sigma"] == pytest.approx(0.9973, abs=1e-3)
    assert m["success"] == 1.0
    assert summarize(quantiles(10000) + 1, GAUSS, EDGES)["success"] == 0.0
