"""What every command shares: the session state (config, database, clock, output), the output
options, messages and prompts."""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from crmcli import output
from crmcli.errors import CrmError, InvalidInput
from crmcli.text import safe

if TYPE_CHECKING:
    from collections.abc import Callable
    from sqlite3 import Connection

    from crmcli.config import Config


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


@dataclass
class State:
    """Per-invocation settings; the config and the database are opened on first use."""

    db_option: str | None = None
    debug: bool = False
    command: str = ""  # the words after the global options, as the journal records them
    source: str = "cli"  # where the journal says the changes came from
    no_hooks: bool = False
    on_journal: Callable[[object], None] | None = None  # sees the recorder (the hooks' gate)
    _config: Config | None = field(default=None, repr=False)
    _db: Connection | None = field(default=None, repr=False)
    _now: dt.datetime | None = field(default=None, repr=False)
    out: output.Output = field(default_factory=output.Output, repr=False)

    @property
    def now(self) -> dt.datetime:
        """This command's one reading of the clock, in the configured zone (``timezone``,
        else the system's): cron's TZ does not move what "today" is. ``CRM_NOW`` pins it."""
        if self._now is None:
            self._now = read_clock(self.config.timezone)
        return self._now

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def config(self) -> Config:
        if self._config is None:
            from crmcli import config
            from crmcli.dates import use_zone

            self._config = config.load(self.db_option)
            use_zone(self._config.timezone)
            for key in self._config.unknown_keys:
                info(f"crm: warning: {self._config.path}: unknown setting {key!r} ignored")
        return self._config

    @property
    def db(self) -> Connection:
        if self._db is None:
            from crmcli import config, db

            self._db = db.connect(self.config.db_path,
                                  create_folder=self.config.db_is_default)
            self._db.now = self.now  # writes are stamped with the command's moment
            self._db.campaign_mail_counts = config.campaign_mail_counts(self.config)
            self._start_journal()
        return self._db

    def _start_journal(self) -> None:
        from crmcli import journal
        from crmcli.dates import stamp

        keep = self.config.raw.get("journal", {}).get("keep", "90d")
        recorder = journal.Recorder(
            what=self.command, source=self.source, started_at=stamp(self.now),
            prune_before=journal.prune_cutoff(self.now, _keep_days(keep)))
        if self.on_journal is not None:
            self.on_journal(recorder)
        journal.attach(self._db, recorder)


    def close(self) -> None:
        from crmcli.dates import use_zone

        use_zone(None)  # the configured zone was this command's (tests run many in-process)
        if self._db is not None:
            recorder = getattr(self._db, "journal", None)
            if recorder is not None:
                if recorder.watcher is not None:
                    recorder.watcher.flush(recorder.operation_id)
                recorder.release(self._db)
            self._db.close()
            self._db = None


def _keep_days(keep: object) -> int:
    from crmcli.dates import parse_days

    try:
        return parse_days(str(keep))
    except InvalidInput as exc:
        raise InvalidInput(f"config [journal] keep: {exc}") from None


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


def read_clock(zone_name: str | None = None) -> dt.datetime:
    """Now, in the zone called ``zone_name`` (None: the system's). ``CRM_NOW`` (an ISO 8601
    instant; without an offset, a wall time in that zone) pins it for a whole run: for tests
    and scripts that replay a day."""
    from crmcli.dates import zone

    pinned = os.environ.get("CRM_NOW", "").strip()
    if not pinned:
        return dt.datetime.now(zone(zone_name))
    try:
        moment = dt.datetime.fromisoformat(pinned.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"CRM_NOW={pinned!r} is not an ISO 8601 instant "
                           "(2028-02-29T23:30+01:00)") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone(zone_name))
    return moment.astimezone(zone(zone_name))


def info(message: str) -> None:
    """A summary or progress line for people: stderr, so stdout stays clean for pipes."""
    typer.echo(safe(message), err=True)


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
    if not company:
        return None
    from crmcli import companies

    return companies.resolve(db, company).id


def moment_ago(text: str) -> str:
    """A moment typed for a filter, looking back, as stored UTC text. A bare number counts
    days (``30`` is 30 days ago), as in ``--cadence 30``."""
    from crmcli.dates import parse_when

    value = text.strip()
    value = f"{value}d" if value.isdigit() else value
    return parse_when(value, state().now, state().config.date_order, past=True).utc_text()
