"""Company vCards become companies (import, sync, and books from earlier releases), are
written back as company cards, and companies round-trip through vCard, JSON and CSV."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import CORPUS

from crmcli import db as storage

RELEASES = Path(__file__).parent / "fixtures" / "releases"
COMPANY_3 = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:Globex\r\nORG:Globex;\r\n"
             "EMAIL;TYPE=WORK:info@globex.example\r\nX-ABShowAs:COMPANY\r\nEND:VCARD\r\n")
KIND_ORG = ("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Initech\r\nORG:Initech\r\n"
            "TEL:+1 555 0100\r\nEND:VCARD\r\n")
ORG_ONLY = "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Hooli\r\nURL:https://hooli.example\r\nEND:VCARD\r\n"
PERSON = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lima;Ana;;;\r\nFN:Ana Lima\r\nORG:Globex\r\n"
          "IMPP;X-SERVICE-TYPE=Skype:skype:ana.lima\r\nX-SOCIALPROFILE;TYPE=twitter:"
          "https://twitter.com/analima\r\nEND:VCARD\r\n")


def _companies(crm) -> list[dict]:
    return crm.ok("company", "list", "--json").json()


def test_company_cards_become_companies_not_people(crm, tmp_path):
    cards = tmp_path / "phone.vcf"
    cards.write_text(COMPANY_3 + KIND_ORG + ORG_ONLY + PERSON)
    crm.ok("import", str(cards))
    assert [c["name"] for c in crm.ok("list", "--json").json()] == ["Ana Lima"]
    found = {c["name"]: c for c in _companies(crm)}
    assert sorted(found) == ["Globex", "Hooli", "Initech"]
    assert found["Globex"]["emails"] == [{"value": "info@globex.example", "label": "work"}]
    assert found["Globex"]["people"] == 1
    assert found["Initech"]["phones"][0]["value"] == "+1 555 0100"
    assert found["Hooli"]["websites"][0]["value"] == "https://hooli.example"


def test_corpus_company_cards_import_as_companies(crm):
    crm.ok("import", str(CORPUS / "qtpim__AAB4-SingleCompany.vcf"))
    crm.ok("import", str(CORPUS / "ical4j__vcard-vCards-SAP.vcf"))
    names = [c["name"] for c in _companies(crm)]
    assert "Apple Computer Inc." in names and "Karlsruhe Travel" in names
    people = [c["name"] for c in crm.ok("list", "--json").json()]
    assert "Apple Computer Inc." not in people and "Karlsruhe Travel" not in people
    apple = crm.ok("company", "show", "apple", "--json").json()
    assert apple["websites"][0]["value"] == "http://www.apple.com"
    assert apple["addresses"][0]["label"] == "work"


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_exported_as_a_company_card(crm, version):
    crm.ok("company", "add", "Globex", "--industry", "energy")
    card = crm.ok("export", "--vcard-version", version).stdout
    assert "X-ABSHOWAS:COMPANY" in card.upper()
    assert ("KIND:ORG" in card.upper()) == (version == "4.0")
    assert "N:;;;;" in card and "ORG:Globex" in card and "X-CRMCLI-INDUSTRY:energy" in card


def _book(crm) -> None:
    crm.ok("field", "add", "segment", "--type", "text", "--on", "companies")
    crm.ok("company", "add", "Iberia, Logistics", "--website", "https://iberialog.es", "-e",
           "sales:info@iberialog.es", "-p", "office:+34 912 345 678", "--address",
           "Calle Mayor 1\nMadrid", "--industry", "logistics; freight", "--size", "51-200",
           "-t", "partner", "-t", "eu", "--note", "Met at the expo", "--set",
           "segment=enterprise")
    crm.ok("company", "add", "Hooli")
    crm.add("Ana Lima", "-c", "Iberia, Logistics", "-e", "ana@iberialog.es")


def _state(crm) -> list[dict]:
    shown = []
    for company in _companies(crm):
        record = crm.ok("company", "show", str(company["id"]), "--json").json()
        for key in ("id", "created_at", "updated_at", "version", "history"):
            record.pop(key)
        record["notes"] = [note["body"] for note in record["notes"]]
        record["contacts"] = [person["name"] for person in record["contacts"]]
        shown.append(record)
    return shown


@pytest.mark.parametrize("how", [["--vcard-version", "3.0"], ["--vcard-version", "4.0"],
                                 ["-f", "json"], ["-f", "csv", "--csv-dialect", "crmcli"]],
                         ids=["vcard3", "vcard4", "json", "csv"])
def test_round_trip_into_a_fresh_book_is_identical(crm, tmp_path, how):
    from conftest import Crm

    _book(crm)
    exported = tmp_path / ("book.csv" if "csv" in how else "book.json" if "json" in how
                           else "book.vcf")
    exported.write_text(crm.ok("export", *how).stdout)
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("import", str(exported))
    assert _state(fresh) == _state(crm)
    fresh.ok("import", str(exported))  # again: nothing new, nothing doubled
    assert _state(fresh) == _state(crm)


def test_instant_messaging_and_social_profiles_are_shown(crm, tmp_path):
    cards = tmp_path / "phone.vcf"
    cards.write_text(PERSON + COMPANY_3.replace("END:VCARD", "X-SKYPE:globex.sales\r\nEND:VCARD"))
    crm.ok("import", str(cards))
    record = crm.ok("show", "ana", "--json").json()
    assert record["handles"] == [
        {"service": "Skype", "value": "ana.lima"},
        {"service": "Twitter", "value": "https://twitter.com/analima"}]
    page = crm.ok("show", "ana").stdout
    assert "Skype" in page and "ana.lima" in page and "twitter.com/analima" in page
    company = crm.ok("company", "show", "globex", "--json").json()
    assert company["handles"] == [{"service": "Skype", "value": "globex.sales"}]


def test_bad_company_records_are_one_line_each(crm, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "company", "name": ""}\n{"kind": "company", "name": "X", '
                   '"colour": "red"}\n{"kind": "company", "name": "Y", "emails": ["nope"]}\n')
    result = crm("import", str(bad))
    assert result.exit_code == 1
    assert "line 1: a company needs a name" in result.stderr
    assert "line 2: unknown field(s) of a company: colour" in result.stderr
    assert "left out the invalid email 'nope'" in result.stderr
    assert [c["name"] for c in _companies(crm)] == ["Y"]


def test_contacts_made_of_company_cards_by_earlier_releases_become_companies(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.executescript((RELEASES / "v12.sql").read_text())
        _plant_company_card_contact(conn)
    book = storage.connect(db_path)
    row = book.execute("SELECT id, uid FROM companies WHERE name = 'Globex'").fetchone()
    assert row[1] == "globex-card"
    assert book.execute("SELECT count(*) FROM contacts WHERE name = 'Globex'").fetchone() == (0,)
    assert book.execute("SELECT kind, value FROM company_details WHERE company_id = ?",
                        [row[0]]).fetchall() == [("email", "info@globex.example")]
    notes = [body for (body,) in book.execute(
        "SELECT body FROM company_notes WHERE company_id = ? ORDER BY id", [row[0]])]
    assert notes == ["Old friends", "call on 2026-10-01 (20 min, positive): Renewal talk",
                     "colleague: Ana Lima", "anniversary: 2010-05-01"]
    assert book.execute("SELECT company_id, contact_id FROM deals WHERE title = 'Globex deal'"
                        ).fetchone() == (row[0], None)
    assert book.execute("SELECT contact_id, body FROM followups WHERE body LIKE 'Globex:%'"
                        ).fetchone() == (None, "Globex: Call about the renewal")
    assert book.execute("SELECT related_name FROM relationships WHERE related_name = 'Globex'"
                        ).fetchone() == ("Globex",)
    assert book.execute("SELECT collection, row_id FROM sync_items WHERE href = 'globex.vcf'"
                        ).fetchone() == ("companies", row[0])
    assert book.execute("SELECT tag FROM company_tags WHERE company_id = ?", [row[0]]
                        ).fetchall() == [("supplier",)]
    assert book.execute("PRAGMA foreign_key_check").fetchall() == []
    book.close()


def _plant_company_card_contact(conn) -> None:
    """A contact an earlier release made of Globex's company card, with a bit of everything."""
    now = "2026-11-26T09:00:00Z"
    conn.execute("INSERT INTO companies (name, name_folded, created_at, updated_at)"
                 " VALUES ('Globex', 'globex', ?, ?)", [now, now])
    company = conn.execute("SELECT id FROM companies WHERE name = 'Globex'").fetchone()[0]
    contact = conn.execute(
        "INSERT INTO contacts (uid, name, name_folded, company_id, anniversary, created_at,"
        " updated_at) VALUES ('globex-card', 'Globex', 'globex', ?, '2010-05-01', ?, ?)",
        [company, now, now]).lastrowid
    ana = conn.execute("SELECT id FROM contacts WHERE name = 'Ana Lima'").fetchone()[0]
    conn.executescript(f"""
        INSERT INTO contact_cards (contact_id, data, original, updated_at) VALUES ({contact},
            '{{"extra": ["X-ABSHOWAS:COMPANY"]}}', 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\n'
            || 'FN:Globex\r\nORG:Globex\r\nX-ABShowAs:COMPANY\r\nEND:VCARD\r\n', '{now}');
        INSERT INTO contact_details (contact_id, kind, label, value, norm, position)
            VALUES ({contact}, 'email', '', 'info@globex.example', 'info@globex.example', 0);
        INSERT INTO contact_tags VALUES ({contact}, 'supplier');
        INSERT INTO notes (contact_id, body, created_at, updated_at)
            VALUES ({contact}, 'Old friends', '{now}', '{now}');
        INSERT INTO interactions (contact_id, kind, body, happened_at, duration_minutes,
            outcome, created_at) VALUES ({contact}, 'call', 'Renewal talk',
            '2026-10-01T10:00:00Z', 20, 'positive', '{now}');
        INSERT INTO followups (contact_id, due, body, created_at, updated_at)
            VALUES ({contact}, '2026-12-01', 'Call about the renewal', '{now}', '{now}');
        INSERT INTO deals (contact_id, title, currency, stage, created_at, updated_at)
            VALUES ({contact}, 'Globex deal', 'EUR', 'lead', '{now}', '{now}');
        INSERT INTO relationships (contact_id, kind, related_id, created_at)
            VALUES ({contact}, 'colleague', {ana}, '{now}');
        INSERT INTO relationships (contact_id, kind, related_id, created_at)
            VALUES ({ana}, 'supplier', {contact}, '{now}');
        INSERT INTO sync_items VALUES ('/vdir', 'globex.vcf', 'contacts', 'globex-card', 1, 1,
            'x', '{{}}', {contact}, '1.1', '{now}');
    """)


