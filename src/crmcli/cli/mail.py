"""``crm log-mail``, ``crm import-mail`` and ``crm mail suggest``: mail as contact history."""

from __future__ import annotations

import contextlib
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    info,
    moment_ago,
    out,
    state,
)
from crmcli.errors import InvalidInput, UsageError
from crmcli.limits import MAX_MAIL_BYTES
from crmcli.locations import expand_home

app = typer.Typer()
mail_app = typer.Typer(name="mail", help="Mail: correspondents to add to the book.",
                       no_args_is_help=True)
app.add_typer(mail_app)

LOGGED_COLUMNS = [("id", "id"), ("contact_id", "contact id"), ("contact", "contact"),
                  ("direction", "direction"), ("at", "at"), ("subject", "subject"),
                  ("message_id", "message id"), ("file", "file")]
SUGGESTED_COLUMNS = [("name", "name"), ("email", "email"), ("messages", "messages"),
                     ("last", "last"), ("command", "to add")]
_PROBLEMS_SHOWN = 20

DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would be logged; write "
                                      "nothing.")]


@app.command("log-mail", epilog="Examples:\n\n  crm log-mail < message.eml\n\n"
             "  crm log-mail --file ~/Mail/Sent/cur/1700000000.M1P2.host:2,S\n\n"
             "  mutt: macro index,pager L '<pipe-message>crm log-mail<enter>'")
