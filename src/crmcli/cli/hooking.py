"""Hooks for every command that writes, from one place: the journal's row changes.

Each write transaction of a command is watched (``Gate``, attached to the journal's recorder
when a hook is installed). Before its commit, the rows it changed are mapped to the objects
they belong to (``changed_objects``), each shown as ``show --json``, ``deal show --json`` or
``company show --json`` prints it, before and after. When a ``pre-`` hook applies, the
transaction is taken back, the hooks run with no lock held, and the same rows are written
again (refused if another writer touched them meanwhile). ``post-`` hooks run once each when
the command ends, with every committed change of the command (JSON Lines). A command cannot
forget its hooks: it only has to write through the journal, as every write must.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from sqlite3 import Connection
from typing import TYPE_CHECKING

from crmcli.cli.common import info, state
from crmcli.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from crmcli.changed_objects import Change, Changed
    from crmcli.hooks import Hooks
    from crmcli.journal import Recorder
    from crmcli.models import Contact

_TIMEOUT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, None: 1}
# Sources whose pre- hooks run on their own records before writing (import and sync screen
# each record): their transactions are not taken back. Mail logged from a mailbox is not
# screened: each batch goes through the pre- hooks as any other write does.
_SCREENED_SOURCES = ("import", "sync", "campaign")


def hooks() -> Hooks:
    from crmcli import config
    from crmcli import hooks as hook_runner

    current = state()
    return hook_runner.Hooks(folder=config.hooks_folder(), timeout=_timeout(current.config),
                             enabled=not current.no_hooks, warn=info)


def _timeout(settings) -> float:
    value = settings.table("hooks").get("timeout", "10s")
    match = _TIMEOUT.fullmatch(str(value).strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"{settings.path}: [hooks] timeout must be a length of time such as "
                          f"\"10s\" or \"500ms\", not {value!r}")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def active(*names: str) -> Hooks | None:
    """The hooks, when one of ``names`` is installed (commands build no payload otherwise)."""
    found = hooks()
    return found if any(found.path(name) for name in names) else None


def watch(recorder: Recorder) -> None:
    """Attach a gate to the journal's recorder when any hook is installed."""
    from crmcli.hooks import NAMES

    found = active(*NAMES)
    if found is not None:
        recorder.watcher = Gate(found)


def before_each(found: Hooks, name: str, payloads: list[dict]) -> dict[int, str]:
    """Run a bulk pre- hook; the 0-based indexes of the changes it refuses, with why."""
    if not payloads or not found.path(name):
        return {}
    return found.before_each(name, payloads, reserve_operation())


def reserve_operation() -> int | None:
    """The journal's operation of this command, created before anything is written so that
    pre- and post- hooks see the same id (a command that then writes nothing leaves none)."""
    recorder = state().db.journal
    return recorder.reserve(state().db) if recorder else None


def deleting_for_good(contact_ids: list[int]) -> None:
    """pre-delete for contacts about to be forgotten (the journal records nothing of them,
    so the gate cannot see it); ``deleted_for_good`` queues their post-delete."""
    gate = getattr(state().db.journal, "watcher", None)
    if gate is None or not contact_ids:
        return
    gate.forgotten = [{"object": "contact", "before": object_json("contact", contact_id)}
                      for contact_id in contact_ids]
    if gate.found.path("pre-delete"):
        refused = before_each(gate.found, "pre-delete", gate.forgotten)
        if refused:
            from crmcli.hooks import Refused

            raise Refused(f"the pre-delete hook refused the change: {refused[min(refused)]}")


def deleted_for_good() -> None:
    gate = getattr(state().db.journal, "watcher", None)
    if gate is not None and gate.forgotten:
        gate.posts.setdefault("post-delete", []).extend(gate.forgotten)
        gate.forgotten = []


# ---------------------------------------------------------------------------------- objects

def contact_json(contact: Contact) -> dict:
    """A contact as `crm show --json` prints it (for a contact not yet saved: its fields)."""
    from crmcli import contacts, profiles, stages

    if contact.id is None:
        return contacts.to_record(contact)
    current = state()
    return profiles.to_record(profiles.load(current.db, contact, current.now),
                              stages.load_pipeline(current.config))


