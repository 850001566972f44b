"""Money as integer minor units plus an ISO 4217 code: parsing what people type, formatting.

Never floats. The number of decimals (the minor-unit exponent) depends on the currency: two
for most, none for JPY or KRW, three for KWD or BHD. The ``decimal`` setting (``"."`` or
``","``) says which mark separates the decimals; the other one groups thousands, and only in
groups of three, so ``12,50`` with ``decimal = "."`` is refused as ambiguous rather than
guessed. Spaces, apostrophes and underscores also group thousands whatever the setting.
"""

from __future__ import annotations

import re
from typing import Any

from crmcli.errors import ConfigError, InvalidInput, capped, shown

DECIMAL_MARKS = (".", ",")
# ISO 4217 minor-unit exponents that are not 2 (every other code has two decimals).
EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
MAX_MINOR = 10**15  # a quadrillion minor units: far beyond any deal, far below SQLite's limit
_SPACES = " \u00a0\u202f'_"  # grouping marks accepted whatever the decimal setting
_CURRENCY = re.compile(r"[A-Z]{3}")
_DIGITS = re.compile(r"[0-9]+")


def exponent(currency: str) -> int:
    """How many decimals the currency has (ISO 4217 minor unit; 2 unless listed)."""
    return EXPONENTS.get(currency, 2)


def check_currency(code: str) -> str:
    """The code in upper case, or InvalidInput if ISO 4217 has no such currency.

    The list is pycountry's: the ISO 4217 table itself (from Debian's iso-codes, updated as
    the ISO agency adds and withdraws codes), without the historic codes and the CLDR
    rounding rules that Babel mixes in."""
    upper = code.strip().upper()
    if not upper:
        raise InvalidInput("the currency is empty: give one such as EUR, USD or JPY")
    if not _CURRENCY.fullmatch(upper) or not _in_iso_4217(upper):
        raise InvalidInput(f"{code[:20]!r} is not an ISO 4217 currency code: give one such "
                           "as EUR, USD or JPY")
    return upper


def _in_iso_4217(code: str) -> bool:
    import pycountry

    return pycountry.currencies.get(alpha_3=code) is not None


def decimal_mark(config: Any) -> str:
    """The ``decimal`` setting of the configuration: ``"."`` (default) or ``","``."""
    mark = config.raw.get("decimal", ".")
    if mark not in DECIMAL_MARKS:
        raise ConfigError(f'{config.path}: decimal must be "." or ",", not {mark!r}')
    return mark


def parse_amount(text: str, currency: str, decimal: str = ".") -> int:
    """Minor units of an amount typed by a person: ``12500``, ``12,500.50`` or, with
    ``decimal=","``, ``12.500,50``. Refuses negative, ambiguous and over-precise amounts."""
    value = text.strip().removeprefix("+")
    if value.startswith("-"):
        raise InvalidInput(f"{shown(text)}: a deal's value cannot be negative")
    group = "," if decimal == "." else "."
    if value.count(decimal) > 1 or group in value.partition(decimal)[2]:
        raise InvalidInput(f"{shown(text)} does not read as an amount with decimal = {decimal!r} "
                           f"in config.toml; write it as {_example(decimal)}")
    whole, mark, fraction = value.partition(decimal)
    if not (whole or fraction) or (mark and not _DIGITS.fullmatch(fraction)):
        raise InvalidInput(_not_an_amount(text, decimal))
    return _to_minor(_whole_digits(whole, text, decimal, group) or "0", fraction, currency, text)


def _whole_digits(whole: str, text: str, decimal: str, group: str) -> str:
    """The digits of the whole part, with its thousands grouping checked and removed."""
    if not whole or _DIGITS.fullmatch(whole):
        return whole
    marks = set(whole) - set("0123456789")
    if len(marks) != 1 or not marks <= {group, *_SPACES}:
        raise InvalidInput(_not_an_amount(text, decimal))
    mark = marks.pop()
    head, *groups = whole.split(mark)
    if not (_DIGITS.fullmatch(head) and len(head) <= 3
            and all(len(g) == 3 and _DIGITS.fullmatch(g) for g in groups)):
        raise InvalidInput(_ambiguous(text, mark, decimal))
    return whole.replace(mark, "")


def _to_minor(digits: str, fraction: str, currency: str, text: str) -> int:
    places = exponent(currency)
    if len(fraction) > places and fraction[places:].strip("0"):
        unit = f"{places} decimals" if places else "no decimals"
        raise InvalidInput(f"{shown(text)} is too precise: {currency} has {unit}")
    minor_part = int((fraction[:places] or "0").ljust(places, "0"))
    minor = capped(digits, MAX_MINOR) * 10**places + minor_part
    if minor >= MAX_MINOR:
        raise InvalidInput(f"{shown(text)} is too large for a deal's value")
    return minor


def _ambiguous(text: str, mark: str, decimal: str) -> str:
    if mark not in DECIMAL_MARKS:
        return (f"{shown(text)} is not an amount: thousands are grouped in threes "
                f"({_example(decimal)})")
    fixed = text.strip().replace(mark, decimal) if text.count(mark) == 1 else _example(decimal)
    return (f"{shown(text)} is ambiguous: with decimal = \"{decimal}\" a {mark!r} only groups "
            f"thousands in threes (12{mark}500); for decimals write {fixed}, or set "
            f"decimal = \"{mark}\" in config.toml")


def _not_an_amount(text: str, decimal: str) -> str:
    return f"{shown(text)} is not an amount (try 12500 or {_example(decimal)})"


def _example(decimal: str) -> str:
    return "12,500.50" if decimal == "." else "12.500,50"


def amount_text(minor: int, currency: str) -> str:
    """The amount as plain text for JSON and TSV: ``1250.00``, ``1250`` for JPY."""
    places = exponent(currency)
    whole, part = divmod(minor, 10**places)
    return f"{whole}.{part:0{places}d}" if places else str(whole)


def to_json(minor: int | None, currency: str) -> dict | None:
    """``{"amount": "1250.00", "currency": "EUR"}``, or None when there is no amount."""
    if minor is None:
        return None
    return {"amount": amount_text(minor, currency), "currency": currency}


def format_amount(minor: int, currency: str, decimal: str = ".") -> str:
    """The amount grouped for people, in the configured style: ``12,500.50`` / ``12.500,50``."""
    places = exponent(currency)
    whole, part = divmod(minor, 10**places)
    grouped = f"{whole:,}".replace(",", "," if decimal == "." else ".")
    return f"{grouped}{decimal}{part:0{places}d}" if places else grouped


def display(minor: int | None, currency: str, decimal: str = ".") -> str:
    """``12,500.50 EUR`` (empty when there is no amount)."""
    return "" if minor is None else f"{format_amount(minor, currency, decimal)} {currency}"


def minor_of(value: dict) -> int:
    """Minor units of a JSON money dict (``{"amount": "1250.00", "currency": "EUR"}``, as
    :func:`amount_text` writes it); a total may pass the limit of one deal's value."""
    whole, _, part = value["amount"].partition(".")
    return int(whole) * 10**exponent(value["currency"]) + int(part or "0")


def display_json(value: dict | None, decimal: str = ".") -> str:
    """A JSON money dict shown as :func:`display` would (empty for None)."""
    return display(minor_of(value), value["currency"], decimal) if value else ""
