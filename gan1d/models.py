"""The generator, the discriminator and the minibatch-discrimination layer (Keras 3, TensorFlow).

Every weight has a leading *replica* axis R: replica r is an independent model, so R seeds can
train side by side in one compiled program. Tensors flow as (R, batch, features). A normal run
has R = 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gan1d.config import Model, Scaling
from gan1d.distributions import rng
from gan1d.errors import ArtifactError
from gan1d.inference import generate, replica_weights
from gan1d.io import RESTORE_HINT, read_weights

import keras
import numpy as np
import tensorflow as tf


def _stacked_matmul(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """(R, B, in) x (R, in, out) -> (R, B, out) as a broadcast product summed over ``in``.

    Not einsum/matmul: XLA picks a different summation order for a batched dot depending on R,
    which would make a seed trained beside others differ (in the last bit) from the same seed
    trained alone. An explicit sum over the tiny ``in`` axis is the same for every R.
    """
    return tf.reduce_sum(x[..., :, None] * kernel[:, None], axis=-2)


IDENTITY = Scaling(1.0, 0.0, 1.0)
# model.g_activation in TensorFlow; inference.ACTIVATIONS holds the NumPy twins evaluation uses.
_ACTIVATIONS = {"softplus": tf.nn.softplus, "tanh": tf.tanh}


class StackedDense(keras.layers.Layer):
    """A dense layer with one kernel per replica: (R, B, in) -> (R, B, units)."""

    def __init__(self, units: int, replicas: int, init_stddev: float, bias_gain: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.replicas, self.init_stddev = units, replicas, init_stddev
        self.bias_gain = bias_gain  # biases ~ N(0, bias_gain * bias_stddev): see initialize

    def build(self, input_shape: Sequence[int]) -> None:
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(self.replicas, fan_in, self.units), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.replicas, 1, self.units), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return _stacked_matmul(x, self.kernel) + self.bias


class MinibatchDiscrimination(keras.layers.Layer):
    """Salimans et al. (2016) minibatch features, one per kernel, appended to the input.

    Each sample's features are projected to ``kernels`` x ``dims`` values M; for kernel k,
    o_k(x_i) = sum_j exp(-||M_k(x_i) - M_k(ref_j)||_1). With no ``reference`` the batch is its own
    reference and j = i is left out (the seed program added 1 to every sample instead).
    The projection has no bias: it would cancel in the differences.
    """

    def __init__(self, kernels: int, dims: int, replicas: int, init_stddev: float, **kwargs):
        super().__init__(**kwargs)
        self.kernels, self.dims, self.replicas, self.init_stddev = kernels, dims, replicas, init_stddev

    def build(self, input_shape: Sequence[int]) -> None:
        shape = (self.replicas, int(input_shape[-1]), self.kernels * self.dims)
        self.kernel = self.add_weight(shape=shape, initializer="zeros", name="kernel")

    def _project(self, h: tf.Tensor) -> tf.Tensor:
        m = _stacked_matmul(h, self.kernel)
        return tf.reshape(m, (self.replicas, -1, self.kernels, self.dims))

    def call(self, h: tf.Tensor, reference: tf.Tensor | None = None) -> tf.Tensor:
        m = self._project(h)
        ref = m if reference is None else self._project(reference)
        l1 = tf.reduce_sum(tf.abs(m[:, :, None] - ref[:, None]), axis=-1)  # (R, B, N, K)
        close = tf.exp(-l1)
        if reference is None:
            batch = tf.shape(h)[1]
            close *= (1.0 - tf.eye(batch, dtype=close.dtype))[None, :, :, None]
        return tf.concat([h, tf.reduce_sum(close, axis=2)], axis=-1)


class Generator(keras.Model):
    """G(z) = center + spread * Dense(1)(act(Dense(hidden)(z * noise))), see :class:`Scaling`.

    act is ``model.g_activation``: softplus (the seed's) makes G piecewise almost linear, a sum of
    kinks; tanh makes it a sum of smooth steps. A target's quantile function has a steep rise at each
    gap between modes: one tanh unit, or two softplus units bending in opposite directions.
    """

    def __init__(self, cfg: Model, replicas: int = 1, scaling: Scaling = IDENTITY, name: str = "generator"):
        super().__init__(name=name)
        self.scaling = scaling
        self.activation = cfg.g_activation
        self.monotone = cfg.g_monotone
        self.linear = cfg.g_linear
        # g_steepness k: act(k (w z + b)) with w, b as drawn at k = 1: the same kinks (steps), k times sharper.
        # Steep ones are the steps between modes that a multimodal quantile function needs.
        self.g0 = StackedDense(cfg.hidden, replicas, cfg.init_stddev * cfg.g_steepness, cfg.g_steepness, name="g0")
        self.g1 = StackedDense(1, replicas, cfg.init_stddev, name="g1")
        self(tf.zeros((replicas, 2, 1)))

    def call(self, z: tf.Tensor) -> tf.Tensor:
        s = self.scaling
        if not self.g1.built:  # the first call builds g0 and g1
            return s.center + s.spread * self.g1(self.g0(z * s.noise))
        # model.g_monotone: every kernel enters as |k|, so each unit rises with z and adds with a positive
        # weight (softplus and tanh both increase). G moves continuously with its weights: a kernel that
        # crosses 0 flattens its unit and bends back, where sign rules would flip it.
        k0, k1 = self.g0.kernel, self.g1.kernel
        if self.monotone:
            k0, k1 = tf.abs(k0), tf.abs(k1)
        pre = _stacked_matmul(z * s.noise, k0) + self.g0.bias
        h = self.hidden(pre)
        return s.center + s.spread * (_stacked_matmul(h, k1) + self.g1.bias)

    def hidden(self, pre: tf.Tensor) -> tf.Tensor:
        """The hidden layer from its pre-activations (R, N, hidden). model.g_linear: unit 0 stays linear, so G
        keeps a slope where every tanh unit has saturated: its ends can still move out to the data's."""
        h = _ACTIVATIONS[self.activation](pre)
        return tf.concat([pre[..., :1], h[..., 1:]], axis=-1) if self.linear else h


class Discriminator(keras.Model):
    """Two tanh layers of d_hidden units, then a third tanh layer or minibatch discrimination, then a logit.

    Returns logits; D(x) = sigmoid(logit). With the minibatch layer a sample's score depends on the
    batch it is scored with: ``reference`` fixes that batch (see :func:`decision_boundary`).
    With ``pack`` = m > 1 (PacGAN), D judges m samples at once: consecutive groups of m samples
    of the batch are sorted and fed to D as one m-dimensional input, one logit per pack. Sorted,
    a pack is its own order statistics: D sees where each quantile of the pack lies, so a
    generator missing a mode (or holding it at the wrong weight) is visible in every pack.
    """

    def __init__(self, cfg: Model, replicas: int = 1, scaling: Scaling = IDENTITY):
        super().__init__(name="discriminator")
        self.scaling = scaling
        width = cfg.d_hidden
        # A pack of m inputs: kernels scaled by 1/sqrt(m), so the first layer's pre-activations keep the
        # size they have for one sample instead of saturating tanh from the first step.
        self.d0 = StackedDense(width, replicas, cfg.init_stddev / cfg.pack**0.5, name="d0")
        self.d1 = StackedDense(width, replicas, cfg.init_stddev, name="d1")
        if cfg.minibatch:
            self.minibatch = MinibatchDiscrimination(
                cfg.minibatch_kernels, cfg.minibatch_dims, replicas, cfg.minibatch_init_stddev, name="minibatch"
            )
        else:
            self.d2 = StackedDense(width, replicas, cfg.init_stddev, name="d2")
        self.d3 = StackedDense(1, replicas, cfg.init_stddev, name="d3")
        self.use_minibatch = cfg.minibatch
        self.use_rank = cfg.rank
        self.pack = cfg.pack
        self(tf.zeros((replicas, 2 * cfg.pack, 1)))  # two packs: builds every layer, d0 for its real fan-in

    def _features(
        self, x: tf.Tensor, reference: tf.Tensor | None = None, rank_weight: tf.Tensor | float = 1.0
    ) -> tf.Tensor:
        if self.use_rank:  # before standardising: ranks do not change, and the reference is raw data
            rank = rank_weight * batch_rank(x, reference)
            x = tf.concat([(x - self.scaling.center) / self.scaling.spread, rank], axis=-1)
        else:
            x = (x - self.scaling.center) / self.scaling.spread
        if self.pack > 1:  # (R, B, 1) -> (R, B / pack, pack), each pack sorted
            x = tf.sort(tf.reshape(x, (tf.shape(x)[0], -1, self.pack)), axis=-1)
        return tf.tanh(self.d1(tf.tanh(self.d0(x))))

    def call(self, x: tf.Tensor, reference: tf.Tensor | None = None, rank_weight: tf.Tensor | float = 1.0) -> tf.Tensor:
        """Logits of ``x`` (R, B, 1); ``rank_weight`` scales the rank input (0: D is a pointwise function)."""
        h = self._features(x, reference, rank_weight)
        if self.use_minibatch:
            h = self.minibatch(h, None if reference is None else self._features(reference, reference, rank_weight))
        else:
            h = tf.tanh(self.d2(h))
        return self.d3(h)


def batch_rank(x: tf.Tensor, reference: tf.Tensor | None = None) -> tf.Tensor:
    """Each sample's rank in its batch, as the batch's empirical CDF: 2 * (#{j: x_j < x_i} + 1/2) / B - 1.

    (R, B, 1) -> (R, B, 1) in (-1, 1), a constant to gradients. Real samples then lie on the curve
    (x, 2 F(x) - 1) of the data's CDF and fake ones on the generator's: where G holds too much mass
    below x, D sees it at every x, and a fake sample's gradient points along x towards the data at
    its rank, across any gap between modes. With ``reference`` (B', 1), ranks are taken in it.
    """
    ref = x if reference is None else reference
    below = tf.cast(ref[:, None, :, 0] < x[:, :, None, 0], tf.float32)  # (R, B, B')
    n = tf.cast(tf.shape(ref)[1], tf.float32)
    offset = 0.5 if reference is None else 0.0  # a sample is not below itself: count it as half
    rank = (tf.reduce_sum(below, axis=-1, keepdims=True) + offset) / n
    return tf.stop_gradient(2.0 * rank - 1.0)


def initialize(model: keras.Model, seeds: Sequence[int], bias_stddev: float = 0.0) -> None:
    """Draw kernels from N(0, layer.init_stddev) and biases from N(0, layer.bias_gain * bias_stddev),
    replica r from ``seeds[r]``.

    Each replica's values come from its own NumPy stream, so replica r is the same model that a
    run with seed ``seeds[r]`` alone would build.
    """
    for layer in model.layers:
        for var in layer.weights:
            stddev = bias_stddev * getattr(layer, "bias_gain", 1.0) if var.name == "bias" else layer.init_stddev
            per_replica = [
                rng(seed, f"init/{model.name}/{layer.name}/{var.name}").normal(0.0, stddev, var.shape[1:])
                for seed in seeds
            ]
            var.assign(np.stack(per_replica).astype(np.float32))


def spread_kinks(g: Generator, seeds: Sequence[int], noise_range: float) -> None:
    """Set G's first-layer biases so that each unit's kink (softplus; the middle of its step with tanh)
    sits at a uniform random point of the noise range [-noise_range, noise_range], replica r drawing
    from ``seeds[r]``.

    Unit i bends where k_i * z * noise + b_i = 0. With random biases the kinks land at a ratio of two
    Gaussians (Cauchy-like): about half of them outside the noise range, where they only shift G. A
    uniform kink gives every unit a place in the range, and a step of G's quantile function (a gap
    between modes) a unit near it. The kernels (the kinks' sharpness) are kept; the biases drawn by
    :func:`initialize` are replaced, so ``model.bias_stddev`` no longer applies to this layer.
    """
    k = g.g0.kernel.numpy()  # (R, 1, hidden)
    at = np.stack([rng(seed, "init/kinks").uniform(-1.0, 1.0, k.shape[-1]) for seed in seeds])[:, None, :]  # in ranges
    g.g0.bias.assign((-k * at * (noise_range * g.scaling.noise)).astype(np.float32))


def match_moments(g: Generator, z: np.ndarray, mean: float, std: float) -> None:
    """Rescale G's last layer so that G(z) has exactly ``mean`` and ``std`` on the noise grid ``z``.

    G(z) = c + s * (h(z) k1 + b1) with h the hidden layer: an affine change of (k1, b1) moves and
    stretches the output without changing its shape. Without it a fresh G lands wherever its random
    biases put it, often all on one side of a multimodal target, and D pulls it to the nearest mode
    only. Computed per replica in float64 (NumPy), so replica r does not depend on its neighbours.
    """
    c, s = g.scaling.center, g.scaling.spread
    k0, b0, k1, b1 = (np.asarray(w, np.float64) for w in g.weights)
    new_k1, new_b1 = np.empty_like(k1), np.empty_like(b1)
    for r in range(k1.shape[0]):
        out = generate(replica_weights(k0, b0, k1, b1, r), z, g.scaling, g.activation, g.monotone, g.linear)
        gain = std / max(float(np.std(out)), 1e-12)  # a flat G (all kernels ~0) stays flat, centred
        new_k1[r] = k1[r] * gain
        new_b1[r] = (b1[r] - (float(np.mean(out)) - c) / s) * gain + (mean - c) / s
    g.g1.kernel.assign(new_k1.astype(np.float32))
    g.g1.bias.assign(new_b1.astype(np.float32))


def load_weights_by_name(model: keras.Model, path: str | Path) -> None:
    """Load a Keras weights file into ``model`` matching layers by name, not by position.

    A missing layer or a shape mismatch raises :class:`ArtifactError` naming ``path``.
    """
    stored = read_weights(path, f"{model.name} weights")
    for layer in model.layers:
        values = stored.get(layer.name)
        if values is None or len(values) != len(layer.weights):
            raise ArtifactError(
                f"{path}: has no weights for layer {layer.name!r} (holds: {', '.join(stored) or 'none'}); {RESTORE_HINT}"
            )
        for var, value in zip(layer.weights, values):
            if tuple(value.shape) != tuple(var.shape):
                raise ArtifactError(
                    f"{path}: layer {layer.name!r} has shape {value.shape}, expected {tuple(var.shape)} "
                    f"(saved with other model params?); {RESTORE_HINT}"
                )
            var.assign(value)


def decision_boundary(
    d: Discriminator, grid: tf.Tensor, reference: tf.Tensor, rank_weight: tf.Tensor | float = 1.0
) -> tf.Tensor:
    """D(x) on ``grid`` (R, G, 1), scoring every point independently of the others on the grid.

    Without minibatch discrimination D(x) is a pointwise function already. With it, each grid
    point's minibatch features are computed against the fixed ``reference`` batch (real samples,
    batch-1 of them, as a real sample sees its batch-mates in training), never against the other
    grid points, so the curve does not depend on how the grid is split into batches. With packing,
    each grid point is packed with the first ``pack - 1`` reference samples, and D(x) is that pack's score.
    """
    if d.pack > 1:
        replicas, points = grid.shape[0], grid.shape[1]
        others = tf.broadcast_to(reference[:, None, : d.pack - 1, 0], (replicas, points, d.pack - 1))
        packed = tf.concat([grid, others], axis=-1)  # (R, G, pack): the point first, then its pack-mates
        return tf.sigmoid(d(tf.reshape(packed, (replicas, points * d.pack, 1))))[..., 0]
    return tf.sigmoid(d(grid, reference=reference, rank_weight=rank_weight))[..., 0]
