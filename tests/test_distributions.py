"""Target distributions and the generator's noise."""

from gan1d.config import Noise, Target
from gan1d.distributions import density, histogram_edges, noise_grid, noise_levels, rng, stratified_noise
from gan1d.targets import Mixture

import numpy as np
import pytest
from scipy import stats

GAUSS = Mixture.from_config(Target.gaussians((4.0,), (0.5,), (1.0,)))
MIX = Mixture.from_config(Target.gaussians((-2.0, 3.0), (0.5, 1.0), (1.0, 3.0)))


def test_gaussian_matches_scipy():
    x = np.linspace(0, 8, 41)
    np.testing.assert_allclose(GAUSS.pdf(x), stats.norm.pdf(x, 4, 0.5), rtol=1e-12)
    np.testing.assert_allclose(GAUSS.cdf(x), stats.norm.cdf(x, 4, 0.5), rtol=1e-12)
    q = np.linspace(0.001, 0.999, 50)
    np.testing.assert_allclose(GAUSS.ppf(q), stats.norm.ppf(q, 4, 0.5), rtol=1e-12)


def test_mixture_moments_pdf_and_quantiles():
    assert MIX.weights.tolist() == [0.25, 0.75]
    assert MIX.mean == pytest.approx(0.25 * -2 + 0.75 * 3)
    x = np.linspace(-10, 10, 200001)
    assert np.trapezoid(MIX.pdf(x), x) == pytest.approx(1.0, abs=1e-9)
    q = np.array([0.01, 0.25, 0.5, 0.9])
    np.testing.assert_allclose(MIX.cdf(MIX.ppf(q)), q, atol=1e-10)


def test_mixture_sampler_follows_the_mixture():
    x = MIX.sample(rng(0, "t"), 200_000)
    assert stats.kstest(x, MIX.cdf).statistic < 0.005
    assert np.mean(x < 0.5) == pytest.approx(float(MIX.cdf(0.5)), abs=0.003)


def test_stratified_noise_is_an_evenly_spaced_grid_with_small_jitter():
    noise = Noise(distribution="uniform", range=8.0, jitter=0.01)
    z = stratified_noise(rng(1, "z"), noise, 12)
    offsets = z - np.linspace(-8, 8, 12)
    assert np.all((offsets >= 0) & (offsets < 0.01))
    assert np.all(np.diff(z) > 0)
    np.testing.assert_array_equal(z, stratified_noise(rng(1, "z"), noise, 12))
    assert not np.array_equal(z, stratified_noise(rng(2, "z"), noise, 12))


def test_noise_grid_is_cell_centres():
    np.testing.assert_allclose(
        noise_grid(Noise(distribution="uniform", range=1.0, jitter=0.0), 4), [-0.75, -0.25, 0.25, 0.75]
    )


def test_rng_streams_are_independent_and_stable():
    a = rng(42, "real").random(3)
    np.testing.assert_array_equal(a, rng(42, "real").random(3))
    assert not np.array_equal(a, rng(42, "noise").random(3))


def test_density_counts_all_values():
    edges = histogram_edges((-1.0, 1.0), 2)  # [-1, 0, 1]
    # 2 of 4 values in [-1, 0), 1 in [0, 1], 1 outside: density = count / (4 * width 1)
    np.testing.assert_allclose(density(np.array([-0.5, -0.2, 0.5, 7.0]), edges), [0.5, 0.25])


def test_the_data_targets_density_estimate_for_pretraining():
    from gan1d.datafile import kde_modes
    from gan1d.targets import kde_pdf

    values = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    h = 0.9 * min(np.std(values), (3.0 - 1.0) / 1.34) * 5**-0.2  # Silverman's rule of thumb, by hand
    x = np.array([0.5, 10.0])
    by_hand = [np.mean(stats.norm.pdf(v, values, h)) for v in x]
    np.testing.assert_allclose(kde_pdf(values, x), by_hand, rtol=1e-12)
    grid = np.linspace(-20, 30, 200001)
    assert np.trapezoid(kde_pdf(values, grid), grid) == pytest.approx(1.0, abs=1e-6)
    three = np.concatenate([rng(k, "a").normal(8 * k, 1, 300) for k in range(3)])
    assert kde_modes(three) == 3
    assert kde_modes(rng(3, "c").normal(0, 1, 500)) <= 2  # a wiggle at most: G keeps its 4 units either way


def test_the_uniform_noise_levels_are_the_grid_s_cells():
    noise = Noise(distribution="uniform", range=2.0, jitter=0.0)
    np.testing.assert_allclose(noise_levels(noise, noise_grid(noise, 4)), [0.125, 0.375, 0.625, 0.875])


def test_the_normal_grid_is_the_normal_quantiles_of_the_same_levels():
    noise = Noise(distribution="normal", range=8.0, jitter=0.0)
    z = noise_grid(noise, 4)
    # N(0, (range / 2)^2) = N(0, 16) at levels 1/8, 3/8, 5/8, 7/8
    np.testing.assert_allclose(z, stats.norm.ppf([0.125, 0.375, 0.625, 0.875], scale=4.0), rtol=1e-12)
    np.testing.assert_allclose(noise_levels(noise, z), [0.125, 0.375, 0.625, 0.875], rtol=1e-12)
    big = noise_grid(noise, 100_000)
    assert np.std(big) == pytest.approx(4.0, rel=1e-3)
    assert np.mean(np.abs(big) <= noise.range) == pytest.approx(0.9545, abs=1e-3)  # 2 standard deviations
