"""The values of the properties crmcli owns, each read from its vobject content line: the
converters `vcard_read.extract_fields` applies (`CONVERTERS`) and `vcard_stored` reuses. A
value that is not what its property holds raises ValueError, and `CorruptValue` (dropped) where
writing it back would spoil the card; dates are described in `vcard_fields`."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.interchange.vcard_fields import (
    GIFT,
    GIVEN,
    HOW_WE_MET,
    INTEREST,
    MET_ON,
    NO_MAIL,
    NOISE_TYPES,
    Photo,
)
from crmcli.interchange.vcard_normalise import split_escaped, unescape
from crmcli.models import PartialDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

_NOT_IMAGE_TYPES = frozenset({"work", "home", "pref"})
_YEARLESS_DATE = re.compile(r"--(\d\d)-?(\d\d)(?:T.*)?")
_FULL_DATE = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)(?:T.*)?")
_BRACKETED_ADDRESS = re.compile(r"<([^<>]+@[^<>]+)>")


def type_label(line: ContentLine) -> str:
    values = line.params.get("TYPE")
    if not values:
        return ""
    types = [token.strip().lower() for value in values for token in value.split(",")]
    return " ".join(dict.fromkeys(token for token in types if token and token not in NOISE_TYPES))


def _param(line: ContentLine, name: str) -> str:
    return next(iter(line.params.get(name, [])), "")


def text_value(line: ContentLine) -> str:
    return unescape(line.value).strip()


def _components(value: str) -> list[str]:
    return [unescape(part).strip() for part in split_escaped(value, ";")]


def _email(line: ContentLine) -> str:
    text = text_value(line)
    bracketed = _BRACKETED_ADDRESS.search(text) if "<" in text else None
    return _without_scheme(bracketed.group(1).strip() if bracketed else text, "mailto:")


def _phone(line: ContentLine) -> str:
    return _without_scheme(text_value(line), "tel:")


def _without_scheme(text: str, scheme: str) -> str:
    return text[len(scheme) :] if text.lower().startswith(scheme) else text


def name_from_n(line: ContentLine) -> str:
    components = [*split_escaped(line.value, ";"), "", "", "", ""]
    family, given, additional, prefix, suffix = components[:5]
    parts = (_name_part(part) for part in (prefix, given, additional, family, suffix))
    return " ".join(part for part in parts if part)


def _name_part(component: str) -> str:
    """An N component; its comma-separated values (`Richter,James`) are joined by spaces."""
    if not component:
        return ""
    values = (unescape(value).strip() for value in split_escaped(component, ","))
    return " ".join(value for value in values if value)


def _company(line: ContentLine) -> str:
    return next((part for part in _components(line.value) if part), "")


def _address_text(line: ContentLine) -> str:
    return "\n".join(part for part in _components(line.value)[:7] if part)


def _tags(line: ContentLine) -> tuple[str, ...]:
    tags = (unescape(part).strip() for part in split_escaped(line.value, ","))
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def _date(line: ContentLine) -> PartialDate | None:
    text = text_value(line)
    if not text:
        return None
    if _param(line, "VALUE").lower() == "text":
        raise ValueError("is text, not a date")
    return parse_date(text)


def parse_date(text: str) -> PartialDate:
    """A vCard date (see `vcard_fields`) as a PartialDate; ValueError if it is not one."""
    yearless = _YEARLESS_DATE.fullmatch(text)
    full = None if yearless else _FULL_DATE.fullmatch(text)
    if not (yearless or full):
        raise ValueError("is not a date")
    if yearless:
        year, (month, day) = None, yearless.groups()
    else:
        year, month, day = (int(part) for part in full.groups())
    try:
        return PartialDate.written(year, int(month), int(day))
    except ValueError:
        raise ValueError("is not a date") from None


def _photo(line: ContentLine) -> Photo | None:
    value = line.value.strip()
    if not value:
        return None
    if value[:5].lower() == "data:":
        return _photo_from_data_uri(value.replace("\\,", ","))
    if _param(line, "ENCODING").lower() in ("b", "base64"):
        return Photo(data=_base64(value), media_type=_photo_media_type(line))
    return Photo(uri=unescape(value), media_type=_photo_media_type(line))


def _photo_from_data_uri(uri: str) -> Photo:
    header, comma, payload = uri[5:].partition(",")
    if not comma or not header.lower().endswith(";base64"):
        return Photo(uri=uri)
    return Photo(data=_base64(payload), media_type=header[: -len(";base64")].lower())


class CorruptValue(ValueError):
    """A value that cannot be decoded: dropped, since writing it back would spoil the card."""


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise CorruptValue("is not valid base64") from None


def _photo_media_type(line: ContentLine) -> str:
    """MEDIATYPE (4.0), else TYPE: `JPEG` -> image/jpeg, `image/png` as is."""
    if _param(line, "MEDIATYPE"):
        return _param(line, "MEDIATYPE").lower()
    for value in line.params.get("TYPE", []):
        for token in (token.strip().lower() for token in value.split(",")):
            if "/" in token:
                return token
            if token and token not in _NOT_IMAGE_TYPES:
                return f"image/{token}"
    return ""


def _gift(line: ContentLine):
    """A gift idea, or a gift given on the day its X-GIVEN parameter says."""
    from crmcli.gifts import entry

    try:
        return entry(text_value(line), _param(line, GIVEN) or None)
    except InvalidInput as problem:
        raise ValueError(str(problem).split(": ", 1)[-1]) from None


CONVERTERS: dict[str, Callable[[ContentLine], object]] = {
    "FN": text_value,
    "N": name_from_n,
    "ORG": _company,
    "TITLE": text_value,
    "UID": text_value,
    "REV": text_value,
    "BDAY": _date,
    "ANNIVERSARY": _date,
    "PHOTO": _photo,
    NO_MAIL: lambda line: text_value(line).upper() == "TRUE",
    HOW_WE_MET: text_value,
    MET_ON: _date,
    INTEREST: text_value,
    GIFT: _gift,
    "EMAIL": _email,
    "TEL": _phone,
    "URL": text_value,
    "ADR": _address_text,
    "NOTE": text_value,
    "CATEGORIES": _tags,
}
