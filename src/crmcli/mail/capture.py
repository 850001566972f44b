"""Logging mail on the contacts it concerns, and finding the correspondents not in the book.

A message concerns every live contact whose email is in its From, To or Cc (your own
addresses, ``[mail] me``, aside). Each of them gets one interaction of type email: the subject
and the first lines of the text, at the Date header (else the delivery time), in (received)
or out (sent by you). A message is logged once per contact: by its Message-ID, or a hash of its
headers and text when it has none (see ``message.Envelope.keys``); a message a campaign sent,
or already logged on a contact (in the trash too), is not logged again. Bulk mail
(``List-Id``, ``Precedence: bulk|list|junk``, more than ``[mail] max_recipients`` in To and
Cc) is skipped and counted.

Writes commit in batches (``BATCH_MESSAGES`` or ``BATCH_SECONDS``), all of one journaled
operation; a message is written whole or not at all. A batch a pre- hook refuses whole is
skipped and reported when asked (``skip_refused``, as ``crm import-mail`` asks), and the next
batches go on.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from sqlite3 import Connection

from crmcli import activity, campaigns, contact_refs
from crmcli.config import Config
from crmcli.dates import stamp
from crmcli.db import let_writers_in, transaction
from crmcli.errors import ConfigError
from crmcli.hooks import Refused
from crmcli.mail.message import (
    BadMail,
    Glance,
    body_text,
    display_name,
    first_lines,
    glance,
    read_envelope,
)
from crmcli.mail.sources import Raw

BATCH_MESSAGES = 250
BATCH_SECONDS = 0.5
BULK_PRECEDENCE = ("bulk", "list", "junk")


@dataclass(frozen=True)
class Settings:
    """The ``[mail]`` table."""

    me: frozenset[str] = frozenset()  # your addresses, folded
    max_recipients: int = 20  # a message to more addresses is bulk
    folders: tuple[str, ...] = ()  # what `crm mail suggest` reads without a PATH


def settings(config: Config) -> Settings:
    table = config.table("mail")
    unknown = set(table) - {"me", "max_recipients", "folders"}
    if unknown:
        raise ConfigError(f"{config.path}: mail.{sorted(unknown)[0]} is not a setting; known: "
                          "me, max_recipients, folders")
    me, folders = (_strings(config, table, key) for key in ("me", "folders"))
    limit = table.get("max_recipients", 20)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100_000:
        raise ConfigError(f"{config.path}: mail.max_recipients must be a number from 1 to "
                          f"100000, not {limit!r}")
    return Settings(frozenset(address.strip().casefold() for address in me), limit, folders)


def _strings(config: Config, table: dict, key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{config.path}: mail.{key} must be a list of strings, not {value!r}")
    return tuple(values)


@dataclass(frozen=True)
class Logged:
    """One email logged on a contact (its id is None in a dry run)."""

    id: int | None
    contact_id: int
    contact: str
    direction: str
    at: str  # UTC ISO 8601
    subject: str
    message_id: str
    where: str


@dataclass
class Report:
    messages: int = 0
    logged: int = 0  # interactions
    already: int = 0  # messages logged before (or sent by a campaign)
    no_contact: int = 0
    bulk: int = 0
    older: int = 0  # before --since
    failed: int = 0
    refused: int = 0  # messages a pre- hook refused whole
    problems: list[str] = field(default_factory=list)
    # why batches were refused, and how many messages each reason left out
    refusals: dict[str, int] = field(default_factory=dict)


def is_bulk(seen: Glance, settings: Settings) -> bool:
    return seen.list_id or seen.precedence in BULK_PRECEDENCE or (
        seen.recipients > settings.max_recipients)


def capture(db: Connection, raws: Iterable[Raw], settings: Settings, now: dt.datetime,
            report: Report, since: str | None = None, dry_run: bool = False,
            progress: Callable[[int], None] | None = None, skip_refused: bool = False
            ) -> Iterator[Logged]:
    """Log each message of ``raws`` on its contacts, yielding what was logged as each batch
    commits; ``since`` (UTC ISO 8601) leaves out older mail. A dry run writes nothing. With
    ``skip_refused``, a batch a pre- hook refuses is reported and skipped, not an error."""
    batch = _Batch(db, dry_run, skip_refused)
    for raw in raws:
        report.messages += 1
        try:
            batch.ready += _one(db, raw, settings, now, since, report, batch)
        except BadMail as exc:
            report.failed += 1
            report.problems.append(f"{raw.where}: {exc}")
        except BaseException:
            batch.abort()
            raise
        if progress:
            progress(report.messages)
        if batch.due():
            yield from _committed(db, batch, report)
            let_writers_in()
    yield from _committed(db, batch, report)


def _committed(db: Connection, batch: _Batch, report: Report) -> list[Logged]:
    """Commit the batch; what it logged, less the interactions a pre- hook refused (the
    hooks run as the transaction ends and leave those out of the commit)."""
    ready = batch.ready
    try:
        batch.commit()
    except Refused as exc:
        if not batch.skip_refused:
            raise
        skipped = len({(item.where, item.message_id) for item in ready})
        report.logged -= len(ready)
        report.refused += skipped
        report.refusals[str(exc)] = report.refusals.get(str(exc), 0) + skipped
        return []
    if batch.dry_run or not ready:
        return ready
    kept: set[tuple] = set()
    for start in range(0, len(ready), 500):
        ids = [item.id for item in ready[start:start + 500]]
        kept.update(tuple(row) for row in db.execute(
            "SELECT id, contact_id, message_id FROM interactions WHERE id IN "
            f"({', '.join('?' * len(ids))})", ids))
    kept &= {(item.id, item.contact_id, item.message_id) for item in ready}
    report.logged -= len(ready) - len(kept)
    return [item for item in ready if (item.id, item.contact_id, item.message_id) in kept]


def _one(db: Connection, raw: Raw, settings: Settings, now: dt.datetime, since: str | None,
         report: Report, batch: _Batch) -> list[Logged]:
    if raw.error:
        raise BadMail(raw.error)
    seen = glance(raw.header)
    if is_bulk(seen, settings):
        report.bulk += 1
        return []
    holders = contact_refs.by_emails(db, [email for _, email in seen.addresses
                                      if email.casefold() not in settings.me])
    if not holders:
        report.no_contact += 1
        return []
    envelope = read_envelope(raw.header)
    moment = min(envelope.date or raw.received or now, now)
    if since and stamp(moment) < since:
        report.older += 1
        return []
    text = None if envelope.has_id else body_text(raw.read_all())  # part of its identity
    keys = envelope.keys(text)
    logged_on, by_campaign = activity.mail_logged_for(db, keys)
    chosen = {contact_id: name for found in holders.values() for contact_id, name in found
              if contact_id not in logged_on and (keys[0], contact_id) not in batch.planned}
    if by_campaign or not chosen or campaigns.sent_by_a_campaign(db, keys[0]):
        report.already += 1
        return []
    direction = _direction(seen.sender, settings, holders)
    text = body_text(raw.read_all()) if text is None else text
    body = "\n".join(filter(None, [envelope.subject or "(no subject)", first_lines(text)]))
    batch.begin()
    logged = []
    for contact_id, name in sorted(chosen.items()):
        row_id = None if batch.dry_run else activity.log_mail(
            db, contact_id, stamp(moment), body, direction, keys[0])
        batch.planned.add((keys[0], contact_id))
        logged.append(Logged(row_id, contact_id, name, direction, stamp(moment),
                             envelope.subject, keys[0], raw.where))
    report.logged += len(logged)
    return logged


def _direction(sender: str, settings: Settings, holders: dict) -> str:
    """``out`` when you sent it (without ``[mail] me``: when no contact did), else ``in``."""
    if settings.me:
        return "out" if sender in settings.me else "in"
    return "in" if sender in holders else "out"


class _Batch:
    """The write transaction of the messages being logged, committed every so often."""

    def __init__(self, db: Connection, dry_run: bool, skip_refused: bool = False):
        self.db, self.dry_run, self.skip_refused = db, dry_run, skip_refused
        self.ready: list[Logged] = []
        self.planned: set[tuple[str, int]] = set()  # a dry run's (message, contact) pairs
        self.open: ExitStack | None = None
        self.started = 0.0

    def begin(self) -> None:
        if self.dry_run or self.open is not None:
            return
        self.open = ExitStack()
        self.open.enter_context(transaction(self.db))
        self.started = time.monotonic()

    def due(self) -> bool:
        return len(self.ready) >= BATCH_MESSAGES or (
            self.open is not None and time.monotonic() - self.started > BATCH_SECONDS)

    def commit(self) -> None:
        """Commit what is ready, and start a new batch (Refused: a pre- hook refused it all)."""
        self.ready = []
        opened, self.open = self.open, None
        if not self.dry_run:
            self.planned.clear()  # committed (or refused): the book knows what it holds
        if opened is not None:
            opened.close()

    def abort(self) -> None:
        if self.open is not None:
            self.open.__exit__(*sys.exc_info())
            self.open = None


# ----------------------------------------------------------------------------- suggestions


@dataclass
class Correspondent:
    email: str
    name: str
    messages: int
    last: dt.datetime | None


def correspondents(db: Connection, raws: Iterable[Raw], settings: Settings, report: Report,
                   minimum: int = 2, progress: Callable[[int], None] | None = None
                   ) -> list[Correspondent]:
    """The people in ``raws`` (From, To, Cc; bulk mail aside) who are not in the book and
    appear in at least ``minimum`` messages, the most frequent first."""
    seen: dict[str, Correspondent] = {}
    for raw in raws:
        report.messages += 1
        try:
            if raw.error:
                raise BadMail(raw.error)
            message = glance(raw.header)
        except BadMail as exc:
            report.failed += 1
            report.problems.append(f"{raw.where}: {exc}")
            continue
        if progress:
            progress(report.messages)
        if is_bulk(message, settings):
            report.bulk += 1
            continue
        moment = message.date or raw.received
        for email, name in {email.casefold(): (email, name)
                            for name, email in message.addresses}.values():
            if email.casefold() not in settings.me:
                _tally(seen, email, name, moment)
    keys = [key for key, found in seen.items() if found.messages >= minimum]
    known = {norm for start in range(0, len(keys), 500)
             for norm in contact_refs.by_emails(db, keys[start:start + 500])}
    chosen = [seen[key] for key in keys if key not in known]
    for person in chosen:
        person.name = display_name(person.name)
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(chosen, key=lambda c: (-c.messages, -(c.last or oldest).timestamp(), c.email))


def _tally(seen: dict[str, Correspondent], email: str, name: str,
           moment: dt.datetime | None) -> None:
    """Count one more message with ``email``; the name is the latest message's."""
    found = seen.get(email.casefold())
    if found is None:
        seen[email.casefold()] = Correspondent(email, name, 1, moment)
        return
    found.messages += 1
    if moment and (found.last is None or moment >= found.last):
        found.last = moment
        found.name = name or found.name
    elif not found.name:
        found.name = name
