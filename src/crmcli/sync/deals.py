"""Deals as tasks in a collection of their own ([sync] deals, off unless set), so that a second
computer has the pipeline and the phone shows what is to close when.

What a deal's VTODO holds: SUMMARY (the title), DUE (the close date, a DATE), STATUS
(NEEDS-ACTION while open, COMPLETED when won, CANCELLED when lost), CONTACT (the name) with the
contact's UID in X-CRMCLI-CONTACT-UID, X-CRMCLI-COMPANY, X-CRMCLI-STAGE, X-CRMCLI-VALUE and
X-CRMCLI-CURRENCY, X-CRMCLI-LOST-REASON and the stage history in X-CRMCLI-STAGE-HISTORY (JSON:
``[[changed_at, from, to], ...]``), and a DESCRIPTION for people.

A phone may move DUE (the close date moves) and rename the task. Ticking it done or cancelled
on a phone is not taken as won or lost (that is a decision with a reason, made in crm): it is
reported and the task restored. Another computer's crm changes the stage through the X-
properties; a stage this computer's pipeline lacks is kept (listings call the deal orphaned).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import replace
from sqlite3 import Connection

from crmcli import companies, contacts, deal_copies, deals, money
from crmcli.errors import CrmError
from crmcli.models import Deal
from crmcli.stages import LOST, WON
from crmcli.sync import ical, xprops
from crmcli.sync.items import Adapter, Row, Run, Step
from crmcli.sync.props import Props

X_CONTACT = "X-CRMCLI-CONTACT-UID"
X_COMPANY = "X-CRMCLI-COMPANY"
X_STAGE = "X-CRMCLI-STAGE"
X_VALUE = "X-CRMCLI-VALUE"
X_CURRENCY = "X-CRMCLI-CURRENCY"
X_LOST_REASON = "X-CRMCLI-LOST-REASON"
X_HISTORY = "X-CRMCLI-STAGE-HISTORY"
# What only another crm changes (through the X- properties), and what a phone may change too.
CRM_FIELDS = ("stage", "history", "value", "currency", "lost_reason", "contact", "company")
PHONE_FIELDS = ("title", "close")
_STATUS = {WON: "COMPLETED", LOST: "CANCELLED"}
_NAMESPACE = uuid.UUID("0b9e3c1e-5f55-4d2f-8a0e-7c4b5e2d9f31")

_ROW = ("SELECT d.id, d.title, d.stage, d.amount_minor, d.currency, d.close_on,"
        " d.lost_reason, c.uid, c.name, co.name, d.created_at, d.version, d.deleted_at,"
        " d.updated_at FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id"
        " LEFT JOIN companies co ON co.id = d.company_id")


def deal_uid(deal_id: int, created_at: str) -> str:
    """The UID of a deal's task: the same on every run, unlike any other book's."""
    return str(uuid.uuid5(_NAMESPACE, f"{deal_id}:{created_at}"))


class Deals(Adapter):
    name = "deals"
    component = "VTODO"

    # ------------------------------------------------------------------ reading the book

    def rows(self, db: Connection) -> dict[int, Row]:
        return {row_id: Row(f"{version}", deleted is None, deal_uid(row_id, created),
                            deleted is not None)
                for row_id, created, version, deleted in db.execute(
                    "SELECT id, created_at, version, deleted_at FROM deals")}

    def version(self, db: Connection, row_id: int) -> str:
        row = db.execute("SELECT version FROM deals WHERE id = ?", [row_id]).fetchone()
        return str(row[0]) if row else ""

    def props(self, db: Connection, row_id: int) -> Props:
        row = db.execute(f"{_ROW} WHERE d.id = ?", [row_id]).fetchone()
        return {"title": row[1], "close": row[5], "stage": row[2],
                "status": _STATUS.get(row[2], "NEEDS-ACTION"),
                "value": None if row[3] is None else money.amount_text(row[3], row[4]),
                "currency": row[4], "lost_reason": row[6], "contact": row[7],
                "company": row[9], "history": [list(c) for c in deal_copies.history(db, row_id)]}

    # ------------------------------------------------------------------ reading a task

    def read(self, item: ical.Item) -> Props:
        due = item.moment("DUE")
        if isinstance(due, dt.datetime):
            due = due.date()
        status = (item.text("STATUS") or "NEEDS-ACTION").upper()
        if item.moment("COMPLETED") and status != "CANCELLED":
            status = "COMPLETED"
        history = xprops.read(item, X_HISTORY)
        return {"title": " ".join((item.text("SUMMARY") or "").split()),
                "close": due.isoformat() if due else None, "stage": xprops.read(item, X_STAGE),
                "status": status if status in ("COMPLETED", "CANCELLED") else "NEEDS-ACTION",
                "value": xprops.read(item, X_VALUE),
                "currency": xprops.read(item, X_CURRENCY),
                "lost_reason": xprops.read(item, X_LOST_REASON),
                "contact": xprops.read(item, X_CONTACT), "company": xprops.read(item, X_COMPANY),
                "history": _history(history) if history else []}

    # ------------------------------------------------------------------ writing a task

    def render(self, run: Run, row_id: int, original: ical.Item | None) -> ical.Item:
        row = run.db.execute(f"{_ROW} WHERE d.id = ?", [row_id]).fetchone()
        props = self.props(run.db, row_id)
        item = original or ical.new("VTODO", deal_uid(row_id, row[10]))
        ical.replace(item, "SUMMARY", props["title"])
        ical.replace(item, "DUE", dt.date.fromisoformat(props["close"]) if props["close"]
                     else None)
        start = item.moment("DTSTART")
        if start is not None and (props["close"] is None or not isinstance(start, dt.date)
                                  or isinstance(start, dt.datetime)):
            ical.replace(item, "DTSTART", None)  # DTSTART of DUE's type, or none
        ical.replace(item, "STATUS", props["status"])
        ical.replace(item, "COMPLETED", None)
        ical.replace(item, "PERCENT-COMPLETE", None)
        ical.replace(item, "CONTACT", row[8])
        for name, key in ((X_CONTACT, "contact"), (X_COMPANY, "company"), (X_STAGE, "stage"),
                          (X_VALUE, "value"), (X_CURRENCY, "currency"),
                          (X_LOST_REASON, "lost_reason")):
            xprops.write(item, name, props[key])
        xprops.write(item, X_HISTORY, json.dumps(props["history"], separators=(",", ":")))
        ical.replace(item, "DESCRIPTION", _description(row, props))
        return item

    def file_name(self, db: Connection, row_id: int) -> str:
        (created,) = db.execute("SELECT created_at FROM deals WHERE id = ?", [row_id]).fetchone()
        return f"{deal_uid(row_id, created)}.ics"

    # ------------------------------------------------------------------ changes from outside

    def create(self, run: Run, step: Step) -> int | None:
        """A deal another computer's crm wrote (its X- properties say so); a task a phone
        made here is not a deal: reported, left alone."""
        own = {row.uid: row_id for row_id, row in self.rows(run.db).items()}
        if step.item.uid in own:
            return own[step.item.uid]
        phone = step.phone
        if not (phone["stage"] and phone["currency"] and phone["title"]):
            run.report(f"{step.href}: not a deal crm wrote (no stage); left alone")
            return None
        try:
            return deal_copies.adopt(run.db, self._deal(run.db, Deal(
                title=phone["title"], currency=phone["currency"], stage=phone["stage"]),
                phone), [tuple(change) for change in phone["history"]]).id
        except CrmError as exc:
            run.report(f"{step.href}: not imported: {exc}")
            return None

    def take(self, run: Run, step: Step) -> None:
        db, base, phone = run.db, step.base.props, step.phone
        crm = self.props(db, step.row_id)
        if phone["status"] != base["status"] and phone["stage"] == base["stage"]:
            run.report(f"{step.href}: ticked {phone['status'].lower()} on the phone; not taken "
                       f"as won or lost (crm deal won/lost {step.row_id}); the task is restored")
        merged = dict(crm)
        for field in (*PHONE_FIELDS, *CRM_FIELDS):
            if phone[field] == base[field] or (field != "close" and phone[field] is None):
                continue
            if crm[field] in (base[field], phone[field]) or self._phone_wins(
                    run, step, field, crm[field]):
                merged[field] = phone[field]
        if merged != crm:
            self._write(run, step, merged, crm)

    def _phone_wins(self, run: Run, step: Step, field: str, crm_value) -> bool:
        (changed_at,) = run.db.execute("SELECT updated_at FROM deals WHERE id = ?",
                                       [step.row_id]).fetchone()
        wins = run.phone_wins(step, changed_at)
        kept, lost = (step.phone[field], crm_value) if wins else (crm_value, step.phone[field])
        run.conflict(step.href, step.row_id, field, kept, lost, "phone" if wins else "crm")
        return wins

    def _write(self, run: Run, step: Step, merged: Props, crm: Props) -> None:
        db = run.db
        try:
            deal = deals.get(db, step.row_id)
            deals.update(db, self._deal(db, replace(deal, title=merged["title"] or deal.title,
                                                    close_on=merged["close"]), merged))
            if (merged["stage"], merged["history"]) != (crm["stage"], crm["history"]):
                deal_copies.take_stage(db, deal, merged["stage"],
                                       [tuple(change) for change in merged["history"]],
                                       merged["lost_reason"])
        except CrmError as exc:
            run.report(f"{step.href}: kept crm's deal: {exc}")

    def _deal(self, db: Connection, deal: Deal, props: Props) -> Deal:
        """``deal`` with the value, currency, contact, company and close date of ``props``."""
        currency = money.check_currency(props["currency"] or deal.currency)
        value = props["value"]
        contact = contacts.find_by_uid(db, props["contact"]) if props["contact"] else None
        company = companies.find(db, props["company"]) if props["company"] else None
        return replace(deal, currency=currency, close_on=props["close"],
                       amount_minor=money.parse_amount(value, currency) if value else None,
                       contact_id=contact.id if contact else deal.contact_id,
                       company_id=company.id if company else deal.company_id)

    def cancel(self, run: Run, step: Step) -> None:
        deals.delete(run.db, step.row_id)
        run.report(f"{step.href}: deleted on the other side: deal {step.row_id} deleted "
                   f"(crm deal restore {step.row_id} brings it back)")

    def restore(self, run: Run, step: Step) -> None:
        deals.restore(run.db, step.row_id)


def _history(text: str) -> list[list]:
    """The stage history of X-CRMCLI-STAGE-HISTORY; an unreadable one is taken as none."""
    try:
        changes = json.loads(text)
    except ValueError:
        return []
    if not isinstance(changes, list) or not all(
            isinstance(c, list) and len(c) == 3 and all(v is None or isinstance(v, str)
                                                        for v in c) for c in changes):
        return []
    return changes


def _description(row: tuple, props: Props) -> str:
    value = "" if props["value"] is None else f" · {props['value']} {props['currency']}"
    who = " · ".join(name for name in (row[8], row[9]) if name)
    return f"Deal: {props['stage']}{value}" + (f"\nWith: {who}" if who else "")
