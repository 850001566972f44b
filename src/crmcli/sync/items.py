"""Calendar collections: a vdir of .ics items (VTODO, VJOURNAL) reconciled three-way with rows
of the book, the way sync/plan.py and sync/apply.py do it for contacts, for whatever rows an
:class:`Adapter` describes (follow-ups as tasks: sync/tasks.py).

Each item has a base row (sync_items): its file (href), UID, state (mtime, size: vdirsyncer's
etag of a local file), the digest of the owned properties read from the file, the owned
properties of the book's row as agreed, the row's id and its version. An item changed on one
side since its base is taken from that side; changed on both, the adapter merges property by
property. Each item's book rows and base row commit together and a file is renamed into place
just before that commit, so a run killed at any moment is finished by the next one.

A row may continue as another (a recurring follow-up done opens its next occurrence): the
item then stands for the successor, unless another item already does.

A new file the adapter leaves alone (an entry naming no contact, a task no case) stands for no
row: its base row (row id ``LEFT_ALONE``) remembers what was said of it. Every run tries it
again (the contact may exist by then), but says so only when the file or what is said changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from sqlite3 import Connection

from crmcli.dates import stamp
from crmcli.db import transaction
from crmcli.errors import InvalidInput
from crmcli.sync import base as bases
from crmcli.sync import ical, vdir
from crmcli.sync.base import Base
from crmcli.sync.plan import KINDS, Outcome, Plan
from crmcli.sync.props import Props, digest
from crmcli.sync.vdir import FileState

EXTENSION = ".ics"
LEFT_ALONE = 0  # the row id of a file that stands for no row (crm load refuses an id 0)


@dataclass
class Row:
    """What the plan needs of a book row, read for all rows at once."""

    version: str  # moves with every write to what sync owns
    live: bool  # belongs on the phone: pushed when no item stands for it yet
    uid: str | None = None
    gone: bool = False  # deleted in crm (restorable)
    successor: int | None = None  # the row it continues as


class Adapter:
    """A kind of row carried as one kind of item. ``props`` (the row) and ``read`` (a file)
    give the owned properties in the same form: equal means in agreement."""

    name = ""  # the collection: tasks, journal, deals
    component = ""  # VTODO, VJOURNAL

    def rows(self, db: Connection) -> dict[int, Row]:
        raise NotImplementedError

    def version(self, db: Connection, row_id: int) -> str:
        raise NotImplementedError

    def props(self, db: Connection, row_id: int) -> Props:
        raise NotImplementedError

    def read(self, item: ical.Item) -> Props:
        raise NotImplementedError

    def render(self, run: Run, row_id: int, original: ical.Item | None) -> ical.Item:
        """The row as an item, written over the item the phone last sent (when there is one)."""
        raise NotImplementedError

    def create(self, run: Run, step: Step) -> int | None:
        """A file new to this book: the row it stands for (created or found), None to leave
        it alone."""
        raise NotImplementedError

    def take(self, run: Run, step: Step) -> None:
        """The phone changed the item since its base (and crm too when ``step.crm_changed``):
        bring the row up to date; may set ``step.row_id`` to the row the item now stands for."""
        raise NotImplementedError

    def cancel(self, run: Run, step: Step) -> None:
        """The phone deleted the item."""
        raise NotImplementedError

    def restore(self, run: Run, step: Step) -> None:
        """Deleted in crm, changed on the phone since: bring the row back."""
        raise NotImplementedError

    def file_name(self, db: Connection, row_id: int) -> str:
        raise NotImplementedError


@dataclass
class Step:
    kind: str
    href: str
    base: Base | None = None
    item: ical.Item | None = None
    phone: Props | None = None  # the file's owned properties, when it was read
    state: FileState | None = None
    row_id: int | None = None  # the row the item stands for
    crm_changed: bool = False

    @property
    def deletes(self) -> bool:
        return self.kind in ("pull-delete", "push-delete")


# ------------------------------------------------------------------------------ planning


def make(db: Connection, folder: Path, adapter: Adapter) -> Plan:
    """What a sync of ``folder`` would move, without writing anything."""
    plan = Plan(folder)
    files = vdir.listing(folder, EXTENSION)
    known = {item.href: item for item in bases.load(db, str(folder))}
    alone = {href: known.pop(href) for href, item in list(known.items())
             if item.row_id == LEFT_ALONE}
    plan.size = len(known)
    plan.had_problems = bases.has_unresolved(db, adapter.name)
    rows = adapter.rows(db)
    taken = {item.row_id for item in known.values()}
    for item in known.values():
        current = _current(item.row_id, rows, taken)
        taken.add(current)
        _compare(db, plan, adapter, item, files.get(item.href), rows.get(current), current)
    new_uids = set()
    for href in sorted(set(files) - set(known)):
        step = Step("pull-new" if href not in alone else "retry", href, base=alone.get(href))
        if _read(plan, adapter, step):
            plan.steps.append(step)
            new_uids.add(step.item.uid)
    plan.steps += [Step("drop", href, base=item) for href, item in alone.items()
                   if href not in files]
    names = set(files)
    for row_id, row in rows.items():
        if row.live and row_id not in taken and row.uid not in new_uids:
            name = adapter.file_name(db, row_id)
            name = name if name not in names else f"{row_id}-{name}"
            names.add(name)
            plan.steps.append(Step("push-new", name, row_id=row_id))
    return plan


def _current(row_id: int, rows: dict[int, Row], taken: set[int]) -> int:
    """The row an item of ``row_id`` stands for now: its latest successor no other item
    stands for."""
    current, seen = row_id, {row_id}
    row = rows.get(current)
    while row is not None and row.successor not in (None, *taken, *seen):
        current = row.successor
        seen.add(current)
        row = rows.get(current)
    return current


def _compare(db: Connection, plan: Plan, adapter: Adapter, item: Base,
             state: FileState | None, row: Row | None, current: int) -> None:
    step = Step("drop", item.href, base=item, row_id=current)
    phone_changed = False
    if state is not None and state != item.state:
        if not _read(plan, adapter, step):
            return
        phone_changed = digest(step.phone) != item.hash
        step.kind = "refresh"
    moved = row is not None and (current != item.row_id or row.version != item.row_version)
    if moved and not row.gone:
        step.crm_changed = adapter.props(db, current) != item.props
    if state is None:  # deleted on the phone
        step.kind = ("drop" if row is None or row.gone
                     else "reupload" if step.crm_changed else "pull-delete")
    elif row is None:
        step.kind = "push-delete"
    elif row.gone:
        step.kind = "restore" if phone_changed else "push-delete"
    elif phone_changed:
        step.kind = "merge" if step.crm_changed else "pull"
    elif step.crm_changed:
        step.kind = "push"
    elif not moved and step.kind != "refresh":
        return
    else:
        step.kind = "refresh"  # written without changing what sync owns
    plan.steps.append(step)


def _read(plan: Plan, adapter: Adapter, step: Step) -> bool:
    """Read and parse the step's file; a file that cannot be read is a problem, skipped."""
    try:
        read = vdir.read(plan.folder, step.href)
        if read is None:
            raise InvalidInput("vanished while being read")
        step.item = ical.parse(read[0], adapter.component)
        step.phone = adapter.read(step.item)
    except (InvalidInput, UnicodeError, ValueError) as exc:
        plan.problems.append((step.href, str(exc) or type(exc).__name__))
        return False
    step.state = read[1]
    return True


