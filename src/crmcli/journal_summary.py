"""One line for each operation of the journal, as a person would say what it did.

    added Ana Lima #12
    merged Ana Lima #40 into #12: 2 emails, 3 notes, 1 deal moved
    deal #3 Pilot: proposal → won
    imported 5,000 cards from phone.vcf: 4,990 added, 10 updated

The verb comes from the command the operation recorded, the rest from its row changes; names
are read from the book, else from the journal (a contact merged away, undone or deleted still
reads well). An operation no describer knows gets the counts of what it changed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import PurePath
from sqlite3 import Connection

from crmcli import userdata
from crmcli.journal import Operation, contact_references

_NOUNS = {"companies": "company", "company_details": "company detail",
          "company_tags": "company tag", "company_notes": "company note",
          "company_cards": "company card", "contacts": "contact", "contact_details": "detail",
          "contact_tags": "tag", "contact_cards": "card", "notes": "note",
          "interactions": "interaction", "deals": "deal", "deal_stage_changes": "stage change",
          "followups": "follow-up", "custom_fields": "field", "relationships": "relationship",
          "contact_field_values": "field value", "company_field_values": "field value",
          "segments": "segment", "contact_dates": "date", "campaigns": "campaign",
          "contact_interests": "interest", "contact_gifts": "gift",
          "campaign_recipients": "recipient", "mail_opt_outs": "opt-out", "cases": "case",
          "case_events": "case entry",
          "calendar_events": "calendar event", "config": "setting"}
_VERBS = {"insert": "added", "update": "changed", "delete": "removed"}
_DETAIL_NOUNS = {"email": "email", "phone": "phone", "address": "address", "url": "web address"}
_CARD_FILES = (".vcf", ".vcard")
_QUIET_COLUMNS = {"updated_at", "name_folded", "norm", "position"}


def plural(count: int, noun: str) -> str:
    """``1 relationship``, ``2 relationships``, ``5,000 cards``, ``2 addresses``."""
    if count == 1:
        return f"1 {noun}"
    if noun.endswith(("s", "x", "ch", "sh")):
        noun += "es"
    elif noun.endswith("y") and noun[-2:-1] not in "aeiou":
        noun = noun[:-1] + "ies"
    else:
        noun += "s"
    return f"{count:,} {noun}"


def summary(db: Connection, operation: Operation) -> str:
    words = _words(operation.what)
    describe = _DESCRIBERS.get(words[0] if words else "")
    if words[:1] == ["deal"]:
        describe = _deal
    if words[:1] == ["case"]:
        describe = _case
    return (describe and describe(db, operation, words)) or _counted(db, operation.id)


def to_record(db: Connection, operation: Operation) -> dict:
    return {"id": operation.id, "started_at": operation.started_at, "source": operation.source,
            "what": operation.what, "undoes": operation.undoes,
            "summary": summary(db, operation)}


def _words(what: str) -> list[str]:
    try:
        return shlex.split(what)
    except ValueError:
        return what.split()


# ---------------------------------------------------------------------------------- describers

def _added(db: Connection, operation: Operation, words: list[str]) -> str | None:
    added = _contacts(db, operation.id, "insert")
    if len(added) == 1:
        return f"added {contact_label(db, added[0])}"
    return None


def _imported(db: Connection, operation: Operation, words: list[str]) -> str | None:
    inserted = _contacts(db, operation.id, "insert")
    added, updated = len(inserted), len(_owners(db, operation.id) - set(inserted))
    sources = [word for word in words[1:] if not word.startswith("-")]
    noun = "card" if all(PurePath(s).suffix.lower() in _CARD_FILES for s in sources) else "record"
    where = f" from {', '.join(PurePath(s).name or s for s in sources)}" if sources else ""
    return (f"imported {plural(added + updated, noun)}{where}: {added:,} added, "
            f"{updated:,} updated")


def _merged(db: Connection, operation: Operation, words: list[str]) -> str | None:
    trashed = [row_id for row_id, old in _contact_updates(db, operation.id)
               if "deleted_at" in old and old["deleted_at"] is None]
    if len(trashed) != 1:
        return None
    moved, kept = [], None
    for table, change_id, row_id, count in db.execute(
            "SELECT table_name, min(id), row_id, count(*) FROM journal_changes"
            " WHERE operation_id = ? AND kind = 'update'"
            " AND json_extract(old, '$.contact_id') = ? GROUP BY table_name ORDER BY min(id)",
            [operation.id, trashed[0]]):
        moved.append(plural(count, _NOUNS.get(table, table)))
        kept = kept or _as_left(db, change_id, table, row_id).get("contact_id")
    details: dict[str, int] = {}
    for change_id, row_id in db.execute(
            "SELECT id, row_id FROM journal_changes WHERE operation_id = ?"
            " AND table_name = 'contact_details' AND kind = 'insert' ORDER BY id",
            [operation.id]).fetchall():
        detail = _as_left(db, change_id, "contact_details", row_id)
        kept = kept or detail.get("contact_id")
        if detail.get("contact_id") == kept:
            details[detail["kind"]] = details.get(detail["kind"], 0) + 1
    counted = [plural(count, _DETAIL_NOUNS.get(kind, kind)) for kind, count in details.items()]
    text = f"merged {contact_label(db, trashed[0])}" + (f" into #{kept}" if kept else "")
    return text + (f": {', '.join(counted + moved)} moved" if counted or moved else "")


def _as_left(db: Connection, change_id: int, table: str, row_id: int) -> dict:
    """The row as the change left it, as far as the journal and the book tell: the values
    the next change of the row saw, over the row as it is now."""
    row = db.execute(f"SELECT * FROM {table} WHERE rowid = ?", [row_id])
    names = [column[0] for column in row.description]
    values = row.fetchone()
    left = dict(zip(names, values, strict=True)) if values else {}
    later = db.execute("SELECT old FROM journal_changes WHERE table_name = ? AND row_id = ?"
                       " AND id > ? AND old IS NOT NULL ORDER BY id DESC", [table, row_id,
                                                                           change_id])
    for (old,) in later:
        left.update(json.loads(old))
    return left


def _undid(db: Connection, operation: Operation, words: list[str]) -> str | None:
    undone = db.execute("SELECT what FROM journal_operations WHERE id = ?",
                        [operation.undoes]).fetchone()
    return f"undid #{operation.undoes}" + (f" ({undone[0]})" if undone else "")


def _about_one_contact(template: str, details: bool = False
                       ) -> Callable[[Connection, Operation, list[str]], str | None]:
    """A describer for a command about one contact: ``template`` names it as ``{who}``;
    ``details`` adds the columns and the rows it changed."""
    def describe(db: Connection, operation: Operation, words: list[str]) -> str | None:
        touched = _touched_contacts(db, operation.id)
        if len(touched) != 1:
            return None
        text = template.format(who=contact_label(db, touched[0]))
        if not details:
            return text
        rest = [*_changed_columns(db, operation.id, touched[0]),
                *_counts_for(db, operation.id, exclude={"contacts", "contact_tags"}),
                *_tags(db, operation.id)]
        return text + (f": {', '.join(rest)}" if rest else "")
    return describe


def _tags(db: Connection, operation_id: int) -> list[str]:
    """``+vip``, ``-lead``: the tags an operation added and removed."""
    found = []
    for change_id, kind, row_id, old in db.execute(
            "SELECT id, kind, row_id, old FROM journal_changes WHERE operation_id = ?"
            " AND table_name = 'contact_tags' ORDER BY id", [operation_id]).fetchall():
        if kind == "delete":
            found.append("-" + json.loads(old)["tag"])
        elif kind == "insert":
            found.append("+" + _as_left(db, change_id, "contact_tags", row_id).get("tag", "?"))
    return found


def _deal(db: Connection, operation: Operation, words: list[str]) -> str | None:
    deals = [row_id for (row_id,) in db.execute(
        "SELECT DISTINCT row_id FROM journal_changes WHERE operation_id = ?"
        " AND table_name = 'deals' ORDER BY row_id", [operation.id])]
    if len(deals) != 1:
        return None
    label = deal_label(db, deals[0])
    stage = _stage_change(db, operation.id)
    if stage and words[1:2] != ["add"]:
        return f"{label}: {stage[0] or 'new'} → {stage[1]}"
    verb = {"add": "added", "rm": "removed", "restore": "restored", "edit": "edited"}.get(
        words[1] if len(words) > 1 else "", "changed")
    return f"{verb} {label}"


def _case(db: Connection, operation: Operation, words: list[str]) -> str | None:
    """``case #3 Late delivery: opened`` (or noted, waiting, resolved...)."""
    rows = db.execute(
        "SELECT e.kind, k.id, k.title FROM journal_changes j JOIN case_events e ON e.id = j.row_id"
        " JOIN cases k ON k.id = e.case_id WHERE j.operation_id = ? AND j.table_name ="
        " 'case_events' AND j.kind = 'insert' ORDER BY j.id", [operation.id]).fetchall()
    if not rows or len({row[1] for row in rows}) != 1:
        return None
    done = ", ".join(dict.fromkeys("noted" if kind == "note" else kind for kind, _, _ in rows))
    return f"case #{rows[0][1]} {rows[0][2]}: {done}"


