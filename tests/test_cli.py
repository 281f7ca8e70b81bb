"""`gan1d preset`: switch recipes with one command, validated first."""

import pytest

from conftest import ROOT
from gan1d.cli import main
from gan1d.config import load_params


def test_presets_are_valid_and_default_is_params_yaml():
    assert (ROOT / "presets/default.yaml").read_bytes() == (ROOT / "params.yaml").read_bytes()
    classic = load_params(ROOT / "presets/classic.yaml")
    assert classic.train.steps == 1200 and classic.train.batch == 12
    assert classic.train.d_optimizer.name == "sgd" and classic.train.use_pretrained


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
