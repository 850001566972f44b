"""Company commands: list, show, add, rename."""

from typing import Annotated

import typer

from crmcli import companies, contacts
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state

app = typer.Typer(name="company", no_args_is_help=True, help="Companies and their people.")

CompanyRef = Annotated[str, typer.Argument(help="Company id or name (or part of one).")]


@app.command("list", epilog="Examples:\n\n  crm company list\n\n  crm company list acme --json")
def list_companies(
    query: Annotated[str | None, typer.Argument(help="Part of the name.")] = None,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List companies with how many people work there."""
    found = companies.all_companies(state().db, query)
    out(format_, as_json, as_csv).records(map(companies.to_record, found),
                                          [("id", "ID"), ("name", "Company"), ("people", "People")])


@app.command(epilog="Examples:\n\n  crm company show ACME\n\n"
             "  crm company show 3 --json | jq '.open_deals[].title'")
def show(ref: CompanyRef, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show a company, its people and its open deals."""
    from crmcli import deals, money, stages
    from crmcli.views.contacts import company_page

    current = state()
    db = current.db
    company = companies.resolve(db, ref)
    people = contacts.search(db, company_id=company.id)
    open_deals = deals.open_for_company(db, company.id)

    def record() -> dict:
        pipeline = stages.load_pipeline(current.config)
        return companies.to_record(company) | {
            "contacts": [contacts.to_record(p) for p in people],
            "open_deals": [deals.to_record(deal, pipeline) for deal in open_deals]}

    out(format_, as_json, as_csv).page(
        lambda: company_page(company, people, open_deals, current.today,
                             money.decimal_mark(current.config)),
        record, columns=[("id", "id"), ("name", "name"), ("people", "people")])


@app.command(epilog="Examples:\n\n  crm company add 'ACME Corp'")
def add(name: Annotated[str, typer.Argument(help="Company name.")]) -> None:
    """Add a company and print its id."""
    company = companies.create(state().db, name)
    out().created(company.id, f"Added company {company.id}: {company.name}")


@app.command(epilog="Examples:\n\n  crm company rename ACME 'ACME Corporation'")
def rename(ref: CompanyRef,
           new_name: Annotated[str, typer.Argument(help="The new name.")]) -> None:
    """Rename a company (its people follow)."""
    db = state().db
    company = companies.resolve(db, ref)
    renamed = companies.rename(db, company, new_name)
    info(f"renamed company {company.id}: {company.name} -> {renamed.name}")
