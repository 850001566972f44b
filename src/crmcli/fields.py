"""Custom fields: the book's own typed facts about contacts and companies (``crm field``).

A definition names the field, its type and (for a choice) the values it may hold; a value is
stored as canonical text (a number as its decimal form, a date as ISO 8601, a bool as
``true``/``false``) and handed out typed (:func:`typed`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from crmcli import search
from crmcli.dates import FIRST_YEAR, LAST_YEAR
from crmcli.db import now_stamp, transaction
from crmcli.errors import InvalidInput, NotFound, shown
from crmcli.limits import check_text

if TYPE_CHECKING:
    from collections.abc import Iterable
    from sqlite3 import Connection

TYPES = ("text", "number", "date", "choice", "url", "bool")
ENTITIES = ("contacts", "companies")
MAX_FIELDS = 200  # definitions per kind of record
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Built-in fields and export columns a custom field may not shadow: they have their own flags.
RESERVED = frozenset({
    "id", "uid", "name", "company", "title", "email", "emails", "phone", "phones", "address",
    "addresses", "url", "urls", "tag", "tags", "birthday", "anniversary", "note", "notes",
    "created_at", "updated_at", "deleted_at", "last_contacted_at", "cadence", "fields",
    "how_we_met", "met_on", "interest", "interests", "referred_by", "gift", "gifts", "dates",
    "website", "industry", "size", "people", "deals", "kind",
})
_EXPORT_COLUMN = re.compile(r"(email|phone|address|url)_\d+(_label)?")  # crmcli CSV columns
_TRUE, _FALSE = {"true", "yes", "y", "1", "on"}, {"false", "no", "n", "0", "off"}
_VALUES = {"contacts": "contact_field_values", "companies": "company_field_values"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    entity: str = "contacts"
    choices: tuple[str, ...] = ()
    id: int | None = None
    used: int = 0  # how many records hold a value
    private: bool = False  # withheld from an assistant (crm mcp) unless it is let see them


@dataclass
class Changes:
    """What ``--set KEY=VALUE`` and ``--unset KEY`` ask of one record's fields."""

    set: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.set and not self.unset


def parse_assignments(assignments: Iterable[str], unset: Iterable[str] = ()) -> Changes:
    """``["budget=12000"]`` and ``["stage"]`` as :class:`Changes`."""
    changes = Changes(unset=list(unset))
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {shown(assignment)}: expected KEY=VALUE")
        changes.set[key.strip()] = value.strip()
    return changes


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput(f"field name {shown(name)}: use snake_case (a-z, 0-9, _), "
                           "starting with a letter, at most 40 characters")
    if name in RESERVED or _EXPORT_COLUMN.fullmatch(name):
        raise InvalidInput(f"field name {shown(name)} is a built-in field; use its own flag")
    return name


def parse_choices(text: str | None, type_: str) -> tuple[str, ...]:
    if type_ != "choice":
        if text:
            raise InvalidInput("--choices is only for a field of type choice")
        return ()
    choices = tuple(dict.fromkeys(c.strip() for c in (text or "").split(",") if c.strip()))
    if not choices:
        raise InvalidInput("a choice field needs --choices a,b,c")
    for choice in choices:
        check_text("a choice", choice)
    return choices


# ------------------------------------------------------------------------------ definitions


def define(db: Connection, name: str, type_: str, entity: str = "contacts",
           choices: str | None = None, private: bool = False) -> Field:
    if type_ not in TYPES:
        raise InvalidInput(f"field type {shown(type_)}: expected one of {', '.join(TYPES)}")
    check_name(name)
    new = Field(name, type_, entity, parse_choices(choices, type_))
    with transaction(db):
        if find(db, name, entity):
            raise InvalidInput(f"{entity} already have a field {shown(name)}")
        if len(definitions(db, entity)) >= MAX_FIELDS:
            raise InvalidInput(f"{entity} have {MAX_FIELDS} fields, the most a book keeps")
        cursor = db.execute(
            "INSERT INTO custom_fields (entity, name, type, choices, created_at, private)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [entity, name, type_, json.dumps(list(new.choices)) if new.choices else None,
             now_stamp(db), int(private)])
    return Field(name, type_, entity, new.choices, cursor.lastrowid, private=private)


def definitions(db: Connection, entity: str = "contacts") -> list[Field]:
    """The fields of ``entity``, by name, each with how many records hold a value."""
    values = _VALUES[entity]
    return [Field(name, type_, entity, tuple(json.loads(choices)) if choices else (), id_, used,
                  bool(private))
            for id_, name, type_, choices, used, private in db.execute(
                f"SELECT f.id, f.name, f.type, f.choices, (SELECT count(*) FROM {values} v"
                "  WHERE v.field_id = f.id), f.private FROM custom_fields f WHERE f.entity = ?"
                " ORDER BY f.name", [entity])]


