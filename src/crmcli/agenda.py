"""The agenda: follow-ups overdue, due today and coming up; overdue service cases; contacts to
get back in touch with; birthdays and anniversaries. Used by ``crm due``, ``crm birthdays``,
``crm remind`` and the dashboard.

Days are local days: "today" is the date of ``now`` in its zone (the configured one). An all-day
follow-up is due on its calendar day whatever the zone; a timed one on the day its instant
falls in that zone.
Keep-in-touch reads the ``interactions`` table: the last contact is the latest live
interaction, or when the contact was added if there was none.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from sqlite3 import Connection
from typing import TYPE_CHECKING

from crmcli import meetings
from crmcli.activity import last_contact_sql
from crmcli.cases import Case
from crmcli.cases import overdue as overdue_cases
from crmcli.dates import humanize, parse_days, parse_stamp
from crmcli.errors import ConfigError, InvalidInput
from crmcli.followups import (
    Entry,
    count_open,
    due_date,
    due_text,
    local_due_text,
    local_midnight,
    open_entries,
)
from crmcli.occasions import (
    Occasion,
    count_occasions,
    describe,
    falling,
    iter_occasions,
    occasions,
)

if TYPE_CHECKING:
    from crmcli.config import Config

FOLLOW_UP_SECTIONS = ("overdue", "today", "upcoming")
SECTIONS = ("cases", "overdue", "today", "upcoming", "keep_in_touch", "birthdays")


@dataclass
class KeepInTouch:
    """A contact not heard from for longer than their cadence."""

    contact_id: int
    contact_name: str
    company: str | None
    last_contact: str  # UTC ISO 8601: the last interaction, or when the contact was added
    cadence_days: int
    never_contacted: bool

    def due_on(self, zone: dt.tzinfo) -> dt.date:
        """The local day the contact became due for a call."""
        last = dt.datetime.fromisoformat(self.last_contact).astimezone(zone).date()
        return last + dt.timedelta(days=self.cadence_days)


@dataclass
class Agenda:
    now: dt.datetime  # local, aware
    within_days: int
    overdue: list[Entry] = field(default_factory=list)
    today: list[Entry] = field(default_factory=list)
    upcoming: list[Entry] = field(default_factory=list)
    keep_in_touch: list[KeepInTouch] = field(default_factory=list)
    birthdays: list[Occasion] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)  # overdue service cases
    # A summary's sections hold their first few items only, and this says how many there are.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming or self.keep_in_touch
                    or self.birthdays or self.cases)

    def count(self, section: str) -> int:
        """How many items ``section`` has (a summary lists only the first few)."""
        return self.counts.get(section, len(getattr(self, section)))


def build(db: Connection, now: dt.datetime, config: Config, within_days: int | None = 7
          ) -> Agenda:
    """The agenda at ``now``; ``within_days`` None lists every open follow-up ahead (birthdays
    then cover the coming week)."""
    agenda = _without_follow_ups(db, now, config, within_days)
    agenda.birthdays = occasions(db, *_occasion_days(agenda))
    for section, item in _follow_ups(db, agenda, _follow_up_end(agenda, within_days)):
        getattr(agenda, section).append(item)
    return agenda


def summary(db: Connection, now: dt.datetime, config: Config, within_days: int = 7,
            first: int = 3) -> Agenda:
    """The agenda at ``now`` as the dashboard shows it: the ``first`` items of each section
    and, in ``counts``, how many each has. The follow-ups and occasions are counted in SQL and
    only those shown are read, however many a big book has."""
    agenda = _without_follow_ups(db, now, config, within_days)
    agenda.birthdays = list(iter_occasions(db, *_occasion_days(agenda), limit=first))
    agenda.counts["birthdays"] = count_occasions(db, *_occasion_days(agenda))
    zone, today = now.tzinfo, now.date()
    tomorrow, end = today + dt.timedelta(days=1), today + dt.timedelta(days=within_days + 1)
    held = meetings.held(db, now)  # ended, logged by the next import: not overdue
    bounds = {"overdue": (None, today), "today": (today, tomorrow), "upcoming": (tomorrow, end)}
    for section, (after, before) in bounds.items():
        setattr(agenda, section, list(open_entries(db, zone, before, after, first, held)))
    by_today, by_tomorrow, by_end = count_open(db, zone, [today, tomorrow, end], held)
    agenda.counts |= {"overdue": by_today, "today": by_tomorrow - by_today,
                      "upcoming": by_end - by_tomorrow}
    return agenda


def stream_records(db: Connection, now: dt.datetime, config: Config,
                   within_days: int | None, sections: tuple[str, ...]) -> Iterator[dict]:
    """:func:`records` of the agenda :func:`build` makes, the follow-ups and occasions
    written as SQLite reads them (soonest first, so overdue, today's and upcoming ones come
    in turn): memory stays flat however many there are. Sections left out are not read."""
    agenda = _without_follow_ups(db, now, config, within_days)
    today = now.date()
    end = (_follow_up_end(agenda, within_days) if "upcoming" in sections
           else today + dt.timedelta(days=1) if "today" in sections else today)
    follow_ups = (_follow_up_row(section, item, now)
                  for section, item in _follow_ups(db, agenda, end) if section in sections)
    # Each part is left out or filtered here: the thousands of rows pass no filter after.
    return itertools.chain(
        _case_rows(agenda) if "cases" in sections else (),
        follow_ups if set(FOLLOW_UP_SECTIONS) & set(sections) else (),
        _touch_rows(agenda) if "keep_in_touch" in sections else (),
        _occasion_rows(falling(db, *_occasion_days(agenda))) if "birthdays" in sections
        else ())


def _without_follow_ups(db: Connection, now: dt.datetime, config: Config,
                        within_days: int | None) -> Agenda:
    """The agenda's keep-in-touch and cases (its follow-ups and occasions to come)."""
    agenda = Agenda(now, 7 if within_days is None else within_days)
    agenda.keep_in_touch = keep_in_touch(db, now, tag_cadences(config))
    agenda.cases = overdue_cases(db, now)
    return agenda


