"""Follow-ups as tasks ([sync] tasks): one VTODO per follow-up series, for tasks.org, jtx Board,
Thunderbird, iOS Reminders... (see docs/sync.md).

What a task holds: SUMMARY (the text), DUE (a DATE for an all-day follow-up, a DATE-TIME with
the TZID of the zone it was typed in otherwise), DTSTART of the same type on the rule and RRULE
for a recurring one, STATUS, CONTACT (the name) with the contact's UID in X-CRMCLI-CONTACT-UID,
DESCRIPTION with the related deal, and crm's own rule in X-CRMCLI-RULE, a timed series' time of
day apart in X-CRMCLI-RULE-AT (another computer reads it back exactly; a phone keeps it; a crm
from before series kept their time reads the rule without it).

Done on a phone comes back in each client's style, each occurrence done once: STATUS:COMPLETED;
DUE moved to exactly the next date of the rule (tasks.org; any other move is a snooze); the
task completed and the next opened as a new task (Thunderbird: that task is adopted as the
next occurrence); a completed copy under a new UID and the original moved on (iOS: the copy is
recognised as the occurrence done, not imported).
"""

from __future__ import annotations

import datetime as dt
import re
from sqlite3 import Connection

from crmcli import contacts, followups, recurrence
from crmcli.dates import When, parse_stamp, stamp
from crmcli.errors import InvalidInput
from crmcli.models import FollowUp
from crmcli.normalize import fold
from crmcli.sync import ical, xprops
from crmcli.sync.items import Adapter, Row, Run, Step
from crmcli.sync.props import Props

X_CONTACT = "X-CRMCLI-CONTACT-UID"
X_RULE = "X-CRMCLI-RULE"
X_RULE_AT = "X-CRMCLI-RULE-AT"  # "02:30" of "1d at 02:30": X_RULE stays one earlier crm reads
X_FROM_DONE = "X-CRMCLI-FROM-DONE"
X_DONE = "X-CRMCLI-DONE"  # occurrences of the series done: another book replays the new ones
MAX_REPLAYED = 20
_FREQ_UNITS = {"DAILY": "d", "WEEKLY": "w", "MONTHLY": "m", "YEARLY": "y"}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SPAN_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "yearly": 366}

_ROW = ("SELECT f.id, f.contact_id, f.deal_id, f.due, f.has_time, f.body, f.rule, f.from_done,"
        " f.done_at, f.created_at, f.updated_at, f.zone, f.uid, f.deleted_at, c.uid, c.name,"
        " d.title FROM followups f LEFT JOIN contacts c ON c.id = f.contact_id"
        " LEFT JOIN deals d ON d.id = f.deal_id AND d.deleted_at IS NULL WHERE f.id = ?")


