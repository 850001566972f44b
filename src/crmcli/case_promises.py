"""The promise of a case: how long the ``[cases] respond_within`` setting gives to answer,
by priority, and the moment a length after now lands on."""

from __future__ import annotations

import datetime as dt

from crmcli.cases import PRIORITIES
from crmcli.errors import ConfigError, InvalidInput


def promise_lengths(table: object, where: str = "config.toml") -> dict[str, str]:
    """``[cases] respond_within``: one length for every priority (``"2d"``) or a table by
    priority (``urgent = "4h"``); the priorities it gives, each checked."""
    if table is None:
        return {}
    if isinstance(table, str):
        table = dict.fromkeys(PRIORITIES, table)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [cases] respond_within must be a length such as \"2d\" or "
                          "a table by priority (urgent = \"4h\")")
    from crmcli.dates import parse_length

    for priority, length in table.items():
        if priority not in PRIORITIES:
            raise ConfigError(f"{where}: cases.respond_within.{priority} is not a priority; "
                              f"the priorities are {', '.join(PRIORITIES)}")
        try:
            parse_length(str(length))
        except InvalidInput as exc:
            raise ConfigError(f"{where}: cases.respond_within.{priority}: {exc}") from None
    return {priority: str(length) for priority, length in table.items()}


def due_after(now: dt.datetime, length: str) -> dt.datetime:
    """The promise ``length`` after ``now``: hours and minutes count exactly; days, weeks and
    months land at the end of that local day (``2d`` on Monday 10:00 is Wednesday 23:59:59)."""
    from crmcli.dates import parse_length

    step = parse_length(length)
    if step.hours or step.minutes:
        return now + step
    return end_of_day((now + step).date(), now.tzinfo)


def end_of_day(day: dt.date, zone: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59)).replace(tzinfo=zone)
