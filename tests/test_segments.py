"""Saved segments: save, list with live counts, show, rm, @name in queries, cycles, the
journal, the dump, and books from older releases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


@pytest.fixture
def book(crm):
    crm.add("Ana Lima", "-t", "vip", "--address", "Calle Mayor 1, Madrid")
    crm.add("Bo Chen", "-t", "vip", "-e", "bo@example.com")
    crm.add("Cy Dorn", "--address", "Gran Via 2, Madrid")
    return crm


def _names(result) -> list[str]:
    return [row["name"] for row in result.rows()]


def test_a_segment_is_evaluated_each_time(book):
    saved = book.ok("segment", "save", "madrid-vips", "tag:vip city:madrid")
    assert "Saved segment @madrid-vips: 1 contact(s) match" in saved.stderr
    assert _names(book.ok("segment", "show", "madrid-vips")) == ["Ana Lima"]
    book.ok("tag", "cy", "+vip")  # dynamic: Cy joins without saving again
    assert _names(book.ok("segment", "show", "madrid-vips")) == ["Ana Lima", "Cy Dorn"]
    assert _names(book.ok("list", "@madrid-vips", "-has:email")) == ["Ana Lima", "Cy Dorn"]
    assert _names(book.ok("list", "@madrid-vips OR has:email")) == [
        "Ana Lima", "Bo Chen", "Cy Dorn"]


def test_list_shows_each_query_and_its_live_count(book):
    book.ok("segment", "save", "vips", "tag:vip")
    book.ok("segment", "save", "madrid", "city:madrid")
    book.ok("segment", "save", "both", "@vips @madrid")
    first = book.ok("segment", "list", "--json").json()[0]
    assert {key: first[key] for key in ("name", "query", "count")} == {
        "name": "both", "query": "@vips @madrid", "count": 1}
    assert [(r["name"], r["count"]) for r in book.ok("segment", "list").rows()] == [
        ("both", "1"), ("madrid", "2"), ("vips", "2")]


def test_a_segment_that_no_longer_evaluates_is_listed_with_the_others(book):
    book.ok("segment", "save", "vips", "tag:vip")
    book.ok("segment", "save", "both", "@vips city:madrid")
    book.ok("segment", "rm", "vips")
    book.ok("segment", "save", "madrid", "city:madrid")
    listed = book.ok("segment", "list", "--json")
    assert [(r["name"], r["count"]) for r in listed.json()] == [("both", None), ("madrid", 2)]
    assert listed.stderr == ("crm: warning: in segment @both: query '@vips city:madrid': no "
                             "segment @vips (saved segments: @both, @madrid) at column 1; "
                             "change it with crm segment save both QUERY\n")


def test_saving_again_replaces_the_query(book):
    book.ok("segment", "save", "vips", "tag:vip")
    replaced = book.ok("segment", "save", "VIPS", "tag:vip -has:email")
    assert "Replaced segment @vips: 1 contact(s) match" in replaced.stderr
    assert _names(book.ok("segment", "show", "@vips")) == ["Ana Lima"]


def test_a_cycle_is_refused_before_it_is_saved(book):
    book.ok("segment", "save", "a", "tag:vip")
    book.ok("segment", "save", "b", "@a city:madrid")
    refused = book("segment", "save", "a", "@b")
    assert refused.exit_code == 1
    assert "segments refer to each other in a cycle: @a -> @b -> @a" in refused.stderr
    itself = book("segment", "save", "c", "-@c")
    assert "cycle: @c -> @c" in itself.stderr
    assert [r["query"] for r in book.ok("segment", "list", "--json").json()] == [
        "tag:vip", "@a city:madrid"]


@pytest.mark.parametrize(("args", "message", "code"), [
    (("segment", "save", "x", "tag::"), "query 'tag::': unexpected ':' at column 5", 1),
    (("segment", "save", "no way", "tag:x"), "segment name 'no way'", 1),
    (("segment", "show", "nope"), "no segment 'nope' (saved segments: none yet)", 3),
    (("segment", "rm", "nope"), "no segment 'nope'", 3),
    (("list", "@nope"), "no segment @nope (saved segments: none) at column 1", 1),
])
def test_bad_segments_are_clear_errors(book, args, message, code):
    result = book(*args)
    assert result.exit_code == code
    assert message in result.stderr


def test_save_and_rm_are_journaled_and_undone(book):
    book.ok("segment", "save", "vips", "tag:vip")
    book.ok("segment", "save", "vips", "tag:vip city:madrid")
    book.ok("segment", "rm", "vips")
    assert book.ok("segment", "list", "--json").json() == []
    book.ok("undo")
    assert [s["query"] for s in book.ok("segment", "list", "--json").json()] == [
        "tag:vip city:madrid"]
    operations = {op["what"]: op["id"] for op in book.ok("journal", "--json").json()}
    assert "segment rm vips" in operations
    book.ok("undo", str(operations["segment save vips 'tag:vip city:madrid'"]))
    assert [s["query"] for s in book.ok("segment", "list", "--json").json()] == ["tag:vip"]


def test_segments_are_dumped_and_loaded(book, tmp_path):
    from conftest import Crm

    book.ok("segment", "save", "vips", "tag:vip")
    dumped = book.ok("dump").stdout
    assert '"segments"' in dumped and "tag:vip" in dumped
    (tmp_path / "book.jsonl").write_text(dumped, encoding="utf-8")
    fresh = Crm(tmp_path / "fresh.db")
    fresh.ok("load", str(tmp_path / "book.jsonl"))
    assert _names(fresh.ok("segment", "show", "vips")) == ["Ana Lima", "Bo Chen"]


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_segments_work_on_an_upgraded_release_book(crm, db_path, release):
    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
        before = conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"
                              ).fetchone()[0]
    assert before > 0
    crm.ok("segment", "save", "everyone", "-tag:no-such-tag")
    assert len(crm.ok("segment", "show", "everyone").rows()) == before
    assert crm.ok("segment", "list", "--json").json()[0]["count"] == before
