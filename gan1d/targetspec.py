"""The ``target:`` block of params.yaml in its four forms, parsed into one :class:`Target` of components.

A mixture of Gaussians ``{means, sigmas, weights}``, a scipy.stats family ``{family, args, loc, scale}``, a
mixture of families ``{components: [...]}`` and a data file ``{data, column, holdout}`` (docs/reference.md#targets).
Every error is a :class:`ConfigError` naming its key. SciPy is imported only when a family needs checking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan1d.errors import ConfigError
from gan1d.schema import convert, each


@dataclass(frozen=True)
class Component:
    """One ``scipy.stats`` continuous family with its shape parameters, ``loc``, ``scale`` and weight."""

    family: str  # a name in scipy.stats: norm, expon, lognorm, gamma, beta, laplace, t, gumbel_r, uniform, ...
    args: tuple[float, ...]  # its shape parameters, in scipy's order (lognorm: s; gamma: a; beta: a, b; t: df)
    loc: float
    scale: float
    weight: float  # normalised over the components


@dataclass(frozen=True)
class Target:
    """The distribution to learn, in one of four forms (docs/reference.md#targets):

    - a mixture of Gaussians: ``{means, sigmas, weights}`` (one component is the classic N(4, 0.5));
    - a scipy.stats family: ``{family, args, loc, scale}`` (args, loc and scale may be left out);
    - a mixture of families: ``{components: [{family, args, loc, scale, weight}, ...]}``;
    - a data file: ``{data: PATH, column: NAME, holdout: FRACTION}`` (CSV or Parquet under data/raw/).

    ``stats`` and ``parts`` are not keys: for a data target the stages that read its two parts fill them
    in (:func:`gan1d.datafile.resolve`): (mean, std, lo, hi, modes) of the data, and the values themselves
    (so that worker processes get them with the params).
    """

    form: str  # gaussians | family | mixture | data: the form params.yaml used (kept for to_dict)
    components: tuple[Component, ...] = ()
    data: str | None = None
    column: str | None = None
    holdout: float = 0.0
    stats: tuple[float, ...] | None = None
    parts: tuple[tuple[float, ...], tuple[float, ...]] | None = None  # (training part, held-out part), with stats

    @classmethod
    def gaussians(cls, means: Sequence[float], sigmas: Sequence[float], weights: Sequence[float]) -> Target:
        """A mixture of Gaussians (the first form), from its lists."""
        return cls(
            "gaussians",
            tuple(Component("norm", (), float(m), float(s), float(w)) for m, s, w in zip(means, sigmas, weights)),
        )

    @property
    def means(self) -> tuple[float, ...]:
        return tuple(c.loc for c in self.components)

    @property
    def sigmas(self) -> tuple[float, ...]:
        return tuple(c.scale for c in self.components)

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(c.weight for c in self.components)

    @property
    def gaussian(self) -> bool:
        return self.data is None and all(c.family == "norm" for c in self.components)

    @property
    def modes(self) -> int:
        """Components of a mixture; for a data target, the modes of its density estimate (``stats``)."""
        if self.data is not None:
            return int(self.stats[4]) if self.stats is not None else 1
        return len(self.components)


HOLDOUT = (0.1, 0.5)  # allowed held-out fractions of a data file
MIN_ROWS = 20  # a data file needs at least this many values (the held-out part then holds at least 2)
FORMS = "{means, sigmas, weights}, {family, args, loc, scale}, {components: [...]} or {data, column, holdout}"


def family_distribution(c: Component) -> Any:
    """The frozen scipy.stats distribution of ``c`` (SciPy imported only when a target needs it)."""
    from scipy import stats

    return getattr(stats, c.family)(*c.args, loc=c.loc, scale=c.scale)


def _component(raw: Any, key: str, weighted: bool) -> Component:
    allowed = ["family", "args", "loc", "scale"] + (["weight"] if weighted else [])
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: got {raw!r}; expected a mapping with keys {', '.join(allowed)}")
    for k in raw:
        if k not in allowed:
            raise ConfigError(f"{key}.{k}: unknown key; allowed keys: {', '.join(allowed)}")
    if "family" not in raw:
        raise ConfigError(f"{key}.family: missing key")
    if weighted and "weight" not in raw:
        raise ConfigError(f"{key}.weight: missing key")
    family = convert(raw["family"], str, f"{key}.family")
    args = convert(raw.get("args", []), tuple[float, ...], f"{key}.args")
    loc = convert(raw.get("loc", 0.0), float, f"{key}.loc")
    scale = convert(raw.get("scale", 1.0), float, f"{key}.scale")
    weight = convert(raw.get("weight", 1.0), float, f"{key}.weight")
    if not weight > 0:
        raise ConfigError(f"{key}.weight: got {weight!r}; allowed: a number > 0")
    if not scale > 0:
        raise ConfigError(f"{key}.scale: got {scale!r}; allowed: a number > 0")
    c = Component(family, args, loc, scale, weight)
    _check_family(c, key)
    return c


def _check_family(c: Component, key: str) -> None:
    """Refuse names scipy.stats does not know as continuous families, parameters it rejects, and
    distributions without a finite variance (success is measured in target standard deviations)."""
    import numpy as np
    from scipy import stats

    family = getattr(stats, c.family, None)
    if not isinstance(family, stats.rv_continuous) or c.family.startswith("_"):
        raise ConfigError(
            f"{key}.family: got {c.family!r}; allowed: the name of a continuous scipy.stats "
            "distribution (norm, expon, lognorm, gamma, beta, laplace, t, gumbel_r, uniform, ...)"
        )
    want = family.numargs
    if len(c.args) != want:
        names = family.shapes or "none"
        raise ConfigError(
            f"{key}.args: got {list(c.args)}; allowed: {want} shape parameter(s) for {c.family} ({names})"
        )
    with np.errstate(all="ignore"):
        if not bool(family._argcheck(*c.args)):
            raise ConfigError(
                f"{key}.args: got {list(c.args)}; scipy.stats.{c.family} rejects these shape "
                f"parameters ({family.shapes})"
            )
        var = float(family_distribution(c).var())
    if not (math.isfinite(var) and var > 0):
        raise ConfigError(
            f"{key}: {c.family} with args {list(c.args)} has no finite variance; allowed: a "
            "distribution with one (success is measured in target standard deviations)"
        )


def parse_target(raw: Any, key: str) -> Target:
    """Parse the four forms of ``target:``; every error names its key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: got {raw!r}; expected one of {FORMS}")
    keys = set(raw)
    if keys & {"means", "sigmas", "weights"}:
        _only(raw, key, ["means", "sigmas", "weights"])
        means = (
            convert(raw.get("means"), tuple[float, ...], f"{key}.means") if "means" in raw else _missing(key, "means")
        )
        sigmas = (
            convert(raw.get("sigmas"), tuple[float, ...], f"{key}.sigmas")
            if "sigmas" in raw
            else _missing(key, "sigmas")
        )
        weights = (
            convert(raw.get("weights"), tuple[float, ...], f"{key}.weights")
            if "weights" in raw
            else _missing(key, "weights")
        )
        for name, values, rule in (
            ("means", means, each(math.isfinite, "finite numbers")),
            ("sigmas", sigmas, each(lambda v: v > 0, "numbers > 0")),
            ("weights", weights, each(lambda v: v > 0, "numbers > 0")),
        ):
            if not rule["check"](values):
                raise ConfigError(f"{key}.{name}: got {list(values)!r}; allowed: {rule['allowed']}")
        if not len(means) == len(sigmas) == len(weights):
            raise ConfigError(
                f"{key}: means, sigmas and weights have lengths {len(means)}, {len(sigmas)}, "
                f"{len(weights)}; allowed: lists of the same length"
            )
        comps = tuple(Component("norm", (), m, s, w) for m, s, w in zip(means, sigmas, weights))
        return Target("gaussians", comps)
    if "family" in keys:
        return Target("family", (_component(raw, key, weighted=False),))
    if "components" in keys:
        _only(raw, key, ["components"])
        items = raw["components"]
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{key}.components: got {items!r}; expected a non-empty list of components")
        return Target("mixture", tuple(_component(c, f"{key}.components[{i}]", True) for i, c in enumerate(items)))
    if "data" in keys:
        _only(raw, key, ["data", "column", "holdout"])
        path = convert(raw["data"], str, f"{key}.data")
        if not path.endswith((".csv", ".parquet")):
            raise ConfigError(f"{key}.data: got {path!r}; allowed: a .csv or .parquet file")
        parts = Path(path).parts
        if Path(path).is_absolute() or parts[:2] != ("data", "raw") or ".." in parts:
            # dvc.yaml's `sample` stage depends on data/raw as a folder: a file elsewhere would change unseen
            raise ConfigError(
                f"{key}.data: got {path!r}; allowed: a file under data/raw/ (a path relative to the "
                "repository root, which `sample` depends on)"
            )
        if "column" not in raw:
            _missing(key, "column")
        column = convert(raw["column"], str, f"{key}.column")
        holdout = convert(raw.get("holdout", 0.25), float, f"{key}.holdout")
        if not HOLDOUT[0] <= holdout <= HOLDOUT[1]:
            raise ConfigError(f"{key}.holdout: got {holdout!r}; allowed: a number in [{HOLDOUT[0]}, {HOLDOUT[1]}]")
        return Target("data", data=path, column=column, holdout=holdout)
    raise ConfigError(f"{key}: keys {', '.join(map(str, raw)) or 'none'}; expected one of {FORMS}")


def _only(raw: dict, key: str, allowed: list[str]) -> None:
    for k in raw:
        if k not in allowed:
            raise ConfigError(f"{key}.{k}: unknown key; allowed keys: {', '.join(allowed)}")


def _missing(key: str, name: str) -> Any:
    raise ConfigError(f"{key}.{name}: missing key")


def target_raw(t: Target) -> dict[str, Any]:
    """``t`` in the form params.yaml wrote it."""
    if t.form == "gaussians":
        return {"means": list(t.means), "sigmas": list(t.sigmas), "weights": list(t.weights)}
    if t.form == "data":
        return {"data": t.data, "column": t.column, "holdout": t.holdout}

    def one(c: Component, weighted: bool) -> dict[str, Any]:
        out = {"family": c.family, "args": list(c.args), "loc": c.loc, "scale": c.scale}
        return {**out, "weight": c.weight} if weighted else out

    if t.form == "family":
        return one(t.components[0], False)
    return {"components": [one(c, True) for c in t.components]}


def component_std(c: Component) -> float:
    return c.scale if c.family == "norm" else float(family_distribution(c).std())