class Tasks(Adapter):
    name = "tasks"
    component = "VTODO"

    def __init__(self, zone: dt.tzinfo):
        self.zone = zone  # where floating times are read and zone-less follow-ups written

    # ------------------------------------------------------------------ reading the book

    def rows(self, db: Connection) -> dict[int, Row]:
        rows: dict[int, Row] = {}
        open_by_uid: dict[str, int] = {}
        for row_id, uid, version, done, deleted in db.execute(
                "SELECT f.id, f.uid, f.version, f.done_at IS NOT NULL, f.deleted_at IS NOT NULL"
                " OR c.deleted_at IS NOT NULL FROM followups f"
                " LEFT JOIN contacts c ON c.id = f.contact_id ORDER BY f.id"):
            rows[row_id] = Row(str(version), not (done or deleted), uid, bool(deleted))
            if not (done or deleted):
                open_by_uid[uid] = row_id
        for row_id, row in rows.items():
            following = open_by_uid.get(row.uid)
            if not row.live and not row.gone and following and following > row_id:
                row.successor = following
        return rows

    def version(self, db: Connection, row_id: int) -> str:
        row = db.execute("SELECT version FROM followups WHERE id = ?", [row_id]).fetchone()
        return str(row[0]) if row else ""

    def props(self, db: Connection, row_id: int) -> Props:
        followup, contact_uid, _, _, deleted = _load(db, row_id)
        status = "cancelled" if deleted else "done" if followup.done_at else "open"
        return {"summary": followup.body, "due": followup.due, "status": status,
                "rule": followup.rule, "from_done": followup.from_done, "contact": contact_uid,
                "done": _done_count(db, followup.uid)}

    # ------------------------------------------------------------------ reading a task

    def read(self, item: ical.Item) -> Props:
        status = (item.text("STATUS") or "").upper()
        if status != "CANCELLED" and (status == "COMPLETED" or item.moment("COMPLETED")):
            status = "done"
        return {"summary": " ".join((item.text("SUMMARY") or "").split()),
                "due": self._due_text(item.moment("DUE") or item.moment("DTSTART")),
                "status": {"CANCELLED": "cancelled", "done": "done"}.get(status, "open"),
                "rule": _crm_rule(item) or _rule_of(item),
                "from_done": (xprops.read(item, X_FROM_DONE) or "").upper() == "TRUE",
                "contact": xprops.read(item, X_CONTACT), "done": _number(xprops.read(item, X_DONE))}

    def _due_text(self, value: dt.date | dt.datetime | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            return value.isoformat()
        return stamp(value if value.tzinfo else value.replace(tzinfo=self.zone))

    # ------------------------------------------------------------------ writing a task

    def render(self, run: Run, row_id: int, original: ical.Item | None) -> ical.Item:
        followup, contact_uid, contact_name, deal, deleted = _load(run.db, row_id)
        item = original or ical.new("VTODO", followup.uid)
        ical.replace(item, "SUMMARY", followup.body or "Follow up")
        due = self._due_value(followup)
        ical.replace(item, "DUE", due)
        rule = recurrence.parse_rule(followup.rule) if followup.rule else None
        self._start_and_rule(item, followup, rule, due)
        _status(item, "CANCELLED" if deleted else "COMPLETED" if followup.done_at
                else "NEEDS-ACTION", followup.done_at)
        ical.replace(item, "CONTACT", contact_name)
        xprops.write(item, X_CONTACT, contact_uid)
        days, _, time_of_day = (followup.rule or "").partition(" at ")
        xprops.write(item, X_RULE, days or None)
        xprops.write(item, X_RULE_AT, time_of_day or None)
        xprops.write(item, X_FROM_DONE, "TRUE" if followup.from_done else None)
        xprops.write(item, X_DONE, str(_done_count(run.db, followup.uid)))
        details = [f"Deal: {deal}"] if deal else []
        if rule and followup.from_done:
            details.append(f"Repeats {recurrence.describe(rule)}, counting from when it is "
                           "done")
        if details:
            ical.replace(item, "DESCRIPTION", "\n".join(details))
        return item

    def _due_value(self, followup: FollowUp) -> dt.date | dt.datetime:
        if not followup.has_time:
            return dt.date.fromisoformat(followup.due)
        zone = followups.own_zone(followup, self.zone)
        if getattr(zone, "key", None) is None:
            zone = dt.UTC
        return parse_stamp(followup.due).astimezone(zone).replace(tzinfo=zone)

    def _start_and_rule(self, item: ical.Item, followup: FollowUp, rule, due) -> None:
        """A recurring task starts on its rule (DTSTART of DUE's type, on or before DUE);
        another keeps a DTSTART of DUE's type not after it, and a rule made on the phone that
        crm does not know (one with an end, say) is kept as it is."""
        if rule is None or followup.from_done:
            start = item.moment("DTSTART")
            if start is not None and not _starts_by(start, due):
                ical.replace(item, "DTSTART", None)
            phones_own = item.component.get("RRULE") if not xprops.read(item, X_RULE) else None
            if phones_own is not None and item.moment("DTSTART") is not None:
                ical.set_rule(item, phones_own.to_ical().decode())  # kept, UNTIL made UTC
            else:
                ical.set_rule(item, None)
            return
        start = _on_rule(rule, due)
        ical.replace(item, "DTSTART", start)
        wall = start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time())
        ical.set_rule(item, recurrence.ical_rrule(rule, wall))

    def file_name(self, db: Connection, row_id: int) -> str:
        (uid,) = db.execute("SELECT uid FROM followups WHERE id = ?", [row_id]).fetchone()
        return re.sub(r"[^A-Za-z0-9._@-]", "-", uid)[:200] + ".ics"

    # ------------------------------------------------------------------ phone's changes

    def create(self, run: Run, step: Step) -> int | None:
        phone, item, db = step.phone, step.item, run.db
        known = _series_row(db, item.uid)
        if known is not None:  # this book's own task (a run killed before its base row)
            return known
        if phone["status"] == "open":
            for row_id in list(run.later):  # a client that opened the next occurrence itself
                if self.props(db, row_id)["summary"] == phone["summary"]:
                    run.claim(row_id)
                    run.report(f"{step.href}: taken as the next occurrence of follow-up "
                               f"{row_id}")
                    return row_id
        if phone["status"] == "done":
            copy = _done_occurrence(db, phone["summary"], phone["due"])
            if copy is not None:  # a completed copy of an occurrence done (iOS)
                return copy
        if phone["status"] == "cancelled":
            return None
        return self._new_followup(run, step)

    def _new_followup(self, run: Run, step: Step) -> int | None:
        phone, item, db = step.phone, step.item, run.db
        contact_id = _contact(db, item, phone)
        try:
            rule = recurrence.parse_rule(phone["rule"]).text if phone["rule"] else None
        except InvalidInput:
            rule = None
        if rule is None and item.component.get("RRULE") is not None:
            run.report(f"{step.href}: its repeat rule is not one crm knows; imported once")
        done = phone["status"] == "done"
        created = followups.create(
            db, contact_id, self._when(item, phone["due"], run.now), phone["summary"],
            None if done else rule, bool(rule and phone["from_done"] and not done), uid=item.uid)
        if done:
            followups.mark_done(db, created.id, run.now)
        return created.id

    def _when(self, item: ical.Item, due: str | None, now: dt.datetime) -> When:
        """A phone's due moment as a When, in the zone of its TZID when it names one."""
        if due is None:
            return When(now.replace(hour=0, minute=0, second=0, microsecond=0), False)
        if "T" not in due:
            day = dt.date.fromisoformat(due)
            return When(dt.datetime.combine(day, dt.time(), tzinfo=self.zone), False)
        moment = item.moment("DUE") or item.moment("DTSTART")
        zone = moment.tzinfo if getattr(moment.tzinfo, "key", None) else self.zone
        return When(parse_stamp(due).astimezone(zone), True)

    def take(self, run: Run, step: Step) -> None:
        base, phone, db = step.base.props, step.phone, run.db
        followup, *_ = _load(db, step.row_id)
        if step.row_id != step.base.row_id or followup.done_at:
            return  # done in crm meanwhile: done once, crm's next occurrence stands
        if phone["status"] == "cancelled" and base["status"] != "cancelled":
            followups.delete(db, followup.id)
            run.report(f"{step.href}: cancelled on the phone: follow-up {followup.id} deleted "
                       "(crm undo brings it back)")
            return
        followup = self._merge_values(run, step, followup)
        if phone["status"] == "done" and base["status"] != "done":
            _, following = followups.mark_done(db, followup.id, run.now)
            if following is not None:
                run.write_later(step.href, following.id)
        elif (phone["done"] or 0) > (base["done"] or 0) and followup.rule:
            self._replay(run, step, followup, phone["done"] - base["done"])
        elif phone["due"] and phone["due"] != base["due"] and phone["status"] == "open":
            if self._is_next(followup, phone["due"], run.now):
                _, following = followups.mark_done(db, followup.id, run.now)
                if following.due != phone["due"]:
                    following = followups.update(db, _with_due(following, phone["due"]))
                step.row_id = following.id
            elif self._keep(run, step, "due", followup.due):
                followups.update(db, _with_due(followup, phone["due"]))

    def _replay(self, run: Run, step: Step, followup: FollowUp, count: int) -> None:
        """Occurrences another book marked done (its X-CRMCLI-DONE went up): done here too,
        the last next occurrence due when that book's is."""
        for _ in range(min(count, MAX_REPLAYED)):
            _, following = followups.mark_done(run.db, followup.id, run.now)
            if following is None:
                return
            followup = following
        if step.phone["due"] and followup.due != step.phone["due"]:
            followup = followups.update(run.db, _with_due(followup, step.phone["due"]))
        step.row_id = followup.id

    def _merge_values(self, run: Run, step: Step, followup: FollowUp) -> FollowUp:
        """The phone's new text and rule, where the phone's change is the one to keep."""
        changes = {}
        summary = step.phone["summary"]
        if (summary and summary != step.base.props["summary"]
                and self._keep(run, step, "summary", followup.body)):
            changes["body"] = summary
        rule = step.phone["rule"]
        if rule and rule != step.base.props["rule"] and self._keep(run, step, "rule",
                                                                    followup.rule):
            try:
                changes["rule"] = recurrence.parse_rule(rule).text
                changes["from_done"] = step.phone["from_done"]
            except InvalidInput:
                run.report(f"{step.href}: its repeat rule is not one crm knows; kept crm's")
        if not changes:
            return followup
        from dataclasses import replace

        return followups.update(run.db, replace(followup, **changes))

    def _keep(self, run: Run, step: Step, field: str, crm_value) -> bool:
        """Whether the phone's value of ``field`` is taken: crm did not change it since the
        base, or the phone's change is the newer (the loser goes to the conflicts log)."""
        was, phone_value = step.base.props[field], step.phone[field]
        if crm_value in (was, phone_value):
            return True
        followup, *_ = _load(run.db, step.row_id)
        wins = run.phone_wins(step, followup.updated_at)
        kept, lost = (phone_value, crm_value) if wins else (crm_value, phone_value)
        run.conflict(step.href, step.row_id, field, kept, lost, "phone" if wins else "crm")
        return wins

    def _is_next(self, followup: FollowUp, due: str, now: dt.datetime) -> bool:
        """Whether ``due`` is exactly the next date the follow-up's rule gives (a phone that
        moves a recurring task on when it is ticked)."""
        if not followup.rule or followup.from_done:
            return False
        rule = recurrence.parse_rule(followup.rule)
        zone = followups.own_zone(followup, now.tzinfo)
        moment = followups.due_moment(followup, zone)
        wall = moment.replace(tzinfo=None)
        candidates = [recurrence.series(rule, wall).after(wall).replace(tzinfo=zone),
                      recurrence.next_due(rule, moment, now.astimezone(zone), False)]
        stored = [followups.stored_due(When(c, followup.has_time))["due"] for c in candidates]
        return due in stored

    def cancel(self, run: Run, step: Step) -> None:
        followup, *_ = _load(run.db, step.row_id)
        if followup.done_at is None:
            followups.delete(run.db, followup.id)
            run.report(f"{step.href}: deleted on the phone: follow-up {followup.id} deleted "
                       "(crm undo brings it back)")

    def restore(self, run: Run, step: Step) -> None:
        followup, *_ = _load(run.db, step.row_id)
        followups.restore(run.db, followup.id)
        if followup.contact_id is not None:
            contact = contacts.get(run.db, followup.contact_id, deleted=None)
            if contact.deleted_at:
                contacts.restore(run.db, contact.id)


