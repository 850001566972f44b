"""Merging two companies (``crm company merge``), and a contact that is really a company
(from a company vCard) becoming one: whatever points at the one that goes is re-pointed."""

from __future__ import annotations

from dataclasses import replace
from sqlite3 import Connection

from crmcli import companies
from crmcli.db import transaction
from crmcli.models import Company

# Rows that belong to a company and move with a merge (OR IGNORE: the kept company's own
# card or field value wins over the other's).
_REFERENCES = (("contacts", "company_id"), ("deals", "company_id"),
               ("company_notes", "company_id"), ("company_cards", "company_id"),
               ("company_field_values", "record_id"))


def merge(db: Connection, keep: Company, other: Company) -> list[str]:
    """Move ``other``'s people, deals, notes, card and custom fields to ``keep``, add its
    details and tags, and trash it. Returns what could not be combined (a value each side
    has differently: the kept one stays)."""
    combined, conflicts = combine(keep, other)
    with transaction(db):
        for table, column in _REFERENCES:
            db.execute(f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ?",
                       [keep.id, other.id])
        companies.update(db, combined, read=keep)
        companies.trash(db, other.id)
        companies.reindex_people(db, keep.id)
    return conflicts


def combine(keep: Company, other: Company) -> tuple[Company, list[str]]:
    """``keep`` with what ``other`` adds: details and tags it lacks, industry and size where
    it has none."""
    conflicts = []
    singles = {}
    for name in ("industry", "size"):
        mine, theirs = getattr(keep, name), getattr(other, name)
        singles[name] = mine or theirs
        if mine and theirs and mine != theirs:
            conflicts.append(f"kept {name} {mine!r} (company {other.id} had {theirs!r})")
    details = {attribute: getattr(keep, attribute) + [
        d for d in getattr(other, attribute)
        if d.value not in {k.value for k in getattr(keep, attribute)}]
        for attribute in ("emails", "phones", "addresses", "urls")}
    return replace(keep, tags=[*keep.tags, *other.tags], **singles, **details), conflicts
