"""params.yaml parsed once into frozen, validated dataclasses.

Every key is typed; unknown and missing keys, wrong types and out-of-range values raise
:class:`ConfigError` with the key's dotted path, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gan1d.errors import ConfigError
from gan1d.schema import at_least, below_one, between, build, one_of, plain, positive, spec
from gan1d.targetspec import (  # noqa: F401 (Component, MIN_ROWS, ...: imported from here by the rest of gan1d)
    HOLDOUT,
    MIN_ROWS,
    Component,
    Target,
    component_std,
    family_distribution,
    parse_target,
    target_raw,
)

import yaml


@dataclass(frozen=True)
class Noise:
    """The generator's input: evenly spaced points on [-range, range] plus a uniform jitter (with
    train.stratify, training draws one uniform point per 1/batch slice instead); or, with
    ``distribution: normal``, N(0, (range / 2)^2) (95% of it in [-range, range]), one draw per 1/batch
    slice of its levels."""

    distribution: str = spec(one_of("uniform", "normal"))
    range: float = spec(positive())
    jitter: float = spec(at_least(0.0))


@dataclass(frozen=True)
class Data:
    """The real data set drawn by the `sample` stage."""

    n_real: int = spec(at_least(2))


@dataclass(frozen=True)
class Model:
    """G's and D's layers (widths, activations, D's minibatch, rank and pack inputs) and their initialisation."""

    hidden: int = spec(at_least(1))  # G's hidden units (at least; see hidden_per_mode)
    hidden_per_mode: int = spec(at_least(0))  # ... raised to this many per target component (Params.g_model)
    g_activation: str = spec(
        one_of("softplus", "tanh")
    )  # G's hidden layer: softplus (kinks; the seed's) or tanh (steps)
    g_monotone: bool = spec()  # G increasing by construction: every kernel enters as |k|
    g_linear: bool = spec()  # G's first hidden unit is linear (no activation): G's ends keep a slope
    d_hidden: int = spec(at_least(1))  # units of each of D's hidden layers (the seed program: 2 * hidden)
    minibatch: bool = spec()
    rank: bool = spec()  # D also sees each sample's rank in its batch (its empirical CDF value)
    pack: int = spec(between(1, 4096))  # PacGAN: D judges sorted packs of this many samples (1 = one at a time)
    minibatch_kernels: int = spec(at_least(1))
    minibatch_dims: int = spec(at_least(1))
    minibatch_init_stddev: float = spec(positive())
    init_stddev: float = spec(positive())
    bias_stddev: float = spec(at_least(0.0))  # biases ~ N(0, bias_stddev); 0 = zeros (the seed's init)
    g_steepness: float = spec(positive())  # G's first layer starts this many times steeper (kernels and biases)
    g_kinks: str = spec(
        one_of("random", "uniform")
    )  # where G's kinks (tanh: steps) start: from the random biases, or uniform over the noise range
    scale_inputs: bool = spec()  # divide G's and D's inputs by noise.range, so both see O(1) values
    match_init: bool = spec()  # rescale G's last layer at init so its samples start with the target's mean and std


@dataclass(frozen=True)
class Optimizer:
    """SGD or Adam, with a constant, staircase-exponential or cosine learning rate.

    ``exponential``: lr * decay_rate ** floor(step / decay_steps). ``cosine``: from lr down to 0
    over the stage's steps. ``beta1``/``beta2``/``epsilon`` are Adam's: a step is lr * m / (sqrt(v) + epsilon),
    so gradients far smaller than ``epsilon`` move the weights by less than lr.
    """

    name: str = spec(one_of("sgd", "adam"))
    learning_rate: float = spec(positive())
    schedule: str = spec(one_of("constant", "exponential", "cosine"))
    decay_rate: float = spec(between(0.0, 1.0))
    decay_steps: int = spec(at_least(1))
    beta1: float = spec(below_one())
    beta2: float = spec(below_one())
    epsilon: float = spec(positive())


@dataclass(frozen=True)
class Pretrain:
    """Regress a copy of D onto the target pdf before adversarial training."""

    steps: int = spec(at_least(1))
    batch: int = spec(at_least(1))
    low: float = spec()
    high: float = spec()
    optimizer: Optimizer = spec()


@dataclass(frozen=True)
class Train:
    steps: int = spec(at_least(1))
    batch: int = spec(at_least(1))
    stratify: bool = spec()  # one draw per 1/batch slice: real data from its sorted copy, noise from [-range, range]
    d_steps: int = spec(at_least(1))
    loss: str = spec(one_of("minimax", "non_saturating", "least_squares", "wasserstein"))
    penalty: str = spec(one_of("none", "r1"))
    r1_gamma: float = spec(at_least(0.0))  # R1's gamma in the target's standardised units (x / std), at step 0 ...
    r1_fade_to: float = spec(between(0.0, 1.0))  # ... fading to this share of it (1 = constant) ...
    r1_fade_until: float = spec(between(0.0, 1.0))  # ... by this fraction of the steps, then held
    gp_weight: float = spec(at_least(0.0))
    ema: float = spec(below_one())
    instance_noise: float = spec(at_least(0.0))  # std of N(0, .) added to D's inputs, in target stds, at step 0
    instance_noise_until: float = spec(
        between(0.0, 1.0)
    )  # ... decaying to 0 (half cosine) by this fraction of the steps ...
    instance_noise_cut: float = spec(between(0.0, 1.0))  # ... and 0 from this fraction of the steps on (1 = no cut)
    rank_until: float = spec(
        between(0.0, 1.0)
    )  # with model.rank: the rank input fades to 0 by this fraction (0 = never)
    select_from: float = spec(between(0.0, 1.0))  # keep the EMA snapshot closest to the training data from here on
    use_pretrained: bool = spec()
    on_divergence: str = spec(one_of("stop", "continue"))  # a non-finite loss: stop with an error, or go on
    log_every: int = spec(at_least(1))
    loss_every: int = spec(at_least(1))
    frame_grid: int = spec(at_least(2))
    frame_bins: int = spec(at_least(2))
    frame_samples: int = spec(at_least(10))
    d_optimizer: Optimizer = spec()
    g_optimizer: Optimizer = spec()


@dataclass(frozen=True)
class Robustness:
    """Train the current recipe on seeds first_seed, ..., first_seed + count - 1, side by side."""

    first_seed: int = spec(between(0, 2**31 - 1))
    count: int = spec(between(1, 1000))


@dataclass(frozen=True)
class Evaluate:
    """The `evaluate` stage: how many generated points it scores and the bins of its histogram over the plot window."""

    n_points: int = spec(at_least(10))
    bins: int = spec(at_least(2))


@dataclass(frozen=True)
class Gate:
    """`gan1d gate`: the largest worsening of each quality metric tolerated against a base revision."""

    w1: float = spec(at_least(0.0))  # allowed increase of evaluate's W1
    ks: float = spec(at_least(0.0))  # allowed increase of evaluate's KS statistic
    success_rate: float = spec(between(0.0, 1.0))  # allowed decrease of robustness's success rate


@dataclass(frozen=True)
class Render:
    """The pictures and the MP4 of the `render` stage: frames per second, resolution and size in inches."""

    fps: int = spec(between(1, 240))
    dpi: int = spec(between(20, 600))
    width: float = spec(between(1.0, 40.0))
    height: float = spec(between(1.0, 40.0))


@dataclass(frozen=True)
class Params:
    """The whole of params.yaml: one seed and one section per concern, validated by :func:`parse_params`."""

    seed: int = spec(between(0, 2**31 - 1))
    target: Target = spec()
    noise: Noise = spec()
    data: Data = spec()
    model: Model = spec()
    pretrain: Pretrain = spec()
    train: Train = spec()
    evaluate: Evaluate = spec()
    robustness: Robustness = spec()
    gate: Gate = spec()
    render: Render = spec()

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
    def scaling(self) -> Scaling:
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


def _cross_checks(p: Params) -> None:
    """Rules that involve more than one key."""
    t = p.target
    if p.pretrain.low >= p.pretrain.high:
        raise ConfigError(
            f"pretrain.low: got {p.pretrain.low}; allowed: a number below pretrain.high ({p.pretrain.high})"
        )
    if p.train.loss_every > p.train.steps:
        raise ConfigError(f"train.loss_every: got {p.train.loss_every}; allowed: at most train.steps ({p.train.steps})")
    if p.robustness.first_seed + p.robustness.count > 2**31:
        raise ConfigError(f"robustness.count: got {p.robustness.count}; allowed: seeds that stay below 2**31")
    if p.train.log_every > p.train.steps:
        raise ConfigError(f"train.log_every: got {p.train.log_every}; allowed: at most train.steps ({p.train.steps})")
    if p.model.minibatch and p.train.batch < 2:
        raise ConfigError(
            f"train.batch: got {p.train.batch}; allowed: at least 2 with model.minibatch "
            "(the layer compares each sample with the others in its batch)"
        )
    if p.noise.distribution == "normal" and not p.train.stratify:
        raise ConfigError("noise.distribution: got 'normal'; allowed: uniform without train.stratify")
    if p.train.batch % p.model.pack:
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: a divisor of train.batch ({p.train.batch})")
    if p.model.pack > 1 and p.model.rank:
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with model.rank (use one or the other)")
    if p.model.pack > 1 and p.train.stratify:
        # Packs are consecutive samples: in a stratified batch, neighbours in the data's order.
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with train.stratify (use one or the other)")
    if p.model.pack > 1 and p.model.minibatch:
        raise ConfigError(f"model.pack: got {p.model.pack}; allowed: 1 with model.minibatch (use one or the other)")
    if t.data is None:
        lo, hi = p.window
        narrowest = min(component_std(c) for c in t.components)
        if not hi - lo < 1e6 * narrowest:  # float32 training and plots cannot resolve such a spread
            raise ConfigError(
                f"target: spans [{lo:g}, {hi:g}] with a component std down to {narrowest:g}; allowed: a span "
                "below 1e6 times the narrowest component's std (rescale the data)"
            )


def parse_params(raw: Any) -> Params:
    """Validate an already-loaded params mapping."""
    params = build(Params, raw, "", {Target: parse_target})
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
    out = plain(dataclasses.asdict(params))
    if isinstance(params, Params):
        out["target"] = target_raw(params.target)
    return out
