"""Bringing records from any format (vCard, CSV, JSON) into the book.

Commits in batches (see BATCH_RECORDS), so other writers never wait for a whole import; a
batch whose records all go in is written without savepoints, and one with a bad record is
rolled back and written again a record at a time, each in a savepoint of its own, so the bad
record is reported and skipped while the others go in. A batch writes its rows of the search
index together at its end (``search.deferred``). A dry run does all the work and rolls it
back, so its report is exact.

Matching an incoming record to an existing contact: by id (JSON), by UID, then (unless the
policy is ``new``) by email, then by name plus phone number.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from itertools import islice
from sqlite3 import Connection

from crmcli import (
    activity,
    campaigns,
    contact_rules,
    contacts,
    duplicates,
    gifts,
    job_changes,
    search,
)
from crmcli import fields as custom_fields
from crmcli.db import bulk_writes, let_writers_in, transaction, utilities
from crmcli.errors import CrmError
from crmcli.interchange import matching, record_parts, record_rules, stored_cards
from crmcli.interchange.incoming import ImportReport, Incoming, OnDuplicate
from crmcli.interchange.new_contacts import NewContacts, is_plain
from crmcli.interchange.parallel_map import WorkerStopped
from crmcli.interchange.read_ahead import read_ahead
from crmcli.interchange.stored_cards import StoredCard
from crmcli.models import copied


class _DryRun(Exception):
    """Raised to roll back the whole import after a dry run."""


# A long import commits every BATCH_RECORDS records or BATCH_SECONDS, whichever comes first,
# so another command waiting to write (cron's crm remind, a crm add) waits about that long at
# most. An interrupted import keeps its committed batches; running it again matches what is in
# already (by UID) and adds the rest. The batches together are still one journal operation.
BATCH_RECORDS = 250
BATCH_SECONDS = 0.5
# Contacts linked under one read and write-back of their ready cards (`_link_relations`).
_LINKED_AT_ONCE = 1000


class Interrupted(CrmError):
    exit_code = 130


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Within: the garbage collector looks at the youngest objects every 10,000 new ones
    instead of 700. A card makes hundreds of objects that live until its batch is written;
    collecting every 700 went through them again and again (0.13 s of a 10,000-card import's
    CPU, 0.01 s so; the peak memory is the same)."""
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, 10_000), *older)
    try:
        yield
    finally:
        gc.set_threshold(young, *older)


@_fewer_collections()
def run(db: Connection, records: Iterable[Incoming], *, on_duplicate: OnDuplicate =
        OnDuplicate.merge, tags: Iterable[str] = (), dry_run: bool = False,
        progress: Callable[[int], None] | None = None, region: str | None = None
        ) -> ImportReport:
    """Import ``records``; ``region`` (the phone.region setting) reads phone numbers written
    without a country code. A dry run is one transaction, rolled back."""
    report = ImportReport()
    policy = _Policy(on_duplicate, list(tags), region, job_changes=report.job_changes)
    records = read_ahead(iter(records), partial(_unrecognised, db, policy))
    batch = _Batch(db, records, policy, report, progress)
    with bulk_writes(db):
        _run_batches(db, batch, dry_run)
    return report


def _run_batches(db: Connection, batch: _Batch, dry_run: bool) -> None:
    report = batch.report
    if dry_run:
        try:
            with transaction(db):
                batch.rehearse()
                _link_relations(db, batch.policy.related, report)
                raise _DryRun
        except _DryRun:
            pass
        return
    committed = 0
    try:
        while batch.fill():
            committed = report.total
            let_writers_in()
        with transaction(db):
            _link_relations(db, batch.policy.related, report)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {_partly_in(committed)}") from None
    except WorkerStopped as stopped:  # killed, or out of memory
        raise CrmError(f"{stopped}; {_partly_in(committed)}") from None


def _partly_in(committed: int) -> str:
    return (f"the first {committed} records are in the book (the rest are not); run the same "
            "import again to finish it: what is in already is matched, not added twice")


class _Failed(Exception):
    """A record of a batch failed: the batch is rolled back and imported record by record."""


