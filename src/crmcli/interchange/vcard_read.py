r"""vCard reading: one card in, a `ParsedCard` (a Contact and what crmcli keeps beside it) out.

The field map, labels and dates are described in `vcard_fields`; errors below.

Reading
    `iter_raw_cards` splits and decodes the input and `normalise_card` rewrites vCard 2.1 and other
    malformed lines as vCard 3.0 (in `vcard_split` and `vcard_normalise`, whose docstrings describe
    them).
    `parse_card` then parses each line with vobject's content-line parser, one card at a time. It
    does not call `vobject.readOne`: vobject's vCard text behaviour keeps only the part of a value
    before its first unescaped comma (`NOTE:Hello, world` reads as "Hello", NICKNAME and X- values
    are cut the same way) and cannot serialise an ORG with a bare comma. Values are unescaped by
    crmcli instead (`vcard_values` reads each owned property's value): `\n` is a line break and
    any other `\x` is `x`, so Gmail's `http\://` reads as `http://`.

Errors and warnings
    A card that cannot be read raises InvalidInput("card N (line L): what is wrong"). What was
    dropped or guessed while reading a card is listed in `ParsedCard.warnings`, each starting
    "card N (line L): ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange import vcard_personal as personal
from crmcli.interchange.vcard_conform import conforms
from crmcli.interchange.vcard_fields import (
    DETAILS,
    GIFT,
    HOW_WE_MET,
    INTEREST,
    LINKEDIN,
    MET_ON,
    NO_MAIL,
    OWNED,
    SINGLES,
    Fields,
    Item,
    ParsedCard,
)
from crmcli.interchange.vcard_lines import parse_line, unfolded_text
from crmcli.interchange.vcard_normalise import (
    NormalisedCard,
    normalise_card,
    unescape,
)
from crmcli.interchange.vcard_personal import LABELLED, OTHER
from crmcli.interchange.vcard_personal import NAMES as PERSONAL
from crmcli.interchange.vcard_split import RawCard
from crmcli.interchange.vcard_values import (
    CONVERTERS,
    CorruptValue,
    parse_date,
    text_value,
    type_label,
)
from crmcli.models import Contact, Detail, ImportantDate
from crmcli.normalize import fold

if TYPE_CHECKING:
    from vobject.base import ContentLine

_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")


@dataclass
class ReadCard:
    version: str
    fields: Fields
    original: str
    warnings: list[str]
    valid_3: bool = False  # read from valid vCard 3.0 lines


def parse_card(raw: RawCard) -> ParsedCard:
    """Read one card; InvalidInput("card N (line L): ...") if it cannot be read or names no one."""
    if raw.error:
        raise InvalidInput(f"{raw.where()}: {raw.error}")
    card = read_card(raw)
    fields = card.fields
    return ParsedCard(
        contact=_contact(fields, raw),
        notes=fields.all("note"),
        anniversary=fields.first("anniversary"),
        relations=list(dict.fromkeys(fields.all("related"))),
        photo=fields.first("photo"),
        rev=fields.first("rev"),
        extra=[unfolded_text(line) for line in fields.extra],
        warnings=card.warnings,
        original=card.original,
        valid_3=card.valid_3,
        is_company=is_company(fields),
    )


def is_company(fields: Fields) -> bool:
    """Whether a card is an organisation's: ``KIND:org`` (4.0), Apple's
    ``X-ABShowAs:COMPANY``, or an ORG with no person's name beside it (no N naming anyone,
    and no FN other than the ORG)."""
    for line in fields.extra:
        if line.name == "KIND":
            return text_value(line).lower() in ("org", "organization")
        if line.name == "X-ABSHOWAS" and text_value(line).upper() == "COMPANY":
            return True
    company = fields.first("org")
    if not company:
        return False
    names = fields.firsts["name"].lines if "name" in fields.firsts else []
    if any(line.name == "N" for line in names):
        return False  # an N taken names someone (`_take` keeps no empty one); needs no folding
    return not any(line.name == "FN" and fold(text_value(line)) != fold(company) for line in names)


def read_card(raw: RawCard) -> ReadCard:
    normal = normalise_card(raw)
    lines, texts = _content_lines(normal, raw)
    fields = extract_fields(lines, raw)
    version = "4.0" if normal.version == "4.0" else "3.0"
    original = "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *texts, "END:VCARD", ""])
    valid_3 = normal.version == "3.0" and conforms(lines, "3.0")
    return ReadCard(version, fields, original, [*raw.warnings, *normal.warnings, *fields.warnings],
                    valid_3)


def _content_lines(card: NormalisedCard, raw: RawCard) -> tuple[list[ContentLine], list[str]]:
    """Parse each normalised line with vobject's line parser; a line it refuses is dropped
    with a warning. vobject is loaded only when a line needs its parser (see
    ``parse_line``): not for the error class (an except clause's class is looked up when an
    exception comes)."""
    lines, texts = [], []
    for number, text in card.lines:
        try:
            lines.append(parse_line(text, number))
        except _vobject_error() as problem:
            card.warnings.append(f"{raw.where(number)}: dropped an unreadable property: {problem}")
        else:
            texts.append(text)
    return lines, texts


def _vobject_error() -> type[Exception]:
    from vobject.base import VObjectError

    return VObjectError


def _contact(fields: Fields, raw: RawCard) -> Contact:
    emails = fields.all("email")
    company = fields.first("org")
    name = fields.first("name") or company or (emails[0].value if emails else None)
    if not name:
        raise InvalidInput(f"{raw.where()}: no FN, N, ORG or EMAIL to name the contact")
    return Contact(
        name=name,
        uid=fields.first("uid"),
        company=company,
        title=fields.first("title"),
        emails=emails,
        phones=fields.all("tel"),
        addresses=fields.all("adr"),
        urls=fields.all("url"),
        tags=list(fields.first("categories") or ()),
        birthday=fields.first("bday"),
        anniversary=fields.first("anniversary"),
        dates=_dates(fields.all("date")),
        fields=dict(reversed(fields.all("field"))),
        no_mail=bool(fields.first(NO_MAIL.lower())),
        how_we_met=fields.first(HOW_WE_MET.lower()),
        met_on=fields.first(MET_ON.lower()),
        interests=fields.all(INTEREST.lower()),
        gifts=fields.all(GIFT.lower()),
    )


def _dates(dates: list[ImportantDate]) -> list[ImportantDate]:
    """One date per label (the first); a label crm cannot keep reads as ``other``."""
    if not dates:
        return []
    from crmcli.important_dates import clean_label

    kept: dict[str, ImportantDate] = {}
    for date in dates:
        try:
            label = clean_label(date.label)
        except InvalidInput:
            label = OTHER
        if label != "anniversary":
            kept.setdefault(label.casefold(), ImportantDate(label, date.date))
    return list(kept.values())


def extract_fields(lines: list[ContentLine], raw: RawCard) -> Fields:
    """Sort a card's lines into owned values (items) and everything else (extra)."""
    fields = Fields()
    claimed = {line.group.lower() for line in lines
               if line.group and (line.name in DETAILS or line.name in LABELLED)}
    labels = _group_labels(lines, claimed) if claimed else {}
    for line in lines:
        name = line.name
        if name == "X-ABLABEL" and (line.group or "").lower() in claimed:
            continue
        if name == "X-SOCIALPROFILE" and _linkedin_profile(fields, line):
            continue
        if name not in OWNED or not _take(fields, line, labels, raw):
            fields.extra.append(line)
    _merge_names(fields)
    return fields


