"""Reading a query typed on the command line (see ``crmcli.query``) into SQL for a selection."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import state

QueryWords = Annotated[list[str] | None, typer.Argument(
    help="Words to find, and terms: tag:vip -tag:lost company:acme city:madrid last:>30d "
         "deal:open @segment ... (docs/queries.md). Quote the whole query for OR, ( ) and "
         "quoted values.", show_default=False)]


def joined(words: list[str] | None) -> str:
    """The query as one text: the words given separately, joined by spaces."""
    return " ".join(words or [])


def context():
    """The query context of this command: its moment, currency, decimal mark and stages."""
    from crmcli import money, stages
    from crmcli.query_sql import Context

    current = state()
    config = current.config
    return Context(now=current.now, currency=config.currency,
                   decimal=money.decimal_mark(config), date_order=config.date_order,
                   stages=tuple(s.name for s in stages.load_pipeline(config).stages))


def condition(text: str, saving: tuple[str, str] | None = None) -> tuple[str, list] | None:
    """The SQL condition of the query ``text`` (None: every contact); ``saving`` is a segment
    (name, query) read as if already saved."""
    if not text.strip():
        return None
    from crmcli.query_sql import compile_query

    return compile_query(state().db, text, context(), saving)
