"""An error quotes what the user typed at most ~40 characters long: a 5,000-character value
once came back whole, a 5,000-character line on stderr."""

from __future__ import annotations

import pytest

LONG = "x" * 5000


@pytest.mark.parametrize("args", [
    ["show", LONG], ["merge", LONG, "ana"], ["company", "show", LONG], ["deal", "show", LONG],
    ["deal", "move", "1", LONG], ["deal", "add", "ana", "t", "--value", LONG],
    ["deal", "add", "ana", "t", "--value", f"-{LONG}"],
    ["deal", "add", "ana", "t", "--probability", LONG],
    ["deal", "add", "ana", "t", "--close", LONG], ["deal", "list", "--closing-within", LONG],
    ["follow-up", "ana", LONG], ["follow-up", "ana", "fri", "x", "--every", LONG],
    ["log", "ana", "--at", LONG], ["log", "ana", "--duration", LONG], ["log", "ana", "-t", LONG],
    ["activity", "-t", LONG], ["due", "--within", LONG], ["birthdays", "--within", LONG],
    ["edit", "ana", "--birthday", LONG], ["edit", "ana", "--remove-email", LONG],
    ["edit", "ana", "--no-interest", LONG], ["date", "rm", "ana", LONG],
    ["config", "set", LONG, "1"], ["config", "set", "vcard_version", LONG],
    ["import-calendar", "-", "--since", LONG],
    ["list", "-f", LONG], ["case", "list", "--status", LONG], ["sync", "status", LONG],
    ["list", f"--{LONG}"], [LONG], ["edit", "ana", "--unset", LONG],
    ["import", f"/tmp/{LONG}"], ["export", "-o", f"/tmp/{LONG}"], ["load", f"/tmp/{LONG}"],
    ["import-calendar", f"/tmp/{LONG}"],
])
def test_a_long_value_is_quoted_short(crm, args):
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot")
    result = crm(*args, input="")
    assert result.exit_code in (1, 2, 3)
    first = result.stderr.splitlines()[0]
    assert first.startswith("crm: error: ") and len(first) < 400, first[:400]  # with a path
    assert len(result.stderr) < 500


def test_a_long_company_name_taken_is_quoted_short(crm):
    crm.ok("company", "add", LONG)
    result = crm("company", "add", LONG)
    assert result.exit_code == 1 and len(result.stderr) < 200, result.stderr[:200]



def test_the_candidates_of_an_ambiguous_reference_are_named_short(crm):
    """Each candidate's whole name was listed: two 5,000-character names, a 10,000-character
    line."""
    name = "Ana " * 1000  # words: no cut for a long unbroken value applies
    crm.ok("add", name)
    crm.ok("add", name)
    result = crm("show", name)
    assert result.exit_code == 4 and len(result.stderr) < 400, result.stderr[:400]
    assert "1: Ana Ana" in result.stderr and "2: Ana Ana" in result.stderr
