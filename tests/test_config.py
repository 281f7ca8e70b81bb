"""params.yaml validation: every bad input gets one line naming the key and what is allowed."""

import copy
import subprocess
import sys

from gan1d.config import load_params, parse_params, to_dict
from gan1d.errors import ConfigError

import pytest
import yaml

from conftest import ROOT, default_raw, run_env


def test_default_params_load_and_round_trip():
    params = load_params(ROOT / "params.yaml")
    assert params.target.means == (4.0,)
    assert params.train.steps == 30000 and params.train.batch == 128
    assert parse_params(to_dict(params)) == params


def with_change(path: str, value, base: dict | None = None):
    """The default params (or ``base``), copied, with one key changed (or deleted: ``value`` DELETE)."""
    raw = copy.deepcopy(default_raw() if base is None else base)
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return raw


DELETE = object()

BAD = [
    ("seed", DELETE, "seed: missing key"),
    ("train.steps", DELETE, "train.steps: missing key"),
    ("train.stepz", 5, "train.stepz: unknown key"),
    ("train.steps", 0, "train.steps: got 0; allowed: a number >= 1"),
    ("train.steps", 1.5, "train.steps: got 1.5; expected a whole number"),
    ("train.steps", True, "train.steps: got True; expected a whole number"),
    ("train.batch", 0, "train.batch: got 0"),
    ("train.loss", "hinge", "train.loss: got 'hinge'; allowed: one of minimax, non_saturating"),
    ("target.sigmas", [0.0], "target.sigmas: got [0.0]; allowed: a non-empty list of numbers > 0"),
    ("target.sigmas", [-0.5], "target.sigmas"),
    ("target.means", 4.0, "target.means: got 4.0; expected a list"),
    ("target.means", [float("nan")], "target.means[0]: got nan; expected a finite number"),
    ("target.weights", [1.0, 1.0], "target: means, sigmas and weights have lengths 1, 1, 2"),
    ("noise.range", float("inf"), "noise.range: got inf; expected a finite number"),
    ("noise.range", "8", "noise.range: got '8'; expected a number"),
    ("render.fps", 0, "render.fps: got 0"),
    ("model.pack", 3, "model.pack: got 3; allowed: a divisor of train.batch (128)"),
    ("model.pack", 0, "model.pack: got 0; allowed: a number in [1, 4096]"),
    ("train.stratify", "yes", "train.stratify: got 'yes'; expected true or false"),
    ("model.hidden_per_mode", -1, "model.hidden_per_mode: got -1; allowed: a number >= 0"),
    ("target", {"means": [0.0, 100.0], "sigmas": [1e-5, 1.0], "weights": [1.0, 1.0]}, "target: spans"),
    ("model.minibatch", "yes", "model.minibatch: got 'yes'; expected true or false"),
    ("model.g_monotone", "yes", "model.g_monotone: got 'yes'; expected true or false"),
    ("model.g_linear", 1, "model.g_linear: got 1; expected true or false"),
    ("train.log_every", 50000, "train.log_every: got 50000; allowed: at most train.steps (30000)"),
    ("train.loss_every", 0, "train.loss_every: got 0; allowed: a number >= 1"),
    ("train.penalty", "gp", "train.penalty: got 'gp'; allowed: one of none, r1"),
    ("train.r1_fade_to", 1.5, "train.r1_fade_to: got 1.5; allowed: a number in [0.0, 1.0]"),
    ("train.r1_fade_until", 2, "train.r1_fade_until: got 2; allowed: a number in [0.0, 1.0]"),
    ("train.instance_noise_cut", 1.5, "train.instance_noise_cut: got 1.5; allowed: a number in [0.0, 1.0]"),
    ("train.select_from", -0.1, "train.select_from: got -0.1; allowed: a number in [0.0, 1.0]"),
    ("train.ema", 1.0, "train.ema: got 1.0; allowed: a number in [0, 1)"),
    ("noise.distribution", "cauchy", "noise.distribution: got 'cauchy'; allowed: one of uniform, normal"),
    ("train.d_optimizer.schedule", "linear", "train.d_optimizer.schedule: got 'linear'"),
    ("robustness.count", 0, "robustness.count: got 0"),
    ("model.bias_stddev", -1.0, "model.bias_stddev: got -1.0"),
    ("model.g_steepness", 0, "model.g_steepness: got 0; allowed: a number > 0"),
    ("model.g_kinks", "even", "model.g_kinks: got 'even'; allowed: one of random, uniform"),
    ("model.g_activation", "relu", "model.g_activation: got 'relu'; allowed: one of softplus, tanh"),
    ("train.d_optimizer", {"name": "sgd"}, "train.d_optimizer.learning_rate: missing key"),
    ("train.g_optimizer.name", "rmsprop", "train.g_optimizer.name: got 'rmsprop'"),
    ("train.g_optimizer.epsilon", 0.0, "train.g_optimizer.epsilon: got 0.0; allowed: a number > 0"),
    ("train.d_optimizer.epsilon", "tiny", "train.d_optimizer.epsilon: got 'tiny'; expected a number"),
    ("pretrain.low", 6.0, "pretrain.low: got 6.0; allowed: a number below pretrain.high"),
    ("train", [1, 2], "train: got [1, 2]; expected a mapping"),
]


