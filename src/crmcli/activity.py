"""Memory of a relationship: notes, logged interactions, last contact, and the timeline.

Notes are kept in ``notes`` and mirrored, folded, in the FTS5 table ``note_search`` for
``crm notes search``; interactions (calls, emails, meetings...) in ``interactions``. A
contact's last contact is its latest interaction. Deleting either moves it to the trash.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli.dates import stamp
from crmcli.db import now_stamp, transaction
from crmcli.errors import Conflict, InvalidInput, NotFound, capped, shown
from crmcli.limits import MAX_TEXT, check_text
from crmcli.models import INTERACTION_KINDS, Interaction, Note
from crmcli.normalize import fold
from crmcli.search import insert as search_insert
from crmcli.search import match_expression, reindex_notes, write_deferred

_DURATION = re.compile(r"(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*(?:m|min|mins|minutes?)?)?",
                       re.IGNORECASE)
_NOTE_COLUMNS = "id, contact_id, body, created_at, updated_at"


# ------------------------------------------------------------------------------------- notes


def add_note(db: Connection, contact_id: int, body: str, at: str | None = None) -> Note:
    """A note about a contact, written now or (``at``, UTC ISO 8601) when it says."""
    return add_notes(db, contact_id, [body], at)[0]


def add_notes(db: Connection, contact_id: int, bodies: list[str], at: str | None = None
              ) -> list[Note]:
    """Attach notes to a contact (one search-index refresh for all of them)."""
    with transaction(db):
        notes = add_note_rows(db, contact_id, bodies, at)
        reindex_notes(db, contact_id)
    return notes


def add_note_rows(db: Connection, contact_id: int, bodies: Iterable[str],
                  at: str | None = None) -> list[Note]:
    """Insert notes; the caller refreshes the contact's row in the search index."""
    now = at or now_stamp(db)
    notes = []
    for body in bodies:
        check_text("the note", body, MAX_TEXT)
        body = body.strip()
        if not body:
            raise InvalidInput("the note is empty")
        cursor = db.execute("INSERT INTO notes (contact_id, body, created_at, updated_at)"
                            " VALUES (?, ?, ?, ?)", [contact_id, body, now, now])
        search_insert(db, "note_search", [cursor.lastrowid, fold(body)])
        notes.append(Note(id=cursor.lastrowid, contact_id=contact_id, body=body,
                          created_at=now, updated_at=now))
    return notes


def _note(row: tuple) -> Note:
    return Note(id=row[0], contact_id=row[1], body=row[2], created_at=row[3], updated_at=row[4])


def get_note(db: Connection, note_id: int, deleted: bool = False) -> Note:
    state = "IS NOT NULL" if deleted else "IS NULL"
    row = db.execute(f"SELECT {_NOTE_COLUMNS} FROM notes WHERE id = ? AND deleted_at {state}",
                     [note_id]).fetchone()
    if not row:
        where = " in the trash" if deleted else ""
        raise NotFound(f"no note with id {note_id}{where}")
    return _note(row)


def edit_note(db: Connection, note: Note, body: str) -> Note:
    check_text("the note", body, MAX_TEXT)
    body = body.strip()
    if not body:
        raise InvalidInput("the note is empty; use 'crm notes rm' to delete it")
    now = now_stamp(db)
    with transaction(db):
        _unchanged_since(db, note)
        db.execute("UPDATE notes SET body = ?, updated_at = ? WHERE id = ?", [body, now, note.id])
        write_deferred(db)
        db.execute("UPDATE note_search SET body = ? WHERE rowid = ?", [fold(body), note.id])
        reindex_notes(db, note.contact_id)
    return Note(id=note.id, contact_id=note.contact_id, body=body, created_at=note.created_at,
                updated_at=now)


