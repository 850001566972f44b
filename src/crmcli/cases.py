"""Service cases: a customer's request or complaint, with a status, a promise and a history.

A case is ``open`` (the ball is in our court), ``waiting`` (on the customer), ``resolved``
(answered) or ``closed`` (filed away). Its promise, ``due_at``, is the moment by which the
customer was promised an answer (the resolution). The due clock pauses while the case waits:

* ``effective due = due_at + paused_seconds + (while waiting: (until or now) - since)``;
* a wait with ``--until`` ends by itself at that moment: from then on the case counts as open
  (the next write on it records the resumption at ``until``). While it waits, the whole
  planned wait counts: the due is the moment the case is overdue if the customer says
  nothing, the same all along the wait (and what the phone shows: see sync.cases);
* a case is *overdue* when it is open (a waiting case never is) and its effective due is past.

So a case promised for Friday that waited two days on the customer is due on Sunday. Every
change goes in ``case_events`` (the history ``crm case show`` prints) and also touches the
case's row, so hooks see each one as a change of the case's contact (or company).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli.dates import parse_stamp, stamp
from crmcli.db import transaction
from crmcli.errors import InvalidInput, NotFound, row_id
from crmcli.limits import MAX_TEXT, check_text
from crmcli.normalize import fold
from crmcli.text import is_invisible

PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("open", "waiting", "resolved", "closed")
CHANNELS = ("email", "phone", "chat", "visit", "letter", "web", "social", "other")
LIVE = ("open", "waiting")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class Case:
    id: int
    uid: str
    title: str
    priority: str
    channel: str | None
    status: str  # as of now: a wait whose --until has passed counts as open
    contact_id: int | None
    contact: str | None
    company_id: int | None
    company: str | None
    deal_id: int | None
    opened_at: str
    due_at: str | None  # the effective promise, pauses included
    waiting_until: str | None
    first_response_at: str | None
    resolved_at: str | None
    closed_at: str | None
    resolution: str | None
    updated_at: str
    overdue: bool


@dataclass(frozen=True)
class Event:
    id: int
    case_id: int
    at: str
    kind: str
    body: str


@dataclass(frozen=True)
class NewCase:
    title: str
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    priority: str = "normal"
    channel: str | None = None
    due_at: dt.datetime | None = None


# ---------------------------------------------------------------------------------- reading


def effective_sql(now: dt.datetime) -> tuple[str, str]:
    """SQL for the status and the due moment of the case ``k`` as of ``now`` (see the
    module's docstring); ``now`` is written into the SQL as a literal stamp."""
    moment = stamp(now)
    assert _STAMP.fullmatch(moment)
    status = (f"CASE WHEN k.status = 'waiting' AND k.waiting_until <= '{moment}' THEN 'open'"
              " ELSE k.status END")
    wait_end = f"coalesce(k.waiting_until, '{moment}')"
    due = ("CASE WHEN k.due_at IS NULL OR (k.paused_seconds = 0 AND k.status != 'waiting')"
           " THEN k.due_at ELSE strftime('%Y-%m-%dT%H:%M:%SZ',"
           " unixepoch(k.due_at) + k.paused_seconds + CASE WHEN k.status = 'waiting' THEN"
           f" unixepoch({wait_end}) - unixepoch(k.waiting_since) ELSE 0 END, 'unixepoch') END")
    return status, due


def overdue_sql(now: dt.datetime) -> str:
    """SQL that is true for the case ``k`` when it is overdue at ``now``."""
    status, due = effective_sql(now)
    return f"({status}) = 'open' AND k.due_at IS NOT NULL AND ({due}) < '{stamp(now)}'"


def _columns(now: dt.datetime) -> str:
    status, due = effective_sql(now)
    return ("k.id, k.uid, k.title, k.priority, k.channel, " + status + ", k.contact_id, c.name,"
            " k.company_id, co.name, k.deal_id, k.opened_at, " + due + " AS effective_due,"
            " CASE WHEN (" + status + ") = 'waiting' THEN k.waiting_until END,"
            " k.first_response_at, k.resolved_at, k.closed_at, k.resolution, k.updated_at, "
            + overdue_sql(now) + " AS is_overdue")


_FROM = (" FROM cases k LEFT JOIN contacts c ON c.id = k.contact_id"
         " LEFT JOIN companies co ON co.id = k.company_id")


def _case(row: tuple) -> Case:
    return Case(*row[:19], overdue=bool(row[19]))


def get(db: Connection, case_id: int, now: dt.datetime) -> Case:
    row = db.execute(f"SELECT {_columns(now)}{_FROM} WHERE k.id = ?", [case_id]).fetchone()
    if row is None:
        raise NotFound(f"no case with id {case_id} (crm case list --status all lists them)")
    return _case(row)


def resolve(db: Connection, ref: str, now: dt.datetime) -> Case:
    """A case named by its id (``12`` or ``#12``)."""
    text = ref.strip().removeprefix("#")
    if not (text.isascii() and text.isdigit()):
        raise NotFound(f"{ref[:40]!r} is not a case id (a number: crm case list shows them)")
    return get(db, row_id(text, "case"), now)


def fits_deal(case_contact: int | None, case_company: int | None, deal_contact: int | None,
              deal_company: int | None) -> bool:
    """Whether a case may concern a deal: one of its customer (the case's contact's or its
    company's), or of no one."""
    return ((deal_contact is None and deal_company is None)
            or (case_contact is not None and deal_contact == case_contact)
            or (case_company is not None and deal_company == case_company))


def misfits(db: Connection, deal_id: int, contact_id: int | None, company_id: int | None
            ) -> list[str]:
    """The cases about deal ``deal_id`` that it would not fit as ``contact_id``'s and
    ``company_id``'s deal, each as ``case N (TITLE) of CUSTOMER``."""
    rows = db.execute(
        "SELECT k.id, k.title, k.contact_id, k.company_id, coalesce(c.name, co.name)"
        " FROM cases k LEFT JOIN contacts c ON c.id = k.contact_id"
        " LEFT JOIN companies co ON co.id = k.company_id WHERE k.deal_id = ? ORDER BY k.id",
        [deal_id])
    return [f"case {case_id} ({title}) of {customer}"
            for case_id, title, case_contact, case_company, customer in rows
            if not fits_deal(case_contact, case_company, contact_id, company_id)]


@dataclass
class Filter:
    """Which cases a listing shows."""

    status: str = "live"  # live (open or waiting), open, waiting, resolved, closed or all
    contact_id: int | None = None
    company_id: int | None = None  # the company's own cases and its people's
    overdue: bool = False
    text: str = ""  # found in the title, or in the contact's or company's name
    contacts: tuple[str, list] | None = None  # an SQL condition on contacts ``c``
    opened_since: str | None = None

    def where(self, now: dt.datetime) -> tuple[str, list]:
        status, _ = effective_sql(now)
        clauses, params = ["(k.contact_id IS NULL OR c.deleted_at IS NULL)"], []
        if self.status == "live":
            clauses.append(f"({status}) IN ('open', 'waiting')")
        elif self.status != "all":
            clauses.append(f"({status}) = ?")
            params.append(self.status)
        if self.contact_id is not None:
            clauses.append("k.contact_id = ?")
            params.append(self.contact_id)
        if self.company_id is not None:
            clauses.append("(k.company_id = ? OR c.company_id = ?)")
            params += [self.company_id, self.company_id]
        if self.overdue:
            clauses.append(overdue_sql(now))
        if self.opened_since is not None:
            clauses.append("k.opened_at >= ?")
            params.append(self.opened_since)
        self._matching(clauses, params)
        return " AND ".join(clauses), params

    def _matching(self, clauses: list[str], params: list) -> None:
        either = []
        if self.text.strip():
            either.append("fold(k.title || ' ' || coalesce(c.name, '') || ' '"
                          " || coalesce(co.name, '')) LIKE ? ESCAPE '\\'")
            params.append("%" + _like(fold(" ".join(self.text.split()))) + "%")
        if self.contacts is not None:
            condition, values = self.contacts
            either.append(f"k.contact_id IN (SELECT c.id FROM contacts c WHERE {condition})")
            params += values
        if either:
            clauses.append("(" + " OR ".join(either) + ")")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iter_cases(db: Connection, where: Filter, now: dt.datetime, limit: int | None = None
               ) -> Iterator[Case]:
    """Cases as ``where`` selects them, overdue first, then soonest due (no promise last),
    one at a time as SQLite reads them."""
    if where.text.strip():
        _register_fold(db)
    condition, params = where.where(now)
    sql = (f"SELECT {_columns(now)}{_FROM} WHERE {condition}"
           " ORDER BY is_overdue DESC, k.due_at IS NULL, effective_due, k.id")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return map(_case, db.execute(sql, params))


def overdue(db: Connection, now: dt.datetime, limit: int | None = None,
            contact_id: int | None = None, company_id: int | None = None) -> list[Case]:
    """Overdue cases, the longest overdue first."""
    return list(iter_cases(db, Filter(status="open", overdue=True, contact_id=contact_id,
                                      company_id=company_id), now, limit))


def history(db: Connection, case_id: int) -> list[Event]:
    return [Event(*row) for row in db.execute(
        "SELECT id, case_id, at, kind, body FROM case_events WHERE case_id = ?"
        " ORDER BY at, id", [case_id])]


def _register_fold(db: Connection) -> None:
    """``fold`` in SQL, for finding words in titles and names (registered only then: SQLite
    refuses a new function while another statement of the connection is running)."""
    db.create_function("fold", 1, lambda text: fold(text or ""), deterministic=True)


# ---------------------------------------------------------------------------------- writing


def open_case(db: Connection, new: NewCase, now: dt.datetime) -> int:
    """Insert a case and the first line of its history; its id."""
    title = _title(new.title)
    if new.priority not in PRIORITIES:
        raise InvalidInput(f"priority {new.priority!r} is not one of {', '.join(PRIORITIES)}")
    if new.due_at is not None and new.due_at < now:
        raise InvalidInput(f"the promise {_shown(new.due_at, now)} is in the past; a case is "
                           "due after it is opened")
    at = stamp(now)
    with transaction(db):
        case_id = db.execute(
            "INSERT INTO cases (uid, contact_id, company_id, deal_id, title, priority, channel,"
            " opened_at, due_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [str(uuid.uuid4()), new.contact_id, new.company_id, new.deal_id, title,
             new.priority, new.channel, at, new.due_at and stamp(new.due_at), at]).lastrowid
        _event(db, case_id, at, "opened", title)
    return case_id


