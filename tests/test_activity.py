"""Notes, logged interactions, last contact, the timeline, the heatmap and the dashboard."""

from __future__ import annotations

import datetime as dt
import sys
import textwrap

import pytest


@pytest.fixture
def book(crm):
    return {
        "ana": crm.add("Ana Lima", "-c", "Atlântico Foods", "-t", "lead"),
        "bo": crm.add("Bo Chen", "-c", "Northwind", "-t", "vip"),
        "jose": crm.add("José Núñez", "-c", "Iberia Logistics", "-t", "vip"),
    }


def _editor(tmp_path, script: str) -> dict:
    path = tmp_path / "editor.py"
    path.write_text(textwrap.dedent(script))
    return {"EDITOR": f"{sys.executable} {path}"}


def test_note_from_argument_stdin_and_editor(crm, book, tmp_path):
    first = crm.ok("note", "ana", "Wants a quote for 50 seats")
    assert first.stdout.strip().isdigit()
    crm.ok("note", "ana", "-", input="Budget approved\nby the CFO\n")
    env = _editor(tmp_path, "import sys; open(sys.argv[1], 'w').write('Call back in June')")
    crm.ok("note", "ana", env=env)
    bodies = [n["body"] for n in crm.ok("show", "ana", "--json").json()["notes"]]
    assert sorted(bodies) == ["Budget approved\nby the CFO", "Call back in June",
                              "Wants a quote for 50 seats"]


def test_empty_editor_note_is_cancelled(crm, book, tmp_path):
    env = _editor(tmp_path, "pass")
    result = crm.ok("note", "ana", env=env)
    assert "nothing saved" in result.stderr
    assert crm.ok("show", "ana", "--json").json()["notes"] == []


def test_notes_search_edit_trash_restore(crm, book):
    note_id = crm.ok("note", "jose", "Precio con descuento para la renovación").stdout.strip()
    crm.ok("note", "bo", "Renewal next year")
    found = crm.ok("notes", "search", "renovacion").rows()
    assert [(r["id"], r["contact"]) for r in found] == [(note_id, "José Núñez")]
    assert [r["name"] for r in crm.ok("list", "renovacion").rows()] == ["José Núñez"]
    crm.ok("notes", "edit", note_id, "Precio final acordado")
    assert crm.ok("notes", "search", "renovacion").rows() == []
    assert [r["id"] for r in crm.ok("notes", "search", "acordado").rows()] == [note_id]
    assert crm("notes", "rm", note_id).exit_code == 1  # not a terminal: needs --yes
    crm.ok("notes", "rm", note_id, "--yes")
    assert crm.ok("notes", "search", "acordado").rows() == []
    assert crm.ok("list", "acordado").rows() == []
    crm.ok("notes", "restore", note_id)
    assert [r["id"] for r in crm.ok("notes", "search", "acordado").rows()] == [note_id]
    assert [r["contact"] for r in crm.ok("notes").rows()] == ["Bo Chen", "José Núñez"]
    assert [r["body"] for r in crm.ok("notes", "list", "bo").rows()] == ["Renewal next year"]
    assert len(crm.ok("notes", "--limit", "1").rows()) == 1


def test_log_interactions_and_last_contact(crm, book):
    call = crm.ok("log", "ana", "--type", "call", "Agreed on a pilot", "--duration", "1h30",
                  "--outcome", "positive", "--at", "2026-11-20 15:00")
    assert call.stdout.strip().isdigit()
    crm.ok("log", "bo", "-t", "email", "Sent the deck", "--at", "2026-10-01")
    ana = crm.ok("show", "ana", "--json").json()
    assert ana["last_contacted_at"] == "2026-11-20T15:00:00Z"
    assert ana["history"][0] | {"id": 0} == {
        "type": "call", "id": 0, "at": "2026-11-20T15:00:00Z", "contact_id": book["ana"],
        "contact": "Ana Lima", "company": "Atlântico Foods", "text": "Agreed on a pilot",
        "duration_minutes": 90, "outcome": "positive", "direction": None}
    rows = crm.ok("list", "--sort", "last-contact").rows()
    assert [r["name"] for r in rows] == ["Ana Lima", "Bo Chen", "José Núñez"]
    assert rows[0]["last_contacted_at"] == "2026-11-20T15:00:00Z"
    stale = crm.ok("list", "--not-contacted-since", "2026-11-01").rows()
    assert [r["name"] for r in stale] == ["Bo Chen", "José Núñez"]


