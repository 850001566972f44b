"""crm's own X- properties of calendar items, as escaped TEXT (RFC 5545 3.3.11). icalendar
writes an X- property it has no type for as it comes, so a comma or semicolon in it reaches the
server unescaped, and Radicale cuts the value there; written as TEXT it is escaped, and since
icalendar hands X- properties back raw, they are unescaped here."""

from __future__ import annotations

import re

from crmcli.sync import ical

_ESCAPED = re.compile(r"\\([\\;,nN])")


def read(item: ical.Item, name: str) -> str | None:
    """The property's text, unescaped; None when absent or empty."""
    raw = item.text(name)
    if not raw:
        return None
    return _ESCAPED.sub(lambda match: "\n" if match[1] in "nN" else match[1], raw)


def write(item: ical.Item, name: str, value: str | None) -> None:
    """Set the property to ``value`` as escaped TEXT (None or "" removes it)."""
    import icalendar

    ical.replace(item, name, icalendar.vText(value) if value else None)
