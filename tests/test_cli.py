"""The command as a whole: version, help with examples everywhere, config, demo, entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from crmcli import __version__
from crmcli.cli import app


def _commands(group, prefix=()):
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_version(crm):
    assert crm.ok("--version").stdout == f"crm {__version__}\n"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(crm, command):
    text = crm.ok(*command, "--help").stdout
    assert "Examples:" in text or "muttrc" in text
    assert "crm " in text


def test_python_dash_m_and_the_console_script_agree(tmp_path):
    result = subprocess.run([sys.executable, "-m", "crmcli", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout == f"crm {__version__}\n"


def test_config_path_and_show(crm, tmp_path, monkeypatch):
    assert crm.ok("config", "path").stdout == f"{tmp_path / 'config' / 'crmcli' / 'config.toml'}\n"
    config = tmp_path / "my.toml"
    config.write_text('date_order = "mdy"\ncurrency = "usd"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    shown = crm.ok("config", "show", "--json").json()
    assert shown["date_order"] == "MDY"
    assert shown["currency"] == "USD"
    assert shown["db"] == str(crm.db_path)
    assert crm.ok("add", "Ana", "--birthday", "05/17/1980").exit_code == 0
    assert crm.ok("show", "ana", "--json").json()["birthday"] == "1980-05-17"


def test_default_database_follows_xdg(tmp_path):
    from typer.testing import CliRunner

    CliRunner().invoke(app, ["add", "Ana"])
    path = tmp_path / "data" / "crmcli" / "crm.db"
    assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_demo_seeds_once_and_never_overwrites_without_force(crm, db_path):
    first = crm.ok("demo")
    assert "José Núñez" in first.stdout
    assert "added 12 sample contacts" in first.stderr
    crm.ok("tag", "jose", "+mine")
    refused = crm("demo")
    assert refused.exit_code == 1
    assert "already holds data" in refused.stderr
    assert crm.ok("show", "jose", "--json").json()["tags"] == ["customer", "mine", "vip"]
    forced = crm.ok("demo", "--force")
    assert "kept the previous database as" in forced.stderr
    backups = list(db_path.parent.glob("crm.db.*.bak"))
    assert len(backups) == 1
    assert "mine" not in crm.ok("show", "jose", "--json").json()["tags"]


def test_demo_on_an_empty_database_is_fine(crm):
    crm.ok("list")
    assert "added 12" in crm.ok("demo").stderr


def test_ci_runs_exactly_the_readme_test_command():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "[test]" in line)
    assert test_command in (root / ".ci" / "run").read_text().splitlines()
