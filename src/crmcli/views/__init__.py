"""Rich renderables for the one-record pages. All contact text goes in as ``Text``, never markup."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli.models import Company, Contact, Detail, Note
from crmcli.output import safe


def _text(value: object, style: str = "") -> Text:
    return Text(safe(str(value)), style=style)


def _detail_lines(details: list[Detail]) -> Text:
    text = Text()
    for index, detail in enumerate(details):
        if index:
            text.append("\n")
        text.append(safe(detail.value))
        if detail.label:
            text.append(f"  {safe(detail.label)}", style="dim")
    return text


def _fields(rows: list[tuple[str, Text]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        if value.plain:
            grid.add_row(label, value)
    return grid


def contact_page(contact: Contact, notes: list[Note]) -> Group:
    heading = Text(safe(contact.name), style="bold")
    if contact.title or contact.company:
        heading.append("  " + safe(" at ".join(filter(None, [contact.title, contact.company]))),
                       style="italic")
    heading.append(f"  #{contact.id}", style="dim")
    details = _fields([
        ("Email", _detail_lines(contact.emails)),
        ("Phone", _detail_lines(contact.phones)),
        ("Address", _detail_lines(contact.addresses)),
        ("Web", _detail_lines(contact.urls)),
        ("Birthday", _text(contact.birthday or "")),
        ("Tags", _text(", ".join(contact.tags), "magenta")),
        ("Added", _text((contact.created_at or "")[:10], "dim")),
    ])
    parts = [Panel(details, title=heading, title_align="left", border_style="cyan")]
    if notes:
        parts.append(Panel(_notes(notes), title="Notes", title_align="left", border_style="dim"))
    return Group(*parts)


def _notes(notes: list[Note]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for note in notes:
        grid.add_row(_text((note.created_at or "")[:10]), _text(note.body))
    return grid


def company_page(company: Company, people: list[Contact]) -> Group:
    heading = Text(safe(company.name), style="bold")
    heading.append(f"  #{company.id}", style="dim")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    for column in ("ID", "Name", "Title", "Email", "Phone"):
        table.add_column(column)
    for person in people:
        table.add_row(_text(person.id), _text(person.name), _text(person.title or ""),
                      _text(person.emails[0].value if person.emails else ""),
                      _text(person.phones[0].value if person.phones else ""))
    body = table if people else Text("No people yet.", style="dim")
    return Group(Panel(body, title=heading, title_align="left", border_style="cyan",
                       subtitle=f"{len(people)} people", subtitle_align="right"))