def _unchanged_since(db: Connection, note: Note) -> None:
    """Refuse to write over a note another command changed or trashed since ``note`` was
    read (while $EDITOR was open, say)."""
    row = db.execute("SELECT body, deleted_at FROM notes WHERE id = ?", [note.id]).fetchone()
    if row is None:  # its adding undone, or its contact's trash emptied
        raise Conflict(f"note {note.id} was deleted meanwhile; nothing was changed")
    body, trashed = row
    if trashed:
        raise Conflict(f"note {note.id} was moved to the trash meanwhile ('crm notes restore "
                       f"{note.id}' brings it back); nothing was changed")
    if body != note.body:
        raise Conflict(f"note {note.id} was changed meanwhile by another command; nothing was "
                       "changed")


def same_notes(db: Connection, contact_id: int, body: str) -> list[int]:
    """The ids of the contact's live notes that say exactly ``body``, oldest first."""
    return [row[0] for row in db.execute(
        "SELECT id FROM notes WHERE contact_id = ? AND body = ? AND deleted_at IS NULL"
        " ORDER BY id", [contact_id, body.strip()])]


def redate_note(db: Connection, note: Note, at: str) -> None:
    """Say the note was written at ``at`` (UTC ISO 8601): a date changed on another device."""
    with transaction(db):
        db.execute("UPDATE notes SET created_at = ?, updated_at = ? WHERE id = ?",
                   [at, now_stamp(db), note.id])


def trash_note(db: Connection, note: Note) -> None:
    with transaction(db):
        db.execute("UPDATE notes SET deleted_at = ? WHERE id = ?", [now_stamp(db), note.id])
        write_deferred(db)
        db.execute("DELETE FROM note_search WHERE rowid = ?", [note.id])
        reindex_notes(db, note.contact_id)


def restore_note(db: Connection, note: Note) -> None:
    with transaction(db):
        db.execute("UPDATE notes SET deleted_at = NULL WHERE id = ?", [note.id])
        write_deferred(db)
        db.execute("INSERT INTO note_search (rowid, body) VALUES (?, ?)",
                   [note.id, fold(note.body)])
        reindex_notes(db, note.contact_id)


