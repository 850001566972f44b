"""Contact commands: add, list, show, rm, restore, trash, tag, dupes, merge, mutt-query (edit:
``contact_edit``), and the options adding and editing share."""

from enum import StrEnum
from typing import Annotated

import typer

from crmcli import contact_refs, contact_rules, contacts
from crmcli.cli import phones, selecting
from crmcli.cli.arguments import Labelled, NonEmpty, TagName
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    TagChanges,
    YesOption,
    company_filter,
    confirm,
    info,
    moment_ago,
    out,
    state,
    tag_changes,
)
from crmcli.errors import InvalidInput, shown
from crmcli.models import Contact, Detail
from crmcli.normalize import split_label

app = typer.Typer()

LIST_COLUMNS = [("id", "ID"), ("name", "Name"), ("company", "Company"), ("title", "Title"),
                ("emails", "Email"), ("phones", "Phone"), ("tags", "Tags")]


class Sort(StrEnum):
    name = "name"
    created = "created"
    updated = "updated"
    last_contact = "last-contact"


Emails = Annotated[list[str], typer.Option(
    "--email", "-e", help="Email, optionally labelled: work:ana@acme.com. Repeatable.")]
Phones = Annotated[list[str], typer.Option(
    "--phone", "-p", help="Phone, optionally labelled: mobile:+34 612 345 678. Repeatable.",
    click_type=Labelled("phone"))]
Addresses = Annotated[list[str], typer.Option(
    "--address", help="Postal address, optionally labelled: home:1 Main St. Repeatable.",
    click_type=Labelled("address"))]
Urls = Annotated[list[str], typer.Option("--url", help="Web address. Repeatable.",
                                         click_type=NonEmpty("URL"))]
Tags = Annotated[list[str], typer.Option("--tag", "-t", help="Tag. Repeatable.",
                                         click_type=TagName())]
Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
ReferredBy = Annotated[str | None, typer.Option(
    help="Who referred them: a contact reference, or the name of someone not in the book "
         "(the referred-by relationship).", click_type=NonEmpty(
             "referrer", "give who referred them (a contact or a name), or leave it out"))]
HOW_WE_MET = "How you met: 'at Web Summit, through Bo'"
MET_ON = "When you met: a date, as --birthday"
Interests = Annotated[list[str], typer.Option("--interest", help="An interest. Repeatable.")]
Sets = Annotated[list[str], typer.Option(
    "--set", help="Custom field: budget=12000 (crm field add defines it). Repeatable.")]


def details(values: list[str]) -> list[Detail]:
    return [Detail(*split_label(value)) for value in values]


def _birthday(text: str | None, flag: str = "birthday"):
    from crmcli.dates import parse_partial_date

    if not text:
        return None
    try:
        return parse_partial_date(text, state().config.date_order, state().today)
    except InvalidInput as exc:
        raise InvalidInput(f"--{flag}: {exc}") from exc


@app.command(epilog="Examples:\n\n  crm add 'Ana Lima' -e work:ana@acme.com -p mobile:+351912345678"
             " --company ACME --tag lead\n\n  id=$(crm add 'Bo Chen') && crm tag $id +vip")
def add(
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Emails = [],
    phone: Phones = [],
    company: Annotated[str | None, typer.Option("--company", "-c", help="Company.",
                                                click_type=NonEmpty("company"))] = None,
    title: Annotated[str | None, typer.Option(help="Job title.",
                                              click_type=NonEmpty("title"))] = None,
    tag: Tags = [],
    birthday: Annotated[str | None, typer.Option(
        help="Birthday: 1980-05-17, 17/05/1980, 17 May, --05-17 (no year).",
        click_type=NonEmpty("date"))] = None,
    anniversary: Annotated[str | None, typer.Option(
        help="Anniversary, as --birthday (crm date add sets other dates).",
        click_type=NonEmpty("date"))] = None,
    address: Addresses = [],
    url: Urls = [],
    note: Annotated[str | None, typer.Option(help="A first note about the contact.",
                                             click_type=NonEmpty("note"))] = None,
    referred_by: ReferredBy = None,
    how_we_met: Annotated[str | None, typer.Option(
        help=f"{HOW_WE_MET}.", click_type=NonEmpty("value"))] = None,
    met_on: Annotated[str | None, typer.Option(
        help=f"{MET_ON}.", click_type=NonEmpty("date"))] = None,
    interest: Interests = [],
    set_: Sets = [],
) -> None:
    """Add a contact and print its id."""
    referrer = referrer_named(referred_by)
    contact = create_contact(Contact(
        name=name, emails=details(email), phones=details(phone), addresses=details(address),
        urls=details(url), company=company, title=title, tags=tag, birthday=_birthday(birthday),
        anniversary=_birthday(anniversary, "anniversary"), how_we_met=how_we_met,
        met_on=_birthday(met_on, "met-on"), interests=interest), note, set_, referrer)
    out().created(contact.id, f"Added contact {contact.id}: {contact.name}")


