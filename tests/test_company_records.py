"""Companies as records of their own: details, tags, notes, custom fields, the trash, merge,
the editor, hooks and undo; the page that rolls up their people, deals and history."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap

import pytest
from test_hooks import RECORDER, calls, hooks, install  # noqa: F401 (hooks is a fixture)
from test_storage import RELEASES

NOW = {"CRM_NOW": "2026-11-20T10:00:00Z"}


def _acme(crm) -> None:
    crm.ok("company", "add", "ACME", "--website", "https://acme.example", "-e",
           "sales:info@acme.example", "-p", "office:+34 912 345 678", "--address",
           "Calle Mayor 1, Madrid", "--industry", "logistics", "--size", "11-50", "-t",
           "partner", "--note", "Met at the fair")


def test_add_with_every_field_and_show_it(crm):
    _acme(crm)
    record = crm.ok("company", "show", "acme", "--json").json()
    assert record["websites"] == [{"value": "https://acme.example", "label": ""}]
    assert record["emails"] == [{"value": "info@acme.example", "label": "sales"}]
    assert record["phones"] == [{"value": "+34 912 345 678", "label": "office"}]
    assert record["addresses"][0]["value"] == "Calle Mayor 1, Madrid"
    assert (record["industry"], record["size"], record["tags"]) == ("logistics", "11-50",
                                                                   ["partner"])
    assert [n["body"] for n in record["notes"]] == ["Met at the fair"]
    page = crm.ok("company", "show", "acme").stdout  # piped: plain text
    for text in ("ACME", "logistics", "https://acme.example", "info@acme.example", "11-50",
                 "partner", "Met at the fair"):
        assert text in page
    assert "\x1b[" not in page


def test_list_shows_tags_filters_and_formats(crm):
    _acme(crm)
    crm.ok("company", "add", "Initech", "-t", "prospect")
    crm.add("Ana", "-c", "ACME")
    assert crm.ok("company", "list").rows() == [
        {"id": "1", "name": "ACME", "people": "1", "industry": "logistics", "tags": "partner"},
        {"id": "2", "name": "Initech", "people": "0", "industry": "", "tags": "prospect"}]
    assert [c["name"] for c in crm.ok("company", "list", "--tag", "prospect", "--json").json()
            ] == ["Initech"]
    assert crm.ok("company", "list", "--csv").stdout.splitlines()[0] == \
        "id,name,people,industry,tags"


def test_edit_with_flags_tag_and_custom_fields(crm):
    _acme(crm)
    crm.ok("field", "add", "segment", "--type", "choice", "--choices", "smb,enterprise",
           "--on", "companies")
    crm.ok("company", "edit", "acme", "--size", "200", "--rm-website", "https://acme.example",
           "--website", "https://acme.com", "--set", "segment=enterprise", "--untag",
           "partner")
    crm.ok("company", "tag", "acme", "+customer", "+eu")
    record = crm.ok("company", "show", "acme", "--json").json()
    assert record["size"] == "200"
    assert [w["value"] for w in record["websites"]] == ["https://acme.com"]
    assert record["fields"] == {"segment": "enterprise"}
    assert record["tags"] == ["customer", "eu"]
    assert "Segment" in crm.ok("company", "show", "acme").stdout


@pytest.mark.parametrize(("args", "message"), [
    (["company", "add", "X", "-e", "not-an-email"], "invalid email 'not-an-email'"),
    (["company", "edit", "acme", "--rm-phone", "999"], "the company has no phone '999'"),
    (["company", "edit", "acme", "--set", "budget=1"], "unknown field 'budget'"),
    (["company", "show", "nothing"], "no company matches 'nothing'"),
    (["company", "add", "acme"], "company 'ACME' already exists (id 1)"),
    (["company", "merge", "acme", "1", "--yes"], "are the same company (id 1)"),
])
def test_bad_input_is_one_clear_line_and_changes_nothing(crm, args, message):
    _acme(crm)
    before = crm.ok("dump").stdout
    result = crm(*args)
    assert result.exit_code in (1, 3)
    assert result.stderr.startswith("crm: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert crm.ok("dump").stdout == before


EDITOR = """
    import sys
    path = sys.argv[1]
    text = open(path).read().replace("size: 11-50", "size: 51-200")
    open(path, "w").write(text + "\\nphone: support: +34 900 000 000\\n")
