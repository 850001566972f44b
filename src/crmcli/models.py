"""Plain data passed between the domain modules and the CLI. Imports nothing from the package."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

STAND_IN_YEARS = frozenset({0, 1604})  # written for "no year" where a year must be


@dataclass(frozen=True)
class PartialDate:
    """A calendar date whose year may be unknown (yearless birthdays).

    Stored as ``YYYY-MM-DD`` or, without a year, ``--MM-DD`` (the vCard 4 form). The years 0
    and 1604 (Apple's and CardBook's) stand in for "no year" where a year must be written.
    """

    year: int | None
    month: int
    day: int

    def __post_init__(self) -> None:
        # 2000 is a leap year, so a yearless 29 February is valid.
        dt.date(self.year or 2000, self.month, self.day)

    def __str__(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def written(cls, year: int | None, month: int, day: int) -> PartialDate:
        """The date as a person or a file wrote it: a stand-in year (0000, 1604) is none."""
        return cls(None if year in STAND_IN_YEARS else year, month, day)

    @classmethod
    def from_storage(cls, text: str) -> PartialDate:
        if text.startswith("--"):
            month, day = text[2:].split("-")
            return cls(None, int(month), int(day))
        year, month, day = text.split("-")
        return cls(int(year), int(month), int(day))


@dataclass(frozen=True)
class ImportantDate:
    """A date to remember about a contact other than the birthday and the anniversary (which
    have their own fields): a label ("wedding", "started at ACME") and a full or yearless date."""

    label: str
    date: PartialDate


@dataclass(frozen=True)
class GiftEntry:
    """A gift idea (``given_on`` None) or a gift given that day, as files carry it."""

    description: str
    given_on: str | None = None  # YYYY-MM-DD


@dataclass
class Detail:
    """One email address, phone number, postal address or URL, with an optional label."""

    value: str
    label: str = ""


@dataclass
class Contact:
    name: str
    id: int | None = None
    uid: str | None = None
    company: str | None = None
    company_id: int | None = None
    title: str | None = None
    emails: list[Detail] = field(default_factory=list)
    phones: list[Detail] = field(default_factory=list)
    addresses: list[Detail] = field(default_factory=list)
    urls: list[Detail] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    birthday: PartialDate | None = None
    anniversary: PartialDate | None = None
    dates: list[ImportantDate] = field(default_factory=list)  # besides birthday, anniversary
    how_we_met: str | None = None
    met_on: PartialDate | None = None
    interests: list[str] = field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    last_contacted_at: str | None = None  # derived from interactions; never written
    fields: dict = field(default_factory=dict)  # custom fields, typed; written by crmcli.fields
    # Refuses campaign mail: carried by export and import only (crmcli.campaigns keeps it).
    no_mail: bool = field(default=False, compare=False)
    # Gift ideas and gifts given: carried by export and import only (crmcli.gifts keeps them).
    gifts: list[GiftEntry] = field(default_factory=list, compare=False)
    version: int | None = field(default=None, compare=False)  # raised by every write


@dataclass
class Company:
    """An organisation: its own details, tags and custom fields, shared by its people."""

    name: str
    id: int | None = None
    uid: str | None = None
    industry: str | None = None
    size: str | None = None
    emails: list[Detail] = field(default_factory=list)
    phones: list[Detail] = field(default_factory=list)
    addresses: list[Detail] = field(default_factory=list)
    urls: list[Detail] = field(default_factory=list)  # websites
    tags: list[str] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # custom fields, typed
    people: int = 0  # live contacts working there; derived, never written
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    version: int | None = field(default=None, compare=False)


@dataclass
class Note:
    contact_id: int
    body: str
    id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


INTERACTION_KINDS = ("call", "email", "meeting", "message", "visit", "other")


@dataclass
class Interaction:
    """Something that happened with a contact: a call, an email, a meeting..."""

    contact_id: int
    kind: str
    happened_at: str  # UTC ISO 8601
    body: str = ""
    id: int | None = None
    duration_minutes: int | None = None
    outcome: str | None = None
    created_at: str | None = None
    direction: str | None = None  # an email's: "in" (received) or "out" (sent)


@dataclass
class FollowUp:
    """A reminder to do something, about a contact or not (a chore), maybe again and again."""

    contact_id: int | None
    due: str  # has_time: a UTC ISO 8601 instant; else the calendar day, YYYY-MM-DD
    has_time: bool = False  # False: due that day, in whatever zone it is read
    body: str = ""
    id: int | None = None
    rule: str | None = None  # recurrence, e.g. "2w", "month", "1st mon"
    from_done: bool = False  # the next occurrence counts from when this one was done
    deal_id: int | None = None
    zone: str | None = None  # has_time: the IANA zone it was typed in, when known
    done_at: str | None = None
    uid: str | None = None  # the series' identity: every occurrence of a recurring one shares it
    created_at: str | None = None
    updated_at: str | None = None


@dataclass
class Deal:
    """An opportunity: money that may come in if it moves through the stages."""

    title: str
    currency: str
    stage: str
    id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    amount_minor: int | None = None  # integer minor units (cents); never floats
    probability: int | None = None  # percent; None: the stage's default
    close_on: str | None = None  # expected close date, YYYY-MM-DD
    lost_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    closed_at: str | None = None
    contact_name: str | None = None  # joined from contacts for display; never written
    company_name: str | None = None  # joined from companies for display; never written


@dataclass
class StageChange:
    deal_id: int
    to_stage: str
    changed_at: str
    from_stage: str | None = None
    id: int | None = None


def copied(record, **changes):
    """``dataclasses.replace`` for the plain dataclasses here (no ``__post_init__``, no
    init-only fields): a shallow copy with ``changes``, without replace's work field by field
    (12 µs a Contact; an import copies each contact several times)."""
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__, **changes)
    return copy


def new_uid() -> str:
    """A UID for a new contact or company (uuid is imported only when one is made)."""
    import uuid

    return str(uuid.uuid4())
