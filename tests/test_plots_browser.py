"""`dvc plots show` draws every plot in a real browser with no network (vega inlined by .dvc/plots/page.html).

Headless Chromium loads dvc_plots/index.html with every host unresolvable and a dead proxy; each vega plot's
div must hold an SVG with drawn line marks, and every image must exist. As a control, the same page with
dvc-render's default CDN scripts must draw nothing, so the test really runs offline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from gan1d.plots_page import CHROMIUM_NAMES, CHROMIUM_OFFLINE

import pytest
from PIL import Image

from conftest import built_repo, run

pytestmark = pytest.mark.slow  # builds a repository and runs DVC: deselect with -m "not slow"

CHROMIUM = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def chromium(page: Path, *args: str) -> str:
    """Run headless Chromium, offline, on ``page``; its stdout."""
    proc = subprocess.run(
        [CHROMIUM, *CHROMIUM_OFFLINE, *args, page.resolve().as_uri()], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def body(html: str) -> str:
    return html.split("<body>", 1)[1]  # the head holds the inlined scripts


def plot_ids(html: str) -> list[str]:
    return re.findall(r"vegaEmbed\('#([^']+)'", body(html))


def drawn(dom: str, ids: list[str]) -> dict[str, bool]:
    """Per vega div: does its part of the DOM hold an SVG with a line mark whose path has points?"""
    starts = [dom.index(f'id="{i}"') for i in ids]
    parts = [dom[s:e] for s, e in zip(starts, [*starts[1:], len(dom)])]
    return {
        i: "<svg" in p and re.search(r'class="mark-line[^"]*".*?<path[^>]* d="M[\d.-]+', p, re.S) is not None
        for i, p in zip(ids, parts)
    }


def screenshot(page: Path, out: Path) -> Path:
    chromium(page, f"--screenshot={out}")
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)")
def test_plots_show_draws_offline(tmp_path):
    repo = built_repo(tmp_path, "repo")
    repro = (repo / ".git" / "first_repro.log").read_text()
    for noise in ("absl::InitializeLog", "cuda drivers", "cudart"):  # gan1d.quiet: stages print only their own lines
        assert noise not in repro
    run(["dvc", "plots", "show"], repo)
    page = repo / "dvc_plots/index.html"
    html = page.read_text()
    assert "<script src=" not in html  # nothing is loaded from outside the page
    ids = plot_ids(html)
    assert ids, "no vega plot on the page"
    images = re.findall(r'<img src="([^"]+)"', body(html))
    assert [i for i in images if i.endswith("final.png")], images
    for img in images:
        assert (page.parent / img).is_file(), img

    dom = chromium(page, "--dump-dom")
    assert drawn(dom, ids) == {i: True for i in ids}
    assert "training step" in dom and ">loss<" in dom  # axis titles of the loss plot

    shot = Image.open(screenshot(page, tmp_path / "plots.png")).convert("L")
    assert sum(shot.histogram()[:200]) > 2000  # pixels darker than the white background: ink, not a blank page

    # control: dvc-render's default page loads vega from a CDN, which this offline browser cannot reach
    from dvc_render.html import PAGE_HTML

    (repo / "cdn.html").write_text(PAGE_HTML)
    run(["dvc", "plots", "show", "--html-template", str(repo / "cdn.html"), "-o", "cdn_plots"], repo)
    cdn = repo / "cdn_plots/index.html"
    assert "cdn.jsdelivr.net" in cdn.read_text()
    assert not any(drawn(chromium(cdn, "--dump-dom"), plot_ids(cdn.read_text())).values())
