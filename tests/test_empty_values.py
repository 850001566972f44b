"""A value given empty is an error saying so, not the default nor the current directory."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args", [
    ["export", "--vdir", ""], ["export", "-o", ""], ["dump", "-o", ""], ["backup", ""],
    ["import", ""], ["import-mail", ""], ["log-mail", "--file", ""],
    ["campaign", "new", "c", "--to", "tag:x", "--template", ""],
])
def test_an_empty_path_is_refused(crm, tmp_path, monkeypatch, args):
    """'' read as the current directory: export --vdir '' wrote the cards into it, import ''
    read every card in it."""
    crm.add("Ana Lima")
    (tmp_path / "here").mkdir()
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nEND:VCARD\r\n"
    (tmp_path / "here" / "bo.vcf").write_text(card)
    monkeypatch.chdir(tmp_path / "here")
    result = crm(*args)
    assert result.exit_code in (1, 2) and "is empty" in result.stderr.splitlines()[0]
    assert sorted(p.name for p in (tmp_path / "here").iterdir()) == ["bo.vcf"]
    assert [c["name"] for c in crm.ok("list", "--json").json()] == ["Ana Lima"]


@pytest.mark.parametrize(("args", "message"), [
    (["activity", "--since", ""], "the date is empty"),
    (["activity", "--until", " "], "the date is empty"),
    (["list", "--not-contacted-since", ""], "the date is empty"),
    (["deal", "list", "--closing-within", ""], "the date is empty"),
    (["pipeline", "--closing-within", ""], "the date is empty"),
    (["deal", "move", "1", "proposal", "--at", ""], "the date is empty"),
    (["deal", "won", "1", "--at", ""], "the date is empty"),
    (["report", "deals", "--since", ""], "the date is empty"),
    (["report", "cases", "--since", ""], "the date is empty"),
    (["report", "activity", "--since", ""], "the date is empty"),
    (["due", "--within", ""], "the length of time is empty (try 7d"),
])
def test_an_empty_date_or_length_is_refused(crm, args, message):
    """Each was taken as left out: no bound, the default period, now."""
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert (result.exit_code, result.stderr.startswith(f"crm: error: {message}")) == (1, True), (
        result.stderr)
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("command", [["add", "Cy Dee"], ["edit", "ana"]])
def test_an_empty_referrer_is_refused(crm, command):
    """add took it as no referrer; edit, given no other flag, opened $EDITOR."""
    crm.add("Ana Lima")
    before = crm.ok("dump").stdout
    result = crm(*command, "--referred-by", "", env={"EDITOR": "false", "VISUAL": "false"})
    assert (result.exit_code, result.stderr) == (
        2, "crm: error: Invalid value for '--referred-by': the referrer is empty: give who "
           f"referred them (a contact or a name), or leave it out\ntry 'crm {command[0]} --help'\n")
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("args", [["deal", "add", "ana", "Audit", "--currency", ""],
                                  ["deal", "edit", "1", "--currency", " "]])
def test_an_empty_currency_is_refused(crm, args):
    """add took the configured currency, edit kept the deal's, without a word."""
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot")
    result = crm(*args)
    assert (result.exit_code, result.stderr) == (
        1, "crm: error: the currency is empty: give one such as EUR, USD or JPY\n")


@pytest.mark.parametrize("args", [
    ["list", "--tag", ""], ["activity", "--tag", " "], ["export", "--tag", ""],
    ["deal", "list", "--tag", ""], ["pipeline", "--tag", ""], ["company", "list", "--tag", ""],
    ["add", "Cy Dee", "--tag", ""], ["edit", "ana", "--untag", ""],
    ["company", "add", "Acme", "--tag", ""], ["import", "-", "--tag", ""],
])
def test_an_empty_tag_option_is_refused(crm, args):
    """A filter on tag '' selected no one; adding or removing tag '' did nothing, silently."""
    crm.add("Ana Lima", "--tag", "vip")
    before = crm.ok("dump").stdout
    result = crm(*args, input="")
    assert result.exit_code == 2 and "the tag is empty" in result.stderr.splitlines()[0]
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("args", [
    ["add", "Cy Dee", "--tag", "+"], ["add", "Cy Dee", "-t", " ++ "], ["list", "--tag", "+"],
    ["edit", "ana", "--untag", "+"], ["company", "add", "Acme", "--tag", "+"],
    ["import", "-", "--tag", "+"],
])
def test_a_tag_option_that_is_only_plus_signs_is_refused(crm, args):
    """A tag drops its leading + signs: `--tag '+'` added no tag, silently."""
    crm.add("Ana Lima", "--tag", "vip")
    before = crm.ok("dump").stdout
    result = crm(*args, input="")
    assert result.exit_code == 2
    assert "is empty once its leading + are dropped" in result.stderr.splitlines()[0]
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("args", [["tag", "ana", ""], ["tag", "ana", "+"],
                                  ["tag", "ana", "++"], ["tag", "ana", "--", "-+"],
                                  ["tag", "ana", "--", "-", "+lead"],
                                  ["company", "tag", "acme", "+partner", ""]])
def test_an_empty_tag_to_add_or_remove_is_refused(crm, args):
    crm.add("Ana Lima", "--tag", "vip", "--company", "Acme")
    before = crm.ok("dump").stdout
    result = crm(*args)
    first = result.stderr.splitlines()[0]
    assert result.exit_code == 2 and first.startswith("crm: error: Invalid value for 'changes': ")
    assert " is empty" in first and first.endswith(": write +TAG to add one, -TAG to remove one")
    assert crm.ok("dump").stdout == before


