"""A company's page (``crm company show``): its people with their last contact, its open and
won deals with totals per currency, the merged timeline of its people and its notes,
assembled once for both the Rich view and the JSON record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli import activity, cases, companies, contacts, deals, handles, money

if TYPE_CHECKING:
    from sqlite3 import Connection

    from crmcli.models import Company, Contact, Deal, Note
    from crmcli.stages import Pipeline

HISTORY = 15  # latest notes and interactions of its people on the page


@dataclass
class CompanyProfile:
    company: Company
    people: list[Contact]
    open_deals: list[Deal]
    won_deals: list[Deal]
    history: list[activity.Event]
    notes: list[Note]
    last_contacted_at: str | None
    now: dt.datetime
    handles: list[dict] = dataclasses.field(default_factory=list)  # IM and social profiles
    # Open and waiting service cases of the company and its people, overdue first.
    cases: list[cases.Case] = dataclasses.field(default_factory=list)

    def totals(self, which: str) -> dict[str, int]:
        """The value of the open or won deals per currency, in minor units."""
        summed: dict[str, int] = {}
        for deal in self.open_deals if which == "open" else self.won_deals:
            if deal.amount_minor is not None:
                summed[deal.currency] = summed.get(deal.currency, 0) + deal.amount_minor
        return dict(sorted(summed.items()))


def load(db: Connection, company: Company, now: dt.datetime, people_shown: int | None = None
         ) -> CompanyProfile:
    """Everything the page shows; ``people_shown``: only that many people, those last in
    touch first (a page), else all of them by name (the JSON record)."""
    if people_shown is None:
        people = contacts.search(db, company_id=company.id)
    else:
        people = contacts.search(db, company_id=company.id, sort="last-contact",
                                 limit=people_shown)
    ids = tuple(deal_id for (deal_id,) in db.execute(
        "SELECT id FROM deals WHERE company_id = ? OR contact_id IN"
        " (SELECT id FROM contacts WHERE company_id = ?)", [company.id, company.id]))
    last = db.execute(f"SELECT max({activity.last_contact_sql(db)}) FROM contacts c"
                      " WHERE c.company_id = ? AND c.deleted_at IS NULL", [company.id]
                      ).fetchone()[0]
    return CompanyProfile(
        company=company, people=people,
        open_deals=deals.search(db, deals.Filter(status="open", ids=ids)),
        won_deals=deals.search(db, deals.Filter(status="won", ids=ids)),
        history=activity.timeline(db, activity.TimelineFilter(company_id=company.id,
                                                              limit=HISTORY)),
        notes=companies.notes_for(db, company.id),
        last_contacted_at=last, now=now,
        handles=handles.for_company(db, company.id),
        cases=list(cases.iter_cases(db, cases.Filter(company_id=company.id), now)))


def to_record(profile: CompanyProfile, pipeline: Pipeline) -> dict:
    """The company's list record plus its people, deals, totals, notes and history."""
    def totals(which: str) -> list[dict]:
        return [money.to_json(minor, currency)
                for currency, minor in profile.totals(which).items()]

    return companies.to_record(profile.company) | {
        "last_contacted_at": profile.last_contacted_at,
        "contacts": [contacts.to_record(person) for person in profile.people],
        "open_deals": [deals.to_record(deal, pipeline) for deal in profile.open_deals],
        "won_deals": [deals.to_record(deal, pipeline) for deal in profile.won_deals],
        "open_total": totals("open"),
        "won_total": totals("won"),
        "notes": [{"id": n.id, "body": n.body, "created_at": n.created_at}
                  for n in profile.notes],
        "history": [activity.event_record(event) for event in profile.history],
        "handles": list(profile.handles),
        "open_cases": [cases.to_record(case) for case in profile.cases],
    }
