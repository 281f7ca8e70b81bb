"""The minibatch layer, the decision boundary and per-replica initialisation."""

from dataclasses import replace

from gan1d.config import Model, Scaling
from gan1d.inference import generate, replica_weights
from gan1d.models import (
    IDENTITY,
    Discriminator,
    Generator,
    MinibatchDiscrimination,
    batch_rank,
    decision_boundary,
    initialize,
    match_moments,
    spread_kinks,
)

import numpy as np
import pytest
import tensorflow as tf

PLAIN = Model(
    hidden=4,
    hidden_per_mode=0,
    d_hidden=8,
    minibatch=False,
    rank=False,
    pack=1,
    minibatch_kernels=5,
    minibatch_dims=3,
    minibatch_init_stddev=0.02,
    init_stddev=1.0,
    bias_stddev=0.0,
    g_steepness=1.0,
    g_kinks="random",
    g_activation="softplus",
    g_monotone=False,
    g_linear=False,
    scale_inputs=False,
    match_init=False,
)
MB = replace(PLAIN, minibatch=True)


def layer(replicas: int = 1) -> MinibatchDiscrimination:
    mb = MinibatchDiscrimination(kernels=5, dims=3, replicas=replicas, init_stddev=0.02)
    mb.build((replicas, 4, 8))
    mb.kernel.assign(np.random.default_rng(0).normal(0, 1, mb.kernel.shape).astype(np.float32))
    return mb


def test_minibatch_shapes():
    out = layer(2)(tf.random.stateless_normal((2, 6, 8), [1, 2]))
    assert out.shape == (2, 6, 8 + 5)


def test_minibatch_excludes_each_sample_from_its_own_features():
    mb = layer()
    same = tf.ones((1, 4, 8))  # four identical samples: each sees 3 others at distance 0
    np.testing.assert_allclose(mb(same).numpy()[0, :, 8:], 3.0)
    alone = tf.ones((1, 1, 8))  # a batch of one has nobody to compare with
    np.testing.assert_allclose(mb(alone).numpy()[0, :, 8:], 0.0)


def test_minibatch_features_match_a_hand_loop():
    mb = layer()
    h = tf.random.stateless_normal((1, 5, 8), [3, 4])
    m = np.einsum("bi,io->bo", h.numpy()[0], mb.kernel.numpy()[0]).reshape(5, 5, 3)
    expect = np.zeros((5, 5))
    for i in range(5):
        for j in range(5):
            if i != j:
                expect[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=-1))
    np.testing.assert_allclose(mb(h).numpy()[0, :, 8:], expect, rtol=1e-5)


@pytest.mark.parametrize("cfg", [PLAIN, MB], ids=["plain", "minibatch"])
def test_decision_boundary_does_not_depend_on_how_the_grid_is_split(cfg):
    d = Discriminator(cfg)
    initialize(d, [7])
    grid = tf.reshape(tf.linspace(-8.0, 8.0, 40), (1, 40, 1))
    reference = tf.random.stateless_normal((1, 11, 1), [5, 6], mean=4.0, stddev=0.5)
    whole = decision_boundary(d, grid, reference).numpy()
    halves = np.concatenate(
        [decision_boundary(d, grid[:, :20], reference).numpy(), decision_boundary(d, grid[:, 20:], reference).numpy()],
        axis=1,
    )
    np.testing.assert_allclose(whole, halves, rtol=1e-6)
    assert np.all((whole > 0) & (whole < 1))


def test_each_replica_is_the_model_its_seed_alone_would_build():
    pair, alone = Generator(PLAIN, replicas=2), Generator(PLAIN)
    initialize(pair, [11, 12])
    initialize(alone, [12])
    for a, b in zip(pair.weights, alone.weights):
        np.testing.assert_array_equal(a.numpy()[1], b.numpy()[0])
    assert not np.array_equal(pair.g0.kernel.numpy()[0], pair.g0.kernel.numpy()[1])


