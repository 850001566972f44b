"""``crm gift``, ``crm gifts`` and ``crm ungift``: gift ideas and gifts given."""

from typing import Annotated

import typer

from crmcli import contact_refs, gifts
from crmcli.cli.arguments import RowId
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state
from crmcli.errors import InvalidInput

app = typer.Typer()

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
COLUMNS = [("id", "ID"), ("description", "Gift"), ("given_on", "Given"),
           ("created_at", "Added")]


def _given(text: str | None):
    from crmcli.dates import parse_when

    if text is None:
        return None
    current = state()
    try:
        return parse_when(text, current.now, current.config.date_order, past=True).moment.date()
    except InvalidInput as exc:
        raise InvalidInput(f"--given: {exc}") from exc


@app.command(epilog="Examples:\n\n  crm gift ana 'Rioja Reserva'        # an idea\n\n"
             "  crm gift ana 'Rioja Reserva' --given 2026-03-02")
def gift(ref: Ref, description: Annotated[str, typer.Argument(help="The gift.")],
         given: Annotated[str | None, typer.Option(
             help="When you gave it (2026-03-02, yesterday...); without it, an idea.")] = None
         ) -> None:
    """Note a gift idea for a contact, or a gift given to them; prints its id."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    written = gifts.add(db, contact.id, description, _given(given))
    what = f"gift given {written.given_on}" if written.given_on else "gift idea"
    out().created(written.id, f"Added {what} {written.id} for {contact.name}: "
                              f"{written.description}")


@app.command("gifts", epilog="Examples:\n\n  crm gifts ana\n\n  crm gifts ana --json")
def list_gifts(ref: Ref, format_: FormatOption = None, as_json: JsonOption = False,
               as_csv: CsvOption = False) -> None:
    """A contact's gift ideas, then the gifts given, latest first."""
    contact = contact_refs.resolve(state().db, ref)
    rows = (gifts.to_record(item) for item in gifts.for_contact(state().db, contact.id))
    if not out(format_, as_json, as_csv).records(rows, COLUMNS):
        info(f"no gifts for {contact.name} (crm gift {contact.id} 'IDEA')")


@app.command(epilog="Examples:\n\n  crm ungift 3")
def ungift(gift_id: Annotated[int, typer.Argument(help="The gift's id (crm gifts REF).",
                                                  click_type=RowId("gift"))]) -> None:
    """Forget a gift or gift idea."""
    removed = gifts.remove(state().db, gift_id)
    info(f"removed gift {removed.id}: {removed.description}")
