"""Follow-ups: reminders to do something about a contact, once or again and again.

A follow-up is due on a calendar day (``has_time`` False: ``due`` is ``YYYY-MM-DD``, the same
day in every zone) or at an instant (``due`` is UTC ISO 8601, ``zone`` the IANA zone it was
typed in, so that a recurring 9:00 stays 9:00 there across daylight saving, whatever zone
reads it). Marking a recurring follow-up done closes it and opens the next occurrence (see
:mod:`crmcli.recurrence`) in the same transaction, so it can never be done, or followed,
twice. A recurring follow-up starts on a day its rule gives. Keep-in-touch cadences live on
the contact (``contacts.cadence_days``: NULL follows the tag defaults of ``[cadence]``, 0 is
off). The agenda that gathers all of it is :mod:`crmcli.agenda`; :mod:`crmcli.reminders_sent`
remembers what ``crm remind`` has sent.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from sqlite3 import Connection

from crmcli import recurrence
from crmcli.dates import When, humanize, parse_days, parse_stamp, stamp
from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound
from crmcli.limits import MAX_TEXT, check_text
from crmcli.models import FollowUp

_SELECT = (
    "SELECT f.id, f.contact_id, f.deal_id, f.due, f.has_time, f.body, f.rule, f.from_done,"
    " f.done_at, f.created_at, f.updated_at, f.zone, c.name, co.name, d.title, f.uid"
    " FROM followups f"
    " LEFT JOIN contacts c ON c.id = f.contact_id"
    " LEFT JOIN companies co ON co.id = c.company_id"
    " LEFT JOIN deals d ON d.id = f.deal_id AND d.deleted_at IS NULL"
)
# A follow-up of a trashed contact goes with it; one without a contact has no row to join.
_OPEN = "f.done_at IS NULL AND f.deleted_at IS NULL AND c.deleted_at IS NULL"
NO_CONTACT = "— no contact —"


@dataclass
class Entry:
    """A follow-up with what a person needs to read it: who (nobody for a chore), at which
    company, about which deal."""

    followup: FollowUp
    contact_name: str | None
    company: str | None = None
    deal_title: str | None = None

    @property
    def who(self) -> str:
        """The contact's name, or :data:`NO_CONTACT`, for people to read."""
        return self.contact_name if self.followup.contact_id is not None else NO_CONTACT


def _entry(row) -> Entry:
    followup = FollowUp(id=row[0], contact_id=row[1], deal_id=row[2], due=row[3],
                        has_time=bool(row[4]), body=row[5], rule=row[6],
                        from_done=bool(row[7]), done_at=row[8], created_at=row[9],
                        updated_at=row[10], zone=row[11], uid=row[15])
    return Entry(followup, row[12], row[13], row[14])


# ------------------------------------------------------------------------------- due moments


def stored_due(when: When) -> dict:
    """The fields that store ``when``: its day, or its instant and the zone it was typed in."""
    if when.has_time:
        return {"due": stamp(when.moment), "has_time": True, "zone": when.zone_name}
    return {"due": when.moment.date().isoformat(), "has_time": False, "zone": None}


def own_zone(followup: FollowUp, fallback: dt.tzinfo) -> dt.tzinfo:
    """The zone a timed follow-up was typed in (``fallback`` when unknown or all-day)."""
    if followup.zone and followup.has_time:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(followup.zone)
        except (ValueError, ZoneInfoNotFoundError):  # a zone this system does not know
            pass
    return fallback


def due_date(followup: FollowUp, zone: dt.tzinfo) -> dt.date:
    """The day it is due: its calendar day, or the day of its instant in ``zone``."""
    if followup.has_time:
        return parse_stamp(followup.due).astimezone(zone).date()
    return dt.date.fromisoformat(followup.due)


def due_moment(followup: FollowUp, zone: dt.tzinfo) -> dt.datetime:
    """When the follow-up is due, in ``zone`` (the start of its day when it has no hour)."""
    if followup.has_time:
        return parse_stamp(followup.due).astimezone(zone)
    return dt.datetime.combine(dt.date.fromisoformat(followup.due), dt.time(), tzinfo=zone)


def is_overdue(followup: FollowUp, now: dt.datetime) -> bool:
    if followup.has_time:
        return followup.due < stamp(now)
    return followup.due < now.date().isoformat()


