"""``crm pipeline`` (the board) and ``crm forecast``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from crmcli.cli.common import CsvOption, FormatOption, JsonOption, out, state
from crmcli.cli.deal_options import (
    CompanyOption,
    Tags,
    Within,
    decimal,
    filters,
    pipeline,
    records,
    warn_orphans,
)

app = typer.Typer()

BOARD_CARDS = 8  # cards per stage on the terminal board
TOTALS_COLUMNS = [("stage", "Stage"), ("probability", "%"), ("count", "Deals"),
                  ("totals", "Total"), ("weighted_totals", "Weighted")]


class Period(StrEnum):
    month = "month"
    quarter = "quarter"


@app.command("pipeline", epilog="Examples:\n\n  crm pipeline\n\n"
             "  crm pipeline --tag vip --closing-within 30d"
             "\n\n  crm pipeline --json | jq '.[] | {stage, weighted_totals}'")
def pipeline_command(
    tag: Tags = [],
    company: CompanyOption = None,
    closing_within: Within = None,
    cards: Annotated[int, typer.Option(min=1, help="Deals shown per stage on a page.")]
    = BOARD_CARDS,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """The board: a column per open stage with its deals, count, total and weighted total."""
    from crmcli import reports

    current = state()
    stage_list = pipeline()
    where = filters(stage_list, tag, company, closing_within)
    warn_orphans(stage_list)

    def page():
        from crmcli.views.deals import PipelineBoard

        return PipelineBoard(reports.board(current.db, stage_list, where, cards),
                             current.today, decimal())

    out(format_, as_json, as_csv).page(
        page,
        lambda: board_records(stage_list, where),
        columns=TOTALS_COLUMNS,
        rows=lambda: reports.stage_totals(current.db, stage_list, where))


def board_records(stage_list, where) -> list[dict]:
    """The board as `crm pipeline --json` prints it: each stage's totals and its deals."""
    from crmcli import reports

    return [totals | {"deals": list(records(found, stage_list))}
            for totals, found in reports.board(state().db, stage_list, where)]


@app.command(epilog="Examples:\n\n  crm forecast\n\n  crm forecast --by quarter --json")
def forecast(
    by: Annotated[Period, typer.Option(help="Group by expected close month or quarter.")]
    = Period.month,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Weighted and best-case value of open deals by expected close period, per currency."""
    from crmcli import reports

    stage_list = pipeline()
    warn_orphans(stage_list)
    rows = reports.forecast(state().db, stage_list, state().today, by.value)

    def view():
        from crmcli.views.deals import forecast_chart

        return forecast_chart(rows, decimal())

    out(format_, as_json, as_csv).records(
        rows, [("period", "Period"), ("currency", "Currency"), ("count", "Deals"),
               ("weighted", "Weighted"), ("best_case", "Best case")], view=view)
