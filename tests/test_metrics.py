"""Metrics on known cases and against SciPy."""

from gan1d.config import Component, Target
from gan1d.distributions import rng
from gan1d.metrics import (
    decile_coverage,
    decile_masses,
    fold_share,
    js_divergence,
    ks_statistic,
    mode_coverage,
    mode_masses,
    summarize,
    tail_w1,
    wasserstein1,
)
from gan1d.targets import Empirical, Mixture

import numpy as np
import pytest
from scipy import stats

GAUSS = Mixture.from_config(Target.gaussians((4.0,), (0.5,), (1.0,)))
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
    assert set(m) == {
        "w1",
        "w1_std",
        "ks",
        "js",
        "mean",
        "std",
        "std_ratio",
        "within_3sigma",
        "modes",
        "modes_covered",
        "mass_error",
        "bins_covered",
        "decile_error",
        "success",
        "tail_w1_std",
    }
    assert m["w1_std"] == pytest.approx(m["w1"] / 0.5, abs=1e-5)
    assert (m["modes"], m["modes_covered"], m["mass_error"]) == (1.0, 1.0, 0.0)  # trivially, for one Gaussian
    assert m["mean"] == pytest.approx(4.0, abs=1e-4)
    assert m["std_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert m["within_3sigma"] == pytest.approx(0.9973, abs=1e-3)
    assert m["success"] == 1.0
    assert summarize(quantiles(10000) + 1, GAUSS, EDGES)["success"] == 0.0


TWO = Mixture.from_config(Target.gaussians((-2.0, 4.0), (0.5, 0.5), (1.0, 1.0)))
UNEQUAL = Mixture.from_config(Target.gaussians((0.0, 3.0), (0.5, 0.5), (0.85, 0.15)))


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


# Families: W1 and KS through the family's own cdf/ppf, on hand-computed cases.
UNIFORM = Mixture.from_config(Target("family", (Component("uniform", (), 0.0, 1.0, 1.0),)))
EXPON = Mixture.from_config(Target("family", (Component("expon", (), 0.0, 1.0, 1.0),)))


def test_w1_and_ks_of_families_by_hand():
    # n points at (i + 0.5) / n are U(0, 1)'s exact quantiles: W1 0; shifted by 0.1: W1 0.1, KS 0.1 + 1/(2n)
    x = (np.arange(100) + 0.5) / 100
    assert wasserstein1(x, UNIFORM) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein1(x + 0.1, UNIFORM) == pytest.approx(0.1, abs=1e-12)
    assert ks_statistic(x + 0.1, UNIFORM) == pytest.approx(0.105, abs=1e-12)
    # all mass at 0 against exponential(1): W1 = E[X] = 1 (up to the quantile rule's last cell), KS = 1
    assert wasserstein1(np.zeros(10000), EXPON) == pytest.approx(1.0, abs=1e-3)
    assert ks_statistic(np.zeros(10000), EXPON) == pytest.approx(1.0)
    assert (UNIFORM.mean, UNIFORM.std) == pytest.approx((0.5, np.sqrt(1 / 12)))
    assert EXPON.ppf(np.array([0.5]))[0] == pytest.approx(np.log(2))


def test_a_mixture_of_families():
    mix = Mixture.from_config(
        Target("mixture", (Component("uniform", (), 0.0, 1.0, 1.0), Component("expon", (), 5.0, 1.0, 3.0)))
    )
    assert mix.mean == pytest.approx(0.25 * 0.5 + 0.75 * 6.0)
    assert mix.cdf(np.array([1.0, 5.0]))[0] == pytest.approx(0.25)
    np.testing.assert_allclose(mix.cdf(mix.ppf(np.array([0.1, 0.25, 0.6, 0.99]))), [0.1, 0.25, 0.6, 0.99], atol=1e-9)
    x = mix.sample(rng(1, "m"), 100_000)
    assert stats.kstest(x, mix.cdf).statistic < 0.006
    assert mode_masses(x, mix) == pytest.approx([0.25, 0.75], abs=0.005)


def test_decile_coverage_on_hand_built_samples():
    exact = UNIFORM.ppf((np.arange(1000) + 0.5) / 1000)
    assert decile_coverage(exact, UNIFORM) == {"bins_covered": 10.0, "decile_error": pytest.approx(0.0)}
    lower_half = exact[exact < 0.5]  # nothing above the median: five deciles empty, the others doubled
    assert decile_coverage(lower_half, UNIFORM) == {"bins_covered": 5.0, "decile_error": pytest.approx(0.1)}
    thin = np.concatenate([exact[exact >= 0.1], np.full(40, 0.05)])  # the first decile gets 0.04 < 0.05: uncovered
    assert decile_masses(thin, UNIFORM)[0] == pytest.approx(40 / 940)
    assert decile_coverage(thin, UNIFORM)["bins_covered"] == 9.0


# A data target: the held-out part's empirical distribution; W1 and KS exact between the two samples.
def test_w1_and_ks_against_a_data_set_are_exact_two_sample_values():
    held = Empirical.of([0.0, 1.0, 2.0, 3.0])
    assert wasserstein1(np.array([0.0, 1.0, 2.0, 3.0]), held) == 0.0
    assert wasserstein1(np.array([0.5, 1.5, 2.5, 3.5]), held) == pytest.approx(0.5)
    assert wasserstein1(np.array([10.0]), held) == pytest.approx(10.0 - 1.5)
    a = rng(5, "a").normal(0, 1, 700)
    b = rng(6, "b").gamma(2.0, 1.0, 300)
    assert wasserstein1(a, Empirical.of(b)) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)
    assert ks_statistic(a, Empirical.of(b)) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    assert list(held.ppf(np.array([0.1, 0.25, 0.26, 1.0]))) == [0.0, 0.0, 1.0, 3.0]


