"""``crm backup``: a consistent copy of the book, the way to copy or move it."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli import book_files
from crmcli.cli.common import info, state
from crmcli.locations import expand_home

app = typer.Typer()


@app.command("backup", epilog="Examples:\n\n  crm backup ~/crm-$(date +%F).db\n\n"
             "  crm backup /media/usb/crm.db --force\n\n"
             "  crm --db ~/crm-2026-11-30.db list   # a backup is a book like any other")
def backup_command(
    file: Annotated[Path, typer.Argument(help="The copy to write (mode 0600).")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the book to FILE, consistent even while other crm commands write to it.

    Use it rather than cp to copy or move the book: a plain copy of a database in use can
    miss what is still in its -wal file.
    """
    counts = book_files.backup(state().db, file, overwrite=force)
    size = Path(expand_home(file)).stat().st_size
    info(f"backed up {counts['contacts']} contacts, {counts['companies']} companies, "
         f"{counts['deals']} deals, {counts['followups']} follow-ups and {counts['notes']} "
         f"notes to {file} ({size / 1024:,.0f} KB)")
