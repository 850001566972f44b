"""``crm report``: reports over the book; bare, the sales report (``crm report deals``);
``crm report referrals`` and ``crm report cases`` beside it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from crmcli.cli import selecting
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, group_with_default, out, state
from crmcli.cli.deal_options import decimal, pipeline, warn_orphans, when

app = typer.Typer()
CUSTOMER_COLUMNS = [("kind", "Kind"), ("id", "ID"), ("name", "Name"), ("at_risk", "At risk"),
                    ("currency", "Currency"), ("won_value", "Won"), ("won_deals", "Deals"),
                    ("average_deal", "Average"), ("first_purchase", "First"),
                    ("last_purchase", "Last"), ("days_since_purchase", "Days since"),
                    ("at_risk_after_days", "At risk after")]
TOTAL_COLUMNS = [("currency", "Currency"), ("won_value", "Won"), ("won_deals", "Deals"),
                 ("average_deal", "Average"), ("first_purchase", "First"),
                 ("last_purchase", "Last"), ("customers", "Customers")]
ACTIVITY_COLUMNS = [("period", "Period"), ("type", "Type"), ("count", "Count")]


class By(StrEnum):
    contact = "contact"
    company = "company"


class Period(StrEnum):
    week = "week"
    month = "month"

report_app = typer.Typer(name="report", cls=group_with_default("deals"),
                         help="Reports; without a sub-command, the sales report.",
                         epilog="Examples:\n\n  crm report\n\n  crm report --json | jq .win_rate")
app.add_typer(report_app)


@report_app.command("deals", epilog="Examples:\n\n  crm report\n\n"
                    "  crm report --since 2026-01-01 --stuck-days 21"
                    "\n\n  crm report --since '6 months ago' --json | jq .win_rate")
def deals_report(
    since: Annotated[str | None, typer.Option(
        help="Start of the window (default: a year ago): 2026-01-01, '3 months ago'.")] = None,
    stuck_days: Annotated[int, typer.Option(
        min=1, help="A deal is stuck after this many days in one stage.")] = 30,
    top: Annotated[int, typer.Option(min=1, help="Stuck deals and customers listed.")] = 10,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Win rate, deal size, cycle length, stage conversion, stuck deals, top customers."""
    from crmcli import reports

    stage_list = pipeline()
    warn_orphans(stage_list)
    now = state().now
    start = when(since, past=True) if since is not None else _a_year_before(now)
    figures = reports.report(state().db, stage_list, start, now, stuck_days, top)
    record = reports.report_record(figures)

    def page():
        from crmcli.views.deals import report_view

        return report_view(figures, decimal())

    out(format_, as_json, as_csv).page(
        page, record,
        columns=[("section", "section"), ("item", "item"), ("value", "value")],
        rows=lambda: reports.report_lines(record))


def _a_year_before(now: dt.datetime) -> dt.datetime:
    from dateutil.relativedelta import relativedelta

    return (now - relativedelta(years=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@report_app.command("referrals", epilog="Examples:\n\n  crm report referrals\n\n"
                    "  crm report referrals --json | jq '.[0].won_value'")
def referrals_report(format_: FormatOption = None, as_json: JsonOption = False,
                     as_csv: CsvOption = False) -> None:
    """Referrers: how many people each brought, and the won value of their deals (per
    currency, never added across currencies)."""
    from crmcli import money, reports

    def row(record: dict) -> dict:
        shown = ", ".join(money.display_json(item, decimal()) for item in record["won_value"])
        return record | {"won": shown}

    out(format_, as_json, as_csv).records(
        map(row, reports.referrals(state().db)),
        [("id", "ID"), ("name", "Referrer"), ("referred", "Referred"), ("won", "Won")])


@report_app.command("cases", epilog="Examples:\n\n  crm report cases\n\n"
                    "  crm report cases --since 'last mon'\n\n"
                    "  crm report cases --json | jq '.[0].median_resolution_hours'")
def cases_report(
    since: Annotated[str | None, typer.Option(
        help="Start of the window (default: a year ago): 2026-01-01, '30 days ago'.")] = None,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Service cases opened and resolved, median time to first response and to resolution,
    overdue now: in all, by priority and by company (bars on a terminal, rows when piped)."""
    from crmcli import case_reports

    now = state().now
    start = when(since, past=True) if since is not None else _a_year_before(now)
    found = case_reports.report(state().db, start, now)

    def view():
        from crmcli.views.cases import report_view

        return report_view(found)

    out(format_, as_json, as_csv).records(case_reports.rows(found), case_reports.COLUMNS,
                                          view=view)


@report_app.command("customers", epilog="Examples:\n\n  crm report customers\n\n"
                    "  crm report customers --by company\n\n"
                    "  crm report customers tag:vip --totals --json")
def customers_report(
    query: selecting.QueryWords = None,
    by: Annotated[By, typer.Option(help="One line per contact or per company.")] = By.contact,
    totals: Annotated[bool, typer.Option(
        "--totals", help="Only the totals per currency.")] = False,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Customer value per currency (won value, won deals, average deal, first and last
    purchase), customers at risk first and marked; one line per customer and currency, or
    the totals per currency (on a terminal: both; docs/analytics.md)."""
    from crmcli import analytics, analytics_settings, customers

    current = state()
    settings = analytics_settings.from_config(current.config)
    ids = analytics.selected_ids(current.db, selecting.condition(selecting.joined(query)))
    found = customers.customers(current.db, current.now, settings, by.value, ids)
    rows = customers.totals(found) if totals else customers.customer_rows(found)

    def view():
        from crmcli.views.analytics import customers_view

        return customers_view(found, decimal(), totals)

    out(format_, as_json, as_csv).records(
        rows, TOTAL_COLUMNS if totals else CUSTOMER_COLUMNS, view=view)


@report_app.command("activity", epilog="Examples:\n\n  crm report activity\n\n"
                    "  crm report activity --by week company:acme\n\n"
                    "  crm report activity --since 2025-01-01 --csv")
def activity_report(
    query: selecting.QueryWords = None,
    by: Annotated[Period, typer.Option(help="Count per week or per month.")] = Period.month,
    since: Annotated[str | None, typer.Option(
        help="Start (default: a year ago): 2026-01-01, '3 months ago'.")] = None,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Personal interactions by type over time, for everyone or the contacts a query selects
    (a contact, a company: company:acme); bar charts on a terminal, rows when piped."""
    from crmcli import analytics

    current = state()
    start = when(since, past=True) if since is not None else _a_year_before(current.now)
    ids = analytics.selected_ids(current.db, selecting.condition(selecting.joined(query)))
    rows = analytics.activity_by_period(current.db, start, by.value, ids)
    title = f"Interactions per {by.value} since {start.date().isoformat()}"

    def view():
        from crmcli.views.analytics import activity_chart

        return activity_chart(rows, title)

    out(format_, as_json, as_csv).records(rows, ACTIVITY_COLUMNS, view=view)
