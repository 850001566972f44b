"""Meetings from a calendar (``crm import-calendar``): each occurrence of an event with people
of the book becomes, for each of them, a timed follow-up ``Meeting: SUMMARY`` while it is
ahead and a logged meeting once it has ended.

``calendar_events`` remembers one row per (event UID, RECURRENCE-ID, contact): its state
(planned, logged or cancelled), the follow-up or interaction it made, and the SEQUENCE, times
and summary it was made from. So an import run again changes nothing; a later one moves a
follow-up when the event's SEQUENCE rose or its time changed, removes it when the event is
cancelled or gone from the calendar (an import reads the whole calendar: a planned meeting of
that calendar inside the window that the file no longer holds is gone), and logs the meeting
of a follow-up whose meeting has ended. What the user removed (a follow-up deleted, a meeting
unlogged) is not brought back. Read commands never write: until the next import logs it, a
meeting that has ended is left out of the agenda (see :func:`held`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli import activity, followups
from crmcli.dates import When, parse_stamp, stamp
from crmcli.db import transaction
from crmcli.models import Interaction

MAX_SUMMARY = 500  # characters of an event's summary kept in a follow-up or a meeting
PREFIX = "Meeting: "


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a calendar event, its times in the configured zone."""

    uid: str
    recurrence_id: str  # "" for an event that does not repeat
    sequence: int
    start: dt.datetime  # aware; an all-day event's: the local midnight of its first day
    end: dt.datetime
    all_day: bool
    summary: str
    cancelled: bool
    emails: tuple[str, ...]  # the organizer's and the attendees' addresses


@dataclass
class Report:
    planned: int = 0  # follow-ups added
    moved: int = 0  # follow-ups changed (time or summary)
    logged: int = 0  # meetings logged
    cancelled: int = 0  # follow-ups removed: the event was cancelled or is gone
    unchanged: int = 0
    without_contact: int = 0  # occurrences with nobody of the book


@dataclass
class _Row:
    id: int
    sequence: int
    starts_at: str
    ends_at: str
    state: str
    followup_id: int | None


class _DryRun(Exception):
    """Rolls a dry run back."""


def import_calendar(db: Connection, calendar: str, occurrences: list[Occurrence],
                    window: tuple[dt.datetime, dt.datetime], now: dt.datetime,
                    dry_run: bool = False, me: frozenset[str] = frozenset()) -> Report:
    """:func:`reconcile` in one transaction (all or nothing); a dry run is rolled back."""
    try:
        with transaction(db):
            report = reconcile(db, calendar, occurrences, window, now, me)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def reconcile(db: Connection, calendar: str, occurrences: list[Occurrence],
              window: tuple[dt.datetime, dt.datetime], now: dt.datetime,
              me: frozenset[str] = frozenset()) -> Report:
    """Bring the book in step with ``occurrences``, the whole of ``calendar`` inside
    ``window``; the addresses in ``me`` (yours, ``[mail] me``) are no one's meeting."""
    report = Report()
    seen: set[tuple[str, str, int]] = set()
    for occurrence in occurrences:
        people = _contacts(db, occurrence.emails, me)
        if not people:
            report.without_contact += 1
        for contact_id in people:
            seen.add((occurrence.uid, occurrence.recurrence_id, contact_id))
            _apply(db, calendar, occurrence, contact_id, now, report)
    for row_id, key, followup_id in _planned(db, calendar, window):
        if key not in seen:
            _cancel(db, row_id, followup_id)
            report.cancelled += 1
    report.logged += log_ended(db, now)
    return report


def _contacts(db: Connection, emails: tuple[str, ...], me: frozenset[str]) -> list[int]:
    from crmcli.normalize import email_key

    mine = {email_key(address) for address in me}
    keys = sorted({email_key(address) for address in emails if address} - mine)
    rows = db.execute(
        "SELECT DISTINCT d.contact_id FROM contact_details d JOIN contacts c"
        " ON c.id = d.contact_id WHERE d.kind = 'email' AND c.deleted_at IS NULL"
        " AND d.norm IN (SELECT value FROM json_each(?)) ORDER BY d.contact_id",
        [json.dumps(keys)])
    return [row[0] for row in rows]


def _apply(db: Connection, calendar: str, occurrence: Occurrence, contact_id: int,
           now: dt.datetime, report: Report) -> None:
    row = _row(db, occurrence, contact_id)
    if occurrence.cancelled:
        if row and row.state == "planned":
            _cancel(db, row.id, row.followup_id)
            report.cancelled += 1
        else:
            report.unchanged += 1
        return
    ended = occurrence.end <= now
    if row is None or row.state == "cancelled":
        _record(db, calendar, occurrence, contact_id, row, ended)
        if ended:
            report.logged += 1
        else:
            report.planned += 1
    elif row.state == "planned" and _changed(row, occurrence):
        _move(db, calendar, row, occurrence)
        report.moved += not ended  # an ended one is counted as logged below
    else:
        report.unchanged += 1


def _row(db: Connection, occurrence: Occurrence, contact_id: int) -> _Row | None:
    found = db.execute(
        "SELECT id, sequence, starts_at, ends_at, state, followup_id FROM calendar_events"
        " WHERE uid = ? AND recurrence_id = ?"
        " AND contact_id = ?", [occurrence.uid, occurrence.recurrence_id, contact_id]).fetchone()
    return _Row(*found) if found else None


