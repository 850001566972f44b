"""Which contact of the book an imported record is about."""

from __future__ import annotations

import json
from sqlite3 import Connection

from crmcli import contacts, duplicates
from crmcli.models import Contact


def find_match(db: Connection, contact: Contact, by_details: bool, linkedin: bool,
               region: str | None, owner: int | None = None) -> Contact | None:
    """The contact a record is about. A UID is authoritative (ids belong to one book, so an
    id counts only without a UID); then ``owner``, the contact the same card went to before
    (a card may have nothing else to be matched by); then, ``by_details`` (unless the policy
    makes every record a new contact, or the format forbids it), email or name and phone; a
    LinkedIn connection's profile URL first."""
    if contact.uid:
        found = contacts.find_by_uid(db, contact.uid)
        if found or not by_details:
            return found
    elif contact.id is not None:
        return contacts.get(db, contact.id, deleted=None)
    if owner is not None and (owned := contacts.load_many(db, [owner])):
        return owned[0]
    if not by_details:
        return None
    if linkedin:
        return _linkedin_match(db, contact, region)
    return duplicates.find_same_person(db, contact, region)


def _linkedin_match(db: Connection, contact: Contact, region: str | None) -> Contact | None:
    """A connection's contact: by profile URL, then email (or name and phone), then the one
    live contact of its name."""
    from crmcli.normalize import fold

    bare = [fold(url.value).rstrip("/") for url in contact.urls]
    norms = [norm for url in bare for norm in (url, url + "/")]  # with a trailing slash or not
    row = db.execute(
        "SELECT d.contact_id FROM contact_details d JOIN contacts c ON c.id = d.contact_id"
        " WHERE d.kind = 'url' AND d.norm IN (SELECT value FROM json_each(?))"
        " AND c.deleted_at IS NULL ORDER BY d.contact_id LIMIT 1", [json.dumps(norms)]
    ).fetchone() if norms else None
    found = contacts.get(db, row[0]) if row else duplicates.find_same_person(db, contact, region)
    if found is None:
        named = db.execute("SELECT id FROM contacts WHERE name_folded = ? AND deleted_at IS NULL"
                           " LIMIT 2", [fold(contact.name)]).fetchall()
        found = contacts.get(db, named[0][0]) if len(named) == 1 else None
    return found
