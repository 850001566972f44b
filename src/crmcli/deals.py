"""Deals: opportunities with a value that move through the pipeline's stages.

A deal's ``stage`` column holds its stage's name (see :mod:`crmcli.stages`), won and lost
included; a deal is closed when it is won or lost, and ``closed_at`` says when. Every stage
change is a row of ``deal_stage_changes``, from the deal's creation on.

Money is integer minor units (see :mod:`crmcli.money`). A deal's weighted value is
``amount_minor * probability // 100``: rounded down to a whole minor unit, per deal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli import money
from crmcli.dates import parse_stamp, stamp
from crmcli.db import moment, transaction
from crmcli.errors import Ambiguous, InvalidInput, NotFound, capped, row_id, shown
from crmcli.limits import check_text
from crmcli.models import Deal, StageChange
from crmcli.normalize import fold
from crmcli.stages import CLOSED, LOST, WON, Pipeline


def parse_probability(text: str) -> int | None:
    """A typed chance (``40``, ``40%``) as a whole percentage; None for empty text."""
    value = text.strip().removesuffix("%").strip()
    if not value:
        return None
    plain = value.isascii() and value.isdecimal()  # int() reads other scripts' digits too
    percent = capped(value, 100) if plain else 101
    if percent > 100:
        raise InvalidInput(f"probability {shown(text)} must be a whole percentage from 0 to 100")
    return percent


# ---------------------------------------------------------------------------------- loading

COLUMNS = ("d.id, d.title, d.currency, d.stage, d.contact_id, d.company_id, d.amount_minor,"
           " d.probability, d.close_on, d.lost_reason, d.created_at, d.updated_at,"
           " d.closed_at, c.name, co.name")
FROM = (" FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id"
        " LEFT JOIN companies co ON co.id = d.company_id")


def from_row(row: tuple) -> Deal:
    """A Deal from a row that starts with :data:`COLUMNS`."""
    return Deal(id=row[0], title=row[1], currency=row[2], stage=row[3], contact_id=row[4],
                company_id=row[5], amount_minor=row[6], probability=row[7], close_on=row[8],
                lost_reason=row[9], created_at=row[10], updated_at=row[11], closed_at=row[12],
                contact_name=row[13], company_name=row[14])


def get(db: Connection, deal_id: int) -> Deal:
    """One deal that is not deleted, with its contact's and company's names."""
    row = db.execute(f"SELECT {COLUMNS}, d.deleted_at{FROM} WHERE d.id = ?",
                     [deal_id]).fetchone()
    if row is None:
        raise NotFound(f"no deal with id {deal_id}")
    if row[15] is not None:
        raise NotFound(f"deal {deal_id} is deleted ('crm deal restore {deal_id}' brings it back)")
    return from_row(row)


def resolve(db: Connection, ref: str) -> Deal:
    """A deal named by its id (``12`` or ``#12``), its title, or text found in exactly one
    title (case and accents aside)."""
    text = ref.strip().removeprefix("#")
    if not text:
        raise InvalidInput("the deal is empty: give its id or title")
    if text.isdecimal():
        return get(db, row_id(text, "deal"))
    wanted = fold(text)
    titles = db.execute("SELECT id, title FROM deals WHERE deleted_at IS NULL").fetchall()
    ids = [i for i, title in titles if fold(title) == wanted] or [
        i for i, title in titles if wanted in fold(title)]
    if not ids:
        raise NotFound(f"no deal matches {shown(ref)}")
    if len(ids) > 1:
        named = dict(titles)
        raise Ambiguous(f"{shown(ref)} matches {len(ids)} deals; use an id",
                        [(i, named[i]) for i in ids[:10]])
    return get(db, ids[0])


@dataclass
class Filter:
    """Which deals a listing shows."""

    status: str = "open"  # open, won, lost, closed (won or lost) or all
    stages: tuple[str, ...] = ()
    contact_id: int | None = None
    company_id: int | None = None
    tags: tuple[str, ...] = ()
    close_by: dt.date | None = None  # an expected close date on or before this day
    ids: tuple[int, ...] | None = None

    def where(self) -> tuple[str, list]:
        """The SQL condition (on ``deals d``) and its parameters."""
        # A trashed contact's deals go out of sight with it (and come back on restore).
        clauses, params = ["d.deleted_at IS NULL", "(d.contact_id IS NULL OR d.contact_id NOT IN"
                           " (SELECT id FROM contacts WHERE deleted_at IS NOT NULL))"], []
        if self.status == "open":
            clauses.append("d.stage NOT IN ('won', 'lost')")
        elif self.status == "closed":
            clauses.append("d.stage IN ('won', 'lost')")
        elif self.status in CLOSED:
            clauses.append("d.stage = ?")
            params.append(self.status)
        if self.stages:
            clauses.append(f"d.stage IN ({', '.join('?' * len(self.stages))})")
            params.extend(self.stages)
        for column, value in (("contact_id", self.contact_id), ("company_id", self.company_id)):
            if value is not None:
                clauses.append(f"d.{column} = ?")
                params.append(value)
        for tag in self.tags:
            from crmcli.contact_rules import normalize_tag

            clauses.append("d.contact_id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)")
            params.append(normalize_tag(tag))
        if self.close_by is not None:
            clauses.append("d.close_on <= ?")
            params.append(self.close_by.isoformat())
        if self.ids is not None:
            clauses.append("d.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(self.ids))
        return " AND ".join(clauses), params


def search(db: Connection, filters: Filter | None = None, limit: int | None = None
           ) -> list[Deal]:
    """Deals matching ``filters`` (open deals by default), soonest expected close first."""
    return list(iter_search(db, filters, limit))


def iter_search(db: Connection, filters: Filter | None = None, limit: int | None = None
                ) -> Iterator[Deal]:
    """:func:`search` one deal at a time, as SQLite reads them: memory stays flat."""
    where, params = (filters or Filter()).where()
    order = " ORDER BY d.close_on IS NULL, d.close_on, d.id"
    if limit is not None:  # the first few chosen before their rows and names are read
        where = f"d.id IN (SELECT d.id FROM deals d WHERE {where}{order} LIMIT {int(limit)})"
    return map(from_row, db.execute(f"SELECT {COLUMNS}{FROM} WHERE {where}{order}", params))


def open_for_contact(db: Connection, contact_id: int) -> list[Deal]:
    """The contact's open deals, soonest expected close first (undated last)."""
    return search(db, Filter(contact_id=contact_id))


def open_for_company(db: Connection, company_id: int) -> list[Deal]:
    """The company's open deals, soonest expected close first (undated last)."""
    return search(db, Filter(company_id=company_id))


def closing_within(db: Connection, today: dt.date, days: int, limit: int | None = None
                   ) -> list[Deal]:
    """Open deals expected to close from ``today`` to ``today + days``, plus the overdue
    ones (expected before ``today``), overdue first; soonest first within each (the first
    ``limit`` only, when given)."""
    return search(db, Filter(close_by=today + dt.timedelta(days=days)), limit)


def count_closing(db: Connection, today: dt.date, days: int) -> int:
    """How many deals :func:`closing_within` gives."""
    where, params = Filter(close_by=today + dt.timedelta(days=days)).where()
    return db.execute(f"SELECT count(*) FROM deals d WHERE {where}", params).fetchone()[0]


def history(db: Connection, deal_id: int) -> list[StageChange]:
    """The deal's stage changes, oldest first (the first is its creation)."""
    return [StageChange(id=row[0], deal_id=deal_id, from_stage=row[1], to_stage=row[2],
                        changed_at=row[3])
            for row in db.execute("SELECT id, from_stage, to_stage, changed_at FROM"
                                  " deal_stage_changes WHERE deal_id = ?"
                                  " ORDER BY changed_at, id", [deal_id])]


def time_in_stages(deal: Deal, changes: list[StageChange], now: dt.datetime
                   ) -> list[tuple[str, int]]:
    """Seconds spent in each stage (visits added up), in order of first visit. The current
    stage counts until ``now``; a closed deal's time ends when it closed."""
    spent: dict[str, int] = {}
    for change, following in zip(changes, [*changes[1:], None], strict=True):
        if following is not None:
            end = parse_stamp(following.changed_at)
        elif change.to_stage in CLOSED:
            continue
        else:
            end = now
        seconds = int((end - parse_stamp(change.changed_at)).total_seconds())
        spent[change.to_stage] = spent.get(change.to_stage, 0) + max(seconds, 0)
    return list(spent.items())


# ---------------------------------------------------------------------------------- writing


def validate(deal: Deal) -> Deal:
    """Check a deal's fields; returns it tidied (title spaces, currency case)."""
    check_text("the deal's title", deal.title)
    check_text("the reason it was lost", deal.lost_reason)
    title = " ".join(deal.title.split())
    if not title:
        raise InvalidInput("a deal needs a title")
    if deal.amount_minor is not None and not 0 <= deal.amount_minor < money.MAX_MINOR:
        raise InvalidInput(f"a deal's value must be from 0 to {money.MAX_MINOR - 1} minor units")
    if deal.probability is not None and not 0 <= deal.probability <= 100:
        raise InvalidInput(f"probability must be 0 to 100 percent, not {deal.probability}")
    try:
        dt.date.fromisoformat(deal.close_on or "2000-01-01")
    except ValueError as exc:
        raise InvalidInput(f"close date {deal.close_on!r} is not YYYY-MM-DD") from exc
    return replace(deal, title=title, currency=money.check_currency(deal.currency))


def create(db: Connection, pipeline: Pipeline, deal: Deal, at: dt.datetime | None = None
           ) -> Deal:
    """Insert a new deal in its stage (the pipeline's first by default); history starts."""
    stage = pipeline.require(deal.stage) if deal.stage else pipeline.open[0]
    deal = validate(replace(deal, stage=stage.name))
    now = stamp(at or moment(db))
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO deals (contact_id, company_id, title, amount_minor, currency, stage,"
            " probability, close_on, lost_reason, created_at, updated_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [deal.contact_id, deal.company_id, deal.title, deal.amount_minor, deal.currency,
             deal.stage, deal.probability, deal.close_on, deal.lost_reason, now, now,
             now if stage.closed else None])
        _record_change(db, cursor.lastrowid, None, deal.stage, now)
    return get(db, cursor.lastrowid)


