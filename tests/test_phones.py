"""Phone numbers as people write them: libphonenumber's E.164 form for matching, the
``phone.region`` setting, national and international forms matched both ways, and bounded
work on values that are not phone numbers at all."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from work import counted

from crmcli import contact_refs, contact_rules
from crmcli import db as storage
from crmcli.models import Contact, Detail
from crmcli.normalize import is_national, phone_key, phone_problem, phone_search_digits, same_phone

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def _norms(db_path: Path) -> dict[str, str]:
    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("SELECT value, norm FROM contact_details WHERE kind = 'phone'"))


@pytest.mark.parametrize(("national", "international", "region"), [
    ("07700 900005", "+44 7700 900005", "GB"),
    ("(415) 555-0100", "+1 415 555 0100", "US"),
    ("612 34 56 78", "0034 612 34 56 78", "ES"),
])
def test_keys_match_national_and_international_forms(national, international, region):
    assert phone_key(national, region) == phone_key(international) == phone_key(international,
                                                                                region)
    assert phone_key(international).startswith("+")
    assert same_phone(phone_key(national), phone_key(international))


def test_keys_need_no_validity_tables_and_keep_the_extension():
    assert phone_key("+999 123 456") == "+999123456"  # no such country code: digits kept
    assert phone_key("+44 (0)7700 900005") == "+447700900005"
    assert phone_key("+1 415 555 0100 x12") == "+14155550100;ext=12"
    assert not same_phone(phone_key("+1 415 555 0100 x12"), phone_key("+1 415 555 0100"))
    assert phone_key("1-800-flowers", "US") == phone_key("1-800-FLOWERS", "US") == "+18003569377"


@pytest.mark.parametrize("typed", ["call the office", "Calle Mayor 123", "12", "9" * 16,
                                   "9" * 30_000])
def test_values_that_are_not_numbers_get_no_key(typed):
    assert phone_key(typed) == ""
    assert not same_phone(phone_key(typed), phone_key(typed[:15]))


@pytest.mark.parametrize(("stored", "typed", "country"), [
    ("07700 900005", "+44 7700 900005", "GB"), ("+44 7700 900005", "07700 900005", "GB"),
    ("(415) 555-0100", "+1 415 555 0100", "US"), ("+1 415 555 0100", "(415) 555-0100", "US"),
])
@pytest.mark.parametrize("with_region", [False, True])
def test_search_references_and_dupes_match_both_ways(crm, stored, typed, country, with_region):
    if with_region:
        crm.ok("config", "set", "phone.region", country)
    first = crm.add("Ana Lima", "-p", stored)
    assert [r["id"] for r in crm.ok("list", typed).rows()] == [str(first)]
    assert crm.ok("show", typed, "--json").json()["id"] == first
    second = crm.add("Ana L.", "-p", typed)
    assert crm.ok("dupes", "--json").json() == [{
        "id": first, "name": "Ana Lima", "other_id": second, "other_name": "Ana L.",
        "reasons": ["same phone"]}]


def test_region_is_set_once_and_numbers_are_stored_in_e164(crm, db_path, monkeypatch):
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    first = crm.ok("add", "Ana", "-p", "07700 900005")
    assert "crm config set phone.region GB" in first.stderr
    assert _norms(db_path) == {"07700 900005": "7700900005"}
    setting = crm.ok("config", "set", "phone.region", "gb")
    assert "1 number(s) written without a country code now match as GB" in setting.stderr
    assert _norms(db_path) == {"07700 900005": "+447700900005"}  # re-keyed when it was set
    assert crm.ok("config", "show", "--json").json()["phone_region"] == "GB"
    second = crm.ok("add", "Bo", "-p", "07700 900006")
    assert second.stderr == ""
    assert _norms(db_path)["07700 900006"] == "+447700900006"
    assert crm.ok("show", "2", "--json").json()["phones"][0]["value"] == "07700 900006"


def test_undoing_the_region_puts_back_the_setting_with_the_keys(crm, db_path, tmp_path):
    crm.ok("add", "Ana", "-p", "07700 900005")
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\ncurrency = 'GBP'\n")
    crm.ok("config", "set", "phone.region", "GB")
    assert _norms(db_path) == {"07700 900005": "+447700900005"}
    undone = crm.ok("undo")
    assert _norms(db_path) == {"07700 900005": "7700900005"}
    assert f"phone.region is unset in {config} again" in undone.stderr
    assert crm.ok("config", "show", "--json").json()["phone_region"] is None
    assert config.read_text().startswith("# mine\ncurrency = 'GBP'\n")
    crm.ok("undo")  # the undo undone: GB again, keys and setting
    assert _norms(db_path) == {"07700 900005": "+447700900005"}
    assert crm.ok("config", "show", "--json").json()["phone_region"] == "GB"
    config.write_text("[phone]\nregion = 'US'\n")  # changed by hand since: left alone
    refused = crm("undo")
    assert (refused.exit_code, refused.stderr) == (1, (
        "crm: error: cannot undo #4 (undo 3): the config file's phone.region is 'US' now, not "
        "'GB' as #4 left it; crm config set phone.region GB first, or edit the file\n"))
    assert _norms(db_path) == {"07700 900005": "+447700900005"}
    crm.ok("config", "set", "phone.region", "ES")  # nothing to re-key: still one operation
    assert crm.ok("journal", "--json").json()[0]["what"] == "config set phone.region ES"
    assert f"phone.region = 'US' in {config} again" in crm.ok("undo").stderr


def test_an_undo_that_cannot_write_the_config_file_says_what_is_left_to_do(crm, db_path,
                                                                          tmp_path):
    crm.ok("add", "Ana", "-p", "07700 900005")
    crm.ok("config", "set", "phone.region", "GB")
    config = tmp_path / "config" / "crmcli" / "config.toml"
    (config.parent / "config.toml.new").mkdir()  # the file cannot be written over
    failed = crm("undo")
    assert failed.exit_code == 1
    assert failed.stderr.endswith(
        f"crm: error: {config}: cannot write: Is a directory; #2 is undone in the book all the "
        "same: remove phone.region in the file yourself\n")
    assert _norms(db_path) == {"07700 900005": "7700900005"}
    (config.parent / "config.toml.new").rmdir()
    config.write_text("[phone]\nregion = 'ES'\n")  # #3 (the undo) left it unset
    refused = crm("undo")
    assert (refused.exit_code, refused.stderr) == (1, (
        "crm: error: cannot undo #3 (undo 2): the config file's phone.region is 'ES' now, not "
        "unset as #3 left it; remove phone.region from the file first\n"))


def test_a_region_the_book_cannot_follow_leaves_the_config_file_as_it_was(crm, db_path,
                                                                          tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n[phone]\nregion = 'ES'\n")
    db_path.write_bytes(b"not a book" * 100)  # the keys cannot be written again
    failed = crm("config", "set", "phone.region", "GB")
    assert failed.exit_code == 1 and failed.stderr.startswith("crm: error: ")
    assert config.read_text().replace('"', "'") == "# mine\n[phone]\nregion = 'ES'\n"


def test_region_comes_from_config_never_from_the_environment(crm, db_path, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    crm.ok("config", "set", "phone.region", "GB")
    crm.add("Ana", "-p", "020 7946 0000")
    assert _norms(db_path) == {"020 7946 0000": "+442079460000"}


def test_a_bad_region_is_refused(crm, tmp_path):
    result = crm("config", "set", "phone.region", "XX")
    assert result.exit_code == 1
    assert "'XX' is not a region" in result.stderr
    config = tmp_path / "config" / "crmcli" / "config.toml"
    assert not config.exists()
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n[phone]\nregion = 'Britain'\n")
    assert "phone.region must be a two-letter country code" in crm("list").stderr
    crm.ok("config", "set", "phone.region", "GB")
    assert config.read_text().startswith("# mine\n")


def test_lower_case_vanity_numbers_and_text_with_a_warning(crm):
    crm.ok("config", "set", "phone.region", "US")
    vanity = crm.ok("add", "Flowers", "-p", "1-800-flowers")
    assert vanity.stderr == ""
    assert crm.ok("show", "+1 800 356 9377", "--json").json()["name"] == "Flowers"
    kept = crm.ok("add", "Desk", "-p", "ask for the front desk")
    assert "phone 'ask for the front desk' is kept as text: not a phone number" in kept.stderr
    assert crm.ok("show", "Desk", "--json").json()["phones"] == [
        {"value": "ask for the front desk", "label": ""}]


def _work_on_phone(digits: int) -> tuple[int, int, frozenset[str]]:
    """Lines of Python run, calls made (Python and C) and regular expressions used checking,
    keying, searching for and validating a phone of ``digits`` nines: any Python step per
    digit shows in the counts, and a regular expression is one C call however much it reads,
    so the patterns are named."""
    value = "9" * digits
    contact = Contact(name="Nines", phones=[Detail(value)])
    with counted() as work:
        assert phone_problem(value) == "more than 15 digits"
        assert (phone_key(value), is_national(value)) == ("", False)
        assert phone_search_digits(value) == value
        assert contact_rules.validate(contact).phones == [Detail(value)]
    return work.lines, work.calls, frozenset(work.patterns)


def test_a_huge_number_is_text_and_costs_linear_work(crm, db_path):
    """Counted, not timed (a wall-clock bound failed under load): twice the digits run the
    same Python, and the only patterns that read the whole value are single character
    classes, which read it once; the others (which could backtrack) run on at most
    MAX_PHONE_TEXT characters, since the checks cut there first."""
    _work_on_phone(10_000)  # patterns compiled, modules loaded
    lines, calls, patterns = _work_on_phone(30_000)
    assert (lines, calls, patterns) == _work_on_phone(60_000)
    single_class = re.compile(r"\\D\+|\[[^\]]+\]\+?")  # \D+, [\ud800-\udfff], [\x00-...]
    assert all(single_class.fullmatch(pattern) for pattern in patterns), patterns

    result = crm.ok("add", "Nines", "-p", "9" * 30_000)
    assert "is kept as text: more than 15 digits" in result.stderr
    assert len(result.stderr) < 200
    assert _norms(db_path) == {"9" * 30_000: ""}
    assert db_path.stat().st_size < 1_000_000
    assert crm.ok("dupes", "--json").json() == []


def test_add_warns_about_an_email_or_phone_another_contact_has(crm):
    ana = crm.add("Ana Lima", "-e", "ana@x.example", "-p", "+44 7700 900005")
    result = crm.ok("add", "Ana Two", "-e", "ANA@x.example", "-p", "07700 900005")
    assert f"ANA@x.example is also the email of contact {ana} (Ana Lima)" in result.stderr
    assert f"07700 900005 is also the phone of contact {ana} (Ana Lima)" in result.stderr
    assert len(crm.ok("list").rows()) == 2


def _calls_to_validate(count: int) -> int:
    """How many Python and C calls validating a contact of ``count`` numbers makes (each
    number already read once, so that libphonenumber's work, cached, is not counted)."""
    numbers = [Detail(f"+44 7700 {i:06d}") for i in range(count)]
    contact = Contact(name="Many", phones=[*numbers, Detail(f"07700 {count - 1:06d}")])
    assert len(contact_rules.validate(contact).phones) == count  # the national one is a repeat
    with counted(lines=False) as work:
        contact_rules.validate(contact)
    return work.calls


def test_many_phones_in_one_contact_are_deduplicated_in_linear_time():
    """Twice the numbers, about twice the calls: comparing each number with those before it
    (same_phone pairwise) makes four times as many. Counted, not timed: a timing failed once
    on a loaded machine."""
    small, large = _calls_to_validate(400), _calls_to_validate(800)
    assert 1.5 * small < large < 2.5 * small


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 7],
                         ids=lambda p: p.stem)
