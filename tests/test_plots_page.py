"""The offline plots page: committed as generated from docs/vendor/, wired into .dvc/config, no CDN."""

import configparser

from gan1d.plots_page import SCRIPTS, TEMPLATE, VENDOR, build_page

from conftest import ROOT


def test_committed_page_is_the_generated_one():
    page = (ROOT / TEMPLATE).read_text(encoding="utf8")
    assert page == build_page(ROOT / VENDOR), "rerun: python -m gan1d.plots_page"
    assert "{plot_divs}" in page and "{scripts}" not in page and "<script src=" not in page
    for name in SCRIPTS:
        code = (ROOT / VENDOR / name).read_text(encoding="utf8").split("\n//# sourceMappingURL=")[0]
        assert code[:2000] in page and code[-2000:] in page


def test_dvc_config_points_at_the_page():
    config = configparser.ConfigParser()
    config.read(ROOT / ".dvc/config")
    assert (ROOT / ".dvc" / config["plots"]["html_template"]) == ROOT / TEMPLATE
