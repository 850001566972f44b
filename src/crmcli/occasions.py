"""Birthdays, anniversaries and other important dates falling in a window of days: what the
agenda (``crm due``, the dashboard, ``crm remind``), ``crm birthdays`` and the call queue show.

A big book has thousands of them in a week (a million contacts: ~12,000), so SQLite finds
them through the month-day indexes, sorts them and hands them over one at a time; the
dashboard counts them without reading a contact. A yearless 29 February is kept on 28
February in other years.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from sqlite3 import Connection


@dataclass
class Occasion:
    """A birthday, anniversary or other important date in the window; ``age`` is the age (or
    years since) reached that day, when the year is known."""

    contact_id: int
    contact_name: str
    company: str | None
    date: dt.date
    kind: str  # "birthday", "anniversary" or the label of another important date
    age: int | None


# The live contacts' birthdays (through contacts_birthday_live, which holds every column read
# here) and their other dates falling on a month-day of the window, with the day they fall on.
_FALLING = """
WITH window(month_day, day) AS (SELECT key, value FROM json_each(:window))
SELECT w.day, c.id, c.name, c.company_id, 'birthday' AS kind, c.birthday AS date
FROM window w JOIN contacts c ON substr(c.birthday, -5) = w.month_day
WHERE c.deleted_at IS NULL AND c.birthday IS NOT NULL
UNION ALL
SELECT w.day, c.id, c.name, c.company_id, d.label, d.date
FROM window w JOIN contact_dates d ON substr(d.date, -5) = w.month_day
JOIN contacts c ON c.id = d.contact_id
WHERE c.deleted_at IS NULL
"""
_ORDER = " ORDER BY o.day, o.name, o.kind != 'birthday', o.kind, o.id"
# The years from the date to the day it falls on; none for a date without a year (--MM-DD),
# or with a year after that day's (a card's BDAY:9999-11-27 is no one's age of -7973).
_AGE = ("CASE WHEN o.date LIKE '--%' OR substr(o.date, 1, 4) > substr(o.day, 1, 4) THEN NULL"
        " ELSE CAST(substr(o.day, 1, 4) AS INTEGER) - CAST(substr(o.date, 1, 4) AS INTEGER) END")


def iter_occasions(db: Connection, first: dt.date, last: dt.date, limit: int | None = None
                   ) -> Iterator[Occasion]:
    """The occasions falling between ``first`` and ``last`` (inclusive), by date, then name,
    a birthday before a person's other dates (the first ``limit`` only, when given), one at a
    time as SQLite reads them."""
    for day, contact_id, name, company, kind, age in falling(db, first, last, limit):
        yield Occasion(contact_id, name, company, dt.date.fromisoformat(day), kind, age)


def falling(db: Connection, first: dt.date, last: dt.date, limit: int | None = None
            ) -> Iterator[tuple[str, int, str, str | None, str, int | None]]:
    """:func:`iter_occasions` as plain rows: (day as ISO text, contact id, name, company,
    kind, age), for a listing of thousands."""
    first_few = "" if limit is None else f"{_ORDER} LIMIT {int(limit)}"  # before the join
    rows = db.execute(
        f"SELECT o.day, o.id, o.name, co.name, o.kind, {_AGE} FROM"
        f" (SELECT * FROM ({_FALLING}) o{first_few}) o"
        # companies_names: narrow entries, fewer pages to read (see migrations.m033)
        f" LEFT JOIN companies co INDEXED BY companies_names ON co.id = o.company_id{_ORDER}",
        {"window": json.dumps(_window(first, last))})
    # Not `yield from`: closing this generator (a closed pipe) would close the cursor, which
    # raises when the book is closed first.
    for row in rows:  # noqa: UP028
        yield row


def occasions(db: Connection, first: dt.date, last: dt.date) -> list[Occasion]:
    """:func:`iter_occasions` as a list."""
    return list(iter_occasions(db, first, last))


def count_occasions(db: Connection, first: dt.date, last: dt.date) -> int:
    """How many occasions fall between ``first`` and ``last``: counted in the indexes."""
    return db.execute(f"SELECT count(*) FROM ({_FALLING})",
                      {"window": json.dumps(_window(first, last))}).fetchone()[0]


def _window(first: dt.date, last: dt.date) -> dict[str, str]:
    """Each ``MM-DD`` falling between ``first`` and ``last``, with the day (ISO) it first falls
    on; ``02-29`` falls on 28 February in other years."""
    days: dict[str, str] = {}
    day = first
    while day <= last and len(days) < 366:
        days.setdefault(day.strftime("%m-%d"), day.isoformat())
        if (day.month, day.day) == (2, 28) and (day + dt.timedelta(days=1)).month == 3:
            days.setdefault("02-29", day.isoformat())
        day += dt.timedelta(days=1)
    return days


def occasion_text(item: Occasion) -> str:
    """``birthday (turns 47)``, ``anniversary (10 years)``, ``wedding (3 years)`` or just the
    kind."""
    return describe(item.kind, item.age)


def describe(kind: str, age: int | None) -> str:
    """:func:`occasion_text` of an occasion of ``kind`` reaching ``age``."""
    if age is None:
        return kind
    if kind == "birthday":
        return f"birthday (turns {age})"
    return f"{kind} ({age} years)"
