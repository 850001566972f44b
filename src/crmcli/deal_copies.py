"""Deals as another computer's crm made them (sync's deals collection): taken with their stage
and stage history as they are, a stage this computer's pipeline does not have included. Such a
stage is kept, never dropped: listings call those deals orphaned (see :mod:`crmcli.stages`)
until the stage is configured or the deals are moved.
"""

from __future__ import annotations

from sqlite3 import Connection

from crmcli import deals
from crmcli.db import now_stamp, transaction
from crmcli.models import Deal
from crmcli.stages import CLOSED

Change = tuple[str, str | None, str]  # (changed_at, from stage, to stage)


def history(db: Connection, deal_id: int) -> list[Change]:
    return [(c.changed_at, c.from_stage, c.to_stage) for c in deals.history(db, deal_id)]


def adopt(db: Connection, deal: Deal, changes: list[Change]) -> Deal:
    """Insert ``deal`` in its stage with ``changes`` as its history."""
    deal = deals.validate(deal)
    now = now_stamp(db)
    created = changes[0][0] if changes else now
    changes = changes or [(created, None, deal.stage)]  # a history starts with the creation
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO deals (contact_id, company_id, title, amount_minor, currency, stage,"
            " close_on, lost_reason, created_at, updated_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [deal.contact_id, deal.company_id, deal.title, deal.amount_minor, deal.currency,
             deal.stage, deal.close_on, deal.lost_reason, created, now,
             _closed_at(deal.stage, changes, created)])
        _add_changes(db, cursor.lastrowid, changes)
    return deals.get(db, cursor.lastrowid)


def take_stage(db: Connection, deal: Deal, stage: str, changes: list[Change],
               lost_reason: str | None) -> Deal:
    """Move ``deal`` to ``stage`` as another computer did, adding the changes of its history
    this book does not have."""
    now = now_stamp(db)
    with transaction(db):
        db.execute("UPDATE deals SET stage = ?, closed_at = ?, lost_reason = ?, updated_at = ?"
                   " WHERE id = ?", [stage, _closed_at(stage, changes, now), lost_reason, now,
                                     deal.id])
        known = set(history(db, deal.id))
        _add_changes(db, deal.id, [change for change in changes if change not in known])
    return deals.get(db, deal.id)


def _closed_at(stage: str, changes: list[Change], now: str) -> str | None:
    if stage not in CLOSED:
        return None
    return changes[-1][0] if changes else now


def _add_changes(db: Connection, deal_id: int, changes: list[Change]) -> None:
    db.executemany("INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_at)"
                   " VALUES (?, ?, ?, ?)",
                   [(deal_id, source, target, at) for at, source, target in changes])
