"""A small sample book for trying crmcli out: ``crm demo``."""

from __future__ import annotations

import datetime as dt
import random
from sqlite3 import Connection

from crmcli import activity, contacts, deals, followups
from crmcli.dates import stamp
from crmcli.db import transaction
from crmcli.models import Contact, Detail, Interaction, PartialDate

_PEOPLE = [
    ("José Núñez", "Iberia Logistics", "Head of Procurement", "jose.nunez@iberialog.es",
     "mobile:+34 612 34 56 78", ["vip", "customer"], PartialDate(1979, 3, 14),
     "Prefers calls after 16:00. Renewal due in spring."),
    ("Ana Lima", "Atlântico Foods", "COO", "ana@atlanticofoods.pt", "work:+351 21 123 4567",
     ["lead"], PartialDate(None, 7, 2), "Met at the Lisbon trade fair; wants a pilot."),
    ("Bo Chen", "Northwind Traders", "IT Director", "bo.chen@northwind.example",
     "+1 415 555 0100", ["customer"], None, "Uses the API heavily. Ask about SSO."),
    ("Chloé Dubois", "Maison Verte", "Founder", "chloe@maisonverte.fr", "mobile:+33 6 12 34 56 78",
     ["lead", "referral"], PartialDate(1988, 11, 30), "Referred by José. 🌱 Sustainability focus."),
    ("Dmitri Volkov", "Northwind Traders", "CFO", "d.volkov@northwind.example",
     "+1 415 555 0111", ["customer", "decision-maker"], None, "Signs anything over 10k."),
    ("Émilie Laurent", "Maison Verte", "Buyer", "emilie@maisonverte.fr", "+33 1 23 45 67 89",
     ["lead"], None, "Sends the RFP in January."),
    ("Fatima Al-Sayed", "Gulf Retail Group", "VP Sales", "fatima@gulfretail.example",
     "mobile:+971 50 123 4567", ["vip", "partner"], PartialDate(None, 2, 29),
     "Partner programme; quarterly review."),
    ("Gunnar Sørensen", "Nordlys AS", "CTO", "gunnar@nordlys.no", "+47 912 34 567",
     ["prospect"], None, "Evaluating three vendors."),
    ("Hana Tanaka", "Sakura Design", "Art Director", "hana@sakura.example", "+81 3 1234 5678",
     ["customer"], PartialDate(1990, 5, 5), "Loves the new dashboard."),
    ("Isabel Ortega", "Iberia Logistics", "Operations", "isabel.ortega@iberialog.es",
     "+34 91 123 45 67", ["customer"], None, "Day-to-day contact for support."),
    ("Jonas Weber", None, "Freelance consultant", "jonas@weber.example", "+49 151 2345 6789",
     ["referral"], None, "Introduced us to Nordlys."),
    ("Kwame Mensah", "Accra Solar", "Managing Director", "kwame@accrasolar.example",
     "+233 24 123 4567", ["prospect", "vip"], PartialDate(1975, 12, 1),
     "Big expansion plans for next year."),
]


_TOPICS = {"call": ["Checked in on the rollout", "Discussed pricing", "Renewal terms"],
           "email": ["Sent the proposal", "Shared the case study", "Followed up on the quote"],
           "meeting": ["Demo with the team", "Quarterly review", "Lunch"],
           "message": ["Quick question about invoices"], "visit": ["Visited their office"]}


def seed(db: Connection, now: dt.datetime) -> int:
    """Fill an empty database with the sample book and some months of history; returns how
    many contacts it added."""
    with transaction(db):
        ids = []
        for name, company, title, email, phone, tags, birthday, note in _PEOPLE:
            label, _, number = phone.rpartition(":")
            ids.append(contacts.create(db, Contact(
                name=name, company=company, title=title, emails=[Detail(email, "work")],
                phones=[Detail(number, label)], tags=tags, birthday=birthday), notes=[note]).id)
        _seed_history(db, ids, now)
        _backdate_notes(db, ids, now)
        deals.seed_demo(db, ids, now)
        followups.seed_demo(db, ids, now)
    return len(_PEOPLE)


def _backdate_notes(db: Connection, ids: list[int], now: dt.datetime) -> None:
    """The sample notes were written over the last weeks, not all this second."""
    for index, contact_id in enumerate(ids):
        written = stamp(now - dt.timedelta(days=3 * index + 1, hours=index))
        db.execute("UPDATE notes SET created_at = ?, updated_at = ? WHERE contact_id = ?",
                   [written, written, contact_id])


def _seed_history(db: Connection, ids: list[int], now: dt.datetime) -> None:
    """Interactions over the last eight months, busier lately, the same on every run."""
    rng = random.Random(2026)
    for contact_id in ids[:-2]:  # the last two have never been contacted
        for _ in range(rng.randrange(3, 14)):
            kind = rng.choice(list(_TOPICS))
            days_ago = int(rng.triangular(0, 240, 0))
            moment = (now - dt.timedelta(days=days_ago)).replace(
                hour=rng.randrange(8, 19), minute=rng.choice((0, 15, 30, 45)))
            activity.log_interaction(db, Interaction(
                contact_id=contact_id, kind=kind, body=rng.choice(_TOPICS[kind]),
                happened_at=stamp(moment),
                duration_minutes=rng.choice((None, 15, 30, 45)) if kind != "email" else None))


def is_empty(db: Connection) -> bool:
    return not db.execute("SELECT 1 FROM contacts UNION ALL SELECT 1 FROM companies").fetchone()
