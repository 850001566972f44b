"""A contact's refusal of campaign mail (`crm edit --no-mail`) kept through export and import
(vCard 3.0 and 4.0, crmcli CSV, JSON Lines), the JSON bulk edit and a sync to another book."""

from __future__ import annotations

import json

import pytest
from conftest import Crm

NOW = {"CRM_NOW": "2026-11-25T10:00:00Z"}


@pytest.fixture
def book(crm):
    crm.add("Opt Out", "-e", "opt@example.com")
    crm.add("Mail Me", "-e", "mail@example.com")
    crm.ok("edit", "opt", "--no-mail")
    return crm


def refusing(book: Crm) -> dict[str, bool]:
    """Each contact's name and whether its page says it refuses campaign mail."""
    names = [c["name"] for c in book.ok("list", "--json").json()]
    return {name: "No campaign mail" in book.ok("show", name).stdout for name in names}


@pytest.mark.parametrize("export", [
    ["--format", "vcard", "--vcard-version", "3.0"],
    ["--format", "vcard", "--vcard-version", "4.0"],
    ["--format", "csv", "--csv-dialect", "crmcli"], ["--format", "jsonl"], ["--format", "json"]])
def test_an_opt_out_survives_export_and_import_into_a_fresh_book(book, tmp_path, export):
    suffix = {"vcard": "vcf", "csv": "csv", "jsonl": "jsonl", "json": "json"}[export[1]]
    exported = tmp_path / f"book.{suffix}"
    book.ok("export", *export, "-o", str(exported))
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("import", str(exported))
    assert refusing(fresh) == {"Mail Me": False, "Opt Out": True}
    fresh.ok("undo")  # the import, opt-out included, is one operation of the journal
    assert fresh.ok("list", "--json").json() == []
    assert fresh.ok("campaign", "list", "--json").json() == []


def test_the_vcard_property_and_csv_column_are_written_only_when_set(book):
    card = book.ok("export", "--format", "vcard").stdout
    assert card.count("X-CRMCLI-NO-MAIL:TRUE") == 1
    rows = book.ok("export", "--format", "csv", "--csv-dialect", "crmcli").stdout.splitlines()
    header, *lines = rows
    assert header.endswith(",no_mail,how_we_met,met_on,interests,gifts")
    assert sorted(line.endswith(",true,,,,") for line in lines) == [False, True]
    records = [json.loads(line) for line in book.ok("export", "--format", "jsonl").stdout
               .splitlines()]
    assert {r["name"]: r["no_mail"] for r in records} == {"Opt Out": True, "Mail Me": False}


def test_a_bulk_json_edit_lifts_or_sets_an_opt_out(book, tmp_path):
    records = [json.loads(line) for line in book.ok("export", "--format", "jsonl").stdout
               .splitlines()]
    for record in records:
        record["no_mail"] = not record["no_mail"]
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(r) + "\n" for r in records))
    book.ok("import", str(edited))
    assert refusing(book) == {"Mail Me": True, "Opt Out": False}
    book.ok("undo")
    assert refusing(book) == {"Mail Me": False, "Opt Out": True}


def test_a_card_without_the_property_never_lifts_an_opt_out(book, tmp_path):
    card = book.ok("export", "--format", "vcard").stdout.replace("X-CRMCLI-NO-MAIL:TRUE\r\n", "")
    (tmp_path / "plain.vcf").write_text(card)
    book.ok("import", str(tmp_path / "plain.vcf"))
    assert refusing(book) == {"Mail Me": False, "Opt Out": True}


def test_a_bad_no_mail_value_in_json_is_refused_with_its_place(crm, tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"name": "Ana", "no_mail": "yes"}\n')
    result = crm("import", str(tmp_path / "bad.jsonl"))
    assert "line 1: no_mail must be true or false" in result.stderr
    assert crm.ok("list", "--json").json() == []


def test_an_opt_out_reaches_another_book_through_a_sync(book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "vdir"}"\n')
    book.ok("sync", env=NOW)
    cards = [path.read_text() for path in (tmp_path / "vdir").glob("*.vcf")]
    assert sum("X-CRMCLI-NO-MAIL:TRUE" in text for text in cards) == 1
    other = Crm(tmp_path / "other.db")
    other.ok("sync", env=NOW)
    assert refusing(other) == {"Mail Me": False, "Opt Out": True}


def test_an_opt_out_set_or_lifted_alone_travels_to_another_book(book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "vdir"}"\n')
    other = Crm(tmp_path / "other.db")
    for side in (book, other, book, other):
        side.ok("sync", env=NOW)
    book.ok("edit", "mail me", "--no-mail")  # nothing else changes
    assert book.ok("sync", env=NOW).stderr == "crm sync: contacts: pushed 1 changed\n"
    assert other.ok("sync", env=NOW).stderr == "crm sync: contacts: pulled 1 changed\n"
    assert refusing(other) == {"Mail Me": True, "Opt Out": True}
    other.ok("edit", "opt", "--mail")  # lifted in one book: lifted in the other
    for side in (other, book, other, book):
        side.ok("sync", env=NOW)
    assert refusing(book) == refusing(other) == {"Mail Me": True, "Opt Out": False}
    cards = {p.read_text().split("FN:")[1].split("\n")[0]: p.read_text()
             for p in (tmp_path / "vdir").glob("*.vcf")}
    assert "X-CRMCLI-NO-MAIL" not in cards["Opt Out"] and "NO-MAIL:TRUE" in cards["Mail Me"]
    assert book.ok("sync", env=NOW).stderr == other.ok("sync", env=NOW).stderr == ""


def test_an_imported_opt_out_lifted_later_is_not_exported_again(book, tmp_path):
    (tmp_path / "book.vcf").write_text(book.ok("export", "--format", "vcard").stdout)
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("import", str(tmp_path / "book.vcf"))
    fresh.ok("edit", "opt", "--mail")
    assert "X-CRMCLI-NO-MAIL" not in fresh.ok("export", "--format", "vcard").stdout