# ---------------------------------------------------------------------------------- helpers


def _starts_by(start: dt.date | dt.datetime, due: dt.date | dt.datetime) -> bool:
    """Whether a DTSTART can stay beside DUE: of its type, with a zone when DUE has one (a
    floating time cannot be compared with a zoned one), and not after it."""
    if type(start) is not type(due):
        return False
    if isinstance(start, dt.datetime) and (start.tzinfo is None) != (due.tzinfo is None):
        return False
    return start <= due


def _load(db: Connection, row_id: int) -> tuple[FollowUp, str | None, str | None, str | None,
                                                 bool]:
    """A follow-up, deleted or not, with its contact's UID and name, its deal's title and
    whether it is deleted."""
    row = db.execute(_ROW, [row_id]).fetchone()
    followup = FollowUp(id=row[0], contact_id=row[1], deal_id=row[2], due=row[3],
                        has_time=bool(row[4]), body=row[5], rule=row[6],
                        from_done=bool(row[7]), done_at=row[8], created_at=row[9],
                        updated_at=row[10], zone=row[11], uid=row[12])
    return followup, row[14], row[15], row[16], row[13] is not None


def _with_due(followup: FollowUp, due: str) -> FollowUp:
    from dataclasses import replace

    return replace(followup, due=due, has_time="T" in due,
                   zone=followup.zone if "T" in due else None)