@pytest.mark.parametrize(("args", "message"), [
    (["--type", "fax"], "unknown interaction type 'fax'"),
    (["--at", "31/02"], "'31/02' is not a date"),
    (["--duration", "forever"], "'forever' is not a duration"),
])
def test_log_rejects_bad_input(crm, book, args, message):
    result = crm("log", "ana", "text", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert crm.ok("show", "ana", "--json").json()["history"] == []


def test_activity_filters(crm, book):
    crm.ok("log", "ana", "-t", "call", "Call A", "--at", "2026-11-01 10:00")
    crm.ok("log", "bo", "-t", "meeting", "Meeting B", "--at", "2026-11-05 10:00")
    crm.ok("log", "jose", "-t", "email", "Email J", "--at", "2026-11-10 10:00")
    crm.ok("note", "bo", "Note B")

    def texts(*args):
        return [r["text"] for r in crm.ok("activity", *args).rows()]

    assert texts("--type", "call", "--type", "email") == ["Email J", "Call A"]
    assert texts("--contact", "bo") == ["Note B", "Meeting B"]
    assert texts("--company", "iberia") == ["Email J"]
    assert texts("--tag", "vip", "--type", "meeting", "--type", "email") == [
        "Email J", "Meeting B"]
    assert texts("--since", "2026-11-02", "--until", "2026-11-10") == ["Meeting B"]
    assert texts("--limit", "1") == ["Note B"]
    records = crm.ok("activity", "--json", "--type", "call").json()
    assert records == [{"type": "call", "id": 1, "at": "2026-11-01T10:00:00Z",
                        "contact_id": book["ana"], "contact": "Ana Lima",
                        "company": "Atlântico Foods", "text": "Call A",
                        "duration_minutes": None, "outcome": None, "direction": None}]
    assert crm("activity", "--type", "fax").exit_code == 1


def test_trashed_contacts_leave_the_timeline(crm, book):
    crm.ok("log", "ana", "-t", "call", "Call A")
    crm.ok("rm", "ana", "--yes")
    assert crm.ok("activity").rows() == []


def test_merge_moves_interactions(crm, book):
    copy = crm.add("Ana L.")
    crm.ok("log", str(copy), "-t", "visit", "Visited the plant", "--at", "2026-11-03")
    crm.ok("merge", str(book["ana"]), str(copy), "--yes")
    history = crm.ok("show", str(book["ana"]), "--json").json()["history"]
    assert [(h["type"], h["text"]) for h in history] == [("visit", "Visited the plant")]


def test_heatmap_counts_per_day(crm, book, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00+00:00")
    today = dt.date(2026, 11, 25)
    for days_ago, count in ((0, 2), (3, 1), (400, 5)):
        day = (today - dt.timedelta(days=days_ago)).isoformat()
        for _ in range(count):
            crm.ok("log", "ana", "-t", "call", "x", "--at", f"{day} 00:00")
    rows = crm.ok("activity", "--heatmap").rows()
    assert 52 * 7 <= len(rows) <= 53 * 7
    counts = {r["date"]: int(r["interactions"]) for r in rows}
    assert counts[today.isoformat()] == 2
    assert counts[(today - dt.timedelta(days=3)).isoformat()] == 1
    assert sum(counts.values()) == 3
    crm.ok("log", "bo", "-t", "email", "y", "--at", f"{today.isoformat()} 00:00")
    only_bo = crm.ok("activity", "--heatmap", "--contact", "bo").rows()
    assert sum(int(r["interactions"]) for r in only_bo) == 1
    assert sum(int(r["interactions"]) for r in crm.ok(
        "activity", "--heatmap", "--type", "email").rows()) == 1
    drawn = crm.ok("activity", "--heatmap", "-f", "table").stdout
    assert "4 interactions from" in drawn and "█" in drawn and "·" in drawn


def test_dashboard_alone_and_as_json(crm, book):
    crm.ok("log", "ana", "-t", "call", "[bold]Hello[/bold] \x1b[2J")
    plain = crm.ok().stdout
    assert "Latest activity" in plain
    assert "[bold]Hello[/bold]" in plain and "\x1b" not in plain
    data = crm.ok("dashboard", "--json").json()
    assert [e["text"] for e in data["recent_activity"]] == ["[bold]Hello[/bold] \x1b[2J"]


def test_contact_page_shows_history_and_last_contact(crm, book):
    crm.ok("log", "jose", "-t", "meeting", "Lunch at [red]Casa Lucio[/red]", "--at", "yesterday")
    page = crm.ok("show", "jose", "-f", "table").stdout
    assert "Last contact" in page and "(yesterday)" in page
    assert "Lunch at [red]Casa Lucio[/red]" in page
    assert "Recent history" in page


def test_future_interactions_are_refused(crm, book):
    result = crm("log", "ana", "-t", "meeting", "x", "--at", "tomorrow")
    assert result.exit_code == 1
    assert "is in the future" in result.stderr and "crm follow-up" in result.stderr


def test_unlog_moves_an_interaction_to_the_trash_and_back(crm, book):
    logged = crm.ok("log", "ana", "-t", "call", "Wrong person", "--at", "yesterday").stdout.strip()
    assert crm("unlog", logged).exit_code == 1  # asks; no terminal, so --yes is needed
    crm.ok("unlog", logged, "--yes")
    assert crm.ok("activity", "--type", "call").rows() == []
    assert crm.ok("show", "ana", "--json").json()["last_contacted_at"] is None
    crm.ok("unlog", logged, "--undo")
    assert [r["text"] for r in crm.ok("activity", "--type", "CALL").rows()] == ["Wrong person"]
    assert crm("unlog", "999", "--yes").exit_code == 3


def test_not_contacted_since_takes_a_bare_number_of_days(crm, book):
    crm.ok("log", "ana", "-t", "call", "x", "--at", "40 days ago")
    crm.ok("log", "bo", "-t", "call", "x", "--at", "yesterday")
    assert [r["name"] for r in crm.ok("list", "--not-contacted-since", "30").rows()] == [
        "Ana Lima", "José Núñez"]


def test_since_takes_a_bare_number_of_days_too(crm, book):
    crm.ok("log", "ana", "-t", "call", "old", "--at", "40 days ago")
    crm.ok("log", "ana", "-t", "call", "new", "--at", "2 days ago")
    assert [r["text"] for r in crm.ok("activity", "--since", "30").rows()] == ["new"]


def test_a_future_at_is_refused_in_the_words_typed(crm, book):
    result = crm("log", "ana", "--at", "tomorrow", "x")
    assert result.stderr == ("crm: error: --at 'tomorrow' is in the future; log what happened, "
                             "and plan what comes next with 'crm follow-up'\n")


@pytest.mark.parametrize(("option", "message"), [
    ("--at", "the date is empty; try: today"), ("--duration", "the duration is empty; try 15m")])
def test_log_refuses_an_empty_time_or_duration(crm, option, message):
    """Both were taken as left out: logged now, of no length."""
    crm.add("Ana Lima")
    result = crm("log", "ana", "Call", option, "")
    assert result.exit_code == 1 and result.stderr.startswith(f"crm: error: {message}")
    assert crm.ok("activity", "--json").json() == []
