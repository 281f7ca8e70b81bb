"""The adversarial step of R replicas side by side: D's updates, G's update and its EMA, and the frames.

:class:`Adversarial` holds the functions that :func:`gan1d.training.train` hands to the compiled loop
(:func:`gan1d.engine.compiled_run`): one step of every replica, and a frame (D's decision boundary, the EMA
generator's density and weights). After the run it can keep, per replica, the frame closest to the training
data (``train.select_from``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gan1d import losses
from gan1d.batches import BLUR_FAKE, BLUR_G, BLUR_REAL, D_NOISE, G_NOISE, MIX, Batches, fade, faded
from gan1d.config import Params
from gan1d.distributions import histogram_edges, noise_grid
from gan1d.engine import runtime_value
from gan1d.inference import closest_frame
from gan1d.models import Discriminator, Generator, decision_boundary

import keras
import numpy as np
import tensorflow as tf


def apply_gradients(
    tape: tf.GradientTape, total: tf.Tensor, opt: keras.optimizers.Optimizer, model: keras.Model
) -> None:
    """One optimiser step on ``total``, the sum of the per-replica losses (computed under ``tape``).

    Replicas share no weights, so the gradient of the sum is each replica's own gradient.
    """
    variables = model.trainable_variables
    opt.apply_gradients(zip(tape.gradient(total, variables), variables))


def _histogram(values: tf.Tensor, edges: np.ndarray) -> tf.Tensor:
    """Density of each replica's (R, n) values on equal-width ``edges``; mass outside is dropped."""
    replicas, n = values.shape
    bins = len(edges) - 1
    lo, width = float(edges[0]), float(edges[1] - edges[0])
    finite = tf.math.is_finite(values)
    idx = tf.cast(tf.floor((tf.where(finite, values, lo - 1.0) - lo) / width), tf.int32)
    inside = finite & (idx >= 0) & (idx < bins)
    segment = tf.where(inside, idx + bins * tf.range(replicas)[:, None], replicas * bins)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(values), segment, replicas * bins + 1)
    return tf.reshape(counts[:-1], (replicas, bins)) / (n * width)


