"""The day's call queue (``crm next``): one ranked list of what to act on today.

It merges overdue service cases, follow-ups overdue and due today, contacts past their
keep-in-touch cadence, cooling or cold contacts with value at stake, customers at risk, open
deals without activity for ``stale_deal_days`` or past their close date, and today's birthdays
and important dates. Each item scores ``min(urgency, urgency_cap) x (1 + log10(1 + value at
stake))``, urgency in whole days (1 at least), value in major units of the configured currency;
ties go to the earliest due. Each says why it is there and the one command that acts on it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from sqlite3 import Connection
from typing import TYPE_CHECKING

from crmcli import money
from crmcli.analytics import Health, assess, in_selection, ranked
from crmcli.analytics_settings import Settings
from crmcli.dates import stamp

if TYPE_CHECKING:
    from crmcli.stages import Pipeline

KINDS = ("case", "follow_up", "contact", "deal", "occasion")  # the order of ties at the same moment
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(slots=True)
class QueueItem:
    """One line of the queue; ``id`` is the follow-up's, contact's or deal's."""

    kind: str
    id: int
    contact_id: int | None
    contact: str | None
    company: str | None
    reasons: list[str]
    command: str
    urgency_days: int
    value_minor: int  # ranked value at stake, configured currency
    unranked: tuple[str, ...]
    due: str  # ISO 8601: when it became due (a day or an instant)
    score: float = 0.0
    occasion: str | None = None  # an occasion's kind: birthday, anniversary or a date's label


def call_queue(db: Connection, now: dt.datetime, settings: Settings, pipeline: Pipeline,
               ids: list[int] | None = None, limit: int | None = None) -> list[QueueItem]:
    """The ranked queue at ``now`` for the live contacts (of ``ids`` when given; follow-ups
    without a contact only when not)."""
    from crmcli.customers import customers

    # Only contacts with a deal or a cadence can drift, cool with value at stake, be at risk
    # or own a deal; the others come in through their follow-ups and occasions alone.
    people = assess(db, now, settings, pipeline, ids, with_stake_or_cadence=True)
    by_id = {person.contact_id: person for person in people}
    selected = None if ids is None else set(ids)
    at_risk = {c.id: c for c in customers(db, now, settings, "contact", ids) if c.at_risk}
    items = [*_cases(db, now, by_id, selected), *_follow_ups(db, now, by_id, selected),
             *_contacts(people, at_risk, now, settings),
             *_deals(db, now, settings, pipeline, by_id, ids),
             *_occasions(db, now, by_id, selected)]
    unit = 10 ** money.exponent(settings.currency)
    for item in items:
        item.score = score(item.urgency_days, item.value_minor / unit, settings)
    items.sort(key=lambda i: (-round(i.score, 9), i.due, _KIND_ORDER[i.kind], i.id))
    return items if limit is None else items[:limit]


def score(urgency_days: int, value: float, settings: Settings) -> float:
    """``min(urgency, cap) x (1 + log10(1 + value))``, value in major units."""
    return min(urgency_days, settings.urgency_cap) * (1 + math.log10(1 + max(0.0, value)))


def _whole(days: float) -> int:
    return max(1, math.floor(days))


def _item(kind: str, ident: int, person: Health | None, reasons: list[str], command: str,
          urgency: int, due: str, stake: dict | None = None,
          who: tuple[int | None, str | None, str | None] = (None, None, None)) -> QueueItem:
    """A queue line about ``person`` (else ``who``: contact id, name and company)."""
    value, unranked = (stake["ranked"], stake["unranked"]) if stake else (
        (person.stake.ranked, person.stake.unranked) if person else (0, ()))
    if person is not None:
        who = (person.contact_id, person.name, person.company)
    return QueueItem(kind, ident, *who, reasons, command, urgency, value, unranked, due)