def referrer_named(text: str | None):
    """The (contact, name) arguments of relate for --referred-by, resolved before any write."""
    from crmcli.cli.relations import other_person

    return other_person(text) if text is not None else None


def create_contact(contact: Contact, note: str | None = None, set_: list[str] = (),
                   referrer: tuple | None = None) -> Contact:
    """Tidy, check and save a new contact with its first note, custom fields and referrer,
    warning on stderr of what looks wrong; `crm add` and the assistant's tool both write
    through here."""
    from crmcli import duplicates, fields, relationships
    from crmcli.db import transaction

    db = state().db
    changes = fields.parse_assignments(set_)
    contact, warnings = contact_rules.tidy(contact)
    contact = contact_rules.validate(contact, phones.region())
    phones.warn(warnings + duplicates.shared_details(db, contact, phones.region()))
    with transaction(db):
        contact = contacts.create(db, contact, notes=[note] if note else [],
                                  region=phones.region())
        fields.apply(db, contact.id, changes)
        if referrer:
            relationships.relate(db, contact, "referred-by", *referrer)
    phones.suggest_region(contact.phones)
    for hint in relationships.link_hints(db, contact):
        info(f"hint: {hint}")
    return contact


@app.command("list", epilog="Examples:\n\n  crm list nunez\n\n  crm list --tag vip --sort updated"
             "\n\n  crm list tag:vip city:madrid last:>30d"
             "\n\n  crm list '(tag:lead OR tag:customer) -has:email'"
             "\n\n  crm list --not-contacted-since 30d --sort last-contact"
             "\n\n  crm list acme --json | jq -r '.[].emails[0].value'")
