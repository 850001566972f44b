"""The full-text index of contacts: the FTS5 table ``contact_search``, one row per contact.

A row holds the folded text a search can match: ``body`` (names, company, title, details and
tags) and ``notes`` (the contact's live notes). The modules that change any of these call this
one; it reads the tables they own but writes only its own.

``addresses`` answers ``crm mutt-query`` on the light entry path (``crmcli.entry``): this
module imports no more than it needs for that (no models, no json at import time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from sqlite3 import Connection

from crmcli.normalize import (
    dialled_digits,
    fold,
    looks_like_number,
    phone_digits,
    phone_problem,
    phone_search_digits,
)

TYPE_CHECKING = False  # models (dataclasses) are not imported for the annotations alone
if TYPE_CHECKING:
    from crmcli.models import Contact

_WORD = re.compile(r"\w+")
_MIN_PHONE_SUFFIX = 4
_DETAIL_ORDER = ("email", "phone", "address", "url")


_INSERTS = {"contact_search": "INSERT INTO contact_search (rowid, body, notes) VALUES (?, ?, ?)",
            "note_search": "INSERT INTO note_search (rowid, body) VALUES (?, ?)"}


@contextmanager
def deferred(db: Connection) -> Iterator[None]:
    """Within: new rows of the indexes are written together at the end (a batch of an
    import). FTS5 writes the rows it holds as a new segment of the index whenever a statement
    opens a savepoint, which every write with a trigger does; rows added one at a time
    between such writes made a segment each, and merging them cost more than the rows."""
    db.search_rows = {table: [] for table in _INSERTS}
    try:
        yield
        write_deferred(db)
    finally:
        db.search_rows = None


def write_deferred(db: Connection) -> None:
    """Write the rows ``deferred`` holds (before anything else reads or changes an index)."""
    pending = getattr(db, "search_rows", None)
    for table, rows in (pending or {}).items():
        db.executemany(_INSERTS[table], rows)
        rows.clear()


def insert(db: Connection, table: str, row: list) -> None:
    """A new row of ``contact_search`` or ``note_search`` (held back within ``deferred``)."""
    pending = getattr(db, "search_rows", None)
    if pending is None:
        db.execute(_INSERTS[table], row)
    else:
        pending[table].append(row)


def add(db: Connection, contact: Contact, note_bodies: Iterable[str] = ()) -> None:
    """Index a new contact and the notes written with it."""
    insert(db, "contact_search", [contact.id, contact_text(contact), fold(" ".join(note_bodies))])


def update(db: Connection, contact: Contact) -> None:
    """Refresh the contact's searchable fields after they changed."""
    write_deferred(db)
    db.execute("UPDATE contact_search SET body = ? WHERE rowid = ?",
               [contact_text(contact), contact.id])


def reindex(db: Connection, contact_id: int) -> None:
    """Rebuild the contact's row from the stored contact (after its company was renamed, say)."""
    write_deferred(db)
    name, title, company = db.execute(
        "SELECT c.name, c.title, co.name FROM contacts c"
        " LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ?", [contact_id]).fetchone()
    details = db.execute("SELECT kind, value FROM contact_details WHERE contact_id = ?"
                         " ORDER BY position", [contact_id]).fetchall()
    ordered = sorted(details, key=lambda row: _DETAIL_ORDER.index(row[0]))
    tags = [tag for (tag,) in db.execute(
        "SELECT tag FROM contact_tags WHERE contact_id = ? ORDER BY tag", [contact_id])]
    texts = [value for (value,) in db.execute(
        "SELECT v.value FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id"
        " WHERE v.record_id = ? AND f.type IN ('text', 'choice', 'url', 'date')"
        " ORDER BY f.name", [contact_id])]
    db.execute("DELETE FROM contact_search WHERE rowid = ?", [contact_id])
    db.execute("INSERT INTO contact_search (rowid, body, notes) VALUES (?, ?, '')",
               [contact_id, _text([name, title or "", company or "", *texts], ordered, tags)])
    reindex_notes(db, contact_id)


def reindex_notes(db: Connection, contact_id: int) -> None:
    """Refresh the notes part of the contact's row."""
    write_deferred(db)
    notes = [body for (body,) in db.execute(
        "SELECT body FROM notes WHERE contact_id = ? AND deleted_at IS NULL", [contact_id])]
    db.execute("UPDATE contact_search SET notes = ? WHERE rowid = ?",
               [fold(" ".join(notes)), contact_id])


def forget(db: Connection, contact_ids: list[int]) -> None:
    """Drop the rows of contacts (and of their notes) about to be deleted for good."""
    import json

    write_deferred(db)
    ids = json.dumps(contact_ids)
    db.execute("DELETE FROM note_search WHERE rowid IN (SELECT id FROM notes WHERE"
               " contact_id IN (SELECT value FROM json_each(?)))", [ids])
    db.execute("DELETE FROM contact_search WHERE rowid IN (SELECT value FROM json_each(?))",
               [ids])
    # FTS5 only marks index entries deleted; merging the segments drops their words too.
    db.execute("INSERT INTO note_search (note_search) VALUES ('optimize')")
    db.execute("INSERT INTO contact_search (contact_search) VALUES ('optimize')")


