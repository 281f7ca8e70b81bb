"""Metrics on known cases and against SciPy."""

import numpy as np
import pytest
from scipy import stats

from gan1d.config import Target
from gan1d.distributions import Mixture, rng
from gan1d.metrics import js_divergence, ks_statistic, mode_coverage, mode_masses, summarize, wasserstein1

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
    assert set(m) == {"w1", "w1_std", "ks", "js", "mean", "std", "std_ratio", "within_3sigma", "modes", "modes_covered",
                      "mass_error", "success"}
    assert m["w1_std"] == pytest.approx(m["w1"] / 0.5, abs=1e-5)
    assert (m["modes"], m["modes_covered"], m["mass_error"]) == (1.0, 1.0, 0.0)  # trivially, for one Gaussian
    assert m["mean"] == pytest.approx(4.0, abs=1e-4)
    assert m["std_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert m["within_3sigma"] == pytest.approx(0.9973, abs=1e-3)
    assert m["success"] == 1.0
    assert summarize(quantiles(10000) + 1, GAUSS, EDGES)["success"] == 0.0


TWO = Mixture.from_config(Target(means=(-2.0, 4.0), sigmas=(0.5, 0.5), weights=(1.0, 1.0)))
UNEQUAL = Mixture.from_config(Target(means=(0.0, 3.0), sigmas=(0.5, 0.5), weights=(0.85, 0.15)))


def test_mode_coverage_all_in_one_mode():
    x = np.linspace(3.0, 5.0, 1000)  # every sample near 4
    np.testing.assert_allclose(mode_masses(x, TWO), [0.0, 1.0])
    assert mode_coverage(x, TWO) == {"modes": 2.0, "modes_covered": 1.0, "mass_error": 0.5}


def test_mode_coverage_split_50_50():
    x = np.concatenate([np.full(500, -2.1), np.full(500, 3.9)])
    assert mode_coverage(x, TWO) == {"modes": 2.0, "modes_covered": 2.0, "mass_error": 0.0}


def test_mode_coverage_split_85_15_and_a_starved_minority():
    # the regions meet where the posteriors are equal: 0.85 N(x; 0) = 0.15 N(x; 3), x = 1.5 + ln(0.85/0.15) / 12 = 1.6446
    x = np.concatenate([np.full(850, 1.64), np.full(150, 1.65)])
    m = mode_coverage(x, UNEQUAL)
    assert (m["modes_covered"], m["mass_error"]) == (2.0, pytest.approx(0.0, abs=1e-12))
    starved = np.concatenate([np.zeros(930), np.full(70, 3.0)])  # 7% < half of 15%
    m = mode_coverage(starved, UNEQUAL)
    assert m["modes_covered"] == 1.0 and m["mass_error"] == pytest.approx(0.08)


def test_success_needs_every_mode_and_scales_with_the_target_std():
    exact = TWO.ppf((np.arange(10000) + 0.5) / 10000)
    m = summarize(exact, TWO, np.linspace(-5, 7, 101))
    assert m["success"] == 1.0 and m["modes_covered"] == 2.0
    # W1 of 0.2 is a success for this wide mixture (std 3.04) but would not be for N(4, 0.5)
    assert summarize(exact + 0.2, TWO, np.linspace(-5, 7, 101))["success"] == 1.0
    assert summarize(quantiles(10000) + 0.2, GAUSS, EDGES)["success"] == 0.0
