"""Rich renderables for deals: the pipeline board, the deal page with its history, the
forecast and report charts, and compact panels for the contact page, company page and
dashboard. Text from people goes in as ``Text`` (never markup), control characters stripped.

Bars are drawn with block characters from integers (eighths of a cell), so no money is ever
turned into a float to draw it.
"""

from __future__ import annotations

import datetime as dt

from rich.console import Console, ConsoleOptions, Group
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli import money
from crmcli.dates import local_zone, parse_stamp
from crmcli.deals import weighted
from crmcli.models import Deal, StageChange
from crmcli.stages import CLOSED, Pipeline
from crmcli.text import safe
from crmcli.views import data_text

BAR_WIDTH = 30
_EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
STATUS_STYLES = {"won": "bold green", "lost": "bold red"}



class Bar:
    """A horizontal bar, ``value`` out of ``maximum`` of the width it is given (at most
    ``width`` cells, fewer on a narrow terminal), drawn in eighths of a cell with integer
    arithmetic; ``reach`` adds a shaded part up to that value."""

    def __init__(self, value: int, maximum: int, width: int = BAR_WIDTH, style: str = "green",
                 reach: int | None = None):
        self.value, self.maximum, self.width = value, maximum, width
        self.style, self.reach = style, reach

    def text(self, width: int) -> Text:
        if self.maximum <= 0:
            return Text("")
        eighths = self.value * width * 8 // self.maximum
        line = Text("█" * (eighths // 8) + _EIGHTHS[eighths % 8], style=self.style)
        if self.reach is not None:
            shaded = self.reach * width // self.maximum - len(line.plain)
            line.append("░" * max(shaded, 0), style=f"dim {self.style}")
        return line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(4, self.width), min(self.width, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions):
        yield self.text(min(self.width, options.max_width))


def _table(title: str | None, columns: list[tuple[str, str]]) -> Table:
    """A borderless table. Column kinds: ``text`` wraps; ``key`` (a stage, a period) and
    ``num`` (right-aligned) never wrap; ``bar`` narrows its bars when space runs out."""
    table = Table(title=title, title_justify="left", box=None, header_style="bold",
                  padding=(0, 2))
    for heading, kind in columns:
        table.add_column(heading, justify="right" if kind == "num" else "left",
                         no_wrap=kind in ("key", "num"), overflow="fold")
    return table


def _amount(deal: Deal, decimal: str) -> str:
    return money.display(deal.amount_minor, deal.currency, decimal)


def _totals(values: list[dict], decimal: str) -> str:
    return "\n".join(money.display_json(value, decimal) for value in values)


def close_text(deal: Deal, today: dt.date) -> Text:
    """The expected close date; red when an open deal's date has passed."""
    if not deal.close_on:
        return Text("no date", style="dim")
    overdue = deal.stage not in CLOSED and deal.close_on < today.isoformat()
    return Text(deal.close_on + (" overdue" if overdue else ""),
                style="bold red" if overdue else "")


def _local(stamp: str) -> str:
    moment = parse_stamp(stamp).astimezone(local_zone())
    return moment.strftime("%Y-%m-%d %H:%M")


def duration(seconds: int) -> str:
    """``12d 4h``, ``3h 20m`` or ``20m``."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m"


# ---------------------------------------------------------------------------------- pipeline


def deal_card(deal: Deal, today: dt.date, decimal: str = ".") -> Panel:
    """One deal on the board: title, contact, value and expected close date."""
    body = data_text(deal.title, "bold")
    body.append(f" #{deal.id}", style="dim")
    if deal.contact_name or deal.company_name:
        body.append("\n" + safe(deal.contact_name or deal.company_name or ""), style="cyan")
    body.append("\n" + (_amount(deal, decimal) or "no value"),
                style="" if deal.amount_minor is not None else "dim")
    body.append("\n")
    body.append_text(close_text(deal, today))
    return Panel(body, border_style="blue", padding=(0, 1))


def pipeline_board(columns: list[tuple[dict, list[Deal]]], today: dt.date,
                   decimal: str = ".") -> Table | Text:
    """One column per open stage: its cards, then count, total and weighted total per
    currency. Columns show the cards they were given; the count says how many there are."""
    if not any(totals["count"] for totals, _ in columns):
        return Text("No open deals. Try: crm deal add REF 'Title' --value 12500", style="dim")
    board = Table(show_header=True, show_footer=True, header_style="bold", expand=True,
                  footer_style="", box=None, padding=(0, 1), caption_justify="left",
                  caption="Per stage: deals, total per currency, ≈ weighted by probability")
    for totals, deals in columns:
        heading = data_text(totals["stage"], "bold")
        if totals["in_config"]:
            heading.append(f" {totals['probability']}%", style="dim")
        else:
            heading.append(" (not in config)", style="bold red")
        board.add_column(heading, footer=_stage_footer(totals, len(deals), decimal),
                         ratio=1, vertical="top")
    board.add_row(*(Group(*(deal_card(deal, today, decimal) for deal in deals))
                    for _, deals in columns))
    return board


class PipelineBoard:
    """The board on a terminal; as plain text (a pipe), a section per stage with a line per
    deal, which reads and greps better than columns."""

    def __init__(self, columns: list[tuple[dict, list[Deal]]], today: dt.date,
                 decimal: str = "."):
        self.columns, self.today, self.decimal = columns, today, decimal

    def __rich__(self) -> Table | Text:
        return pipeline_board(self.columns, self.today, self.decimal)

    def plain(self) -> Group | Text:
        if not any(totals["count"] for totals, _ in self.columns):
            return pipeline_board(self.columns, self.today, self.decimal)
        parts = []
        for totals, deals in self.columns:
            parts.append(self._stage_line(totals, len(deals)))
            table = Table.grid(padding=(0, 2))
            for deal in deals:
                who = " · ".join(safe(n) for n in (deal.contact_name, deal.company_name) if n)
                table.add_row(data_text(f"  #{deal.id}"), data_text(deal.title), Text(who),
                              Text(_amount(deal, self.decimal)), close_text(deal, self.today))
            parts += [table, Text("")]
        return Group(*parts)

    def _stage_line(self, totals: dict, shown: int) -> Text:
        """``proposal 40%: 3 deals (1 not shown), 12,000.00 EUR, ≈ 4,800.00 EUR weighted``"""
        line = data_text(totals["stage"])
        line.append(f" {totals['probability']}%" if totals["in_config"] else " (not in config)")
        count = totals["count"]
        line.append(f": {count} deal{'s' if count != 1 else ''}")
        if shown < count:
            line.append(f" ({count - shown} not shown)")
        for total, part in zip(totals["totals"], totals["weighted_totals"], strict=True):
            line.append(f", {money.display_json(total, self.decimal)}, "
                        f"≈ {money.display_json(part, self.decimal)} weighted")
        return line


def _stage_footer(totals: dict, shown: int, decimal: str) -> Text:
    footer = Text(f"{totals['count']} deal{'s' if totals['count'] != 1 else ''}", style="bold")
    if shown < totals["count"]:
        footer.append(f" · {totals['count'] - shown} more", style="dim")
    for total, part in zip(totals["totals"], totals["weighted_totals"], strict=True):
        footer.append(f"\n{money.display_json(total, decimal)}", style="bold")
        footer.append(f"\n≈ {money.display_json(part, decimal)}", style="dim")
    return footer


def pipeline_summary(totals: list[dict], decimal: str = ".") -> Table:
    """A compact pipeline for the dashboard: per stage, count, total and weighted total."""
    table = _table(None, [("Stage", "key"), ("Deals", "num"), ("Total", "num"),
                          ("Weighted", "num")])
    for entry in totals:
        stage = data_text(entry["stage"], "" if entry["in_config"] else "red")
        table.add_row(stage, str(entry["count"]), _totals(entry["totals"], decimal),
                      _totals(entry["weighted_totals"], decimal))
    return table


DEALS_SHOWN = 10  # in a panel of a page (company, dashboard); --json and crm deal list: all


def first_deals_title(title: str, count: int) -> str:
    """The panel's title, saying when it shows only the first DEALS_SHOWN of ``count`` deals
    (soonest to close, or last won)."""
    if count <= DEALS_SHOWN:
        return title
    return f"{title}: {DEALS_SHOWN} of {count} (crm deal list shows them all)"


def deals_panel(deals: list[Deal], today: dt.date, decimal: str = ".",
                title: str = "Deals") -> Panel:
    """A compact list of deals (contact page, company page, dashboard): id, title, who,
    stage, value and expected close date, overdue dates in red."""
    if not deals:
        return Panel(Text("No open deals.", style="dim"), title=title, title_align="left",
                     border_style="dim")
    table = Table.grid(padding=(0, 2))
    for _ in range(6):
        table.add_column()
    for deal in deals:
        who = " · ".join(safe(n) for n in (deal.contact_name, deal.company_name) if n)
        table.add_row(data_text(f"#{deal.id}", "dim"), data_text(deal.title, "bold"), Text(who),
                      data_text(deal.stage, STATUS_STYLES.get(deal.stage, "magenta")),
                      Text(_amount(deal, decimal), justify="right"), close_text(deal, today))
    return Panel(table, title=title, title_align="left", border_style="dim")


# ---------------------------------------------------------------------------------- one deal


def deal_page(deal: Deal, pipeline: Pipeline, changes: list[StageChange],
              spent: list[tuple[str, int]], today: dt.date, decimal: str = ".") -> Group:
    """A deal's fields, its stage history and the time it spent in each stage."""
    heading = data_text(deal.title, "bold")
    heading.append(f"  #{deal.id}", style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    stage = data_text(deal.stage, STATUS_STYLES.get(deal.stage, "magenta"))
    stage.append(f"  {pipeline.probability(deal)}%", style="dim")
    weighted_value = weighted(deal, pipeline)
    for label, value in (
        ("Contact", data_text(deal.contact_name)), ("Company", data_text(deal.company_name)),
        ("Stage", stage), ("Value", data_text(_amount(deal, decimal))),
        ("Weighted", data_text(money.display(weighted_value, deal.currency, decimal))),
        ("Close on", close_text(deal, today) if deal.close_on else Text("")),
        ("Lost because", data_text(deal.lost_reason)),
        ("Created", data_text(_local(deal.created_at))),
        ("Closed", data_text(_local(deal.closed_at) if deal.closed_at else "")),
    ):
        if value.plain:
            grid.add_row(label, value)
    return Group(Panel(grid, title=heading, title_align="left", border_style="cyan"),
                 Panel(_history(changes), title="History", title_align="left",
                       border_style="dim"),
                 Panel(_time_in_stages(spent), title="Time in each stage", title_align="left",
                       border_style="dim"))


def _history(changes: list[StageChange]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for change in changes:
        step = Text()
        if change.from_stage:
            step.append(safe(change.from_stage))
            step.append(" → ", style="dim")
        else:
            step.append("created in ", style="dim")
        step.append(safe(change.to_stage), style=STATUS_STYLES.get(change.to_stage, "bold"))
        table.add_row(_local(change.changed_at), step)
    return table


def _time_in_stages(spent: list[tuple[str, int]]) -> Table | Text:
    if not spent:
        return Text("Closed on creation.", style="dim")
    longest = max(seconds for _, seconds in spent)
    table = Table.grid(padding=(0, 2))
    for justify in ("left", "right", "left"):
        table.add_column(justify=justify, no_wrap=True)
    for stage, seconds in spent:
        table.add_row(data_text(stage), duration(seconds), Bar(seconds, longest, style="magenta"))
    return table


# ---------------------------------------------------------------------- forecast and report


def forecast_chart(rows: list[dict], decimal: str = ".") -> Group | Text:
    """Per currency, a row per period: deals, weighted and best-case value, and a bar whose
    solid part is the weighted value and whose shaded part reaches the best case."""
    if not rows:
        return Text("No open deals to forecast.", style="dim")
    parts = []
    for currency in sorted({row["currency"] for row in rows}):
        mine = [row for row in rows if row["currency"] == currency]
        best = {id(row): money.minor_of(row["best_case"]) for row in mine}
        top = max(best.values())
        table = _table(f"Forecast in {currency}", [
            ("Period", "key"), ("Deals", "num"), ("Weighted", "num"), ("Best case", "num"),
            ("", "bar")])
        for row in mine:
            chart = Bar(money.minor_of(row["weighted"]), top, reach=best[id(row)])
            period = data_text(row["period"], "bold red" if row["period"] == "overdue" else "")
            table.add_row(period, str(row["count"]), money.display_json(row["weighted"], decimal),
                          money.display_json(row["best_case"], decimal), chart)
        parts += [table, Text("")]
    return Group(*parts)


def report_view(figures: dict, decimal: str = ".") -> Group:
    """The sales report: summary figures, stage conversion, stuck deals and top customers."""
    return Group(_summary(figures, decimal), Text(""), _conversion(figures["conversion"]),
                 Text(""), _stuck(figures, decimal), Text(""),
                 _customers(figures["top_customers"], decimal))


def _summary(figures: dict, decimal: str) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    rate = figures["win_rate"]
    win = Text(f"{rate}%  " if rate is not None else "no deals closed  ")
    if rate is not None:
        win.append_text(Bar(figures["won"], figures["won"] + figures["lost"]).text(20))
    win.append(f"  {figures['won']} won, {figures['lost']} lost", style="dim")
    cycle = figures["average_cycle_days"]
    grid.add_row("Win rate", win)
    grid.add_row("Won value", Text(_totals(figures["won_value"], decimal) or "none"))
    grid.add_row("Average deal size", Text(_totals(figures["average_deal_size"], decimal)
                                           or "none"))
    grid.add_row("Average cycle", Text(f"{cycle} days (created → won)" if cycle is not None
                                       else "none"))
    return Panel(grid, title=f"Since {_local(figures['since'])[:10]}", title_align="left",
                 border_style="cyan")


def _conversion(steps: list[dict]) -> Table:
    table = _table("Stage to stage (deals created in the window)", [
        ("From", "key"), ("To", "key"), ("Reached", "num"), ("Went on", "num"),
        ("Rate", "num"), ("", "bar")])
    for step in steps:
        rate = step["rate"]
        table.add_row(data_text(step["from_stage"]), data_text(step["to_stage"]),
                      str(step["reached"]), str(step["advanced"]),
                      "" if rate is None else f"{rate}%",
                      Bar(step["advanced"], step["reached"], 20, "cyan"))
    return table


def _stuck(figures: dict, decimal: str) -> Table | Text:
    count, days = figures["stuck_count"], figures["stuck_days"]
    if not count:
        return Text(f"No open deal has been in its stage longer than {days} days.", style="dim")
    more = f", the {len(figures['stuck'])} longest shown" if count > len(figures["stuck"]) else ""
    table = _table(f"{count} deals in their stage longer than {days} days{more}", [
        ("ID", "num"), ("Deal", "text"), ("Contact", "text"), ("Stage", "key"),
        ("Days", "num"), ("Value", "num")])
    for entry in figures["stuck"]:
        deal = entry["deal"]
        table.add_row(str(deal.id), data_text(deal.title), data_text(deal.contact_name),
                      data_text(deal.stage), Text(str(entry["days"]), style="yellow"),
                      _amount(deal, decimal))
    return table


def _customers(customers: list[dict], decimal: str) -> Table | Text:
    if not customers:
        return Text("No won deals in the window.", style="dim")
    table = _table("Top customers by won value", [
        ("Customer", "text"), ("Deals", "num"), ("Won value", "num"), ("", "bar")])
    best: dict[str, int] = {}  # customers come biggest first within each currency
    for entry in customers:
        value = entry["won_value"]
        best.setdefault(value["currency"], money.minor_of(value))
        table.add_row(data_text(entry["customer"] or "(nobody)"), str(entry["deals"]),
                      money.display_json(value, decimal),
                      Bar(money.minor_of(value), best[value["currency"]], 20))
    return table
