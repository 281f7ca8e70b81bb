"""The trained generator in NumPy, read from its Keras weights file: evaluation without TensorFlow."""

from __future__ import annotations

from pathlib import Path

from gan1d.config import Params, Scaling
from gan1d.distributions import histogram_edges, noise_grid
from gan1d.errors import ArtifactError
from gan1d.io import RESTORE_HINT, read_weights
from gan1d.metrics import Target, fold_share, summarize, wasserstein1
from gan1d.targets import Empirical

import numpy as np


def replica_weights(
    k0: np.ndarray, b0: np.ndarray, k1: np.ndarray, b1: np.ndarray, replica: int
) -> dict[str, np.ndarray]:
    """One replica's generator weights as float64, from stacked (R, ...) arrays."""
    weights = {"g0_kernel": k0, "g0_bias": b0, "g1_kernel": k1, "g1_bias": b1}
    return {name: np.asarray(w[replica], np.float64) for name, w in weights.items()}


def unflatten(flat: np.ndarray, hidden: int) -> dict[str, np.ndarray]:
    """Generator weights from the flat vector [g0 kernel, g0 bias, g1 kernel, g1 bias] (3 * hidden + 1 numbers)."""
    flat = np.asarray(flat, np.float64)
    k0, b0, k1, b1 = np.split(flat, [hidden, 2 * hidden, 3 * hidden])
    return {"g0_kernel": k0[None, :], "g0_bias": b0[None, :], "g1_kernel": k1[:, None], "g1_bias": b1[None, :]}


def load_generator(path: str | Path, replica: int = 0) -> dict[str, np.ndarray]:
    """Replica ``replica``'s generator weights {g0_kernel, g0_bias, g1_kernel, g1_bias} as float64."""
    stored = read_weights(path, "generator weights")
    try:
        (k0, b0), (k1, b1) = stored["g0"], stored["g1"]
        return replica_weights(k0, b0, k1, b1, replica)
    except (KeyError, ValueError, IndexError) as err:
        raise ArtifactError(f"{path}: not a generator weights file ({err}); {RESTORE_HINT}") from None


# G's hidden activation (model.g_activation) in NumPy; models.Generator applies TensorFlow's of the same name.
ACTIVATIONS = {"softplus": lambda x: np.logaddexp(0.0, x), "tanh": np.tanh}


def generate(
    weights: dict[str, np.ndarray],
    z: np.ndarray,
    scaling: Scaling,
    activation: str,
    monotone: bool = False,
    linear: bool = False,
) -> np.ndarray:
    """G(z) = center + spread * (act(z * noise W0 + b0) W1 + b1) for a 1-D array of noise (act: softplus or tanh);
    ``monotone`` (model.g_monotone): W0 and W1 enter as |W0| and |W1|; ``linear`` (model.g_linear): unit 0
    skips act. As in models.Generator.call."""
    k0, k1 = weights["g0_kernel"], weights["g1_kernel"][:, 0]
    if monotone:
        k0, k1 = np.abs(k0), np.abs(k1)
    pre = (z * scaling.noise)[:, None] * k0 + weights["g0_bias"]
    h = ACTIVATIONS[activation](pre)
    if linear:
        h[:, 0] = pre[:, 0]
    # The output layer as a sum in a fixed order, not a matrix product: BLAS picks its kernel (and with it
    # the order of the additions) by the CPU, and the last bits would follow.
    out = np.full(len(z), weights["g1_bias"][0, 0])
    for j in range(h.shape[1]):
        out = out + h[:, j] * k1[j]
    return scaling.center + scaling.spread * out


def on_grid(weights: dict[str, np.ndarray], params: Params, n: int) -> np.ndarray:
    """G (the recipe's activation, monotone rule and linear unit) on the stratified noise grid of ``n`` points."""
    m = params.model
    return generate(weights, noise_grid(params.noise, n), params.scaling, m.g_activation, m.g_monotone, m.g_linear)


def score(
    weights: dict[str, np.ndarray], params: Params, target: Target, train: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """The evaluation protocol: G on the stratified ``evaluate.n_points`` grid, scored against ``target``
    (:func:`gan1d.targets.of`; for a data target its held-out part, with ``train`` for the baselines)."""
    samples = on_grid(weights, params, params.evaluate.n_points)
    edges = histogram_edges(params.window, params.evaluate.bins)
    metrics = summarize(samples, target, edges, train)
    metrics["fold_share"] = round(fold_share(samples), 6)  # the samples are G on the grid, in noise order
    return samples, metrics


def quality_over_training(weights: np.ndarray, params: Params, target: Target) -> list[dict[str, float]]:
    """The evaluation protocol (:func:`score`) at every frame, from G's (F, 3 * hidden + 1) flat weights."""
    return [score(unflatten(w, params.g_model.hidden), params, target)[1] for w in weights]


def closest_frame(weights: np.ndarray, train: np.ndarray, params: Params) -> int:
    """The frame whose generator is closest to the training data: the index of the smallest W1 between G on
    the ``train.frame_samples`` noise grid and ``train`` (the values G trained on), over (F, 3 * hidden + 1)
    flat weights; the first of equals. Only training data: the held-out part and the target stay unseen."""
    data, n = Empirical.of(train), params.train.frame_samples
    w1 = [wasserstein1(on_grid(unflatten(w, params.g_model.hidden), params, n), data) for w in weights]
    return int(np.argmin(w1))
