"""The query language: each term against a known book, exact result sets, and bad queries."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import Crm

NOW = "2026-11-20T10:00:00Z"  # a Friday: the week is 16-22 November


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """Four live contacts and one in the trash, each term telling some of them apart (built
    once; each test queries a copy)."""
    folder = tmp_path_factory.mktemp("query-book")
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("CRM_DB", "CRM_CONFIG", "NO_COLOR"):
            patch.delenv(variable, raising=False)
        patch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        patch.setenv("XDG_DATA_HOME", str(folder / "data"))
        patch.setenv("TZ", "UTC")
        time.tzset()
        _seed(Crm(folder / "crm.db"))
    return folder / "crm.db"


@pytest.fixture
def crm(seeded, db_path):
    shutil.copy(seeded, db_path)
    return Crm(db_path)


@pytest.fixture
def book(crm):
    def names(*query: str) -> list[str]:
        found = crm.ok("list", *query, env={"CRM_NOW": NOW})
        return sorted(row["name"].split()[0] for row in found.rows())
    return names


def _seed(crm: Crm) -> None:
    def at(moment: str, *args: str) -> str:
        return crm.ok(*args, env={"CRM_NOW": moment}).stdout.strip()

    at("2025-06-01T09:00:00Z", "field", "add", "budget", "--type", "number")
    at("2025-06-01T09:00:00Z", "add", "Ana Lima", "-c", "Atlântico Foods", "--title",
       "Head of Sales", "-e", "ana@atlantico.pt", "-p", "+351 21 123 4567", "--address",
       "Rua Augusta 1, Lisboa", "-t", "vip", "-t", "customer", "--birthday", "1980-11-25",
       "--set", "budget=12000")
    at("2026-03-01T09:00:00Z", "add", "Bo Chen", "-c", "Northwind", "--title", "IT Director",
       "-e", "bo@northwind.example", "--address", "1 Market St, San Francisco", "-t",
       "customer", "--birthday", "--11-20")
    at("2026-11-10T09:00:00Z", "add", "Chloé Dubois", "-c", "Maison Verte", "-e",
       "c.dubois@sub.acme.com", "-t", "lead", "-t", "lost", "--birthday", "1990-12-03",
       "--set", "budget=5000")
    at("2026-11-19T09:00:00Z", "add", "Dmitri Volkov", "-c", "Acme Corp", "-e",
       "dmitri@acme.com", "-p", "+1 415 555 0111")
    eve = at("2026-11-19T09:00:00Z", "add", "Eve Trash", "-t", "vip", "-e", "eve@acme.com")
    at(NOW, "rm", eve, "--yes")
    at("2026-11-18T15:00:00Z", "log", "ana", "Call about the pilot")
    at("2026-09-01T15:00:00Z", "log", "bo", "Renewal")
    at(NOW, "deal", "add", "ana", "Pilot", "--value", "9500", "--stage", "proposal")
    at(NOW, "deal", "add", "bo", "Licences", "--value", "20000", "--currency", "USD",
       "--stage", "won")
    at(NOW, "deal", "add", "bo", "Support", "--value", "5000", "--stage", "won")
    at(NOW, "deal", "add", "chloe", "Shop", "--value", "3000", "--stage", "lost")
    at(NOW, "deal", "add", "dmitri", "Sensors", "--value", "6000", "--stage", "lead")
    at(NOW, "deal", "add", "dmitri", "Audit", "--value", "1000", "--stage", "qualified")
    at(NOW, "relate", "dmitri", "spouse", "ana")


CASES = [
    ("tag:vip", ["Ana"]),
    ("-tag:vip", ["Bo", "Chloé", "Dmitri"]),
    ("company:atlan", ["Ana"]),
    ("company:ATLÂN", ["Ana"]),
    ("company:corp", ["Dmitri"]),
    ("company:verte", ["Chloé"]),
    ('title:"head of"', ["Ana"]),
    ("title:director", ["Bo"]),
    ("city:lisboa", ["Ana"]),
    ("city:francisco", ["Bo"]),
    ("email:@acme.com", ["Chloé", "Dmitri"]),
    ("email:bo@northwind.example", ["Bo"]),
    ("email:dmi", ["Dmitri"]),
    ("has:phone", ["Ana", "Dmitri"]),
    ("-has:phone", ["Bo", "Chloé"]),
    ("has:birthday", ["Ana", "Bo", "Chloé"]),
    ("has:address", ["Ana", "Bo"]),
    ("last:>30d", ["Bo", "Chloé", "Dmitri"]),
    ("last:<7d", ["Ana"]),
    ("last:<2026-11-01", ["Bo", "Chloé", "Dmitri"]),
    ("created:>2026-11-01", ["Chloé", "Dmitri"]),
    ("created:>2026-03-01", ["Chloé", "Dmitri"]),
    ("created:<2026-03-01", ["Ana"]),
    ("created:<7d", ["Dmitri"]),
    ("birthday:today", ["Bo"]),
    ("birthday:this-week", ["Bo"]),
    ("birthday:this-month", ["Ana", "Bo"]),
    ("birthday:next-month", ["Chloé"]),
    ("deal:open", ["Ana", "Dmitri"]),
    ("deal:won", ["Bo"]),
    ("deal:lost", ["Chloé"]),
    ("stage:proposal", ["Ana"]),
    ("pipeline:>5000EUR", ["Ana", "Dmitri"]),
    ("pipeline:>8000", ["Ana"]),
    ("pipeline:<8000EUR", ["Bo", "Chloé", "Dmitri"]),
    ("pipeline:>100USD", []),
    ("won:>10000USD", ["Bo"]),
    ("won:>10000EUR", []),  # 5,000 EUR and 20,000 USD are never added
    ("won:>4999.99", ["Bo"]),
    ("field.budget:>10000", ["Ana"]),
    ("field.budget:<10000", ["Chloé"]),
    ("related:spouse", ["Ana", "Dmitri"]),
    ("tag:vip OR tag:lead", ["Ana", "Chloé"]),
    ("(tag:vip OR tag:lead) -has:phone", ["Chloé"]),
    ("-(tag:vip OR tag:lead)", ["Bo", "Dmitri"]),
    ("tag:customer AND deal:won OR tag:lost", ["Bo", "Chloé"]),
    ("acme", ["Chloé", "Dmitri"]),
    ("lima tag:vip", ["Ana"]),
    ('"maison verte"', ["Chloé"]),
    ("nobody-here", []),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_each_term_selects_exactly_its_contacts(book, query, expected):
    assert book(query) == expected


def test_words_given_separately_are_one_query(book):
    assert book("tag:customer", "-has:phone", "deal:won") == ["Bo"]


def test_the_flags_and_with_the_query(book, crm):
    assert book("--tag", "customer", "last:>30d") == ["Bo"]
    assert book("--company", "acme corp", "has:phone") == ["Dmitri"]
    assert book("--not-contacted-since", "30d", "-tag:lost") == ["Bo", "Dmitri"]


def test_export_takes_the_query(book, crm):
    exported = crm.ok("export", "-f", "json", "email:@acme.com", "-has:phone",
                      env={"CRM_NOW": NOW}).json()
    assert [contact["name"] for contact in exported] == ["Chloé Dubois"]


BAD = [
    ("tag::", "query 'tag::': unexpected ':' at column 5"),
    ("tag:", "expected a value after 'tag:' at column 5"),
    ("foo:bar", "unknown term 'foo:' at column 1; the terms are tag:, company:"),
    ("tag:a OR", "expected a term after 'OR' at column 7"),
    ("(tag:a", "missing ')' for the '(' at column 1"),
    ("tag:a)", "unexpected ')' at column 6"),
    ('title:"head', "unclosed '\"' at column 7"),
    ("has:fax", "query 'has:fax': has: expected one of email, phone, address, url"),
    ("stage:nope", "query 'stage:nope': stage: no such stage; the stages are lead, qualified"),
    ("pipeline:>5000XYZ", "'XYZ' is not an ISO 4217 currency code"),
    ("birthday:someday", "expected one of today, this-week, this-month, next-month"),
    ("field.nope:>1", "no custom field 'nope' (the fields are: budget)"),
    ("last:soon", "expected > or < then a length of time"),
    ("@nope", "no segment @nope (saved segments: none) at column 1"),
    # Text with no word to search selected every contact (a campaign to the whole book).
    ("*", "query '*': expected letters or digits to search for at column 1"),
    ('tag:vip ""', "query 'tag:vip \"\"': expected letters or digits to search for at column 9"),
    ("ana OR 🎉", "query 'ana OR 🎉': expected letters or digits to search for at column 8"),
]


@pytest.mark.parametrize("command", [["list"], ["health"], ["next"], ["export"],
                                     ["segment", "save", "x"]])
def test_a_query_ending_in_a_colon_is_quoted_in_its_error(crm, command):
    """The message began 'tag:: expected a value', the query and the colon after it run
    together."""
    result = crm(*command, "tag:")
    assert result.exit_code == 1
    assert result.stderr == ("crm: error: query 'tag:': expected a value after 'tag:' "
                             "at column 5\n")


def test_a_long_term_name_is_cut_short_in_its_error(crm):
    for key in ("field." + "y" * 3000, "z" * 3000):
        result = crm("list", f"{key}:1")
        assert result.exit_code == 1 and len(result.stderr) < 400, result.stderr[:400]


@pytest.mark.parametrize(("query", "message"), BAD, ids=[case[0] for case in BAD])
def test_a_bad_query_is_one_clear_error(book, crm, query, message):
    result = crm("list", query, env={"CRM_NOW": NOW})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert result.stderr.startswith("crm: error: ") and result.stderr.count("\n") == 1
