"""crm pipeline, crm forecast and crm report on a book whose history is dated in the past."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from crmcli import db, deals, reports, stages
from crmcli.config import Config
from crmcli.models import Deal

UTC = dt.UTC
PIPELINE = stages.load_pipeline(Config(Path("config.toml"), Path("crm.db")))
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # every run of the book is pinned here
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def book(crm, db_path):
    """Open deals in EUR and USD (one overdue, one undated, one without a value), won and
    lost deals over the past months, and one won long ago."""
    jose = crm.add("José Núñez", "-c", "Iberia Logistics", "-t", "vip")
    ana = crm.add("Ana Lima", "-c", "Atlântico Foods")
    conn = db.connect(db_path)
    conn.now = now = NOW
    company = dict(conn.execute("SELECT id, company_id FROM contacts"))

    def make(title, contact, currency, amount, path, close=None, probability=None):
        (first, created), *moves = path
        deal = deals.create(conn, PIPELINE, Deal(
            title=title, currency=currency, stage=first, contact_id=contact,
            company_id=company[contact], amount_minor=amount, close_on=close,
            probability=probability), at=now - dt.timedelta(days=created))
        for stage, ago in moves:
            at = now - dt.timedelta(days=ago)
            if stage == "won":
                deal = deals.win(conn, deal, at)
            elif stage == "lost":
                deal = deals.lose(conn, deal, "Too expensive", at)
            else:
                deal = deals.move(conn, PIPELINE, deal, stage, at)
        return deal.id

    ids = {
        "fleet": make("Fleet renewal", jose, "EUR", 100_000,
                      [("lead", 30), ("qualified", 20), ("proposal", 5)], close=days(10)),
        "pilot": make("Pilot", ana, "EUR", 333, [("lead", 20), ("proposal", 3)],
                      close=days(40)),
        "addon": make("Add-on", ana, "USD", 25_000, [("lead", 10), ("proposal", 2)],
                      close=days(70)),
        "expansion": make("US expansion", ana, "USD", 300_000,
                          [("lead", 60), ("negotiation", 45)], close=days(-5), probability=60),
        "novalue": make("No value yet", jose, "EUR", None, [("lead", 50)]),
        "big": make("Won big", jose, "EUR", 1_000_000,
                    [("lead", 100), ("proposal", 70), ("won", 40)], close=days(-40)),
        "small": make("Won small", ana, "EUR", 200_001, [("lead", 50), ("won", 10)]),
        "us": make("Won US", ana, "USD", 50_000,
                   [("lead", 30), ("negotiation", 25), ("won", 20)]),
        "lost": make("Lost one", jose, "EUR", 70_000,
                     [("lead", 60), ("qualified", 40), ("lost", 20)]),
        "ancient": make("Ancient win", jose, "EUR", 9_900_000, [("lead", 500), ("won", 400)]),
    }
    conn.close()
    return ids


# ---------------------------------------------------------------------------------- pipeline


def test_pipeline_totals_per_stage_never_add_currencies(crm, book):
    rows = crm.ok("pipeline", "-f", "tsv").rows()
    assert rows == [
        {"stage": "lead", "probability": "10", "count": "1", "totals": "",
         "weighted_totals": ""},
        {"stage": "qualified", "probability": "25", "count": "0", "totals": "",
         "weighted_totals": ""},
        {"stage": "proposal", "probability": "50", "count": "3",
         "totals": "1003.33 EUR, 250.00 USD", "weighted_totals": "501.66 EUR, 125.00 USD"},
        {"stage": "negotiation", "probability": "75", "count": "1", "totals": "3000.00 USD",
         "weighted_totals": "1800.00 USD"},
    ]


def test_pipeline_totals_contract(book, db_path):
    conn = db.connect(db_path)
    config = Config(Path("config.toml"), Path("crm.db"))
    proposal = reports.stage_totals(conn, stages.load_pipeline(config))[2]
    conn.close()
    assert proposal == {
        "stage": "proposal", "probability": 50, "in_config": True, "count": 3,
        "totals": [{"amount": "1003.33", "currency": "EUR"},
                   {"amount": "250.00", "currency": "USD"}],
        # each deal is rounded down first: 1000.00 * 50% + 3.33 * 50% = 500.00 + 1.66
        "weighted_totals": [{"amount": "501.66", "currency": "EUR"},
                            {"amount": "125.00", "currency": "USD"}]}


def test_pipeline_json_has_each_stage_with_its_deals(crm, book):
    columns = crm.ok("pipeline", "--json").json()
    assert [c["stage"] for c in columns] == ["lead", "qualified", "proposal", "negotiation"]
    assert [d["title"] for d in columns[2]["deals"]] == ["Fleet renewal", "Pilot", "Add-on"]
    assert columns[3]["deals"][0]["weighted_value"] == {"amount": "1800.00", "currency": "USD"}


def test_pipeline_board_on_a_terminal(crm, book):
    board = crm.ok("pipeline", "-f", "table").stdout
    for text in ("lead 10%", "proposal 50%", "negotiation 75%", "Fleet renewal", "José Núñez",
                 "3,000.00 USD", f"{days(-5)} overdue", "3 deals", "1,003.33 EUR",
                 "≈ 501.66 EUR", "≈ 125.00 USD", "no date", "no value",
                 "≈ weighted by probability"):
        assert text in board, text
    assert "Won big" not in board
    assert "3 deals · 2 more" in crm.ok("pipeline", "-f", "table", "--cards", "1").stdout


def test_pipeline_board_follows_the_decimal_setting(crm, book, tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('decimal = ","\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    assert "1.003,33 EUR" in crm.ok("pipeline", "-f", "table").stdout
    assert "1003.33 EUR" in crm.ok("pipeline", "-f", "tsv").stdout  # data stays plain


def test_pipeline_filters(crm, book):
    def titles(*args):
        return sorted(d["title"] for c in crm.ok("pipeline", "--json", *args).json()
                      for d in c["deals"])

    assert titles("--tag", "vip") == ["Fleet renewal", "No value yet"]
    assert titles("--company", "atlantico") == ["Add-on", "Pilot", "US expansion"]
    assert titles("--closing-within", "15d") == ["Fleet renewal", "US expansion"]
    assert titles("--closing-within", "2m") == ["Fleet renewal", "Pilot", "US expansion"]
    counts = [r["count"] for r in crm.ok("pipeline", "--tag", "vip", "-f", "tsv").rows()]
    assert counts == ["1", "0", "1", "0"]


def test_pipeline_shows_deals_in_stages_config_dropped(crm, book, tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text(textwrap.dedent("""
        [[pipeline.stages]]
        name = "lead"
        probability = 10
        [[pipeline.stages]]
        name = "negotiation"
        probability = 80
    """))
    monkeypatch.setenv("CRM_CONFIG", str(config))
    result = crm.ok("pipeline", "-f", "tsv")
    assert "3 deal(s) are in stage 'proposal', which config.toml no longer lists" in result.stderr
    assert [(r["stage"], r["probability"], r["count"]) for r in result.rows()] == [
        ("lead", "10", "1"), ("negotiation", "80", "1"), ("proposal", "", "3")]
    assert "proposal (not in config)" in crm.ok("pipeline", "-f", "table").stdout


# ---------------------------------------------------------------------------------- forecast


def _period(day: str, by: str) -> str:
    if by == "month":
        return day[:7]
    return f"{day[:4]}-Q{(int(day[5:7]) + 2) // 3}"


@pytest.mark.parametrize("by", ["month", "quarter"])
def test_forecast_by_period_and_currency(crm, book, by):
    expected: dict[tuple[str, str], list[int]] = {("overdue", "USD"): [1, 180_000, 300_000],
                                                  ("undated", "EUR"): [1, 0, 0]}
    for close, currency, weighted, best in ((days(10), "EUR", 50_000, 100_000),
                                            (days(40), "EUR", 166, 333),
                                            (days(70), "USD", 12_500, 25_000)):
        entry = expected.setdefault((_period(close, by), currency), [0, 0, 0])
        entry[0] += 1
        entry[1] += weighted
        entry[2] += best
    rows = crm.ok("forecast", "--by", by, "--json").json()
    periods = [(r["period"], r["currency"]) for r in rows]
    assert periods[0] == ("overdue", "USD") and periods[-1] == ("undated", "EUR")
    assert periods[1:-1] == sorted(periods[1:-1])
    got = {(r["period"], r["currency"]): [r["count"], r["weighted"]["amount"],
                                          r["best_case"]["amount"]] for r in rows}
    assert got == {key: [count, f"{w // 100}.{w % 100:02d}", f"{b // 100}.{b % 100:02d}"]
                   for key, (count, w, b) in expected.items()}


def test_forecast_chart_and_tsv(crm, book):
    chart = crm.ok("forecast", "-f", "table").stdout
    assert "Forecast in EUR" in chart and "Forecast in USD" in chart
    assert "overdue" in chart and "1,800.00 USD" in chart and "█" in chart and "░" in chart
    rows = crm.ok("forecast").rows()
    assert list(rows[0]) == ["period", "currency", "count", "weighted", "best_case"]
    assert rows[0] == {"period": "overdue", "currency": "USD", "count": "1",
                       "weighted": "1800.00 USD", "best_case": "3000.00 USD"}


# ------------------------------------------------------------------------------------ report


def test_report_figures(crm, book):
    figures = crm.ok("report", "--json").json()
    assert (figures["won"], figures["lost"], figures["win_rate"]) == (3, 1, 75.0)
    assert figures["won_value"] == [{"amount": "12000.01", "currency": "EUR"},
                                    {"amount": "500.00", "currency": "USD"}]
    # (10,000.00 + 2,000.01) / 2 = 6,000.005, rounded half up to a whole cent
    assert figures["average_deal_size"] == [{"amount": "6000.01", "currency": "EUR"},
                                            {"amount": "500.00", "currency": "USD"}]
    assert figures["average_cycle_days"] == 36.7  # (60 + 40 + 10) / 3
    assert [(c["from_stage"], c["to_stage"], c["reached"], c["advanced"], c["rate"])
            for c in figures["conversion"]] == [
        ("lead", "qualified", 9, 8, 88.9), ("qualified", "proposal", 8, 7, 87.5),
        ("proposal", "negotiation", 7, 4, 57.1), ("negotiation", "won", 4, 3, 75.0)]
    assert (figures["stuck_days"], figures["stuck_count"]) == (30, 2)
    assert [(s["title"], s["stage"], s["days"]) for s in figures["stuck"]] == [
        ("No value yet", "lead", 50), ("US expansion", "negotiation", 45)]
    assert [(c["customer"], c["deals"], c["won_value"]["amount"], c["won_value"]["currency"])
            for c in figures["top_customers"]] == [
        ("Iberia Logistics", 1, "10000.00", "EUR"), ("Atlântico Foods", 1, "2000.01", "EUR"),
        ("Atlântico Foods", 1, "500.00", "USD")]


def test_report_window_and_options(crm, book):
    figures = crm.ok("report", "--since", "-15d", "--stuck-days", "48", "--top", "1",
                     "--json").json()
    assert (figures["won"], figures["lost"], figures["win_rate"]) == (1, 0, 100.0)
    assert figures["average_cycle_days"] == 40.0
    # only the Add-on was created in the window; it went from lead straight to proposal
    assert [(c["reached"], c["rate"]) for c in figures["conversion"]] == [
        (1, 100.0), (1, 100.0), (1, 0.0), (0, None)]
    assert (figures["stuck_count"], len(figures["stuck"])) == (1, 1)
    assert [c["customer"] for c in figures["top_customers"]] == ["Atlântico Foods"]
    everything = crm.ok("report", "--since", "2000-01-01", "--json").json()
    assert everything["won"] == 4


def test_report_lines_when_piped(crm, book):
    rows = crm.ok("report", "-f", "tsv").rows()
    assert list(rows[0]) == ["section", "item", "value"]
    lines = {(r["section"], r["item"]): r["value"] for r in rows}
    assert lines[("summary", "win_rate")] == "75.0"
    assert lines[("average_deal_size", "EUR")] == "6000.01"
    assert lines[("conversion", "lead->qualified")] == "88.9"
    assert lines[("top_customers", "Iberia Logistics")] == "10000.00 EUR"
    assert ("stuck", str(book["novalue"])) in lines


def test_report_on_a_terminal(crm, book):
    page = crm.ok("report", "-f", "table").stdout
    for text in ("Win rate", "75.0%", "3 won, 1 lost", "12,000.01 EUR", "6,000.01 EUR",
                 "36.7 days (created → won)", "Stage to stage", "88.9%",
                 "2 deals in their stage longer than 30 days", "US expansion",
                 "Top customers by won value", "Iberia Logistics", "█"):
        assert text in page, text


def test_empty_book(crm):
    assert "No open deals" in crm.ok("pipeline", "-f", "table").stdout
    assert "No open deals to forecast" in crm.ok("forecast", "-f", "table").stdout
    page = crm.ok("report", "-f", "table").stdout
    assert "no deals closed" in page and "No won deals in the window" in page
    assert "No open deal has been in its stage longer than 30 days" in page
    figures = crm.ok("report", "--json").json()
    assert (figures["win_rate"], figures["average_cycle_days"], figures["won_value"]) == (
        None, None, [])
    assert crm.ok("forecast", "--json").json() == []


def test_totals_past_the_limit_of_one_deal_are_shown(crm):
    """Each deal is under the limit of a value (10**15 minor units); their total is not."""
    crm.add("Min-jun Kim")
    for title in ("Plant", "Fleet"):
        crm.ok("deal", "add", "kim", title, "--value", "600000000000000", "--currency", "KRW")
    total = "1,200,000,000,000,000 KRW"
    assert f"2 deals, {total}" in crm.ok("pipeline").stdout
    assert total in crm.ok("dashboard").stdout
    assert total in crm.ok("forecast", "-f", "table").stdout
    for title in ("Plant", "Fleet"):
        crm.ok("deal", "won", title)
    assert f"Won value          {total}" in crm.ok("report").stdout
    assert "1,200,000,000,000,000" in crm.ok("report", "customers", "-f", "table").stdout
