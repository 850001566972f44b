"""Companies: one row per organisation, shared by the contacts who work there."""

from __future__ import annotations

from sqlite3 import Connection

from crmcli.db import now_stamp, transaction
from crmcli.errors import Ambiguous, InvalidInput, NotFound
from crmcli.limits import check_text
from crmcli.models import Company
from crmcli.normalize import fold
from crmcli.search import reindex

_SELECT = (
    "SELECT co.id, co.name, co.created_at, co.updated_at,"
    " (SELECT count(*) FROM contacts c WHERE c.company_id = co.id AND c.deleted_at IS NULL)"
    " FROM companies co"
)


def _company(row: tuple) -> Company:
    return Company(id=row[0], name=row[1], created_at=row[2], updated_at=row[3], people=row[4])


def _clean_name(name: str) -> str:
    check_text("the company name", name)
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("a company needs a name")
    return cleaned


def find(db: Connection, name: str) -> Company | None:
    row = db.execute(f"{_SELECT} WHERE co.name_folded = ?", [fold(name)]).fetchone()
    return _company(row) if row else None


def ensure(db: Connection, name: str) -> int:
    """The id of the company called ``name`` (any case or accents), creating it if needed."""
    row = db.execute("SELECT id FROM companies WHERE name_folded = ?", [fold(name)]).fetchone()
    return row[0] if row else create(db, name).id


def resolve_or_create(db: Connection, text: str) -> tuple[int | None, bool]:
    """(id, created) of the company ``text`` names (id, name or part of one), created when
    no company matches; None for empty text. An id that matches nothing stays an error."""
    if not text.strip():
        return None, False
    try:
        return resolve(db, text).id, False
    except NotFound:
        if text.strip().isdigit():
            raise
        return ensure(db, text), True


def create(db: Connection, name: str) -> Company:
    name = _clean_name(name)
    existing = find(db, name)
    if existing:
        raise InvalidInput(f"company {existing.name!r} already exists (id {existing.id})")
    now = now_stamp(db)
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO companies (name, name_folded, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [name, fold(name), now, now],
        )
    return get(db, cursor.lastrowid)


def get(db: Connection, company_id: int) -> Company:
    row = db.execute(f"{_SELECT} WHERE co.id = ?", [company_id]).fetchone()
    if not row:
        raise NotFound(f"no company with id {company_id}")
    return _company(row)


def all_companies(db: Connection, query: str | None = None) -> list[Company]:
    if not query:
        return [_company(row) for row in db.execute(f"{_SELECT} ORDER BY co.name_folded")]
    rows = db.execute(f"{_SELECT} WHERE co.name_folded LIKE ? ORDER BY co.name_folded",
                      [f"%{fold(query)}%"])
    return [_company(row) for row in rows]


def resolve(db: Connection, ref: str) -> Company:
    """An id, an exact name, or text found in exactly one company's name."""
    ref = ref.strip()
    if ref.isdigit():
        return get(db, int(ref))
    exact = find(db, ref)
    if exact:
        return exact
    matches = all_companies(db, ref)
    if not matches:
        raise NotFound(f"no company matches {ref!r}")
    if len(matches) > 1:
        raise Ambiguous(f"{ref!r} matches {len(matches)} companies; use an id",
                        [(c.id, c.name) for c in matches[:10]])
    return matches[0]


def rename(db: Connection, company: Company, new_name: str) -> Company:
    new_name = _clean_name(new_name)
    clash = find(db, new_name)
    if clash and clash.id != company.id:
        raise InvalidInput(f"company {clash.name!r} already exists (id {clash.id})")
    with transaction(db):
        db.execute("UPDATE companies SET name = ?, name_folded = ?, updated_at = ? WHERE id = ?",
                   [new_name, fold(new_name), now_stamp(db), company.id])
        for (contact_id,) in db.execute(
            "SELECT id FROM contacts WHERE company_id = ?", [company.id]
        ).fetchall():
            reindex(db, contact_id)
    return get(db, company.id)


def to_record(company: Company) -> dict:
    return {"id": company.id, "name": company.name, "people": company.people,
            "created_at": company.created_at, "updated_at": company.updated_at}
