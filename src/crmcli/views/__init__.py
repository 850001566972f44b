"""Rich renderables, one module per domain; contact text always goes in as ``Text``."""

from rich.text import Text

from crmcli.text import safe


def data_text(value: object, style: str = "") -> Text:
    """Text that came from a user or a file, as Rich ``Text`` (never markup) with control
    characters stripped; nothing for None."""
    return Text("" if value is None else safe(str(value)), style=style)
