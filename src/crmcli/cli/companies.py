"""Company commands: list, show, add, edit, rm, restore, tag, note, merge, rename. Each
write runs the hooks through the journal (see cli.hooking), with the company as `company show
--json` prints it."""

from typing import Annotated

import typer

from crmcli import companies, contact_rules
from crmcli.cli.arguments import Labelled, NonEmpty, TagName
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    TagChanges,
    YesOption,
    confirm,
    info,
    out,
    state,
    stdin_text,
    tag_changes,
)
from crmcli.errors import InvalidInput, shown
from crmcli.models import Company, Detail
from crmcli.normalize import split_label

app = typer.Typer(name="company", no_args_is_help=True, help="Companies and their people.")

CompanyRef = Annotated[str, typer.Argument(help="Company id or name (or part of one).")]
Websites = Annotated[list[str], typer.Option(
    "--website", help="Web address, optionally labelled. Repeatable.",
    click_type=NonEmpty("website"))]
Emails = Annotated[list[str], typer.Option(
    "--email", "-e", help="Email, optionally labelled: sales:info@acme.com. Repeatable.")]
Phones = Annotated[list[str], typer.Option(
    "--phone", "-p", help="Phone, optionally labelled: office:+34 912 345 678. Repeatable.",
    click_type=Labelled("phone"))]
Addresses = Annotated[list[str], typer.Option(
    "--address", help="Postal address, optionally labelled. Repeatable.",
    click_type=Labelled("address"))]
INDUSTRY, SIZE = "What the company does: logistics", "How big it is: 50, 11-50, enterprise"
Tags = Annotated[list[str], typer.Option("--tag", "-t", help="Tag. Repeatable.",
                                         click_type=TagName())]
Sets = Annotated[list[str], typer.Option(
    "--set", help="Custom field: segment=smb (crm field add --on companies). Repeatable.")]
LIST_COLUMNS = [("id", "ID"), ("name", "Company"), ("people", "People"),
                ("industry", "Industry"), ("tags", "Tags")]


def _details(values: list[str]) -> list[Detail]:
    return [Detail(*split_label(value)) for value in values]


@app.command("list", epilog="Examples:\n\n  crm company list\n\n  crm company list acme --json"
             "\n\n  crm company list --tag partner --csv")
