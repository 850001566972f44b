"""Campaign messages: the template, rendered for each contact, and the sending of a campaign.

A template is RFC 822-style header lines (``Subject:``, optional ``From:`` and
``Reply-To:``), a blank line, then a Markdown body. Jinja2 renders it in a sandbox with strict
undefined variables. What comes from a contact is data, never markup: in the HTML part every
value is escaped for Markdown before the Markdown is rendered (raw HTML disabled), so a name
like ``<b>x</b>`` or ``[a](http://evil)`` shows as typed; a header value holding a line break
is refused. Every message is rendered before the first one is sent, so a template error or a
bad contact stops the campaign before anything leaves.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from sqlite3 import Connection
from typing import TYPE_CHECKING, Any

from crmcli import campaigns, contacts, mailer, template_sandbox
from crmcli.db import transaction
from crmcli.errors import ConfigError, CrmError, InvalidInput
from crmcli.text import safe

if TYPE_CHECKING:
    import datetime as dt
    from email.message import EmailMessage

    from crmcli.config import Config

HEADERS = {"subject": "Subject", "from": "From", "reply-to": "Reply-To"}
TEXT_KEYS = ("from", "reply_to", "unsubscribe", "message_id_domain")
CAMPAIGN_KEYS = (*TEXT_KEYS, "counts_as_contact")  # the last is read by config.campaign_mail_counts
_HEADER = re.compile(r"([A-Za-z-]+):[ \t]*(.*)")
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


class TemplateError(InvalidInput):
    """A template that cannot make a valid message, for a contact or for all."""


@dataclass(frozen=True)
class Template:
    headers: dict[str, tuple[str, int]]  # header name -> (Jinja text, line in the file)
    body: str
    body_line: int


@dataclass(frozen=True)
class Settings:
    sender: str | None
    reply_to: str | None = None
    unsubscribe: str | None = None  # a mailto: URL for List-Unsubscribe
    message_id_domain: str | None = None


@dataclass
class Outcome:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    stopped: str | None = None  # why the run ended early (the server went away...)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- template


def read_template(text: str) -> Template:
    """Split the template into its header lines and its body; check the headers."""
    lines = text.splitlines()
    headers: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if "subject" not in headers:
                raise TemplateError(f"template line {number}: a Subject: line must come "
                                    "before the blank line")
            _compile(headers["subject"][0], headers["subject"][1])  # syntax, early
            return Template(headers, "\n".join(lines[number:]), number + 1)
        match = _HEADER.fullmatch(line)
        if not match or match[1].lower() not in HEADERS:
            raise TemplateError(
                f"template line {number}: expected a header line (Subject:, From: or "
                f"Reply-To:), then a blank line and the body; got {line[:60]!r}")
        headers[match[1].lower()] = (match[2], number)
    raise TemplateError("template: no blank line after the header lines (Subject: ..., "
                        "a blank line, then the body)")


def check_template(text: str) -> Template:
    """Read the template and compile every part of it (a syntax error names its line)."""
    template = read_template(text)
    for value, line in template.headers.values():
        _compile(value, line)
    _compile(template.body, template.body_line)
    return template


def _environment(markdown: bool):
    from jinja2 import StrictUndefined

    def finalize(value: Any) -> str:
        text = "" if value is None else safe(str(value))
        return escape_markdown(text) if markdown else text
    return template_sandbox.environment_class()(
        undefined=StrictUndefined, autoescape=False, finalize=finalize,
        keep_trailing_newline=True)


def _compile(source: str, first_line: int, markdown: bool = False):
    from jinja2 import TemplateSyntaxError

    try:
        return _environment(markdown).from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template line {first_line + (exc.lineno or 1) - 1}: "
                            f"{exc.message}") from None


def escape_markdown(text: str) -> str:
    """Every ASCII punctuation mark backslash-escaped (CommonMark reads it as itself), line
    breaks as spaces: a value is one run of plain text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


# ---------------------------------------------------------------------------------- messages


def contact_variables(db: Connection, contact_ids: list[int]) -> dict[int, dict]:
    """What a template sees of each contact."""
    deals = campaigns.open_deals(db, contact_ids)
    found = {}
    for contact in contacts.load_many(db, contact_ids):
        first, _, last = contact.name.partition(" ")
        variables = {**contact.fields, "first_name": first, "last_name": last,
                     "name": contact.name, "company": contact.company, "title": contact.title,
                     "fields": contact.fields,
                     "last_contact": (contact.last_contacted_at or "")[:10] or None,
                     "open_deals": deals.get(contact.id, [])}
        found[contact.id] = variables
    return found