def test_migration_rewrites_phone_keys(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        conn.executemany(
            "INSERT INTO contact_details (contact_id, kind, label, value, norm, position)"
            " VALUES (1, 'phone', '', ?, ?, ?)",
            [("+44 (0)7700 900005", "+4407700900005", 5), ("0044 20 7946 0000",
                                                          "+442079460000", 6),
             ("1-800-flowers", "1800", 7), ("9" * 500, "9" * 500, 8)])
    storage.connect(path).close()
    norms = _norms(path)
    assert norms["+34 612 34 56 78"] == "+34612345678"
    assert norms["+44 (0)7700 900005"] == "+447700900005"
    assert norms["0044 20 7946 0000"] == "+442079460000"
    assert norms["1-800-flowers"] == "18003569377"
    assert norms["9" * 500] == ""
    database = storage.connect(path)
    assert contact_refs.resolve(database, "07700 900005").name == "José Núñez"


def test_values_too_long_to_be_numbers_are_not_kept_by_the_phone_caches():
    """The caches of read numbers hold short texts only: a file of long phone values must
    not keep thousands of them in memory after their cards are written."""
    from crmcli import normalize

    before = (normalize._phone_key.cache_info().currsize,
              normalize._short_phone_problem.cache_info().currsize)
    for n in range(50):
        text = f"+34 600 {n:06d} " + "1 " * 40_000
        assert phone_key(text) == "" and normalize.phone_problem(text)
    assert (normalize._phone_key.cache_info().currsize,
            normalize._short_phone_problem.cache_info().currsize) == before
    assert phone_key("  +34 612 34 56 78 ") == phone_key("+34 612 34 56 78") == "+34612345678"
