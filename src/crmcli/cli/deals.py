"""Deal commands: ``crm deal add|list|show|edit|rm|restore|move|won|lost|reopen`` (``crm deal
stages`` lives in cli/stages.py; the pipeline, forecast and report in cli/pipeline.py and
cli/reports.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import typer

from crmcli import deals, money
from crmcli.cli.arguments import NonEmpty, RowId
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    YesOption,
    confirm,
    info,
    out,
    state,
)
from crmcli.cli.deal_options import (
    CompanyOption,
    Tags,
    Within,
    decimal,
    filters,
    pipeline,
    records,
    said,
    warn_orphans,
    when,
)
from crmcli.cli.stages import stages_app
from crmcli.errors import InvalidInput
from crmcli.models import Deal

app = typer.Typer()
deal_app = typer.Typer(name="deal", no_args_is_help=True,
                       help="Deals: opportunities moving through the pipeline's stages.",
                       epilog="Examples:\n\n  crm deal add jose 'Fleet renewal' --value 48,000\n\n"
                              "  crm deal move 1 proposal && crm deal won 1\n\n  crm pipeline")
deal_app.add_typer(stages_app)
app.add_typer(deal_app)

LIST_COLUMNS = [("id", "ID"), ("title", "Deal"), ("contact", "Contact"), ("company", "Company"),
                ("stage", "Stage"), ("value", "Value"), ("probability", "%"),
                ("close_on", "Close on")]

DealRef = Annotated[str, typer.Argument(help="Deal id (or words of exactly one deal's title).")]
At = Annotated[str | None, typer.Option(
    help="When it happened (default now): yesterday, 'mon 15:00', 2026-11-20.")]


class Status(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"
    closed = "closed"
    all = "all"


def _at(text: str | None) -> dt.datetime | None:
    return when(text, past=True) if text is not None else None


def _close_on(text: str) -> str | None:
    return when(text, past=False).date().isoformat() if text.strip() else None


def _company_id(text: str) -> int | None:
    from crmcli import companies

    company_id, created = companies.resolve_or_create(state().db, text)
    if created:
        info(f"added company {company_id}: {text.strip()}")
    return company_id


# -------------------------------------------------------------------------------- crm deal


@deal_app.command(epilog="Examples:\n\n"
                  "  crm deal add jose 'Fleet renewal' --value 48,000 --close 'in 6 weeks'\n\n"
                  "  crm deal add ana Pilot --value 9.500,50 --currency EUR --stage qualified\n\n"
                  "  id=$(crm deal add 12 'Licence' --value 1200000 --currency JPY)")
def add(
    ref: Annotated[str, typer.Argument(help="The contact: id, name, email or phone.")],
    title: Annotated[str, typer.Argument(help="What the deal is.")],
    value: Annotated[str | None, typer.Option(
        help="Value: 12500, 12,500.50 (or 12.500,50 with decimal = \",\").",
        click_type=NonEmpty("value"))] = None,
    currency: Annotated[str | None, typer.Option(
        help="ISO 4217 code (default: the currency setting).")] = None,
    stage: Annotated[str | None, typer.Option(help="Stage (default: the first).",
                                              click_type=NonEmpty("stage"))] = None,
    close: Annotated[str | None, typer.Option(
        help="Expected close date: 2026-12-01, eom, 'in 3 weeks', fri.",
        click_type=NonEmpty("date"))] = None,
    probability: Annotated[str | None, typer.Option(
        help="Chance in percent (default: the stage's).",
        click_type=NonEmpty("probability"))] = None,
    company: Annotated[str | None, typer.Option("--company", "-c", help="Company.",
                                                click_type=NonEmpty("company"))] = None,
) -> None:
    """Add a deal for a contact and print its id."""
    from crmcli import contact_refs

    db = state().db
    contact = contact_refs.resolve(db, ref)
    code = money.check_currency(currency if currency is not None else state().config.currency)
    deal = Deal(title=title, currency=code, stage=stage or "", contact_id=contact.id,
                company_id=_company_id(company) if company is not None else contact.company_id,
                amount_minor=money.parse_amount(value, code, decimal()) if value else None,
                probability=deals.parse_probability(probability) if probability else None,
                close_on=_close_on(close) if close else None)
    deal = deals.create(db, pipeline(), deal)
    out().created(deal.id, f"Added {said(deal)} in {deal.stage}")


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
    stage_list = pipeline()
    chosen = status.value if status else "all" if stage else "open"
    where = filters(stage_list, tag, company, closing_within, status=chosen,
                    stages=tuple(_stage_name(stage_list, s) for s in stage))
    if contact is not None:
        from crmcli import contact_refs

        where.contact_id = contact_refs.resolve(state().db, contact).id
    warn_orphans(stage_list)
    found = deals.iter_search(state().db, where, limit)
    out(format_, as_json, as_csv).records(records(found, stage_list), LIST_COLUMNS)


def _stage_name(stage_list, name: str) -> str:
    from crmcli import stages

    wanted = name.strip().lower()
    if stage_list.get(wanted) is None and wanted not in stages.stage_counts(state().db):
        stage_list.require(name)
    return wanted


@deal_app.command(epilog="Examples:\n\n  crm deal show 12\n\n  crm deal show 'fleet renewal'"
                  "\n\n  crm deal show 12 --json | jq .time_in_stages")
def show(ref: DealRef, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show a deal with its stage history and the time it spent in each stage."""
    current = state()
    stage_list = pipeline()
    deal = deals.resolve(current.db, ref)
    changes = deals.history(current.db, deal.id)
    spent = deals.time_in_stages(deal, changes, current.now)

    def page():
        from crmcli.views.deals import deal_page

        return deal_page(deal, stage_list, changes, spent, current.today, decimal())

    out(format_, as_json, as_csv).page(
        page,
        lambda: deals.page_record(deal, stage_list, changes, spent),
        columns=[(key, key) for key in deals.to_record(deal, stage_list)])


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
    code = money.check_currency(currency) if currency is not None else deal.currency
    if code != deal.currency and value is None and deal.amount_minor is not None:
        raise InvalidInput(f"changing the currency of a deal with a value needs --value too "
                           f"(amounts are not converted from {deal.currency})")
    changed = replace(
        deal, title=deal.title if title is None else title, currency=code,
        amount_minor=deal.amount_minor if value is None else (
            money.parse_amount(value, code, decimal()) if value.strip() else None),
        close_on=deal.close_on if close is None else _close_on(close),
        probability=(deal.probability if probability is None
                     else deals.parse_probability(probability)),
        contact_id=deal.contact_id if contact is None else _contact_id(contact),
        company_id=deal.company_id if company is None else _company_id(company))
    if changed == deal:
        info("no changes")
        return
    if (changed.contact_id, changed.company_id) != (deal.contact_id, deal.company_id):
        _keep_cases_fitting(changed)
    info(f"updated {said(deals.update(db, changed))}")


