"""Deals through the CLI and the domain: add, list, show, edit, rm, move, won, lost, reopen,
stage configuration and maintenance, and the functions other pages call."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from crmcli import db, deals, reports, stages
from crmcli.config import Config
from crmcli.errors import ConfigError, InvalidInput
from crmcli.models import Deal, StageChange

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # every CLI run and stamp is pinned here
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write config.toml (dedented) and point crm at it."""
    def write(text: str):
        path = tmp_path / "config.toml"
        path.write_text(textwrap.dedent(text))
        monkeypatch.setenv("CRM_CONFIG", str(path))
        return path
    return write


@pytest.fixture
def people(crm):
    return {"jose": crm.add("José Núñez", "-c", "Iberia Logistics", "-t", "vip"),
            "ana": crm.add("Ana Lima", "-c", "Atlântico Foods", "-t", "lead")}


@pytest.fixture
def conn(db_path, people):
    connection = db.connect(db_path)
    connection.now = NOW
    yield connection
    connection.close()


def add_deal(crm, *args: str) -> int:
    return int(crm.ok("deal", "add", *args).stdout)


def record(crm, deal_id: int) -> dict:
    return crm.ok("deal", "show", str(deal_id), "--json").json()


PIPELINE = stages.load_pipeline(Config(Path("config.toml"), Path("crm.db")))


def ago(**delta) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


# ------------------------------------------------------------------------------------- add


def test_add_prints_the_id_and_stores_every_field(crm, people):
    assert crm.ok("deal", "add", "jose", "Fleet renewal", "--value", "48,000.50", "--stage",
                  "qualified", "--close", "2030-12-01", "--probability", "40%").stdout == "1\n"
    deal = record(crm, 1)
    assert {key: deal[key] for key in ("id", "title", "contact_id", "contact", "company",
                                       "stage", "status", "value", "probability",
                                       "probability_is_default", "weighted_value", "close_on",
                                       "closed_at")} == {
        "id": 1, "title": "Fleet renewal", "contact_id": people["jose"], "contact": "José Núñez",
        "company": "Iberia Logistics", "stage": "qualified", "status": "open",
        "value": {"amount": "48000.50", "currency": "EUR"}, "probability": 40,
        "probability_is_default": False,
        "weighted_value": {"amount": "19200.20", "currency": "EUR"},
        "close_on": "2030-12-01", "closed_at": None}
    assert [(h["from_stage"], h["to_stage"]) for h in deal["history"]] == [(None, "qualified")]


def test_add_defaults_first_stage_config_currency_and_stage_probability(crm, people, config):
    config('currency = "usd"\n')
    deal_id = add_deal(crm, "ana", "Pilot", "--value", "9500")
    deal = record(crm, deal_id)
    assert (deal["stage"], deal["probability"], deal["probability_is_default"]) == (
        "lead", 10, True)
    assert deal["value"] == {"amount": "9500.00", "currency": "USD"}
    assert deal["weighted_value"] == {"amount": "950.00", "currency": "USD"}


def test_values_follow_the_decimal_setting(crm, people, config):
    config('decimal = ","\n')
    first = add_deal(crm, "ana", "Pilot", "--value", "12.500,50")
    assert record(crm, first)["value"]["amount"] == "12500.50"
    second = add_deal(crm, "ana", "Small", "--value", "12.500")
    assert record(crm, second)["value"]["amount"] == "12500.00"
    refused = crm("deal", "add", "ana", "Odd", "--value", "12.50")
    assert refused.exit_code == 1
    assert "'12.50' is ambiguous" in refused.stderr
    assert "write 12,50" in refused.stderr


def test_ambiguous_negative_and_bad_values_are_refused(crm, people):
    for value, message in (("12,50", "is ambiguous"), ("-5", "cannot be negative"),
                           ("ten", "is not an amount"), ("1.999", "EUR has 2 decimals")):
        result = crm("deal", "add", "jose", "X", "--value", value)
        assert result.exit_code == 1
        assert result.stderr.startswith("crm: error: ")
        assert message in result.stderr
    assert crm.ok("deal", "list", "--status", "all").rows() == []