def _occasion_days(agenda: Agenda) -> tuple[dt.date, dt.date]:
    """The first and last day of the agenda's birthdays and anniversaries."""
    today = agenda.now.date()
    return today, today + dt.timedelta(days=agenda.within_days)


def _follow_up_end(agenda: Agenda, within_days: int | None) -> dt.date | None:
    """The day after the agenda's last day of follow-ups (None: every one ahead)."""
    if within_days is None:
        return None
    return agenda.now.date() + dt.timedelta(days=agenda.within_days + 1)


def _follow_ups(db: Connection, agenda: Agenda, end: dt.date | None
                ) -> Iterator[tuple[str, Entry]]:
    """(section, follow-up) of the open follow-ups due before ``end``, soonest first."""
    zone, today = agenda.now.tzinfo, agenda.now.date()
    held = meetings.held(db, agenda.now)  # ended, logged by the next import: not overdue
    for item in open_entries(db, zone, end, leaving_out=held):
        day = due_date(item.followup, zone)
        yield ("overdue" if day < today else "today" if day == today else "upcoming"), item


# ----------------------------------------------------------------------------- keep in touch


def tag_cadences(config: Config) -> dict[str, int]:
    """The ``[cadence]`` section: default keep-in-touch days by tag (``vip = "14d"``)."""
    from crmcli.contact_rules import normalize_tag

    section = config.table("cadence", 'tag = "14d"')
    cadences = {}
    for tag, value in section.items():
        try:
            days = value if isinstance(value, int) and not isinstance(value, bool) else (
                parse_days(str(value)) if isinstance(value, str) else None)
        except InvalidInput:
            days = None
        if days is None or days < 0:
            raise ConfigError(f"{config.path}: [cadence] {tag} = {value!r} is not a length of "
                              "time (try \"14d\", \"2w\", \"1m\" or a number of days)")
        cadences[normalize_tag(tag)] = days
    return cadences


_KEEP_IN_TOUCH = """
WITH tag_cadence(tag, days) AS (SELECT key, value FROM json_each(:tags)),
candidates AS MATERIALIZED (
    SELECT c.id, c.name, c.company_id, c.created_at, COALESCE(c.cadence_days, (
        SELECT MIN(tc.days) FROM contact_tags t JOIN tag_cadence tc ON tc.tag = t.tag
        WHERE t.contact_id = c.id)) AS days
    FROM contacts c
    WHERE c.id IN (SELECT id FROM contacts WHERE cadence_days > 0 UNION SELECT t.contact_id
                   FROM contact_tags t WHERE t.tag IN (SELECT tag FROM tag_cadence))
      AND c.deleted_at IS NULL AND (c.cadence_days > 0 OR (c.cadence_days IS NULL AND c.id IN (
        SELECT t.contact_id FROM contact_tags t WHERE t.tag IN (SELECT tag FROM tag_cadence))))
),
latest AS MATERIALIZED (
    SELECT c.*, {last} AS interaction FROM candidates c WHERE c.days > 0
),
due AS MATERIALIZED (
    SELECT *, COALESCE(interaction, created_at) AS last,
           julianday(COALESCE(interaction, created_at)) + days AS due_day
    FROM latest
)
SELECT d.id, d.name, co.name, d.last, d.days, d.interaction IS NULL,
       d.due_day >= julianday(:end_of_today) - 1 AS near
FROM due d LEFT JOIN companies co ON co.id = d.company_id
WHERE d.due_day < julianday(:end_of_today) + 1
ORDER BY d.due_day, d.name, d.id
"""


