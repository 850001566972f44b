"""Contacts: create, load, update, trash, resolve references, search, duplicates and merge.

Emails, phones, postal addresses and URLs live in ``contact_details`` (one row each, with a
label and a normalised form for matching). Every contact has one row in the FTS5 table
``contact_search`` holding the folded text a search can match, refreshed on every write.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlite_utils import Database
from sqlite_utils.db import quote_identifier

from crmcli import companies
from crmcli.dates import now_utc
from crmcli.db import transaction
from crmcli.errors import Ambiguous, InvalidInput, NotFound
from crmcli.models import Contact, Detail, PartialDate
from crmcli.normalize import (
    MIN_NATIONAL_DIGITS,
    email_key,
    fold,
    is_email,
    is_phone,
    phone_digits,
    phone_key,
    same_phone,
)

DETAIL_KINDS = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls"}
SORTS = {
    "name": "c.name_folded, c.id",
    "created": "c.created_at, c.id",
    "updated": "c.updated_at DESC, c.id",
}
_WORD = re.compile(r"\w+")
_MIN_PHONE_SUFFIX = 4
_MIN_PHONE_DIGITS = MIN_NATIONAL_DIGITS  # a reference with fewer digits is an id
_CANDIDATES_SHOWN = 10


# ---------------------------------------------------------------- validation and normal forms


def detail_norm(kind: str, value: str) -> str:
    if kind == "email":
        return email_key(value)
    if kind == "phone":
        return phone_key(value)
    return fold(value)


def validate(contact: Contact) -> Contact:
    """Check a contact before it is written; returns it with values tidied."""
    name = " ".join(contact.name.split())
    if not name:
        raise InvalidInput("a contact needs a name")
    for email in contact.emails:
        if not is_email(email.value):
            raise InvalidInput(f"invalid email {email.value!r}: expected name@domain.tld")
    for phone in contact.phones:
        if not is_phone(phone.value):
            raise InvalidInput(f"invalid phone number {phone.value!r}: expected digits")
    tags = sorted({normalize_tag(tag) for tag in contact.tags} - {""})
    return replace(contact, name=name, tags=tags,
                   company=(contact.company or "").strip() or None,
                   title=(contact.title or "").strip() or None)


def normalize_tag(tag: str) -> str:
    return " ".join(tag.split()).casefold().lstrip("+")


def _dedupe_details(details: Iterable[Detail], kind: str) -> list[Detail]:
    """Drop empty values and repeats (the same address written differently), keeping order."""
    same = same_phone if kind == "phone" else str.__eq__
    seen: list[str] = []
    kept = []
    for detail in details:
        value = detail.value.strip()
        key = detail_norm(kind, value)
        if value and not any(same(key, other) for other in seen):
            seen.append(key)
            kept.append(Detail(value, detail.label.strip().lower()))
    return kept


# ---------------------------------------------------------------------------------- writing


def create(db: Database, contact: Contact) -> Contact:
    contact = validate(contact)
    now = now_utc()
    with transaction(db):
        company_id = companies.ensure(db, contact.company) if contact.company else None
        cursor = db.execute(
            "INSERT INTO contacts (uid, name, name_folded, company_id, title, birthday,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [contact.uid or str(uuid.uuid4()), contact.name, fold(contact.name), company_id,
             contact.title, _birthday_text(contact.birthday), now, now],
        )
        contact_id = cursor.lastrowid
        _write_details(db, contact_id, contact)
        _write_tags(db, contact_id, contact.tags)
        reindex(db, contact_id)
    return get(db, contact_id)


def update(db: Database, contact: Contact) -> Contact:
    """Replace a contact's fields, details and tags with those of ``contact``."""
    contact = validate(contact)
    with transaction(db):
        company_id = companies.ensure(db, contact.company) if contact.company else None
        db.execute(
            "UPDATE contacts SET name = ?, name_folded = ?, company_id = ?, title = ?,"
            " birthday = ?, updated_at = ? WHERE id = ?",
            [contact.name, fold(contact.name), company_id, contact.title,
             _birthday_text(contact.birthday), now_utc(), contact.id],
        )
        db.execute("DELETE FROM contact_details WHERE contact_id = ?", [contact.id])
        db.execute("DELETE FROM contact_tags WHERE contact_id = ?", [contact.id])
        _write_details(db, contact.id, contact)
        _write_tags(db, contact.id, contact.tags)
        reindex(db, contact.id)
    return get(db, contact.id, deleted=None)


def _birthday_text(birthday: PartialDate | None) -> str | None:
    return str(birthday) if birthday else None


