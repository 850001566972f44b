"""JSON and JSON Lines in the same fields as ``crm list --json`` (see docs/json.md), plus
``notes``, so that ``crm export --format jsonl | jq ... | crm import --format jsonl -`` is a
bulk edit: a record with an ``id`` or ``uid`` updates the fields it carries, others are new.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TextIO

from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput
from crmcli.interchange.importer import Incoming
from crmcli.models import Contact, Detail

_DETAIL_FIELDS = ("emails", "phones", "addresses", "urls")
_TEXT_FIELDS = ("name", "uid", "company", "title")
_DATE_FIELDS = ("birthday", "anniversary")
_IGNORED = ("created_at", "updated_at", "deleted_at", "last_contacted_at", "notes")


def read(stream: TextIO, today: dt.date, lines: bool) -> Iterator[Incoming]:
    """Records from a JSON array (or one object), or from JSON Lines when ``lines``; a
    two-digit year in a date is the latest such year up to ``today``'s."""
    if lines:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield _incoming(f"line {number}", lambda text=line: json.loads(text.strip()),
                                today)
        return
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                           ) from exc
    for number, record in enumerate(data if isinstance(data, list) else [data], start=1):
        yield _incoming(f"record {number}", lambda value=record: value, today)


def _incoming(where: str, load, today: dt.date) -> Incoming:
    try:
        record = load()
        contact, fields = from_record(record, today)
    except json.JSONDecodeError as exc:
        return Incoming(where, error=f"not valid JSON: {exc.msg} (column {exc.colno})")
    except InvalidInput as exc:
        return Incoming(where, error=str(exc))
    notes = [n["body"] if isinstance(n, dict) else n for n in record.get("notes") or []]
    if not all(isinstance(note, str) for note in notes):
        return Incoming(where, error="notes must be a list of texts")
    return Incoming(where, contact=contact, notes=notes, fields=fields, match_details=False)


def from_record(record: object, today: dt.date) -> tuple[Contact, set[str]]:
    """A contact from one JSON object, and the fields that object sets."""
    if not isinstance(record, dict):
        raise InvalidInput("expected a JSON object")
    unknown = set(record) - {"id", *_TEXT_FIELDS, *_DETAIL_FIELDS, "tags", *_DATE_FIELDS,
                             *_IGNORED}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    contact = Contact(name="")
    if record.get("id") is not None:
        if not isinstance(record["id"], int):
            raise InvalidInput("id must be a whole number")
        contact.id = record["id"]
    elif not (record.get("uid") or record.get("name")):
        raise InvalidInput("a new contact needs a name")
    for name in _TEXT_FIELDS:
        if name in record:
            setattr(contact, name, _text(record, name))
    for name in _DETAIL_FIELDS:
        if name in record:
            setattr(contact, name, _details(record, name))
    if "tags" in record:
        contact.tags = _texts(record, "tags")
    for name in _DATE_FIELDS:
        if record.get(name):
            setattr(contact, name, parse_partial_date(_text(record, name), "YMD", today))
    fields = set(record) - {"id", *_IGNORED}
    return contact, fields


def _text(record: dict, name: str) -> str | None:
    value = record[name]
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text")
    return value


def _texts(record: dict, name: str) -> list[str]:
    values = record[name] or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{name} must be a list of texts")
    return values


def _details(record: dict, name: str) -> list[Detail]:
    values = record[name] or []
    if not isinstance(values, list):
        raise InvalidInput(f"{name} must be a list")
    details = []
    for value in values:
        if isinstance(value, str):
            details.append(Detail(value))
        elif isinstance(value, dict) and isinstance(value.get("value"), str):
            details.append(Detail(value["value"], str(value.get("label") or "")))
        else:
            raise InvalidInput(f"{name} must hold texts or {{\"value\", \"label\"}} objects")
    return details
