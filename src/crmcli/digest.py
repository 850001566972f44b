"""The reminder digest of ``crm remind``: what to tell, as plain text and as HTML tables.

It lists overdue service cases, follow-ups overdue and due today, contacts to get back in touch
with, and birthdays and anniversaries in the next ``days_ahead`` days; follow-ups coming up in
those days are added for context but never trigger a message on their own. Every item has a
key (its kind, id and date) so that what was sent today is not sent again (see
:mod:`crmcli.reminders_sent`). Delivery is :mod:`crmcli.mailer`'s business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from crmcli.agenda import Agenda, KeepInTouch, touch_detail, when_text
from crmcli.call_queue import QueueItem
from crmcli.cases import Case
from crmcli.dates import humanize, parse_stamp, short_date
from crmcli.followups import Entry
from crmcli.job_changes import JobChange
from crmcli.occasions import Occasion, occasion_text
from crmcli.text import safe


@dataclass
class Digest:
    """What one reminder tells; ``keys`` are the items to record as sent."""

    agenda: Agenda
    overdue: list[Entry] = field(default_factory=list)
    today: list[Entry] = field(default_factory=list)
    keep_in_touch: list[KeepInTouch] = field(default_factory=list)
    birthdays: list[Occasion] = field(default_factory=list)
    upcoming: list[Entry] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    job_changes: list[JobChange] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    queue: list[QueueItem] = field(default_factory=list)  # the top of crm next, for context

    @property
    def is_empty(self) -> bool:
        return not self.keys

    @cached_property
    def sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """Each non-empty section's title and rows of (when, who, what)."""
        return _sections(self)


def item_keys(agenda: Agenda) -> list[str]:
    """The keys of every item of ``agenda`` that can trigger a reminder."""
    return [_key(item) for item in _triggers(agenda)]


def _triggers(agenda: Agenda) -> list:
    return [*agenda.cases, *agenda.overdue, *agenda.today, *agenda.keep_in_touch,
            *agenda.birthdays]


def _key(item: Entry | KeepInTouch | Occasion | Case) -> str:
    if isinstance(item, Case):
        return f"case:{item.id}:{item.due_at}"
    if isinstance(item, Entry):
        return f"followup:{item.followup.id}:{item.followup.due}"
    if isinstance(item, KeepInTouch):
        return f"touch:{item.contact_id}:{item.last_contact}"
    return f"{item.kind}:{item.contact_id}:{item.date.isoformat()}"


def digest(agenda: Agenda, sent: set[str], job_changes: list[JobChange] = (),
           queue: list[QueueItem] | None = None) -> Digest:
    """The items of ``agenda`` not in ``sent``; upcoming follow-ups and the top of the call
    queue come along for context (they never trigger a message on their own);
    ``job_changes`` (those not told yet) are told too."""
    def fresh(items: list) -> list:
        return [item for item in items if _key(item) not in sent]

    result = Digest(agenda, fresh(agenda.overdue), fresh(agenda.today),
                    fresh(agenda.keep_in_touch), fresh(agenda.birthdays), agenda.upcoming,
                    fresh(agenda.cases), list(job_changes), queue=list(queue or []))
    result.keys = [_key(item) for item in _triggers(result)]
    result.keys += [change.key for change in result.job_changes]
    return result


def subject(result: Digest) -> str:
    """``crm: 2 overdue, 1 today, 1 to get back in touch, 1 birthday``, or ``crm: all clear``."""
    counts = [(len(result.cases), "overdue case", "overdue cases"),
              (len(result.overdue), "overdue", "overdue"), (len(result.today), "today", "today"),
              (len(result.keep_in_touch), "to get back in touch", "to get back in touch"),
              (len(result.birthdays), "birthday or anniversary", "birthdays and anniversaries"),
              (len(result.job_changes), "job change", "job changes")]
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    return f"crm: {', '.join(parts) or 'all clear'} ({short_date(result.agenda.now.date())})"


