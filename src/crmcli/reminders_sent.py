"""What ``crm remind`` has sent: the keys of the digest items (see ``digest``) sent each day,
so that a second reminder the same day tells only what is new, and a job change is told once.
Records older than two weeks are forgotten."""

from __future__ import annotations

import datetime as dt
import json
from sqlite3 import Connection

from crmcli.db import now_stamp, transaction

_KEPT_DAYS = 14


def sent_on(db: Connection, keys: list[str], day: dt.date) -> set[str]:
    """Which of the digest items ``keys`` were sent on ``day``."""
    rows = db.execute("SELECT item FROM reminders_sent WHERE sent_on = ? AND item IN"
                      " (SELECT value FROM json_each(?))", [day.isoformat(), json.dumps(keys)])
    return {row[0] for row in rows}


def ever_sent(db: Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` were sent on any day still remembered."""
    rows = db.execute("SELECT item FROM reminders_sent WHERE item IN"
                      " (SELECT value FROM json_each(?))", [json.dumps(keys)])
    return {row[0] for row in rows}


def mark(db: Connection, keys: list[str], day: dt.date) -> None:
    """Record that ``keys`` were sent on ``day`` (and forget records older than two weeks)."""
    now = now_stamp(db)
    with transaction(db):
        db.executemany("INSERT INTO reminders_sent (item, sent_on, sent_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (item, sent_on) DO UPDATE SET sent_at = excluded.sent_at",
                       [(key, day.isoformat(), now) for key in keys])
        db.execute("DELETE FROM reminders_sent WHERE sent_on < ?",
                   [(day - dt.timedelta(days=_KEPT_DAYS)).isoformat()])
