"""Companies in and out of vCard, JSON and the crmcli CSV.

A company card is written as vCard 3.0 with ``X-ABShowAs:COMPANY`` (Apple's mark, which other
clients keep) and as 4.0 with ``KIND:org`` too: FN and ORG hold the name, N is empty; websites
are URL, and EMAIL, TEL, ADR, CATEGORIES, NOTE and UID are as for a person; the industry, the
size and custom fields are ``X-CRMCLI-INDUSTRY``, ``X-CRMCLI-SIZE`` and
``X-CRMCLI-FIELD;X-NAME=segment:smb``. What the card held beyond these (``company_cards``) is
written back, as for contacts. In JSON a company is an
object with ``"kind": "company"``; in the crmcli CSV, a row whose ``kind`` cell is ``company``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli import companies
from crmcli import fields as custom_fields
from crmcli.db import now_stamp
from crmcli.errors import InvalidInput
from crmcli.interchange import json_values
from crmcli.interchange.stored_cards import StoredCard, combine
from crmcli.models import Company, Contact

BATCH = 500
_MARKS = re.compile(r"^(?:[\w-]+\.)?(?:KIND|X-ABSHOWAS|X-CRMCLI-INDUSTRY|X-CRMCLI-SIZE"
                    r"|X-CRMCLI-FIELD)[;:]", re.IGNORECASE)
_OWN = re.compile(r"(?:[\w-]+\.)?(X-CRMCLI-INDUSTRY|X-CRMCLI-SIZE|X-CRMCLI-FIELD)"
                  r"((?:;[^:]*)?):(.*)", re.IGNORECASE | re.DOTALL)
_FIELD_NAME = re.compile(r";X-NAME=\"?([a-z][a-z0-9_]*)\"?", re.IGNORECASE)


@dataclass
class ExportedCompany:
    company: Company
    notes: list[str]
    card: StoredCard | None


def from_card(contact: Contact, extra: list[str]) -> tuple[Company, list[str]]:
    """The company a company card describes, and the card's other extra lines."""
    from crmcli.interchange.vcard_normalise import unescape

    company, rest = from_contact(contact), []
    company.fields.update(contact.fields)  # X-CRMCLI-FIELD, read by vcard_read
    for line in extra:
        match = _OWN.fullmatch(line)
        if not match:
            rest.append(line)
            continue
        name, params, value = match[1].upper(), match[2], unescape(match[3]).strip()
        if name == "X-CRMCLI-INDUSTRY":
            company.industry = value
        elif name == "X-CRMCLI-SIZE":
            company.size = value
        elif field := _FIELD_NAME.search(params):
            company.fields[field[1].lower()] = value
    return company, rest


def _own_lines(company: Company, version: str) -> list[str]:
    """The lines that mark a card as a company's and carry what only crmcli keeps."""
    from crmcli.interchange.vcard_write import _escape

    lines = ["X-ABShowAs:COMPANY", *(["KIND:org"] if version == "4.0" else [])]
    lines += [f"X-CRMCLI-{name.upper()}:{_escape(value)}"
              for name, value in (("industry", company.industry), ("size", company.size))
              if value]
    lines += [f"X-CRMCLI-FIELD;X-NAME={name}:{_escape(custom_fields.as_text(value, name))}"
              for name, value in company.fields.items()]
    return lines


def from_contact(contact: Contact) -> Company:
    """The company a card read as a contact describes (its ORG, else its FN, as the name)."""
    return Company(name=contact.company or contact.name, uid=contact.uid, emails=contact.emails,
                   phones=contact.phones, addresses=contact.addresses, urls=contact.urls,
                   tags=contact.tags)


def as_contact(company: Company) -> Contact:
    """The company in the shape the vCard writer takes: the name as FN and ORG."""
    return Contact(name=company.name, company=company.name, uid=company.uid,
                   emails=company.emails, phones=company.phones, addresses=company.addresses,
                   urls=company.urls, tags=company.tags)


# ---------------------------------------------------------------------------------- storage


