"""Pretraining and adversarial training of R replicas side by side, as compiled multi-step programs.

The per-step work (drawing the batches, the discriminator and generator updates, the EMA of G,
recording losses and frames) runs inside :func:`gan1d.engine.compiled_run`. All randomness inside
comes from stateless RNGs keyed on (seed, stream, step) (:mod:`gan1d.batches`), so a run is a pure
function of its params. The artifacts a run leaves are written by :mod:`gan1d.writers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gan1d import losses, targets
from gan1d.batches import BLUR_FAKE, BLUR_G, BLUR_REAL, D_NOISE, G_NOISE, MIX, Batches, fade, faded
from gan1d.config import Optimizer, Params, to_dict
from gan1d.distributions import histogram_edges, noise_grid
from gan1d.engine import CHUNK, ChunkHook, compiled_run, runtime_value
from gan1d.models import Discriminator, Generator, decision_boundary, initialize, match_moments, spread_kinks
from gan1d.resume import ResumePoint, run_key

import keras
import numpy as np
import tensorflow as tf


def make_optimizer(cfg: Optimizer, steps: int) -> keras.optimizers.Optimizer:
    """SGD or Adam with the schedule ``cfg`` names; a cosine schedule reaches 0 after ``steps``.

    The learning rate is a runtime value (:func:`runtime_value`; a constant one is a variable in
    Keras already). The step counts stay constants: XLA compiles a division by a constant
    differently from one by a variable, and the weights then differ in their last bits (measured).
    """
    schedule: float | keras.optimizers.schedules.LearningRateSchedule = cfg.learning_rate
    if cfg.schedule == "exponential":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            runtime_value(cfg.learning_rate), cfg.decay_steps, cfg.decay_rate, staircase=True
        )
    elif cfg.schedule == "cosine":
        schedule = keras.optimizers.schedules.CosineDecay(runtime_value(cfg.learning_rate), steps)
    if cfg.name == "sgd":
        return keras.optimizers.SGD(schedule)
    return keras.optimizers.Adam(schedule, beta_1=cfg.beta1, beta_2=cfg.beta2, epsilon=cfg.epsilon)


def _apply(tape: tf.GradientTape, total: tf.Tensor, opt: keras.optimizers.Optimizer, model: keras.Model) -> None:
    """One optimiser step on ``total``, the sum of the per-replica losses (computed under ``tape``).

    Replicas share no weights, so the gradient of the sum is each replica's own gradient.
    """
    variables = model.trainable_variables
    opt.apply_gradients(zip(tape.gradient(total, variables), variables))


@dataclass
class Pretrained:
    discriminator: Discriminator
    losses: np.ndarray  # (steps, R)


def pretrain(
    params: Params,
    inputs: np.ndarray,
    labels: np.ndarray,
    seeds: Sequence[int],
    on_chunk: ChunkHook | None = None,
    progress: bool = True,
) -> Pretrained:
    """Regress sigmoid(D(x)) onto the target pdf, one batch of (inputs, labels) per step.

    ``inputs`` and ``labels`` are (R, steps * batch): replica r consumes its rows in order.
    """
    cfg = params.pretrain
    d = Discriminator(params.model, len(seeds), params.scaling)
    initialize(d, seeds, params.model.bias_stddev)
    opt = make_optimizer(cfg.optimizer, cfg.steps)
    opt.build(d.trainable_variables)
    x_all = tf.constant(inputs[..., None], tf.float32)
    y_all = tf.constant(labels[..., None], tf.float32)
    replicas = len(seeds)

    def step(s: tf.Tensor) -> tf.Tensor:
        x = tf.slice(x_all, [0, s * cfg.batch, 0], [replicas, cfg.batch, 1])
        y = tf.slice(y_all, [0, s * cfg.batch, 0], [replicas, cfg.batch, 1])
        with tf.GradientTape() as tape:
            loss = losses.pretrain_loss(d(x), y)
            total = tf.reduce_sum(loss)
        _apply(tape, total, opt, d)
        return loss

    record, _ = compiled_run(step, lambda: (), ((replicas,), ()), cfg.steps, CHUNK, "pretrain", on_chunk, progress)
    return Pretrained(d, record)


@dataclass
class Trained:
    generator: Generator
    ema_generator: Generator  # the exponential moving average of G's weights: what is evaluated
    discriminator: Discriminator
    d_optimizer: keras.optimizers.Optimizer
    g_optimizer: keras.optimizers.Optimizer
    step: tf.Variable
    losses: np.ndarray  # (steps, R, 2): discriminator and generator loss of each step
    frame_steps: np.ndarray  # (F,)
    frame_grid: np.ndarray  # (G,)
    boundary: np.ndarray  # (F, R, G)
    generated: np.ndarray  # (F, R, K) densities on histogram_edges(window, frame_bins), of the EMA generator
    weights: (
        np.ndarray
    )  # (F, R, 3 * hidden + 1) the EMA generator's weights at each frame (the order inference.unflatten reads)


def frame_steps(steps: int, log_every: int) -> np.ndarray:
    """Steps done at each frame: every ``log_every`` steps, and always the final step."""
    return np.minimum(np.arange(1, math.ceil(steps / log_every) + 1) * log_every, steps)


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


def _models(
    p: Params, seeds: Sequence[int], discriminator: Discriminator | None, mean: float, std: float
) -> tuple[Generator, Generator, Discriminator]:
    """G initialised per seed (moments matched to the target's ``mean`` and ``std`` if the recipe
    asks), its EMA copy, and D: ``discriminator`` if given, else a freshly initialised one."""
    replicas = len(seeds)
    g = Generator(p.g_model, replicas, p.scaling)
    initialize(g, seeds, p.model.bias_stddev)
    if p.model.g_kinks == "uniform":
        spread_kinks(g, seeds, p.noise.range)
    if p.model.match_init:
        match_moments(g, noise_grid(p.noise, p.train.frame_samples), mean, std)
    g_ema = Generator(p.g_model, replicas, p.scaling, name="ema_generator")
    for e, w in zip(g_ema.weights, g.weights):
        e.assign(w)
    d = discriminator
    if d is None:
        d = Discriminator(p.model, replicas, p.scaling)
        initialize(d, seeds, p.model.bias_stddev)
    return g, g_ema, d


class _Adversarial:
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
        # R1 fades to r1_fade_to x r1_gamma over the run: a firm D early keeps the first steps stable, a
        # lighter one late lets it see finer errors of shape (docs/research-log.md, 2026-12-06).
        self.r1_end = runtime_value(t.r1_gamma * t.r1_fade_to * std**2) if t.r1_fade_to != 1.0 else None
        jitter = runtime_value(p.noise.jitter)
        self.batches = Batches.of(p, real, seeds, jitter, runtime_value(t.instance_noise * std))
        # Fade lengths divide the step: constants (see make_optimizer).
        self.rank_until = max(t.rank_until * t.steps, 1.0)
        self.r1_until = max(float(t.steps), 1.0)
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
        """R1's gamma at step ``s`` (x's units): r1_gamma, on a half cosine to r1_fade_to x r1_gamma."""
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
            _apply(tape, total, self.d_opt, self.d)
        z = b.noise(G_NOISE, s)
        with tf.GradientTape() as tape:
            fake = self.g(z)
            g_loss = self.g_loss_fn(self.dr(b.blur(fake, BLUR_G, s)))
            total = tf.reduce_sum(g_loss)
        _apply(tape, total, self.g_opt, self.g)
        for e, w in zip(self.g_ema.weights, self.g.weights):
            e.assign(self.ema * e + self.ema_rest * w)
        return tf.stack([d_loss, g_loss], axis=-1)

    def snapshot(self) -> tuple[tf.Tensor, ...]:
        """A frame: D's decision boundary, the EMA generator's density and its weights."""
        # G's weights are 3 * hidden + 1 numbers: quality over training is scored from them afterwards
        # in NumPy, by the same protocol as the evaluate stage.
        flat = tf.concat([tf.reshape(w, (self.replicas, -1)) for w in self.g_ema.weights], axis=1)
        boundary = decision_boundary(self.d, self.grid_t, self.reference, self.rank_weight)
        return boundary, _histogram(self.g_ema(self.frame_noise)[..., 0], self.edges), flat


def _resume_point(
    params: Params,
    real: np.ndarray,
    seeds: Sequence[int],
    record_frames: bool,
    discriminator: Discriminator | None,
    directory: Path,
    every: float,
) -> ResumePoint:
    """The resume point of this run: named by its exact inputs, D's starting weights included."""
    start_d = [w.numpy() for w in discriminator.weights] if discriminator is not None else []
    key = run_key("train", to_dict(params), [int(s) for s in seeds], record_frames, tf.__version__, real, *start_d)
    label = "train" if len(seeds) == 1 else f"train (seeds {seeds[0]}-{seeds[-1]})"
    return ResumePoint(directory, key, every, label)


