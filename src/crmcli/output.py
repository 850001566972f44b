"""The only code that writes data to stdout: a Rich table on a terminal, tab-separated text
when piped, or JSON, JSON Lines, CSV on request.

Everything shown is treated as data: Rich receives ``Text`` objects (never markup) and control
characters are stripped before text can reach a terminal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence

Columns = Sequence[tuple[str, str]]  # (record key, heading)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_UNSAFE = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0))}
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def choose_format(fmt: str | None, as_json: bool = False, as_csv: bool = False) -> str:
    if as_json:
        return "json"
    if as_csv:
        return "csv"
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "tsv"


def safe(text: str) -> str:
    """Text with control characters (escape sequences, bells, ...) removed; newlines kept."""
    return _CONTROL.sub("", text)


def cell(value: object) -> str:
    """One value as flat text: lists joined with ', ', labelled details as their values."""
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


def to_json(data: object, indent: int | None = None) -> str:
    """JSON with non-ASCII kept readable but DEL and C1 controls escaped (terminals obey C1)."""
    return json.dumps(data, ensure_ascii=False, indent=indent, default=str
                      ).translate(_JSON_UNSAFE)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _write_tsv(records: list[dict], columns: Columns) -> None:
    lines = ["\t".join(key for key, _ in columns)]
    for record in records:
        lines.append("\t".join(
            safe(cell(record.get(key)).translate(_TSV_ESCAPES)) for key, _ in columns))
    _write("\n".join(lines) + "\n")


def spreadsheet_safe(text: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(_SPREADSHEET_TRIGGERS) else text


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
