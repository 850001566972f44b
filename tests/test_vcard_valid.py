"""Every card crm writes is valid for its version, whatever card it came from."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from vcard_check import check_card, problems

from crmcli import config
from crmcli.interchange import exporter
from crmcli.text import to_json

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
       "RU5ErkJggg==")  # 1x1 pixel


def export_one(crm, tmp_path, card: str, version: str) -> list[str]:
    """Import one card and export it as `version`: its unfolded lines (checked on the way)."""
    path = tmp_path / "in.vcf"
    path.write_bytes(card.encode("utf-8"))
    crm.ok("import", str(path))
    text = crm.ok("export", "--vcard-version", version).stdout
    return text.replace("\n ", "").splitlines()


def card(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""])


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_3_0_card_without_fn_gets_one(crm, tmp_path, version):
    lines = export_one(crm, tmp_path, card("UID:u1", "N:Lima;Ana;;;", "EMAIL:ana@x.example"),
                       version)
    assert "FN:Ana Lima" in lines
    assert [line for line in lines if line.startswith("N:")] == ["N:Lima;Ana;;;"]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_comma_in_a_2_1_org_is_escaped(crm, tmp_path, version):
    lines = export_one(crm, tmp_path, card("FN:John Doe", "N:Doe;John;;;",
                                           "ORG:Company, The;Sales", version="2.1"), version)
    assert r"ORG:Company\, The;Sales" in lines
    assert crm.ok("show", "1", "--json").json()["company"] == "Company, The"


def test_two_alternate_names_become_one_n_in_3_0(crm, tmp_path):
    four = card("UID:altid", "FN:altid", "N;ALTID=1;LANGUAGE=en:representation;one;;;",
                "N;ALTID=1;LANGUAGE=de:representation;two;;;", version="4.0")
    lines = export_one(crm, tmp_path, four, "3.0")
    assert [line for line in lines if "representation" in line] == [
        "N;LANGUAGE=en:representation;one;;;", "X-ALTERNATE-N;LANGUAGE=de:representation;two;;;"]
    assert not [line for line in lines if "ALTID" in line]
    lines = export_one(crm, tmp_path, four, "4.0")  # Radicale refuses two N lines in 4.0 too
    assert "X-ALTERNATE-N;ALTID=1;LANGUAGE=de:representation;two;;;" in lines


def test_a_data_uri_photo_is_inline_data_in_3_0_and_a_data_uri_in_4_0(crm, tmp_path):
    three = card("FN:Ana", f"PHOTO;TYPE=png;VALUE=uri:data:image/png;base64,{PNG}")
    assert f"PHOTO;ENCODING=b;TYPE=PNG:{PNG}" in export_one(crm, tmp_path, three, "3.0")
    assert f"PHOTO:data:image/png;base64,{PNG}" in export_one(crm, tmp_path, three, "4.0")
    encoded = card("UID:u2", "FN:Bea", f"LOGO;ENCODING=b;TYPE=PNG:{PNG}")
    assert f"LOGO:data:image/png;base64,{PNG}" in export_one(crm, tmp_path, encoded, "4.0")


def test_4_0_parameters_do_not_reach_3_0(crm, tmp_path):
    four = card("FN:Ana Lima", "N:Lima;Ana;;;",
                'ADR;TYPE=work;LABEL="1 Main St\\nSpringfield";GEO="geo:1,2":;;1 Main St;'
                "Springfield;;;", "TEL;VALUE=uri;PREF=1;TYPE=cell:tel:+1-555-0100",
                "EMAIL;PID=1.1;PREF=2:ana@x.example", version="4.0")
    lines = export_one(crm, tmp_path, four, "3.0")
    assert "ADR;TYPE=work:;;1 Main St;Springfield;;;" in lines
    assert r"LABEL;TYPE=work:1 Main St\nSpringfield" in lines
    assert "TEL;TYPE=cell,pref:+1-555-0100" in lines
    assert "EMAIL:ana@x.example" in lines


def test_grouped_labels_and_unknown_properties_are_kept(crm, tmp_path):
    apple = card("FN:Ana Lima", "N:Lima;Ana;;;", "item1.TEL;TYPE=pref:+351 912 345 678",
                 "item1.X-ABLabel:_$!<Mobile>!$_", "item2.X-ABDATE:2010-05-01",
                 "item2.X-ABLabel:_$!<Anniversary>!$_", "X-SOCIALPROFILE;TYPE=x:https://x.example",
                 "IMPP;X-SERVICE-TYPE=Skype:skype:ana")
    for version in ("3.0", "4.0"):
        lines = {line.upper() for line in export_one(crm, tmp_path, apple, version)}
        for kept in ("item1.TEL;TYPE=pref:+351 912 345 678", "item1.X-ABLABEL:_$!<Mobile>!$_",
                     "item2.X-ABDATE:2010-05-01", "item2.X-ABLABEL:_$!<Anniversary>!$_",
                     "X-SOCIALPROFILE;TYPE=x:https://x.example",
                     "IMPP;X-SERVICE-TYPE=Skype:skype:ana"):
            assert kept.upper() in lines, (version, kept)


def test_text_repaired_from_loose_writers(crm, tmp_path):
    loose = card("FN:Ana, Lima", "N:Lima;Ana", 'NOTE:say \\"hi\\"\\: now',
                 "ADR:;;Street;Town;;;;;X", "TITLE:Boss\x0c")
    lines = export_one(crm, tmp_path, loose, "3.0")
    assert {r"FN:Ana\, Lima", "N:Lima;Ana;;;", 'NOTE:say "hi": now', "ADR:;;Street;Town;;;",
            "TITLE:Boss"} <= set(lines)


def test_a_valid_3_0_card_is_still_exported_as_it_came(crm, tmp_path):
    valid = card("UID:u-1", "FN:Ana Lima", "N:Lima;Ana;;;", "X-UNKNOWN;X-P=1:kept")
    assert export_one(crm, tmp_path, valid, "3.0") == valid.split("\r\n")[:-1]


def test_a_card_stored_ready_to_export_by_older_rules_is_written_again(crm, db_path, tmp_path):
    """Books from before these rules hold cards "ready to export" that are not valid: an
    older fingerprint no longer matches, so the card is written again."""
    no_fn = card("UID:u-1", "N:Lima;Ana;;;")
    export_one(crm, tmp_path, no_fn, "3.0")
    with sqlite3.connect(db_path) as db:
        (item,) = exporter.iter_export(db, [1])
        old_fingerprint = hashlib.sha256(to_json([exporter.to_record(item), item.card.data])
                                         .encode()).hexdigest()
        db.execute("UPDATE contact_cards SET rendered = ?, rendered_for = ?",
                   [no_fn, old_fingerprint])
    assert "FN:Ana Lima" in crm.ok("export").stdout.splitlines()


def test_a_contact_whose_version_moved_on_is_written_again_without_its_fingerprint(
        crm, db_path, tmp_path, monkeypatch):
    """A card stored ready is kept for the contact's version and fingerprint: a contact edited
    since (its version moved on) is known changed without computing the fingerprint; one that
    was not is still checked by it and exported as it came."""
    cards = tmp_path / "two.vcf"
    ana = card("UID:u-1", "N:Lima;Ana;;;", "FN:Ana Lima")  # N first: as it came, not rewritten
    bo = card("UID:u-2", "N:Diaz;Bo;;;", "FN:Bo Diaz")
    cards.write_text(ana + bo, encoding="utf-8")
    crm.ok("import", str(cards))
    crm.ok("edit", "Ana Lima", "--tag", "vip")
    computed = []
    fingerprint = exporter.fingerprint
    monkeypatch.setattr(exporter, "fingerprint", lambda item, data=None: computed.append(
        item.contact.name) or fingerprint(item, data))
    with sqlite3.connect(db_path) as db:
        kept = [row[0] for row in db.execute("SELECT rendered_for FROM contact_cards")]
        items = list(exporter.iter_export(db, [1, 2]))
    assert [key.partition(":")[0] for key in kept] == ["1", "1"]
    assert [exporter.to_vcard(item) for item in items] == [exporter._write(items[0], "3.0"), bo]
    assert computed == ["Bo Diaz"]
    assert "CATEGORIES:vip" in exporter.to_vcard(items[0]).split("\r\n")


def test_a_card_stored_ready_for_a_fingerprint_alone_is_still_exported_as_it_came(
        crm, db_path, tmp_path):
    """Books from before the version was kept with the fingerprint."""
    ana = card("UID:u-1", "N:Lima;Ana;;;", "FN:Ana Lima")
    export_one(crm, tmp_path, ana, "3.0")
    with sqlite3.connect(db_path) as db:
        (item,) = exporter.iter_export(db, [1])
        db.execute("UPDATE contact_cards SET rendered_for = ?", [exporter.fingerprint(item)])
    assert crm.ok("export").stdout.splitlines() == ana.split("\r\n")[:-1]  # N before FN


def test_a_fingerprint_given_the_encoded_card_data_is_the_fingerprint_of_the_whole():
    """An import encodes a card's data once, for its row and its fingerprint: the digest is
    still that of the four parts encoded together, controls escaped."""
    from crmcli.interchange.stored_cards import StoredCard, data_json
    from crmcli.interchange.vcard_personal import Related
    from crmcli.models import Contact

    data = {"photo": None, "rev": "2024\x85", "extra": [["X-A", "é\x7f\\\"q\u2028"]]}
    item = exporter.Exported(Contact(name="Zoë\x9b", uid="u-1"), ["note\x80"],
                             StoredCard(data, "original"), [Related("spouse", "Ana\x85", None)])
    record = exporter.to_record(item)
    del record["no_mail"]
    whole = hashlib.sha256(to_json([exporter._RENDERING_RULES, record, data,
                                    [["spouse", "Ana\x85", None]]]).encode()).hexdigest()
    assert exporter.fingerprint(item, data_json(data)) == exporter.fingerprint(item) == whole


@pytest.mark.parametrize(("text", "version", "problem"), [
    (card("N:Lima;Ana;;;"), "3.0", "0 FN lines"),
    (card("FN:A", "N:A;;;;", "N:B;;;;"), "4.0", "2 N lines"),
    (card("FN:A", "N:A;;;;", "ORG:Company, The;Sales"), "3.0", "bare comma"),
    (card("FN:A", "N:A;;;;", "N;ALTID=1:A;;;;"), "3.0", "2 N lines"),
    (card("FN:A", "N;ALTID=1:A;;;;"), "3.0", "4.0-only parameter ALTID"),
    (card("FN:A", "N:A;;;;", "TEL;VALUE=uri:tel:+1"), "3.0", "VALUE=uri TEL"),
    (card("FN:A", "N:A;;;;", f"PHOTO;TYPE=png;VALUE=uri:data:image/png;base64,{PNG}"), "3.0",
     "data: URI in 3.0"),
    (card("FN:A", f"PHOTO;ENCODING=b;TYPE=PNG:{PNG}", version="4.0"), "4.0",
     "ENCODING parameter in 4.0"),
    (card("FN:A", "N:A;;;;", "ADR;LABEL=x:;;a;;;;"), "3.0", "LABEL in 3.0"),
    (card("FN:A", "N:A;;;", version="4.0"), "4.0", "N has 4 components"),
    (card("FN:A", "N:A;;;;", "NOTE:a\\qb"), "3.0", "unknown escape"),
    (card("FN:A", "N:A;;;;", "NOTE:" + "x" * 80), "3.0", "longer than 75 octets"),
    (card("FN:A", "N:A;;;;").replace("\r\n", "\n"), "3.0", "CRLF"),
])
def test_the_check_finds_what_servers_and_readers_refuse(text, version, problem):
    assert any(problem in found for found in problems(text, version)), problems(text, version)
    with pytest.raises(AssertionError):
        check_card(text, version)


@pytest.mark.parametrize(("text", "version"), [
    ("", "3.0"), ('[sync]\nvcard_version = "4.0"\n', "4.0"),
    ("[sync]\nvcard_version = 3.0\n", "3.0"),
])
def test_the_vcard_version_sync_writes_is_configured(tmp_path, monkeypatch, text, version):
    path = tmp_path / "config.toml"
    path.write_text(text)
    monkeypatch.setenv("CRM_CONFIG", str(path))
    assert config.load().sync_vcard_version == version


def test_a_vcard_version_crm_cannot_write_is_refused(crm, tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[sync]\nvcard_version = "2.1"\n')
    monkeypatch.setenv("CRM_CONFIG", str(path))
    result = crm("list")
    assert result.exit_code == 1
    assert result.stderr == (f"crm: error: {path}: sync.vcard_version must be \"3.0\" or "
                             "\"4.0\", not '2.1'\n")
    path.write_text("")
    assert crm("config", "set", "sync.vcard_version", "4").exit_code == 1
    crm.ok("config", "set", "sync.vcard_version", "4.0")
    assert config.load().sync_vcard_version == "4.0"