def private_names(db: Connection, entity: str = "contacts") -> frozenset[str]:
    """The names of the fields marked private."""
    return frozenset(name for (name,) in db.execute(
        "SELECT name FROM custom_fields WHERE entity = ? AND private", [entity]))


def set_private(db: Connection, name: str, private: bool, entity: str = "contacts") -> Field:
    """Mark a field private (withheld from an assistant) or not; the field as it now is."""
    with transaction(db):
        current = get(db, name, entity)
        db.execute("UPDATE custom_fields SET private = ? WHERE id = ?", [int(private), current.id])
    return replace(current, private=private)


def find(db: Connection, name: str, entity: str = "contacts") -> Field | None:
    return next((f for f in definitions(db, entity) if f.name == name), None)


def get(db: Connection, name: str, entity: str = "contacts") -> Field:
    found = find(db, name, entity)
    if found is None:
        raise NotFound(f"no field {shown(name)} on {entity} (crm field list shows them)")
    return found


def rename(db: Connection, old: str, new: str, entity: str = "contacts") -> Field:
    check_name(new)
    with transaction(db):
        current = get(db, old, entity)
        if find(db, new, entity):
            raise InvalidInput(f"{entity} already have a field {new!r}")
        db.execute("UPDATE custom_fields SET name = ? WHERE id = ?", [new, current.id])
    return replace(current, name=new)


def remove(db: Connection, name: str, entity: str = "contacts") -> Field:
    """Delete the field and every value of it (the journal keeps both for ``crm undo``)."""
    with transaction(db):
        current = get(db, name, entity)
        db.execute(f"DELETE FROM {_VALUES[entity]} WHERE field_id = ?", [current.id])
        db.execute("DELETE FROM custom_fields WHERE id = ?", [current.id])
        if entity == "contacts":
            _reindex_all(db)
    return current


def _reindex_all(db: Connection) -> None:
    for (contact_id,) in db.execute("SELECT id FROM contacts").fetchall():
        search.reindex(db, contact_id)


# ----------------------------------------------------------------------------------- values


def canonical(definition: Field, value: str) -> str:
    """The stored text of ``value`` for ``definition``, or a clear error."""
    check_text(definition.name, value)
    text = value.strip()
    problem = f"{definition.name}: {json.dumps(text, ensure_ascii=False)} is not a"
    if definition.type == "number":
        from decimal import Decimal

        if len(text) > 40 or not _NUMBER.fullmatch(text):  # Decimal() reads 1_0, other digits
            raise InvalidInput(f"{problem} number")
        number = Decimal(text)
        if number and not -30 <= number.adjusted() <= 30:  # written out, it stays short
            raise InvalidInput(f"{problem} number crm keeps (from 1e-30 to 1e30)")
        return format(number.normalize(), "f")
    if definition.type == "date":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{problem} date (YYYY-MM-DD)") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:  # as every date typed
            raise InvalidInput(f"{problem} date crm keeps (from {FIRST_YEAR} to {LAST_YEAR})")
        return day.isoformat()
    if definition.type == "bool":
        if text.lower() not in _TRUE | _FALSE:
            raise InvalidInput(f"{problem} yes or no")
        return "true" if text.lower() in _TRUE else "false"
    if definition.type == "choice" and text not in definition.choices:
        raise InvalidInput(f"{definition.name}: {json.dumps(text, ensure_ascii=False)} is not"
                           f" one of {', '.join(definition.choices)}")
    if definition.type == "url" and not re.match(r"[a-z][a-z0-9+.-]*://\S+$", text, re.I):
        raise InvalidInput(f"{problem} URL (https://...)")
    return text


def typed(type_: str, text: str) -> str | int | float | bool:
    """A stored value as JSON has it: numbers and bools typed, everything else text."""
    if type_ == "number":
        from decimal import Decimal

        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    if type_ == "bool":
        return text == "true"
    return text


def check(db: Connection, changes: Changes, entity: str = "contacts"
          ) -> dict[str, str | None]:
    """The stored text of each value ``changes`` sets (``None`` for a field it clears), or a
    clear error for an unknown field or a value of the wrong type."""
    known = {f.name: f for f in definitions(db, entity)}
    for name in [*changes.set, *changes.unset]:
        if name not in known:
            add = name if len(name) <= 40 else "NAME"
            raise InvalidInput(f"unknown field {shown(name)} (crm field add {add} --type ...)")
    written: dict[str, str | None] = {name: canonical(known[name], value)
                                      for name, value in changes.set.items()}
    return written | {name: None for name in changes.unset}


