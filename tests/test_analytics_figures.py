"""The fast paths of crm health and crm next give the figures a plain reading of the book
gives: a random book (campaign mail, deleted interactions, moments in the same second,
cadences, deals open, won and lost in three currencies, deleted ones, trashed contacts),
each contact read on its own with simple queries and the formulas of analytics."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from crmcli import analytics, analytics_settings, config, contacts, db, stages
from crmcli.call_queue import _next_stages
from crmcli.models import Contact

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
KINDS = ("call", "email", "meeting")


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def book(tmp_path):
    database = db.connect(tmp_path / "crm.db")
    database.now = NOW - dt.timedelta(days=900)
    rng = random.Random(16)
    with db.transaction(database):
        ids = [contacts.create(database, Contact(name=f"Person {n}")).id for n in range(40)]
        for contact_id in ids:
            _interactions(database, rng, contact_id)
            _deals(database, rng, contact_id)
        database.execute("UPDATE contacts SET cadence_days = 30 WHERE id % 4 = 0")
        database.execute("UPDATE contacts SET deleted_at = created_at WHERE id % 9 = 0")
    yield database
    database.close()


def _interactions(database, rng: random.Random, contact_id: int) -> None:
    count = rng.choice((0, 1, 2, 3, 5, 9, 10, 11, 14))
    moments = [NOW - dt.timedelta(days=rng.uniform(0, 400)) for _ in range(count)]
    if count > 3:
        moments.append(moments[0])  # two in the same second
    for number, moment in enumerate(moments):
        database.execute(
            "INSERT INTO interactions (contact_id, kind, body, happened_at, created_at,"
            " campaign, deleted_at) VALUES (?, ?, 'x', ?, ?3, ?, ?)",
            [contact_id, rng.choice(KINDS), _stamp(moment),
             "spring" if number % 5 == 4 else None, _stamp(NOW) if number % 7 == 6 else None])


def _deals(database, rng: random.Random, contact_id: int) -> None:
    for _ in range(rng.choice((0, 0, 1, 2, 4))):
        stage = rng.choice(("lead", "proposal", "negotiation", "won", "won", "lost"))
        created = NOW - dt.timedelta(days=rng.uniform(30, 900))
        database.execute(
            "INSERT INTO deals (contact_id, title, amount_minor, currency, stage, probability,"
            " created_at, updated_at, closed_at, deleted_at) VALUES (?, 'd', ?, ?, ?, ?, ?6, ?6,"
            " ?, ?)",
            [contact_id, rng.choice((None, rng.randrange(1, 10**7))),
             rng.choice(("EUR", "USD", "GBP")), stage, rng.choice((None, 35)),
             _stamp(created),
             _stamp(created + dt.timedelta(days=20)) if stage in ("won", "lost") else None,
             _stamp(NOW) if rng.random() < 0.1 else None])


def _reference(database, settings: analytics_settings.Settings, pipeline) -> dict[int, dict]:
    """Each live contact's health record, read contact by contact."""
    today = NOW.timestamp() / analytics.DAY
    personal = "" if getattr(database, "campaign_mail_counts", False) else " AND campaign IS NULL"
    found = {}
    for contact_id, name, cadence, created in database.execute(
            "SELECT id, name, cadence_days, created_at FROM contacts WHERE deleted_at IS NULL"):
        stamps = [row[0] for row in database.execute(
            "SELECT happened_at FROM interactions WHERE contact_id = ? AND deleted_at IS NULL"
            f"{personal}", [contact_id])]
        moments = [dt.datetime.fromisoformat(s).timestamp() / analytics.DAY for s in stamps]
        rhythm = analytics.rhythm(moments, cadence, settings) if moments or cadence else (
            analytics.NO_RHYTHM)
        since = today - max(moments) if moments else (
            today - dt.datetime.fromisoformat(created).timestamp() / analytics.DAY
            if rhythm.days is not None else None)
        health = analytics.Health(
            contact_id, name, None, analytics.health_state(since, rhythm, settings), rhythm,
            max(stamps, default=None), None if since is None else round(since, 4),
            _stake(database, contact_id, settings, pipeline), cadence)
        found[contact_id] = analytics.health_record(health, settings.currency)
    return found


