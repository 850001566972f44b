"""What the shell offers on Tab: contact names, tags, company names, stage names, and deal and
follow-up ids, each an indexed prefix query (fast on any size of book).

A candidate is ``(value, help)``; help is what zsh and fish show beside it. The queries read
the tables of contacts, companies, deals and follow-ups here rather than through their modules:
importing those would double the time of an answer. tests/test_completion.py runs each one.
"""

from __future__ import annotations

from collections.abc import Callable
from sqlite3 import Connection
from typing import Any

from crmcli.errors import LARGEST_ID as _LARGEST_ID
from crmcli.normalize import fold

LIMIT = 100  # more than a screenful is no help in choosing
_AFTER_ALL = "\U0010ffff"

Candidates = list[tuple[str, str]]


def contacts(db: Connection, prefix: str, config: Any = None) -> Candidates:
    """Live contacts whose name starts with ``prefix`` (case and accents aside); ids when
    ``prefix`` is a number."""
    if prefix.isascii() and prefix.isdecimal():
        return _by_id(db, "SELECT id, name FROM contacts WHERE deleted_at IS NULL", "", prefix)
    return [(name, company or "") for name, company in db.execute(
        "SELECT c.name, co.name FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
        " WHERE c.name_folded >= ? AND c.name_folded < ? AND c.deleted_at IS NULL"
        " ORDER BY c.name_folded LIMIT ?", _range(prefix))]


def tags(db: Connection, prefix: str, config: Any = None) -> Candidates:
    return [(tag, f"{count} contact{'s' if count != 1 else ''}") for tag, count in db.execute(
        "SELECT tag, count(*) FROM contact_tags WHERE tag >= ? AND tag < ?"
        " GROUP BY tag ORDER BY tag LIMIT ?", _range(prefix, folded=False))]


def companies(db: Connection, prefix: str, config: Any = None) -> Candidates:
    return [(name, "") for (name,) in db.execute(
        "SELECT name FROM companies WHERE deleted_at IS NULL AND name_folded >= ?"
        " AND name_folded < ?"
        " ORDER BY name_folded LIMIT ?", _range(prefix))]


def stages(db: Connection, prefix: str, config: Any = None) -> Candidates:
    """The configured stages (and any other stage a deal is in)."""
    from crmcli.stages import load_pipeline

    names = [stage.name for stage in load_pipeline(config).stages] if config else []
    names += [stage for (stage,) in db.execute("SELECT DISTINCT stage FROM deals ORDER BY stage")]
    return [(name, "") for name in dict.fromkeys(names) if name.startswith(prefix.lower())]


def deals(db: Connection, prefix: str, config: Any = None) -> Candidates:
    """Ids of deals starting with ``prefix``: open ones first, newest first."""
    return _by_id(db, "SELECT id, title FROM deals WHERE deleted_at IS NULL",
                  "ORDER BY closed_at IS NOT NULL, id DESC", prefix)


def followups(db: Connection, prefix: str, config: Any = None) -> Candidates:
    """Ids of open follow-ups starting with ``prefix``, soonest first."""
    return _by_id(db, "SELECT id, body FROM followups WHERE done_at IS NULL"
                      " AND deleted_at IS NULL", "ORDER BY due, id", prefix)


def _by_id(db: Connection, select: str, order: str, prefix: str) -> Candidates:
    """Rows ``(id, text)`` of ``select`` whose id starts with ``prefix``, looked up by primary
    key one range at a time: 12, then 120-129, then 1200-1299..."""
    if not prefix:
        return _described(db.execute(f"{select} {order} LIMIT ?", [LIMIT]))
    if not (prefix.isascii() and prefix.isdecimal()) or prefix.startswith("0") \
            or len(prefix) > len(str(_LARGEST_ID)):  # int() refuses thousands of digits
        return []
    found: Candidates = []
    low, width = int(prefix), 1
    while low <= _LARGEST_ID and len(found) < LIMIT:
        found += _described(db.execute(f"{select} AND id BETWEEN ? AND ? {order} LIMIT ?",
                                       [low, low + width - 1, LIMIT - len(found)]))
        low, width = low * 10, width * 10
    return found


def _described(rows) -> Candidates:
    return [(str(row_id), " ".join(str(text).split())) for row_id, text in rows]


def _range(prefix: str, folded: bool = True) -> list:
    start = fold(prefix) if folded else prefix.strip().lower()
    return [start, start + _AFTER_ALL, LIMIT]


KINDS: dict[str, Callable[[Connection, str, Any], Candidates]] = {
    "contact": contacts, "tag": tags, "company": companies, "stage": stages, "deal": deals,
    "followup": followups,
}
