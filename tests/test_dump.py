"""crm dump and crm load: every user table as canonical JSON Lines, and back."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from conftest import CORPUS, Crm

from crmcli import db as database
from crmcli import userdata

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")


def test_every_table_is_classified(tmp_path):
    """A table added later fails here until userdata names it as user data or as something
    else, so that the dump and the journal never miss a table silently."""
    conn = database.connect(tmp_path / "book.db")
    assert userdata.unclassified(conn) == []
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert set(userdata.USER_TABLES) <= tables
    for position, table in enumerate(userdata.USER_TABLES):
        parents = {row[2] for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
        assert parents <= set(userdata.USER_TABLES[:position + 1]), table


def test_a_new_table_fails_the_classification(tmp_path):
    conn = database.connect(tmp_path / "book.db")
    conn.execute("CREATE TABLE gifts (id INTEGER PRIMARY KEY, what TEXT)")
    assert userdata.unclassified(conn) == ["gifts"]


def sample_book(crm: Crm, tmp_path) -> None:
    crm.ok("demo")
    crm.ok("note", "ana", "Prefers calls after 10:00\nand tea, not coffee")
    crm.ok("tag", "ana", "+vip")
    crm.ok("rm", "bo", "--yes")
    if CORPUS.is_dir():
        crm.ok("import", str(CORPUS / "aosp__v21_complicated.vcf"))


def test_dump_load_dump_is_identical(crm, tmp_path):
    sample_book(crm, tmp_path)
    first = crm.ok("dump").stdout
    assert first.startswith('{"format":"crmcli-dump","schema":')
    tables = {line.split('"table":"')[1].split('"')[0] for line in first.splitlines()[1:]}
    assert {"contacts", "contact_details", "notes", "interactions", "deals", "followups",
            "deal_stage_changes", "companies", "contact_tags"} <= tables
    dump_file = tmp_path / "book.jsonl"
    crm.ok("dump", "-o", str(dump_file))
    assert dump_file.read_text(encoding="utf-8") == first
    assert dump_file.stat().st_mode & 0o777 == 0o600

    restored = Crm(tmp_path / "restored.db")
    assert "loaded" in restored.ok("load", str(dump_file)).stderr
    assert restored.ok("dump").stdout == first
    # The search indexes were rebuilt from the rows.
    assert "Ana Lima" in restored.ok("list", "tea").stdout
    assert "Prefers calls" in restored.ok("notes", "search", "coffee").stdout


def test_dump_is_sorted_and_canonical(crm):
    crm.add("Zoë Zed", "-e", "z@example.com")
    crm.add("Al Alpha", "--tag", "b", "--tag", "a")
    lines = crm.ok("dump").stdout.splitlines()
    contacts = [line for line in lines if '"table":"contacts"' in line]
    assert [line.index('"name":"') > 0 for line in contacts] == [True, True]
    assert '"name":"Zoë Zed"' in contacts[0]  # id order, non-ASCII kept
    tags = [line for line in lines if '"table":"contact_tags"' in line]
    assert tags == ['{"row":{"contact_id":2,"tag":"a"},"table":"contact_tags"}',
                    '{"row":{"contact_id":2,"tag":"b"},"table":"contact_tags"}']


def test_load_refuses_a_book_that_holds_data(crm, tmp_path):
    crm.add("Ana Lima")
    dump_file = tmp_path / "book.jsonl"
    crm.ok("dump", "-o", str(dump_file))
    result = crm("load", str(dump_file))
    assert result.exit_code == 1
    assert "not empty" in result.stderr
    assert crm.ok("list", "-f", "json").json()[0]["name"] == "Ana Lima"


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file"),
    ('{"name": "x"}\n', "not a crm dump"),
    ('{"format":"crmcli-dump","schema":1}\n', "dump of schema 1"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n{"table":"secrets","row":{}}\n', ":2: expected"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n{"table":"contacts","row":{"x":1}}\n',
     "no column 'x'"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n{"table":"contacts","row":{"id":1}}\n',
     "row refused"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\nnot json\n', ":2: not JSON"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n'  # an id past 64 bits: an internal error
     '{"table":"contacts","row":{"id":99999999999999999999}}\n',
     ":2: values must be text, numbers SQLite can store"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n{"table":"contacts","row":{"id":1e999}}\n',
     ":2: values must be text, numbers SQLite can store"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n'  # sync takes note 0 for an item left alone
     '{"table":"notes","row":{"id":0,"contact_id":1,"body":"x","created_at":"2026-01-01"}}\n',
     ":2: table notes: an id is a whole number from 1"),
    ('{"format":"crmcli-dump","schema":SCHEMA}\n'  # and note -4 for interaction 4
     '{"table":"notes","row":{"id":-4,"contact_id":1,"body":"x","created_at":"2026-01-01"}}\n',
     ":2: table notes: an id is a whole number from 1"),
])
def test_bad_dumps_are_refused_and_nothing_is_written(crm, tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content.replace("SCHEMA", str(database.SCHEMA_VERSION)))
    result = crm("load", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert crm.ok("dump").stdout.count("\n") == 1


def test_load_from_stdin(crm, tmp_path):
    crm.add("Ana Lima", "-e", "ana@example.com")
    text = crm.ok("dump").stdout
    other = Crm(tmp_path / "other.db")
    other.ok("load", "-", input=text)
    assert other.ok("dump").stdout == text
    assert sqlite3.connect(other.db_path).execute(
        "SELECT count(*) FROM contact_search").fetchone() == (1,)


@pytest.mark.parametrize(("first", "line"), [(False, 1), (True, 2)])
def test_a_line_past_the_limit_is_refused_without_reading_it_whole(
        crm, tmp_path, monkeypatch, first, line):
    """A dump whose line never ended (a file, a pipe, /dev/zero) was read whole, forever."""
    from crmcli import dump

    monkeypatch.setattr(dump, "MAX_LINE", 100_000)
    header = f'{{"format":"crmcli-dump","schema":{database.SCHEMA_VERSION}}}\n'
    bad = tmp_path / "long.jsonl"
    bad.write_text((header if first else "") + '{"table":"contacts","row":' + " " * 3_000_000)
    result = crm("load", str(bad))
    assert result.exit_code == 1
    assert result.stderr == f"crm: error: {bad}:{line}: line longer than 100,000 characters\n"
    assert crm.ok("dump").stdout.count("\n") == 1


def test_load_of_an_endless_stream_ends_with_an_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(tmp_path / "crm.db"),
                           "load", "/dev/zero"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == "crm: error: /dev/zero:1: line longer than 67,108,864 characters\n"
