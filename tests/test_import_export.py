"""`crm import` and `crm export` end to end: real corpus files, policies, bad input, round trips."""

from __future__ import annotations

import json
import sqlite3

import pytest
import vobject
from conftest import CORPUS

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")

TWO_CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-ana\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\n"
    "EMAIL;TYPE=WORK:ana@atlantico.pt\r\nTEL;TYPE=CELL:+351 912 345 678\r\n"
    "ORG:Atlântico Foods\r\nCATEGORIES:lead,fair\r\nBDAY:--07-02\r\nNOTE:Met at the fair\r\n"
    "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/analima\r\n"
    "item1.URL:https://ana.example\r\nitem1.X-ABLabel:blog\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Chen\r\nEMAIL:bo@northwind.example\r\nEND:VCARD\r\n"
)


def _rows(db_path, sql):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def test_import_reports_and_reimport_changes_nothing(crm, tmp_path):
    path = tmp_path / "two.vcf"
    path.write_text(TWO_CARDS, newline="")
    first = crm.ok("import", str(path))
    assert first.stderr.splitlines()[-1] == (
        "created 2, updated 0, unchanged 0, skipped 0, failed 0")
    again = crm.ok("import", str(path))
    assert again.stderr.splitlines()[-1] == (
        "created 0, updated 0, unchanged 2, skipped 0, failed 0")
    ana = crm.ok("show", "ana", "--json").json()
    assert ana["uid"] == "u-ana"
    assert ana["company"] == "Atlântico Foods"
    assert ana["tags"] == ["fair", "lead"]
    assert ana["birthday"] == "--07-02"
    assert ana["emails"] == [{"value": "ana@atlantico.pt", "label": "work"}]
    assert [n["body"] for n in ana["notes"]] == ["Met at the fair"]
    bo = crm.ok("show", "bo", "--json").json()
    assert bo["uid"], "a card without UID gets one"


def test_cards_without_uid_match_by_email_next_time(crm, tmp_path):
    path = tmp_path / "bo.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Chen\r\nEMAIL:bo@x.example\r\n"
                    "END:VCARD\r\n")
    crm.ok("import", str(path))
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Chen\r\nEMAIL:BO@X.EXAMPLE\r\n"
                    "TEL:+1 415 555 0100\r\nTITLE:CTO\r\nEND:VCARD\r\n")
    result = crm.ok("import", str(path))
    assert "created 0, updated 1" in result.stderr
    bo = crm.ok("show", "bo", "--json").json()
    assert bo["title"] == "CTO"
    assert [p["value"] for p in bo["phones"]] == ["+1 415 555 0100"]


def test_merge_never_overwrites_and_reports_conflicts(crm, tmp_path):
    crm.add("Ana Lima", "-e", "ana@atlantico.pt", "--title", "COO")
    path = tmp_path / "ana.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@atlantico.pt\r\n"
                    "TITLE:CEO\r\nEND:VCARD\r\n")
    result = crm.ok("import", str(path))
    assert "contact 1: kept title COO (other had CEO)" in result.stderr
    assert crm.ok("show", "1", "--json").json()["title"] == "COO"


@pytest.mark.parametrize(("policy", "contacts_after", "summary"), [
    ("skip", 1, "created 0, updated 0, unchanged 0, skipped 1"),
    ("new", 2, "created 1, updated 0"),
    ("merge", 1, "created 0, updated 1"),
])
def test_duplicate_policies(crm, tmp_path, policy, contacts_after, summary):
    crm.add("Ana Lima", "-e", "ana@atlantico.pt")
    path = tmp_path / "ana.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@atlantico.pt\r\n"
                    "TEL:+351 912 345 678\r\nEND:VCARD\r\n")
    result = crm.ok("import", str(path), "--on-duplicate", policy)
    assert summary in result.stderr
    assert len(crm.ok("list").rows()) == contacts_after