def contact_text(contact: Contact) -> str:
    """The folded text a search can match: names, company, title, details and tags."""
    details = [(kind, detail.value) for kind, attribute in zip(
        _DETAIL_ORDER, ("emails", "phones", "addresses", "urls"), strict=True)
        for detail in getattr(contact, attribute)]
    texts = [value for value in contact.fields.values() if isinstance(value, str)]
    return _text([contact.name, contact.title or "", contact.company or "", *texts], details,
                  contact.tags)


def _text(fields: list[str], details: Iterable[tuple[str, str]], tags: Iterable[str]) -> str:
    parts = [*fields, *(" ".join(_phone_suffixes(value)) if kind == "phone" else value
                        for kind, value in details)]
    return fold(" ".join([*parts, *tags]))


def _phone_suffixes(number: str) -> list[str]:
    """Every tail of the digits, so that a search for ``612345678`` finds ``+34 612 34 56 78``.
    A value that is not a phone number (at most MAX_PHONE_DIGITS digits and a prefix) is
    searched as text, so the tails stay few and the index grows linearly."""
    if phone_problem(number):
        return [number]
    digits = dialled_digits(number)
    return [digits[i:] for i in range(max(1, len(digits) - _MIN_PHONE_SUFFIX + 1))]


def match_expression(query: str) -> str | None:
    """An FTS5 expression matching every word of ``query`` as a prefix, or None if it has none.
    A phone number matches in national and international form: its national digits are
    looked for, with and without a trunk 0."""
    if looks_like_number(query) and len(phone_digits(query)) >= _MIN_PHONE_SUFFIX:
        digits = phone_search_digits(query)
        forms = dict.fromkeys([digits, digits.lstrip("0")])
        return " OR ".join(f'"{form}"*' for form in forms if len(form) >= _MIN_PHONE_SUFFIX
                           ) or None
    words = _WORD.findall(fold(query))
    return " ".join(f'"{word}"*' for word in words) or None


def matching(column: str = "c.id") -> str:
    """SQL that keeps the contacts whose row matches the expression bound to its ``?``."""
    return f"{column} IN (SELECT rowid FROM contact_search WHERE contact_search MATCH ?)"


_ADDRESS_LINES = (
    "SELECT d.value || char(9) || c.name || char(9) || coalesce(co.name, '') FROM {contacts}"
    " JOIN contact_details d ON d.contact_id = c.id AND d.kind = 'email'"
    " LEFT JOIN companies co INDEXED BY companies_names ON co.id = c.company_id"
    " WHERE {matching}c.deleted_at IS NULL ORDER BY c.name_folded, c.id, d.position")


def address_lines(db: Connection, query: str) -> list[str]:
    """``email<TAB>name<TAB>company`` (company or "") for every email of the live contacts
    ``query`` finds, in the order of ``crm list QUERY`` (folded name, then id) and of each
    contact's emails: the lines of ``crm mutt-query``, read by one statement and joined by
    SQLite (one string a line, not three)."""
    expression = match_expression(query)
    if expression is None:  # no words: every address
        sql, parameters = _ADDRESS_LINES.format(contacts="contacts c", matching=""), []
    else:  # the index first (CROSS JOIN keeps that order): it finds the few among many
        sql, parameters = _ADDRESS_LINES.format(
            # contacts_addressing holds what is read of each contact (the planner would
            # take the wider table by its rowid): see migrations.m032
            contacts="contact_search s CROSS JOIN contacts c INDEXED BY contacts_addressing"
            " ON c.id = s.rowid",
            matching="contact_search MATCH ? AND "), [expression]
    return [line for (line,) in db.execute(sql, parameters)]


def refresh(db: Connection, contact_ids: Iterable[int], note_ids: Iterable[int] = ()) -> None:
    """Bring the index in step with rows written behind its back (an undo, a load): each
    contact's row rebuilt or dropped, each note's row rewritten or dropped."""
    import json

    write_deferred(db)
    notes = json.dumps(sorted(set(note_ids)))
    db.execute("DELETE FROM note_search WHERE rowid IN (SELECT value FROM json_each(?))", [notes])
    live_notes = db.execute("SELECT id, body FROM notes WHERE deleted_at IS NULL AND id IN"
                            " (SELECT value FROM json_each(?))", [notes]).fetchall()
    db.executemany("INSERT INTO note_search (rowid, body) VALUES (?, ?)",
                   [(note_id, fold(body)) for note_id, body in live_notes])
    wanted = json.dumps(sorted(set(contact_ids)))
    db.execute("DELETE FROM contact_search WHERE rowid IN (SELECT value FROM json_each(?))"
               " AND rowid NOT IN (SELECT id FROM contacts)", [wanted])
    for (contact_id,) in db.execute("SELECT id FROM contacts WHERE id IN"
                                    " (SELECT value FROM json_each(?))", [wanted]).fetchall():
        reindex(db, contact_id)
