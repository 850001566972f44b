"""Follow-up commands: follow-up, due, done, snooze, followups (list/edit/rm), birthdays, remind."""

import datetime as dt
import sys
from dataclasses import replace
from typing import Annotated

import typer

from crmcli import followups, recurrence
from crmcli.cli.arguments import NonEmpty, RowId
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
from crmcli.dates import When, parse_days, parse_when
from crmcli.errors import ConfigError, InvalidInput, UsageError, row_id, shown

app = typer.Typer()

Ref = Annotated[str, typer.Argument(help="Id, or a name, email or phone matching one contact.")]
FollowUpId = Annotated[int, typer.Argument(help="Follow-up id (see crm due).",
                                            click_type=RowId("follow-up"))]
FollowUpIds = Annotated[list[int], typer.Argument(help="Follow-up ids.",
                                                  click_type=RowId("follow-up"))]
Every = Annotated[str | None, typer.Option(
    "--every", metavar="RULE",
    help="Repeat: 2w, 3d, month, 2 months, year, 1st mon, last fri, weekdays, mon,thu.")]
Within = Annotated[str, typer.Option(help="How far ahead: 7d, 2w, 1m, or a number of days.")]

WHEN_HELP = ("When: today, tomorrow 9:30, fri, 'next mon 14h', +3d, 'in 2 weeks', eow, eom, "
             "2026-12-01, 31/12 (quote it when it has spaces).")
_OFF = ("off", "none", "never")  # --every words for no rule
LIST_COLUMNS = [("id", "ID"), ("due", "Due"), ("contact", "Contact"), ("company", "Company"),
                ("text", "What"), ("every", "Every"), ("deal", "Deal")]


def _when(text: str, now) -> When:
    return parse_when(text, now, state().config.date_order)


def _resolve(db, ref: str):
    """The contact ``ref`` names (crmcli.contacts is not imported for ``crm due``)."""
    from crmcli import contact_refs

    return contact_refs.resolve(db, ref)


def _announce(followup, message: str) -> None:
    """On a terminal, a sentence; piped, just the id (ready for the next command)."""
    out().created(followup.id, message)


@app.command("follow-up", epilog="Examples:\n\n  crm follow-up jose fri 'Send the quote'\n\n"
             "  crm follow-up ana 'tomorrow 9:30' Call about the pilot --deal 4\n\n"
             "  crm follow-up bo 2026-12-01 'Quarterly review' --every '1st mon'\n\n"
             "  crm follow-up kwame +1m Check in --every month --from-done\n\n"
             "  crm follow-up --no-contact mon 'Renew the domain'   # a chore, about nobody")
def follow_up(
    ref: Ref,
    when: Annotated[str | None, typer.Argument(help=WHEN_HELP, show_default=False)] = None,
    text: Annotated[list[str] | None, typer.Argument(help="What to do (the rest of the line).")]
    = None,
    every: Every = None,
    from_done: Annotated[bool, typer.Option(
        "--from-done", help="Count the next occurrence from the day it is done.")] = False,
    deal: Annotated[int | None, typer.Option(help="The deal it is about (an id).",
                                             click_type=RowId("deal"))] = None,
    no_contact: Annotated[bool, typer.Option(
        "--no-contact", help="About nobody in the book: the arguments are WHEN TEXT.")] = False,
) -> None:
    """Add a follow-up for a contact (or, with --no-contact, for nobody) and print its id."""
    db, now = state().db, state().now
    if no_contact:
        if when is None:
            raise UsageError("--no-contact needs WHEN and TEXT: say what to do")
        ref, when, text = None, ref, [when, *(text or [])]
    elif when is None:
        raise UsageError("missing WHEN: crm follow-up REF WHEN [TEXT] (or --no-contact WHEN "
                         "TEXT for a follow-up about nobody)")
    if text is not None and not " ".join(text).strip():
        raise InvalidInput("the follow-up's text is empty: say what to do, or leave it out")
    contact = _resolve(db, ref) if ref is not None else None
    created = create_follow_up(contact.id if contact else None, when, " ".join(text or []),
                               every, from_done, deal)
    repeat = ""
    if created.rule:
        repeat = f", {recurrence.describe(recurrence.parse_rule(created.rule))}"
    who = f" for {contact.name}" if contact else ""
    _announce(created, f"Follow-up {created.id}{who}: {followups.due_text(created, now)}"
              f"{repeat}")


def create_follow_up(contact_id: int | None, when: str, text: str, every: str | None = None,
                     from_done: bool = False, deal: int | None = None):
    """Add a follow-up as typed (``when`` as words); `crm follow-up` and the assistant's tool
    both write through here."""
    now = state().now
    typed = _when(when, now)
    _check_rule(every, typed.has_time, "leave out --every")
    created = followups.create(state().db, contact_id, typed, text, every, from_done, deal)
    if created.rule:
        _say_when_moved(typed, created, now)
    return created