def update(db: Connection, deal: Deal) -> Deal:
    """Save a deal's fields (all but its stage, which only moves through :func:`move` and
    friends, so that history stays complete)."""
    deal = validate(deal)
    with transaction(db):
        db.execute("UPDATE deals SET title = ?, amount_minor = ?, currency = ?, probability = ?,"
                   " close_on = ?, contact_id = ?, company_id = ?, updated_at = ? WHERE id = ?",
                   [deal.title, deal.amount_minor, deal.currency, deal.probability,
                    deal.close_on, deal.contact_id, deal.company_id, stamp(moment(db)), deal.id])
    return get(db, deal.id)


def move(db: Connection, pipeline: Pipeline, deal: Deal, stage_name: str,
         at: dt.datetime | None = None) -> Deal:
    """Move an open deal to another open stage."""
    stage = pipeline.require(stage_name)
    if stage.closed:
        how = "won ID" if stage.name == WON else "lost ID --reason TEXT"
        raise InvalidInput(f"to close a deal use 'crm deal {how}'")
    _require_open(deal)
    if stage.name == deal.stage:
        raise InvalidInput(f"deal {deal.id} is already in {stage.name}")
    return _change_stage(db, deal, stage.name, at)


def win(db: Connection, deal: Deal, at: dt.datetime | None = None) -> Deal:
    """Close a deal as won."""
    _require_open(deal)
    return _change_stage(db, deal, WON, at)


