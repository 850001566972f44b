"""Companies are rows of their own, shared by the people who work there."""

from __future__ import annotations


def test_contacts_share_one_company_row_whatever_the_spelling(crm):
    crm.add("Ana", "-c", "ACME Corp")
    crm.add("Bo", "-c", "acme corp")
    crm.add("Chloé", "-c", "Initech")
    rows = crm.ok("company", "list").rows()
    assert rows == [{"id": "1", "name": "ACME Corp", "people": "2", "industry": "", "tags": ""},
                    {"id": "2", "name": "Initech", "people": "1", "industry": "", "tags": ""}]


def test_company_show_lists_its_people(crm):
    crm.add("Ana", "-c", "ACME", "-e", "ana@acme.com")
    crm.add("Bo", "-c", "ACME")
    record = crm.ok("company", "show", "acme", "--json").json()
    assert record["name"] == "ACME"
    assert [p["name"] for p in record["contacts"]] == ["Ana", "Bo"]
    assert record["contacts"][0]["emails"][0]["value"] == "ana@acme.com"
    table = crm.ok("company", "show", "acme", "-f", "table").stdout
    assert "ana@acme.com" in table and "2 people" in table


def test_add_and_rename(crm):
    assert crm.ok("company", "add", "Initech").stdout == "1\n"
    duplicate = crm("company", "add", "INITECH")
    assert duplicate.exit_code == 1
    assert "already exists (id 1)" in duplicate.stderr
    crm.add("Peter", "-c", "Initech")
    crm.ok("company", "rename", "initech", "Initrode")
    assert crm.ok("show", "peter", "--json").json()["company"] == "Initrode"
    assert [r["name"] for r in crm.ok("list", "initrode").rows()] == ["Peter"]
    assert crm.ok("list", "initech").rows() == []


def test_rename_onto_another_company_is_refused(crm):
    crm.ok("company", "add", "ACME")
    crm.ok("company", "add", "Initech")
    result = crm("company", "rename", "ACME", "initech")
    assert result.exit_code == 1
    assert "'Initech' already exists (id 2)" in result.stderr


def test_ambiguous_company_reference(crm):
    crm.ok("company", "add", "North Bank")
    crm.ok("company", "add", "North Star")
    result = crm("company", "show", "north")
    assert result.exit_code == 4
    assert "1: North Bank" in result.stderr and "2: North Star" in result.stderr


def test_wildcards_in_a_company_reference_are_plain_characters(crm):
    crm.ok("company", "add", "Acme Labs")
    crm.ok("company", "add", "100% Juice")
    for ref in ("_", "a_m", "e%l"):
        result = crm("company", "rm", ref, "--yes")
        assert (result.exit_code, result.stderr) == (
            3, f"crm: error: no company matches '{ref}'\n")
    assert crm.ok("company", "show", "0%", "--json").json()["name"] == "100% Juice"
    assert [c["name"] for c in crm.ok("company", "list", "--json").json()] == [
        "100% Juice", "Acme Labs"]
    assert crm.ok("company", "list", "_", "--json").json() == []