def object_json(kind: str, object_id: int) -> dict | None:
    """A contact, deal or company as its `show --json` prints it; None when it is gone."""
    from crmcli import companies, company_profile, contacts, deals, stages

    current = state()
    db = current.db
    try:
        if kind == "contact":
            return contact_json(contacts.get(db, object_id, deleted=None))
        pipeline = stages.load_pipeline(current.config)
        if kind == "deal":
            deal = deals.get(db, object_id)
            changes = deals.history(db, deal.id)
            return deals.page_record(deal, pipeline, changes,
                                     deals.time_in_stages(deal, changes, current.now))
        company = companies.get(db, object_id, deleted=None)
    except NotFound:
        return None
    return company_profile.to_record(company_profile.load(db, company, current.now), pipeline)


def describe(db: Connection, changes: list[Change], done: list[int] = ()
             ) -> tuple[list[Changed], dict[int, dict]]:
    """The objects ``changes`` changed, before and after; and the follow-ups in ``done`` as
    they were before."""
    from crmcli import changed_objects

    found = changed_objects.objects(db, changes)
    after = {key: changed_objects.presence(db, *key) for key in found}
    for key, item in found.items():
        item.after = object_json(*key) if after[key] != "absent" else None
    with changed_objects.as_before(db, changes):
        for key, item in found.items():
            before = changed_objects.presence(db, *key)
            item.event = changed_objects.event(before, after[key])
            item.before = object_json(*key) if before != "absent" else None
        done_before = {followup_id: _followup_json(followup_id) for followup_id in done}
    return [item for item in found.values() if item.event], done_before


def screen_import(found: Hooks, records: list, rehearse) -> tuple[list, list[str]]:
    """Run pre-add and pre-modify once each on what an import would change, record by
    record, before anything is written: ``rehearse(records, seen)`` imports them in a
    transaction that is rolled back, calling ``seen`` after each record. The records the
    hooks refuse are left out and reported."""
    from crmcli import changed_objects

    db = state().db
    per_record: list[list[Changed]] = []
    mark = changed_objects.last_change(db)

    def seen(total: int) -> None:
        nonlocal mark
        operation_id = db.journal.operation_id
        changes = changed_objects.changes_since(db, operation_id, mark) if operation_id else []
        mark = changes[-1].id if changes else mark
        per_record.append(describe(db, changes)[0] if changes else [])

    rehearse(records, seen)
    asked: dict[str, list[tuple[int, dict]]] = {"pre-add": [], "pre-modify": []}
    for index, items in enumerate(per_record):
        for item in items:
            asked.get(f"pre-{item.event}", []).append((index, _payload(item)))
    dropped: dict[int, str] = {}
    for name, entries in asked.items():
        for line, reason in before_each(found, name, [p for _, p in entries]).items():
            dropped.setdefault(entries[line][0], f"refused by the {name} hook: {reason}")
    messages = [f"{records[index].where}: {why}" for index, why in sorted(dropped.items())]
    return [record for index, record in enumerate(records) if index not in dropped], messages


# ---------------------------------------------------------------------------------- the gate