def list_companies(
    query: Annotated[str | None, typer.Argument(help="Part of the name.")] = None,
    tag: Tags = [],
    trash: Annotated[bool, typer.Option("--trash", help="List the trashed companies.")]
    = False,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List companies with their industry, how many people work there and their tags."""
    from crmcli.contact_rules import normalize_tag

    wanted = {normalize_tag(t) for t in tag}
    found = (c for c in companies.all_companies(state().db, query, deleted=trash)
             if wanted <= set(c.tags))
    out(format_, as_json, as_csv).records(map(companies.to_record, found), LIST_COLUMNS)


@app.command(epilog="Examples:\n\n  crm company show ACME\n\n"
             "  crm company show 3 --json | jq '.open_deals[].title'")
def show(ref: CompanyRef, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """A company's page: details, people and their last contact, open and won deals with
    totals, notes and its people's recent history."""
    from crmcli import company_profile, money, stages

    current = state()
    company = companies.resolve(current.db, ref)

    def page():
        from crmcli.views.companies import PEOPLE_SHOWN, company_page

        return company_page(company_profile.load(current.db, company, current.now, PEOPLE_SHOWN),
                            current.today, money.decimal_mark(current.config))

    out(format_, as_json, as_csv).page(
        page, lambda: company_profile.to_record(
            company_profile.load(current.db, company, current.now),
            stages.load_pipeline(current.config)),
        columns=[(key, key) for key in companies.to_record(company)])


@app.command(epilog="Examples:\n\n  crm company add 'ACME Corp'\n\n"
             "  crm company add Initech --website https://initech.example --industry software"
             " -t partner")
def add(
    name: Annotated[str, typer.Argument(help="Company name.")],
    website: Websites = [],
    email: Emails = [],
    phone: Phones = [],
    address: Addresses = [],
    industry: Annotated[str | None, typer.Option(help=f"{INDUSTRY}.",
                                                 click_type=NonEmpty("industry"))] = None,
    size: Annotated[str | None, typer.Option(help=f"{SIZE}.", click_type=NonEmpty("size"))]
    = None,
    tag: Tags = [],
    note: Annotated[str | None, typer.Option(help="A first note about the company.",
                                             click_type=NonEmpty("note"))] = None,
    set_: Sets = [],
) -> None:
    """Add a company and print its id."""
    from crmcli import fields
    from crmcli.db import transaction

    db = state().db
    changes = fields.parse_assignments(set_)
    company = companies.validate(Company(
        name=name, urls=_details(website), emails=_details(email), phones=_details(phone),
        addresses=_details(address), industry=industry, size=size, tags=tag))
    with transaction(db):
        company = companies.create(db, company)
        fields.apply(db, company.id, changes, "companies")
        if note:
            companies.add_note(db, company.id, note)
    out().created(company.id, f"Added company {company.id}: {company.name}")


@app.command(epilog="Examples:\n\n  crm company edit ACME --industry logistics --size 11-50\n\n"
             "  crm company edit ACME --website https://acme.example --rm-phone 912345678\n\n"
             "  crm company edit ACME        # opens $EDITOR on a text form")
def edit(
    ref: CompanyRef,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    industry: Annotated[str | None, typer.Option(help=f"{INDUSTRY} ('' to clear).")] = None,
    size: Annotated[str | None, typer.Option(help=f"{SIZE} ('' to clear).")] = None,
    website: Websites = [],
    email: Emails = [],
    phone: Phones = [],
    address: Addresses = [],
    rm_website: Annotated[list[str], typer.Option(help="Remove this website.")] = [],
    rm_email: Annotated[list[str], typer.Option(help="Remove this email.")] = [],
    rm_phone: Annotated[list[str], typer.Option(help="Remove this phone.")] = [],
    rm_address: Annotated[list[str], typer.Option(help="Remove this address.")] = [],
    tag: Tags = [],
    untag: Annotated[list[str], typer.Option(help="Remove this tag.",
                                             click_type=TagName())] = [],
    set_: Sets = [],
    unset: Annotated[list[str], typer.Option("--unset", help="Clear this custom field.")]
    = [],
) -> None:
    """Change a company with flags, or in $EDITOR when no flag is given."""
    from crmcli import company_form, fields

    db = state().db
    company = companies.resolve(db, ref)
    flags = company_form.FlagEdit(
        name=name, industry=industry, size=size,
        add={"urls": website, "emails": email, "phones": phone, "addresses": address},
        remove={"urls": rm_website, "emails": rm_email, "phones": rm_phone,
                "addresses": rm_address}, tags=tag, untag=untag)
    field_changes = fields.parse_assignments(set_, unset)
    if flags.is_empty() and field_changes.is_empty():
        changed, field_changes = _edit_in_editor(company)
        if changed is None:
            return
    else:
        changed = companies.validate(company_form.apply_flags(company, flags),
                                     held=len(company.tags))
    if changed == company and field_changes.is_empty():
        info("no changes")
        return
    _write(company, changed, lambda: fields.apply(db, company.id, field_changes, "companies"))
    info(f"updated company {company.id}: {changed.name}")


def _edit_in_editor(company: Company):
    """(the edited company or None when cancelled, the custom field changes)."""
    from dataclasses import replace

    from crmcli import company_form, fields
    from crmcli.cli.editor import edit_text, keep_text
    from crmcli.editform import field_changes
    from crmcli.form_lines import is_blank

    names = [definition.name for definition in fields.definitions(state().db, "companies")]
    text = edit_text(company_form.to_form(company, names))
    if is_blank(text):
        info("empty form; edit cancelled")
        return None, fields.Changes()
    try:
        edited = company_form.from_form(text, company, names)
        changes = field_changes(company, edited, names)
        fields.check(state().db, changes, "companies")
        return (companies.validate(replace(edited, fields=company.fields), len(company.tags)),
                changes)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc}; nothing was changed (your edit is kept in "
                           f"{keep_text(text)})") from exc