def lose(db: Connection, deal: Deal, reason: str, at: dt.datetime | None = None) -> Deal:
    """Close a deal as lost, saying why."""
    _require_open(deal)
    if not reason.strip():
        raise InvalidInput("say why the deal was lost (--reason)")
    return _change_stage(db, deal, LOST, at, lost_reason=reason.strip())


def reopen(db: Connection, pipeline: Pipeline, deal: Deal, stage_name: str | None = None,
           at: dt.datetime | None = None) -> Deal:
    """Reopen a closed deal in the stage it was in before closing (or ``stage_name``)."""
    if deal.stage not in CLOSED:
        raise InvalidInput(f"deal {deal.id} is open (in {deal.stage}); only won or lost "
                           "deals can be reopened")
    if stage_name is None:
        before = history(db, deal.id)[-1].from_stage
        previous = pipeline.get(before) if before else None
        if previous is None or previous.closed:
            raise InvalidInput(f"deal {deal.id} has no configured stage to go back to "
                               f"({before or 'it was created ' + deal.stage}); add --stage")
        stage_name = before
    stage = pipeline.require(stage_name)
    if stage.closed:
        raise InvalidInput(f"reopen a deal in an open stage, not {stage.name}")
    return _change_stage(db, deal, stage.name, at)


def _require_open(deal: Deal) -> None:
    if deal.stage in CLOSED:
        raise InvalidInput(f"deal {deal.id} is {deal.stage}; 'crm deal reopen {deal.id}' "
                           "first")


