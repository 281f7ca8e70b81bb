"""The compiled multi-step engine: many training steps per call of one XLA-compiled program.

Python calls TensorFlow once per chunk of steps, not once per step: the per-step work runs inside
one XLA-compiled ``tf.while_loop``, and its outputs and snapshots are gathered in TensorArrays. A
run can keep a resume point (:mod:`gan1d.resume`) between chunks. Also here: the process set-up
that makes a run a pure function of its params (:func:`set_seed`), hyperparameters as inputs of
the programs (:func:`runtime_value`), and :func:`release_memory`.
"""

from __future__ import annotations

import ctypes
import random
import time
from collections.abc import Callable, Sequence

from gan1d.resume import ResumePoint, State

import numpy as np
import tensorflow as tf
from tqdm import tqdm

ChunkHook = Callable[[int, float], None]  # (steps, seconds) of each compiled call

CHUNK = 2000  # steps per compiled call: big enough to hide dispatch, small enough for a live progress bar


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


def compiled_run(
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
    with tqdm(
        total=steps, initial=first, desc=desc, unit="step", leave=False, disable=None if progress else True
    ) as bar:
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


def release_memory() -> None:
    """Return heap that XLA compilation freed to the OS (glibc keeps it), lowering the stage's peak RSS."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