def notes_for(db: Connection, contact_id: int, limit: int | None = None) -> list[Note]:
    sql = (f"SELECT {_NOTE_COLUMNS} FROM notes WHERE contact_id = ? AND deleted_at IS NULL"
           " ORDER BY created_at DESC, id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_note(row) for row in db.execute(sql, [contact_id])]


def recent_notes(db: Connection, limit: int) -> Iterator[Note]:
    """The latest notes about live contacts."""
    return map(_note, db.execute(
        f"SELECT n.{_NOTE_COLUMNS.replace(', ', ', n.')} FROM notes n"
        " JOIN contacts c ON c.id = n.contact_id AND c.deleted_at IS NULL"
        " WHERE n.deleted_at IS NULL ORDER BY n.created_at DESC, n.id DESC LIMIT ?", [limit]))


def search_notes(db: Connection, query: str, limit: int | None = None) -> Iterator[Note]:
    """Notes of live contacts containing every word of ``query`` (accent-insensitive)."""
    expression = match_expression(query)
    if not expression:
        return iter(())
    sql = (f"SELECT n.{_NOTE_COLUMNS.replace(', ', ', n.')} FROM notes n"
           " JOIN contacts c ON c.id = n.contact_id AND c.deleted_at IS NULL"
           " WHERE n.id IN (SELECT rowid FROM note_search WHERE note_search MATCH ?)"
           " AND n.deleted_at IS NULL ORDER BY n.created_at DESC, n.id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return map(_note, db.execute(sql, [expression]))


def notes_by_contact(db: Connection, ids: list[int]) -> dict[int, list[str]]:
    """The note texts of many contacts at once, oldest first."""
    found: dict[int, list[str]] = {}
    for contact_id, body in db.execute(
        "SELECT contact_id, body FROM notes WHERE deleted_at IS NULL"
        " AND contact_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id",
        [json.dumps(ids)],
    ):
        found.setdefault(contact_id, []).append(body)
    return found


# ------------------------------------------------------------------------------ interactions


LONGEST_MINUTES = 7 * 24 * 60


def parse_duration(text: str) -> int:
    """Minutes from ``15m``, ``1h``, ``1h30``, ``1h 30m`` or a bare ``45``."""
    if not text.strip():
        raise InvalidInput("the duration is empty; try 15m, 1h, 1h30")
    match = _DURATION.fullmatch(text.strip())
    if not match or not (match[1] or match[2]):
        raise InvalidInput(f"{shown(text)} is not a duration; try 15m, 1h, 1h30")
    hours, minutes = (capped(digits or "0", LONGEST_MINUTES) for digits in match.groups())
    if hours * 60 + minutes > LONGEST_MINUTES:
        raise InvalidInput(f"{shown(text)} is too long for one interaction (at most a week)")
    return hours * 60 + minutes


def log_interaction(db: Connection, interaction: Interaction) -> Interaction:
    check_text("the interaction's text", interaction.body, MAX_TEXT)
    check_text("the outcome", interaction.outcome)
    if interaction.kind not in INTERACTION_KINDS:
        raise InvalidInput(f"unknown interaction type {shown(interaction.kind)}; use one of "
                           f"{', '.join(INTERACTION_KINDS)}")
    now = now_stamp(db)
    if interaction.happened_at > now:
        raise InvalidInput("an interaction cannot be logged in the future; plan what comes "
                           "next with 'crm follow-up'")
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, duration_minutes,"
            " outcome, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [interaction.contact_id, interaction.kind, interaction.body.strip(),
             interaction.happened_at, interaction.duration_minutes, interaction.outcome, now],
        )
    return Interaction(**{**interaction.__dict__, "id": cursor.lastrowid, "created_at": now})


def get_interaction(db: Connection, interaction_id: int, deleted: bool = False) -> Interaction:
    state = "IS NOT NULL" if deleted else "IS NULL"
    row = db.execute(
        "SELECT id, contact_id, kind, happened_at, body, duration_minutes, outcome, created_at,"
        f" direction FROM interactions WHERE id = ? AND deleted_at {state}",
        [interaction_id]).fetchone()
    if not row:
        where = " in the trash" if deleted else ""
        raise NotFound(f"no logged interaction with id {interaction_id}{where}")
    return Interaction(id=row[0], contact_id=row[1], kind=row[2], happened_at=row[3],
                       body=row[4], duration_minutes=row[5], outcome=row[6], created_at=row[7],
                       direction=row[8])


def update_interaction(db: Connection, interaction: Interaction) -> None:
    """Write a logged interaction's kind, time, text, duration and outcome."""
    check_text("the interaction's text", interaction.body, MAX_TEXT)
    check_text("the outcome", interaction.outcome)
    if interaction.kind not in INTERACTION_KINDS:
        raise InvalidInput(f"unknown interaction type {shown(interaction.kind)}")
    with transaction(db):
        db.execute("UPDATE interactions SET kind = ?, happened_at = ?, body = ?,"
                   " duration_minutes = ?, outcome = ? WHERE id = ?",
                   [interaction.kind, interaction.happened_at, interaction.body.strip(),
                    interaction.duration_minutes, interaction.outcome, interaction.id])


def trash_interaction(db: Connection, interaction_id: int, restore: bool = False) -> None:
    with transaction(db):
        db.execute("UPDATE interactions SET deleted_at = ? WHERE id = ?",
                   [None if restore else now_stamp(db), interaction_id])


# ---------------------------------------------------------------------------------- timeline


