"""Campaigns: personal mail to the contacts a query selects, each address mailed at most once.

A campaign (``campaigns``) holds its query and template; its recipients
(``campaign_recipients``, one row per address, so two contacts sharing one get one message)
are fixed when it is made and grow only by :func:`refresh`. Both are user data: journaled,
undone, dumped. What was delivered is not: ``campaign_deliveries`` records, per campaign and
address, the state of the delivery (``sending`` while a message is in flight, then ``sent``,
``deferred`` after a temporary refusal, ``failed``), committed around each delivery, so that
no undo and no crash ever mails anyone twice. A row left ``sending`` by a killed run reads as
``unknown``: it may have been delivered, and is sent again only when asked.

Opted-out contacts (``mail_opt_outs``) and addresses that failed hard in any campaign are
skipped, always.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound, shown
from crmcli.limits import check_text
from crmcli.segments import check_name

MAX_TEMPLATE = 200_000  # characters of a template
MAX_TRIES = 3  # deliveries refused temporarily (SMTP 4xx) are tried this many times
STATES = ("pending", "sent", "unknown", "failed", "skipped")


@dataclass(frozen=True)
class Campaign:
    id: int
    uid: str
    name: str
    query: str
    template: str
    created_at: str


@dataclass(frozen=True)
class Recipient:
    """One address of a campaign, with its contact and what became of it."""
    address: str
    contact_id: int
    contact_name: str
    state: str  # one of STATES
    reason: str = ""
    attempts: int = 0
    message_id: str | None = None


def create(db: Connection, name: str, query: str, template: str,
           members: list[int]) -> Campaign:
    """A new campaign addressed to ``members`` (contact ids in order): each one's first
    email address not already taken by an earlier member."""
    name = check_name(name, "campaign")
    check_text("the template", template, MAX_TEMPLATE)
    if find(db, name) is not None:
        raise InvalidInput(f"there is already a campaign {shown(name)} "
                           f"(crm campaign status {name})")
    stamp = now_stamp(db)
    with transaction(db):
        campaign_id = db.execute(
            "INSERT INTO campaigns (uid, name, query, template, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [uuid.uuid4().hex, name, query, template, stamp, stamp]).lastrowid
        _add_recipients(db, campaign_id, members, stamp)
    return get(db, name)


def refresh(db: Connection, campaign: Campaign, members: list[int]) -> int:
    """Add the members not yet addressed (newcomers to the query); returns how many."""
    with transaction(db):
        return _add_recipients(db, campaign.id, members, now_stamp(db))


def _add_recipients(db: Connection, campaign_id: int, members: list[int], stamp: str) -> int:
    return db.execute(
        "INSERT OR IGNORE INTO campaign_recipients (campaign_id, address, contact_id, added_at)"
        " SELECT ?, d.norm, d.contact_id, ? FROM json_each(?) m"
        " JOIN contact_details d ON d.contact_id = m.value AND d.kind = 'email'"
        " AND d.position = (SELECT min(position) FROM contact_details"
        "                   WHERE contact_id = m.value AND kind = 'email')"
        " ORDER BY m.key", [campaign_id, stamp, _json(members)]).rowcount


def find(db: Connection, name: str) -> Campaign | None:
    row = db.execute("SELECT id, uid, name, query, template, created_at FROM campaigns"
                     " WHERE name = ?", [name.strip().lower().removeprefix("@")]).fetchone()
    return Campaign(*row) if row else None


def get(db: Connection, name: str) -> Campaign:
    found = find(db, name)
    if found is None:
        known = ", ".join(c.name for c in all_campaigns(db)) or "none yet"
        raise NotFound(f"no campaign {name[:70]!r} (campaigns: {known})")
    return found


def all_campaigns(db: Connection) -> list[Campaign]:
    return [Campaign(*row) for row in db.execute(
        "SELECT id, uid, name, query, template, created_at FROM campaigns ORDER BY created_at,"
        " id")]


def recipients(db: Connection, campaign: Campaign) -> list[Recipient]:
    """Every address of the campaign with its state now: a delivery's state, else why it is
    skipped (opted out, failed in another campaign, contact trashed or address gone), else
    pending."""
    rows = db.execute(
        "SELECT r.address, r.contact_id, c.name, c.deleted_at,"
        " EXISTS (SELECT 1 FROM mail_opt_outs o WHERE o.contact_id = r.contact_id),"
        " EXISTS (SELECT 1 FROM contact_details d WHERE d.contact_id = r.contact_id"
        "         AND d.kind = 'email' AND d.norm = r.address),"
        " (SELECT f.updated_at FROM campaign_deliveries f WHERE f.address = r.address"
        "  AND f.state = 'failed' AND f.campaign_uid != ? LIMIT 1),"
        " x.state, x.reason, x.attempts, x.message_id"
        " FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id"
        " LEFT JOIN campaign_deliveries x ON x.campaign_uid = ? AND x.address = r.address"
        " WHERE r.campaign_id = ? ORDER BY r.rowid",
        [campaign.uid, campaign.uid, campaign.id]).fetchall()
    return [_recipient(*row) for row in rows]


def _recipient(address, contact_id, name, deleted_at, opted_out, has_address, failed_elsewhere,
               state, reason, attempts, message_id) -> Recipient:
    def made(state_: str, why: str = "") -> Recipient:
        return Recipient(address, contact_id, name, state_, why or reason or "",
                         attempts or 0, message_id)

    if state == "sent":
        return made("sent")
    if state in ("sending", "unknown"):
        return made("unknown", "in flight when a run stopped: it may have been delivered")
    if state == "failed":
        return made("failed")
    if opted_out:
        return made("skipped", "opted out of campaign mail (crm edit --mail)")
    if failed_elsewhere:
        return made("skipped", "the address failed hard in another campaign")
    if deleted_at:
        return made("skipped", "the contact is in the trash")
    if not has_address:
        return made("skipped", "the contact no longer has this address")
    return made("pending")


def counts(db: Connection, campaign: Campaign) -> dict[str, int]:
    found = dict.fromkeys(STATES, 0)
    for recipient in recipients(db, campaign):
        found[recipient.state] += 1
    return found


def to_send(db: Connection, campaign: Campaign, retry_unknown: bool = False
            ) -> list[Recipient]:
    """The recipients a run sends to: the pending ones (and the unknown ones when asked)."""
    wanted = ("pending", "unknown") if retry_unknown else ("pending",)
    return [r for r in recipients(db, campaign) if r.state in wanted]


# ---------------------------------------------------------------------------------- delivery
# Delivery state is written outside the journal (an undo never mails anyone again).


def start_delivery(db: Connection, campaign: Campaign, address: str, message_id: str) -> None:
    """Committed before the message leaves: if the run dies now, the address reads unknown."""
    with transaction(db):
        db.execute(
            "INSERT INTO campaign_deliveries (campaign_uid, address, state, attempts, message_id,"
            " updated_at) VALUES (?, ?, 'sending', 1, ?, ?)"
            " ON CONFLICT (campaign_uid, address) DO UPDATE SET state = 'sending',"
            " attempts = attempts + 1, message_id = excluded.message_id,"
            " updated_at = excluded.updated_at",
            [campaign.uid, address, message_id, now_stamp(db)])


def finish_delivery(db: Connection, campaign: Campaign, address: str, state: str,
                    reason: str = "") -> None:
    """Record the outcome: sent, failed, or refused for now (deferred, failed after
    MAX_TRIES). Call inside the transaction that logs the message on the contact."""
    if state == "deferred":
        attempts = db.execute("SELECT attempts FROM campaign_deliveries WHERE campaign_uid = ?"
                              " AND address = ?", [campaign.uid, address]).fetchone()[0]
        if attempts >= MAX_TRIES:
            state, reason = "failed", f"{reason} (refused {attempts} times)"
    db.execute("UPDATE campaign_deliveries SET state = ?, reason = ?, updated_at = ?"
               " WHERE campaign_uid = ? AND address = ?",
               [state, reason or None, now_stamp(db), campaign.uid, address])


def failed_addresses(db: Connection, contact_id: int) -> list[tuple[str, str]]:
    """The contact's addresses that failed hard in a campaign, with why."""
    return db.execute(
        "SELECT DISTINCT f.address, coalesce(f.reason, '') FROM campaign_deliveries f"
        " JOIN contact_details d ON d.norm = f.address AND d.kind = 'email'"
        " WHERE d.contact_id = ? AND f.state = 'failed'", [contact_id]).fetchall()


