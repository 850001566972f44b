"""``crm health`` and ``crm next``: relationship health and the day's call queue."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from crmcli.cli import selecting
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, out, state

app = typer.Typer()

HEALTH_COLUMNS = [("contact_id", "ID"), ("name", "Name"), ("company", "Company"),
                  ("health", "Health"), ("rhythm_days", "Rhythm (days)"),
                  ("last_contact", "Last contact"), ("days_since_contact", "Days since"),
                  ("value_at_stake", "Value at stake")]
NEXT_COLUMNS = [("rank", "#"), ("score", "Score"), ("contact", "Who"), ("why", "Why"),
                ("command", "Do"), ("value_at_stake", "At stake")]


@contextmanager
def without_collector() -> Iterator[None]:
    """The cyclic garbage collector off while a listing is made: tens of thousands of rows,
    none in a cycle, would make it walk every object of the process several times over (a
    sixth of crm health's time on 10,000 contacts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settings_and_pipeline():
    """This command's analytics settings and pipeline, from the config."""
    from crmcli import analytics_settings, stages

    config = state().config
    return analytics_settings.from_config(config), stages.load_pipeline(config)


def selection(query: list[str] | None) -> list[int] | None:
    """The ids of the contacts the query selects (None: everyone)."""
    from crmcli import analytics

    return analytics.selected_ids(state().db, selecting.condition(selecting.joined(query)))


@app.command(epilog="Examples:\n\n  crm health\n\n  crm health tag:customer\n\n"
             "  crm health --json | jq '.[] | select(.health == \"cold\")'")
def health(query: selecting.QueryWords = None, format_: FormatOption = None,
           as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """Contacts with their relationship health (cold, cooling, steady, warming, new), rhythm,
    last contact and value at stake; cold and cooling first (docs/analytics.md)."""
    from crmcli import analytics

    current = state()
    settings, pipeline = settings_and_pipeline()
    with without_collector():
        out(format_, as_json, as_csv).records(analytics.health_records(
            current.db, current.now, settings, pipeline, selection(query)), HEALTH_COLUMNS)


@app.command("next", epilog="Examples:\n\n  crm next\n\n  crm next --limit 5\n\n"
             "  crm next --all\n\n  crm next tag:vip\n\n  crm next --json | jq -r '.[0].command'")
def next_(query: selecting.QueryWords = None,
          limit: Annotated[int, typer.Option(
              "--limit", "-n", min=1, help="Show at most N items.")] = 20,
          show_all: Annotated[bool, typer.Option(
              "--all", help="Show every item, however many.")] = False,
          format_: FormatOption = None, as_json: JsonOption = False,
          as_csv: CsvOption = False) -> None:
    """The day's call queue: follow-ups, drifting and cooling contacts, customers at risk,
    stale deals and today's occasions, ranked by urgency and value at stake (the top 20
    unless --limit or --all); each line says why and the command that acts on it
    (docs/analytics.md)."""
    from crmcli.call_queue import call_queue, item_record

    current = state()
    settings, pipeline = settings_and_pipeline()
    with without_collector():
        items = call_queue(current.db, current.now, settings, pipeline, selection(query),
                           None if show_all else limit)
    out(format_, as_json, as_csv).records(
        (item_record(item, rank, settings.currency) for rank, item in enumerate(items, 1)),
        NEXT_COLUMNS)
