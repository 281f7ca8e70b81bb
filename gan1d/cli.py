"""The `gan1d` command: switch recipe presets, gate CI on metric regressions, and report a run against a base."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan1d.config import load_params
from gan1d.errors import ConfigError, run_main


def preset(name: str, presets: Path, params: Path) -> None:
    """Validate ``presets/NAME.yaml`` and copy it over ``params``, byte for byte (comments kept)."""
    available = sorted(p.stem for p in presets.glob("*.yaml"))
    source = presets / f"{name}.yaml"
    if name not in available:
        raise ConfigError(f"preset {name!r}: not found in {presets}/; allowed: {', '.join(available) or 'none'}")
    load_params(source)
    text = source.read_bytes()
    tmp = params.with_name(f".{params.name}.tmp")
    tmp.write_bytes(text)
    tmp.replace(params)
    print(f"{params} is now preset {name!r}; run `dvc repro` (or `dvc exp run`) to train it")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="gan1d", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preset", help="replace params.yaml with a preset from presets/")
    p.add_argument("name", help="the preset's name, e.g. default or classic")
    p.add_argument("--presets", type=Path, default=Path("presets"))
    p.add_argument("--params", type=Path, default=Path("params.yaml"))
    g = sub.add_parser("gate", help="fail if a quality metric regressed against BASE (dvc metrics diff)")
    g.add_argument("base", nargs="?", default="HEAD", help="git revision to compare the workspace with")
    g.add_argument("--params", type=Path, default=Path("params.yaml"))
    r = sub.add_parser("report", help="write a Markdown report of the workspace against BASE (metrics, params, pictures)")
    r.add_argument("base", nargs="?", default="HEAD", help="git revision to compare the workspace with")
    r.add_argument("-o", "--out", type=Path, default=Path("report.md"), help="the Markdown file (pictures go next to it)")
    r.add_argument("--params", type=Path, default=Path("params.yaml"))
    args = ap.parse_args(argv if argv is not None else sys.argv[1:])
    if args.command == "preset":
        run_main(lambda: preset(args.name, args.presets, args.params))
    elif args.command == "gate":
        from gan1d.gate import run_gate

        run_main(lambda: run_gate(args.base, load_params(args.params).gate))
    elif args.command == "report":
        from gan1d.report import write_report

        run_main(lambda: print(f"report: wrote {write_report(args.base, load_params(args.params).gate, args.out)}"))


if __name__ == "__main__":
    main()
