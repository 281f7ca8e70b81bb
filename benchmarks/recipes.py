"""How often each recipe works on each suite target: the robustness protocol, recipes x targets x seeds.

    python benchmarks/recipes.py [--recipes default,classic,...] [--targets two_far,...]
                                 [--first-seed 1] [--count 20] [--set model.hidden=8 ...]
                                 [--suite targets/beyond.yaml]

``--set KEY=VALUE`` (repeatable, VALUE read as YAML) changes a param of every recipe: the research
variants of docs/research-log.md are the default with such changes. The seeds of each cell run over
``GAN1D_WORKERS`` processes (default: every core), as the `robustness` stage's do.

A recipe is a preset (presets/NAME.yaml); a target is a named target of targets/suite.yaml (or of the file
``--suite`` names: targets/beyond.yaml holds targets that no recipe was tuned on). Each
(recipe, target) cell trains ``count`` seeds side by side in one compiled program (the
`robustness` stage's code) with only `target:` changed, and scores every seed against the exact
target (a data set: its held-out part). Success: W1 < 0.1 x the target's std with every mode covered
(each component's region gets at least half its weight) and every decile covered; for a data set, the
KS test against the held-out part. Columns: fold share (the share of G's noise range on which G runs
against its direction), the tail W1 (outer 2% of each side) and, for data, the training part's own W1
and whether it passes the held-out test itself.
Prints one Markdown row per cell as it finishes, a summary table, and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gan1d import datafile, robustness, runtime
from gan1d.config import load_params, parse_params, to_dict

import yaml

ROOT = Path(__file__).resolve().parents[1]

RECIPES = ("default", "multimodal", "classic", "ns_r1", "wgan_gp", "lsgan", "minimax")


def recipe(name: str, target: dict, first_seed: int, count: int, changes: list[str] = ()):
    raw = to_dict(load_params(ROOT / "presets" / f"{name}.yaml"))
    raw["target"] = target
    raw["robustness"].update(first_seed=first_seed, count=count)
    for change in changes:
        key, _, value = change.partition("=")
        *path, last = key.split(".")
        section = raw
        for part in path:
            section = section[part]
        section[last] = yaml.safe_load(value)
    params = parse_params(raw)
    if params.target.data is not None:  # a data set: its training and held-out parts, as the sample stage splits them
        params = datafile.resolve(params, *datafile.load(params))
    return params


def baseline(summary: dict) -> str:
    """A data target's training part against its held-out part: its W1 / std, and whether it passes the
    held-out test itself (when it does not, the split is an unlucky one: few generators will pass)."""
    if "baseline_w1_std" not in summary:
        return "-"
    return f"{summary['baseline_w1_std']}, {'passes' if summary['baseline_success'] else 'fails'}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=ROOT / "targets" / "suite.yaml", help="the named targets")
    ap.add_argument("--recipes", default=",".join(RECIPES))
    ap.add_argument("--targets", help="names of --suite's targets (default: all of them)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a param of every recipe")
    args = ap.parse_args()
    suite = yaml.safe_load(args.suite.read_text())
    args.targets = args.targets or ",".join(suite)
    rt = runtime.from_environ()
    cells = []
    print(
        "| recipe | target | success | all modes | median W1 / std | worst W1 / std | median fold | worst fold | "
        "median tail W1 / std | training part itself (W1 / std, its own test) | NaN | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for name in args.recipes.split(","):
        for target in args.targets.split(","):
            start = time.perf_counter()
            s = robustness.run(recipe(name, suite[target], args.first_seed, args.count, args.set), rt).summary()
            cell = {"recipe": name, "target": target, **s, "seconds": round(time.perf_counter() - start)}
            cells.append(cell)
            print(
                f"| {name} | {target} | {s['success_rate']:.0%} | {s['all_modes_rate']:.0%} | "
                f"{s['median_w1_std']} | {s['worst_w1_std']} | {s['median_fold_share']} | {s['worst_fold_share']} | "
                f"{s.get('median_tail_w1_std', '-')} | {baseline(s)} | {s['nan_count']} | "
                f"{cell['seconds']} |",
                flush=True,
            )
    print()
    targets = list(dict.fromkeys(c["target"] for c in cells))
    print("| recipe | " + " | ".join(targets) + " |")
    print("|---|" + "---|" * len(targets))
    for name in dict.fromkeys(c["recipe"] for c in cells):
        row = {c["target"]: c for c in cells if c["recipe"] == name}
        print(
            f"| {name} | "
            + " | ".join(f"{row[t]['success_rate']:.0%} ({row[t]['median_w1_std']})" for t in targets)
            + " |"
        )
    print(json.dumps({"first_seed": args.first_seed, "count": args.count, "set": args.set, "cells": cells}))


if __name__ == "__main__":
    main()