def _sections(result: Digest) -> list[tuple[str, list[tuple[str, str, str]]]]:
    now = result.agenda.now

    def who(name: str, company: str | None) -> str:
        return f"{name} ({company})" if company else name

    def follow_up_rows(items: list[Entry]) -> list[tuple[str, str, str]]:
        return [(when_text(i, now), who(i.who, i.company),
                 (i.followup.body or "follow up") + (f" [deal: {i.deal_title}]"
                                                     if i.deal_title else "")
                 + f" (crm done {i.followup.id})")
                for i in items]

    days = result.agenda.within_days
    sections = [
        ("Call first", [(f"#{rank}", item.contact or "", f"{'; '.join(item.reasons)}"
                         f" ({item.command})")
                        for rank, item in enumerate(result.queue, 1)]),
        ("Overdue cases", [(humanize(parse_stamp(c.due_at), True, now),
                            who(c.contact, c.company) if c.contact else c.company or "",
                            f"{c.title} (crm case show {c.id})") for c in result.cases]),
        ("Overdue", follow_up_rows(result.overdue)),
        ("Today", follow_up_rows(result.today)),
        ("Get back in touch", [(_day_text(t.due_on(now.tzinfo), now),
                                who(t.contact_name, t.company), touch_detail(t, now))
                               for t in result.keep_in_touch]),
        ("Birthdays and anniversaries", [
            (_day_text(o.date, now), who(o.contact_name, o.company), occasion_text(o))
            for o in result.birthdays]),
        ("Job changes", [(_day_text(parse_stamp(c.at).astimezone(now.tzinfo).date(), now),
                          c.contact_name, c.text) for c in result.job_changes]),
        (f"Coming up in the next {days} days", follow_up_rows(result.upcoming)),
    ]
    return [(title, [tuple(safe(cell) for cell in row) for row in rows])
            for title, rows in sections if rows]


def _day_text(day: dt.date, now: dt.datetime) -> str:
    return humanize(dt.datetime.combine(day, dt.time(), tzinfo=now.tzinfo), False, now)


def _heading(result: Digest) -> str:
    text = subject(result).removeprefix("crm: ")
    return text[:1].upper() + text[1:]


def text_body(result: Digest) -> str:
    """The plain-text digest."""
    lines = [_heading(result), ""]
    if not result.keys:
        lines += ["Nothing new to remind you about.", ""]
    for title, rows in result.sections:
        lines += [f"{title} ({len(rows)})", "-" * (len(title) + len(str(len(rows))) + 3)]
        width = max(len(when) for when, _, _ in rows)
        lines += [f"  {when:<{width}}  {who}: {what}" for when, who, what in rows]
        lines.append("")
    lines.append("-- \ncrm remind; `crm due` shows the whole agenda, `crm done ID` marks a "
                 "follow-up done.")
    return "\n".join(lines) + "\n"


def html_body(result: Digest) -> str:
    """The same digest as HTML tables."""
    from html import escape

    parts = [f"<h2>{escape(_heading(result))}</h2>"]
    if not result.keys:
        parts.append("<p>Nothing new to remind you about.</p>")
    for title, rows in result.sections:
        parts.append(f"<h3>{escape(title)} ({len(rows)})</h3>")
        parts.append('<table cellpadding="4" style="border-collapse:collapse">'
                     "<tr><th align=left>When</th><th align=left>Who</th>"
                     "<th align=left>What</th></tr>")
        parts += [f"<tr><td>{escape(when)}</td><td>{escape(who)}</td><td>{escape(what)}</td>"
                  "</tr>" for when, who, what in rows]
        parts.append("</table>")
    parts.append("<p style=\"color:#888\">crm remind; <code>crm due</code> shows the whole "
                 "agenda, <code>crm done ID</code> marks a follow-up done.</p>")
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            + "\n".join(parts) + "</body></html>\n")


def preview(result: Digest, sender: str, to: list[str]) -> str:
    """What would be sent: the headers that matter and the plain text."""
    return (f"To: {', '.join(to) or '(none)'}\nFrom: {sender}\n"
            f"Subject: {subject(result)}\n\n{text_body(result)}")
