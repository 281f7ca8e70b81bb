"""GAN losses as pure functions of discriminator logits.

Every function takes logits shaped ``(..., batch, 1)`` and averages over the last two axes, so a
leading replica axis (one model per seed) gives one loss per replica. All are written with
``softplus`` so they stay finite for any finite logit: ``-log(sigmoid(l)) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

_AXES = (-2, -1)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """L_D = -mean(log D(x)) - mean(log(1 - D(G(z)))) = mean(softplus(-l_real)) + mean(softplus(l_fake))."""
    return tf.reduce_mean(tf.nn.softplus(-real_logits), _AXES) + tf.reduce_mean(
        tf.nn.softplus(fake_logits), _AXES
    )


def generator_loss_minimax(fake_logits: tf.Tensor) -> tf.Tensor:
    """The paper's minimax generator loss: L_G = mean(log(1 - D(G(z)))) = -mean(softplus(l_fake))."""
    return -tf.reduce_mean(tf.nn.softplus(fake_logits), _AXES)


def generator_loss_non_saturating(fake_logits: tf.Tensor) -> tf.Tensor:
    """The non-saturating generator loss: L_G = -mean(log D(G(z))) = mean(softplus(-l_fake))."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits), _AXES)


def pretrain_loss(logits: tf.Tensor, target_pdf: tf.Tensor) -> tf.Tensor:
    """Pretraining regression: L = mean((sigmoid(l) - p(x))^2), p the target pdf at x."""
    return tf.reduce_mean(tf.square(tf.sigmoid(logits) - target_pdf), _AXES)


GENERATOR_LOSSES: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "minimax": generator_loss_minimax,
    "non_saturating": generator_loss_non_saturating,
}
