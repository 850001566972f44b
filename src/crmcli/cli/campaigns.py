"""Campaign commands: campaign new, refresh, preview, send, status, list."""

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from crmcli import campaigns, contact_refs, contacts
from crmcli.cli import selecting
from crmcli.cli.arguments import NonEmpty
from crmcli.cli.common import CsvOption, FormatOption, JsonOption, info, out, state, stdin_text
from crmcli.errors import InvalidInput, capped, shown

app = typer.Typer(name="campaign", no_args_is_help=True,
                  help="Personal mail to the contacts a query selects, each address once.")

Name = Annotated[str, typer.Argument(help="Campaign name: letters, digits, '-', '_', '.'.")]
RECIPIENT_COLUMNS = [("address", "Address"), ("name", "Name"), ("state", "State"),
                     ("reason", "Reason")]
_RATE_UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600}


def _members(query: str) -> list[int]:
    return contacts.search_ids(state().db, condition=selecting.condition(query))


def _read_template(path: Path) -> str:
    if str(path) == "-":
        return stdin_text("the template")
    if path.stat().st_size > campaigns.MAX_TEMPLATE * 4:
        raise InvalidInput(f"{path}: too large for a template")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None


@app.command(epilog="Examples:\n\n  crm campaign new spring --to '@customers' --template "
             "spring.md\n\n  crm campaign new fair --to 'tag:lead city:lisboa' --template "
             "fair.md")
def new(name: Name,
        to: Annotated[str, typer.Option("--to", help="The query (or @segment) of the "
                                        "recipients.", click_type=NonEmpty("recipients' query"))],
        template: Annotated[Path, typer.Option(
            "--template", exists=True, dir_okay=False, allow_dash=True,
            help="Header lines (Subject:, From:, Reply-To:), a blank line, a Markdown body; "
                 "Jinja2 {{ first_name }}... (- reads stdin).")]) -> None:
    """Make a campaign: its recipients are the contacts the query selects now."""
    from crmcli import campaign_mail

    text = _read_template(template)
    campaign_mail.check_template(text)
    members = _members(to)
    campaign = campaigns.create(state().db, name, to, text, members)
    tally = campaigns.counts(state().db, campaign)
    if not members:
        info(f"campaign {campaign.name}: no contact matches {shown(to)}; nothing will be sent")
    info(f"campaign {campaign.name}: {sum(tally.values())} recipient(s), "
         f"{tally['skipped']} skipped")
    out().created(campaign.id, f"Created campaign {campaign.name} (#{campaign.id})")


@app.command(epilog="Examples:\n\n  crm campaign refresh spring")
def refresh(name: Name) -> None:
    """Add the contacts who match the campaign's query now and are not yet recipients."""
    campaign = campaigns.get(state().db, name)
    added = campaigns.refresh(state().db, campaign, _members(campaign.query))
    info(f"campaign {campaign.name}: {added} new recipient(s)")


@app.command(epilog="Examples:\n\n  crm campaign preview spring\n\n"
             "  crm campaign preview spring --contact ana")
def preview(name: Name,
            contact: Annotated[str | None, typer.Option(
                "--contact", help="The recipient to render for (default: the first).")] = None
            ) -> None:
    """Show one message as it would be sent (headers, text and HTML)."""
    from crmcli import campaign_mail

    current = state()
    campaign = campaigns.get(current.db, name)
    chosen = campaigns.recipients(current.db, campaign)
    if contact is not None:
        wanted = contact_refs.resolve(current.db, contact).id
        chosen = [r for r in chosen if r.contact_id == wanted]
        if not chosen:
            raise InvalidInput(f"{shown(contact)} is not a recipient of campaign {campaign.name}")
    if not chosen:
        info(f"campaign {campaign.name} has no recipients")
        return
    [(_, message)] = campaign_mail.render_all(
        current.db, campaign, chosen[:1], campaign_mail.settings(current.config), current.now)
    out().message(message.as_string(), end="")


@app.command(epilog="Examples:\n\n  crm campaign send spring --dry-run\n\n"
             "  crm campaign send spring --rate 30/min\n\n"
             "  crm campaign send spring --limit 50   # the next 50; run again for more")
