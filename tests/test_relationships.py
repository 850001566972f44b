"""Relationships: crm relate / unrelate / relations, the inverse on the other page, name-only
people, trash and merge, cycles and ambiguous names."""

import sqlite3
from pathlib import Path

import pytest

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def _relations(crm, ref):
    return [(r["label"], r["name"]) for r in crm.ok("relations", ref, "--json").json()]


def test_relate_reads_b_is_as_type_and_b_sees_the_inverse(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen", "--birthday", "1980-05-17")
    crm.ok("relate", "ana", "manager", "bo")
    assert _relations(crm, "ana") == [("manager", "Bo Chen")]
    assert _relations(crm, "bo") == [("manages", "Ana Lima")]
    shown = crm.ok("relations", "ana", "--json").json()[0]
    assert shown["birthday"] == "1980-05-17" and shown["direction"] == "out"


@pytest.mark.parametrize(("kind", "inverse"), [
    ("spouse", "spouse"), ("child", "parent"), ("parent", "child"), ("assistant", "assists"),
    ("referred-by", "referred"), ("mentor", "mentor of")])
def test_each_type_has_its_inverse(crm, kind, inverse):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.ok("relate", "ana", kind, "bo")
    assert _relations(crm, "bo") == [(inverse, "Ana Lima")]


def test_unrelate_removes_the_edge_and_a_missing_one_is_an_error(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.ok("relate", "ana", "friend", "bo")
    crm.ok("unrelate", "ana", "friend", "bo")
    assert _relations(crm, "ana") == []
    failed = crm("unrelate", "ana", "friend", "bo")
    assert failed.exit_code == 3 and "Bo Chen is not Ana Lima's friend" in failed.stderr


def test_a_name_only_edge_is_unrelated_by_the_name_once_the_person_is_in_the_book(crm):
    crm.add("Ana Lima")
    crm.ok("relate", "ana", "spouse", "Rui Lima")
    crm.add("Rui Lima")  # not linked yet: the hint says how
    crm.ok("unrelate", "ana", "spouse", "rui lima")
    assert _relations(crm, "ana") == []


def test_a_name_not_in_the_book_is_kept_and_linked_when_the_person_arrives(crm):
    ana = crm.add("Ana Lima")
    crm.ok("relate", "ana", "spouse", "Rui Lima")
    assert _relations(crm, "ana") == [("spouse", "Rui Lima")]
    added = crm.ok("add", "Rui Lima")
    rui = int(added.stdout)
    assert f"crm relate {ana} spouse {rui}" in added.stderr
    crm.ok("relate", str(ana), "spouse", str(rui))
    assert crm.ok("relations", str(ana), "--json").json()[0]["contact_id"] == rui
    assert len(_relations(crm, str(ana))) == 1


def test_a_reporting_cycle_is_an_error_and_nothing_changes(crm):
    for name in ("Ana Lima", "Bo Chen", "Cy Dorn"):
        crm.add(name)
    crm.ok("relate", "ana", "manager", "bo")
    crm.ok("relate", "bo", "reports-to", "cy")
    failed = crm("relate", "cy", "manager", "ana")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("crm: error: ") and "cycle" in failed.stderr
    assert failed.stderr.count("\n") == 1
    assert _relations(crm, "cy") == [("manages", "Bo Chen")]
    assert crm("relate", "ana", "manager", "ana").exit_code == 1


def test_an_ambiguous_name_lists_the_candidates(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.add("Bo Diaz")
    failed = crm("relate", "ana", "friend", "bo")
    assert failed.exit_code == 4 and "Bo Chen" in failed.stderr and "Bo Diaz" in failed.stderr
    assert _relations(crm, "ana") == []


def test_a_bad_type_is_one_clear_line(crm):
    crm.add("Ana Lima")
    failed = crm("relate", "ana", "best friend!", "Rui")
    assert failed.exit_code == 1 and "relationship type" in failed.stderr


def test_trash_hides_edges_until_restored(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.ok("relate", "ana", "colleague", "bo")
    crm.ok("rm", "bo", "--yes")
    assert _relations(crm, "ana") == []
    crm.ok("restore", "bo")
    assert _relations(crm, "ana") == [("colleague", "Bo Chen")]


def test_merge_repoints_relationships(crm):
    crm.add("Ana Lima")
    bo = crm.add("Bo Chen", "-e", "bo@x.com")
    old = crm.add("Bo C.", "-e", "bo@x.com")
    crm.ok("relate", "ana", "manager", str(old))
    crm.ok("merge", str(bo), str(old), "--yes")
    assert crm.ok("relations", "ana", "--json").json()[0]["contact_id"] == bo


def test_referred_by_on_add_and_edit_is_the_relationship(crm):
    crm.add("Ana Lima")
    crm.ok("add", "Bo Chen", "--referred-by", "ana")
    crm.add("Cy Dorn")
    crm.ok("edit", "cy", "--referred-by", "Dee Ong")
    assert _relations(crm, "bo") == [("referred-by", "Ana Lima")]
    assert _relations(crm, "ana") == [("referred", "Bo Chen")]
    assert _relations(crm, "cy") == [("referred-by", "Dee Ong")]


def test_the_page_shows_relationships_with_birthdays(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen", "--birthday", "--05-17")
    crm.ok("relate", "ana", "spouse", "bo")
    page = crm.ok("show", "ana").stdout
    assert "spouse: Bo Chen" in page and "05-17" in page
    record = crm.ok("show", "ana", "--json").json()
    assert record["relationships"][0]["name"] == "Bo Chen"


def test_undo_takes_a_relationship_back(crm):
    crm.add("Ana Lima")
    crm.ok("relate", "ana", "friend", "Rui")
    crm.ok("undo")
    assert _relations(crm, "ana") == []


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_relationships_work_on_an_upgraded_release_book(crm, db_path, release):
    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
    crm.ok("add", "Zoe Quinn")
    crm.ok("relate", "zoe", "friend", "Rui Lima")
    assert _relations(crm, "zoe") == [("friend", "Rui Lima")]


def test_report_referrals_counts_people_and_won_value_per_currency(crm):
    crm.add("Ana Lima")
    for name in ("Bo Chen", "Cy Dorn"):
        crm.ok("add", name, "--referred-by", "ana")
    crm.ok("add", "Dee Ong", "--referred-by", "Rui Lima")
    crm.ok("deal", "add", "bo", "Pilot", "--value", "1000", "--currency", "EUR")
    crm.ok("deal", "add", "cy", "Seats", "--value", "500", "--currency", "USD")
    crm.ok("deal", "add", "cy", "More", "--value", "250", "--currency", "EUR")
    for deal in ("1", "2", "3"):
        crm.ok("deal", "won", deal)
    rows = crm.ok("report", "referrals", "--json").json()
    assert [(r["name"], r["referred"]) for r in rows] == [("Ana Lima", 2), ("Rui Lima", 1)]
    assert rows[0]["won_value"] == [{"amount": "1250.00", "currency": "EUR"},
                                    {"amount": "500.00", "currency": "USD"}]
    assert rows[1]["won_value"] == []
    assert crm.ok("report", "--json").json()["won"] == 3  # the bare report is the deals report


def test_a_won_deal_of_a_referred_contact_thanks_the_referrer(crm, tmp_path):
    now = {"CRM_NOW": "2026-11-25T10:00:00+00:00"}
    crm.add("José Núñez")
    crm.add("Bo Chen", "--referred-by", "josé")
    crm.ok("deal", "add", "bo", "Pilot", "--value", "100", env=now)
    assert "thank José Núñez for the introduction" in crm.ok("deal", "won", "1", env=now).stderr
    [thanks] = crm.ok("followups", "list", "josé", "--json").json()
    assert (thanks["text"], thanks["due"]) == ("Thank José Núñez for the introduction",
                                              "2026-11-25")
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[referrals]\nthank = false\n")
    crm.ok("deal", "add", "bo", "Second", "--value", "100")
    assert "thank" not in crm.ok("deal", "won", "2").stderr
    assert len(crm.ok("followups", "list", "josé", "--json").json()) == 1