def load_cards(db: Connection, ids: list[int]) -> dict[int, StoredCard]:
    return {row[0]: StoredCard(json.loads(row[1]), row[2]) for row in db.execute(
        "SELECT company_id, data, original FROM company_cards"
        " WHERE company_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])}


def save_card(db: Connection, company_id: int, card: StoredCard) -> None:
    db.execute(
        "INSERT INTO company_cards (company_id, data, original, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (company_id) DO UPDATE SET data = excluded.data,"
        " original = excluded.original, updated_at = excluded.updated_at",
        [company_id, json.dumps(card.data, ensure_ascii=False), card.original, now_stamp(db)])


def notes_by_company(db: Connection, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for company_id, body in db.execute(
            "SELECT company_id, body FROM company_notes WHERE deleted_at IS NULL AND company_id"
            " IN (SELECT value FROM json_each(?)) ORDER BY created_at, id", [json.dumps(ids)]):
        found.setdefault(company_id, []).append(body)
    return found


# A company that is only a name its people give (their ORG) is not written on its own: its
# people bring it back. Any other live company is.
EXPORTED = (
    "co.deleted_at IS NULL AND (co.industry IS NOT NULL OR co.size IS NOT NULL"
    " OR NOT EXISTS (SELECT 1 FROM contacts c WHERE c.company_id = co.id"
    "  AND c.deleted_at IS NULL)"
    + "".join(f" OR EXISTS (SELECT 1 FROM {table} t WHERE t.{column} = co.id)"
              for table, column in (("company_details", "company_id"),
                                    ("company_tags", "company_id"),
                                    ("company_notes", "company_id"),
                                    ("company_cards", "company_id"),
                                    ("company_field_values", "record_id"))) + ")")


def iter_export(db: Connection) -> Iterator[ExportedCompany]:
    """Every live company that is more than a name (see EXPORTED), with its notes and
    stored card, in batches."""
    ids = [row[0] for row in db.execute(
        f"SELECT co.id FROM companies co WHERE {EXPORTED} ORDER BY co.name_folded, co.id")]
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        notes, cards = notes_by_company(db, batch), load_cards(db, batch)
        for company in companies.load_many(db, batch):
            yield ExportedCompany(company, notes.get(company.id, []), cards.get(company.id))


# ---------------------------------------------------------------------------------- writing


def to_vcard(item: ExportedCompany, version: str = "3.0") -> str:
    """The company as one vCard (over the card it came from, if any), marked as a company."""
    import base64

    from crmcli.interchange.vcard_fields import ParsedCard, Photo
    from crmcli.interchange.vcard_write import write_card

    data = item.card.data if item.card else {}
    photo = data.get("photo")
    marks = _own_lines(item.company, version)
    original = None
    if item.card and item.card.original:
        lines = [line for line in item.card.original.split("\r\n") if not _MARKS.match(line)]
        original = "\r\n".join([*lines[:2], *marks, *lines[2:]])
    parsed = ParsedCard(
        contact=as_contact(item.company), notes=item.notes,
        photo=Photo(data=base64.b64decode(photo["data"]) if photo.get("data") else None,
                    uri=photo.get("uri"), media_type=photo.get("media_type") or "")
        if photo else None,
        rev=data.get("rev"),
        extra=[*(line for line in data.get("extra") or [] if not _MARKS.match(line)), *marks],
        original=original, is_company=True)
    return write_card(parsed, version)


def to_record(item: ExportedCompany) -> dict:
    """The JSON export record of a company: ``crm company list --json``'s and its notes."""
    return {"kind": "company", **companies.to_record(item.company), "notes": item.notes}


def csv_cells(item: ExportedCompany) -> dict[str, str]:
    """The crmcli CSV cells of a company that the contact columns do not hold."""
    return {"kind": "company", "industry": item.company.industry or "",
            "size": item.company.size or ""}


# ---------------------------------------------------------------------------------- reading


_RECORD_KEYS = {"kind", "id", "uid", "name", "industry", "size", "emails", "phones",
                "addresses", "websites", "tags", "fields", "notes", "people", "created_at",
                "updated_at", "version"}


def from_record(record: dict) -> tuple[Company, list[str]]:
    """A company and its notes from a JSON export record (``"kind": "company"``)."""
    unknown = set(record) - _RECORD_KEYS
    if unknown:
        raise InvalidInput(f"unknown field(s) of a company: {', '.join(sorted(unknown))}")
    texts = {key: record.get(key) for key in ("uid", "name", "industry", "size")}
    if not all(value is None or isinstance(value, str) for value in texts.values()):
        raise InvalidInput("uid, name, industry and size must be text")
    if not texts["name"]:
        raise InvalidInput("a company needs a name")
    details = {attribute: json_values.details(record.get(key), key) for key, attribute in
               (("emails", "emails"), ("phones", "phones"), ("addresses", "addresses"),
                ("websites", "urls"))}
    tags, notes = json_values.texts(record.get("tags"), "tags"), json_values.notes(
        record.get("notes"))
    values = record.get("fields") or {}
    if not isinstance(values, dict):
        raise InvalidInput("fields must be an object of field names and values")
    company = Company(name=texts["name"], uid=texts["uid"], industry=texts["industry"],
                      size=texts["size"], tags=list(tags), **details,
                      fields={name: custom_fields.as_text(value, name)
                              for name, value in values.items()})
    return company, notes


# ---------------------------------------------------------------------------------- importing


def import_one(db: Connection, company: Company, notes: list[str], card: StoredCard | None,
               skip_existing: bool) -> tuple[str, list[str]]:
    """Add a company, or add what is new to the one with its UID or name (details, tags,
    industry and size where it has none, notes, the card's extra properties). Returns the
    outcome (created, updated, unchanged, skipped) and what to tell."""
    existing = (companies.find_by_uid(db, company.uid) if company.uid else None) \
        or companies.find(db, company.name)
    if existing is None:
        created = companies.create(db, replace(company, fields={}))
        _write_fields(db, created.id, company.fields)
        for body in dict.fromkeys(n.strip() for n in notes if n.strip()):
            companies.add_note(db, created.id, body)
        if card is not None:
            save_card(db, created.id, card)
        return "created", []
    if existing.deleted_at:
        return "skipped", [f"matches company {existing.id}, which is in the trash; skipped"]
    if skip_existing:
        return "skipped", []
    from crmcli.company_merge import combine as combined_with

    merged, conflicts = combined_with(existing, replace(company, id=None))
    changed = companies.validate(merged) != companies.validate(existing)
    if changed:
        companies.update(db, merged)
    changed |= _write_fields(db, existing.id, company.fields)
    known = {note.body for note in companies.notes_for(db, existing.id)}
    for body in dict.fromkeys(n.strip() for n in notes if n.strip() and n.strip() not in known):
        companies.add_note(db, existing.id, body)
        changed = True
    if card is not None:
        changed |= _combine_card(db, existing.id, card)
    return ("updated" if changed else "unchanged"), [f"company {existing.id}: {c}"
                                                    for c in conflicts]


def _combine_card(db: Connection, company_id: int, card: StoredCard) -> bool:
    """Keep what the card holds beyond the company's fields; whether that added something
    (a photo, properties crm does not own: not a newer REV alone)."""
    stored = load_cards(db, [company_id]).get(company_id)
    data = combine(stored.data, card.data) if stored else card.data
    if stored is not None and data == stored.data:
        return False
    save_card(db, company_id, StoredCard(data, stored.original if stored else card.original))
    before = stored.data if stored else {}
    return {k: v for k, v in data.items() if k != "rev" and v} != {
        k: v for k, v in before.items() if k != "rev" and v}


def _write_fields(db: Connection, company_id: int, incoming: dict[str, str]) -> bool:
    """Custom field values of an imported company (fields the book lacks are created as
    text); whether any changed."""
    for name in incoming:
        if custom_fields.find(db, name, "companies") is None:
            custom_fields.define(db, name, "text", "companies")
    current = custom_fields.values_for(db, [company_id], "companies").get(company_id, {})
    wanted = {name: value for name, value in incoming.items()
              if custom_fields.as_text(current.get(name, ""), name) != value}
    if wanted:
        custom_fields.apply(db, company_id, custom_fields.Changes(set=wanted), "companies")
    return bool(wanted)
