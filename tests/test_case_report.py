"""``crm report cases`` on a book whose figures were worked out by hand."""

from __future__ import annotations

import pytest

NOW = "2026-11-20T12:00:00+00:00"


def on(crm, moment: str, *args: str) -> None:
    crm.ok(*args, env={"CRM_NOW": f"2026-{moment}:00+00:00"})


@pytest.fixture
def book(crm):
    """Six cases; from 1 November: responses after 1, 3, 2 and 8 hours (median 2.5),
    resolutions after 4, 24, 48 and 312 hours (median 36); case 4 is overdue."""
    crm.add("Ana Lima", "-c", "Atlântico Foods")
    crm.add("Bo Chen", "-c", "Globex")
    on(crm, "10-20T09:00", "case", "open", "--company", "globex", "Old invoice", "--priority",
       "low")                                                                       # 5 -> 1
    on(crm, "11-02T09:00", "case", "open", "ana", "Outage", "--priority", "urgent")  # 1 -> 2
    on(crm, "11-02T09:00", "case", "resolve", "1", "Credit note")                    # 312 h
    on(crm, "11-02T10:00", "case", "note", "2", "Looking")                           # 1 h
    on(crm, "11-02T13:00", "case", "resolve", "2", "Fixed")                          # 4 h
    on(crm, "11-03T09:00", "case", "open", "ana", "Late delivery")                   # 3
    on(crm, "11-03T12:00", "case", "note", "3", "Asked the warehouse")               # 3 h
    on(crm, "11-04T09:00", "case", "resolve", "3")                                   # 24 h
    on(crm, "11-05T09:00", "case", "open", "bo", "Broken sensor")                    # 4
    on(crm, "11-05T11:00", "case", "wait", "4")                                      # 2 h
    on(crm, "11-06T09:00", "case", "reopen", "4")
    on(crm, "11-07T09:00", "case", "resolve", "4")                                   # 48 h
    on(crm, "11-10T09:00", "case", "open", "bo", "SSO question", "--priority", "high",
       "--due", "2026-11-11 09:00")                                                  # 5
    on(crm, "11-12T09:00", "case", "open", "bo", "Manual", "--priority", "low")      # 6
    on(crm, "11-12T17:00", "case", "note", "6", "Sent a link")                       # 8 h
    return crm


def report(crm) -> list[dict]:
    return crm.ok("report", "cases", "--since", "2026-11-01", "--json",
                  env={"CRM_NOW": NOW}).json()


def figures(row: dict) -> tuple:
    return (row["opened"], row["resolved"], row["overdue_now"],
            row["median_first_response_hours"], row["median_resolution_hours"])


def test_the_totals_and_medians(book):
    rows = report(book)
    assert (rows[0]["group"], figures(rows[0])) == ("all", (5, 4, 1, 2.5, 36.0))


def test_the_help_example_reads_the_row_of_all_cases(book):
    """The JSON is a list of rows, the first of them all cases: jq must index it."""
    help_text = book.ok("report", "cases", "--help").stdout
    assert "jq '.[0].median_resolution_hours'" in help_text
    assert report(book)[0]["median_resolution_hours"] == 36.0


def test_by_priority(book):
    by_priority = {row["name"]: figures(row) for row in report(book) if row["group"] == "priority"}
    assert by_priority == {"low": (1, 1, 0, 8.0, 312.0), "normal": (2, 2, 0, 2.5, 36.0),
                           "high": (1, 0, 1, None, None), "urgent": (1, 1, 0, 1.0, 4.0)}


def test_by_company_most_opened_first(book):
    by_company = [(row["name"], figures(row)) for row in report(book)
                  if row["group"] == "company"]
    assert by_company == [("Globex", (3, 2, 1, 5.0, 180.0)),
                          ("Atlântico Foods", (2, 2, 0, 2.0, 14.0))]


def test_piped_it_is_rows_and_on_a_terminal_bars(book):
    from rich.console import Console

    from crmcli import case_reports, db
    from crmcli.dates import parse_stamp
    from crmcli.views.cases import report_view

    piped = book.ok("report", "cases", "--since", "2026-11-01", env={"CRM_NOW": NOW}).rows()
    assert [(r["group"], r["name"], r["opened"]) for r in piped][:2] == [
        ("all", "all", "5"), ("priority", "low", "1")]
    found = case_reports.report(db.connect(book.db_path), parse_stamp("2026-11-01T00:00:00Z"),
                                parse_stamp(NOW.replace("+00:00", "Z")))
    console = Console(width=120, record=True)
    console.print(report_view(found))
    text = console.export_text()
    assert "Median resolution      36.0 h" in text
    globex = next(line for line in text.splitlines() if line.strip().startswith("Globex"))
    assert "█" * 24 in globex  # the most opened: a full bar


def test_on_a_terminal_of_80_columns_the_bars_give_way_not_the_names(book):
    from rich.console import Console

    from crmcli import case_reports, db
    from crmcli.dates import parse_stamp
    from crmcli.views.cases import report_view

    found = case_reports.report(db.connect(book.db_path), parse_stamp("2026-11-01T00:00:00Z"),
                                parse_stamp(NOW.replace("+00:00", "Z")))
    console = Console(width=80, record=True)
    console.print(report_view(found))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    names = [line.split()[0] for line in lines if line.strip().startswith(
        ("low", "normal", "high", "urgent", "Globex", "Atlântico"))]
    assert names == ["low", "normal", "high", "urgent", "Globex", "Atlântico"]
    assert any("Atlântico Foods" in line for line in lines)
    headers = [line.split() for line in lines if "1st response" in line]
    assert headers == [["Opened", "Resolved", "Overdue", "1st", "response", "Resolution"]] * 2