def _changed(row: _Row, occurrence: Occurrence) -> bool:
    """A later SEQUENCE, or another time: the event was rescheduled or edited."""
    moved = (row.starts_at, row.ends_at) != (stamp(occurrence.start), stamp(occurrence.end))
    return moved or occurrence.sequence > row.sequence


def _record(db: Connection, calendar: str, occurrence: Occurrence, contact_id: int,
            row: _Row | None, ended: bool) -> None:
    """A meeting that has ended is logged; one ahead is a follow-up at its time."""
    if ended:
        made = {"state": "logged", "followup_id": None, "interaction_id": _log(
            db, contact_id, stamp(occurrence.start), stamp(occurrence.end), occurrence.all_day,
            _text(occurrence))}
    else:
        made = {"state": "planned", "followup_id": followups.create(
            db, contact_id, _when(occurrence), _text(occurrence, PREFIX)).id}
    columns = {**_columns(calendar, occurrence), **made}
    if row is not None:
        _update(db, row.id, columns)
        return
    columns.update(uid=occurrence.uid, recurrence_id=occurrence.recurrence_id,
                   contact_id=contact_id)
    db.execute(f"INSERT INTO calendar_events ({', '.join(columns)})"
               f" VALUES ({', '.join('?' for _ in columns)})", list(columns.values()))


def _move(db: Connection, calendar: str, row: _Row, occurrence: Occurrence) -> None:
    if row.followup_id is not None and _is_live(db, row.followup_id):
        followup = followups.with_due(followups.get(db, row.followup_id), _when(occurrence))
        followups.update(db, replace(followup, body=_text(occurrence, PREFIX)))
    _update(db, row.id, _columns(calendar, occurrence))


def _columns(calendar: str, occurrence: Occurrence) -> dict:
    return {"calendar": calendar, "sequence": occurrence.sequence,
            "starts_at": stamp(occurrence.start), "ends_at": stamp(occurrence.end),
            "all_day": occurrence.all_day, "summary": _text(occurrence)}


def _update(db: Connection, row_id: int, columns: dict) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(f"UPDATE calendar_events SET {assignments} WHERE id = ?",
               [*columns.values(), row_id])


def _cancel(db: Connection, row_id: int, followup_id: int | None) -> None:
    if followup_id is not None:
        _drop_followup(db, followup_id)
    db.execute("UPDATE calendar_events SET state = 'cancelled', followup_id = NULL"
               " WHERE id = ?", [row_id])


def _drop_followup(db: Connection, followup_id: int) -> None:
    if _is_live(db, followup_id):
        followups.delete(db, followup_id)


def _is_live(db: Connection, followup_id: int) -> bool:
    """Whether the follow-up is still there (the user may have deleted it)."""
    return db.execute("SELECT 1 FROM followups WHERE id = ? AND deleted_at IS NULL",
                      [followup_id]).fetchone() is not None


def _planned(db: Connection, calendar: str, window: tuple[dt.datetime, dt.datetime]):
    """(row id, key, follow-up id) of the planned meetings of ``calendar`` in ``window``."""
    rows = db.execute(
        "SELECT id, uid, recurrence_id, contact_id, followup_id FROM calendar_events"
        " WHERE calendar = ? AND state = 'planned' AND starts_at >= ? AND starts_at < ?",
        [calendar, stamp(window[0]), stamp(window[1])]).fetchall()
    return [(row[0], (row[1], row[2], row[3]), row[4]) for row in rows]


def log_ended(db: Connection, now: dt.datetime) -> int:
    """Log the planned meetings that have ended by ``now``; their follow-ups go. How many."""
    rows = db.execute(
        "SELECT e.id, e.contact_id, e.starts_at, e.ends_at, e.all_day, e.summary,"
        " e.followup_id FROM calendar_events e JOIN contacts c ON c.id = e.contact_id"
        " WHERE e.state = 'planned' AND e.ends_at <= ? AND c.deleted_at IS NULL",
        [stamp(now)]).fetchall()
    for row_id, contact_id, starts_at, ends_at, all_day, summary, followup_id in rows:
        logged = _log(db, contact_id, starts_at, ends_at, all_day, summary)
        if followup_id is not None:
            _drop_followup(db, followup_id)
        db.execute("UPDATE calendar_events SET state = 'logged', followup_id = NULL,"
                   " interaction_id = ? WHERE id = ?", [logged, row_id])
    return len(rows)


def _log(db: Connection, contact_id: int, starts_at: str, ends_at: str, all_day: bool,
         summary: str) -> int:
    """A logged meeting at the start, as long as the event (an all-day one: no length)."""
    minutes = (parse_stamp(ends_at) - parse_stamp(starts_at)) // dt.timedelta(minutes=1)
    return activity.log_interaction(db, Interaction(
        contact_id=contact_id, kind="meeting", happened_at=starts_at, body=summary,
        duration_minutes=None if all_day or minutes <= 0 else minutes)).id


def held(db: Connection, now: dt.datetime) -> set[int]:
    """The follow-ups of meetings that have ended but are not logged yet (the agenda leaves
    them out: the meeting took place; the next import logs it)."""
    rows = db.execute("SELECT followup_id FROM calendar_events WHERE state = 'planned'"
                      " AND ends_at <= ? AND followup_id IS NOT NULL", [stamp(now)])
    return {row[0] for row in rows}


def _when(occurrence: Occurrence) -> When:
    return When(occurrence.start, not occurrence.all_day)


def _text(occurrence: Occurrence, prefix: str = "") -> str:
    summary = " ".join(occurrence.summary.split())[:MAX_SUMMARY] or "(no title)"
    return prefix + summary