def _write_details(db: Database, contact_id: int, contact: Contact) -> None:
    rows = []
    for kind, attribute in DETAIL_KINDS.items():
        for position, detail in enumerate(_dedupe_details(getattr(contact, attribute), kind)):
            rows.append([contact_id, kind, detail.label, detail.value,
                         detail_norm(kind, detail.value), position])
    db.conn.executemany(
        "INSERT INTO contact_details (contact_id, kind, label, value, norm, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def _write_tags(db: Database, contact_id: int, tags: Iterable[str]) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO contact_tags (contact_id, tag) VALUES (?, ?)",
        [(contact_id, tag) for tag in tags],
    )


def retag(db: Database, contact: Contact, add: Iterable[str], remove: Iterable[str]
          ) -> Contact:
    drop = {normalize_tag(tag) for tag in remove}
    tags = [tag for tag in contact.tags if tag not in drop] + list(add)
    return update(db, replace(contact, tags=tags))


def trash(db: Database, contact_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE contacts SET deleted_at = ? WHERE id = ?", [now_utc(), contact_id])


def restore(db: Database, contact_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE contacts SET deleted_at = NULL, updated_at = ? WHERE id = ?",
                   [now_utc(), contact_id])


def empty_trash(db: Database) -> int:
    """Delete trashed contacts for good; returns how many went."""
    with transaction(db):
        db.execute("DELETE FROM contact_search WHERE rowid IN"
                   " (SELECT id FROM contacts WHERE deleted_at IS NOT NULL)")
        return db.execute("DELETE FROM contacts WHERE deleted_at IS NOT NULL").rowcount


# ---------------------------------------------------------------------------------- search


def reindex(db: Database, contact_id: int) -> None:
    """Refresh the contact's row in the full-text index from everything searchable."""
    row = db.execute(
        "SELECT c.name, c.title, co.name FROM contacts c"
        " LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ?",
        [contact_id],
    ).fetchone()
    parts = [part for part in row if part]
    for kind, value in db.execute(
        "SELECT kind, value FROM contact_details WHERE contact_id = ?", [contact_id]
    ):
        parts.append(" ".join(_phone_suffixes(value)) if kind == "phone" else value)
    parts += [tag for (tag,) in db.execute(
        "SELECT tag FROM contact_tags WHERE contact_id = ?", [contact_id])]
    parts += [body for (body,) in db.execute(
        "SELECT body FROM notes WHERE contact_id = ? AND deleted_at IS NULL", [contact_id])]
    db.execute("DELETE FROM contact_search WHERE rowid = ?", [contact_id])
    db.execute("INSERT INTO contact_search (rowid, body) VALUES (?, ?)",
               [contact_id, fold(" ".join(parts))])


def _phone_suffixes(number: str) -> list[str]:
    """Every tail of the digits, so that a search for ``612345678`` finds ``+34 612 34 56 78``."""
    digits = phone_digits(number)
    return [digits[i:] for i in range(max(1, len(digits) - _MIN_PHONE_SUFFIX + 1))]


def match_expression(query: str) -> str | None:
    """An FTS5 expression matching every word of ``query`` as a prefix, or None if it has none."""
    words = _WORD.findall(fold(query))
    return " ".join(f'"{word}"*' for word in words) or None


def search(db: Database, query: str | None = None, *, tags: Iterable[str] = (),
           company_id: int | None = None, sort: str = "name", limit: int | None = None,
           deleted: bool = False, ids: Iterable[int] | None = None) -> list[Contact]:
    where = ["c.deleted_at IS NOT NULL" if deleted else "c.deleted_at IS NULL"]
    params: list = []
    expression = match_expression(query) if query else None
    if expression:
        where.append("c.id IN (SELECT rowid FROM contact_search WHERE contact_search MATCH ?)")
        params.append(expression)
    for tag in tags:
        where.append("c.id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)")
        params.append(normalize_tag(tag))
    if company_id is not None:
        where.append("c.company_id = ?")
        params.append(company_id)
    if ids is not None:
        where.append("c.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(ids)))
    sql = f"SELECT c.id FROM contacts c WHERE {' AND '.join(where)} ORDER BY {SORTS[sort]}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return load_many(db, [row[0] for row in db.execute(sql, params)])


# ---------------------------------------------------------------------------------- loading


def get(db: Database, contact_id: int, deleted: bool | None = False) -> Contact:
    """Load one contact; ``deleted`` None means either state, True only trashed ones."""
    found = load_many(db, [contact_id])
    if not found or (deleted is not None and bool(found[0].deleted_at) != deleted):
        where = "in the trash" if deleted else ""
        raise NotFound(f"no contact with id {contact_id} {where}".strip())
    return found[0]


def load_many(db: Database, ids: list[int]) -> list[Contact]:
    """Load contacts with their details and tags, in the order of ``ids``."""
    if not ids:
        return []
    id_json = json.dumps(ids)
    contacts: dict[int, Contact] = {}
    for row in db.execute(
        "SELECT c.id, c.uid, c.name, co.name, c.company_id, c.title, c.birthday,"
        " c.created_at, c.updated_at, c.deleted_at FROM contacts c"
        " LEFT JOIN companies co ON co.id = c.company_id"
        " WHERE c.id IN (SELECT value FROM json_each(?))",
        [id_json],
    ):
        contacts[row[0]] = Contact(
            id=row[0], uid=row[1], name=row[2], company=row[3], company_id=row[4],
            title=row[5], birthday=PartialDate.from_storage(row[6]) if row[6] else None,
            created_at=row[7], updated_at=row[8], deleted_at=row[9],
        )
    for contact_id, kind, label, value in db.execute(
        "SELECT contact_id, kind, label, value FROM contact_details"
        " WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY contact_id, position",
        [id_json],
    ):
        getattr(contacts[contact_id], DETAIL_KINDS[kind]).append(Detail(value, label))
    for contact_id, tag in db.execute(
        "SELECT contact_id, tag FROM contact_tags"
        " WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY tag",
        [id_json],
    ):
        contacts[contact_id].tags.append(tag)
    return [contacts[i] for i in ids if i in contacts]


# ------------------------------------------------------------------------------- references


def resolve(db: Database, ref: str, deleted: bool = False) -> Contact:
    """Find the one contact a reference names: an id, or a name, email or phone.

    Short numbers are ids; longer ones are phone numbers. Exact matches (folded name, email,
    phone number) win; then a name starting with the reference's words; otherwise the
    reference is searched like ``crm list`` and must match exactly one contact.
    """
    ref = ref.strip()
    if ref.isdigit() and len(ref) < _MIN_PHONE_DIGITS:
        return get(db, int(ref), deleted=deleted)
    ids = _exact_matches(db, ref, deleted)
    if not ids:
        found = search(db, ref, deleted=deleted)
        by_name = [c.id for c in found if _name_has_prefixes(c.name, ref)]
        ids = by_name if len(by_name) == 1 else [c.id for c in found]
    if not ids:
        place = " in the trash" if deleted else ""
        raise NotFound(f"no contact matches {ref!r}{place}")
    if len(ids) > 1:
        candidates = load_many(db, ids[:_CANDIDATES_SHOWN])
        raise Ambiguous(f"{ref!r} matches {len(ids)} contacts; use an id",
                        [(c.id, describe(c)) for c in candidates])
    return get(db, ids[0], deleted=deleted)


def _name_has_prefixes(name: str, ref: str) -> bool:
    """Whether every word of ``ref`` starts a word of ``name`` (``jo nu`` -> ``José Núñez``)."""
    words = _WORD.findall(fold(name))
    return all(any(w.startswith(part) for w in words) for part in _WORD.findall(fold(ref)))


def _exact_matches(db: Database, ref: str, deleted: bool) -> list[int]:
    state = "IS NOT NULL" if deleted else "IS NULL"
    phone = phone_key(ref) if len(phone_digits(ref)) >= _MIN_PHONE_DIGITS and is_phone(ref) else ""
    rows = db.execute(
        f"""SELECT id FROM contacts WHERE deleted_at {state} AND (name_folded = :name OR id IN (
            SELECT contact_id FROM contact_details WHERE (kind = 'email' AND norm = :email)
            OR (kind = 'phone' AND :phone != '' AND (norm = :phone
                OR (:phone NOT LIKE '+%' AND norm LIKE '%' || :phone)
                OR (norm NOT LIKE '+%' AND length(norm) >= :national AND :phone LIKE '%' || norm)))
        )) ORDER BY name_folded, id""",
        {"name": fold(ref), "email": email_key(ref), "phone": phone,
         "national": MIN_NATIONAL_DIGITS},
    )
    return [row[0] for row in rows]


def describe(contact: Contact) -> str:
    """A one-line label that tells people with the same name apart."""
    label = contact.name
    if contact.emails:
        label += f" <{contact.emails[0].value}>"
    if contact.company:
        label += f" ({contact.company})"
    return label


# ----------------------------------------------------------------------- duplicates and merge


@dataclass
class DuplicatePair:
    first: Contact
    second: Contact
    reasons: list[str]


def find_duplicates(db: Database) -> list[DuplicatePair]:
    """Pairs of live contacts sharing an email, a phone number or a folded name."""
    reasons: dict[tuple[int, int], set[str]] = {}
    for first, second, reason in db.execute(
        """
        SELECT a.contact_id, b.contact_id, 'same email' FROM contact_details a
        JOIN contact_details b ON b.kind = a.kind AND b.norm = a.norm
            AND b.contact_id > a.contact_id
        WHERE a.kind = 'email'
        UNION
        SELECT a.id, b.id, 'same name' FROM contacts a
        JOIN contacts b ON b.name_folded = a.name_folded AND b.id > a.id
        """
    ):
        reasons.setdefault((first, second), set()).add(reason)
    for pair in _same_phone_pairs(db):
        reasons.setdefault(pair, set()).add("same phone")
    live = {c.id: c for c in load_many(db, sorted({i for pair in reasons for i in pair}))}
    return [
        DuplicatePair(live[a], live[b], sorted(why))
        for (a, b), why in sorted(reasons.items())
        if not live[a].deleted_at and not live[b].deleted_at
    ]


def _same_phone_pairs(db: Database) -> set[tuple[int, int]]:
    """Contact pairs with the same phone line. Numbers are bucketed by their last digits so
    that only plausible pairs are compared."""
    buckets: dict[str, list[tuple[int, str]]] = {}
    for contact_id, key in db.execute("SELECT contact_id, norm FROM contact_details"
                                      " WHERE kind = 'phone'"):
        if len(key.lstrip("+")) >= MIN_NATIONAL_DIGITS:
            buckets.setdefault(key[-MIN_NATIONAL_DIGITS:], []).append((contact_id, key))
    pairs = set()
    for numbers in buckets.values():
        for i, (a, key_a) in enumerate(numbers):
            for b, key_b in numbers[i + 1:]:
                if a != b and same_phone(key_a, key_b):
                    pairs.add((min(a, b), max(a, b)))
    return pairs


def merge(db: Database, keep: Contact, other: Contact) -> tuple[Contact, list[str]]:
    """Fold ``other`` into ``keep`` and move ``other`` to the trash.

    Every email, phone, address, URL and tag of both is kept; notes and everything else that
    points at ``other`` moves to ``keep``. Where both have a different company, title or
    birthday, ``keep``'s wins and the difference is returned so it can be reported.
    """
    if keep.id == other.id:
        raise InvalidInput("cannot merge a contact with itself")
    conflicts = []
    merged = replace(keep, tags=keep.tags + other.tags)
    for attribute in DETAIL_KINDS.values():
        setattr(merged, attribute, getattr(keep, attribute) + getattr(other, attribute))
    for attribute in ("company", "title", "birthday"):
        mine, theirs = getattr(keep, attribute), getattr(other, attribute)
        if not mine:
            setattr(merged, attribute, theirs)
        elif theirs and theirs != mine:
            conflicts.append(f"kept {attribute} {mine} (#{other.id} had {theirs})")
    with transaction(db):
        _move_references(db, other.id, keep.id)
        merged = update(db, merged)
        trash(db, other.id)
        reindex(db, other.id)
    return merged, conflicts


def _move_references(db: Database, source: int, target: int) -> None:
    """Point every row of other tables that refers to ``source`` at ``target``."""
    own = {"contact_details", "contact_tags"}
    for table in db.tables:
        if table.name in own:
            continue
        for key in table.foreign_keys:
            if key.other_table == "contacts":
                column = quote_identifier(key.column)
                db.execute(
                    f"UPDATE {quote_identifier(table.name)} SET {column} = ? WHERE {column} = ?",
                    [target, source],
                )


# ---------------------------------------------------------------------------------- records


def to_record(contact: Contact) -> dict:
    """The contact as the stable JSON object documented in docs/json.md."""
    def details(items: list[Detail]) -> list[dict]:
        return [{"value": d.value, "label": d.label} for d in items]

    return {
        "id": contact.id,
        "uid": contact.uid,
        "name": contact.name,
        "company": contact.company,
        "title": contact.title,
        "emails": details(contact.emails),
        "phones": details(contact.phones),
        "addresses": details(contact.addresses),
        "urls": details(contact.urls),
        "tags": list(contact.tags),
        "birthday": str(contact.birthday) if contact.birthday else None,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }
