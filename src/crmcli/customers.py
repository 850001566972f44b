"""Customer value and customers at risk (``crm report customers``, ``crm next``).

A purchase is a won deal, dated by the local day it was won. Values stay per currency.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import money
from crmcli.analytics import in_selection, median
from crmcli.analytics_settings import Settings


@dataclass(slots=True)
class CurrencyValue:
    """What a customer bought in one currency."""

    currency: str
    won_minor: int = 0
    deals: int = 0
    valued: int = 0  # deals with a value: the average's divisor
    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def average_minor(self) -> int | None:
        return None if not self.valued else (2 * self.won_minor + self.valued) // (
            2 * self.valued)


@dataclass(slots=True)
class Customer:
    """A contact or company with won deals, its value per currency and its risk."""

    kind: str  # "contact" or "company"
    id: int
    name: str
    values: dict[str, CurrencyValue] = field(default_factory=dict)
    purchases: list[dt.date] = field(default_factory=list)
    at_risk: bool = False
    days_since_purchase: int = 0
    risk_after_days: float | None = None  # days without a purchase that make it at risk

    @property
    def overdue_days(self) -> float:
        """Days beyond the point where the customer became at risk."""
        if not self.at_risk or self.risk_after_days is None:
            return 0.0
        return self.days_since_purchase - self.risk_after_days


_WON = """
SELECT {key}, {name}, d.currency, d.amount_minor, d.closed_at
  FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id
  {join}
 WHERE d.deleted_at IS NULL AND d.stage = 'won' AND d.closed_at IS NOT NULL
   AND {live}{where}
"""


def customers(db: Connection, now: dt.datetime, settings: Settings, by: str = "contact",
              ids: list[int] | None = None) -> list[Customer]:
    """Every customer (contact, or company with ``by="company"``) with a won deal, at risk
    first, then by how long past due, then by name. A company's deals are its own and its
    people's; ``ids`` (selected contacts) keeps those contacts, or their companies."""
    where, params = in_selection("d.contact_id", ids)
    if by == "company":
        key = "coalesce(d.company_id, c.company_id)"
        if ids is not None:
            where = (f" AND {key} IN (SELECT company_id FROM contacts"
                     " WHERE id IN (SELECT value FROM json_each(?)))")
        sql = _WON.format(key=key, name="co.name", join=f"JOIN companies co ON co.id = {key}",
                          live="co.deleted_at IS NULL", where=where)
    else:
        sql = _WON.format(key="d.contact_id", name="c.name", join="",
                          live="d.contact_id IS NOT NULL AND c.deleted_at IS NULL",
                          where=where)
    found: dict[int, Customer] = {}
    zone = now.tzinfo
    for key_id, name, currency, amount, closed_at in db.execute(sql, params):
        customer = found.get(key_id) or found.setdefault(key_id, Customer(by, key_id, name))
        day = dt.datetime.fromisoformat(closed_at).astimezone(zone).date()
        value = customer.values.get(currency)
        if value is None:
            value = customer.values[currency] = CurrencyValue(currency)
        _add(value, amount, day)
        customer.purchases.append(day)
    for customer in found.values():
        assess(customer, now.date(), settings)
    return sorted(found.values(), key=lambda c: (not c.at_risk, -c.overdue_days,
                                                 c.name.lower(), c.id))


def _add(value: CurrencyValue, amount: int | None, day: dt.date) -> None:
    value.deals += 1
    if amount is not None:
        value.won_minor += amount
        value.valued += 1
    value.first = min(value.first or day, day)
    value.last = max(value.last or day, day)


def assess(customer: Customer, today: dt.date, settings: Settings) -> None:
    """At risk: with two won deals or more, longer since the last than ``at_risk`` x the
    median interval between purchases; with one, longer than ``one_purchase_days``."""
    days = sorted(customer.purchases)
    customer.days_since_purchase = (today - days[-1]).days
    if len(days) >= 2:
        intervals = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
        customer.risk_after_days = settings.at_risk * median(intervals)
    else:
        customer.risk_after_days = float(settings.one_purchase_days)
    customer.at_risk = customer.days_since_purchase > customer.risk_after_days


def value_record(value: CurrencyValue) -> dict:
    return {"currency": value.currency, "won_value": money.to_json(value.won_minor,
                                                                   value.currency),
            "won_deals": value.deals,
            "average_deal": money.to_json(value.average_minor, value.currency),
            "first_purchase": value.first.isoformat() if value.first else None,
            "last_purchase": value.last.isoformat() if value.last else None}


def customer_rows(customers_: list[Customer]) -> Iterator[dict]:
    """One record per customer and currency (JSON, TSV, CSV), made as it is written."""
    for customer in customers_:
        for _, value in sorted(customer.values.items()):
            yield {"kind": customer.kind, "id": customer.id, "name": customer.name,
                   "at_risk": customer.at_risk,
                   "days_since_purchase": customer.days_since_purchase,
                   "at_risk_after_days": customer.risk_after_days} | value_record(value)


def totals(customers_: list[Customer]) -> list[dict]:
    """The won value, deals and customers per currency, over ``customers_``."""
    summed: dict[str, CurrencyValue] = {}
    buyers: dict[str, int] = {}
    for customer in customers_:
        for currency, value in customer.values.items():
            total = summed.setdefault(currency, CurrencyValue(currency))
            total.won_minor += value.won_minor
            total.deals += value.deals
            total.valued += value.valued
            for day in (value.first, value.last):
                if day:
                    total.first, total.last = min(total.first or day, day), max(
                        total.last or day, day)
            buyers[currency] = buyers.get(currency, 0) + 1
    return [value_record(v) | {"customers": buyers[c]} for c, v in sorted(summed.items())]
