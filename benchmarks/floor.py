"""The architecture floor: how close can G get to each suite target at all?

    python benchmarks/floor.py [--restarts 20]

Fits G = center + spread * (Dense(1) . act . Dense(width))(z / range), the generator of
params.yaml (the width it gets for that target, act = ``model.g_activation``, scaled inputs),
straight to each target's quantile function: at the stratified evaluation grid z_i, G(z_i)
should be F^-1(u_i), u_i the grid's quantile levels. Least squares from ``restarts`` random
starts with L-BFGS (SciPy), refined on a smoothed mean absolute error (W1 itself for a monotone
G), then the best W1 of the fitted G's sorted outputs, the same score the robustness protocol
uses. No GAN is involved: what remains is the price of the architecture, the lower bound for
every recipe. Prints a Markdown table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gan1d import datafile
from gan1d.config import load_params, parse_params, to_dict
from gan1d.distributions import noise_grid, rng
from gan1d.inference import ACTIVATIONS
from gan1d.metrics import wasserstein1
from gan1d.targets import Empirical, Mixture

import numpy as np
import yaml
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]


def fit(target: Mixture | Empirical, hidden: int, activation: str, u: np.ndarray, restarts: int, seed: int) -> float:
    """The best W1 (in target std units) of G fitted to ``target``'s quantiles at levels ``u``."""
    z = 2.0 * u - 1.0  # the stratified grid, divided by the noise range (scaled inputs)
    goal = (target.ppf(u) - target.mean) / target.std  # standardised quantiles: G's net output
    act = ACTIVATIONS[activation]

    def net(theta: np.ndarray) -> np.ndarray:
        k0, b0, k1 = theta[:hidden], theta[hidden : 2 * hidden], theta[2 * hidden : 3 * hidden]
        return act(np.outer(z, k0) + b0) @ k1 + theta[-1]

    def loss(theta: np.ndarray) -> float:
        return float(np.mean((net(theta) - goal) ** 2))

    def l1(theta: np.ndarray) -> float:
        return float(np.mean(np.sqrt((net(theta) - goal) ** 2 + 1e-10)))

    best = np.inf
    gen = rng(seed, "floor")
    for _ in range(restarts):
        start = gen.normal(0.0, 1.0, 3 * hidden + 1)
        start[:hidden] *= 10.0  # steep kinks (steps) are where mixtures need them
        theta = optimize.minimize(loss, start, method="L-BFGS-B", options={"maxiter": 5000}).x
        theta = optimize.minimize(l1, theta, method="L-BFGS-B", options={"maxiter": 5000}).x
        x = target.mean + target.std * net(theta)
        best = min(best, wasserstein1(x, target) / target.std)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--restarts", type=int, default=20)
    args = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    suite = yaml.safe_load((ROOT / "targets" / "suite.yaml").read_text())
    n = params.evaluate.n_points
    u = (noise_grid(params.noise, n) + params.noise.range) / (2 * params.noise.range)
    floors, widths = {}, {}
    act = params.model.g_activation
    print(f"| target | G's {act} units | floor: W1 / std (G fitted to the quantile function) |")
    print("|---|---|---|")
    for name, raw in suite.items():
        p = parse_params({**to_dict(params), "target": raw})
        if p.target.data is not None:  # a data set: G fitted to its training part's empirical quantile function
            train, heldout = datafile.load(p)
            p, target = datafile.resolve(p, train, heldout), Empirical.of(train)
        else:
            target = Mixture.from_config(p.target)
        widths[name] = p.g_model.hidden  # the width training would give G
        floors[name] = round(fit(target, widths[name], act, u, args.restarts, params.seed), 4)
        print(f"| {name} | {widths[name]} | {floors[name]} |", flush=True)
    print(json.dumps({"hidden": widths, "g_activation": act, "floor_w1_std": floors}))


if __name__ == "__main__":
    main()
