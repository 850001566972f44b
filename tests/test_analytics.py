"""Relationship health, customer value, value at stake and the call queue on a fixture book
whose every figure is computed by hand below (clock pinned: 2026-06-30 12:00 UTC)."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path

import pytest

from crmcli import activity, analytics, analytics_settings, config, db, stages

TODAY = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
NOW = {"CRM_NOW": TODAY.isoformat()}


def ago(days: float) -> dict:
    """The environment of a command run ``days`` before the pinned now."""
    return {"CRM_NOW": (TODAY - dt.timedelta(days=days)).isoformat()}


def add(crm, name: str, *args: str, days: float = 500) -> int:
    return int(crm.ok("add", name, *args, env=ago(days)).stdout)


def log(crm, contact: int, *days_ago: float, kind: str = "call") -> None:
    for days in days_ago:
        crm.ok("log", str(contact), "talked", "-t", kind, env=ago(days))


def won(crm, contact: int, value: str, currency: str, days: float) -> int:
    deal = int(crm.ok("deal", "add", str(contact), f"Order {value} {currency}", "--value",
                      value, "--currency", currency, env=ago(days + 1)).stdout)
    crm.ok("deal", "won", str(deal), env=ago(days))
    return deal


@pytest.fixture
def book(crm, db_path):
    """Seven contacts, one for each case.

    - Sam (steady): calls 40, 30, 20, 10 days ago: gaps 10, 10, 10, rhythm 10; 10 days since
      <= 1.5 x 10. A campaign mail 1 day ago does not count. Won EUR 1000 (400 days ago),
      EUR 3000 (100 days ago), USD 500 (50 days ago): purchases every 300 then 50 days,
      median 175, at risk after 262.5 days; 50 days since: not at risk.
      Yearly won: EUR 4000 x 365 / 400 = 3650.00; USD 500 (a year at least).
    - Cora (cooling): calls and mail 50, 40, 30, 20 days ago: rhythm 10, 20 days since
      (> 15, <= 30). One won deal, EUR 100, 400 days ago: at risk (> 365 days).
    - Carl (cold): calls 70, 60, 50, 40 days ago: rhythm 10, 40 days since (> 30). Won EUR
      2000 300 and 200 days ago: interval 100, at risk after 150 days; 200 since: at risk,
      50 days beyond. Yearly won: 4000 x 365 / 365 (first purchase 300 days ago, a year at
      least) = 4000.00.
    - Wanda (warming): 1, 3, 6, 10, 30, 50, 70 days ago: gaps 2, 3, 4, 20, 20, 20, median 12;
      the last three (2, 3, 4) are all shorter than 12.
    - Wim (window): 1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 31, 32 days ago: the last 10 give gaps
      1, 1, 1, 1, 5, 5, 5, 5, 5, median 5 (all 12 would give 1); warming.
    - Nell (new): two calls, 5 and 3 days ago: fewer than 3, no cadence.
    - Cid (cadence): one call 20 days ago, cadence 7 days: rhythm 7, 20 > 10.5: cooling.
    - Gil: no history at all: new.
    """
    ids = {name: add(crm, name) for name in ("Sam", "Cora", "Carl", "Wanda", "Wim", "Nell",
                                              "Cid", "Gil")}
    log(crm, ids["Sam"], 40, 30, 20, 10)
    log(crm, ids["Cora"], 50, 40)
    log(crm, ids["Cora"], 30, 20, kind="email")
    log(crm, ids["Carl"], 70, 60, 50, 40)
    log(crm, ids["Wanda"], 70, 50, 30, 10, 6, 3, 1)
    log(crm, ids["Wim"], 32, 31, 30, 25, 20, 15, 10, 5, 4, 3, 2, 1)
    log(crm, ids["Nell"], 5, 3)
    log(crm, ids["Cid"], 20)
    crm.ok("edit", str(ids["Cid"]), "--cadence", "7d", env=ago(20))
    won(crm, ids["Sam"], "1000", "EUR", 400)
    won(crm, ids["Sam"], "3000", "EUR", 100)
    won(crm, ids["Sam"], "500", "USD", 50)
    won(crm, ids["Cora"], "100", "EUR", 400)
    won(crm, ids["Carl"], "2000", "EUR", 300)
    won(crm, ids["Carl"], "2000", "EUR", 200)
    conn = db.connect(db_path)
    with db.transaction(conn):
        activity.log_campaign_mail(conn, ids["Sam"], "2026-06-29T12:00:00Z", "News", "spring",
                                   "<m1@example.com>")
    conn.close()
    return ids


def health_of(crm, *query: str) -> dict[str, dict]:
    return {row["name"]: row for row in crm.ok("health", *query, "--json", env=NOW).json()}


def test_rhythm_and_each_health_state(crm, book):
    found = health_of(crm)
    assert {name: (row["health"], row["rhythm_days"], row["days_since_contact"])
            for name, row in found.items()} == {
        "Sam": ("steady", 10.0, 10.0), "Cora": ("cooling", 10.0, 20.0),
        "Carl": ("cold", 10.0, 40.0), "Wanda": ("warming", 12.0, 1.0),
        "Wim": ("warming", 5.0, 1.0), "Nell": ("new", None, 3.0),
        "Cid": ("cooling", 7.0, 20.0), "Gil": ("new", None, None)}
    assert found["Cid"]["rhythm_from"] == "cadence"
    assert found["Sam"]["rhythm_from"] == "interactions"
    assert found["Sam"]["last_contact"] == "2026-06-20T12:00:00Z"  # not the campaign mail


def test_health_lists_cold_and_cooling_first(crm, book):
    rows = crm.ok("health", env=NOW).rows()
    # within a state, the most days beyond the rhythm first (Cid 13, Cora 10), then by name
    assert [row["name"] for row in rows] == ["Carl", "Cid", "Cora", "Sam", "Wanda", "Wim",
                                             "Gil", "Nell"]
    assert rows[0]["health"] == "cold" and rows[0]["value_at_stake"] == "4000.00 EUR"


def test_value_at_stake_in_two_currencies_and_rates(crm, book, tmp_path):
    sam = health_of(crm, "Sam")["Sam"]
    assert sam["value_at_stake"] == [{"amount": "3650.00", "currency": "EUR"},
                                     {"amount": "500.00", "currency": "USD"}]
    assert sam["ranked_value"] == {"amount": "3650.00", "currency": "EUR"}
    assert sam["unranked_currencies"] == ["USD"]
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[rates]\nUSD = 0.9\n")
    sam = health_of(crm, "Sam")["Sam"]
    assert sam["ranked_value"] == {"amount": "4100.00", "currency": "EUR"}  # 3650 + 450
    assert sam["unranked_currencies"] == []


def test_customer_value_per_currency_and_at_risk(crm, book):
    rows = crm.ok("report", "customers", "--json", env=NOW).json()
    assert [(r["name"], r["currency"]) for r in rows] == [
        ("Carl", "EUR"), ("Cora", "EUR"), ("Sam", "EUR"), ("Sam", "USD")]  # at risk first
    sam = [r for r in rows if r["name"] == "Sam"]
    assert [{key: r[key] for key in ("won_value", "won_deals", "average_deal",
                                     "first_purchase", "last_purchase")} for r in sam] == [
        {"won_value": {"amount": "4000.00", "currency": "EUR"}, "won_deals": 2,
         "average_deal": {"amount": "2000.00", "currency": "EUR"},
         "first_purchase": "2025-05-26", "last_purchase": "2026-03-22"},
        {"won_value": {"amount": "500.00", "currency": "USD"}, "won_deals": 1,
         "average_deal": {"amount": "500.00", "currency": "USD"},
         "first_purchase": "2026-05-11", "last_purchase": "2026-05-11"}]
    assert {r["name"]: (r["at_risk"], r["at_risk_after_days"], r["days_since_purchase"])
            for r in rows} == {"Sam": (False, 262.5, 50), "Cora": (True, 365.0, 400),
                               "Carl": (True, 150.0, 200)}
    totals = crm.ok("report", "customers", "--totals", "--json", env=NOW).json()
    assert totals == [
        {"currency": "EUR", "won_value": {"amount": "8100.00", "currency": "EUR"},
         "won_deals": 5, "average_deal": {"amount": "1620.00", "currency": "EUR"},
         "first_purchase": "2025-05-26", "last_purchase": "2026-03-22", "customers": 3},
        {"currency": "USD", "won_value": {"amount": "500.00", "currency": "USD"},
         "won_deals": 1, "average_deal": {"amount": "500.00", "currency": "USD"},
         "first_purchase": "2026-05-11", "last_purchase": "2026-05-11", "customers": 1}]
    page = crm.ok("report", "customers", "-f", "table", env=NOW).stdout
    assert "at risk" in page and "8,100.00 EUR" in page


def test_customer_value_by_company(crm, book):
    """Sam and Carl work at Acme (Carl's deals came before he joined: a deal's company is its
    own, else its contact's): EUR 4000 + 4000, USD 500; purchases 400, 300, 200, 100 and 50
    days ago: intervals 100, 100, 100, 50, median 100, at risk after 150; 50 since."""
    crm.ok("edit", str(book["Sam"]), "--company", "Acme", env=NOW)
    crm.ok("edit", str(book["Carl"]), "--company", "Acme", env=NOW)
    rows = crm.ok("report", "customers", "--by", "company", "--json", env=NOW).json()
    acme = [r for r in rows if r["name"] == "Acme"]
    assert [(r["currency"], r["won_value"]["amount"], r["won_deals"]) for r in acme] == [
        ("EUR", "8000.00", 4), ("USD", "500.00", 1)]
    assert (acme[0]["at_risk"], acme[0]["at_risk_after_days"]) == (False, 150.0)
    only = crm.ok("report", "customers", "--by", "company", "Sam", "--json", env=NOW).json()
    assert {r["name"] for r in only} == {"Acme"}


def test_call_queue_order_and_commands(crm, book):
    """Carl: cold 30 days beyond, at risk 50 beyond: 50 x (1 + log10(4001)) = 230.11.
    Cora: at risk (400 - 365 = 35 days) and cooling (10 beyond); stake 100 x 365 / 400 = 91.25:
    35 x (1 + log10(92.25)) = 103.77. Cid: cadence 7, 20 days since: 13 x 1 = 13.
    A follow-up overdue 4 days for Gil: 4. One due today for Sam: 1 x (1 + log10(3651)) =
    4.56. Nell's birthday today: 1."""
    crm.ok("follow-up", str(book["Gil"]), "2026-06-26", "Send the brochure", env=ago(10))
    crm.ok("follow-up", str(book["Sam"]), "2026-06-30", "Call back", env=ago(10))
    crm.ok("edit", str(book["Nell"]), "--birthday", "1990-06-30", env=ago(10))
    items = crm.ok("next", "--json", env=NOW).json()
    assert [(i["contact"], i["kind"], i["score"]) for i in items] == [
        ("Carl", "contact", 230.11), ("Cora", "contact", 103.77), ("Cid", "contact", 13.0),
        ("Sam", "follow_up", 4.56), ("Gil", "follow_up", 4.0), ("Nell", "occasion", 1.0)]
    carl = items[0]
    assert carl["command"] == f"crm log {book['Carl']} -t call"
    assert "cold: 40 days since the last contact, rhythm 10 days" in carl["why"]
    assert "customer at risk: last purchase 200 days ago" in carl["why"]
    assert items[3]["command"].startswith("crm done ")
    assert items[3]["why"] == "due today: Call back"
    assert items[4]["why"] == "overdue 4 days: Send the brochure"
    assert items[5]["why"] == "today: birthday (turns 36)"
    assert math.isclose(230.11, 50 * (1 + math.log10(4001)), abs_tol=0.005)
    limited = crm.ok("next", "--limit", "2", env=NOW).rows()
    assert [row["contact"] for row in limited] == ["Carl", "Cora"]
    assert [row["contact"] for row in crm.ok("next", "Cid", env=NOW).rows()] == ["Cid"]


def test_stale_deal_and_passed_close_date_in_the_queue(crm, book):
    """A EUR 10,000 deal in 'lead' (10 %) for Gil, added 30 days ago, closing 5 days ago:
    16 days beyond 14 without activity, close date passed 5 days: urgency 16; weighted
    value 1000: 16 x (1 + log10(1001)) = 64.01."""
    deal = crm.ok("deal", "add", str(book["Gil"]), "Fleet", "--value", "10000", "--stage",
                  "lead", "--probability", "10", "--close", "2026-06-25", env=ago(30)).stdout
    items = crm.ok("next", "Gil", "--json", env=NOW).json()
    assert len(items) == 1
    assert items[0]["kind"] == "deal" and items[0]["score"] == 64.01
    assert items[0]["command"] == f"crm deal move {deal.strip()} qualified"
    assert items[0]["why"] == ("Fleet (lead): close date 2026-06-25 passed 5 days ago; "
                               "Fleet (lead): no activity for 30 days")


def test_unknown_query_term_is_a_clear_error(crm, book):
    for command in ("health", "next"):
        result = crm(command, "colour:blue", env=NOW)
        assert result.exit_code == 1, result.stderr  # as crm list says it
        assert result.stderr.startswith("crm: error:") and "colour" in result.stderr


def test_empty_book_and_contact_without_history(crm):
    for command in (("health",), ("next",), ("report", "customers")):
        assert crm.ok(*command, "--json", env=NOW).json() == []
    gil = add(crm, "Gil")
    assert health_of(crm)["Gil"]["health"] == "new"
    assert crm.ok("next", str(gil), "--json", env=NOW).json() == []


def test_bad_settings_are_named(crm, book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[health]\ncooling = 'fast'\n")
    result = crm("health", env=NOW)
    assert result.exit_code == 1 and "health.cooling must be a number" in result.stderr
    config.write_text("[rates]\nUSD = -1\n")
    assert "rates.USD" in crm("next", env=NOW).stderr
    config.write_text("[rates]\nDOLLARS = 1\n")
    assert "'DOLLARS' is not a currency code" in crm("health", env=NOW).stderr
    config.write_text("[next]\nstale_deal_days = 2.5\n")
    assert "next.stale_deal_days must be a whole number" in crm("next", env=NOW).stderr


def test_huge_whole_number_settings_are_refused_not_crashed_on(crm, book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    for section, key in (("health", "window"), ("next", "stale_deal_days")):
        config.write_text(f"[{section}]\n{key} = 99999999999999999999\n")
        for command in ("health", "next"):
            result = crm(command, env=NOW)
            assert result.exit_code == 1 and result.stderr.count("\n") == 1
            assert f"{section}.{key} must be at most 36600" in result.stderr
    config.write_text("[health]\nwindow = 36600\n")
    assert crm.ok("health", "--json", env=NOW).json()


def test_settings_tune_the_formulas(crm, book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[health]\ncooling = 2.5\ncold = 5\n")
    assert health_of(crm)["Cora"]["health"] == "steady"  # 20 <= 2.5 x 10
    assert health_of(crm)["Carl"]["health"] == "cooling"  # 25 < 40 <= 50


def test_contact_page_shows_the_health_in_one_line(crm, book):
    page = crm.ok("show", str(book["Carl"]), env=NOW).stdout
    assert ("Health        cold: rhythm every 10 days, 40 days since the last contact; "
            "4,000.00 EUR at stake") in page
    assert "Health        new: no history yet" in crm.ok("show", str(book["Gil"]), env=NOW).stdout
    page = crm.ok("show", str(book["Cid"]), env=NOW).stdout
    assert "Health        cooling: rhythm every 7 days (cadence), 20 days since" in page


def test_the_morning_email_starts_with_the_call_queue(crm, book):
    crm.ok("follow-up", str(book["Gil"]), "2026-06-26", "Send the brochure", env=ago(10))
    mail = crm.ok("remind", "--stdout", env=NOW).stdout
    calls = mail.index("Call first (4)")
    assert calls < mail.index("Overdue (1)")
    assert "#1  Carl: cold: 40 days since the last contact, rhythm 10 days" in mail
    assert f"(crm log {book['Carl']} -t call)" in mail


RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 25],
                         ids=lambda p: p.stem)  # books from before migration 25
def test_the_migration_from_every_release_indexes_personal_interactions(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    database = db.connect(path)
    assert database.execute("SELECT 1 FROM sqlite_master WHERE name = 'interactions_personal'"
                            ).fetchone()
    found = analytics.health(database, TODAY, analytics_settings.Settings(),
                             stages.load_pipeline(config.Config(Path("x"), path)))
    count = database.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"
                             ).fetchone()[0]
    assert len(found) == count > 0


def test_activity_report_counts_by_type_and_period(crm, book):
    """Wanda's 7 calls: 70 days ago (21 Apr), 50 (11 May), 30 (31 May), 10 (20 Jun), 6 (24
    Jun), 3 (27 Jun) and 1 (29 Jun); by month: April 1, May 2, June 4. Weeks start on Monday:
    20 Apr, 11 May, 25 May, 15 Jun (the 20th), 22 Jun (the 24th and 27th), 29 Jun."""
    monthly = crm.ok("report", "activity", "Wanda", "--json", env=NOW).json()
    assert monthly == [{"period": "2026-04", "type": "call", "count": 1},
                       {"period": "2026-05", "type": "call", "count": 2},
                       {"period": "2026-06", "type": "call", "count": 4}]
    weekly = crm.ok("report", "activity", "Wanda", "--by", "week", env=NOW).rows()
    assert [(row["period"], row["count"]) for row in weekly] == [
        ("2026-04-20", "1"), ("2026-05-11", "1"), ("2026-05-25", "1"), ("2026-06-15", "1"),
        ("2026-06-22", "2"), ("2026-06-29", "1")]
    cora = crm.ok("report", "activity", "Cora", "--json", env=NOW).json()
    assert cora == [{"period": "2026-05", "type": "call", "count": 2},  # 11 and 21 May
                    {"period": "2026-05", "type": "email", "count": 1},  # 31 May
                    {"period": "2026-06", "type": "email", "count": 1}]  # 10 June
    chart = crm.ok("report", "activity", "Wanda", "-f", "table", env=NOW).stdout
    assert "2026-06" in chart and "████" in chart
    assert crm.ok("report", "activity", "nobody-at-all", "--json", env=NOW).json() == []


def _calls_in_berlin(crm, tmp_path, *moments: str) -> None:
    """A book whose zone is Europe/Berlin, and a call to Eva at each of ``moments``."""
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('timezone = "Europe/Berlin"\n')
    eva = add(crm, "Eva")
    for moment in moments:
        crm.ok("log", str(eva), "talked", "-t", "call", env={"CRM_NOW": moment})


def test_activity_report_periods_follow_summer_time(crm, tmp_path):
    """In Berlin (UTC+1 in winter, +2 in summer; the change on 29 March 2026), calls half an
    hour before and after midnight at two month ends count in their own months, whether the
    window starts in summer (a year before 30 June) or in winter (--since 2025-12-01)."""
    _calls_in_berlin(crm, tmp_path, "2026-01-31T23:30:00+01:00", "2026-02-01T00:30:00+01:00",
                     "2026-05-31T23:30:00+02:00", "2026-06-01T00:30:00+02:00")
    expected = [("2026-01", "1"), ("2026-02", "1"), ("2026-05", "1"), ("2026-06", "1")]
    for since in ([], ["--since", "2025-12-01"]):
        rows = crm.ok("report", "activity", *since, env=NOW).rows()
        assert [(row["period"], row["count"]) for row in rows] == expected, since


def test_activity_report_weeks_follow_both_summer_time_changes(crm, tmp_path):
    """Berlin moves to summer time on Sunday 29 March 2026 and back on Sunday 25 October:
    calls half an hour before and after each following Monday's midnight count in their own
    weeks, whether the window starts a year back, on 1 March or on the day of the change."""
    _calls_in_berlin(crm, tmp_path, "2026-03-29T23:30:00+02:00", "2026-03-30T00:30:00+02:00",
                     "2026-10-25T23:30:00+01:00", "2026-10-26T00:30:00+01:00")
    expected = [("2026-03-23", "1"), ("2026-03-30", "1"), ("2026-10-19", "1"),
                ("2026-10-26", "1")]
    pinned = {"CRM_NOW": "2026-11-30T12:00:00+01:00"}
    for since in ([], ["--since", "2026-03-01"], ["--since", "2026-03-29"]):
        rows = crm.ok("report", "activity", "--by", "week", *since, env=pinned).rows()
        assert [(row["period"], row["count"]) for row in rows] == expected, since


def test_campaign_mail_counts_when_the_config_says_so(crm, book, tmp_path):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[campaigns]\ncounts_as_contact = true\n")
    sam = health_of(crm, "Sam")["Sam"]
    assert (sam["last_contact"], sam["days_since_contact"]) == ("2026-06-29T12:00:00Z", 1.0)


def test_tag_cadence_stands_in_for_the_rhythm(crm, book, tmp_path):
    """Nell (two calls, 5 and 3 days ago) tagged vip, [cadence] vip = 1d: rhythm 1 day, 3
    days since: cooling (> 1.5, not > 3); in the queue 3 - 1 = 2 days past her cadence."""
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[cadence]\nvip = "1d"\n')
    crm.ok("tag", str(book["Nell"]), "vip", env=NOW)
    nell = health_of(crm, "Nell")["Nell"]
    assert (nell["health"], nell["rhythm_days"], nell["rhythm_from"]) == (
        "cooling", 1.0, "cadence")
    items = crm.ok("next", "Nell", "--json", env=NOW).json()
    assert [(i["why"], i["urgency_days"], i["score"]) for i in items] == [
        ("keep in touch every 1 day: last contact 3 days ago", 2, 2.0)]


def test_a_won_deal_of_a_forgotten_contact_is_no_customer(crm):
    ana, bo = add(crm, "Ana Lima"), add(crm, "Bo Chen")
    won(crm, ana, "100", "EUR", 10)
    won(crm, bo, "50", "EUR", 10)
    crm.ok("forget", str(bo), "--yes", env=NOW)
    customers = crm.ok("report", "customers", "--json", env=NOW).json()
    assert [customer["name"] for customer in customers] == ["Ana Lima"]
    assert crm.ok("next", "--json", env=NOW).json() == []


def test_a_close_date_passed_yesterday_is_one_day_ago(crm, book):
    crm.ok("deal", "add", str(book["Gil"]), "Fleet", "--value", "100", "--close", "2026-06-29",
           env=NOW)
    items = crm.ok("next", "Gil", "--json", env=NOW).json()
    assert items[0]["why"] == "Fleet (lead): close date 2026-06-29 passed 1 day ago"