def test_currencies_keep_their_own_minor_units(crm, people):
    deal_id = add_deal(crm, "jose", "Licence", "--value", "1,800,000", "--currency", "jpy")
    assert record(crm, deal_id)["value"] == {"amount": "1800000", "currency": "JPY"}
    refused = crm("deal", "add", "jose", "Licence", "--value", "10.5", "--currency", "JPY")
    assert "JPY has no decimals" in refused.stderr
    assert "not an ISO 4217 currency code" in crm("deal", "add", "jose", "X", "--currency",
                                                   "euro").stderr


def test_add_company_defaults_to_the_contacts_and_can_be_named_or_created(crm, people):
    own = record(crm, add_deal(crm, "ana", "A"))
    named = record(crm, add_deal(crm, "ana", "B", "--company", "iberia"))
    created = crm.ok("deal", "add", "ana", "C", "--company", "Nordlys AS")
    assert (own["company"], named["company"]) == ("Atlântico Foods", "Iberia Logistics")
    assert "added company" in created.stderr
    assert record(crm, int(created.stdout))["company"] == "Nordlys AS"


def test_add_errors(crm, people):
    assert crm("deal", "add", "nobody", "X").exit_code == 3
    bad_stage = crm("deal", "add", "jose", "X", "--stage", "dreaming")
    assert bad_stage.exit_code == 1
    assert "no stage 'dreaming'; the stages are lead, qualified, proposal, negotiation, won, " \
           "lost" in bad_stage.stderr
    assert "probability '150'" in crm("deal", "add", "jose", "X", "--probability", "150").stderr
    assert "needs a title" in crm("deal", "add", "jose", "  ").stderr
    assert "not a date" in crm("deal", "add", "jose", "X", "--close", "someday").stderr


def test_close_dates_use_the_date_language(crm, people, config):
    config('date_order = "MDY"\n')
    deal_id = add_deal(crm, "jose", "X", "--close", "12/25/2030")
    assert record(crm, deal_id)["close_on"] == "2030-12-25"
    relative = record(crm, add_deal(crm, "jose", "Y", "--close", "+10d"))
    assert relative["close_on"] == (TODAY + dt.timedelta(days=10)).isoformat()


# ------------------------------------------------------------------------------ list, show


def test_list_filters(crm, people):
    soon = (TODAY + dt.timedelta(days=5)).isoformat()
    later = (TODAY + dt.timedelta(days=90)).isoformat()
    add_deal(crm, "jose", "Renewal", "--close", later, "--value", "100")
    add_deal(crm, "ana", "Pilot", "--close", soon, "--stage", "proposal")
    won = add_deal(crm, "ana", "Old win")
    crm.ok("deal", "won", str(won))

    def titles(*args):
        return [row["title"] for row in crm.ok("deal", "list", *args).rows()]

    assert titles() == ["Pilot", "Renewal"]  # soonest close first
    assert titles("--status", "won") == ["Old win"]
    assert titles("--status", "all") == ["Pilot", "Renewal", "Old win"]
    assert titles("--status", "closed") == ["Old win"]
    assert titles("--stage", "proposal") == ["Pilot"]
    assert titles("--stage", "won") == ["Old win"]
    assert titles("--stage", "won", "--status", "open") == []
    assert titles("--company", "iberia") == ["Renewal"]
    assert titles("--contact", "ana") == ["Pilot"]
    assert titles("--tag", "VIP") == ["Renewal"]
    assert titles("--closing-within", "30d") == ["Pilot"]
    assert titles("--closing-within", "120") == ["Pilot", "Renewal"]
    assert titles("--limit", "1") == ["Pilot"]
    assert "looks back" in crm("deal", "list", "--closing-within", "-3d").stderr
    rows = crm.ok("deal", "list").rows()
    assert list(rows[0]) == ["id", "title", "contact", "company", "stage", "value",
                             "probability", "close_on"]
    assert rows[1]["value"] == "100.00 EUR"


