"""Service cases as tasks in a collection of their own ([sync] cases, off unless set), so that
the phone shows the open cases with the date promised to the customer.

What a case's VTODO holds: SUMMARY (the title), DUE (the promise as a UTC DATE-TIME: the
promise plus the time the case has waited, see crmcli.cases; none while it waits with no end),
STATUS (NEEDS-ACTION when open, IN-PROCESS while waiting on the customer, COMPLETED once
resolved, CANCELLED when closed unresolved; as of the sync's moment: a wait whose --until has
passed is over, so the case is open and goes to the phone again though no one changed it),
PRIORITY (1 urgent, 3 high, 5 normal, 9 low), CONTACT (the name) with the contact's UID in
X-CRMCLI-CONTACT-UID, and a DESCRIPTION for people. A case goes to the phone while it is open
or waiting; once on the phone it stays there, updated, until the phone deletes it.

Ticking the task done on the phone (COMPLETED) resolves the case in crm, and cancelling it
closes the case. Anything else changed on the phone (the title, the date promised) is crm's
to say: the task is written again as crm has it. A task the phone made in the collection is
no case: reported and left alone; a task deleted on the phone leaves the case as it is.
"""

from __future__ import annotations

import datetime as dt
from sqlite3 import Connection

from crmcli import cases
from crmcli.dates import parse_stamp, stamp
from crmcli.errors import CrmError, number_up_to
from crmcli.sync import ical, xprops
from crmcli.sync.items import Adapter, Row, Run, Step
from crmcli.sync.props import Props

X_CONTACT = "X-CRMCLI-CONTACT-UID"
PRIORITY = {"urgent": 1, "high": 3, "normal": 5, "low": 9}
_STATUS = {"open": "NEEDS-ACTION", "waiting": "IN-PROCESS", "resolved": "COMPLETED",
           "closed": "CANCELLED"}
_ROW = ("SELECT k.title, {status}, k.priority, k.due_at, k.paused_seconds, k.waiting_since,"
        " k.waiting_until, k.resolved_at, c.uid, c.name, co.name, k.uid FROM cases k"
        " LEFT JOIN contacts c ON c.id = k.contact_id"
        " LEFT JOIN companies co ON co.id = k.company_id WHERE k.id = ?")


