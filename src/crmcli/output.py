"""The only code that writes data to stdout: a Rich table on a terminal, tab-separated text
when piped, or JSON, JSON Lines, CSV on request.

Everything shown is treated as data: Rich receives ``Text`` objects (never markup) and control
characters are stripped before text can reach a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from crmcli.text import cell, safe, spreadsheet_safe, strip_controls, to_json

__all__ = ["cell", "safe", "spreadsheet_safe", "to_json"]

Columns = Sequence[tuple[str, str]]  # (record key, heading)

_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def choose_format(fmt: str | None, as_json: bool = False, as_csv: bool = False) -> str:
    if as_json:
        return "json"
    if as_csv:
        return "csv"
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "tsv"


def render(data: list[dict] | dict, fmt: str, columns: Columns | None = None,
           title: str | None = None) -> None:
    """Write records to stdout in ``fmt``. JSON keeps every key; the others show ``columns``."""
    records = [data] if isinstance(data, dict) else data
    if columns is None:
        columns = [(key, key.replace("_", " ")) for key in (records[0] if records else {})]
    if fmt == "json":
        _write(to_json(data, indent=2) + "\n")
    elif fmt == "jsonl":
        _write("".join(to_json(record) + "\n" for record in records))
    elif fmt == "csv":
        write_csv(records, columns, sys.stdout)
    elif fmt == "tsv":
        _write_tsv(records, columns)
    elif isinstance(data, dict):
        _print_fields(data, columns, title)
    else:
        _print_table(records, columns, title)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _tsv_cell(value: object) -> str:
    """Tabs and newlines escaped; control characters removed (safe text on a terminal)."""
    text = cell(value).translate(_TSV_ESCAPES)
    return safe(text) if sys.stdout.isatty() else strip_controls(text)


def _write_tsv(records: list[dict], columns: Columns) -> None:
    lines = ["\t".join(key for key, _ in columns)]
    for record in records:
        lines.append("\t".join(
            _tsv_cell(record.get(key)) for key, _ in columns))
    _write("\n".join(lines) + "\n")


def write_csv(records: list[dict], columns: Columns, stream) -> None:
    import csv

    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([key for key, _ in columns])
    for record in records:
        writer.writerow([spreadsheet_safe(cell(record.get(key))) for key, _ in columns])
    stream.flush()


def _print_table(records: list[dict], columns: Columns, title: str | None) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold", title_justify="left", expand=False)
    for _, heading in columns:
        table.add_column(heading, overflow="fold")
    for record in records:
        table.add_row(*(Text(safe(_shown(key, record.get(key)))) for key, _ in columns))
    console().print(table)


def _shown(key: str, value: object) -> str:
    """A cell for people: stored UTC timestamps (``*_at``) in local time, to the minute."""
    if key.endswith("_at") and isinstance(value, str) and value.endswith("Z"):
        from crmcli.dates import local_zone, parse_stamp

        return parse_stamp(value).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    return cell(value)


def _print_fields(record: dict, columns: Columns, title: str | None) -> None:
    """One record on a terminal: a field per line rather than one very wide row."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for key, heading in columns:
        grid.add_row(heading, Text(safe(_shown(key, record.get(key)))))
    console().print(grid)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def text_lines(lines: Iterable[str]) -> None:
    """Stream ready-made lines (a dump) as they come; made safe only on a terminal."""
    terminal = sys.stdout.isatty()
    for line in lines:
        sys.stdout.write(safe(line) if terminal else line)
    sys.stdout.flush()