def _linkedin_profile(fields: Fields, line: ContentLine) -> bool:
    """X-SOCIALPROFILE;TYPE=linkedin is the profile URL, a URL labelled linkedin (other
    social profiles stay as they are, among the card's handles)."""
    if line.name != "X-SOCIALPROFILE" or type_label(line) != LINKEDIN or not text_value(line):
        return False
    fields.add(Item("url", Detail(text_value(line), LINKEDIN), [line]))
    return True


def _group_labels(lines: list[ContentLine], claimed: set[str]) -> dict[str, tuple[str, list]]:
    """Group -> (label text, its X-ABLabel lines), for the groups of owned details."""
    labels: dict[str, tuple[str, list]] = {}
    for line in lines:
        group = (line.group or "").lower()
        if line.name == "X-ABLABEL" and group in claimed:
            text, label_lines = labels.get(group, ("", []))
            labels[group] = (text or _apple_label(unescape(line.value)), [*label_lines, line])
    return labels


def _apple_label(text: str) -> str:
    wrapped = _APPLE_LABEL.fullmatch(text.strip())
    return wrapped.group(1).lower() if wrapped else text.strip()


def _take(fields: Fields, line: ContentLine, labels: dict, raw: RawCard) -> bool:
    """Add an owned line to `fields`; False leaves it for `extra`."""
    kind = line.name.lower()
    if line.name in SINGLES and kind in fields.firsts:
        return False
    if line.name in PERSONAL:
        return _take_personal(fields, line, labels, raw)
    try:
        value = CONVERTERS[line.name](line)
    except ValueError as problem:
        corrupt = isinstance(problem, CorruptValue)
        shown = unescape(line.value)[:60]
        fields.warnings.append(f"{raw.where(line.lineNumber)}: {line.name} {shown!r} {problem}; "
                               + ("dropped" if corrupt else "kept as is"))
        return corrupt
    if not value:
        return True
    if line.name in DETAILS:
        label, label_lines = labels.get((line.group or "").lower(), ("", []))
        detail = Detail(value, label or type_label(line))
        fields.add(Item(kind, detail, [line, *label_lines]))
    elif line.name == "NOTE":
        fields.add(Item(kind, value, [line]))
    elif line.name == "CATEGORIES":
        _add_tags(fields, value, line)
    else:
        fields.add(Item(kind, value, [line]))
    return True


def _take_personal(fields: Fields, line: ContentLine, labels: dict, raw: RawCard) -> bool:
    """A relationship, date or custom field (see `vcard_personal`); False leaves it as is."""
    label, label_lines = labels.get((line.group or "").lower(), ("", []))
    try:
        kind, value = personal.read(line, label, text_value(line), parse_date)
    except ValueError as problem:
        shown = unescape(line.value)[:60]
        fields.warnings.append(f"{raw.where(line.lineNumber)}: {line.name} {shown!r} {problem}; "
                               "kept as is")
        return False
    if kind == "anniversary" and "anniversary" in fields.firsts:
        return False  # a second anniversary (X-ANNIVERSARY beside ANNIVERSARY) stays as is
    if value:
        fields.add(Item(kind, value, [line, *label_lines]))
    return True


def _add_tags(fields: Fields, tags: tuple[str, ...], line: ContentLine) -> None:
    item = fields.firsts.get("categories")
    if item is None:
        fields.add(Item("categories", tags, [line]))
    else:
        item.value = tuple(dict.fromkeys((*item.value, *tags)))
        item.lines.append(line)


def _merge_names(fields: Fields) -> None:
    """Replace the FN and N items by one "name" item: FN's text, else the name N spells out."""
    parts = [item for item in fields.items if item.kind in ("fn", "n")]
    if parts:
        name = fields.first("fn") or fields.first("n")
        lines = [line for item in parts for line in item.lines]
        fields.merge(("fn", "n"), Item("name", name, lines))
