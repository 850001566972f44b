r"""The vCard field map that reading (`vcard_read`) and writing (`vcard_write`) share: which
properties crmcli owns, the `ParsedCard` they become, and the label vocabulary.

Field map (vCard -> crmcli)
    FN -> Contact.name; without FN, the name N spells out (prefix given additional family suffix);
          without either, ORG, then the first EMAIL (Android writes cards holding only an address).
          A card with none of these raises InvalidInput.
    ORG -> company (first non-empty component)     TITLE -> title        UID -> uid
    EMAIL, TEL, URL, ADR -> Detail(value, label)   CATEGORIES -> tags    BDAY -> birthday
    NOTE -> notes (one each)                       ANNIVERSARY -> anniversary (also on Contact)
    RELATED, X-ABRELATEDNAMES, X-ABDATE, X-CRMCLI-FIELD... -> relations, dates, custom fields
          (see `vcard_personal`)
    PHOTO -> photo                                 REV -> rev
    X-CRMCLI-NO-MAIL:TRUE -> no_mail (no campaign mail; written only when set)
    X-CRMCLI-HOW-WE-MET -> how_we_met               X-CRMCLI-MET-ON -> met_on (a date, as BDAY)
    X-CRMCLI-INTEREST -> interests (one line each)
    X-CRMCLI-GIFT -> gifts: an idea, or with X-GIVEN=YYYY-MM-DD a gift given that day
    EMAIL `"Omega" <omega@example.com>` keeps the address; `mailto:` and TEL's `tel:` are dropped.
    Every other property goes to `extra`, one unfolded line each as vobject serialises it: X-...,
    IMPP, RELATED, GEO, NICKNAME, LABEL, the X-ABLabel of an unowned property, and a second FN, N,
    ORG, TITLE, BDAY, ANNIVERSARY or PHOTO. A BDAY or ANNIVERSARY that is not a date ("circa 1800")
    stays there too, with a warning. Empty owned values are dropped, and so is a PHOTO whose base64
    is corrupt (with a warning: written back, it would make the whole card unreadable).

Labels
    From the property's group label (`item1.X-ABLabel`; Apple's `_$!<Mobile>!$_` becomes "mobile",
    custom labels are kept as written), else from TYPE: lower-case words joined by spaces ("home
    fax"), leaving out internet, pref, voice, postal, parcel, intl and dom. On export, a lower-case
    label made only of vCard type words (home, work, cell, fax, pager, ...) is written as TYPE, any
    other label as `itemN.X-ABLabel`, so labels read back unchanged; "mobile" and "iphone" also
    get TYPE=CELL for phones that read only TYPE.

Addresses
    An address Detail is free text: the non-empty ADR components (post office box, extended
    address, street, locality, region, postal code, country) one per line. On export an address
    whose text and label are unchanged keeps its original ADR line; new or edited text goes whole
    into the street component (`ADR:;;<text>;;;;`), which reads back as the same text.

Dates
    BDAY and ANNIVERSARY read YYYY-MM-DD, YYYYMMDD, --MMDD and --MM-DD, with any time or zone
    suffix; the stand-in years 1604 (Apple, CardBook) and 0 mean "no year": PartialDate(None,
    month, day). Written as YYYY-MM-DD or --MM-DD in 3.0 (RFC 2426 has no yearless date, so this
    borrows RFC 6350's `--MM-DD`, which Apple, Google and Thunderbird read) and as YYYYMMDD or
    --MMDD in 4.0. A stand-in year is never written.

"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.config import VCARD_VERSIONS
from crmcli.interchange.vcard_personal import NAMES as PERSONAL
from crmcli.models import Contact, Detail, PartialDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

VERSIONS = VCARD_VERSIONS

DETAILS = frozenset({"EMAIL", "TEL", "ADR", "URL"})
NO_MAIL = "X-CRMCLI-NO-MAIL"
# A URL with this label is a LinkedIn profile, written and read as X-SOCIALPROFILE;TYPE=linkedin.
LINKEDIN = "linkedin"
HOW_WE_MET, MET_ON = "X-CRMCLI-HOW-WE-MET", "X-CRMCLI-MET-ON"
INTEREST, GIFT = "X-CRMCLI-INTEREST", "X-CRMCLI-GIFT"
GIVEN = "X-GIVEN"  # the parameter of a gift given: its day
SINGLES = frozenset({"FN", "N", "ORG", "TITLE", "UID", "REV", "BDAY", "ANNIVERSARY", "PHOTO",
                     NO_MAIL, HOW_WE_MET, MET_ON})
OWNED = frozenset((*DETAILS, *SINGLES, "NOTE", "CATEGORIES", INTEREST, GIFT, *PERSONAL))
NOISE_TYPES = frozenset({"internet", "pref", "voice", "postal", "parcel", "intl", "dom"})
TYPE_WORDS = frozenset(
    {"home", "work", "cell", "fax", "pager", "video", "msg", "bbs", "modem", "car", "isdn", "pcs",
     "text", "textphone", "main", "other"}
)
# Labels written as an X-ABLabel that also have a vCard TYPE, for phones that read only TYPE.
TYPE_SYNONYMS = {"mobile": "cell", "iphone": "cell"}


@dataclass(frozen=True)
class Photo:
    """A contact photo: inline bytes or a URI, and its media type ("image/jpeg"; "" if unknown)."""

    data: bytes | None = None
    uri: str | None = None
    media_type: str = ""


@dataclass
class ParsedCard:
    """A contact read from one vCard, with what crmcli keeps beside it to write the card back.

    `extra` holds the properties crmcli has no field for, one unfolded vCard line each; `original`
    is the card's normalised text (see the module docstring for how both are used on export).
    """

    contact: Contact
    notes: list[str] = field(default_factory=list)
    anniversary: PartialDate | None = None
    relations: list = field(default_factory=list)  # vcard_personal.Related, see there
    photo: Photo | None = None
    rev: str | None = None
    extra: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    original: str | None = None
    valid_3: bool = False  # the card as read is valid vCard 3.0 (see `vcard_conform.conforms`)
    is_company: bool = False  # the card is an organisation's (see `vcard_read.is_company`)


_PLAIN = frozenset({str, bool, Photo, PartialDate})  # equal exactly when their reprs are


def value_key(kind: str, value) -> tuple:
    """What an owned value is found by among a card's original values: equal when the values'
    reprs are (the plain values compared as they are, which costs less than their reprs; a
    photo's bytes above all)."""
    plain = type(value)
    if plain is str:
        return (kind, str, value)
    if plain is Detail and type(value.value) is str and type(value.label) is str:
        return (kind, Detail, value.value, value.label)
    if plain in _PLAIN or (plain is tuple and all(type(part) is str for part in value)):
        return (kind, plain, value)
    return (kind, None, repr(value))


@dataclass
class Item:
    """One owned value of a card and the lines it came from (with its group label, if any)."""

    kind: str
    value: object
    lines: list[ContentLine]


@dataclass
class Fields:
    items: list[Item] = field(default_factory=list)
    extra: list[ContentLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    firsts: dict[str, Item] = field(default_factory=dict)  # the first item of each kind
    kinds: dict[str, list[Item]] = field(default_factory=dict)  # the items of each kind

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.firsts.setdefault(item.kind, item)
        self.kinds.setdefault(item.kind, []).append(item)

    def first(self, kind: str):
        item = self.firsts.get(kind)
        return None if item is None else item.value

    def merge(self, kinds: tuple[str, ...], item: Item) -> None:
        """Put ``item`` in place of the items of ``kinds``, at the end."""
        self.items = [kept for kept in self.items if kept.kind not in kinds]
        self.items.append(item)
        for kind in kinds:
            self.firsts.pop(kind, None)
            self.kinds.pop(kind, None)
        self.firsts.setdefault(item.kind, item)
        self.kinds.setdefault(item.kind, []).append(item)

    def all(self, kind: str) -> list:
        return [item.value for item in self.kinds.get(kind, ())]

