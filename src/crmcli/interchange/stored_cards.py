"""Storage of what a contact's imported vCard held beyond crmcli's own fields.

``data`` is a JSON object from the vCard reader (photo, kept properties, ...); ``original`` is
the card as imported. Both let an export write back everything the phone gave us. ``rendered``
is the card ready to export while the contact is unchanged (see ``exporter.rendered_for``;
triggers drop it when something else the card is made from changes).
``card_hash`` and ``hashed_version`` let an import recognise a card it imported before (see
``remember``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from sqlite3 import Connection

from crmcli.bulk import insert_staged, staged
from crmcli.db import now_stamp


@dataclass
class StoredCard:
    data: dict
    original: str
    rendered: str | None = None
    rendered_for: str | None = None


def load(db: Connection, contact_id: int) -> StoredCard | None:
    return load_many(db, [contact_id]).get(contact_id)


def load_many(db: Connection, ids: list[int]) -> dict[int, StoredCard]:
    rows = db.execute(
        "SELECT contact_id, data, original, rendered, rendered_for FROM contact_cards"
        " WHERE contact_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    return {row[0]: StoredCard(json.loads(row[1]), row[2], row[3], row[4]) for row in rows}


def save(db: Connection, contact_id: int, card: StoredCard) -> None:
    save_rows(db, [row(contact_id, card, now_stamp(db))])


def row(contact_id: int, card: StoredCard, now: str, data: str | None = None) -> tuple:
    """The contact_cards row of ``card`` (for ``save_rows``); ``data``: its data already
    encoded by ``data_json``."""
    return (contact_id, data_json(card.data) if data is None else data, card.original,
            card.rendered, card.rendered_for, now)


def data_json(data: dict) -> str:
    """A card's data as stored (``json.dumps`` with non-ASCII kept)."""
    return _encoder().encode(data)


@cache
def _encoder() -> json.JSONEncoder:
    return json.JSONEncoder(ensure_ascii=False)


def save_rows(db: Connection, rows: list[tuple]) -> None:
    """Insert or replace the cards of ``row``s (an import writes a batch's together)."""
    insert_staged(
        db, "INSERT INTO contact_cards (contact_id, data, original, rendered, rendered_for,"
        " updated_at)", rows, "ON CONFLICT (contact_id) DO UPDATE SET"
        " data = excluded.data, original = excluded.original, rendered = excluded.rendered,"
        " rendered_for = excluded.rendered_for, updated_at = excluded.updated_at,"
        " card_hash = NULL, hashed_version = NULL")


@contextmanager
def ready_kept(db: Connection, contact_ids: list[int]) -> Iterator[None]:
    """Within: the cards of ``contact_ids`` stored ready to export are kept, though a trigger
    drops a contact's when one of its relationships is written (an import linking those its
    card gives: the key the card is kept for tells whether the links are what the card said).
    One statement reads them before, one writes them back after."""
    rows = db.execute(
        "SELECT contact_id, rendered, rendered_for FROM contact_cards WHERE contact_id IN"
        " (SELECT value FROM json_each(?)) AND rendered IS NOT NULL",
        [json.dumps(contact_ids)]).fetchall() if contact_ids else []
    yield
    if rows:
        with staged(db, rows) as (table, _):
            db.execute(f"UPDATE contact_cards SET rendered = s.c1, rendered_for = s.c2"
                       f" FROM {table} s WHERE contact_cards.contact_id = s.c0")


def recognised(db: Connection, hashes: list[str]) -> tuple[set[str], dict[str, int]]:
    """Of ``hashes`` (see ``remember``): those of cards whose live contact has not changed
    since the card was last imported, and the live contact (the first) every one of them
    was imported into."""
    if not hashes:
        return set(), {}
    rows = db.execute(
        "SELECT k.card_hash, k.contact_id, c.version IS k.hashed_version FROM contact_cards k"
        " JOIN contacts c ON c.id = k.contact_id"
        " WHERE k.card_hash IN (SELECT value FROM json_each(?)) AND c.deleted_at IS NULL"
        " ORDER BY k.contact_id DESC", [json.dumps(hashes)]).fetchall()
    return ({card_hash for card_hash, _, same in rows if same},
            {card_hash: contact_id for card_hash, contact_id, _ in rows})


def remember(db: Connection, quiet: list[tuple[str, int]], warned: list[tuple[str, int]]
             ) -> None:
    """Keep (hash, contact id): the contact's card was just imported from a card of that
    hash; for the cards in ``quiet`` (not to be read again while the contact stays as it is)
    with the contact's version now. A card that ``warned`` is remembered without a version:
    read again (so it warns again), it is known to be that contact's. The last hash given for
    a contact counts, ``warned`` last. Saving the card again forgets it."""
    for hashes, version in ((quiet, _VERSION), (warned, "NULL")):
        latest = {contact_id: (card_hash, contact_id) for card_hash, contact_id in hashes}
        if not latest:
            continue
        with staged(db, list(latest.values())) as (table, _):
            db.execute(f"UPDATE contact_cards SET card_hash = s.c0, hashed_version = {version}"
                       f" FROM {table} s WHERE contact_cards.contact_id = s.c1"
                       f" AND (card_hash IS NOT s.c0 OR hashed_version IS NOT {version})")


_VERSION = "(SELECT version FROM contacts WHERE id = contact_cards.contact_id)"


def save_new(db: Connection, rows: list[tuple]) -> None:
    """Insert the cards of new contacts: ``row``s, each followed by the card's key and
    whether it is remembered unchanged (see ``remember``), or None and False: a card is
    written as ``remember`` will leave it, which then rewrites no row."""
    if not rows:
        return
    with staged(db, rows) as (table, _):
        db.execute(
            "INSERT INTO contact_cards (contact_id, data, original, rendered, rendered_for,"
            " updated_at, card_hash, hashed_version) SELECT c0, c1, c2, c3, c4, c5, c6,"
            " CASE WHEN c7 THEN (SELECT version FROM contacts WHERE id = c0) END"
            f" FROM {table} WHERE true ORDER BY rowid")


def combine(kept: dict, incoming: dict) -> dict:
    """Add what ``incoming`` has and ``kept`` lacks: new list items, missing values."""
    combined = dict(kept)
    for key, value in incoming.items():
        if isinstance(value, list):
            current = list(combined.get(key) or [])
            known = {repr(item) for item in current}  # a set: a card may have many lines
            combined[key] = current + [item for item in value if repr(item) not in known]
        elif combined.get(key) in (None, "", {}):
            combined[key] = value
    return combined
