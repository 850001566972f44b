"""Custom field commands: field add, list, rename, rm, private, public."""

from enum import StrEnum
from typing import Annotated

import typer

from crmcli import fields
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

app = typer.Typer(name="field", no_args_is_help=True,
                  help="Custom fields: the book's own typed facts about contacts and companies.")


class FieldType(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"
    url = "url"
    bool = "bool"


class Entity(StrEnum):
    contacts = "contacts"
    companies = "companies"


Name = Annotated[str, typer.Argument(help="Field name, snake_case: budget, renewal_on.")]
On = Annotated[Entity, typer.Option("--on", help="Which records hold the field.")]


@app.command(epilog="Examples:\n\n  crm field add budget --type number\n\n"
             "  crm field add segment --type choice --choices smb,mid,enterprise\n\n"
             "  crm field add salary --type number --private\n\n"
             "  crm edit ana --set budget=12000")
def add(name: Name,
        type_: Annotated[FieldType, typer.Option("--type", help="What the field holds.")],
        choices: Annotated[str | None, typer.Option(
            help="For --type choice: the values it may hold, a,b,c.")] = None,
        on: On = Entity.contacts,
        private: Annotated[bool, typer.Option(
            "--private", help="Withhold it from an assistant (crm mcp) unless "
            "--include-private.")] = False) -> None:
    """Define a custom field."""
    created = fields.define(state().db, name, type_.value, on.value, choices, private)
    out().created(created.id, f"Added field {created.name} ({created.type}) on {on.value}")


@app.command("list", epilog="Examples:\n\n  crm field list\n\n  crm field list --json")
def list_fields(on: On = Entity.contacts, format_: FormatOption = None,
                as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """List the custom fields and how many records hold a value."""
    rows = ({"name": f.name, "type": f.type, "choices": ", ".join(f.choices), "used": f.used,
             "private": f.private} for f in fields.definitions(state().db, on.value))
    out(format_, as_json, as_csv).records(
        rows, [("name", "Field"), ("type", "Type"), ("choices", "Choices"), ("used", "Used"),
               ("private", "Private")])


@app.command(epilog="Examples:\n\n  crm field private salary\n\n"
             "  crm field private tier --on companies")
def private(name: Name, on: On = Entity.contacts) -> None:
    """Mark a field private: crm mcp withholds it unless started with --include-private."""
    fields.set_private(state().db, name, True, on.value)
    info(f"field {name} is private")


@app.command(epilog="Examples:\n\n  crm field public salary")
def public(name: Name, on: On = Entity.contacts) -> None:
    """Mark a private field public again (crm mcp shows it)."""
    fields.set_private(state().db, name, False, on.value)
    info(f"field {name} is public")


@app.command(epilog="Examples:\n\n  crm field rename budget annual_budget\n\n"
             "  crm field rename tier --on companies account_tier")
def rename(name: Name, new_name: Annotated[str, typer.Argument(help="The new name.")],
           on: On = Entity.contacts) -> None:
    """Rename a custom field; its values stay."""
    fields.rename(state().db, name, new_name, on.value)
    info(f"renamed field {name} to {new_name}")


@app.command(epilog="Examples:\n\n  crm field rm budget --yes    # crm undo brings it back\n\n"
             "  crm field rm tier --on companies --yes")
def rm(name: Name, on: On = Entity.contacts, yes: YesOption = False) -> None:
    """Delete a custom field and every value of it (crm undo brings both back)."""
    db = state().db
    current = fields.get(db, name, on.value)
    confirm(f"Delete field {current.name} and its {current.used} value(s)?", yes)
    fields.remove(db, name, on.value)
    info(f"deleted field {current.name} and {current.used} value(s); crm undo brings them back")