def _stage_change(db: Connection, operation_id: int) -> tuple[str | None, str] | None:
    """The first and last stage of the deal's stage changes in this operation."""
    rows = db.execute(
        "SELECT s.from_stage, s.to_stage FROM journal_changes j"
        " JOIN deal_stage_changes s ON s.id = j.row_id WHERE j.operation_id = ?"
        " AND j.table_name = 'deal_stage_changes' AND j.kind = 'insert' ORDER BY j.id",
        [operation_id]).fetchall()
    if not rows:
        rows = [(old.get("from_stage"), old["to_stage"]) for (text,) in db.execute(
            "SELECT old FROM journal_changes WHERE operation_id = ? AND kind = 'delete'"
            " AND table_name = 'deal_stage_changes' ORDER BY id", [operation_id])
            for old in [json.loads(text)]]
    return (rows[0][0], rows[-1][1]) if rows else None


_DESCRIBERS: dict[str, Callable[[Connection, Operation, list[str]], str | None]] = {
    "add": _added, "import": _imported, "merge": _merged, "undo": _undid,
    "edit": _about_one_contact("edited {who}", details=True),
    "tag": _about_one_contact("tagged {who}", details=True),
    "rm": _about_one_contact("moved {who} to the trash"),
    "restore": _about_one_contact("restored {who}"),
    "note": _about_one_contact("added a note on {who}"),
    "log": _about_one_contact("logged an interaction with {who}"),
    "follow-up": _about_one_contact("added a follow-up for {who}"),
}


