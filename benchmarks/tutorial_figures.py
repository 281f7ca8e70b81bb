"""Every figure and number of docs/tutorial.md, regenerated into docs/figures/.

    python benchmarks/tutorial_figures.py             # everything: 2-4 minutes on two busy cores
    python benchmarks/tutorial_figures.py --no-train  # only the figures that need no training

Headless (matplotlib's Agg) and deterministic: the same code and params give the same PNG and JSON bytes.
What it makes (docs/figures/):

- ``generator_losses.png``: the minimax and the non-saturating generator loss, and their gradients with
  respect to the logit of D(G(z)) (no training).
- ``classic_w1_per_seed.png``, ``classic_densities.png``: the `robustness` stage's two pictures for preset
  `classic` (seeds 1-20), made by the stage's own code (``gan1d.robustness.run`` and
  ``gan1d.render.render_seeds``), so they are the bytes that `gan1d preset classic && dvc repro` writes to
  data/robustness/.
- ``classic_final.png``: data/render/final.png of the classic run (seed 42): the stages `sample`, `pretrain`,
  `train` and `evaluate` run as dvc.yaml runs them (its commands, with the outputs in a temporary folder),
  then the `render` stage's ``render_final``.
- ``quality.png``: quality over training (W1 at every frame, the `train` stage's dvclive file
  ``quality/w1.tsv``) of that classic run and of the default run whose curve is committed at ``HEAD`` (the
  `train` stage of `dvc repro` on the default params.yaml).
- ``steps_w1.png``: every seed's W1 at each step of the tutorial (``STEPS``: preset `classic`, then each
  step's changes on top of the ones before), at the classic length (1,200 steps of batch 12), seeds 1-20.
- ``step3_densities.png``: the `robustness` stage's densities picture after step 3.
- ``numbers.json``: every number the tutorial quotes from these runs: each step's and each side run's
  `robustness` summary (``SIDE``: one change to a step, to see what a part of it is worth), the classic
  seed-42 run's `evaluate` metrics and the two quality curves' first, last and lowest points.

The fourth step (the longer training of the default recipe, 30,000 steps of batch 128, 21 runs) is not
trained here: the tutorial quotes its numbers from docs/results.md. ``GAN1D_WORKERS`` sets the worker
processes of the seed runs, as for the `robustness` stage.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from gan1d.config import load_params, parse_params, to_dict

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "docs" / "figures"
DVC_YAML = ROOT / "dvc.yaml"
FIGURES = (
    "generator_losses.png",
    "classic_w1_per_seed.png",
    "classic_densities.png",
    "classic_final.png",
    "quality.png",
    "steps_w1.png",
    "step3_densities.png",
)
DEFAULT_QUALITY = "data/train/live/plots/metrics/quality/w1.tsv"  # the default run's curve, as committed


def adam(learning_rate: float) -> dict:
    return {
        "name": "adam",
        "learning_rate": learning_rate,
        "schedule": "cosine",
        "decay_rate": 1.0,
        "decay_steps": 1,
        "beta1": 0.5,
        "beta2": 0.99,
        "epsilon": 1.0e-7,  # Keras's own
    }


# The tutorial's steps: (name, label, the params each sets on top of the steps before it). The names are the
# experiment names of docs/tutorial.md (`dvc exp run -n NAME -S KEY=VALUE ...`); tests/test_tutorial.py checks
# that its commands set exactly these keys and values, and that preset `classic` plus every step is preset
# `default`.
STEPS: list[tuple[str, str, dict]] = [
    ("classic", "0: classic", {}),
    ("scaled", "1: scaled\ncoordinates", {"model.scale_inputs": True}),
    (
        "adam-r1",
        "2: two-time-scale\nAdam + R1",
        {
            "train.use_pretrained": False,
            "train.d_optimizer": adam(0.016),
            "train.g_optimizer": adam(0.008),
            "train.penalty": "r1",
            "train.r1_gamma": 0.4,  # standardised units: 0.1 per unit of x on N(4, 0.5)
        },
    ),
    (
        "tanh-strata",
        "3: tanh steps,\nstratified, ranks",
        {
            "model.g_activation": "tanh",
            "model.hidden_per_mode": 2,
            "model.bias_stddev": 1.0,
            "model.g_steepness": 2.0,
            "model.g_kinks": "uniform",
            "train.stratify": True,
            "model.rank": True,
            "train.rank_until": 1.0,
        },
    ),
    (
        "longer",
        "4: longer",
        {
            "train.steps": 30000,
            "train.batch": 128,
            "train.ema": 0.9997,
            "train.log_every": 150,
            "train.loss_every": 20,
        },
    ),
    (
        "normal",
        "5: normal noise,\nblurred D",
        {
            "noise.distribution": "normal",
            "train.instance_noise": 0.1,
            "train.instance_noise_until": 1.0,
        },
    ),
    (
        "monotone",
        "6: a G that\ncannot fold",
        {
            "model.g_monotone": True,
            "model.hidden_per_mode": 3,
            "model.d_hidden": 12,
            "train.instance_noise": 0.05,
        },
    ),
    ("light-r1", "7: a lighter R1,\nfading", {"train.r1_gamma": 0.01, "train.r1_fade_to": 0.3}),
    ("closest-frame", "8: the frame closest\nto the data", {"train.select_from": 0.5}),
    (
        "r1-firm-start",
        "9: R1 light after\na firm start",
        {"train.r1_gamma": 0.002, "train.r1_fade_to": 0.5, "train.r1_fade_until": 0.1},
    ),
    ("blur-cut", "10: D's blur cut\nat 70% of the run", {"train.instance_noise_cut": 0.7}),
]
TRAINED_STEPS = 4  # steps 0-3 are trained here (the classic length); steps 4-10 run at the default's length

# Side runs: (name, the step it changes, the changes). Each is that step's params with these changes.
SIDE: list[tuple[str, str, dict]] = [
    ("classic, loss: minimax", "classic", {"train.loss": "minimax"}),
    ("adam-r1 without R1", "adam-r1", {"train.penalty": "none"}),
    (
        "tanh-strata, only the generator",
        "tanh-strata",
        {"train.stratify": False, "model.rank": False, "train.rank_until": 0.0},
    ),
    (
        "tanh-strata, only the batches",
        "tanh-strata",
        {
            "model.g_activation": "softplus",
            "model.hidden_per_mode": 0,
            "model.bias_stddev": 0.0,
            "model.g_steepness": 1.0,
            "model.g_kinks": "random",
        },
    ),
    ("tanh-strata, loss: minimax", "tanh-strata", {"train.loss": "minimax"}),
]


def apply(raw: dict, changes: dict) -> dict:
    """``raw`` with every dotted key of ``changes`` set (a new dict; ``raw`` is left as it is)."""
    raw = copy.deepcopy(raw)
    for key, value in changes.items():
        *path, last = key.split(".")
        section = raw
        for part in path:
            section = section[part]
        if last not in section:
            raise KeyError(f"{key}: no such param")
        section[last] = copy.deepcopy(value)
    return raw


def step_params() -> dict[str, dict]:
    """Each step's whole params (as a dict): preset `classic`, then every step's changes in order."""
    raw = to_dict(load_params(ROOT / "presets" / "classic.yaml"))
    out = {}
    for name, _, changes in STEPS:
        raw = apply(raw, changes)
        out[name] = raw
    return out


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", metadata={"Software": None})  # no version text: the same bytes everywhere
    _wrote(path)


def _wrote(path: Path) -> None:
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)


def generator_losses(path: Path) -> None:
    """Left: both generator losses against the logit l of D(G(z)); right: |dL/dl| against D(G(z))."""
    logit = np.linspace(-8.0, 8.0, 801)
    minimax = -np.logaddexp(0.0, logit)  # log(1 - sigmoid(l)) = -softplus(l)
    non_saturating = np.logaddexp(0.0, -logit)  # -log(sigmoid(l)) = softplus(-l)
    fig = Figure(figsize=(11.0, 4.2), dpi=100)
    ax = fig.add_subplot(1, 2, 1)
    ax.axvspan(logit[0], 0.0, color="0.92", lw=0)
    ax.plot(logit, minimax, color="C3", label="minimax: log(1 - D(G(z)))")
    ax.plot(logit, non_saturating, color="C0", label="non-saturating: -log D(G(z))")
    ax.set_xlim(logit[0], logit[-1])
    ax.set_xlabel("logit of D(G(z))  (D(G(z)) = sigmoid(logit))")
    ax.set_ylabel("generator loss (G minimises it)")
    ax.set_title("The two generator losses")
    ax.text(-7.6, -4.5, "D rejects G's samples\n(D(G(z)) < 1/2)", fontsize=8, va="top")
    top = ax.secondary_xaxis("top", functions=(lambda v: v, lambda v: v))
    levels = np.array([0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999])
    top.set_xticks(np.log(levels / (1 - levels)), [f"{q:g}" for q in levels], fontsize=7)
    top.set_xlabel("D(G(z))", fontsize=8)
    ax.set_title("The two generator losses", pad=28)
    ax.legend(loc="upper right", fontsize=8)

    ax = fig.add_subplot(1, 2, 2)
    p = np.logspace(-4, np.log10(0.99), 801)
    ax.axvspan(p[0], 0.5, color="0.92", lw=0)
    ax.plot(p, p, color="C3", label="minimax: |dL/dlogit| = D(G(z))")
    ax.plot(p, 1.0 - p, color="C0", label="non-saturating: |dL/dlogit| = 1 - D(G(z))")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(p[0], p[-1])
    ax.set_ylim(1e-4, 2.0)
    ax.set_xlabel("D(G(z)), log scale (left: G is losing)")
    ax.set_ylabel("|gradient| with respect to the logit")
    ax.set_title("Their gradients: the minimax one vanishes as D(G(z)) -> 0", pad=28)
    q = 0.01
    ax.plot([q, q], [q, 1 - q], "o", color="0.3", ms=4)
    ax.text(q * 1.3, q, f"D(G(z)) = {q:g}: {q:g}", fontsize=8, va="top")
    ax.text(q * 1.3, 1 - q, f"{1 - q:g}", fontsize=8, va="top")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def _stage_commands(tmp: Path, params_file: Path, names: list[str]) -> list[str]:
    """dvc.yaml's commands of ``names``, with every data/ output and input under ``tmp`` and ``params_file``."""
    stages = yaml.safe_load(DVC_YAML.read_text())["stages"]
    out = []
    for name in names:
        cmd = " ".join(stages[name]["cmd"].split()).replace(" data/", f" {tmp}/data/")
        out.append(f"{cmd} --params {params_file}")
    return out


def pipeline_run(raw: dict, tmp: Path) -> tuple[dict, Path]:
    """The pipeline of params ``raw`` (seed 42 in the tutorial) as dvc.yaml runs it, up to `evaluate`, with its
    outputs under ``tmp``: the evaluate metrics and the `train` stage's output folder."""
    params_file = tmp / "params.yaml"
    params_file.write_text(yaml.safe_dump(raw, sort_keys=False))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for cmd in _stage_commands(tmp, params_file, ["sample", "pretrain", "train", "evaluate"]):
        for rel in cmd.split():
            if rel.startswith(f"{tmp}/data/"):
                Path(rel).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, shell=True, cwd=ROOT, env=env, check=True)
    metrics = json.loads((tmp / "data" / "evaluate" / "metrics.json").read_text())
    return metrics, tmp / "data" / "train"


def quality_figure(classic_tsv: Path, path: Path, success_w1: float) -> dict:
    """Quality over training of the classic run and of the committed default run; returns the numbers it shows."""

    def read(text: str) -> tuple[np.ndarray, np.ndarray]:
        rows = [line.split("\t") for line in text.strip().splitlines()[1:]]
        return np.array([float(r[0]) for r in rows]), np.array([float(r[1]) for r in rows])

    committed = subprocess.run(
        ["git", "show", f"HEAD:{DEFAULT_QUALITY}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    fig = Figure(figsize=(7.0, 4.0), dpi=100)
    ax = fig.add_subplot()
    numbers = {}
    for name, text, label, color in (
        ("classic", classic_tsv.read_text(), "classic (1,200 steps of batch 12)", "C3"),
        ("default", committed, "default (30,000 steps of batch 128)", "C0"),
    ):
        step, w1 = read(text)
        below = step[w1 < success_w1]
        numbers[name] = {
            "first_step": int(step[0]),
            "first_w1": float(w1[0]),
            "last_step": int(step[-1]),
            "last_w1": float(w1[-1]),
            "lowest_w1": float(w1.min()),
            "first_step_below_success": int(below[0]) if len(below) else None,
        }
        ax.plot(step, w1, color=color, label=f"{label}: last W1 {w1[-1]:.4g}")
    ax.axhline(success_w1, color="k", ls="--", lw=1, label=f"success: W1 < {success_w1:g} (0.1 target std)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training step (log scale)")
    ax.set_ylabel("W1 to N(4, 0.5) (log scale)")
    ax.set_title("Quality over training, seed 42 (quality/w1 of `dvc plots show`)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    return numbers


def steps_figure(rows: dict[str, list[dict]], path: Path) -> None:
    """Every seed's W1 (in target stds) at each trained step; green: the seed succeeds."""
    fig = Figure(figsize=(8.0, 4.4), dpi=100)
    ax = fig.add_subplot()
    names = [name for name, _, _ in STEPS[:TRAINED_STEPS]]
    for i, name in enumerate(names):
        w1 = np.array([r.get("w1_std", np.nan) for r in rows[name]])
        ok = np.array([r.get("success", 0.0) == 1.0 for r in rows[name]])
        x = i + np.linspace(-0.25, 0.25, len(w1))  # the seeds in order, left to right
        ax.scatter(x, w1, s=14, c=np.where(ok, "C2", "C3"), zorder=3)
        ax.text(i, 60.0, f"{int(ok.sum())}/{len(ok)} succeed", ha="center", fontsize=8)
    ax.axhline(0.1, color="k", ls="--", lw=1, label="success: W1 < 0.1 target std")
    ax.set_yscale("log")
    ax.set_ylim(0.01, 120.0)
    ax.set_xticks(range(len(names)), [label for _, label, _ in STEPS[:TRAINED_STEPS]], fontsize=8)
    ax.set_ylabel("W1 / target std (log scale)")
    ax.set_title("Each step on N(4, 0.5): seeds 1-20, 1,200 steps of batch 12 (green: success)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-train", action="store_true", help="only the figures that need no training")
    ap.add_argument("--out", type=Path, default=OUT, help="the folder to write into (default docs/figures/)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    generator_losses(args.out / "generator_losses.png")
    if args.no_train:
        return

    from gan1d import robustness, runtime, targets
    from gan1d.metrics import success_w1
    from gan1d.render import render_final, render_seeds

    rt = runtime.from_environ()
    raws = step_params()
    numbers: dict = {"steps": {}, "side": {}}
    rows: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="gan1d-tutorial-") as tmp:
        tmp = Path(tmp)
        for name, _, _ in STEPS[:TRAINED_STEPS]:
            params = parse_params(raws[name])
            result = robustness.run(params, rt)
            rows[name] = result.per_seed
            numbers["steps"][name] = result.summary()
            print(f"{name}: {json.dumps(numbers['steps'][name])}", flush=True)
            pictures = {
                "classic": ("classic_w1_per_seed.png", "classic_densities.png"),
                "tanh-strata": (None, "step3_densities.png"),
            }.get(name)
            if pictures:
                w1_path = args.out / pictures[0] if pictures[0] else tmp / "w1.png"
                render_seeds(
                    result.samples,
                    result.seeds,
                    result.per_seed,
                    targets.of(params),
                    params.window,
                    params.render,
                    w1_path,
                    args.out / pictures[1],
                )
                for picture in pictures:
                    if picture:
                        _wrote(args.out / picture)
        for label, base, changes in SIDE:
            numbers["side"][label] = robustness.run(parse_params(apply(raws[base], changes)), rt).summary()
            print(f"{label}: {json.dumps(numbers['side'][label])}", flush=True)

        from gan1d import frames

        metrics, train_dir = pipeline_run(raws["classic"], tmp)
        numbers["classic_seed_42"] = metrics
        classic = parse_params(raws["classic"])
        render_final(frames.read(train_dir / "frames.parquet"), classic.render, args.out / "classic_final.png")
        _wrote(args.out / "classic_final.png")
        curve = train_dir / "live" / "plots" / "metrics" / "quality" / "w1.tsv"
        numbers["quality_seed_42"] = quality_figure(curve, args.out / "quality.png", success_w1(targets.of(classic)))
    steps_figure(rows, args.out / "steps_w1.png")
    (args.out / "numbers.json").write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    _wrote(args.out / "numbers.json")


if __name__ == "__main__":
    main()
