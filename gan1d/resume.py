"""Resume points: an interrupted training run continues where it stopped and ends byte-identical.

A resume point is one ``.npz`` file holding everything a compiled run has built up at a chunk
boundary: the step, every variable (weights, the EMA, optimiser slots and counters) and the
per-step outputs and snapshots gathered so far. Every random draw is keyed on (seed, stream,
step), so continuing from it replays exactly the steps an uninterrupted run would take.

The file is named by a hash of the run's exact inputs (params, data, seeds, starting weights and
gan1d's code), so a rerun with other inputs never sees it. It lives outside DVC's outputs (DVC
deletes a stage's outputs before running it), is written atomically, and is removed when the run
completes. A damaged or foreign file is ignored with one line on stderr, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan1d.errors import phase
from gan1d.io import atomic_path

import numpy as np

FORMAT = "gan1d-resume-1"
CODE = Path(__file__).resolve().parent


def code_version() -> str:
    """A hash of gan1d's own source files: a resume point never outlives a code change."""
    digest = hashlib.sha256()
    for path in sorted(CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def run_key(*parts: Any) -> str:
    """A hash of the run's inputs: JSON-able parts as JSON, arrays by dtype, shape and bytes."""
    digest = hashlib.sha256(code_version().encode())
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype}{part.shape}".encode() + np.ascontiguousarray(part).tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@dataclass
class State:
    step: int  # steps done
    variables: list[np.ndarray]
    outputs: np.ndarray  # per-step outputs of steps [0, step)
    snapshots: list[np.ndarray]  # each snapshot tensor, stacked over the snapshots taken so far


class ResumePoint:
    """The resume file of one run: ``directory / f"{key}.npz"``, saved at most every ``every`` seconds."""

    def __init__(self, directory: Path, key: str, every: float = 2.0, label: str = "train"):
        self.path = Path(directory) / f"{key}.npz"
        self.key, self.every, self.label = key, every, label
        self._last = time.monotonic()

    def load(self, shapes: Sequence[tuple[int, ...]], total: int) -> State | None:
        """The saved state if there is a sound one for this run (variables of ``shapes``, fewer than
        ``total`` steps done); otherwise None, with one line on stderr if a file was there."""
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as f:
                if str(f["format"]) != FORMAT or str(f["key"]) != self.key:
                    raise ValueError("written for another run")
                step = int(f["step"])
                variables = [f[f"var{i}"] for i in range(int(f["n_variables"]))]
                outputs = f["outputs"]
                snapshots = [f[f"snap{i}"] for i in range(int(f["n_snapshots"]))]
            if [v.shape for v in variables] != [tuple(s) for s in shapes]:
                raise ValueError("its variables have other shapes")
            if not 0 < step < total or len(outputs) != step:
                raise ValueError(f"step {step} does not fit a run of {total} steps")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            print(
                f"{self.label}: ignoring the resume point {self.path}: damaged or foreign ({err}); starting from step 0",
                file=sys.stderr,
            )
            return None
        print(f"{self.label}: resuming from step {step} of {total} ({self.path})", file=sys.stderr)
        return State(step, variables, outputs, snapshots)

    def due(self) -> bool:
        """Whether ``every`` seconds have passed since the last save (or the start)."""
        return time.monotonic() - self._last >= self.every

    def save(self, state: State) -> None:
        """Write ``state`` atomically: an interrupted save leaves the previous resume point whole."""
        arrays = {
            "format": np.array(FORMAT),
            "key": np.array(self.key),
            "step": np.array(state.step),
            "n_variables": np.array(len(state.variables)),
            "n_snapshots": np.array(len(state.snapshots)),
            "outputs": state.outputs,
        }
        arrays.update({f"var{i}": v for i, v in enumerate(state.variables)})
        arrays.update({f"snap{i}": s for i, s in enumerate(state.snapshots)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with atomic_path(self.path) as tmp:
            tmp.write_bytes(buffer.getvalue())
        self._last = time.monotonic()
        phase("resumable")  # tests: a worker that saved a point waits here, so a kill finds it not yet done

    def clear(self) -> None:
        """Remove the resume point (the run completed)."""
        self.path.unlink(missing_ok=True)