def _keep_cases_fitting(deal) -> None:
    """Refuse to give a deal to another customer than its cases' (crm case open refuses such
    a deal too)."""
    from crmcli import cases

    if misfits := cases.misfits(state().db, deal.id, deal.contact_id, deal.company_id):
        raise InvalidInput(f"deal {deal.id} ({deal.title}) is the subject of "
                           f"{' and '.join(misfits)}: a case can only concern its own "
                           "customer's deals")


def _contact_id(text: str) -> int | None:
    from crmcli import contact_refs

    return contact_refs.resolve(state().db, text).id if text.strip() else None


@deal_app.command("rm", epilog="Examples:\n\n  crm deal rm 12\n\n  crm deal rm 12 --yes")
def remove(ref: DealRef, yes: YesOption = False) -> None:
    """Delete a deal (crm deal restore brings it back)."""
    db = state().db
    deal = deals.resolve(db, ref)
    confirm(f"Delete {said(deal)}?", yes)
    deals.delete(db, deal.id)
    info(f"deleted deal {deal.id}; 'crm deal restore {deal.id}' brings it back")


@deal_app.command(epilog="Examples:\n\n  crm deal restore 12")
def restore(deal_id: Annotated[int, typer.Argument(help="Id of the deleted deal.",
                                                   click_type=RowId("deal"))]) -> None:
    """Bring back a deleted deal."""
    info(f"restored {said(deals.restore(state().db, deal_id))}")


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
    moved = deals.move(db, pipeline(), deal, stage, _at(at))
    info(f"deal {deal.id}: {deal.stage} -> {moved.stage}")


@deal_app.command(epilog="Examples:\n\n  crm deal won 12\n\n  crm deal won 12 --at 'fri 16:00'")
def won(ref: DealRef, at: At = None) -> None:
    """Close a deal as won."""
    db = state().db
    thank = _thanks_wanted()  # a bad setting is refused before the deal is won
    deal = deals.resolve(db, ref)
    deal = deals.win(db, deal, _at(at))
    info(f"won {said(deal)}")
    if thank:
        _thank_the_referrer(deal)


def _thanks_wanted() -> bool:
    """``[referrals] thank``: whether a won deal of a referred contact adds a follow-up to
    thank the referrer (default true)."""
    return state().config.switch("referrals", "thank", True)


def _thank_the_referrer(deal) -> None:
    """A deal of a referred contact won: a follow-up today to thank whoever referred them."""
    from crmcli import followups, relationships
    from crmcli.dates import When

    current = state()
    if deal.contact_id is None:
        return
    referrer = relationships.referrer_of(current.db, deal.contact_id)
    if referrer is None:
        return
    referrer_id, name = referrer
    today = dt.datetime.combine(current.today, dt.time(), current.now.tzinfo)
    made = followups.create(current.db, referrer_id, When(today, False),
                            f"Thank {name} for the introduction", deal_id=deal.id)
    info(f"follow-up {made.id}: thank {name} for the introduction (today)")


@deal_app.command(epilog="Examples:\n\n  crm deal lost 12 --reason 'Went with a competitor'")
def lost(
    ref: DealRef,
    reason: Annotated[str, typer.Option(help="Why it was lost.")],
    at: At = None,
) -> None:
    """Close a deal as lost, saying why."""
    db = state().db
    deal = deals.resolve(db, ref)
    deal = deals.lose(db, deal, reason, _at(at))
    info(f"lost {said(deal)}: {deal.lost_reason}")


@deal_app.command(epilog="Examples:\n\n  crm deal reopen 12\n\n  crm deal reopen 12 --stage lead")
def reopen(
    ref: DealRef,
    stage: Annotated[str | None, typer.Option(
        help="Stage to reopen in (default: the one it was in before closing).")] = None,
    at: At = None,
) -> None:
    """Reopen a won or lost deal, back in the stage it was in before closing."""
    db = state().db
    deal = deals.resolve(db, ref)
    deal = deals.reopen(db, pipeline(), deal, stage, _at(at))
    info(f"reopened deal {deal.id} in {deal.stage}")


