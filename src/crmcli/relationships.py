"""Relationships between people: ``crm relate ana manager bo`` stores "Bo is Ana's manager"
(as vCard RELATED on Ana's card). The other end sees the inverse ("manages Ana"), from the one
table :data:`INVERSES`. The related person is a contact in the book or, when not in it, a name.
An edge whose contact is in the trash is hidden until the contact is restored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound, cut
from crmcli.limits import check_text
from crmcli.models import Contact, PartialDate
from crmcli.normalize import fold

# Each type, and how the other end of the edge reads it on its own page.
INVERSES = {
    "spouse": "spouse", "partner": "partner", "child": "parent", "parent": "child",
    "sibling": "sibling", "relative": "relative", "friend": "friend", "colleague": "colleague",
    "assistant": "assists", "manager": "manages", "referred-by": "referred",
    "introduced-by": "introduced",
}
ALIASES = {"reports-to": "manager", "boss": "manager", "husband": "spouse", "wife": "spouse",
           "brother": "sibling", "sister": "sibling", "mother": "parent", "father": "parent",
           "son": "child", "daughter": "child", "referred by": "referred-by"}
_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")

# What the other person is to the contact, read after their name ("Bo Chen's birthday
# (referred them)"): on an outgoing edge their role, on an incoming one what the inverse makes
# of them; types missing here read as their role (outgoing) or their INVERSES noun (incoming).
_ROLE_OUTGOING = {"referred-by": "referred them", "introduced-by": "introduced them"}
_ROLE_INCOMING = {"manager": "reports to them", "assistant": "assisted by them",
                  "referred-by": "referred by them", "introduced-by": "introduced by them"}


@dataclass(frozen=True)
class Relation:
    """One edge seen from a contact's page: ``label`` is the other person's role, or (for an
    incoming edge) the inverse phrase."""
    id: int
    kind: str
    label: str
    outgoing: bool
    other_id: int | None
    other_name: str
    birthday: PartialDate | None

    @property
    def role(self) -> str:
        """What the other person is to the contact: "manager", "referred them", "reports to
        them", "parent", "has them as mentor"."""
        if self.outgoing:
            return _ROLE_OUTGOING.get(self.kind, self.kind)
        if self.kind in _ROLE_INCOMING:
            return _ROLE_INCOMING[self.kind]
        return INVERSES.get(self.kind, f"has them as {self.kind}")


def clean_kind(text: str) -> str:
    """The stored type for a typed one: lower case, aliases resolved, one word."""
    kind = " ".join(text.lower().split())
    kind = ALIASES.get(kind, kind).replace(" ", "-")
    if not _KIND.fullmatch(kind):
        raise InvalidInput(f"relationship type {text!r}: use one word of letters, digits and "
                           f"dashes (e.g. {', '.join(list(INVERSES)[:4])}...)")
    return kind


def inverse(kind: str) -> str:
    return INVERSES.get(kind, f"{kind} of")



_PASSIVE = {"referred-by": "referred by", "introduced-by": "introduced by"}


def sentence(contact_name: str, kind: str, other_name: str, negation: str = "") -> str:
    """"Bo Chen is Ana Lima's manager", "Ana Lima was referred by Bo Chen"; ``negation``
    ("not", "no longer") goes after the verb."""
    verb = " ".join(filter(None, ["was" if kind in _PASSIVE else "is", negation]))
    if kind in _PASSIVE:
        return f"{contact_name} {verb} {_PASSIVE[kind]} {other_name}"
    return f"{other_name} {verb} {contact_name}'s {kind}"


def relate(db: Connection, contact: Contact, kind: str, other: Contact | None = None,
           name: str | None = None) -> bool:
    """Record that ``other`` (or the person called ``name``) is ``contact``'s ``kind``.
    Returns False when the book already says so. A name-only edge of the same type and name
    becomes the edge to ``other``."""
    kind = clean_kind(kind)
    if other is not None:
        _check_edge(db, contact, kind, other)
        name = None
    else:
        name = _clean_name(name or "")
    with transaction(db):
        if other is not None:
            db.execute("DELETE FROM relationships WHERE contact_id = ? AND kind = ?"
                       " AND name_folded = ?", [contact.id, kind, fold(other.name)])
        cursor = db.execute(
            "INSERT OR IGNORE INTO relationships (contact_id, kind, related_id, related_name,"
            " name_folded, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [contact.id, kind, other.id if other else None, name, fold(name) if name else None,
             now_stamp(db)])
    return cursor.rowcount > 0


def unrelate(db: Connection, contact: Contact, kind: str, other: Contact | None = None,
             name: str | None = None) -> None:
    """Forget an edge: to ``other``, or to the name-only person ``name`` (also when ``other``
    is the contact added later under that name and the edge was never linked)."""
    kind = clean_kind(kind)
    if other is not None:
        where, values, shown = ("(related_id = ? OR name_folded = ?)", [other.id, fold(other.name)],
                                other.name)
    else:
        where, values, shown = "name_folded = ?", [fold(name or "")], name
    with transaction(db):
        gone = db.execute("DELETE FROM relationships WHERE contact_id = ? AND kind = ?"
                          f" AND {where}", [contact.id, kind, *values]).rowcount
    if not gone:
        raise NotFound(sentence(contact.name, kind, shown or "", "not"))


def _clean_name(name: str) -> str:
    check_text("the related person's name", name)
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("a relationship needs the other person's name")
    return cleaned


