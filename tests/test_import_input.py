"""What an import reads: JSON in the encodings people save it in, text that is not text, and
crm's own CSV coming back into the same book."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys

import pytest

from crmcli.text import safe

RECORD = {"name": "José Núñez", "emails": ["jose@iberialog.es"]}


def _import(crm, tmp_path, name: str, data: bytes, *args: str):
    path = tmp_path / name
    path.write_bytes(data)
    return crm("import", str(path), *args)


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize(("bom", "encoding"), [
    (b"", "utf-8"), (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_json_in_utf8_and_utf16_with_a_bom(crm, tmp_path, bom, encoding, lines):
    text = json.dumps(RECORD, ensure_ascii=False) + "\n" if lines else json.dumps([RECORD])
    result = _import(crm, tmp_path, "book.jsonl" if lines else "book.json",
                     bom + text.encode(encoding))
    assert result.exit_code == 0, result.stderr
    assert crm.ok("show", "jose", "--json").json()["name"] == "José Núñez"


@pytest.mark.parametrize("name", ["book.json", "book.jsonl"])
def test_json_in_another_encoding_names_the_file_and_the_byte(crm, tmp_path, name):
    data = json.dumps([RECORD] if name.endswith(".json") else RECORD,
                      ensure_ascii=False).encode("latin-1")
    result = _import(crm, tmp_path, name, data)
    assert result.exit_code == 1
    offset = data.index("é".encode("latin-1"))
    assert f"{tmp_path / name}: not UTF-8 text at byte {offset}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert crm.ok("list", "--json").json() == []


@pytest.mark.parametrize(("name", "data"), [
    ("book.json", b'[{"name": "\\ud800"}]'), ("book.jsonl", b'{"name": "Ana \\udfff"}\n')])
def test_a_lone_surrogate_is_reported_not_a_traceback(crm, tmp_path, name, data):
    result = _import(crm, tmp_path, name, data)
    assert result.exit_code == 1
    assert "a lone surrogate" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert crm.ok("list", "--json").json() == []


@pytest.mark.parametrize(("name", "data", "message"), [
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("deep.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested too deeply"),
    ("long.json", b'[{"id": ' + b"9" * 5_000 + b"}]", "a number with too many digits"),
    ("long.jsonl", b'{"id": ' + b"9" * 5_000 + b"}\n", "a number with too many digits")])
def test_json_beyond_pythons_limits_is_an_error(crm, tmp_path, name, data, message):
    result = _import(crm, tmp_path, name, data)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(("record", "message"), [
    ({"name": "Bo Chen", "notes": [{"text": "met at the fair"}]},
     'notes must be a list of texts or {"body": TEXT} objects'),
    ({"name": "Bo Chen", "notes": "met at the fair"},
     'notes must be a list of texts or {"body": TEXT} objects'),
    ({"name": "Bo Chen", "emails": [{"value": "bo@example.com", "label": ["work"]}]},
     'emails must hold texts or {"value", "label"} objects (both texts)'),
    ({"id": True, "title": "CEO"}, "id must be a whole number"),
    ({"kind": "company", "name": "Globex", "notes": [{"text": "a good year"}]},
     'notes must be a list of texts or {"body": TEXT} objects'),
    ({"kind": "company", "name": "Globex", "tags": "vip"}, "tags must be a list of texts"),
])
def test_a_record_of_the_wrong_shape_is_skipped_and_the_others_go_in(crm, tmp_path, record,
                                                                     message):
    """A text where a list belongs was read letter by letter ("vip": tags v, i, p); a note
    without its body was an internal error that stopped the whole import."""
    crm.add("Ana Lima")
    records = [{"name": "Cy Dorn", "notes": ["first"]}, record,
               {"name": "Di Eno", "notes": [{"body": "second"}]}]
    result = _import(crm, tmp_path, "people.jsonl",
                     "".join(json.dumps(r) + "\n" for r in records).encode())
    assert result.exit_code == 1
    assert result.stderr == (f"line 2: {message}\ncreated 2, updated 0, unchanged 0, "
                             "skipped 0, failed 1\n")
    names = [row["name"] for row in crm.ok("list", "--json").json()]
    assert names == ["Ana Lima", "Cy Dorn", "Di Eno"]
    assert crm.ok("company", "list", "--json").json() == []
    assert [n["body"] for n in crm.ok("notes", "--json").json()] == ["second", "first"]


def test_text_that_is_not_text_is_refused_and_shown_visibly(crm):
    result = crm("add", "Ana \udcff")  # a byte that is not UTF-8 on the command line
    assert result.exit_code == 1
    assert "name is not valid text" in result.stderr
    assert safe("a\ud800b") == "a<U+D800>b"


@pytest.fixture
def book(crm):
    crm.add("No Details", "--note", "First", "--tag", "vip")
    crm.ok("note", "No Details", "Second\n\nwith a paragraph")
    crm.add("Ana Lima", "-e", "ana@x.example", "--company", "Atlântico", "--title", "COO")
    crm.add("Bo Chen", "-p", "+44 7700 900005", "--birthday", "--05-17")
    return crm


@pytest.mark.parametrize(("name", "options"), [
    ("book.csv", ["-f", "csv", "--csv-dialect", "crmcli"]), ("book.vcf", ["-f", "vcard"]),
    ("book.jsonl", ["-f", "jsonl"])])
def test_a_book_re_imported_into_itself_changes_nothing(book, tmp_path, name, options):
    path = tmp_path / name
    book.ok("export", *options, "-o", str(path))
    before = book.ok("export", "-f", "jsonl").stdout
    result = book.ok("import", str(path))
    assert "created 0, updated 0, unchanged 3" in result.stderr
    assert book.ok("export", "-f", "jsonl").stdout == before
    notes = book.ok("show", "No Details", "--json").json()["notes"]
    assert sorted(note["body"] for note in notes) == ["First", "Second\n\nwith a paragraph"]


def test_the_summary_counts_only_contacts_that_changed(book, tmp_path):
    path = tmp_path / "book.csv"
    book.ok("export", "-f", "csv", "--csv-dialect", "crmcli", "-o", str(path))
    text = path.read_text().replace("COO", "CEO").replace("--05-17", "--05-18")
    path.write_text(text)
    result = book.ok("import", str(path), "--on-duplicate", "update")
    assert "created 0, updated 2, unchanged 1" in result.stderr
    assert book.ok("show", "ana", "--json").json()["title"] == "CEO"


def _few_open_files():
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def test_a_directory_of_more_cards_than_open_files_imports_and_a_bad_file_is_skipped(
        tmp_path):
    """Every file of a directory was opened before the first was read: a vdir of more cards
    than the limit of open files (1,024 is common, 256 on macOS) failed with 'Too many open
    files', one entry that could not be opened stopped the whole import, and a pipe named
    .vcf made it wait forever."""
    folder = tmp_path / "vdir"
    folder.mkdir()
    for number in range(200):
        (folder / f"{number:03d}.vcf").write_text(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u{number}\r\nFN:Person {number}\r\n"
            "END:VCARD\r\n")
    (folder / "zz-gone.vcf").symlink_to(tmp_path / "nowhere.vcf")
    os.mkfifo(folder / "zz-pipe.vcf")  # opening it would wait for a writer forever
    done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(tmp_path / "crm.db"),
                           "import", str(folder)], capture_output=True, text=True,
                          preexec_fn=_few_open_files, timeout=120,
                          env={**os.environ, "CRM_NOW": "2026-11-25T10:00:00Z"})
    assert done.returncode == 1, done.stderr
    assert f"{folder / 'zz-gone.vcf'}: cannot read {folder / 'zz-gone.vcf'}" in done.stderr
    assert f"{folder / 'zz-pipe.vcf'}: not a regular file" in done.stderr
    assert "created 200, updated 0, unchanged 0, skipped 0, failed 2" in done.stderr


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_overlong_json_line_is_skipped_and_one_without_end_stops_the_file(
        crm, tmp_path, monkeypatch, encoding):
    """Skipping the rest of an overlong line read to its end however far that was: a line
    that never ended (a pipe, /dev/zero) made the import run forever."""
    from crmcli.interchange import jsonfile

    monkeypatch.setattr(jsonfile, "MAX_RECORD_BYTES", 1_000)
    monkeypatch.setattr(jsonfile, "MAX_JSON_BYTES", 100_000)
    good = json.dumps(RECORD, ensure_ascii=False) + "\n"
    text = good + '{"name": "' + "x" * 5_000 + '"}\n' + good.replace("José", "Ana")
    result = _import(crm, tmp_path, "a.jsonl", text.encode(encoding))
    assert result.exit_code == 1
    assert "line 2: longer than 1,000 bytes\n" in result.stderr
    assert "created 2, updated 0, unchanged 0, skipped 0, failed 1" in result.stderr
    endless = good + '{"name": "' + "x" * 3_000_000
    result = _import(crm, tmp_path, "b.jsonl", endless.encode(encoding))
    assert result.exit_code == 1
    assert ("line 2: longer than 1,000 bytes, and no end of line in the next 100,000 bytes: "
            "the rest of the input is not read\n") in result.stderr
    assert "created 1, updated 0, unchanged 0, skipped 0, failed 1" in result.stderr


def test_an_endless_stream_of_json_lines_ends_with_a_message(tmp_path):
    done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(tmp_path / "crm.db"),
                           "import", "-f", "jsonl", "/dev/zero"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "line 1: longer than 16,000,000 bytes, and no end of line" in done.stderr
    assert "created 0, updated 0, unchanged 0, skipped 0, failed 1" in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize(("args", "name"), [(["/dev/zero"], "/dev/zero"),
                                            (["-f", "csv", "-"], "stdin")])
def test_an_endless_device_given_as_csv_ends_with_a_message(tmp_path, args, name):
    """/dev/zero is seekable: the check of a CSV file's bytes before its import read it
    without end (a file on disk only is checked first)."""
    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(tmp_path / "crm.db"),
                               "import", *args], stdin=zeros, capture_output=True, text=True,
                              timeout=120)
    assert (done.returncode, done.stderr) == (
        1, f"crm: error: {name}: not a contacts CSV: binary data (a spreadsheet? save it as "
           "CSV)\n")
