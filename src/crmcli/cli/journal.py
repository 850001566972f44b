"""The safety net: ``crm dump``/``crm load``, the journal and undo."""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from crmcli.book_files import atomic_text
from crmcli.cli.arguments import RowId
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    YesOption,
    confirm,
    info,
    out,
    state,
)
from crmcli.errors import ConfigError, InvalidInput

app = typer.Typer()


@app.command(epilog="Examples:\n\n  crm dump -o book.jsonl && git -C backups commit -am today\n\n"
             "  crm --db new.db load book.jsonl")
def dump(
    output_file: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically, mode 0600) instead of stdout "
        "(- is stdout).")]
    = None,
) -> None:
    """Write every user table as canonical JSON Lines (stable order and keys: diffable)."""
    from crmcli import dump as book_dump

    output_file = None if str(output_file) == "-" else output_file  # -o -: stdout
    # closing(): the read transaction ends here, even when a closed pipe stops the writing.
    with closing(book_dump.dump(state().db)) as lines:
        if output_file is None:
            with out().stream() as stream:
                stream.writelines(lines)
            return
        with atomic_text(state().db, output_file) as stream:
            stream.writelines(lines)
    info(f"dumped the book to {output_file}")


@app.command(epilog="Examples:\n\n  crm --db new.db load book.jsonl\n\n"
             "  crm dump | crm --db copy.db load -")
def load(
    source: Annotated[str, typer.Argument(metavar="FILE", help="A dump, or - for stdin.")],
) -> None:
    """Restore a dump (from `crm dump`) into an empty book."""
    from crmcli import dump as book_dump

    try:
        stream = sys.stdin if source == "-" else open(  # noqa: SIM115
            source, encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {source}: {exc.strerror}") from None
    where = "<stdin>" if source == "-" else source
    try:
        count = book_dump.load(state().db, book_dump.lines(stream), where)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{where}: not UTF-8 text (byte {exc.start} of a line)") from None
    finally:
        if stream is not sys.stdin:
            stream.close()
    info(f"loaded {count} row(s)")


JOURNAL_COLUMNS = [("id", "id"), ("started_at", "when"), ("source", "source"),
                   ("what", "what"), ("summary", "summary")]


@app.command("journal", epilog="Examples:\n\n  crm journal --limit 5\n\n"
             "  crm journal --json | jq '.[0].id'")
def journal_command(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1_000_000,
                                       help="Show at most this many.")] = 20,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List the journaled operations, newest first, one line each."""
    from crmcli import journal, journal_summary

    db = state().db
    records = (journal_summary.to_record(db, operation)
               for operation in journal.recent(db, limit))
    out(format_, as_json, as_csv).records(records, JOURNAL_COLUMNS)


@app.command(epilog="Examples:\n\n  crm undo            # the last operation\n\n"
             "  crm undo            # again: redoes it\n\n  crm undo 42         # operation #42 of "
             "crm journal")
def undo(
    operation_id: Annotated[int | None, typer.Argument(
        metavar="[ID]", help="The operation to revert (default: the last one).",
        click_type=RowId("operation"))] = None,
) -> None:
    """Revert an operation of the journal (an undo is itself one: undo it to redo)."""
    from crmcli import journal_summary
    from crmcli import undo as undoing

    db = state().db
    target = undoing.target(db, operation_id)
    from crmcli.config import save_setting, setting_in_file

    settings = undoing.undo(db, db.journal, target, setting_in_file)
    info(f"undid #{target.id} ({journal_summary.summary(db, target) or target.what})")
    for key, value in settings:
        try:
            path = save_setting(key, value)
        except ConfigError as exc:  # the book's changes are committed: say what is left
            wanted = f"set {key} = {value!r}" if value is not None else f"remove {key}"
            raise ConfigError(f"{exc}; #{target.id} is undone in the book all the same: "
                              f"{wanted} in the file yourself") from None
        info(f"{key} = {value!r} in {path} again" if value is not None
             else f"{key} is unset in {path} again")


@app.command(epilog="Examples:\n\n  crm forget 'Ana Lima'\n\n  crm forget 12 --yes")
def forget(
    ref: Annotated[str, typer.Argument(help="Contact id, name, email or phone (in the trash "
                                            "too).")],
    yes: YesOption = False,
) -> None:
    """Delete a person for good: the contact, its notes, interactions, follow-ups, relationships
    and journal entries. Cannot be undone."""
    from crmcli import contact_refs, forgetting
    from crmcli.errors import NotFound

    db = state().db
    try:
        contact = contact_refs.resolve(db, ref)
    except NotFound:
        contact = contact_refs.resolve(db, ref, deleted=True)
    confirm(f"Forget {contact.name} #{contact.id} for good, with everything about them "
            "(this cannot be undone)?", yes)
    from crmcli.cli import hooking

    hooking.deleting_for_good([contact.id])
    forgetting.forget(db, [contact.id])
    hooking.deleted_for_good()
    info(f"forgot {contact.name} #{contact.id}")
