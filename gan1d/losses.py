"""GAN losses as pure functions of discriminator logits.

Every function takes logits shaped ``(..., batch, 1)`` and averages over the last two axes, so a
leading replica axis (one model per seed) gives one loss per replica. All are written with
``softplus`` so they stay finite for any finite logit: ``-log(sigmoid(l)) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

_AXES = (-2, -1)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """L_D = -mean(log D(x)) - mean(log(1 - D(G(z)))) = mean(softplus(-l_real)) + mean(softplus(l_fake))."""
    return tf.reduce_mean(tf.nn.softplus(-real_logits), _AXES) + tf.reduce_mean(tf.nn.softplus(fake_logits), _AXES)


def generator_loss_minimax(fake_logits: tf.Tensor) -> tf.Tensor:
    """The paper's minimax generator loss: L_G = mean(log(1 - D(G(z)))) = -mean(softplus(l_fake))."""
    return -tf.reduce_mean(tf.nn.softplus(fake_logits), _AXES)


def generator_loss_non_saturating(fake_logits: tf.Tensor) -> tf.Tensor:
    """The non-saturating generator loss: L_G = -mean(log D(G(z))) = mean(softplus(-l_fake))."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits), _AXES)


def pretrain_loss(logits: tf.Tensor, target_pdf: tf.Tensor) -> tf.Tensor:
    """Pretraining regression: L = mean((sigmoid(l) - p(x))^2), p the target pdf at x."""
    return tf.reduce_mean(tf.square(tf.sigmoid(logits) - target_pdf), _AXES)


def least_squares_discriminator_loss(real_out: tf.Tensor, fake_out: tf.Tensor) -> tf.Tensor:
    """LSGAN: L_D = 1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2), on D's raw output."""
    return 0.5 * tf.reduce_mean(tf.square(real_out - 1.0), _AXES) + 0.5 * tf.reduce_mean(tf.square(fake_out), _AXES)


def least_squares_generator_loss(fake_out: tf.Tensor) -> tf.Tensor:
    """LSGAN: L_G = 1/2 mean((D(G(z)) - 1)^2)."""
    return 0.5 * tf.reduce_mean(tf.square(fake_out - 1.0), _AXES)


def wasserstein_discriminator_loss(real_out: tf.Tensor, fake_out: tf.Tensor) -> tf.Tensor:
    """WGAN critic: L_D = mean(D(G(z))) - mean(D(x)) (the gradient penalty is added separately)."""
    return tf.reduce_mean(fake_out, _AXES) - tf.reduce_mean(real_out, _AXES)


def wasserstein_generator_loss(fake_out: tf.Tensor) -> tf.Tensor:
    """WGAN generator: L_G = -mean(D(G(z)))."""
    return -tf.reduce_mean(fake_out, _AXES)


def r1_penalty(grad_real: tf.Tensor, gamma: float) -> tf.Tensor:
    """R1 (Mescheder et al. 2018): gamma / 2 * mean(|dD(x)/dx|^2) over real x."""
    return 0.5 * gamma * tf.reduce_mean(tf.square(grad_real), _AXES)


def gradient_penalty(grad_mixed: tf.Tensor, weight: float) -> tf.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * mean((||dD(x^)/dx^|| - 1)^2), x^ between real and fake.

    ``grad_mixed`` is (..., n, k): n inputs of D, each k numbers (a pack of k samples; k = 1 without
    packing, where the norm is the absolute value of the derivative).
    """
    if grad_mixed.shape[-1] == 1:
        norm = tf.abs(grad_mixed)
    else:  # the square root's gradient is infinite at 0: keep it away from there
        norm = tf.sqrt(tf.reduce_sum(tf.square(grad_mixed), axis=-1, keepdims=True) + 1e-12)
    return weight * tf.reduce_mean(tf.square(norm - 1.0), _AXES)


DISCRIMINATOR_LOSSES: dict[str, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    "minimax": discriminator_loss,
    "non_saturating": discriminator_loss,
    "least_squares": least_squares_discriminator_loss,
    "wasserstein": wasserstein_discriminator_loss,
}

GENERATOR_LOSSES: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "minimax": generator_loss_minimax,
    "non_saturating": generator_loss_non_saturating,
    "least_squares": least_squares_generator_loss,
    "wasserstein": wasserstein_generator_loss,
}