class Cases(Adapter):
    """The cases as of ``now``: a wait that has ended by then shows as open."""

    name = "cases"
    component = "VTODO"

    def __init__(self, now: dt.datetime) -> None:
        self.now = stamp(now)
        self._row = _ROW.format(status=cases.effective_sql(now)[0])

    # ------------------------------------------------------------------ reading the book

    def rows(self, db: Connection) -> dict[int, Row]:
        return {row_id: Row(self._version(version, status, until), status in cases.LIVE, uid)
                for row_id, uid, version, status, until in db.execute(
                    "SELECT id, uid, version, status, waiting_until FROM cases")}

    def version(self, db: Connection, row_id: int) -> str:
        row = db.execute("SELECT version, status, waiting_until FROM cases WHERE id = ?",
                         [row_id]).fetchone()
        return self._version(*row) if row else ""

    def _version(self, version: int, status: str, until: str | None) -> str:
        """The row's version, marked once its wait has ended: the task changes then."""
        ended = status == "waiting" and until is not None and until <= self.now
        return f"{version}-wait-over" if ended else str(version)

    def props(self, db: Connection, row_id: int) -> Props:
        row = db.execute(self._row, [row_id]).fetchone()
        resolved_and_closed = row[1] == "closed" and row[7] is not None
        return {"title": row[0], "status": "COMPLETED" if resolved_and_closed else _STATUS[row[1]],
                "due": _due(row),
                "priority": PRIORITY[row[2]], "contact": row[8]}

    # ------------------------------------------------------------------ reading a task

    def read(self, item: ical.Item) -> Props:
        status = (item.text("STATUS") or "NEEDS-ACTION").upper()
        if item.moment("COMPLETED") and status != "CANCELLED":
            status = "COMPLETED"
        due = item.moment("DUE")
        if due is not None and not isinstance(due, dt.datetime):
            due = dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=dt.UTC)
        return {"title": " ".join((item.text("SUMMARY") or "").split()),
                "status": status if status in _STATUS.values() else "NEEDS-ACTION",
                "due": stamp(due if due.tzinfo else due.replace(tzinfo=dt.UTC)) if due else None,
                "priority": number_up_to(item.text("PRIORITY"), 9),  # RFC 5545: 0 to 9
                "contact": xprops.read(item, X_CONTACT)}

    # ------------------------------------------------------------------ writing a task

    def render(self, run: Run, row_id: int, original: ical.Item | None) -> ical.Item:
        row = run.db.execute(self._row, [row_id]).fetchone()
        props = self.props(run.db, row_id)
        item = original or ical.new("VTODO", row[11])
        ical.replace(item, "SUMMARY", props["title"])
        ical.replace(item, "DTSTART", None)
        ical.replace(item, "DUE", parse_stamp(props["due"]) if props["due"] else None)
        ical.replace(item, "STATUS", props["status"])
        resolved = props["status"] == "COMPLETED"
        ical.replace(item, "COMPLETED", parse_stamp(row[7]) if resolved and row[7] else None)
        ical.replace(item, "PERCENT-COMPLETE", 100 if resolved else None)
        ical.replace(item, "PRIORITY", props["priority"])
        ical.replace(item, "CONTACT", row[9] or row[10])
        xprops.write(item, X_CONTACT, props["contact"])
        ical.replace(item, "DESCRIPTION", _description(row))
        return item

    def file_name(self, db: Connection, row_id: int) -> str:
        (uid,) = db.execute("SELECT uid FROM cases WHERE id = ?", [row_id]).fetchone()
        return f"{uid}.ics"

    # ------------------------------------------------------------------ changes from outside

    def create(self, run: Run, step: Step) -> int | None:
        row = run.db.execute("SELECT id FROM cases WHERE uid = ?", [step.item.uid]).fetchone()
        if row is not None:  # this book's own task (a run killed before its base row)
            return row[0]
        run.report(f"{step.href}: not a case crm wrote; left alone (crm case open makes one)")
        return None

    def take(self, run: Run, step: Step) -> None:
        """Done on the phone resolves the case, cancelled closes it; the rest is crm's."""
        status, was = step.phone["status"], step.base.props["status"]
        if status == was or status not in ("COMPLETED", "CANCELLED"):
            return
        case = cases.get(run.db, step.row_id, run.now)
        try:
            if status == "COMPLETED" and case.status in cases.LIVE:
                cases.resolve_case(run.db, case, run.now, "resolved on the phone")
                run.report(f"{step.href}: done on the phone: case {case.id} resolved")
            elif status == "CANCELLED" and case.status != "closed":
                cases.close(run.db, case, run.now)
                run.report(f"{step.href}: cancelled on the phone: case {case.id} closed")
        except CrmError as exc:
            run.report(f"{step.href}: kept crm's case: {exc}")

    def cancel(self, run: Run, step: Step) -> None:
        run.report(f"{step.href}: deleted on the phone; case {step.row_id} is left as it is")

    def restore(self, run: Run, step: Step) -> None:
        """Cases are never deleted in crm; nothing to bring back."""


def _due(row: tuple) -> str | None:
    """The promise, the time waited added: none while waiting with no end in sight. A wait
    is recorded (``since``) until the case next changes, ended or not."""
    due_at, paused, since, until = row[3], row[4], row[5], row[6]
    if due_at is None or (since is not None and until is None):
        return None
    moment = parse_stamp(due_at) + dt.timedelta(seconds=paused)
    if since is not None:
        moment += parse_stamp(until) - parse_stamp(since)
    return stamp(moment)


def _description(row: tuple) -> str:
    who = " · ".join(name for name in (row[9], row[10]) if name)
    waiting = "\nWaiting on the customer: the due clock is paused" if row[1] == "waiting" else ""
    return f"Service case ({row[2]})" + (f"\nWith: {who}" if who else "") + waiting
