"""Job changes: a contact's company or title replaced by a newer source (a LinkedIn export),
recorded as a note ``changed job: COO at Acme → CEO at Globex`` so that it shows in the
timeline beside the other notes, and listed in the morning email (``crm remind``) once.

A note is the record because a job change is something learnt about the person, not a
contact with them: an interaction would reset the keep-in-touch clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli import reminders_sent
from crmcli.models import Contact

PREFIX = "changed job: "
RECENT_DAYS = 7  # the morning email tells the job changes of this many days back, once each


@dataclass(frozen=True)
class JobChange:
    note_id: int
    contact_id: int
    contact_name: str
    text: str  # "COO at Acme → CEO at Globex"
    at: str  # UTC ISO 8601, when it was recorded

    @property
    def key(self) -> str:
        """Its key among the items a reminder records as sent."""
        return f"job:{self.note_id}"


def describe(title: str | None, company: str | None) -> str:
    """``COO at Acme``, ``COO``, ``at Acme``, or ``no job listed``."""
    if title and company:
        return f"{title} at {company}"
    return title or (f"at {company}" if company else "no job listed")


def between(old: Contact, new: Contact) -> str | None:
    """``COO at Acme → CEO at Globex`` when ``new`` lists a job (company or title) other than
    the one ``old`` had; None when it lists none (hidden) or ``old`` had none to change."""
    if not (new.company or new.title) or not (old.company or old.title):
        return None
    if (_same(old.company, new.company)) and _same(old.title, new.title):
        return None
    return f"{describe(old.title, old.company)} → {describe(new.title, new.company)}"


def _same(a: str | None, b: str | None) -> bool:
    from crmcli.normalize import fold

    return fold(a or "") == fold(b or "")


def recent(db: Connection, now: dt.datetime) -> list[JobChange]:
    """The job changes recorded in the last :data:`RECENT_DAYS` days up to ``now``, oldest
    first, of contacts not in the trash."""
    from crmcli.dates import stamp

    since = stamp(now - dt.timedelta(days=RECENT_DAYS))
    rows = db.execute(
        "SELECT n.id, n.contact_id, c.name, substr(n.body, ?), n.created_at FROM notes n"
        " JOIN contacts c ON c.id = n.contact_id WHERE n.deleted_at IS NULL"
        " AND c.deleted_at IS NULL AND n.body LIKE ? AND n.created_at >= ?"
        " ORDER BY n.created_at, n.id", [len(PREFIX) + 1, PREFIX + "%", since])
    return [JobChange(*row) for row in rows]


def never_sent(db: Connection, changes: list[JobChange]) -> list[JobChange]:
    """Those no reminder has told yet (on any day it remembers, which covers the window)."""
    sent = reminders_sent.ever_sent(db, [change.key for change in changes])
    return [change for change in changes if change.key not in sent]


def current_job(existing: Contact, incoming: Contact, job_change: str | None) -> Contact:
    """A LinkedIn connection's job is current: on a change it replaces the contact's, and the
    day it was made a connection is the day you met when none is known."""
    if job_change:
        existing = replace(existing, company=incoming.company, title=incoming.title)
    if existing.met_on is None and incoming.met_on is not None:
        existing = replace(existing, met_on=incoming.met_on)
    return existing
