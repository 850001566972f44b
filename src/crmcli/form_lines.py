"""The text forms crm opens in ``$EDITOR`` (a contact's, a company's): one ``key: value`` per
line, ``#`` comments, a line break in a value written as ``\\n``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from crmcli.errors import InvalidInput


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\\\", "\\")


def is_blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


@dataclass
class Lines:
    """An edited form by kind of key: single values and custom fields at most once each, and
    the repeatable keys' non-empty values with their line numbers."""

    single: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)  # unescaped
    repeated: list[tuple[int, str, str]] = field(default_factory=list)


def read(text: str, singles: Collection[str], repeatable: Collection[str],
         field_names: Collection[str]) -> Lines:
    """The form's lines; an unknown key or a single key given twice names its line."""
    found = Lines()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or (key not in singles and key not in repeatable and key not in field_names):
            raise InvalidInput(f"line {number}: expected 'key: value' with a key among "
                               f"{', '.join((*singles, *repeatable, *field_names))}; "
                               f"got {line.strip()!r}")
        once = found.custom if key in field_names else found.single if key in singles else None
        if once is None:
            if value:
                found.repeated.append((number, key, value))
        elif key in once:
            raise InvalidInput(f"line {number}: {key} is given twice")
        else:
            once[key] = unescape(value) if once is found.custom else value
    if not found.single.get("name"):
        raise InvalidInput("the form has no name: line 'name: ...' is required")
    return found
