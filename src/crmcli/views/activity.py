"""Rich renderables for the timeline, the heatmap and the dashboard's history section."""

from __future__ import annotations

import datetime as dt

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli.activity import Event
from crmcli.dates import local_zone, parse_stamp
from crmcli.text import safe

KIND_STYLES = {"note": "yellow", "call": "green", "email": "blue", "meeting": "magenta",
               "message": "cyan", "visit": "bright_magenta", "other": "white"}
_ARROWS = {"in": " ←", "out": " →"}  # an email received, sent
# Shades from no activity to the busiest days, as in contribution graphs.
HEAT = ("grey23", "dark_green", "green4", "green3", "bright_green")
# One glyph per shade too, so the graph reads without colour (NO_COLOR, a mono terminal).
CELLS = ("·", "░", "▒", "▓", "█")


def local_time(moment: str) -> dt.datetime:
    return parse_stamp(moment).astimezone(local_zone())


def event_line(event: Event, with_contact: bool = True, with_day: bool = False) -> list[Text]:
    """Cells for one event: time, type, (contact,) text."""
    when = local_time(event.at)
    cells = [Text(when.strftime("%Y-%m-%d %H:%M" if with_day else "%H:%M"), style="dim"),
             Text(event.kind + _ARROWS.get(event.direction, ""),
                  style=KIND_STYLES.get(event.kind, ""))]
    if with_contact:
        who = Text(safe(event.contact), style="bold")
        if event.company:
            who.append(f" · {safe(event.company)}", style="dim")
        cells.append(who)
    text = Text(safe(event.body))
    details = [f"{event.duration_minutes} min" if event.duration_minutes else "",
               safe(event.outcome or "")]
    if any(details):
        text.append(f"  ({', '.join(d for d in details if d)})", style="dim")
    cells.append(text)
    return cells


def timeline(events: list[Event], filtered: bool = False) -> Group | Text:
    """The timeline grouped by local day, newest first."""
    if not events:
        return Text("Nothing matches those filters." if filtered else
                    "Nothing in the timeline yet. Try: crm log REF --type call 'What was said'",
                    style="dim")
    parts = []
    for day, day_events in _by_day(events):
        parts.append(Text(day.strftime("%A %d %B %Y"), style="bold underline"))
        grid = Table.grid(padding=(0, 2))
        for column in ("time", "type", "who", "text"):
            grid.add_column(no_wrap=column != "text", overflow="fold")
        for event in day_events:
            grid.add_row(*event_line(event))
        parts += [grid, Text("")]
    return Group(*parts)


def _by_day(events: list[Event]) -> list[tuple[dt.date, list[Event]]]:
    days: dict[dt.date, list[Event]] = {}
    for event in events:
        days.setdefault(local_time(event.at).date(), []).append(event)
    return list(days.items())


def history_panel(events: list[Event], title: str = "Recent history",
                  with_contact: bool = False) -> Panel:
    grid = Table.grid(padding=(0, 2))
    for _ in range(4 if with_contact else 3):
        grid.add_column(overflow="fold")
    for event in events:
        grid.add_row(*event_line(event, with_contact=with_contact, with_day=True))
    body = grid if events else Text("Nothing logged yet.", style="dim")
    return Panel(body, title=title, title_align="left", border_style="dim")


def heatmap(counts: dict[dt.date, int], first: dt.date, last: dt.date) -> Group:
    """A contribution-graph calendar: a column per week (oldest left), a row per weekday."""
    weeks = (last - first).days // 7 + 1
    levels = _levels([count for count in counts.values() if count])
    lines = [Text("    ") + _month_header(first, weeks)]
    for weekday in range(7):
        line = Text()
        line.append(("Mon", "", "Wed", "", "Fri", "", "Sun")[weekday].ljust(4), style="dim")
        for week in range(weeks):
            day = first + dt.timedelta(days=7 * week + weekday)
            if day <= last:
                level = _level(counts.get(day, 0), levels)
                line.append(CELLS[level], style=HEAT[level])
        lines.append(line)
    total = sum(counts.values())
    busiest = max(counts.items(), key=lambda item: item[1], default=None)
    summary = Text(f"{total} interactions from {first:%d %b %Y} to {last:%d %b %Y}", style="dim")
    if busiest:
        summary.append(f"; busiest day {busiest[0]:%d %b %Y} ({busiest[1]})", style="dim")
    legend = Text()
    legend.append("    Less ", style="dim")
    for cell, style in zip(CELLS, HEAT, strict=True):
        legend.append(cell, style=style)
    legend.append(" More", style="dim")
    return Group(*lines, legend, summary)


def _month_header(first: dt.date, weeks: int) -> Text:
    """Month names above the week in which each month starts."""
    header = [" "] * weeks
    previous = None
    for week in range(weeks):
        start = first + dt.timedelta(days=7 * week)
        if start.month != previous and week + 3 <= weeks and header[week] == " ":
            header[week:week + 3] = start.strftime("%b")
        previous = start.month
    return Text("".join(header), style="dim")


def _levels(counts: list[int]) -> list[int]:
    """Upper bounds of the shades above zero: quartiles of the days with any activity."""
    if not counts:
        return [1, 1, 1]
    ordered = sorted(counts)
    return [ordered[len(ordered) * q // 4] for q in (1, 2, 3)]


def _level(count: int, levels: list[int]) -> int:
    if count == 0:
        return 0
    return 1 + sum(count > bound for bound in levels)
