"""``crm import`` and ``crm export``: vCard, CSV, JSON and JSON Lines."""

import itertools
import sys
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crmcli import contacts
from crmcli.book_files import atomic_text
from crmcli.cli import hooking, selecting
from crmcli.cli.arguments import RowId, TagName
from crmcli.cli.common import company_filter, info, out, state
from crmcli.errors import InvalidInput, UsageError
from crmcli.interchange import exporter, importer, input_files
from crmcli.interchange.incoming import ImportReport, OnDuplicate
from crmcli.interchange.input_files import Format
from crmcli.locations import expand_home

app = typer.Typer()

_PROGRESS_EVERY = 200


@app.command("import", epilog="Examples:\n\n  crm import contacts.vcf\n\n"
             "  crm import ~/.contacts/work/ --tag work     # a vdir of .vcf files\n\n"
             "  crm import google.csv --dry-run\n\n"
             "  crm import Connections.csv     # LinkedIn: job changes are listed\n\n"
             "  crm export -f jsonl | jq -c '.tags += [\"2026\"]' | crm import -f jsonl -")
def import_command(
    source: Annotated[str, typer.Argument(
        help="A .vcf, .csv (Google, Outlook, crmcli, or LinkedIn's Connections.csv), .json or "
        ".jsonl file, a directory of .vcf files, or - for stdin.")],
    format_: Annotated[Format | None, typer.Option(
        "--format", "-f", help="Input format (default: from the name or the content).")] = None,
    on_duplicate: Annotated[OnDuplicate | None, typer.Option(
        help="When a record matches a contact (by UID, email, or name and phone): merge adds "
        "what is new (default); skip; new creates another; update overwrites the record's "
        "fields (default for JSON).")] = None,
    tag: Annotated[list[str], typer.Option("--tag", "-t", help="Tag everything imported.",
                                                  click_type=TagName())] = [],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would happen; change nothing.")] = False,
) -> None:
    """Import contacts; cards that cannot be read are reported and skipped."""
    state().source = "import"
    inputs = input_files.open_sources(source)
    formats = [format_ or input_files.detect_format(item) for item in inputs]
    policy = on_duplicate or (OnDuplicate.update if formats[0] in (Format.json, Format.jsonl)
                              else OnDuplicate.merge)
    current = state()
    date_order = current.config.date_order
    position = _Position(inputs)

    def follow(item: input_files.Source) -> None:
        position.current = item

    records = input_files.read_all(inputs, formats, date_order, current.today, on_source=follow)
    def run(records, progress, dry_run: bool = dry_run) -> ImportReport:
        return importer.run(current.db, records, on_duplicate=policy, tags=tag,
                            dry_run=dry_run, progress=progress,
                            region=current.config.phone_region)

    hook = None if dry_run else hooking.active("pre-add", "pre-modify")
    refusals: list[str] = []
    if hook:
        records, refusals = hooking.screen_import(
            hook, list(records), lambda records, seen: run(records, seen, dry_run=True))
    with _progress_bar(position) as on_progress:
        report = run(records, on_progress)
    for message in [*refusals, *report.messages]:
        info(message)
    if refusals:
        info(f"the hooks refused {len(refusals)} record(s); they were skipped")
    verb = "dry run, nothing written: would have " if dry_run else ""
    info(f"{verb}created {report.created}, updated {report.updated}, unchanged "
         f"{report.unchanged}, skipped {report.skipped}, failed {report.failed}")
    if report.job_changes:
        info(f"{len(report.job_changes)} job change(s):")
        for change in report.job_changes:
            info(f"  {change}")
    if report.failed:
        raise typer.Exit(1)


class _Position:
    """How far the import has read, in bytes, across all its inputs."""

    def __init__(self, inputs: list[input_files.Source]):
        self.inputs = inputs
        self.current = inputs[0]
        self.total = sum(i.size for i in inputs) if all(i.size for i in inputs) else None

    def done(self) -> int:
        before = sum(i.size or 0 for i in self.inputs[: self.inputs.index(self.current)])
        try:
            return before + self.current.stream.tell()
        except (OSError, ValueError):
            return before


