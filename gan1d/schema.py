"""The building blocks of params.yaml's validation: value rules, the conversion of one typed value, and a tree of
frozen dataclasses built from a mapping (:func:`build`).

A rule is ``{"check": predicate, "allowed": text}`` in a dataclass field's metadata; :func:`convert` checks a
value's type against its annotation. Both raise nothing but :class:`ConfigError`, whose message names the key.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Callable
from dataclasses import field
from typing import Any

from gan1d.errors import ConfigError

Check = Callable[[Any], bool]
_SCIENTIFIC = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def rule(check: Check, allowed: str) -> dict[str, Any]:
    return {"check": check, "allowed": allowed}


def positive() -> dict[str, Any]:
    return rule(lambda v: v > 0, "a number > 0")


def at_least(low: float) -> dict[str, Any]:
    return rule(lambda v: v >= low, f"a number >= {low}")


def between(low: float, high: float) -> dict[str, Any]:
    return rule(lambda v: low <= v <= high, f"a number in [{low}, {high}]")


def below_one() -> dict[str, Any]:
    return rule(lambda v: 0 <= v < 1, "a number in [0, 1)")


def one_of(*choices: str) -> dict[str, Any]:
    return rule(lambda v: v in choices, "one of " + ", ".join(choices))


def each(check: Check, allowed: str) -> dict[str, Any]:
    return rule(lambda v: len(v) > 0 and all(check(x) for x in v), f"a non-empty list of {allowed}")


def spec(default_rule: dict[str, Any] | None = None) -> Any:
    return field(metadata=default_rule or {})


def convert(value: Any, kind: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``kind`` (bool, int, float, str or a tuple of one of them) and
    return it converted (lists become tuples)."""
    if typing.get_origin(kind) is tuple:
        inner = typing.get_args(kind)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: got {value!r}; expected a list of numbers")
        return tuple(convert(v, inner, f"{key}[{i}]") for i, v in enumerate(value))
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: got {value!r}; expected true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: got {value!r}; expected a whole number")
        return value
    if kind is float:
        if isinstance(value, str) and _SCIENTIFIC.fullmatch(value.strip()):
            value = float(value)  # YAML 1.1 (PyYAML) reads 1e-4, which YAML 1.2 and DVC's -S write, as a string
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: got {value!r}; expected a number")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: got {value!r}; expected a finite number")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: got {value!r}; expected a string")
        return value
    raise TypeError(f"unsupported annotation {kind!r}")  # a bug in gan1d, not in params


def build(cls: type, raw: Any, prefix: str, special: dict[type, Callable[[Any, str], Any]]) -> Any:
    """The frozen dataclass ``cls`` from the mapping ``raw`` (the keys under ``prefix``), every field checked:
    unknown and missing keys, the annotation (:func:`convert`; nested dataclasses recursively; a type in
    ``special`` by its own parser ``special[kind](value, key)``) and the field's rule (:func:`spec`)."""
    where = prefix or "params.yaml"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: got {raw!r}; expected a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            raise ConfigError(f"{_join(prefix, str(key))}: unknown key; allowed keys: {', '.join(fields)}")
    values = {}
    for name, fld in fields.items():
        key = _join(prefix, name)
        if name not in raw:
            raise ConfigError(f"{key}: missing key")
        kind = hints[name]
        if kind in special:
            value = special[kind](raw[name], key)
        elif dataclasses.is_dataclass(kind):
            value = build(kind, raw[name], key, special)
        else:
            value = convert(raw[name], kind, key)
        check = fld.metadata.get("check")
        if check is not None and not check(value):
            raise ConfigError(f"{key}: got {raw[name]!r}; allowed: {fld.metadata['allowed']}")
        values[name] = value
    return cls(**values)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def plain(v: Any) -> Any:
    """``v`` with every tuple a list, in dicts and lists at any depth (for YAML)."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v