# Each entry in a contact's service case, as a timeline row (a company's own cases have no
# contact, and show on the company's page instead).
_CASE_EVENTS = (
    "(SELECT e.id, e.at, k.contact_id, 'case #' || k.id || ' ' || e.kind || ': ' || k.title"
    " || CASE WHEN e.body != '' AND e.kind != 'opened' THEN ' - ' || e.body ELSE '' END AS body,"
    " NULL AS deleted_at FROM case_events e JOIN cases k ON k.id = e.case_id"
    " WHERE k.contact_id IS NOT NULL)")


@dataclass
class Event:
    """One line of a timeline: a note, an interaction or an entry in a service case."""

    kind: str  # "note", an interaction kind, or "case"
    id: int
    at: str  # UTC ISO 8601
    contact_id: int
    contact: str
    company: str | None
    body: str
    duration_minutes: int | None = None
    outcome: str | None = None
    direction: str | None = None  # an email's: "in" or "out"


@dataclass
class TimelineFilter:
    contact_id: int | None = None
    company_id: int | None = None
    tag: str | None = None
    kinds: tuple[str, ...] = ()  # "note" and/or interaction kinds; empty for all
    since: str | None = None  # UTC ISO, inclusive
    until: str | None = None  # UTC ISO, exclusive
    limit: int | None = 50


def timeline(db: Connection, where: TimelineFilter) -> list[Event]:
    """Notes, interactions and case entries, newest first (see :func:`iter_timeline`)."""
    return list(iter_timeline(db, where))


def iter_timeline(db: Connection, where: TimelineFilter) -> Iterator[Event]:
    """Notes and interactions, newest first, one at a time as SQLite reads them. Each source
    is read newest-first through its index and cut to the limit before the two are merged,
    so a long history stays fast."""
    branches, params = [], []
    if not where.kinds or "note" in where.kinds:
        sql, values = _branch("notes", "'note'", "created_at", "NULL, NULL, NULL", where)
        branches.append(sql)
        params += values
    kinds = ([k for k in where.kinds if k not in ("note", "case")] if where.kinds
             else list(INTERACTION_KINDS))
    if kinds:
        sql, values = _branch("interactions", "kind", "happened_at",
                              "duration_minutes, outcome, direction", where, kinds)
        branches.append(sql)
        params += values
    if not where.kinds or "case" in where.kinds:
        sql, values = _branch(_CASE_EVENTS, "'case'", "at", "NULL, NULL, NULL", where)
        branches.append(sql)
        params += values
    if not branches:
        return iter(())
    sql = (f"SELECT e.*, c.name, co.name FROM ({' UNION ALL '.join(branches)}) e"
           " JOIN contacts c ON c.id = e.contact_id LEFT JOIN companies co ON co.id = c.company_id"
           " ORDER BY e.at DESC, e.id DESC")
    if where.limit is not None:
        sql += f" LIMIT {int(where.limit)}"
    return (Event(kind=r[0], id=r[1], at=r[2], contact_id=r[3], body=r[4], duration_minutes=r[5],
                  outcome=r[6], direction=r[7], contact=r[8], company=r[9])
            for r in db.execute(sql, params))


