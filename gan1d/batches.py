"""The batches of adversarial training, each a pure function of (seed, stream, step counters).

Every draw comes from a stateless RNG whose key is the replica's seed, a stream (one per kind of
draw, below) and the step counters folded in, so a step draws the same batch whenever it runs: on
a resumed run, and for a seed trained beside others as alone. The functions run inside the
compiled program (:mod:`gan1d.engine`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gan1d.config import Params
from gan1d.distributions import NORMAL_SPREAD

import numpy as np
import tensorflow as tf

# Stateless RNG streams (the second half of every seed pair).
REAL, D_NOISE, G_NOISE, MIX, BLUR_REAL, BLUR_FAKE, BLUR_G = 1, 2, 3, 4, 5, 6, 7


def per_replica(
    seeds: tf.Tensor, stream: int, counters: Sequence[tf.Tensor], draw: Callable[[tf.Tensor], tf.Tensor]
) -> tf.Tensor:
    """Stack ``draw(key)`` over replicas, each key a stateless seed pair for (seed, stream, counters).

    A loop over the seeds inside the program (``map_fn``), not a Python loop: the compiled program
    stays the same size for any number of replicas, and replica r draws what it would alone.
    """

    def one(seed: tf.Tensor) -> tf.Tensor:
        key = tf.stack([seed, tf.constant(stream, tf.int32)])
        for c in counters:
            key = tf.random.experimental.stateless_fold_in(key, c)
        return draw(key)

    return tf.map_fn(one, seeds, fn_output_signature=tf.TensorSpec(None, tf.float32), parallel_iterations=1)


def stratify(u: tf.Tensor) -> tf.Tensor:
    """Uniforms ``u`` (R, B, ...) on [0, 1) moved to one per slice: sample i to (i + u_i) / B, in
    [i / B, (i + 1) / B). A batch drawn this way covers its distribution evenly; iid draws leave
    holes and clumps, sampling noise in every gradient (and, beside the seed's evenly spaced noise,
    a difference between real and fake batches that is not one between the distributions)."""
    b = u.shape[1]
    i = tf.reshape(tf.range(b, dtype=u.dtype), (1, b) + (1,) * (u.shape.rank - 2))
    return (i + u) / b


def fade(s: tf.Tensor, until: float) -> tf.Tensor:
    """1 at step 0, down to 0 at step ``until`` (>= 1) on a half cosine, then 0."""
    return 0.5 * (1.0 + tf.cos(math.pi * tf.minimum(tf.cast(s, tf.float32) / until, 1.0)))


def faded(s: tf.Tensor, start: tf.Tensor, end: tf.Tensor, until: float) -> tf.Tensor:
    """``start`` at step 0, ``end`` from step ``until`` on, between them on the half cosine of :func:`fade`."""
    return end + (start - end) * fade(s, until)


@dataclass(frozen=True)
class Batches:
    """The batch draws of R replicas (one seed each): real data, G's noise and instance noise.

    Every method takes a stream and the step counters (the step, and the D update within it).
    """

    seeds: tf.Tensor  # (R,) int32
    size: int  # samples per batch
    pool: tf.Tensor  # (R, n_real) each replica's real data; sorted when stratified
    stratified: bool  # train.stratify: one draw per 1/size slice of [0, 1)
    noise_range: float  # G's noise is uniform on [-noise_range, noise_range] ...
    normal: bool  # ... or N(0, (noise_range * NORMAL_SPREAD)^2) (noise.distribution: normal)
    spaced: tf.Tensor  # (1, size, 1) evenly spaced noise (iid batches jitter around it)
    jitter: tf.Tensor  # noise.jitter (a runtime value)
    instance_noise: float  # train.instance_noise; 0: no instance noise
    blur_scale: tf.Tensor  # instance noise's starting standard deviation (a runtime value)
    blur_until: float  # the step at which instance noise reaches 0 (>= 1) ...
    blur_cut: float | None  # ... or the step from which it is 0 (None: no cut)

    @classmethod
    def of(
        cls, params: Params, real: np.ndarray, seeds: Sequence[int], jitter: tf.Tensor, blur_scale: tf.Tensor
    ) -> Batches:
        """The draws ``params`` asks for, replica r's real batches from row r of ``real`` (R, n_real)."""
        t = params.train
        # Stratified batches index the sorted data: slice i of [0, 1) is slice i of the data's order.
        pool = tf.constant(np.sort(real, axis=1), tf.float32) if t.stratify else tf.constant(real, tf.float32)
        spaced = tf.constant(np.linspace(-params.noise.range, params.noise.range, t.batch), tf.float32)[None, :, None]
        blur_until = max(
            t.instance_noise_until * t.steps, 1.0
        )  # divides the step: a constant (see training.make_optimizer)
        blur_cut = t.instance_noise_cut * t.steps if t.instance_noise_cut < 1.0 else None
        return cls(
            tf.constant(list(seeds), tf.int32),
            t.batch,
            pool,
            t.stratify,
            params.noise.range,
            params.noise.distribution == "normal",
            spaced,
            jitter,
            t.instance_noise,
            blur_scale,
            blur_until,
            blur_cut,
        )

    def uniform(self, stream: int, *counters: tf.Tensor) -> tf.Tensor:
        """(R, size, 1) uniforms on [0, 1)."""
        return per_replica(self.seeds, stream, counters, lambda k: tf.random.stateless_uniform((self.size, 1), k))

    def real(self, *counters: tf.Tensor) -> tf.Tensor:
        """(R, size, 1) real samples, drawn with replacement (stratified: one per slice of the sorted data)."""
        n_real = self.pool.shape[1]
        # A uniform draw scaled to an index (not an int32 draw) so map_fn can stack floats only.
        u = per_replica(self.seeds, REAL, counters, lambda k: tf.random.stateless_uniform((self.size,), k))
        if self.stratified:
            u = stratify(u)
        idx = tf.minimum(tf.cast(u * n_real, tf.int32), n_real - 1)
        return tf.gather(self.pool, idx, batch_dims=1)[..., None]

    def noise(self, stream: int, *counters: tf.Tensor) -> tf.Tensor:
        """(R, size, 1) noise for G: stratified on [-range, range] (normal: over its levels), or evenly
        spaced plus jitter."""
        u = self.uniform(stream, *counters)
        if self.normal:  # levels kept off 0 and 1 (float32 rounds (B - 1 + u) / B up to 1): ndtri would be infinite
            levels = tf.clip_by_value(stratify(u), 2.0**-24, 1.0 - 2.0**-24)
            return self.noise_range * NORMAL_SPREAD * tf.math.ndtri(levels)
        if self.stratified:
            return self.noise_range * (2.0 * stratify(u) - 1.0)
        return self.spaced + u * self.jitter

    def blur(self, v: tf.Tensor, stream: int, *counters: tf.Tensor) -> tf.Tensor:
        """Instance noise: v + sigma(s) * N(0, 1), sigma decaying from instance_noise target stds to 0
        on a half cosine over the first instance_noise_until of the steps, and 0 from instance_noise_cut
        of them on. It fills the gaps between modes: D then has no empty valley that G's samples cannot
        cross; cut late, it leaves D the last part of the run to see the modes' own shapes unblurred."""
        if self.instance_noise == 0:
            return v
        sigma = self.blur_scale * fade(counters[0], self.blur_until)
        if self.blur_cut is not None:
            sigma = sigma * tf.cast(tf.cast(counters[0], tf.float32) < self.blur_cut, tf.float32)
        eps = per_replica(self.seeds, stream, counters, lambda k: tf.random.stateless_normal((self.size, 1), k))
        return v + sigma * eps
