"""docs/reference.md is generated from the --help texts and must not go stale."""

import difflib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gen_reference.py"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("gen_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page(generator):
    return generator.render()


def test_reference_page_matches_the_help_texts(generator, page):
    stored = generator.REFERENCE.read_text(encoding="utf-8")
    if stored != page:
        diff = difflib.unified_diff(stored.splitlines(), page.splitlines(), "docs/reference.md",
                                    "--help today", lineterm="", n=1)
        pytest.fail(f"docs/reference.md is stale; run: {generator.COMMAND}\n"
                    + "\n".join(list(diff)[:40]))


def test_reference_covers_nested_commands_at_a_fixed_width(generator, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    page = generator.render()
    for heading in ("## crm add\n", "## crm notes search\n", "## crm deal stages remap\n"):
        assert heading in page
    assert "--not-contacted-since" in page
    assert "\x1b" not in page
    assert max(len(line) for line in page.splitlines()) <= generator.WIDTH


def test_only_crm_itself_offers_shell_completion(page):
    root, *commands = page.split("\n## crm")[1:]
    assert "--install-completion" in root
    assert [c.split("\n", 1)[0] for c in commands if "--install-completion" in c] == []
