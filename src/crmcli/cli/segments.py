"""Segment commands: segment save, list, show, rm."""

from typing import Annotated

import typer

from crmcli import contacts, segments
from crmcli.cli import selecting
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state
from crmcli.cli.contacts import LIST_COLUMNS
from crmcli.errors import CrmError, UsageError

app = typer.Typer(name="segment", no_args_is_help=True,
                  help="Saved queries (dynamic groups): @NAME in any query.")

Name = Annotated[str, typer.Argument(help="Segment name: letters, digits, '-', '_', '.'.")]


@app.command(epilog="Examples:\n\n  crm segment save madrid-vips 'tag:vip city:madrid'\n\n"
             "  crm segment save stale '@madrid-vips last:>30d'\n\n"
             "  crm list @stale")
def save(name: Name,
         query: Annotated[list[str], typer.Argument(help="The query (docs/queries.md).")]
         ) -> None:
    """Save a query under a name (replacing the query of a segment already so named)."""
    db = state().db
    text = selecting.joined(query)
    if not text.strip():
        raise UsageError("the query is empty: a segment of everyone is 'crm list' (give a query "
                         "such as 'tag:vip')")
    name = segments.check_name(name)
    selecting.condition(f"@{name}", saving=(name, text))  # a bad query or a cycle: refused
    segment, new = segments.save(db, name, text)
    count = len(contacts.search_ids(db, condition=selecting.condition(f"@{segment.name}")))
    info(f"{'Saved' if new else 'Replaced'} segment @{segment.name}: {count} contact(s) match")


@app.command("list", epilog="Examples:\n\n  crm segment list\n\n  crm segment list --json")
def list_segments(format_: FormatOption = None, as_json: JsonOption = False,
                  as_csv: CsvOption = False) -> None:
    """The saved segments, each with its query and how many contacts match it now."""
    rows = (segments.to_record(segment, _count(segment))
            for segment in segments.all_segments(state().db))
    out(format_, as_json, as_csv).records(rows, [("name", "Name"), ("count", "Contacts"),
                                                 ("query", "Query")])


def _count(segment: segments.Segment) -> int | None:
    """How many contacts the segment holds now; None, with a warning, for one that no longer
    evaluates (a segment it names was removed...), so that the others are still listed."""
    try:
        condition = selecting.condition(f"@{segment.name}")
    except CrmError as exc:
        info(f"crm: warning: {exc}; change it with crm segment save {segment.name} QUERY")
        return None
    return len(contacts.search_ids(state().db, condition=condition))


@app.command(epilog="Examples:\n\n  crm segment show madrid-vips\n\n"
             "  crm segment show madrid-vips --json | jq -r '.[].emails[0].value'")
def show(name: Name, format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """The contacts in the segment now (its query, evaluated)."""
    segment = segments.get(state().db, name)
    found = contacts.iter_search(state().db,
                                 condition=selecting.condition(f"@{segment.name}"))
    out(format_, as_json, as_csv).records(map(contacts.to_record, found), LIST_COLUMNS)


@app.command(epilog="Examples:\n\n  crm segment rm madrid-vips")
def rm(name: Name) -> None:
    """Remove a saved segment (the contacts stay; crm undo brings it back)."""
    removed = segments.remove(state().db, name)
    info(f"Removed segment @{removed.name} ({removed.query})")
