"""Overdue service cases wherever the day is planned: crm due, the dashboard, the morning
email (a real SMTP server), the contact's and company's pages and timelines, and the query
terms case:open and case:overdue."""

from __future__ import annotations

import pytest
from test_remind import _smtp_lines, configure, smtp_server  # noqa: F401 (fixtures)

MON, WED = "2026-11-23T10:00:00+00:00", "2026-11-25T10:00:00+00:00"


@pytest.fixture
def book(crm, monkeypatch):
    """On Wednesday: Ana's case is overdue since Tuesday, Bo's waits on him, Globex's own
    case is due on Friday, and Ana's older one is resolved."""
    monkeypatch.setenv("CRM_NOW", MON)
    crm.add("Ana Lima", "-c", "Atlântico Foods")
    crm.add("Bo Chen", "-c", "Globex")
    crm.ok("case", "open", "ana", "Late delivery of order 4711", "--due", "tue 12:00")
    crm.ok("case", "open", "bo", "Broken sensor", "--due", "tue")
    crm.ok("case", "wait", "2")
    crm.ok("case", "open", "--company", "globex", "Wrong invoice", "--due", "fri")
    crm.ok("case", "open", "ana", "Question about the SLA")
    crm.ok("case", "resolve", "4", "Sent the SLA")
    monkeypatch.setenv("CRM_NOW", WED)
    return crm


def test_due_lists_overdue_cases_first(book):
    rows = book.ok("due", "--json").json()
    cases = [row for row in rows if row["kind"] == "case"]
    assert [(r["section"], r["id"], r["contact"], r["text"], r["when"], r["due_at"])
            for r in cases] == [("cases", 1, "Ana Lima", "Late delivery of order 4711",
                                 "2026-11-24T12:00+00:00", "2026-11-24T12:00:00Z")]
    assert rows[0]["kind"] == "case"
    assert [r["id"] for r in book.ok("due", "--overdue", "--json").json()] == [1]
    assert [(r["section"], r["text"]) for r in book.ok("due").rows()] == [
        ("cases", "Late delivery of order 4711")]


def test_the_dashboard_shows_overdue_cases(book):
    agenda = book.ok("dashboard", "--json").json()["agenda"]
    assert [(r["section"], r["id"]) for r in agenda if r["kind"] == "case"] == [("cases", 1)]
    page = book.ok().stdout
    assert "Overdue cases (1)" in page and "Late delivery of order 4711" in page


def test_the_morning_email_tells_overdue_cases_once(book, smtp_server, configure):  # noqa: F811
    configure(_smtp_lines(smtp_server.port))
    book.ok("remind")
    [message] = smtp_server.messages()
    assert message["Subject"].startswith("crm: 1 overdue case (")
    text = message.get_body(("plain",)).get_content()
    assert "Overdue cases (1)" in text
    assert ("yesterday 12:00  Ana Lima (Atlântico Foods): Late delivery of order 4711 "
            "(crm case show 1)") in text
    assert "Broken sensor" not in text  # waiting: its clock is paused
    assert "Late delivery of order 4711" in message.get_body(("html",)).get_content()
    book.ok("remind")
    assert len(smtp_server.envelopes) == 1  # told once


def test_the_contact_and_company_pages_list_their_cases(book):
    ana = book.ok("show", "ana", "--json").json()
    assert [(c["id"], c["overdue"]) for c in ana["open_cases"]] == [(1, True)]
    globex = book.ok("company", "show", "globex", "--json").json()
    assert [(c["id"], c["status"]) for c in globex["open_cases"]] == [(2, "waiting"), (3, "open")]
    page = book.ok("show", "ana").stdout
    assert "Open cases" in page and "Late delivery of order 4711" in page and "overdue" in page


def test_cases_are_in_the_contacts_timeline(book):
    history = book.ok("show", "ana", "--json").json()["history"]
    assert [e["text"] for e in history if e["type"] == "case"] == [
        "case #4 resolved: Question about the SLA - Sent the SLA",
        "case #4 opened: Question about the SLA",
        "case #1 opened: Late delivery of order 4711"]
    company = book.ok("activity", "--company", "globex", "--type", "case", "--json").json()
    assert [e["text"] for e in company] == ["case #2 waiting: Broken sensor",
                                            "case #2 opened: Broken sensor"]


@pytest.mark.parametrize("query, names", [
    ("case:open", ["Ana Lima", "Bo Chen"]), ("case:overdue", ["Ana Lima"]),
    ("case:waiting", ["Bo Chen"]), ("case:resolved", ["Ana Lima"]),
    ("-case:overdue", ["Bo Chen"]),
])
def test_query_terms(book, query, names):
    assert [c["name"] for c in book.ok("list", query, "--json").json()] == names


def test_next_ranks_overdue_cases_with_the_customers_value(book):
    book.ok("case", "open", "bo", "Missing manual", "--due", "tue 12:00", env={"CRM_NOW": MON})
    book.ok("deal", "add", "ana", "Fleet renewal", "--value", "48000", env={"CRM_NOW": MON})
    queue = [row for row in book.ok("next", "--json").json() if row["kind"] == "case"]
    assert [(r["id"], r["contact"], r["company"], r["command"]) for r in queue] == [
        (1, "Ana Lima", "Atlântico Foods", "crm case resolve 1"),
        (5, "Bo Chen", "Globex", "crm case resolve 5")]
    assert queue[0]["score"] > queue[1]["score"] == 1.0  # a day late at most; Bo has no deal
    assert queue[0]["why"] == ("case overdue since 2026-11-24 12:00 (normal): Late delivery of "
                               "order 4711")
    assert [r["id"] for r in book.ok("next", "bo", "--json").json() if r["kind"] == "case"] \
        == [5]
