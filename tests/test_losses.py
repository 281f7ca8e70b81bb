"""Losses on fixed logits against values worked out by hand."""

import math

from gan1d import losses

import numpy as np
import pytest
import tensorflow as tf

LN2 = math.log(2.0)


def logits(*values: float) -> tf.Tensor:
    return tf.constant(np.array(values, np.float32).reshape(-1, 1))


def test_discriminator_loss_at_zero_logits_is_two_ln2():
    # D = 1/2 everywhere: -log(1/2) - log(1 - 1/2) = 2 ln 2
    assert losses.discriminator_loss(logits(0.0, 0.0), logits(0.0)).numpy() == pytest.approx(2 * LN2, rel=1e-6)


def test_discriminator_loss_hand_values():
    # real logit ln 3 -> D = 3/4, -log(3/4) = 0.287682; fake logit -ln 3 -> D = 1/4, -log(3/4) = 0.287682
    value = losses.discriminator_loss(logits(math.log(3)), logits(-math.log(3))).numpy()
    assert value == pytest.approx(2 * -math.log(0.75), rel=1e-6)


def test_generator_losses_hand_values():
    # fake logit ln 3: D = 3/4; non-saturating -log(3/4) = 0.287682, minimax log(1 - 3/4) = -1.386294
    fake = logits(math.log(3))
    assert losses.generator_loss_non_saturating(fake).numpy() == pytest.approx(-math.log(0.75), rel=1e-6)
    assert losses.generator_loss_minimax(fake).numpy() == pytest.approx(math.log(0.25), rel=1e-6)


def test_losses_average_over_the_batch():
    # logits 0 and ln 3: non-saturating mean of ln 2 and -log(3/4)
    value = losses.generator_loss_non_saturating(logits(0.0, math.log(3))).numpy()
    assert value == pytest.approx((LN2 - math.log(0.75)) / 2, rel=1e-6)


def test_saturated_logits_stay_finite():
    # the seed computed log(sigmoid(l)) and got -inf/NaN here; from logits it is exact
    real, fake = logits(-200.0), logits(200.0)
    d = losses.discriminator_loss(real, fake).numpy()
    g = losses.generator_loss_non_saturating(fake * -1).numpy()
    assert np.isfinite(d) and d == pytest.approx(400.0, rel=1e-6)
    assert np.isfinite(g) and g == pytest.approx(200.0, rel=1e-6)


def test_replica_axis_gives_one_loss_per_replica():
    fake = tf.constant([[[0.0], [0.0]], [[math.log(3)], [math.log(3)]]])  # (R=2, B=2, 1)
    np.testing.assert_allclose(losses.generator_loss_non_saturating(fake).numpy(), [LN2, -math.log(0.75)], rtol=1e-6)


def test_pretrain_loss_hand_value():
    # sigmoid(0) = 0.5 against label 0.3: (0.2)^2 = 0.04
    value = losses.pretrain_loss(logits(0.0), tf.constant([[0.3]])).numpy()
    assert value == pytest.approx(0.04, rel=1e-5)


def test_least_squares_hand_values():
    # D(x) = 0.5 on real, 0.25 on fake: 1/2 (0.5 - 1)^2 + 1/2 0.25^2 = 0.125 + 0.03125
    assert losses.least_squares_discriminator_loss(logits(0.5), logits(0.25)).numpy() == pytest.approx(0.15625)
    # G: 1/2 (0.25 - 1)^2 = 0.28125
    assert losses.least_squares_generator_loss(logits(0.25)).numpy() == pytest.approx(0.28125)


def test_wasserstein_hand_values():
    # critic: mean fake - mean real = (1 + 3)/2 - (2 + 6)/2 = -2; generator: -mean fake = -2
    assert losses.wasserstein_discriminator_loss(logits(2.0, 6.0), logits(1.0, 3.0)).numpy() == pytest.approx(-2.0)
    assert losses.wasserstein_generator_loss(logits(1.0, 3.0)).numpy() == pytest.approx(-2.0)


def test_penalties_hand_values():
    # R1: gamma/2 * mean(g^2) = 0.3/2 * (1 + 9)/2 = 0.75
    assert losses.r1_penalty(logits(1.0, -3.0), 0.3).numpy() == pytest.approx(0.75)
    # GP: w * mean((|g| - 1)^2) = 10 * ((0.5 - 1)^2 + (3 - 1)^2)/2 = 10 * 2.125
    assert losses.gradient_penalty(logits(0.5, -3.0), 10.0).numpy() == pytest.approx(21.25)


def test_every_loss_name_has_both_halves():
    assert (
        set(losses.DISCRIMINATOR_LOSSES)
        == set(losses.GENERATOR_LOSSES)
        == {"minimax", "non_saturating", "least_squares", "wasserstein"}
    )


def test_gradient_penalty_of_a_pack_uses_the_norm_over_the_pack():
    # two packs of two: gradients (3, 4) and (0, 0): norms 5 and 0 -> 10 * ((5 - 1)^2 + (0 - 1)^2) / 2 = 85
    grad = tf.constant([[[3.0, 4.0], [0.0, 0.0]]])
    assert losses.gradient_penalty(grad, 10.0).numpy()[0] == pytest.approx(85.0, rel=1e-5)