@dataclass
class _Batch:
    """The records still to import, taken a batch at a time."""

    db: Connection
    pending: Iterator[Incoming]
    policy: _Policy
    report: ImportReport
    progress: Callable[[int], None] | None
    held: list[Incoming] = field(default_factory=list)  # taken, left for the next batch
    shown: int = 0  # the furthest progress reported: a batch redone does not step back

    def fill(self) -> bool:
        """Import the next BATCH_RECORDS records (or BATCH_SECONDS' worth) in one transaction;
        whether any are left. The records go in without a savepoint each (a savepoint also
        makes the search index write a segment per record), the new contacts together (see
        ``new_contacts``); if one fails, the batch is rolled back and imported again record
        by record, so that only the bad one is skipped. Records are read (parsed) before the
        write lock is taken, and the half second counts from then: on a loaded machine,
        parsing under the lock cut every batch down to a record."""
        taken = self.held + list(islice(self.pending, BATCH_RECORDS - len(self.held)))
        self.held = []
        if not taken:
            return False
        self.policy.owners.clear()  # those of earlier batches: this one asks again for its own
        unread = [record for record in taken if record.unread]  # the others were read ahead
        for record in _unrecognised(self.db, self.policy, unread):  # before the write lock
            record.read()
        try:
            with transaction(self.db), search.deferred(self.db):
                taken = self._skip_unchanged(taken)
                mark = self.report.mark(self.policy.related)
                deadline = time.monotonic() + BATCH_SECONDS
                fresh = NewContacts(self.db, (record.contact for record in taken
                                              if record.contact is not None),
                                    self.policy.region)
                hashes: list[tuple[str, int]] = []
                warned: list[tuple[str, int]] = []
                for done, record in enumerate(taken, start=1):
                    before = len(self.report.messages)
                    _import_one(self.db, None, record, self.policy, self.report, fresh)
                    self._advance()
                    quiet = len(self.report.messages) == before
                    (hashes if quiet else warned).extend(_card_key(record, self.policy))
                    if time.monotonic() > deadline:
                        self.held = taken[done:]
                        del taken[done:]
                        break
                _write_kept(fresh)
                stored_cards.remember(self.db, hashes, warned)
            return True
        except _Failed:
            self.report.rewind(mark, self.policy.related)
        with transaction(self.db):
            self.one_by_one(taken)
        return True

    def _skip_unchanged(self, records: list[Incoming]) -> list[Incoming]:
        """Count as unchanged the cards imported before whose contact has not changed since
        (asked again under the write lock); read the others."""
        left = _unrecognised(self.db, self.policy, records)
        for _ in range(len(records) - len(left)):
            self.report.unchanged += 1
            self._advance()
        for record in left:
            record.read()
        return left

    def rehearse(self) -> None:
        """The dry run (in the caller's transaction): what ``fill`` would do, record by
        record; the cards it would recognise unchanged by their digest (asked a batch at a
        time, as it asks) are counted so in their place."""
        while taken := list(islice(self.pending, BATCH_RECORDS)):
            self.policy.owners.clear()
            self.one_by_one(taken, _unrecognised(self.db, self.policy, taken))

    def one_by_one(self, records: list[Incoming], unrecognised: list[Incoming] | None = None
                   ) -> None:
        """Import records in a savepoint each (in the caller's transaction); those not
        ``unrecognised`` (when given) count as unchanged. The cards that go in without a
        message are remembered, and those with one as known, as ``fill`` remembers them."""
        savepoints = utilities(self.db)
        wanted = {id(record) for record in (records if unrecognised is None else unrecognised)}
        hashes: list[tuple[str, int]] = []
        warned: list[tuple[str, int]] = []
        for record in records:
            if id(record) in wanted:
                record.read()
                before = len(self.report.messages)
                _import_one(self.db, savepoints, record, self.policy, self.report)
                quiet = len(self.report.messages) == before
                (hashes if quiet else warned).extend(_card_key(record, self.policy))
            else:
                self.report.unchanged += 1
            self._advance()
        stored_cards.remember(self.db, hashes, warned)

    def _advance(self) -> None:
        if self.progress and self.report.total > self.shown:
            self.shown = self.report.total
            self.progress(self.shown)


# Card keys kept: more than the cards read ahead and in hand (a few batches; with the digests
# they are made from, about 200 bytes a card).
KEYS_KEPT = 2048
# The reading rules' edition: raise it when a card comes to be read into more or other fields,
# so that cards remembered as imported under older rules are read again.
READING_RULES = 1


@dataclass
class _Policy:
    """How every record of one import is applied."""

    on_duplicate: OnDuplicate
    tags: list[str]
    region: str | None
    # (where, contact id, relations, the card's key to remember once they are linked,
    # whether the card warned already, whether the contact is new)
    related: list[tuple[str, int, list, str | None, bool, bool]] = field(default_factory=list)
    job_changes: list[str] = field(default_factory=list)
    # card key: the live contact a card that warned was imported into (see ``_unrecognised``)
    owners: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # card hash: key, of the cards in hand

    def card_key(self, card_hash: str | None) -> str | None:
        """What a card is recognised by in the next import like this one (merging, with the
        same tags and phone region, read by the same rules): its text's digest with those.
        None: not recognised. A card's key is asked three times or more; the keys of the last
        few thousand cards are kept."""
        if card_hash is None or self.on_duplicate != OnDuplicate.merge:
            return None
        key = self.keys.get(card_hash)
        if key is None:
            if len(self.keys) >= KEYS_KEPT:
                self.keys.clear()
            context = f"{self._key_context}, {json.dumps(card_hash)}]"
            key = self.keys[card_hash] = hashlib.sha1(context.encode(),
                                                      usedforsecurity=False).hexdigest()
        return key

    @cached_property
    def _key_context(self) -> str:
        """``json.dumps([READING_RULES, sorted(tags), region, card_hash])`` less its last
        item and bracket: the same for every card (a card's key is asked up to four times)."""
        return json.dumps([READING_RULES, sorted(self.tags), self.region])[:-1]


