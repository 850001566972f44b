"""JSON and JSON Lines in the same fields as ``crm list --json`` (see docs/json.md), plus
``notes``, so that ``crm export --format jsonl | jq ... | crm import --format jsonl -`` is a
bulk edit: a record with an ``id`` or ``uid`` updates the fields it carries, others are new.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import BinaryIO

from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput
from crmcli.interchange import json_values
from crmcli.interchange.incoming import Incoming
from crmcli.limits import MAX_JSON_BYTES, MAX_RECORD_BYTES
from crmcli.models import Contact

_DETAIL_FIELDS = ("emails", "phones", "addresses", "urls")
_TEXT_FIELDS = ("name", "uid", "company", "title", "how_we_met")
_DATE_FIELDS = ("birthday", "anniversary", "met_on")
_IGNORED = ("created_at", "updated_at", "deleted_at", "last_contacted_at", "notes",
            "relationships")


def read(stream: BinaryIO, today: dt.date, lines: bool) -> Iterator[Incoming]:
    """Records from a JSON array (or one object), or from JSON Lines when ``lines``; a
    two-digit year in a date is the latest such year up to ``today``'s.

    The text is UTF-8 (a BOM is allowed) or UTF-16 with a BOM; anything else is refused,
    naming the byte where it stops being text, as the CSV reader does."""
    stream = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    utf16 = stream.peek(2)[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if lines:
        yield from (_utf16_lines(stream, today) if utf16 else _utf8_lines(stream, today))
        return
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InvalidInput(f"larger than {MAX_JSON_BYTES:,} bytes: import it as JSON Lines "
                           "(one record a line), which is read a record at a time")
    if utf16:
        text = _decoded(data, "utf-16")
    else:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        text = _decoded(data[bom:], "utf-8", bom)
    for number, record in enumerate(_parsed(text), start=1):
        yield _incoming(f"record {number}", lambda value=record: value, today)


def _decoded(data: bytes, encoding: str, offset: int = 0) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise InvalidInput(f"not {kind} text at byte {offset + exc.start:,}: save it as UTF-8 "
                           "(or UTF-16 with a BOM)") from None


def _parsed(text: str) -> list:
    """The records of a JSON text: the elements of an array, or the one object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                           ) from None
    except (RecursionError, ValueError) as exc:
        raise InvalidInput(f"not valid JSON for crm: {_beyond_limits(exc)}") from None
    return data if isinstance(data, list) else [data]


def _utf8_lines(stream: BinaryIO, today: dt.date) -> Iterator[Incoming]:
    offset = 0
    for number, line in enumerate(iter(lambda: stream.readline(MAX_RECORD_BYTES + 1), b""),
                                  start=1):
        start, offset = offset, offset + len(line)
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            skipped = _skip_to_newline(stream.readline)
            yield _too_long(number, skipped)
            if skipped is None:
                return
            offset += skipped
            continue
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line, start = line[len(codecs.BOM_UTF8):], start + len(codecs.BOM_UTF8)
        text = _decoded(line, "utf-8", start)
        if text.strip():
            yield _incoming(f"line {number}", lambda text=text: _one(text), today)


def _skip_to_newline(readline) -> int | None:
    """How much of an overlong line was left to skip; None when it does not end within
    MAX_JSON_BYTES more (a pipe or a device may never end it)."""
    skipped = 0
    while skipped <= MAX_JSON_BYTES and (chunk := readline(MAX_RECORD_BYTES)):
        skipped += len(chunk)
        if chunk.endswith(b"\n" if isinstance(chunk, bytes) else "\n"):
            return skipped
    return None if skipped > MAX_JSON_BYTES else skipped


def _too_long(number: int, skipped: int | None) -> Incoming:
    error = f"longer than {MAX_RECORD_BYTES:,} bytes"
    if skipped is None:
        error += (f", and no end of line in the next {MAX_JSON_BYTES:,} bytes: the rest of the "
                  "input is not read")
    return Incoming(f"line {number}", error=error)


def _utf16_lines(stream: BinaryIO, today: dt.date) -> Iterator[Incoming]:
    text = io.TextIOWrapper(stream, encoding="utf-16")
    number = 0
    try:
        while line := text.readline(MAX_RECORD_BYTES + 1):
            number += 1
            if len(line) > MAX_RECORD_BYTES and not line.endswith("\n"):
                skipped = _skip_to_newline(text.readline)
                yield _too_long(number, skipped)
                if skipped is None:
                    return
            elif line.strip():
                yield _incoming(f"line {number}", lambda line=line: _one(line), today)
    except UnicodeDecodeError:
        raise InvalidInput(f"not UTF-16 text after line {number}: save it as UTF-8 (or "
                           "UTF-16 with a BOM)") from None