def test_list_csv_and_jsonl(crm, people):
    add_deal(crm, "jose", "=cmd()", "--value", "5")
    assert "'=cmd()" in crm.ok("deal", "list", "--csv").stdout
    line = crm.ok("deal", "list", "-f", "jsonl").stdout.splitlines()[0]
    assert '"title": "=cmd()"' in line


def test_show_by_title_and_ambiguity(crm, people):
    add_deal(crm, "jose", "Fleet renewal")
    add_deal(crm, "ana", "Fleet pilot")
    assert record(crm, 1)["title"] == "Fleet renewal"
    assert crm.ok("deal", "show", "renewal", "--json").json()["id"] == 1
    assert crm.ok("deal", "show", "#2", "--json").json()["id"] == 2
    ambiguous = crm("deal", "show", "fleet")
    assert ambiguous.exit_code == 4
    assert "1: Fleet renewal; 2: Fleet pilot" in ambiguous.stderr
    assert crm("deal", "show", "99").exit_code == 3


def test_show_page_has_history_and_time_in_each_stage(crm, people):
    deal_id = add_deal(crm, "jose", "Fleet \x1b[31mrenewal", "--value", "1000")
    crm.ok("deal", "move", str(deal_id), "proposal")
    page = crm.ok("deal", "show", str(deal_id), "-f", "table").stdout
    assert "Fleet [31mrenewal" in page and "\x1b" not in page
    assert "created in lead" in page
    assert "lead → proposal" in page
    assert "Time in each stage" in page
    assert "1,000.00 EUR" in page
    deal = record(crm, deal_id)
    assert [t["stage"] for t in deal["time_in_stages"]] == ["lead", "proposal"]


# ------------------------------------------------------------------------------ edit, rm


def test_edit_changes_fields_and_keeps_the_stage(crm, people):
    deal_id = add_deal(crm, "jose", "Renewal", "--value", "100", "--close", "2030-01-01",
                       "--probability", "30")
    crm.ok("deal", "edit", str(deal_id), "--title", "Big renewal", "--value", "52,000",
           "--close", "", "--probability", "", "--contact", "ana", "--company", "")
    deal = record(crm, deal_id)
    assert (deal["title"], deal["value"]["amount"], deal["close_on"], deal["probability"],
            deal["contact"], deal["company"], deal["stage"]) == (
        "Big renewal", "52000.00", None, 10, "Ana Lima", None, "lead")


def test_edit_currency_needs_a_value(crm, people):
    deal_id = add_deal(crm, "jose", "Renewal", "--value", "100")
    refused = crm("deal", "edit", str(deal_id), "--currency", "USD")
    assert "needs --value too (amounts are not converted from EUR)" in refused.stderr
    crm.ok("deal", "edit", str(deal_id), "--currency", "JPY", "--value", "15000")
    assert record(crm, deal_id)["value"] == {"amount": "15000", "currency": "JPY"}
    assert "nothing to change" in crm("deal", "edit", str(deal_id)).stderr
    assert "no changes" in crm.ok("deal", "edit", str(deal_id), "--value", "15000").stderr


def test_rm_asks_then_restore_brings_it_back(crm, people):
    deal_id = add_deal(crm, "jose", "Renewal")
    refused = crm("deal", "rm", str(deal_id))
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert "deal restore 1" in crm.ok("deal", "rm", str(deal_id), "--yes").stderr
    assert crm.ok("deal", "list", "--status", "all").rows() == []
    gone = crm("deal", "show", str(deal_id))
    assert gone.exit_code == 3 and "is deleted" in gone.stderr
    crm.ok("deal", "restore", str(deal_id))
    assert record(crm, deal_id)["title"] == "Renewal"
    assert "is not deleted" in crm("deal", "restore", str(deal_id)).stderr
    assert crm("deal", "restore", "42").exit_code == 3


# ------------------------------------------------------------------- moves and history


