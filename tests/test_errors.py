"""Bad input gets one clear line on stderr and the right exit code; contact text stays data."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from crmcli.errors import InvalidInput
from crmcli.locations import expand_home

HOSTILE = "[bold red]x[/bold red] \x1b[2J\x07Evil\x9b31m"


@pytest.mark.parametrize(("args", "message"), [
    (["add", "Ana", "-e", "not-an-email"], "invalid email 'not-an-email'"),
    (["add", "Ana", "--birthday", "31/02/1980"], "'31/02/1980' is not a valid date"),
    (["add", "Ana", "--birthday", "someday"], "'someday' is not a valid date"),
    (["add", "   "], "a contact needs a name"),
    (["show", "42"], "no contact with id 42"),
    (["company", "show", "nothing"], "no company matches 'nothing'"),
])
def test_user_mistakes_are_one_line_errors(crm, args, message):
    result = crm(*args)
    assert result.exit_code in (1, 3)
    assert result.stderr.startswith("crm: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert crm.ok("list").rows() == []


def test_usage_errors_exit_2(crm):
    assert crm("list", "--sort", "shoe-size").exit_code == 2
    assert crm("frobnicate").exit_code == 2


@pytest.mark.parametrize(("command", "args", "missing"), [
    ("field add", ["size"], "--type'. Choose from: text, number, date, choice, url, bool"),
    ("deal lost", ["1"], "--reason'."),
    ("campaign new", ["spring"], "--to'."),
    ("campaign new", ["spring", "--to", "tag:vip"], "--template'."),
    ("deal stages remap", ["lead"], "--to'."),
])
def test_a_missing_required_option_is_one_line_and_a_hint(crm, command, args, missing):
    """Every command's required options; a choice's list once came one value per line."""
    result = crm(*command.split(), *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [f"crm: error: Missing option '{missing}",
                                          f"try 'crm {command} --help'"]


def test_database_path_is_a_directory(crm, tmp_path):
    result = crm("--db", str(tmp_path), "list")
    assert result.exit_code == 1
    assert result.stderr == f"crm: error: cannot open database {tmp_path}: it is a directory\n"


def test_database_that_is_not_sqlite(crm, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 100)
    result = crm("--db", str(path), "list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"crm: error: {path} is not a crmcli database (not a valid SQLite file)\n")
    assert path.read_text().startswith("these are my notes")


@pytest.fixture
def read_only(db_path):
    """Make the database file unwritable even for root (chattr +i), restoring it afterwards."""
    def protect():
        if os.geteuid() != 0:
            db_path.chmod(stat.S_IRUSR)
        elif subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode:
            pytest.skip("cannot make a file immutable here")

    yield protect
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(db_path)], capture_output=True)
    db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_read_only_database_reads_but_refuses_writes(crm, read_only):
    crm.add("Ana")
    read_only()
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana"]
    result = crm("add", "Bo")
    assert result.exit_code == 1
    assert result.stderr == (
        f"crm: error: cannot write to database {crm.db_path}: it or its folder is read-only;"
        " nothing was changed\n")
    assert [r["name"] for r in crm.ok("list").rows()] == ["Ana"]


def test_unwritable_folder(crm, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = crm("--db", str(blocker / "crm.db"), "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: cannot create database {blocker / 'crm.db'}")


def test_broken_config_names_file_and_line(crm, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('currency = "EUR"\ndate_order = DMY\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: {config}: ")
    assert "line 2" in result.stderr


def test_bad_config_value(crm, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('date_order = "DDMM"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("list")
    assert result.exit_code == 1
    assert "date_order must be one of DMY, MDY, YMD" in result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('currency = "\xe9"\n'.encode("latin-1"), "not UTF-8 text (byte 12); save it as UTF-8"),
    (b"[cadence]\nvip = " + b"9" * 5000 + b"\n", "a number with too many digits"),
])
def test_a_config_file_python_cannot_read_is_one_line(crm, tmp_path, monkeypatch, text,
                                                      message):
    config = tmp_path / "config.toml"
    config.write_bytes(text)
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("list")
    assert (result.exit_code, result.stderr) == (1, f"crm: error: {config}: {message}\n")


@pytest.mark.parametrize("args", [["--db", "~nosuchuser/crm.db", "list"],
                                  ["export", "-o", "~nosuchuser/cards.vcf"],
                                  ["backup", "~nosuchuser/copy.db"],
                                  ["import", "~nosuchuser/cards.vcf"],
                                  ["import-mail", "~nosuchuser/Mail"]])
def test_a_path_in_the_home_of_an_unknown_user_is_one_line(crm, args):
    """pathlib's expanduser() raises RuntimeError for ~NAME of no user: an internal error."""
    result = crm(*args)
    assert (result.exit_code, result.stderr) == (1, (
        "crm: error: a path starts with '~nosuchuser', but no user of that name has a home "
        "here\n"))


