"""Contacts for export, read in batches so memory stays flat however big the book."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from sqlite3 import Connection

from crmcli import activity, campaigns, contacts, gifts
from crmcli.interchange import stored_cards
from crmcli.interchange.stored_cards import StoredCard
from crmcli.models import Contact
from crmcli.text import compact_json, json_safe

BATCH = 500
# Part of every fingerprint: a new value retires the cards stored ready to export under older
# rules (2: only cards valid as they are, see vcard_conform; 3: relationships, dates, fields;
# 4: personal facts and gifts).
_RENDERING_RULES = 4
_SAFE_UID = re.compile(r"[A-Za-z0-9_.+-]+")
_LONGEST_UID_NAME = 200  # file names stop at 255 bytes; sync may prefix "<id>-"
_UID_LINE = re.compile(r"^(?:[\w-]+\.)?UID[^:\n]*:(.*)$", re.MULTILINE | re.IGNORECASE)


@dataclass
class Exported:
    contact: Contact
    notes: list[str]
    card: StoredCard | None  # what its imported vCard held, if it came from one
    relations: list = field(default_factory=list)  # vcard_personal.Related: who is who to it


def iter_export(db: Connection, ids: Sequence[int]) -> Iterator[Exported]:
    for start in range(0, len(ids), BATCH):
        batch = list(ids[start:start + BATCH])
        notes = activity.notes_by_contact(db, batch)
        stored = stored_cards.load_many(db, batch)
        related = relations_of(db, batch)
        no_mail = campaigns.opted_out_among(db, batch)
        given = gifts.entries_of(db, batch)
        for contact in contacts.load_many(db, batch):
            contact.no_mail = contact.id in no_mail
            contact.gifts = given.get(contact.id, [])
            yield Exported(contact, notes.get(contact.id, []), stored.get(contact.id),
                           related.get(contact.id, []))


def relations_of(db: Connection, ids: list[int]) -> dict[int, list]:
    """Each contact's relationships as its card holds them (the UID of a related contact in
    the book, the name of a person who is not)."""
    from crmcli.interchange.vcard_personal import Related
    from crmcli.relationships import outgoing

    found: dict[int, list] = {}
    for contact_id, kind, name, uid in outgoing(db, ids):
        found.setdefault(contact_id, []).append(Related(kind, name, uid))
    return found


def to_record(item: Exported) -> dict:
    """The JSON export record: the ``crm list --json`` fields plus the notes, the
    relationships, the opt-out and the gifts (only when there are some)."""
    record = contacts.to_record(item.contact) | {"notes": item.notes, "relationships": [
        {"type": r.kind, "name": r.name, "uid": r.uid} for r in item.relations],
        "no_mail": item.contact.no_mail}
    if item.contact.gifts:
        record["gifts"] = [{"description": gift.description, "given_on": gift.given_on}
                           for gift in item.contact.gifts]
    return record


def fingerprint(item: Exported, data_json: str | None = None) -> str:
    """A digest of everything an exported vCard is made from; it changes with any edit.
    ``data_json`` is the card's data as ``stored_cards.data_json`` encodes it, when the caller
    has it (an import stores it too): the same digest, the data encoded once."""
    if data_json is None:
        data_json = stored_cards.data_json(item.card.data) if item.card else "null"
    related = [[r.kind, r.name, r.uid] for r in item.relations]
    record = to_record(item)
    if not record["no_mail"]:
        del record["no_mail"]  # as before the opt-out was exported: stored cards stay current
    text = json_safe(f"[{_RENDERING_RULES}, {compact_json(record)}, {data_json},"
                     f" {compact_json(related)}]")  # to_json of the four, pieces encoded apart
    return hashlib.sha256(text.encode()).hexdigest()


def rendered_for(item: Exported, data_json: str | None = None) -> str:
    """What a card stored ready to export is kept for (``StoredCard.rendered_for``): the
    contact's version and `fingerprint`. The fingerprint holds the version, so a contact whose
    version moved on since is known changed without computing it; an edit that leaves the
    version (a note, a relationship, a gift, a custom field, a company renamed...) drops the
    card by trigger (see ``migrations.m034_ready_cards_dropped_with_their_inputs``)."""
    return f"{item.contact.version}:{fingerprint(item, data_json)}"


def to_vcard(item: Exported, version: str = "3.0") -> str:
    """The contact as one vCard, written over the card it was imported from (if any).

    A card imported as valid vCard 3.0 and unchanged since is written as it came.
    """
    card = item.card
    if version == "3.0" and card and card.rendered and _unchanged(item, card.rendered_for):
        return card.rendered
    return _write(item, version)


def _unchanged(item: Exported, kept_for: str | None) -> bool:
    """Whether the contact is as it was when its card was stored ready (`rendered_for`; a
    fingerprint alone, as stored before the version was kept with it)."""
    if not kept_for:
        return False
    kept_version, known, digest = kept_for.rpartition(":")
    if known and kept_version != str(item.contact.version):
        return False
    return digest == fingerprint(item)


def iter_vcards(items: Iterable[Exported], version: str = "3.0", with_contacts: bool = False):
    """vCards for many contacts (with each contact, ``with_contacts``), written one at a time
    in this process: worker processes forked from it would each hold a copy of its memory
    (with two, 89 MB instead of 32 on 100,000 contacts) for work that is mostly cards stored
    ready."""
    if with_contacts:
        return ((item.contact, to_vcard(item, version)) for item in items)
    return (to_vcard(item, version) for item in items)


def _write(item: Exported, version: str) -> str:
    import base64

    from crmcli.interchange.vcard_fields import ParsedCard, Photo
    from crmcli.interchange.vcard_write import write_card

    data = item.card.data if item.card else {}
    photo = data.get("photo")
    parsed = ParsedCard(
        contact=item.contact, notes=item.notes, anniversary=item.contact.anniversary,
        relations=list(item.relations),
        photo=Photo(
            data=base64.b64decode(photo["data"]) if photo.get("data") else None,
            uri=photo.get("uri"), media_type=photo.get("media_type") or "") if photo else None,
        rev=data.get("rev"), extra=list(data.get("extra") or []),
        original=item.card.original if item.card else None,
    )
    return write_card(parsed, version)


def vdir_file_name(contact: Contact) -> str:
    """A new card's file name in a vdir: ``<uid>.vcf`` when the UID is made of characters
    safe everywhere (vdirsyncer's rule) and short enough for any file system, else a name
    derived from a digest of it."""
    uid = contact.uid or str(contact.id)
    if len(uid) <= _LONGEST_UID_NAME and _SAFE_UID.fullmatch(uid):
        return f"{uid}.vcf"
    return f"{hashlib.sha1(uid.encode()).hexdigest()}.vcf"


def vdir_files_by_uid(db: Connection, folder: Path) -> Callable[[str | None], str | None]:
    """What gives the file holding a UID already in a vdir, whatever its name, so that an
    export writes over it instead of adding a second card with the same UID (the first file
    found holding it). The folder's UIDs are kept in a TEMP table, not in memory: a vdir may
    hold a million cards."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS vdir_files (uid TEXT PRIMARY KEY, name TEXT)")
    db.execute("DELETE FROM temp.vdir_files")
    db.executemany("INSERT OR IGNORE INTO temp.vdir_files VALUES (?, ?)", _uids_in(folder))

    def holding(uid: str | None) -> str | None:
        row = db.execute("SELECT name FROM temp.vdir_files WHERE uid = ?", [uid]).fetchone()
        return row[0] if row else None
    return holding


def _uids_in(folder: Path) -> Iterator[tuple[str, str]]:
    """(UID, file name) of each card file of ``folder`` that names one, read a file at a time
    (pathlib's glob lists the whole folder first)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.endswith(".vcf") or not entry.is_file():
                continue
            try:
                with open(entry.path, encoding="utf-8", errors="replace") as stream:
                    text = stream.read()
            except OSError:
                continue
            match = _UID_LINE.search(re.sub(r"\r?\n[ \t]", "", text))
            if match:
                yield match[1].strip(), entry.name