@contextmanager
def _progress_bar(position: _Position):
    """A Rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[cards]} cards")]
    if position.total is None:
        columns = [TextColumn("importing"), MofNCompleteColumn()]
    with Progress(*columns, transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("import", total=position.total, cards=0)

        def advance(count: int) -> None:
            if count % _PROGRESS_EVERY == 0:
                done = position.done() if position.total else count
                bar.update(task, completed=done, cards=count)

        yield advance


def _stderr_console():
    from crmcli.output import console

    return console(stderr=True)


class ExportFormat(StrEnum):
    vcard = "vcard"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    ics = "ics"


class CsvDialect(StrEnum):
    google = "google"
    outlook = "outlook"
    crmcli = "crmcli"


class VcardVersion(StrEnum):
    v3 = "3.0"
    v4 = "4.0"


@app.command(epilog="Examples:\n\n  crm export > everyone.vcf\n\n"
             "  crm export --tag vip -f csv --csv-dialect outlook -o vips.csv\n\n"
             "  crm export --vdir ~/.contacts/crm      # then: vdirsyncer sync\n\n"
             "  crm export acme -f json | jq '.[].emails'\n\n"
             "  crm export -f ics --birthdays -o crm.ics   # follow-ups for a calendar app")
def export(
    query: selecting.QueryWords = None,
    tag: Annotated[list[str], typer.Option("--tag", "-t", help="Only with this tag.",
                                                  click_type=TagName())] = [],
    company: Annotated[str | None, typer.Option("--company", "-c", help="Only this company.")]
    = None,
    ids: Annotated[list[int], typer.Option("--id", help="Only this contact id. Repeatable.",
                                           click_type=RowId("contact"))] = [],
    format_: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")]
    = ExportFormat.vcard,
    vcard_version: Annotated[VcardVersion, typer.Option(help="vCard version.")]
    = VcardVersion.v3,
    csv_dialect: Annotated[CsvDialect, typer.Option(help="CSV column names.")]
    = CsvDialect.google,
    output_file: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout (- is "
        "stdout).")] = None,
    vdir: Annotated[Path | None, typer.Option(
        help="Write one <uid>.vcf per contact into this directory (for vdirsyncer); with -f "
        "ics, one .ics per follow-up (for khal), removing those no longer exported.")] = None,
    birthdays: Annotated[bool, typer.Option(
        "--birthdays",
        help="With -f ics: add birthdays, anniversaries and other important dates.")] = False,
) -> None:
    """Export contacts as vCard (default), CSV, JSON or JSON Lines; follow-ups as iCalendar."""
    output_file = None if str(output_file) == "-" else output_file  # -o -: stdout
    _check_export_options(format_, output_file, vdir, birthdays)
    db = state().db
    company_id = company_filter(db, company)
    chosen = contacts.id_array(db, tags=tag, company_id=company_id, ids=ids or None,
                               condition=selecting.condition(selecting.joined(query)))
    whole_book = not (query or tag or company or ids)
    if format_ == ExportFormat.ics:
        # The whole book: every live contact's follow-ups, and chores about nobody.
        calendar_ids = None if whole_book else chosen.tolist()
        if vdir is not None:
            _calendar_vdir(db, calendar_ids, birthdays, vdir, whole_book)
        else:
            _export_calendar(db, calendar_ids, birthdays, output_file, whole_book)
        return
    items = exporter.iter_export(db, chosen)
    firms = _companies(db, format_, csv_dialect) if whole_book else []
    if vdir is not None:
        _write_vdir(vdir, items, vcard_version.value, firms)
    else:
        with _destination(output_file) as stream:
            _write(stream, items, format_, vcard_version.value, csv_dialect.value, firms)
    info(f"exported {len(chosen)} contact(s)" + (f" and {len(firms)} compan"
                                                  f"{'y' if len(firms) == 1 else 'ies'}"
                                                  if firms else "")
         + (f" to {output_file or vdir}" if output_file or vdir else ""))


def _companies(db, format_: ExportFormat, dialect: CsvDialect) -> list:
    """The companies a whole-book export writes before the contacts, so that a fresh book
    reading it back gives each company its UID (as company cards, JSON objects with "kind":
    "company", crmcli CSV rows); the Google and Outlook CSV have no place for them."""
    from crmcli.interchange import company_cards

    if format_ == ExportFormat.csv and dialect != CsvDialect.crmcli:
        return []
    return list(company_cards.iter_export(db))


def _check_export_options(format_: ExportFormat, output_file: Path | None,
                          vdir: Path | None, birthdays: bool) -> None:
    """Refuse options that would be silently ignored together."""
    if vdir is not None and output_file is not None:
        raise UsageError("choose one of --output and --vdir")
    if vdir is not None and format_ not in (ExportFormat.vcard, ExportFormat.ics):
        raise UsageError(f"--vdir writes vCards (or, with -f ics, calendar files), not "
                         f"{format_.value}; use --output FILE")
    if birthdays and format_ != ExportFormat.ics:
        raise UsageError("--birthdays goes with -f ics")


def _calendar_vdir(db, chosen: list[int] | None, birthdays: bool, folder: Path,
                   without_contact: bool) -> None:
    """One .ics per follow-up (and occasion) in ``folder``; files of crm's events that this
    export no longer holds (done, deleted, or not chosen) are removed."""
    from crmcli.interchange import ics

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = set()
    for stem, text in ics.calendars(db, chosen, birthdays, state().now, without_contact):
        if text is None:
            info(f"crm: warning: {stem} left out: its stored date or rule fits no calendar")
            continue
        with _destination(folder / f"{stem}.ics") as stream:
            stream.write(text)
        written.add(f"{stem}.ics")
    stale = [path for path in folder.glob("*.ics")
             if path.name not in written and ics.is_own_file(path)]
    for path in stale:
        path.unlink()
    info(f"exported {len(written)} calendar event(s) to {folder}"
         + (f"; removed {len(stale)} no longer exported" if stale else ""))


def _export_calendar(db, chosen: list[int] | None, birthdays: bool, output_file: Path | None,
                     without_contact: bool) -> None:
    """Follow-ups (and birthdays) of the chosen contacts (and of nobody) as iCalendar."""
    from crmcli.interchange import ics

    with _destination(output_file) as stream:
        count, skipped = ics.write_calendar(db, chosen, stream, birthdays, state().now,
                                            without_contact)
    for label in skipped:
        info(f"crm: warning: {label} left out: its stored date or rule fits no calendar")
    info(f"exported {count} calendar event(s)" + (f" to {output_file}" if output_file else ""))


def _write(stream, items, format_: ExportFormat, version: str, dialect: str,
           firms: list) -> None:
    from crmcli.interchange import company_cards

    if format_ == ExportFormat.vcard:
        for firm in firms:
            stream.write(company_cards.to_vcard(firm, version))
        for card in exporter.iter_vcards(items, version):
            stream.write(card)
    elif format_ == ExportFormat.csv:
        from crmcli import fields
        from crmcli.interchange.csv_write import write_contacts

        names = [definition.name for definition in fields.definitions(state().db)]
        names += [definition.name for definition in fields.definitions(state().db, "companies")
                  if definition.name not in names] if firms else []
        rows = itertools.chain((
            (replace(company_cards.as_contact(firm.company), fields=firm.company.fields),
             firm.notes, company_cards.csv_cells(firm)) for firm in firms),
            ((item.contact, item.notes, {}, item.relations) for item in items))
        write_contacts(rows, stream, dialect, names, warn=info)
    elif format_ == ExportFormat.jsonl:
        from crmcli.text import to_json

        for record in _records(items, firms):
            stream.write(to_json(record) + "\n")
    else:
        _write_json_array(stream, _records(items, firms))


def _records(items, firms: list):
    from crmcli.interchange import company_cards

    return itertools.chain(map(company_cards.to_record, firms), map(exporter.to_record, items))


def _write_json_array(stream, records) -> None:
    """A JSON array written record by record, so memory stays flat."""
    from crmcli.text import to_json

    stream.write("[")
    for index, record in enumerate(records):
        stream.write(("," if index else "") + "\n  " + to_json(record))
    stream.write("\n]\n")


@contextmanager
def _destination(path: Path | None):
    """stdout, or a private temporary file renamed over ``path`` once complete."""
    if path is None:
        with out().stream() as stream:
            yield stream
        return
    if Path(expand_home(path)).is_dir():
        raise InvalidInput(f"{path} is a directory; give a file name (or --vdir {path} for "
                           "one file per item)")
    with atomic_text(state().db, path) as stream:
        yield stream


def _write_vdir(folder: Path, items, version: str, firms: list) -> None:
    from crmcli.interchange import company_cards

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    holding = exporter.vdir_files_by_uid(state().db, folder)
    cards = itertools.chain(
        ((company_cards.as_contact(firm.company), company_cards.to_vcard(firm, version))
         for firm in firms),
        exporter.iter_vcards(items, version, with_contacts=True))
    for contact, card in cards:
        name = holding(contact.uid) or exporter.vdir_file_name(contact)
        with _destination(folder / name) as stream:
            stream.write(card)
