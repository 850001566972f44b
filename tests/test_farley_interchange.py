"""Relationships, important dates, custom fields, personal facts, gifts and company cards
through vCard 3.0 and 4.0, JSON and the crmcli CSV into a fresh book; the Apple, kcontacts and
Outlook forms of the corpus."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS, Crm


@pytest.fixture
def book(crm):
    crm.ok("field", "add", "budget", "--type", "number")
    crm.ok("field", "add", "hobby", "--type", "text")
    crm.add("Ana Lima", "--anniversary", "2012-06-16", "--set", "budget=12000",
            "--set", "hobby=sailing, boats; more")
    crm.add("Bo Chen", "--birthday", "--02-29")
    crm.ok("relate", "ana", "manager", "bo")
    crm.ok("relate", "ana", "spouse", "Rui Lima")
    crm.ok("relate", "bo", "referred-by", "ana")
    crm.ok("date", "add", "bo", "first order", "--03-02")
    crm.ok("date", "add", "ana", "wedding", "2011-09-10")
    crm.ok("edit", "ana", "--how-we-met", "Web Summit, through Bo; at the bar", "--met-on",
           "2024-11-13", "--interest", "wine", "--interest", "trail running")
    crm.ok("edit", "bo", "--met-on", "--05-17", "--interest", "chess")
    crm.ok("gift", "ana", "Rioja Reserva", "--given", "2026-03-02")
    crm.ok("gift", "ana", "A book: sailing, boats; more")
    crm.ok("field", "add", "segment", "--type", "text", "--on", "companies")
    crm.ok("company", "add", "Acme", "--industry", "logistics", "--size", "50", "--website",
           "https://acme.example", "-t", "customer", "--set", "segment=smb")
    crm.ok("company", "add", "Globex")
    crm.ok("company", "note", "globex", "Met at the fair")
    crm.ok("edit", "bo", "--company", "Acme")
    return crm


def _facts(crm: Crm) -> dict:
    facts = {}
    for row in crm.ok("list", "--json").json():
        record = crm.ok("show", str(row["id"]), "--json").json()
        facts[record["name"]] = (
            record["birthday"], record["anniversary"], record["dates"], record["fields"],
            sorted((r["label"], r["name"], r["contact_id"] is not None)
                   for r in record["relationships"]),
            record["company"], record["how_we_met"], record["met_on"], record["interests"],
            [(g["description"], g["given_on"]) for g in record["gifts"]])
    for row in crm.ok("company", "list", "--json").json():
        record = crm.ok("company", "show", str(row["id"]), "--json").json()
        facts["company " + record["name"]] = (
            record["uid"], record["industry"], record["size"], record["websites"],
            record["tags"], record["fields"], [note["body"] for note in record["notes"]])
    return facts


EXPORTS = {"vCard 3.0": (["-f", "vcard"], "vcard"), "vCard 4.0": (["-f", "vcard",
           "--vcard-version", "4.0"], "vcard"), "JSON": (["-f", "json"], "json"),
           "crmcli CSV": (["-f", "csv", "--csv-dialect", "crmcli"], "csv")}


@pytest.mark.parametrize("form", list(EXPORTS))
def test_a_book_exported_and_imported_into_a_fresh_one_is_the_same(book, tmp_path, form):
    options, import_format = EXPORTS[form]
    exported = book.ok("export", *options).stdout
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("field", "add", "budget", "--type", "number")
    result = fresh.ok("import", "--format", import_format, "-", input=exported)
    assert "left out" not in result.stderr
    assert _facts(fresh) == _facts(book)
    facts = _facts(book)
    assert facts["Ana Lima"][4] == [("manager", "Bo Chen", True),
                                    ("referred", "Bo Chen", True),
                                    ("spouse", "Rui Lima", False)]
    assert facts["Ana Lima"][6:] == ("Web Summit, through Bo; at the bar", "2024-11-13",
                                     ["wine", "trail running"],
                                     [("A book: sailing, boats; more", None),
                                      ("Rioja Reserva", "2026-03-02")])
    assert facts["company Acme"][1:] == ("logistics", "50", [
        {"value": "https://acme.example", "label": ""}], ["customer"], {"segment": "smb"}, [])
    assert facts["company Globex"][-1] == ["Met at the fair"]
    again = fresh.ok("import", "--format", import_format, "-", input=exported)
    assert again.stderr.startswith("created 0, updated 0, unchanged ")  # nothing doubled


def test_the_forms_written_for_each_version(book):
    three = book.ok("export", "ana").stdout
    for line in ("X-ANNIVERSARY:2012-06-16", "X-CRMCLI-FIELD;X-NAME=budget:12000",
                 r"X-CRMCLI-FIELD;X-NAME=hobby:sailing\, boats\; more"):
        assert line in three.splitlines()
    unfolded = three.replace("\r\n ", "")
    assert ".X-ABLABEL:_$!<Manager>!$_" in unfolded and ".X-ABLABEL:wedding" in unfolded
    assert "X-ABRELATEDNAMES:Rui Lima" in three and "X-ABDATE:2011-09-10" in three
    four = book.ok("export", "ana", "--vcard-version", "4.0").stdout
    uid = book.ok("show", "bo", "--json").json()["uid"]
    assert f"RELATED;TYPE=manager:urn:uuid:{uid}" in four
    assert "RELATED;TYPE=spouse;VALUE=text:Rui Lima" in four
    assert "ANNIVERSARY:20120616" in four
    for line in (r"X-CRMCLI-HOW-WE-MET:Web Summit\, through Bo\; at the bar",
                 "X-CRMCLI-INTEREST:wine", "X-CRMCLI-INTEREST:trail running",
                 "X-CRMCLI-GIFT;X-GIVEN=2026-03-02:Rioja Reserva",
                 r"X-CRMCLI-GIFT:A book: sailing\, boats\; more"):
        assert line in re.sub(r"\r?\n ", "", three).splitlines()
        assert line in re.sub(r"\r?\n ", "", four).splitlines()
    assert "X-CRMCLI-MET-ON:2024-11-13" in three and "X-CRMCLI-MET-ON:20241113" in four


def test_personal_facts_and_gifts_survive_another_client_and_bad_ones_are_told(crm):
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cy Dee\r\n"
            "item1.X-CRMCLI-INTEREST:golf\r\nX-CRMCLI-MET-ON:--07-04\r\n"
            "X-CRMCLI-GIFT;X-GIVEN=2026-02-31:Bad day\r\nX-CRMCLI-GIFT:Tickets\r\n"
            "X-OTHER-CLIENT:kept\r\nEND:VCARD\r\n")
    result = crm.ok("import", "--format", "vcard", "-", input=card)
    assert "X-CRMCLI-GIFT 'Bad day'" in result.stderr and "kept as is" in result.stderr
    record = crm.ok("show", "cy", "--json").json()
    assert (record["met_on"], record["interests"]) == ("--07-04", ["golf"])
    assert [g["description"] for g in record["gifts"]] == ["Tickets"]
    written = crm.ok("export", "cy").stdout
    assert "X-CRMCLI-GIFT;X-GIVEN=2026-02-31:Bad day" in written  # kept, as it came
    assert "X-OTHER-CLIENT:kept" in written and written.count("X-CRMCLI-INTEREST") == 1


CORPUS_FORMS = {
    "ezvcard__John_Doe_MAC_ADDRESS_BOOK.vcf": ([("spouse", "Jenny")], None, []),
    "ezvcard__gmail-single.vcf": ([("customrelationship", "MyCustom"), ("spouse", "MySpouse")],
                                  "1970-06-02", []),
    "kcontacts__vcard_extension_case_normalization.vcf": (
        [("assistant", "Mycroft"), ("manager", "My Boss"), ("spouse", "My Spouse")],
        "1970-01-01", []),
    "kcontacts__vcard15.vcf": ([("child", "Child Tester")], None, []),
    "ezvcard__outlook-2007.vcf": ([("assistant", "TheAssistantName"),
                                   ("manager", "TheManagerName"), ("spouse", "TheSpouse")],
                                  "2012-08-01", []),
    "ezvcard__thunderbird-MoreFunctionsForAddressBook-extension.vcf": (
        [("spouse", "TheSpouse")], "1990-04-30", []),
    "vcard4android__allfields-vcard3.vcf": (
        [("colleague", "Ägidius"), ("parent", "muuum@example.com")], "2014-08-12",
        [{"label": "Custom Date", "date": "2021-07-29"}]),
}


@pytest.mark.skipif(not CORPUS.exists(), reason="no corpus")
@pytest.mark.parametrize("name", list(CORPUS_FORMS))
def test_apple_kcontacts_and_outlook_forms_import_into_relationships_and_dates(crm, name):
    relations, anniversary, dates = CORPUS_FORMS[name]
    crm.ok("import", str(CORPUS / name))
    record = crm.ok("show", "1", "--json").json()
    assert sorted((r["type"], r["name"]) for r in record["relationships"]) == relations
    assert (record["anniversary"], record["dates"]) == (anniversary, dates)
    again = crm.ok("export").stdout.replace("\r\n ", "")
    for _, person in relations:  # written back in the card's own form
        assert person in again


def test_an_imported_field_the_book_lacks_is_created_as_text(crm):
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cy Dee\r\nX-CRMCLI-FIELD;X-NAME=shoe_size:44\r\n"
            "END:VCARD\r\n")
    result = crm.ok("import", "--format", "vcard", "-", input=card)
    assert "created the text field 'shoe_size'" in result.stderr
    assert crm.ok("show", "cy", "--json").json()["fields"] == {"shoe_size": "44"}


def test_relationships_dates_and_fields_survive_a_sync_to_another_book(tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "vdir"}"\n')
    now = {"CRM_NOW": "2026-11-25T10:00:00+00:00"}
    laptop, desktop = Crm(tmp_path / "laptop.db"), Crm(tmp_path / "desktop.db")
    laptop.ok("field", "add", "budget", "--type", "number")
    desktop.ok("field", "add", "budget", "--type", "number")
    laptop.add("Ana Lima", "--anniversary", "2012-06-16", "--set", "budget=12000")
    laptop.add("Bo Chen")
    laptop.ok("relate", "ana", "manager", "bo")
    laptop.ok("relate", "ana", "spouse", "Rui Lima")
    laptop.ok("date", "add", "ana", "wedding", "--09-10")
    laptop.ok("edit", "ana", "--how-we-met", "at a fair", "--met-on", "2024-11-13",
              "--interest", "wine")
    laptop.ok("gift", "ana", "Rioja Reserva", "--given", "2026-03-02")
    for _ in range(2):
        for book in (laptop, desktop):
            assert book("sync", env=now).exit_code == 0
    for book in (laptop, desktop):
        assert book("sync", env=now).stderr == ""  # a fixed point
    assert _facts(desktop) == _facts(laptop)
    assert _facts(desktop)["Ana Lima"][6:] == ("at a fair", "2024-11-13", ["wine"],
                                               [("Rioja Reserva", "2026-03-02")])
    laptop.ok("edit", "ana", "--how-we-met", "at the Lisbon fair", "--interest", "chess")
    desktop.ok("edit", "ana", "--no-interest", "wine", "--met-on", "--11-13")
    for _ in range(2):
        for book in (laptop, desktop):
            assert book("sync", env=now).exit_code == 0
    for book in (laptop, desktop):  # edits of the facts merge like other properties
        assert _facts(book)["Ana Lima"][6:9] == ("at the Lisbon fair", "--11-13", ["chess"])
        assert book("sync", env=now).stderr == ""


@pytest.mark.parametrize("value", ["--0517", "20150612"])
def test_an_apple_date_in_basic_form_is_written_back_as_it_came(crm, value):
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\n"
            f"item1.X-ABDATE;VALUE=date:{value}\r\nitem1.X-ABLabel:name day\r\nEND:VCARD\r\n")
    crm.ok("import", "--format", "vcard", "-", input=card)
    crm.ok("edit", "ana", "--title", "COO")  # the card is written again over the original
    exported = crm.ok("export", "--format", "vcard").stdout
    assert "TITLE:COO" in exported and f"item1.X-ABDATE;VALUE=date:{value}" in exported
