"""Companies: one row per organisation, shared by the contacts who work there, with its own
emails, phones, addresses and websites (``company_details``), tags, notes and custom fields.

A trashed company (``crm company rm``) keeps its people's link to it until it is restored.
"""

from __future__ import annotations

import json
from dataclasses import replace
from sqlite3 import Connection

from crmcli import fields as custom_fields
from crmcli import journal
from crmcli.bulk import insert_staged
from crmcli.contact_rules import (
    DETAIL_KINDS,
    check_details,
    check_tags,
    dedupe_details,
    normalize_tag,
)
from crmcli.db import now_stamp, replace_values, row_of_uid, set_uid_of, transaction
from crmcli.errors import Ambiguous, Conflict, InvalidInput, NotFound, row_id, shown
from crmcli.limits import check_text
from crmcli.models import Company, Detail, Note, new_uid
from crmcli.normalize import fold, is_email
from crmcli.search import reindex
from crmcli.text import is_invisible

_PEOPLE = ("(SELECT count(*) FROM contacts c WHERE c.company_id = co.id"
           " AND c.deleted_at IS NULL)")
_SELECT = ("SELECT co.id, co.uid, co.name, co.industry, co.size, co.created_at, co.updated_at,"
           f" co.deleted_at, co.version, {_PEOPLE} FROM companies co")
_SINGLES = ("name", "industry", "size")


def _company(row: tuple) -> Company:
    return Company(id=row[0], uid=row[1], name=row[2], industry=row[3], size=row[4],
                   created_at=row[5], updated_at=row[6], deleted_at=row[7], version=row[8],
                   people=row[9])


def _clean_name(name: str) -> str:
    check_text("the company name", name)
    cleaned = " ".join(name.split())
    if is_invisible(cleaned):
        raise InvalidInput("a company needs a name")
    return cleaned


def validate(company: Company, held: int = 0) -> Company:
    """Check a company before it is written; returns it with values tidied. ``held``: the
    tags it holds now (one past the limit from before the limit may lose tags, not gain)."""
    for what in ("industry", "size"):
        check_text(f"the {what}", getattr(company, what))
    check_details(company, "a company")
    for email in company.emails:
        if email.value.strip() and not is_email(email.value.strip()):
            raise InvalidInput(f"invalid email {shown(email.value)}: expected name@domain.tld")
    details = {attribute: dedupe_details(getattr(company, attribute), kind)
               for kind, attribute in DETAIL_KINDS.items()}
    check_tags(company.tags, "a company", held, company.id and f"company {company.id}")
    return replace(company, name=_clean_name(company.name),
                   industry=(company.industry or "").strip() or None,
                   size=(company.size or "").strip() or None,
                   tags=sorted({normalize_tag(tag) for tag in company.tags} - {""}), **details)


# ---------------------------------------------------------------------------------- reading


def load_many(db: Connection, ids: list[int]) -> list[Company]:
    """Companies with their details, tags and custom fields, in the order of ``ids``."""
    if not ids:
        return []
    id_json = json.dumps(ids)
    found = {row[0]: _company(row) for row in db.execute(
        f"{_SELECT} WHERE co.id IN (SELECT value FROM json_each(?))", [id_json])}
    for company_id, kind, label, value in db.execute(
            "SELECT company_id, kind, label, value FROM company_details WHERE company_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY company_id, position", [id_json]):
        getattr(found[company_id], DETAIL_KINDS[kind]).append(Detail(value, label))
    for company_id, tag in db.execute(
            "SELECT company_id, tag FROM company_tags WHERE company_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY tag", [id_json]):
        found[company_id].tags.append(tag)
    for company_id, values in custom_fields.values_for(db, ids, "companies").items():
        found[company_id].fields = values
    return [found[i] for i in ids if i in found]


def get(db: Connection, company_id: int, deleted: bool | None = False) -> Company:
    """One company; ``deleted`` None means either state, True only a trashed one."""
    found = load_many(db, [company_id])
    if not found:
        raise NotFound(f"no company with id {company_id}")
    company = found[0]
    if deleted is not None and bool(company.deleted_at) != deleted:
        if deleted:
            raise NotFound(f"company {company_id} is not in the trash")
        raise NotFound(f"company {company_id} is in the trash ('crm company restore "
                       f"{company_id}' brings it back)")
    return company


def find(db: Connection, name: str) -> Company | None:
    """The company called ``name`` (any case or accents), trashed or not."""
    row = db.execute("SELECT id FROM companies WHERE name_folded = ?", [fold(name)]).fetchone()
    return get(db, row[0], deleted=None) if row else None


