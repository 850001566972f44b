"""The docs hold together: links and anchors resolve, guide pages stay short, and every script
in contrib/ has a smoke test."""

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LONGEST_PAGE = 350  # concept pages aim at 300 lines; the generated reference is exempt


def prose(path: Path) -> str:
    """The page without its code blocks, where `[x](y)` is not a link."""
    return re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -N repeats."""
    found: set[str] = set()
    repeats: Counter[str] = Counter()
    for heading in re.findall(r"^#+ (.*)$", prose(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(f"{slug}-{repeats[slug]}" if repeats[slug] else slug)
        repeats[slug] += 1
    return found


def test_relative_links_and_anchors_resolve():
    broken = []
    for page in PAGES:
        for link in re.findall(r"\]\(([^)\s]+)\)", prose(page)):
            if re.match(r"[a-z]+:", link):
                continue
            path, _, fragment = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.name}: {link} (no such file)")
            elif fragment and target.suffix == ".md" and fragment not in anchors(target):
                broken.append(f"{page.name}: {link} (no such heading)")
    assert broken == []


def test_guide_pages_stay_short():
    long_pages = {page.name: lines for page in PAGES if page.name != "reference.md"
                  and (lines := len(page.read_text(encoding="utf-8").splitlines())) > LONGEST_PAGE}
    assert long_pages == {}


def test_every_contrib_script_has_a_smoke_test():
    tests = "".join(test.read_text(encoding="utf-8")
                    for test in (ROOT / "tests").glob("test_*.py"))
    untested = [str(script.relative_to(ROOT)) for script in (ROOT / "contrib").rglob("*")
                if script.is_file() and f'"{script.name}"' not in tests]
    assert untested == []
