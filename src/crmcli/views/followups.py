"""Rich renderables for the agenda: the full ``crm due`` page and a compact dashboard panel.
Everything from the book goes in as ``Text`` with control characters stripped, never markup."""

from __future__ import annotations

import datetime as dt

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli.agenda import Agenda, touch_detail, when_text
from crmcli.dates import humanize, parse_stamp
from crmcli.followups import is_overdue
from crmcli.occasions import occasion_text
from crmcli.text import safe
from crmcli.views import data_text

_STYLES = {"cases": "bold red", "overdue": "bold red", "today": "bold yellow",
           "upcoming": "bold cyan", "keep_in_touch": "bold magenta", "birthdays": "bold green"}
_TITLES = {"cases": "Overdue cases", "overdue": "Overdue", "today": "Today",
           "upcoming": "Upcoming", "keep_in_touch": "Get back in touch",
           "birthdays": "Birthdays and anniversaries"}



def _who(name: str, company: str | None) -> Text:
    text = data_text(name)
    if company:
        text.append(f"  {safe(company)}", style="dim")
    return text


def _rows(agenda: Agenda, section: str, limit: int | None = None) -> list[tuple[Text, ...]]:
    """(id, when, who, what) for each item of a section (the first ``limit`` ones)."""
    now = agenda.now
    items = getattr(agenda, section)[:limit]
    if section == "keep_in_touch":
        return [(data_text(""), data_text(_day(agenda, t.due_on(now.tzinfo))),
                 _who(t.contact_name, t.company), data_text(touch_detail(t, now)))
                for t in items]
    if section == "cases":
        return [(data_text(f"#{c.id}", "dim"),
                 data_text(humanize(parse_stamp(c.due_at), True, now)),
                 _who(c.contact or c.company, c.company if c.contact else None),
                 data_text(c.title)) for c in items]
    if section == "birthdays":
        return [(data_text(""), data_text(_day(agenda, o.date)), _who(o.contact_name, o.company),
                 data_text(occasion_text(o)))
                for o in items]
    rows = []
    for item in items:
        what = data_text(item.followup.body or "follow up")
        if item.followup.rule:
            what.append("  ↻", style="dim")
        if item.deal_title:
            what.append(f"  deal: {safe(item.deal_title)}", style="blue")
        rows.append((data_text(item.followup.id, "dim"), data_text(when_text(item, now)),
                     _who(item.who, item.company), what))
    return rows


def _day(agenda: Agenda, day: dt.date) -> str:
    return humanize(dt.datetime.combine(day, dt.time(), tzinfo=agenda.now.tzinfo), False,
                    agenda.now)


def agenda_view(agenda: Agenda, sections: tuple[str, ...]) -> Group:
    """The agenda for ``crm due`` on a terminal: one titled table per non-empty section."""
    parts = []
    for section in sections:
        rows = _rows(agenda, section)
        if not rows:
            continue
        table = Table(title=Text(f"{_TITLES[section]} ({len(rows)})", style=_STYLES[section]),
                      title_justify="left", show_header=False, box=None, padding=(0, 2))
        table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        table.add_column(overflow="fold")
        for row in rows:
            table.add_row(*row)
        parts.append(table)
        parts.append(Text(""))
    return Group(*parts)


AGENDA_SHOWN = 3  # items of each section in the dashboard's panel


def agenda_panel(agenda: Agenda) -> Panel:
    """A compact agenda for the dashboard: counts, and the first few items of each section
    (all an agenda :func:`crmcli.agenda.summary` holds)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="ellipsis", no_wrap=True)
    for section in _TITLES:
        count = agenda.count(section)
        if not count:
            continue
        grid.add_row(Text(f"{_TITLES[section]} ({count})", style=_STYLES[section]), "", "")
        for _, when, who, what in _rows(agenda, section, AGENDA_SHOWN):
            grid.add_row(when, who, what)
        if count > AGENDA_SHOWN:
            grid.add_row(Text(f"… {count - AGENDA_SHOWN} more", style="dim"), "", "")
    body = grid if grid.row_count else Text("Nothing due. Enjoy the quiet.", style="dim")
    return Panel(body, title="Agenda", title_align="left", border_style="cyan",
                 subtitle="crm due", subtitle_align="right")


def followups_panel(entries: list, now: dt.datetime) -> Panel:
    """A contact's next follow-ups, for its page."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in entries:
        overdue = is_overdue(item.followup, now)
        what = data_text(item.followup.body or "follow up")
        if item.followup.rule:
            what.append("  ↻", style="dim")
        if item.deal_title:
            what.append(f"  deal: {safe(item.deal_title)}", style="blue")
        grid.add_row(data_text(item.followup.id, "dim"),
                     data_text(when_text(item, now), "bold red" if overdue else ""), what)
    body = grid if entries else Text("Nothing planned. crm follow-up REF WHEN 'what'",
                                     style="dim")
    return Panel(body, title="Next follow-ups", title_align="left", border_style="yellow")
