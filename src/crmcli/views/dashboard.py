"""The dashboard (``crm`` alone): the agenda, deals closing soon, the pipeline, latest activity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.console import Group
from rich.panel import Panel

from crmcli.activity import Event
from crmcli.agenda import Agenda
from crmcli.models import Deal
from crmcli.views.activity import history_panel
from crmcli.views.deals import DEALS_SHOWN, deals_panel, first_deals_title, pipeline_summary
from crmcli.views.followups import agenda_panel


@dataclass
class Dashboard:
    agenda: Agenda  # a summary: counts and the first few items
    closing: list[Deal]  # the first DEALS_SHOWN
    closing_count: int
    totals: list[dict]
    recent: list[Event]
    today: dt.date

    @property
    def has_deals(self) -> bool:
        return bool(self.closing) or any(entry["count"] for entry in self.totals)


def dashboard_view(board: Dashboard, decimal: str = ".") -> Group:
    parts = [agenda_panel(board.agenda)]
    if board.has_deals:
        parts += [deals_panel(board.closing[:DEALS_SHOWN], board.today, decimal,
                              first_deals_title("Deals closing this week, and overdue",
                                                board.closing_count)),
                  Panel(pipeline_summary(board.totals, decimal), title="Pipeline",
                        title_align="left", border_style="blue", subtitle="crm pipeline",
                        subtitle_align="right")]
    parts.append(history_panel(board.recent, "Latest activity", with_contact=True))
    return Group(*parts)