def _write(read: Company, changed: Company, also=None) -> None:
    """Write a change of one company (and ``also``, in the same transaction)."""
    from crmcli.db import transaction

    db = state().db
    with transaction(db):
        companies.update(db, changed, read=read)
        if also:
            also()


@app.command(epilog="Examples:\n\n  crm company rename ACME 'ACME Corporation'")
def rename(ref: CompanyRef,
           new_name: Annotated[str, typer.Argument(help="The new name.")]) -> None:
    """Rename a company (its people follow)."""
    from dataclasses import replace

    company = companies.resolve(state().db, ref)
    _write(company, replace(company, name=new_name))
    renamed = companies.get(state().db, company.id)
    info(f"renamed company {company.id}: {company.name} -> {renamed.name}")


@app.command(context_settings={"ignore_unknown_options": True},
             epilog="Examples:\n\n  crm company tag ACME +partner +eu\n\n"
             "  crm company tag 3 -- -prospect +customer")
def tag(
    ref: CompanyRef,
    changes: TagChanges,
) -> None:
    """Add and remove a company's tags."""
    company = companies.resolve(state().db, ref)
    add, remove = tag_changes(changes)
    changed = companies.validate(contact_rules.retagged(company, add, remove),
                                 held=len(company.tags))
    if changed.tags != company.tags:
        _write(company, changed)
    info(f"{company.name}: {', '.join(changed.tags) or 'no tags'}"
         f"{'' if changed.tags != company.tags else ' (unchanged)'}")


@app.command(epilog="Examples:\n\n  crm company note ACME 'Moving to a new office in March'\n\n"
             "  crm company note ACME      # opens $EDITOR")
def note(ref: CompanyRef,
         text: Annotated[str | None, typer.Argument(
             help="The note; - reads stdin; omitted opens $EDITOR.")] = None) -> None:
    """Write a note about a company; prints its id."""
    from crmcli.cli.editor import edit_text

    db = state().db
    company = companies.resolve(db, ref)
    body = stdin_text("the note") if text == "-" else text if text is not None else edit_text("")
    if not body.strip():
        info("empty note; nothing saved")
        return
    written = companies.add_note(db, company.id, body)
    out().created(written.id, f"Added note {written.id} to {company.name}")


@app.command("rm", epilog="Examples:\n\n  crm company rm 'Old Co' --yes")
def remove(ref: CompanyRef, yes: YesOption = False) -> None:
    """Move a company to the trash; its people keep it (crm company restore brings it back)."""
    db = state().db
    company = companies.resolve(db, ref)
    confirm(f"Move company {company.name} (id {company.id}) to the trash?", yes)
    companies.trash(db, company.id)
    info(f"moved company {company.id} to the trash; 'crm company restore {company.id}' "
         "brings it back")


@app.command(epilog="Examples:\n\n  crm company restore 4\n\n"
             "  crm company list --trash   # what can be restored")
def restore(ref: Annotated[str, typer.Argument(help="Id or name of a trashed company.")]
            ) -> None:
    """Bring a company back from the trash."""
    db = state().db
    company = companies.resolve(db, ref, deleted=True)
    companies.restore(db, company.id)
    info(f"restored company {company.id}: {company.name}")


@app.command(epilog="Examples:\n\n  crm company merge ACME 'ACME Corp' --yes")
def merge(
    keep: Annotated[str, typer.Argument(help="The company to keep.")],
    other: Annotated[str, typer.Argument(help="The company merged into it, then trashed.")],
    yes: YesOption = False,
) -> None:
    """Merge two companies: people, deals, notes, details, tags and fields move to the one
    kept; the other goes to the trash."""
    from crmcli import company_merge

    db = state().db
    first, second = companies.resolve(db, keep), companies.resolve(db, other)
    if first.id == second.id:
        raise InvalidInput(f"{shown(keep)} and {shown(other)} are the same company (id {first.id})")
    confirm(f"Merge company {second.name} (id {second.id}) into {first.name} "
            f"(id {first.id})?", yes)
    for conflict in company_merge.merge(db, first, second):
        info(conflict)
    info(f"merged company {second.id} into {first.id}; {second.id} is in the trash")