def train(
    params: Params,
    real: np.ndarray,
    seeds: Sequence[int],
    discriminator: Discriminator | None = None,
    on_chunk: ChunkHook | None = None,
    record_frames: bool = True,
    progress: bool = True,
    resume_dir: Path | None = None,
    resume_every: float = 2.0,
) -> Trained:
    """Adversarial training of R = len(seeds) independent GANs side by side.

    Args:
        params: the recipe (models, noise, target and ``train``).
        real: (R, n_real) real data: replica r draws its real batches from row r.
        seeds: one per replica: its initialisation and every random draw it makes.
        discriminator: a (pretrained) D that replaces the freshly initialised one.
        on_chunk: hears ``(steps, seconds)`` of every compiled call.
        record_frames: take the frames; without, none are taken (the robustness stage needs
            only the final generators).
        progress: show a progress bar on stderr.
        resume_dir: keep a resume point there (:mod:`gan1d.resume`), and continue from it when
            rerun with the same inputs.
        resume_every: seconds between two saves of the resume point, at least.

    Returns:
        The models and optimisers after ``train.steps`` steps, every step's losses and the frames.
    """
    p, t = params, params.train
    replicas = len(seeds)
    mean, std = targets.moments(p)
    g, g_ema, d = _models(p, seeds, discriminator, mean, std)
    # D takes d_steps updates per step: its schedule runs over all of them.
    d_opt = make_optimizer(t.d_optimizer, t.steps * t.d_steps)
    g_opt = make_optimizer(t.g_optimizer, t.steps)
    d_opt.build(d.trainable_variables)
    g_opt.build(g.trainable_variables)
    adv = _Adversarial(p, real, seeds, std, (g, g_ema, d), (d_opt, g_opt))
    resume = None
    if resume_dir is not None:
        resume = _resume_point(p, real, seeds, record_frames, discriminator, resume_dir, resume_every)
    if record_frames:
        every, shapes, snapshot = t.log_every, adv.frame_shapes(), adv.snapshot
    else:
        every, shapes, snapshot = CHUNK, [], lambda: ()
    record, snaps = compiled_run(
        adv.step, snapshot, ((replicas, 2), shapes), t.steps, every, "train", on_chunk, progress, resume, adv.variables
    )
    if not record_frames:
        snaps = [np.zeros((0, *shape)) for shape in adv.frame_shapes()]
    step_var = tf.Variable(t.steps, dtype=tf.int64, name="step")
    steps_at = frame_steps(t.steps, t.log_every) if record_frames else np.zeros(0, np.int64)
    return Trained(g, g_ema, d, d_opt, g_opt, step_var, record, steps_at, adv.grid, *snaps)