def test_bad_card_is_skipped_and_the_rest_imported(crm, tmp_path):
    bad = "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nobody\r\nEND:VCARD\r\n"
    path = tmp_path / "three.vcf"
    path.write_text(TWO_CARDS.replace("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo", bad
                                      + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo"), newline="")
    result = crm("import", str(path))
    assert result.exit_code == 1
    assert "card 2 (line 16):" in result.stderr
    assert "created 2, updated 0, unchanged 0, skipped 0, failed 1" in result.stderr
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana Lima", "Bo Chen"]


def test_truncated_last_card_is_reported(crm, tmp_path):
    path = tmp_path / "cut.vcf"
    path.write_text(TWO_CARDS[: TWO_CARDS.rindex("END:VCARD")])
    result = crm("import", str(path))
    assert result.exit_code == 1
    assert "card 2" in result.stderr and "failed 1" in result.stderr
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana Lima"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the input is empty"),
    (bytes(range(256)) * 20, "crm: error:"),
    (b"just some notes\nnot a card\n", "crm: error:"),
])
def test_files_that_are_not_vcards(crm, tmp_path, content, message):
    path = tmp_path / "input.vcf"
    path.write_bytes(content)
    result = crm("import", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert crm.ok("list").rows() == []


def test_latin1_file_imports_with_a_warning(crm, tmp_path):
    path = tmp_path / "latin1.vcf"
    path.write_bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Núñez\r\nEND:VCARD\r\n"
                     .encode("latin-1"))
    result = crm.ok("import", str(path))
    assert "created 1" in result.stderr
    assert crm.ok("list").rows()[0]["name"] == "José Núñez"


def test_missing_file(crm, tmp_path):
    result = crm("import", str(tmp_path / "nope.vcf"))
    assert result.exit_code == 1
    assert "cannot read" in result.stderr and "No such file" in result.stderr


def test_dry_run_writes_nothing(crm, tmp_path):
    path = tmp_path / "two.vcf"
    path.write_text(TWO_CARDS, newline="")
    result = crm.ok("import", str(path), "--dry-run")
    assert "would have created 2" in result.stderr
    assert crm.ok("list").rows() == []


def test_stdin_directory_and_tag(crm, tmp_path):
    crm.ok("import", "-", "--tag", "phone", input=TWO_CARDS)
    assert [r["tags"] for r in crm.ok("list").rows()] == ["fair, lead, phone", "phone"]
    vdir = tmp_path / "vdir"
    crm.ok("export", "--vdir", str(vdir))
    files = sorted(vdir.glob("*.vcf"))
    assert len(files) == 2
    assert (vdir / "u-ana.vcf").exists()
    other = type(crm)(tmp_path / "other.db")
    assert "created 2" in other.ok("import", str(vdir)).stderr


def test_import_is_one_transaction_on_error(crm, tmp_path, monkeypatch):
    """A failure mid-import (here: the database disappearing under it) leaves nothing half-done."""
    from crmcli.interchange import importer

    calls = {"n": 0}
    original = importer._apply

    def explode_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(importer, "_apply", explode_on_second)
    path = tmp_path / "two.vcf"
    path.write_text(TWO_CARDS, newline="")
    result = crm("import", str(path))
    assert result.exit_code == 130
    assert _rows(crm.db_path, "SELECT count(*) FROM contacts") == [(0,)]


def test_export_is_valid_vcard_with_crlf_folding_and_escaping(crm):
    crm.add("Ana; Lima, Jr\\", "-e", "ana@x.example", "--note", "x" * 200)
    text = crm.ok("export").stdout
    card = vobject.readOne(text)
    assert card.fn.value == "Ana; Lima, Jr\\"


def test_export_bytes_have_crlf_and_75_octet_lines(crm, db_path, tmp_path):
    crm.add("Ana Lima", "--note", "é" * 100)
    out = tmp_path / "out.vcf"
    crm.ok("export", "-o", str(out))
    data = out.read_bytes()
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75