def local_due_text(followup: FollowUp, zone: dt.tzinfo) -> str:
    """ISO 8601: ``2026-11-27``, or with a time ``2026-11-27T09:30+01:00`` in ``zone``."""
    if not followup.has_time:
        return followup.due
    return due_moment(followup, zone).isoformat(timespec="minutes")


def due_text(followup: FollowUp, now: dt.datetime) -> str:
    """When it is due, for people, relative to ``now`` (``today 09:30``, ``Fri 27 Nov``)."""
    return humanize(due_moment(followup, now.tzinfo), followup.has_time, now)


def sort_key(followup: FollowUp, zone: dt.tzinfo) -> tuple:
    """Soonest first in ``zone``: by day, a day's all-day items before its timed ones."""
    return due_date(followup, zone), followup.has_time, followup.due, followup.id or 0


# ---------------------------------------------------------------------------------- writing


def create(db: Connection, contact_id: int | None, when: When, body: str = "",
           rule: str | None = None, from_done: bool = False, deal_id: int | None = None,
           uid: str | None = None) -> FollowUp:
    """Add a follow-up for a contact (or, ``contact_id`` None, for nobody); ``rule`` is
    recurrence text such as ``2w`` or ``1st mon``. A recurring one starts on the first day
    its rule gives on or after ``when``. ``uid`` names the series (a task made on a phone
    keeps its own); by default a new one."""
    followup = FollowUp(contact_id=contact_id, body=body, rule=rule, from_done=from_done,
                        deal_id=deal_id, uid=uid, **stored_due(when))
    _check_deal(db, deal_id)
    return _insert(db, _tidied(followup, when.moment.tzinfo, when.moment))


def _insert(db: Connection, followup: FollowUp) -> FollowUp:
    """Insert a follow-up; one without a UID starts a series of its own."""
    now = now_stamp(db)
    uid = followup.uid or new_uid()
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO followups (contact_id, deal_id, due, has_time, zone, body, rule,"
            " from_done, created_at, updated_at, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [followup.contact_id, followup.deal_id, followup.due, followup.has_time,
             followup.zone, followup.body, followup.rule, followup.from_done, now, now, uid])
    return replace(followup, id=cursor.lastrowid, done_at=None, created_at=now, updated_at=now,
                   uid=uid)


def new_uid() -> str:
    """A series UID, unique across books (an id is not): ``followup-<hex>@crmcli``."""
    import uuid

    return f"followup-{uuid.uuid4().hex}@crmcli"


def _tidied(followup: FollowUp, zone: dt.tzinfo | None,
            typed: dt.datetime | None = None) -> FollowUp:
    """The follow-up with its text on one line and its rule in canonical form; with a
    ``zone``, the rule is anchored on the due date (see :func:`recurrence.anchor`), a timed
    one on its time of day as ``typed`` (02:30 stays 02:30 on a night it does not exist), and
    the due moment moved to the first the rule gives on or after it."""
    if followup.from_done and not followup.rule:
        raise InvalidInput("--from-done needs a recurrence rule (--every)")
    check_text("the follow-up's text", followup.body, MAX_TEXT)
    followup = replace(followup, body=" ".join(followup.body.split()))
    if not followup.rule:
        return replace(followup, rule=None)
    rule = recurrence.parse_rule(followup.rule)
    if not followup.has_time:
        rule = recurrence.timed(rule, None)
    if zone is not None:
        moment = typed or due_moment(followup, own_zone(followup, zone))
        if not followup.from_done:
            rule = recurrence.anchor(rule, moment)
        if followup.has_time:
            rule = recurrence.held_at(rule, moment)
        first = recurrence.first(rule, moment)
        if first != moment:
            followup = replace(followup, **stored_due(When(first, followup.has_time)))
    return replace(followup, rule=rule.text)


def _check_deal(db: Connection, deal_id: int | None) -> None:
    if deal_id is not None and not db.execute(
            "SELECT 1 FROM deals WHERE id = ? AND deleted_at IS NULL", [deal_id]).fetchone():
        raise NotFound(f"no deal with id {deal_id}")


