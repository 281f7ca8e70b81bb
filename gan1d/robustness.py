"""How often does the recipe work? Train it on many seeds side by side and score every seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan1d import data, training
from gan1d.config import Params
from gan1d.distributions import Mixture, histogram_edges, noise_grid
from gan1d.inference import generate
from gan1d.metrics import SUCCESS_W1, summarize


@dataclass
class Robustness:
    seeds: list[int]
    per_seed: list[dict[str, float]]  # summarize() of each seed, plus "nan" (1 if training diverged)
    samples: np.ndarray  # (R, n_points) generated samples of each seed

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
    target = Mixture.from_config(params.target)
    edges = histogram_edges(params.noise, params.evaluate.bins)
    z = noise_grid(params.noise, params.evaluate.n_points)
    per_seed, samples = [], []
    for r in range(len(seeds)):
        x = generate(training.generator_weights(trained.ema_generator, r), z, params.scaling)
        diverged = not np.all(np.isfinite(trained.losses[:, r])) or not np.all(np.isfinite(x))
        metrics = summarize(x, target, edges) if not diverged else {"w1": float("nan")}
        per_seed.append({**metrics, "nan": float(diverged)})
        samples.append(x)
    return Robustness(seeds, per_seed, np.stack(samples))
