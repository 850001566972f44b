"""One invocation of ``crm``: its settings, its book and its one reading of the clock, opened on
first use; and how a failure ends it. Shared by the Typer commands (``crmcli.cli``) and the
light entry path (``crmcli.entry``), which imports neither Typer nor Rich: both open the book,
read the clock and report errors with this same code, so they cannot drift apart.

Its imports are what ``crm mutt-query`` needs on the light path (sqlite3 brings datetime and
collections along): no dataclasses, typing or pathlib, each a few milliseconds a process.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sqlite3
import sys
from collections.abc import Callable

from crmcli import locations, output
from crmcli.errors import ConfigError, CrmError, InvalidInput, shown
from crmcli.text import safe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection

    from crmcli.config import Config


class NotLight(Exception):
    """The light path cannot serve this invocation as the full one would (a book to create
    or migrate, a warning to print, hooks configured): hand it to Typer, nothing done yet."""


class State:
    """Per-invocation settings; the config and the database are opened on first use.

    ``light`` (the entry path for read-only commands) opens only a current book that exists,
    and raises NotLight, before writing anything, where the full path would do more."""

    command = ""  # the words after the global options, as the journal records them
    source = "cli"  # where the journal says the changes came from
    no_hooks = False
    on_journal: Callable[[object], None] | None = None  # sees the recorder (the hooks' gate)

    def __init__(self, db_option: str | None = None, debug: bool = False,
                 light: bool = False):
        self.db_option, self.debug, self.light = db_option, debug, light
        self._config: Config | None = None
        self._db: Connection | None = None
        self._now: dt.datetime | None = None
        self.out = output.Output()

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

            loaded = config.load(self.db_option)
            if self.light and (loaded.unknown_keys or "hooks" in loaded.raw):
                raise NotLight
            self._config = loaded
            if not self.light:  # reads on the light path show no dates
                use_zone(loaded.timezone)
            for key in loaded.unknown_keys:
                warn(f"crm: warning: {loaded.path}: unknown setting {key!r} ignored")
        return self._config

    @property
    def db(self) -> Connection:
        if self._db is None and self.light:
            self._db = self._open_light()
        if self._db is None:
            from crmcli import config, db

            self._db = db.connect(self.config.db_path, create_folder=self.config.db_is_default)
            self._db.now = self.now  # writes are stamped with the command's moment
            self._db.campaign_mail_counts = config.campaign_mail_counts(self.config)
            self._start_journal()
        return self._db

    def _open_light(self) -> Connection:
        """The book for a read, checked as the full path checks it (settings, CRM_NOW) but
        without what only writes need (zone, journal). Without a config file there is nothing
        to read or check there, and crmcli.config (pathlib, dataclasses) is not imported."""
        from crmcli import db

        has_settings = os.path.exists(locations.config_file())
        book = db.open_current(str(self.config.db_path) if has_settings
                               else _book_file(self.db_option))
        if book is None:
            raise NotLight
        self._db = book
        pinned_moment()
        if has_settings:
            from crmcli import config

            book.campaign_mail_counts = config.campaign_mail_counts(self.config)
            _journal_keep_days(self.config)
        return book

    def _start_journal(self) -> None:
        from crmcli import journal
        from crmcli.dates import stamp

        recorder = journal.Recorder(
            what=self.command, source=self.source, started_at=stamp(self.now),
            prune_before=journal.prune_cutoff(self.now, _journal_keep_days(self.config)))
        if self.on_journal is not None:
            self.on_journal(recorder)
        journal.attach(self._db, recorder)

    def close(self) -> None:
        if not self.light:
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


def _book_file(db_option: str | None) -> str:
    """The book's path when no config file names one: ``--db``, else ``CRM_DB``, else the
    default (as crmcli.config resolves it). NotLight for a path ``Path`` would show in
    another form (``~`` it cannot expand, ``//``, ``.``, ``..``, a trailing ``/``): messages
    name the book as the full path does."""
    chosen = db_option or os.environ.get("CRM_DB")
    path = os.path.expanduser(chosen) if chosen else locations.default_book()
    if path.startswith("~") or os.path.normpath(path) != path:
        raise NotLight
    return path


def _journal_keep_days(config: Config) -> int:
    """``[journal] keep``: how many days of operations the journal keeps (default 90)."""
    from crmcli.dates import parse_days

    keep = config.table("journal").get("keep", "90d")
    try:
        return parse_days(str(keep))
    except InvalidInput as exc:
        raise ConfigError(f"{config.path}: [journal] keep: {exc}") from None


def read_clock(zone_name: str | None = None) -> dt.datetime:
    """Now, in the zone called ``zone_name`` (None: the system's). ``CRM_NOW`` (an ISO 8601
    instant; without an offset, a wall time in that zone) pins it for a whole run: for tests
    and scripts that replay a day."""
    from crmcli.dates import zone

    moment = pinned_moment()
    if moment is None:
        return dt.datetime.now(zone(zone_name))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone(zone_name))
    return moment.astimezone(zone(zone_name))


def pinned_moment() -> dt.datetime | None:
    """The moment ``CRM_NOW`` pins (naive when it has no offset), or None."""
    pinned = os.environ.get("CRM_NOW", "").strip()
    if not pinned:
        return None
    try:
        moment = dt.datetime.fromisoformat(pinned.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"CRM_NOW={pinned!r} is not an ISO 8601 instant "
                           "(2028-02-29T23:30+01:00)") from None
    from crmcli.dates import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # days and zones around it must exist
        raise InvalidInput(f"CRM_NOW={pinned!r}: only moments from {FIRST_YEAR} to "
                           f"{LAST_YEAR} are accepted")
    return moment


def error_line(message: str) -> str:
    """``crm: error: MESSAGE`` for stderr, made safe, with any value of 200 characters or more
    (a 5,000-character --format that Click quotes, a path) cut to 40 (the pattern is
    compiled only when an error is shown)."""
    import re

    cut = re.sub(r"'[^']{200,}'|[^\s']{200,}", lambda value: f"{value[0][:41]}…", message)
    return f"crm: error: {safe(cut)}"


def resume_collection() -> None:
    """``crmcli.entry`` turns the garbage collector off while Python loads Typer, the command
    and the domain modules: their ~100,000 new objects hold no garbage worth the ~50
    collections they would trigger (5 ms a command). Once the command is about to run (on
    the full path, or a light one that lives as long, as ``crm due``), what is loaded is set
    aside for good (never scanned again) and collection resumes."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def warn(message: str) -> None:
    """A warning for people, on stderr."""
    sys.stderr.write(safe(message) + "\n")
    sys.stderr.flush()


def failure(exc: BaseException, db_path: Callable[[], object]) -> tuple[str, int]:
    """The one line (after ``crm: error:``) and the exit code that ``exc`` ends a command with;
    ``db_path`` names the book for a storage error."""
    if isinstance(exc, CrmError):
        return str(exc), exc.exit_code
    if isinstance(exc, sqlite3.Error):
        from crmcli.db import storage_error

        return str(storage_error(exc, db_path())), 1
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing was changed by the unfinished command", 130
    if isinstance(exc, UnicodeEncodeError):
        bad = exc.object[exc.start:exc.end].encode("utf-8", "surrogateescape")
        return (f"the input holds bytes that are not UTF-8 text ({bad!r}); "
                "check your terminal's or file's encoding", 1)
    if isinstance(exc, OSError):
        return f"{exc.filename or 'I/O'}: {exc.strerror or exc}", 1
    # A bug: one line all the same; --debug shows the traceback.
    return (f"internal error ({type(exc).__name__}: {exc}); nothing was changed by the "
            "unfinished command; run again with --debug for details", 70)


# ------------------------------------------------------------------------- shared commands

_LINES_PER_WRITE = 1000


def mutt_query(state: State, query: str) -> int:
    """``crm mutt-query``: a status line, then email, name and company per line; the exit
    code mutt reads (1: nothing found)."""
    from crmcli import search

    lines = search.address_lines(state.db, query)
    out = state.out
    out.message(f"crm: {len(lines)} address(es) for {shown(query)}")
    # A write per thousand lines: a write (and flush) per line cost more than the search.
    for start in range(0, len(lines), _LINES_PER_WRITE):
        out.message("\n".join(lines[start:start + _LINES_PER_WRITE]))
    return 0 if lines else 1


AGENDA_COLUMNS = [("section", "Section"), ("id", "ID"), ("when", "When"),
                  ("contact", "Contact"), ("company", "Company"), ("text", "What"),
                  ("deal", "Deal")]


def due(state: State, within: str | None = "7d", overdue: bool = False,
        view: Callable[..., object] | None = None) -> int:
    """``crm due``: the agenda of the days ``within`` (None: every follow-up ahead) as records
    written as they are read (``view(agenda, sections)`` draws it on a terminal); a line on
    stderr when nothing is due."""
    from crmcli import agenda
    from crmcli.dates import parse_days

    now = state.now
    days = None if within is None else parse_days(within)
    sections = ("cases", "overdue") if overdue else agenda.SECTIONS
    drawn = None if view is None else (
        lambda: view(agenda.build(state.db, now, state.config, days), sections))
    if not state.out.records(agenda.stream_records(state.db, now, state.config, days, sections),
                             AGENDA_COLUMNS, view=drawn):
        window = 7 if days is None else days
        warn("nothing overdue" if overdue else f"nothing due in the next {window} days")
    return 0