def _status(item: ical.Item, status: str, done_at: str | None) -> None:
    ical.replace(item, "STATUS", status)
    done = status == "COMPLETED"
    ical.replace(item, "COMPLETED", parse_stamp(done_at) if done and done_at else None)
    ical.replace(item, "PERCENT-COMPLETE", 100 if done else None)


def _on_rule(rule: recurrence.Rule, due: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """DTSTART for a recurring task due at ``due``: ``due`` when the rule gives it, else the
    rule's last occurrence before it (an occurrence snoozed off its day)."""
    timed = isinstance(due, dt.datetime)
    wall = due.replace(tzinfo=None) if timed else dt.datetime.combine(due, dt.time())
    if recurrence.series(rule, wall).after(wall, inc=True) != wall:
        span = dt.timedelta(days=_SPAN_DAYS[rule.freq] * rule.interval + 7)
        earlier = recurrence.series(rule, wall - span).before(wall)
        wall = earlier or wall
    if not timed:
        return wall.date()
    return wall.replace(tzinfo=due.tzinfo)


def _crm_rule(item: ical.Item) -> str | None:
    """The rule crm wrote: X-CRMCLI-RULE, at the time of day in X-CRMCLI-RULE-AT if any."""
    rule, time_of_day = xprops.read(item, X_RULE), xprops.read(item, X_RULE_AT)
    return f"{rule} at {time_of_day}" if rule and time_of_day and " at " not in rule else rule


def _rule_of(item: ical.Item) -> str | None:
    """crm's rule for a phone's RRULE, when it is one crm has: every N days, weeks, months or
    years, or weekly on some days."""
    recur = item.component.get("RRULE")
    if isinstance(recur, list):
        recur = recur[0] if recur else None
    if recur is None or set(recur) - {"FREQ", "INTERVAL", "BYDAY", "WKST"}:
        return None
    unit = _FREQ_UNITS.get((recur.get("FREQ") or [""])[0])
    interval = int((recur.get("INTERVAL") or [1])[0])
    days = [str(day) for day in recur.get("BYDAY") or []]
    if unit is None or (days and (unit != "w" or interval != 1)):
        return None
    if days:
        if any(day not in _DAYS for day in days):
            return None
        return ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[_DAYS.index(day)]
                        for day in days)
    return f"{interval}{unit}"