@pytest.mark.parametrize(
    "path,value,message", BAD, ids=[(f"{p}=<deleted>" if v is DELETE else f"{p}={v!r}")[:40] for p, v, _ in BAD]
)
def test_bad_params_name_the_key(path, value, message):
    with pytest.raises(ConfigError) as err:
        parse_params(with_change(path, value))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_number_in_scientific_notation_is_a_number():
    """PyYAML (YAML 1.1) reads 1e-4 as a string; YAML 1.2, and DVC's `-S` when it writes params.yaml, write it so."""
    raw = with_change("train.g_optimizer.epsilon", "1e-4")
    raw["train"]["d_optimizer"]["epsilon"] = "-2.5E-3"  # parsed, then refused by the rule: not > 0
    with pytest.raises(ConfigError, match=r"train.d_optimizer.epsilon: got '-2.5E-3'; allowed: a number > 0"):
        parse_params(raw)
    raw["train"]["d_optimizer"]["epsilon"] = "1.0e-7"
    params = parse_params(raw)
    assert params.train.g_optimizer.epsilon == 1e-4 and params.train.d_optimizer.epsilon == 1e-7


def test_minibatch_needs_two_samples_per_batch():
    raw = with_change("model.minibatch", True)
    raw["train"]["batch"] = 1
    with pytest.raises(ConfigError, match="train.batch: got 1; allowed: at least 2 with model.minibatch"):
        parse_params(raw)


@pytest.mark.parametrize(
    "means,per_mode,width",
    [
        ([4.0], 2, 4),  # one Gaussian: hidden (4) is already more than 2 per mode
        ([-2.0, 4.0], 2, 4),
        ([-4.0, 0.0, 4.0], 2, 6),
        ([-6.0, -2.0, 2.0, 6.0], 2, 8),
        ([-6.0, -2.0, 2.0, 6.0], 0, 4),  # 0: hidden, whatever the target
    ],
)
def test_g_width_follows_the_number_of_modes(means, per_mode, width):
    raw = with_change("target", {"means": means, "sigmas": [0.5] * len(means), "weights": [1.0] * len(means)})
    raw["model"]["hidden_per_mode"] = per_mode
    p = parse_params(raw)
    assert (p.model.hidden, p.g_model.hidden) == (4, width)
    assert p.g_model.d_hidden == p.model.d_hidden  # only G's width changes


def test_normal_noise_needs_stratified_batches():
    raw = with_change("noise.distribution", "normal")
    assert parse_params(raw).noise.distribution == "normal"
    raw["train"]["stratify"] = False
    with pytest.raises(ConfigError, match="noise.distribution: got 'normal'; allowed: uniform without train.stratify"):
        parse_params(raw)


def test_packs_need_unstratified_batches():
    # a stratified batch lists its samples in the data's order: a pack of neighbours would hide every mode
    raw = with_change("model.pack", 2)
    raw["model"]["rank"] = False
    with pytest.raises(ConfigError, match="model.pack: got 2; allowed: 1 with train.stratify"):
        parse_params(raw)
    raw["train"]["stratify"] = False
    raw["noise"]["distribution"] = "uniform"  # normal noise needs stratified batches
    assert parse_params(raw).model.pack == 2


@pytest.mark.parametrize(
    "text,message",
    [("", "the file is empty"), ("seed: [1,\n", "not valid YAML at line"), ("- 1\n- 2\n", "expected a mapping")],
    ids=["empty", "broken-yaml", "list"],
)
def test_unparseable_files(tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_params(path)


def test_a_stage_reports_bad_params_in_one_line_without_traceback(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(with_change("target.sigmas", [0.0])))
    out = tmp_path / "real.parquet"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "stages/sample.py"),
            "--params",
            str(params),
            "--real",
            str(out),
            "--heldout",
            str(tmp_path / "h.parquet"),
            "--pretrain",
            str(tmp_path / "p.parquet"),
        ],
        capture_output=True,
        text=True,
        env=run_env(),
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: target.sigmas: got [0.0]; allowed: a non-empty list of numbers > 0"
    ]
    assert not out.exists()


def test_window_follows_the_target_not_the_noise_range():
    raw = default_raw()
    raw["target"] = {"means": [-3.0], "sigmas": [2.0], "weights": [1.0]}  # wide: mass far outside [-8, 8]'s old cut
    params = parse_params(raw)
    assert params.window == pytest.approx((-15.0, 9.0))  # -3 +/- 4 * 2, widened by a quarter of 16 each side
    raw["noise"]["range"] = 1.0  # G's input range no longer has to hold the target
    assert parse_params(raw).window == params.window
    raw["target"] = {"means": [-2.0, 4.0], "sigmas": [0.5, 0.5], "weights": [1.0, 1.0]}
    assert parse_params(raw).window == pytest.approx((-6.5, 8.5))  # [-4, 6] widened by 2.5
