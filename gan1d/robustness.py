"""How often does the recipe work? Train it on many seeds side by side and score every seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from gan1d import data, training
from gan1d.config import Params
from gan1d.inference import score


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
        """Success rate (W1 < 0.1 target std with every mode covered), W1 quantiles, coverage, NaN count.

        A diverged seed fails and counts as the worst W1 (the medians and worst become null past half).
        """
        def column(key: str) -> np.ndarray:
            return np.array([m.get(key, np.nan) for m in self.per_seed], np.float64)

        def rounded(value: float) -> float | None:
            return round(float(value), 6) if np.isfinite(value) else None

        # a diverged seed has no metrics: it counts as the worst
        w1, w1_std, mass_error = (np.where(np.isfinite(v), v, np.inf) for v in map(column, ("w1", "w1_std", "mass_error")))
        covered = column("modes_covered") == column("modes")
        return {
            "seeds": len(self.seeds),
            "success_rate": round(float(np.mean(column("success") == 1.0)), 6),
            "all_modes_rate": round(float(np.mean(covered)), 6),
            "median_w1": rounded(np.median(w1)),
            "median_w1_std": rounded(np.median(w1_std)),
            "worst_w1": rounded(np.max(w1)),
            "worst_mass_error": rounded(np.max(mass_error)),
            "nan_count": int(sum(m["nan"] for m in self.per_seed)),
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
