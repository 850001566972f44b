"""Deleting people for good: the contact, everything that belongs to it (notes, interactions,
follow-ups, relationships, its card), its search rows and its journal entries. Not journaled,
so not undoable; SQLite overwrites the freed pages (secure_delete)."""

from __future__ import annotations

from sqlite3 import Connection

from crmcli import campaigns, contacts, journal, search
from crmcli.db import transaction


def forget(db: Connection, contact_ids: list[int]) -> int:
    """Delete these contacts for good; returns how many there were."""
    if not contact_ids:
        return 0
    recorder = getattr(db, "journal", None)
    if recorder:
        recorder.suspended = True
    db.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(db):
            journal.purge_contacts(db, contact_ids)
            campaigns.forget_addresses(db, contact_ids)
            search.forget(db, contact_ids)
            count = contacts.delete_for_good(db, contact_ids)
    finally:
        if recorder:
            recorder.suspended = False
    # Copy the freed pages out of the write-ahead log, which still holds the old ones.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return count


