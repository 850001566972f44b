"""The ``crm`` command: global options, sub-command registration, and the one error wrapper."""

import importlib
import os
import shlex
import sys
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, UsageError  # Typer's own click
from typer.core import TyperGroup
from typer.models import TyperInfo

from crmcli import __version__, output, session
from crmcli.cli import common, lazy_groups
from crmcli.cli.arguments import NonEmpty

HELP = """A command-line CRM: contacts and companies, notes and calls, follow-ups and deals,
in one SQLite file you own. Run `crm` alone for today at a glance.

Examples:

  crm add "José Núñez" --email jose@acme.com --company ACME --tag vip

  crm log jose --type call "Agreed on a pilot" && crm follow-up jose fri "Send the quote"

  crm due

  crm list nunez --json | jq '.[].emails'
"""


# Each command's module, imported only when that command runs (or help lists it), so that
# `crm list` does not pay for building every other command. Order is the order of --help.
COMMANDS = {
    "add": "contacts", "list": "contacts", "show": "contacts", "edit": "contact_edit",
    "rm": "contacts", "restore": "contacts", "trash": "contacts", "tag": "contacts",
    "dupes": "contacts", "merge": "contacts", "mutt-query": "contacts",
    "relate": "relations", "unrelate": "relations", "relations": "relations",
    "date": "dates", "gift": "gifts", "gifts": "gifts", "ungift": "gifts",
    "note": "notes", "notes": "notes", "log": "activity", "unlog": "activity",
    "activity": "activity",
    "import": "interchange", "export": "interchange", "import-mail": "mail",
    "log-mail": "mail", "mail": "mail", "company": "companies",
    "import-calendar": "calendar",
    "field": "fields", "segment": "segments", "campaign": "campaigns",
    "deal": "deals", "case": "cases", "pipeline": "pipeline", "forecast": "pipeline",
    "report": "reports", "health": "analytics", "next": "analytics",
    "follow-up": "followups", "due": "followups", "done": "followups", "snooze": "followups",
    "followups": "followups", "birthdays": "followups", "remind": "followups",
    "journal": "journal", "undo": "journal", "forget": "journal", "dump": "journal",
    "load": "journal", "sync": "sync", "mcp": "mcp_server",
    "config": "config", "dashboard": "dashboard", "demo": "demo", "backup": "backup",
}


_HELP_OPTIONS = {"--help", "-h"}


class CrmGroup(TyperGroup):
    """Loads commands lazily and turns every CrmError into one line on stderr and its exit
    code (``--debug`` re-raises); a usage error is one line too, with a hint on a second."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        if _HELP_OPTIONS & set(sys.argv[1:] if not args or args[0] is None else args[0]):
            output.rich_raises_on_closed_pipe()
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except ClickException as exc:
            _usage_error(exc)
        except typer.Abort:
            typer.echo("crm: error: aborted", err=True)
            sys.exit(1)
        sys.exit(code or 0)

    def make_context(self, *args, **kwargs):
        """Help and --version are printed while the context is made, before ``invoke``."""
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            output.pipe_closed()
            raise typer.Exit(0) from None
        except OSError as exc:  # the help written to a full disk
            _fail(*session.failure(exc, lambda: common.state().config.db_path))

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        command = self._load_command(name)
        if command is not None and _completing():
            from crmcli.cli.completion import attach

            attach(command, [name])
        return command

    def _load_command(self, name):
        if name not in COMMANDS:
            return None
        sub_app = importlib.import_module(f"crmcli.cli.{COMMANDS[name]}").app
        if sub_app.info.name == name:  # a group (get_command would add completion options)
            return lazy_groups.group(TyperInfo(sub_app), sub_app)
        for group in sub_app.registered_groups:
            if group.typer_instance.info.name == name:
                return lazy_groups.group(TyperInfo(group.typer_instance), group.typer_instance)
        for info in sub_app.registered_commands:
            if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
                return lazy_groups.command(info, True, sub_app.rich_markup_mode)
        return None

    def parse_args(self, ctx, args):
        remaining = super().parse_args(ctx, args)
        ctx.meta["crm.command"] = [*getattr(ctx, "_protected_args", []), *remaining]
        return remaining

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (| head -1): not an error
            output.pipe_closed()
            raise typer.Exit(0) from None
        except (Exception, KeyboardInterrupt) as exc:
            if type(exc).__module__.startswith("typer"):  # exits, aborts and usage errors
                raise
            _fail(*session.failure(exc, lambda: common.state().config.db_path))


def _completing() -> bool:
    """Whether the shell asks for completions (the completion code is imported only then)."""
    if not os.environ.get("_CRM_COMPLETE"):
        return False
    from crmcli.shell_completion import requested_shell

    return bool(requested_shell())


def _usage_error(exc: ClickException) -> None:
    """``crm: error: MESSAGE`` and, for a usage error, where to read the usage. Click's
    message may span lines (a missing choice lists one per line): it is joined into one; a
    value it quotes whole (a 5,000-character --format) is cut short."""
    typer.echo(session.error_line(" ".join(exc.format_message().split())
                                  or "missing command"), err=True)
    context = getattr(exc, "ctx", None)
    if isinstance(exc, UsageError) and context is not None:
        path = " ".join(["crm", *context.command_path.split()[1:]])
        typer.echo(f"try '{path} --help'", err=True)
    sys.exit(exc.exit_code)


def _fail(message: str, code: int) -> None:
    if common.state().debug:
        raise
    typer.echo(session.error_line(message), err=True)
    raise typer.Exit(code)


app = typer.Typer(
    cls=CrmGroup,
    help=HELP,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        output.Output().message(f"crm {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="CRM_DB", show_envvar=True, metavar="FILE", click_type=NonEmpty("path"),
        help="Database file (default: $XDG_DATA_HOME/crmcli/crm.db).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    no_hooks: Annotated[bool, typer.Option(
        "--no-hooks", help="Run no hook from $XDG_CONFIG_HOME/crmcli/hooks/.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    state = common.reset_state(db, debug)
    state.command = shlex.join(ctx.meta.get("crm.command", []))
    state.no_hooks = no_hooks
    state.on_journal = _watch
    ctx.call_on_close(state.close)
    session.resume_collection()
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        from crmcli.cli.dashboard import dashboard

        ctx.invoke(dashboard)


def _watch(recorder) -> None:
    """Every write transaction runs the hooks that apply (see cli/hooking.py)."""
    from crmcli.cli import hooking

    hooking.watch(recorder)


def main() -> None:
    _zero_columns_unset()
    try:
        app(prog_name="crm")
    finally:
        output.finish()


def _zero_columns_unset() -> None:
    """``COLUMNS=0`` means unset (see ``shutil.get_terminal_size``): the width is the
    terminal's, else 80. Rich took it for a width of nothing, and tables, pages and the help
    printed nothing."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) == 0:
        del os.environ["COLUMNS"]
