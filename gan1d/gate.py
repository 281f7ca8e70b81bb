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
    """One metric of a ``dvc metrics diff``; ``allowed`` and ``ok`` are None for a metric the gate ignores."""

    path: str
    metric: str
    old: float | None
    new: float | None
    allowed: float | None
    ok: bool | None

    @property
    def gated(self) -> bool:
        return self.ok is not None


def metrics_diff(base: str, all_metrics: bool = False) -> dict:
    """`dvc metrics diff --json BASE` (the workspace against BASE), parsed; ``all_metrics`` adds unchanged ones."""
    cmd = ["dvc", "metrics", "diff", "--json", *(["--all"] if all_metrics else []), base]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Gan1dError(f"dvc metrics diff {base} failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return json.loads(proc.stdout or "{}")


def verdict(metric: str, old: object, new: object, gate: Gate) -> tuple[float | None, bool | None]:
    """(allowed worsening, ok) of one metric change; (None, None) where ``metric`` is not gated.

    A gated metric that vanished is a regression, a new one is not; a non-finite new value is one.
    """
    if metric not in CHECKS:
        return None, None
    field, lower_is_better = CHECKS[metric]
    allowed = getattr(gate, field)
    if old is None or new is None:
        return allowed, new is not None
    worse = (new - old) if lower_is_better else (old - new)
    return allowed, math.isfinite(new) and worse <= allowed + 1e-12


def compare(diff: dict, gate: Gate) -> list[Row]:
    """One row per metric in ``diff`` (sorted by file, then metric), with the gate's verdict where it applies."""
    rows = []
    for path, metrics in sorted(diff.items()):
        for metric, change in sorted(metrics.items()):
            old, new = change.get("old"), change.get("new")
            allowed, ok = verdict(metric, old, new, gate)
            rows.append(Row(path, metric, old, new, allowed, ok))
    return rows


def evaluate(diff: dict, gate: Gate) -> list[Row]:
    """The gated rows of :func:`compare`; ``ok`` is False where a metric worsened past its limit."""
    return [r for r in compare(diff, gate) if r.gated]


def failures(rows: list[Row]) -> list[str]:
    """``metric (path)`` of every row the gate fails."""
    return [f"{r.metric} ({r.path})" for r in rows if r.ok is False]


def table(rows: list[Row]) -> str:
    """The gated ``rows`` as a fixed-width text table."""

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.6g}"

    lines = [f"{'metric':<44} {'base':>10} {'now':>10} {'allowed':>9}  verdict"]
    for r in rows:
        lines.append(
            f"{r.path + ':' + r.metric:<44} {fmt(r.old):>10} {fmt(r.new):>10} {r.allowed:>9.4g}  "
            f"{'ok' if r.ok else 'REGRESSION'}"
        )
    return "\n".join(lines)


def run_gate(base: str, gate: Gate) -> None:
    """Print the gated metrics against ``base``; raise GateFailed (exit 1) if one regressed past its limit."""
    rows = evaluate(metrics_diff(base), gate)
    print(table(rows) if rows else f"gate: no gated metric changed against {base}")
    bad = failures(rows)
    if bad:
        raise GateFailed(f"gate: {', '.join(bad)} regressed against {base} beyond params.yaml gate limits")
    print(f"gate: passed against {base}")
