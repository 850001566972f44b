"""Errors the user can act on. Each kind carries the exit code the CLI returns for it.

Exit codes: 1 general error, 2 usage (Typer), 3 not found, 4 ambiguous reference.
"""

from __future__ import annotations

LARGEST_ID = 2**63 - 1  # the largest number SQLite's INTEGER holds


class CrmError(Exception):
    exit_code = 1


class InvalidInput(CrmError):
    """A value the user typed or a file held is not acceptable."""


class UsageError(CrmError):
    """Options that do not go together on one command line."""

    exit_code = 2


class NotFound(CrmError):
    exit_code = 3


class Ambiguous(CrmError):
    exit_code = 4

    def __init__(self, message: str, candidates: list[tuple[int, str]]):
        listed = "; ".join(f"{id_}: {label if len(label) <= 60 else label[:60] + '…'}"
                           for id_, label in candidates)
        super().__init__(f"{message}: {listed}")
        self.candidates = candidates


class StorageError(CrmError):
    """The database cannot be opened, read or written."""


class ConfigError(CrmError):
    """The configuration file is unreadable or holds a bad value."""


class Conflict(CrmError):
    """Someone else changed what a command was changing, in a way it cannot combine."""


SHOWN = 40  # characters of a value typed by the user that a message quotes


def cut(text: str, width: int = SHOWN) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut (for a message)."""
    return text if len(text) <= width else text[:width] + "…"


def shown(text: str, width: int = SHOWN) -> str:
    """``text`` quoted for a message, cut to ``width`` characters: a message never echoes a
    megabyte back."""
    if len(text) <= width:
        return repr(text)
    return f"{text[:width]!r}... ({len(text):,} characters)"


def capped(digits: str, most: int) -> int:
    """The number the decimal ``digits`` write, or ``most + 1`` if it is larger than ``most``,
    without reading thousands of digits (``int()`` refuses them, leading zeros included)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(most)):
        return most + 1
    return min(int(significant), most + 1)


def number_up_to(text: str | None, most: int) -> int | None:
    """The number ``text`` writes in the digits 0-9, of any length, or None when it writes
    none or one larger than ``most`` (a value a server or a hook sent: never trusted)."""
    if not text or not text.isascii() or not text.isdecimal():
        return None
    number = capped(text, most)
    return number if number <= most else None


def row_id(digits: str, what: str) -> int:
    """``digits`` as the id of a ``what``. An id too large for SQLite names nothing, like any
    id no row has (rather than failing deep in sqlite3), and so does one in digits other than
    0-9 (``int()`` reads Arabic-Indic and full-width digits too)."""
    if not digits.isascii() or len(digits) > len(str(LARGEST_ID)) or int(digits) > LARGEST_ID:
        raise NotFound(f"no {what} with id {cut(digits)}")
    return int(digits)