def _check_rule(every: str | None, has_time: bool, otherwise: str) -> None:
    """An empty --every is a mistake (it read as no rule; left out, it is None), and so is a
    time of day for a follow-up that has none (it would be dropped)."""
    if every is None:
        return
    if not every.strip():
        raise InvalidInput(f"the rule is empty: give one (2w, month, 1st mon...), or {otherwise}")
    if not has_time and every.strip().lower() not in _OFF and recurrence.parse_rule(every).at:
        raise InvalidInput(f"--every {shown(every)} names a time of day, but the follow-up "
                           "is for a whole day: give its date a time")


def snooze_follow_up(followup_id: int, when: str):
    """Move a follow-up to ``when`` (words, counting from now)."""
    return followups.snooze(state().db, followup_id, _when(when, state().now))


def _say_when_moved(typed: When, saved, now) -> None:
    """Tell on stderr when a recurring follow-up starts later than typed, on its rule's day."""
    if followups.stored_due(typed)["due"] != saved.due:
        asked = followups.due_text(followups.with_due(saved, typed), now)
        info(f"note: {asked} is not on a day the rule gives; it starts on "
             f"{followups.due_text(saved, now)}")


@app.command(epilog="Examples:\n\n  crm due\n\n  crm due --within 2w\n\n  crm due --overdue\n\n"
             "  crm due --json | jq -r '.[] | select(.section == \"today\") | .contact'")
def due(
    within: Within = "7d",
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only overdue follow-ups and cases.")] = False,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every open follow-up, however far ahead.")] = False,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """The agenda: overdue cases; follow-ups overdue, today, upcoming; people to get back in
    touch with; birthdays."""
    from crmcli import session

    out(format_, as_json, as_csv)
    session.due(state(), None if all_ else within, overdue, view=_agenda_view)


def _agenda_view(agenda, sections: tuple[str, ...]):
    from crmcli.views.followups import agenda_view

    return agenda_view(agenda, sections)


@app.command(epilog="Examples:\n\n  crm done 12\n\n  crm done 12 14 15\n\n"
             "  next=$(crm done 12)   # a recurring follow-up prints the next one's id")
def done(ids: FollowUpIds) -> None:
    """Mark follow-ups done; a recurring one is scheduled again and the new id printed."""
    db, now = state().db, state().now
    for followup_id in ids:
        closed, following = followups.mark_done(db, followup_id, now)
        info(f"done: {closed.id} {closed.body or 'follow up'}")
        if following:
            _announce(following, f"Next: {following.id} on {followups.due_text(following, now)}")


@app.command(epilog="Examples:\n\n  crm snooze 12 tomorrow\n\n  crm snooze 12 +3d\n\n"
             "  crm snooze 12 'mon 9:00'")
def snooze(
    followup_id: FollowUpId,
    when: Annotated[str, typer.Argument(help=WHEN_HELP + " Without an hour, keeps its hour.")],
) -> None:
    """Move a follow-up to another day (counting from now)."""
    moved = snooze_follow_up(followup_id, when)
    info(f"snoozed {moved.id} to {followups.due_text(moved, state().now)}")


# ----------------------------------------------------------------- followups list / edit / rm

manage = typer.Typer(name="followups", cls=group_with_default("list"),
                     help="List, edit and delete follow-ups (without a sub-command: list the "
                     "open ones).",
                     epilog="Examples:\n\n  crm followups\n\n  crm followups --json\n\n"
                     "  crm followups list jose --done\n\n  crm followups edit 12 --when mon"
                     "\n\n  crm followups rm 12")
app.add_typer(manage)


@manage.command("list", epilog="Examples:\n\n  crm followups\n\n  crm followups list jose\n\n"
                "  crm followups list --done --json")