@dataclass
class Gate:
    """Watches each write transaction of one command (see the module's docstring)."""

    found: Hooks
    posts: dict[str, list[dict]] = field(default_factory=dict)
    pending: dict[str, list[dict]] = field(default_factory=dict)  # until the commit
    mark: int = 0
    busy: bool = False
    forgotten: list[dict] = field(default_factory=list)  # contacts deleted for good

    def begun(self, db: Connection) -> None:
        from crmcli import changed_objects

        if not self.busy:
            self.mark = changed_objects.last_change(db)
            self.pending = {}  # a transaction rolled back before its commit runs no post- hook

    def ending(self, db: Connection, recorder: Recorder) -> None:
        from crmcli import changed_objects

        if self.busy or recorder.operation_id is None:
            return
        changes = changed_objects.changes_since(db, recorder.operation_id, self.mark)
        if not changes:
            return
        done = [change.row_id for change in changes if change.table == "followups"
                and change.kind == "update" and change.old.get("done_at", 0) is None]
        changed, done_before = describe(db, changes, done)
        if recorder.source not in _SCREENED_SOURCES and any(
                self.found.path(f"pre-{item.event}") for item in changed):
            kept = self._screen(db, recorder, changes, changed)
            refused = {(row.table, row.row_id) for item in changed if item not in kept
                       for row in item.rows}
            changes = [change for change in changes
                       if (change.table, change.row_id) not in refused]
            changed = kept
        extras = _special_payloads(db, changes, changed, done_before)
        for item in changed:
            self.pending.setdefault(f"post-{item.event}", []).append(_payload(item))
        for name, payloads in extras.items():
            self.pending.setdefault(name, []).extend(payloads)

    def committed(self) -> None:
        """The transaction is committed: its post- hooks will run when the command ends."""
        for name, payloads in self.pending.items():
            self.posts.setdefault(name, []).extend(payloads)
        self.pending = {}

    def flush(self, operation_id: int | None) -> None:
        """Run the post- hooks, once each, with every change of the command."""
        for name, payloads in self.posts.items():
            self.found.after(name, payloads, operation_id)
        self.posts = {}

    def _screen(self, db: Connection, recorder: Recorder, changes: list[Change],
                changed: list[Changed]) -> list[Changed]:
        """Take the transaction back, run the pre- hooks with no lock held, then write the
        same rows again, less those of the objects a bulk hook refused."""
        from crmcli import changed_objects

        after = changed_objects.snapshot(db, changes)
        with changed_objects.as_before(db, changes):
            before = changed_objects.snapshot(db, changes)
        db.execute("ROLLBACK")
        self.busy = True
        try:
            operation_id = recorder.reserve(db)
            refused = self._run_pre(changed, operation_id)
            db.execute("BEGIN IMMEDIATE")
            recorder.begin(db)
            skipped = {(change.table, change.row_id) for item in refused for change in item.rows}
            changed_objects.replay(db, before, after, lambda *key: key in skipped)
        finally:
            self.busy = False
        return [item for item in changed if item not in refused]

    def _run_pre(self, changed: list[Changed], operation_id: int | None) -> list[Changed]:
        """The objects the pre- hooks refuse (some of a bulk change), or Refused for all."""
        from crmcli.hooks import Refused

        refused: list[Changed] = []
        for event in ("add", "modify", "delete"):
            name = f"pre-{event}"
            items = [item for item in changed if item.event == event]
            if not items or not self.found.path(name):
                continue
            payloads = [_payload(item) for item in items]
            if len(changed) == 1:
                self.found.before(name, payloads[0], operation_id)
                continue
            no = self.found.before_each(name, payloads, operation_id)
            if no and (len(no) == len(items) or not _separable(items, changed)):
                reason = no[min(no)]
                raise Refused(f"the {name} hook refused the change: {reason}")
            for index, reason in sorted(no.items()):
                info(f"crm: warning: the {name} hook refused {items[index].kind} "
                     f"#{items[index].id}: {reason}; it was skipped")
                refused.append(items[index])
        return refused


def _separable(items: list[Changed], changed: list[Changed]) -> bool:
    """Whether each object's rows are its own, so that one can be skipped alone (the
    contacts of a bulk edit can; the two contacts of a merge cannot)."""
    seen: dict[tuple[str, int], int] = {}
    for item in changed:
        for change in item.rows:
            seen[change.table, change.row_id] = seen.get((change.table, change.row_id), 0) + 1
    return all(count == 1 for count in seen.values())


def _payload(item: Changed) -> dict:
    payload: dict = {"object": item.kind}
    if item.event != "add" and item.before is not None:
        payload["before"] = item.before
    if item.event != "delete" and item.after is not None:
        payload["after"] = item.after
    return payload


def _followup_json(followup_id: int) -> dict | None:
    from crmcli import followups

    try:
        return followups.to_record(followups.entry(state().db, followup_id), state().now.tzinfo)
    except NotFound:
        return None


def _special_payloads(db: Connection, changes: list[Change], changed: list[Changed],
                      done_before: dict[int, dict]) -> dict[str, list[dict]]:
    """post-log (interactions logged), post-deal-stage (deals that changed stage) and
    post-followup-done (follow-ups marked done)."""
    from crmcli import activity

    found: dict[str, list[dict]] = {}
    deals = {item.id: item for item in changed if item.kind == "deal"}
    for change in changes:
        if change.table == "interactions" and change.kind == "insert":
            try:
                logged = activity.get_interaction(db, change.row_id)
            except NotFound:
                continue
            found.setdefault("post-log", []).append({"after": asdict(logged) | {
                "contact": object_json("contact", logged.contact_id)}})
        elif change.table == "deal_stage_changes" and change.kind == "insert":
            stage_change = db.execute("SELECT deal_id FROM deal_stage_changes WHERE id = ?",
                                      [change.row_id]).fetchone()
            item = deals.pop(stage_change[0], None) if stage_change else None
            if item is not None and item.before is not None:
                found.setdefault("post-deal-stage", []).append(
                    {"before": item.before, "after": item.after})
        elif change.row_id in done_before and change.table == "followups":
            found.setdefault("post-followup-done", []).append(
                {"before": done_before.pop(change.row_id), "after": _followup_json(change.row_id)})
    return found
