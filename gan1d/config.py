"""params.yaml parsed once into frozen, validated dataclasses.

Every key is typed; unknown and missing keys, wrong types and out-of-range values raise
:class:`ConfigError` with the key's dotted path, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from gan1d.errors import ConfigError

Check = Callable[[Any], bool]


def _rule(check: Check, allowed: str) -> dict[str, Any]:
    return {"check": check, "allowed": allowed}


def positive() -> dict[str, Any]:
    return _rule(lambda v: v > 0, "a number > 0")


def at_least(low: float) -> dict[str, Any]:
    return _rule(lambda v: v >= low, f"a number >= {low}")


def between(low: float, high: float) -> dict[str, Any]:
    return _rule(lambda v: low <= v <= high, f"a number in [{low}, {high}]")


def below_one() -> dict[str, Any]:
    return _rule(lambda v: 0 <= v < 1, "a number in [0, 1)")


def one_of(*choices: str) -> dict[str, Any]:
    return _rule(lambda v: v in choices, "one of " + ", ".join(choices))


def each(check: Check, allowed: str) -> dict[str, Any]:
    return _rule(lambda v: len(v) > 0 and all(check(x) for x in v), f"a non-empty list of {allowed}")


def _f(default_rule: dict[str, Any] | None = None) -> Any:
    return field(metadata=default_rule or {})


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
    def gaussians(cls, means: Sequence[float], sigmas: Sequence[float], weights: Sequence[float]) -> "Target":
        """A mixture of Gaussians (the first form), from its lists."""
        return cls("gaussians", tuple(Component("norm", (), float(m), float(s), float(w))
                                      for m, s, w in zip(means, sigmas, weights)))

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
    family = _convert(raw["family"], str, f"{key}.family")
    args = _convert(raw.get("args", []), tuple[float, ...], f"{key}.args")
    loc = _convert(raw.get("loc", 0.0), float, f"{key}.loc")
    scale = _convert(raw.get("scale", 1.0), float, f"{key}.scale")
    weight = _convert(raw.get("weight", 1.0), float, f"{key}.weight")
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
        raise ConfigError(f"{key}.family: got {c.family!r}; allowed: the name of a continuous scipy.stats "
                          "distribution (norm, expon, lognorm, gamma, beta, laplace, t, gumbel_r, uniform, ...)")
    want = family.numargs
    if len(c.args) != want:
        names = family.shapes or "none"
        raise ConfigError(f"{key}.args: got {list(c.args)}; allowed: {want} shape parameter(s) for "
                          f"{c.family} ({names})")
    with np.errstate(all="ignore"):
        if not bool(family._argcheck(*c.args)):
            raise ConfigError(f"{key}.args: got {list(c.args)}; scipy.stats.{c.family} rejects these shape "
                              f"parameters ({family.shapes})")
        var = float(family_distribution(c).var())
    if not (math.isfinite(var) and var > 0):
        raise ConfigError(f"{key}: {c.family} with args {list(c.args)} has no finite variance; allowed: a "
                          "distribution with one (success is measured in target standard deviations)")


def _target(raw: Any, key: str) -> Target:
    """Parse the four forms of ``target:``; every error names its key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: got {raw!r}; expected one of {FORMS}")
    keys = set(raw)
    if keys & {"means", "sigmas", "weights"}:
        _only(raw, key, ["means", "sigmas", "weights"])
        means = _convert(raw.get("means"), tuple[float, ...], f"{key}.means") if "means" in raw else _missing(key, "means")
        sigmas = _convert(raw.get("sigmas"), tuple[float, ...], f"{key}.sigmas") if "sigmas" in raw else _missing(key, "sigmas")
        weights = _convert(raw.get("weights"), tuple[float, ...], f"{key}.weights") if "weights" in raw else _missing(key, "weights")
        for name, values, rule in (("means", means, each(math.isfinite, "finite numbers")),
                                   ("sigmas", sigmas, each(lambda v: v > 0, "numbers > 0")),
                                   ("weights", weights, each(lambda v: v > 0, "numbers > 0"))):
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
        path = _convert(raw["data"], str, f"{key}.data")
        if not path.endswith((".csv", ".parquet")):
            raise ConfigError(f"{key}.data: got {path!r}; allowed: a .csv or .parquet file")
        parts = Path(path).parts
        if Path(path).is_absolute() or parts[:2] != ("data", "raw") or ".." in parts:
            # dvc.yaml's `sample` stage depends on data/raw as a folder: a file elsewhere would change unseen
            raise ConfigError(f"{key}.data: got {path!r}; allowed: a file under data/raw/ (a path relative to the "
                              "repository root, which `sample` depends on)")
        if "column" not in raw:
            _missing(key, "column")
        column = _convert(raw["column"], str, f"{key}.column")
        holdout = _convert(raw.get("holdout", 0.25), float, f"{key}.holdout")
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


