"""``crm date add|list|rm``: the important dates of a contact (the anniversary among them)."""

from typing import Annotated

import typer

from crmcli import contact_refs, contacts, important_dates
from crmcli.cli import phones
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state
from crmcli.errors import NotFound, shown

app = typer.Typer(name="date", no_args_is_help=True,
                  help="Important dates of a contact: anniversary, wedding, first order...")

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
Label = Annotated[str, typer.Argument(
    help="What the date is: anniversary, wedding, 'started at ACME'...")]
COLUMNS = [("label", "Label"), ("date", "Date"), ("next", "Next"), ("in_days", "In days")]


def parse_date(text: str):
    """A full or yearless date as birthdays take it (17 May, 2010-06-12, --05-17)."""
    from crmcli.dates import parse_partial_date

    current = state()
    return parse_partial_date(text, current.config.date_order, current.today)


def _save(contact, changed) -> None:
    contacts.update(state().db, changed, phones.region(), read=contact)


@app.command(epilog="Examples:\n\n  crm date add ana anniversary 2012-06-16\n\n"
             "  crm date add bo 'first order' --03-02   # no year")
def add(ref: Ref, label: Label,
        date: Annotated[str, typer.Argument(
            help="The date: 2012-06-16, 16/06/2012, 16 June, --06-16 (no year).")]) -> None:
    """Set a date of a contact (a label it already has gets the new date)."""
    contact = contact_refs.resolve(state().db, ref)
    label = important_dates.clean_label(label)
    when = parse_date(date)
    changed = important_dates.with_date(contact, label, when)
    if changed == contact:
        info(f"{contact.name}: {label} {when} (unchanged)")
        return
    _save(contact, changed)
    info(f"{contact.name}: {label} {when}")


@app.command("list", epilog="Examples:\n\n  crm date list ana\n\n  crm date list ana --json")
def list_dates(ref: Ref, format_: FormatOption = None, as_json: JsonOption = False,
               as_csv: CsvOption = False) -> None:
    """A contact's birthday and important dates, with when each comes next."""
    from crmcli.dates import next_occurrence

    contact = contact_refs.resolve(state().db, ref)
    today = state().today
    dated = [("birthday", contact.birthday)] if contact.birthday else []
    dated += [(d.label, d.date) for d in important_dates.all_dates(contact)]

    def record(label, date) -> dict:
        upcoming = next_occurrence(date, today)
        return {"label": label, "date": str(date), "next": upcoming.isoformat(),
                "in_days": (upcoming - today).days}

    rows = sorted((record(*item) for item in dated), key=lambda r: (r["in_days"], r["label"]))
    if not out(format_, as_json, as_csv).records(iter(rows), COLUMNS):
        info(f"{contact.name} has no dates (crm date add {contact.id} LABEL DATE)")


@app.command("rm", epilog="Examples:\n\n  crm date rm ana wedding")
def remove(ref: Ref, label: Label) -> None:
    """Forget a date of a contact."""
    contact = contact_refs.resolve(state().db, ref)
    found = important_dates.label_of(contact, important_dates.clean_label(label))
    if found is None:
        raise NotFound(f"{contact.name} has no date {shown(label)} (crm date list {contact.id})")
    _save(contact, important_dates.with_date(contact, found.label, None))
    info(f"{contact.name}: removed {found.label} {found.date}")
