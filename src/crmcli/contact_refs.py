"""Contacts by what names them: the one contact a reference names (an id, or a name, email
or phone, as a user types it), the contacts holding an email or a phone number, and a label
that tells people with the same name apart."""

from __future__ import annotations

import json
import re
from sqlite3 import Connection

from crmcli import contacts
from crmcli.contact_rules import detail_norm
from crmcli.errors import Ambiguous, InvalidInput, NotFound, row_id, shown
from crmcli.models import Contact
from crmcli.normalize import (
    MIN_NATIONAL_DIGITS,
    email_key,
    fold,
    looks_like_number,
    phone_digits,
    phone_key,
)

_WORD = re.compile(r"\w+")
_MIN_PHONE_DIGITS = MIN_NATIONAL_DIGITS  # a reference with fewer digits is an id
_CANDIDATES_SHOWN = 10


def resolve(db: Connection, ref: str, deleted: bool = False) -> Contact:
    """Find the one contact a reference names: an id, or a name, email or phone.

    Short numbers are ids; longer ones are phone numbers. Exact matches (folded name, email,
    phone number) win; then a name starting with the reference's words; otherwise the
    reference is searched like ``crm list`` and must match exactly one contact.
    """
    ref = ref.strip()
    if not ref:
        raise InvalidInput("the contact is empty: give its id, name, email or phone")
    if ref.isdecimal() and len(ref) < _MIN_PHONE_DIGITS:
        return contacts.get(db, row_id(ref, "contact"), deleted=deleted)
    ids = _exact_matches(db, ref, deleted)
    if not ids and _WORD.search(fold(ref)):  # no word (".", "+"): a search would find everyone
        found = contacts.search(db, ref, deleted=deleted)
        by_name = [c.id for c in found if _name_has_prefixes(c.name, ref)]
        ids = by_name if len(by_name) == 1 else [c.id for c in found]
    if not ids:
        place = " in the trash" if deleted else ""
        raise NotFound(f"no contact matches {shown(ref)}{place}")
    if len(ids) > 1:
        candidates = contacts.load_many(db, ids[:_CANDIDATES_SHOWN])
        raise Ambiguous(f"{shown(ref)} matches {len(ids)} contacts; use an id",
                        [(c.id, describe(c)) for c in candidates])
    return contacts.get(db, ids[0], deleted=deleted)


def _name_has_prefixes(name: str, ref: str) -> bool:
    """Whether every word of ``ref`` starts a word of ``name`` (``jo nu`` -> ``José Núñez``)."""
    words = _WORD.findall(fold(name))
    return all(any(w.startswith(part) for w in words) for part in _WORD.findall(fold(ref)))


# A contact_details row holding the phone line whose key is :phone (see same_phone). Without
# phone.region a number is stored in both forms, so the SQL matches national to international
# either way: the key of 07700 900005 is 7700900005, the end of +447700900005.
_SAME_PHONE = """(kind = 'phone' AND :phone != ''{tail} AND (norm = :phone
    OR (:phone NOT LIKE '+%' AND norm LIKE '%' || :phone)
    OR (norm NOT LIKE '+%' AND length(norm) >= :national AND :phone LIKE '%' || norm)))"""
# Keys that match share their last MIN_NATIONAL_DIGITS characters, which an index holds
# (contact_details_phone_tail): a key that long is looked up, not compared with every phone.
_PHONE_TAIL = f" AND substr(norm, -{MIN_NATIONAL_DIGITS}) = substr(:phone, -{MIN_NATIONAL_DIGITS})"


def _same_phone(phone: str) -> str:
    return _SAME_PHONE.format(tail=_PHONE_TAIL if len(phone) >= MIN_NATIONAL_DIGITS else "")


def _exact_matches(db: Connection, ref: str, deleted: bool) -> list[int]:
    """Contacts whose folded name, email or phone number (in either form) is ``ref``."""
    state = "IS NOT NULL" if deleted else "IS NULL"
    phone = (phone_key(ref) if len(phone_digits(ref)) >= _MIN_PHONE_DIGITS
             and looks_like_number(ref) else "")
    rows = db.execute(
        f"""SELECT id FROM contacts WHERE deleted_at {state} AND (name_folded = :name OR id IN (
            SELECT contact_id FROM contact_details
            WHERE (kind = 'email' AND norm = :email) OR {_same_phone(phone)}
        )) ORDER BY name_folded, id""",
        {"name": fold(ref), "email": email_key(ref), "phone": phone,
         "national": MIN_NATIONAL_DIGITS},
    )
    return [row[0] for row in rows]


def holders(db: Connection, kind: str, value: str, region: str | None = None
            ) -> list[tuple[int, str]]:
    """Live contacts (id, name) that have this email or phone number, in any form."""
    key = detail_norm(kind, value, region)
    rows = db.execute(
        f"""SELECT id, name FROM contacts WHERE deleted_at IS NULL AND id IN (
            SELECT contact_id FROM contact_details WHERE
            (kind = 'email' AND :kind = 'email' AND norm = :email) OR (:kind = 'phone'
            AND {_same_phone(key if kind == "phone" else "")})) ORDER BY id""",
        {"kind": kind, "email": key, "phone": key if kind == "phone" else "",
         "national": MIN_NATIONAL_DIGITS},
    )
    return rows.fetchall()


def by_emails(db: Connection, addresses: list[str]) -> dict[str, list[tuple[int, str]]]:
    """The live contacts (id, name) holding each of these emails (folded), in one query."""
    found: dict[str, list[tuple[int, str]]] = {}
    for norm, contact_id, name in db.execute(
            "SELECT d.norm, c.id, c.name FROM contact_details d JOIN contacts c"
            " ON c.id = d.contact_id AND c.deleted_at IS NULL WHERE d.kind = 'email'"
            " AND d.norm IN (SELECT value FROM json_each(?)) ORDER BY c.id",
            [json.dumps([email_key(address) for address in addresses])]):
        found.setdefault(norm, []).append((contact_id, name))
    return found


def describe(contact: Contact) -> str:
    """A one-line label that tells people with the same name apart."""
    label = contact.name
    if contact.emails:
        label += f" <{contact.emails[0].value}>"
    if contact.company:
        label += f" ({contact.company})"
    return label
