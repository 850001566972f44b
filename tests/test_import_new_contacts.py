"""The new contacts of an import batch are looked up once for the batch and written together
(interchange.new_contacts); records that may be someone already in the book, or in the same
batch, still go the usual way."""

from __future__ import annotations

import datetime as dt
import io

from crmcli import bulk, contacts, journal
from crmcli import db as storage
from crmcli.interchange import importer, input_files
from crmcli.models import Contact


def _card(uid: str | None, name: str, *lines: str) -> str:
    head = f"UID:{uid}\r\n" if uid else ""
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\n" + head + f"FN:{name}\r\n"
            + "".join(line + "\r\n" for line in lines) + "END:VCARD\r\n")


def _import(db_path, text: str, statements: list | None = None) -> importer.ImportReport:
    conn = storage.connect(db_path)
    if statements is not None:
        conn.set_trace_callback(statements.append)
    source = input_files.Source("cards.vcf", io.BytesIO(text.encode()), None)
    records = input_files.read_records(source, input_files.Format.vcard, "dmy",
                                       dt.date(2026, 1, 1))
    try:
        return importer.run(conn, records)
    finally:
        conn.close()


def test_a_batch_of_new_cards_is_looked_up_once_not_card_by_card(crm, db_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SECONDS", 600)  # one batch, however loaded the machine
    crm.add("Someone Else", "-e", "someone@example.com")
    cards = "".join(_card(f"new-{n}", f"New Person {n}", f"EMAIL:new{n}@example.com",
                          f"TEL:+34 600 000 {n:03d}", "ORG:Shared Co", "NOTE:hello")
                    for n in range(200))
    statements: list[str] = []
    report = _import(db_path, cards, statements)
    assert (report.created, report.failed) == (200, 0)
    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(lookups) < 20, lookups[:5]  # a card by card import asks 3 or more per card
    shown = crm.ok("show", "new17@example.com", "--json").json()
    assert (shown["name"], shown["company"], shown["phones"][0]["value"]) == (
        "New Person 17", "Shared Co", "+34 600 000 017")
    assert [row["name"] for row in crm.ok("list", "600000017").rows()] == ["New Person 17"]
    assert len(crm.ok("company", "list").rows()) == 1


def test_cards_of_one_batch_that_are_the_same_person_make_one_contact(crm, db_path):
    cards = (_card("a", "Ana Lima", "EMAIL:ana@example.com")
             + _card("b", "Ana L.", "EMAIL:ANA@example.com", "TEL:+34 611 111 111")
             + _card("c", "Bo Chen", "TEL:+34 622 222 222")
             + _card("d", "Bo Chen", "TEL:622 222 222", "EMAIL:bo@example.com")
             + _card("e", "Eve Twice") + _card("e", "Eve Twice", "NOTE:second time"))
    report = _import(db_path, cards)
    assert (report.created, report.updated) == (3, 3)
    ana = crm.ok("show", "ana@example.com", "--json").json()
    assert [p["value"] for p in ana["phones"]] == ["+34 611 111 111"]
    bo = crm.ok("show", "bo@example.com", "--json").json()
    assert bo["name"] == "Bo Chen" and bo["uid"] == "c"
    assert len(crm.ok("list").rows()) == 3


def test_a_uuid_written_another_way_is_the_contact_of_the_book_or_of_the_batch(crm, db_path):
    """A card with only a contact's own rows went the fast way, which compared UIDs exactly,
    and was a second contact; any other card updated the first (``contacts.find_by_uid``)."""
    uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    other = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    _import(db_path, _card(uuid, "Ana Lima"))
    report = _import(db_path, _card(uuid.upper(), "Ana Lima", "EMAIL:ana@example.com")
                     + _card(other, "Bo Chen") + _card(f"urn:uuid:{other}", "Bo Chen",
                                                       "EMAIL:bo@example.com"))
    assert (report.created, report.updated) == (1, 2)
    assert sorted((c["name"], c["uid"], [e["value"] for e in c["emails"]])
                  for c in crm.ok("list", "--json").json()) == [
        ("Ana Lima", uuid, ["ana@example.com"]), ("Bo Chen", other, ["bo@example.com"])]


def test_a_new_card_takes_the_company_of_the_book_as_it_is_spelt_there(crm, db_path):
    crm.ok("company", "add", "ACME Corp")
    report = _import(db_path, _card("x", "Xavi Roca", "N:Roca;Xavi;;;", "ORG:acme corp")
                     + _card("y", "Yara Roca", "ORG:Brand New Ltd"))
    assert report.created == 2
    assert crm.ok("show", "Xavi Roca", "--json").json()["company"] == "ACME Corp"
    assert sorted(row["name"] for row in crm.ok("company", "list").rows()) == [
        "ACME Corp", "Brand New Ltd"]
    exported = crm.ok("export", "-f", "vcard").stdout
    assert "ORG:acme corp" in exported  # the card as it came, stored ready to export


def test_new_cards_mixed_with_ones_that_need_more_than_a_row_keep_every_part(crm, tmp_path):
    vcf = tmp_path / "mixed.vcf"
    vcf.write_text(_card("p1", "Plain One", "EMAIL:p1@example.com")
             + _card("f1", "Facts One", "BDAY:1980-02-03", "X-CRMCLI-INTEREST:chess",
                     "X-CRMCLI-NO-MAIL:TRUE")
             + _card("p2", "Plain Two", "RELATED;TYPE=friend:urn:uuid:p1"))
    assert "created 3, updated 0, unchanged 0, skipped 0, failed 0" in crm.ok(
        "import", str(vcf)).stderr
    facts = crm.ok("show", "Facts One", "--json").json()
    assert facts["interests"] == ["chess"] and facts["birthday"] == "1980-02-03"
    relations = crm.ok("relations", "Plain Two").stdout
    assert "Plain One" in relations
    crm.ok("undo")
    assert crm.ok("list").rows() == []


def test_a_batch_cut_short_by_its_time_leaves_the_rest_to_the_next(db_path, monkeypatch):
    """Past BATCH_SECONDS a batch commits what it did; the records it had taken go first in
    the next batch (held in a list: putting them back in front of the input, batch after
    batch, nested an iterator a batch deep)."""
    monkeypatch.setattr(importer, "BATCH_SECONDS", 0)
    cards = "".join(_card(f"slow-{n}", f"Slow Person {n}") for n in range(40))
    statements: list[str] = []
    report = _import(db_path, cards, statements)
    assert (report.created, report.failed) == (40, 0)
    assert sum(s == "COMMIT" for s in statements) >= 40  # a record a batch
    conn = storage.connect(db_path)
    assert [row[0] for row in conn.execute("SELECT uid FROM contacts ORDER BY id")] == [
        f"slow-{n}" for n in range(40)]


def test_a_batch_of_new_cards_is_written_a_statement_per_table_and_undone_whole(
        crm, db_path, tmp_path, monkeypatch):
    """One statement per table for the batch (a statement per row costs the journal's trigger
    a savepoint each), every row still journaled: the undo leaves the book as it was."""
    monkeypatch.setattr(importer, "BATCH_SECONDS", 600)
    crm.add("Already Here", "-e", "here@example.com")
    before = crm.ok("list", "--json").json()
    cards = "".join(_card(f"n-{n}", f"New {n}", f"EMAIL:n{n}@example.com",
                          f"TEL:+34 600 {n:06d}", "CATEGORIES:a,b", f"NOTE:note {n}",
                          f"ORG:{'CO' if n == 7 else 'Co'} {n % 5}") for n in range(50))
    statements: list[str] = []
    traced = storage.connect(tmp_path / "traced.db")
    # A trigger's run is traced with the text of the statement that fired it.
    traced.execute("DROP TRIGGER notes_drop_ready_cards_insert")
    traced.close()
    assert _import(tmp_path / "traced.db", cards, statements).created == 50
    for table in ("companies", "contacts", "contact_details", "contact_tags", "notes",
                  "contact_cards"):
        assert sum(s.startswith(f"INSERT INTO {table} ") for s in statements) == 1, table
    vcf = tmp_path / "new.vcf"
    vcf.write_text(cards)
    crm.ok("import", str(vcf))
    conn = storage.connect(db_path)
    journaled = dict(conn.execute("SELECT table_name, count(*) FROM journal_changes"
                                  " WHERE kind = 'insert' AND operation_id ="
                                  " (SELECT max(id) FROM journal_operations) GROUP BY 1"))
    recognised = conn.execute("SELECT count(*) FROM contact_cards WHERE card_hash IS NOT NULL"
                              " AND hashed_version = 1").fetchone()[0]
    conn.close()
    assert journaled == {"companies": 5, "contacts": 50, "contact_details": 100,
                         "contact_tags": 100, "notes": 50, "contact_cards": 50}
    assert recognised == 50
    assert sorted(row["name"] for row in crm.ok("company", "list").rows()) == [
        "Co 0", "Co 1", "Co 2", "Co 3", "Co 4"]  # as the first card to name it spells it
    assert crm.ok("show", "New 12", "--json").json()["company"] == "Co 2"
    crm.ok("undo")
    assert crm.ok("list", "--json").json() == before


def test_staged_rows_reach_the_table_exactly_and_in_order(db_path):
    conn = storage.connect(db_path)
    rows = [(None, 7, "a\x00b", b"\x00\xff", 1.5), ("9", "x", "", None, -2)]
    with storage.transaction(conn):
        conn.execute("CREATE TEMP TABLE kept (n INTEGER PRIMARY KEY, a, b, c, d, e)")
        bulk.insert_staged(conn, "INSERT INTO kept (a, b, c, d, e)", rows)
        bulk.insert_staged(conn, "INSERT INTO kept (a, b, c, d, e)", [])
        assert conn.execute("SELECT a, b, c, d, e FROM kept ORDER BY n").fetchall() == rows
    conn.close()


def test_a_new_card_is_written_as_the_import_remembers_it_and_not_rewritten(db_path,
                                                                            monkeypatch):
    """The card of a new contact goes in with its key and version (a card that warned: its
    key only), so remembering it at the end of the batch rewrites no row; a card whose
    contact a later card of the batch changed is remembered anew."""
    monkeypatch.setattr(importer, "BATCH_SECONDS", 600)
    cards = (_card("q", "Quiet One", "EMAIL:q@example.com") + _card("w", "Warned One",
                                                                     "BDAY:1980-01-02x")
             + _card("e", "Eve Twice") + _card("e", "Eve Twice", "NOTE:second time"))
    conn = storage.connect(db_path)
    # In the main schema: the import's settings drop the connection's TEMP tables.
    conn.execute("CREATE TABLE updated_cards (contact_id INTEGER)")
    conn.execute("CREATE TRIGGER updated_card AFTER UPDATE ON contact_cards"
                 " BEGIN INSERT INTO updated_cards VALUES (NEW.contact_id); END")
    source = input_files.Source("cards.vcf", io.BytesIO(cards.encode()), None)
    report = importer.run(conn, input_files.read_records(source, input_files.Format.vcard,
                                                         "dmy", dt.date(2026, 1, 1)))
    assert (report.created, report.updated) == (3, 1)
    stored = conn.execute("SELECT c.name, k.card_hash IS NOT NULL, k.hashed_version, c.version"
                          " FROM contact_cards k JOIN contacts c ON c.id = k.contact_id"
                          " ORDER BY c.id").fetchall()
    assert stored == [("Quiet One", 1, 1, 1), ("Warned One", 1, None, 1),
                      ("Eve Twice", 1, 1, 1)]
    updated = {name for (name,) in conn.execute(
        "SELECT name FROM contacts WHERE id IN (SELECT contact_id FROM updated_cards)")}
    assert updated == {"Eve Twice"}
    conn.close()


def test_a_batchs_new_rows_are_journaled_as_their_triggers_journal_them(tmp_path,
                                                                       monkeypatch):
    """The rows of a batch's new contacts are journaled a statement per table, exactly as
    the triggers journal them a row at a time: the same changes, in the same order, under
    the same ids; and the import is undone whole."""
    from contextlib import nullcontext

    from conftest import Crm

    from crmcli import journal

    monkeypatch.setattr(importer, "BATCH_SECONDS", 600)
    vcf = tmp_path / "new.vcf"
    vcf.write_text("".join(_card(f"n-{n}", f"New {n}", f"EMAIL:n{n}@example.com",
                                 f"TEL:+34 600 {n:06d}", "CATEGORIES:a,b", f"NOTE:note {n}",
                                 f"ORG:Co {n % 5}") for n in range(300)))

    def journaled(name: str) -> list[tuple]:
        crm = Crm(tmp_path / name)
        crm.add("Already Here", "-e", "here@example.com", "-t", "x")
        crm.ok("import", str(vcf))
        conn = storage.connect(tmp_path / name)
        try:
            return conn.execute("SELECT id, operation_id, table_name, row_id, kind, old"
                                " FROM journal_changes ORDER BY id").fetchall()
        finally:
            conn.close()

    together = journaled("together.db")
    monkeypatch.setattr(journal, "inserts_together", lambda db, table: nullcontext())
    assert journaled("by-row.db") == together
    tables = {table for _, _, table, _, _, _ in together}
    assert tables == {"contacts", "contact_details", "contact_tags", "notes", "contact_cards",
                      "companies"}
    monkeypatch.undo()
    crm = Crm(tmp_path / "together.db")
    crm.ok("undo")
    assert [row["name"] for row in crm.ok("list").rows()] == ["Already Here"]


def test_an_import_writes_with_the_bulk_settings_and_puts_them_back(db_path):
    """A larger cache and fewer checkpoints while importing (the journal still records every
    row); the connection's own settings after. Statement journals stay in files: in memory,
    each holds every page its statement changes, more as the book grows."""
    conn = storage.connect(db_path)
    default = {name: conn.execute(f"PRAGMA {name}").fetchone()[0]
               for name in storage.BULK_SETTINGS}
    seen: list[tuple] = []
    source = input_files.Source("cards.vcf", io.BytesIO("".join(
        _card(f"b-{n}", f"Bulk {n}", "CATEGORIES:x") for n in range(300)).encode()), None)
    records = input_files.read_records(source, input_files.Format.vcard, "dmy",
                                       dt.date(2026, 1, 1))
    conn.journal = journal.Recorder("import", "import", "2026-01-01T00:00:00Z")
    contacts.create(conn, Contact(name="Before", tags=["x"]))  # the journal's triggers are in
    report = importer.run(conn, records, progress=lambda done: seen.append(tuple(
        conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ["temp_store", *storage.BULK_SETTINGS])))
    assert report.created == 300
    assert set(seen) == {(0, -4000, 4000)}  # 0: as compiled, in files
    assert {name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in storage.BULK_SETTINGS} == default
    assert conn.execute("SELECT count(*) FROM journal_changes WHERE table_name = 'contact_tags'"
                        ).fetchone()[0] == 301
    conn.close()
