"""`gan1d preset`: switch recipes with one command, validated first."""

from pathlib import Path

from gan1d import cli
from gan1d.cli import main
from gan1d.config import load_params

import pytest

from conftest import ROOT


def test_presets_are_valid_and_default_is_params_yaml():
    assert (ROOT / "presets/default.yaml").read_bytes() == (ROOT / "params.yaml").read_bytes()
    classic = load_params(ROOT / "presets/classic.yaml")
    assert classic.train.steps == 1200 and classic.train.batch == 12
    assert classic.train.d_optimizer.name == "sgd" and classic.train.use_pretrained
    for preset in sorted((ROOT / "presets").glob("*.yaml")):
        load_params(preset)  # every preset validates
    multimodal = load_params(ROOT / "presets/multimodal.yaml")
    assert (multimodal.model.hidden, multimodal.model.g_steepness, multimodal.model.g_kinks) == (8, 8.0, "uniform")


def test_preset_switches_params(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text("old")
    main(["preset", "classic", "--presets", str(ROOT / "presets"), "--params", str(params)])
    assert params.read_bytes() == (ROOT / "presets/classic.yaml").read_bytes()
    assert "preset 'classic'" in capsys.readouterr().out


def test_unknown_preset_is_one_clear_error(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text("old")
    with pytest.raises(SystemExit) as err:
        main(["preset", "fancy", "--presets", str(ROOT / "presets"), "--params", str(params)])
    assert err.value.code == 2
    assert "preset 'fancy': not found" in capsys.readouterr().err
    assert params.read_text() == "old"


def test_target_rewrites_only_the_target_block(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_bytes((ROOT / "params.yaml").read_bytes())
    main(["target", "three", "--targets", str(ROOT / "targets/suite.yaml"), "--params", str(params)])
    p = load_params(params)
    assert p.target.means == (-4.0, 0.0, 4.0) and p.target.weights == (1.0, 1.0, 1.0)
    assert p.train == load_params(ROOT / "params.yaml").train  # nothing else changed ...
    old, new = (ROOT / "params.yaml").read_text().splitlines(), params.read_text().splitlines()
    assert [line for line in old if line not in new][:1] == [
        "target:                  # the distribution to learn: a mixture of Gaussians"
    ]
    assert len(old) == len(new)  # ... line for line, comments included
    assert "learns suite target 'three'" in capsys.readouterr().out


def test_every_suite_target_validates(tmp_path):
    params = tmp_path / "params.yaml"
    for name in (
        "classic",
        "wide",
        "narrow",
        "skewed",
        "two_close",
        "two_far",
        "three",
        "unequal",
        "uniform",
        "exponential",
        "lognormal",
        "gamma",
        "beta",
        "laplace",
        "student_t5",
        "gumbel",
    ):
        params.write_bytes((ROOT / "params.yaml").read_bytes())
        main(["target", name, "--targets", str(ROOT / "targets/suite.yaml"), "--params", str(params)])
        assert load_params(params).window[0] < load_params(params).window[1]


@pytest.mark.parametrize(
    "suite,message",
    [
        (
            "two_far: {means: [1.0], sigmas: [0.5, 0.5], weights: [1, 1]}\n",
            "target: means, sigmas and weights have lengths",
        ),
        ("two_far: {means: 4.0, sigmas: [0.5], weights: [1]}\n", "target.means: got 4.0; expected a list of numbers"),
        ("two_far: [1, 2]\n", "target 'two_far' must be a mapping"),
        (
            "two_far: {family: lognormal}\n",
            "target.family: got 'lognormal'; allowed: the name of a continuous scipy.stats",
        ),
    ],
)
def test_a_bad_suite_target_is_one_clear_error_and_writes_nothing(tmp_path, capsys, suite, message):
    targets = tmp_path / "suite.yaml"
    targets.write_text(suite)
    (tmp_path / "real.yaml").write_bytes((ROOT / "params.yaml").read_bytes())
    with pytest.raises(SystemExit) as err:
        main(["target", "two_far", "--targets", str(targets), "--params", str(tmp_path / "real.yaml")])
    assert err.value.code == 2 and message in capsys.readouterr().err
    assert (tmp_path / "real.yaml").read_bytes() == (ROOT / "params.yaml").read_bytes()


def test_clean_removes_resume_points_and_on_request_the_compile_cache(tmp_path, capsys):
    for folder in ("resume", "xla"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.bin").write_bytes(b"x" * 1024)
    cli.clean(tmp_path, compile_cache=False)
    assert not (tmp_path / "resume" / "a.bin").exists() and (tmp_path / "xla" / "a.bin").exists()
    assert "removed 1 file(s)" in capsys.readouterr().out
    cli.clean(tmp_path, compile_cache=True)
    assert not (tmp_path / "xla" / "a.bin").exists()


def cli_target(params, *args):
    main(["target", *args, "--targets", str(ROOT / "targets/suite.yaml"), "--params", str(params)])


def test_target_family_and_data_forms(tmp_path, capsys, monkeypatch):
    params = tmp_path / "params.yaml"
    params.write_bytes((ROOT / "params.yaml").read_bytes())
    cli_target(params, "--family", "lognorm", "--args", "0.5", "--scale", "2")
    t = load_params(params).target
    assert (t.form, t.components[0].family, t.components[0].args, t.components[0].scale) == (
        "family",
        "lognorm",
        (0.5,),
        2.0,
    )
    cli_target(params, "--family", "uniform")
    assert load_params(params).window == pytest.approx((-0.25, 1.25), abs=1e-3)  # [0, 1], padded by a quarter
    monkeypatch.chdir(ROOT)  # data paths are relative to the repository root
    cli_target(params, "--data", "data/raw/galaxies.csv")  # one column: --column may be left out
    t = load_params(params).target
    assert (t.data, t.column, t.holdout) == ("data/raw/galaxies.csv", "velocity", 0.25)
    cli_target(params, "faithful")
    assert load_params(params).target.column == "eruptions"
    assert "learns suite target 'faithful'" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--family", "cauchy"], "target: cauchy with args [] has no finite variance"),
        (["--family", "t", "--args", "2"], "target: t with args [2.0] has no finite variance"),
        (
            ["--family", "gamma", "--args", "-1"],
            "target.args: got [-1.0]; scipy.stats.gamma rejects these shape parameters",
        ),
        (["--family", "beta", "--args", "2"], "target.args: got [2.0]; allowed: 2 shape parameter(s) for beta (a, b)"),
        (["--family", "norm", "--scale", "0"], "target.scale: got 0.0; allowed: a number > 0"),
        (["--family", "binom", "--args", "5", "0.5"], "target.family: got 'binom'; allowed: the name of a continuous"),
        (["--data", "data/raw/nothing.csv", "--column", "x"], "target.data: data/raw/nothing.csv: no such file"),
        (
            ["--data", "data/raw/faithful.csv"],
            "target.column: data/raw/faithful.csv has columns eruptions, waiting; give one",
        ),
        (
            ["--data", "data/raw/faithful.csv", "--column", "x"],
            "target.column: got 'x'; allowed: a column of data/raw/faithful.csv (eruptions, waiting)",
        ),
        (
            ["--data", "data/raw/faithful.csv", "--column", "waiting", "--holdout", "0.9"],
            "target.holdout: got 0.9; allowed: a number in [0.1, 0.5]",
        ),
        (
            ["--data", "data/raw/README.md", "--column", "x"],
            "target.data: got 'data/raw/README.md'; allowed: a .csv or .parquet file",
        ),
        (["--data", "data/raw/README.md"], "target.data: got 'data/raw/README.md'; allowed: a .csv or .parquet file"),
        (
            ["--data", "/tmp/elsewhere.csv", "--column", "x"],
            "target.data: got '/tmp/elsewhere.csv'; allowed: a file under data/raw/",
        ),
        (["--data", "data/raw/../../x.csv", "--column", "x"], "allowed: a file under data/raw/"),
        ([], "gan1d target: give one of NAME"),
    ],
)
def test_a_bad_target_is_one_clear_error_and_writes_nothing(tmp_path, capsys, monkeypatch, args, message):
    params = tmp_path / "params.yaml"
    params.write_bytes((ROOT / "params.yaml").read_bytes())
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as err:
        cli_target(params, *args)
    lines = capsys.readouterr().err.strip().splitlines()
    assert err.value.code == 2 and len(lines) == 1 and message in lines[0], lines
    assert params.read_bytes() == (ROOT / "params.yaml").read_bytes()


@pytest.mark.parametrize(
    "name,content,message",
    [
        (
            "words.csv",
            "x\n" + "1.5\n" * 30 + "abc\n2\n",
            "target.column: 'x' of {path} is not numeric: 1 value(s) are not numbers, the first in data row 31 ('abc')",
        ),
        (
            "gaps.csv",
            "x\n" + "1\n2\n" * 15 + "\n".join(["", "inf", "3"]) + "\n",
            "target.column: 'x' of {path} has 1 missing or non-finite value(s), the first in data row 31",
        ),
        (
            "few.csv",
            "x\n" + "".join(f"{i}\n" for i in range(19)),
            "target.data: {path} has 19 value(s) in 'x'; allowed: at least 20",
        ),
        ("flat.csv", "x\n" + "2.5\n" * 40, "target.column: 'x' of {path} is constant (2.5); allowed: values that vary"),
        ("broken.parquet", "PAR1 not really", "target.data: {path}: cannot read it as PARQUET"),
    ],
)
def test_a_bad_data_file_is_one_clear_error_and_writes_nothing(tmp_path, capsys, monkeypatch, name, content, message):
    monkeypatch.chdir(tmp_path)
    data = Path("data/raw") / name
    data.parent.mkdir(parents=True)
    data.write_text(content)
    params = tmp_path / "params.yaml"
    params.write_bytes((ROOT / "params.yaml").read_bytes())
    with pytest.raises(SystemExit) as err:
        cli_target(params, "--data", str(data), "--column", "x")
    lines = capsys.readouterr().err.strip().splitlines()
    assert err.value.code == 2 and len(lines) == 1 and message.format(path=data) in lines[0], lines
    assert params.read_bytes() == (ROOT / "params.yaml").read_bytes()
