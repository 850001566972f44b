"""Notes and logged interactions as journal entries ([sync] journal): one VJOURNAL each, for
jtx Board on Android and any CalDAV journal reader (iOS has none; see docs/sync.md).

What an entry holds: DTSTART (when the note was written or the interaction happened, in UTC),
SUMMARY (the first line of the text) and DESCRIPTION (the rest), CATEGORIES (``Note`` or the
interaction's type: ``Call``, ``Meeting``...; a phone's other categories are kept), CONTACT (the
name) with the contact's UID in X-CRMCLI-CONTACT-UID, and an interaction's duration and outcome
in X- properties, so a second computer has them all.

Scope: what was written by hand or on a phone in the last ``[sync] journal_days`` days.
Interactions a campaign sent or a mailbox import logged stay in the book (a 100,000-message
mailbox must not flood the phone): they carry a campaign or a Message-ID.

An entry written on the phone becomes a logged interaction of the type its CATEGORIES name (a
call, a meeting...), so it resets the keep-in-touch clock; with no type it is logged as
``other``, and with the category ``Note`` it becomes a note. Edits and deletions travel both
ways; a deletion moves the row to crm's trash (``crm undo`` brings it back).

A row of either table is one integer for the sync machinery: a note's id negated, an
interaction's id as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from sqlite3 import Connection

from crmcli import activity, contacts
from crmcli.dates import stamp
from crmcli.errors import CrmError, number_up_to
from crmcli.models import INTERACTION_KINDS, Interaction
from crmcli.normalize import fold
from crmcli.sync import base as bases
from crmcli.sync import ical, xprops
from crmcli.sync.items import Adapter, Row, Run, Step
from crmcli.sync.props import Props, digest

X_CONTACT = "X-CRMCLI-CONTACT-UID"
X_DURATION = "X-CRMCLI-DURATION"
X_OUTCOME = "X-CRMCLI-OUTCOME"
NOTE = "note"
PHONE_DEFAULT = "other"  # an entry from the phone that names no type
FIELDS = ("type", "at", "text", "contact", "duration", "outcome")
_TYPES = (NOTE, *INTERACTION_KINDS)
_NAMESPACE = uuid.UUID("6f0d4c59-2a4e-4d9a-9a55-3c1b2f0e6a11")

_NOTES = ("SELECT -n.id, 'note', n.created_at, n.body, c.uid, NULL, NULL, n.deleted_at,"
          " c.name, n.updated_at FROM notes n JOIN contacts c ON c.id = n.contact_id")
_INTERACTIONS = ("SELECT i.id, i.kind, i.happened_at, i.body, c.uid, i.duration_minutes,"
                 " i.outcome, i.deleted_at, c.name, NULL FROM interactions i"
                 " JOIN contacts c ON c.id = i.contact_id")


def summary_and_description(text: str) -> tuple[str | None, str | None]:
    """SUMMARY is the first line of the text, DESCRIPTION the rest: read back, they give the
    text again (see :func:`text_of`)."""
    first, _, rest = text.partition("\n")
    return first or None, rest or None


def text_of(summary: str | None, description: str | None) -> str:
    if summary and description:
        return f"{summary}\n{description}".strip()
    return (summary or description or "").strip()


def entry_uid(row_id: int, contact_uid: str, at: str) -> str:
    """The UID crm gives the entry of a row: the same on every run (a run killed after
    writing the file finds its row again), and unlike any other book's."""
    return str(uuid.uuid5(_NAMESPACE, f"{row_id}:{contact_uid}:{at}"))


