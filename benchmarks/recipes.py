"""Success rate of each recipe: the robustness protocol on the presets and the loss choices.

    python benchmarks/recipes.py [--count 20]

Each row trains ``count`` seeds (robustness.first_seed on) side by side and scores every seed
by W1 on a 10,000-point stratified grid (success: W1 < 0.05). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan1d import robustness  # noqa: E402
from gan1d.config import load_params, parse_params, to_dict  # noqa: E402


def variant(preset: str, count: int, **changes: dict) -> object:
    raw = to_dict(load_params(ROOT / "presets" / f"{preset}.yaml"))
    for section, values in changes.items():
        raw[section].update(values)
    raw["robustness"]["count"] = count
    return parse_params(raw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20)
    args = ap.parse_args()
    n = args.count
    rows = [
        ("default (non-saturating + R1)", variant("default", n)),
        ("default, loss: minimax", variant("default", n, train={"loss": "minimax"})),
        ("default, loss: least_squares", variant("default", n, train={"loss": "least_squares"})),
        ("default, loss: wasserstein (GP)", variant("default", n, train={"loss": "wasserstein", "penalty": "none"})),
        ("default, penalty: none", variant("default", n, train={"penalty": "none"})),
        ("classic", variant("classic", n)),
        ("classic, minibatch", variant("classic", n, model={"minibatch": True})),
    ]
    print(f"| recipe ({n} seeds) | success (W1 < 0.05) | median W1 | worst W1 | NaN | seconds |")
    print("|---|---|---|---|---|---|")
    for name, params in rows:
        start = time.perf_counter()
        s = robustness.run(params).summary()
        print(f"| {name} | {s['success_rate']:.0%} | {s['median_w1']} | {s['worst_w1']} | {s['nan_count']} "
              f"| {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
