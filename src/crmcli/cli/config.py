"""``crm config path|show``: where the settings and the database are, and what is in force."""

import typer

from crmcli import output
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, fmt, state

app = typer.Typer(name="config", no_args_is_help=True,
                  help="Where crm keeps its settings and data.")


@app.command(epilog="Examples:\n\n  crm config path\n\n  $EDITOR \"$(crm config path)\"")
def path() -> None:
    """Print the path of the configuration file (it need not exist)."""
    from crmcli.config import config_path

    typer.echo(str(config_path()))


@app.command(epilog="Examples:\n\n  crm config show\n\n  crm config show --json | jq -r .db")
def show(format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Show the settings in force: config file, database and every configured key."""
    config = state().config
    record = {"config": str(config.path), "config_exists": config.path.exists(),
              "db": str(config.db_path), "date_order": config.date_order,
              "currency": config.currency}
    record.update({key: value for key, value in config.raw.items() if key not in record})
    output.render(record, fmt(format_, as_json, as_csv))
