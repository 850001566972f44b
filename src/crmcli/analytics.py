"""Relationship health, customer value and value at stake: the figures of ``crm health``,
``crm report customers`` and ``crm next`` (docs/analytics.md states every formula).

Plain data in, plain data out: every function takes the moment (``now``, aware, in the
configured zone) and the tunable constants (``analytics_settings.Settings``); nothing here
reads the clock or knows the terminal. Money stays integer minor units per currency and is
never added across currencies, except through the ``[rates]`` given in the config, for
ranking only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter, sub
from sqlite3 import Connection
from typing import TYPE_CHECKING, NamedTuple

from crmcli import money
from crmcli.dates import parse_stamp, stamp

if TYPE_CHECKING:
    from crmcli.analytics_settings import Settings
    from crmcli.stages import Pipeline

STATES = ("cold", "cooling", "steady", "warming", "new")  # the order of crm health
DAY = 86400.0


# ------------------------------------------------------------------------------------- rhythm


class Rhythm(NamedTuple):
    """How often a contact is in touch: ``days`` (None: no rhythm), where it comes from
    (``interactions``, ``cadence`` or None) and the latest gaps in days, newest first."""

    days: float | None
    source: str | None
    gaps: tuple[float, ...] = ()


NO_RHYTHM = Rhythm(None, None)


def rhythm(moments: list[float], cadence_days: int | None, settings: Settings) -> Rhythm:
    """The rhythm from a contact's latest personal interactions, as moments counted in days
    (any order): the median gap between the last ``window`` of them when there are at least
    ``min_interactions`` (a day at least: mail captured in bulk is no rhythm of minutes),
    else the cadence, else none."""
    return _rhythm(sorted(moments, reverse=True)[:settings.window], cadence_days, settings)


def _rhythm(latest: list[float], cadence_days: int | None, settings: Settings) -> Rhythm:
    """:func:`rhythm` of the latest ``window`` moments, newest first."""
    gaps = tuple(map(sub, latest, latest[1:]))  # newer - older
    if len(latest) >= settings.min_interactions and gaps:
        return Rhythm(max(1.0, round(median(gaps), 4)), "interactions", gaps)
    if cadence_days:
        return Rhythm(float(cadence_days), "cadence", gaps)
    return Rhythm(None, None, gaps) if gaps else NO_RHYTHM


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count), as
    ``statistics.median`` gives it, without importing statistics (and random, and fractions)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def health_state(elapsed_days: float | None, found: Rhythm, settings: Settings) -> str:
    """``cold`` past cold x rhythm since the last contact, ``cooling`` past cooling x rhythm,
    ``warming`` when each of the last three gaps was shorter than the rhythm, ``steady``
    otherwise; ``new`` without a rhythm."""
    if found.days is None or elapsed_days is None:
        return "new"
    if elapsed_days > settings.cold * found.days:
        return "cold"
    if elapsed_days > settings.cooling * found.days:
        return "cooling"
    gaps, days = found.gaps, found.days
    if len(gaps) >= 3 and gaps[0] < days and gaps[1] < days and gaps[2] < days:
        return "warming"
    return "steady"


# -------------------------------------------------------------------------------- selection


def selected_ids(db: Connection, condition: tuple[str, list] | None) -> list[int] | None:
    """The ids of the live contacts a compiled query selects (None: everyone)."""
    if condition is None:
        return None
    from crmcli.contacts import search_ids

    return search_ids(db, condition=condition)


def _personal(db: Connection) -> str:
    """The condition on ``interactions i`` for personal contact: campaign mail is left out
    unless ``[campaigns] counts_as_contact`` (as for the last contact)."""
    return "" if getattr(db, "campaign_mail_counts", False) else " AND i.campaign IS NULL"


def in_selection(column: str, ids: list[int] | None) -> tuple[str, list]:
    if ids is None:
        return "", []
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(ids)]


# ---------------------------------------------------------------------------------- health


@dataclass(slots=True)
class Health:
    """One contact's relationship health at a moment."""

    contact_id: int
    name: str
    company: str | None
    state: str
    rhythm: Rhythm
    last_contact: str | None  # UTC ISO 8601 of the latest personal interaction
    days_since: float | None  # since the last contact (since added when there was none)
    stake: Stake
    cadence_days: int | None = None  # keep-in-touch: the contact's own, else its tags'

    @property
    def overdue_days(self) -> float:
        """Days beyond the rhythm (0 within it)."""
        return _overdue(self.rhythm, self.days_since)