def apply(db: Connection, record_id: int, changes: Changes, entity: str = "contacts"
          ) -> dict[str, str | None]:
    """Write ``changes`` to one record, after checking every one of them (so a bad value
    changes nothing). Returns what was written, ``None`` for removed."""
    written = check(db, changes, entity)
    known = {f.name: f for f in definitions(db, entity)}
    table = _VALUES[entity]
    with transaction(db):
        for name, value in written.items():
            if value is None:
                db.execute(f"DELETE FROM {table} WHERE field_id = ? AND record_id = ?",
                           [known[name].id, record_id])
            else:
                db.execute(f"INSERT INTO {table} (field_id, record_id, value) VALUES (?, ?, ?)"
                           " ON CONFLICT (field_id, record_id)"
                           " DO UPDATE SET value = excluded.value",
                           [known[name].id, record_id, value])
        if entity == "contacts" and written:
            search.reindex(db, record_id)
        elif written:  # a change of the company: its version moves, so sync carries it
            db.execute("UPDATE companies SET updated_at = ? WHERE id = ?",
                       [now_stamp(db), record_id])
    return written


def values_for(db: Connection, record_ids: list[int], entity: str = "contacts"
               ) -> dict[int, dict[str, str | int | float | bool]]:
    """Each record's field values, typed, by field name."""
    found: dict[int, dict] = {}
    for record_id, name, type_, value in db.execute(
            f"SELECT v.record_id, f.name, f.type, v.value FROM {_VALUES[entity]} v"
            " JOIN custom_fields f ON f.id = v.field_id"
            " WHERE v.record_id IN (SELECT value FROM json_each(?)) ORDER BY f.name",
            [json.dumps(record_ids)]):
        found.setdefault(record_id, {})[name] = typed(type_, value)
    return found


_CONDITION = re.compile(r"([a-z][a-z0-9_]*)\s*(=|>|<)\s*(.*)", re.S)


def where_clause(db: Connection, condition: str, column: str = "c.id") -> tuple[str, list]:
    """SQL (and its parameters) keeping the contacts that meet ``KEY=VALUE``, ``KEY>VALUE`` or
    ``KEY<VALUE`` (the last two for numbers and dates)."""
    match = _CONDITION.fullmatch(condition.strip())
    if not match:
        raise InvalidInput(f"--where {shown(condition)}: expected KEY=VALUE, KEY>VALUE or "
                           "KEY<VALUE")
    name, operator, raw = match.groups()
    definition = find(db, name)
    if definition is None:
        raise InvalidInput(f"--where: unknown field {shown(name)}")
    if operator != "=" and definition.type not in ("number", "date"):
        raise InvalidInput(f"--where {name}{operator}...: only numbers and dates compare")
    value = canonical(definition, raw)
    stored = "CAST(v.value AS REAL)" if definition.type == "number" else "v.value"
    given = "CAST(? AS REAL)" if definition.type == "number" else "?"
    if definition.type == "text":
        stored, given = "lower(v.value)", "lower(?)"
    return (f"{column} IN (SELECT v.record_id FROM contact_field_values v WHERE v.field_id = ?"
            f" AND {stored} {operator} {given})", [definition.id, value])


def as_text(value: object, name: str) -> str:
    """A JSON value of a field as the text ``--set`` would take."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(f"fields.{name} must be text, a number or true/false")


def write_incoming(db: Connection, record_id: int, incoming: dict[str, str],
                   replace_all: bool = False) -> tuple[bool, list[str]]:
    """Write an imported record's fields (``replace_all``: clear those it lacks). A field
    the book does not define is created as text. Returns whether anything changed and what
    to tell the user."""
    if not incoming and not replace_all:
        return False, []
    notes = []
    for name in incoming:
        if find(db, name) is None:
            define(db, name, "text")
            notes.append(f"created the text field {name!r} (crm field list)")
    current = values_for(db, [record_id]).get(record_id, {})
    known = {f.name: f for f in definitions(db)}
    wanted = {name: canonical(known[name], value) for name, value in incoming.items()}
    stored = {name: as_text(value, name) for name, value in current.items()}
    changes = Changes(set={name: value for name, value in wanted.items()
                           if stored.get(name) != value},
                      unset=[name for name in stored if replace_all and name not in wanted])
    if not changes.is_empty():
        apply(db, record_id, changes)
    return not changes.is_empty(), notes
