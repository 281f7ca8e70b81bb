"""The `gan1d` command: switch recipe presets and suite targets, gate CI on metric regressions, and report a run against a base."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from gan1d.config import load_params, parse_params
from gan1d.errors import ConfigError, run_main

import yaml


def preset(name: str, presets: Path, params: Path) -> None:
    """Validate ``presets/NAME.yaml`` and copy it over ``params``, byte for byte (comments kept)."""
    available = sorted(p.stem for p in presets.glob("*.yaml"))
    source = presets / f"{name}.yaml"
    if name not in available:
        raise ConfigError(f"preset {name!r}: not found in {presets}/; allowed: {', '.join(available) or 'none'}")
    load_params(source)
    _replace(params, source.read_text(encoding="utf-8"))
    print(f"{params} is now preset {name!r}; run `dvc repro` (or `dvc exp run`) to train it")


def _replace(params: Path, text: str) -> None:
    tmp = params.with_name(f".{params.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(params)


def suite(path: Path) -> dict[str, dict]:
    """The named targets of ``path`` (targets/suite.yaml): name -> a ``target:`` block in any of its forms."""
    try:
        named = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the target suite ({type(err).__name__})") from None
    if not isinstance(named, dict):
        raise ConfigError(f"{path}: expected a mapping of target names to target blocks")
    return named


def target_block(
    name: str | None,
    targets: Path,
    family: str | None = None,
    args: list[float] | None = None,
    loc: float | None = None,
    scale: float | None = None,
    data: str | None = None,
    column: str | None = None,
    holdout: float | None = None,
) -> tuple[dict, str]:
    """The ``target:`` block that one of the three forms of `gan1d target` asks for, and a name for it."""
    if sum(x is not None for x in (name, family, data)) != 1:
        raise ConfigError("gan1d target: give one of NAME (a suite target), --family NAME or --data PATH")
    if name is not None:
        named = suite(targets)
        if name not in named:
            raise ConfigError(f"target {name!r}: not in {targets}; allowed: {', '.join(named)}")
        if not isinstance(named[name], dict):
            raise ConfigError(f"{targets}: target {name!r} must be a mapping (a target block); got {named[name]!r}")
        return named[name], f"suite target {name!r} ({targets})"
    if family is not None:
        block = {
            "family": family,
            "args": list(args or []),
            "loc": 0.0 if loc is None else loc,
            "scale": 1.0 if scale is None else scale,
        }
        return block, f"scipy.stats.{family}"
    if column is None:
        from gan1d.datafile import only_column
        from gan1d.targetspec import parse_target

        parse_target({"data": data, "column": ""}, "target")  # the path's own errors before the file's
        column = only_column(data)
    block = {"data": data, "column": column, "holdout": 0.25 if holdout is None else holdout}
    return block, f"column {column!r} of {data}"


def target(params: Path, block: dict, label: str) -> None:
    """Rewrite only the ``target:`` block of ``params`` (other lines kept), after validating the whole
    result and, for a data target, its file."""
    text = params.read_text(encoding="utf-8")
    found = re.search(r"^target:.*\n(?:(?:[ \t].*)?\n)*?(?=\S)", text, flags=re.MULTILINE)
    if found is None:
        raise ConfigError(f"{params}: no top-level `target:` block to replace")
    body = yaml.safe_dump({"target": block}, default_flow_style=None, sort_keys=False, width=1000)
    lines = body.splitlines()
    new = f"{lines[0]:<24} # {label}\n" + "".join(f"{line}\n" for line in lines[1:]) + "\n"
    text = text[: found.start()] + new + text[found.end() :]
    checked = parse_params(yaml.safe_load(text))  # refuse before writing anything
    if checked.target.data is not None:
        from gan1d.datafile import load

        load(checked)
    _replace(params, text)
    print(f"{params} now learns {label}; run `dvc repro` (or `dvc exp run`) to train it")


def clean(cache: Path | None, compile_cache: bool) -> None:
    """Remove the resume points (and with ``compile_cache`` XLA's cache too) under ``cache``."""
    if cache is None:
        print("clean: GAN1D_CACHE is off: nothing to remove")
        return
    folders = [cache / "resume"] + ([cache / "xla"] if compile_cache else [])
    for folder in folders:
        files = [f for f in folder.glob("*") if f.is_file()] if folder.is_dir() else []
        size = sum(f.stat().st_size for f in files)
        for f in files:
            f.unlink()
        print(f"clean: removed {len(files)} file(s), {size / 2**20:.1f} MiB, from {folder}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="gan1d", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preset", help="replace params.yaml with a preset from presets/")
    p.add_argument("name", help="the preset's name, e.g. default or classic")
    p.add_argument("--presets", type=Path, default=Path("presets"))
    p.add_argument("--params", type=Path, default=Path("params.yaml"))
    t = sub.add_parser(
        "target", help="learn a suite target, a scipy.stats family or a data file's column (rewrites only `target:`)"
    )
    t.add_argument("name", nargs="?", help="a target of targets/suite.yaml, e.g. classic, three, lognormal, faithful")
    t.add_argument("--family", help="a continuous scipy.stats distribution, e.g. lognorm, expon, t, uniform")
    t.add_argument("--args", type=float, nargs="*", default=[], metavar="A", help="its shape parameters")
    t.add_argument("--loc", type=float)
    t.add_argument("--scale", type=float)
    t.add_argument("--data", help="a CSV or Parquet file under data/raw/ (track it with `dvc add`)")
    t.add_argument("--column", help="the file's column (may be left out for a one-column file)")
    t.add_argument("--holdout", type=float, help="the fraction of the values held out for scoring (default 0.25)")
    t.add_argument("--targets", type=Path, default=Path("targets/suite.yaml"))
    t.add_argument("--params", type=Path, default=Path("params.yaml"))
    g = sub.add_parser("gate", help="fail if a quality metric regressed against BASE (dvc metrics diff)")
    g.add_argument("base", nargs="?", default="HEAD", help="git revision to compare the workspace with")
    g.add_argument("--params", type=Path, default=Path("params.yaml"))
    r = sub.add_parser(
        "report", help="write a Markdown report of the workspace against BASE (metrics, params, pictures)"
    )
    r.add_argument("base", nargs="?", default="HEAD", help="git revision to compare the workspace with")
    r.add_argument(
        "-o", "--out", type=Path, default=Path("report.md"), help="the Markdown file (pictures go next to it)"
    )
    r.add_argument("--params", type=Path, default=Path("params.yaml"))
    c = sub.add_parser("clean", help="remove the resume points of interrupted runs (GAN1D_CACHE/resume)")
    c.add_argument("--compile-cache", action="store_true", help="remove XLA's compile cache (GAN1D_CACHE/xla) too")
    args = ap.parse_args(argv if argv is not None else sys.argv[1:])
    if args.command == "preset":
        run_main(lambda: preset(args.name, args.presets, args.params))
    elif args.command == "target":

        def set_target() -> None:
            block, label = target_block(
                args.name,
                args.targets,
                args.family,
                args.args,
                args.loc,
                args.scale,
                args.data,
                args.column,
                args.holdout,
            )
            target(args.params, block, label)

        run_main(set_target)
    elif args.command == "gate":
        from gan1d.gate import run_gate

        run_main(lambda: run_gate(args.base, load_params(args.params).gate))
    elif args.command == "clean":
        from gan1d.runtime import from_environ

        run_main(lambda: clean(from_environ().cache, args.compile_cache))
    elif args.command == "report":
        from gan1d.report import write_report

        run_main(lambda: print(f"report: wrote {write_report(args.base, load_params(args.params).gate, args.out)}"))


if __name__ == "__main__":
    main()