def _unrecognised(db: Connection, policy: _Policy, records: list[Incoming]) -> list[Incoming]:
    """The records that are not cards imported before, of a contact unchanged since (one
    query); the contacts the others of them were imported into go to ``policy.owners``
    (only those: a re-import of a million unchanged cards must not keep a million keys)."""
    keys = [policy.card_key(record.card_hash) for record in records]
    known, owners = stored_cards.recognised(db, [key for key in keys if key])
    policy.owners.update((key, owner) for key, owner in owners.items() if key not in known)
    return [record for record, key in zip(records, keys, strict=True) if key not in known]


def _card_key(record: Incoming, policy: _Policy) -> list[tuple[str, int]]:
    """(key, contact id) to remember for a contact's imported card. A card
    with relationships is remembered once they are linked (see ``_link_relations``)."""
    key = policy.card_key(record.card_hash)
    if key is None or record.contact_id is None or record.card is None or record.relations:
        return []
    return [(key, record.contact_id)]


def _relate(policy: _Policy, record: Incoming, warnings: list[str], new: bool = False) -> None:
    """Keep the record's relationships, if any, to link once every card is in; ``warnings``:
    the record's so far (with its own, a card that warned is not remembered unchanged);
    ``new``: the record made a new contact."""
    if record.relations:
        key = policy.card_key(record.card_hash) if record.card is not None else None
        policy.related.append((record.where, record.contact_id, record.relations, key,
                               bool(record.warnings or warnings), new))


def _write_kept(fresh: NewContacts) -> None:
    try:
        fresh.write()
    except CrmError as exc:
        raise _Failed from exc


def _import_one(db: Connection, savepoints, record: Incoming, policy: _Policy,
                report: ImportReport, fresh: NewContacts | None = None) -> None:
    """Import one record in a savepoint of its own, so that a failure undoes only it; without
    ``savepoints``, a failure raises _Failed (the caller rolls back). ``fresh`` holds the
    batch's new contacts (without savepoints only)."""
    report.messages += record.warnings
    if record.error:
        report.failed += 1
        report.messages.append(f"{record.where}: {record.error}")
        return
    try:
        if savepoints is None:
            outcome, notes = _apply(db, record, policy, fresh)
        else:
            with savepoints.atomic():
                outcome, notes = _apply(db, record, policy)
    except CrmError as exc:
        if savepoints is None:
            raise _Failed from exc
        report.failed += 1
        report.messages.append(f"{record.where}: {exc}")
        return
    setattr(report, outcome, getattr(report, outcome) + 1)
    report.messages += [f"{record.where}: {note}" for note in notes]