def test_move_records_history_and_refuses_odd_moves(crm, people):
    deal_id = str(add_deal(crm, "jose", "Renewal"))
    assert "deal 1: lead -> qualified" in crm.ok("deal", "move", deal_id, "QUALIFIED").stderr
    assert "already in qualified" in crm("deal", "move", deal_id, "qualified").stderr
    assert "crm deal won ID" in crm("deal", "move", deal_id, "won").stderr
    assert "no stage 'limbo'" in crm("deal", "move", deal_id, "limbo").stderr
    history = record(crm, int(deal_id))["history"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        (None, "lead"), ("lead", "qualified")]


def test_won_lost_and_reopen(crm, people):
    deal_id = str(add_deal(crm, "jose", "Renewal", "--value", "1000", "--probability", "30"))
    crm.ok("deal", "move", deal_id, "proposal")
    assert "won deal 1 (Renewal, 1,000.00 EUR)" in crm.ok("deal", "won", deal_id).stderr
    won = record(crm, int(deal_id))
    assert (won["status"], won["probability"]) == ("won", 100)
    assert won["closed_at"] == won["history"][-1]["changed_at"]
    assert "reopen 1' first" in crm("deal", "move", deal_id, "lead").stderr
    assert "is won" in crm("deal", "lost", deal_id, "--reason", "x").stderr
    assert "reopened deal 1 in proposal" in crm.ok("deal", "reopen", deal_id).stderr
    reopened = record(crm, int(deal_id))
    assert (reopened["stage"], reopened["closed_at"], reopened["probability"]) == (
        "proposal", None, 30)
    assert "only won or lost" in crm("deal", "reopen", deal_id).stderr
    assert crm("deal", "lost", deal_id).exit_code == 2  # --reason is required
    assert "say why" in crm("deal", "lost", deal_id, "--reason", " ").stderr
    crm.ok("deal", "lost", deal_id, "--reason", "Went with a competitor")
    lost = record(crm, int(deal_id))
    assert (lost["status"], lost["lost_reason"], lost["probability"]) == (
        "lost", "Went with a competitor", 0)
    crm.ok("deal", "reopen", deal_id, "--stage", "negotiation")
    final = record(crm, int(deal_id))
    assert final["lost_reason"] is None
    assert [h["to_stage"] for h in final["history"]] == [
        "lead", "proposal", "won", "proposal", "lost", "negotiation"]


def test_stage_changes_can_be_dated_but_not_out_of_order(crm, people, conn):
    deal = deals.create(conn, PIPELINE, Deal(title="Old", currency="EUR", stage="lead",
                                              contact_id=people["jose"]), at=ago(days=20))
    crm.ok("deal", "move", str(deal.id), "qualified", "--at", "-10d")
    crm.ok("deal", "won", str(deal.id), "--at", "-5d")
    history = record(crm, deal.id)["history"]
    local_days = [dt.datetime.fromisoformat(h["changed_at"]).astimezone().date()
                  for h in history]
    assert [(TODAY - day).days for day in local_days[1:]] == [10, 5]
    late = crm("deal", "reopen", str(deal.id), "--at", "-8d")
    assert "cannot be dated before it" in late.stderr
    future = crm("deal", "reopen", str(deal.id), "--at", "+2d")
    assert "cannot be dated in the future" in future.stderr


def test_time_in_stages_adds_up_visits_and_stops_at_close():
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)

    def change(to: str, before: str | None, hours: int) -> StageChange:
        return StageChange(deal_id=1, from_stage=before, to_stage=to,
                           changed_at=deals.stamp(start + dt.timedelta(hours=hours)))

    changes = [change("lead", None, 0), change("qualified", "lead", 24),
               change("lead", "qualified", 30), change("won", "lead", 40)]
    deal = Deal(title="x", currency="EUR", stage="won")
    assert deals.time_in_stages(deal, changes, start + dt.timedelta(days=9)) == [
        ("lead", 34 * 3600), ("qualified", 6 * 3600)]
    open_deal = Deal(title="x", currency="EUR", stage="lead")
    assert deals.time_in_stages(open_deal, changes[:3], start + dt.timedelta(hours=50)) == [
        ("lead", 44 * 3600), ("qualified", 6 * 3600)]


