"""Migration 19: the contacts that earlier releases made of company vCards become companies.

A contact is a company's when its imported card says so (``X-ABShowAs:COMPANY``, ``KIND:org``)
or holds an ORG and no person's name (no N naming anyone, the contact named as its company).
Everything it had moves: emails, phones, addresses and URLs, tags and notes to the company
(found by name, else created, taking the card's UID), its card to the company's card, its deals
to the company, its custom field values to company fields of the same name and type. Rows
that only a person can hold are kept in words: each interaction becomes a company note ("call
on 2026-11-10 (20 min, positive): ..."), each relationship and important date it had a note
("anniversary: 2010-05-01"), and follow-ups stay
as follow-ups about nobody, their text naming the company. Relationships that pointed at it
name the company instead, and a sync base row follows the card to the company. Then the contact
goes. The SQL is written here once and never follows later schema changes.
"""

from __future__ import annotations

import re
import sqlite3

from crmcli.normalize import fold

_COMPANY_MARK = re.compile(r"^(?:[\w-]+\.)?(?:X-ABSHOWAS:COMPANY|KIND:ORG(?:ANIZATION)?)\s*$",
                           re.IGNORECASE | re.MULTILINE)
_PERSON_N = re.compile(r"^(?:[\w-]+\.)?N(?:;[^:\n]*)?:(.*)$", re.IGNORECASE | re.MULTILINE)
_INDIVIDUAL = re.compile(r"^(?:[\w-]+\.)?KIND:(?!ORG)", re.IGNORECASE | re.MULTILINE)


def is_company_card(original: str, name: str, company: str | None) -> bool:
    if _COMPANY_MARK.search(original):
        return True
    if _INDIVIDUAL.search(original) or not company or fold(name) != fold(company):
        return False
    return not any(part.strip() for n in _PERSON_N.findall(original)
                   for part in re.split(r"(?<!\\)[;,]", n))


def move_company_cards(db: sqlite3.Connection) -> None:
    found = db.execute(
        "SELECT c.id, c.uid, c.name, co.name, cc.original, cc.data, cc.updated_at"
        " FROM contacts c JOIN contact_cards cc ON cc.contact_id = c.id"
        " LEFT JOIN companies co ON co.id = c.company_id WHERE c.deleted_at IS NULL"
        " ORDER BY c.id").fetchall()
    for contact_id, uid, name, company, original, data, card_at in found:
        if is_company_card(original, name, company):
            _move(db, contact_id, uid, company or name, (original, data, card_at))


def _move(db, contact_id: int, uid: str, name: str, card: tuple) -> None:
    company_id = _company(db, name, uid, contact_id)
    _copy_details(db, contact_id, company_id)
    db.execute("INSERT OR IGNORE INTO company_tags (company_id, tag)"
                " SELECT ?, tag FROM contact_tags WHERE contact_id = ?", [company_id, contact_id])
    db.execute("INSERT INTO company_notes (company_id, body, created_at, updated_at, deleted_at)"
                " SELECT ?, body, created_at, updated_at, deleted_at FROM notes"
                " WHERE contact_id = ? ORDER BY id", [company_id, contact_id])
    db.execute("DELETE FROM note_search WHERE rowid IN (SELECT id FROM notes"
                " WHERE contact_id = ?)", [contact_id])
    _keep_in_words(db, contact_id, company_id, name)
    db.execute("INSERT OR IGNORE INTO company_cards (company_id, data, original, updated_at)"
                " VALUES (?, ?, ?, ?)", [company_id, card[1], card[0], card[2]])
    db.execute("UPDATE deals SET company_id = coalesce(company_id, ?), contact_id = NULL"
                " WHERE contact_id = ?", [company_id, contact_id])
    _copy_fields(db, contact_id, company_id)
    db.execute("UPDATE OR IGNORE relationships SET related_id = NULL, related_name = ?,"
                " name_folded = ?"
                " WHERE related_id = ?", [name, fold(name), contact_id])
    db.execute("UPDATE sync_items SET collection = 'companies', row_id = ?, row_version = NULL"
                " WHERE collection = 'contacts' AND row_id = ?", [company_id, contact_id])
    db.execute("DELETE FROM contact_search WHERE rowid = ?", [contact_id])
    for table, column in db.execute(  # migrations run with foreign keys off: no cascade
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f"
            " WHERE m.type = 'table' AND f.\"table\" = 'contacts'").fetchall():
        db.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', [contact_id])
    db.execute("DELETE FROM contacts WHERE id = ?", [contact_id])