"""


def test_edit_without_flags_opens_the_editor(crm, tmp_path):
    _acme(crm)
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(EDITOR))
    crm.ok("company", "edit", "acme", env={"EDITOR": f"{sys.executable} {script}"})
    record = crm.ok("company", "show", "acme", "--json").json()
    assert record["size"] == "51-200"
    assert [p["label"] for p in record["phones"]] == ["office", "support"]
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nopen(sys.argv[1], 'a').write('colour: red\\n')\n")
    result = crm("company", "edit", "acme", env={"EDITOR": f"{sys.executable} {bad}"})
    assert result.exit_code == 1 and "expected 'key: value'" in result.stderr
    assert "your edit is kept in" in result.stderr


def test_rm_restore_and_merge(crm):
    _acme(crm)
    crm.ok("company", "add", "Acme Corp", "-e", "hello@acmecorp.example", "-t", "eu")
    bo = crm.add("Bo", "-c", "Acme Corp")
    crm.ok("deal", "add", str(bo), "Renewal", "--value", "1000")
    crm.ok("company", "note", "acme corp", "Second office")
    crm.ok("company", "merge", "1", "2", "--yes")
    record = crm.ok("company", "show", "1", "--json").json()
    assert [p["name"] for p in record["contacts"]] == ["Bo"]
    assert [d["title"] for d in record["open_deals"]] == ["Renewal"]
    assert [e["value"] for e in record["emails"]] == ["info@acme.example",
                                                       "hello@acmecorp.example"]
    assert record["tags"] == ["eu", "partner"]
    assert {n["body"] for n in record["notes"]} == {"Met at the fair", "Second office"}
    assert crm.ok("show", "bo", "--json").json()["company"] == "ACME"
    assert [c["name"] for c in crm.ok("company", "list", "--trash", "--json").json()] == [
        "Acme Corp"]
    crm.ok("company", "rm", "acme", "--yes")
    assert crm("company", "show", "1").exit_code == 3
    crm.ok("company", "restore", "acme")
    assert crm.ok("company", "show", "1", "--json").json()["name"] == "ACME"


# (setup commands, the command under test); test_undo.WRITES has the others on the demo book
WRITES = {
    "add": ([], ["company", "add", "Globex", "--website", "https://globex.example", "-t", "a",
                 "--note", "hello", "--industry", "energy"]),
    "the editor": ([], ["company", "edit", "acme"]),
    "merge": ([["company", "add", "Globex", "-t", "x"], ["add", "Bo", "-c", "Globex"]],
              ["company", "merge", "acme", "globex", "--yes"]),
}


@pytest.mark.parametrize("case", list(WRITES))
def test_undo_restores_the_dump_before_and_redo_the_dump_after(crm, tmp_path, case):
    _acme(crm)
    crm.add("Ana", "-c", "ACME")
    setup, command = WRITES[case]
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(EDITOR))
    for step in setup:
        crm.ok(*step)
    before = crm.ok("dump").stdout
    crm.ok(*command, env={"EDITOR": f"{sys.executable} {script}"})
    after = crm.ok("dump").stdout
    assert after != before, "the command wrote nothing"
    crm.ok("undo")
    assert crm.ok("dump").stdout == before
    crm.ok("undo")
    assert crm.ok("dump").stdout == after


def test_hooks_see_the_company_as_show_json_prints_it(crm, hooks):  # noqa: F811
    for name in ("post-add", "post-modify", "post-delete"):
        install(hooks, name, RECORDER)
    install(hooks, "pre-delete", "#!/bin/sh\necho 'partners stay' >&2\nexit 1\n")
    _acme(crm)
    crm.ok("company", "tag", "acme", "+vip")
    refused = crm("company", "rm", "acme", "--yes")
    assert refused.exit_code == 1 and "partners stay" in refused.stderr
    assert crm.ok("company", "show", "acme", "--json").json()["tags"] == ["partner", "vip"]
    seen = calls(hooks)
    assert [call["hook"] for call in seen] == ["post-add", "post-modify"]
    added = seen[0]["lines"][0]
    assert added["object"] == "company"
    assert added["after"]["name"] == "ACME" and added["after"]["tags"] == ["partner"]
    assert [n["body"] for n in added["after"]["notes"]] == ["Met at the fair"]
    modified = seen[1]["lines"][0]
    assert (modified["before"]["tags"], modified["after"]["tags"]) == (["partner"],
                                                                      ["partner", "vip"])
    assert modified["after"] == {**crm.ok("company", "show", "1", "--json").json(),
                                 "history": modified["after"]["history"]}
    assert all(call["operation"] for call in seen)


def test_the_page_rolls_up_people_deals_and_history(crm):
    crm.ok("company", "add", "ACME")
    ana = crm.add("Ana Lima", "-c", "ACME", "--title", "COO")
    bo = crm.add("Bo Chen", "-c", "ACME")
    crm.add("Zed", "-c", "Other")
    for args in (["deal", "add", str(ana), "Pilot", "--value", "1000", "--currency", "EUR"],
                 ["deal", "add", str(bo), "Support", "--value", "500.50", "--currency", "EUR"],
                 ["deal", "add", str(bo), "US arm", "--value", "70", "--currency", "USD"],
                 ["deal", "add", str(ana), "Old one", "--value", "30", "--currency", "EUR"],
                 ["deal", "won", "4"],
                 ["log", str(ana), "--type", "call", "--at", "2026-11-10 09:00", "Intro"],
                 ["log", str(bo), "--type", "meeting", "--at", "2026-11-15 09:00", "Demo"],
                 ["log", "zed", "--type", "call", "Elsewhere"],
                 ["company", "note", "acme", "HQ moves in March"]):
        crm.ok(*args, env=NOW)
    record = crm.ok("company", "show", "acme", "--json", env=NOW).json()
    assert [(p["name"], p["title"], (p["last_contacted_at"] or "")[:10])
            for p in record["contacts"]] == [("Ana Lima", "COO", "2026-11-10"),
                                             ("Bo Chen", None, "2026-11-15")]
    assert record["open_total"] == [{"amount": "1500.50", "currency": "EUR"},
                                    {"amount": "70.00", "currency": "USD"}]
    assert record["won_total"] == [{"amount": "30.00", "currency": "EUR"}]
    assert [d["title"] for d in record["won_deals"]] == ["Old one"]
    assert [(e["contact"], e["text"]) for e in record["history"]] == [
        ("Bo Chen", "Demo"), ("Ana Lima", "Intro")]
    assert record["last_contacted_at"].startswith("2026-11-15")
    assert [n["body"] for n in record["notes"]] == ["HQ moves in March"]
    page = crm.ok("company", "show", "acme", "-f", "table", env=NOW).stdout
    for text in ("1,500.50 EUR", "70.00 USD", "Demo", "Intro", "HQ moves in March", "COO",
                 "2026-11-15 (5 days ago)"):
        assert text in page


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 18],
                         ids=lambda p: p.stem)  # books from before migration 18
def test_companies_of_every_release_become_records(crm, db_path, release):
    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
        names = [name for (name,) in conn.execute("SELECT name FROM companies ORDER BY id")]
    listed = crm.ok("company", "list", "--json").json()
    assert sorted(c["name"] for c in listed) == sorted(names)
    assert all(c["uid"] and c["tags"] == [] for c in listed)
    assert len({c["uid"] for c in listed}) == len(listed)
    first = listed[0]["name"]
    crm.ok("company", "edit", first, "--industry", "retail", "-t", "old")
    crm.ok("company", "note", first, "Upgraded")
    assert json.loads(crm.ok("company", "show", first, "--json").stdout)["industry"] == "retail"


def test_a_large_company_shows_the_people_last_in_touch(crm, tmp_path):
    people = tmp_path / "people.jsonl"
    people.write_text("".join(json.dumps({"name": f"Person {n:02d}", "company": "Big Co"}) + "\n"
                              for n in range(32)))
    crm.ok("import", str(people))
    crm.ok("log", "person 07", "--type", "call", "Hello", env=NOW)
    page = crm.ok("company", "show", "big co", "-f", "table", env=NOW).stdout
    assert "Person 07" in page and "... and 2 more: crm list --company 1" in page
    assert page.index("Person 07") < page.index("Person 00")
    assert len(crm.ok("company", "show", "big co", "--json").json()["contacts"]) == 32


def test_custom_fields_are_lines_of_the_editor_form(crm, tmp_path):
    _acme(crm)
    crm.ok("field", "add", "segment", "--type", "choice", "--choices", "smb,enterprise",
           "--on", "companies")
    script = tmp_path / "editor.py"
    editor = f"{sys.executable} {script}"
    script.write_text("import sys\np = sys.argv[1]\nt = open(p).read()\n"
                      "open(p, 'w').write(t.replace('segment: ', 'segment: smb'))\n")
    crm.ok("company", "edit", "acme", env={"EDITOR": editor})
    assert crm.ok("company", "show", "acme", "--json").json()["fields"] == {"segment": "smb"}
    script.write_text(script.read_text().replace("segment: smb", "segment: huge"))
    result = crm("company", "edit", "acme", env={"EDITOR": editor})
    assert result.exit_code == 1 and "is not one of smb, enterprise" in result.stderr


@pytest.mark.parametrize("fmt", ["plain", "table"])
def test_company_text_on_the_page_is_data_never_markup_or_control(crm, fmt):
    crm.ok("company", "add", "[red]Acme[/red]\x1b[1m", "--industry", "\u202ebad [b]x[/b]",
           "--size", "\x1b]0;pwn\x07 50")
    page = crm.ok("company", "show", "1", *(["-f", "table"] if fmt == "table" else [])).stdout
    assert "[red]Acme[/red][1m" in page and "<U+202E>bad [b]x[/b]" in page
    assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page


def test_campaign_mail_is_no_contact_for_the_company_either(crm, db_path):
    crm.ok("company", "add", "ACME")
    crm.add("Ana Lima", "-c", "ACME")
    crm.ok("log", "ana", "--type", "call", "--at", "2026-11-10 09:00", "Intro")
    crm.ok("log", "ana", "--type", "email", "--at", "2026-11-20 09:00", "Spring prices")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE interactions SET campaign = 'spring' WHERE body = 'Spring prices'")
    company = crm.ok("company", "show", "acme", "--json").json()
    person = crm.ok("show", "ana", "--json").json()
    assert company["last_contacted_at"][:10] == person["last_contacted_at"][:10] == "2026-11-10"


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_the_last_contact_of_a_company_s_people_is_read_from_an_index(crm, db_path, release):
    from crmcli import activity

    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
    crm.add("Zoe Park", "--company", "Acme Index")
    crm.ok("log", "zoe", "--type", "call", "--at", "2026-11-10 09:00", "Intro")
    crm.ok("log", "zoe", "--type", "call", "--at", "2026-11-12 09:00", "Demo")
    demo = next(e for e in crm.ok("activity", "--json").json() if e["text"] == "Demo")
    crm.ok("unlog", "--yes", str(demo["id"]))  # a deleted interaction is no contact
    company = crm.ok("company", "show", "acme index", "--json").json()
    with sqlite3.connect(db_path) as conn:
        sql = (f"SELECT max({activity.last_contact_sql(conn)}) FROM contacts c"
               " WHERE c.company_id = ?")
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}",
                                                        [company["id"]]))
        unindexed = conn.execute(sql.replace("INDEXED BY interactions_personal", "NOT INDEXED"),
                                 [company["id"]]).fetchone()[0]
    assert "INDEX interactions_personal" in plan, plan
    assert company["last_contacted_at"] == unindexed and unindexed.startswith("2026-11-10")