def test_reopen_needs_a_stage_when_created_closed(crm, people):
    deal_id = str(add_deal(crm, "jose", "Signed already", "--stage", "won"))
    assert record(crm, int(deal_id))["closed_at"] is not None
    refused = crm("deal", "reopen", deal_id)
    assert "no configured stage to go back to" in refused.stderr
    assert "open stage, not won" in crm("deal", "reopen", deal_id, "--stage", "won").stderr
    crm.ok("deal", "reopen", deal_id, "--stage", "lead")
    assert record(crm, int(deal_id))["stage"] == "lead"


# ------------------------------------------------------------------------ configured stages


def test_configured_stages_order_and_probabilities(crm, people, config):
    config("""
        [[pipeline.stages]]
        name = "Discovery"
        probability = 5
        [[pipeline.stages]]
        name = "demo"
        probability = 40
        [[pipeline.stages]]
        name = "won"
        probability = 100
    """)
    rows = crm.ok("deal", "stages").rows()
    assert [(r["stage"], r["probability"], r["closed"]) for r in rows] == [
        ("discovery", "5", "no"), ("demo", "40", "no"), ("won", "100", "yes"),
        ("lost", "0", "yes")]
    deal_id = add_deal(crm, "jose", "X", "--value", "100")
    assert record(crm, deal_id)["stage"] == "discovery"
    crm.ok("deal", "move", str(deal_id), "Demo")
    assert record(crm, deal_id)["weighted_value"]["amount"] == "40.00"
    assert crm.ok("deal", "stages").rows()[1]["deals"] == "1"


@pytest.mark.parametrize(("toml", "message"), [
    ("[[pipeline.stages]]\nname = 'a'\nprobability = 150\n",
     "pipeline.stages[0] (a): probability must be a whole number from 0 to 100, not 150"),
    ("[[pipeline.stages]]\nprobability = 10\n", "pipeline.stages[0]: name must be"),
    ("[[pipeline.stages]]\nname = 'a'\n", "probability must be a whole number"),
    ("[[pipeline.stages]]\nname = 'a'\nprobability = true\n", "not True"),
    ("[[pipeline.stages]]\nname = 'a'\nprobability = 1\nprob = 2\n", "unknown key 'prob'"),
    ("[[pipeline.stages]]\nname = 'a'\nprobability = 1\n[[pipeline.stages]]\nname = 'A'\n"
     "probability = 2\n", "names 'a' twice"),
    ("[[pipeline.stages]]\nname = 'won'\nprobability = 90\n",
     "'won' is a closed stage whose probability is always 100"),
    ("[[pipeline.stages]]\nname = 'lost'\nprobability = 0\n", "needs at least one open stage"),
    ("pipeline = 3\n", "pipeline must be a table"),
    ("[pipeline]\nstages = 'lead'\n", "pipeline.stages must be a list of tables"),
    ("[pipeline]\ncolumns = 3\n", "pipeline.columns is not a setting"),
])
def test_bad_stage_configuration_is_named(crm, people, config, toml, message):
    path = config(toml)
    result = crm("deal", "stages")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: {path}: ")
    assert message in result.stderr


def test_bad_decimal_setting_is_named(crm, people, config):
    path = config('decimal = "·"\n')
    result = crm("deal", "add", "jose", "X", "--value", "1")
    assert result.stderr.startswith(f'crm: error: {path}: decimal must be "." or ","')