def test_round_trip_through_a_fresh_database_keeps_everything(crm, tmp_path):
    path = tmp_path / "two.vcf"
    path.write_text(TWO_CARDS, newline="")
    crm.ok("import", str(path))
    exported = tmp_path / "exported.vcf"
    crm.ok("export", "-o", str(exported))
    text = exported.read_text()
    assert "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/analima" in text
    assert "x-ablabel:blog" in text.lower()  # property names are case-insensitive
    fresh = type(crm)(tmp_path / "fresh.db")
    fresh.ok("import", str(exported))

    def strip(record):
        return {k: v for k, v in record.items() if k not in ("id", "created_at", "updated_at")}

    before = [strip(r) for r in crm.ok("export", "-f", "json").json()]
    after = [strip(r) for r in fresh.ok("export", "-f", "json").json()]
    assert after == before


def test_json_bulk_edit(crm):
    crm.add("Ana Lima", "-t", "lead")
    crm.add("Bo Chen")
    lines = crm.ok("export", "-f", "jsonl").stdout.splitlines()
    edited = []
    for line in lines:
        record = json.loads(line)
        record["tags"] = [*record["tags"], "2026"]
        edited.append(json.dumps(record))
    edited.append(json.dumps({"name": "Chloé Dubois", "emails": ["chloe@maisonverte.fr"]}))
    result = crm.ok("import", "-f", "jsonl", "-", input="\n".join(edited) + "\n")
    assert "created 1, updated 2" in result.stderr
    rows = crm.ok("list").rows()
    assert [(r["name"], r["tags"]) for r in rows] == [
        ("Ana Lima", "2026, lead"), ("Bo Chen", "2026"), ("Chloé Dubois", "")]


def test_json_errors_name_the_record(crm):
    result = crm("import", "-f", "jsonl", "-",
                 input='{"name": "Ana"}\n{"name": 5}\nnot json\n{"id": 99}\n')
    assert result.exit_code == 1
    assert "line 2: name must be text" in result.stderr
    assert "line 3: not valid JSON" in result.stderr
    assert "line 4: no contact with id 99" in result.stderr
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana"]


def test_export_filters(crm):
    crm.add("Ana Lima", "-t", "vip", "-c", "ACME")
    crm.add("Bo Chen", "-c", "Initech")
    assert [r["name"] for r in crm.ok("export", "-f", "json", "--tag", "vip").json()] == [
        "Ana Lima"]
    assert [r["name"] for r in crm.ok("export", "-f", "json", "-c", "initech").json()] == [
        "Bo Chen"]
    assert [r["name"] for r in crm.ok("export", "-f", "json", "--id", "2").json()] == ["Bo Chen"]
    assert crm.ok("export", "--vcard-version", "4.0").stdout.count("VERSION:4.0") == 2


@needs_corpus
def test_every_corpus_file_imports_or_reports_precisely(crm):
    failures = []
    for path in sorted(CORPUS.glob("*.vcf")):
        result = crm("import", str(path))
        summary = result.stderr.splitlines()[-1] if result.stderr else ""
        if result.exit_code == 0:
            assert summary.startswith("created"), (path.name, result.stderr)
        else:
            assert "Traceback" not in result.stderr
            problems = [line for line in result.stderr.splitlines()
                        if "card " in line and "(line " in line]
            assert problems or "crm: error:" in result.stderr, (path.name, result.stderr)
            failures.append(path.name)
    assert len(crm.ok("list").rows()) > 60
    export = crm.ok("export").stdout
    people = [card for card in vobject.readComponents(export)
              if "x-abshowas" not in card.contents]  # company cards come first
    assert len(people) == len(crm.ok("list").rows())


def test_unchanged_valid_card_exports_as_it_came_and_edits_show(crm, tmp_path):
    path = tmp_path / "ana.vcf"
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\n"
            "item1.TEL;type=CELL;type=pref:+351 912 345 678\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\n"
            "X-UNKNOWN;X-PARAM=\"a:b\":kept\r\nEND:VCARD\r\n")
    path.write_text(card, newline="")
    crm.ok("import", str(path))
    assert crm.ok("export").stdout == card.replace("\r\n", "\n")
    crm.ok("edit", "ana", "--title", "COO")
    edited = vobject.readOne(crm.ok("export").stdout)
    assert edited.title.value == "COO"
    assert edited.contents["x-unknown"][0].value == "kept"