def test_a_company_card_on_the_phone_syncs_as_a_company(crm, tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    (vdir / "globex.vcf").write_text(COMPANY_3)
    (vdir / "ana.vcf").write_text(PERSON)
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{vdir}"\n')
    crm.ok("sync")
    assert [c["name"] for c in crm.ok("list", "--json").json()] == ["Ana Lima"]
    assert [c["name"] for c in _companies(crm)] == ["Globex"]
    assert sorted(path.name for path in vdir.iterdir()) == ["ana.vcf", "globex.vcf"]
    (vdir / "globex.vcf").write_text(COMPANY_3.replace("END:VCARD",
                                                       "TEL:+1 555 0199\r\nEND:VCARD"))
    crm.ok("sync")
    assert _companies(crm)[0]["phones"][0]["value"] == "+1 555 0199"
    assert [c["name"] for c in crm.ok("list", "--json").json()] == ["Ana Lima"]
    crm.ok("sync")  # a fixed point: nothing moves
    status = crm.ok("sync", "status", "--json").json()
    assert all(not row.get("pulled") and not row.get("pushed") for row in status), status


def test_reimporting_a_company_card_that_only_gained_card_lines_reports_it_updated(crm):
    assert crm.ok("import", "--format", "vcard", "-", input=COMPANY_3).stderr.startswith(
        "created 1, updated 0")
    assert crm.ok("import", "--format", "vcard", "-", input=COMPANY_3).stderr.startswith(
        "created 0, updated 0, unchanged 1")
    more = COMPANY_3.replace("END:VCARD", "X-PHONE-ONLY:kept\r\nREV:20261126T090000Z\r\n"
                                          "END:VCARD")
    assert crm.ok("import", "--format", "vcard", "-", input=more).stderr.startswith(
        "created 0, updated 1, unchanged 0")
    newer = more.replace("REV:20261126T090000Z", "REV:20261127T090000Z")
    assert crm.ok("import", "--format", "vcard", "-", input=newer).stderr.startswith(
        "created 0, updated 0, unchanged 1")  # a newer REV alone changes nothing