def test_stages_dropped_from_config_are_reported_and_remapped(crm, people, config):
    first, second = add_deal(crm, "jose", "A"), add_deal(crm, "ana", "B")
    crm.ok("deal", "move", str(first), "proposal")
    crm.ok("deal", "move", str(second), "proposal")
    config("""
        [[pipeline.stages]]
        name = "lead"
        probability = 10
        [[pipeline.stages]]
        name = "negotiation"
        probability = 70
    """)
    listed = crm.ok("deal", "stages")
    assert "2 deal(s) are in stage 'proposal', which config.toml no longer lists" in listed.stderr
    assert listed.rows()[-1] == {"stage": "proposal", "probability": "", "closed": "no",
                                 "in_config": "no", "deals": "2"}
    assert "no longer lists" in crm.ok("deal", "list").stderr
    assert "no stage 'proposal'" in crm("deal", "move", str(first), "proposal").stderr
    assert "add --yes" in crm("deal", "stages", "remap", "proposal", "--to", "lead").stderr
    assert "won and lost" in crm("deal", "stages", "remap", "proposal", "--to", "won",
                                 "--yes").stderr
    done = crm.ok("deal", "stages", "remap", "proposal", "--to", "negotiation", "--yes")
    assert "moved 2 deal(s) from proposal to negotiation" in done.stderr
    assert "no longer lists" not in crm.ok("deal", "list").stderr
    history = record(crm, first)["history"]
    assert [h["to_stage"] for h in history] == ["lead", "proposal", "negotiation"]
    assert crm("deal", "stages", "remap", "proposal", "--to", "lead", "--yes").exit_code == 3


def test_renamed_stage_keeps_its_history_under_the_new_name(crm, people, config):
    deal_id = add_deal(crm, "jose", "A")
    crm.ok("deal", "move", str(deal_id), "proposal")
    crm.ok("deal", "move", str(deal_id), "negotiation")
    config("""
        [[pipeline.stages]]
        name = "lead"
        probability = 10
        [[pipeline.stages]]
        name = "quote"
        probability = 50
        [[pipeline.stages]]
        name = "negotiation"
        probability = 75
    """)
    still = crm("deal", "stages", "rename", "lead", "quote", "--yes")
    assert "'lead' is still in config.toml" in still.stderr
    assert "no stage 'offer'" in crm("deal", "stages", "rename", "proposal", "offer",
                                     "--yes").stderr
    crm.ok("deal", "stages", "rename", "proposal", "quote", "--yes")
    history = record(crm, deal_id)["history"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        (None, "lead"), ("lead", "quote"), ("quote", "negotiation")]
    assert crm("deal", "stages", "rename", "proposal", "quote", "--yes").exit_code == 3


# -------------------------------------------------------------------- integration contract


def test_open_deals_of_a_contact_and_company_soonest_first(conn, people):
    def make(title, contact, close, stage="lead"):
        deal = deals.create(conn, PIPELINE, Deal(
            title=title, currency="EUR", stage=stage, contact_id=people[contact],
            company_id=conn.execute("SELECT company_id FROM contacts WHERE id = ?",
                                    [people[contact]]).fetchone()[0], close_on=close))
        return deal

    make("Later", "jose", "2030-06-01")
    make("Undated", "jose", None)
    make("Sooner", "jose", "2030-01-01")
    make("Done", "jose", "2029-01-01", stage="won")
    make("Other", "ana", "2030-01-01")
    assert [d.title for d in deals.open_for_contact(conn, people["jose"])] == [
        "Sooner", "Later", "Undated"]
    company_id = deals.open_for_contact(conn, people["ana"])[0].company_id
    assert [d.title for d in deals.open_for_company(conn, company_id)] == ["Other"]


def test_closing_within_puts_overdue_first(conn, people):
    today = dt.date(2030, 5, 10)
    for title, close in (("Next week", "2030-05-16"), ("Overdue", "2030-05-01"),
                         ("Today", "2030-05-10"), ("Far", "2030-07-01"), ("None", None)):
        deals.create(conn, PIPELINE, Deal(title=title, currency="EUR", stage="lead",
                                          contact_id=people["ana"], close_on=close))
    assert [d.title for d in deals.closing_within(conn, today, 7)] == [
        "Overdue", "Today", "Next week"]


def test_to_record_is_stable(conn, people):
    deal = deals.create(conn, PIPELINE, Deal(title="X", currency="JPY", stage="proposal",
                                              contact_id=people["ana"], amount_minor=1001))
    assert list(deals.to_record(deal, PIPELINE)) == [
        "id", "title", "contact_id", "contact", "company_id", "company", "stage", "status",
        "value", "currency", "probability", "probability_is_default", "weighted_value",
        "close_on", "lost_reason", "created_at", "updated_at", "closed_at"]
    assert deals.to_record(deal, PIPELINE)["weighted_value"] == {"amount": "500",
                                                                 "currency": "JPY"}


