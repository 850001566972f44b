"""Contacts for export, read in batches so memory stays flat however big the book."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli import activity, contacts
from crmcli.interchange import cards
from crmcli.models import Contact

BATCH = 500


@dataclass
class Exported:
    contact: Contact
    notes: list[str]
    card: dict | None  # stored vCard data (see interchange.cards), if it came from a vCard
    original: str | None


def iter_export(db: Connection, ids: list[int]) -> Iterator[Exported]:
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        notes = activity.notes_by_contact(db, batch)
        stored = cards.load_many(db, batch)
        for contact in contacts.load_many(db, batch):
            data, original = stored.get(contact.id, (None, None))
            yield Exported(contact, notes.get(contact.id, []), data, original)


def to_record(item: Exported) -> dict:
    """The JSON export record: the ``crm list --json`` fields plus the notes."""
    return contacts.to_record(item.contact) | {"notes": item.notes}


def to_vcard(item: Exported, version: str = "3.0") -> str:
    """The contact as one vCard, written over the card it was imported from (if any)."""
    import base64

    from crmcli.interchange import vcard

    data = item.card or {}
    photo = data.get("photo")
    parsed = vcard.ParsedCard(
        contact=item.contact, notes=item.notes, anniversary=item.contact.anniversary,
        photo=vcard.Photo(
            data=base64.b64decode(photo["data"]) if photo.get("data") else None,
            uri=photo.get("uri"), media_type=photo.get("media_type") or "") if photo else None,
        rev=data.get("rev"), extra=list(data.get("extra") or []), original=item.original or None,
    )
    return vcard.write_card(parsed, version)


def vdir_file_name(contact: Contact) -> str:
    """``<uid>.vcf``, with characters unsafe in file names replaced."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in contact.uid or "")
    return f"{safe or contact.id}.vcf"
