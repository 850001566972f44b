"""A contact's page (``crm show``): everything it shows, assembled once for both the Rich view
and the JSON record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli import (
    activity,
    campaigns,
    cases,
    contacts,
    deals,
    followups,
    gifts,
    handles,
    relationships,
)

if TYPE_CHECKING:
    from sqlite3 import Connection

    from crmcli.analytics import Health
    from crmcli.models import Contact, Deal, Note
    from crmcli.stages import Pipeline

HISTORY = 10  # latest notes and interactions on the page


@dataclass
class Profile:
    contact: Contact
    history: list[activity.Event]
    planned: list[followups.Entry]
    open_deals: list[Deal]
    notes: list[Note]
    now: dt.datetime
    relations: list[relationships.Relation]
    mail: list[str] = field(default_factory=list)  # opted out, addresses that failed
    handles: list[dict] = field(default_factory=list)  # IM and social profiles from its card
    gifts: list[gifts.Gift] = field(default_factory=list)  # ideas, then given, latest first
    cases: list[cases.Case] = field(default_factory=list)  # open and waiting, overdue first
    health: Health | None = None  # relationship health (analytics), when the command asks


def load(db: Connection, contact: Contact, now: dt.datetime) -> Profile:
    return Profile(
        contact=contact,
        history=activity.timeline(db, activity.TimelineFilter(contact_id=contact.id,
                                                              limit=HISTORY)),
        planned=followups.upcoming_for_contact(db, contact.id),
        open_deals=deals.open_for_contact(db, contact.id),
        notes=activity.notes_for(db, contact.id),
        now=now,
        relations=relationships.for_contact(db, contact.id),
        mail=campaigns.mail_notes(db, contact.id),
        handles=handles.for_contact(db, contact.id),
        gifts=gifts.for_contact(db, contact.id),
        cases=list(cases.iter_cases(db, cases.Filter(contact_id=contact.id), now)))


def to_record(profile: Profile, pipeline: Pipeline) -> dict:
    """The contact's list record plus its open deals, next follow-ups, notes and history."""
    record = contacts.to_record(profile.contact)
    record["open_deals"] = [deals.to_record(deal, pipeline) for deal in profile.open_deals]
    record["next_follow_ups"] = [followups.to_record(item, profile.now.tzinfo)
                                 for item in profile.planned]
    record["notes"] = [{"id": n.id, "body": n.body, "created_at": n.created_at}
                       for n in profile.notes]
    record["history"] = [activity.event_record(event) for event in profile.history]
    record["relationships"] = [relationships.to_record(r) for r in profile.relations]
    record["handles"] = list(profile.handles)
    record["gifts"] = [gifts.to_record(gift) for gift in profile.gifts]
    record["open_cases"] = [cases.to_record(case) for case in profile.cases]
    return record
