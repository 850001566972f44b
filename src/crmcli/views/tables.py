"""Records as a table on a terminal: printed a screenful at a time, the columns fitted to the
width. When everything does not fit, long text is cut with an ellipsis and then the least useful
columns go (rightmost first, emails and phones last); an email or a phone is never cut or
broken: a cell with several shows one per line."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from crmcli.text import cell, safe

Columns = Sequence[tuple[str, str]]

ATOMIC = {"emails", "phones", "email", "phone"}  # never cut, one value per line
WRAPPED = {"body", "text", "note", "reasons"}  # long prose: wrapped at words
_GAP = 3  # a space between columns and a padding cell on each side
_SHORTEST = 8  # a cut column keeps at least this many cells (or its heading's)
_SHORTEST_NAME = 16  # ... and the second column (the name, the title) this many


class TableWriter:
    """Prints batches of records as one table: the first batch fixes the columns and their
    widths, later ones continue it without a heading."""

    def __init__(self, console, columns: Columns, title: str | None = None):
        self.console, self.columns, self.title = console, list(columns), title
        self.batch_size = max(console.size.height - 4, 10)
        self.widths: dict[int, int] | None = None

    def print(self, records: list[dict]) -> None:
        rows = [[shown(key, record.get(key)) for key, _ in self.columns] for record in records]
        first = self.widths is None
        if first:
            self.widths = fit(self.columns, rows, self.console.width)
        table = Table(title=self.title if first else None, title_justify="left",
                      show_header=first, header_style="bold", box=box.SIMPLE_HEAD,
                      show_edge=False, pad_edge=False, padding=(0, 1))
        for index, width in self.widths.items():
            key, heading = self.columns[index]
            table.add_column(heading, width=width, no_wrap=key not in WRAPPED,
                             overflow="fold" if key in WRAPPED else "ellipsis")
        for row in rows:
            table.add_row(*(Text(row[index]) for index in self.widths))
        self.console.print(table)


def shown(key: str, value: object) -> str:
    """A cell for people: stored UTC timestamps (``*_at``) in local time, to the minute;
    several emails or phones one per line; safe text."""
    if key.endswith("_at") and isinstance(value, str) and value.endswith("Z"):
        from crmcli.dates import local_zone, parse_stamp

        return parse_stamp(value).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    if key in ATOMIC and isinstance(value, list):
        return "\n".join(safe(cell(item)) for item in value)
    return safe(cell(value))


def fit(columns: Columns, rows: list[list[str]], width: int) -> dict[int, int]:
    """{column index: width} of the columns shown, in order, within ``width`` cells."""
    natural = [max([len(heading), *(_longest_line(row[index]) for row in rows)])
               for index, (_, heading) in enumerate(columns)]
    least = [_least(index, key, heading, natural[index])
             for index, (key, heading) in enumerate(columns)]
    shown_columns = list(range(len(columns)))
    for index in _drop_order(columns):
        if sum(least[i] for i in shown_columns) + _GAP * (len(shown_columns) - 1) <= width:
            break
        shown_columns.remove(index)
    spare = width - sum(least[i] for i in shown_columns) - _GAP * (len(shown_columns) - 1)
    widths = {}
    for index in shown_columns:
        grow = min(max(spare, 0), natural[index] - least[index])
        widths[index] = least[index] + grow
        spare -= grow
    return widths


def _least(index: int, key: str, heading: str, natural: int) -> int:
    if key in ATOMIC or key == "id":
        return natural
    return min(natural, max(len(heading), _SHORTEST_NAME if index == 1 else _SHORTEST))


def _drop_order(columns: Columns) -> list[int]:
    """Columns that may go, first to last: from the right, emails and phones last; the first
    two (an id and a name, usually) always stay."""
    candidates = list(range(len(columns) - 1, 1, -1))
    return sorted(candidates, key=lambda index: columns[index][0] in ATOMIC)


def _longest_line(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def fields(record: dict) -> Table:
    """One record as a field per line rather than one very wide row."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for key, value in record.items():
        grid.add_row(key.replace("_", " "), Text(shown(key, value)))
    return grid
