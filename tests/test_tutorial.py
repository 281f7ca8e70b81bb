"""docs/tutorial.md stays true: its commands run, its pictures exist, its steps and numbers are the measured ones.

Fast tests (no TensorFlow, no DVC): every ```bash block of the tutorial parses (``bash -n``); every picture it
shows from docs/figures/ exists and is one that benchmarks/tutorial_figures.py makes; the `dvc exp run -n NAME
-S ...` command of each step sets exactly the changes of that step in the script's ``STEPS`` (the recipes its
numbers were measured with), and preset `classic` plus every step is preset `default`; the numbers of the
tutorial's table are those of docs/figures/numbers.json; the loss figure is what the script draws now.

The slow test runs every command of the tutorial's ```bash blocks, in order, in a throwaway git+DVC repository
(``conftest.make_repo`` with the default params.yaml, committed, as a fresh clone has it). It differs from the
tutorial only in size, to stay fast (each DVC run costs mostly TensorFlow's start-up, not its steps):

- before every `dvc repro` and `dvc exp run`, params.yaml is capped: ``train.steps`` at ``STEPS_CAP`` (the
  classic 1,200 become 200), ``pretrain.steps`` at ``PRETRAIN_CAP`` and ``robustness.count`` (20 seeds) at
  ``SEEDS_CAP``;
- ``-S train.steps=30000`` in a command becomes ``-S train.steps=<STEPS_CAP>``, the same cap.

What it checks besides every command's exit status 0: just before `gan1d preset default`, the params the
experiments left in the workspace are preset `default`'s (up to the caps), and the `dvc repro` after it then
has nothing to run. It takes about 4-6 minutes on two busy cores: each of its ten pipeline runs (preset
`classic`, then one per step) costs 25-32 s whatever the step count (TensorFlow's start-up and compilation in
`pretrain`, `train` and `robustness`, the MP4 of `render`); `pytest -s` prints every command's seconds.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from gan1d.config import parse_params, to_dict

import pytest
import yaml

from conftest import ROOT, default_raw, make_repo, run_env

TUTORIAL = ROOT / "docs" / "tutorial.md"
FIGURES = ROOT / "docs" / "figures"
STEPS_CAP = 200
PRETRAIN_CAP = 50
SEEDS_CAP = 2

BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def script():
    """benchmarks/tutorial_figures.py as a module (it imports no TensorFlow until it trains)."""
    spec = importlib.util.spec_from_file_location("tutorial_figures", ROOT / "benchmarks" / "tutorial_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocks() -> list[str]:
    return BLOCK.findall(TUTORIAL.read_text(encoding="utf-8"))


def commands(block: str) -> list[str]:
    """The block's command lines: continuation lines joined, blank lines and comment lines left out."""
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def all_commands() -> list[str]:
    return [cmd for block in blocks() for cmd in commands(block)]


def exp_runs() -> dict[str, dict]:
    """{experiment name: {dotted key: value}} of every `dvc exp run -n NAME -S KEY=VALUE ...` of the tutorial."""
    out = {}
    for cmd in all_commands():
        words = shlex.split(cmd.split("#")[0])
        if words[:3] != ["dvc", "exp", "run"]:
            continue
        assert "-n" in words, f"every experiment of the tutorial is named: {cmd}"
        name = words[words.index("-n") + 1]
        assert name not in out, f"experiment {name} twice"
        changes = {}
        for i, word in enumerate(words):
            if word == "-S":
                key, _, value = words[i + 1].partition("=")
                changes[key] = yaml.safe_load(value)  # a YAML flow mapping reads as DVC's -S reads it
        out[name] = changes
    return out


# Fast: the tutorial against the script and the presets.


def test_every_bash_block_parses():
    assert len(blocks()) >= 5
    for block in blocks():
        proc = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
        assert proc.returncode == 0, f"{block}\n{proc.stderr}"
        for cmd in commands(block):
            shlex.split(cmd.split("#")[0])  # no unbalanced quotes


def test_the_pictures_exist_and_the_script_makes_them():
    shown = {(TUTORIAL.parent / target).resolve() for target in IMAGE.findall(TUTORIAL.read_text(encoding="utf-8"))}
    figures = {p for p in shown if p.parent == FIGURES}
    made = {FIGURES / name for name in script().FIGURES}
    assert figures == made, (
        f"shown, not made: {sorted(map(str, figures - made))}; made, not shown: {sorted(map(str, made - figures))}"
    )
    for path in shown | made:
        assert path.is_file() and path.stat().st_size > 0, f"missing: {path}"
    assert (FIGURES / "numbers.json").is_file()