def test_card_without_uid_exports_with_the_uid_it_was_given(crm, tmp_path):
    path = tmp_path / "bo.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Chen\r\nEND:VCARD\r\n", newline="")
    crm.ok("import", str(path))
    uid = crm.ok("show", "bo", "--json").json()["uid"]
    assert vobject.readOne(crm.ok("export").stdout).uid.value == uid


def test_stand_in_birth_year_is_not_exported(crm, tmp_path):
    path = tmp_path / "bday.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nBDAY:16040716\r\nEND:VCARD\r\n")
    crm.ok("import", str(path))
    exported = crm.ok("export").stdout
    assert "1604" not in exported
    assert vobject.readOne(exported).bday.value == "--07-16"


def test_long_imports_parse_in_a_worker_and_keep_their_order(crm, tmp_path):
    from crmcli.interchange.parallel_map import BATCH

    count, bad = BATCH * 3 + 7, BATCH * 2 + 50  # the bad card in the third batch
    path = tmp_path / "many.vcf"
    cards = [f"FN:Person {n:04d}\r\nEMAIL:p{n}@example.com" if n != bad else "NOTE:no name"
             for n in range(count)]
    path.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\n{body}\r\nEND:VCARD\r\n"
                            for body in cards), newline="")
    result = crm("import", str(path))
    assert result.exit_code == 1
    assert f"card {bad + 1} (line {bad * 5 + 1}):" in result.stderr
    assert f"created {count - 1}, updated 0, unchanged 0, skipped 0, failed 1" in result.stderr
    rows = crm.ok("list", "--sort", "created").rows()
    assert [r["name"] for r in rows] == [f"Person {n:04d}" for n in range(count) if n != bad]


def test_ordered_map_matches_map_whatever_the_batch():
    from crmcli.interchange.parallel_map import ordered_map

    items = list(range(1000))
    assert list(ordered_map(abs, items, batch=7)) == items
    assert list(ordered_map(abs, iter(items[:5]), batch=7)) == items[:5]


def test_a_process_pinned_to_one_core_maps_in_itself(monkeypatch):
    """``taskset -c 0 crm import`` (one usable core) starts no parsing worker."""
    import os

    from crmcli.interchange.parallel_map import ordered_map

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert set(ordered_map(_pid, range(1000), batch=7)) == {os.getpid()}


def _pid(_item: int) -> int:
    import os

    return os.getpid()


def test_json_from_another_book_matches_by_uid_not_by_id(crm, tmp_path):
    crm.add("Xavier")
    crm.add("Yasmin")
    other = type(crm)(tmp_path / "other.db")
    other.add("José Núñez", "-e", "jose@iberialog.es")
    exported = tmp_path / "book.json"
    other.ok("export", "-f", "json", "-o", str(exported))
    result = crm.ok("import", str(exported))
    assert "created 1, updated 0" in result.stderr
    assert [r["name"] for r in crm.ok("list").rows()] == ["José Núñez", "Xavier", "Yasmin"]


def test_vdir_export_writes_over_the_file_holding_the_uid(crm, tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    (vdir / "3f1d0c.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:urn:uuid:1234\r\nFN:Ana Lima\r\nEND:VCARD\r\n")
    crm.ok("import", str(vdir))
    crm.ok("edit", "ana", "--title", "COO")
    crm.add("Bo Chen")
    crm.ok("export", "--vdir", str(vdir))
    files = sorted(p.name for p in vdir.glob("*.vcf"))
    assert len(files) == 2 and "3f1d0c.vcf" in files
    assert "TITLE:COO" in (vdir / "3f1d0c.vcf").read_text()


def test_merging_two_imported_contacts_keeps_one_card_each(crm, tmp_path):
    path = tmp_path / "two.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:Ana Lima\r\nX-A:1\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b\r\nFN:Ana L\r\nX-B:2\r\nEND:VCARD\r\n")
    crm.ok("import", str(path))
    crm.ok("merge", "1", "2", "--yes")
    assert "X-A:1" in crm.ok("export", "--id", "1").stdout


