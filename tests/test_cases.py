"""Service cases: opening, listing, the history, waiting on the customer (the due clock
pauses), resolving, reopening, closing, the configured promise, and bad input."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from crmcli import db as storage

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
MON = "2026-11-23T10:00:00+00:00"  # a Monday
EMPTY_DATE = ("crm: error: the date is empty; try: today, tomorrow 9:30, fri, next monday 14h, "
              "+3d, in 2 weeks, eom, 2026-12-01, 31/12\n")


def at(moment: str) -> dict:
    return {"CRM_NOW": moment}


@pytest.fixture
def book(crm):
    crm.add("Ana Lima", "-c", "Atlântico Foods", "-t", "vip")
    crm.add("Bo Chen", "-c", "Globex")
    return crm


def case(crm, case_id: int, moment: str = MON) -> dict:
    return crm.ok("case", "show", str(case_id), "--json", env=at(moment)).json()


def test_open_prints_the_id_and_the_company_comes_with_the_contact(book):
    first = book.ok("case", "open", "ana", "Late  delivery of order 4711", "--priority", "high",
                    "--channel", "Email", "--due", "fri", env=at(MON))
    assert first.stdout == "1\n"
    shown = case(book, 1)
    assert (shown["title"], shown["priority"], shown["channel"], shown["status"]) == (
        "Late delivery of order 4711", "high", "email", "open")
    assert (shown["contact"], shown["company"]) == ("Ana Lima", "Atlântico Foods")
    assert shown["due_at"] == "2026-11-27T23:59:59Z"  # a day without a time: its end
    assert [(e["type"], e["text"]) for e in shown["history"]] == [
        ("opened", "Late delivery of order 4711")]
    second = book.ok("case", "open", "--company", "globex", "Wrong invoice", env=at(MON))
    assert second.stdout == "2\n"
    assert (case(book, 2)["contact"], case(book, 2)["company"]) == (None, "Globex")


def test_list_by_status_query_and_overdue(book):
    book.ok("case", "open", "ana", "Late delivery", "--due", "today 12:00", env=at(MON))
    book.ok("case", "open", "bo", "Question about the SLA", env=at(MON))
    book.ok("case", "open", "bo", "Broken sensor", "--due", "wed", env=at(MON))
    book.ok("case", "resolve", "2", "Sent the SLA", env=at(MON))
    later = at("2026-11-23T13:00:00+00:00")
    listed = book.ok("case", "list", "--json", env=later).json()
    assert [(c["id"], c["overdue"]) for c in listed] == [(1, True), (3, False)]
    assert [c["id"] for c in book.ok("case", "list", "--status", "all", "--json",
                                     env=later).json()] == [1, 3, 2]
    assert [c["id"] for c in book.ok("case", "list", "--status", "resolved", "--json",
                                     env=later).json()] == [2]
    assert [c["id"] for c in book.ok("case", "list", "sensor", "--json", env=later).json()] \
        == [3]
    assert [c["id"] for c in book.ok("case", "list", "tag:vip", "--json", env=later).json()] \
        == [1]
    assert [c["id"] for c in book.ok("case", "list", "--overdue", "--json", env=later).json()] \
        == [1]
    rows = book.ok("case", "list", env=later).rows()
    assert [(r["id"], r["title"], r["overdue"]) for r in rows] == [
        ("1", "Late delivery", "yes"), ("3", "Broken sensor", "no")]


def test_note_reads_stdin_and_is_the_first_response(book):
    book.ok("case", "open", "ana", "Late delivery", env=at(MON))
    book.ok("case", "note", "1", "-", input="Called the warehouse\n",
            env=at("2026-11-23T11:30:00+00:00"))
    book.ok("case", "note", "1", "Ships Monday", env=at("2026-11-23T12:00:00+00:00"))
    shown = case(book, 1)
    assert shown["first_response_at"] == "2026-11-23T11:30:00Z"
    assert [(e["type"], e["text"]) for e in shown["history"]][1:] == [
        ("note", "Called the warehouse"), ("note", "Ships Monday")]


def test_waiting_pauses_the_due_clock_until_the_case_is_resumed(book):
    book.ok("case", "open", "ana", "Late delivery", "--due", "tue 12:00", env=at(MON))
    book.ok("case", "wait", "1", env=at("2026-11-23T12:00:00+00:00"))
    wednesday = case(book, 1, "2026-11-25T12:00:00+00:00")
    assert (wednesday["status"], wednesday["overdue"]) == ("waiting", False)
    assert wednesday["due_at"] == "2026-11-26T12:00:00Z"  # two days of waiting, so far
    book.ok("case", "reopen", "1", env=at("2026-11-25T12:00:00+00:00"))
    assert case(book, 1, "2026-11-26T11:00:00+00:00")["overdue"] is False
    thursday = case(book, 1, "2026-11-26T13:00:00+00:00")
    assert (thursday["status"], thursday["due_at"], thursday["overdue"]) == (
        "open", "2026-11-26T12:00:00Z", True)
    assert [e["type"] for e in thursday["history"]] == ["opened", "waiting", "resumed"]


def test_a_wait_until_ends_by_itself(book):
    book.ok("case", "open", "ana", "Late delivery", "--due", "tue 12:00", env=at(MON))
    book.ok("case", "wait", "1", "--until", "wed 12:00", env=at("2026-11-23T12:00:00+00:00"))
    assert case(book, 1, "2026-11-25T11:00:00+00:00")["status"] == "waiting"
    thursday = case(book, 1, "2026-11-26T11:00:00+00:00")
    assert (thursday["status"], thursday["due_at"], thursday["overdue"]) == (
        "open", "2026-11-26T12:00:00Z", False)
    assert case(book, 1, "2026-11-26T13:00:00+00:00")["overdue"] is True
    book.ok("case", "note", "1", "Customer answered", env=at("2026-11-26T13:00:00+00:00"))
    history = case(book, 1, "2026-11-26T13:00:00+00:00")["history"]
    assert [(e["type"], e["at"]) for e in history][2:] == [
        ("resumed", "2026-11-25T12:00:00Z"), ("note", "2026-11-26T13:00:00Z")]


def test_a_wait_with_an_end_adds_the_whole_planned_wait_from_its_start(book):
    """Promised for Tuesday 12:00, waiting from Monday 12:00 until Wednesday 12:00: due on
    Thursday 12:00 all along the wait (as the phone shows it), not a moment that moves with
    the clock; a wait without an end still moves with it."""
    book.ok("case", "open", "ana", "Late delivery", "--due", "tue 12:00", env=at(MON))
    book.ok("case", "wait", "1", "--until", "wed 12:00", env=at("2026-11-23T12:00:00+00:00"))
    for moment in ("2026-11-23T12:00:00+00:00", "2026-11-24T18:00:00+00:00",
                   "2026-11-26T11:00:00+00:00"):
        assert case(book, 1, moment)["due_at"] == "2026-11-26T12:00:00Z", moment
    book.ok("case", "open", "ana", "Wrong invoice", "--due", "tue 12:00", env=at(MON))
    book.ok("case", "wait", "2", env=at("2026-11-23T12:00:00+00:00"))
    assert case(book, 2, "2026-11-24T18:00:00+00:00")["due_at"] == "2026-11-25T18:00:00Z"


def test_resolve_reopen_close(book):
    book.ok("case", "open", "ana", "Late delivery", "--due", "tue", env=at(MON))
    book.ok("case", "resolve", "1", "Sent by courier", env=at("2026-11-24T09:00:00+00:00"))
    resolved = case(book, 1, "2026-11-30T09:00:00+00:00")
    assert (resolved["status"], resolved["resolution"], resolved["overdue"]) == (
        "resolved", "Sent by courier", False)
    book.ok("case", "reopen", "1", "--due", "fri", env=at("2026-11-25T09:00:00+00:00"))
    reopened = case(book, 1, "2026-11-25T09:00:00+00:00")
    assert (reopened["status"], reopened["resolved_at"], reopened["due_at"]) == (
        "open", None, "2026-11-27T23:59:59Z")
    book.ok("case", "close", "1", env=at("2026-11-26T09:00:00+00:00"))
    closed = case(book, 1, "2026-11-26T09:00:00+00:00")
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-11-26T09:00:00Z")
    assert [e["type"] for e in closed["history"]] == ["opened", "resolved", "reopened",
                                                      "closed"]


def test_respond_within_by_priority(book, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[cases.respond_within]\nurgent = "4h"\nnormal = "2d"\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    for priority in ("urgent", "normal", "low"):
        book.ok("case", "open", "ana", f"A {priority} one", "--priority", priority, env=at(MON))
    assert [case(book, n)["due_at"] for n in (1, 2, 3)] == [
        "2026-11-23T14:00:00Z", "2026-11-25T23:59:59Z", None]
    config.write_text('[cases]\nrespond_within = "1w"\n')
    book.ok("case", "open", "ana", "Any priority", "--priority", "low", env=at(MON))
    assert case(book, 4)["due_at"] == "2026-11-30T23:59:59Z"
    config.write_text('[cases.respond_within]\nsoon = "4h"\n')
    result = book("case", "open", "ana", "Bad config", env=at(MON))
    assert result.exit_code == 1
    assert "cases.respond_within.soon is not a priority" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["case", "show", "42"], "crm: error: no case with id 42 (crm case list --status all "
                             "lists them)\n"),
    (["case", "resolve", "x1"], "crm: error: 'x1' is not a case id (a number: crm case list "
                                "shows them)\n"),
    (["case", "show", "\u00b2"], "crm: error: '\u00b2' is not a case id (a number: crm case "
                                  "list shows them)\n"),
    (["case", "resolve", "2"], "crm: error: case 2 is closed; 'crm case reopen 2' first\n"),
    (["case", "open", "ana", "Late", "--due", "yesterday"],
     "crm: error: the promise 2026-11-22 23:59 is in the past; a case is due after it is "
     "opened\n"),
    (["case", "open", "ana", "  "], "crm: error: a case needs a title: say what the customer "
                                    "asked for\n"),
    (["case", "open", "ana", "\x1b\x07"], "crm: error: a case needs a title: say what the "
                                              "customer asked for\n"),
    (["case", "note", "1", "\x07\x1b"], "crm: error: the note is empty\n"),
    (["case", "open", "ana", "\x1b\x07\u202e"], "crm: error: a case needs a title: say what "
                                                "the customer asked for\n"),
    (["case", "open", "ana", "\u2066\u200b\ufeff "], "crm: error: a case needs a title: say "
                                                    "what the customer asked for\n"),
    (["case", "note", "1", "\x07\u202e"], "crm: error: the note is empty\n"),
    (["case", "wait", "1", "--until", "yesterday"],
     "crm: error: --until 2026-11-22 00:00 is not in the future\n"),
    (["case", "reopen", "1"], "crm: error: case 1 is open already\n"),
    (["case", "reopen", "2", "--due", ""], EMPTY_DATE),
    (["case", "wait", "1", "--until", ""], EMPTY_DATE),
    (["case", "close", "2"], "crm: error: case 2 is already closed\n"),
    (["case", "open", "ana", "Late", "--channel", "pigeon"],
     "crm: error: channel 'pigeon' is not one of email, phone, chat, visit, letter, web, "
     "social, other\n"),
])
def test_bad_input_is_one_line_and_changes_nothing(book, args, message):
    book.ok("case", "open", "ana", "Late delivery", env=at(MON))
    book.ok("case", "open", "bo", "Wrong invoice", env=at(MON))
    book.ok("case", "close", "2", env=at(MON))
    before = book.ok("dump").stdout
    result = book(*args, env=at(MON))
    assert (result.exit_code, result.stderr) == (3 if args[2] in ("42", "x1", "\u00b2") else 1,
                                                  message)
    assert book.ok("dump").stdout == before


def test_a_case_concerns_only_its_own_customers_deals(book):
    book.ok("deal", "add", "bo", "Sensors for Globex")
    book.ok("deal", "add", "ana", "Olive oil")
    before = book.ok("dump").stdout
    for args, customer in ((["ana", "Late delivery"], "Ana Lima"),
                           (["--company", "atlantico", "Wrong invoice"], "Atlântico Foods")):
        refused = book("case", "open", *args, "--deal", "1", env=at(MON))
        assert (refused.exit_code, refused.stderr) == (1, (
            f"crm: error: deal 1 (Sensors for Globex) is Bo Chen's, not {customer}'s: a case "
            "can only concern its own customer's deals\n"))
    assert book.ok("dump").stdout == before
    assert book.ok("case", "open", "ana", "Late delivery", "--deal", "2").stdout == "1\n"
    assert book.ok("case", "open", "--company", "globex", "Wrong invoice", "--deal",
                   "1").stdout == "2\n"
    assert sorted((c["id"], c["deal_id"]) for c in book.ok("case", "list", "--json").json()) \
        == [(1, 2), (2, 1)]


def test_cases_travel_with_dump_and_load(book, tmp_path):
    from conftest import Crm

    book.ok("case", "open", "ana", "Late delivery", "--due", "fri", env=at(MON))
    book.ok("case", "note", "1", "Called", env=at(MON))
    dumped = book.ok("dump").stdout
    other = Crm(tmp_path / "other.db")
    other.ok("load", "-", input=dumped)
    assert other.ok("dump").stdout == dumped
    assert other.ok("case", "show", "1", "--json", env=at(MON)).json()["history"][1]["text"] \
        == "Called"


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 22],
                         ids=lambda p: p.stem)  # books from before migration 22
def test_the_migration_from_every_release_adds_cases(tmp_path, release):
    import datetime as dt

    from crmcli import cases

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    database = storage.connect(path)
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    contact_id = database.execute("SELECT min(id) FROM contacts").fetchone()[0]
    case_id = cases.open_case(database, cases.NewCase("Late delivery", contact_id=contact_id,
                                                      due_at=now), now)
    cases.resolve_case(database, cases.get(database, case_id, now), now, "done")
    assert cases.get(database, case_id, now).status == "resolved"
    assert [e.kind for e in cases.history(database, case_id)] == ["opened", "resolved"]
    database.close()


def test_forgetting_a_person_forgets_their_cases_and_their_histories(book, db_path):
    book.ok("case", "open", "ana", "Allergy to latex gloves", env=at(MON))
    book.ok("case", "note", "1", "She is pregnant, wants a replacement", env=at(MON))
    book.ok("case", "open", "bo", "Wrong invoice", env=at(MON))
    book.ok("forget", "ana", "--yes")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM journal_changes WHERE old LIKE '%pregnant%'"
                            " OR old LIKE '%latex%'").fetchone() == (0,)
        assert conn.execute("SELECT table_name, count(*) FROM journal_changes WHERE table_name"
                            " LIKE 'case%' GROUP BY table_name").fetchall() == [
            ("case_events", 1), ("cases", 1)]  # Bo's case, opened
    assert [c["title"] for c in book.ok("case", "list", "--status", "all", "--json",
                                        env=at(MON)).json()] == ["Wrong invoice"]


def test_a_case_closed_after_its_resolution_is_done_on_the_phone(book, db_path):
    from crmcli.sync.cases import Cases

    book.ok("case", "open", "ana", "Late delivery", env=at(MON))
    book.ok("case", "resolve", "1", "Sent by courier", env=at(MON))
    book.ok("case", "close", "1", env=at(MON))
    book.ok("case", "open", "bo", "Wrong invoice", env=at(MON))
    book.ok("case", "close", "2", env=at(MON))
    with sqlite3.connect(db_path) as conn:
        adapter = Cases(dt.datetime.fromisoformat(MON))
        assert [adapter.props(conn, case_id)["status"] for case_id in (1, 2)] == [
            "COMPLETED", "CANCELLED"]


def test_a_deal_keeps_the_customer_its_cases_have(book):
    """deal edit --contact/--company once left a case about another customer's deal, which
    case open refuses."""
    book.add("Dee Fox")
    book.add("Cy Ray", "-c", "Atlântico Foods")
    book.ok("deal", "add", "dee", "Audit")
    book.ok("deal", "add", "ana", "Olive oil")
    book.ok("case", "open", "dee", "Late report", "--deal", "1", env=at(MON))
    book.ok("case", "open", "ana", "Late delivery", "--deal", "2", env=at(MON))
    book.ok("case", "open", "--company", "atlantico", "Wrong invoice", "--deal", "2",
            env=at(MON))
    before = book.ok("dump").stdout
    for args, cases in (
            (["1", "--contact", "bo"], "case 1 (Late report) of Dee Fox"),
            (["2", "--contact", "bo", "--company", "globex"],
             "case 2 (Late delivery) of Ana Lima and case 3 (Wrong invoice) of Atlântico Foods"),
            (["2", "--company", ""], "case 3 (Wrong invoice) of Atlântico Foods")):
        refused = book("deal", "edit", *args)
        assert (refused.exit_code, refused.stderr) == (1, (
            f"crm: error: deal {args[0]} ({'Audit' if args[0] == '1' else 'Olive oil'}) is the "
            f"subject of {cases}: a case can only concern its own customer's deals\n"))
    assert book.ok("dump").stdout == before
    book.ok("deal", "edit", "2", "--contact", "cy")  # the same company: its cases still fit
    book.ok("deal", "edit", "1", "--contact", "")  # no one's deal fits any case
    deals = {d["id"]: d for d in book.ok("deal", "list", "--json").json()}
    assert (deals[1]["contact"], deals[2]["contact"]) == (None, "Cy Ray")


def test_case_edit_deal_lets_a_deal_go_to_another_customer(book):
    """deal edit refuses a deal with another customer's cases; case edit --deal unlinks them
    (or links another deal of their customer's), under the rules of case open."""
    book.ok("deal", "add", "ana", "Olive oil")
    book.ok("deal", "add", "ana", "Wine")
    book.ok("deal", "add", "bo", "Servers")
    book.ok("case", "open", "ana", "Late delivery", "--deal", "1", env=at(MON))
    assert book("deal", "edit", "1", "--contact", "bo", "--company", "globex").exit_code == 1
    refused = book("case", "edit", "1", "--deal", "3", env=at(MON))
    assert (refused.exit_code, refused.stderr) == (1, (
        "crm: error: deal 3 (Servers) is Bo Chen's, not Ana Lima's: a case can only concern "
        "its own customer's deals\n"))
    moved = book.ok("case", "edit", "1", "--deal", "wine", env=at(MON))
    assert moved.stderr == "case 1 (Late delivery) now concerns deal 2\n"
    assert case(book, 1)["deal_id"] == 2
    book.ok("case", "edit", "1", "--deal", "none", env=at(MON))
    assert case(book, 1)["deal_id"] is None
    book.ok("deal", "edit", "1", "--contact", "bo", "--company", "globex")
    assert book.ok("case", "edit", "1", "--deal", "NONE", env=at(MON)).stderr == "no changes\n"


def test_case_edit_deal_records_a_wait_that_ended_by_itself(book):
    """Like every other write on a case, case edit --deal first records the resumption of a
    wait whose --until has passed, at that moment."""
    book.ok("deal", "add", "ana", "Olive oil")
    book.ok("case", "open", "ana", "Late delivery", "--due", "tue 12:00", env=at(MON))
    book.ok("case", "wait", "1", "--until", "wed 12:00", env=at("2026-11-23T12:00:00+00:00"))
    book.ok("case", "edit", "1", "--deal", "1", env=at("2026-11-26T13:00:00+00:00"))
    stored = sqlite3.connect(book.db_path).execute(
        "SELECT status, waiting_until, paused_seconds FROM cases").fetchone()
    assert stored == ("open", None, 2 * 86400)
    history = case(book, 1, "2026-11-26T13:00:00+00:00")["history"]
    assert [(e["type"], e["at"]) for e in history][2:] == [("resumed", "2026-11-25T12:00:00Z")]


@pytest.mark.parametrize(("args", "message"), [
    (["case", "edit", "1"], "crm: error: nothing to change: give --deal ID, or --deal none"),
    (["case", "edit", "1", "--deal", ""], "crm: error: Invalid value for '--deal': the deal is "
                                          "empty"),
    (["case", "edit", "2", "--deal", "none"], "crm: error: no case with id 2 (crm case list "
                                              "--status all lists them)"),
])
def test_case_edit_without_a_change_is_refused(book, args, message):
    book.ok("case", "open", "ana", "Late delivery", env=at(MON))
    before = book.ok("dump").stdout
    result = book(*args, env=at(MON))
    assert result.exit_code in (2, 3) and result.stderr.splitlines()[0] == message
    assert book.ok("dump").stdout == before
