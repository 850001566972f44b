"""Contacts through the CLI: add, list/search, show, edit, tags, trash, duplicates, merge."""

from __future__ import annotations

import sys
import textwrap

import pytest


@pytest.fixture
def book(crm):
    """A small book with accents, shared companies and labelled details."""
    ids = {
        "jose": crm.add("José Núñez", "-e", "work:jose@iberialog.es", "-p",
                        "mobile:+34 612 34 56 78", "-c", "Iberia Logistics", "-t", "vip",
                        "--birthday", "14/03/1979", "--note", "Prefers calls after four"),
        "ana": crm.add("Ana Lima", "-e", "ana@atlantico.pt", "-c", "Atlântico Foods",
                       "-t", "lead", "--title", "COO"),
        "bo": crm.add("Bo Chen", "-e", "bo@northwind.example", "-p", "+1 415 555 0100",
                      "-c", "Northwind", "-t", "customer", "-t", "vip"),
    }
    return ids


def test_add_prints_only_the_id_when_piped(crm):
    first = crm.ok("add", "Ana Lima")
    second = crm.ok("add", "Bo Chen")
    assert first.stdout == "1\n"
    assert second.stdout == "2\n"


def test_add_stores_every_field(crm):
    contact_id = crm.add(
        "Ana Lima", "-e", "work:ana@acme.com", "-e", "ana@home.pt", "-p", "mobile:+351 912 345 678",
        "-c", "ACME", "--title", "COO", "-t", "Lead", "--birthday", "--07-02",
        "--address", "home:Rua Augusta 1, Lisboa", "--url", "https://ana.example",
        "--note", "Met at the fair")
    record = crm.ok("show", str(contact_id), "--json").json()
    assert record["name"] == "Ana Lima"
    assert record["emails"] == [{"value": "ana@acme.com", "label": "work"},
                                {"value": "ana@home.pt", "label": ""}]
    assert record["phones"] == [{"value": "+351 912 345 678", "label": "mobile"}]
    assert record["addresses"] == [{"value": "Rua Augusta 1, Lisboa", "label": "home"}]
    assert record["urls"] == [{"value": "https://ana.example", "label": ""}]
    assert record["company"] == "ACME"
    assert record["title"] == "COO"
    assert record["tags"] == ["lead"]
    assert record["birthday"] == "--07-02"
    assert [n["body"] for n in record["notes"]] == ["Met at the fair"]


@pytest.mark.parametrize(("query", "expected"), [
    ("jose nunez", ["José Núñez"]),
    ("NÚÑEZ", ["José Núñez"]),
    ("nu", ["José Núñez"]),
    ("612345678", ["José Núñez"]),
    ("4155550100", ["Bo Chen"]),
    ("iberia", ["José Núñez"]),
    ("atlantico", ["Ana Lima"]),
    ("northwind.example", ["Bo Chen"]),
    ("vip", ["Bo Chen", "José Núñez"]),
    ("four", ["José Núñez"]),
    ("coo", ["Ana Lima"]),
    ("nobody", []),
])
def test_search_is_accent_and_case_insensitive_over_every_field(crm, book, query, expected):
    assert [row["name"] for row in crm.ok("list", query).rows()] == expected


def test_list_filters_sorts_and_limits(crm, book):
    assert [r["name"] for r in crm.ok("list", "--tag", "VIP").rows()] == ["Bo Chen", "José Núñez"]
    assert [r["name"] for r in crm.ok("list", "--company", "atlantico").rows()] == ["Ana Lima"]
    assert [r["id"] for r in crm.ok("list", "--sort", "created").rows()] == ["1", "2", "3"]
    assert len(crm.ok("list", "--limit", "2").rows()) == 2


def test_list_formats(crm, book):
    rows = crm.ok("list").rows()
    assert list(rows[0]) == ["id", "name", "company", "title", "emails", "phones", "tags"]
    records = crm.ok("list", "--json").json()
    assert {"id", "uid", "name", "emails", "phones", "tags", "birthday"} <= set(records[0])
    lines = crm.ok("list", "-f", "jsonl").stdout.splitlines()
    assert len(lines) == 3
    csv_text = crm.ok("list", "--csv").stdout
    assert csv_text.startswith("id,name,company,title,emails,phones,tags\n")  # runner folds CRLF
    assert "'+34 612 34 56 78" in csv_text  # a leading + would be a formula in a spreadsheet


