"""Personal facts about a contact that a salesperson keeps: how you met (``how_we_met``), when
(``met_on``, a date) and their interests (``contact_interests``, one row each). ``contacts``
writes and loads them with the rest of the contact."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput, shown
from crmcli.limits import check_text
from crmcli.models import PartialDate
from crmcli.normalize import fold

if TYPE_CHECKING:
    from sqlite3 import Connection

    from crmcli.models import Contact

MAX_INTEREST = 100  # characters
MAX_INTERESTS = 50  # per contact
MAX_HOW_WE_MET = 1000


def tidy(contact: Contact) -> Contact:
    """The contact with its facts checked and tidied: interests once each, in their order."""
    how = " ".join((contact.how_we_met or "").split()) or None
    check_text("how we met", how)
    if how and len(how) > MAX_HOW_WE_MET:
        raise InvalidInput(f"how we met: at most {MAX_HOW_WE_MET} characters, not {len(how)}")
    interests: dict[str, str] = {}
    for text in contact.interests:
        check_text("an interest", text)
        interest = " ".join(text.split())
        if not interest or len(interest) > MAX_INTEREST:
            raise InvalidInput(f"an interest must be 1 to {MAX_INTEREST} characters, "
                               f"not {len(interest)}")
        interests.setdefault(fold(interest), interest)
    if len(interests) > MAX_INTERESTS:
        raise InvalidInput(f"{len(interests)} interests: a contact has at most {MAX_INTERESTS}")
    return replace(contact, how_we_met=how, interests=list(interests.values()))


def without_interests(contact: Contact, removed: list[str]) -> Contact:
    """The contact without the interests named (in any case); each must be one of its own."""
    have = {fold(interest) for interest in contact.interests}
    for text in removed:
        if fold(" ".join(text.split())) not in have:
            raise InvalidInput(f"--no-interest: {contact.name} has no interest {shown(text)}")
    gone = {fold(" ".join(text.split())) for text in removed}
    return replace(contact, interests=[i for i in contact.interests if fold(i) not in gone])


def write(db: Connection, contact: Contact) -> bool:
    """Make the contact's stored facts those of ``contact``; whether anything changed."""
    met_on = str(contact.met_on) if contact.met_on else None
    changed = db.execute(
        "UPDATE contacts SET how_we_met = ?, met_on = ? WHERE id = ?"
        " AND (how_we_met IS NOT ? OR met_on IS NOT ?)",
        [contact.how_we_met, met_on, contact.id, contact.how_we_met, met_on]).rowcount > 0
    stored = [row[0] for row in db.execute(
        "SELECT interest FROM contact_interests WHERE contact_id = ? ORDER BY rowid",
        [contact.id])]
    if stored == contact.interests:
        return changed
    db.execute("DELETE FROM contact_interests WHERE contact_id = ?", [contact.id])
    db.executemany("INSERT INTO contact_interests (contact_id, interest, interest_folded)"
                   " VALUES (?, ?, ?)",
                   [(contact.id, interest, fold(interest)) for interest in contact.interests])
    return True


def load_into(db: Connection, contacts: dict[int, Contact]) -> None:
    """Give each loaded contact its facts and interests (two queries for any number)."""
    ids = json.dumps(list(contacts))
    for contact_id, how, met_on in db.execute(
            "SELECT id, how_we_met, met_on FROM contacts WHERE (how_we_met IS NOT NULL"
            " OR met_on IS NOT NULL) AND id IN (SELECT value FROM json_each(?))", [ids]):
        contacts[contact_id].how_we_met = how
        contacts[contact_id].met_on = PartialDate.from_storage(met_on) if met_on else None
    for contact_id, interest in db.execute(
            "SELECT contact_id, interest FROM contact_interests"
            " WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY contact_id, rowid",
            [ids]):
        contacts[contact_id].interests.append(interest)


COMING_UP_DAYS = 60


def coming_up(contact: Contact, relations: list, today) -> list[tuple]:
    """(day, what) of the contact's birthday and dates and its people's birthdays in the next
    :data:`COMING_UP_DAYS` days, soonest first."""
    import datetime as dt

    from crmcli.dates import next_occurrence
    from crmcli.important_dates import all_dates

    dates = [("birthday", contact.birthday)] if contact.birthday else []
    dates += [(d.label, d.date) for d in all_dates(contact)]
    roles: dict[tuple, list[str]] = {}  # one line per person, with all they are to them
    for r in relations:
        if r.birthday:
            roles.setdefault((r.other_id, r.other_name, r.birthday), []).append(r.role)
    dates += [(f"{name}'s birthday ({', '.join(dict.fromkeys(said))})", birthday)
              for (_, name, birthday), said in roles.items()]
    last = today + dt.timedelta(days=COMING_UP_DAYS)
    found = [(next_occurrence(date, today), what) for what, date in dates]
    return sorted(item for item in found if item[0] <= last)