def _stake(database, contact_id: int, settings, pipeline) -> analytics.Stake:
    probabilities = {stage.name: stage.probability for stage in pipeline.open}
    open_, won, first = {}, {}, {}
    for currency, amount, stage, probability, closed in database.execute(
            "SELECT currency, amount_minor, stage, probability, closed_at FROM deals"
            " WHERE contact_id = ? AND deleted_at IS NULL AND amount_minor IS NOT NULL",
            [contact_id]):
        if stage == "won":
            won[currency] = won.get(currency, 0) + amount
            first[currency] = min(first.get(currency, closed), closed)
        elif stage != "lost":
            weighted = amount * (probability or probabilities[stage]) // 100
            open_[currency] = open_.get(currency, 0) + weighted
    if not open_ and not won:
        return analytics.NO_STAKE
    yearly = {c: analytics.yearly(won[c], first[c], NOW.date()) for c in won}
    total = {c: open_.get(c, 0) + yearly.get(c, 0) for c in sorted({*open_, *yearly})}
    return analytics.Stake(open_, yearly, *analytics.ranked(total, settings), total)


@pytest.mark.parametrize(("rates", "window", "campaign_mail_counts"), [
    ({}, 10, False), ({"USD": "0.92"}, 10, False),  # the moments triggers keep
    ({}, 4, False), ({}, 12, False), ({}, 10, True)])  # a part of them; read from interactions
def test_health_records_equal_a_plain_reading_of_each_contact(book, rates, window,
                                                              campaign_mail_counts):
    from decimal import Decimal

    book.campaign_mail_counts = campaign_mail_counts
    settings = analytics_settings.Settings(rates={c: Decimal(r) for c, r in rates.items()},
                                  window=window)
    pipeline = stages.load_pipeline(config.Config(Path("x"), Path("y")))
    expected = _reference(book, settings, pipeline)
    records = analytics.health_records(book, NOW, settings, pipeline)
    assert {record["contact_id"]: record for record in records} == expected
    assert len(records) == len(expected) > 30
    assert {r["health"] for r in records} >= {"new", "steady", "cold"}
    in_order = analytics.health(book, NOW, settings, pipeline)
    assert [r["contact_id"] for r in records] == [h.contact_id for h in in_order]
    assert records == [analytics.health_record(h, settings.currency) for h in in_order]


def test_assess_for_the_queue_keeps_contacts_with_a_deal_or_a_cadence(book):
    settings = analytics_settings.Settings()
    pipeline = stages.load_pipeline(config.Config(Path("x"), Path("y")))
    expected = _reference(book, settings, pipeline)
    dealing = {row[0] for row in book.execute(
        "SELECT contact_id FROM deals WHERE deleted_at IS NULL")}
    people = analytics.assess(book, NOW, settings, pipeline, with_stake_or_cadence=True)
    assert {p.contact_id for p in people} == {
        c for c in expected if c in dealing or c % 4 == 0}
    for person in people:
        assert analytics.health_record(person, "EUR") == expected[person.contact_id]


def test_the_next_stage_of_each_stage():
    pipeline = stages.load_pipeline(config.Config(Path("x"), Path("y")))
    following = _next_stages(pipeline)
    assert [following(s) for s in ("lead", "qualified", "proposal", "negotiation", "gone")] == [
        "qualified", "proposal", "negotiation", "won", "lead"]


def test_median_is_the_statistics_median():
    import statistics

    rng = random.Random(3)
    for size in range(1, 12):
        for values in ([rng.randrange(-50, 400) for _ in range(size)],
                       [rng.uniform(0, 90) for _ in range(size)]):
            found = analytics.median(values)
            assert found == statistics.median(values) and type(found) is type(
                statistics.median(values))
