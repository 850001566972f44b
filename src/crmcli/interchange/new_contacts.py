"""The new contacts of one import batch, written together.

A batch of a first import is mostly people the book does not have. Who it may already have is
asked once for the whole batch, one query per identity (UID, email, folded name); a record
whose identities are all unknown, and that holds only what a contact's own rows hold (no
custom fields, dates, personal facts, gifts or opt-out: "plain"), is checked and kept, and the
kept contacts are written at the end of the batch with one statement per table, under ids
given in advance. Any other record goes the usual way, after the kept ones are written (it may
match one of them); what it leaves in the book (its UID, emails, name) is claimed, so a later
record of the batch sharing one is looked up in the book again rather than trusted to be new.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import companies, journal, search
from crmcli.bulk import insert_staged
from crmcli.contact_rules import DETAIL_KINDS, detail_norm, validate
from crmcli.db import now_stamp
from crmcli.interchange import exporter, stored_cards
from crmcli.limits import MAX_TEXT, check_text
from crmcli.models import Contact, copied, new_uid
from crmcli.normalize import email_key, fold, uid_key, uid_spellings


@dataclass
class _Identities:
    """UID keys (``normalize.uid_key``: a UUID written another way is the same), email keys
    and folded names (of contacts with phones: a name matches only with a phone number) that
    may belong to a contact of the book."""

    uids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def claim(self, contact: Contact) -> None:
        if contact.uid:
            self.uids.add(uid_key(contact.uid))
        self.emails.update(email_key(email.value) for email in contact.emails)
        self.names.add(fold(contact.name))


@dataclass
class _Kept:
    record: object  # incoming.Incoming
    contact: Contact  # validated, with its id
    notes: list[tuple[int, str]]  # (id, body)
    card_key: tuple[str | None, bool] = (None, False)  # see ``NewContacts.remembered``


class NewContacts:
    """The plain new contacts of one batch, held until ``write``."""

    def __init__(self, db: Connection, contacts: Iterable[Contact], region: str | None):
        self.db, self.region = db, region
        self.known = _known(db, list(contacts))
        self.kept: list[_Kept] = []
        self.next_ids: dict[str, int] = {}
        self.companies: dict[str, tuple[int, str]] = {}  # folded name: (id, stored name)

    def surely_new(self, contact: Contact, by_details: bool) -> bool:
        """Whether no contact of the book (nor one kept) can be the one ``contact`` is
        about; ``by_details``: it may match by email or name and phone (see the importer)."""
        known = self.known
        if contact.uid is None and contact.id is not None:
            return False
        if contact.uid is not None and uid_key(contact.uid) in known.uids:
            return False
        if not by_details:
            return True
        if any(email_key(email.value) in known.emails for email in contact.emails):
            return False
        return not (contact.phones and fold(contact.name) in known.names)

    def keep(self, record, contact: Contact, notes: list[str]) -> Contact:
        """Check a plain new contact and hold it for ``write``; the contact with its id.
        InvalidInput as ``contacts.create`` would raise it."""
        contact = validate(contact, self.region)
        for body in notes:
            check_text("the note", body, MAX_TEXT)
        contact = copied(contact, id=self._next_id("contacts"), uid=contact.uid or new_uid())
        self.known.claim(contact)
        self.kept.append(_Kept(record, contact, [(self._next_id("notes"), body)
                                                 for body in notes]))
        return contact

    def remembered(self, key: str, unchanged: bool) -> None:
        """The card of the contact kept last will be remembered by ``key`` (unchanged or
        not, see ``stored_cards.remember``): it is written with them."""
        self.kept[-1].card_key = (key, unchanged)

    def claim(self, contact: Contact) -> None:
        """A record went the usual way: what it left in the book is no longer surely new."""
        self.known.claim(contact)

    def write(self) -> None:
        """Write the kept contacts (before anything else writes a contact or a note)."""
        if not self.kept:
            return
        db, now = self.db, now_stamp(self.db)
        self.companies = self._companies()
        ready = [self._stored(kept.contact, now) for kept in self.kept]
        _insert_new(
            db, "contacts", "(id, uid, name, name_folded, company_id, title, birthday,"
            " created_at, updated_at)",
            [(c.id, c.uid, c.name, fold(c.name), c.company_id, c.title,
              str(c.birthday) if c.birthday else None, now, now) for c in ready])
        _insert_new(
            db, "contact_details", "(contact_id, kind, label, value, norm, position)",
            [(c.id, kind, detail.label, detail.value,
              detail_norm(kind, detail.value, self.region), position)
             for c in ready for kind, attribute in DETAIL_KINDS.items()
             for position, detail in enumerate(getattr(c, attribute))])
        _insert_new(db, "contact_tags", "(contact_id, tag)",
                    [(c.id, tag) for c in ready for tag in c.tags])
        _insert_new(db, "notes", "(id, contact_id, body, created_at, updated_at)",
                    [(note_id, kept.contact.id, body, now, now)
                     for kept in self.kept for note_id, body in kept.notes])
        for kept, contact in zip(self.kept, ready, strict=True):
            bodies = [body for _, body in kept.notes]
            for note_id, body in kept.notes:
                search.insert(db, "note_search", [note_id, fold(body)])
            search.add(db, contact, bodies)
        self._write_cards(ready)
        self.kept, self.next_ids = [], {}

    def _stored(self, contact: Contact, now: str) -> Contact:
        """The contact as ``contacts.get`` will load it once written."""
        company_id, company = (self.companies[fold(contact.company)] if contact.company
                               else (None, None))
        return copied(contact, company=company, company_id=company_id, created_at=now,
                       updated_at=now, deleted_at=None, version=1, last_contacted_at=None,
                       no_mail=False, gifts=[], fields={})

    def _companies(self) -> dict[str, tuple[int, str]]:
        """Folded name: (id, stored name) of the kept contacts' companies, those the book
        lacks created together (spelt as the first contact to name them spells them)."""
        named: dict[str, str] = {}
        for kept in self.kept:
            if kept.contact.company:
                named.setdefault(fold(kept.contact.company), kept.contact.company)
        known = {folded: (company_id, stored) for folded, company_id, stored in self.db.execute(
            "SELECT name_folded, id, name FROM companies WHERE name_folded IN"
            " (SELECT value FROM json_each(?))", [json.dumps(sorted(named))])}
        missing = [name for folded, name in named.items() if folded not in known]
        return known | (companies.create_named(self.db, missing) if missing else {})

    def _write_cards(self, ready: list[Contact]) -> None:
        rows = []
        now = now_stamp(self.db)
        for kept, contact in zip(self.kept, ready, strict=True):
            record = kept.record
            if record.card is None:
                continue
            card = stored_cards.StoredCard(record.card, record.original or "")
            data = stored_cards.data_json(card.data)
            if record.rendered:
                card.rendered = record.rendered
                card.rendered_for = exporter.rendered_for(exporter.Exported(
                    contact, [body for _, body in kept.notes], card, list(record.relations)),
                    data)
            rows.append((*stored_cards.row(contact.id, card, now, data), *kept.card_key))
        with journal.inserts_together(self.db, "contact_cards"):
            stored_cards.save_new(self.db, rows)

    def _next_id(self, table: str) -> int:
        """The id SQLite would give the next row of ``table`` (AUTOINCREMENT), counting the
        rows kept: nothing else inserts into it until ``write``."""
        if table not in self.next_ids:
            self.next_ids[table] = self.db.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"
                f" coalesce((SELECT max(id) FROM {table}), 0)) + 1", [table]).fetchone()[0]
        self.next_ids[table] += 1
        return self.next_ids[table] - 1


def _insert_new(db: Connection, table: str, columns: str, rows: list[tuple]) -> None:
    """Insert the batch's new rows of ``table`` with one statement, journaled together (their
    ids, if given, were given in advance in ascending order, see ``_next_id``)."""
    with journal.inserts_together(db, table):
        insert_staged(db, f"INSERT INTO {table} {columns}", rows)


def is_plain(contact: Contact, linkedin: bool) -> bool:
    """Whether a record's contact holds only what a contact's own rows hold."""
    return not (linkedin or contact.fields or contact.no_mail or contact.gifts or contact.dates
                or contact.anniversary or contact.how_we_met or contact.met_on
                or contact.interests)


def _known(db: Connection, contacts: list[Contact]) -> _Identities:
    """Which UIDs, emails and names (with phones) of ``contacts`` the book holds: one query
    each. Trashed contacts count (a UID matches them; for the others, that is only careful)."""
    uids = [form for contact in contacts if contact.uid for form in uid_spellings(contact.uid)]
    emails = [email_key(email.value) for contact in contacts for email in contact.emails]
    names = [fold(contact.name) for contact in contacts if contact.phones]
    return _Identities(
        uids={uid_key(uid) for uid in _present(db, "SELECT uid FROM contacts WHERE uid IN"
                                               " (SELECT value FROM json_each(?))", uids)},
        emails=_present(db, "SELECT norm FROM contact_details WHERE kind = 'email' AND norm IN"
                        " (SELECT value FROM json_each(?))", emails),
        names=_present(db, "SELECT name_folded FROM contacts WHERE name_folded IN"
                       " (SELECT value FROM json_each(?))", names))


def _present(db: Connection, sql: str, values: list[str]) -> set[str]:
    return {row[0] for row in db.execute(sql, [json.dumps(values)])} if values else set()
