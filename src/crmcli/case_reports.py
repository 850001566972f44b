"""``crm report cases``: how service went over a window, in all and by priority and company.

For the window ``[since, now)``:

* *opened*: cases opened in it; *resolved*: cases whose resolution falls in it (a reopened
  case is no longer resolved until it is resolved again);
* *median time to first response*: over the cases opened in the window that had a response
  (a note, a wait or the resolution), from opening to that response;
* *median time to resolution*: over the cases resolved in the window, from opening to
  resolution (wall-clock time, waiting included);
* *overdue now*: cases overdue at ``now``, whenever they were opened.

Medians are the middle value, or the mean of the two middle ones; times are in hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from sqlite3 import Connection
from statistics import median

from crmcli.cases import PRIORITIES, overdue_sql
from crmcli.dates import parse_stamp, stamp

NO_COMPANY = "(no company)"


@dataclass
class Figures:
    """The figures of one group of cases (all of them, a priority, a company)."""

    name: str
    opened: int = 0
    resolved: int = 0
    overdue_now: int = 0
    responses: list[int] = field(default_factory=list)  # seconds to first response
    resolutions: list[int] = field(default_factory=list)  # seconds to resolution

    @property
    def median_first_response_hours(self) -> float | None:
        return _hours(self.responses)

    @property
    def median_resolution_hours(self) -> float | None:
        return _hours(self.resolutions)


def _hours(seconds: list[int]) -> float | None:
    return round(median(seconds) / 3600, 2) if seconds else None


@dataclass
class Report:
    since: dt.datetime
    until: dt.datetime
    total: Figures
    by_priority: list[Figures]
    by_company: list[Figures]


def report(db: Connection, since: dt.datetime, now: dt.datetime) -> Report:
    start, end = stamp(since), stamp(now)
    total = Figures("all")
    priorities = {name: Figures(name) for name in PRIORITIES}
    companies: dict[str, Figures] = {}
    rows = db.execute(
        "SELECT k.priority, co.name, k.opened_at, k.first_response_at, k.resolved_at,"
        f" {overdue_sql(now)} FROM cases k LEFT JOIN contacts c ON c.id = k.contact_id"
        " LEFT JOIN companies co ON co.id = coalesce(k.company_id, c.company_id)"
        " WHERE (k.contact_id IS NULL OR c.deleted_at IS NULL)"
        " AND (k.opened_at >= ? OR k.resolved_at >= ? OR k.status IN ('open', 'waiting'))",
        [start, start])
    for priority, company, opened, responded, resolved, overdue in rows:
        company_figures = companies.setdefault(company or NO_COMPANY,
                                               Figures(company or NO_COMPANY))
        for figures in (total, priorities[priority], company_figures):
            _count(figures, start, end, opened, responded, resolved, bool(overdue))
    shown = [figures for figures in companies.values()
             if figures.opened or figures.resolved or figures.overdue_now]
    shown.sort(key=lambda f: (-f.opened, -f.overdue_now, f.name == NO_COMPANY, f.name))
    return Report(since, now, total, list(priorities.values()), shown)


def _count(figures: Figures, start: str, end: str, opened: str, responded: str | None,
           resolved: str | None, overdue: bool) -> None:
    if start <= opened < end:
        figures.opened += 1
        if responded is not None:
            figures.responses.append(_seconds(opened, responded))
    if resolved is not None and start <= resolved < end:
        figures.resolved += 1
        figures.resolutions.append(_seconds(opened, resolved))
    figures.overdue_now += overdue


def _seconds(first: str, last: str) -> int:
    return int((parse_stamp(last) - parse_stamp(first)).total_seconds())


# ---------------------------------------------------------------------------------- records

COLUMNS = [("group", "Group"), ("name", "Name"), ("opened", "Opened"), ("resolved", "Resolved"),
           ("overdue_now", "Overdue now"),
           ("median_first_response_hours", "Median first response (h)"),
           ("median_resolution_hours", "Median resolution (h)")]


def figures_record(figures: Figures) -> dict:
    return {"name": figures.name, "opened": figures.opened, "resolved": figures.resolved,
            "overdue_now": figures.overdue_now,
            "median_first_response_hours": figures.median_first_response_hours,
            "median_resolution_hours": figures.median_resolution_hours}


def rows(found: Report) -> list[dict]:
    """One row per group (all, each priority, each company), for TSV and CSV."""
    return ([{"group": "all"} | figures_record(found.total)]
            + [{"group": "priority"} | figures_record(f) for f in found.by_priority]
            + [{"group": "company"} | figures_record(f) for f in found.by_company])
