"""Rich renderables for the analytical reports: customer value with its totals, and
interactions over time as bar charts (one bar per period and type)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crmcli import money
from crmcli.customers import Customer, totals, value_record
from crmcli.views import data_text
from crmcli.views.deals import Bar


def customers_view(customers: list[Customer], decimal: str, totals_only: bool = False
                   ) -> Group:
    """Each customer's value per currency, at-risk ones marked, then the totals."""
    if not customers:
        return Group(Text("No customers: no won deals in this selection."))
    table = Table(title="Customers", title_justify="left")
    for heading in ("", "Customer", "Won", "Deals", "Average", "First", "Last"):
        table.add_column(heading, justify="right" if heading in ("Won", "Deals", "Average")
                         else "left")
    for customer in customers:
        mark = Text("at risk", style="bold red") if customer.at_risk else Text("")
        for _, value in sorted(customer.values.items()):
            table.add_row(mark, data_text(f"{customer.name} ({customer.kind} {customer.id})"),
                          *_value_cells(value_record(value), decimal))
            mark = Text("")
    summed = Table(title="Totals", title_justify="left")
    for heading in ("Currency", "Won", "Deals", "Average", "Customers"):
        summed.add_column(heading, justify="left" if heading == "Currency" else "right")
    for total in totals(customers):
        summed.add_row(total["currency"], *_value_cells(total, decimal)[:3],
                       str(total["customers"]))
    return Group(summed) if totals_only else Group(table, summed)


def _value_cells(value: dict, decimal: str) -> list[str]:
    return [money.display_json(value["won_value"], decimal), str(value["won_deals"]),
            money.display_json(value["average_deal"], decimal), value["first_purchase"] or "",
            value["last_purchase"] or ""]


KIND_STYLES = {"call": "green", "email": "blue", "meeting": "magenta", "message": "cyan",
               "visit": "yellow", "other": "white"}


def activity_chart(rows: list[dict], title: str) -> Group:
    """Per period, a bar per interaction type, all against the largest count."""
    if not rows:
        return Group(Text("No interactions in this selection."))
    largest = max(row["count"] for row in rows)
    table = Table(title=title, title_justify="left", box=None, show_header=True)
    for heading, justify in (("Period", "left"), ("Type", "left"), ("Count", "right"),
                             ("", "left")):
        table.add_column(heading, justify=justify)
    previous = None
    for row in rows:
        period = row["period"] if row["period"] != previous else ""
        previous = row["period"]
        table.add_row(period, row["type"], str(row["count"]),
                      Bar(row["count"], largest, style=KIND_STYLES.get(row["type"], "green")))
    return Group(table)