def _company(db, name: str, uid: str, contact_id: int) -> int:
    """The company called ``name``, created if none is; it takes the card's UID."""
    row = db.execute("SELECT id FROM companies WHERE name_folded = ?", [fold(name)]).fetchone()
    if row is None:
        stamp = db.execute("SELECT created_at, updated_at FROM contacts WHERE id = ?",
                           [contact_id]).fetchone()
        row = (db.execute("INSERT INTO companies (name, name_folded, created_at, updated_at)"
                          " VALUES (?, ?, ?, ?)", [name, fold(name), *stamp]).lastrowid,)
    if not db.execute("SELECT 1 FROM companies WHERE uid = ?", [uid]).fetchone():
        db.execute("UPDATE companies SET uid = ? WHERE id = ?", [uid, row[0]])
    return row[0]


def _copy_details(db, contact_id: int, company_id: int) -> None:
    have = {(kind, value) for kind, value in db.execute(
        "SELECT kind, value FROM company_details WHERE company_id = ?", [company_id])}
    start = db.execute("SELECT count(*) FROM company_details WHERE company_id = ?",
                       [company_id]).fetchone()[0]
    rows = [row for row in db.execute(
        "SELECT kind, label, value FROM contact_details WHERE contact_id = ?"
        " ORDER BY kind, position", [contact_id]) if (row[0], row[2]) not in have]
    db.executemany("INSERT INTO company_details (company_id, kind, label, value, position)"
                   " VALUES (?, ?, ?, ?, ?)",
                   [(company_id, kind, label, value, start + index)
                    for index, (kind, label, value) in enumerate(rows)])


def _keep_in_words(db, contact_id: int, company_id: int, name: str) -> None:
    """Interactions, relationships and dates as company notes; follow-ups about nobody."""
    for kind, at, body, minutes, outcome, deleted in db.execute(
            "SELECT kind, happened_at, body, duration_minutes, outcome, deleted_at"
            " FROM interactions WHERE contact_id = ? ORDER BY happened_at, id",
            [contact_id]).fetchall():
        extras = ", ".join(filter(None, [f"{minutes} min" if minutes else "", outcome or ""]))
        text = f"{kind} on {at[:10]}" + (f" ({extras})" if extras else "") + f": {body}"
        db.execute("INSERT INTO company_notes (company_id, body, created_at, updated_at,"
                   " deleted_at) VALUES (?, ?, ?, ?, ?)", [company_id, text, at, at, deleted])
    for kind, other, other_name, at in db.execute(
            "SELECT r.kind, o.name, r.related_name, r.created_at FROM relationships r"
            " LEFT JOIN contacts o ON o.id = r.related_id WHERE r.contact_id = ?",
            [contact_id]).fetchall():
        db.execute("INSERT INTO company_notes (company_id, body, created_at, updated_at)"
                   " VALUES (?, ?, ?, ?)", [company_id, f"{kind}: {other or other_name}", at, at])
    db.execute("INSERT INTO company_notes (company_id, body, created_at, updated_at)"
               " SELECT ?, label || ': ' || date, c.created_at, c.created_at"
               " FROM contact_dates d JOIN contacts c ON c.id = d.contact_id"
               " WHERE d.contact_id = ? ORDER BY d.id", [company_id, contact_id])
    db.execute("UPDATE followups SET contact_id = NULL, body = ? || ': ' || body"
               " WHERE contact_id = ?", [name, contact_id])


def _copy_fields(db, contact_id: int, company_id: int) -> None:
    for field_name, type_, choices, created, value in db.execute(
            "SELECT f.name, f.type, f.choices, f.created_at, v.value"
            " FROM contact_field_values v JOIN custom_fields f ON f.id = v.field_id"
            " WHERE v.record_id = ?", [contact_id]).fetchall():
        db.execute("INSERT OR IGNORE INTO custom_fields (entity, name, type, choices,"
                   " created_at) VALUES ('companies', ?, ?, ?, ?)",
                   [field_name, type_, choices, created])
        target = db.execute("SELECT id FROM custom_fields WHERE entity = 'companies'"
                            " AND name = ?", [field_name]).fetchone()[0]
        db.execute("INSERT OR IGNORE INTO company_field_values (field_id, record_id, value)"
                   " VALUES (?, ?, ?)", [target, company_id, value])
