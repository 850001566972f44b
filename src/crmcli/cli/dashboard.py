"""``crm dashboard`` (and ``crm`` alone): today at a glance."""

import typer

from crmcli.cli.common import JsonOption, out, state

app = typer.Typer()


@app.command(epilog="Examples:\n\n  crm\n\n  crm | mail -s today me\n\n"
             "  crm dashboard --json | jq .recent_activity")
def dashboard(as_json: JsonOption = False) -> None:
    """Today at a glance (also what `crm` alone shows)."""
    from crmcli import activity, agenda, deals, money, reports, stages

    current = state()
    db, now = current.db, current.now
    pipeline = stages.load_pipeline(current.config)

    def view():
        """Counts and the first few of each list: only the rows shown are read."""
        from crmcli.views.dashboard import Dashboard, dashboard_view
        from crmcli.views.deals import DEALS_SHOWN
        from crmcli.views.followups import AGENDA_SHOWN

        board = Dashboard(
            agenda=agenda.summary(db, now, current.config, 7, AGENDA_SHOWN),
            closing=deals.closing_within(db, now.date(), 7, DEALS_SHOWN),
            closing_count=deals.count_closing(db, now.date(), 7),
            totals=reports.stage_totals(db, pipeline), recent=recent(), today=now.date())
        return dashboard_view(board, money.decimal_mark(current.config))

    def record() -> dict:
        sections = {"agenda": list(agenda.stream_records(db, now, current.config, 7,
                                                         agenda.SECTIONS))}
        closing = deals.closing_within(db, now.date(), 7)
        totals = reports.stage_totals(db, pipeline)
        if closing or any(entry["count"] for entry in totals):
            sections["deals_closing"] = [deals.to_record(d, pipeline) for d in closing]
            sections["pipeline"] = totals
        sections["recent_activity"] = [activity.event_record(e) for e in recent()]
        return sections

    def recent() -> list:
        return activity.timeline(db, activity.TimelineFilter(limit=8))

    out(None, as_json).page(view, record)