@dataclass(frozen=True)
class Noise:
    """The generator's input: evenly spaced points on [-range, range] plus a uniform jitter (with
    train.stratify, training draws one uniform point per 1/batch slice instead)."""

    range: float = _f(positive())
    jitter: float = _f(at_least(0.0))


@dataclass(frozen=True)
class Data:
    """The real data set drawn by the `sample` stage."""

    n_real: int = _f(at_least(2))


@dataclass(frozen=True)
class Model:
    hidden: int = _f(at_least(1))  # G's hidden units (at least; see hidden_per_mode)
    hidden_per_mode: int = _f(at_least(0))  # ... raised to this many per target component (Params.g_model)
    g_activation: str = _f(one_of("softplus", "tanh"))  # G's hidden layer: softplus (kinks; the seed's) or tanh (steps)
    d_hidden: int = _f(at_least(1))  # units of each of D's hidden layers (the seed program: 2 * hidden)
    minibatch: bool = _f()
    rank: bool = _f()  # D also sees each sample's rank in its batch (its empirical CDF value)
    pack: int = _f(between(1, 4096))  # PacGAN: D judges sorted packs of this many samples (1 = one at a time)
    minibatch_kernels: int = _f(at_least(1))
    minibatch_dims: int = _f(at_least(1))
    minibatch_init_stddev: float = _f(positive())
    init_stddev: float = _f(positive())
    bias_stddev: float = _f(at_least(0.0))  # biases ~ N(0, bias_stddev); 0 = zeros (the seed's init)
    g_steepness: float = _f(positive())  # G's first layer starts this many times steeper (kernels and biases)
    g_kinks: str = _f(one_of("random", "uniform"))  # where G's kinks (tanh: steps) start: from the random biases, or uniform over the noise range
    scale_inputs: bool = _f()  # divide G's and D's inputs by noise.range, so both see O(1) values
    match_init: bool = _f()  # rescale G's last layer at init so its samples start with the target's mean and std


@dataclass(frozen=True)
class Optimizer:
    """SGD or Adam, with a constant, staircase-exponential or cosine learning rate.

    ``exponential``: lr * decay_rate ** floor(step / decay_steps). ``cosine``: from lr down to 0
    over the stage's steps. ``beta1``/``beta2`` are Adam's.
    """

    name: str = _f(one_of("sgd", "adam"))
    learning_rate: float = _f(positive())
    schedule: str = _f(one_of("constant", "exponential", "cosine"))
    decay_rate: float = _f(between(0.0, 1.0))
    decay_steps: int = _f(at_least(1))
    beta1: float = _f(below_one())
    beta2: float = _f(below_one())


@dataclass(frozen=True)
class Pretrain:
    """Regress a copy of D onto the target pdf before adversarial training."""

    steps: int = _f(at_least(1))
    batch: int = _f(at_least(1))
    low: float = _f()
    high: float = _f()
    optimizer: Optimizer = _f()


@dataclass(frozen=True)
class Train:
    steps: int = _f(at_least(1))
    batch: int = _f(at_least(1))
    stratify: bool = _f()  # one draw per 1/batch slice: real data from its sorted copy, noise from [-range, range]
    d_steps: int = _f(at_least(1))
    loss: str = _f(one_of("minimax", "non_saturating", "least_squares", "wasserstein"))
    penalty: str = _f(one_of("none", "r1"))
    r1_gamma: float = _f(at_least(0.0))
    gp_weight: float = _f(at_least(0.0))
    ema: float = _f(below_one())
    instance_noise: float = _f(at_least(0.0))  # std of N(0, .) added to D's inputs, in target stds, at step 0
    instance_noise_until: float = _f(between(0.0, 1.0))  # ... decaying to 0 (half cosine) by this fraction of the steps
    rank_until: float = _f(between(0.0, 1.0))  # with model.rank: the rank input fades to 0 by this fraction (0 = never)
    use_pretrained: bool = _f()
    on_divergence: str = _f(one_of("stop", "continue"))  # a non-finite loss: stop with an error, or go on
    log_every: int = _f(at_least(1))
    loss_every: int = _f(at_least(1))
    frame_grid: int = _f(at_least(2))
    frame_bins: int = _f(at_least(2))
    frame_samples: int = _f(at_least(10))
    d_optimizer: Optimizer = _f()
    g_optimizer: Optimizer = _f()


