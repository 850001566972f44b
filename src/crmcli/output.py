"""The only code that writes to stdout: one ``Output`` per command, chosen from its format
options and whether stdout is a terminal. Commands hand it records, pages, new ids and
messages; they never ask which format is active.

- Records stream: piped formats (TSV, CSV, JSON, JSON Lines) write each row as it is read; a
  terminal table is printed a screenful at a time, its columns fitted to the width.
- Pages (``crm show``...) are Rich views on a terminal and the same content as plain text
  when piped; ``-f json|jsonl|csv|tsv`` give the flat record instead.
- Text from the book is data: Rich gets ``Text`` (never markup), a terminal never receives
  control characters (``text.safe``), files and pipes keep the data exact except CSV cells a
  spreadsheet would run, and TSV, text for people and line tools, which is ``safe`` too.
- A closed pipe (``crm list | head -1``) ends the command quietly: see ``pipe_closed``.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from crmcli.text import cell, safe, spreadsheet_safe, to_json

TYPE_CHECKING = False  # typing is not imported for the annotations alone
if TYPE_CHECKING:
    from typing import Any

Columns = Sequence[tuple[str, str]]  # (record key, heading)
PLAIN_WIDTH = 200  # cells per line of a page printed as plain text

_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_LINES_A_WRITE = 256  # TSV lines gathered into one write


class Output:
    """Where one command's results go."""

    def __init__(self, fmt: str | None = None, terminal: bool | None = None):
        self.terminal = sys.stdout.isatty() if terminal is None else terminal
        self.format = fmt or ("table" if self.terminal else "tsv")
        self._plain_pages = fmt is None and not self.terminal

    @classmethod
    def choose(cls, fmt: str | None = None, as_json: bool = False,
               as_csv: bool = False) -> Output:
        return cls("json" if as_json else "csv" if as_csv else fmt)

    # ------------------------------------------------------------------ vocabulary

    def records(self, rows: Iterable[dict], columns: Columns, title: str | None = None,
                view: Callable[[], Any] | None = None) -> int:
        """Write records as they come; return how many. On a terminal, ``view`` (when given)
        draws them instead of the generic table: it reads its own data, ``rows`` are only
        counted, so piped formats never hold more than one record."""
        if self.format == "table" and view is not None:
            count = sum(1 for _ in rows)
            self.rich(view())
            return count
        writer = getattr(self, f"_write_{self.format}")
        return writer(iter(rows), columns, title)

    def page(self, view: Callable[[], Any], data: Any, columns: Columns | None = None,
             rows: Any = None) -> None:
        """One page: ``view()`` on a terminal (plain text when piped); ``data`` (a dict, a list
        or a callable giving one) for JSON; ``rows`` (default: ``data``) for TSV and CSV,
        showing ``columns`` (default: every key)."""
        if self._plain_pages:
            self._write_plain(view())
            return
        if self.format == "table":
            self.rich(view())
            return
        data = data() if callable(data) else data
        if self.format in ("json", "jsonl") and isinstance(data, dict):
            self._write(to_json(data, indent=2 if self.format == "json" else None) + "\n")
            return
        if self.format in ("json", "jsonl"):
            self.records(data, [])
            return
        rows = rows() if callable(rows) else rows if rows is not None else data
        rows = [rows] if isinstance(rows, dict) else rows
        if columns is None:
            columns = [(key, key) for key in (rows[0] if rows else {})]
        self.records(rows, columns)

    def created(self, new_id: int, sentence: str) -> None:
        """A new row: a sentence on a terminal; piped, the bare id for the next command."""
        self._write(f"{safe(sentence) if self.terminal else new_id}\n")

    def message(self, text: str, end: str = "\n") -> None:
        """Text for people (mutt's query lines, a digest): always safe text."""
        self._write(safe(text) + end)

    def rich(self, renderable: Any) -> None:
        """A Rich renderable, as it is (boxes and colour only on a terminal)."""
        console().print(renderable)
        sys.stdout.flush()

    def _write_plain(self, renderable: Any) -> None:
        """A page as plain text: no boxes, no colour, no trailing blanks, and lines long
        enough that a pipe seldom sees one wrapped."""
        plain = console(width=PLAIN_WIDTH)
        with plain.capture() as captured:
            plain.print(_plain(renderable))
        self._write("\n".join(line.rstrip() for line in captured.get().split("\n")))

    @contextmanager
    def stream(self) -> Iterator[Any]:
        """stdout for an exporter: data kept exact in a pipe, made safe on a terminal."""
        yield _SafeStream(sys.stdout) if self.terminal else sys.stdout
        sys.stdout.flush()

    # ------------------------------------------------------------------ formats

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _write_json(self, rows: Iterator[dict], columns: Columns, title) -> int:
        """A JSON array written record by record (one per line), so memory stays flat.
        Records go out as stdout's buffer fills, not one write call each."""
        write, count = sys.stdout.write, 0
        for record in rows:
            write((",\n  " if count else "[\n  ") + to_json(record))
            count += 1
        self._write("\n]\n" if count else "[]\n")
        return count

    def _write_jsonl(self, rows: Iterator[dict], columns: Columns, title) -> int:
        write, count = sys.stdout.write, 0
        for record in rows:
            write(to_json(record) + "\n")
            count += 1
        sys.stdout.flush()
        return count

    def _write_tsv(self, rows: Iterator[dict], columns: Columns, title) -> int:
        """Text for people and line tools, piped or not: cells escaped, controls stripped and
        bidi overrides shown as ``<U+202E>``, as a table shows them (CSV and JSON carry the
        data exactly)."""
        write, count = sys.stdout.write, 0
        keys = [key for key, _ in columns]
        write("\t".join(keys) + "\n")
        lines: list[str] = []  # written a few hundred at a time: a write call costs a line
        for record in rows:
            cells = [text if type(text) is str else cell(text) for text in map(record.get, keys)]
            line = "\t".join(cells)
            # What an escape or ``safe`` changes is a backslash or a character that is not
            # printable (tab, line breaks, controls, invisible formatting characters: a test
            # checks): most lines have neither and go out as they are, told in C.
            if "\\" in line or not all(map(str.isprintable, cells)):
                # Cells are escaped first, so cleaning the joined line cleans each cell alike.
                line = safe("\t".join([text.translate(_TSV_ESCAPES) for text in cells]))
            lines.append(line)
            count += 1
            if len(lines) == _LINES_A_WRITE:
                write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            write("\n".join(lines) + "\n")
        sys.stdout.flush()
        return count

    def _write_csv(self, rows: Iterator[dict], columns: Columns, title) -> int:
        with self.stream() as stream:
            return write_csv(rows, columns, stream)

    def _write_table(self, rows: Iterator[dict], columns: Columns, title) -> int:
        from crmcli.views.tables import TableWriter

        writer = TableWriter(console(), columns, title)
        count = 0
        while batch := list(islice(rows, writer.batch_size)):
            writer.print(batch)
            count += len(batch)
            sys.stdout.flush()
        if not count:
            writer.print([])
        return count