def test_generator_is_dense_softplus_dense():
    g = Generator(PLAIN)
    initialize(g, [3])
    z = np.array([-1.0, 0.5, 2.0], np.float32)
    k0, b0, k1, b1 = (w.numpy()[0] for w in g.weights)
    expect = np.log1p(np.exp(z[:, None] @ k0 + b0)) @ k1 + b1
    np.testing.assert_allclose(g(tf.constant(z[None, :, None])).numpy()[0], expect, rtol=1e-5)


def test_batch_rank_is_the_empirical_cdf():
    x = tf.constant([[[3.0], [1.0], [2.0], [10.0]]])
    # ranks 2, 0, 1, 3 of 4 -> (rank + 1/2) / 4 -> 2 F - 1
    np.testing.assert_allclose(batch_rank(x).numpy()[0, :, 0], [0.25, -0.75, -0.25, 0.75])
    ref = tf.constant([[[0.0], [1.0], [2.0], [3.0]]])
    grid = tf.constant([[[-1.0], [1.5], [9.0]]])  # in a reference: the fraction of it below each point
    np.testing.assert_allclose(batch_rank(grid, ref).numpy()[0, :, 0], [-1.0, 0.0, 1.0])


def test_rank_feature_gives_no_gradient_through_the_rank():
    x = tf.constant([[[0.0], [1.0]]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        r = batch_rank(x)
    assert tape.gradient(r, x) is None


def test_packed_discriminator_scores_one_logit_per_sorted_pack():
    d = Discriminator(replace(PLAIN, pack=4), replicas=2)
    initialize(d, [1, 2], 1.0)
    x = tf.random.stateless_normal((2, 8, 1), [5, 6])
    out = d(x)
    assert out.shape == (2, 2, 1)
    shuffled = tf.gather(x, [3, 1, 0, 2, 7, 4, 6, 5], axis=1)  # order inside a pack does not matter
    np.testing.assert_allclose(d(shuffled).numpy(), out.numpy(), rtol=1e-6)
    curve = decision_boundary(d, tf.zeros((2, 5, 1)), x[:, :7])
    assert curve.shape == (2, 5)


@pytest.mark.parametrize("activation, middle", [("softplus", np.log(2.0)), ("tanh", 0.0)])
def test_generator_activation_by_hand(activation, middle):
    # One unit, G(z) = 0.25 + 1.5 act(4 z): softplus is a kink (0 far left, linear far right), tanh a step
    # from -1 to 1; TensorFlow's G and the NumPy one (evaluation) agree with the hand-computed values.
    g = Generator(replace(PLAIN, hidden=1, g_activation=activation))
    for var, value in zip(g.weights, (4.0, 0.0, 1.5, 0.25)):
        var.assign(np.full(var.shape, value, np.float32))
    z = np.array([-10.0, 0.0, 0.25, 10.0])
    act_one = np.log1p(np.e) if activation == "softplus" else np.tanh(1.0)
    far_left, far_right = (0.0, 40.0) if activation == "softplus" else (-1.0, 1.0)
    expected = 0.25 + 1.5 * np.array([far_left, middle, act_one, far_right])
    numpy_g = generate(replica_weights(*(w.numpy() for w in g.weights), 0), z, IDENTITY, activation)
    np.testing.assert_allclose(numpy_g, expected, rtol=1e-12, atol=1e-12)
    tf_g = g(tf.constant(z[None, :, None], tf.float32)).numpy()[0, :, 0]
    np.testing.assert_allclose(tf_g, expected, rtol=1e-6, atol=1e-6)


def test_a_monotone_generator_by_hand():
    # Two tanh units with kernels (1, -4), biases (0, 1), output weights (-2, -3) and output bias 0.5. Unconstrained,
    # G(z) = 0.5 - 2 tanh(z) - 3 tanh(-4 z + 1) falls and rises; with model.g_monotone every kernel enters as |k|:
    # G(z) = 0.5 + 2 tanh(z) + 3 tanh(4 z + 1), increasing.
    g = Generator(replace(PLAIN, hidden=2, g_activation="tanh", g_monotone=True))
    for var, value in zip(g.weights, ([[1.0, -4.0]], [[0.0, 1.0]], [[-2.0], [-3.0]], [[0.5]])):
        var.assign(np.array([value], np.float32))
    z = np.array([-1.0, 0.0, 0.3, 2.0])
    expected = 0.5 + 2 * np.tanh(z) + 3 * np.tanh(4 * z + 1)
    weights = replica_weights(*(w.numpy() for w in g.weights), 0)
    np.testing.assert_allclose(generate(weights, z, IDENTITY, "tanh", monotone=True), expected, rtol=1e-12)
    np.testing.assert_allclose(g(tf.constant(z[None, :, None], tf.float32)).numpy()[0, :, 0], expected, rtol=1e-5)
    plain = 0.5 - 2 * np.tanh(z) - 3 * np.tanh(-4 * z + 1)  # the same weights, unconstrained: G folds
    np.testing.assert_allclose(generate(weights, z, IDENTITY, "tanh"), plain, rtol=1e-12)
    assert np.all(np.diff(expected) > 0) and not np.all(np.diff(plain) > 0)


def test_a_linear_first_unit_by_hand():
    # The weights of the test above with model.g_linear: unit 0 skips tanh, so G(z) = 0.5 + 2 z + 3 tanh(4 z + 1)
    # keeps a slope of 2 where the tanh unit has saturated (z = 2, 3); without it G nearly stops rising there.
    g = Generator(replace(PLAIN, hidden=2, g_activation="tanh", g_monotone=True, g_linear=True))
    for var, value in zip(g.weights, ([[1.0, -4.0]], [[0.0, 1.0]], [[-2.0], [-3.0]], [[0.5]])):
        var.assign(np.array([value], np.float32))
    z = np.array([-1.0, 0.0, 0.3, 2.0, 3.0])
    expected = 0.5 + 2 * z + 3 * np.tanh(4 * z + 1)
    weights = replica_weights(*(w.numpy() for w in g.weights), 0)
    linear = generate(weights, z, IDENTITY, "tanh", True, linear=True)
    np.testing.assert_allclose(linear, expected, rtol=1e-12)
    np.testing.assert_allclose(g(tf.constant(z[None, :, None], tf.float32)).numpy()[0, :, 0], expected, rtol=1e-5)
    assert linear[-1] - linear[-2] == pytest.approx(2.0, abs=1e-6)
    bounded = generate(weights, z, IDENTITY, "tanh", True)  # every unit tanh: flat once all have saturated
    assert bounded[-1] - bounded[-2] == pytest.approx(2 * (np.tanh(3.0) - np.tanh(2.0)), abs=1e-6)


def test_a_monotone_generator_is_continuous_in_its_weights():
    # A kernel crossing 0 flattens its unit (act(b)) and bends it back: G moves by little, where a rule that
    # flips the unit's sign would jump by 2 |k1| act(b) at z = 0.
    g = Generator(replace(PLAIN, hidden=1, g_activation="tanh", g_monotone=True))
    z = tf.constant(np.array([[-1.0, 0.0, 1.0]])[..., None], tf.float32)
    outs = []
    for k0 in (-1e-4, 1e-4):
        for var, value in zip(g.weights, ([[k0]], [[1.0]], [[2.0]], [[0.0]])):
            var.assign(np.array([value], np.float32))
        outs.append(g(z).numpy()[0, :, 0])
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-3)
    np.testing.assert_allclose(outs[0], 2 * np.tanh(1.0), atol=1e-3)


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_a_monotone_generator_is_increasing_whatever_its_weights(activation):
    cfg = replace(PLAIN, hidden=6, g_activation=activation, bias_stddev=1.0)
    z = np.linspace(-3, 3, 2001)
    folds = []
    for monotone in (False, True):
        g = Generator(replace(cfg, g_monotone=monotone), replicas=8)
        initialize(g, list(range(8)), 1.0)
        x = g(tf.constant(np.broadcast_to(z, (8, len(z)))[..., None], tf.float32)).numpy()[..., 0]
        folds.append([np.any(np.diff(row) < 0) for row in x])
        if monotone:
            assert np.all(np.diff(x, axis=1) >= 0)
            for r in range(8):
                numpy_g = generate(replica_weights(*(w.numpy() for w in g.weights), r), z, IDENTITY, activation, True)
                assert np.all(np.diff(numpy_g) >= 0)
                np.testing.assert_allclose(numpy_g, x[r], rtol=1e-4, atol=1e-4)
    assert any(folds[0]) and not any(folds[1])  # the same draws fold somewhere without the constraint


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_match_moments_gives_the_target_mean_and_std_per_replica(activation):
    scaling = Scaling(1 / 8, 1.0, 3.0)
    g = Generator(replace(PLAIN, g_activation=activation), replicas=3, scaling=scaling)
    initialize(g, [1, 2, 3], 1.0)
    z = np.linspace(-8, 8, 1001)
    match_moments(g, z, 1.0, 3.04)
    for r in range(3):
        x = generate(replica_weights(*(w.numpy() for w in g.weights), r), z, scaling, activation)
        assert np.mean(x) == pytest.approx(1.0, abs=1e-4) and np.std(x) == pytest.approx(3.04, rel=1e-4)
    alone = Generator(replace(PLAIN, g_activation=activation), replicas=1, scaling=scaling)
    initialize(alone, [2], 1.0)
    match_moments(alone, z, 1.0, 3.04)
    np.testing.assert_array_equal(alone.g1.kernel.numpy()[0], g.g1.kernel.numpy()[1])  # replica 1 = seed 2 alone


def test_rank_weight_zero_makes_d_pointwise():
    d = Discriminator(replace(PLAIN, rank=True), replicas=1)
    initialize(d, [3], 1.0)
    x = tf.constant([[[0.5], [1.0], [2.0]]])
    other = tf.constant([[[0.5], [-4.0], [9.0]]])  # the same first sample in another batch: another rank
    assert abs(float(d(x)[0, 0, 0]) - float(d(other)[0, 0, 0])) > 1e-4
    np.testing.assert_array_equal(d(x, rank_weight=0.0).numpy()[0, 0], d(other, rank_weight=0.0).numpy()[0, 0])


def test_g_steepness_sharpens_the_first_layer_kinks_in_place():
    # k = 8: the first layer's kernels and biases are 8 times those drawn at k = 1 (the same draws),
    # so every softplus kink -b/w sits where it did, 8 times sharper; the last layer is unchanged.
    base = replace(PLAIN, bias_stddev=1.0)
    g1, g8 = Generator(base, 2), Generator(replace(base, g_steepness=8.0), 2)
    for g in (g1, g8):
        initialize(g, [3, 4], base.bias_stddev)
    np.testing.assert_allclose(g8.g0.kernel.numpy(), 8.0 * g1.g0.kernel.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g8.g0.bias.numpy(), 8.0 * g1.g0.bias.numpy(), rtol=1e-6)
    assert np.array_equal(g8.g1.kernel.numpy(), g1.g1.kernel.numpy())
    assert np.array_equal(g8.g1.bias.numpy(), g1.g1.bias.numpy())


@pytest.mark.parametrize("scale_inputs", [True, False])
def test_spread_kinks_puts_every_kink_inside_the_noise_range(scale_inputs):
    # 8 units x 50 replicas: every kink -b / (k * noise) lands inside [-range, range], spread over all of it,
    # and the kernels are unchanged. Random biases put kinks at a ratio of Gaussians (Cauchy-like): the outer
    # quarters of the range get few (scaled inputs: many land outside; unscaled: they crowd around 0).
    cfg = replace(PLAIN, hidden=8, bias_stddev=1.0)
    scaling = Scaling(1 / 8.0, 4.0, 0.5) if scale_inputs else Scaling(1.0, 0.0, 1.0)
    g = Generator(cfg, 50, scaling)
    initialize(g, range(50), cfg.bias_stddev)
    kernel = g.g0.kernel.numpy()

    def kinks() -> np.ndarray:
        return (-g.g0.bias.numpy() / (g.g0.kernel.numpy() * scaling.noise)).ravel()

    assert np.histogram(kinks(), bins=4, range=(-8, 8))[0].min() < 60
    spread_kinks(g, range(50), 8.0)
    assert np.array_equal(g.g0.kernel.numpy(), kernel)
    at = kinks()
    assert np.all(np.abs(at) <= 8.0 + 1e-4)
    assert np.histogram(at, bins=4, range=(-8, 8))[0].min() > 60  # 400 kinks, ~100 per quarter