def _change_stage(db: Connection, deal: Deal, to: str, at: dt.datetime | None,
                  lost_reason: str | None = None) -> Deal:
    now = moment(db)
    when = stamp(at or now)
    if at is not None and at > now + dt.timedelta(minutes=1):
        raise InvalidInput("a stage change cannot be dated in the future")
    with transaction(db):
        last = history(db, deal.id)[-1].changed_at
        if when < last:
            raise InvalidInput(f"deal {deal.id} changed stage at {last}; a later change "
                               "cannot be dated before it")
        db.execute("UPDATE deals SET stage = ?, closed_at = ?, lost_reason = ?, updated_at = ?"
                   " WHERE id = ?",
                   [to, when if to in CLOSED else None, lost_reason, stamp(now), deal.id])
        _record_change(db, deal.id, deal.stage, to, when)
    return get(db, deal.id)


def _record_change(db: Connection, deal_id: int, from_stage: str | None, to: str,
                   when: str) -> None:
    db.execute("INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_at)"
               " VALUES (?, ?, ?, ?)", [deal_id, from_stage, to, when])


def delete(db: Connection, deal_id: int) -> None:
    """Mark a deal deleted (:func:`restore` brings it back)."""
    with transaction(db):
        db.execute("UPDATE deals SET deleted_at = ? WHERE id = ?", [stamp(moment(db)), deal_id])


def restore(db: Connection, deal_id: int) -> Deal:
    """Bring back a deleted deal."""
    with transaction(db):
        changed = db.execute("UPDATE deals SET deleted_at = NULL WHERE id = ?"
                             " AND deleted_at IS NOT NULL", [deal_id]).rowcount
    if not changed:
        get(db, deal_id)  # raises NotFound when there is no such deal
        raise InvalidInput(f"deal {deal_id} is not deleted")
    return get(db, deal_id)


# ---------------------------------------------------------------------------------- records


def weighted(deal: Deal, pipeline: Pipeline) -> int | None:
    """The deal's value times its probability, rounded down to a whole minor unit."""
    if deal.amount_minor is None:
        return None
    return deal.amount_minor * pipeline.probability(deal) // 100


def status(deal: Deal) -> str:
    return deal.stage if deal.stage in CLOSED else "open"


def page_record(deal: Deal, pipeline: Pipeline, changes: list[StageChange],
                spent: list[tuple[str, int]]) -> dict:
    """``crm deal show``'s record: the deal, its stage history and time in each stage."""
    return to_record(deal, pipeline) | {
        "history": [{"from_stage": c.from_stage, "to_stage": c.to_stage,
                     "changed_at": c.changed_at} for c in changes],
        "time_in_stages": [{"stage": stage, "seconds": seconds,
                            "days": round(seconds / 86400, 2)} for stage, seconds in spent]}


