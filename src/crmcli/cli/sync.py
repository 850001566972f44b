"""``crm sync``: keep the book and the vdirs vdirsyncer syncs with a CardDAV server in
agreement (see docs/sync.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli import sync_hooks, sync_setup
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    group_with_default,
    info,
    out,
    state,
)
from crmcli.errors import CrmError

app = typer.Typer()
sync_app = typer.Typer(
    name="sync", cls=group_with_default("run"),
    help="Two-way sync of contacts with a phone or another computer, through vdirsyncer "
    "(without a sub-command: sync now).",
    epilog="Examples:\n\n  crm sync\n\n  crm sync --dry-run\n\n  crm sync status --json")
app.add_typer(sync_app)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would move; run no command "
                                      "and write nothing.")]
NoCommand = Annotated[bool, typer.Option("--no-command", help="Do not run \\[sync] command "
                                         "(vdirsyncer) before and after.")]
ForceDelete = Annotated[bool, typer.Option(
    "--force-delete", help="Go ahead with a run that deletes more than 50 items or 20% of a "
    "collection.")]

STATUS_COLUMNS = [("collection", "Collection"), ("folder", "Folder"),
                  ("pull_new", "Pull new"), ("pull_changed", "Pull changed"),
                  ("pull_deleted", "Pull deleted"), ("push_new", "Push new"),
                  ("push_changed", "Push changed"), ("push_deleted", "Push deleted"),
                  ("merge", "Merge"), ("problems", "Problems")]
CONFLICT_COLUMNS = [("id", "ID"), ("at", "When"), ("status", "Status"),
                    ("record", "Record"), ("href", "File"), ("field", "Field"),
                    ("kept", "Kept"), ("lost", "Lost"), ("winner", "Winner")]


def _settings():
    from crmcli.config import sync_settings

    return sync_settings(state().config)


def _collections():
    """The plan of each configured collection: contacts when a contacts vdir is set, then
    each calendar collection named in the \\[sync] table (crm sync setup writes them)."""
    from crmcli.sync import engine

    settings, found = _settings(), []
    folder = settings.folder("contacts")
    if folder is not None:
        found.append(engine.contacts(state().db, folder, state().config.phone_region))
    for name, adapter in _calendar_adapters().items():
        folder = settings.folder(name)
        if folder is not None and name in state().config.table("sync"):
            found.append(engine.calendar(state().db, name, folder, adapter))
    return found


def _calendar_adapters() -> dict:
    from crmcli.sync.cases import Cases
    from crmcli.sync.deals import Deals
    from crmcli.sync.journal import Journal
    from crmcli.sync.tasks import Tasks

    now = state().now
    return {"tasks": Tasks(now.tzinfo),
            "journal": Journal(now.tzinfo, now, _settings().journal_days),
            "deals": Deals(), "cases": Cases(now)}


def _lock_file() -> Path:
    return Path(f"{state().config.db_path}.sync-lock")


@sync_app.command("run", epilog="Examples:\n\n  crm sync\n\n  crm sync --no-command   "
                  "# vdirsyncer runs elsewhere")
def run(dry_run: DryRun = False, no_command: NoCommand = False,
        force_delete: ForceDelete = False, format_: FormatOption = None,
        as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """Run \\[sync] command, reconcile each vdir with the book, run the command again if crm
    wrote anything. The summary goes to stderr, quiet when nothing moved; with a format,
    what moved is also printed as records."""
    from crmcli.sync import engine, vdir

    settings = _settings()
    state().source = "sync"
    failures: list[str] = []
    command = "" if no_command or dry_run else settings.command
    with vdir.locked(_lock_file()):
        failures += filter(None, [engine.run_command(command)])
        collections = _collections()
        for collection in collections:
            engine.check_deletions(collection, force_delete)
        wrote = False
        hook = None if dry_run else sync_hooks.active()
        for collection in collections:
            if dry_run:
                _say_plan(collection)
                continue
            if hook and collection.adapter is None:  # the hooks are about contacts
                sync_hooks.screen(hook, collection, settings.vcard_version)
            outcome = engine.reconcile(state().db, collection, settings.vcard_version,
                                       state().config.phone_region, state().now)
            wrote = wrote or outcome.wrote_files
            _say_outcome(collection.name, outcome)
            failures += [f"{collection.name}: {href}: {reason}"
                         for href, reason in outcome.problems]
        if wrote:
            failures += filter(None, [engine.run_command(command)])
    if format_ or as_json or as_csv:
        out(format_, as_json, as_csv).records(
            [{"collection": c.name, "folder": str(c.folder), **_counts(c)} for c in collections],
            STATUS_COLUMNS)
    if failures:
        raise CrmError("; ".join(failures))


def _counts(collection) -> dict:
    from collections import Counter

    from crmcli.sync.plan import KINDS

    moves = Counter(KINDS[step.kind] for step in collection.plan.moving())
    return {"pull_new": moves["pulled", "new"], "pull_changed": moves["pulled", "changed"],
            "pull_deleted": moves["pulled", "deleted"], "push_new": moves["pushed", "new"],
            "push_changed": moves["pushed", "changed"],
            "push_deleted": moves["pushed", "deleted"],
            "merge": moves["merged", "changed"], "problems": len(collection.plan.problems)}


def _say_plan(collection) -> None:
    counts = _counts(collection)
    if any(counts.values()):
        info(f"crm sync: {collection.name} (dry run): "
             + ", ".join(f"{key.replace('_', ' ')} {value}"
                         for key, value in counts.items() if value))


def _say_outcome(name: str, outcome) -> None:
    parts = []
    for side in ("pulled", "pushed", "merged"):
        moved = [f"{outcome.counts[side, what]} {what}" for what in ("new", "changed", "deleted")
                 if outcome.counts[side, what]]
        if moved:
            parts.append(f"{side} {', '.join(moved)}")
    if outcome.conflicts:
        parts.append(f"{outcome.conflicts} conflict{'s' * (outcome.conflicts != 1)} "
                     "(crm sync conflicts)")
    if parts:
        info(f"crm sync: {name}: {'; '.join(parts)}")
    for line in outcome.reports:
        info(f"crm sync: {name}: {line}")


@sync_app.command("status", epilog="Examples:\n\n  crm sync status\n\n  crm sync status --json")
def status(format_: FormatOption = None, as_json: JsonOption = False,
           as_csv: CsvOption = False) -> None:
    """What the next sync would move, per collection (the vdir as it is now; runs no
    command)."""
    records = [{"collection": c.name, "folder": str(c.folder), **_counts(c)}
               for c in _collections()]
    out(format_, as_json, as_csv).records(records, STATUS_COLUMNS)


@sync_app.command("conflicts", epilog="Examples:\n\n  crm sync conflicts\n\n"
                  "  crm sync conflicts --json")
def conflicts(format_: FormatOption = None, as_json: JsonOption = False,
              as_csv: CsvOption = False) -> None:
    """Items that could not be synced (unresolved), then the latest conflicts sync resolved:
    the newer change kept, the other noted on the contact or company. Record names the book's
    row (contact 3, company 2, follow-up 5, deal 7, case 8, note 4, interaction 9)."""
    from crmcli.sync import base

    out(format_, as_json, as_csv).records(base.conflicts(state().db), CONFLICT_COLUMNS)


sync_app.command("setup", epilog=(
    "Examples:\n\n  crm sync setup https://cloud.example.com/remote.php/dav/ --user ana\n\n"
    "  crm sync setup https://dav.example.com/ana/contacts/ -u ana --password-command "
    "'pass show dav'\n\n  crm sync setup http://localhost:5232/ana/contacts/   "
    "# no authentication"))(sync_setup.setup)