def log_mail(
    file: Annotated[Path | None, typer.Option(
        "--file", help="Read the message from this file instead of stdin.")] = None,
    dry_run: DryRun = False,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Log one mail message (RFC 5322, on stdin) on every contact in its From, To and Cc."""
    from crmcli.mail import message, sources

    file = None if str(file) == "-" else file  # --file -: stdin, as without it
    where = str(file) if file else "stdin"
    data = _read_file(file) if file else sys.stdin.buffer.read(MAX_MAIL_BYTES + 1)
    if len(data) > MAX_MAIL_BYTES:
        raise InvalidInput(f"{where}: the message is larger than {MAX_MAIL_BYTES:,} bytes")
    if not data.strip():
        raise InvalidInput(f"{where} is empty: give one mail message (mutt: <pipe-message>)")
    try:
        message.glance(data)
        message.read_envelope(data)
        message.excerpt(data)
    except message.BadMail as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    _log(iter([sources.from_bytes(data, where)]), None, dry_run, out(format_, as_json, as_csv))


def _read_file(path: Path) -> bytes:
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; crm log-mail reads one message "
                           "(crm import-mail reads a Maildir)")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_MAIL_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None


@app.command("import-mail", epilog="Examples:\n\n  crm import-mail ~/Mail/INBOX\n\n"
             "  crm import-mail ~/Mail/Sent --since 2026-01-01\n\n"
             "  crm import-mail archive.mbox --dry-run\n\n"
             "  crm import-mail ~/exported/ --json    # a folder of .eml files")
def import_mail(
    paths: Annotated[list[Path], typer.Argument(
        help="Maildir folders (with cur/ and new/), mbox files or folders of .eml files.")],
    since: Annotated[str | None, typer.Option(
        help="Only mail from this day on: 2026-01-01, '30 days ago', 90d.")] = None,
    dry_run: DryRun = False,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Log the mail of a mailbox on the contacts it concerns; run it again: nothing is logged
    twice. Bulk mail (mailing lists, newsletters) is skipped."""
    from crmcli.mail import sources

    opened = [sources.open_path(Path(expand_home(path))) for path in paths]
    messages = (raw for source in opened for raw in source.messages)
    total = None if any(s.total is None for s in opened) else sum(s.total for s in opened)
    report = _log(messages, total, dry_run, out(format_, as_json, as_csv),
                  moment_ago(since) if since else None, skip_refused=True)
    if report.failed:
        raise typer.Exit(1)


def _log(messages, total: int | None, dry_run: bool, output, since: str | None = None,
         skip_refused: bool = False):
    """Log ``messages``, print what was logged, then the summary and the problems; with
    ``skip_refused``, a batch a pre- hook refuses is reported and skipped."""
    from crmcli.mail import capture

    current = state()
    current.source = "mail"
    settings = capture.settings(current.config)
    report = capture.Report()

    def logged(progress=None):
        return capture.capture(current.db, messages, settings, current.now, report, since,
                               dry_run, progress, skip_refused)

    if sys.stderr.isatty():
        with _progress_bar("reading mail", total) as progress:
            rows = list(logged(progress))  # the bar first, then the table
    else:
        rows = logged()
    output.records(map(_logged_record, rows), LOGGED_COLUMNS)
    _summary(report, dry_run)
    return report


def _logged_record(item) -> dict:
    return {"id": item.id, "contact_id": item.contact_id, "contact": item.contact,
            "direction": item.direction, "at": item.at, "subject": item.subject,
            "message_id": item.message_id, "file": item.where}


def _summary(report, dry_run: bool) -> None:
    for refusal, skipped in report.refusals.items():
        info(f"crm: warning: {refusal}; {skipped} message(s) not logged")
    for problem in report.problems[:_PROBLEMS_SHOWN]:
        info(f"crm: warning: {problem}; skipped")
    if len(report.problems) > _PROBLEMS_SHOWN:
        info(f"crm: warning: and {len(report.problems) - _PROBLEMS_SHOWN} more unreadable "
             "message(s)")
    verb = "dry run, nothing written: would have logged" if dry_run else "logged"
    parts = [f"{report.already} already logged", f"{report.bulk} bulk skipped",
             f"{report.no_contact} with no contact"]
    parts += [f"{report.older} older than --since"] if report.older else []
    parts += [f"{report.failed} unreadable"] if report.failed else []
    parts += [f"{report.refused} refused"] if report.refused else []
    info(f"{report.messages} message(s): {verb} {report.logged} email(s); {', '.join(parts)}")


@mail_app.command("suggest", epilog="Examples:\n\n  crm mail suggest ~/Mail/Sent\n\n"
                  "  crm mail suggest --min 5 --json | jq -r '.[].command'")
def suggest(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Mailboxes to read (default: [mail] folders in the config).")] = None,
    minimum: Annotated[int, typer.Option(
        "--min", min=1, help="Only people in at least this many messages.")] = 2,
    limit: Annotated[int, typer.Option(min=1, help="At most N people.")] = 50,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Frequent correspondents who are not in the book, with the command that adds each."""
    from crmcli.mail import capture, sources

    current = state()
    settings = capture.settings(current.config)
    folders = paths or [Path(folder) for folder in settings.folders]
    if not folders:
        raise UsageError("give a mailbox to read (a Maildir, an mbox file or a folder of .eml "
                         "files), or list them in the config: [mail] folders = [\"~/Mail/Sent\"]")
    opened = [sources.open_path(Path(expand_home(path))) for path in folders]
    report = capture.Report()
    messages = (raw for source in opened for raw in source.messages)
    with _progress_bar("reading mail", None) as progress:
        found = capture.correspondents(current.db, messages, settings, report, minimum,
                                       progress)
    for problem in report.problems[:_PROBLEMS_SHOWN]:
        info(f"crm: warning: {problem}; skipped")
    zone = current.now.tzinfo
    out(format_, as_json, as_csv).records(
        ({"name": person.name, "email": person.email, "messages": person.messages,
          "last": person.last.astimezone(zone).date().isoformat() if person.last else None,
          "command": _add_command(person)} for person in found[:limit]), SUGGESTED_COLUMNS)


def _add_command(person) -> str:
    return shlex.join(["crm", "add", person.name or person.email, "-e", person.email])


@contextlib.contextmanager
def _progress_bar(label: str, total: int | None):
    """A Rich progress bar on a terminal's stderr (None otherwise)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from crmcli.output import console

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int) -> None:
            if done % 100 == 0 or done == total:
                bar.update(task, completed=done)

        yield advance
