"""``crm dashboard`` (and ``crm`` alone): today at a glance."""

import typer

from crmcli.cli.common import JsonOption, out, state

app = typer.Typer()


@app.command(epilog="Examples:\n\n  crm\n\n  crm | mail -s today me\n\n"
             "  crm dashboard --json | jq .recent_activity")
def dashboard(as_json: JsonOption = False) -> None:
    """Today at a glance (also what `crm` alone shows)."""
    from crmcli import activity, agenda, deals, money, reports, stages
    from crmcli.views.dashboard import Dashboard, dashboard_view

    current = state()
    db, now = current.db, current.now
    pipeline = stages.load_pipeline(current.config)
    board = Dashboard(
        agenda=agenda.build(db, now, current.config, within_days=7),
        closing=deals.closing_within(db, now.date(), 7),
        totals=reports.stage_totals(db, pipeline),
        recent=activity.timeline(db, activity.TimelineFilter(limit=8)), today=now.date())

    def record() -> dict:
        sections = {"agenda": list(agenda.records(board.agenda))}
        if board.has_deals:
            sections["deals_closing"] = [deals.to_record(d, pipeline) for d in board.closing]
            sections["pipeline"] = board.totals
        sections["recent_activity"] = [activity.event_record(e) for e in board.recent]
        return sections

    out(None, as_json).page(lambda: dashboard_view(board, money.decimal_mark(current.config)),
                            record)
