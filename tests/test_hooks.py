"""Hooks: real executables in $XDG_CONFIG_HOME/crmcli/hooks/ that see every change."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
import test_command_tree
from test_undo import CALENDAR, CARDS, EDITOR, WRITES, book, demo_book  # noqa: F401

from crmcli import changed_objects, contacts, userdata
from crmcli.cli import common, hooking
from crmcli.db import transaction
from crmcli.errors import StorageError
from crmcli.models import Contact

CONTRIB = Path(__file__).resolve().parents[1] / "contrib" / "hooks"
# A hook that appends its name, the operation id and its stdin to calls.jsonl beside it.
RECORDER = f"""#!{sys.executable}
import json, os, sys
from pathlib import Path
here = Path(sys.argv[0]).parent
lines = [json.loads(line) for line in sys.stdin if line.strip()]
with open(here / "calls.jsonl", "a") as out:
    out.write(json.dumps({{"hook": os.environ["CRM_HOOK"], "lines": lines,
                          "operation": os.environ.get("CRM_OPERATION")}}) + "\\n")
"""


@pytest.fixture
def hooks(tmp_path) -> Path:
    folder = tmp_path / "config" / "crmcli" / "hooks"
    folder.mkdir(parents=True)
    return folder


def install(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)


def calls(folder: Path) -> list[dict]:
    log = folder / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_refusing_pre_add_cancels_the_change(crm, hooks):
    install(hooks, "pre-add", "#!/bin/sh\necho 'no leads without an email' >&2\n"
                              "echo 'second line' >&2\nexit 1\n")
    result = crm("add", "Ana Lima", "--tag", "lead")
    assert result.exit_code == 1
    assert result.stderr == ("crm: error: the pre-add hook refused the change: "
                             "no leads without an email\n")
    assert crm.ok("list", "-f", "json").json() == []
    assert crm.ok("journal", "--json").json() == []
    assert crm.ok("--no-hooks", "add", "Ana Lima").stdout.strip() == "1"


def test_post_hooks_get_the_objects_and_the_operation(crm, hooks):
    for name in ("post-add", "post-modify", "post-delete", "post-log", "post-deal-stage",
                 "post-followup-done", "pre-modify"):
        install(hooks, name, RECORDER)
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.ok("edit", "ana", "--title", "COO")
    crm.ok("log", "ana", "--type", "call", "Agreed")
    crm.ok("deal", "add", "ana", "Pilot", "--value", "100")
    crm.ok("deal", "won", "1")
    crm.ok("follow-up", "ana", "tomorrow", "Call")
    crm.ok("done", "1")
    crm.ok("rm", "ana", "--yes")
    seen = calls(hooks)
    assert [(call["hook"], [line.get("object") for line in call["lines"]]) for call in seen] == [
        ("post-add", ["contact"]),
        ("pre-modify", ["contact"]), ("post-modify", ["contact"]),  # edit
        ("pre-modify", ["contact"]), ("post-modify", ["contact"]), ("post-log", [None]),
        ("post-add", ["deal"]),
        ("pre-modify", ["deal"]), ("post-modify", ["deal"]), ("post-deal-stage", [None]),
        ("pre-modify", ["contact"]), ("post-modify", ["contact"]),  # follow-up
        ("pre-modify", ["contact"]), ("post-modify", ["contact"]), ("post-followup-done", [None]),
        ("post-delete", ["contact"])]
    operations = {entry["what"].split()[0]: str(entry["id"])
                  for entry in crm.ok("journal", "--json").json()}
    by_hook = {call["hook"]: call for call in reversed(seen)}  # the first of each
    assert by_hook["post-add"]["operation"] == operations["add"]
    assert by_hook["pre-modify"]["operation"] == operations["edit"]  # the same as post-
    modified = by_hook["post-modify"]["lines"][0]
    assert (modified["before"]["title"], modified["after"]["title"]) == (None, "COO")
    crm.ok("restore", "ana")
    assert set(modified["after"]) == set(crm.ok("show", "1", "--json").json())  # same shape
    stage = by_hook["post-deal-stage"]["lines"][0]
    assert (stage["before"]["status"], stage["after"]["status"]) == ("open", "won")
    assert set(stage["after"]) == set(crm.ok("deal", "show", "1", "--json").json())
    assert [change["to_stage"] for change in stage["after"]["history"]][-1] == "won"
    assert by_hook["post-followup-done"]["lines"][0]["after"]["done_at"]
    assert by_hook["post-log"]["lines"][0]["after"]["body"] == "Agreed"
    assert by_hook["post-delete"]["lines"][0]["before"]["name"] == "Ana Lima"


def test_a_failing_and_a_hanging_post_modify_only_warn(crm, hooks, tmp_path, monkeypatch):
    crm.add("Ana Lima")
    install(hooks, "post-modify", "#!/bin/sh\necho 'ledger is full' >&2\nexit 3\n")
    result = crm.ok("edit", "ana", "--title", "COO")
    assert "crm: warning: the post-modify hook failed (ledger is full); the change is saved" \
        in result.stderr
    assert crm.ok("show", "ana", "--json").json()["title"] == "COO"

    config = tmp_path / "config.toml"
    config.write_text('[hooks]\ntimeout = "500ms"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    finished = tmp_path / "finished"  # touched as the hook ends; its child holds its output on
    install(hooks, "post-modify", f"#!/bin/sh\nsleep 60 &\nsleep 30\ntouch '{finished}'\n")
    result = crm.ok("edit", "ana", "--title", "CEO")
    assert not finished.exists()  # crm waited neither for the hook nor for its output
    assert "the post-modify hook failed (no answer within 0.5 s)" in result.stderr
    assert crm.ok("show", "ana", "--json").json()["title"] == "CEO"


def test_a_hanging_pre_hook_refuses(crm, hooks, tmp_path, monkeypatch):
    crm.add("Ana Lima")
    config = tmp_path / "config.toml"
    config.write_text('[hooks]\ntimeout = "300ms"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    install(hooks, "pre-delete", "#!/bin/sh\nsleep 30\n")
    result = crm("rm", "ana", "--yes")
    assert result.exit_code == 1 and "no answer within 0.3 s" in result.stderr
    assert crm.ok("show", "ana", "--json").json()["name"] == "Ana Lima"


def test_an_import_runs_each_hook_once_and_skips_what_pre_hooks_refuse(crm, hooks, tmp_path):
    crm.add("Old Friend", "-e", "old@example.com")
    crm.add("Other Friend", "-e", "other@example.com")
    for name in ("post-add", "post-modify"):
        install(hooks, name, RECORDER)
    install(hooks, "pre-add", RECORDER + "\nprint('2 no email')\n")
    install(hooks, "pre-modify", RECORDER + "\nprint('2 not a singer')\n")
    cards = tmp_path / "phone.vcf"
    cards.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n{more}END:VCARD\r\n" for name, more in [
            ("Ana Lima", "EMAIL:ana@example.com\r\n"), ("Bo Chen", ""),
            ("Cy Twombly", "EMAIL:cy@example.com\r\n"),
            ("Old Friend", "EMAIL:old@example.com\r\nTITLE:Retired\r\n"),
            ("Other Friend", "EMAIL:other@example.com\r\nTITLE:Singer\r\n")]))
    before = crm.ok("show", "other", "--json").json()
    result = crm.ok("import", str(cards))
    assert "card 2 (line 6): refused by the pre-add hook: no email" in result.stderr
    assert "card 5 (line 21): refused by the pre-modify hook: not a singer" in result.stderr
    assert "the hooks refused 2 record(s); they were skipped" in result.stderr
    assert sorted(c["name"] for c in crm.ok("list", "-f", "json").json()) == [
        "Ana Lima", "Cy Twombly", "Old Friend", "Other Friend"]
    assert crm.ok("show", "other", "--json").json() == before
    seen = calls(hooks)
    assert [call["hook"] for call in seen] == ["pre-add", "pre-modify", "post-add",
                                               "post-modify"]
    assert [line["after"]["name"] for line in seen[0]["lines"]] == [
        "Ana Lima", "Bo Chen", "Cy Twombly"]
    assert [(line["before"]["title"], line["after"]["title"]) for line in seen[1]["lines"]] == [
        (None, "Retired"), (None, "Singer")]
    assert [line["after"]["name"] for line in seen[2]["lines"]] == ["Ana Lima", "Cy Twombly"]
    assert [(line["before"]["title"], line["after"]["title"]) for line in seen[3]["lines"]] == [
        (None, "Retired")]
    assert seen[2]["operation"] == str(crm.ok("journal", "--json").json()[0]["id"])


def test_a_hooks_line_numbers_are_read_in_digits_0_9_of_any_length(crm, hooks, tmp_path):
    install(hooks, "pre-add", RECORDER + "\nprint('9' * 5000, 'too far')\nprint('٢ other digits')"
                                         "\nprint('0' * 5000 + '3', 'no email')\n")
    cards = tmp_path / "phone.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEND:VCARD\r\n"
                             for name in ("Ana Lima", "Bo Chen", "Cy Twombly")))
    result = crm.ok("import", str(cards))  # int() refuses 5,000 digits: an internal error
    assert "card 3 (line 9): refused by the pre-add hook: no email" in result.stderr
    assert "the hooks refused 1 record(s); they were skipped" in result.stderr
    assert sorted(c["name"] for c in crm.ok("list", "-f", "json").json()) == [
        "Ana Lima", "Bo Chen"]


# ---------------------------------------------------------------------------------- contrib

def test_contrib_pre_add_refuses_customers_without_an_email(crm, hooks, tmp_path):
    shutil.copy(CONTRIB / "pre-add", hooks / "pre-add")
    refused = crm("add", "Ana Lima", "--tag", "customer")
    assert refused.exit_code == 1 and "needs an email" in refused.stderr
    crm.ok("add", "Ana Lima", "--tag", "customer", "-e", "ana@example.com")
    crm.ok("add", "Bo Chen", "--tag", "lead")
    cards = tmp_path / "two.vcf"
    cards.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cy\r\nCATEGORIES:customer\r\nEND:VCARD"
                     "\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Di\r\nEND:VCARD\r\n")
    assert "refused by the pre-add hook" in crm.ok("import", str(cards)).stderr
    assert sorted(c["name"] for c in crm.ok("list", "-f", "json").json()) == [
        "Ana Lima", "Bo Chen", "Di"]


def test_contrib_post_deal_stage_keeps_a_ledger_of_won_deals(crm, hooks, tmp_path,
                                                             monkeypatch):
    shutil.copy(CONTRIB / "post-deal-stage", hooks / "post-deal-stage")
    ledger = tmp_path / "won.tsv"
    monkeypatch.setenv("CRM_LEDGER", str(ledger))
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot", "--value", "9500", "--currency", "EUR")
    crm.ok("deal", "move", "1", "proposal")
    assert not ledger.exists()
    crm.ok("deal", "won", "1")
    fields = ledger.read_text().rstrip("\n").split("\t")
    assert fields[1:7] == ["1", "Pilot", "Ana Lima", "", "9500.00", "EUR"]
    assert fields[7] == str(crm.ok("journal", "--json").json()[0]["id"])


def test_contrib_post_modify_notifies_the_desktop_when_it_can(crm, hooks, tmp_path,
                                                              monkeypatch):
    shutil.copy(CONTRIB / "post-modify", hooks / "post-modify")
    crm.add("Ana Lima")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no notify-send: nothing happens, no warning
    assert "warning" not in crm.ok("tag", "ana", "+vip").stderr
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    install(bin_dir, "notify-send", f"#!/bin/sh\necho \"$@\" > {tmp_path}/notified\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    crm.ok("tag", "ana", "+lead")
    assert (tmp_path / "notified").read_text() == "--app-name=crm crm: contact changed Ana Lima\n"


# ---------------------------------------------------------------------------------- every command

# Commands that change nothing a hook is about, and why.
HOOKLESS = {
    "mutt-query": "reads", "export": "reads", "dump": "reads", "config path": "reads",
    "backup": "copies the file", "remind": "writes delivery state only",
    "sync setup": "writes a vdirsyncer config", "demo": "fills an empty book with samples",
    "load": "fills an empty book from a dump", "field add": "a field's definition is no object",
    "field rename": "a field's definition is no object",
    "field private": "a field's definition is no object",
    "mcp": "its write tools run the hooks (test_mcp.py)",
    "field public": "a field's definition is no object",
    "config set": "writes the config (re-keyed phones go through the same gate)",
    "deal stages rename": "needs config.toml edited first (writes deals through the same gate)",
    "segment save": "a segment is a saved query, no object",
    "segment rm": "a segment is a saved query, no object",
    "campaign new": "a campaign and its recipients are no object",
    "campaign refresh": "a campaign and its recipients are no object",
    "campaign preview": "reads",
}
FOR_GOOD = {"forget": ([], ["forget", "bo", "--yes"]),
            "trash --empty": ([["rm", "bo", "--yes"]], ["trash", "--empty", "--yes"]),
            "undo": ([["tag", "ana", "+vip"]], ["undo"])}


def _name(words: list[str]) -> str:
    tree = test_command_tree.TREE
    return next(" ".join(words[:size]) for size in (3, 2, 1) if tuple(words[:size]) in tree)


def test_every_write_command_of_the_tree_is_walked():
    tree = test_command_tree.TREE
    writers = {" ".join(path) for path, command in tree.items()
               if not hasattr(command, "list_commands") and path
               and not any("--json" in p.opts for p in command.params)}
    walked = {_name(command) for _, command in [*WRITES.values(), *FOR_GOOD.values()]}
    assert writers - set(HOOKLESS) - walked == set()


def test_every_table_of_user_data_belongs_to_an_object_or_to_none_on_purpose():
    """A table added later fails here until changed_objects.OWNERS says whose its rows are
    (so that its writes reach the hooks)."""
    assert set(changed_objects.OWNERS) == set(userdata.USER_TABLES)


@pytest.mark.parametrize("case", [*WRITES, *FOR_GOOD])
def test_every_write_command_runs_its_hooks(book, hooks, tmp_path, case):  # noqa: F811
    setup, command = WRITES.get(case) or FOR_GOOD[case]
    cards = tmp_path / "phone.vcf"
    cards.write_text(CARDS)
    calendar = tmp_path / "work.ics"
    calendar.write_text(CALENDAR)
    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(EDITOR))
    for step in setup:
        book.ok("--no-hooks", *step)
    for name in ("pre-add", "pre-modify", "pre-delete", "post-add", "post-modify",
                 "post-delete"):
        install(hooks, name, RECORDER)
    book.ok(*[word.format(cards=cards, calendar=calendar) for word in command],
            env={"EDITOR": f"{sys.executable} {script}"})
    seen = calls(hooks)
    posts = {call["hook"]: call for call in seen if call["hook"].startswith("post-")}
    if case in ("field add", "field rename", "field private", "field public"):
        assert seen == []
        return
    assert posts, f"{case}: no post- hook ran"
    operation = str(book.ok("journal", "--json").json()[0]["id"])
    for name, call in posts.items():
        event = name.removeprefix("post-")
        assert all(line["object"] in ("contact", "deal", "company") for line in call["lines"])
        assert all(("before" in line) == (event != "add") for line in call["lines"])
        assert all(("after" in line) == (event != "delete") for line in call["lines"])
        if case not in FOR_GOOD:
            assert call["operation"] == operation
        if case != "import":  # an import screens its records with pre-add alone
            pre = [line for c in seen if c["hook"] == f"pre-{event}" for line in c["lines"]]
            assert pre == call["lines"], f"{case}: pre-{event}"


def test_a_pre_hook_refuses_any_write_command_and_nothing_changes(book, hooks):  # noqa: F811
    install(hooks, "pre-modify", "#!/bin/sh\necho 'deals close on Fridays' >&2\nexit 1\n")
    before = book.ok("dump").stdout
    operations = book.ok("journal", "--json").json()
    result = book("deal", "won", "1")
    assert (result.exit_code, result.stderr) == (
        1, "crm: error: the pre-modify hook refused the change: deals close on Fridays\n")
    assert book.ok("dump").stdout == before
    assert book.ok("journal", "--json").json() == operations


def test_a_pre_hook_runs_with_no_lock_held(book, hooks, db_path):  # noqa: F811
    """The hook itself writes to the book (another row) while crm waits for its answer."""
    install(hooks, "pre-modify", f"#!/bin/sh\nexec {sys.executable} -m crmcli --db {db_path}"
                                 " --no-hooks note bo 'the hook was here' >/dev/null\n")
    book.ok("edit", "ana", "--title", "CEO")
    assert book.ok("show", "ana", "--json").json()["title"] == "CEO"
    assert "the hook was here" in book.ok("notes", "list", "bo").stdout
    assert [entry["what"] for entry in book.ok("journal", "--json", "-n", "2").json()] == [
        "note bo 'the hook was here'", "edit ana --title CEO"]  # the edit's id came first


def test_a_row_changed_while_the_pre_hook_ran_refuses(book, hooks, db_path):  # noqa: F811
    install(hooks, "pre-modify", f"#!/bin/sh\nexec {sys.executable} -m crmcli --db {db_path}"
                                 " --no-hooks edit ana --title Chair >/dev/null\n")
    result = book("edit", "ana", "--title", "CEO")
    assert result.exit_code == 1
    assert "another command changed the same rows while the hooks ran" in result.stderr
    assert book.ok("show", "ana", "--json").json()["title"] == "Chair"  # the other's, kept


def test_a_bulk_pre_hook_skips_only_what_it_refuses(book, hooks):  # noqa: F811
    install(hooks, "pre-modify", RECORDER + "\nprint('1 not this one')\n")
    install(hooks, "post-modify", RECORDER)
    result = book.ok("deal", "stages", "remap", "negotiation", "--to", "proposal", "--yes")
    (pre,) = [call for call in calls(hooks) if call["hook"] == "pre-modify"]
    refused, moved = (line["before"]["id"] for line in pre["lines"])
    assert f"the pre-modify hook refused deal #{refused}: not this one; it was skipped" \
        in result.stderr
    assert book.ok("deal", "show", str(refused), "--json").json()["stage"] == "negotiation"
    assert book.ok("deal", "show", str(moved), "--json").json()["stage"] == "proposal"
    (post,) = [call for call in calls(hooks) if call["hook"] == "post-modify"]
    assert [line["after"]["id"] for line in post["lines"]] == [moved]
    book.ok("--no-hooks", "undo")
    assert book.ok("deal", "show", str(moved), "--json").json()["stage"] == "negotiation"


def test_a_bulk_pre_hook_refusal_also_holds_back_the_special_post_hooks(book, hooks):  # noqa: F811
    """post-deal-stage sees only the deals that moved, not one a pre- hook refused."""
    install(hooks, "pre-modify", RECORDER + "\nprint('1 not this one')\n")
    install(hooks, "post-deal-stage", RECORDER)
    book.ok("deal", "stages", "remap", "negotiation", "--to", "proposal", "--yes")
    (pre,) = [call for call in calls(hooks) if call["hook"] == "pre-modify"]
    _, moved = (line["before"]["id"] for line in pre["lines"])
    (post,) = [call for call in calls(hooks) if call["hook"] == "post-deal-stage"]
    assert [(line["after"]["id"], line["after"]["stage"]) for line in post["lines"]] == [
        (moved, "proposal")]


def test_post_hooks_run_only_for_a_committed_transaction(hooks, db_path):
    """A transaction whose COMMIT fails (here a deferred foreign key) runs no post- hook."""
    install(hooks, "post-add", RECORDER)
    current = common.reset_state(str(db_path), debug=False)
    current.on_journal = hooking.watch
    db = current.db
    with pytest.raises(StorageError), transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        contacts.create(db, Contact(name="Ana Lima"))
        db.execute("INSERT INTO notes (contact_id, body, created_at, updated_at)"
                   " VALUES (999, 'orphan', '', '')")
    with transaction(db):
        contacts.create(db, Contact(name="Bo Chen"))
    current.close()
    (post,) = calls(hooks)
    assert [line["after"]["name"] for line in post["lines"]] == ["Bo Chen"]