def _input_gradient(d: Callable[[tf.Tensor], tf.Tensor], x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """D's output at ``x`` and dD/dx per sample (exact without minibatch discrimination, whose
    cross-sample terms are included in the gradient of the batch sum)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = d(x)
        total = tf.reduce_sum(out)  # inside the tape, or the gradient is None
    return out, tape.gradient(total, x)


class Adversarial:
    """The adversarial step of every replica (``d_steps`` D updates, one G update, the EMA of G) and
    the frame snapshot, as the functions the compiled loop calls; ``std`` is the target's."""

    def __init__(
        self,
        params: Params,
        real: np.ndarray,
        seeds: Sequence[int],
        std: float,
        models: tuple[Generator, Generator, Discriminator],
        optimizers: tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer],
    ):
        p, t = params, params.train
        self.p, self.t, self.replicas = p, t, len(seeds)
        (self.g, self.g_ema, self.d), (self.d_opt, self.g_opt) = models, optimizers
        self.d_loss_fn, self.g_loss_fn = losses.DISCRIMINATOR_LOSSES[t.loss], losses.GENERATOR_LOSSES[t.loss]
        # Frames: D on a grid of the window (against a fixed reference batch of real samples when
        # D has minibatch features or packing), and the EMA generator's density on frame_bins bins.
        self.grid = np.linspace(*p.window, t.frame_grid)
        self.grid_t = tf.constant(np.broadcast_to(self.grid, (self.replicas, t.frame_grid))[..., None], tf.float32)
        z = noise_grid(p.noise, t.frame_samples)
        self.frame_noise = tf.constant(np.broadcast_to(z, (self.replicas, t.frame_samples))[..., None], tf.float32)
        self.reference = tf.constant(real, tf.float32)[:, : max(t.batch - 1, 1), None]
        self.edges = histogram_edges(p.window, t.frame_bins)
        # Hyperparameters that do not change the program's shapes: runtime values, not constants.
        self.ema, self.ema_rest = runtime_value(t.ema), runtime_value(1.0 - t.ema)
        # R1's gradient is taken with respect to x in the target's units, and D standardises x inside, so
        # |dD/dx|^2 = |dD/du|^2 / std^2 (u = standardised x): gamma x std^2 makes r1_gamma the strength in
        # standardised units, the same on N(4, 0.5) as on N(40, 5) (every other part of the recipe is scale-free).
        self.r1_gamma, self.gp_weight = runtime_value(t.r1_gamma * std**2), runtime_value(t.gp_weight)
        # R1 fades to r1_fade_to x r1_gamma by r1_fade_until of the run, then holds: a firm D early keeps the
        # first steps stable, a lighter one later lets it see finer errors of shape (docs/research-log.md).
        self.r1_end = runtime_value(t.r1_gamma * t.r1_fade_to * std**2) if t.r1_fade_to != 1.0 else None
        jitter = runtime_value(p.noise.jitter)
        self.batches = Batches.of(p, real, seeds, jitter, runtime_value(t.instance_noise * std))
        # Fade lengths divide the step: constants (see make_optimizer).
        self.rank_until = max(t.rank_until * t.steps, 1.0)
        self.r1_until = max(t.r1_fade_until * t.steps, 1.0)
        # The rank input's weight this step (model.rank); read by the frames' decision boundary too.
        self.rank_weight = tf.Variable(1.0, trainable=False, dtype=tf.float32)

    @property
    def variables(self) -> list[tf.Variable]:
        """Everything a step changes: what a resume point holds."""
        return [
            *self.g.weights,
            *self.g_ema.weights,
            *self.d.weights,
            *self.d_opt.variables,
            *self.g_opt.variables,
            self.rank_weight,
        ]

    def frame_shapes(self) -> list[tuple[int, ...]]:
        """The shapes of :meth:`snapshot`'s tensors: boundary, density, the EMA generator's weights."""
        n_weights = 3 * self.p.g_model.hidden + 1
        return [(self.replicas, self.t.frame_grid), (self.replicas, self.t.frame_bins), (self.replicas, n_weights)]

    def dr(self, v: tf.Tensor) -> tf.Tensor:
        return self.d(v, rank_weight=self.rank_weight)

    def r1_strength(self, s: tf.Tensor) -> tf.Tensor:
        """R1's gamma at step ``s`` (x's units): r1_gamma, on a half cosine to r1_fade_to x r1_gamma, then held."""
        if self.r1_end is None:
            return self.r1_gamma
        return faded(s, self.r1_gamma, self.r1_end, self.r1_until)

    def d_objective(self, x: tf.Tensor, fake: tf.Tensor, s: tf.Tensor, j: tf.Tensor) -> tf.Tensor:
        """D's loss on real ``x`` and ``fake`` (each blurred), plus the recipe's penalty."""
        t, b = self.t, self.batches
        x, fake = b.blur(x, BLUR_REAL, s, j), b.blur(fake, BLUR_FAKE, s, j)
        if t.penalty == "r1":
            real_out, grad = _input_gradient(self.dr, x)
            loss = self.d_loss_fn(real_out, self.dr(fake)) + losses.r1_penalty(grad, self.r1_strength(s))
        else:
            loss = self.d_loss_fn(self.dr(x), self.dr(fake))
        if t.loss == "wasserstein":
            # One mixing weight per input of D: with packing, per pack (a point in R^pack).
            pack = self.p.model.pack
            eps = tf.repeat(b.uniform(MIX, s, j)[:, ::pack], pack, axis=1)
            _, grad = _input_gradient(self.dr, eps * x + (1.0 - eps) * fake)
            loss += losses.gradient_penalty(tf.reshape(grad, (self.replicas, -1, pack)), self.gp_weight)
        return loss

    def step(self, s: tf.Tensor) -> tf.Tensor:
        """Step ``s``: (R, 2) losses of D (its last update) and G."""
        t, b = self.t, self.batches
        if self.p.model.rank and t.rank_until > 0:
            self.rank_weight.assign(fade(s, self.rank_until))
        for j in range(t.d_steps):
            j_t = tf.constant(j)
            x, z = b.real(s, j_t), b.noise(D_NOISE, s, j_t)
            with tf.GradientTape() as tape:
                d_loss = self.d_objective(x, self.g(z), s, j_t)
                total = tf.reduce_sum(d_loss)
            apply_gradients(tape, total, self.d_opt, self.d)
        z = b.noise(G_NOISE, s)
        with tf.GradientTape() as tape:
            fake = self.g(z)
            g_loss = self.g_loss_fn(self.dr(b.blur(fake, BLUR_G, s)))
            total = tf.reduce_sum(g_loss)
        apply_gradients(tape, total, self.g_opt, self.g)
        for e, w in zip(self.g_ema.weights, self.g.weights):
            e.assign(self.ema * e + self.ema_rest * w)
        return tf.stack([d_loss, g_loss], axis=-1)

    def flat_weights(self) -> tf.Tensor:
        """The EMA generator's weights, (R, 3 * hidden + 1) in the order inference.unflatten reads."""
        return tf.concat([tf.reshape(w, (self.replicas, -1)) for w in self.g_ema.weights], axis=1)

    def snapshot(self) -> tuple[tf.Tensor, ...]:
        """A frame: D's decision boundary, the EMA generator's density and its weights."""
        # G's weights are 3 * hidden + 1 numbers: quality over training is scored from them afterwards
        # in NumPy, by the same protocol as the evaluate stage.
        boundary = decision_boundary(self.d, self.grid_t, self.reference, self.rank_weight)
        return boundary, _histogram(self.g_ema(self.frame_noise)[..., 0], self.edges), self.flat_weights()

    def keep_closest(self, weights: np.ndarray, steps_at: np.ndarray, real: np.ndarray) -> np.ndarray:
        """Set each replica's EMA generator to its frame closest to its training data (``real``) among
        those from ``train.select_from`` of the steps on; returns the step of each kept frame."""
        first = int(np.searchsorted(steps_at, self.t.select_from * self.t.steps))
        chosen = [first + closest_frame(weights[first:, r], real[r], self.p) for r in range(self.replicas)]
        flat = weights[chosen, np.arange(self.replicas)]  # (R, 3 * hidden + 1)
        offset = 0
        for w in self.g_ema.weights:
            size = int(np.prod(w.shape[1:]))
            w.assign(flat[:, offset : offset + size].reshape(w.shape))
            offset += size
        return steps_at[chosen]