def _title(text: str) -> str:
    check_text("the case's title", text)
    title = " ".join(text.split())
    if is_invisible(title):
        raise InvalidInput("a case needs a title: say what the customer asked for")
    return title


def _shown(moment: dt.datetime, now: dt.datetime) -> str:
    return moment.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")


def add_note(db: Connection, case: Case, text: str, now: dt.datetime) -> None:
    """An entry in the case's history; the first one is the case's first response."""
    check_text("the note", text, MAX_TEXT)
    body = text.strip()
    if is_invisible(body):
        raise InvalidInput("the note is empty")
    with transaction(db):
        _settle(db, case, now)
        _touch(db, case.id, now, responded=True)
        _event(db, case.id, stamp(now), "note", body)


def wait(db: Connection, case: Case, now: dt.datetime, until: dt.datetime | None = None
         ) -> None:
    """Wait on the customer: the due clock stops until the case is resumed (``reopen``) or
    ``until`` comes."""
    if case.status != "open":
        raise InvalidInput(f"case {case.id} is {case.status}; only an open case can wait on "
                           "the customer")
    if until is not None and until <= now:
        raise InvalidInput(f"--until {_shown(until, now)} is not in the future")
    with transaction(db):
        _settle(db, case, now)
        db.execute("UPDATE cases SET status = 'waiting', waiting_since = ?, waiting_until = ?"
                   " WHERE id = ?", [stamp(now), until and stamp(until), case.id])
        _touch(db, case.id, now, responded=True)
        _event(db, case.id, stamp(now), "waiting",
               f"until {stamp(until)}" if until is not None else "")


