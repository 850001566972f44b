"""Normalised forms used for matching and search: folded text, phone digits, email keys."""

from __future__ import annotations

import re
import unicodedata

_NON_DIGIT = re.compile(r"\D+")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}")
_EXTENSION = re.compile(r"\s*(?:;\s*ext=|ext\.?|x)\s*\d+$", re.IGNORECASE)
_PHONE_TEXT = re.compile(r"\+?[\dA-Z\s().\-/]+")
_TYPED_NUMBER = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*")

# A national number (no country code) this long or longer can be matched against the end of
# an international one: "(415) 555-0100" is "+1 415 555 0100".
MIN_NATIONAL_DIGITS = 7


# Letters with no Unicode decomposition that people nevertheless type without their stroke.
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                                 "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th",
                                 "Þ": "TH", "ð": "d", "Ð": "D", "\u0131": "i", "ħ": "h", "Ħ": "H"})


def fold(text: str) -> str:
    """Lower-case, accent-free text: ``José Núñez`` -> ``jose nunez``."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def phone_digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def phone_key(text: str) -> str:
    """Comparable form of a number: ``+<digits>`` when it has a country code, else the
    national digits without a trunk ``0``."""
    digits = phone_digits(text)
    if text.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits.lstrip("0")


def same_phone(a: str, b: str) -> bool:
    """Whether two phone keys name the same line (a national number matches the end of an
    international one)."""
    if a == b:
        return True
    return any(not x.startswith("+") and len(x) >= MIN_NATIONAL_DIGITS and y.endswith(x)
               for x, y in ((a, b), (b, a)))


def email_key(text: str) -> str:
    return text.strip().casefold()


def is_email(text: str) -> bool:
    return _EMAIL.fullmatch(text.strip()) is not None


def looks_like_number(text: str) -> bool:
    """Only what people type in a phone number: digits, spaces, + ( ) - . /"""
    return _TYPED_NUMBER.fullmatch(text.strip()) is not None


def is_phone(text: str) -> bool:
    """At least three digits, in what people write in a number: + ( ) - . / and spaces,
    capital letters of vanity numbers (1-800-MY-APPLE) and an extension (;ext=102, x12)."""
    value = _EXTENSION.sub("", text.strip())
    return len(phone_digits(value)) >= 3 and _PHONE_TEXT.fullmatch(value) is not None


_LABEL = re.compile(r"([A-Za-z][\w -]{0,30}?):\s*(.+)", re.DOTALL)


def split_label(text: str) -> tuple[str, str]:
    """``"mobile:+34 612"`` -> ``("+34 612", "mobile")``; a URL's scheme is not a label."""
    match = _LABEL.fullmatch(text.strip())
    if not match or match[2].startswith("//") or match[1].lower() in ("mailto", "tel"):
        return text.strip(), ""
    return match[2].strip(), " ".join(match[1].lower().split())
