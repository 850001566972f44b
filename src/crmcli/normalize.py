"""Normalised forms used for matching and search: folded text, phone digits, email keys,
UID keys."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from crmcli.calling_codes import international_parts

_NON_DIGIT = re.compile(r"\D+")
_KEYPAD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999")
_TYPED_NUMBER = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*")


# Compiled on first use: a process that reads no phone number, email or label (crm
# mutt-query, crm --version) does not pay for them (half a millisecond).
@cache
def _extension() -> re.Pattern:
    return re.compile(r"\s*(?:;\s*ext=|ext\.?|x)\s*\d+$", re.IGNORECASE)


@cache
def _phone_text() -> re.Pattern:
    """Starts like a number; letters only as the words of a vanity number (1-800-flowers)."""
    return re.compile(r"\+?[\s(]*\d[\dA-Za-z\s().\-/]*")


@cache
def _email() -> re.Pattern:
    return re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}")


@cache
def _label() -> re.Pattern:
    return re.compile(r"([A-Za-z][\w -]{0,30}?):\s*(.+)", re.DOTALL)


# A national number (no country code) this long or longer can be matched against the end of
# an international one: "(415) 555-0100" is "+1 415 555 0100".
MIN_NATIONAL_DIGITS = 7
# E.164 numbers have at most 15 digits; a longer value is kept as text, not matched as a number.
MAX_PHONE_DIGITS = 15
MAX_PHONE_TEXT = 120  # characters, with spaces, punctuation and an extension


# Letters with no Unicode decomposition that people nevertheless type without their stroke.
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                                 "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th",
                                 "Þ": "TH", "ð": "d", "Ð": "D", "\u0131": "i", "ħ": "h", "Ħ": "H"})


_MARKS: dict[int, None] = {}
_CLASSIFIED: set[str] = set()


@cache
def _accent_patterns() -> tuple[re.Pattern, re.Pattern]:
    """The letters with a stroke, and the combining marks of the Latin, Greek and Cyrillic
    letters people type (U+0300-U+036F, less the grapheme joiner), each removed by one regex;
    what other scripts decompose to is classified a character at a time, once per process
    (_MARKS drops what is a mark). Compiled on the first text that is not ASCII (half a
    millisecond: ``crm mutt-query weber`` needs neither)."""
    stroked = re.compile(f"[{''.join(map(chr, _UNDECOMPOSABLE))}]")
    marks = re.compile(
        f"[{''.join(ch for ch in map(chr, range(0x300, 0x370)) if unicodedata.combining(ch))}]")
    return stroked, marks


def fold(text: str) -> str:
    """Lower-case, accent-free text: ``José Núñez`` -> ``jose nunez``."""
    if text.isascii():
        return " ".join(text.lower().split())
    stroked, common_marks = _accent_patterns()
    decomposed = unicodedata.normalize("NFKD", stroked.sub(_unstroked, text))
    stripped = common_marks.sub("", decomposed)
    if not stripped.isascii():
        unseen = set(stripped).difference(_CLASSIFIED)
        if unseen:
            _MARKS.update((ord(ch), None) for ch in unseen if unicodedata.combining(ch))
            _CLASSIFIED.update(unseen)
        stripped = stripped.translate(_MARKS)
    return " ".join(stripped.casefold().split())


def _unstroked(match: re.Match) -> str:
    return _UNDECOMPOSABLE[ord(match.group())]


def phone_digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def phone_key(text: str, region: str | None = None) -> str:
    """The form a phone number is matched by: E.164 (``+447700900005``, ``;ext=12`` appended)
    when it has a country code or ``region`` supplies one; else the national digits without
    a trunk ``0``; ``""`` for text that is not a number crm can match (see
    :func:`phone_problem`). Parsing and formatting only: libphonenumber's validity tables,
    which change between releases, decide nothing here."""
    value = text.strip()
    if len(value) > MAX_PHONE_TEXT:  # no number; and the cache holds only short texts
        return ""
    return _phone_key(value, region)


# A record's numbers are keyed for checks, matching and storing: the batch an import writes at
# a time (250 records) holds a few hundred numbers; an entry costs about 150 bytes.
@lru_cache(maxsize=1024)
def _phone_key(value: str, region: str | None) -> str:
    if phone_problem(value):
        return ""
    # "00" is the international prefix only where no region says which one is dialled there
    if value[0] == "+" or (region is None and value.startswith("00")):
        code, national = international_parts(value) or ("", "")
        if national:  # read as libphonenumber's parse would: 2 microseconds instead of 11
            key = f"+{code}{national}"
            return key if len(key) <= MAX_PHONE_DIGITS + 1 else ""
    return parsed_phone_key(value, region)


def parsed_phone_key(value: str, region: str | None) -> str:
    """``phone_key`` of a number with no problem, as libphonenumber reads it."""
    number = _parsed(value, region)
    if number is not None:
        main = f"+{number.country_code}{_national_digits(number)}"
        extension = number.extension
    else:
        main_text, extension = _split_extension(value)
        main = _vanity_digits(main_text)
        main = "+" + main[2:] if main.startswith("00") else main.lstrip("0")
        if value.startswith("+"):
            main = "+" + main
    if not 3 <= len(main.lstrip("+")) <= MAX_PHONE_DIGITS:
        return ""
    return f"{main};ext={extension}" if extension else main


def phone_problem(text: str) -> str | None:
    """Why a phone value cannot be matched as a number (it is then kept as text), or None."""
    if len(text) > MAX_PHONE_TEXT:  # checked first: the patterns below then run on little
        digits = phone_digits(text)
        return f"more than {MAX_PHONE_DIGITS} digits" if digits else "not a phone number"
    return _short_phone_problem(text)


@lru_cache(maxsize=1024)  # an imported number is checked when read, keyed and indexed
def _short_phone_problem(text: str) -> str | None:
    value = _extension().sub("", text.strip())
    if not _phone_text().fullmatch(value):
        return "not a phone number"
    digits = len(_vanity_digits(value))
    if digits < 3:
        return "not a phone number"
    if digits > MAX_PHONE_DIGITS + 3:  # room for an international prefix and a trunk 0
        return f"more than {MAX_PHONE_DIGITS} digits"
    return None


def is_national(text: str) -> bool:
    """Whether a phone number is written without a country code (``07700 900005``)."""
    value = text.strip()
    return not value.startswith(("+", "00")) and phone_problem(value) is None


def phone_search_digits(text: str) -> str:
    """The digits a search for ``text`` looks for: the national significant number of a
    number with a country code, else the digits as typed."""
    value = text.strip()
    if value.startswith(("+", "00")) and not phone_problem(value):
        parts = international_parts(value)  # without libphonenumber where it can
        if parts is None:
            number = _parsed(value, None)
            digits = _national_digits(number) if number is not None else ""
        else:
            digits = parts[1]
        if digits:
            return digits
    return phone_digits(value)


def dialled_digits(text: str) -> str:
    """The digits one dials for a number, letters of a vanity number included, without its
    extension: ``1-800-flowers x2`` -> ``18003569377``."""
    return _vanity_digits(_split_extension(text.strip())[0])


def _parsed(value: str, region: str | None):
    """The libphonenumber reading of ``value``, or None when it has no country code (and no
    region is given) or does not read as a number."""
    import phonenumbers

    if region is None and value.startswith("00"):
        value = "+" + value[2:]
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None


def _national_digits(number) -> str:
    import phonenumbers

    return phonenumbers.national_significant_number(number)


def _split_extension(value: str) -> tuple[str, str]:
    match = _extension().search(value)
    if not match:
        return value, ""
    return value[: match.start()], phone_digits(match[0])


def _vanity_digits(value: str) -> str:
    """Digits of a number, with the letters of a vanity number (1-800-FLOWERS) as digits."""
    return phone_digits(value.upper().translate(_KEYPAD))


def same_phone(a: str, b: str) -> bool:
    """Whether two phone keys name the same line: equal, or a national number (no country
    code) that matches the end of another with the same extension."""
    if not a or not b:  # a value kept as text is no phone line
        return False
    if a == b:
        return True
    (main_a, _, ext_a), (main_b, _, ext_b) = a.partition(";"), b.partition(";")
    if ext_a != ext_b:
        return False
    return any(not x.startswith("+") and len(x) >= MIN_NATIONAL_DIGITS and y.endswith(x)
               for x, y in ((main_a, main_b), (main_b, main_a)))


def phone_suffixes(key: str) -> list[str]:
    """Every tail of a key's number that a national key could be (at least
    MIN_NATIONAL_DIGITS long): a bounded list, since keys are at most MAX_PHONE_DIGITS."""
    main, sep, extension = key.partition(";")
    digits = main.lstrip("+")
    return [digits[i:] + sep + extension
            for i in range(max(0, len(digits) - MIN_NATIONAL_DIGITS + 1))]


def email_key(text: str) -> str:
    return text.strip().casefold()


def is_email(text: str) -> bool:
    return _email().fullmatch(text.strip()) is not None


def looks_like_number(text: str) -> bool:
    """Only what people type in a phone number: digits, spaces, + ( ) - . /"""
    return _TYPED_NUMBER.fullmatch(text.strip()) is not None


def is_label_only(text: str) -> bool:
    """``"work:"``: a label with nothing after it, an empty value (it was kept as text)."""
    return re.fullmatch(r"\s*[A-Za-z][\w -]{0,30}:\s*", text) is not None


def split_label(text: str) -> tuple[str, str]:
    """``"mobile:+34 612"`` -> ``("+34 612", "mobile")``; a URL's scheme is not a label."""
    match = _label().fullmatch(text.strip())
    if not match or match[2].startswith("//") or match[1].lower() in ("mailto", "tel"):
        return text.strip(), ""
    return match[2].strip(), " ".join(match[1].lower().split())


@cache
def _uuid() -> re.Pattern:
    return re.compile(r"(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12})", re.IGNORECASE)


def uid_key(uid: str) -> str:
    """What identifies a card by its UID: a UUID in lower case without ``urn:uuid:`` (clients
    change both, and a UUID's hex digits mean the same in either case); any other UID as it
    is written, case included."""
    match = _uuid().fullmatch(uid)
    return match[1].lower() if match else uid


def uid_spellings(uid: str) -> list[str]:
    """``uid`` and the other ways clients write the same UUID (lower or upper case, with or
    without ``urn:uuid:``), to look it up in an index; a UID that is no UUID has one."""
    if not _uuid().fullmatch(uid):
        return [uid]
    forms = (uid_key(uid), uid_key(uid).upper())
    return list(dict.fromkeys([uid, *forms, *(f"{prefix}{form}" for form in forms
                                             for prefix in ("urn:uuid:", "URN:UUID:"))]))