def send(name: Name,
         dry_run: Annotated[bool, typer.Option(
             "--dry-run", help="Render every message and list the recipients; send nothing.")]
         = False,
         rate: Annotated[str | None, typer.Option(
             help="At most this many messages per time: 30/min, 1/s, 500/h.")] = None,
         limit: Annotated[int | None, typer.Option(min=1, help="Send at most N messages.")]
         = None,
         retry_unknown: Annotated[bool, typer.Option(
             "--retry-unknown", help="Send again to recipients whose last message was in "
             "flight when a run stopped (they may get it twice).")] = False,
         format_: FormatOption = None, as_json: JsonOption = False,
         as_csv: CsvOption = False) -> None:
    """Send the campaign to every pending recipient; run again to finish an interrupted run."""
    from crmcli import campaign_mail
    from crmcli.dates import stamp

    current = state()
    current.source = "campaign"
    campaign = campaigns.get(current.db, name)
    interval = _interval(rate) if rate else 0.0
    chosen = campaigns.to_send(current.db, campaign, retry_unknown)[:limit]
    messages = campaign_mail.render_all(current.db, campaign, chosen,
                                        campaign_mail.settings(current.config), current.now)
    if dry_run or not messages:
        out(format_, as_json, as_csv).records(
            (campaigns.recipient_record(r) for r, _ in messages), RECIPIENT_COLUMNS)
        info(f"campaign {campaign.name}: {len(messages)} message(s) "
             f"{'would be sent' if dry_run else 'to send; nothing was sent'}")
        return
    transport = campaign_mail.Transport(current.config)
    try:
        with _progress(len(messages)) as progress:
            outcome = campaign_mail.send(current.db, campaign, messages, transport,
                                         stamp(current.now), _pauser(interval), progress)
    finally:
        transport.close()
    for problem in outcome.problems:
        info(f"crm: warning: {problem}")
    info(f"campaign {campaign.name}: {outcome.sent} sent, {outcome.deferred} deferred, "
         f"{outcome.failed} failed")
    if outcome.stopped:
        raise campaign_mail.DeliveryLost(f"{outcome.stopped}; the message in flight is "
                                         "marked unknown; run again to send the rest")


def _interval(rate: str) -> float:
    count, _, unit = rate.strip().partition("/")
    seconds = _RATE_UNITS.get(unit.strip().lower())
    count = count.strip()
    # capped: int() fails on thousands of digits; a billion a second is no wait already
    number = capped(count, 10**9) if count.isascii() and count.isdecimal() else 0
    if not number or seconds is None:
        raise InvalidInput(f"--rate {rate[:30]!r}: expected a number per s, min or h: 30/min")
    return seconds / number


def _pauser(interval: float):
    import time

    return (lambda: time.sleep(interval)) if interval else (lambda: None)


def _progress(total: int):
    """A progress bar on a terminal's stderr; nothing otherwise."""
    import sys

    if not sys.stderr.isatty():
        return contextlib.nullcontext(lambda done: None)
    return _bar(total)


@contextlib.contextmanager
def _bar(total: int):
    from rich.progress import Progress

    from crmcli.output import console

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("sending", total=total)
        yield lambda done: bar.update(task, completed=done)


@app.command(epilog="Examples:\n\n  crm campaign status spring\n\n"
             "  crm campaign status spring --json | jq '.[] | select(.state == \"failed\")'")
def status(name: Name, format_: FormatOption = None, as_json: JsonOption = False,
           as_csv: CsvOption = False) -> None:
    """Every recipient and what became of them: pending, sent, unknown, failed, skipped."""
    campaign = campaigns.get(state().db, name)
    found = campaigns.recipients(state().db, campaign)
    out(format_, as_json, as_csv).records(map(campaigns.recipient_record, found),
                                          RECIPIENT_COLUMNS)
    tally = {each: sum(r.state == each for r in found) for each in campaigns.STATES}
    info(f"campaign {campaign.name}: " + ", ".join(f"{n} {s}" for s, n in tally.items()))


@app.command("list", epilog="Examples:\n\n  crm campaign list")
def list_campaigns(format_: FormatOption = None, as_json: JsonOption = False,
                   as_csv: CsvOption = False) -> None:
    """The campaigns, each with how many recipients are in each state."""
    db = state().db
    rows = (campaigns.to_record(c, campaigns.counts(db, c)) for c in campaigns.all_campaigns(db))
    out(format_, as_json, as_csv).records(rows, [
        ("name", "Name"), ("query", "Query"), *((s, s.capitalize()) for s in campaigns.STATES)])