def _follow_ups(db: Connection, now: dt.datetime, people: dict[int, Health],
                selected: set[int] | None) -> list[QueueItem]:
    from crmcli.followups import due_date, open_entries, sort_key

    zone, today = now.tzinfo, now.date()
    found = []
    for entry in open_entries(db, zone, today + dt.timedelta(days=1)):
        followup = entry.followup
        if selected is not None and followup.contact_id not in selected:
            continue
        late = (today - due_date(followup, zone)).days
        what = followup.body or "follow up"
        if entry.deal_title:
            what += f" [deal: {entry.deal_title}]"
        why = f"overdue {late} day{'s' * (late != 1)}: {what}" if late else f"due today: {what}"
        due = sort_key(followup, zone)[0] if followup.has_time else due_date(followup, zone)
        found.append(_item("follow_up", followup.id, people.get(followup.contact_id), [why],
                           f"crm done {followup.id}", max(1, late), _iso(due, zone),
                           who=(followup.contact_id, entry.contact_name, entry.company)))
    return found


def _cases(db: Connection, now: dt.datetime, people: dict[int, Health],
           selected: set[int] | None) -> list[QueueItem]:
    """Overdue service cases: urgency in whole days past the promise (1 at least), the value
    at stake their customer's (a company's own case has none, and shows only unselected)."""
    from crmcli.cases import overdue
    from crmcli.dates import parse_stamp

    found = []
    for case in overdue(db, now):
        if selected is not None and case.contact_id not in selected:
            continue
        due = parse_stamp(case.due_at).astimezone(now.tzinfo)
        late = (now - due).total_seconds() / 86400
        item = _item("case", case.id, people.get(case.contact_id),
                     [f"case overdue since {due:%Y-%m-%d %H:%M} ({case.priority}): {case.title}"],
                     f"crm case resolve {case.id}", _whole(late), due.isoformat(),
                     who=(case.contact_id, case.contact, case.company))
        item.company = item.company or case.company
        found.append(item)
    return found


def _iso(value: dt.date | dt.datetime, zone: dt.tzinfo) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat()
    return dt.datetime.combine(value, dt.time(), tzinfo=zone).isoformat()


def _contacts(people: list[Health], at_risk: dict, now: dt.datetime, settings: Settings
              ) -> list[QueueItem]:
    """One item per contact drifting past their cadence, cooling or cold with value at
    stake, or at risk as a customer; its urgency is the largest of its reasons'."""
    found = []
    for person in people:
        reasons: list[tuple[float, str]] = []  # (days beyond, why)
        since = person.days_since
        if person.cadence_days and since is not None and since > person.cadence_days:
            reasons.append((since - person.cadence_days,
                            f"keep in touch every {_days(person.cadence_days)}: last contact "
                            f"{_days(since)} ago"))
        if person.state in ("cooling", "cold") and any(person.stake.total.values()):
            reasons.append((person.overdue_days,
                            f"{person.state}: {_days(since)} since the last contact, rhythm "
                            f"{_days(person.rhythm.days)}"))
        customer = at_risk.get(person.contact_id)
        if customer is not None:
            reasons.append((customer.overdue_days, "customer at risk: last purchase "
                            f"{_days(customer.days_since_purchase)} ago"))
        if not reasons:
            continue
        beyond = max(days for days, _ in reasons)
        found.append(_item("contact", person.contact_id, person, [why for _, why in reasons],
                           f"crm log {person.contact_id} -t call", _whole(beyond),
                           (now - dt.timedelta(days=beyond)).isoformat()))
    return found


def _days(days: float | None) -> str:
    if days is None:
        return "never"
    whole = round(days, 1)
    text = f"{whole:g}"
    return f"{text} day" if text == "1" else f"{text} days"


_OPEN_DEALS = """
SELECT d.id, d.title, d.stage, d.contact_id, d.close_on, d.updated_at, d.currency,
       d.amount_minor * {probability} / 100, co.name
  FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id
  LEFT JOIN companies co ON co.id = coalesce(d.company_id, c.company_id)
 WHERE d.deleted_at IS NULL AND d.stage NOT IN ('won', 'lost')
   AND (d.contact_id IS NULL OR c.deleted_at IS NULL){where}
"""


