"""The page template for an offline `dvc plots show`: the vendored Vega scripts inlined into one HTML file.

dvc-render fills ``{plot_divs}`` with one ``<div>`` per plot (each calls ``vegaEmbed``) and ``{refresh_tag}``
with an optional refresh ``<meta>``. The page leaves out its ``{scripts}`` placeholder, which would load Vega
from a CDN. Regenerate after changing ``docs/vendor/``: ``python -m gan1d.plots_page``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from gan1d.errors import ArtifactError, run_main

VENDOR = Path("docs/vendor")
TEMPLATE = Path(".dvc/plots/page.html")
# load order matters: vega-embed needs vega and vega-lite
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
PLACEHOLDERS = ("{plot_divs}", "{refresh_tag}", "{scripts}")
# headless Chromium with every host unresolvable and a dead proxy: a page that draws under these flags draws
# with no network (tests/test_plots_browser.py checks the page; benchmarks/docs_figures.py photographs it)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_OFFLINE = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--virtual-time-budget=20000", "--window-size=1000,1200",
)  # fmt: skip

_HEAD = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <title>DVC Plot</title>
    <!-- vega, vega-lite and vega-embed, inlined from docs/vendor/ (licences there) by python -m gan1d.plots_page -->
"""
# dvc-render calls vegaEmbed(id, spec) with no options: default to SVG (crisp; the marks are in the DOM)
_SVG = """    <script>
    (function () {
        var embed = window.vegaEmbed;
        window.vegaEmbed = function (el, spec, opts) { return embed(el, spec, Object.assign({renderer: "svg"}, opts)); };
    })();
    </script>
"""
_TAIL = """    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def build_page(vendor: Path = VENDOR) -> str:
    """The HTML template with every script of ``SCRIPTS`` inlined (source-map comments dropped)."""
    parts = [_HEAD]
    for name in SCRIPTS:
        path = vendor / name
        if not path.is_file():
            raise ArtifactError(f"{path}: missing; restore docs/vendor/ from git (see docs/vendor/README.md)")
        code = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", path.read_text(encoding="utf8"))
        if "</script" in code or any(p in code for p in PLACEHOLDERS):
            raise ArtifactError(f"{path}: contains '</script' or a dvc-render placeholder; cannot be inlined")
        parts.append(f"    <script>/* {name} */\n{code.rstrip()}\n</script>\n")
    parts.append(_SVG)
    parts.append(_TAIL)
    return "".join(parts)


def write_page(vendor: Path = VENDOR, out: Path = TEMPLATE) -> Path:
    """Write :func:`build_page` to ``out`` (byte-identical on rerun)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_page(vendor), encoding="utf8", newline="\n")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gan1d.plots_page", description=__doc__)
    ap.add_argument("--vendor", type=Path, default=VENDOR, help="folder of the vendored scripts")
    ap.add_argument("--out", type=Path, default=TEMPLATE, help="the template to write")
    args = ap.parse_args(argv)
    run_main(lambda: print(f"wrote {write_page(args.vendor, args.out)}"))


if __name__ == "__main__":
    main()
