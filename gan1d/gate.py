"""The CI metrics gate: compare `dvc metrics diff --json` against thresholds from params.yaml."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass

from gan1d.config import Gate
from gan1d.errors import Gan1dError

# metric name in the metrics files -> (Gate field, True if lower is better)
CHECKS = {"w1": ("w1", True), "ks": ("ks", True), "success_rate": ("success_rate", False)}


class GateFailed(Gan1dError):
    exit_code = 1


@dataclass(frozen=True)
class Row:
    path: str
    metric: str
    old: float | None
    new: float | None
    allowed: float
    ok: bool


def metrics_diff(base: str) -> dict:
    """`dvc metrics diff --json BASE` (the workspace against BASE), parsed."""
    proc = subprocess.run(["dvc", "metrics", "diff", "--json", base], capture_output=True, text=True)
    if proc.returncode != 0:
        raise Gan1dError(f"dvc metrics diff {base} failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return json.loads(proc.stdout or "{}")


def evaluate(diff: dict, gate: Gate) -> list[Row]:
    """One row per gated metric found in ``diff``; ``ok`` is False where it worsened past its limit."""
    rows = []
    for path, metrics in sorted(diff.items()):
        for metric, change in sorted(metrics.items()):
            if metric not in CHECKS:
                continue
            field, lower_is_better = CHECKS[metric]
            allowed = getattr(gate, field)
            old, new = change.get("old"), change.get("new")
            if old is None or new is None:
                ok = new is not None  # a metric that vanished is a regression; a new one is not
            else:
                worse = (new - old) if lower_is_better else (old - new)
                ok = math.isfinite(new) and worse <= allowed + 1e-12
            rows.append(Row(path, metric, old, new, allowed, ok))
    return rows


def table(rows: list[Row]) -> str:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.6g}"

    lines = [f"{'metric':<44} {'base':>10} {'now':>10} {'allowed':>9}  verdict"]
    for r in rows:
        lines.append(f"{r.path + ':' + r.metric:<44} {fmt(r.old):>10} {fmt(r.new):>10} {r.allowed:>9.4g}  "
                     f"{'ok' if r.ok else 'REGRESSION'}")
    return "\n".join(lines)


def run_gate(base: str, gate: Gate) -> None:
    rows = evaluate(metrics_diff(base), gate)
    print(table(rows) if rows else f"gate: no gated metric changed against {base}")
    bad = [f"{r.metric} ({r.path})" for r in rows if not r.ok]
    if bad:
        raise GateFailed(f"gate: {', '.join(bad)} regressed against {base} beyond params.yaml gate limits")
    print(f"gate: passed against {base}")
