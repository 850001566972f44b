"""``crm import-calendar``: meetings from a calendar app's .ics file."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import info, state
from crmcli.errors import InvalidInput, UsageError
from crmcli.locations import expand_home

app = typer.Typer()

DAYS_BACK, DAYS_AHEAD = 90, 30


@app.command("import-calendar", epilog="Examples:\n\n  crm import-calendar work.ics\n\n"
             "  curl -s \"$CALENDAR_URL\" | crm import-calendar - --calendar work\n\n"
             "  crm import-calendar work.ics --since 2026-01-01 --dry-run")
def import_calendar(
    source: Annotated[str, typer.Argument(help="An iCalendar (.ics) file, or - for stdin.")],
    since: Annotated[str | None, typer.Option(
        help=f"Read events from this day (default: {DAYS_BACK} days ago).")] = None,
    until: Annotated[str | None, typer.Option(
        help=f"Read events until this day (default: in {DAYS_AHEAD} days).")] = None,
    calendar: Annotated[str | None, typer.Option(
        help="The calendar's name, which scopes what is gone from it (default: its "
        "X-WR-CALNAME, else the file's name).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would happen; change nothing.")] = False,
) -> None:
    """Meetings with people of the book: ended ones logged, coming ones as follow-ups.

    An event's organizer and attendees are matched to contacts by email, your own addresses
    (mail.me in the config) aside. A meeting ahead is a timed follow-up "Meeting: SUMMARY",
    moved when the event is, removed when it is cancelled or gone from the file; once it has
    ended, it is logged as a meeting (by the next import). Running it again changes nothing.
    """
    from crmcli import meetings
    from crmcli.interchange import calendar_read
    from crmcli.mail.capture import settings

    current = state()
    me = settings(current.config).me
    now = current.now
    window = _window(since, until, now, current.config.date_order)
    name, stream = _open(source)
    with stream as data:
        own_name, occurrences, warnings = calendar_read.read(data, name, window, now.tzinfo)
    label = calendar or own_name or (Path(source).stem if source != "-" else "stdin")
    report = meetings.import_calendar(current.db, label, occurrences, window, now, dry_run, me)
    for warning in warnings:
        info(f"crm: warning: {warning}")
    verb = "dry run, nothing written: would have " if dry_run else ""
    info(f"{label}: {verb}logged {report.logged} meeting(s), planned {report.planned}, moved "
         f"{report.moved}, cancelled {report.cancelled}, unchanged {report.unchanged}; "
         f"{report.without_contact} event(s) with nobody in the book")


def _window(since: str | None, until: str | None, now: dt.datetime, date_order: str
            ) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the ``since`` day to the end of the ``until`` day, local."""
    today = dt.datetime.combine(now.date(), dt.time(), tzinfo=now.tzinfo)
    first = (_day("--since", since, now, date_order, past=True) if since is not None
             else today - dt.timedelta(days=DAYS_BACK))
    last = (_day("--until", until, now, date_order) if until is not None
            else today + dt.timedelta(days=DAYS_AHEAD))
    first = dt.datetime.combine(first.date(), dt.time(), tzinfo=now.tzinfo)
    last = dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time(), tzinfo=now.tzinfo)
    if last <= first:
        raise UsageError(f"the window ends before it starts: --since {first.date()}, "
                         f"--until {(last - dt.timedelta(days=1)).date()}")
    return first, last


def _day(option: str, text: str, now: dt.datetime, date_order: str, past: bool = False
         ) -> dt.datetime:
    """The day ``text`` names (an empty one is refused), the option named in any error."""
    from crmcli.dates import parse_when

    try:
        return parse_when(text, now, date_order, past=past).moment
    except InvalidInput as exc:
        raise InvalidInput(f"{option}: {exc}") from None


def _open(source: str):
    """The source's name and a context giving its binary stream (stdin is left open)."""
    if source == "-":
        return "stdin", nullcontext(sys.stdin.buffer)
    path = Path(expand_home(source))
    try:
        return str(path), path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