# ---------------------------------------------------------------------------------- counting

def _counted(db: Connection, operation_id: int) -> str:
    """Who it concerned (the first contact it touched) and what changed, counted."""
    parts = _counts_for(db, operation_id)
    touched = _touched_contacts(db, operation_id)
    who = contact_label(db, touched[0]) if len(touched) == 1 else None
    return (f"{who}: " if who else "") + ", ".join(parts)


def _counts_for(db: Connection, operation_id: int, exclude: set[str] = frozenset()
                ) -> list[str]:
    counts = db.execute(
        "SELECT table_name, kind, count(*) FROM journal_changes WHERE operation_id = ?"
        " GROUP BY table_name, kind ORDER BY min(id)", [operation_id]).fetchall()
    return [f"{plural(count, _NOUNS.get(table, table))} {_VERBS[kind]}"
            for table, kind, count in counts if table not in exclude]


def _contacts(db: Connection, operation_id: int, kind: str) -> list[int]:
    return [row_id for (row_id,) in db.execute(
        "SELECT DISTINCT row_id FROM journal_changes WHERE operation_id = ?"
        " AND table_name = 'contacts' AND kind = ? ORDER BY row_id", [operation_id, kind])]


def _owners(db: Connection, operation_id: int) -> set[int]:
    """Every contact whose row, or a row of which, the operation changed (set-wise: an
    import's tens of thousands of rows are counted in a few statements); a row deleted
    since (by this operation, an undo or a later one) is found in the journal."""
    found = set(_contacts(db, operation_id, "update")) | set(
        _contacts(db, operation_id, "delete"))
    for table, column in contact_references(db):
        found.update(value for (value,) in db.execute(
            f"SELECT DISTINCT t.\"{column}\" FROM journal_changes j JOIN {table} t"
            " ON t.rowid = j.row_id WHERE j.operation_id = ? AND j.table_name = ?"
            " UNION SELECT json_extract(gone.old, ?) FROM journal_changes j"
            " JOIN journal_changes gone ON gone.table_name = j.table_name"
            " AND gone.row_id = j.row_id AND gone.kind = 'delete' AND gone.id >= j.id"
            " WHERE j.operation_id = ? AND j.table_name = ?",
            [operation_id, table, f'$."{column}"', operation_id, table]) if value is not None)
    return found


