"""What every command shares: the session state (``crmcli.session``: config, database, clock,
output), the output options, messages and prompts."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from typer.core import TyperGroup

from crmcli import output
from crmcli.cli.arguments import TagChange
from crmcli.errors import CrmError, InvalidInput
from crmcli.session import State
from crmcli.text import safe


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="Output format (default: table on a terminal, "
                 "tsv when piped).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Shorthand for --format csv.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


class DefaultGroup(TyperGroup):
    """A group whose bare form, or its options alone (``crm followups --json``), runs its
    default command with all of that command's options."""

    default_command = ""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first is None or (first.startswith("-") and first not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def group_with_default(command: str) -> type[TyperGroup]:
    """The group class to give ``typer.Typer(cls=...)`` so that it runs ``command`` bare."""
    return type(f"DefaultGroup_{command}", (DefaultGroup,), {"default_command": command})


_state = State()


def state() -> State:
    return _state


def reset_state(db_option: str | None, debug: bool) -> State:
    global _state
    _state = State(db_option=db_option, debug=debug)
    return _state


def out(format_: Format | None = None, as_json: bool = False, as_csv: bool = False
        ) -> output.Output:
    """The command's output, chosen from its format options (and kept in the state)."""
    _state.out = output.Output.choose(format_.value if format_ else None, as_json, as_csv)
    return _state.out


def info(message: str) -> None:
    """A summary or progress line for people: stderr, so stdout stays clean for pipes."""
    typer.echo(safe(message), err=True)


def stdin_text(what: str) -> str:
    """A text argument given as ``-``: stdin, read no further than the longest text allowed."""
    from crmcli.limits import MAX_TEXT, check_text

    text = sys.stdin.read(MAX_TEXT + 1)
    check_text(what, text, MAX_TEXT)
    return text


def confirm(question: str, yes: bool) -> None:
    """Ask before destroying anything; without a terminal, require --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(f"{question.rstrip('?')}: add --yes to confirm (not a terminal)")
    try:
        agreed = typer.confirm(safe(question), default=False, err=True)
    except typer.Abort:
        raise KeyboardInterrupt from None
    if not agreed:
        raise CrmError("cancelled; nothing was changed")


def company_filter(db, company: str | None) -> int | None:
    """The id of the company a ``--company`` option names, or None without one."""
    if company is None:
        return None
    from crmcli import companies

    return companies.resolve(db, company).id


def moment_ago(text: str) -> str:
    """A moment typed for a filter, looking back, as stored UTC text. A bare number counts
    days (``30`` is 30 days ago), as in ``--cadence 30``."""
    from crmcli.dates import parse_when

    value = text.strip()
    value = f"{value}d" if value.isdecimal() else value
    return parse_when(value, state().now, state().config.date_order, past=True).utc_text()


TagChanges = Annotated[list[str], typer.Argument(
    help="+tag adds (a bare word adds too), -tag removes.", click_type=TagChange())]


def tag_changes(changes: list[str]) -> tuple[list[str], list[str]]:
    """The tags ``+tag`` (or ``tag``) adds and ``-tag`` removes (crm tag, crm company tag:
    ``TagChanges``, which refuses an empty one)."""
    add = [change.removeprefix("+") for change in changes if not change.startswith("-")]
    remove = [change[1:] for change in changes if change.startswith("-")]
    return add, remove