def health(db: Connection, now: dt.datetime, settings: Settings, pipeline: Pipeline,
           ids: list[int] | None = None) -> list[Health]:
    """The health of the live contacts (of ``ids`` when given): cold, then cooling, steady,
    warming and new; within a state, the most overdue and then the most at stake first."""
    found = assess(db, now, settings, pipeline, ids)
    found.sort(key=lambda h: _order(h.state, h.overdue_days, h.stake, h.name, h.contact_id))
    return found


def health_records(db: Connection, now: dt.datetime, settings: Settings, pipeline: Pipeline,
                   ids: list[int] | None = None) -> list[dict]:
    """:func:`health` as :func:`health_record` objects, made without a Health each (the
    whole book's listing)."""
    stakes = stakes_by_contact(db, now.date(), settings, pipeline, ids).get
    keyed = []
    for contact_id, name, company, _, last, state, own, since in _assessed(
            db, now, settings, ids):
        stake = stakes(contact_id, NO_STAKE)
        keyed.append((_order(state, _overdue(own, since), stake, name, contact_id),
                      _record(contact_id, name, company, state, own, last, since, stake,
                              settings.currency)))
    keyed.sort(key=itemgetter(0))
    return [record for _, record in keyed]


_STATE_ORDER = {state: index for index, state in enumerate(STATES)}


def _order(state: str, overdue: float, stake: Stake, name: str, contact_id: int) -> tuple:
    """The place of a contact in :func:`health`."""
    return _STATE_ORDER[state], -overdue, -stake.ranked, name.lower(), contact_id


def _overdue(found: Rhythm, days_since: float | None) -> float:
    if found.days is None or days_since is None:
        return 0.0
    return max(0.0, days_since - found.days)


def assess(db: Connection, now: dt.datetime, settings: Settings, pipeline: Pipeline,
           ids: list[int] | None = None, with_stake_or_cadence: bool = False
           ) -> list[Health]:
    """The health of the live contacts (of ``ids`` when given), in no particular order;
    only of those with a deal or a keep-in-touch cadence when ``with_stake_or_cadence``."""
    stakes = stakes_by_contact(db, now.date(), settings, pipeline, ids).get
    return [Health(contact_id, name, company, state, own, last, since,
                   stakes(contact_id, NO_STAKE), cadence)
            for contact_id, name, company, cadence, last, state, own, since in _assessed(
                db, now, settings, ids, with_stake_or_cadence)]


def _assessed(db: Connection, now: dt.datetime, settings: Settings, ids: list[int] | None,
              with_stake_or_cadence: bool = False) -> Iterator[tuple]:
    """Per live contact (see :func:`assess`): id, name, company, cadence (None: none), last
    contact, health state, rhythm and days since the last contact (rounded)."""
    today, window = now.timestamp() / DAY, settings.window
    state_of, rhythm_of = health_state, _rhythm
    for contact_id, name, company, cadence, created, last, moments in _contacts(
            db, settings, ids, with_stake_or_cadence):
        if moments:
            latest = moments.split(",", window)[:window]  # ten are stored
            days = list(map(DAY.__rtruediv__, map(int, latest)))  # second / DAY
            own, since = rhythm_of(days, cadence, settings), today - days[0]
        elif cadence:
            own, since = Rhythm(float(cadence), "cadence"), today - _days(created)
        else:
            own, since = NO_RHYTHM, None
        yield (contact_id, name, company, cadence or None, last,
               state_of(since, own, settings), own, None if since is None else round(since, 4))


_TAG_CADENCE = ("coalesce(c.cadence_days, (SELECT min(tc.days) FROM contact_tags t"
                " JOIN tag_cadence tc ON tc.tag = t.tag WHERE t.contact_id = c.id))")
STORED_MOMENTS = 10  # contact_moments keeps each contact's latest ten personal interactions
# A contact's last personal interactions, as seconds since the epoch, newest first: the row
# triggers keep in contact_moments (migrations.m031_contact_moments), else (a longer window,
# or campaign mail counted as contact) read from the index interactions_personal
# (group_concat keeps the order of its subquery).
_STORED = "m.last_at, m.moments", " LEFT JOIN contact_moments m ON m.contact_id = c.id"
_READ = """(SELECT max(i.happened_at) FROM interactions i INDEXED BY interactions_personal
         WHERE i.contact_id = c.id AND i.deleted_at IS NULL{personal}),
       (SELECT group_concat(unixepoch(happened_at)) FROM (SELECT i.happened_at
          FROM interactions i INDEXED BY interactions_personal
         WHERE i.contact_id = c.id AND i.deleted_at IS NULL{personal}
         ORDER BY i.happened_at DESC LIMIT {window}))""", ""