def to_record(deal: Deal, pipeline: Pipeline) -> dict:
    """The deal as the stable JSON object documented in docs/deals.md."""
    return {
        "id": deal.id,
        "title": deal.title,
        "contact_id": deal.contact_id,
        "contact": deal.contact_name,
        "company_id": deal.company_id,
        "company": deal.company_name,
        "stage": deal.stage,
        "status": status(deal),
        "value": money.to_json(deal.amount_minor, deal.currency),
        "currency": deal.currency,
        "probability": pipeline.probability(deal),
        "probability_is_default": deal.probability is None,
        "weighted_value": money.to_json(weighted(deal, pipeline), deal.currency),
        "close_on": deal.close_on,
        "lost_reason": deal.lost_reason,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
        "closed_at": deal.closed_at,
    }


# --------------------------------------------------------------------------------------- demo

# (contact index, title, value in minor units, currency, own probability, close in days,
#  [(stage, days ago)], lost reason)
_DEMO_DEALS = [
    (0, "Fleet tracking renewal", 4_800_000, "EUR", None, 12,
     [("lead", 150), ("qualified", 120), ("proposal", 90), ("negotiation", 40)], None),
    (1, "Cold-chain sensor pilot", 950_000, "EUR", None, 45,
     [("lead", 60), ("qualified", 30)], None),
    (2, "SSO add-on", 1_800_000, "USD", None, -80,
     [("lead", 200), ("qualified", 170), ("proposal", 130), ("negotiation", 100), ("won", 80)],
     None),
    (3, "Store fit-out consulting", 720_000, "EUR", None, 70, [("lead", 20)], None),
    (4, "Three-year enterprise licence", 12_500_000, "USD", 60, -6,
     [("lead", 100), ("qualified", 70), ("proposal", 35)], None),
    (6, "Partner programme 2026", 6_000_000, "USD", None, -150,
     [("lead", 300), ("qualified", 260), ("proposal", 200), ("lost", 150)],
     "Budget frozen until next year"),
    (7, "Data platform evaluation", 3_200_000, "EUR", None, 25,
     [("lead", 40), ("qualified", 20), ("proposal", 6)], None),
    (8, "Dashboard redesign", 1_800_000, "JPY", None, -110,
     [("lead", 180), ("proposal", 140), ("won", 110)], None),
    (9, "Support contract", 600_000, "EUR", None, 3,
     [("lead", 90), ("qualified", 75), ("negotiation", 10)], None),
    (11, "Solar farm monitoring", 25_000_000, "USD", 5, 120, [("lead", 30)], None),
]


def seed_demo(db: Connection, contact_ids: list[int], now: dt.datetime) -> None:
    """Add sample deals for ``crm demo``: every default stage, EUR, USD and JPY, stage
    histories over the past months, one deal closing within days and one overdue."""
    if not contact_ids:
        return
    company_of = dict(db.execute("SELECT id, company_id FROM contacts WHERE id IN"
                                 " (SELECT value FROM json_each(?))", [json.dumps(contact_ids)]))
    with transaction(db):
        for index, title, amount, currency, probability, close_in, path, reason in _DEMO_DEALS:
            contact_id = contact_ids[index % len(contact_ids)]
            moments = [stamp(now - dt.timedelta(days=days)) for _, days in path]
            stage = path[-1][0]
            cursor = db.execute(
                "INSERT INTO deals (contact_id, company_id, title, amount_minor, currency, stage,"
                " probability, close_on, lost_reason, created_at, updated_at, closed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [contact_id, company_of.get(contact_id), title, amount, currency, stage,
                 probability, (now.date() + dt.timedelta(days=close_in)).isoformat(), reason,
                 moments[0], moments[-1], moments[-1] if stage in CLOSED else None])
            db.executemany(
                "INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_at)"
                " VALUES (?, ?, ?, ?)",
                [(cursor.lastrowid, path[i - 1][0] if i else None, name, moment)
                 for i, ((name, _), moment) in enumerate(zip(path, moments, strict=True))])
