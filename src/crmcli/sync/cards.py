"""Contacts to and from the vCard files of a vdir, through interchange's reader and writer."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import activity, campaigns
from crmcli.errors import InvalidInput
from crmcli.models import Company, Contact


@dataclass
class PhoneCard:
    """A card read from a file: the contact it describes, its notes, what crmcli keeps beside
    the contact (photo, unowned properties) and its REV."""

    contact: Contact
    notes: list[str]
    data: dict
    original: str
    rev: str | None
    company: Company | None = None  # set when the card is a company's (KIND:org...)
    relations: list = field(default_factory=list)  # vcard_personal.Related


def parse(data: bytes) -> PhoneCard:
    """The one card a file holds; InvalidInput says why it cannot be read."""
    from crmcli.interchange.vcard_read import parse_card
    from crmcli.interchange.vcard_records import card_data
    from crmcli.interchange.vcard_split import iter_raw_cards

    raws = list(iter_raw_cards(io.BytesIO(data)))
    if len(raws) != 1:
        raise InvalidInput(f"holds {len(raws)} cards; a vdir item holds one")
    parsed = parse_card(raws[0])
    parsed.contact.anniversary = parsed.anniversary
    company = None
    if parsed.is_company:
        from crmcli.interchange.company_cards import from_card

        company, parsed.extra = from_card(parsed.contact, parsed.extra)
    return PhoneCard(parsed.contact, parsed.notes, card_data(parsed), parsed.original or "",
                     parsed.rev, company, parsed.relations)


def as_company(card: PhoneCard) -> PhoneCard:
    """A card that stands for a company though it no longer says so (a phone that dropped
    X-ABShowAs): the company its name and details describe."""
    from crmcli.interchange.company_cards import from_card

    card.company, card.data["extra"] = from_card(card.contact, card.data.get("extra") or [])
    return card


def render_company(db: Connection, company: Company, version: str) -> bytes:
    """The company as a company card of ``version``, written over the card the phone last
    sent; its REV is the company's last change."""
    from crmcli.interchange.company_cards import (
        ExportedCompany,
        load_cards,
        notes_by_company,
        to_vcard,
    )
    from crmcli.interchange.stored_cards import StoredCard

    stored = load_cards(db, [company.id]).get(company.id)
    card = StoredCard({**(stored.data if stored else {}), "rev": _rev(company.updated_at)},
                      stored.original if stored else "")
    notes = notes_by_company(db, [company.id]).get(company.id, [])
    return to_vcard(ExportedCompany(company, notes, card), version).encode()


def render(db: Connection, contact: Contact, version: str) -> bytes:
    """The contact as a card of ``version``, written over the card the phone last sent."""
    from crmcli.gifts import entries_of
    from crmcli.interchange.exporter import Exported, relations_of, to_vcard
    from crmcli.interchange.stored_cards import StoredCard, load

    notes = activity.notes_by_contact(db, [contact.id]).get(contact.id, [])
    contact.no_mail = campaigns.opted_out(db, contact.id)
    contact.gifts = entries_of(db, [contact.id]).get(contact.id, [])
    stored = load(db, contact.id)
    card = StoredCard({**(stored.data if stored else {}), "rev": _rev(contact.updated_at)},
                      stored.original if stored else "")
    relations = relations_of(db, [contact.id]).get(contact.id, [])
    return to_vcard(Exported(contact, notes, card, relations), version).encode()


def _rev(changed_at: str | None) -> str | None:
    """REV is the contact's last change in this book ("2026-11-22T09:01:00Z" becomes
    "20261122T090100Z"), so that another book resolving a conflict with it compares when each
    change was made, not when this book happened to sync."""
    return changed_at.replace("-", "").replace(":", "") if changed_at else None


def with_opt_out(db: Connection, people: list[Contact]) -> list[Contact]:
    """The contacts with their opt-out set: sync owns it, contacts.load_many leaves it."""
    opted_out = campaigns.opted_out_among(db, [contact.id for contact in people])
    for contact in people:
        contact.no_mail = contact.id in opted_out
    return people


def book_contact(db: Connection, contact_id: int) -> Contact:
    """The contact as sync compares it (trashed or not), its opt-out included."""
    from crmcli import contacts

    return with_opt_out(db, [contacts.get(db, contact_id, deleted=None)])[0]


def keep_original(db: Connection, contact_id: int, card: PhoneCard) -> list:
    """The newest card from the server becomes the stored original, so what a phone added
    and crmcli does not own survives the next export; the relationships and custom fields it
    holds that the book lacks are added (the next export writes the book's back), and so are
    its gifts. Returns the relationships naming a UID not
    in the book yet, for ``link_later``."""
    from crmcli import contacts, fields, relationships
    from crmcli.interchange.stored_cards import StoredCard, save

    save(db, contact_id, StoredCard(card.data, card.original))
    if card.contact.fields:
        fields.write_incoming(db, contact_id, card.contact.fields)
    if card.contact.gifts:
        from crmcli.gifts import add_missing

        add_missing(db, contact_id, card.contact.gifts)
    items = [(r.kind, r.name, r.uid) for r in card.relations]
    if items:
        relationships.add_from_card(db, contacts.get(db, contact_id, deleted=None), items)
    return [(contact_id, item) for item in items
            if item[2] and not contacts.find_by_uid(db, item[2])]


def link_later(db: Connection, unlinked: list) -> None:
    """Link the relationships ``keep_original`` could not, once the run pulled every card
    (a name-only stand-in becomes the edge to the contact)."""
    from crmcli import contacts, relationships

    for contact_id, item in unlinked:
        relationships.add_from_card(db, contacts.get(db, contact_id, deleted=None), [item])