def test_the_steps_are_the_measured_recipes_and_end_at_the_default():
    module = script()
    runs = exp_runs()
    steps = [(name, changes) for name, _, changes in module.STEPS if changes]
    assert list(runs) == [name for name, _ in steps], "the tutorial runs the script's steps, in order"
    for name, changes in steps:
        assert runs[name] == changes, f"step {name}: the tutorial's -S differ from the script's STEPS"
    default = yaml.safe_load((ROOT / "presets" / "default.yaml").read_text())
    assert module.step_params()[steps[-1][0]] == default, "classic + every step is not preset default"
    cmds = all_commands()
    assert "gan1d preset classic && dvc repro" in cmds
    last_exp = max(i for i, cmd in enumerate(cmds) if cmd.startswith("dvc exp run"))
    assert any(cmd.startswith("gan1d preset default && dvc repro") for cmd in cmds[last_exp:])


def test_the_table_quotes_numbers_json():
    numbers = json.loads((FIGURES / "numbers.json").read_text())
    text = TUTORIAL.read_text(encoding="utf-8")
    for name, summary in numbers["steps"].items():
        row = next((line for line in text.splitlines() if line.startswith("|") and f"`{name}`" in line), None)
        assert row is not None, f"no table row for step {name}"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert f"{summary['success_rate']:.0%}" in cells, (name, cells)
        assert f"{summary['median_w1_std']:.3g}" in cells, (name, cells)
        assert f"{summary['worst_w1_std']:.3g}" in cells, (name, cells)


def test_the_loss_figure_is_current(tmp_path):
    script().generator_losses(tmp_path / "generator_losses.png")
    assert (tmp_path / "generator_losses.png").read_bytes() == (FIGURES / "generator_losses.png").read_bytes(), (
        "docs/figures/generator_losses.png is stale: run python benchmarks/tutorial_figures.py --no-train"
    )


# Slow: every command, in a throwaway repository.


def cap_params(repo: Path) -> None:
    path = repo / "params.yaml"
    # as gan1d reads it: DVC's -S writes 1e-07, which PyYAML alone would read (and write back) as a string
    raw = to_dict(parse_params(yaml.safe_load(path.read_text())))
    train = raw["train"]
    train["steps"] = min(train["steps"], STEPS_CAP)
    train["log_every"] = min(train["log_every"], train["steps"])
    train["loss_every"] = min(train["loss_every"], train["steps"])
    raw["pretrain"]["steps"] = min(raw["pretrain"]["steps"], PRETRAIN_CAP)
    raw["robustness"]["count"] = min(raw["robustness"]["count"], SEEDS_CAP)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def capped(raw: dict) -> dict:
    raw = json.loads(json.dumps(raw))
    raw["train"]["steps"] = min(raw["train"]["steps"], STEPS_CAP)
    raw["pretrain"]["steps"] = min(raw["pretrain"]["steps"], PRETRAIN_CAP)
    raw["robustness"]["count"] = min(raw["robustness"]["count"], SEEDS_CAP)
    return raw


def shell(cmd: str, repo: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", "-c", cmd], cwd=repo, env=run_env(), capture_output=True, text=True)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_the_tutorial_runs(tmp_path):
    repo = make_repo(tmp_path, default_raw())
    default = yaml.safe_load((ROOT / "presets" / "default.yaml").read_text())
    final = None  # the `dvc repro` after `gan1d preset default`
    seconds = []  # (seconds, command): printed at the end (pytest -s shows them)
    for cmd in all_commands():
        cmd = cmd.replace("-S train.steps=30000", f"-S train.steps={STEPS_CAP}")
        if cmd.startswith("gan1d preset default"):
            now = to_dict(parse_params(yaml.safe_load((repo / "params.yaml").read_text())))
            assert now == to_dict(parse_params(capped(default))), "the experiments did not end at preset default"
        for part in (p.strip() for p in cmd.split("&&")):
            if part.startswith(("dvc repro", "dvc exp run")):
                cap_params(repo)
            start = time.perf_counter()
            proc = shell(part, repo)
            seconds.append((time.perf_counter() - start, part))
            if cmd.startswith("gan1d preset default") and part.startswith("dvc repro"):
                final = proc
    assert final is not None
    assert "Running stage" not in final.stdout, f"after the last step, dvc repro still ran stages:\n{final.stdout}"
    shown = json.loads(shell("dvc exp show --json", repo).stdout)
    names = {
        rev.get("name") for entry in shown for exp in entry.get("experiments") or [] for rev in exp.get("revs", [])
    }
    assert set(exp_runs()) <= names
    for took, part in seconds:
        print(f"{took:6.1f} s  {part[:100]}")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
