"""``crm deal stages``: list the pipeline's stages; remap or rename those config.toml dropped."""

from typing import Annotated

import typer

from crmcli import stages
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
)
from crmcli.cli.deal_options import pipeline, warn_orphans

stages_app = typer.Typer(name="stages", cls=group_with_default("list"),
                         help="List the stages; remap or rename those config.toml dropped.",
                         epilog="Examples:\n\n  crm deal stages\n\n"
                                "  crm deal stages remap proposal --to negotiation")


@stages_app.command("list", epilog="Examples:\n\n  crm deal stages\n\n"
                    "  crm deal stages --json | jq -r '.[].stage'")
def list_stages(format_: FormatOption = None, as_json: JsonOption = False,
                as_csv: CsvOption = False) -> None:
    """List the stages in order with their probability and how many deals are in each."""
    stage_list = pipeline()
    warn_orphans(stage_list)
    out(format_, as_json, as_csv).records(
        stages.stage_records(state().db, stage_list),
        [("stage", "Stage"), ("probability", "%"), ("closed", "Closed"),
         ("in_config", "In config"), ("deals", "Deals")])

@stages_app.command(epilog="Examples:\n\n  crm deal stages remap proposal --to negotiation\n\n"
                    "  crm deal stages remap demo --to qualified --yes")
def remap(
    old: Annotated[str, typer.Argument(help="The stage to empty (in config.toml or not).")],
    to: Annotated[str, typer.Option("--to", help="The configured open stage to move to.")],
    yes: YesOption = False,
) -> None:
    """Move every deal in a stage to another one, recording each move in its history."""
    db = state().db
    count = stages.stage_counts(db).get(old.strip().lower(), 0)
    if count:
        confirm(f"Move {count} deal(s) from {old} to {to}?", yes)
    moved = stages.remap_stage(db, pipeline(), old, to)
    info(f"moved {moved} deal(s) from {old} to {to}")


@stages_app.command(epilog="Examples:\n\n"
                    "  # after renaming 'proposal' to 'quote' in config.toml:\n"
                    "  crm deal stages rename proposal quote")
def rename(
    old: Annotated[str, typer.Argument(help="The old name, no longer in config.toml.")],
    new: Annotated[str, typer.Argument(help="The new name, as config.toml now has it.")],
    yes: YesOption = False,
) -> None:
    """Rename a stage in deals and their history, after renaming it in config.toml."""
    db = state().db
    confirm(f"Rename stage {old} to {new} in every deal and its history?", yes)
    count = stages.rename_stage(db, pipeline(), old, new)
    info(f"renamed stage {old} to {new}; {count} deal(s) are in it")


