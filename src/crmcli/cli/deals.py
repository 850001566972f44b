"""Deal commands: ``crm deal add|list|show|edit|rm|restore|move|won|lost|reopen|stages`` and the
top-level ``crm pipeline``, ``crm forecast`` and ``crm report``."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import typer

from crmcli import deals, money, output, stages
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    YesOption,
    confirm,
    fmt,
    info,
    interactive,
    state,
)
from crmcli.errors import InvalidInput, NotFound
from crmcli.models import Deal

app = typer.Typer()
deal_app = typer.Typer(name="deal", no_args_is_help=True,
                       help="Deals: opportunities moving through the pipeline's stages.",
                       epilog="Examples:\n\n  crm deal add jose 'Fleet renewal' --value 48,000\n\n"
                              "  crm deal move 1 proposal && crm deal won 1\n\n  crm pipeline")
stages_app = typer.Typer(name="stages", invoke_without_command=True,
                         help="List the stages; remap or rename those config.toml dropped.",
                         epilog="Examples:\n\n  crm deal stages\n\n"
                                "  crm deal stages remap proposal --to negotiation")
deal_app.add_typer(stages_app)
app.add_typer(deal_app)

LIST_COLUMNS = [("id", "ID"), ("title", "Deal"), ("contact", "Contact"), ("company", "Company"),
                ("stage", "Stage"), ("value", "Value"), ("probability", "%"),
                ("close_on", "Close on")]
BOARD_CARDS = 8  # cards per stage on the terminal board

DealRef = Annotated[str, typer.Argument(help="Deal id (or words of exactly one deal's title).")]
At = Annotated[str | None, typer.Option(
    help="When it happened (default now): yesterday, 'mon 15:00', 2026-11-20.")]
Tags = Annotated[list[str], typer.Option("--tag", "-t", help="Contact's tag. Repeatable.")]
CompanyOption = Annotated[str | None, typer.Option("--company", "-c", help="Company.")]
Within = Annotated[str | None, typer.Option(
    "--closing-within", metavar="PERIOD",
    help="Expected to close within: 30d, 2w, 3m, eom (overdue deals included).")]


class Status(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"
    closed = "closed"
    all = "all"


class Period(StrEnum):
    month = "month"
    quarter = "quarter"


# ---------------------------------------------------------------------------------- helpers


def _pipeline() -> stages.Pipeline:
    return stages.load_pipeline(state().config)


def _decimal() -> str:
    return money.decimal_mark(state().config)


def _now() -> dt.datetime:
    from crmcli.dates import now_local

    return now_local()


def _when(text: str, past: bool) -> dt.datetime:
    from crmcli.dates import parse_when

    return parse_when(text, _now(), state().config.date_order, past=past).moment


def _at(text: str | None) -> dt.datetime | None:
    return _when(text, past=True) if text else None


def _close_on(text: str) -> str | None:
    return _when(text, past=False).date().isoformat() if text.strip() else None


def _horizon(text: str) -> dt.date:
    """The last day of a look-ahead such as 30d, 2w, 3m, eom (a bare number is days)."""
    today = _now().date()
    value = text.strip()
    day = (today + dt.timedelta(days=int(value)) if value.isdigit()
           else _when(value, past=False).date())
    if day < today:
        raise InvalidInput(f"--closing-within {text!r} looks back; give a period ahead (30d)")
    return day


def _probability(text: str) -> int | None:
    value = text.strip().removesuffix("%").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 100:
        raise InvalidInput(f"probability {text!r} must be a whole percentage from 0 to 100")
    return int(value)


def _company_id(text: str) -> int | None:
    """The company named (id, name or part of one), created when none matches."""
    from crmcli import companies

    if not text.strip():
        return None
    db = state().db
    try:
        return companies.resolve(db, text).id
    except NotFound:
        if text.strip().isdigit():
            raise
        company_id = companies.ensure(db, text)
        info(f"added company {company_id}: {text.strip()}")
        return company_id


def _warn_orphans(pipeline: stages.Pipeline) -> None:
    for name, count in stages.orphans(state().db, pipeline).items():
        info(f"crm: warning: {count} deal(s) are in stage {name!r}, which config.toml no longer "
             f"lists; 'crm deal stages remap {name} --to STAGE' moves them, 'crm deal stages "
             f"rename {name} NEW' renames the stage")


def _records(found: list[Deal], pipeline: stages.Pipeline) -> list[dict]:
    return [deals.to_record(deal, pipeline) for deal in found]


def _said(deal: Deal) -> str:
    value = money.display(deal.amount_minor, deal.currency, _decimal())
    return f"deal {deal.id} ({deal.title}{', ' + value if value else ''})"


# -------------------------------------------------------------------------------- crm deal


@deal_app.command(epilog="Examples:\n\n"
                  "  crm deal add jose 'Fleet renewal' --value 48,000 --close 'in 6 weeks'\n\n"
                  "  crm deal add ana Pilot --value 9.500,50 --currency EUR --stage qualified\n\n"
                  "  id=$(crm deal add 12 'Licence' --value 1200000 --currency JPY)")
def add(
    ref: Annotated[str, typer.Argument(help="The contact: id, name, email or phone.")],
    title: Annotated[str, typer.Argument(help="What the deal is.")],
    value: Annotated[str | None, typer.Option(
        help="Value: 12500, 12,500.50 (or 12.500,50 with decimal = \",\").")] = None,
    currency: Annotated[str | None, typer.Option(
        help="ISO 4217 code (default: the currency setting).")] = None,
    stage: Annotated[str | None, typer.Option(help="Stage (default: the first).")] = None,
    close: Annotated[str | None, typer.Option(
        help="Expected close date: 2026-12-01, eom, 'in 3 weeks', fri.")] = None,
    probability: Annotated[str | None, typer.Option(
        help="Chance in percent (default: the stage's).")] = None,
    company: CompanyOption = None,
) -> None:
    """Add a deal for a contact and print its id."""
    from crmcli import contacts

    db = state().db
    contact = contacts.resolve(db, ref)
    code = money.check_currency(currency or state().config.currency)
    deal = Deal(title=title, currency=code, stage=stage or "", contact_id=contact.id,
                company_id=_company_id(company) if company is not None else contact.company_id,
                amount_minor=money.parse_amount(value, code, _decimal()) if value else None,
                probability=_probability(probability) if probability else None,
                close_on=_close_on(close) if close else None)
    deal = deals.create(db, _pipeline(), deal)
    if interactive():
        typer.echo(f"Added {output.safe(_said(deal))} in {deal.stage}")
    else:
        typer.echo(deal.id)


@deal_app.command("list", epilog="Examples:\n\n  crm deal list\n\n"
                  "  crm deal list --status won --company northwind\n\n"
                  "  crm deal list --closing-within 30d --json | jq '.[].value'")
def list_deals(
    status: Annotated[Status | None, typer.Option(
        help="Which deals (default: open ones, or any status with --stage).",
        show_default=False)] = None,
    stage: Annotated[list[str], typer.Option(help="Only this stage. Repeatable.")] = [],
    contact: Annotated[str | None, typer.Option(help="Only this contact's deals.")] = None,
    company: CompanyOption = None,
    tag: Tags = [],
    closing_within: Within = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most N deals.")] = None,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List deals, soonest expected close first (open ones unless --status or --stage
    says otherwise)."""
    pipeline = _pipeline()
    chosen = status.value if status else "all" if stage else "open"
    filters = _filters(pipeline, tag, company, closing_within, status=chosen,
                       stages=tuple(_stage_name(pipeline, s) for s in stage))
    if contact:
        from crmcli import contacts

        filters.contact_id = contacts.resolve(state().db, contact).id
    _warn_orphans(pipeline)
    found = deals.search(state().db, filters, limit)
    output.render(_records(found, pipeline), fmt(format_, as_json, as_csv), LIST_COLUMNS)


