"""Rich renderables, one module per domain; contact text always goes in as ``Text``.

Rich is imported by the functions that draw, so that a view without it (shell completion)
starts fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcli.text import safe

if TYPE_CHECKING:
    from rich.text import Text


def data_text(value: object, style: str = "") -> Text:
    """Text that came from a user or a file, as Rich ``Text`` (never markup) with control
    characters stripped; nothing for None."""
    from rich.text import Text

    return Text("" if value is None else safe(str(value)), style=style)