def _apply(db: Connection, record: Incoming, policy: _Policy, fresh: NewContacts | None = None
           ) -> tuple[str, list[str]]:
    if record.company is not None:
        if fresh is not None:
            fresh.write()
        return _apply_company(db, record, policy)
    on_duplicate, tags, region = policy.on_duplicate, policy.tags, policy.region
    incoming, warnings = record_rules.without_invalid_details(record.contact)
    with_tags, left_out = contact_rules.tags_with_room(incoming.tags, tags)
    incoming, warnings = copied(incoming, tags=with_tags), warnings + left_out
    by_details = on_duplicate != OnDuplicate.new and record.match_details
    owner = policy.owners.get(policy.card_key(record.card_hash)) if policy.owners else None
    surely_new = owner is None and fresh is not None and fresh.surely_new(
        incoming, by_details) and not (record.linkedin and by_details)
    if surely_new and is_plain(incoming, record.linkedin):
        created = fresh.keep(record, incoming, record_parts.distinct(record.notes))
        record.contact_id = created.id
        _relate(policy, record, warnings, new=True)
        for key, _ in _card_key(record, policy):  # as ``fill`` will remember it
            fresh.remembered(key, unchanged=not (record.warnings or warnings))
        return "created", warnings
    if fresh is not None:
        fresh.write()
        fresh.claim(incoming)
    existing = None if surely_new else matching.find_match(
        db, incoming, by_details, record.linkedin, region, owner)
    if existing is None:
        notes = record_parts.distinct(record.notes)
        created = contacts.create(db, replace(incoming, id=None, fields={}), notes=notes,
                                  region=region)
        record.contact_id = created.id
        warnings += custom_fields.write_incoming(db, created.id, incoming.fields)[1]
        _relate(policy, record, warnings, new=True)
        if record.card is not None:
            record_parts.save_new_card(db, created, notes, record)
        if record.contact.no_mail:
            campaigns.set_opt_out(db, created.id, True)
        gifts.add_missing(db, created.id, record.contact.gifts)
        return "created", warnings
    if existing.deleted_at:
        return "skipped", [f"matches contact {existing.id}, which is in the trash; skipped"]
    if on_duplicate == OnDuplicate.skip:
        return "skipped", warnings
    record.contact_id = existing.id
    job_change = job_changes.between(existing, incoming) if record.linkedin else None
    if on_duplicate == OnDuplicate.update:
        combined = record_rules.overlay(existing, incoming, record.fields, tags)
        conflicts = warnings
    else:
        current = job_changes.current_job(existing, incoming, job_change)
        combined, conflicts = duplicates.combine(current, incoming)
        combined.tags, left_out = contact_rules.tags_with_room(
            existing.tags, combined.tags, "it")
        conflicts += left_out
        conflicts = warnings + [f"contact {existing.id}: {conflict}" for conflict in conflicts]
    combined.fields = existing.fields
    changed = combined != existing and (  # validating both is the cost of a re-import
        contact_rules.validate(combined, region) != contact_rules.validate(existing, region))
    if changed:
        record_rules.check_unchanged_since_export(existing, incoming)
        contacts.update(db, combined, region)
    replace_all = on_duplicate == OnDuplicate.update and "fields" in (record.fields or ())
    fields_changed, created_fields = custom_fields.write_incoming(
        db, existing.id, incoming.fields, replace_all)
    changed |= fields_changed
    conflicts = conflicts + created_fields
    changed |= record_parts.add_notes(db, existing.id, record.notes)
    _relate(policy, record, conflicts)
    changed |= record_parts.combine_card(db, existing.id, record)
    changed |= record_rules.combine_opt_out(db, existing.id, record, on_duplicate)
    changed |= gifts.add_missing(db, existing.id, record.contact.gifts)
    if job_change and changed:
        activity.add_notes(db, existing.id, [job_changes.PREFIX + job_change])
        policy.job_changes.append(f"{existing.name} (contact {existing.id}): {job_change}")
    return ("updated" if changed else "unchanged"), conflicts


def _apply_company(db: Connection, record: Incoming, policy: _Policy) -> tuple[str, list[str]]:
    from crmcli.interchange.company_cards import import_one
    from crmcli.normalize import is_email

    company = record.company
    kept = [d for d in company.emails if is_email(d.value.strip())]
    warnings = [f"left out the invalid email {d.value!r}" for d in company.emails
                if d not in kept]
    tags, skipped = contact_rules.capped_tags([*company.tags, *policy.tags])
    warnings += skipped  # as on a contact's card: the rest of the company is kept
    company = replace(company, emails=kept, tags=tags)
    card = StoredCard(record.card, record.original or "") if record.card is not None else None
    outcome, notes = import_one(db, company, record.notes, card,
                                policy.on_duplicate == OnDuplicate.skip)
    return outcome, warnings + notes


def _link_relations(db: Connection, pending: list[tuple], report: ImportReport) -> None:
    """The relationships of the imported cards, once every card is in (a card may name a
    contact that comes later in the file). A name given alone by a file that has no UIDs
    (Google's CSV) links the one contact of that name in the book. A card is recognised by
    its digest next time only once it is read and its relationships linked without a
    warning: an import interrupted before then reads it again, and one that warns warns again
    (it is remembered as known, to match its contact then). Linking leaves a new contact's
    card stored ready to export: the key it is kept for tells whether the links are what the
    card said (not one that a card of the same chunk updated: that is left to the trigger)."""
    from crmcli import relationships

    warned, linked = [], []
    for start in range(0, len(pending), _LINKED_AT_ONCE):
        chunk = pending[start:start + _LINKED_AT_ONCE]
        updated = {entry[1] for entry in chunk if not entry[5]}
        with stored_cards.ready_kept(db, list({e[1] for e in chunk if e[5]} - updated)):
            for where, contact_id, relations, key, card_warned, _ in chunk:
                contact = contacts.get(db, contact_id, deleted=None)
                items = [(r.kind, r.name, r.uid or (
                    relationships.uid_named(db, r.name, contact_id) if r.by_name else None))
                    for r in relations]
                warnings = relationships.add_from_card(db, contact, items)
                report.messages += [f"{where}: {warning}" for warning in warnings]
                if key:
                    (warned if warnings or card_warned else linked).append((key, contact_id))
    stored_cards.remember(db, linked, warned)