def list_contacts(
    query: selecting.QueryWords = None,
    tag: Tags = [],
    company: Annotated[str | None, typer.Option("--company", "-c", help="Company.")] = None,
    sort: Annotated[Sort, typer.Option(help="Order of the list.")] = Sort.name,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most N contacts.")] = None,
    not_contacted_since: Annotated[str | None, typer.Option(
        help="Only contacts with no interaction since then: 30d, 2w, 2026-10-01.")] = None,
    where: Annotated[list[str], typer.Option(
        help="Custom field condition: segment=smb, budget>10000, renewal_on<2027-01-01."
        " Repeatable.")] = [],
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List contacts, optionally matching a search (accent- and case-insensitive, prefixes)."""
    current = state()
    db = current.db
    company_id = company_filter(db, company)
    cutoff = moment_ago(not_contacted_since) if not_contacted_since is not None else None
    found = contacts.iter_search(db, tags=tag, company_id=company_id, sort=sort.value,
                                 limit=limit, not_contacted_since=cutoff,
                                 where_fields=where,
                                 condition=selecting.condition(selecting.joined(query)))
    columns = LIST_COLUMNS
    if cutoff or sort == Sort.last_contact:
        columns = [*LIST_COLUMNS, ("last_contacted_at", "Last contact")]
    out(format_, as_json, as_csv).records(map(contacts.to_record, found), columns)


@app.command(epilog="Examples:\n\n  crm show 12\n\n  crm show 'jose nunez'\n\n"
             "  crm show ana@acme.com --json")
def show(ref: Ref, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """The one-page view of a contact: details, tags, company, last contact and history."""
    from crmcli import analytics, analytics_settings, money, profiles, stages

    current = state()
    contact = contact_refs.resolve(current.db, ref)
    profile = profiles.load(current.db, contact, current.now)
    settings = analytics_settings.from_config(current.config)
    pipeline = stages.load_pipeline(current.config)
    profile.health = analytics.health(current.db, current.now, settings, pipeline,
                                      [contact.id])[0]

    def page():
        from crmcli.views.contacts import contact_page

        return contact_page(profile, money.decimal_mark(current.config))

    out(format_, as_json, as_csv).page(
        page,
        lambda: profiles.to_record(profile, pipeline),
        columns=[(key, key) for key in contacts.to_record(contact)])


@app.command("rm", epilog="Examples:\n\n  crm rm 12\n\n  crm rm 'Old Lead' --yes")
def remove(ref: Ref, yes: YesOption = False) -> None:
    """Move a contact to the trash (crm restore brings it back)."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    confirm(f"Move {contact_refs.describe(contact)} (id {contact.id}) to the trash?", yes)
    contacts.trash(db, contact.id)
    info(f"moved contact {contact.id} to the trash; 'crm restore {contact.id}' brings it back")


@app.command(epilog="Examples:\n\n  crm restore 12\n\n  crm trash   # lists what can be restored")
def restore(ref: Annotated[str, typer.Argument(help="Id or name of a trashed contact.")]) -> None:
    """Bring a contact back from the trash."""
    db = state().db
    contact = contact_refs.resolve(db, ref, deleted=True)
    contacts.restore(db, contact.id)
    info(f"restored contact {contact.id}: {contact.name}")


@app.command(epilog="Examples:\n\n  crm trash\n\n  crm trash --empty --yes")
def trash(
    empty: Annotated[bool, typer.Option("--empty", help="Delete trashed contacts for good.")]
    = False,
    yes: YesOption = False,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List the contacts in the trash, or empty it."""
    db = state().db
    if empty:
        confirm("Delete every contact in the trash for good?", yes)
        from crmcli import forgetting
        from crmcli.cli import hooking

        doomed = contacts.trashed_ids(db)
        hooking.deleting_for_good(doomed)
        info(f"deleted {forgetting.forget(db, doomed)} contact(s) for good")
        hooking.deleted_for_good()
        return
    found = contacts.iter_search(db, deleted=True, sort="deleted")
    out(format_, as_json, as_csv).records(
        (contacts.to_record(c) | {"deleted_at": c.deleted_at} for c in found),
        [*LIST_COLUMNS[:3], ("deleted_at", "Deleted")])


@app.command(context_settings={"ignore_unknown_options": True},
             epilog="Examples:\n\n  crm tag ana +vip +lead\n\n  crm tag 12 -- -lead +customer")
def tag(
    ref: Ref,
    changes: TagChanges,
) -> None:
    """Add and remove tags."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    add, remove = tag_changes(changes)
    changed = contact_rules.validate(contact_rules.retagged(contact, add, remove), phones.region(),
                                     held=len(contact.tags))
    if set(changed.tags) == set(contact.tags):
        info(f"{contact.name}: {', '.join(contact.tags) or 'no tags'} (unchanged)")
        return
    updated = contacts.update(db, changed, phones.region(), read=contact)
    info(f"{updated.name}: {', '.join(updated.tags) or 'no tags'}")


@app.command(epilog="Examples:\n\n  crm dupes\n\n  crm dupes | tail -n +2 | cut -f1,3")
def dupes(format_: FormatOption = None, as_json: JsonOption = False,
          as_csv: CsvOption = False) -> None:
    """List probable duplicates: same email, same phone number or same name."""
    from crmcli import duplicates

    pairs = duplicates.find_duplicates(state().db)
    records = ({"id": p.first.id, "name": p.first.name, "other_id": p.second.id,
                "other_name": p.second.name, "reasons": p.reasons} for p in pairs)
    if not out(format_, as_json, as_csv).records(
            records, [("id", "ID"), ("name", "Name"), ("other_id", "Other ID"),
                      ("other_name", "Other name"), ("reasons", "Why")]):
        info("no probable duplicates")


@app.command(epilog="Examples:\n\n  crm merge 12 31\n\n  crm dupes   # to find candidates")
def merge(
    keep: Annotated[str, typer.Argument(help="The contact to keep.")],
    other: Annotated[str, typer.Argument(help="The contact merged into it, then trashed.")],
    yes: YesOption = False,
) -> None:
    """Merge two contacts, keeping every email, phone, tag and note."""
    from crmcli import duplicates

    db = state().db
    first, second = contact_refs.resolve(db, keep), contact_refs.resolve(db, other)
    if first.id == second.id:
        raise InvalidInput(f"{shown(keep)} and {shown(other)} are the same contact (id {first.id})")
    confirm(f"Merge {contact_refs.describe(second)} (id {second.id}) into "
            f"{contact_refs.describe(first)} (id {first.id})?", yes)
    merged, conflicts = duplicates.merge(db, first, second, phones.region())
    for conflict in conflicts:
        info(conflict)
    info(f"merged {second.id} into {merged.id}; {second.id} is in the trash")


@app.command("mutt-query", epilog="In ~/.muttrc:\n\n  set query_command = \"crm mutt-query %s\"")
def mutt_query(query: Annotated[str, typer.Argument(help="Text to look for.")]) -> None:
    """Answer mutt's address queries: a status line, then email, name and company per line."""
    from crmcli import session

    out()
    code = session.mutt_query(state(), query)
    if code:
        raise typer.Exit(code)
