"""Carrying out a plan, item by item, in batches: each item in a savepoint of its own (the
book's rows and its base row together; an item that cannot be written is rolled back alone and
reported), a batch committed every BATCH_ITEMS items or BATCH_SECONDS. A file is renamed into
place inside its item, and the batch's files reach the disk before the batch commits. A run
killed at any moment leaves, for each item, either the old agreement or a file newer than its
base, which the next run reads as a change on the phone: nothing is lost or doubled."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import replace
from sqlite3 import Connection

from crmcli import activity, campaigns, contacts
from crmcli.dates import stamp
from crmcli.db import let_writers_in, transaction
from crmcli.errors import CrmError
from crmcli.models import Contact
from crmcli.normalize import uid_key
from crmcli.sync import base as bases
from crmcli.sync import cards, props, vdir
from crmcli.sync.base import Base
from crmcli.sync.company_steps import CompanySteps
from crmcli.sync.plan import KINDS, Outcome, Plan, Step, row_version
from crmcli.sync.props import shown

COLLECTION = "contacts"
BATCH_ITEMS = 250
BATCH_SECONDS = 0.5
_REV = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?"
                  r"(Z|[+-]\d{2}:?\d{2})?)?")


class Applier(CompanySteps):
    def __init__(self, db: Connection, plan: Plan, version: str, region: str | None,
                 now: dt.datetime):
        self.db, self.plan, self.folder = db, plan, str(plan.folder)
        self.version, self.region = version, region
        self.stamp = stamp(now)
        self.outcome = Outcome(problems=list(plan.problems), reports=list(plan.reports))
        self.files_in_batch = False
        self.unlinked: list = []  # relationships to contacts pulled later in the run

    def run(self) -> Outcome:
        vdir.remove_leftovers(self.plan.folder)
        pending = iter(self.plan.steps)
        while self._batch(pending):
            pass
        with transaction(self.db):
            cards.link_later(self.db, self.unlinked)
            bases.clear_unresolved(self.db, COLLECTION)
            for href, reason in self.outcome.problems:
                bases.record_conflict(self.db, self.stamp, COLLECTION, href, None, "card",
                                      None, reason, None, status="unresolved")
        return self.outcome

    def _batch(self, pending) -> bool:
        """Carry out the next batch of steps in one transaction; whether any are left."""
        deadline = time.monotonic() + BATCH_SECONDS
        self.files_in_batch = more = False
        with transaction(self.db):
            for count, step in enumerate(pending, 1):
                self._one(step)
                if count >= BATCH_ITEMS or time.monotonic() > deadline:
                    more = True
                    break
            if self.files_in_batch:
                os.sync()  # the files the batch's base rows describe are on disk first
        if more:
            let_writers_in()
        return more

    def _one(self, step: Step) -> None:
        """One step in a savepoint: when it cannot be written, it alone is rolled back and
        reported."""
        self.db.execute("SAVEPOINT sync_item")
        try:
            getattr(self, "_" + step.kind.replace("-", "_"))(step)
        except CrmError as exc:
            self.db.execute("ROLLBACK TO sync_item")
            self.db.execute("RELEASE sync_item")
            self.outcome.problems.append((step.href, str(exc)))
            return
        self.db.execute("RELEASE sync_item")
        side, what = KINDS[step.kind]
        if side:
            self.outcome.counts[side, what] += 1

    # ------------------------------------------------------------------ one step each

    def _refresh(self, step: Step) -> None:
        item = step.base
        if step.card and step.card.contact.uid != item.uid:
            item.uid = self._phone_uid(step.card.contact.uid,
                                       contacts.get(self.db, item.row_id, deleted=None))
        item.state = step.state or item.state
        item.row_version = self._version(item.row_id)
        bases.save(self.db, self.folder, COLLECTION, item)

    def _drop(self, step: Step) -> None:
        bases.forget(self.db, self.folder, step.href)

    def _pull_new(self, step: Step) -> None:
        uid = step.card.contact.uid
        existing = contacts.find_by_uid(self.db, uid) if uid else None
        if existing is not None:
            step.contact = existing
            step.kind = "link"
            self._link(step)
            return
        created = contacts.create(self.db, step.card.contact, step.card.notes, self.region)
        self._write_opt_out(created, step.phone)
        self.unlinked += cards.keep_original(self.db, created.id, step.card)
        self._agree(step, created.id, step.phone)

    def _link(self, step: Step) -> None:
        """A file whose UID names a contact this vdir had not agreed on (a card crm wrote
        before a run was killed, or the same person added on both sides)."""
        if step.contact.deleted_at:
            contacts.restore(self.db, step.contact.id)
        self._merge_into(step, None)

    def _absorb(self, step: Step) -> None:
        """A second file with the UID of a contact synced from another file: what it holds is
        merged into the contact and the file removed, so the contact is one card everywhere
        (the other file carries the merge on the next run)."""
        existing = contacts.find_by_uid(self.db, step.card.contact.uid)
        if existing is None:  # the first file could not be taken: this one is
            step.kind = "pull-new"
            self._pull_new(step)
            return
        step.contact = existing
        contact, merged, clashes = self._merged(step, None)
        for clash in clashes:
            self._record(step.href, contact.id, clash)
        if merged != props.of_contact(contact, self.region):
            contacts.update(self.db, props.apply(contact, merged), self.region)
        self._write_opt_out(contact, merged)
        vdir.remove(self.plan.folder, step.href)
        self.outcome.wrote_files = self.files_in_batch = True
        self.outcome.reports.append(f"{step.href}: the same UID as another card; merged into "
                                    f"contact {contact.id} ({contact.name}) and removed")

    def _pull(self, step: Step) -> None:
        contact, merged, _ = self._merged(step, step.base)
        self._phone_uid(step.card.contact.uid, contact)
        self._write_contact(contact, merged, step)
        self._agree(step, contact.id, step.phone)

    def _restore(self, step: Step) -> None:
        contacts.restore(self.db, step.base.row_id)
        self.outcome.reports.append(f"{step.href}: restored in crm (changed on the phone "
                                    "after it was deleted in crm)")
        self._pull(step)

    def _pull_delete(self, step: Step) -> None:
        contacts.trash(self.db, step.base.row_id)
        bases.forget(self.db, self.folder, step.href)

    def _push_new(self, step: Step) -> None:
        self._push_file(step.href, step.row_id, None)

    def _push(self, step: Step) -> None:
        # The file's spelling of the UID, though an undo of the sync that took it brought
        # the old one back: the old one is never written over it.
        self._phone_uid(step.base.uid, contacts.get(self.db, step.base.row_id, deleted=None))
        self._push_file(step.href, step.base.row_id, step.base)

    def _reupload(self, step: Step) -> None:
        self.outcome.reports.append(f"{step.new_href or step.href}: uploaded again (deleted on "
                                    "the phone after it was changed in crm)")
        self._push_again(step)

    def _keep(self, step: Step) -> None:
        """Deleted on the phone, but a pre-delete hook refused: the file comes back."""
        self._push_again(step)

    def _push_again(self, step: Step) -> None:
        """The contact's card to its file again, or to a new one when its file now holds
        another card."""
        if step.new_href:
            bases.forget(self.db, self.folder, step.href)
        self._push_file(step.new_href or step.href, step.base.row_id, step.base)

    def _push_delete(self, step: Step) -> None:
        vdir.remove(self.plan.folder, step.href)
        bases.forget(self.db, self.folder, step.href)
        self.outcome.wrote_files = self.files_in_batch = True

    def _merge(self, step: Step) -> None:
        self._merge_into(step, step.base)

    # ------------------------------------------------------------------ shared

    def proposed(self, step: Step) -> tuple[str, Contact | None, Contact | None] | None:
        """What the step would do to the book, written nowhere (for the pre- hooks): "add",
        "modify" or "delete", the contact before and after; None when the book is untouched."""
        if step.kind == "pull-delete":
            return "delete", contacts.get(self.db, step.base.row_id, deleted=None), None
        if step.kind == "pull-new":
            uid = step.card.contact.uid
            existing = contacts.find_by_uid(self.db, uid) if uid else None
            if existing is None:
                return "add", None, step.card.contact
            step = replace(step, contact=existing)
        elif step.kind not in ("pull", "restore", "merge", "link"):
            return None
        contact, merged, _ = self._merged(step, None if step.kind == "pull-new" else step.base)
        return "modify", contact, props.apply(contact, merged)

    def _merged(self, step: Step, item: Base | None
                ) -> tuple[Contact, props.Props, list[props.Clash]]:
        """The contact, and its owned properties merged with the phone's since ``item``."""
        contact = cards.with_opt_out(
            self.db, [step.contact or contacts.get(self.db, item.row_id, deleted=None)])[0]
        crm = props.of_contact(contact, self.region)
        phone_wins = self._phone_time(step, item) >= (contact.updated_at or "")
        merged, clashes = props.merge(item.props if item else None, step.phone, crm, phone_wins)
        return contact, merged, clashes

    def _merge_into(self, step: Step, item: Base | None) -> None:
        contact, merged, clashes = self._merged(step, item)
        self._phone_uid(step.card.contact.uid, contact)
        for clash in clashes:
            self._record(step.href, contact.id, clash)
        self._write_contact(contact, merged, step)
        if merged == step.phone:
            self._agree(step, contact.id, step.phone)
        else:
            self._push_file(step.href, contact.id, item)

    def _phone_uid(self, uid: str | None, contact: Contact) -> str | None:
        """The contact's UID spelt ``uid``, as the phone spells it (another case, ``urn:uuid:``
        added or dropped: the same UID, see ``normalize.uid_key``), unless another contact
        holds that spelling: crm then never writes the old spelling back over the file, which a
        server takes for a new UID in the same item and refuses. Returns the contact's UID."""
        if uid and contact.uid and uid != contact.uid and uid_key(uid) == uid_key(contact.uid) \
                and contacts.set_uid(self.db, contact.id, uid):
            contact.uid = uid
        return contact.uid

    def _write_contact(self, contact, merged: props.Props, step: Step) -> None:
        if merged != props.of_contact(contact, self.region):
            contacts.update(self.db, props.apply(contact, merged), self.region)
        self._write_opt_out(contact, merged)
        self.unlinked += cards.keep_original(self.db, contact.id, step.card)

    def _write_opt_out(self, contact: Contact, merged: props.Props) -> None:
        """The opt-out as merged: an owned property, set or lifted on either side."""
        wanted = bool(merged.get("no_mail"))
        if wanted != campaigns.opted_out(self.db, contact.id):
            campaigns.set_opt_out(self.db, contact.id, wanted)

    def _push_file(self, href: str, contact_id: int, item: Base | None) -> None:
        contact = cards.with_opt_out(self.db, [contacts.get(self.db, contact_id, deleted=None)])[0]
        data = cards.render(self.db, contact, self.version)
        phone = props.of_contact(cards.parse(data).contact, self.region)
        with vdir.staged(self.plan.folder, href, data) as state:
            self._save(href, contact, phone, state)
        self.outcome.wrote_files = self.files_in_batch = True

    def _agree(self, step: Step, contact_id: int, phone: props.Props) -> None:
        self._save(step.href, cards.book_contact(self.db, contact_id), phone, step.state)

    def _save(self, href: str, contact, phone: props.Props, state) -> None:
        """The base row: what both sides now hold (``contact`` as the book holds it now)."""
        bases.save(self.db, self.folder, COLLECTION, Base(
            href, contact.uid, state, props.digest(phone),
            bases.props_text(props.of_contact(contact, self.region)), contact.id,
            self._version(contact.id), self.stamp))

    def _version(self, contact_id: int) -> str | None:
        return row_version(self.db, contact_id)

    def _phone_time(self, step: Step, item: Base | None) -> str:
        """When the phone's change was made: its REV when plausible (after the last sync,
        not in the future), else now, the moment this sync first saw it."""
        rev = _rev_stamp(step.card.rev) if step.card else None
        if rev and rev <= self.stamp and (item is None or rev > item.synced_at):
            return rev
        return self.stamp

    def _record(self, href: str, row_id: int, clash: props.Clash, collection: str = COLLECTION,
                add_note=activity.add_note) -> None:
        """The losing value goes to the conflicts log of ``collection`` and to the record's
        notes (``add_note``: a contact's, or a company's for company cards)."""
        self.outcome.conflicts += 1
        bases.record_conflict(self.db, self.stamp, collection, href, row_id, clash.field,
                              clash.kept, clash.lost, clash.winner)
        loser = "crm" if clash.winner == "phone" else "the phone"
        add_note(self.db, row_id, f"sync conflict on {clash.field}: kept {shown(clash.kept)} "
                 f"({clash.winner}), replaced {shown(clash.lost)} from {loser}")


def _rev_stamp(rev: str | None) -> str | None:
    """REV as a UTC stamp ("2026-11-25T09:20:00Z"): basic or extended form, a date alone, a
    zone offset applied; None when it is not a time."""
    match = _REV.fullmatch((rev or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                             int(second or 0), tzinfo=dt.UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(db: Connection, plan: Plan, version: str, region: str | None, now: dt.datetime
        ) -> Outcome:
    return Applier(db, plan, version, region, now).run()