def resolve_case(db: Connection, case: Case, now: dt.datetime, text: str = "") -> None:
    """The customer has their answer."""
    check_text("the resolution", text, MAX_TEXT)
    if case.status == "resolved":
        raise InvalidInput(f"case {case.id} is already resolved (at {case.resolved_at})")
    if case.status == "closed":
        raise InvalidInput(f"case {case.id} is closed; 'crm case reopen {case.id}' first")
    with transaction(db):
        _settle(db, case, now)
        _resume(db, case.id, now)
        db.execute("UPDATE cases SET status = 'resolved', resolved_at = ?, resolution = ?"
                   " WHERE id = ?", [stamp(now), text.strip() or None, case.id])
        _touch(db, case.id, now, responded=True)
        _event(db, case.id, stamp(now), "resolved", text.strip())


def reopen(db: Connection, case: Case, now: dt.datetime, due_at: dt.datetime | None = None
           ) -> None:
    """A waiting case resumes (its due clock runs again); a resolved or closed one opens
    again, with a new promise when ``due_at`` is given."""
    if case.status == "open":
        raise InvalidInput(f"case {case.id} is open already")
    if due_at is not None and due_at < now:
        raise InvalidInput(f"the promise {_shown(due_at, now)} is in the past")
    with transaction(db):
        _settle(db, case, now)
        if case.status == "waiting":
            _resume(db, case.id, now, event=True)
        else:
            db.execute("UPDATE cases SET status = 'open', resolved_at = NULL, closed_at = NULL,"
                       " resolution = NULL WHERE id = ?", [case.id])
            _event(db, case.id, stamp(now), "reopened", "")
        if due_at is not None:
            db.execute("UPDATE cases SET due_at = ?, paused_seconds = 0 WHERE id = ?",
                       [stamp(due_at), case.id])
        _touch(db, case.id, now)