# ---------------------------------------------------------------------------------- opt-out


def set_opt_out(db: Connection, contact_id: int, opted_out: bool) -> bool:
    """Mark (or clear) a contact as never to be mailed by a campaign; whether it changed. A
    change is a change of the contact (its version moves, so sync carries it)."""
    with transaction(db):
        if opted_out:
            changed = db.execute("INSERT OR IGNORE INTO mail_opt_outs (contact_id, since)"
                                 " VALUES (?, ?)", [contact_id, now_stamp(db)]).rowcount > 0
        else:
            changed = db.execute("DELETE FROM mail_opt_outs WHERE contact_id = ?",
                                 [contact_id]).rowcount > 0
        if changed:
            db.execute("UPDATE contacts SET updated_at = ? WHERE id = ?",
                       [now_stamp(db), contact_id])
    return changed


def opted_out(db: Connection, contact_id: int) -> bool:
    return db.execute("SELECT 1 FROM mail_opt_outs WHERE contact_id = ?",
                      [contact_id]).fetchone() is not None


def opted_out_among(db: Connection, contact_ids: list[int]) -> set[int]:
    """Which of ``contact_ids`` (a batch of at most a few hundred) refuse campaign mail."""
    marks = ",".join("?" * len(contact_ids))
    return {row[0] for row in db.execute(
        f"SELECT contact_id FROM mail_opt_outs WHERE contact_id IN ({marks})", contact_ids)}


