"""Rich renderables for service cases: the case page with its history, the compact panel of a
contact's or company's cases and of overdue ones (agenda, dashboard), and the report's bars."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli.dates import humanize, parse_stamp
from crmcli.views import data_text

if TYPE_CHECKING:  # a contact's page shows its cases without loading the case report
    from crmcli.case_reports import Report
    from crmcli.cases import Case, Event

STATUS_STYLES = {"open": "bold yellow", "waiting": "cyan", "resolved": "green",
                 "closed": "dim"}
PRIORITY_STYLES = {"urgent": "bold red", "high": "red", "normal": "", "low": "dim"}


def _when(stamp: str | None, now: dt.datetime) -> str:
    return humanize(parse_stamp(stamp), True, now) if stamp else ""


def due_text(case: Case, now: dt.datetime) -> Text:
    """The promise; red when overdue, marked when its clock is paused."""
    if case.due_at is None:
        return Text("no promise", style="dim")
    text = Text(_when(case.due_at, now), style="bold red" if case.overdue else "")
    if case.overdue:
        text.append("  overdue", style="red")
    elif case.status == "waiting":
        text.append("  paused: waiting on the customer", style="cyan")
    return text


def case_page(case: Case, events: list[Event], now: dt.datetime) -> Group:
    heading = data_text(case.title, "bold")
    heading.append(f"  case #{case.id}", style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    waiting = f"until {_when(case.waiting_until, now)}" if case.waiting_until else ""
    for label, value in (
        ("Status", Text(case.status + (f" {waiting}" if waiting else ""),
                        style=STATUS_STYLES.get(case.status, ""))),
        ("Priority", Text(case.priority, style=PRIORITY_STYLES.get(case.priority, ""))),
        ("Contact", data_text(case.contact)), ("Company", data_text(case.company)),
        ("Deal", data_text(f"#{case.deal_id}" if case.deal_id else None)),
        ("Channel", data_text(case.channel)),
        ("Opened", data_text(_when(case.opened_at, now))),
        ("Due", due_text(case, now) if case.status in ("open", "waiting") else Text("")),
        ("First response", data_text(_when(case.first_response_at, now))),
        ("Resolved", data_text(_when(case.resolved_at, now))),
        ("Resolution", data_text(case.resolution)),
        ("Closed", data_text(_when(case.closed_at, now))),
    ):
        if value.plain:
            grid.add_row(label, value)
    return Group(Panel(grid, title=heading, title_align="left", border_style="cyan"),
                 Panel(_history(events, now), title="History", title_align="left",
                       border_style="dim"))


def _history(events: list[Event], now: dt.datetime) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for event in events:
        table.add_row(_when(event.at, now), event.kind, data_text(event.body))
    return table


def cases_table(found: list[Case], now: dt.datetime, with_customer: bool = True) -> Table:
    """One line per case: id, title, customer, promise."""
    table = Table.grid(padding=(0, 2))
    for _ in range(4 if with_customer else 3):
        table.add_column()
    for case in found:
        row = [Text(f"#{case.id}", style="dim"), data_text(case.title)]
        if with_customer:
            row.append(data_text(case.contact or case.company, "cyan"))
        row.append(due_text(case, now))
        table.add_row(*row)
    return table


def cases_panel(found: list[Case], now: dt.datetime, title: str = "Open cases",
                with_customer: bool = False) -> Panel:
    return Panel(cases_table(found, now, with_customer), title=title, title_align="left",
                 border_style="red" if any(case.overdue for case in found) else "dim")


def report_view(found: Report) -> Group:
    """The case report on a terminal: the totals, then bars of cases opened (and overdue now)
    by priority and by company."""
    from crmcli.views.deals import Bar

    total = found.total
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold cyan", no_wrap=True)
    summary.add_column()
    for label, value in (
        ("Window", f"{found.since:%Y-%m-%d} to {found.until:%Y-%m-%d}"),
        ("Opened", str(total.opened)), ("Resolved", str(total.resolved)),
        ("Overdue now", str(total.overdue_now)),
        ("Median first response", _hours(total.median_first_response_hours)),
        ("Median resolution", _hours(total.median_resolution_hours)),
    ):
        summary.add_row(label, value)
    parts = [Panel(summary, title="Service cases", title_align="left", border_style="cyan")]
    for title, groups in (("By priority", found.by_priority), ("By company", found.by_company)):
        most = max((f.opened for f in groups), default=0)
        table = Table(title=title, title_justify="left", box=None, header_style="bold",
                      padding=(0, 1))
        for index, heading in enumerate(
                ("", "Opened", "", "Resolved", "Overdue", "1st response", "Resolution")):
            # The bar (column 2) is the one that gives way on a narrow terminal, not the names.
            table.add_column(heading, justify="left" if heading in ("", "Opened") else "right",
                             no_wrap=index != 2)
        for figures in groups:
            table.add_row(data_text(figures.name), str(figures.opened),
                          Bar(figures.opened, most, width=24), str(figures.resolved),
                          Text(str(figures.overdue_now),
                               style="bold red" if figures.overdue_now else "dim"),
                          _hours(figures.median_first_response_hours),
                          _hours(figures.median_resolution_hours))
        parts.append(table)
    return Group(*parts)


def _hours(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"