# ------------------------------------------------------------------------------ applying


class Run:
    """Carries out a plan, item by item; the adapter changes the rows, this writes the files
    and the base rows."""

    def __init__(self, db: Connection, plan: Plan, adapter: Adapter, now: dt.datetime):
        self.db, self.plan, self.adapter, self.now = db, plan, adapter, now
        self.folder = str(plan.folder)
        self.stamp = stamp(now)
        self.outcome = Outcome(problems=list(plan.problems))
        self.later: dict[int, str] = {}  # row id -> the file to write it to once all is read

    def run(self) -> Outcome:
        vdir.remove_leftovers(self.plan.folder)
        for step in self.plan.steps:
            with transaction(self.db):
                getattr(self, "_" + step.kind.replace("-", "_"))(step)
            side, what = KINDS[step.kind]
            if side:
                self.outcome.counts[side, what] += 1
        for row_id, href in list(self.later.items()):
            with transaction(self.db):
                self.push(href, row_id)
            self.outcome.counts["pushed", "changed"] += 1
        with transaction(self.db):  # the unresolved list is this run's problems
            bases.clear_unresolved(self.db, self.adapter.name)
            for href, reason in self.outcome.problems:
                bases.record_conflict(self.db, self.stamp, self.adapter.name, href, None,
                                      "item", None, reason, None, status="unresolved")
        return self.outcome

    # -------------------------------------------------------------- for the adapters

    def write_later(self, href: str, row_id: int) -> None:
        """Write ``row_id`` to ``href`` once every file has been read, unless a new file
        claims it meanwhile (a client that opens the next occurrence as a task of its own)."""
        self.later[row_id] = href

    def claim(self, row_id: int) -> bool:
        """Take ``row_id`` off the writes left for later; whether it was there."""
        return self.later.pop(row_id, None) is not None

    def phone_wins(self, step: Step, crm_changed_at: str | None) -> bool:
        """Whether the phone's change is the newer: its LAST-MODIFIED when plausible (after
        the last sync, not in the future), else now, the moment this sync first saw it; a
        tie goes to the phone."""
        phone = ical.last_modified(step.item) if step.item else None
        if not (phone and phone <= self.stamp and (step.base is None
                                                    or phone > step.base.synced_at)):
            phone = self.stamp
        return phone >= (crm_changed_at or "")

    def conflict(self, href: str, row_id: int | None, field: str, kept: object, lost: object,
                 winner: str) -> None:
        self.outcome.conflicts += 1
        bases.record_conflict(self.db, self.stamp, self.adapter.name, href, row_id, field,
                              kept, lost, winner)

    def report(self, line: str) -> None:
        self.outcome.reports.append(line)

    def push(self, href: str, row_id: int) -> None:
        """Write the row to ``href`` over the item there, and agree on it."""
        read = vdir.read(self.plan.folder, href)
        original = None
        if read is not None:
            try:
                original = ical.parse(read[0], self.adapter.component)
            except InvalidInput:
                original = None  # replaced by what crm has
        item = self.adapter.render(self, row_id, original)
        ical.touch(item, self.now)
        data = ical.serialize(item)
        phone = self.adapter.read(ical.parse(data, self.adapter.component))
        with vdir.staged(self.plan.folder, href, data) as state:
            self.agree(href, row_id, phone, state, item.uid)
        self.outcome.wrote_files = True

    def agree(self, href: str, row_id: int, phone: Props, state: FileState,
              uid: str | None) -> None:
        adapter = self.adapter
        bases.save(self.db, self.folder, adapter.name, Base(
            href, uid, state, digest(phone), bases.props_text(adapter.props(self.db, row_id)),
            row_id, adapter.version(self.db, row_id), self.stamp))

    # -------------------------------------------------------------- one step each

    def _settle(self, step: Step) -> None:
        """Agree on the file as it is when the row says the same, else rewrite it."""
        if step.row_id in self.later:
            return
        if self.adapter.props(self.db, step.row_id) == step.phone:
            self.agree(step.href, step.row_id, step.phone, step.state, step.item.uid)
        else:
            self.push(step.href, step.row_id)

    def _refresh(self, step: Step) -> None:
        """Nothing owned moved: a new file state (the same content) or a new row version."""
        item, adapter = step.base, self.adapter
        bases.save(self.db, self.folder, adapter.name, Base(
            item.href, item.uid, step.state or item.state, item.hash,
            bases.props_text(adapter.props(self.db, step.row_id)), step.row_id,
            adapter.version(self.db, step.row_id), self.stamp))

    def _drop(self, step: Step) -> None:
        bases.forget(self.db, self.folder, step.href)

    def _pull_new(self, step: Step) -> None:
        said = len(self.outcome.reports)
        row_id = self.adapter.create(self, step)
        if row_id is None:
            self._left_alone(step, said)
            return
        step.kind, step.row_id = "pull-new", row_id
        self._settle(step)

    _retry = _pull_new  # a file left alone before

    def _left_alone(self, step: Step, said: int) -> None:
        """Remember a file the adapter left alone, and what was said of it since ``said``:
        unsaid again while neither changes."""
        lines = self.outcome.reports[said:]
        if step.base is not None and (step.base.state, step.base.props) == (step.state, lines):
            del self.outcome.reports[said:]
        step.kind = "left-alone"  # nothing pulled
        bases.save(self.db, self.folder, self.adapter.name, Base(
            step.href, step.item.uid, step.state, digest(step.phone), bases.props_text(lines),
            LEFT_ALONE, None, self.stamp))

    def _pull(self, step: Step) -> None:
        self.adapter.take(self, step)
        self._settle(step)

    _merge = _pull

    def _restore(self, step: Step) -> None:
        self.adapter.restore(self, step)
        self.report(f"{step.href}: restored in crm (changed on the phone after it was "
                    "deleted in crm)")
        self._pull(step)

    def _pull_delete(self, step: Step) -> None:
        self.adapter.cancel(self, step)
        bases.forget(self.db, self.folder, step.href)

    def _push_new(self, step: Step) -> None:
        self.push(step.href, step.row_id)

    _push = _push_new

    def _reupload(self, step: Step) -> None:
        self.report(f"{step.href}: uploaded again (deleted on the phone after it was "
                    "changed in crm)")
        self.push(step.href, step.row_id)

    def _push_delete(self, step: Step) -> None:
        vdir.remove(self.plan.folder, step.href)
        bases.forget(self.db, self.folder, step.href)
        self.outcome.wrote_files = True


def run(db: Connection, plan: Plan, adapter: Adapter, now: dt.datetime) -> Outcome:
    return Run(db, plan, adapter, now).run()