@dataclass(frozen=True)
class Robustness:
    """Train the current recipe on seeds first_seed, ..., first_seed + count - 1, side by side."""

    first_seed: int = _f(between(0, 2**31 - 1))
    count: int = _f(between(1, 1000))


@dataclass(frozen=True)
class Evaluate:
    n_points: int = _f(at_least(10))
    bins: int = _f(at_least(2))


@dataclass(frozen=True)
class Gate:
    """`gan1d gate`: the largest worsening of each quality metric tolerated against a base revision."""

    w1: float = _f(at_least(0.0))  # allowed increase of evaluate's W1
    ks: float = _f(at_least(0.0))  # allowed increase of evaluate's KS statistic
    success_rate: float = _f(between(0.0, 1.0))  # allowed decrease of robustness's success rate


@dataclass(frozen=True)
class Render:
    fps: int = _f(between(1, 240))
    dpi: int = _f(between(20, 600))
    width: float = _f(between(1.0, 40.0))
    height: float = _f(between(1.0, 40.0))


@dataclass(frozen=True)
class Params:
    seed: int = _f(between(0, 2**31 - 1))
    target: Target = _f()
    noise: Noise = _f()
    data: Data = _f()
    model: Model = _f()
    pretrain: Pretrain = _f()
    train: Train = _f()
    evaluate: Evaluate = _f()
    robustness: Robustness = _f()
    gate: Gate = _f()
    render: Render = _f()

    @property
    def window(self) -> tuple[float, float]:
        """The x range of every histogram, decision boundary and picture, derived from the target: its
        quantiles at 3.2e-5 and 1 - 3.2e-5 (a Gaussian's mean +/- 4 sigma), widened by a quarter of that
        span on both sides (room to see a generator that overshoots); for data, the data's range, widened
        the same way. Independent of G's noise range."""
        if self.target.data is not None:
            return self._stats[2], self._stats[3]
        if self.target.gaussian:  # closed form: the outer components' mean -/+ 4 sigma (one Gaussian: its quantiles)
            lo = min(m - 4 * s for m, s in zip(self.target.means, self.target.sigmas))
            hi = max(m + 4 * s for m, s in zip(self.target.means, self.target.sigmas))
            pad = 0.25 * (hi - lo)
            return lo - pad, hi + pad
        from gan1d.targets import Mixture

        return Mixture(self.target.components).window()

    @property
    def g_model(self) -> Model:
        """``model`` with G's width derived from the target: max(hidden, hidden_per_mode x modes), modes
        being the mixture's components (a data set's: the modes of its density estimate). Every mode needs
        a step into it and units for its shape: a fixed width that draws three modes cannot draw four
        (docs/results.md: targets beyond the suite). Every place that builds G uses this."""
        width = max(self.model.hidden, self.model.hidden_per_mode * self.target.modes)
        return replace(self.model, hidden=width)

    @property
    def scaling(self) -> "Scaling":
        """The fixed affine maps around G and D (identity unless model.scale_inputs): the target's mean
        and std (a data target's: its training part's)."""
        if not self.model.scale_inputs:
            return Scaling(1.0, 0.0, 1.0)
        if self.target.data is not None:
            return Scaling(1.0 / self.noise.range, self._stats[0], self._stats[1])
        if self.target.gaussian:
            w = [x / sum(self.target.weights) for x in self.target.weights]
            mean = sum(wi * m for wi, m in zip(w, self.target.means))
            var = sum(wi * (s**2 + m**2) for wi, m, s in zip(w, self.target.means, self.target.sigmas)) - mean**2
            return Scaling(1.0 / self.noise.range, mean, math.sqrt(var))
        from gan1d.targets import Mixture

        mix = Mixture(self.target.components)
        return Scaling(1.0 / self.noise.range, mix.mean, mix.std)

    @property
    def _stats(self) -> tuple[float, ...]:
        if self.target.stats is None:
            raise ValueError("a data target's statistics come from its training part: gan1d.datafile.resolve")
        return self.target.stats


