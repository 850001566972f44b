"""``crm relate``, ``crm unrelate`` and ``crm relations``: who is who to whom."""

from typing import Annotated

import typer

from crmcli import contact_refs, relationships
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state
from crmcli.errors import NotFound
from crmcli.models import Contact

app = typer.Typer()

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
Kind = Annotated[str, typer.Argument(
    help="spouse, partner, child, parent, sibling, relative, friend, colleague, assistant, "
         "manager, referred-by, introduced-by, or any word.")]
Other = Annotated[str, typer.Argument(
    help="The related person: a contact reference, or a quoted name of someone not in the book.")]
COLUMNS = [("label", "Relation"), ("name", "Name"), ("contact_id", "ID"),
           ("birthday", "Birthday")]


def other_person(ref: str) -> tuple[Contact | None, str]:
    """The contact ``ref`` names, or (None, ref) for a person not in the book. An id that
    matches nothing, and a name matching several contacts, stay errors."""
    try:
        found = contact_refs.resolve(state().db, ref)
    except NotFound:
        if ref.strip().isdecimal():
            raise
        return None, ref
    return found, found.name


@app.command(epilog="Examples:\n\n  crm relate ana manager bo      # Bo is Ana's manager\n\n"
             "  crm relate ana spouse 'Rui Lima'   # someone not in the book")
def relate(ref: Ref, kind: Kind, other: Other) -> None:
    """Record that OTHER is REF's TYPE (shown the other way round on OTHER's page)."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    related, name = other_person(other)
    added = relationships.relate(db, contact, kind, related, name)
    kind = relationships.clean_kind(kind)
    info(relationships.sentence(contact.name, kind, name)
         + ("" if added else " (already recorded)"))


@app.command(epilog="Examples:\n\n  crm unrelate ana manager bo")
def unrelate(ref: Ref, kind: Kind, other: Other) -> None:
    """Forget that OTHER is REF's TYPE."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    related, name = other_person(other)
    relationships.unrelate(db, contact, kind, related, name)
    info(relationships.sentence(contact.name, relationships.clean_kind(kind), name,
                                "no longer"))


@app.command(epilog="Examples:\n\n  crm relations ana\n\n  crm relations ana --json")
def relations(ref: Ref, format_: FormatOption = None, as_json: JsonOption = False,
              as_csv: CsvOption = False) -> None:
    """A contact's relationships, both ways, with each person's birthday."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    found = relationships.for_contact(db, contact.id)
    out(format_, as_json, as_csv).records(map(relationships.to_record, found), COLUMNS)
