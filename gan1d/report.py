"""`gan1d report BASE`: a Markdown report of the workspace against BASE, for a pull-request comment.

It holds the metrics diff with the gate's verdicts (the same :func:`gan1d.gate.compare` the gate uses), the
params diff, and the pictures of :data:`IMAGES`, copied into a folder next to the Markdown so that every link
is relative and exists. The output depends only on its inputs (no timestamps).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from gan1d.config import Gate
from gan1d.errors import Gan1dError
from gan1d.gate import Row, compare, failures, metrics_diff

# (caption, path in the workspace) of every picture in the report, in order; add new plots here
IMAGES: tuple[tuple[str, str], ...] = (
    ("Final state of training: D(x), the real and the generated density", "data/render/final.png"),
)


def params_diff(base: str) -> dict:
    """`dvc params diff --json BASE` (the workspace against BASE), parsed."""
    proc = subprocess.run(["dvc", "params", "diff", "--json", base], capture_output=True, text=True)
    if proc.returncode != 0:
        raise Gan1dError(f"dvc params diff {base} failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return json.loads(proc.stdout or "{}")


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("|", "\\|")


def _change(row: Row) -> str:
    if isinstance(row.old, (int, float)) and isinstance(row.new, (int, float)) and not isinstance(row.old, bool):
        return f"{row.new - row.old:+.4g}"
    return "-"


def metrics_section(rows: list[Row], base: str) -> list[str]:
    """The metrics table and the gate's summary line, as Markdown lines."""
    if not rows:
        return ["No metrics found.", ""]
    lines = ["| file | metric | base | now | change | allowed worsening | gate |", "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        gate = "-" if r.ok is None else ("ok" if r.ok else "**REGRESSION**")
        lines.append(
            f"| `{r.path}` | {r.metric} | {_fmt(r.old)} | {_fmt(r.new)} | {_change(r)} | {_fmt(r.allowed)} | {gate} |"
        )
    bad = failures(rows)
    verdict = f"**failed**: {', '.join(bad)} regressed" if bad else "passed"
    return [*lines, "", f"Gate against `{base}` (limits: `gate` in params.yaml): {verdict}.", ""]


def params_section(diff: dict) -> list[str]:
    """The changed params as a Markdown table."""
    changed = [
        (path, key, c.get("old"), c.get("new"))
        for path, keys in sorted(diff.items())
        for key, c in sorted(keys.items())
    ]
    if not changed:
        return ["No params changed.", ""]
    lines = ["| file | param | base | now |", "|---|---|---|---|"]
    lines += [f"| `{path}` | `{key}` | {_fmt(old)} | {_fmt(new)} |" for path, key, old, new in changed]
    return [*lines, ""]


def images_section(out: Path, images: tuple[tuple[str, str], ...] = IMAGES) -> list[str]:
    """Copy every existing picture of ``images`` into ``<out stem>_images/``; Markdown links relative to ``out``."""
    folder = out.parent / f"{out.stem}_images"
    lines = []
    for caption, src in images:
        path = Path(src)
        if not path.is_file():
            lines += [f"*{caption}: `{src}` is missing (run `dvc repro`).*", ""]
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
        lines += [f"**{caption}**", "", f"![{caption}]({folder.name}/{path.name})", ""]
    return lines


def write_report(base: str, gate: Gate, out: Path) -> Path:
    """Write the Markdown report of the workspace against ``base`` to ``out``; returns ``out``."""
    rows = compare(metrics_diff(base, all_metrics=True), gate)
    lines = [f"# gan1d: this run against `{base}`", "", "## Metrics", ""]
    lines += metrics_section(rows, base)
    lines += ["## Params", ""] + params_section(params_diff(base))
    lines += ["## Pictures", ""] + images_section(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf8")
    return out