def update(db: Connection, followup: FollowUp, zone: dt.tzinfo | None = None,
           typed: dt.datetime | None = None) -> FollowUp:
    """Write a changed follow-up (its due moment, text, rule and deal). With the local
    ``zone``, a monthly or yearly rule is anchored anew on the due date, and a timed one on
    its time of day (as ``typed``, when the due moment was); without, it keeps its day and
    time (a snoozed occurrence does not move the series)."""
    if followup.deal_id != get(db, followup.id).deal_id:
        _check_deal(db, followup.deal_id)
    followup = _tidied(followup, zone, typed)
    now = now_stamp(db)
    with transaction(db):
        db.execute(
            "UPDATE followups SET due = ?, has_time = ?, zone = ?, body = ?, rule = ?,"
            " from_done = ?, deal_id = ?, updated_at = ? WHERE id = ?",
            [followup.due, followup.has_time, followup.zone, followup.body, followup.rule,
             followup.from_done, followup.deal_id, now, followup.id])
    return replace(followup, updated_at=now)


def edited_rule(old: str | None, new: str | None, retimed: bool) -> str | None:
    """The rule an edit leaves, ``new`` (--every) or else ``old``, at the series' time of day:
    the one ``new`` names; else none yet when the edit gives the follow-up a new time
    (``retimed``: that time becomes the series'); else the old rule's, which snoozing one
    occurrence did not move."""
    if new is None and old is None:
        return None
    rule = recurrence.parse_rule(new or old)
    if new is not None and rule.at is not None:
        return rule.text
    kept = None if retimed or old is None else recurrence.parse_rule(old).at
    return recurrence.timed(rule, kept).text


def with_due(followup: FollowUp, when: When) -> FollowUp:
    """The follow-up due at ``when`` instead."""
    return replace(followup, **stored_due(when))


def snooze(db: Connection, followup_id: int, when: When) -> FollowUp:
    """Move an open follow-up to ``when``; a date without an hour keeps the follow-up's hour."""
    followup = get(db, followup_id)
    if followup.done_at:
        raise InvalidInput(f"follow-up {followup_id} is already done; nothing to snooze")
    if followup.has_time and not when.has_time:
        zone = own_zone(followup, when.moment.tzinfo)
        kept = due_moment(followup, zone).time()
        when = When(dt.datetime.combine(when.moment.date(), kept, tzinfo=zone), True)
    return update(db, with_due(followup, when))


def delete(db: Connection, followup_id: int) -> None:
    get(db, followup_id)
    now = now_stamp(db)
    with transaction(db):
        db.execute("UPDATE followups SET deleted_at = ?, updated_at = ? WHERE id = ?",
                   [now, now, followup_id])


def restore(db: Connection, followup_id: int) -> None:
    """Bring back a deleted follow-up (one cancelled on a phone, say)."""
    with transaction(db):
        db.execute("UPDATE followups SET deleted_at = NULL, updated_at = ? WHERE id = ?",
                   [now_stamp(db), followup_id])


def mark_done(db: Connection, followup_id: int, now: dt.datetime
              ) -> tuple[FollowUp, FollowUp | None]:
    """Mark a follow-up done at ``now`` (local, aware); a recurring one gets its next occurrence
    (see :func:`_next_occurrence`).

    Returns the done follow-up and the next one (None when it does not recur).
    """
    followup = get(db, followup_id)
    done_at = stamp(now)
    with transaction(db):
        closed = db.execute(
            "UPDATE followups SET done_at = ?, updated_at = ? WHERE id = ? AND done_at IS NULL"
            " AND deleted_at IS NULL", [done_at, done_at, followup_id]).rowcount
        if not closed:
            raise InvalidInput(f"follow-up {followup_id} is already done")
        following = _insert(db, _next_occurrence(followup, now)) if followup.rule else None
    return replace(followup, done_at=done_at, updated_at=done_at), following


def _next_occurrence(followup: FollowUp, now: dt.datetime) -> FollowUp:
    """The occurrence after ``followup``, done at ``now``, computed in the zone it was typed
    in; a timed series from before series kept their time of day takes the time it is due at."""
    rule = recurrence.parse_rule(followup.rule)
    zone = own_zone(followup, now.tzinfo)
    due = due_moment(followup, zone)
    if followup.has_time:
        rule = recurrence.held_at(rule, due)
    following = recurrence.next_due(rule, due, now.astimezone(zone), followup.from_done)
    return replace(with_due(followup, When(following, followup.has_time)), rule=rule.text)


