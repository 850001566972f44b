"""Text that came from a user or a file, made safe for where it goes.

- A terminal (or an email) obeys control characters (escape sequences set window titles, clear
  the screen, make links) and reorders text around bidi controls: ``safe`` strips the
  controls and shows the invisible formatting characters visibly, as ``<U+202E>``.
- A spreadsheet runs a CSV cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula:
  ``spreadsheet_safe`` neutralises it.
- JSON keeps the data exact; ``to_json`` escapes only what a terminal would obey.

Files and pipes otherwise keep the data exactly as stored.
"""

from __future__ import annotations

import re
from functools import cache

# Unicode format characters (category Cf) that can reorder or hide text: bidi embeddings,
# overrides, isolates and marks, zero-width spaces, invisible operators, tags... The zero-width
# joiner and non-joiner (U+200C, U+200D) stay: emoji and several scripts need them. The line
# and paragraph separators (U+2028, U+2029) are shown too: Python's and JavaScript's readers
# of a pipe take them for line breaks, and would split one row in two. None is
# ASCII: the pattern is compiled on the first text that is not (compiling it costs more than
# half a millisecond, which `crm --version` and most mutt queries need not pay).
_INVISIBLE_CHARACTERS = (
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f\ud800-\udfff]")  # last: lone surrogates, which are no text
_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# Compiled on first use, as the invisible characters' pattern is: most texts are printable
# and need none of them (crm mutt-query, crm --version).
@cache
def _control() -> re.Pattern:
    """C0 and C1 controls and DEL, except tab and newline."""
    return re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@cache
def _json_unsafe() -> re.Pattern:
    return re.compile("[\x7f-\x9f\u2028\u2029]")


def strip_controls(text: str) -> str:
    """Text without control characters (escape sequences, bells, ...); tabs and newlines kept."""
    return _control().sub("", text)


def is_invisible(text: str) -> bool:
    """Nothing a reader would see: only spaces, controls and invisible formatting characters
    (``$'\\x1b\\u202e'`` given for a name or a title is as empty as ``''``)."""
    seen = _control().sub("", text)
    if not seen.isascii():
        seen = _invisible().sub("", seen)
    return not seen.strip()


def safe(text: str) -> str:
    """Text for a terminal or an email: controls removed, invisible formatting characters
    shown as ``<U+XXXX>`` so that nothing is reordered or hidden without a trace."""
    if text.replace("\t", " ").replace("\n", " ").isprintable():
        return text  # every character either pattern matches is unprintable (a test checks)
    text = _control().sub("", text)
    return text if text.isascii() else _invisible().sub(_visible, text)


@cache
def _invisible() -> re.Pattern:
    return re.compile(_INVISIBLE_CHARACTERS)


def _visible(match: re.Match) -> str:
    return f"<U+{ord(match.group()):04X}>"


def spreadsheet_safe(text: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(_SPREADSHEET_TRIGGERS) else text


def to_json(data: object, indent: int | None = None) -> str:
    """JSON with non-ASCII kept readable but DEL and C1 controls escaped (terminals obey C1), and
    U+2028 and U+2029 (line readers split a JSON Lines row at them).
    Without ``indent`` it uses the C encoder, several times faster."""
    import json

    encoder = _compact_encoder() if indent is None else json.JSONEncoder(
        ensure_ascii=False, indent=indent, default=str)
    return json_safe(encoder.encode(data))


def json_safe(text: str) -> str:
    """JSON text written with non-ASCII kept, with what ``to_json`` escapes escaped as it
    escapes them: pieces encoded apart and joined give what ``to_json`` gives for the whole."""
    if text.isprintable():  # DEL and C1 are not: most texts need no pattern run
        return text
    return _json_unsafe().sub(_json_escape, text)


def compact_json(data: object) -> str:
    """``data`` as ``to_json`` encodes it, controls not yet escaped (see ``json_safe``)."""
    return _compact_encoder().encode(data)


@cache
def _compact_encoder():
    """One encoder for every record of a listing (``json.dumps`` makes one a call)."""
    import json

    return json.JSONEncoder(ensure_ascii=False, default=str)


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def cell(value: object) -> str:
    """One value as flat text: lists joined with ', ', labelled details as their values."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, dict):
        if "amount" in value and "currency" in value:
            return f"{value['amount']} {value['currency']}"
        if "value" in value:
            return cell(value["value"])
        return ", ".join(f"{key}={cell(item)}" for key, item in value.items())
    return str(value)
