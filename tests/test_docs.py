"""The documentation: every local link resolves, every anchor is a heading, the README stays short, and no
sentence speaks of how the work was organised. Pure Python, no network, no TensorFlow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 250

# Phrases about how the work was organised (not about the software); case-insensitive unless they start with "I".
FORBIDDEN = [
    r"(?i)\bthis round\b",
    r"(?i)\bround\b",
    r"(?i)\bexperiment copy\b",
    r"(?i)\bthe copy\b",
    r"(?i)\bissue \d+",
    r"(?i)\bsession\b",
    r"(?i)\bborrowed machine\b",
    r"(?i)\bwe will\b",
    r"\bI would\b",
    r"\bnext I\b",
]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def doc_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def without_code(text: str) -> str:
    """The text with fenced code blocks and inline code spans blanked (links and headings in code do not count)."""
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return INLINE_CODE.sub("code", text)


def links(text: str) -> list[str]:
    """Every link target of a Markdown text: inline links and images, and reference definitions."""
    text = without_code(text)
    found = [m.group(1) for m in INLINE_LINK.finditer(text)] + [m.group(1) for m in REFERENCE_DEF.finditer(text)]
    return [t[1:-1] if t.startswith("<") and t.endswith(">") else t for t in found]


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target))  # http:, https:, mailto:, ...


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lowercase, punctuation except '-' and '_' dropped,
    spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters, digits and '_'
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown text, with GitHub's -1, -2, ... suffixes for repeated headings."""
    seen: dict[str, int] = {}
    out = set()
    for m in HEADING.finditer(without_code_fences(text)):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def without_code_fences(text: str) -> str:
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def broken_links(path: Path) -> list[str]:
    """The local links of ``path`` whose file is missing or whose anchor is no heading of the target."""
    problems = []
    for target in links(path.read_text(encoding="utf-8")):
        if is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = path if not file_part else (path.parent / file_part).resolve()
        if not dest.exists():
            problems.append(f"{path.name}: {target}: no such file {dest}")
            continue
        if anchor:
            if dest.suffix.lower() != ".md":
                problems.append(f"{path.name}: {target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(dest.read_text(encoding="utf-8")):
                problems.append(f"{path.name}: {target}: no heading '#{anchor}' in {dest.name}")
    return problems


def forbidden_phrases(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", text)  # a phrase broken over two lines still counts
    return [m.group(0) for pattern in FORBIDDEN for m in re.finditer(pattern, flat)]


# The checkers themselves: they must find what they are meant to find.


def test_links_finds_inline_links_images_and_definitions_but_not_code():
    text = (
        'See [the log](docs/research-log.md#open-questions) and ![pic](docs/final.png "title").\n'
        "[ref]: docs/results.md\n"
        "`[not](a-link.md)` and\n```\n[nor](this.md)\n```\n"
        "[web](https://dvc.org) [here](#local) [nested [brackets]](<docs/design.md>)\n"
    )
    assert links(text) == [
        "docs/research-log.md#open-questions",
        "docs/final.png",
        "https://dvc.org",
        "#local",
        "docs/design.md",
        "docs/results.md",
    ]


def test_slug_follows_github_rules():
    assert slug("When something goes wrong") == "when-something-goes-wrong"
    assert slug("An early comparison on N(4, 0.5)") == "an-early-comparison-on-n4-05"
    assert slug("What a success looks like: `three`") == "what-a-success-looks-like-three"
    assert slug("2026-11-29: G's width follows the target") == "2026-11-29-gs-width-follows-the-target"
    assert slug("`seed`, `target`, `noise`, `data`") == "seed-target-noise-data"
    assert slug("snake_case and [a link](x.md)") == "snake_case-and-a-link"


def test_anchors_ignore_code_and_number_repeats():
    text = "# Title\n## Usage\n```bash\n# not a heading\n```\n## Usage\n"
    assert anchors(text) == {"title", "usage", "usage-1"}


def test_broken_links_are_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n## Real heading\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Doc\n[ok](other.md#real-heading) [self](#doc) [web](https://example.org/missing)\n"
        "[gone](missing.md) [bad anchor](other.md#no-such-heading) [bad self](#nowhere)\n"
    )
    problems = broken_links(doc)
    assert len(problems) == 3
    assert "missing.md" in problems[0] and "no-such-heading" in problems[1] and "#nowhere" in problems[2]


def test_forbidden_phrases_are_found_across_line_breaks():
    assert forbidden_phrases("measured in the experiment\ncopy this round; see issue 11") == [
        "this round",
        "round",
        "experiment copy",
        "issue 11",
    ]
    assert forbidden_phrases("I would measure next.") == ["I would"]
    assert forbidden_phrases("Around the default, a temporary copy of the repository; rounding.") == []


# The documentation itself.


def test_the_docs_exist():
    names = {p.name for p in doc_files()}
    assert {"README.md", "reference.md", "results.md", "research-log.md", "performance.md", "design.md"} <= names


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_resolves(path):
    assert broken_links(path) == []


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sentence_speaks_of_how_the_work_was_organised(path):
    assert forbidden_phrases(path.read_text(encoding="utf-8")) == []


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")  # what `wc -l` counts
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_readme_keeps_the_two_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    install = "test -d .venv || python3 -m venv .venv; .venv/bin/pip install -q -c constraints.txt -e "
    assert install + '. && PATH="$PWD/.venv/bin:$PATH" dvc repro' in text.splitlines()
    assert install + "'.[test]' && .venv/bin/python -m pytest" in text.splitlines()


def test_readme_links_every_doc():
    readme_links = {t.partition("#")[0] for t in links(README.read_text(encoding="utf-8"))}
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{doc.name}" in readme_links, f"README.md does not link docs/{doc.name}"
