"""How often does the recipe work? Train it on many seeds side by side and score every seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from gan1d import data, training
from gan1d.config import Params
from gan1d.inference import score
from gan1d.metrics import SUCCESS_W1


@dataclass
class Robustness:
    seeds: list[int]
    per_seed: list[dict[str, float]]  # summarize() of each seed, plus "nan" (1 if training diverged)
    samples: np.ndarray  # (R, n_points) generated samples of each seed

    def per_seed_table(self) -> pa.Table:
        """One row per seed: ``seed`` and every metric (NaN where a diverged seed has none)."""
        keys = sorted({k for m in self.per_seed for k in m})
        columns = {"seed": pa.array(self.seeds, pa.int64())}
        columns.update({k: pa.array([m.get(k, float("nan")) for m in self.per_seed], pa.float64()) for k in keys})
        return pa.table(columns)

    def summary(self) -> dict[str, float]:
        w1 = np.array([m["w1"] for m in self.per_seed], np.float64)
        nan = int(sum(m["nan"] for m in self.per_seed))
        scored = np.where(np.isfinite(w1), w1, np.inf)  # a diverged seed counts as the worst
        return {
            "seeds": len(self.seeds),
            "success_rate": round(float(np.mean(scored < SUCCESS_W1)), 6),
            "median_w1": round(float(np.median(scored)), 6) if np.isfinite(np.median(scored)) else None,
            "worst_w1": round(float(np.max(scored)), 6) if np.all(np.isfinite(scored)) else None,
            "nan_count": nan,
        }


def run(params: Params) -> Robustness:
    """Pretrain (if the recipe does) and train every seed of ``params.robustness`` in one program.

    Replica r is exactly the run that seed r would give alone (its own data, initialisation and
    noise), so its metrics are those its own `dvc repro` would report.
    """
    cfg = params.robustness
    seeds = list(range(cfg.first_seed, cfg.first_seed + cfg.count))
    training.set_seed(seeds[0])
    real = np.stack([data.draw_real(params, s) for s in seeds])
    d = None
    if params.train.use_pretrained:
        pairs = [data.draw_pretrain(params, s) for s in seeds]
        d = training.pretrain(params, np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs]), seeds).discriminator
    trained = training.train(params, real, seeds, d, record_frames=False)
    per_seed, samples = [], []
    for r in range(len(seeds)):
        x, metrics = score(training.generator_weights(trained.ema_generator, r), params)
        diverged = not np.all(np.isfinite(trained.losses[:, r])) or not np.all(np.isfinite(x))
        if diverged:
            metrics = {"w1": float("nan")}
        per_seed.append({**metrics, "nan": float(diverged)})
        samples.append(x)
    return Robustness(seeds, per_seed, np.stack(samples))