def test_one_bad_value_does_not_cost_the_card(crm, tmp_path):
    path = tmp_path / "card.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\n"
                    "TEL;VALUE=uri;TYPE=work:tel:+1-418-656-9254;ext=102\r\n"
                    "TEL:1-800-MY-APPLE\r\nEMAIL:not an email\r\nEMAIL:simon@example.com\r\n"
                    "END:VCARD\r\n")
    result = crm.ok("import", str(path))
    assert "left out the invalid email 'not an email'" in result.stderr
    simon = crm.ok("show", "simon", "--json").json()
    assert [p["value"] for p in simon["phones"]] == ["+1-418-656-9254;ext=102", "1-800-MY-APPLE"]
    assert [e["value"] for e in simon["emails"]] == ["simon@example.com"]


def test_update_policy_matches_vcards_by_email(crm, tmp_path):
    crm.add("Ana Lima", "-e", "ana@x.example", "--title", "COO")
    path = tmp_path / "ana.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@x.example\r\n"
                    "TITLE:CEO\r\nEND:VCARD\r\n")
    assert "created 0, updated 1" in crm.ok(
        "import", str(path), "--on-duplicate", "update").stderr
    assert crm.ok("show", "ana", "--json").json()["title"] == "CEO"


def test_tag_applies_to_json_updates_without_tags(crm):
    crm.add("Ana Lima", "-t", "lead")
    crm.ok("import", "-f", "jsonl", "-", "--tag", "reviewed", input='{"id": 1, "title": "CTO"}\n')
    assert crm.ok("show", "1", "--json").json()["tags"] == ["lead", "reviewed"]


def test_a_bad_file_in_a_directory_is_named_and_skipped(crm, tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    (vdir / "empty.vcf").write_text("")
    (vdir / "ana.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEND:VCARD\r\n")
    result = crm("import", str(vdir))
    assert result.exit_code == 1
    assert f"{vdir / 'empty.vcf'}: the input is empty" in result.stderr
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana Lima"]
    single = crm("import", str(vdir / "empty.vcf"))
    assert single.stderr == f"crm: error: {vdir / 'empty.vcf'}: the input is empty\n"


def test_a_card_given_a_uid_keeps_version_first(crm, tmp_path):
    path = tmp_path / "bo.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Chen\r\nEND:VCARD\r\n", newline="")
    crm.ok("import", str(path))
    assert crm.ok("export").stdout.splitlines()[:3][1] == "VERSION:3.0"


@pytest.mark.parametrize("command", [["export", "-o"], ["export", "-f", "ics", "-o"],
                                     ["dump", "-o"], ["backup"]])
@pytest.mark.parametrize("written", ["nope/x", "nope/../x"])
def test_an_output_into_a_missing_folder_says_so(crm, tmp_path, monkeypatch, command, written):
    """``nope/../x`` (a folder missing on the way) failed with the name of the temporary
    file: ".x.abc123: No such file or directory"."""
    crm.add("Ana")
    monkeypatch.chdir(tmp_path)
    result = crm(*command, written)
    assert (result.exit_code, result.stderr) == (
        1, f"crm: error: cannot write {written}: folder nope does not exist\n")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith((".x", "x"))]


def test_jsonl_errors_point_at_the_column(crm):
    result = crm("import", "-f", "jsonl", "-", input='{"id": 2, "title": "COO"\n')
    assert "line 1: not valid JSON: Expecting ',' delimiter (column 25)" in result.stderr


@needs_corpus
def test_a_3_0_card_exported_as_4_0_keeps_its_structure(crm):
    crm.ok("import", str(CORPUS / "ezvcard__John_Doe_IPHONE.vcf"))
    card = vobject.readOne(crm.ok("export", "--vcard-version", "4.0").stdout)
    assert card.version.value == "4.0"
    assert card.n.value.family == "Doe" and card.n.value.given == "John"
    assert card.org.value == ["IBM", "Accounting"]


def test_mobile_label_is_also_a_cell_type(crm):
    crm.add("Ana Lima", "-p", "mobile:+351 912 345 678")
    card = vobject.readOne(crm.ok("export").stdout)
    assert card.tel.params["TYPE"] == ["cell"]
    assert crm.ok("import", "-", "--dry-run", input=crm.ok("export").stdout).exit_code == 0