def find_by_uid(db: Connection, uid: str) -> Company | None:
    """The company (in the trash too) of ``uid``, or of the same UUID written another way."""
    found = row_of_uid(db, "companies", uid)
    return get(db, found, deleted=None) if found is not None else None


def set_uid(db: Connection, company_id: int, uid: str) -> bool:
    """Give the company the UID ``uid`` (the one a phone gave its card); False, writing
    nothing, when another company holds it."""
    return set_uid_of(db, "companies", company_id, uid)


def all_companies(db: Connection, query: str | None = None, deleted: bool = False
                  ) -> list[Company]:
    """Live (or trashed) companies by name, those whose name holds ``query`` if given."""
    where = "co.deleted_at IS NOT NULL" if deleted else "co.deleted_at IS NULL"
    params: list = []
    if query:
        where += " AND instr(co.name_folded, ?)"  # not LIKE: % and _ are plain characters
        params.append(fold(query))
    ids = [row[0] for row in db.execute(
        f"SELECT co.id FROM companies co WHERE {where} ORDER BY co.name_folded", params)]
    return load_many(db, ids)


def resolve(db: Connection, ref: str, deleted: bool = False) -> Company:
    """An id, an exact name, or text found in exactly one company's name."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput("the company is empty: give its id or name")
    if ref.isdecimal():
        return get(db, row_id(ref, "company"), deleted=deleted)
    exact = find(db, ref)
    if exact and bool(exact.deleted_at) == deleted:
        return exact
    matches = all_companies(db, ref, deleted=deleted)
    if not matches:
        raise NotFound(f"no company{' in the trash' if deleted else ''} matches {shown(ref)}")
    if len(matches) > 1:
        raise Ambiguous(f"{shown(ref)} matches {len(matches)} companies; use an id",
                        [(c.id, c.name) for c in matches[:10]])
    return matches[0]


# ---------------------------------------------------------------------------------- writing


def ensure(db: Connection, name: str) -> int:
    """The id of the company called ``name`` (any case or accents), creating it if needed."""
    row = db.execute("SELECT id FROM companies WHERE name_folded = ?", [fold(name)]).fetchone()
    return row[0] if row else create(db, Company(name=name)).id


def resolve_or_create(db: Connection, text: str) -> tuple[int | None, bool]:
    """(id, created) of the company ``text`` names (id, name or part of one), created when
    no company matches; None for empty text. An id that matches nothing stays an error."""
    if not text.strip():
        return None, False
    try:
        return resolve(db, text).id, False
    except NotFound:
        if text.strip().isdecimal():
            raise
        return ensure(db, text), True


def create(db: Connection, company: Company) -> Company:
    company = validate(company)
    existing = find(db, company.name)
    if existing:
        trashed = " in the trash" if existing.deleted_at else ""
        raise InvalidInput(f"company {shown(existing.name)} already exists (id {existing.id}"
                           f"{trashed})")
    now = now_stamp(db)
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO companies (uid, name, name_folded, industry, size, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [company.uid or new_uid(), company.name, fold(company.name),
             company.industry, company.size, now, now])
        company = replace(company, id=cursor.lastrowid)
        _write_details(db, company)
        _write_tags(db, company)
    return get(db, company.id)


def create_named(db: Connection, names: list[str]) -> dict[str, tuple[int, str]]:
    """Create a company of each name, none of them in the book and no two the same once
    folded (the new companies an import's batch names), with one statement; folded name:
    (id, name as stored)."""
    now = now_stamp(db)
    rows = [(new_uid(), name, fold(name), now, now) for name in map(_clean_name, names)]
    with transaction(db), journal.inserts_together(db, "companies"):
        insert_staged(db, "INSERT INTO companies (uid, name, name_folded, created_at,"
                      " updated_at)", rows)
        return {folded: (company_id, name) for folded, company_id, name in db.execute(
            "SELECT name_folded, id, name FROM companies WHERE name_folded IN"
            " (SELECT value FROM json_each(?))", [json.dumps([row[2] for row in rows])])}


def update(db: Connection, company: Company, read: Company | None = None) -> Company:
    """Give the stored company the values of ``company``, writing only what differs.
    ``read`` is the company as the caller read it: if another command changed it since, the
    write is refused (Conflict) rather than undo that change."""
    company = validate(company, len(read.tags) if read is not None else 0)
    with transaction(db):
        current = get(db, company.id, deleted=None)
        if read is not None and read.version != current.version:
            raise Conflict(f"company {company.id} changed while you were editing it; nothing "
                           "was changed; run the command again")
        clash = find(db, company.name)
        if clash and clash.id != company.id:
            raise InvalidInput(f"company {shown(clash.name)} already exists (id {clash.id})")
        changed = _write_details(db, company) | _write_tags(db, company)
        singles = [getattr(company, name) for name in _SINGLES]
        if changed or singles != [getattr(current, name) for name in _SINGLES]:
            db.execute("UPDATE companies SET name = ?, name_folded = ?, industry = ?, size = ?,"
                       " updated_at = ? WHERE id = ?",
                       [company.name, fold(company.name), company.industry, company.size,
                        now_stamp(db), company.id])
        if company.name != current.name:
            reindex_people(db, company.id)
    return get(db, company.id, deleted=None)


def rename(db: Connection, company: Company, new_name: str) -> Company:
    return update(db, replace(get(db, company.id, deleted=None), name=new_name))


def reindex_people(db: Connection, company_id: int) -> None:
    for (contact_id,) in db.execute("SELECT id FROM contacts WHERE company_id = ?",
                                    [company_id]).fetchall():
        reindex(db, contact_id)


def _write_details(db: Connection, company: Company) -> bool:
    """Make the stored details those of ``company`` (rows equal in kind, label, value and
    position stay); whether anything changed."""
    wanted = [(kind, detail.label, detail.value, position)
              for kind, attribute in DETAIL_KINDS.items()
              for position, detail in enumerate(getattr(company, attribute))]
    stored = {(kind, label, value, position): row_id for row_id, kind, label, value, position
              in db.execute("SELECT id, kind, label, value, position FROM company_details"
                            " WHERE company_id = ?", [company.id])}
    keep = set(wanted)
    gone = [(row_id,) for key, row_id in stored.items() if key not in keep]
    new = [(company.id, *key) for key in wanted if key not in stored]
    db.executemany("DELETE FROM company_details WHERE id = ?", gone)
    db.executemany("INSERT INTO company_details (company_id, kind, label, value, position)"
                   " VALUES (?, ?, ?, ?, ?)", new)
    return bool(gone or new)


def _write_tags(db: Connection, company: Company) -> bool:
    return replace_values(db, "company_tags", "company_id", company.id, "tag", company.tags)


def trash(db: Connection, company_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE companies SET deleted_at = ? WHERE id = ?",
                   [now_stamp(db), company_id])


def restore(db: Connection, company_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE companies SET deleted_at = NULL, updated_at = ? WHERE id = ?",
                   [now_stamp(db), company_id])


# ------------------------------------------------------------------------------------ notes


def add_note(db: Connection, company_id: int, body: str, at: str | None = None) -> Note:
    check_text("the note", body)
    if not body.strip():
        raise InvalidInput("the note is empty")
    stamp = at or now_stamp(db)
    with transaction(db):
        cursor = db.execute("INSERT INTO company_notes (company_id, body, created_at,"
                            " updated_at) VALUES (?, ?, ?, ?)",
                            [company_id, body.strip(), stamp, stamp])
    return Note(contact_id=company_id, body=body.strip(), id=cursor.lastrowid,
                created_at=stamp, updated_at=stamp)


def notes_for(db: Connection, company_id: int) -> list[Note]:
    """The company's live notes, newest first."""
    return [Note(contact_id=company_id, id=row[0], body=row[1], created_at=row[2],
                 updated_at=row[3]) for row in db.execute(
        "SELECT id, body, created_at, updated_at FROM company_notes WHERE company_id = ?"
        " AND deleted_at IS NULL ORDER BY created_at DESC, id DESC", [company_id])]


# ---------------------------------------------------------------------------------- records


def to_record(company: Company) -> dict:
    """The company as the stable JSON object documented in docs/json.md."""
    def details(items: list[Detail]) -> list[dict]:
        return [{"value": d.value, "label": d.label} for d in items]

    return {"id": company.id, "uid": company.uid, "name": company.name,
            "industry": company.industry, "size": company.size,
            "emails": details(company.emails), "phones": details(company.phones),
            "addresses": details(company.addresses), "websites": details(company.urls),
            "tags": list(company.tags), "fields": dict(company.fields),
            "people": company.people, "created_at": company.created_at,
            "updated_at": company.updated_at, "version": company.version}
