"""``crm sync setup URL``: vdirsyncer's config for crm's vdirs, its discovery, and crm's
``[sync]`` table (registered on the ``crm sync`` group by cli/sync.py)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import info, state
from crmcli.errors import CrmError, UsageError

CALENDARS = ("tasks", "journal", "deals", "cases")

Url = Annotated[str, typer.Argument(help="The server, or one address book on it (https://...).",
                                    show_default=False)]
User = Annotated[str | None, typer.Option("--user", "-u", help="Login name; leave out for a "
                                          "server without authentication.")]
PasswordCommand = Annotated[str | None, typer.Option(
    "--password-command", help="A command that prints the password (pass show dav); "
    "vdirsyncer runs it each time, so nothing secret is stored.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin and keep it in "
    "a file only you can read (else it is asked for on a terminal).")]
WithTasks = Annotated[bool, typer.Option(
    "--tasks", help="Also sync follow-ups as tasks with the server's calendar (as when "
    "\\[sync] tasks is set).")]
WithJournal = Annotated[bool, typer.Option(
    "--journal", help="Also sync notes and logged interactions as journal entries (as when "
    "\\[sync] journal is set).")]
WithDeals = Annotated[bool, typer.Option(
    "--deals", help="Also sync deals as tasks in the server's calendar named deals (as when "
    "\\[sync] deals is set).")]
WithCases = Annotated[bool, typer.Option(
    "--cases", help="Also sync open service cases as tasks in the server's calendar named cases "
    "(as when \\[sync] cases is set).")]
Force = Annotated[bool, typer.Option("--force", help="Replace a vdirsyncer config at the same "
                                     "place that crm did not write.")]


def setup(url: Url, user: User = None, password_command: PasswordCommand = None,
          password_stdin: PasswordStdin = False, tasks: WithTasks = False,
          journal: WithJournal = False, deals: WithDeals = False, cases: WithCases = False,
          force: Force = False) -> None:
    """Write a vdirsyncer config pairing crm's vdirs with the server, let vdirsyncer discover
    the collections, and set crm's \\[sync] table to use it. Contacts always; tasks, journal,
    deals and cases when \\[sync] tasks / journal / deals / cases are set (or --tasks,
    --journal, --deals, --cases are given)."""
    from crmcli.config import save_setting, sync_settings
    from crmcli.sync import setup as engine

    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        raise UsageError(f"URL must start with https:// (or http://), not {url[:80]!r}")
    vdirsyncer = engine.find_vdirsyncer()
    folder = vdirsyncer_folder()
    asked = {name for name, wanted in (("tasks", tasks), ("journal", journal),
                                       ("deals", deals), ("cases", cases)) if wanted}
    pairs = _pairs(sync_settings(state().config), asked)
    plan = engine.Setup(url=url, user=user, password_fetch=None, pairs=pairs,
                        config_file=folder / "config", status_folder=folder / "status")
    _check_replaceable(plan.config_file, force)
    secret = _password(plan, folder, password_command, password_stdin)
    settings = engine.run(plan, vdirsyncer, secret)
    for key, value in settings.items():
        path = save_setting(f"sync.{key}", value)
    for pair in plan.pairs:
        info(f"{pair.name}: {pair.folder} <-> {plan.chosen[pair.name]}")
    info(f"vdirsyncer config: {plan.config_file}; [sync] set in {path}; run crm sync")


def vdirsyncer_folder() -> Path:
    """``$XDG_CONFIG_HOME/crmcli/vdirsyncer`` (~/.config/...): its config, status, password."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crmcli" / "vdirsyncer"


def _pairs(settings, asked: set[str]) -> list:
    from crmcli.config import default_sync_folder
    from crmcli.sync import setup as engine

    pairs = [engine.contacts_pair(settings.folder("contacts"))]
    table = state().config.table("sync")
    for name in CALENDARS:
        folder = settings.folder(name)
        if name in asked and folder is None and name not in table:
            folder = Path(default_sync_folder(name))  # deals, cases: off until asked for
        if (table.get(name) or name in asked) and folder is not None:
            pairs.append(engine.calendar_pair(name, folder))
    return pairs


def _check_replaceable(config_file: Path, force: bool) -> None:
    from crmcli.sync.setup import MARKER

    try:
        first = config_file.read_text(encoding="utf-8", errors="replace")[:len(MARKER)]
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CrmError(f"{config_file}: cannot read: {exc.strerror}") from None
    if first != MARKER and not force:
        raise CrmError(f"{config_file} exists and was not written by crm; move it away or "
                       "add --force to replace it")


def _password(plan, folder: Path, command: str | None, from_stdin: bool) -> str | None:
    """Set how vdirsyncer fetches the password; returns the password when crm saw it."""
    from crmcli.sync.setup import write_password_file

    if plan.user is None:
        if command or from_stdin:
            raise UsageError("--password-command and --password-stdin need --user")
        return None
    if command:
        if from_stdin:
            raise UsageError("give --password-command or --password-stdin, not both")
        try:
            words = shlex.split(command)
        except ValueError as exc:  # an unbalanced quote
            raise UsageError(f"--password-command cannot be split into words like a shell "
                             f"would ({exc})") from None
        if not words:
            raise UsageError("--password-command holds no command")
        plan.password_fetch = ["command", *words]
        return None
    secret = _read_password(from_stdin)
    password_file = folder / "password"
    write_password_file(password_file, secret)
    plan.password_fetch = ["command", "cat", str(password_file)]
    return secret


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        secret = sys.stdin.readline(4096).rstrip("\r\n")
    elif sys.stdin.isatty():
        secret = typer.prompt("Password", hide_input=True, err=True)
    else:
        raise UsageError("not a terminal: give --password-stdin or --password-command")
    if not secret:
        raise UsageError("the password is empty")
    return secret
