"""``crm demo``: a sample book to try things on, never at the expense of real data."""

from typing import Annotated

import typer

from crmcli import book_files, contacts, demo
from crmcli.cli.common import info, out, state
from crmcli.cli.contacts import LIST_COLUMNS
from crmcli.dates import stamp
from crmcli.errors import CrmError

app = typer.Typer()


@app.command("demo", epilog="Examples:\n\n  crm demo\n\n  crm --db /tmp/demo.db demo")
def demo_command(
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing database; it is kept as a timestamped backup.")]
    = False,
) -> None:
    """Create a sample address book and show it (refuses to touch a database with data)."""
    current = state()
    path = current.config.db_path
    now = current.now
    if path.exists() and not demo.is_empty(current.db):
        if not force:
            raise CrmError(f"{path} already holds data; not touching it "
                           "(--force keeps it as a backup and starts a fresh demo book)")
        backup = path.with_name(f"{path.name}.{stamp(now).replace(':', '')}.bak")
        count = book_files.rebuild(current.db, lambda fresh: demo.seed(fresh, now), keep_as=backup)
        current.close()
        info(f"kept the previous database as {backup}")
    else:
        count = demo.seed(current.db, now)
    out().records(map(contacts.to_record, contacts.iter_search(current.db)), LIST_COLUMNS,
                  title="Your demo book")
    info(f"added {count} sample contacts to {path}")
    info("try: crm (the dashboard) · crm show jose · crm activity --heatmap · "
         "crm list --tag vip · crm --help")
