"""`gan1d preset`: switch recipes with one command, validated first."""

import pytest

from conftest import ROOT
from gan1d import cli
from gan1d.cli import main
from gan1d.config import load_params


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
    assert [line for line in old if line not in new][:1] == ["target:                  # the distribution to learn: a mixture of Gaussians"]
    assert len(old) == len(new)  # ... line for line, comments included
    assert "learns target 'three'" in capsys.readouterr().out


def test_every_suite_target_validates(tmp_path):
    params = tmp_path / "params.yaml"
    for name in ("classic", "wide", "narrow", "skewed", "two_close", "two_far", "three", "unequal"):
        params.write_bytes((ROOT / "params.yaml").read_bytes())
        main(["target", name, "--targets", str(ROOT / "targets/suite.yaml"), "--params", str(params)])
        assert load_params(params).window[0] < load_params(params).window[1]


@pytest.mark.parametrize("suite,message", [
    ("two_far: {means: [1.0], sigmas: [0.5, 0.5], weights: [1, 1]}\n", "target: means, sigmas and weights have lengths"),
    ("two_far: {means: 4.0, sigmas: [0.5], weights: [1]}\n", "must give lists of means, sigmas and weights"),
])
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