_CONTACTS = """
WITH tag_cadence(tag, days) AS (SELECT key, value FROM json_each(?))
SELECT c.id, c.name, co.name, {cadence}, c.created_at, {moments}
  FROM contacts c LEFT JOIN companies co ON co.id = c.company_id{join}
 WHERE c.deleted_at IS NULL{where}
"""


def _contacts(db: Connection, settings: Settings, ids: list[int] | None,
              with_stake_or_cadence: bool = False):
    where, params = in_selection("c.id", ids)
    if with_stake_or_cadence:
        where += (" AND ({cadence} > 0 OR c.id IN (SELECT contact_id FROM deals"
                  " WHERE deleted_at IS NULL))")
    personal = _personal(db)
    moments, join = _STORED if settings.window <= STORED_MOMENTS and personal else _READ
    sql = _CONTACTS.replace("{moments}", moments).replace("{join}", join)
    sql = sql.replace("{where}", where).replace("{personal}", personal)
    sql = sql.replace("{window}", str(int(settings.window)))
    sql = sql.replace("{cadence}", _TAG_CADENCE if settings.cadences else "c.cadence_days")
    return db.execute(sql, [json.dumps(settings.cadences), *params])


def _days(text: str) -> float:
    """A stored UTC instant as days since the epoch."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() / DAY


# ---------------------------------------------------------------------------------- value


@dataclass(slots=True)
class Stake:
    """What a contact is worth keeping: the weighted value of their open deals plus one year
    of their average yearly won value, per currency (minor units); ``ranked`` is the total in
    the configured currency (other currencies through ``[rates]``), ``unranked`` the
    currencies without a rate."""

    open_weighted: dict[str, int] = field(default_factory=dict)
    yearly_won: dict[str, int] = field(default_factory=dict)
    ranked: int = 0
    unranked: tuple[str, ...] = ()
    total: dict[str, int] = field(default_factory=dict)  # the two summed, by currency


NO_STAKE = Stake()


def stakes_by_contact(db: Connection, today: dt.date, settings: Settings, pipeline: Pipeline,
                      ids: list[int] | None = None) -> dict[int, Stake]:
    """The value at stake of every contact with a deal (of ``ids`` when given)."""
    where, params = in_selection("d.contact_id", ids)
    probability, probability_params = pipeline.probability_sql()
    parts: dict[int, tuple[dict[str, int], dict[str, int]]] = {}  # (open, yearly won)
    for contact_id, currency, weighted, won, first in db.execute(
            _STAKES.format(probability=probability, where=where),
            [*probability_params, *params]):
        open_, yearly_ = parts.get(contact_id) or parts.setdefault(contact_id, ({}, {}))
        if weighted is not None:
            open_[currency] = weighted
        if won is not None:
            yearly_[currency] = yearly(won, first, today)
    stakes = {}
    for contact_id, (open_, yearly_) in parts.items():
        if len(open_) + len(yearly_) == 1:  # one figure in one currency
            total = {**open_, **yearly_}
        else:
            total = {c: open_.get(c, 0) + yearly_.get(c, 0) for c in sorted({*open_, *yearly_})}
        stakes[contact_id] = Stake(open_, yearly_, *ranked(total, settings), total)
    return stakes


# Per contact and currency: the weighted value of the open deals and the won value with the
# first purchase (NULL where there is none), from one pass over the valued deals.
_STAKES = """
SELECT d.contact_id, d.currency,
       sum(CASE WHEN d.stage != 'won' THEN d.amount_minor * {probability} / 100 END),
       sum(CASE WHEN d.stage = 'won' THEN d.amount_minor END),
       min(CASE WHEN d.stage = 'won' THEN d.closed_at END)
  FROM deals d
 WHERE d.deleted_at IS NULL AND d.amount_minor IS NOT NULL AND d.contact_id IS NOT NULL
   AND d.stage != 'lost'{where}
 GROUP BY d.contact_id, d.currency
