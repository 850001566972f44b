"""Id arguments read as numbers (Click's int type): an id too large for SQLite names nothing."""

from __future__ import annotations

import pytest

from crmcli import activity, dates, deals, money, recurrence
from crmcli.errors import InvalidInput

BEYOND_SQLITE = "99999999999999999999999"  # more than a 64-bit INTEGER holds
FIVE_THOUSAND_DIGITS = "9" * 5000  # beyond what int() reads from text
ZEROS_THEN_FIVE = "0" * 5000 + "5"  # so is this: leading zeros count
ARABIC_ONE, ARABIC_TEN = "\u0661", "\u0661\u0660"  # int() reads them as 1 and 10
WIDE_TEN = "\uff11\uff10"  # full-width digits


@pytest.mark.parametrize("args, what", [
    (["done", BEYOND_SQLITE], "follow-up"),
    (["done", "1", BEYOND_SQLITE], "follow-up"),
    (["done", "--", f"-{BEYOND_SQLITE}"], "follow-up"),
    (["snooze", BEYOND_SQLITE, "tomorrow"], "follow-up"),
    (["followups", "edit", BEYOND_SQLITE, "--text", "x"], "follow-up"),
    (["followups", "rm", BEYOND_SQLITE, "--yes"], "follow-up"),
    (["follow-up", "--no-contact", "tomorrow", "call", "--deal", BEYOND_SQLITE], "deal"),
    (["unlog", BEYOND_SQLITE], "logged interaction"),
    (["ungift", BEYOND_SQLITE], "gift"),
    (["deal", "restore", BEYOND_SQLITE], "deal"),
    (["notes", "edit", BEYOND_SQLITE, "x"], "note"),
    (["notes", "rm", BEYOND_SQLITE, "--yes"], "note"),
    (["notes", "restore", BEYOND_SQLITE], "note"),
    (["undo", BEYOND_SQLITE], "operation"),
    (["export", "--id", BEYOND_SQLITE], "contact"),
])
def test_an_id_too_large_to_store_is_an_unknown_id(crm, args, what):
    """Such ids once gave Click's two-line usage error '... is too large a number'."""
    result = crm(*args)
    assert result.exit_code == 3
    number = args[-1] if args[-1].lstrip("-").isdigit() else BEYOND_SQLITE
    assert result.stderr == f"crm: error: no {what} with id {number}\n"


def test_a_five_thousand_digit_id_is_quoted_short(crm):
    result = crm("done", FIVE_THOUSAND_DIGITS)
    assert result.exit_code == 3
    assert result.stderr == f"crm: error: no follow-up with id {'9' * 40}…\n"


@pytest.mark.parametrize("args", [
    ["done", "x" * 5000],
    ["list", "--limit", FIVE_THOUSAND_DIGITS],
    ["list", "--limit", "x" * 5000],
])
def test_a_refused_long_number_is_quoted_short(crm, args):
    """Click quoted the whole value: a 5,000-character line."""
    result = crm(*args)
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("crm: error: Invalid value for ") and len(first) < 120


def test_an_id_in_range_still_reaches_the_command(crm):
    crm.ok("follow-up", "--no-contact", "tomorrow", "call")
    assert crm.ok("done", "1").stderr.startswith("done: 1 call")
    assert crm("done", "2").stderr == "crm: error: no follow-up with id 2\n"


@pytest.mark.parametrize("args, bad", [
    (["done", "1_0"], "1_0"),
    (["done", "1", "1_0"], "1_0"),
    (["done", ARABIC_TEN], ARABIC_TEN),
    (["done", WIDE_TEN], WIDE_TEN),
    (["snooze", "1_0", "tomorrow"], "1_0"),
    (["undo", "1_0"], "1_0"),
    (["export", "--id", "1_0"], "1_0"),
    (["list", "--limit", "1_0"], "1_0"),
])
def test_an_id_or_count_is_written_in_the_digits_0_to_9(crm, args, bad):
    """Click read ``crm done 1_0`` as ``crm done 10`` and closed follow-up 10."""
    crm.ok("follow-up", "--no-contact", "tomorrow", "call")
    for _ in range(9):
        crm.ok("follow-up", "--no-contact", "tomorrow", "another")
    result = crm(*args)
    assert result.exit_code == 2
    first, *_ = result.stderr.splitlines()
    assert first.endswith(f"{bad!r} is not a whole number in the digits 0-9")
    assert first.startswith("crm: error: Invalid value for ")
    assert [f["text"] for f in crm.ok("due", "--json").json()].count("another") == 9


@pytest.mark.parametrize("args", [
    ["deal", "show", ARABIC_ONE], ["show", ARABIC_ONE], ["company", "show", ARABIC_ONE]])
def test_an_id_in_other_digits_names_nothing(crm, args):
    crm.ok("add", "Ann Lee", "--company", "Acme")
    crm.ok("deal", "add", "1", "Pilot")
    assert crm(*args).exit_code == 3


@pytest.mark.parametrize("args", [
    ["deal", "add", "ana", "Audit", "--probability", FIVE_THOUSAND_DIGITS],
    ["deal", "add", "ana", "Audit", "--probability", "\u0665\u0660"],  # int() read it as 50
    ["deal", "edit", "1", "--probability", FIVE_THOUSAND_DIGITS],
    ["edit", "ana", "--cadence", FIVE_THOUSAND_DIGITS],
    ["edit", "ana", "--cadence", "\u0665\u0660"],  # read as every 50 days
    ["due", "--within", f"{FIVE_THOUSAND_DIGITS}d"],
    ["deal", "list", "--closing-within", FIVE_THOUSAND_DIGITS],
    ["deal", "add", "ana", "Audit", "--value", FIVE_THOUSAND_DIGITS],
    ["log", "ana", "--duration", f"{FIVE_THOUSAND_DIGITS}m", "call"],
    ["log", "ana", "--duration", "\u0665m", "call"],
    ["follow-up", "ana", "fri", "call", "--every", f"{FIVE_THOUSAND_DIGITS}d"],
    ["follow-up", "ana", "fri", "call", "--every", "\u0665d"],
])
def test_a_percentage_or_length_is_written_in_the_digits_0_to_9(crm, args):
    """int() refused more than 4,300 digits (an internal error) and read other scripts'."""
    crm.ok("add", "Ana Lima", "--company", "Acme")
    crm.ok("deal", "add", "ana", "Pilot", "--probability", "040%")
    crm.ok("case", "open", "ana", "Late delivery")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code == 1 and result.stderr.startswith("crm: error: "), result.stderr
    assert "internal error" not in result.stderr
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("text", [f"{FIVE_THOUSAND_DIGITS}h", "\u0664h"])
def test_a_length_of_a_case_setting_is_written_in_the_digits_0_to_9(text):
    with pytest.raises(InvalidInput):
        dates.parse_length(text)


def test_leading_zeros_are_read_past_what_int_reads():
    """int() counts leading zeros towards its 4,300 digits: they are dropped first."""
    assert deals.parse_probability(ZEROS_THEN_FIVE) == 5
    assert activity.parse_duration(f"{ZEROS_THEN_FIVE}h") == 300
    assert dates.parse_days(f"{ZEROS_THEN_FIVE}d") == 5
    assert recurrence.parse_rule(f"{ZEROS_THEN_FIVE}w").interval == 5
    assert money.parse_amount(ZEROS_THEN_FIVE, "EUR") == 500
