"""The documentation stands alone: no link leaves the repository, a link to a section of a page
(``serve.md#acls``) names a heading that page has, and every reference to
``docs/semantics.md#<anchor>`` names a section that exists (with the section number it quotes).

A user of the project has the repository and nothing else, so a link to a file beside it or to
a web page that may move is a broken promise; and a comment citing a section that was renamed
sends the reader nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEMANTICS = ROOT / "docs" / "semantics.md"
SKIP_DIRS = {
    ".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis",
    ".mypy_cache", ".ruff_cache", "build", "dist",
}
TEXT_SUFFIXES = {".md", ".py", ".lark", ".toml", ".json", ".jsonl", ".cfg", ".ini", ".txt", ".sh", ""}

# Built from pieces so that this file does not match its own checks.
OLD_SPEC = "SEMANTICS" + ".md"
OUTSIDE = "../" + "shared"
SECTION_SIGN = "\u00a7"

MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
ANCHOR_REF = re.compile(r"docs/semantics\.md#([A-Za-z0-9_-]+)")
QUOTED_SECTION = re.compile(
    r"\[(?:semantics )?" + SECTION_SIGN + r"(\d+(?:\.\d+)?)\]\((?:[^)#\s]*semantics\.md)?#([A-Za-z0-9_-]+)\)"
)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r"""<a\s+(?:id|name)\s*=\s*["']([^"']+)["']\s*>\s*</a>""")


def _files() -> list[Path]:
    out = []
    for p in ROOT.rglob("*"):
        rel = p.relative_to(ROOT).parts
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel):
            continue
        if p.is_file() and p.suffix in TEXT_SUFFIXES:
            out.append(p)
    return sorted(out)


def _text(p: Path) -> str | None:
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # a binary file without a suffix


FILES = [(p, t) for p in _files() if (t := _text(p)) is not None]
MARKDOWN = [(p, t) for p, t in FILES if p.suffix == ".md"]


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    return {slug(h) for _, h in HEADING.findall(text)} | set(EXPLICIT_ANCHOR.findall(text))


def section_numbers(text: str) -> dict[str, str]:
    """Explicit anchor → the number of the heading that follows it (``## 8.4 Dangling`` → 8.4)."""
    out = {}
    for m in EXPLICIT_ANCHOR.finditer(text):
        h = HEADING.search(text, m.end())
        if h is not None:
            num = re.match(r"(\d+(?:\.\d+)*)\.?\s", h.group(2))
            if num:
                out[m.group(1)] = num.group(1)
    return out


def _links(text: str) -> list[str]:
    return MD_LINK.findall(text) + HTML_LINK.findall(text) + REF_DEF.findall(text)


def test_the_semantics_page_exists_and_the_readme_links_to_it() -> None:
    assert SEMANTICS.is_file(), "docs/semantics.md is missing"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/semantics.md)" in readme, "README.md does not link to docs/semantics.md"


@pytest.mark.parametrize("path,text", MARKDOWN, ids=[_rel(p) for p, _ in MARKDOWN])
def test_markdown_links_stay_in_the_repository(path: Path, text: str) -> None:
    bad = []
    for target in _links(text):
        if not target or target.startswith("#"):
            continue
        if SCHEME.match(target) or target.startswith("//"):
            bad.append(f"{target} (outside the repository)")
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve()
        if not resolved.is_relative_to(ROOT):
            bad.append(f"{target} (outside the repository)")
        elif not resolved.exists():
            bad.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text(encoding="utf-8")):
            # A section of another page (docs/serve.md#acls, ../README.md#choices), not only semantics.md's.
            bad.append(f"{target} (no such section)")
    assert not bad, f"{_rel(path)} links to: " + ", ".join(bad)


def _prose(text: str) -> str:
    """Markdown without code blocks and code spans (a command line in an example is not a link)."""
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(`+).+?\1", "", text, flags=re.DOTALL)


@pytest.mark.parametrize("name", ["README.md", *sorted(_rel(p) for p in (ROOT / "docs").glob("*.md"))])
def test_top_documents_have_no_web_or_parent_links(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    here = (ROOT / name).parent

    def outside(target: str) -> bool:
        """A ``../`` path is fine while it stays inside the repository (docs/ → benchmarks/)."""
        path = (here / target.split("#")[0].rstrip(").,;")).resolve()
        return not path.is_relative_to(ROOT)

    found = re.findall(r"https?://\S+", _prose(text))
    found += [t for t in re.findall(r"\.\./\S*", _prose(text)) if outside(t)]
    found += [t for t in _links(text) if SCHEME.match(t) or (t.startswith("../") and outside(t))]
    assert not found, f"{name} links to {found}: the documents at the top stand alone"


def test_committed_images_carry_no_web_links() -> None:
    """A PNG's text chunks (a plotting library names its web site there) are part of the repository too."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "*.png"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert listed, "no images found: is this a git checkout?"
    linked = [name for name in listed if re.search(rb"https?://", (ROOT / name).read_bytes())]
    assert not linked, f"images whose metadata holds a web address: {linked}"


def test_nothing_cites_the_old_specification_or_paths_outside() -> None:
    bad = []
    for p, text in FILES:
        for n, line in enumerate(text.splitlines(), 1):
            if OLD_SPEC in line or OUTSIDE in line:
                bad.append(f"{_rel(p)}:{n}: {line.strip()}")
            elif p.suffix != ".md" and re.search(SECTION_SIGN + r"\s?\d", line):
                bad.append(f"{_rel(p)}:{n}: a numbered section reference; write docs/semantics.md#<anchor>")
    assert not bad, "references to documents outside the repository:\n" + "\n".join(bad)


def test_every_semantics_anchor_exists() -> None:
    known = anchors(SEMANTICS.read_text(encoding="utf-8"))
    bad = []
    for p, text in FILES:
        for n, line in enumerate(text.splitlines(), 1):
            for a in ANCHOR_REF.findall(line):
                if a not in known:
                    bad.append(f"{_rel(p)}:{n}: #{a}")
    assert not bad, "docs/semantics.md has no such section:\n" + "\n".join(bad)


def test_internal_links_and_quoted_section_numbers_match() -> None:
    sem_text = SEMANTICS.read_text(encoding="utf-8")
    numbers = section_numbers(sem_text)
    bad = []
    for p, text in MARKDOWN:
        own = anchors(text)
        for target in _links(text):
            if target.startswith("#") and target[1:] not in own:
                bad.append(f"{_rel(p)}: link to missing anchor {target}")
        for num, anchor in QUOTED_SECTION.findall(text):
            if numbers.get(anchor) != num:
                bad.append(f"{_rel(p)}: '§{num}' links to #{anchor}, which is §{numbers.get(anchor)}")
    assert not bad, "\n".join(bad)


def test_section_anchors_are_unique() -> None:
    ids = EXPLICIT_ANCHOR.findall(SEMANTICS.read_text(encoding="utf-8"))
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
