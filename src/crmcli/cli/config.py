"""``crm config path|show|set``: where the settings and the database are, and what is in force."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state

app = typer.Typer(name="config", no_args_is_help=True,
                  help="Where crm keeps its settings and data.")


@app.command(epilog="Examples:\n\n  crm config path\n\n  $EDITOR \"$(crm config path)\"")
def path() -> None:
    """Print the path of the configuration file (it need not exist)."""
    from crmcli.config import config_path

    out().message(str(config_path()))


@app.command(epilog="Examples:\n\n  crm config show\n\n  crm config show --json | jq -r .db")
def show(format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show the settings in force: config file, database and every configured key."""
    config = state().config
    record = {"config": str(config.path), "config_exists": config.path.exists(),
              "db": str(config.db_path), "date_order": config.date_order,
              "currency": config.currency, "phone_region": config.phone_region}
    record.update({key: value for key, value in config.raw.items()
                   if key not in record and key != "phone"})

    def page():
        from crmcli.views.tables import fields

        return fields(record)

    out(format_, as_json, as_csv).page(page, record)


@app.command("set", epilog="Examples:\n\n  crm config set phone.region GB\n\n"
             "  crm config set currency USD")
def set_(key: Annotated[str, typer.Argument(
             help="phone.region, currency, date_order, decimal or timezone.")],
         value: Annotated[str, typer.Argument(help="The new value.")]) -> None:
    """Change a setting in the configuration file (its comments and layout are kept)."""
    from crmcli.config import check_setting, save_setting, setting_in_file

    checked = check_setting(key, value)
    was = setting_in_file(key)
    path = save_setting(key, checked)
    rekeyed = 0
    if key == "phone.region" and Path(state().config.db_path).exists():
        from crmcli import contacts, journal
        from crmcli.db import transaction

        try:  # the file first, so that a bad region in it does not stop the book opening
            db = state().db
            with transaction(db):  # one operation: `crm undo` puts back keys and setting
                rekeyed = contacts.rekey_phones(db, checked)
                journal.record_setting(db, key, was, checked)
        except BaseException:
            save_setting(key, was)  # the book could not follow: the file goes back too
            raise
    info(f"{key} = {checked!r} in {path}")
    if rekeyed:
        info(f"{rekeyed} number(s) written without a country code now match as {checked} "
             "numbers")
