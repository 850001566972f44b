"""crm edit: change a contact with flags, or in $EDITOR on a text form."""

from typing import Annotated

import typer

from crmcli import contact_refs, contact_rules, contacts
from crmcli.cli import phones
from crmcli.cli.arguments import TagName
from crmcli.cli.common import info, state
from crmcli.cli.contacts import (
    HOW_WE_MET,
    MET_ON,
    Addresses,
    Emails,
    Interests,
    Phones,
    Ref,
    ReferredBy,
    Sets,
    Tags,
    Urls,
    referrer_named,
)
from crmcli.errors import InvalidInput
from crmcli.models import Contact

app = typer.Typer()
Unsets = Annotated[list[str], typer.Option("--unset", help="Clear this custom field.")]


@app.command(epilog="Examples:\n\n  crm edit 12 --title CTO --company 'ACME Corp'\n\n"
             "  crm edit ana --email home:ana@lima.pt --rm-phone 912345678\n\n"
             "  crm edit jose --cadence 30d   # keep in touch: crm due says when\n\n"
             "  crm edit ana        # opens $EDITOR on a text form")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    company: Annotated[str | None, typer.Option(
        "--company", "-c", help="New company ('' to clear).")] = None,
    title: Annotated[str | None, typer.Option(help="New title ('' to clear).")] = None,
    birthday: Annotated[str | None, typer.Option(help="New birthday ('' to clear).")] = None,
    anniversary: Annotated[str | None, typer.Option(
        help="New anniversary ('' to clear).")] = None,
    email: Emails = [],
    phone: Phones = [],
    address: Addresses = [],
    url: Urls = [],
    rm_email: Annotated[list[str], typer.Option(help="Remove this email.")] = [],
    rm_phone: Annotated[list[str], typer.Option(help="Remove this phone.")] = [],
    rm_address: Annotated[list[str], typer.Option(help="Remove this address.")] = [],
    rm_url: Annotated[list[str], typer.Option(help="Remove this URL.")] = [],
    tag: Tags = [],
    untag: Annotated[list[str], typer.Option(help="Remove this tag.",
                                             click_type=TagName())] = [],
    cadence: Annotated[str | None, typer.Option(
        help="Keep in touch every 30d, 2w, 1m...; 'off'; or 'default' (from the tags).")] = None,
    referred_by: ReferredBy = None,
    how_we_met: Annotated[str | None, typer.Option(help=f"{HOW_WE_MET} ('' to clear).")] = None,
    met_on: Annotated[str | None, typer.Option(help=f"{MET_ON} ('' to clear).")] = None,
    interest: Interests = [],
    no_interest: Annotated[list[str], typer.Option(help="Remove this interest.")] = [],
    set_: Sets = [],
    unset: Unsets = [],
    mail: Annotated[bool | None, typer.Option(
        "--mail/--no-mail", help="Allow, or refuse, campaign mail to this contact.")] = None,
) -> None:
    """Change a contact with flags, or in $EDITOR when no flag is given."""
    from crmcli import fields, followups, relationships
    from crmcli.db import transaction

    db = state().db
    contact = contact_refs.resolve(db, ref)
    referrer = referrer_named(referred_by)
    cadence_days = followups.parse_cadence(cadence) if cadence is not None else None
    from crmcli import editform

    flags = editform.FlagEdit(
        name=name, company=company, title=title, birthday=birthday, anniversary=anniversary,
        how_we_met=how_we_met, met_on=met_on, interests=interest, no_interests=no_interest,
        add={"emails": email, "phones": phone, "addresses": address, "urls": url},
        remove={"emails": rm_email, "phones": rm_phone, "addresses": rm_address,
                "urls": rm_url}, tags=tag, untag=untag)
    field_changes = fields.parse_assignments(set_, unset)
    if (flags.is_empty() and cadence is None and referrer is None
            and field_changes.is_empty() and mail is None):
        changed, form, field_changes = _edit_in_editor(contact)
    else:
        form = None
        changed = editform.apply_flags(contact, flags, state().config.date_order,
                                       state().today)
    if changed is None:
        return
    changed, warnings = contact_rules.tidy(changed, held=len(contact.tags))
    phones.warn(warnings)
    updated = changed != contact or not field_changes.is_empty()
    with transaction(db):  # every flag is checked above: all of them are written, or none
        if referrer:
            relationships.relate(db, contact, "referred-by", *referrer)
        if updated:
            _write_back(db, contact, changed, form)
            fields.apply(db, contact.id, field_changes)
        if mail is not None:
            _set_mail(db, contact, mail)
        if cadence is not None:
            followups.set_cadence(db, contact.id, cadence_days)
    if referrer:
        info(f"{contact.name} was referred by {referrer[0].name if referrer[0] else referrer[1]}")
    if updated:
        phones.suggest_region(changed.phones)
        info(f"updated contact {contact.id}: {changed.name}")
    elif cadence is None and referrer is None and mail is None:
        info("no changes")
    if cadence is not None:
        info(f"{changed.name}: " + followups.describe_cadence(cadence_days))


def _set_mail(db, contact: Contact, allowed: bool) -> None:
    from crmcli import campaigns

    changed = campaigns.set_opt_out(db, contact.id, not allowed)
    info(f"{contact.name}: {'campaign mail allowed' if allowed else 'no campaign mail'}"
         + ("" if changed else " (unchanged)"))


def _write_back(db, read: Contact, changed: Contact, form: str | None) -> None:
    """Write the edit; if another command changed the contact meanwhile, only what this edit
    changed goes on top, or it is refused and the edited form kept."""
    from crmcli.errors import Conflict

    try:
        contacts.update(db, changed, phones.region(), read=read)
    except Conflict as exc:
        if form is None:
            raise
        from crmcli.cli.editor import keep_text

        raise Conflict(f"{exc} (your edit is kept in {keep_text(form)})") from exc


def _edit_in_editor(contact: Contact):
    """(the edited contact or None when cancelled, the saved form, the custom field changes)."""
    from dataclasses import replace

    from crmcli import editform, fields, form_lines
    from crmcli.cli.editor import edit_text, keep_text

    names = [definition.name for definition in fields.definitions(state().db)]
    text = edit_text(editform.to_form(contact, names))
    if form_lines.is_blank(text):
        info("empty form; edit cancelled")
        return None, text, fields.Changes()
    try:
        edited = editform.from_form(text, contact, state().config.date_order, state().today,
                                    names)
        changes = editform.field_changes(contact, edited, names)
        fields.check(state().db, changes)
        edited, warnings = contact_rules.tidy(replace(edited, fields=contact.fields),
                                              held=len(contact.tags))
        phones.warn(warnings)
        return (contact_rules.validate(edited, phones.region(), held=len(contact.tags)),
                text, changes)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc}; nothing was changed (your edit is kept in "
                           f"{keep_text(text)})") from exc