"""


def yearly(total_minor: int, first_purchase: str, today: dt.date) -> int:
    """One year of a won value earned since ``first_purchase``: the total over the years as a
    customer, a year at least (``total x 365 / max(365, days)``, half up)."""
    days = max(365, (today - dt.date.fromisoformat(first_purchase[:10])).days)
    return (2 * total_minor * 365 + days) // (2 * days)


def ranked(amounts: dict[str, int], settings: Settings) -> tuple[int, tuple[str, ...]]:
    """The sum of ``amounts`` in the configured currency, converting through the rates
    (minor units, half up), and the currencies that have no rate."""
    if len(amounts) == 1 and settings.currency in amounts:  # most contacts' and deals'
        return amounts[settings.currency], ()
    total, missing = 0, []
    for currency, minor in amounts.items():
        if currency == settings.currency:
            total += minor
        elif currency in settings.rates:
            from decimal import ROUND_HALF_UP, Decimal

            scale = Decimal(10) ** (money.exponent(settings.currency) - money.exponent(currency))
            value = Decimal(minor) * settings.rates[currency] * scale
            total += int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        elif minor:
            missing.append(currency)
    return total, tuple(sorted(missing))


def health_record(item: Health, currency: str) -> dict:
    """One contact's health as a stable JSON object."""
    return _record(item.contact_id, item.name, item.company, item.state, item.rhythm,
                   item.last_contact, item.days_since, item.stake, currency)


def _record(contact_id: int, name: str, company: str | None, state: str, found: Rhythm,
            last: str | None, days_since: float | None, stake: Stake, currency: str) -> dict:
    if stake is NO_STAKE:  # most contacts: no money to format
        at_stake, ranked_value, unranked = [], _zero(currency), []
    else:
        at_stake = [money.to_json(minor, c) for c, minor in stake.total.items()]
        ranked_value, unranked = money.to_json(stake.ranked, currency), list(stake.unranked)
    return {"contact_id": contact_id, "name": name, "company": company, "health": state,
            "rhythm_days": None if found.days is None else round(found.days, 2),
            "rhythm_from": found.source, "last_contact": last,
            "days_since_contact": None if days_since is None else round(days_since, 2),
            "value_at_stake": at_stake, "ranked_value": ranked_value,
            "unranked_currencies": unranked}


@cache
def _zero(currency: str) -> dict:
    return money.to_json(0, currency)


# ------------------------------------------------------------------------- activity report


def activity_by_period(db: Connection, since: dt.datetime, by: str = "month",
                       ids: list[int] | None = None) -> list[dict]:
    """Personal interactions of live contacts (of ``ids`` when given) from ``since`` on,
    counted per period (``2026-06``, or the Monday that starts the week) and type, oldest
    period first. Each period starts at midnight in ``since``'s zone with that night's
    offset: across a summer-time change, no interaction counts in the neighbour period."""
    where, params = in_selection("i.contact_id", ids)
    sql = ("SELECT i.kind, count(*) FROM interactions i"
           " JOIN contacts c ON c.id = i.contact_id AND c.deleted_at IS NULL"
           f" WHERE i.deleted_at IS NULL{_personal(db)} AND i.happened_at >= ?"
           f" AND i.happened_at < ?{where} GROUP BY i.kind ORDER BY i.kind")
    # From the first interaction on (not 1900's weeks one by one) to the last (even ahead).
    first, last = db.execute(
        "SELECT (SELECT min(happened_at) FROM interactions WHERE happened_at >= ?),"
        " (SELECT max(happened_at) FROM interactions)", [stamp(since)]).fetchone()
    if first is None:
        return []
    begin = parse_stamp(first).astimezone(since.tzinfo)
    return [{"period": period, "type": kind, "count": count}
            for period, start, end in _periods(begin, by, last)
            for kind, count in db.execute(sql, [start, end, *params])]


def _periods(begin: dt.datetime, by: str, last: str) -> Iterator[tuple[str, str, str]]:
    """Each month (or week from Monday) from the one holding ``begin`` to the one holding the
    stamp ``last``: its name and its bounds as stamps, the first starting at ``begin``."""
    day = begin.date()
    first = day.replace(day=1) if by == "month" else day - dt.timedelta(days=day.weekday())
    start = stamp(begin)
    while start <= last:
        following = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                     if by == "month" else first + dt.timedelta(days=7))
        end = stamp(dt.datetime.combine(following, dt.time(), tzinfo=begin.tzinfo))
        yield first.isoformat()[:7] if by == "month" else first.isoformat(), start, end
        first, start = following, end