def keep_in_touch(db: Connection, now: dt.datetime, cadences: dict[str, int]
                  ) -> list[KeepInTouch]:
    """Contacts whose last contact is older than their cadence (by the end of today), the
    longest waiting first. A contact's own cadence wins over its tags'; of several tags, the
    shortest cadence counts. Days are local: SQL counts them as 24 hours, so the contacts it
    finds due within a day of the end of today are checked by their local day (one that
    spans a change of summer time is 23 or 25 hours long)."""
    end_of_today = local_midnight(now.date() + dt.timedelta(days=1), now.tzinfo)
    rows = db.execute(_KEEP_IN_TOUCH.replace("{last}", last_contact_sql(db)),
                      {"tags": json.dumps(cadences), "end_of_today": end_of_today})
    found = ((KeepInTouch(row[0], row[1], row[2], row[3], row[4], bool(row[5])), row[6])
             for row in rows)
    return [item for item, near in found
            if not near or item.due_on(now.tzinfo) <= now.date()]


# ---------------------------------------------------------------------------------- records


def touch_detail(item: KeepInTouch, now: dt.datetime) -> str:
    """``last contact Mon 12 Oct, every 30 days`` (or ``never contacted (added ...)``)."""
    since = humanize(dt.datetime.fromisoformat(item.last_contact), False, now)
    what = f"never contacted (added {since})" if item.never_contacted else (
        f"last contact {since}")
    return f"{what}, every {item.cadence_days} days"


def touch_text(item: KeepInTouch, now: dt.datetime) -> str:
    return f"get back in touch: {touch_detail(item, now)}"


def records(agenda: Agenda, sections: tuple[str, ...] | None = None) -> Iterator[dict]:
    """The agenda as rows for ``crm due``: one stable JSON object per item, in agenda order,
    each made as it is written."""
    return (row for row in _rows(agenda) if sections is None or row["section"] in sections)


def _rows(agenda: Agenda) -> Iterator[dict]:
    yield from _case_rows(agenda)
    for section in FOLLOW_UP_SECTIONS:
        for item in getattr(agenda, section):
            yield _follow_up_row(section, item, agenda.now)
    yield from _other_rows(agenda)


def _case_rows(agenda: Agenda) -> Iterator[dict]:
    zone = agenda.now.tzinfo
    for case in agenda.cases:
        yield _row("cases", "case", case.contact_id, case.contact, case.company,
                   parse_stamp(case.due_at).astimezone(zone).isoformat(timespec="minutes"),
                   case.title, id=case.id,
                   due_at=case.due_at)


def _follow_up_row(section: str, item: Entry, now: dt.datetime) -> dict:
    followup = item.followup
    return _row(section, "follow_up", followup.contact_id, item.contact_name, item.company,
                local_due_text(followup, now.tzinfo), followup.body or "follow up",
                id=followup.id, deal_id=followup.deal_id, deal=item.deal_title,
                rule=followup.rule, due_at=followup.due if followup.has_time else None)


def _other_rows(agenda: Agenda) -> Iterator[dict]:
    """Keep-in-touch and birthday rows."""
    yield from _touch_rows(agenda)
    yield from _occasion_rows((o.date.isoformat(), o.contact_id, o.contact_name, o.company,
                               o.kind, o.age) for o in agenda.birthdays)


def _touch_rows(agenda: Agenda) -> Iterator[dict]:
    now, zone = agenda.now, agenda.now.tzinfo
    for touch in agenda.keep_in_touch:
        yield _row("keep_in_touch", "keep_in_touch", touch.contact_id, touch.contact_name,
                   touch.company, touch.due_on(zone).isoformat(), touch_text(touch, now),
                   last_contact=touch.last_contact, cadence_days=touch.cadence_days)


def _occasion_rows(occasions: Iterable[tuple[str, int, str, str | None, str, int | None]]
                   ) -> Iterator[dict]:
    """Birthday rows from :func:`crmcli.occasions.falling`'s tuples: a week of a big book's
    is thousands, each made in one step (the keys of :func:`_row`, in its order)."""
    for day, contact_id, name, company, kind, age in occasions:
        yield {"section": "birthdays", "kind": kind, "id": None, "contact_id": contact_id,
               "contact": name, "company": company, "when": day, "text": describe(kind, age),
               "deal_id": None, "deal": None, "rule": None, "due_at": None,
               "last_contact": None, "cadence_days": None, "age": age}


def _row(section: str, kind: str, contact_id: int | None, contact: str | None,
         company: str | None,
         when: str, text: str, **extra) -> dict:
    row = {"section": section, "kind": kind, "id": None, "contact_id": contact_id,
           "contact": contact, "company": company, "when": when, "text": text, "deal_id": None,
           "deal": None, "rule": None, "due_at": None, "last_contact": None,
           "cadence_days": None, "age": None}
    row.update(extra)
    return row


def when_text(item: Entry, now: dt.datetime) -> str:
    """When a follow-up is due, for people (``today 09:30``, ``Fri 27 Nov``)."""
    return due_text(item.followup, now)
