"""Service cases: ``crm case open|list|show|edit|note|wait|resolve|reopen|close`` (the report is
``crm report cases``, in cli/reports.py)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from crmcli import case_promises, cases
from crmcli.cli.arguments import NonEmpty
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    info,
    out,
    state,
    stdin_text,
)
from crmcli.errors import InvalidInput, UsageError

app = typer.Typer()
case_app = typer.Typer(name="case", no_args_is_help=True,
                       help="Service cases: customer requests and complaints, with a status, "
                            "a promise and a history.",
                       epilog="Examples:\n\n  crm case open ana 'Late delivery of order 4711' "
                              "--priority high\n\n  crm case list\n\n  crm case resolve 3 "
                              "'Sent by courier'")
app.add_typer(case_app)

LIST_COLUMNS = [("id", "ID"), ("status", "Status"), ("priority", "Priority"),
                ("title", "Case"), ("contact", "Contact"), ("company", "Company"),
                ("due_at", "Due"), ("overdue", "Overdue")]

CaseId = Annotated[str, typer.Argument(help="The case's id (crm case list shows them).")]


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Status(StrEnum):
    open = "open"
    waiting = "waiting"
    resolved = "resolved"
    closed = "closed"
    all = "all"


Due = Annotated[str | None, typer.Option(
    help="The promise: by when the customer gets an answer: fri, 'tomorrow 12:00', +3d "
         "(default: [cases] respond_within for the priority).")]


def _case(ref: str) -> cases.Case:
    return cases.resolve(state().db, ref, state().now)


def _due(text: str | None, priority: str) -> dt.datetime | None:
    """The promise typed (a day without a time is the end of that day), else the configured
    one for the priority, else none."""
    from crmcli.dates import parse_when

    current = state()
    if text is not None:
        typed = parse_when(text, current.now, current.config.date_order)
        if typed.has_time:
            return typed.moment
        return case_promises.end_of_day(typed.moment.date(), current.now.tzinfo)
    lengths = case_promises.promise_lengths(
        current.config.table("cases").get("respond_within"), str(current.config.path))
    length = lengths.get(priority)
    return case_promises.due_after(current.now, length) if length else None


def _said(case: cases.Case) -> str:
    return f"case {case.id} ({case.title})"


@case_app.command("open", epilog="Examples:\n\n"
                  "  crm case open ana 'Late delivery of order 4711' --priority high\n\n"
                  "  crm case open --company acme 'Wrong invoice' --channel email --due fri\n\n"
                  "  id=$(crm case open bo 'Question about the SLA' --deal 4)")
def open_case(
    ref: Annotated[str, typer.Argument(
        help="The contact (id, name, email or phone); with --company, this is the title.",
        show_default=False)],
    title: Annotated[str | None, typer.Argument(
        help="What the customer asked for or complained about.", show_default=False)] = None,
    priority: Annotated[Priority, typer.Option(help="How urgent it is.")] = Priority.normal,
    due: Due = None,
    deal: Annotated[str | None, typer.Option(help="The deal it concerns (id).")] = None,
    channel: Annotated[str | None, typer.Option(
        help=f"How it came in: {', '.join(cases.CHANNELS)}.")] = None,
    company: Annotated[str | None, typer.Option(
        "--company", "-c", help="The company (when the case is no one person's).")] = None,
) -> None:
    """Open a case for a contact (its company comes with it) or a company; prints its id."""
    from crmcli import companies, contact_refs

    db = state().db
    if title is None and company is None:
        raise InvalidInput("give the case's title: crm case open REF TITLE "
                           "(or crm case open --company NAME TITLE)")
    contact = contact_refs.resolve(db, ref) if title is not None else None
    firm = companies.resolve(db, company) if company is not None else None
    company_id = firm.id if firm else contact.company_id
    if channel is not None and channel.strip().lower() not in cases.CHANNELS:
        raise InvalidInput(f"channel {channel[:40]!r} is not one of {', '.join(cases.CHANNELS)}")
    new = cases.NewCase(
        title=title if title is not None else ref, contact_id=contact and contact.id,
        company_id=company_id,
        deal_id=(_customers_deal(deal, contact and contact.id, company_id,
                                 contact.name if contact is not None else firm.name)
                 if deal is not None else None),
        priority=priority.value, channel=channel and channel.strip().lower(),
        due_at=_due(due, priority.value))
    case_id = cases.open_case(db, new, state().now)
    out().created(case_id, f"Opened {_said(_case(str(case_id)))}")


def _customers_deal(ref: str, contact_id: int | None, company_id: int | None,
                    customer: str) -> int:
    """The id of the deal ``--deal`` names, refused when it is another customer's: neither
    the case's contact's nor its company's (a deal of no one may be linked)."""
    from crmcli import deals

    deal = deals.resolve(state().db, ref)
    if cases.fits_deal(contact_id, company_id, deal.contact_id, deal.company_id):
        return deal.id
    owner = deal.contact_name or deal.company_name
    raise InvalidInput(f"deal {deal.id} ({deal.title}) is {owner}'s, not {customer}'s: "
                       "a case can only concern its own customer's deals")


@case_app.command("list", epilog="Examples:\n\n  crm case list\n\n"
                  "  crm case list 'late delivery' --status all\n\n"
                  "  crm case list tag:vip --overdue --json | jq '.[].title'")
