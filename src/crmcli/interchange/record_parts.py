"""What an imported record brings beside a contact's own fields: its notes, and the vCard
it came as (kept to be written back on export)."""

from __future__ import annotations

from dataclasses import replace
from sqlite3 import Connection
from typing import TYPE_CHECKING

from crmcli import activity, contacts
from crmcli.interchange import exporter, stored_cards
from crmcli.interchange.stored_cards import StoredCard
from crmcli.models import Contact

if TYPE_CHECKING:
    from crmcli.interchange.incoming import Incoming


def distinct(notes: list[str]) -> list[str]:
    return [body for body in dict.fromkeys(note.strip() for note in notes) if body]


def add_notes(db: Connection, contact_id: int, notes: list[str]) -> bool:
    known = {note.body for note in activity.notes_for(db, contact_id)}
    fresh = [body for body in distinct(notes) if not _made_of(body, known)]
    if fresh:
        activity.add_notes(db, contact_id, fresh)
    return bool(fresh)


def _made_of(body: str, known: set[str]) -> bool:
    """Whether ``body`` is a known note, or several joined by blank lines as a CSV cell holds
    them (``"A\\n\\nB"`` beside notes A and B). Linear in the size of the notes."""
    if body in known:
        return True
    by_first: dict[str, list[list[str]]] = {}
    for note in known:
        paragraphs = note.split("\n\n")
        by_first.setdefault(paragraphs[0], []).append(paragraphs)
    parts = body.split("\n\n")
    start = 0
    while start < len(parts):
        match = next((len(paragraphs) for paragraphs in by_first.get(parts[start], ())
                      if parts[start:start + len(paragraphs)] == paragraphs), 0)
        if not match:
            return False
        start += match
    return True


def save_new_card(db: Connection, created: Contact, notes: list[str], record: Incoming
                   ) -> None:
    card = StoredCard(record.card, record.original or "")
    if record.rendered:
        card.rendered = record.rendered
        saved = (contacts.get(db, created.id) if record.contact.fields
                 else _as_loaded(db, created))
        card.rendered_for = exporter.rendered_for(
            exporter.Exported(saved, notes, card, list(record.relations)))
    stored_cards.save(db, created.id, card)


def _as_loaded(db: Connection, created: Contact) -> Contact:
    """A contact just created as ``contacts.get`` would load it, with one query instead of a
    load: tags in their stored order, the company's stored name, the version after every
    write. One with dates or interests (stored in another order) is loaded."""
    if created.dates or created.interests:
        return contacts.get(db, created.id)
    version, company = db.execute(
        "SELECT c.version, co.name FROM contacts c LEFT JOIN companies co"
        " ON co.id = c.company_id WHERE c.id = ?", [created.id]).fetchone()
    return replace(created, tags=sorted(set(created.tags)), company=company, version=version,
                   last_contacted_at=None, no_mail=False, gifts=[])  # gifts: not loaded


def combine_card(db: Connection, contact_id: int, record: Incoming) -> bool:
    """Keep what the card holds beyond crm's fields; whether that added something the
    contact did not have (a photo, unknown properties: not a newer REV alone)."""
    if record.card is None:
        return False
    stored = stored_cards.load(db, contact_id)
    if stored is None:
        stored_cards.save(db, contact_id, StoredCard(record.card, record.original or ""))
        return bool(record.card.get("photo") or record.card.get("extra"))
    combined = stored_cards.combine(stored.data, record.card)
    if combined == stored.data:
        return False
    stored_cards.save(db, contact_id, StoredCard(combined, stored.original))
    return _without_rev(combined) != _without_rev(stored.data)


def _without_rev(card: dict) -> dict:
    return {key: value for key, value in card.items() if key != "rev"}
