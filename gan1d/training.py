"""Pretraining and adversarial training of R replicas side by side, as compiled multi-step programs.

The per-step work (drawing the batches, the discriminator and generator updates, the EMA of G,
recording losses and frames: :mod:`gan1d.adversarial`) runs inside :func:`gan1d.engine.compiled_run`. All randomness inside
comes from stateless RNGs keyed on (seed, stream, step) (:mod:`gan1d.batches`), so a run is a pure
function of its params. The artifacts a run leaves are written by :mod:`gan1d.writers`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gan1d import losses, targets
from gan1d.adversarial import Adversarial, apply_gradients
from gan1d.config import Optimizer, Params, to_dict
from gan1d.distributions import noise_grid
from gan1d.engine import CHUNK, ChunkHook, compiled_run, runtime_value
from gan1d.models import Discriminator, Generator, initialize, match_moments, spread_kinks
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
        apply_gradients(tape, total, opt, d)
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
    kept_steps: np.ndarray  # (R,) the step of the EMA generator kept (train.select_from; else train.steps)


def frame_steps(steps: int, log_every: int) -> np.ndarray:
    """Steps done at each frame: every ``log_every`` steps, and always the final step."""
    return np.minimum(np.arange(1, math.ceil(steps / log_every) + 1) * log_every, steps)


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
        The models and optimisers after ``train.steps`` steps, every step's losses and the frames; the
        EMA generator is the frame kept by ``train.select_from`` (the last one when it is 1).
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
    adv = Adversarial(p, real, seeds, std, (g, g_ema, d), (d_opt, g_opt))
    resume = None
    if resume_dir is not None:
        resume = _resume_point(p, real, seeds, record_frames, discriminator, resume_dir, resume_every)
    select = t.select_from < 1.0
    if record_frames:
        every, shapes, snapshot = t.log_every, adv.frame_shapes(), adv.snapshot
    elif select:  # only G's weights at each frame, to choose from
        every, shapes, snapshot = t.log_every, adv.frame_shapes()[2:], lambda: (adv.flat_weights(),)
    else:
        every, shapes, snapshot = CHUNK, [], lambda: ()
    record, snaps = compiled_run(
        adv.step, snapshot, ((replicas, 2), shapes), t.steps, every, "train", on_chunk, progress, resume, adv.variables
    )
    steps_at = frame_steps(t.steps, t.log_every)
    kept = adv.keep_closest(snaps[-1], steps_at, real) if select else np.full(replicas, t.steps)
    if not record_frames:
        snaps = [np.zeros((0, *shape)) for shape in adv.frame_shapes()]
        steps_at = np.zeros(0, np.int64)
    step_var = tf.Variable(t.steps, dtype=tf.int64, name="step")
    return Trained(g, g_ema, d, d_opt, g_opt, step_var, record, steps_at, adv.grid, *snaps, kept)
