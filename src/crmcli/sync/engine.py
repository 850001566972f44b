"""One sync: the command around it, and each configured collection reconciled with the book."""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from sqlite3 import Connection

from crmcli.errors import CrmError
from crmcli.sync import plan

MAX_DELETIONS = 50
MAX_SHARE = 0.2
SMALL_COLLECTION = 10  # the share is not checked below this many items
MAX_OUTPUT = 64 * 1024  # of a failed command's output, the end is read for its reasons
SHOWN_LINES = 4
SHOWN_WIDTH = 240


@dataclass
class Collection:
    name: str
    folder: Path
    plan: plan.Plan
    outcome: plan.Outcome | None = None
    adapter: object | None = None  # a calendar collection's items.Adapter; None: contacts


def run_command(command: str) -> str | None:
    """Run ``[sync] command`` (split like a shell would, run without one); None when it
    succeeded, else what went wrong with the lines of its output that say why. Its output is
    kept, never shown otherwise: a run where nothing moved prints nothing (cron mails news)."""
    words = shlex.split(command)
    if not words:
        return None
    try:
        finished = subprocess.run(words, check=False, stdin=subprocess.DEVNULL,
                                  capture_output=True)
    except OSError as exc:
        return f"{command!r} could not run: {exc.strerror or exc}"
    if finished.returncode:
        said = relevant_lines(finished.stderr + b"\n" + finished.stdout)
        return (f"{command!r} exited with status {finished.returncode}"
                + (f": {said}" if said else ""))
    return None


def relevant_lines(output: bytes) -> str:
    """What a failed command said about why: its error lines (vdirsyncer starts them with
    ``error:`` or ``critical:``), else its last lines; a few, each cut short."""
    lines = [line.strip() for line in output[-MAX_OUTPUT:].decode("utf-8", "replace")
             .splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "critical"))]
    chosen = errors[:SHOWN_LINES] if errors else lines[-SHOWN_LINES:]
    return " | ".join(line[:SHOWN_WIDTH] for line in chosen)


def contacts(db: Connection, folder: Path, region: str | None) -> Collection:
    """What a sync of the contacts vdir would move."""
    return Collection("contacts", folder, plan.make(db, folder, region))


def calendar(db: Connection, name: str, folder: Path, adapter) -> Collection:
    """What a sync of a calendar vdir (.ics items of ``adapter``'s kind) would move."""
    from crmcli.sync import items

    return Collection(name, folder, items.make(db, folder, adapter), adapter=adapter)


def check_deletions(collection: Collection, force: bool) -> None:
    """Stop before a run deletes more than 50 items, or more than 20% of a collection of 10
    items or more, unless ``force``: a vdir emptied by mistake must not empty the book."""
    deletions = sum(step.deletes for step in collection.plan.steps)
    size = collection.plan.size
    too_many = deletions > MAX_DELETIONS or (
        size >= SMALL_COLLECTION and deletions > MAX_SHARE * size)
    if too_many and not force:
        raise CrmError(f"{collection.name}: this sync would delete {deletions} of {size} items;"
                       " nothing was changed; check the vdir and the server, then run "
                       "crm sync --force-delete if that is what you want")


def reconcile(db: Connection, collection: Collection, version: str, region: str | None,
              now: dt.datetime) -> plan.Outcome:
    """Carry out the collection's plan; the apply.Outcome. An agreed collection costs no
    more than its plan (the writing code is not even imported)."""
    if not (collection.plan.steps or collection.plan.problems or collection.plan.had_problems):
        collection.outcome = plan.Outcome()
        return collection.outcome
    if collection.adapter is not None:
        from crmcli.sync import items

        collection.outcome = items.run(db, collection.plan, collection.adapter, now)
        return collection.outcome
    from crmcli.sync import apply

    collection.outcome = apply.run(db, collection.plan, version, region, now)
    return collection.outcome