class Journal(Adapter):
    name = "journal"
    component = "VJOURNAL"

    def __init__(self, zone: dt.tzinfo, now: dt.datetime, days: int):
        self.zone = zone  # where a phone's floating times and dates are read
        self.since = stamp(now - dt.timedelta(days=days))
        self._uids: dict[str, int] = {}
        self._uids_of: Run | None = None

    # ------------------------------------------------------------------ reading the book

    def rows(self, db: Connection) -> dict[int, Row]:
        """What is in scope: the entries of live contacts from the last days, those deleted
        in crm included (gone: their files are removed unless the phone changed them)."""
        found = {}
        for row in self._scoped(db):
            deleted = row[7] is not None
            found[row[0]] = Row(_version(row), not deleted, entry_uid(row[0], row[4], row[2]),
                                deleted)
        return found

    def _scoped(self, db: Connection) -> list[tuple]:
        return (db.execute(f"{_NOTES} WHERE c.deleted_at IS NULL AND n.created_at >= ?",
                           [self.since]).fetchall()
                + db.execute(f"{_INTERACTIONS} WHERE c.deleted_at IS NULL"
                             f" AND i.happened_at >= ?{_local_only(db)}",
                             [self.since]).fetchall())

    def _row(self, db: Connection, row_id: int) -> tuple:
        sql, key = (_NOTES, "n") if row_id < 0 else (_INTERACTIONS, "i")
        return db.execute(f"{sql} WHERE {key}.id = ?", [abs(row_id)]).fetchone()

    def version(self, db: Connection, row_id: int) -> str:
        row = self._row(db, row_id)
        return _version(row) if row else ""

    def props(self, db: Connection, row_id: int) -> Props:
        return _props(self._row(db, row_id))

    # ------------------------------------------------------------------ reading an entry

    def read(self, item: ical.Item) -> Props:
        return {"type": _type_of(item), "at": self._at(item.moment("DTSTART")),
                "text": text_of(item.text("SUMMARY"), item.text("DESCRIPTION")),
                "contact": xprops.read(item, X_CONTACT),
                "duration": number_up_to(xprops.read(item, X_DURATION), activity.LONGEST_MINUTES),
                "outcome": xprops.read(item, X_OUTCOME)}

    def _at(self, value: dt.date | dt.datetime | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return stamp(value if value.tzinfo else value.replace(tzinfo=self.zone))

    # ------------------------------------------------------------------ writing an entry

    def render(self, run: Run, row_id: int, original: ical.Item | None) -> ical.Item:
        row = self._row(run.db, row_id)
        props = _props(row)
        item = original or ical.new("VJOURNAL", entry_uid(row_id, row[4], row[2]))
        ical.replace(item, "DTSTART", dt.datetime.fromisoformat(props["at"]))
        summary, description = summary_and_description(props["text"])
        ical.replace(item, "SUMMARY", summary)
        ical.replace(item, "DESCRIPTION", description)
        others = [c for c in _categories(item) if fold(c) not in _TYPES]
        ical.replace(item, "CATEGORIES", [props["type"].capitalize(), *others])
        ical.replace(item, "STATUS", "FINAL")
        ical.replace(item, "CONTACT", row[8])
        xprops.write(item, X_CONTACT, props["contact"])
        xprops.write(item, X_DURATION, None if props["duration"] is None
                     else str(props["duration"]))
        xprops.write(item, X_OUTCOME, props["outcome"])
        return item

    def file_name(self, db: Connection, row_id: int) -> str:
        row = self._row(db, row_id)
        return f"{entry_uid(row_id, row[4], row[2])}.ics"

    # ------------------------------------------------------------------ phone's changes

    def create(self, run: Run, step: Step) -> int | None:
        own = self._own_uids(run)
        if step.item.uid in own:  # this book's own entry (a run killed before its base row)
            return own[step.item.uid]
        phone = step.phone
        contact_id = _contact(run.db, step.item, phone)
        if contact_id is None:
            run.report(f"{step.href}: names no contact; not imported")
            return None
        if not phone["text"] and phone["type"] == NOTE:
            run.report(f"{step.href}: an empty note; not imported")
            return None
        at = min(phone["at"] or run.stamp, run.stamp)  # a phone's clock may run ahead
        if phone["type"] == NOTE:
            same = self._unsynced_note(run.db, contact_id, phone["text"])
            if same is not None:  # the same note came with the contact's card
                note = activity.get_note(run.db, same)
                if note.created_at != at:
                    activity.redate_note(run.db, note, at)
                return -same
        return self._new_row(run, step, contact_id, at)

    def _own_uids(self, run: Run) -> dict[str, int]:
        """The UIDs crm gives this book's rows, worked out once per run."""
        if self._uids_of is not run:
            self._uids = {row.uid: row_id for row_id, row in self.rows(run.db).items()}
            self._uids_of = run
        return self._uids

    def _unsynced_note(self, db: Connection, contact_id: int, text: str) -> int | None:
        synced = bases.row_ids(db, self.name)
        return next((note_id for note_id in activity.same_notes(db, contact_id, text)
                     if -note_id not in synced), None)

    def _new_row(self, run: Run, step: Step, contact_id: int, at: str) -> int | None:
        phone = step.phone
        try:
            if phone["type"] == NOTE:
                return -activity.add_note(run.db, contact_id, phone["text"], at).id
            return activity.log_interaction(run.db, Interaction(
                contact_id, phone["type"], at, phone["text"],
                duration_minutes=phone["duration"], outcome=phone["outcome"])).id
        except CrmError as exc:
            run.report(f"{step.href}: not imported: {exc}")
            return None

    def take(self, run: Run, step: Step) -> None:
        """The phone's changed fields, where crm did not change them too or the phone's
        change is the newer (the loser goes to the conflicts log); the contact is crm's."""
        row = self._row(run.db, step.row_id)
        crm, base, phone = _props(row), step.base.props, step.phone
        merged = dict(crm)
        for field in FIELDS:
            if field == "contact" or phone[field] == base[field] or (
                    field == "at" and phone[field] is None):
                continue
            if crm[field] in (base[field], phone[field]) or self._phone_wins(
                    run, step, field, crm[field], row[9]):
                merged[field] = phone[field]
        if merged != crm:
            step.row_id = self._write(run, step, row, merged)

    def _phone_wins(self, run: Run, step: Step, field: str, crm_value, changed_at) -> bool:
        wins = run.phone_wins(step, changed_at)
        kept, lost = (step.phone[field], crm_value) if wins else (crm_value, step.phone[field])
        run.conflict(step.href, step.row_id, field, kept, lost, "phone" if wins else "crm")
        return wins

    def _write(self, run: Run, step: Step, row: tuple, merged: Props) -> int:
        """Write ``merged`` to the row; a change between note and interaction moves the
        entry to a new row of the other kind (the old one goes to the trash)."""
        db, row_id = run.db, row[0]
        if (merged["type"] == NOTE) != (row_id < 0):
            contact_id = contacts.find_by_uid(db, row[4]).id
            created = self._new_row(run, step, contact_id, merged["at"])
            if created is None:
                return row_id
            _trash(db, row_id)
            return created
        try:
            if row_id < 0:
                note = activity.get_note(db, -row_id)
                if merged["text"] != note.body:
                    note = activity.edit_note(db, note, merged["text"])
                if merged["at"] != note.created_at:
                    activity.redate_note(db, note, merged["at"])
            else:
                interaction = activity.get_interaction(db, row_id)
                activity.update_interaction(db, replace(
                    interaction, kind=merged["type"], happened_at=merged["at"],
                    body=merged["text"], duration_minutes=merged["duration"],
                    outcome=merged["outcome"]))
        except CrmError as exc:
            run.report(f"{step.href}: kept crm's entry: {exc}")
        return row_id

    def cancel(self, run: Run, step: Step) -> None:
        _trash(run.db, step.row_id)
        run.report(f"{step.href}: deleted on the phone: {_noun(step.row_id)} moved to the "
                   "trash (crm undo brings it back)")

    def restore(self, run: Run, step: Step) -> None:
        if step.row_id < 0:
            activity.restore_note(run.db, activity.get_note(run.db, -step.row_id,
                                                            deleted=True))
        else:
            activity.trash_interaction(run.db, step.row_id, restore=True)


# ---------------------------------------------------------------------------------- helpers


def _version(row: tuple) -> str:
    """Moves with every change to what sync owns (interactions have no version column)."""
    return digest(_props(row)) + ("-" if row[7] is not None else "")


def _props(row: tuple) -> Props:
    return {"type": row[1], "at": row[2], "text": row[3], "contact": row[4],
            "duration": row[5], "outcome": row[6]}


def _local_only(db: Connection) -> str:
    """The condition that leaves out interactions a campaign or a mailbox import logged
    (books whose schema has those columns)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(interactions)")}
    return "".join(f" AND i.{name} IS NULL" for name in ("campaign", "message_id")
                   if name in columns)


def _categories(item: ical.Item) -> list[str]:
    value = item.component.get("CATEGORIES")
    found = []
    for entry in value if isinstance(value, list) else [value] if value is not None else []:
        found += [str(category) for category in getattr(entry, "cats", [])]
    return found


def _type_of(item: ical.Item) -> str:
    """The first category that names a note or an interaction type, else the phone's
    default."""
    for category in _categories(item):
        if fold(category) in _TYPES:
            return fold(category)
    return PHONE_DEFAULT


def _contact(db: Connection, item: ical.Item, phone: Props) -> int | None:
    """The contact an entry names: by the UID crm wrote, else by CONTACT, the whole name of
    exactly one live contact."""
    if phone["contact"]:
        found = contacts.find_by_uid(db, phone["contact"])
        if found is not None and not found.deleted_at:
            return found.id
    name = item.text("CONTACT")
    if name:
        rows = db.execute("SELECT id FROM contacts WHERE deleted_at IS NULL AND name_folded = ?"
                          " LIMIT 2", [fold(name)]).fetchall()
        if len(rows) == 1:
            return rows[0][0]
    return None


def _trash(db: Connection, row_id: int) -> None:
    if row_id < 0:
        note = activity.get_note(db, -row_id)
        activity.trash_note(db, note)
    else:
        activity.trash_interaction(db, row_id)


def _noun(row_id: int) -> str:
    return f"note {-row_id}" if row_id < 0 else f"interaction {row_id}"