def test_show_by_email_phone_and_partial_name(crm, book):
    for ref in ("jose@iberialog.es", "JOSE@IBERIALOG.ES", "+34612345678", "jose", "jo nu"):
        assert crm.ok("show", ref, "--json").json()["id"] == book["jose"]


def test_ambiguous_and_missing_references(crm, book):
    ambiguous = crm("show", "vip")
    assert ambiguous.exit_code == 4
    assert "matches 2 contacts" in ambiguous.stderr
    assert f"{book['bo']}: Bo Chen" in ambiguous.stderr
    assert f"{book['jose']}: José Núñez" in ambiguous.stderr
    missing = crm("show", "nobody")
    assert missing.exit_code == 3
    assert missing.stderr == "crm: error: no contact matches 'nobody'\n"
    assert crm("show", "99").exit_code == 3


@pytest.mark.parametrize("ref", [".", "+", "%", "*", "()", '"', "\u202e"])
def test_a_reference_without_a_word_names_nobody_even_in_a_book_of_one(crm, ref):
    only = crm.add("Ana Lima")
    for command in (["rm", ref, "--yes"], ["note", ref, "hello"], ["show", ref]):
        result = crm(*command)
        assert (result.exit_code, result.stderr.startswith("crm: error: no contact matches")) \
            == (3, True), (command, result.stderr)
    assert [c["id"] for c in crm.ok("list", "--json").json()] == [only]
    assert crm.ok("notes", "--json").json() == []


def test_edit_with_flags(crm, book):
    crm.ok("edit", "ana", "--title", "CEO", "--email", "home:ana@lima.pt", "--rm-email",
           "ana@atlantico.pt", "--tag", "customer", "--untag", "lead", "--company", "")
    record = crm.ok("show", "ana", "--json").json()
    assert record["title"] == "CEO"
    assert record["emails"] == [{"value": "ana@lima.pt", "label": "home"}]
    assert record["tags"] == ["customer"]
    assert record["company"] is None


def test_edit_rejects_removing_what_is_not_there(crm, book):
    result = crm("edit", "ana", "--rm-phone", "123456789")
    assert result.exit_code == 1
    assert "no phone '123456789'" in result.stderr


def _editor(tmp_path, script: str) -> dict:
    """An $EDITOR that is a real program rewriting the file it is given."""
    path = tmp_path / "editor.py"
    path.write_text(textwrap.dedent(script))
    return {"EDITOR": f"{sys.executable} {path}"}


def test_edit_in_editor_round_trip(crm, book, tmp_path):
    env = _editor(tmp_path, """
        import sys
        path = sys.argv[1]
        text = open(path).read()
        text = text.replace("title: COO", "title: Chief Operating Officer")
        text += "phone: work: +351 21 000 0000\\n"
        open(path, "w").write(text)
    """)
    crm.ok("edit", "ana", env=env)
    record = crm.ok("show", "ana", "--json").json()
    assert record["title"] == "Chief Operating Officer"
    assert record["phones"] == [{"value": "+351 21 000 0000", "label": "work"}]
    assert record["emails"] == [{"value": "ana@atlantico.pt", "label": ""}]


@pytest.mark.parametrize(("editor", "message"), [
    ("'unbalanced", "crm: error: $EDITOR cannot be read as a command ('unbalanced): "
                    "No closing quotation\n"),
    ("   ", "crm: error: $EDITOR holds no command\n"),
])
def test_an_editor_setting_that_is_no_command_is_one_line(crm, book, editor, message):
    before = crm.ok("dump").stdout
    result = crm("edit", "ana", env={"EDITOR": editor, "VISUAL": None})
    assert (result.exit_code, result.stderr) == (1, message)
    assert crm("note", "ana", env={"EDITOR": None, "VISUAL": editor}).stderr == (
        message.replace("$EDITOR", "$VISUAL"))
    assert crm.ok("dump").stdout == before


@pytest.mark.parametrize(("replacement", "message"), [
    ("birthday: 31/02/1980", "birthday: '31/02/1980' is not a valid date"),
    ("email: not-an-email", "invalid email 'not-an-email'"),
    ("colour: blue", "line 17: expected 'key: value'"),
    ("name:", "the form has no name"),
])
def test_invalid_editor_form_changes_nothing(crm, book, tmp_path, replacement, message):
    before = crm.ok("show", "ana", "--json").json()
    env = _editor(tmp_path, f"""
        import sys, re
        path = sys.argv[1]
        text = open(path).read()
        key = {replacement.split(':')[0]!r}
        if key + ":" in text:
            text = re.sub("(?m)^" + key + ":.*$", {replacement!r}, text)
        else:
            text += {replacement!r} + "\\n"
        open(path, "w").write(text)
    """)
    result = crm("edit", "ana", env=env)
    assert result.exit_code == 1
    assert message in result.stderr
    assert crm.ok("show", "ana", "--json").json() == before


