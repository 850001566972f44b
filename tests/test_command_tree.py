"""Every command, found by walking the command tree: read commands honour --json, --csv and
TSV when piped, and end quietly on a closed pipe; groups run their default command bare; short
flags mean one thing; usage errors are one line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.cli.common import DefaultGroup

ROOT = typer.main.get_command(app)
MAIL = Path(__file__).parent / "fixtures" / "mail"
NOW = "2026-11-25T10:00:00+00:00"
# Arguments a read command needs on the demo book.
ARGUMENTS = {"show": ["1"], "deal show": ["1"], "company show": ["1"],
             "notes search": ["pilot"], "followups list": ["ana"], "notes list": ["ana"],
             "sync": ["--no-command"], "sync run": ["--no-command"],
             "relations": ["1"], "gifts": ["1"], "segment show": ["vips"], "date list": ["1"],
             "campaign status": ["news"], "campaign send": ["news", "--dry-run"],
             "case show": ["1"],
             "log-mail": ["--file", str(MAIL / "ana.eml"), "--dry-run"],
             "import-mail": [str(MAIL / "Maildir"), "--dry-run"],
             "mail suggest": [str(MAIL / "Maildir")]}
TYPE_IS_T = {"log", "activity"}  # where -t has always meant --type


def _walk(command, path=()):
    yield path, command
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            yield from _walk(command.get_command(None, name), (*path, name))


TREE = dict(_walk(ROOT))
READ_COMMANDS = sorted(" ".join(path) for path, command in TREE.items()
                       if not hasattr(command, "list_commands")
                       and any("--json" in p.opts for p in command.params))
GROUPS = sorted(" ".join(path) for path, command in TREE.items()
                if isinstance(command, DefaultGroup))


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book")
    env = {"XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data"),
           "CRM_CONFIG": str(folder / "none.toml"), "CRM_NOW": NOW, "TZ": "UTC",
           "NO_COLOR": None, "CRM_DB": None}
    path = folder / "crm.db"
    run = CliRunner().invoke
    assert run(app, ["--db", str(path), "demo"], env=env).exit_code == 0
    assert run(app, ["--db", str(path), "segment", "save", "vips", "tag:vip"],
               env=env).exit_code == 0
    assert run(app, ["--db", str(path), "case", "open", "1", "Late delivery", "--due", "today"],
               env=env).exit_code == 0
    (folder / "news.md").write_text("Subject: News\nFrom: me@example.com\n\nHello\n")
    assert run(app, ["--db", str(path), "campaign", "new", "news", "--to", "@vips",
                     "--template", str(folder / "news.md")], env=env).exit_code == 0
    return path, env


def _run(book, *args: str):
    path, env = book
    result = CliRunner().invoke(app, ["--db", str(path), *args], env=env)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def _args(name: str) -> list[str]:
    return [*name.split(), *ARGUMENTS.get(name, [])]


def test_the_tree_has_the_read_commands_of_the_guide():
    assert {"list", "show", "deal list", "followups list", "notes list", "due", "activity",
            "dashboard", "pipeline", "report deals", "deal stages list"} <= set(READ_COMMANDS)
    assert {"followups", "notes", "report", "deal stages"} <= set(GROUPS)


@pytest.mark.parametrize("name", READ_COMMANDS)
def test_read_commands_honour_json_csv_and_tsv(book, name):
    json.loads(_run(book, *_args(name), "--json"))
    options = {opt for p in TREE[tuple(name.split())].params for opt in p.opts}
    if "--csv" in options:
        rows = list(csv.reader(io.StringIO(_run(book, *_args(name), "--csv"))))
        assert rows and all(len(row) == len(rows[0]) for row in rows)
    if "--format" in options:
        lines = _run(book, *_args(name), "-f", "tsv").splitlines()
        width = lines[0].count("\t")
        assert all(line.count("\t") == width for line in lines)


def test_read_commands_with_a_format_take_the_csv_shorthand():
    """`crm journal --csv` was no such option, though `-f csv` worked."""
    lacking = [name for name in READ_COMMANDS
               if {"--format", "--json"} <= _options(name) and "--csv" not in _options(name)]
    assert lacking == []


def _options(name: str) -> set[str]:
    return {opt for p in TREE[tuple(name.split())].params for opt in p.opts}


def _closed_pipe():
    """A line-buffered stream onto a pipe whose reader went away."""
    reader, writer = os.pipe()
    os.close(reader)
    return open(writer, "w", buffering=1, encoding="utf-8")


@pytest.mark.parametrize("name", [*READ_COMMANDS, "export", "mutt-query", "config path"])
def test_read_commands_end_quietly_on_a_closed_pipe(book, name, monkeypatch, capsys):
    path, env = book
    for key, value in env.items():
        monkeypatch.delenv(key, raising=False) if value is None else monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "stdout", _closed_pipe())
    args = [*_args(name), *(["ana"] if name == "mutt-query" else [])]
    with pytest.raises(SystemExit) as exit_:
        app(["--db", str(path), *args], prog_name="crm")
    assert exit_.value.code in (0, None), capsys.readouterr().err
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("args", [["list"], ["export"], ["show", "1"], ["mutt-query", "a"],
                                  ["list", "--json"], ["dump"], [], ["--help"], ["-h"],
                                  ["--version"], ["list", "--help"], ["deal", "list", "-h"],
                                  ["report", "--help"]])
def test_a_real_closed_pipe_ends_quietly(book, args):
    path, env = book
    reader, writer = os.pipe()
    os.close(reader)  # like `| head -0`: every write meets a closed pipe
    environment = {key: value for key, value in os.environ.items() if key not in env}
    environment.update({key: value for key, value in env.items() if value is not None})
    done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(path), *args],
                          stdout=writer, stderr=subprocess.PIPE, env=environment, timeout=60)
    os.close(writer)
    assert (done.returncode, done.stderr) == (0, b"")


@pytest.mark.parametrize("name", GROUPS)
def test_every_group_runs_its_default_command_with_its_options(book, name):
    json.loads(_run(book, *_args(name), "--json"))
    default = TREE[tuple(name.split())].default_command
    assert _run(book, *_args(name)) == _run(book, *name.split(), default,
                                            *ARGUMENTS.get(name, []))


def test_short_flags_mean_one_thing():
    meanings = {}
    for path, command in TREE.items():
        for param in getattr(command, "params", []):
            for short in (opt for opt in param.opts if len(opt) == 2 and opt[0] == "-"):
                long = max(param.opts, key=len)
                if short == "-t" and path and path[-1] in TYPE_IS_T:
                    assert long == "--type", path
                    continue
                meanings.setdefault(short, set()).add(long)
    assert meanings["-f"] == {"--format"}
    assert meanings["-t"] == {"--tag"}
    assert {short: longs for short, longs in meanings.items() if len(longs) > 1} == {}


def test_usage_errors_are_one_line_and_a_hint(crm):
    for args, message in ((["list", "-z"], "No such option: -z"),
                          (["frobnicate"], "No such command 'frobnicate'"),
                          (["deal", "lost", "1"], "Missing option '--reason'")):
        result = crm(*args)
        assert result.exit_code == 2
        first, hint = result.stderr.splitlines()
        assert first.startswith("crm: error: ") and message in first
        assert hint.startswith("try 'crm ") and hint.endswith(" --help'")
