"""The artifacts of a training run, written and read back on the TensorFlow side.

A TF checkpoint, Keras weights files, the frames table and the dvclive loss logs, each written
atomically (:func:`gan1d.io.atomic_path`) and with no timestamps inside, so a rerun writes the same
bytes. :mod:`gan1d.frames` and :mod:`gan1d.io` stay free of TensorFlow; this module is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gan1d import frames, inference, targets
from gan1d.config import Params
from gan1d.distributions import density, histogram_edges, noise_grid, noise_levels
from gan1d.errors import ArtifactError, DivergenceError
from gan1d.io import RESTORE_HINT, atomic_path
from gan1d.models import Generator

import keras
import numpy as np
import tensorflow as tf

if TYPE_CHECKING:
    from gan1d.training import Trained


def generator_weights(g: Generator, replica: int) -> dict[str, np.ndarray]:
    """Replica ``replica``'s weights as float64 arrays, for :mod:`gan1d.inference`."""
    return inference.replica_weights(*(w.numpy() for w in g.weights), replica)


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


def write_frames(
    path: str | Path,
    trained: Trained,
    reference: np.ndarray,
    target: targets.Mixture | targets.Empirical,
    params: Params,
) -> None:
    """Write replica 0's frames, with the density of ``reference`` (the real data set, or a data target's
    held-out part) on the same bins and ``target``'s quantile function beside G's transport map."""
    edges = histogram_edges(params.window, params.train.frame_bins)
    z = noise_grid(params.noise, params.train.frame_bins)
    levels = noise_levels(params.noise, z)
    transport = [
        inference.generate(
            inference.unflatten(w, params.g_model.hidden),
            z,
            params.scaling,
            params.model.g_activation,
            params.model.g_monotone,
            params.model.g_linear,
        )
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
    kept_step: int | None = None,
) -> None:
    """Log the (D, G) losses of every ``every``-th step, and the quality of G at every frame
    (``quality/w1`` etc., x = steps done), with dvclive into ``path``, atomically; ``kept_step``
    (the step of the generator kept, ``train.select_from``) goes into the summary.

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
            if kept_step is not None:
                live.log_metric("kept_step", int(kept_step), plot=False)