def test_data_summary_reports_the_memorisers_baseline():
    gen = rng(7, "d")
    train, heldout = gen.normal(0, 1, 300), gen.normal(0, 1, 100)
    held = Empirical.of(heldout)
    m = summarize(gen.normal(0, 1, 10000), held, EDGES, train)
    assert m["baseline_w1"] == pytest.approx(round(stats.wasserstein_distance(train, heldout), 6), abs=1e-6)
    assert m["ks_critical"] == pytest.approx(stats.kstwo.isf(0.05, 100), abs=1e-6)
    assert m["success"] == 1.0 and m["baseline_success"] == 1.0
    assert summarize(gen.normal(1, 1, 10000), held, EDGES, train)["success"] == 0.0
    # a split whose parts differ: the training part itself fails the held-out test, and says so
    assert summarize(gen.normal(0, 1, 10000), held, EDGES, train + 1.0)["baseline_success"] == 0.0


@pytest.mark.slow  # 400 simulated data sets per size, each scored on 10,000 points
@pytest.mark.parametrize("size", [82, 272])
def test_the_data_criterion_passes_the_true_distribution_about_95_percent_of_the_time(size):
    """Calibration: data sets of the real data sets' sizes drawn from known families, split as the sample
    stage splits them (30% held out), and an exact sample of the family as the 'generator' (the evaluation's
    10,000 points): how often it passes (KS below the critical value, every decile covered)."""
    from gan1d.datafile import split

    families = [stats.norm(), stats.expon(), stats.lognorm(0.5), stats.t(5), stats.beta(2, 5)]
    passed, trials = 0, 0
    for k, family in enumerate(families):
        gen = rng(size, f"calibration-{k}")
        for rep in range(80):
            values = family.ppf(gen.random(size))
            train, heldout = split(values, 0.3, rep)
            exact = family.ppf((np.arange(10000) + 0.5) / 10000)
            passed += summarize(exact, Empirical.of(heldout), EDGES, train)["success"] == 1.0
            trials += 1
    assert 0.92 <= passed / trials <= 0.98, passed / trials


def test_fold_share_on_hand_built_maps():
    z = np.linspace(-1, 1, 2001)  # 2000 steps of 0.001
    assert fold_share(3 * z + 1) == 0.0
    assert fold_share(-np.tanh(4 * z)) == 0.0  # decreasing is as good as increasing
    fold = np.where(z < 0.2, z, np.where(z < 0.3, 0.4 - z, z - 0.2))  # runs back on [0.2, 0.3]: 5% of [-1, 1]
    assert fold_share(fold) == pytest.approx(0.05, abs=1e-3)
    assert fold_share(-fold) == pytest.approx(0.05, abs=1e-3)
    assert fold_share(np.full(10, 2.0)) == 0.0  # flat: no direction, nothing runs against it


def test_tail_w1_sees_what_a_bounded_generator_misses():
    t5 = Mixture.from_config(Target("family", (Component("t", (5.0,), 0.0, 1.0, 1.0),)))
    exact = t5.ppf((np.arange(10000) + 0.5) / 10000)
    assert tail_w1(exact, t5) == pytest.approx(0.0, abs=1e-12)
    clipped = np.clip(exact, -3.0, 3.0)  # a generator that stops at +-3
    outer = np.concatenate([exact[:200], exact[-200:]])
    assert tail_w1(clipped, t5) == pytest.approx(np.mean(np.maximum(np.abs(outer) - 3.0, 0.0)), rel=1e-9)
    assert wasserstein1(clipped, t5) < 0.1 * tail_w1(clipped, t5)  # the whole-range W1 barely notices