def _one(line: str) -> object:
    try:
        return json.loads(line.strip())
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise InvalidInput(_beyond_limits(exc)) from None


def _beyond_limits(exc: Exception) -> str:
    """What valid JSON was beyond Python's limits: nesting, or a number's digits."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "a number with too many digits"


def _incoming(where: str, load, today: dt.date) -> Incoming:
    try:
        record = load()
        _check_text(record)
        if isinstance(record, dict) and record.get("kind") == "company":
            from crmcli.interchange.company_cards import from_record as company_from

            company, notes = company_from(record)
            return Incoming(where, company=company, notes=notes, match_details=False)
        contact, fields = from_record(record, today)
    except json.JSONDecodeError as exc:
        return Incoming(where, error=f"not valid JSON: {exc.msg} (column {exc.colno})")
    except InvalidInput as exc:
        return Incoming(where, error=str(exc))
    try:
        notes = json_values.notes(record.get("notes"))
        relations = _relations(record.get("relationships") or [])
    except InvalidInput as exc:
        return Incoming(where, error=str(exc))
    return Incoming(where, contact=contact, notes=notes, fields=fields, match_details=False,
                    relations=relations)


def _relations(items: object) -> list:
    """``relationships``: ``[{"type": "manager", "name": "Bo Chen", "uid": ...}]``."""
    from crmcli.interchange.vcard_personal import Related

    if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("type"), str)
            and isinstance(item.get("name") or "", str)
            and isinstance(item.get("uid") or "", str) for item in items):
        raise InvalidInput('relationships must be a list of {"type", "name", "uid"} objects')
    return [Related(item["type"], item.get("name") or "", item.get("uid")) for item in items]


def _check_text(record: object) -> None:
    """Refuse a record holding a lone surrogate (``"\\ud800"``): JSON can escape one, but it
    is no character, and nothing (SQLite, a terminal) can store or show it."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise InvalidInput(f"holds \\u{code:04x}, half of a UTF-16 pair (a lone surrogate), "
                           "which is not a character") from None
    except (RecursionError, ValueError):
        raise InvalidInput("nested too deeply") from None


def from_record(record: object, today: dt.date) -> tuple[Contact, set[str]]:
    """A contact from one JSON object, and the fields that object sets."""
    if not isinstance(record, dict):
        raise InvalidInput("expected a JSON object")
    unknown = set(record) - {"id", "version", *_TEXT_FIELDS, *_DETAIL_FIELDS, "tags",
                             *_DATE_FIELDS, *_IGNORED, "fields", "dates", "no_mail",
                             "interests", "gifts"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    contact = Contact(name="")
    if record.get("id") is not None:
        if type(record["id"]) is not int:  # true is no id
            raise InvalidInput("id must be a whole number")
        contact.id = record["id"]
    elif not (record.get("uid") or record.get("name")):
        raise InvalidInput("a new contact needs a name")
    if record.get("version") is not None:
        if type(record["version"]) is not int:
            raise InvalidInput("version must be a whole number")
        contact.version = record["version"]
    for name in _TEXT_FIELDS:
        if name in record:
            setattr(contact, name, _text(record, name))
    for name in _DETAIL_FIELDS:
        if name in record:
            setattr(contact, name, json_values.details(record[name], name))
    for name in ("tags", "interests"):
        if name in record:
            setattr(contact, name, json_values.texts(record[name], name))
    for name in _DATE_FIELDS:
        if record.get(name):
            setattr(contact, name, parse_partial_date(_text(record, name), "YMD", today))
    if record.get("fields") is not None:
        contact.fields = _custom_fields(record["fields"])
    if record.get("dates") is not None:
        from crmcli.important_dates import from_records

        contact.dates = from_records(record["dates"])
    if record.get("gifts") is not None:
        contact.gifts = _gifts(record["gifts"])
    if "no_mail" in record:
        if not isinstance(record["no_mail"], bool):
            raise InvalidInput("no_mail must be true or false")
        contact.no_mail = record["no_mail"]
    fields = set(record) - {"id", "version", *_IGNORED}
    return contact, fields


def _gifts(values: object) -> list:
    from crmcli.gifts import MAX_GIFTS, entry

    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise InvalidInput('gifts must be a list of {"description", "given_on"} objects')
    if len(values) > MAX_GIFTS:
        raise InvalidInput(f"{len(values)} gifts: a contact has at most {MAX_GIFTS} in a file")
    return [entry(value.get("description"), value.get("given_on")) for value in values]


def _custom_fields(values: object) -> dict[str, str]:
    from crmcli.fields import as_text

    if not isinstance(values, dict):
        raise InvalidInput("fields must be an object of field names and values")
    return {name: as_text(value, name) for name, value in values.items()}


def _text(record: dict, name: str) -> str | None:
    value = record[name]
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text")
    return value