def render_all(db: Connection, campaign: campaigns.Campaign, chosen: list[campaigns.Recipient],
               settings: Settings, now: dt.datetime) -> list[tuple[campaigns.Recipient,
                                                                   EmailMessage]]:
    """Every message, or the first error naming the template line and the contact."""
    template = check_template(campaign.template)
    compiled = {name: (_compile(value, line), line)
                for name, (value, line) in template.headers.items()}
    text_body = _compile(template.body, template.body_line)
    html_body = _compile(template.body, template.body_line, markdown=True)
    variables = contact_variables(db, sorted({r.contact_id for r in chosen}))
    messages = []
    for recipient in chosen:
        values = {**variables[recipient.contact_id], "email": recipient.address}
        who = f"contact {recipient.contact_id} ({safe(recipient.contact_name)})"
        headers = {name: _render(part, line, values, who) for name, (part, line)
                   in compiled.items()}
        for name, value in headers.items():
            if "\n" in value or "\r" in value:
                raise TemplateError(f"template line {compiled[name][1]}: the {HEADERS[name]} "
                                    f"of {who} would hold a line break")
        text = _render(text_body, template.body_line, values, who)
        html = _markdown(_render(html_body, template.body_line, values, who))
        messages.append((recipient, _message(campaign, recipient, headers, text, html,
                                             settings, now, who)))
    return messages