def test_every_path_expands_its_home_through_one_check():
    """pathlib's expanduser() raises RuntimeError for ~NAME of no user (an internal error):
    paths are expanded by locations.expand_home, which names the home instead."""
    source = Path(__file__).parents[1] / "src" / "crmcli"
    pathlib_expands = re.compile(r"(?<!os\.path)\.expanduser\(")  # os.path's never raises
    assert [str(path.relative_to(source)) for path in source.rglob("*.py")
            if pathlib_expands.search(path.read_text(encoding="utf-8"))] == []
    with pytest.raises(InvalidInput) as refused:
        expand_home(Path("~no-such-user-here/crm.db"))
    assert str(refused.value) == ("a path starts with '~no-such-user-here', but no user of that "
                                  "name has a home here")
    assert expand_home("~/crm.db") == os.path.join(os.path.expanduser("~"), "crm.db")
    assert expand_home("a~b/crm.db") == "a~b/crm.db"


def test_setting_a_key_under_a_value_that_is_no_table_is_one_line(crm, tmp_path,
                                                                   monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('phone = "ES"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("config", "set", "phone.region", "ES")
    assert (result.exit_code, result.stderr) == (
        1, f"crm: error: {config}: phone is 'ES', not a table ([phone]); fix it in the file\n")
    assert config.read_text() == 'phone = "ES"\n'


@pytest.mark.parametrize(("text", "args", "message"), [
    ("hooks = 5\n", ["list"], "hooks must be a table ([hooks])"),
    ("journal = 1\n", ["list"], "journal must be a table ([journal])"),
    ('cases = "x"\n', ["case", "open", "1", "Late"], "cases must be a table ([cases])"),
    ("referrals = 5\n", ["deal", "won", "1"], "referrals must be a table ([referrals])"),
    ("pipeline = 5\n", ["pipeline"], "pipeline must be a table ([pipeline])"),
    ("campaigns = 5\n", ["deal", "won", "1"], "campaigns must be a table ([campaigns])"),
    ("smtp = 5\n", ["remind"], "smtp must be a table ([smtp])"),
    ("health = 5\n", ["health"], "health must be a table ([health])"),
    ('phone = "ES"\n', ["add", "Bo Chen", "-p", "612 34 56 78"],
     "phone must be a table ([phone])"),
    ("sync = 5\n", ["export"], "sync must be a table ([sync])"),
    ("rates = 5\n", ["health"], "rates must be a table ([rates], with USD = 0.92 lines)"),
    ('cadence = "14d"\n', ["due"],
     'cadence must be a table ([cadence], with tag = "14d" lines)'),
    ('[campaigns]\ncounts_as_contact = "yes"\n', ["deal", "won", "1"],
     "[campaigns] counts_as_contact must be true or false, not 'yes'"),
    ('[referrals]\nthank = "no"\n', ["deal", "won", "1"],
     "[referrals] thank must be true or false, not 'no'"),
])
def test_a_setting_that_should_be_a_table_or_a_switch_is_one_line(crm, tmp_path, monkeypatch,
                                                                   text, args, message):
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot")
    config = tmp_path / "config.toml"
    config.write_text(text)
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm(*args)
    assert (result.exit_code, result.stderr) == (1, f"crm: error: {config}: {message}\n")
    monkeypatch.delenv("CRM_CONFIG")
    assert crm.ok("deal", "show", "1", "--json").json()["stage"] == "lead"  # nothing won


def test_a_bad_journal_keep_names_the_file(crm, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[journal]\nkeep = "forever"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm("list")
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {config}: [journal] keep: 'forever' is not a length of time "
        "(try 7d, 2w, 1m, 1y or 30)\n"))


def test_debug_shows_the_exception(crm):
    result = crm.runner.invoke(__import__("crmcli.cli").cli.app,
                               ["--db", str(crm.db_path), "--debug", "show", "42"])
    assert type(result.exception).__name__ == "NotFound"


def test_hostile_names_print_literally_when_piped(crm):
    contact_id = crm.add(HOSTILE, "-c", "=HYPERLINK(\"http://evil\")")
    tsv = crm.ok("list").stdout
    assert "[bold red]x[/bold red]" in tsv
    assert "\x1b" not in tsv and "\x07" not in tsv and "\x9b" not in tsv
    shown = crm.ok("show", str(contact_id), "--json").json()
    assert shown["name"] == HOSTILE  # JSON keeps the data exactly, escaped
    raw_json = crm.ok("list", "--json").stdout
    assert "\x1b" not in raw_json and "\x9b" not in raw_json
    assert "\\u001b" in raw_json and "\\u009b" in raw_json
    csv_text = crm.ok("list", "--csv").stdout
    assert "'=HYPERLINK" in csv_text


def test_hostile_names_in_rich_tables(crm):
    contact_id = crm.add(HOSTILE, "-t", "[link=x]y[/link]")
    for args in (["list", "-f", "table"], ["show", str(contact_id), "-f", "table"]):
        text = crm.ok(*args).stdout
        assert "[bold red]x[/bold red]" in text
        assert "[link=x]y[/link]" in text
        assert "\x1b" not in text and "\x07" not in text


def test_names_with_accents_and_emoji_survive(crm):
    contact_id = crm.add("Zoë 🌱 Ångström", "-t", "café")
    assert crm.ok("list", "angstrom").rows()[0]["name"] == "Zoë 🌱 Ångström"
    assert crm.ok("show", str(contact_id), "--json").json()["tags"] == ["café"]
    assert "Zoë 🌱 Ångström" in crm.ok("show", str(contact_id), "-f", "table").stdout


@pytest.mark.parametrize(("args", "what"), [
    (["case", "open", "--company", "", "Wrong invoice"], "company"),
    (["case", "open", "ana", "Late", "--deal", " "], "deal"),
    (["case", "list", "--company", ""], "company"),
    (["case", "list", "--contact", ""], "contact"),
    (["deal", "list", "--company", ""], "company"),
    (["deal", "list", "--contact", ""], "contact"),
    (["deal", "show", "#"], "deal"),
    (["list", "--company", ""], "company"),
    (["activity", "--company", ""], "company"),
    (["activity", "--contact", " "], "contact"),
    (["notes", "list", ""], "contact"),
    (["followups", "list", ""], "contact"),
    (["show", " "], "contact"),
    (["company", "show", ""], "company"),
    (["log", "", "Called"], "contact"),
])
def test_an_empty_reference_selects_nothing(crm, args, what):
    """With one record of each kind, an empty name once matched it (or every one)."""
    crm.ok("company", "add", "ACME")
    crm.add("Ana Lima", "--company", "ACME")
    crm.ok("deal", "add", "ana", "Pilot")
    result = crm(*args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"crm: error: the {what} is empty: give its id")
    assert result.stderr.count("\n") == 1
    assert crm.ok("case", "list", "--status", "all").rows() == []
    assert crm.ok("activity", "--json").json() == []


def test_a_group_given_no_command_shows_its_help_and_says_what_is_missing(crm):
    result = crm("deal")
    assert result.exit_code == 2
    assert "crm deal" in result.stdout and "list" in result.stdout
    assert result.stderr == "crm: error: missing command\ntry 'crm deal --help'\n"


BEYOND_SQLITE = "99999999999999999999999"  # more than a 64-bit INTEGER holds


@pytest.mark.parametrize("args", [
    ["deal", "show", BEYOND_SQLITE],
    ["deal", "move", BEYOND_SQLITE, "won"],
    ["deal", "edit", f"#{BEYOND_SQLITE}", "--title", "x"],
    ["deal", "rm", BEYOND_SQLITE, "--yes"],
    ["company", "show", BEYOND_SQLITE],
    ["company", "rm", BEYOND_SQLITE, "--yes"],
    ["case", "show", BEYOND_SQLITE],
    ["case", "note", BEYOND_SQLITE, "x"],
    ["deal", "show", "9" * 5000],  # beyond what int() reads from text
])
def test_an_id_too_large_to_store_is_an_unknown_id(crm, args):
    """Such an id once reached sqlite3 and ended in an internal error (OverflowError)."""
    result = crm(*args)
    assert result.exit_code == 3
    assert result.stderr.startswith("crm: error: no ")
    assert args[2].lstrip("#")[:20] in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "internal" not in result.stderr


@pytest.mark.parametrize("args", [
    ["show", "²"], ["company", "show", "²"], ["deal", "show", "²"],
    ["deal", "add", "Pilot", "--contact", "1", "--probability", "²"],
    ["relate", "1", "²", "--as", "friend"],
])
def test_a_superscript_digit_is_not_read_as_a_number(crm, args):
    crm.ok("add", "Ann Lee")
    result = crm(*args)
    assert result.exit_code in (1, 2, 3)
    assert result.stderr.startswith("crm: error: ") and "internal" not in result.stderr
    assert result.stderr.count("\n") <= 2


MORE_THAN_INT_READS = "9" * 5000  # int() refuses text of more than 4,300 digits


@pytest.mark.parametrize(("args", "message"), [
    (["deal", "add", "1", "Pilot", "--value", MORE_THAN_INT_READS], "is too large for a deal"),
    (["deal", "add", "1", "Pilot", "--probability", MORE_THAN_INT_READS], "whole percentage"),
    (["due", "--within", MORE_THAN_INT_READS], "is too long a time"),
    (["birthdays", "--within", f"{MORE_THAN_INT_READS}d"], "is too long a time"),
    (["log", "1", "Call", "--duration", f"{MORE_THAN_INT_READS}m"], "at most a week"),
    (["follow-up", "1", f"+{MORE_THAN_INT_READS}d", "Call"], "days is too far"),
    (["follow-up", "1", "fri", "Call", "--every", f"{MORE_THAN_INT_READS}d"], "the interval"),
])
def test_a_number_of_thousands_of_digits_is_a_message_not_an_internal_error(crm, args,
                                                                           message):
    crm.ok("add", "Ann Lee")
    result = crm(*args)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("crm: error: ") and message in result.stderr
    assert "internal" not in result.stderr and "4300" not in result.stderr


@pytest.mark.parametrize(("digits", "expected"), [
    ("0" * 5000 + "7", 7), ("9" * 5000, 101), ("", 0), ("100", 100), ("101", 101), ("999", 101)])
def test_capped_reads_any_run_of_digits_without_reading_thousands(digits, expected):
    from crmcli.errors import capped

    assert capped(digits, 100) == expected
