"""What a full (Typer) command imports before its own work: piped records and explicit
formats never load Rich (its views are imported only to draw a terminal page), and the
completion code loads only when a shell asks for completions. Each case is a whole process,
so that nothing imported by another test hides an import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from crmcli.cli import app

PROBE = """
import sys
sys.argv[0] = "crm"
from crmcli.cli import main
try:
    main()
finally:
    print("loaded:", *sorted(name for name in sys.modules
                              if name.split(".")[0] == "rich"
                              or name == "crmcli.shell_completion"), file=sys.stderr)
"""

CASES = [
    ["list"],
    ["list", "--json"],
    ["due"],
    ["activity"],
    ["activity", "--heatmap"],
    ["forecast"],
    ["pipeline", "--json"],
    ["report", "--json"],
    ["report", "customers"],
    ["report", "activity"],
    ["show", "1", "--json"],
    ["deal", "show", "1", "--csv"],
    ["config", "show", "--json"],
]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "crm.db"
    env = {**os.environ, "CRM_DB": str(path), "CRM_NOW": "2026-11-20T09:00:00+00:00"}
    for args in (["add", "Ana Lima", "-e", "ana@lima.example"], ["log", "1", "-t", "call", "hi"],
                 ["follow-up", "1", "tomorrow", "Send the quote"],
                 ["deal", "add", "1", "Pilot", "--value", "9500"]):
        subprocess.run([sys.executable, "-m", "crmcli", *args], env=env, check=True,
                       capture_output=True)
    return path


@pytest.mark.parametrize("args", CASES, ids=[" ".join(args) for args in CASES])
def test_piped_records_and_formats_load_no_rich(book, tmp_path, args):
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": "2026-11-20T09:00:00+00:00",
           "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("_CRM_COMPLETE", None)
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout  # the command did write its records
    assert done.stderr.splitlines()[-1] == "loaded:"


def test_the_agenda_loads_no_contact_module(book, tmp_path):
    """``crm due`` reads follow-ups, birthdays and cadences: crmcli.contacts (with companies,
    fields and their rules) is imported only by the commands that resolve a contact."""
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": "2026-11-20T09:00:00+00:00",
           "XDG_CONFIG_HOME": str(tmp_path)}
    probe = PROBE.replace('name.split(".")[0] == "rich"', 'name == "crmcli.contacts"')
    done = subprocess.run([sys.executable, "-c", probe, "due"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Send the quote" in done.stdout
    assert done.stderr.splitlines()[-1] == "loaded:"


def test_a_page_is_drawn_with_rich_but_no_emoji_table(book, tmp_path):
    env = {**os.environ, "CRM_DB": str(book), "CRM_NOW": "2026-11-20T09:00:00+00:00",
           "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE, "show", "1"], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Send the quote" in done.stdout
    loaded = done.stderr.splitlines()[-1].split()
    assert "rich.console" in loaded
    assert "rich._emoji_codes" not in loaded  # crm's markup has no :emoji: codes to look up


def test_a_group_builds_only_the_sub_command_asked_for():
    deal = typer.main.get_command(app).get_command(None, "deal")
    assert deal.get_command(None, "list").name == "list"
    built = [name for name, command in dict.items(deal.commands) if command is not None]
    assert built == ["list"]
    assert "stages" in deal.list_commands(None)  # help and completion still see them all
    assert all(command is not None for command in dict.values(deal.commands))