def _contact_updates(db: Connection, operation_id: int) -> list[tuple[int, dict]]:
    return [(row_id, json.loads(old or "{}")) for row_id, old in db.execute(
        "SELECT row_id, old FROM journal_changes WHERE operation_id = ?"
        " AND table_name = 'contacts' AND kind = 'update' ORDER BY id", [operation_id])]


def _changed_columns(db: Connection, operation_id: int, contact_id: int) -> list[str]:
    names: list[str] = []
    for row_id, old in _contact_updates(db, operation_id):
        names += [name.replace("_", " ") for name in old
                  if row_id == contact_id and name not in _QUIET_COLUMNS and name not in names]
    return [name for name in dict.fromkeys(names) if name != "deleted at"]


def _touched_contacts(db: Connection, operation_id: int) -> list[int]:
    """The contacts an operation is about: those whose own row it changed, else the owners
    of the rows it changed, in the order it changed them."""
    found: list[int] = []
    rows = db.execute("SELECT table_name, row_id, old FROM journal_changes"
                      " WHERE operation_id = ? ORDER BY table_name != 'contacts', id LIMIT 20",
                      [operation_id]).fetchall()
    if any(table == "contacts" for table, _, _ in rows):
        rows = [row for row in rows if row[0] == "contacts"]
    for table, row_id, old in rows:
        owner = row_id if table == "contacts" else _owner(db, table, row_id, old)
        if isinstance(owner, int) and owner not in found:
            found.append(owner)
    return found


def _owner(db: Connection, table: str, row_id: int, old: str | None) -> int | None:
    if table not in userdata.USER_TABLES or "contact_id" not in userdata.columns(db, table):
        return None
    current = db.execute(f"SELECT contact_id FROM {table} WHERE rowid = ?", [row_id]).fetchone()
    if current:
        return current[0]
    gone = db.execute("SELECT json_extract(old, '$.contact_id') FROM journal_changes"
                      " WHERE table_name = ? AND row_id = ? AND kind = 'delete'"
                      " ORDER BY id DESC LIMIT 1", [table, row_id]).fetchone()
    return json.loads(old or "{}").get("contact_id", gone and gone[0])


# ---------------------------------------------------------------------------------- names

def contact_label(db: Connection, contact_id: int) -> str:
    """``Ana Lima #12``: the name in the book, else the last one the journal saw."""
    name = _name(db, "contacts", "name", contact_id)
    return f"{name} #{contact_id}" if name else f"contact #{contact_id}"


def deal_label(db: Connection, deal_id: int) -> str:
    title = _name(db, "deals", "title", deal_id)
    return f"deal #{deal_id} {title}" if title else f"deal #{deal_id}"


def _name(db: Connection, table: str, column: str, row_id: int) -> str | None:
    current = db.execute(f"SELECT {column} FROM {table} WHERE id = ?", [row_id]).fetchone()
    if current:
        return current[0]
    seen = db.execute(
        "SELECT json_extract(old, ?) FROM journal_changes WHERE table_name = ? AND row_id = ?"
        " AND json_extract(old, ?) IS NOT NULL ORDER BY id DESC LIMIT 1",
        [f"$.{column}", table, row_id, f"$.{column}"]).fetchone()
    return seen[0] if seen else None