@dataclass(frozen=True)
class Scaling:
    """G(z) = center + spread * net(z * noise); D(x) = net((x - center) / spread).

    With ``model.scale_inputs`` both networks work in standardised units: G's input lies in
    [-1, 1] and D sees the target with mean 0 and std 1, so a freshly initialised G already
    lands where D has gradient. A fixed reparametrisation: the function class is unchanged.
    """

    noise: float
    center: float
    spread: float


def _convert(value: Any, kind: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``kind`` and return it converted (lists become tuples)."""
    if kind is Target:
        return _target(value, key)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, key)
    if typing.get_origin(kind) is tuple:
        inner = typing.get_args(kind)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: got {value!r}; expected a list of numbers")
        return tuple(_convert(v, inner, f"{key}[{i}]") for i, v in enumerate(value))
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: got {value!r}; expected true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: got {value!r}; expected a whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: got {value!r}; expected a number")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: got {value!r}; expected a finite number")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: got {value!r}; expected a string")
        return value
    raise TypeError(f"unsupported annotation {kind!r}")  # a bug in this module, not in params


def _build(cls: type, raw: Any, prefix: str) -> Any:
    where = prefix or "params.yaml"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: got {raw!r}; expected a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            raise ConfigError(
                f"{_join(prefix, str(key))}: unknown key; allowed keys: {', '.join(fields)}"
            )
    values = {}
    for name, fld in fields.items():
        key = _join(prefix, name)
        if name not in raw:
            raise ConfigError(f"{key}: missing key")
        value = _convert(raw[name], hints[name], key)
        check = fld.metadata.get("check")
        if check is not None and not check(value):
            raise ConfigError(f"{key}: got {raw[name]!r}; allowed: {fld.metadata['allowed']}")
        values[name] = value
    return cls(**values)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _cross_checks(p: Params) -> None:
    """Rules that involve more than one key."""
    t = p.target
    if p.pretrain.low >= p.pretrain.high:
        raise ConfigError(
            f"pretrain.low: got {p.pretrain.low}; allowed: a number below pretrain.high ({p.pretrain.high})"
        )
    if p.train.loss_every > p.train.steps:
        raise ConfigError(
            f"train.loss_every: got {p.train.loss_every}; allowed: at most train.steps ({p.train.steps})"
        )
    if p.robustness.first_seed + p.robustness.count > 2**31:
        raise ConfigError(
            f"robustness.count: got {p.robustness.count}; allowed: seeds that stay below 2**31"
        )
    if p.train.log_every > p.train.steps:
        raise ConfigError(
            f"train.log_every: got {p.train.log_every}; allowed: at most train.steps ({p.train.steps})"
        )
    if p.model.minibatch and p.train.batch < 2:
        raise ConfigError(
            f"train.batch: got {p.train.batch}; allowed: at least 2 with model.minibatch "
            "(the layer compares each sample with the others in its batch)"
        )
    if p.train.batch % p.model.pack:
        raise ConfigError(
            f"model.pack: got {p.model.pack}; allowed: a divisor of train.batch ({p.train.batch})"
        )
    if p.model.pack > 1 and p.model.rank:
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with model.rank (use one or the other)")
    if p.model.pack > 1 and p.train.stratify:
        # Packs are consecutive samples: in a stratified batch, neighbours in the data's order.
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with train.stratify (use one or the other)")
    if p.model.pack > 1 and p.model.minibatch:
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with model.minibatch (use one or the other)")
    if t.data is None:
        lo, hi = p.window
        narrowest = min(_component_std(c) for c in t.components)
        if not hi - lo < 1e6 * narrowest:  # float32 training and plots cannot resolve such a spread
            raise ConfigError(
                f"target: spans [{lo:g}, {hi:g}] with a component std down to {narrowest:g}; allowed: a span "
                "below 1e6 times the narrowest component's std (rescale the data)"
            )


def _component_std(c: Component) -> float:
    return c.scale if c.family == "norm" else float(family_distribution(c).std())


def parse_params(raw: Any) -> Params:
    """Validate an already-loaded params mapping."""
    params = _build(Params, raw, "")
    _cross_checks(params)
    return params


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read, parse and validate ``path`` (YAML, safe loader)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; run from the repository root") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read it ({err})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: not valid YAML{where} ({problem})") from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping of keys to values")
    return parse_params(raw)


def to_dict(params: Any) -> dict[str, Any]:
    """The dataclass tree as plain dicts and lists, ready to dump back to YAML (``target`` in its own form)."""
    out = _plain(dataclasses.asdict(params))
    if isinstance(params, Params):
        out["target"] = target_raw(params.target)
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v
