"""Who is the same person: probable duplicates in the book, the contact an imported record
is about, and merging two contacts into one."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli.contact_refs import holders
from crmcli.contact_rules import DETAIL_KINDS, PhoneSet, dedupe_details, normalize_tag
from crmcli.contacts import get, load_many, trash, update
from crmcli.db import transaction
from crmcli.errors import InvalidInput
from crmcli.models import Contact
from crmcli.normalize import MIN_NATIONAL_DIGITS, email_key, fold, phone_key, same_phone
from crmcli.personal import MAX_INTERESTS
from crmcli.search import reindex_notes


@dataclass
class DuplicatePair:
    first: Contact
    second: Contact
    reasons: list[str]


def find_duplicates(db: Connection) -> list[DuplicatePair]:
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


def _same_phone_pairs(db: Connection) -> set[tuple[int, int]]:
    """Contact pairs with the same phone line. Numbers are bucketed by their last digits so
    that only plausible pairs are compared."""
    buckets: dict[str, list[tuple[int, str]]] = {}
    for contact_id, key in db.execute("SELECT contact_id, norm FROM contact_details"
                                      " WHERE kind = 'phone'"):
        main = key.partition(";")[0]
        if len(main.lstrip("+")) >= MIN_NATIONAL_DIGITS:
            buckets.setdefault(main[-MIN_NATIONAL_DIGITS:], []).append((contact_id, key))
    pairs = set()
    for numbers in buckets.values():
        for i, (a, key_a) in enumerate(numbers):
            for b, key_b in numbers[i + 1:]:
                if a != b and same_phone(key_a, key_b):
                    pairs.add((min(a, b), max(a, b)))
    return pairs


def combine(keep: Contact, other: Contact) -> tuple[Contact, list[str]]:
    """``keep`` with everything ``other`` adds: every detail, tag and interest, and the fields
    ``keep`` lacks. Where both have a different value, ``keep``'s wins and the difference is
    listed."""
    conflicts = []
    combined = replace(keep, tags=sorted({*keep.tags, *map(normalize_tag, other.tags)}))
    for kind, attribute in DETAIL_KINDS.items():
        setattr(combined, attribute, dedupe_details(
            getattr(keep, attribute) + getattr(other, attribute), kind))
    for attribute in ("company", "title", "birthday", "anniversary", "how_we_met", "met_on"):
        mine, theirs = getattr(keep, attribute), getattr(other, attribute)
        if not mine:
            setattr(combined, attribute, theirs)
        elif theirs and theirs != mine:
            conflicts.append(f"kept {attribute.replace('_', ' ')} {mine} (other had {theirs})")
    combined.interests, left_out = _interests(keep.interests, other.interests)
    if left_out:
        conflicts.append(f"kept {MAX_INTERESTS} interests; left out {', '.join(left_out)}")
    labels = {fold(d.label): d for d in keep.dates}
    for date in other.dates:
        mine = labels.setdefault(fold(date.label), date)
        if mine != date:
            conflicts.append(f"kept {mine.label} {mine.date} (other had {date.date})")
    combined.dates = list(labels.values())
    return combined, conflicts


def _interests(mine: list[str], theirs: list[str]) -> tuple[list[str], list[str]]:
    """Both lists of interests, each once (in any case), as many as a contact holds; and
    those left out past that."""
    both: dict[str, str] = {}
    for text in [*mine, *theirs]:
        both.setdefault(fold(text), text)
    kept = list(both.values())
    return kept[:MAX_INTERESTS], kept[MAX_INTERESTS:]


def merge(db: Connection, keep: Contact, other: Contact, region: str | None = None
          ) -> tuple[Contact, list[str]]:
    """Fold ``other`` into ``keep`` and move ``other`` to the trash.

    Notes and everything else that points at ``other`` move to ``keep``; see :func:`combine`
    for the fields. Both are read again inside the write, so that what another command wrote
    to either since the caller read them is merged too, never overwritten.
    """
    if keep.id == other.id:
        raise InvalidInput("cannot merge a contact with itself")
    with transaction(db):
        keep, other = get(db, keep.id), get(db, other.id)
        merged, conflicts = combine(keep, other)
        _move_references(db, other.id, keep.id)
        merged = update(db, merged, region)
        trash(db, other.id)
        reindex_notes(db, keep.id)
        reindex_notes(db, other.id)
    return merged, conflicts


def find_same_person(db: Connection, contact: Contact, region: str | None = None
                     ) -> Contact | None:
    """A live contact sharing an email with ``contact``, or its name and a phone number (a
    phone kept as text counts when its folded text is the same: a card whose phones are all
    text would otherwise match nothing, and be created again on every import)."""
    emails = [email_key(e.value) for e in contact.emails]
    row = db.execute(
        "SELECT d.contact_id FROM contact_details d JOIN contacts c ON c.id = d.contact_id"
        " WHERE d.kind = 'email' AND d.norm IN (SELECT value FROM json_each(?))"
        " AND c.deleted_at IS NULL ORDER BY d.contact_id LIMIT 1",
        [json.dumps(emails)],
    ).fetchone() if emails else None
    if row:
        return get(db, row[0])
    phones = PhoneSet()
    for phone in contact.phones:
        if phone.value.strip():
            phones.add(phone_key(phone.value, region) or _text_key(phone.value))
    for contact_id, key, value in db.execute(
        "SELECT contact_id, norm, value FROM contact_details WHERE kind = 'phone'"
        " AND contact_id IN (SELECT id FROM contacts WHERE name_folded = ? AND deleted_at IS NULL)"
        " ORDER BY contact_id",
        [fold(contact.name)],
    ).fetchall():
        if (key or _text_key(value)) in phones:
            return get(db, contact_id)
    return None


def _text_key(value: str) -> str:
    """A phone kept as text, as ``dedupe_details`` keys it: matched only by the same text."""
    return "#" + fold(value)


def shared_details(db: Connection, contact: Contact, region: str | None = None) -> list[str]:
    """A sentence for each email or phone number of ``contact`` that another live contact
    already has, naming that contact's id (``crm add`` warns but still adds)."""
    shared = []
    for kind, attribute in (("email", "emails"), ("phone", "phones")):
        for detail in getattr(contact, attribute):
            shared += [f"{detail.value} is also the {kind} of contact {other_id} ({name})"
                       for other_id, name in holders(db, kind, detail.value, region)
                       if other_id != contact.id]
    return shared


def _move_references(db: Connection, source: int, target: int) -> None:
    """Point every row of other tables that refers to ``source`` at ``target``."""
    from sqlite_utils.db import quote_identifier

    for table, column in db.execute(
        "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f"
        " WHERE m.type = 'table' AND f.\"table\" = 'contacts'"
        " AND m.name NOT IN ('contact_details', 'contact_tags')"
    ).fetchall():
        quoted = quote_identifier(column)
        # OR IGNORE: a one-to-one row (an imported card) stays with the source when the
        # target has its own.
        db.execute(f"UPDATE OR IGNORE {quote_identifier(table)} SET {quoted} = ?"
                   f" WHERE {quoted} = ?", [target, source])
