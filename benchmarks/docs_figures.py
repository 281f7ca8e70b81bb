"""Every picture in docs/, regenerated from the current code and the default params.yaml.

    dvc repro                                  # the default run, whose outputs the pictures show
    python benchmarks/docs_figures.py          # everything: about 2 minutes on two cores
    python benchmarks/docs_figures.py --no-train   # only what needs no training run

What it writes:

- ``docs/final.png``: the default run's final state, data/render/final.png as `dvc repro` wrote it
  (the script refuses when `dvc status` says the outputs are not those of the code and params).
- ``docs/plots.png``: `dvc plots show` of the default run, photographed by headless Chromium with no
  network, as tests/test_plots_browser.py does (needs a ``chromium`` binary: apt-get install chromium).
- ``docs/three.png``: the default recipe on suite target ``three`` (seed 42): the stages `sample`,
  `pretrain`, `train` and `evaluate` as dvc.yaml runs them, in a temporary folder, then `render`'s
  ``render_final``; its evaluate metrics are printed, for the text beside the picture in docs/results.md.
- ``docs/figures/``: every figure and number of the tutorial (``benchmarks/tutorial_figures.py``; with
  ``--no-train`` only its figures that need no training).

Headless (Agg) and deterministic: the same code and params give the same PNG bytes, except the Chromium
screenshot, whose pixels depend on the browser's version and fonts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gan1d.plots_page import CHROMIUM_NAMES, CHROMIUM_OFFLINE

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import tutorial_figures  # noqa: E402  (benchmarks/ is not a package)

DOCS = ROOT / "docs"


def _dvc(*args: str) -> str:
    dvc = Path(sys.executable).parent / "dvc"
    return subprocess.run([str(dvc), *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def final(out: Path) -> None:
    """Copy the default run's data/render/final.png, once `dvc status` says the outputs are current."""
    status = _dvc("status", "--json")
    if json.loads(status or "{}"):
        sys.exit(f"error: `dvc status` lists changed stages: run `dvc repro` first\n{status}")
    shutil.copyfile(ROOT / "data" / "render" / "final.png", out)
    tutorial_figures._wrote(out)


def plots(out: Path) -> None:
    """`dvc plots show` of the work tree's run, screenshot by headless Chromium with no network."""
    browser = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    if browser is None:
        sys.exit("error: docs/plots.png needs a chromium binary on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="gan1d-plots-") as tmp:
        page = Path(tmp) / "plots" / "index.html"
        _dvc("plots", "show", "-o", str(page.parent))
        subprocess.run(
            [browser, *CHROMIUM_OFFLINE, f"--screenshot={out}", page.as_uri()],
            check=True,
            capture_output=True,
            timeout=180,
        )
    tutorial_figures._wrote(out)


def three(out: Path) -> None:
    """The default recipe on suite target ``three``, seed 42: its final state, and its metrics printed."""
    from gan1d import frames
    from gan1d.cli import suite
    from gan1d.config import parse_params
    from gan1d.render import render_final

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["target"] = suite(ROOT / "targets" / "suite.yaml")["three"]
    with tempfile.TemporaryDirectory(prefix="gan1d-three-") as tmp:
        metrics, train_dir = tutorial_figures.pipeline_run(raw, Path(tmp))
        render_final(frames.read(train_dir / "frames.parquet"), parse_params(raw).render, out)
    print(f"three, seed 42: {json.dumps(metrics, sort_keys=True)}", flush=True)
    tutorial_figures._wrote(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-train", action="store_true", help="only the pictures that need no training run")
    args = ap.parse_args()
    final(DOCS / "final.png")
    plots(DOCS / "plots.png")
    if not args.no_train:
        three(DOCS / "three.png")
    tutorial_figures.main(["--no-train"] if args.no_train else [])


if __name__ == "__main__":
    main()