def _stage_name(pipeline: stages.Pipeline, name: str) -> str:
    wanted = name.strip().lower()
    if pipeline.get(wanted) is None and wanted not in stages.stage_counts(state().db):
        pipeline.require(name)
    return wanted


def _filters(pipeline: stages.Pipeline, tag: list[str], company: str | None,
             closing_within: str | None, **fields) -> deals.Filter:
    from crmcli import companies

    return deals.Filter(
        tags=tuple(tag), close_by=_horizon(closing_within) if closing_within else None,
        company_id=companies.resolve(state().db, company).id if company else None, **fields)


@deal_app.command(epilog="Examples:\n\n  crm deal show 12\n\n  crm deal show 'fleet renewal'"
                  "\n\n  crm deal show 12 --json | jq .time_in_stages")
def show(ref: DealRef, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show a deal with its stage history and the time it spent in each stage."""
    db = state().db
    pipeline = _pipeline()
    deal = deals.resolve(db, ref)
    changes = deals.history(db, deal.id)
    spent = deals.time_in_stages(deal, changes, _now())
    chosen = fmt(format_, as_json, as_csv)
    if chosen == "table":
        from crmcli.views.deals import deal_page

        output.console().print(deal_page(deal, pipeline, changes, spent, _now().date(),
                                         _decimal()))
        return
    record = deals.to_record(deal, pipeline)
    record["history"] = [{"from_stage": c.from_stage, "to_stage": c.to_stage,
                          "changed_at": c.changed_at} for c in changes]
    record["time_in_stages"] = [{"stage": stage, "seconds": seconds,
                                 "days": round(seconds / 86400, 2)} for stage, seconds in spent]
    output.render(record, chosen, [(key, key) for key in record
                                   if key not in ("history", "time_in_stages")])


@deal_app.command(epilog="Examples:\n\n  crm deal edit 12 --value 52,000 --close eom\n\n"
                  "  crm deal edit 12 --probability ''     # back to the stage's default\n\n"
                  "  crm deal edit 12 --currency USD --value 56,000")
def edit(
    ref: DealRef,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    value: Annotated[str | None, typer.Option(help="New value ('' to clear).")] = None,
    currency: Annotated[str | None, typer.Option(
        help="New currency (with --value when the deal has one: amounts are not converted).")]
    = None,
    close: Annotated[str | None, typer.Option(help="New expected close date ('' to clear).")]
    = None,
    probability: Annotated[str | None, typer.Option(
        help="New chance in percent ('' for the stage's default).")] = None,
    contact: Annotated[str | None, typer.Option(help="Another contact ('' for none).")] = None,
    company: Annotated[str | None, typer.Option(
        "--company", "-c", help="Another company ('' for none).")] = None,
) -> None:
    """Change a deal's fields (its stage changes with move, won, lost and reopen)."""
    db = state().db
    deal = deals.resolve(db, ref)
    if all(option is None for option in (title, value, currency, close, probability, contact,
                                         company)):
        raise InvalidInput("nothing to change: give at least one option (crm deal edit --help)")
    code = money.check_currency(currency) if currency else deal.currency
    if code != deal.currency and value is None and deal.amount_minor is not None:
        raise InvalidInput(f"changing the currency of a deal with a value needs --value too "
                           f"(amounts are not converted from {deal.currency})")
    changed = replace(
        deal, title=deal.title if title is None else title, currency=code,
        amount_minor=deal.amount_minor if value is None else (
            money.parse_amount(value, code, _decimal()) if value.strip() else None),
        close_on=deal.close_on if close is None else _close_on(close),
        probability=deal.probability if probability is None else _probability(probability),
        contact_id=deal.contact_id if contact is None else _contact_id(contact),
        company_id=deal.company_id if company is None else _company_id(company))
    if changed == deal:
        info("no changes")
        return
    info(f"updated {_said(deals.update(db, changed))}")


def _contact_id(text: str) -> int | None:
    from crmcli import contacts

    return contacts.resolve(state().db, text).id if text.strip() else None


@deal_app.command("rm", epilog="Examples:\n\n  crm deal rm 12\n\n  crm deal rm 12 --yes")
def remove(ref: DealRef, yes: YesOption = False) -> None:
    """Delete a deal (crm deal restore brings it back)."""
    db = state().db
    deal = deals.resolve(db, ref)
    confirm(f"Delete {_said(deal)}?", yes)
    deals.delete(db, deal.id)
    info(f"deleted deal {deal.id}; 'crm deal restore {deal.id}' brings it back")


@deal_app.command(epilog="Examples:\n\n  crm deal restore 12")
def restore(deal_id: Annotated[int, typer.Argument(help="Id of the deleted deal.")]) -> None:
    """Bring back a deleted deal."""
    info(f"restored {_said(deals.restore(state().db, deal_id))}")


@deal_app.command(epilog="Examples:\n\n  crm deal move 12 proposal\n\n"
                  "  crm deal move 12 negotiation --at yesterday")
def move(
    ref: DealRef,
    stage: Annotated[str, typer.Argument(help="An open stage (crm deal stages lists them).")],
    at: At = None,
) -> None:
    """Move an open deal to another stage; the change goes in its history."""
    db = state().db
    deal = deals.resolve(db, ref)
    moved = deals.move(db, _pipeline(), deal, stage, _at(at))
    info(f"deal {deal.id}: {deal.stage} -> {moved.stage}")


@deal_app.command(epilog="Examples:\n\n  crm deal won 12\n\n  crm deal won 12 --at 'fri 16:00'")
def won(ref: DealRef, at: At = None) -> None:
    """Close a deal as won."""
    db = state().db
    deal = deals.win(db, deals.resolve(db, ref), _at(at))
    info(f"won {_said(deal)}")


@deal_app.command(epilog="Examples:\n\n  crm deal lost 12 --reason 'Went with a competitor'")
def lost(
    ref: DealRef,
    reason: Annotated[str, typer.Option(help="Why it was lost.")],
    at: At = None,
) -> None:
    """Close a deal as lost, saying why."""
    db = state().db
    deal = deals.lose(db, deals.resolve(db, ref), reason, _at(at))
    info(f"lost {_said(deal)}: {deal.lost_reason}")


@deal_app.command(epilog="Examples:\n\n  crm deal reopen 12\n\n  crm deal reopen 12 --stage lead")
def reopen(
    ref: DealRef,
    stage: Annotated[str | None, typer.Option(
        help="Stage to reopen in (default: the one it was in before closing).")] = None,
    at: At = None,
) -> None:
    """Reopen a won or lost deal, back in the stage it was in before closing."""
    db = state().db
    deal = deals.reopen(db, _pipeline(), deals.resolve(db, ref), stage, _at(at))
    info(f"reopened deal {deal.id} in {deal.stage}")


# ------------------------------------------------------------------------- crm deal stages


@stages_app.callback()
def list_stages(ctx: typer.Context, format_: FormatOption = None, as_json: JsonOption = False,
                as_csv: CsvOption = False) -> None:
    """List the stages in order with their probability and how many deals are in each."""
    if ctx.invoked_subcommand is not None:
        return
    pipeline = _pipeline()
    counts = stages.stage_counts(state().db)
    records = [{"stage": s.name, "probability": s.probability, "closed": s.closed,
                "in_config": True, "deals": counts.get(s.name, 0)} for s in pipeline.stages]
    records += [{"stage": name, "probability": None, "closed": False, "in_config": False,
                 "deals": count} for name, count in stages.orphans(state().db, pipeline).items()]
    _warn_orphans(pipeline)
    output.render(records, fmt(format_, as_json, as_csv),
                  [("stage", "Stage"), ("probability", "%"), ("closed", "Closed"),
                   ("in_config", "In config"), ("deals", "Deals")])


@stages_app.command(epilog="Examples:\n\n  crm deal stages remap proposal --to negotiation\n\n"
                    "  crm deal stages remap demo --to qualified --yes")
def remap(
    old: Annotated[str, typer.Argument(help="The stage to empty (in config.toml or not).")],
    to: Annotated[str, typer.Option("--to", help="The configured open stage to move to.")],
    yes: YesOption = False,
) -> None:
    """Move every deal in a stage to another one, recording each move in its history."""
    db = state().db
    count = stages.stage_counts(db).get(old.strip().lower(), 0)
    if count:
        confirm(f"Move {count} deal(s) from {old} to {to}?", yes)
    moved = stages.remap_stage(db, _pipeline(), old, to)
    info(f"moved {moved} deal(s) from {old} to {to}")


@stages_app.command(epilog="Examples:\n\n"
                    "  # after renaming 'proposal' to 'quote' in config.toml:\n"
                    "  crm deal stages rename proposal quote")
def rename(
    old: Annotated[str, typer.Argument(help="The old name, no longer in config.toml.")],
    new: Annotated[str, typer.Argument(help="The new name, as config.toml now has it.")],
    yes: YesOption = False,
) -> None:
    """Rename a stage in deals and their history, after renaming it in config.toml."""
    db = state().db
    confirm(f"Rename stage {old} to {new} in every deal and its history?", yes)
    count = stages.rename_stage(db, _pipeline(), old, new)
    info(f"renamed stage {old} to {new}; {count} deal(s) are in it")


# ---------------------------------------------------------------- pipeline, forecast, report


@app.command(epilog="Examples:\n\n  crm pipeline\n\n  crm pipeline --tag vip --closing-within 30d"
             "\n\n  crm pipeline --json | jq '.[] | {stage, weighted_totals}'")
def pipeline(
    tag: Tags = [],
    company: CompanyOption = None,
    closing_within: Within = None,
    cards: Annotated[int, typer.Option(min=1, help="Deals shown per stage on a terminal.")]
    = BOARD_CARDS,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """The board: a column per open stage with its deals, count, total and weighted total."""
    from crmcli import reports

    stage_list = _pipeline()
    filters = _filters(stage_list, tag, company, closing_within)
    _warn_orphans(stage_list)
    chosen = fmt(format_, as_json, as_csv)
    if chosen == "table":
        from crmcli.views.deals import pipeline_board

        columns = reports.board(state().db, stage_list, filters, cards)
        output.console().print(pipeline_board(columns, _now().date(), _decimal()))
        return
    if chosen in ("json", "jsonl"):
        columns = reports.board(state().db, stage_list, filters)
        records = [totals | {"deals": _records(found, stage_list)} for totals, found in columns]
    else:
        records = reports.stage_totals(state().db, stage_list, filters)
    output.render(records, chosen, [("stage", "Stage"), ("probability", "%"),
                                    ("count", "Deals"), ("totals", "Total"),
                                    ("weighted_totals", "Weighted")])


@app.command(epilog="Examples:\n\n  crm forecast\n\n  crm forecast --by quarter --json")
def forecast(
    by: Annotated[Period, typer.Option(help="Group by expected close month or quarter.")]
    = Period.month,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Weighted and best-case value of open deals by expected close period, per currency."""
    from crmcli import reports

    stage_list = _pipeline()
    _warn_orphans(stage_list)
    rows = reports.forecast(state().db, stage_list, _now().date(), by.value)
    chosen = fmt(format_, as_json, as_csv)
    if chosen == "table":
        from crmcli.views.deals import forecast_chart

        output.console().print(forecast_chart(rows, _decimal()))
        return
    output.render(rows, chosen, [("period", "Period"), ("currency", "Currency"),
                                 ("count", "Deals"), ("weighted", "Weighted"),
                                 ("best_case", "Best case")])


@app.command(epilog="Examples:\n\n  crm report\n\n  crm report --since 2026-01-01 --stuck-days 21"
             "\n\n  crm report --since '6 months ago' --json | jq .win_rate")
def report(
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

    stage_list = _pipeline()
    _warn_orphans(stage_list)
    now = _now()
    start = _when(since, past=True) if since else _a_year_before(now)
    figures = reports.report(state().db, stage_list, start, now, stuck_days, top)
    chosen = fmt(format_, as_json, as_csv)
    if chosen == "table":
        from crmcli.views.deals import report_view

        output.console().print(report_view(figures, _decimal()))
        return
    figures["stuck"] = [{"id": s["deal"].id, "title": s["deal"].title,
                         "contact": s["deal"].contact_name, "stage": s["deal"].stage,
                         "entered_at": s["entered_at"], "days": s["days"],
                         "value": money.to_json(s["deal"].amount_minor, s["deal"].currency)}
                        for s in figures["stuck"]]
    if chosen in ("json", "jsonl"):
        output.render(figures, chosen)
    else:
        output.render(_report_lines(figures), chosen,
                      [("section", "section"), ("item", "item"), ("value", "value")])


def _a_year_before(now: dt.datetime) -> dt.datetime:
    from dateutil.relativedelta import relativedelta

    return (now - relativedelta(years=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _report_lines(figures: dict) -> list[dict]:
    """The report as section/item/value lines, for TSV and CSV."""
    lines = [{"section": "summary", "item": key, "value": figures[key]}
             for key in ("since", "until", "won", "lost", "win_rate", "average_cycle_days",
                         "stuck_days", "stuck_count")]
    for section in ("won_value", "average_deal_size"):
        lines += [{"section": section, "item": v["currency"], "value": v["amount"]}
                  for v in figures[section]]
    lines += [{"section": "conversion", "item": f"{s['from_stage']}->{s['to_stage']}",
               "value": s["rate"]} for s in figures["conversion"]]
    lines += [{"section": "stuck", "item": s["id"], "value": s["days"]}
              for s in figures["stuck"]]
    lines += [{"section": "top_customers", "item": c["customer"], "value": c["won_value"]}
              for c in figures["top_customers"]]
    return lines