def to_record(campaign: Campaign, tally: dict[str, int]) -> dict:
    return {"name": campaign.name, "query": campaign.query,
            "created_at": campaign.created_at, **tally}


def recipient_record(recipient: Recipient) -> dict:
    return {"address": recipient.address, "contact_id": recipient.contact_id,
            "name": recipient.contact_name, "state": recipient.state,
            "reason": recipient.reason, "attempts": recipient.attempts,
            "message_id": recipient.message_id}


def _json(values: list) -> str:
    import json

    return json.dumps(values)


def log_sent(db: Connection, contact_id: int, happened_at: str, subject: str,
             campaign: Campaign, message_id: str) -> None:
    from crmcli.activity import log_campaign_mail

    log_campaign_mail(db, contact_id, happened_at, subject, campaign.name, message_id)


def open_deals(db: Connection, contact_ids: list[int]) -> dict[int, list[dict]]:
    """Each contact's open deals, as a template sees them: title, stage, value."""
    from crmcli.money import amount_text

    found: dict[int, list[dict]] = {}
    for contact_id, title, stage, amount, currency in db.execute(
            "SELECT contact_id, title, stage, amount_minor, currency FROM deals"
            " WHERE deleted_at IS NULL AND stage NOT IN ('won', 'lost')"
            " AND contact_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            [_json(contact_ids)]):
        value = f"{amount_text(amount, currency)} {currency}" if amount is not None else ""
        found.setdefault(contact_id, []).append({"title": title, "stage": stage,
                                                 "value": value})
    return found


def mail_notes(db: Connection, contact_id: int) -> list[str]:
    """What the contact's page says about campaign mail: an opt-out, addresses that failed."""
    notes = ["No campaign mail (crm edit --mail allows it)"] if opted_out(db, contact_id) else []
    return notes + [f"{address}: campaign mail failed ({reason})"
                    for address, reason in failed_addresses(db, contact_id)]


def forget_addresses(db: Connection, contact_ids: list[int]) -> None:
    """Drop what was delivered to the addresses of people being forgotten."""
    db.execute("DELETE FROM campaign_deliveries WHERE address IN (SELECT norm FROM"
               " contact_details WHERE kind = 'email' AND contact_id IN"
               " (SELECT value FROM json_each(?)))", [_json(contact_ids)])


def sent_by_a_campaign(db: Connection, message_id: str) -> bool:
    """Whether a campaign sent (or tried to send) the message ``message_id``."""
    return db.execute("SELECT 1 FROM campaign_deliveries WHERE message_id = ? LIMIT 1",
                      [message_id]).fetchone() is not None