def test_empty_editor_form_cancels(crm, book, tmp_path):
    env = _editor(tmp_path, "import sys; open(sys.argv[1], 'w').close()")
    result = crm.ok("edit", "ana", env=env)
    assert "cancelled" in result.stderr


def test_rm_needs_yes_without_a_terminal_then_restore(crm, book):
    refused = crm("rm", "ana")
    assert refused.exit_code == 1
    assert "--yes" in refused.stderr
    assert len(crm.ok("list").rows()) == 3
    crm.ok("rm", "ana", "--yes")
    assert [r["name"] for r in crm.ok("list").rows()] == ["Bo Chen", "José Núñez"]
    assert [r["name"] for r in crm.ok("trash").rows()] == ["Ana Lima"]
    assert crm("show", "ana").exit_code == 3
    crm.ok("restore", "ana")
    assert len(crm.ok("list").rows()) == 3
    assert crm.ok("trash").rows() == []


def test_empty_trash_deletes_for_good(crm, book):
    crm.ok("rm", "bo", "--yes")
    crm.ok("trash", "--empty", "--yes")
    assert crm("restore", "bo").exit_code == 3
    assert crm.ok("list", "northwind").rows() == []


def test_tag_adds_and_removes(crm, book):
    crm.ok("tag", "jose", "+partner", "-vip", "Golf")
    assert crm.ok("show", "jose", "--json").json()["tags"] == ["golf", "partner"]


def test_dupes_and_merge_keep_everything(crm, book):
    copy = crm.add("Jose Nunez", "-e", "JOSE@IBERIALOG.ES", "-e", "jose@gmail.com",
                   "-p", "612 345 678", "-t", "golf", "-c", "Other Co", "--note", "Plays golf")
    pairs = crm.ok("dupes").rows()
    assert pairs == [{"id": str(book["jose"]), "name": "José Núñez", "other_id": str(copy),
                      "other_name": "Jose Nunez", "reasons": "same email, same name, same phone"}]
    result = crm.ok("merge", str(book["jose"]), str(copy), "--yes")
    assert "kept company Iberia Logistics" in result.stderr
    merged = crm.ok("show", str(book["jose"]), "--json").json()
    assert [e["value"] for e in merged["emails"]] == ["jose@iberialog.es", "jose@gmail.com"]
    assert [p["value"] for p in merged["phones"]] == ["+34 612 34 56 78"]
    assert merged["tags"] == ["golf", "vip"]
    assert sorted(n["body"] for n in merged["notes"]) == ["Plays golf", "Prefers calls after four"]
    assert [r["id"] for r in crm.ok("trash").rows()] == [str(copy)]
    assert crm.ok("dupes").rows() == []


def test_merge_with_itself_is_refused(crm, book):
    result = crm("merge", "ana", "ana@atlantico.pt", "--yes")
    assert result.exit_code == 1
    assert "same contact" in result.stderr


def test_mutt_query_format(crm, book):
    result = crm.ok("mutt-query", "northwind")
    assert result.stdout.splitlines() == [
        "crm: 1 address(es) for 'northwind'",
        "bo@northwind.example\tBo Chen\tNorthwind",
    ]
    assert crm("mutt-query", "nobody").exit_code == 1
    long_query = "x" * 100_000  # echoed whole in the status line
    assert crm("mutt-query", long_query).stdout == (
        f"crm: 0 address(es) for {'x' * 40!r}... (100,000 characters)\n")


def test_phone_labels_may_be_several_words_and_an_address_is_kept_as_text(crm):
    contact_id = crm.add("Ana", "-p", "Work Mobile:+44 7700 900125", "-p", "1-800-MY-APPLE x12")
    phones = crm.ok("show", str(contact_id), "--json").json()["phones"]
    assert phones == [{"value": "+44 7700 900125", "label": "work mobile"},
                      {"value": "1-800-MY-APPLE x12", "label": ""}]
    result = crm.ok("add", "Bo", "-p", "Calle Mayor 123")
    assert "phone 'Calle Mayor 123' is kept as text: not a phone number" in result.stderr