def _render(template, first_line: int, values: dict, who: str) -> str:
    from jinja2 import TemplateError as JinjaError

    try:
        return template.environment.render_bounded(template, values)
    except (JinjaError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        line = first_line + _template_line(exc) - 1
        raise TemplateError(f"template line {line}: {exc} (for {who})") from None


def _template_line(exc: BaseException) -> int:
    """The line of the template where rendering failed (Jinja2 marks its frames)."""
    line, trace = 1, exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _markdown(source: str) -> str:
    return f'<!DOCTYPE html>\n<html><body>\n{_renderer().render(source)}</body></html>\n'


@functools.cache
def _renderer():
    """One CommonMark renderer, raw HTML off, for every message of a send."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def message_id(campaign: campaigns.Campaign, address: str, domain: str) -> str:
    """The same for the same campaign and address: a copy sent again after an unknown
    outcome is recognisable, and the Sent folder imported later is matched."""
    digest = hashlib.sha256(f"{campaign.uid}\n{address}".encode()).hexdigest()[:24]
    return f"<crm-campaign.{campaign.name}.{digest}@{domain}>"


def _message(campaign, recipient, headers: dict[str, str], text: str, html: str,
             settings: Settings, now, who: str) -> EmailMessage:
    from email.message import EmailMessage
    from email.utils import format_datetime, formataddr, parseaddr

    sender = headers.get("from") or settings.sender
    if not sender or "@" not in parseaddr(sender)[1]:
        raise TemplateError("no sender: give the template a From: line or set [campaigns] "
                            "from in the config file")
    message = EmailMessage()
    try:
        message["Subject"] = headers["subject"]
        message["From"] = sender
        message["To"] = formataddr((" ".join(safe(recipient.contact_name).split()),
                                    recipient.address))
        if headers.get("reply-to") or settings.reply_to:
            message["Reply-To"] = headers.get("reply-to") or settings.reply_to
        message["Date"] = format_datetime(now)
        domain = settings.message_id_domain or parseaddr(sender)[1].rpartition("@")[2]
        message["Message-ID"] = message_id(campaign, recipient.address, domain)
        if settings.unsubscribe:
            message["List-Unsubscribe"] = f"<{settings.unsubscribe}>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    except (ValueError, TypeError) as exc:
        raise TemplateError(f"the message to {who} is not valid: {exc}") from None
    return message


def settings(config: Config) -> Settings:
    """The ``[campaigns]`` settings (the sender falls back to ``[remind] from``)."""
    values = config.table("campaigns")
    for key in values:
        if key not in CAMPAIGN_KEYS:
            raise ConfigError(f"{config.path}: [campaigns] {key}: unknown setting (known: "
                              f"{', '.join(CAMPAIGN_KEYS)})")
    texts = {key: values.get(key) for key in TEXT_KEYS}
    for key, value in texts.items():
        if value is not None and (not isinstance(value, str) or "\n" in value):
            raise ConfigError(f"{config.path}: [campaigns] {key} must be one line of text")
    unsubscribe = texts["unsubscribe"]
    if unsubscribe and not unsubscribe.startswith("mailto:"):
        unsubscribe = f"mailto:{unsubscribe}"
    sender = texts["from"] or mailer.remind_settings(config).sender
    return Settings(sender, texts["reply_to"], unsubscribe, texts["message_id_domain"])


# ---------------------------------------------------------------------------------- sending


def send(db: Connection, campaign: campaigns.Campaign,
         messages: list[tuple[campaigns.Recipient, EmailMessage]], transport: Transport,
         happened_at: str, pause: Callable[[], None] = lambda: None,
         progress: Callable[[int], None] = lambda done: None) -> Outcome:
    """Deliver each message, its state committed before it leaves and after; each message
    delivered is logged on its contact. Stops at the first error that is not the
    recipient's alone (the server went away): what was in flight reads unknown."""
    outcome = Outcome()
    for done, (recipient, message) in enumerate(messages, start=1):
        if done > 1:
            pause()
        try:
            transport.ready()
        except mailer.DeliveryError as exc:  # nothing left: nobody is in flight
            outcome.stopped = str(exc)
            break
        campaigns.start_delivery(db, campaign, recipient.address, message["Message-ID"])
        try:
            code, reply = transport.deliver(message, recipient.address)
        except DeliveryLost as exc:
            outcome.stopped = str(exc)
            break
        state = "sent" if code < 400 else "deferred" if code < 500 else "failed"
        with transaction(db):
            campaigns.finish_delivery(db, campaign, recipient.address, state,
                                      "" if state == "sent" else reply)
            if state == "sent":
                campaigns.log_sent(db, recipient.contact_id, happened_at,
                                   str(message["Subject"]), campaign, message["Message-ID"])
        setattr(outcome, state, getattr(outcome, state) + 1)
        if state != "sent":
            outcome.problems.append(f"{recipient.address}: {reply}")
        progress(done)
    return outcome


class DeliveryLost(CrmError):
    """The transport failed in a way that may or may not have delivered the message."""


IDLE_SECONDS = 30  # a connection unused this long may have been closed by the server


class Transport:
    """SMTP (one connection for the run) or a sendmail command, per message: the SMTP reply
    code and text, or DeliveryLost."""

    def __init__(self, config: Any):
        self.config = config
        self.smtp = mailer.smtp_settings(config)
        self.sendmail = mailer.remind_settings(config).sendmail
        self.server = None
        self.used = 0.0

    def ready(self) -> None:
        """Connect (and log in) before a message is marked in flight: a server that cannot
        be reached leaves every recipient pending. A connection that is gone (closed by
        smtplib after a 421, or by the server while idle) is opened again first: a message
        tried on it would read unknown though it never left. Only a connection left idle is
        asked (a NOOP): one before every message would double the commands a server counts
        against a run of refused recipients."""
        import time

        if self.smtp is None:
            return
        idle = time.monotonic() - self.used > IDLE_SECONDS
        if self.server is not None and (self.server.sock is None  # closed after a 421
                                        or (idle and not _answers(self.server))):
            self.close()
        if self.server is None:
            self.server = mailer.smtp_session(self.smtp, self.config)
        self.used = time.monotonic()

    def deliver(self, message: EmailMessage, address: str) -> tuple[int, str]:
        import smtplib

        if self.smtp is None:
            try:
                mailer.send_sendmail(message, self.sendmail)
            except mailer.DeliveryError as exc:
                return 451, str(exc)  # sendmail tells no code: tried again on a later run
            return 250, "handed to sendmail"
        try:
            self.server.send_message(message, to_addrs=[address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return code, mailer.reply_text(code, text)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return exc.smtp_code, mailer.reply_text(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryLost(f"SMTP with {self.smtp.host}:{self.smtp.port} failed: "
                               f"{exc}") from exc
        return 250, "sent"

    def close(self) -> None:
        if self.server is not None:
            import smtplib

            with contextlib.suppress(smtplib.SMTPException, OSError):  # the run is over
                self.server.quit()
            self.server = None


def _answers(server) -> bool:
    """Whether the SMTP connection still answers (a NOOP)."""
    import smtplib

    try:
        return server.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False