def list_cases(
    query: Annotated[str | None, typer.Argument(
        help="Words of the title or the customer's name, or a query on the contact "
             "(tag:vip, company:acme; docs/queries.md).", show_default=False)] = None,
    status: Annotated[Status | None, typer.Option(
        help="Which cases (default: open and waiting ones).", show_default=False)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue cases.")] = False,
    contact: Annotated[str | None, typer.Option(help="Only this contact's cases.")] = None,
    company: Annotated[str | None, typer.Option(
        "--company", "-c", help="Only this company's cases (and its people's).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most N cases.")] = None,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List cases: overdue first, then by promise (open and waiting ones unless --status)."""
    from crmcli.cli.common import company_filter

    current = state()
    db = current.db
    where = cases.Filter(status=status.value if status else "live", overdue=overdue,
                         company_id=company_filter(db, company), text=query or "",
                         contacts=_contact_query(query))
    if contact is not None:
        from crmcli import contact_refs

        where.contact_id = contact_refs.resolve(db, contact).id
    found = cases.iter_cases(db, where, current.now, limit)
    out(format_, as_json, as_csv).records(map(cases.to_record, found), LIST_COLUMNS)


def _contact_query(text: str | None) -> tuple[str, list] | None:
    """The query as a condition on the case's contact, when it holds terms (tag:vip)."""
    from crmcli.query import And, Not, Or, Text, parse

    def has_terms(node) -> bool:
        if isinstance(node, And | Or):
            return any(map(has_terms, node.nodes))
        return has_terms(node.node) if isinstance(node, Not) else not isinstance(node, Text)

    if not text or not has_terms(parse(text)):
        return None
    from crmcli.cli.selecting import condition

    return condition(text)


@case_app.command(epilog="Examples:\n\n  crm case show 3\n\n  crm case show 3 --json | jq .history")
def show(ref: CaseId, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show a case with its history."""
    current = state()
    case = _case(ref)
    events = cases.history(current.db, case.id)

    def page():
        from crmcli.views.cases import case_page

        return case_page(case, events, current.now)

    out(format_, as_json, as_csv).page(
        page,
        lambda: cases.page_record(case, events),
        columns=[(key, key) for key in cases.to_record(case)],
        rows=lambda: cases.to_record(case))


@case_app.command(epilog="Examples:\n\n  crm case edit 3 --deal 7\n\n"
                  "  crm case edit 3 --deal none")
def edit(ref: CaseId, deal: Annotated[str | None, typer.Option(
        help="The deal it concerns (id or title; its customer's, as in case open), or 'none'.",
        click_type=NonEmpty("deal"))] = None) -> None:
    """Change the deal a case concerns (so that the deal can go to another customer)."""
    if deal is None:
        raise UsageError("nothing to change: give --deal ID, or --deal none")
    case = _case(ref)
    deal_id = None if deal.strip().lower() == "none" else _customers_deal(
        deal, case.contact_id, case.company_id, case.contact or case.company)
    if deal_id == case.deal_id:
        info("no changes")
        return
    cases.set_deal(state().db, case, deal_id, state().now)
    info(f"{_said(case)} now concerns " + (f"deal {deal_id}" if deal_id else "no deal"))


@case_app.command(epilog="Examples:\n\n  crm case note 3 'Called the warehouse: ships Monday'"
                  "\n\n  mail-body | crm case note 3 -")
def note(ref: CaseId, text: Annotated[str, typer.Argument(
        help="The entry; - reads stdin.")]) -> None:
    """Add an entry to a case's history (the first one is its first response)."""
    case = _case(ref)
    body = stdin_text("the entry") if text == "-" else text
    cases.add_note(state().db, case, body, state().now)
    info(f"noted on {_said(case)}")


@case_app.command(epilog="Examples:\n\n  crm case wait 3\n\n  crm case wait 3 --until 'mon 9:00'")
def wait(ref: CaseId, until: Annotated[str | None, typer.Option(
        help="When the wait ends by itself (default: at crm case reopen).")] = None) -> None:
    """Wait on the customer: the due clock pauses until the case is reopened (or --until)."""
    from crmcli.dates import parse_when

    case = _case(ref)
    current = state()
    end = (parse_when(until, current.now, current.config.date_order).moment
           if until is not None else None)
    cases.wait(current.db, case, current.now, end)
    info(f"{_said(case)} is waiting on the customer; its due clock is paused")


@case_app.command(epilog="Examples:\n\n  crm case resolve 3 'Sent by courier, arrives Tuesday'")
def resolve(ref: CaseId, text: Annotated[str | None, typer.Argument(
        help="The answer given; - reads stdin.", show_default=False)] = None) -> None:
    """Resolve a case: the customer has their answer."""
    case = _case(ref)
    body = stdin_text("the answer") if text == "-" else text or ""
    cases.resolve_case(state().db, case, state().now, body)
    info(f"resolved {_said(case)}")


@case_app.command(epilog="Examples:\n\n  crm case reopen 3\n\n  crm case reopen 3 --due fri")
def reopen(ref: CaseId, due: Annotated[str | None, typer.Option(
        help="A new promise (default: the case keeps its own).")] = None) -> None:
    """Reopen a resolved or closed case, or resume a waiting one (its due clock runs again)."""
    case = _case(ref)
    promise = _due(due, case.priority) if due is not None else None
    cases.reopen(state().db, case, state().now, promise)
    info(f"reopened {_said(case)}")


@case_app.command(epilog="Examples:\n\n  crm case close 3")
def close(ref: CaseId) -> None:
    """Close a case: filed away, resolved or not."""
    case = _case(ref)
    cases.close(state().db, case, state().now)
    info(f"closed {_said(case)}")
