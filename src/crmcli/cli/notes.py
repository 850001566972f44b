"""``crm note`` and ``crm notes``: write, list, search, edit and delete notes."""

from typing import Annotated

import typer

from crmcli import activity, contact_refs, contacts
from crmcli.cli.arguments import RowId
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    YesOption,
    confirm,
    group_with_default,
    info,
    out,
    state,
    stdin_text,
)
from crmcli.errors import Conflict

app = typer.Typer()
notes_app = typer.Typer(name="notes", cls=group_with_default("list"),
                        help="List, search, edit and delete notes (without a sub-command: "
                        "the latest).",
                        epilog="Examples:\n\n  crm notes\n\n  crm notes --limit 5 --json")
app.add_typer(notes_app)

NOTE_COLUMNS = [("id", "ID"), ("created_at", "Written"), ("contact", "Contact"), ("body", "Note")]

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
NoteId = Annotated[int, typer.Argument(help="The note's id (see crm notes).",
                                        click_type=RowId("note"))]


def _text_from(text: str | None, template: str = "") -> str:
    """The text argument, stdin for ``-``, or $EDITOR when it is missing."""
    if text == "-":
        return stdin_text("the note")
    if text is not None:
        return text
    from crmcli.cli.editor import edit_text

    return edit_text(template)


def _note_record(note, names: dict[int, str]) -> dict:
    return {"id": note.id, "contact_id": note.contact_id, "contact": names.get(note.contact_id),
            "body": note.body, "created_at": note.created_at, "updated_at": note.updated_at}


def _render_notes(notes, format_, as_json, as_csv) -> None:
    """Notes as they are read (each contact's name looked up once), so memory stays flat."""
    db = state().db
    names: dict[int, str] = {}

    def record(note) -> dict:
        if note.contact_id not in names:
            names[note.contact_id] = contacts.load_many(db, [note.contact_id])[0].name
        return _note_record(note, names)

    out(format_, as_json, as_csv).records(map(record, notes), NOTE_COLUMNS)


@app.command(epilog="Examples:\n\n  crm note ana 'Wants a quote for 50 seats'\n\n"
             "  mail-summary | crm note ana -\n\n  crm note ana      # opens $EDITOR")
def note(ref: Ref,
         text: Annotated[str | None, typer.Argument(
             help="The note; - reads stdin; omitted opens $EDITOR.")] = None) -> None:
    """Write a note about a contact; prints its id."""
    db = state().db
    contact = contact_refs.resolve(db, ref)
    body = _text_from(text)
    if not body.strip():
        info("empty note; nothing saved")
        return
    written = activity.add_note(db, contact.id, body)
    out().created(written.id, f"Added note {written.id} to {contact.name}")


Limit = Annotated[int, typer.Option(min=1, help="At most N notes.")]


@notes_app.command("list", epilog="Examples:\n\n  crm notes list\n\n  crm notes list ana --json")
def list_notes(
    ref: Annotated[str | None, typer.Argument(help="Only this contact's notes.")] = None,
    limit: Limit = 50,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """List notes, newest first."""
    db = state().db
    if ref is not None:
        found = activity.notes_for(db, contact_refs.resolve(db, ref).id, limit)
    else:
        found = activity.recent_notes(db, limit)
    _render_notes(found, format_, as_json, as_csv)


@notes_app.command("search", epilog="Examples:\n\n  crm notes search renewal\n\n"
                   "  crm notes search 'precio descuento' --json")
def search_notes(
    query: Annotated[str, typer.Argument(help="Words to find (accent-insensitive, prefixes).")],
    limit: Annotated[int | None, typer.Option(min=1, help="At most N notes.")] = None,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """Find notes containing every word of a query."""
    _render_notes(activity.search_notes(state().db, query, limit), format_, as_json, as_csv)


@notes_app.command("edit", epilog="Examples:\n\n  crm notes edit 42 'Renewal moved to June'"
                   "\n\n  crm notes edit 42     # opens $EDITOR")
def edit_note(note_id: NoteId,
              text: Annotated[str | None, typer.Argument(
                  help="The new text; - reads stdin; omitted opens $EDITOR.")] = None) -> None:
    """Change a note's text."""
    db = state().db
    current = activity.get_note(db, note_id)
    body = _text_from(text, current.body)
    if body.strip() == current.body:
        info("no changes")
        return
    if not body.strip():
        info("empty note; edit cancelled (use 'crm notes rm' to delete it)")
        return
    try:
        activity.edit_note(db, current, body)
    except Conflict as exc:
        if text is not None:
            raise
        from crmcli.cli.editor import keep_text

        raise Conflict(f"{exc} (your edit is kept in {keep_text(body)})") from exc
    info(f"updated note {note_id}")


@notes_app.command("rm", epilog="Examples:\n\n  crm notes rm 42\n\n  crm notes rm 42 --yes")
def remove_note(note_id: NoteId, yes: YesOption = False) -> None:
    """Move a note to the trash (crm notes restore brings it back)."""
    db = state().db
    current = activity.get_note(db, note_id)
    confirm(f"Delete note {note_id} ({current.body[:40]!r})?", yes)
    activity.trash_note(db, current)
    info(f"moved note {note_id} to the trash; 'crm notes restore {note_id}' brings it back")


@notes_app.command("restore", epilog="Examples:\n\n  crm notes restore 42")
def restore_note(note_id: NoteId) -> None:
    """Bring a note back from the trash."""
    db = state().db
    activity.restore_note(db, activity.get_note(db, note_id, deleted=True))
    info(f"restored note {note_id}")


