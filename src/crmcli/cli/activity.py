"""Logged interactions, the timeline and the heatmap."""

import datetime as dt
from typing import Annotated

import typer

from crmcli import activity, contact_refs, contact_rules
from crmcli.cli.arguments import RowId, TagName
from crmcli.cli.common import (
    CsvOption,
    FormatOption,
    JsonOption,
    YesOption,
    company_filter,
    confirm,
    info,
    moment_ago,
    out,
    state,
    stdin_text,
)
from crmcli.errors import InvalidInput, shown
from crmcli.models import INTERACTION_KINDS, Interaction

app = typer.Typer()

EVENT_COLUMNS = [("at", "When"), ("type", "Type"), ("contact", "Contact"),
                 ("company", "Company"), ("text", "Text"), ("duration_minutes", "Minutes"),
                 ("outcome", "Outcome"), ("id", "ID")]

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]


@app.command("log", epilog="Examples:\n\n"
             "  crm log ana --type call 'Agreed on a pilot' --duration 20m\n\n"
             "  crm log bo -t meeting --at 'yesterday 15:00' --outcome positive\n\n"
             "  crm log 12 -t email - < reply.txt")
def log(
    ref: Ref,
    text: Annotated[str | None, typer.Argument(help="What happened; - reads stdin.")] = None,
    kind: Annotated[str, typer.Option(
        "--type", "-t", help=f"One of: {', '.join(INTERACTION_KINDS)}.")] = "call",
    at: Annotated[str | None, typer.Option(
        help="When it happened (default now): 'yesterday 15:00', mon, 2026-11-20 9:30.")] = None,
    duration: Annotated[str | None, typer.Option(help="How long: 15m, 1h, 1h30.")] = None,
    outcome: Annotated[str | None, typer.Option(help="How it went, in a word or two.")] = None,
) -> None:
    """Record an interaction (call, email, meeting...); prints its id."""
    contact = contact_refs.resolve(state().db, ref)
    logged = record_interaction(contact.id, kind, stdin_text("the text") if text == "-" else text,
                                at, duration, outcome)
    out().created(logged.id, f"Logged {logged.kind} {logged.id} with {contact.name}")


def record_interaction(contact_id: int, kind: str, text: str | None, at: str | None,
                       duration: str | None, outcome: str | None) -> Interaction:
    """Log an interaction as typed (``at`` and ``duration`` as words); `crm log` and the
    assistant's tool both write through here."""
    from crmcli.dates import parse_when, stamp

    current = state()
    now = current.now
    when = parse_when(at, now, current.config.date_order, past=True) if at is not None else None
    if when and when.moment > now:
        raise InvalidInput(f"--at {shown(at)} is in the future; log what happened, and plan what "
                           "comes next with 'crm follow-up'")
    return activity.log_interaction(current.db, Interaction(
        contact_id=contact_id, kind=kind.lower(), happened_at=stamp(when.moment if when else now),
        body=text or "",
        duration_minutes=activity.parse_duration(duration) if duration is not None else None,
        outcome=outcome))


@app.command(epilog="Examples:\n\n  crm unlog 42\n\n  crm unlog 42 --undo")
def unlog(
    interaction_id: Annotated[int, typer.Argument(help="The interaction's id (crm activity).",
                                                  click_type=RowId("logged interaction"))],
    undo: Annotated[bool, typer.Option("--undo", help="Bring it back from the trash.")] = False,
    yes: YesOption = False,
) -> None:
    """Move a logged interaction to the trash (or back with --undo)."""
    db = state().db
    logged = activity.get_interaction(db, interaction_id, deleted=undo)
    if not undo:
        confirm(f"Delete the {logged.kind} {interaction_id} ({logged.body[:40]!r})?", yes)
    activity.trash_interaction(db, interaction_id, restore=undo)
    info(f"restored {logged.kind} {interaction_id}" if undo else
         f"moved {logged.kind} {interaction_id} to the trash; 'crm unlog {interaction_id} "
         "--undo' brings it back")


@app.command("activity", epilog="Examples:\n\n  crm activity\n\n"
             "  crm activity --contact ana --since '30 days ago'\n\n"
             "  crm activity --type call --since 2026-01-01 --csv > calls.csv\n\n"
             "  crm activity --heatmap")
def activity_command(
    contact: Annotated[str | None, typer.Option(help="Only this contact.")] = None,
    company: Annotated[str | None, typer.Option("--company", "-c", help="Only this company.")]
    = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only contacts with this tag.",
                                                     click_type=TagName())] = None,
    kind: Annotated[list[str], typer.Option(
        "--type", "-t", help="Only these types (note, case, call, email, ...). Repeatable.")]
    = [],
    since: Annotated[str | None, typer.Option(help="From this day on (date language).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this day (date language).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most N entries.")] = 100,
    heatmap: Annotated[bool, typer.Option(
        "--heatmap", help="Interactions per day over the last 52 weeks.")] = False,
    format_: FormatOption = None, as_json: JsonOption = False, as_csv: CsvOption = False,
) -> None:
    """The timeline of notes, interactions and case entries across the book, newest first."""
    shown = out(format_, as_json, as_csv)
    where = _timeline_filter(contact, company, tag, kind, since, until, limit)
    if heatmap:
        _heatmap(shown, where)
        return
    db = state().db
    filtered = any([contact, company, tag, kind, since, until])

    def view():
        from crmcli.views.activity import timeline

        return timeline(activity.timeline(db, where), filtered)

    shown.records(map(activity.event_record, activity.iter_timeline(db, where)), EVENT_COLUMNS,
                  view=view)


def _timeline_filter(contact, company, tag, kinds, since, until, limit):
    db = state().db
    kinds = [kind.lower() for kind in kinds]
    unknown = set(kinds) - {"note", "case", *INTERACTION_KINDS}
    if unknown:
        raise InvalidInput(f"unknown type {shown(sorted(unknown)[0])}; use note, case or one of "
                           f"{', '.join(INTERACTION_KINDS)}")
    company_id = company_filter(db, company)
    bounds = [moment_ago(text) if text is not None else None for text in (since, until)]
    return activity.TimelineFilter(
        contact_id=contact_refs.resolve(db, contact).id if contact is not None else None,
        company_id=company_id, tag=contact_rules.normalize_tag(tag) if tag else None,
        kinds=tuple(kinds), since=bounds[0], until=bounds[1], limit=limit)


def _heatmap(shown, where: activity.TimelineFilter) -> None:
    today = state().today
    first = today - dt.timedelta(days=7 * 52 + today.weekday())
    counts = activity.daily_counts(state().db, first, today, where)
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]

    def view():
        from crmcli.views.activity import heatmap

        return heatmap(counts, first, today)

    shown.records(({"date": day.isoformat(), "interactions": counts.get(day, 0)} for day in days),
                  [("date", "Date"), ("interactions", "Interactions")], view=view)