def list_followups(
    ref: Annotated[str | None, typer.Argument(help="Only this contact's follow-ups.")] = None,
    include_done: Annotated[bool, typer.Option("--done", help="Include done ones.")] = False,
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List open follow-ups (soonest first), of everyone or of one contact."""
    db = state().db
    contact_ids = [_resolve(db, ref).id] if ref is not None else None
    zone = state().now.tzinfo
    records = (followups.to_record(item, zone)
               for item in followups.entries(db, contact_ids, include_done))
    columns = [*LIST_COLUMNS, ("done_at", "Done")] if include_done else LIST_COLUMNS
    out(format_, as_json, as_csv).records(records, columns)


@manage.command("edit", epilog="Examples:\n\n  crm followups edit 12 --when 'fri 10:00'\n\n"
                "  crm followups edit 12 --text 'Send the revised quote' --deal 4\n\n"
                "  crm followups edit 12 --every off")
def edit_followup(
    followup_id: FollowUpId,
    when: Annotated[str | None, typer.Option(help=WHEN_HELP)] = None,
    text: Annotated[str | None, typer.Option(
        help="What to do.", click_type=NonEmpty("text", "say what to do"))] = None,
    every: Annotated[str | None, typer.Option(
        metavar="RULE", help="New recurrence rule, or 'off'.")] = None,
    from_done: Annotated[bool | None, typer.Option(
        "--from-done/--fixed", help="Count the next occurrence from when it is done, or keep "
        "a fixed schedule.", show_default=False)] = None,
    deal: Annotated[str | None, typer.Option(
        help="Deal id, or 'none'.", click_type=NonEmpty("deal", "give a deal id, or 'none'"))]
    = None,
) -> None:
    """Change a follow-up's date, text, recurrence or deal."""
    db = state().db
    followup = followups.get(db, followup_id)
    if all(value is None for value in (when, text, every, from_done, deal)):
        raise InvalidInput("nothing to change: give --when, --text, --every, --from-done, "
                           "--fixed or --deal")
    now = state().now
    typed = _when(when, now) if when is not None else None
    if typed is not None:
        followup = followups.with_due(followup, typed)
    if text is not None:
        followup = replace(followup, body=text)
    _check_rule(every, followup.has_time, "'off' to stop repeating")
    if every is not None and every.strip().lower() in _OFF:
        followup = replace(followup, rule=None, from_done=False)
    elif every is not None or typed is not None:
        followup = replace(followup, rule=followups.edited_rule(followup.rule, every,
                                                                 typed is not None))
    if from_done is not None:
        followup = replace(followup, from_done=from_done)
    if deal is not None:
        followup = replace(followup, deal_id=_deal_id(deal))
    anchor_zone = now.tzinfo if when is not None or every is not None else None
    updated = followups.update(db, followup, anchor_zone, typed and typed.moment)
    if updated.due != followup.due:
        info(f"note: it now starts on {followups.due_text(updated, now)}, the first day its "
             "rule gives")
    info(f"updated follow-up {followup_id}")


def _deal_id(text: str) -> int | None:
    value = text.strip()
    if value.lower() in ("none", "off"):
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidInput(f"--deal {shown(text)}: expected a deal id or 'none'")
    return row_id(value, "deal")


@manage.command("rm", epilog="Examples:\n\n  crm followups rm 12\n\n  crm followups rm 12 13 --yes")
def remove_followups(
    ids: FollowUpIds,
    yes: YesOption = False,
) -> None:
    """Delete follow-ups (asks first unless --yes)."""
    db = state().db
    for followup_id in ids:
        item = followups.entry(db, followup_id)
        confirm(f"Delete follow-up {followup_id} ({item.who}: "
                f"{item.followup.body or 'follow up'})?", yes)
        followups.delete(db, followup_id)
        info(f"deleted follow-up {followup_id}")


# ---------------------------------------------------------------------------------- birthdays


@app.command(epilog="Examples:\n\n  crm birthdays\n\n  crm birthdays --within 7d --json")
def birthdays(
    within: Within = "30d",
    format_: FormatOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Birthdays, anniversaries and other important dates coming up (yearless ones too)."""
    from crmcli.occasions import iter_occasions

    today = state().now.date()
    days = parse_days(within)
    found = iter_occasions(state().db, today, today + dt.timedelta(days=days))
    records = ({"date": o.date.isoformat(), "in_days": (o.date - today).days,
                "contact_id": o.contact_id, "contact": o.contact_name, "company": o.company,
                "kind": o.kind, "age": o.age} for o in found)
    if not out(format_, as_json, as_csv).records(
            records, [("date", "Date"), ("in_days", "In days"), ("contact", "Contact"),
                      ("company", "Company"), ("kind", "Kind"), ("age", "Age")]):
        info(f"no birthdays or important dates in the next {days} days")


# ------------------------------------------------------------------------------------- remind


@app.command(epilog="Examples:\n\n  crm remind --dry-run\n\n  crm remind            # by SMTP, "
             "as set in the config file\n\n  crm remind --sendmail --to me@example.com\n\n"
             "  crm remind --stdout   # for cron's MAILTO\n\n"
             "  0 7 * * *  crm remind     # a crontab line (crontab -e); see docs/followups.md")
def remind(
    to_stdout: Annotated[bool, typer.Option(
        "--stdout", help="Print the digest (for cron's MAILTO) instead of sending it.")] = False,
    sendmail: Annotated[bool, typer.Option(
        "--sendmail", help="Pipe it to the sendmail command (\\[remind] sendmail).")] = False,
    smtp: Annotated[bool, typer.Option(
        "--smtp", help="Send it by SMTP (\\[smtp]); the default when a host is set.")] = False,
    to: Annotated[list[str], typer.Option(
        "--to", metavar="ADDRESS", help="Recipient instead of \\[remind] to. Repeatable.")] = [],
    sender: Annotated[str | None, typer.Option(
        "--from", metavar="ADDRESS", help="Sender instead of \\[remind] from.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be sent; send and record nothing.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Send again what was already sent today.")] = False,
    always: Annotated[bool, typer.Option(
        "--always", help="Send an 'all clear' when there is nothing new.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Say what was sent (quiet otherwise, for cron).")] = False,
) -> None:
    """Email a digest of what is overdue, due today, keep-in-touch and birthdays (for cron).

    Silent when nothing is new; each item goes once a day; a failure exits 1, marking nothing.
    """
    from crmcli import digest as digests
    from crmcli import job_changes, mailer, reminders_sent
    from crmcli.agenda import build as build_agenda

    current = state()
    method = _delivery_method(to_stdout, sendmail, smtp, current.config, dry_run)
    settings = mailer.remind_settings(current.config, to, sender)
    if method in ("smtp", "sendmail") and not settings.to:
        raise ConfigError("no recipient: set [remind] to = \"you@example.com\" in "
                          f"{current.config.path}, or pass --to")
    now = current.now
    agenda = build_agenda(current.db, now, current.config, settings.days_ahead)
    sent = set() if force else reminders_sent.sent_on(
        current.db, digests.item_keys(agenda), now.date())
    changes = job_changes.recent(current.db, now)
    digest = digests.digest(agenda, sent, changes if force else job_changes.never_sent(
        current.db, changes), queue=[] if sent else _queue_top(current))
    say = info if verbose or dry_run or sys.stderr.isatty() else (lambda message: None)
    if digest.is_empty and not always:
        say("nothing new to remind about; no message sent")
    elif dry_run:
        sender = mailer.sender_address(settings.sender, settings.to)
        out().message(digests.preview(digest, sender, settings.to), end="")
        how = f"by {method}" if method else "(no delivery configured yet)"
        say(f"dry run: {len(digest.keys)} item(s) would be sent {how}; "
            "nothing was sent or recorded")
    else:
        _deliver(method, digest, settings, current.config)
        reminders_sent.mark(current.db, digest.keys, now.date())
        say(f"sent {len(digest.keys)} item(s) by {method}"
            + (f" to {', '.join(settings.to)}" if method != "stdout" else ""))


def _queue_top(current) -> list:
    """The top of the day's call queue for the first digest of the day (``[next]
    in_reminder`` items): later ones tell only what is new."""
    from crmcli import analytics_settings, stages
    from crmcli.call_queue import call_queue

    settings = analytics_settings.from_config(current.config)
    if not settings.in_reminder:
        return []
    return call_queue(current.db, current.now, settings, stages.load_pipeline(current.config),
                      limit=settings.in_reminder)


def _delivery_method(to_stdout: bool, sendmail: bool, smtp: bool, config, dry_run: bool
                     ) -> str | None:
    """stdout, sendmail or smtp: the one asked for, else SMTP when a host is configured."""
    from crmcli import mailer

    chosen = [name for name, asked in (("stdout", to_stdout), ("sendmail", sendmail),
                                       ("smtp", smtp)) if asked]
    if len(chosen) > 1:
        raise InvalidInput("choose one of --stdout, --sendmail and --smtp")
    configured = mailer.smtp_settings(config) is not None
    if chosen == ["smtp"] and not configured:
        raise ConfigError(f"--smtp: set [smtp] host in {config.path}")
    if chosen or configured:
        return chosen[0] if chosen else "smtp"
    if dry_run:
        return None
    raise ConfigError("no way to deliver the reminder: pass --stdout or --sendmail, or set "
                      f"[smtp] host in {config.path}")


def _deliver(method: str, digest, settings, config) -> None:
    """Print or send the digest; a failure raises before anything is recorded as sent."""
    from crmcli import digest as digests
    from crmcli import mailer

    if method == "stdout":
        out().message(digests.text_body(digest), end="")
        return
    message = mailer.compose(digest, settings.sender, settings.to, settings.message_id_domain)
    if method == "sendmail":
        mailer.send_sendmail(message, settings.sendmail)
        return
    server = mailer.smtp_settings(config)
    password = mailer.smtp_password(server, config.path) if server.user else None
    mailer.send_smtp(message, server, settings.to, password)