def test_seed_demo_makes_a_realistic_pipeline(conn, people):
    now = dt.datetime(2030, 6, 15, 12, tzinfo=UTC)
    ids = [people["jose"], people["ana"]]
    deals.seed_demo(conn, ids, now)
    found = deals.search(conn, deals.Filter(status="all"))
    assert len(found) == 10
    assert {d.currency for d in found} >= {"EUR", "USD"}
    assert {d.stage for d in found} == {"lead", "qualified", "proposal", "negotiation", "won",
                                        "lost"}
    overdue = [d for d in found if d.stage not in stages.CLOSED and d.close_on < "2030-06-15"]
    assert len(overdue) == 1
    for deal in found:
        history = deals.history(conn, deal.id)
        assert history[0].from_stage is None and history[-1].to_stage == deal.stage
        assert history[0].changed_at < "2030-06-15" and deal.contact_id in ids
    assert all(d.closed_at for d in found if d.stage in stages.CLOSED)
    deals.seed_demo(conn, [], now)  # nothing to attach deals to: nothing happens


def test_panels_for_other_pages(conn, people):
    from crmcli.views.deals import deals_panel, pipeline_summary

    deals.create(conn, PIPELINE, Deal(title="Over\x07due", currency="EUR", stage="proposal",
                                      contact_id=people["jose"], amount_minor=123456,
                                      close_on="2020-01-01"))
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(deals_panel(deals.open_for_contact(conn, people["jose"]),
                              dt.date(2030, 1, 1), ","))
    console.print(deals_panel([], dt.date(2030, 1, 1), title="Closing this week"))
    config = Config(Path("x"), Path("crm.db"))
    totals = reports.stage_totals(conn, stages.load_pipeline(config))
    console.print(pipeline_summary(totals))
    text = console.file.getvalue()
    assert "Overdue" in text and "\x07" not in text
    assert "1.234,56 EUR" in text and "2020-01-01 overdue" in text
    assert "José Núñez" in text
    assert "Closing this week" in text and "No open deals." in text
    assert "proposal" in text and "1,234.56 EUR" in text and "617.28 EUR" in text


def test_domain_validation():
    with pytest.raises(InvalidInput, match="probability must be 0 to 100"):
        deals.validate(Deal(title="x", currency="EUR", stage="lead", probability=101))
    with pytest.raises(InvalidInput, match="must be from 0 to"):
        deals.validate(Deal(title="x", currency="EUR", stage="lead", amount_minor=-1))
    with pytest.raises(InvalidInput, match="'2030-02-30' is not YYYY-MM-DD"):
        deals.validate(Deal(title="x", currency="EUR", stage="lead", close_on="2030-02-30"))
    with pytest.raises(ConfigError):
        stages.load_pipeline(Config(Path("x"), Path("crm.db"),
                             raw={"pipeline": {"stages": []}}))


def test_bars_are_integer_eighths_of_the_width_they_get():
    from crmcli.views.deals import Bar

    assert Bar(1, 2).text(8).plain == "████"
    assert Bar(1, 3).text(8).plain == "██▋"  # 1/3 of 64 eighths is 21: 2 cells and 5/8
    assert Bar(1, 4, reach=3).text(8).plain == "██░░░░"
    assert Bar(5, 0).text(8).plain == ""
    console = Console(file=io.StringIO(), width=10, color_system=None)
    console.print(Bar(10, 10, width=30))
    assert console.file.getvalue() == "█" * 10 + "\n"


def test_a_trashed_contacts_deals_leave_lists_and_the_board_with_it(crm):
    crm.add("Ana Lima")
    crm.ok("deal", "add", "ana", "Pilot", "--value", "1000")
    crm.ok("rm", "ana", "--yes")
    assert crm.ok("deal", "list").rows() == []
    board = crm.ok("pipeline", "--json").json()
    assert [stage["count"] for stage in board] == [0] * len(board) and board
    crm.ok("restore", "ana")
    assert [r["title"] for r in crm.ok("deal", "list").rows()] == ["Pilot"]