def _branch(table: str, kind: str, at: str, extra: str, where: TimelineFilter,
            kinds: list[str] | None = None) -> tuple[str, list]:
    clauses = ["deleted_at IS NULL",
               "contact_id NOT IN (SELECT id FROM contacts WHERE deleted_at IS NOT NULL)"]
    params: list = []
    for clause, value in (
        ("contact_id = ?", where.contact_id),
        ("contact_id IN (SELECT id FROM contacts WHERE company_id = ?)", where.company_id),
        ("contact_id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)", where.tag),
        (f"{at} >= ?", where.since),
        (f"{at} < ?", where.until),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if kinds is not None and len(kinds) < len(INTERACTION_KINDS):
        clauses.append("kind IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(kinds))
    order = f" ORDER BY {at} DESC, id DESC LIMIT {int(where.limit)}" if where.limit else ""
    sql = (f"SELECT * FROM (SELECT {kind} AS kind, id, {at} AS at, contact_id, body, {extra}"
           f" FROM {table} WHERE {' AND '.join(clauses)}{order})")
    return sql, params


def daily_counts(db: Connection, first: dt.date, last: dt.date,
                 where: TimelineFilter | None = None) -> dict[dt.date, int]:
    """Interactions per local calendar day between two dates (inclusive), filtered like
    the timeline (its dates and limit aside)."""
    start = dt.datetime.combine(first, dt.time()).astimezone()
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()).astimezone()
    base = where or TimelineFilter()
    kinds = [k for k in base.kinds if k != "note"] if base.kinds else list(INTERACTION_KINDS)
    if not kinds:
        return {}
    bounded = TimelineFilter(contact_id=base.contact_id, company_id=base.company_id,
                             tag=base.tag, since=stamp(start), until=stamp(end), limit=None)
    branch, params = _branch("interactions", "kind", "happened_at", "NULL, NULL, NULL", bounded,
                             kinds)
    rows = db.execute(f"SELECT date(at, 'localtime') AS day, count(*) FROM ({branch})"
                      " GROUP BY day", params)
    return {dt.date.fromisoformat(day): count for day, count in rows}



def event_record(event: Event) -> dict:
    return {"type": event.kind, "id": event.id, "at": event.at, "contact_id": event.contact_id,
            "contact": event.contact, "company": event.company, "text": event.body,
            "duration_minutes": event.duration_minutes, "outcome": event.outcome,
            "direction": event.direction}


def last_contact_sql(db: Connection) -> str:
    """SQL for the last contact of the contact ``c``. Campaign mail is no personal contact
    unless the command set ``db.campaign_mail_counts`` (``[campaigns] counts_as_contact``)."""
    personal = "" if getattr(db, "campaign_mail_counts", False) else " AND i.campaign IS NULL"
    # Through the index of live interactions with their campaign (m025): without statistics
    # the planner takes interactions_contact and checks every row of the contact's.
    return ("(SELECT max(i.happened_at) FROM interactions i INDEXED BY interactions_personal"
            f" WHERE i.contact_id = c.id AND i.deleted_at IS NULL{personal})")


def log_campaign_mail(db: Connection, contact_id: int, happened_at: str, subject: str,
                      campaign: str, message_id: str) -> int:
    """Log a campaign's message as an email on the contact, marked with the campaign and its
    Message-ID (campaign mail is not personal contact: the last contact ignores it)."""
    return db.execute(
        "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at, campaign,"
        " message_id) VALUES (?, 'email', ?, ?, ?, ?, ?)",
        [contact_id, f"Campaign {campaign}: {subject}", happened_at, now_stamp(db), campaign,
         message_id]).lastrowid



# ------------------------------------------------------------------------------ logged mail


def mail_logged_for(db: Connection, message_ids: Sequence[str]) -> tuple[set[int], bool]:
    """The contacts on whom the message known by any of ``message_ids`` is logged (in the
    trash too: a mail taken out of the history is not logged again), and whether a campaign
    logged it."""
    contact_ids, by_campaign = set(), False
    for contact_id, campaign in db.execute(
            "SELECT contact_id, campaign FROM interactions WHERE message_id IN"
            f" ({', '.join('?' * len(message_ids))})", list(message_ids)):
        contact_ids.add(contact_id)
        by_campaign = by_campaign or campaign is not None
    return contact_ids, by_campaign


def log_mail(db: Connection, contact_id: int, happened_at: str, body: str, direction: str,
             message_id: str) -> int:
    """Log an email read from a mailbox on the contact (the caller holds the transaction)."""
    check_text("the email's text", body, MAX_TEXT)
    return db.execute(
        "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at, direction,"
        " message_id) VALUES (?, 'email', ?, ?, ?, ?, ?)",
        [contact_id, body, happened_at, now_stamp(db), direction, message_id]).lastrowid
