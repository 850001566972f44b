"""Contacts: create, load, update, trash and search (what a contact may hold and how details
compare: ``contact_rules``; the contact a reference names: ``contact_refs``).

Emails, phones, postal addresses and URLs live in ``contact_details`` (one row each, with a
label and a normalised form for matching). Every contact has one row in the FTS5 table
``contact_search`` (see ``search``) holding the folded text a search can match, refreshed on
every write.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import replace
from sqlite3 import Connection, Cursor

from crmcli import companies, important_dates, personal
from crmcli import fields as custom_fields
from crmcli import search as search_index
from crmcli.activity import add_note_rows, last_contact_sql
from crmcli.contact_rules import (
    DETAIL_KINDS,
    detail_norm,
    normalize_tag,
    validate,
)
from crmcli.db import now_stamp, replace_values, row_of_uid, set_uid_of, transaction
from crmcli.errors import Conflict, NotFound
from crmcli.models import Contact, Detail, PartialDate, new_uid
from crmcli.normalize import fold, phone_key

SORTS = {
    "name": "c.name_folded, c.id",
    "created": "c.created_at, c.id",
    "updated": "c.updated_at DESC, c.id DESC",
    "deleted": "c.deleted_at DESC, c.id DESC",
    "last-contact": "{last} DESC NULLS LAST, c.name_folded, c.id",  # activity.last_contact_sql
}


# ---------------------------------------------------------------------------------- writing


def create(db: Connection, contact: Contact, notes: Iterable[str] = (),
           region: str | None = None) -> Contact:
    """Insert a new contact, with notes about it if given. ``region`` (the ``phone.region``
    setting) reads phone numbers written without a country code."""
    contact = personal.tidy(validate(contact, region))
    now = now_stamp(db)
    uid = contact.uid or new_uid()
    with transaction(db):
        company_id = companies.ensure(db, contact.company) if contact.company else None
        cursor = db.execute(
            "INSERT INTO contacts (uid, name, name_folded, company_id, title, birthday,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [uid, contact.name, fold(contact.name), company_id, contact.title,
             _date_text(contact.birthday), now, now],
        )
        created = replace(contact, id=cursor.lastrowid, uid=uid, company_id=company_id,
                          created_at=now, updated_at=now, deleted_at=None, version=1)
        _write_details(db, created, region, fresh=True)
        db.executemany("INSERT INTO contact_tags (contact_id, tag) VALUES (?, ?)",
                       [(created.id, tag) for tag in sorted(set(created.tags))])
        if created.anniversary or created.dates:  # a new contact has nothing to compare with
            important_dates.write(db, created)
        if created.how_we_met or created.met_on or created.interests:
            personal.write(db, created)
        written = add_note_rows(db, created.id, notes)
        search_index.add(db, created, (note.body for note in written))
    return created


def update(db: Connection, contact: Contact, region: str | None = None,
           read: Contact | None = None) -> Contact:
    """Give a contact the fields, details and tags of ``contact``, writing only what differs
    (so the journal records what changed, and a change to nothing writes nothing). ``read``
    is the contact as the caller read it: if another command wrote it since, only what the
    caller changed is applied on top (see three_way), or Conflict."""
    held = len(read.tags) if read is not None else 0
    contact = personal.tidy(validate(contact, region, held))
    with transaction(db):
        if read is not None:
            contact = validate(_catch_up(db, read, contact), region, held)
        company_id = companies.ensure(db, contact.company) if contact.company else None
        fields = [contact.name, fold(contact.name), company_id, contact.title,
                  _date_text(contact.birthday)]
        stored = db.execute("SELECT name, name_folded, company_id, title, birthday,"
                            " updated_at FROM contacts WHERE id = ?", [contact.id]).fetchone()
        if stored is None:
            raise NotFound(f"no contact #{contact.id}")
        updated = replace(contact, company_id=company_id, updated_at=stored[-1])
        details_changed = _write_details(db, updated, region)
        tags_changed = (_write_tags(db, updated) | important_dates.write(db, updated)
                        | personal.write(db, updated))
        if list(stored[:-1]) != fields or details_changed or tags_changed:
            updated = replace(updated, updated_at=now_stamp(db))
            db.execute(
                "UPDATE contacts SET name = ?, name_folded = ?, company_id = ?, title = ?,"
                " birthday = ?, updated_at = ? WHERE id = ?",
                [*fields, updated.updated_at, contact.id])
            search_index.update(db, updated)
        version = db.execute("SELECT version FROM contacts WHERE id = ?", [contact.id]
                             ).fetchone()[0]
    return replace(updated, version=version)


def _catch_up(db: Connection, read: Contact, contact: Contact) -> Contact:
    row = db.execute("SELECT version FROM contacts WHERE id = ?", [read.id]).fetchone()
    if row and row[0] == read.version:
        return contact
    from crmcli.three_way import merge_contact

    now = get(db, read.id, deleted=None)
    if now.deleted_at and not read.deleted_at:  # trashed, or merged into another
        raise Conflict(f"contact {read.id} was moved to the trash meanwhile ('crm restore "
                       f"{read.id}' brings it back); nothing was changed")
    return merge_contact(read, contact, now)


def _date_text(date: PartialDate | None) -> str | None:
    return str(date) if date else None


def _write_details(db: Connection, contact: Contact, region: str | None, fresh: bool = False
                   ) -> bool:
    """Make the contact's stored details those of ``contact``: a row equal in kind, label,
    value and position stays, the others are deleted or inserted. A value already stored
    keeps its matching form, so that retagging a contact does not re-read its phone numbers.
    Whether anything changed. A ``fresh`` contact (just inserted) has none stored."""
    wanted = [(kind, detail.label, detail.value, position)
              for kind, attribute in DETAIL_KINDS.items()
              for position, detail in enumerate(getattr(contact, attribute))]
    stored = {} if fresh else {
        (kind, label, value, position): (row_id, norm)
        for row_id, kind, label, value, norm, position in db.execute(
            "SELECT id, kind, label, value, norm, position FROM contact_details"
            " WHERE contact_id = ?", [contact.id])}
    keep = set(wanted)
    gone = [row_id for key, (row_id, _) in stored.items() if key not in keep]
    norms = {(key[0], key[2]): norm for key, (_, norm) in stored.items()}
    new = [key for key in wanted if key not in stored]
    db.executemany("DELETE FROM contact_details WHERE id = ?", [(row_id,) for row_id in gone])
    db.executemany(
        "INSERT INTO contact_details (contact_id, kind, label, value, norm, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(contact.id, kind, label, value,
          norms.get((kind, value)) or detail_norm(kind, value, region), position)
         for kind, label, value, position in new])
    return bool(gone or new)


def raise_versions(db: Connection, contact_ids: Iterable[int]) -> None:
    """Raise the version of contacts whose other rows (details, tags, notes...) were put back
    without a write to their own row (an undo): what was read of them before is stale."""
    db.execute("UPDATE contacts SET version = version + 1 WHERE id IN"
               " (SELECT value FROM json_each(?))", [json.dumps(sorted(contact_ids))])


def rekey_phones(db: Connection, region: str) -> int:
    """Give the numbers stored without a country code (before ``phone.region`` was set) their
    E.164 key in ``region``, so they match by it from now on; returns how many changed."""
    rows = db.execute("SELECT id, value FROM contact_details"
                      " WHERE kind = 'phone' AND norm NOT LIKE '+%'").fetchall()
    keys = [(key, row_id) for row_id, value in rows
            if (key := phone_key(value, region)).startswith("+")]
    with transaction(db):
        db.executemany("UPDATE contact_details SET norm = ? WHERE id = ?", keys)
    return len(keys)


def _write_tags(db: Connection, contact: Contact) -> bool:
    return replace_values(db, "contact_tags", "contact_id", contact.id, "tag", contact.tags)


def trash(db: Connection, contact_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE contacts SET deleted_at = ? WHERE id = ?", [now_stamp(db), contact_id])


def restore(db: Connection, contact_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE contacts SET deleted_at = NULL, updated_at = ? WHERE id = ?",
                   [now_stamp(db), contact_id])


def trashed_ids(db: Connection) -> list[int]:
    return [contact_id for (contact_id,) in db.execute(
        "SELECT id FROM contacts WHERE deleted_at IS NOT NULL ORDER BY id")]


def delete_for_good(db: Connection, contact_ids: list[int]) -> int:
    """Delete contacts and (by cascade) all that belongs to them; returns how many went.
    ``forgetting.forget`` calls it, with the search index and the journal."""
    return db.execute("DELETE FROM contacts WHERE id IN (SELECT value FROM json_each(?))",
                      [json.dumps(contact_ids)]).rowcount


# ---------------------------------------------------------------------------------- search


def search(db: Connection, query: str | None = None, **filters) -> list[Contact]:
    """Contacts matching every word of ``query`` (as prefixes) and the filters of
    :func:`search_ids`."""
    return load_many(db, search_ids(db, query, **filters))


def iter_search(db: Connection, query: str | None = None, batch: int = 500, **filters
                ) -> Iterator[Contact]:
    """:func:`search`, loaded ``batch`` contacts at a time: memory stays flat for any book
    (the ids in order take 8 bytes a contact). The filters are checked here, before the first
    contact is asked for: a bad one fails before a command prints anything."""
    ids = id_array(db, query, **filters)
    return (contact for start in range(0, len(ids), batch)
            for contact in load_many(db, ids[start:start + batch].tolist()))


def id_array(db: Connection, query: str | None = None, **filters) -> array:
    """:func:`search_ids` as a compact array, for selections of the whole book."""
    return array("q", (row[0] for row in _select_ids(db, query, **filters)))


def search_ids(db: Connection, query: str | None = None, **filters) -> list[int]:
    """Ids of contacts matching every filter of :func:`_select_ids`, in its order."""
    return [row[0] for row in _select_ids(db, query, **filters)]


def _select_ids(db: Connection, query: str | None = None, *, tags: Iterable[str] = (),
                company_id: int | None = None, sort: str = "name", limit: int | None = None,
                deleted: bool = False, ids: Iterable[int] | None = None,
                not_contacted_since: str | None = None, where_fields: Iterable[str] = (),
                condition: tuple[str, list] | None = None) -> Cursor:
    """Rows of the ids of contacts matching every filter; ``not_contacted_since`` (UTC ISO)
    keeps those whose last interaction is older, or who have none; ``where_fields`` are
    conditions on custom fields (``budget>10000``); ``condition`` is SQL on ``contacts c``
    with its parameters (a compiled query, see ``query_sql``)."""
    where = ["c.deleted_at IS NOT NULL" if deleted else "c.deleted_at IS NULL"]
    params: list = []
    if condition is not None:
        where.append(f"({condition[0]})")
        params += condition[1]
    expression = search_index.match_expression(query) if query else None
    if expression:
        where.append(search_index.matching("c.id"))
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
    if not_contacted_since is not None:
        where.append(f"coalesce({last_contact_sql(db)}, '') < ?")
        params.append(not_contacted_since)
    for condition in where_fields:
        clause, values = custom_fields.where_clause(db, condition)
        where.append(clause)
        params += values
    order = SORTS[sort].format(last=last_contact_sql(db))
    sql = f"SELECT c.id FROM contacts c WHERE {' AND '.join(where)} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return db.execute(sql, params)


# ---------------------------------------------------------------------------------- loading


def get(db: Connection, contact_id: int, deleted: bool | None = False) -> Contact:
    """Load one contact; ``deleted`` None means either state, True only trashed ones."""
    found = load_many(db, [contact_id])
    if not found:
        raise NotFound(f"no contact with id {contact_id}")
    if deleted is not None and bool(found[0].deleted_at) != deleted:
        if deleted:
            raise NotFound(f"contact {contact_id} is not in the trash")
        raise NotFound(f"contact {contact_id} is in the trash ('crm restore {contact_id}' "
                       "brings it back)")
    return found[0]


def load_many(db: Connection, ids: list[int]) -> list[Contact]:
    """Load contacts with their details and tags, in the order of ``ids``."""
    if not ids:
        return []
    id_json = json.dumps(ids)
    contacts: dict[int, Contact] = {}
    for row in db.execute(
        "SELECT c.id, c.uid, c.name, co.name, c.company_id, c.title, c.birthday,"
        f" c.created_at, c.updated_at, c.deleted_at, {last_contact_sql(db)}, c.version"
        " FROM contacts c"
        " LEFT JOIN companies co ON co.id = c.company_id"
        " WHERE c.id IN (SELECT value FROM json_each(?))",
        [id_json],
    ):
        contacts[row[0]] = Contact(
            id=row[0], uid=row[1], name=row[2], company=row[3], company_id=row[4],
            title=row[5], birthday=_partial_date(row[6]), created_at=row[7], updated_at=row[8],
            deleted_at=row[9], last_contacted_at=row[10], version=row[11],
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
    important_dates.load_into(db, contacts)
    personal.load_into(db, contacts)
    for contact_id, values in custom_fields.values_for(db, ids).items():
        contacts[contact_id].fields = values
    return [contacts[i] for i in ids if i in contacts]


def _partial_date(text: str | None) -> PartialDate | None:
    return PartialDate.from_storage(text) if text else None


def find_by_uid(db: Connection, uid: str) -> Contact | None:
    """The contact (in the trash too) of ``uid``, or of the same UUID written another way."""
    found = row_of_uid(db, "contacts", uid)
    return get(db, found, deleted=None) if found is not None else None


def set_uid(db: Connection, contact_id: int, uid: str) -> bool:
    """Spell the contact's UID as ``uid`` (as a phone spells it); False, writing nothing,
    when another contact holds that spelling."""
    return set_uid_of(db, "contacts", contact_id, uid)


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
        "birthday": _date_text(contact.birthday),
        "anniversary": _date_text(contact.anniversary),
        "dates": important_dates.to_records(contact),
        "how_we_met": contact.how_we_met,
        "met_on": _date_text(contact.met_on),
        "interests": list(contact.interests),
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "last_contacted_at": contact.last_contacted_at,
        "fields": dict(contact.fields),
        "version": contact.version,
    }
