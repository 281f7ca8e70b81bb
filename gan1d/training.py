"""Pretraining and adversarial training as compiled multi-step TensorFlow programs.

Python calls TensorFlow once per chunk of steps, not once per step: the per-step work (drawing
the batch, the discriminator and generator updates, recording losses and frames) runs inside one
XLA-compiled ``tf.while_loop``. All randomness inside comes from stateless RNGs keyed on
(seed, stream, step), so a run is a pure function of its params.
"""

from __future__ import annotations

import ctypes
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from gan1d import frames, inference, losses, targets
from gan1d.config import Optimizer, Params, to_dict
from gan1d.distributions import density, histogram_edges, noise_grid
from gan1d.errors import ArtifactError, DivergenceError
from gan1d.io import RESTORE_HINT, atomic_path
from gan1d.models import Discriminator, Generator, decision_boundary, initialize, match_moments, spread_kinks
from gan1d.resume import ResumePoint, State, run_key

ChunkHook = Callable[[int, float], None]

CHUNK = 2000  # steps per compiled call: big enough to hide dispatch, small enough for a live progress bar

# Stateless RNG streams (the second half of every seed pair).
_REAL, _D_NOISE, _G_NOISE, _MIX, _BLUR_REAL, _BLUR_FAKE, _BLUR_G = 1, 2, 3, 4, 5, 6, 7


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, make its kernels deterministic, and fix its thread pools.

    One intra-op and one inter-op thread: a parallel reduction may add in a different order on a
    machine with another core count, so the thread count is part of the results. The model is
    tiny: the compiled loop gains nothing from more threads. Call before TensorFlow runs any op.
    """
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()
    if tf.config.threading.get_intra_op_parallelism_threads() != 1:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # the runtime already started (a second call in one process)
            pass


def runtime_value(value: float) -> tf.Variable:
    """``value`` as an input of the compiled programs instead of a constant in them.

    XLA's compile cache is keyed on the program, constants included: a hyperparameter held in a
    variable leaves the program the same for every value, so a sweep over learning rates, penalties
    or EMA compiles once. The float32 number is the one a constant would hold (values combined from
    several params are combined in Python first, as constants were), and the default recipe's
    results are bit-identical; XLA may still fuse a variable differently from a constant, which
    moved some variants (instance noise, a pretrained D) in their last bits.
    """
    return tf.Variable(value, dtype=tf.float32, trainable=False)


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
    return keras.optimizers.Adam(schedule, beta_1=cfg.beta1, beta_2=cfg.beta2)


def _per_replica(seeds: tf.Tensor, stream: int, counters: Sequence[tf.Tensor], draw: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
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


def _compiled_run(
    step: Callable[[tf.Tensor], tf.Tensor],
    snapshot: Callable[[], Sequence[tf.Tensor]],
    shapes: tuple[tuple[int, ...], Sequence[tuple[int, ...]]],
    steps: int,
    every: int,
    desc: str,
    on_chunk: ChunkHook | None = None,
    progress: bool = True,
    resume: ResumePoint | None = None,
    variables: Sequence[tf.Variable] = (),
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run ``step(s)`` for s in [0, steps) and ``snapshot()`` after every ``every`` steps and the last.

    Steps run in chunks, each one call of an XLA-compiled program of nested while loops; the
    per-step outputs and the snapshots are gathered in loop-carried TensorArrays (written in
    place, unlike a variable scatter, which copies the whole buffer). ``shapes`` gives the shape of
    a step output and of each snapshot tensor. Returns the stacked step outputs (steps, ...) and
    each snapshot tensor stacked over snapshots (F, ...). A progress bar goes to stderr, and
    ``on_chunk(steps, seconds)`` (if given) hears the wall time of every compiled call. ``progress``
    False hides the bar (a worker process whose parent shows one).

    With ``resume``, the run continues from its saved state if there is one (``variables``, the
    outputs and snapshots so far), saves its state between chunks at most every ``resume.every``
    seconds, and removes the resume point when it completes.
    """
    step_shape, snap_shapes = shapes
    per_call = max(1, CHUNK // every)
    chunk = per_call * every

    # autograph=False: the loops are explicit tf.while_loops, and skipping the conversion halves tracing.
    @tf.function(jit_compile=True, autograph=False)
    def run(start: tf.Tensor, stop: tf.Tensor):
        out = tf.TensorArray(tf.float32, size=chunk, element_shape=step_shape)
        snaps = [tf.TensorArray(tf.float32, size=per_call, element_shape=sh) for sh in snap_shapes]

        def segment(k, s, out, *snaps):
            end = tf.minimum(s + every, stop)

            def one(s, out):
                return s + 1, out.write(s - start, step(s))

            s, out = tf.while_loop(lambda s, out: s < end, one, [s, out])
            snaps = [ta.write(k, v) for ta, v in zip(snaps, snapshot())]
            return (k + 1, s, out, *snaps)

        k, _, out, *snaps = tf.while_loop(
            lambda k, s, *_: s < stop, segment, [tf.constant(0), start, out, *snaps], maximum_iterations=per_call
        )
        return out.stack(), [ta.stack() for ta in snaps], k

    outs: list[np.ndarray] = []
    gathered: list[list[np.ndarray]] = [[] for _ in snap_shapes]
    first = 0
    state = resume.load([tuple(v.shape) for v in variables], steps) if resume is not None else None
    if state is not None:
        for var, value in zip(variables, state.variables):
            var.assign(value)
        first, outs, gathered = state.step, [state.outputs], [[snap] for snap in state.snapshots]
    with tqdm(total=steps, initial=first, desc=desc, unit="step", leave=False, disable=None if progress else True) as bar:
        for start in range(first, steps, chunk):
            stop = min(start + chunk, steps)
            began = time.perf_counter()
            out, snaps, k = run(tf.constant(start, tf.int32), tf.constant(stop, tf.int32))
            outs.append(out.numpy()[: stop - start])
            if on_chunk is not None:
                on_chunk(stop - start, time.perf_counter() - began)
            for dest, snap in zip(gathered, snaps):
                dest.append(snap.numpy()[: int(k)])
            bar.update(stop - start)
            if resume is not None and stop < steps and resume.due():
                outs, gathered = [np.concatenate(outs)], [[np.concatenate(g)] for g in gathered]
                resume.save(State(stop, [v.numpy() for v in variables], outs[0], [g[0] for g in gathered]))
    if resume is not None:
        resume.clear()
    return np.concatenate(outs), [np.concatenate(g) for g in gathered]


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

    record, _ = _compiled_run(step, lambda: (), ((replicas,), ()), cfg.steps, CHUNK, "pretrain", on_chunk, progress)
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
    weights: np.ndarray  # (F, R, 3 * hidden + 1) the EMA generator's weights at each frame (the order inference.unflatten reads)


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


def _fade(s: tf.Tensor, until: float) -> tf.Tensor:
    """1 at step 0, down to 0 at step ``until`` (>= 1) on a half cosine, then 0."""
    return 0.5 * (1.0 + tf.cos(math.pi * tf.minimum(tf.cast(s, tf.float32) / until, 1.0)))


def stratify(u: tf.Tensor) -> tf.Tensor:
    """Uniforms ``u`` (R, B, ...) on [0, 1) moved to one per slice: sample i to (i + u_i) / B, in
    [i / B, (i + 1) / B). A batch drawn this way covers its distribution evenly; iid draws leave
    holes and clumps, sampling noise in every gradient (and, beside the seed's evenly spaced noise,
    a difference between real and fake batches that is not one between the distributions)."""
    b = u.shape[1]
    i = tf.reshape(tf.range(b, dtype=u.dtype), (1, b) + (1,) * (u.shape.rank - 2))
    return (i + u) / b


def _input_gradient(d: Callable[[tf.Tensor], tf.Tensor], x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """D's output at ``x`` and dD/dx per sample (exact without minibatch discrimination, whose
    cross-sample terms are included in the gradient of the batch sum)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = d(x)
        total = tf.reduce_sum(out)  # inside the tape, or the gradient is None
    return out, tape.gradient(total, x)


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

    ``real`` is (R, n_real): replica r draws its real batches from row r. ``discriminator``
    (pretrained) replaces the freshly initialised one when given. Without ``record_frames`` no
    frames are taken (the robustness stage needs only the final generators). With ``resume_dir``
    the run keeps a resume point there (:mod:`gan1d.resume`), saved at most every ``resume_every``
    seconds, and continues from it when rerun with the same inputs.
    """
    p, t = params, params.train
    replicas = len(seeds)
    g = Generator(p.g_model, replicas, p.scaling)
    mean, std = targets.moments(p)
    initialize(g, seeds, p.model.bias_stddev)
    if p.model.g_kinks == "uniform":
        spread_kinks(g, seeds, p.noise.range)
    if p.model.match_init:
        match_moments(g, noise_grid(p.noise, t.frame_samples), mean, std)
    g_ema = Generator(p.g_model, replicas, p.scaling, name="ema_generator")
    for e, w in zip(g_ema.weights, g.weights):
        e.assign(w)
    d = discriminator
    if d is None:
        d = Discriminator(p.model, replicas, p.scaling)
        initialize(d, seeds, p.model.bias_stddev)
    # D takes d_steps updates per step: its schedule runs over all of them.
    d_opt = make_optimizer(t.d_optimizer, t.steps * t.d_steps)
    g_opt = make_optimizer(t.g_optimizer, t.steps)
    d_opt.build(d.trainable_variables)
    g_opt.build(g.trainable_variables)
    d_loss_fn, g_loss_fn = losses.DISCRIMINATOR_LOSSES[t.loss], losses.GENERATOR_LOSSES[t.loss]

    seed_t = tf.constant(list(seeds), tf.int32)
    real_t = tf.constant(real, tf.float32)
    n_real = real.shape[1]
    # Stratified batches index the sorted data: slice i of [0, 1) is slice i of the data's order.
    pool_t = tf.constant(np.sort(real, axis=1), tf.float32) if t.stratify else real_t
    spaced = tf.constant(np.linspace(-p.noise.range, p.noise.range, t.batch), tf.float32)[None, :, None]
    grid = np.linspace(*p.window, t.frame_grid)
    grid_t = tf.constant(np.broadcast_to(grid, (replicas, t.frame_grid))[..., None], tf.float32)
    frame_noise = tf.constant(
        np.broadcast_to(noise_grid(p.noise, t.frame_samples), (replicas, t.frame_samples))[..., None], tf.float32
    )
    reference = real_t[:, : max(t.batch - 1, 1), None]
    edges = histogram_edges(p.window, t.frame_bins)

    def uniform(stream: int, *counters: tf.Tensor) -> tf.Tensor:
        return _per_replica(seed_t, stream, counters, lambda k: tf.random.stateless_uniform((t.batch, 1), k))

    def real_batch(*counters: tf.Tensor) -> tf.Tensor:
        # A uniform draw scaled to an index (not an int32 draw) so map_fn can stack floats only.
        u = _per_replica(seed_t, _REAL, counters, lambda k: tf.random.stateless_uniform((t.batch,), k))
        if t.stratify:
            u = stratify(u)
        idx = tf.minimum(tf.cast(u * n_real, tf.int32), n_real - 1)
        return tf.gather(pool_t, idx, batch_dims=1)[..., None]

    def noise_batch(stream: int, *counters: tf.Tensor) -> tf.Tensor:
        u = uniform(stream, *counters)
        if t.stratify:
            return p.noise.range * (2.0 * stratify(u) - 1.0)
        return spaced + u * jitter

    # Hyperparameters that do not change the program's shapes: runtime values, not constants.
    ema, ema_rest = runtime_value(t.ema), runtime_value(1.0 - t.ema)
    r1_gamma, gp_weight, jitter = runtime_value(t.r1_gamma), runtime_value(t.gp_weight), runtime_value(p.noise.jitter)
    blur_scale = runtime_value(t.instance_noise * std)
    # Fade lengths divide the step: constants (see make_optimizer).
    blur_until, rank_until = max(t.instance_noise_until * t.steps, 1.0), max(t.rank_until * t.steps, 1.0)
    # The rank input's weight this step (model.rank); read by the frames' decision boundary too.
    rank_weight = tf.Variable(1.0, trainable=False, dtype=tf.float32)

    def blur(v: tf.Tensor, stream: int, *counters: tf.Tensor) -> tf.Tensor:
        """Instance noise: v + sigma(s) * N(0, 1), sigma decaying from instance_noise target stds to 0
        on a half cosine over the first instance_noise_until of the steps. It fills the gaps between
        modes: D then has no empty valley that G's samples cannot cross."""
        if t.instance_noise == 0:
            return v
        sigma = blur_scale * _fade(counters[0], blur_until)
        eps = _per_replica(seed_t, stream, counters, lambda k: tf.random.stateless_normal((t.batch, 1), k))
        return v + sigma * eps

    def dr(v: tf.Tensor) -> tf.Tensor:
        return d(v, rank_weight=rank_weight)

    def d_objective(x: tf.Tensor, fake: tf.Tensor, s: tf.Tensor, j: tf.Tensor) -> tf.Tensor:
        x, fake = blur(x, _BLUR_REAL, s, j), blur(fake, _BLUR_FAKE, s, j)
        if t.penalty == "r1":
            real_out, grad = _input_gradient(dr, x)
            loss = d_loss_fn(real_out, dr(fake)) + losses.r1_penalty(grad, r1_gamma)
        else:
            loss = d_loss_fn(dr(x), dr(fake))
        if t.loss == "wasserstein":
            # One mixing weight per input of D: with packing, per pack (a point in R^pack).
            eps = tf.repeat(uniform(_MIX, s, j)[:, :: p.model.pack], p.model.pack, axis=1)
            _, grad = _input_gradient(dr, eps * x + (1.0 - eps) * fake)
            loss += losses.gradient_penalty(tf.reshape(grad, (replicas, -1, p.model.pack)), gp_weight)
        return loss

    def step(s: tf.Tensor) -> tf.Tensor:
        if p.model.rank and t.rank_until > 0:
            rank_weight.assign(_fade(s, rank_until))
        for j in range(t.d_steps):
            j_t = tf.constant(j)
            x, z = real_batch(s, j_t), noise_batch(_D_NOISE, s, j_t)
            with tf.GradientTape() as tape:
                d_loss = d_objective(x, g(z), s, j_t)
                total = tf.reduce_sum(d_loss)
            _apply(tape, total, d_opt, d)
        z = noise_batch(_G_NOISE, s)
        with tf.GradientTape() as tape:
            g_loss = g_loss_fn(dr(blur(g(z), _BLUR_G, s)))
            total = tf.reduce_sum(g_loss)
        _apply(tape, total, g_opt, g)
        for e, w in zip(g_ema.weights, g.weights):
            e.assign(ema * e + ema_rest * w)
        return tf.stack([d_loss, g_loss], axis=-1)

    def snapshot() -> tuple[tf.Tensor, ...]:
        if not record_frames:
            return ()
        # G's weights are 3 * hidden + 1 numbers: quality over training is scored from them afterwards
        # in NumPy, by the same protocol as the evaluate stage.
        flat = tf.concat([tf.reshape(w, (replicas, -1)) for w in g_ema.weights], axis=1)
        return decision_boundary(d, grid_t, reference, rank_weight), _histogram(g_ema(frame_noise)[..., 0], edges), flat

    every = t.log_every if record_frames else CHUNK
    n_weights = 3 * p.g_model.hidden + 1
    snap_shapes = [(replicas, t.frame_grid), (replicas, t.frame_bins), (replicas, n_weights)] if record_frames else []
    resume = None
    if resume_dir is not None:
        start_d = [w.numpy() for w in d.weights] if discriminator is not None else []
        key = run_key("train", to_dict(p), [int(s) for s in seeds], record_frames, tf.__version__, real, *start_d)
        label = "train" if replicas == 1 else f"train (seeds {seeds[0]}-{seeds[-1]})"
        resume = ResumePoint(resume_dir, key, resume_every, label)
    variables = [*g.weights, *g_ema.weights, *d.weights, *d_opt.variables, *g_opt.variables, rank_weight]
    record, snaps = _compiled_run(step, snapshot, ((replicas, 2), snap_shapes), t.steps, every, "train", on_chunk,
                                  progress, resume, variables)
    if not record_frames:
        snaps = [np.zeros((0, replicas, n)) for n in (t.frame_grid, t.frame_bins, n_weights)]
    step_var = tf.Variable(t.steps, dtype=tf.int64, name="step")
    steps_at = frame_steps(t.steps, t.log_every) if record_frames else np.zeros(0, np.int64)
    return Trained(g, g_ema, d, d_opt, g_opt, step_var, record, steps_at, grid, *snaps)


def generator_weights(g: Generator, replica: int) -> dict[str, np.ndarray]:
    """Replica ``replica``'s weights as float64 arrays, for :mod:`gan1d.inference`."""
    return inference.replica_weights(*(w.numpy() for w in g.weights), replica)


def release_memory() -> None:
    """Return heap that XLA compilation freed to the OS (glibc keeps it), lowering the stage's peak RSS."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def check_finite(values: np.ndarray, what: str) -> None:
    """Raise :class:`DivergenceError` naming the first step whose ``what`` is not finite."""
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise DivergenceError(
            f"{what} became non-finite at step {first + 1}: training diverged; lower the learning rate "
            "or change the recipe in params.yaml"
        )


def save_checkpoint(path: str | Path, trained: Trained) -> None:
    """Write generator, discriminator, both optimisers and the step as a TF checkpoint directory."""
    ckpt = tf.train.Checkpoint(
        generator=trained.generator,
        ema_generator=trained.ema_generator,
        discriminator=trained.discriminator,
        d_optimizer=trained.d_optimizer,
        g_optimizer=trained.g_optimizer,
        step=trained.step,
    )
    with atomic_path(path) as tmp:
        ckpt.write(str(tmp / "ckpt"))


def save_weights(path: str | Path, model: keras.Model) -> None:
    """A Keras weights file (HDF5, one group per layer name), written atomically; no timestamps inside."""
    with atomic_path(path) as tmp:
        model.save_weights(str(tmp))


def load_generator(path: str | Path, params: Params) -> Generator:
    """Restore the (EMA) generator from a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    prefix = path / "ckpt"
    if not Path(f"{prefix}.index").is_file():
        raise ArtifactError(f"{path}: no checkpoint there (expected {prefix}.index); {RESTORE_HINT}")
    g = Generator(params.g_model, scaling=params.scaling, name="ema_generator")
    try:
        tf.train.Checkpoint(ema_generator=g).read(str(prefix)).assert_existing_objects_matched().expect_partial()
    except (tf.errors.OpError, ValueError, AssertionError, IndexError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"{path}: damaged or foreign checkpoint ({first}); {RESTORE_HINT}") from None
    return g


def generate(g: Generator, z: np.ndarray) -> np.ndarray:
    """G(z) for a 1-D array of noise, as float64 (replica 0)."""
    return g(tf.constant(z[None, :, None], tf.float32)).numpy()[0, :, 0].astype(np.float64)



def write_frames(path: str | Path, trained: Trained, reference: np.ndarray, target: targets.Mixture | targets.Empirical,
                 params: Params) -> None:
    """Write replica 0's frames, with the density of ``reference`` (the real data set, or a data target's
    held-out part) on the same bins and ``target``'s quantile function beside G's transport map."""
    edges = histogram_edges(params.window, params.train.frame_bins)
    z = noise_grid(params.noise, params.train.frame_bins)
    levels = (z + params.noise.range) / (2 * params.noise.range)  # G's noise is uniform on [-range, range]
    transport = [
        inference.generate(inference.unflatten(w, params.g_model.hidden), z, params.scaling, params.model.g_activation)
        for w in trained.weights[:, 0]
    ]
    frames.write(
        path,
        frames.Frames(
            steps=trained.frame_steps,
            grid=trained.frame_grid,
            boundary=trained.boundary[:, 0],
            centers=0.5 * (edges[:-1] + edges[1:]),
            real=density(reference, edges),
            generated=trained.generated[:, 0],
            noise=z,
            transport=np.array(transport).reshape(len(trained.frame_steps), len(z)),
            quantile=target.ppf(levels),
        ),
    )


QUALITY = ("w1", "ks", "modes_covered", "mass_error", "fold_share")  # logged at every frame as quality/<name>


def write_losses(
    path: str | Path,
    step_losses: np.ndarray,
    every: int = 1,
    frame_steps: Sequence[int] = (),
    quality: Sequence[dict[str, float]] = (),
) -> None:
    """Log the (D, G) losses of every ``every``-th step, and the quality of G at every frame
    (``quality/w1`` etc., x = steps done), with dvclive into ``path``, atomically.

    Each logged loss is the mean over the ``every`` steps up to it (every = 1: the step's own
    loss). No timestamps are logged, so the files are the same on every rerun.
    """
    n = len(step_losses) // every * every
    step_losses = step_losses[:n].reshape(-1, every, 2).mean(axis=1)
    from dvclive import Live

    with atomic_path(path) as tmp:
        with Live(str(tmp), save_dvc_exp=False, dvcyaml=False, report=None) as live:
            for i, (loss_d, loss_g) in enumerate(step_losses):
                # Setting the step instead of calling next_step() skips a summary rewrite per step (10x faster).
                live.step = (i + 1) * every - 1
                live.log_metric("loss_d", round(float(loss_d), 6))
                live.log_metric("loss_g", round(float(loss_g), 6))
            for step, metrics in zip(frame_steps, quality):
                live.step = int(step)
                for name in QUALITY:
                    live.log_metric(f"quality/{name}", metrics[name])