def set_deal(db: Connection, case: Case, deal_id: int | None, now: dt.datetime) -> None:
    """Make the case concern deal ``deal_id`` (None: no deal); the caller checks that the
    deal is its customer's (``fits_deal``)."""
    with transaction(db):
        _settle(db, case, now)
        db.execute("UPDATE cases SET deal_id = ? WHERE id = ?", [deal_id, case.id])
        _touch(db, case.id, now)


def close(db: Connection, case: Case, now: dt.datetime) -> None:
    """File the case away (resolved or not)."""
    if case.status == "closed":
        raise InvalidInput(f"case {case.id} is already closed")
    with transaction(db):
        _settle(db, case, now)
        _resume(db, case.id, now)
        db.execute("UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?",
                   [stamp(now), case.id])
        _touch(db, case.id, now)
        _event(db, case.id, stamp(now), "closed", "")


def _settle(db: Connection, case: Case, now: dt.datetime) -> None:
    """Record a wait that ended by itself (its --until passed) as resumed at that moment."""
    row = db.execute("SELECT status, waiting_until FROM cases WHERE id = ?", [case.id]
                     ).fetchone()
    if row[0] == "waiting" and row[1] is not None and row[1] <= stamp(now):
        _resume(db, case.id, parse_stamp(row[1]), event=True)


def _resume(db: Connection, case_id: int, at: dt.datetime, event: bool = False) -> None:
    """End a wait at ``at``: its length is added to the paused time."""
    row = db.execute("SELECT waiting_since, waiting_until FROM cases WHERE id = ?"
                     " AND status = 'waiting'", [case_id]).fetchone()
    if row is None:
        return
    end = min(at, parse_stamp(row[1])) if row[1] else at
    paused = max(int((end - parse_stamp(row[0])).total_seconds()), 0)
    db.execute("UPDATE cases SET status = 'open', paused_seconds = paused_seconds + ?,"
               " waiting_since = NULL, waiting_until = NULL WHERE id = ?", [paused, case_id])
    if event:
        _event(db, case_id, stamp(end), "resumed", "")


def _touch(db: Connection, case_id: int, now: dt.datetime, responded: bool = False) -> None:
    at = stamp(now)
    first = "coalesce(first_response_at, ?)" if responded else "first_response_at"
    db.execute(f"UPDATE cases SET updated_at = ?, first_response_at = {first} WHERE id = ?",
               [at, at, case_id] if responded else [at, case_id])


def _event(db: Connection, case_id: int, at: str, kind: str, body: str) -> None:
    db.execute("INSERT INTO case_events (case_id, at, kind, body) VALUES (?, ?, ?, ?)",
               [case_id, at, kind, body])


# ---------------------------------------------------------------------------------- records


def to_record(case: Case) -> dict:
    """The case as the stable JSON object documented in docs/cases.md."""
    return {"id": case.id, "uid": case.uid, "title": case.title, "status": case.status,
            "priority": case.priority, "channel": case.channel, "contact_id": case.contact_id,
            "contact": case.contact, "company_id": case.company_id, "company": case.company,
            "deal_id": case.deal_id, "opened_at": case.opened_at, "due_at": case.due_at,
            "overdue": case.overdue, "waiting_until": case.waiting_until,
            "first_response_at": case.first_response_at, "resolved_at": case.resolved_at,
            "closed_at": case.closed_at, "resolution": case.resolution,
            "updated_at": case.updated_at}


def event_record(event: Event) -> dict:
    return {"id": event.id, "at": event.at, "type": event.kind, "text": event.body}


def page_record(case: Case, events: list[Event]) -> dict:
    return to_record(case) | {"history": [event_record(e) for e in events]}