# ---------------------------------------------------------------------------------- reading


def get(db: Connection, followup_id: int) -> FollowUp:
    """One follow-up, done or not; a deleted one is not found."""
    return entry(db, followup_id).followup


def entry(db: Connection, followup_id: int) -> Entry:
    row = db.execute(f"{_SELECT} WHERE f.id = ? AND f.deleted_at IS NULL",
                     [followup_id]).fetchone()
    if row is None:
        raise NotFound(f"no follow-up with id {followup_id}")
    return _entry(row)


def entries(db: Connection, contact_ids: list[int] | None = None, include_done: bool = False,
            without_contact: bool = False) -> Iterator[Entry]:
    """Follow-ups of live contacts (all of them and those of nobody, or those of
    ``contact_ids`` and, with ``without_contact``, those of nobody), by due date; open ones
    only unless ``include_done``; one at a time as SQLite reads them."""
    where = ["f.deleted_at IS NULL", "c.deleted_at IS NULL"]
    params = []
    if not include_done:
        where.append("f.done_at IS NULL")
    if contact_ids is not None:
        nobody = " OR f.contact_id IS NULL" if without_contact else ""
        where.append(f"(f.contact_id IN (SELECT value FROM json_each(?)){nobody})")
        params.append(json.dumps(contact_ids))
    rows = db.execute(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY f.due, f.id", params)
    return map(_entry, rows)


def open_entries(db: Connection, zone: dt.tzinfo, before: dt.date | None = None,
                 after: dt.date | None = None, limit: int | None = None,
                 leaving_out: Collection[int] = ()) -> Iterator[Entry]:
    """Open follow-ups of live contacts due before the day ``before`` in ``zone`` (or all),
    from the day ``after`` on (or every one so far), but those of ``leaving_out`` (ids);
    soonest first, one at a time (the first ``limit`` only, when given): the all-day and the
    timed ones are each read in due order, which is their order in ``zone`` too, and merged
    as they come."""
    where, params = _due_between(zone, after, before, leaving_out)
    first_few = "" if limit is None else f" LIMIT {int(limit)}"
    all_day, timed = (map(_entry, db.execute(
        f"{_SELECT} WHERE {_OPEN} AND f.has_time {kind}{where} ORDER BY f.due, f.id{first_few}",
        params)) for kind in ("= 0", "!= 0"))
    merged = heapq.merge(all_day, timed, key=lambda e: sort_key(e.followup, zone))
    return merged if limit is None else itertools.islice(merged, limit)


def count_open(db: Connection, zone: dt.tzinfo, days: list[dt.date],
               leaving_out: Collection[int] = ()) -> list[int]:
    """How many of :func:`open_entries` are due before each of ``days`` (local days, the
    last the latest), counted in SQL."""
    where, params = _due_between(zone, None, days[-1], leaving_out)
    counted = ", ".join(f"coalesce(sum(CASE WHEN f.has_time = 0 THEN f.due < :day{n}"
                        f" ELSE f.due < :instant{n} END), 0)" for n in range(len(days)))
    for n, day in enumerate(days):
        params |= {f"day{n}": day.isoformat(), f"instant{n}": local_midnight(day, zone)}
    return list(db.execute(  # from the index alone, and the few trashed contacts' ids
        f"SELECT {counted} FROM followups f WHERE f.done_at IS NULL AND f.deleted_at IS NULL"
        " AND (f.contact_id IS NULL OR f.contact_id NOT IN"
        f" (SELECT id FROM contacts WHERE deleted_at IS NOT NULL)){where}", params).fetchone())


def _due_between(zone: dt.tzinfo, after: dt.date | None, before: dt.date | None,
                 leaving_out: Collection[int]) -> tuple[str, dict]:
    """SQL (`` AND ...``) for follow-ups due on local days from ``after`` and before
    ``before`` (either open), but ``leaving_out``; and its parameters."""
    where, params = "", {}
    for name, day, operator, loosest in (("from", after, ">=", min), ("to", before, "<", max)):
        if day is not None:
            bounds = {f"{name}_day": day.isoformat(), f"{name}_instant": local_midnight(day, zone)}
            # Days and instants compare as text: the looser bound of the two is a range
            # the index of open follow-ups by due reads, the kinds are told apart after.
            where += (f" AND f.due {operator} :{name}_either"
                      f" AND ((f.has_time = 0 AND f.due {operator} :{name}_day)"
                      f" OR (f.has_time = 1 AND f.due {operator} :{name}_instant))")
            params |= bounds | {f"{name}_either": loosest(bounds.values())}
    if leaving_out:
        where += " AND f.id NOT IN (SELECT value FROM json_each(:leaving_out))"
        params["leaving_out"] = json.dumps(sorted(leaving_out))
    return where, params


def local_midnight(day: dt.date, zone: dt.tzinfo) -> str:
    """The stored instant of the local midnight that starts ``day``."""
    return stamp(dt.datetime.combine(day, dt.time(), tzinfo=zone))


def upcoming_for_contact(db: Connection, contact_id: int, limit: int = 5) -> list[Entry]:
    """The contact's open follow-ups, soonest first, overdue ones included."""
    rows = db.execute(f"{_SELECT} WHERE f.contact_id = ? AND {_OPEN} ORDER BY f.due, f.id"
                      " LIMIT ?", [contact_id, limit])
    return [_entry(row) for row in rows]


def to_record(item: Entry, zone: dt.tzinfo) -> dict:
    """A follow-up as a stable JSON object."""
    followup = item.followup
    rule = recurrence.parse_rule(followup.rule) if followup.rule else None
    return {
        "id": followup.id, "contact_id": followup.contact_id, "contact": item.contact_name,
        "company": item.company, "text": followup.body, "due": local_due_text(followup, zone),
        "due_at": followup.due if followup.has_time else None,
        "has_time": followup.has_time, "zone": followup.zone, "uid": followup.uid,
        "rule": followup.rule, "every": recurrence.describe(rule) if rule else None,
        "from_done": followup.from_done, "deal_id": followup.deal_id,
        "deal": item.deal_title, "done_at": followup.done_at,
        "created_at": followup.created_at,
    }


# ---------------------------------------------------------------------------------- cadence


def parse_cadence(text: str) -> int | None:
    """``30d``, ``2w``, ``1m`` as days; ``off`` is 0 (never); ``default`` is None (the tags')."""
    value = text.strip().lower()
    if value in ("off", "never", "none"):
        return 0
    if value in ("default", "tags"):
        return None
    return parse_days(value)


def describe_cadence(days: int | None) -> str:
    if days is None:
        return "keep-in-touch cadence from the tags ([cadence] in the config)"
    return f"keep in touch every {days} days" if days else "no keep-in-touch reminders"


def set_cadence(db: Connection, contact_id: int, days: int | None) -> None:
    """How often to be in touch with a contact: days, 0 for never, None for the tag default."""
    with transaction(db):
        db.execute("UPDATE contacts SET cadence_days = ?, updated_at = ? WHERE id = ?",
                   [days, now_stamp(db), contact_id])


# ------------------------------------------------------------------------------------ demo

_DEMO = [  # (contact index, days from today, hour or None, text, rule)
    (0, -2, None, "Send the renewal quote", None),
    (1, 0, (11, 0), "Call about the pilot", None),
    (2, 1, (9, 30), "Ask about their SSO requirements", None),
    (3, 3, None, "Send the sustainability case study", None),
    (4, 6, (15, 0), "Budget review call", None),
    (6, 10, (10, 0), "Partner programme review", "3m"),
    (7, 14, None, "Check in on the vendor evaluation", "2w"),
]
_DEMO_CADENCES = {0: 14, 4: 30, 8: 60}


def seed_demo(db: Connection, contact_ids: list[int], now: dt.datetime) -> None:
    """A few realistic follow-ups (overdue, today, upcoming, recurring) and keep-in-touch
    cadences for the demo book; ``now`` is local and aware."""
    with transaction(db):
        for index, days, hour, text, rule in _DEMO:
            if index >= len(contact_ids):
                continue
            day = now + dt.timedelta(days=days)
            moment = day.replace(hour=hour[0] if hour else 0, minute=hour[1] if hour else 0,
                                 second=0, microsecond=0)
            create(db, contact_ids[index], When(moment, hour is not None), text, rule,
                   from_done=rule == "2w")
        for index, days in _DEMO_CADENCES.items():
            if index < len(contact_ids):
                set_cadence(db, contact_ids[index], days)