def write_csv(rows: Iterable[dict], columns: Columns, stream) -> int:
    """RFC 4180 CSV with a header line; cells a spreadsheet would run are neutralised."""
    import csv

    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([key for key, _ in columns])
    count = 0
    for record in rows:
        writer.writerow([spreadsheet_safe(cell(record.get(key))) for key, _ in columns])
        count += 1
    stream.flush()
    return count


class _SafeStream:
    """A text stream that passes everything through ``safe`` (for a terminal)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(safe(text))

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()


def _plain(renderable: Any) -> Any:
    """A page for a pipe: panels become a title line and their indented body, tables lose
    their boxes; views may offer a ``plain()`` layout of their own."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if hasattr(renderable, "plain") and callable(renderable.plain):
        return _plain(renderable.plain())
    if isinstance(renderable, Panel):
        body = Padding(_plain(renderable.renderable), (0, 0, 1, 2))
        title = renderable.title
        if not title:
            return body
        return Group(Text.from_markup(title, emoji=False) if isinstance(title, str) else title,
                     body)
    if isinstance(renderable, Group):
        renderable._render = [_plain(part) for part in renderable.renderables]
    elif isinstance(renderable, Table):
        renderable.box = None
        renderable.show_edge = False
        for column in renderable.columns:
            column._cells = [_plain(part) for part in column._cells]
    return renderable


def console(stderr: bool = False, width: int | None = None):
    """A Rich console: colour only on a terminal, and never with NO_COLOR set. No ``:emoji:``
    codes: text from the book reaches Rich as ``Text``, never markup, and crm's own markup has
    none (Rich's table of them takes ~1.5 ms to load)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, width=width, emoji=False)


def pipe_closed() -> None:
    """The reader went away (``| head -1``): point stdout at /dev/null so nothing else (not
    even Python's flush at exit) tries to write to the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
    finally:
        os.close(devnull)


def rich_raises_on_closed_pipe() -> None:
    """Rich ends the process with status 1 on a closed pipe (``Console.on_broken_pipe``);
    Typer prints help through Rich, so make it raise BrokenPipeError for the quiet exit 0."""
    from rich.console import Console

    Console.on_broken_pipe = _raise_broken_pipe


def _raise_broken_pipe(console) -> None:
    console.quiet = True
    raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def finish() -> None:
    """Flush stdout at the end of the process; a closed pipe then is not an error."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pipe_closed()
