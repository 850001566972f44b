"""Plain data passed between the domain modules and the CLI. Imports nothing from the package."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PartialDate:
    """A calendar date whose year may be unknown (yearless birthdays).

    Stored as ``YYYY-MM-DD`` or, without a year, ``--MM-DD`` (the vCard 4 form).
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
    def from_storage(cls, text: str) -> PartialDate:
        if text.startswith("--"):
            month, day = text[2:].split("-")
            return cls(None, int(month), int(day))
        year, month, day = text.split("-")
        return cls(int(year), int(month), int(day))


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
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None


@dataclass
class Company:
    name: str
    id: int | None = None
    people: int = 0
    created_at: str | None = None
    updated_at: str | None = None


@dataclass
class Note:
    contact_id: int
    body: str
    id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
