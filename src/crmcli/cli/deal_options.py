"""What the deal, stage, pipeline and report commands share: options, the pipeline, dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from crmcli import deals, money, stages
from crmcli.cli.arguments import TagName
from crmcli.cli.common import company_filter, info, state
from crmcli.errors import InvalidInput, shown
from crmcli.models import Deal

Tags = Annotated[list[str], typer.Option("--tag", "-t", help="Contact's tag. Repeatable.",
                                         click_type=TagName())]
CompanyOption = Annotated[str | None, typer.Option("--company", "-c", help="Company.")]
Within = Annotated[str | None, typer.Option(
    "--closing-within", metavar="PERIOD",
    help="Expected to close within: 30d, 2w, 3m, eom (overdue deals included).")]


def pipeline() -> stages.Pipeline:
    return stages.load_pipeline(state().config)


def decimal() -> str:
    return money.decimal_mark(state().config)


def when(text: str, past: bool) -> dt.datetime:
    from crmcli.dates import parse_when

    return parse_when(text, state().now, state().config.date_order, past=past).moment


def horizon(text: str) -> dt.date:
    """The last day of a look-ahead such as 30d, 2w, 3m, eom (a bare number is days)."""
    from crmcli.dates import parse_days

    today = state().today
    value = text.strip()
    day = (today + dt.timedelta(days=parse_days(value)) if value.isdecimal()
           else when(value, past=False).date())
    if day < today:
        raise InvalidInput(f"--closing-within {shown(text)} looks back; give a period ahead (30d)")
    return day


def filters(stage_list: stages.Pipeline, tag: list[str], company: str | None,
            closing_within: str | None, **fields) -> deals.Filter:
    return deals.Filter(
        tags=tuple(tag), close_by=horizon(closing_within) if closing_within is not None else None,
        company_id=company_filter(state().db, company), **fields)


def warn_orphans(stage_list: stages.Pipeline) -> None:
    for name, count in stages.orphans(state().db, stage_list).items():
        info(f"crm: warning: {count} deal(s) are in stage {name!r}, which config.toml no longer "
             f"lists; 'crm deal stages remap {name} --to STAGE' moves them, 'crm deal stages "
             f"rename {name} NEW' renames the stage")


def records(found, stage_list: stages.Pipeline):
    return (deals.to_record(deal, stage_list) for deal in found)


def said(deal: Deal) -> str:
    value = money.display(deal.amount_minor, deal.currency, decimal())
    return f"deal {deal.id} ({deal.title}{', ' + value if value else ''})"
