"""The trained generator in NumPy, read from its Keras weights file: evaluation without TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan1d.errors import ArtifactError
from gan1d.io import RESTORE_HINT, read_weights


def load_generator(path: str | Path, replica: int = 0) -> dict[str, np.ndarray]:
    """Replica ``replica``'s generator weights {g0_kernel, g0_bias, g1_kernel, g1_bias} as float64."""
    stored = read_weights(path, "generator weights")
    try:
        (k0, b0), (k1, b1) = stored["g0"], stored["g1"]
        weights = {"g0_kernel": k0, "g0_bias": b0, "g1_kernel": k1, "g1_bias": b1}
        return {name: np.asarray(w[replica], np.float64) for name, w in weights.items()}
    except (KeyError, ValueError, IndexError) as err:
        raise ArtifactError(f"{path}: not a generator weights file ({err}); {RESTORE_HINT}") from None


def generate(weights: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    """G(z) = softplus(z W0 + b0) W1 + b1 for a 1-D array of noise."""
    h = np.logaddexp(0.0, z[:, None] @ weights["g0_kernel"] + weights["g0_bias"])
    return (h @ weights["g1_kernel"] + weights["g1_bias"])[:, 0]