def _done_count(db: Connection, uid: str | None) -> int:
    return db.execute("SELECT count(*) FROM followups WHERE uid = ? AND done_at IS NOT NULL"
                      " AND deleted_at IS NULL", [uid]).fetchone()[0]


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdecimal() and len(text) < 10 else None


def _series_row(db: Connection, uid: str | None) -> int | None:
    """The series' open follow-up (else its latest) of this UID."""
    if not uid:
        return None
    row = db.execute("SELECT id FROM followups WHERE uid = ? AND deleted_at IS NULL"
                     " ORDER BY done_at IS NULL DESC, id DESC LIMIT 1", [uid]).fetchone()
    return row[0] if row else None


def _done_occurrence(db: Connection, summary: str, due: str | None) -> int | None:
    row = db.execute("SELECT id FROM followups WHERE done_at IS NOT NULL AND deleted_at IS NULL"
                     " AND body = ? AND due = ? ORDER BY id DESC LIMIT 1",
                     [summary, due]).fetchone()
    return row[0] if row else None


def _contact(db: Connection, item: ical.Item, phone: Props) -> int | None:
    """The contact a phone's task names: by the UID crm wrote, else CONTACT, else the one
    contact whose name its summary holds (the longest name when names overlap)."""
    if phone["contact"]:
        found = contacts.find_by_uid(db, phone["contact"])
        if found is not None and not found.deleted_at:
            return found.id
    for text in (item.text("CONTACT"), phone["summary"]):
        if text:
            found = _named_in(db, fold(text), whole=text is not phone["summary"])
            if found is not None:
                return found
    return None


def _named_in(db: Connection, text: str, whole: bool) -> int | None:
    if whole:
        rows = db.execute("SELECT id FROM contacts WHERE deleted_at IS NULL AND name_folded = ?"
                          " LIMIT 2", [text]).fetchall()
        return rows[0][0] if len(rows) == 1 else None
    names = [(row_id, name) for row_id, name in db.execute(
        "SELECT id, name_folded FROM contacts WHERE deleted_at IS NULL AND length(name_folded)"
        " > 2 AND instr(?, name_folded) > 0 LIMIT 50", [text])
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]
    longest = [(row_id, name) for row_id, name in names
               if not any(name != other and name in other for _, other in names)]
    return longest[0][0] if len(longest) == 1 else None
