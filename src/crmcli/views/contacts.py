"""Rich renderables for the contact page. Contact text goes in as ``Text``, never
markup."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crmcli import money
from crmcli.text import safe
from crmcli.views import data_text
from crmcli.views.activity import history_panel, local_time

if TYPE_CHECKING:  # the company page uses this module's rows without loading a contact's
    from crmcli.analytics import Health
    from crmcli.models import Detail
    from crmcli.profiles import Profile
    from crmcli.relationships import Relation


def _detail_lines(details: list[Detail]) -> Text:
    text = Text()
    for index, detail in enumerate(details):
        if index:
            text.append("\n")
        text.append(safe(detail.value))
        if detail.label:
            text.append(f"  {safe(detail.label)}", style="dim")
    return text


def _fields(rows: list[tuple[str, Text]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        if value.plain:
            grid.add_row(label, value)
    return grid


def contact_page(profile: Profile, decimal: str = ".") -> Group:
    """The page to read before a call: details, open deals, next follow-ups, history."""
    from crmcli.views.cases import cases_panel
    from crmcli.views.deals import deals_panel
    from crmcli.views.followups import followups_panel

    contact, today = profile.contact, profile.now.date()
    heading = Text(safe(contact.name), style="bold")
    if contact.title or contact.company:
        heading.append("  " + safe(" at ".join(filter(None, [contact.title, contact.company]))),
                       style="italic")
    heading.append(f"  #{contact.id}", style="dim")
    details = _fields([
        ("Email", _detail_lines(contact.emails)),
        ("Phone", _detail_lines(contact.phones)),
        ("Address", _detail_lines(contact.addresses)),
        ("Web", _detail_lines(contact.urls)),
        ("Birthday", data_text(contact.birthday or "")),
        ("Anniversary", data_text(contact.anniversary or "")),
        ("Tags", data_text(", ".join(contact.tags), "magenta")),
        *[(handle["service"], data_text(handle["value"])) for handle in profile.handles],
        *_custom_fields(contact.fields),
        ("Last contact", _last_contact(contact.last_contacted_at, today)),
        ("Health", health_line(profile.health, decimal)),
        ("Added", data_text((contact.created_at or "")[:10], "dim")),
        ("Mail", data_text("\n".join(profile.mail), "red")),
    ])
    return Group(Panel(details, title=heading, title_align="left", border_style="cyan"),
                 personal_panel(profile),
                 *([cases_panel(profile.cases, profile.now)] if profile.cases else []),
                 deals_panel(profile.open_deals, today, decimal, "Open deals"),
                 followups_panel(profile.planned, profile.now), history_panel(profile.history))


GIFTS_SHOWN = 3  # latest gifts given, and ideas, on the page


def personal_panel(profile: Profile) -> Panel | Text:
    """What to remember before the call: people, how you met, interests, dates coming up,
    the last gifts and gift ideas."""
    from crmcli.personal import coming_up

    contact, today = profile.contact, profile.now.date()
    referrers = [r for r in profile.relations if r.kind == "referred-by" and r.outgoing]
    people = [r for r in profile.relations if r not in referrers]
    soon = [f"{day:%a %d %b}  {what}" + ("  (today)" if day == today else "")
            for day, what in coming_up(contact, profile.relations, today)]
    ideas = [gift for gift in profile.gifts if gift.given_on is None]
    given = [gift for gift in profile.gifts if gift.given_on is not None]
    rows = _fields([
        ("People", relation_lines(people)),
        ("Referred by", relation_lines(referrers, labels=False)),
        ("How we met", data_text(contact.how_we_met or "")),
        ("Met on", data_text(str(contact.met_on or ""))),
        ("Interests", data_text(", ".join(contact.interests))),
        ("Coming up", data_text("\n".join(soon), "yellow")),
        ("Gifts given", data_text("\n".join(
            f"{gift.given_on}  {gift.description}" for gift in given[:GIFTS_SHOWN]))),
        ("Gift ideas", data_text("\n".join(idea.description for idea in ideas[:GIFTS_SHOWN]))),
    ])
    if not rows.row_count:
        return Text()
    return Panel(rows, title="Personal", title_align="left", border_style="magenta")


def relation_lines(relations: list[Relation], labels: bool = True) -> Text:
    """One line per relationship: the role, the person, their birthday and id when known."""
    text = Text()
    for index, relation in enumerate(relations):
        if index:
            text.append("\n")
        if labels:
            text.append(f"{safe(relation.label)}: ", style="dim")
        text.append(safe(relation.other_name))
        if relation.birthday:
            text.append(f"  born {relation.birthday}", style="dim")
        if relation.other_id:
            text.append(f"  #{relation.other_id}", style="dim")
    return text


def _custom_fields(values: dict) -> list[tuple[str, Text]]:
    """Custom fields as page rows: ``Budget  12000``, a bool as yes or no."""
    def shown(value) -> str:
        return ("yes" if value else "no") if isinstance(value, bool) else str(value)

    return [(name.replace("_", " ").capitalize(), data_text(shown(value)))
            for name, value in values.items()]


HEALTH_STYLES = {"cold": "bold blue", "cooling": "cyan", "steady": "green",
                 "warming": "bold green", "new": "dim"}


def health_line(health: Health | None, decimal: str = ".") -> Text:
    """``cooling: rhythm every 10 days, 20 days since the last contact; 3,650.00 EUR at
    stake``."""
    if health is None:
        return Text("")
    line = Text(health.state, style=HEALTH_STYLES[health.state])
    if health.rhythm.days is not None:
        source = " (cadence)" if health.rhythm.source == "cadence" else ""
        line.append(f": rhythm every {round(health.rhythm.days, 1):g} days{source}")
        if health.days_since is not None:
            line.append(f", {health.days_since:.0f} days since the last contact")
    elif health.days_since is None:
        line.append(": no history yet")
    else:
        line.append(": too few interactions for a rhythm")
    at_stake = [money.display(minor, currency, decimal)
                for currency, minor in health.stake.total.items() if minor]
    if at_stake:
        line.append(f"; {', '.join(at_stake)} at stake")
    return line


def _last_contact(moment: str | None, today: dt.date) -> Text:
    if not moment:
        return Text("never", style="yellow")
    when = local_time(moment)
    days = (today - when.date()).days
    ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return Text(f"{when:%Y-%m-%d} ({ago})", style="yellow" if days > 30 else "")