def test_an_empty_db_option_is_refused_not_the_default_book(crm, tmp_path):
    """--db '' opened the default book ($XDG_DATA_HOME/crmcli/crm.db) instead."""
    for args in (["--db", "", "add", "Ana Lima"], ["--db=", "mutt-query", "ana"]):
        result = crm(*args)
        assert result.exit_code == 2
        assert "'--db'" in result.stderr and "the path is empty" in result.stderr
    assert not (tmp_path / "data" / "crmcli").exists()


@pytest.mark.parametrize(("args", "what"), [
    (["add", "Cy Dee", "--phone", ""], "phone"), (["edit", "ana", "-p", " "], "phone"),
    (["edit", "ana", "--address", ""], "address"), (["add", "Cy Dee", "--url", ""], "URL"),
    (["company", "add", "Initech", "--website", ""], "website"),
    (["company", "edit", "acme", "--phone", ""], "phone"),
])
def test_an_empty_detail_is_refused(crm, args, what):
    """It was dropped after a warning that it was 'kept as text', and edit said 'updated'."""
    crm.add("Ana Lima", "--company", "Acme")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code == 2 and f"the {what} is empty" in result.stderr.splitlines()[0]
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize(("args", "what"), [
    (["add", "Cy Dee", "--company", ""], "company"), (["add", "Cy Dee", "-c", " "], "company"),
    (["add", "Cy Dee", "--title", ""], "title"), (["add", "Cy Dee", "--birthday", ""], "date"),
    (["add", "Cy Dee", "--anniversary", ""], "date"), (["add", "Cy Dee", "--met-on", ""], "date"),
    (["add", "Cy Dee", "--how-we-met", ""], "value"), (["add", "Cy Dee", "--note", ""], "note"),
    (["company", "add", "Initech", "--industry", ""], "industry"),
    (["company", "add", "Initech", "--size", ""], "size"),
    (["company", "add", "Initech", "--note", ""], "note"),
    (["deal", "add", "ana", "Audit", "--company", ""], "company"),
    (["deal", "add", "ana", "Audit", "--stage", ""], "stage"),
    (["deal", "add", "ana", "Audit", "--value", ""], "value"),
    (["deal", "add", "ana", "Audit", "--probability", ""], "probability"),
    (["deal", "add", "ana", "Audit", "--close", ""], "date"),
])
def test_an_empty_value_on_add_is_refused(crm, args, what):
    """Each was taken as left out: a contact, company or deal added without it."""
    crm.add("Ana Lima", "--company", "Acme")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].endswith(f"the {what} is empty")
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize("query", ["", " ", "  "])
def test_an_empty_segment_query_is_refused(crm, query):
    """`segment save all ''` saved a segment that matches everyone."""
    crm.add("Ana Lima")
    result = crm("segment", "save", "all", query)
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        2, "crm: error: the query is empty: a segment of everyone is 'crm list' (give a query "
           "such as 'tag:vip')")
    assert crm.ok("segment", "list", "--json").json() == []


@pytest.mark.parametrize("args", [
    ["edit", "ana", "--company", ""], ["edit", "ana", "--title", ""],
    ["edit", "ana", "--birthday", ""], ["edit", "ana", "--met-on", ""],
    ["edit", "ana", "--how-we-met", ""],
    ["company", "edit", "acme", "--industry", ""], ["company", "edit", "acme", "--size", ""],
])
def test_an_empty_value_on_edit_still_clears(crm, args):
    crm.add("Ana Lima", "--company", "Acme", "--title", "CTO", "--birthday", "1980-05-17",
            "--met-on", "2020-01-02", "--how-we-met", "at a fair")
    crm.ok("company", "edit", "acme", "--industry", "logistics", "--size", "50")
    show = ["company", "show", "acme"] if args[0] == "company" else ["show", "ana"]
    key = args[-2].lstrip("-").replace("-", "_")
    assert crm.ok(*show, "--json").json()[key]
    crm.ok(*args)
    assert not crm.ok(*show, "--json").json()[key]


@pytest.mark.parametrize(("args", "message"), [
    (["add", "Cy Dee", "-p", "work:"], "the phone is empty after its label 'work:'"),
    (["edit", "ana", "-p", "mobile: "], "the phone is empty after its label 'mobile:'"),
    (["add", "Cy Dee", "--address", "home:"], "the address is empty after its label 'home:'"),
    (["company", "add", "Acme", "-p", "office:"], "the phone is empty after its label"),
])
def test_a_label_with_no_value_is_refused(crm, args, message):
    """'work:' was kept as a phone of that text, with a warning."""
    crm.add("Ana Lima")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize(("args", "message"), [
    (["add", "\u202e\x07"], "crm: error: a contact needs a name\n"),
    (["edit", "ana", "--name", "\x1b\u2066"], "crm: error: a contact needs a name\n"),
    (["company", "add", "\u200b\x1b"], "crm: error: a company needs a name\n"),
    (["add", "Bo", "--company", "\x1b\u202e"], "the company is empty"),
    (["add", "Bo", "--title", "\x07"], "the title is empty"),
    (["add", "Bo", "--tag", "\u202e"], "the tag is empty"),
])
def test_a_text_of_control_or_invisible_characters_is_empty(crm, args, message):
    """Nothing a reader would see: it was taken as a name, a title or a tag."""
    crm.add("Ana Lima")
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code in (1, 2) and message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) <= 2 and crm.ok("dump").stdout == before