def _check_edge(db: Connection, contact: Contact, kind: str, other: Contact) -> None:
    if other.id == contact.id:
        raise InvalidInput(f"{contact.name} cannot be their own {kind}")
    if kind == "manager" and _above(db, other.id, contact.id):
        raise InvalidInput(f"{other.name} cannot be {contact.name}'s manager: "
                           f"{contact.name} is already above {other.name} (a reporting cycle)")


def _above(db: Connection, start: int, target: int) -> bool:
    """Whether ``target`` is ``start`` or one of its managers, at any depth."""
    return db.execute(
        "WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT r.related_id FROM relationships r"
        " JOIN up ON r.contact_id = up.id WHERE r.kind = 'manager' AND r.related_id IS NOT NULL)"
        " SELECT 1 FROM up WHERE id = ?", [start, target]).fetchone() is not None


_EDGES = """
SELECT r.id, r.kind, 1, r.related_id, coalesce(o.name, r.related_name), o.birthday
  FROM relationships r LEFT JOIN contacts o ON o.id = r.related_id
 WHERE r.contact_id = :id AND (r.related_id IS NULL OR o.deleted_at IS NULL)
UNION ALL
SELECT r.id, r.kind, 0, r.contact_id, o.name, o.birthday
  FROM relationships r JOIN contacts o ON o.id = r.contact_id
 WHERE r.related_id = :id AND o.deleted_at IS NULL
"""


def for_contact(db: Connection, contact_id: int) -> list[Relation]:
    """Every live relationship of a contact, both ways, with the other person's birthday:
    the data of the page's family and relationships (and of ``crm relations``)."""
    relations = [
        Relation(id=row[0], kind=row[1], label=row[1] if row[2] else inverse(row[1]),
                 outgoing=bool(row[2]), other_id=row[3], other_name=row[4],
                 birthday=PartialDate.from_storage(row[5]) if row[5] else None)
        for row in db.execute(_EDGES, {"id": contact_id})]
    return sorted(relations, key=lambda r: (r.label, fold(r.other_name), r.id))


def named(db: Connection, name: str) -> list[tuple[int, str, str]]:
    """Name-only edges naming ``name``: (contact id, contact name, kind) of each."""
    return db.execute(
        "SELECT c.id, c.name, r.kind FROM relationships r JOIN contacts c ON c.id = r.contact_id"
        " WHERE r.name_folded = ? AND c.deleted_at IS NULL ORDER BY c.id, r.kind",
        [fold(name)]).fetchall()


def to_record(relation: Relation) -> dict:
    return {"type": relation.kind, "label": relation.label,
            "direction": "out" if relation.outgoing else "in",
            "contact_id": relation.other_id, "name": relation.other_name,
            "birthday": str(relation.birthday) if relation.birthday else None}


def link_hints(db: Connection, contact: Contact) -> list[str]:
    """For a contact just added: the command linking each name-only edge that names it."""
    return [f"{name} has a {kind} called {contact.name!r}; to link them: "
            f"crm relate {owner} {kind} {contact.id}"
            for owner, name, kind in named(db, contact.name)]


def referrer_of(db: Connection, contact_id: int) -> tuple[int | None, str] | None:
    """(id or None, name) of whoever referred the contact, when the book knows."""
    row = db.execute(
        "SELECT r.related_id, coalesce(o.name, r.related_name) FROM relationships r"
        " LEFT JOIN contacts o ON o.id = r.related_id WHERE r.contact_id = ?"
        " AND r.kind = 'referred-by' ORDER BY r.id LIMIT 1", [contact_id]).fetchone()
    return (row[0], row[1]) if row else None



def outgoing(db: Connection, contact_ids: list[int]) -> list[tuple[int, str, str, str | None]]:
    """(contact id, type, the other person's name, their UID when in the book) of each edge
    from ``contact_ids`` whose other end is not in the trash, in the order they were made."""
    import json

    return db.execute(
        "SELECT r.contact_id, r.kind, coalesce(o.name, r.related_name), o.uid"
        " FROM relationships r LEFT JOIN contacts o ON o.id = r.related_id"
        " WHERE r.contact_id IN (SELECT value FROM json_each(?))"
        " AND (r.related_id IS NULL OR o.deleted_at IS NULL) ORDER BY r.contact_id, r.id",
        [json.dumps(contact_ids)]).fetchall()


def add_from_card(db: Connection, contact: Contact, items) -> list[str]:
    """Add the relationships a card gives ``contact``, each (type, name, UID or None): a UID
    names a contact in the book, else the name is kept. What is already known is left as it
    is; returns a warning for each that cannot be added."""
    from crmcli import contacts

    warnings = []
    for kind, name, uid in items:
        other = _by_uid(db, contacts, uid) if uid else None
        if uid and other is None and not name:
            warnings.append(f"{cut(kind)} (UID {cut(uid)}) is not in the book; relationship "
                            "left out")
            continue
        try:
            relate(db, contact, kind, other, None if other else name)
        except InvalidInput as exc:
            warnings.append(f"relationship left out: {exc}")
    return warnings


def uid_named(db: Connection, name: str, contact_id: int) -> str | None:
    """The UID of the one live contact (other than ``contact_id``) called ``name``; None when
    nobody or several are."""
    rows = db.execute("SELECT uid FROM contacts WHERE name_folded = ? AND id != ?"
                      " AND deleted_at IS NULL LIMIT 2", [fold(name), contact_id]).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def _by_uid(db: Connection, contacts, uid: str) -> Contact | None:
    found = contacts.find_by_uid(db, uid) or contacts.find_by_uid(db, f"urn:uuid:{uid}")
    return None if found is None or found.deleted_at else found