def _deals(db: Connection, now: dt.datetime, settings: Settings, pipeline: Pipeline,
           people: dict[int, Health], ids: list[int] | None) -> list[QueueItem]:
    """Open deals past their close date or without activity (an edit of the deal or a
    personal interaction with its contact) for ``stale_deal_days``."""
    probability, params = pipeline.probability_sql()
    where, selection = in_selection("d.contact_id", ids)
    today, found, next_stage = now.date(), [], _next_stages(pipeline)
    today_text = today.isoformat()
    stale_before = stamp(dt.datetime.combine(  # activity before this is stale
        today - dt.timedelta(days=settings.stale_deal_days), dt.time(), tzinfo=now.tzinfo))
    for deal_id, title, stage, contact_id, close_on, updated, currency, weighted, company in (
            db.execute(_OPEN_DEALS.format(probability=probability, where=where),
                       [*params, *selection])):
        person = people.get(contact_id)
        active = max(updated, person.last_contact or "") if person else updated
        if active >= stale_before and (close_on or "9") >= today_text:
            continue  # the common case, decided on the stored text alone
        idle = (today - _local_day(active, now.tzinfo)).days
        late = (today - dt.date.fromisoformat(close_on)).days if close_on else 0
        reasons, urgency, due = [], 0, None
        if late > 0:
            reasons.append(f"close date {close_on} passed {_days(late)} ago")
            urgency, due = late, dt.date.fromisoformat(close_on)
        if idle > settings.stale_deal_days:
            reasons.append(f"no activity for {idle} days")
            urgency = max(urgency, idle - settings.stale_deal_days)
            due = min(due or today, today - dt.timedelta(days=idle - settings.stale_deal_days))
        if not reasons:
            continue
        value, unranked = ranked({currency: weighted or 0}, settings)
        item = _item("deal", deal_id, person, [f"{title} ({stage}): {r}" for r in reasons],
                     f"crm deal move {deal_id} {next_stage(stage)}", _whole(urgency),
                     _iso(due, now.tzinfo), {"ranked": value, "unranked": unranked})
        item.company = item.company or company
        found.append(item)
    return found


def _local_day(stamp_text: str, zone: dt.tzinfo) -> dt.date:
    return dt.datetime.fromisoformat(stamp_text.replace("Z", "+00:00")).astimezone(zone).date()


def _next_stages(pipeline: Pipeline) -> Callable[[str], str]:
    """The open stage after a stage, or won after the last one (the first open stage after
    one the pipeline does not have)."""
    names = [s.name for s in pipeline.open]
    following = dict(zip(names, [*names[1:], "won"], strict=True))
    return lambda stage: following.get(stage) or (names[0] if names else "won")


def _occasions(db: Connection, now: dt.datetime, people: dict[int, Health],
               selected: set[int] | None) -> list[QueueItem]:
    from crmcli.occasions import occasion_text, occasions

    today, found = now.date(), []
    for o in occasions(db, today, today):
        if selected is None or o.contact_id in selected:
            item = _item("occasion", o.contact_id, people.get(o.contact_id),
                         [f"today: {occasion_text(o)}"], f"crm log {o.contact_id} -t call", 1,
                         _iso(today, now.tzinfo), who=(o.contact_id, o.contact_name, o.company))
            item.occasion = o.kind
            found.append(item)
    return found


def item_record(item: QueueItem, rank: int, currency: str) -> dict:
    """One queue line as a stable JSON object."""
    return {"rank": rank, "kind": item.kind, "id": item.id, "contact_id": item.contact_id,
            "contact": item.contact, "company": item.company, "why": "; ".join(item.reasons),
            "command": item.command, "urgency_days": item.urgency_days,
            "score": round(item.score, 2), "due": item.due, "occasion": item.occasion,
            "value_at_stake": money.to_json(item.value_minor, currency),
            "unranked_currencies": list(item.unranked)}

