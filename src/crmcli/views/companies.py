"""Rich renderables for the company page. Company text goes in as ``Text``, never markup."""

from __future__ import annotations

import datetime as dt

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli import money
from crmcli.company_profile import CompanyProfile
from crmcli.views import data_text
from crmcli.views.activity import history_panel, local_time
from crmcli.views.contacts import _custom_fields, _detail_lines, _fields, _last_contact

PEOPLE_SHOWN = 30  # on the page; --json has them all


def company_page(profile: CompanyProfile, today: dt.date, decimal: str = ".") -> Group:
    """A company's details, its people, open and won deals, notes and its people's history."""
    from crmcli.views.cases import cases_panel
    from crmcli.views.deals import DEALS_SHOWN, deals_panel, first_deals_title

    company = profile.company
    heading = data_text(company.name, "bold")
    if company.industry:
        heading.append("  ").append_text(data_text(company.industry, "italic"))
    heading.append(f"  #{company.id}", style="dim")
    details = _fields([
        ("Website", _detail_lines(company.urls)),
        ("Email", _detail_lines(company.emails)),
        ("Phone", _detail_lines(company.phones)),
        ("Address", _detail_lines(company.addresses)),
        ("Size", data_text(company.size or "")),
        ("Tags", data_text(", ".join(company.tags), "magenta")),
        *[(handle["service"], data_text(handle["value"])) for handle in profile.handles],
        *_custom_fields(company.fields),
        ("Open deals", Text(_totals(profile.totals("open"), decimal))),
        ("Won", Text(_totals(profile.totals("won"), decimal))),
        ("Last contact", _last_contact(profile.last_contacted_at, today)),
        ("In the trash", data_text((company.deleted_at or "")[:10], "red")),
    ])
    return Group(
        Panel(details, title=heading, title_align="left", border_style="cyan"),
        _people_panel(profile, today),
        *([cases_panel(profile.cases, profile.now, with_customer=True)] if profile.cases else []),
        deals_panel(profile.open_deals[:DEALS_SHOWN], today, decimal,
                    first_deals_title("Open deals", len(profile.open_deals))),
        *([deals_panel(sorted(profile.won_deals, key=lambda d: d.closed_at or "",
                              reverse=True)[:DEALS_SHOWN], today, decimal,
                       first_deals_title("Won deals", len(profile.won_deals)))]
          if profile.won_deals else []),
        *([_notes_panel(profile)] if profile.notes else []),
        history_panel(profile.history, "Recent history of its people", with_contact=True))


def _totals(totals: dict[str, int], decimal: str) -> str:
    return " + ".join(money.display(minor, currency, decimal)
                      for currency, minor in totals.items())


def _people_panel(profile: CompanyProfile, today: dt.date) -> Panel:
    """The people last in touch first, at most PEOPLE_SHOWN (JSON and `crm list --company`
    have them all)."""
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    for column in ("ID", "Name", "Title", "Email", "Phone", "Last contact"):
        table.add_column(column)
    recent = sorted(profile.people, key=lambda p: p.last_contacted_at or "", reverse=True)
    for person in recent[:PEOPLE_SHOWN]:
        last = (f"{local_time(person.last_contacted_at):%Y-%m-%d}"
                if person.last_contacted_at else "never")
        table.add_row(data_text(person.id), data_text(person.name), data_text(person.title or ""),
                      data_text(person.emails[0].value if person.emails else ""),
                      data_text(person.phones[0].value if person.phones else ""),
                      data_text(last, "dim"))
    body = table if profile.people else Text("No people yet.", style="dim")
    everyone = profile.company.people
    if everyone > len(recent[:PEOPLE_SHOWN]):
        more = Text(f"... and {everyone - len(recent[:PEOPLE_SHOWN])} more: crm list --company "
                    f"{profile.company.id}", style="dim")
        body = Group(table, more)
    return Panel(body, title="People", title_align="left", border_style="dim",
                 subtitle=f"{everyone} people", subtitle_align="right")


def _notes_panel(profile: CompanyProfile) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for note in profile.notes[:10]:
        grid.add_row(f"{local_time(note.created_at):%Y-%m-%d}", data_text(note.body))
    return Panel(grid, title="Notes", title_align="left", border_style="dim")
