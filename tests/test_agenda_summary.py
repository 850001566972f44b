"""The agenda on a big book: the dashboard's summary (counts, and the first few items read),
occasions sorted and counted by SQLite, sections ``crm due`` leaves out left unread."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crmcli import agenda, contacts, db, followups
from crmcli.config import Config
from crmcli.dates import When, next_occurrence
from crmcli.models import Contact, ImportantDate, PartialDate
from crmcli.occasions import count_occasions, occasions

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in November: local days start the day before
NOW = dt.datetime(2026, 11, 22, 10, 30, tzinfo=AUCKLAND)


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(tmp_path / "domain.db")
    yield connection
    connection.close()


def _config(tmp_path) -> Config:
    return Config(path=tmp_path / "config.toml", db_path=tmp_path / "domain.db", raw={})


def _person(conn, name: str, **fields) -> int:
    return contacts.create(conn, Contact(name=name, **fields)).id


def _follow_up(conn, contact_id: int | None, day: int, hour: int | None, text: str):
    """A follow-up ``day`` days from NOW's day, all-day or at ``hour`` local time."""
    moment = dt.datetime.combine(NOW.date() + dt.timedelta(days=day),
                                 dt.time(hour or 0, 30 if hour is not None else 0),
                                 tzinfo=AUCKLAND)
    return followups.create(conn, contact_id, When(moment, hour is not None), text)


def _busy_book(conn) -> None:
    """Many items in every section, on the edges of local days: timed follow-ups at 00:30 and
    23:30 (the UTC day before and the same), a chore, a trashed contact's follow-up and
    birthday, a meeting held but not logged, birthdays, anniversaries and other dates."""
    people = [_person(conn, f"Person {n:02}", company=f"Firm {n % 3}",
                      birthday=PartialDate(1980 + n if n % 2 else None, 11, 22 + n % 6),
                      anniversary=PartialDate(2010, 11, 25) if n % 4 == 0 else None,
                      dates=[ImportantDate("started at ACME", PartialDate(None, 11, 23))]
                      if n % 5 == 0 else [])
              for n in range(12)]
    for n, person in enumerate(people):
        for day in (-3, -1, 0, 1, 7, 8):
            _follow_up(conn, person, day, None, f"all-day {day} #{n}")
            _follow_up(conn, person, day, (0, 23)[n % 2], f"timed {day} #{n}")
    _follow_up(conn, None, -2, None, "A chore about nobody")
    gone = _person(conn, "Gone Person", birthday=PartialDate(None, 11, 22))
    _follow_up(conn, gone, -1, None, "Of a trashed contact")
    contacts.trash(conn, gone)
    held = _follow_up(conn, people[0], -1, 9, "Meeting that took place")
    conn.execute(
        "INSERT INTO calendar_events (calendar, uid, recurrence_id, contact_id, sequence,"
        " starts_at, ends_at, all_day, summary, state, followup_id) VALUES ('work', 'm1', '',"
        " ?, 0, ?, ?, 0, 'Meeting', 'planned', ?)", [people[0], held.due, held.due, held.id])


def _ids(items: list) -> list:
    return [(getattr(item, "followup", None) and item.followup.id)
            or (getattr(item, "contact_id", None), getattr(item, "kind", None)) for item in items]


def test_the_summary_is_the_agendas_first_items_and_counts_them_all(conn, tmp_path):
    _busy_book(conn)
    whole = agenda.build(conn, NOW, _config(tmp_path))
    summary = agenda.summary(conn, NOW, _config(tmp_path), 7, 3)
    for section in agenda.SECTIONS:
        assert _ids(getattr(summary, section)) == _ids(getattr(whole, section)[:3]), section
        assert summary.count(section) == len(getattr(whole, section)), section
    assert [len(whole.overdue), len(whole.today), len(whole.upcoming), len(whole.birthdays)] == [
        12 * 4 + 1, 12 * 2, 12 * 2 * 2, 12 + 3 + 3]
    assert summary.counts["overdue"] == 49 and len(summary.overdue) == 3


def test_the_dashboard_counts_birthdays_and_shows_the_first(crm):
    for n in range(5):
        crm.add(f"Person {n}", "--birthday", f"1980-03-1{n + 1}")
    page = crm.ok(env={"CRM_NOW": "2026-03-10T09:00:00+00:00"}).stdout
    assert "Birthdays and anniversaries (5)" in page and "… 2 more" in page
    assert "Person 2" in page and "Person 3" not in page


WINDOWS = [(dt.date(2026, 11, 22), dt.date(2026, 11, 29)),
           (dt.date(2026, 12, 28), dt.date(2027, 1, 3)),  # across the new year
           (dt.date(2027, 2, 25), dt.date(2027, 3, 1)),  # 29 February on the 28th
           (dt.date(2028, 2, 27), dt.date(2028, 3, 1)),  # a leap year's own 29th
           (dt.date(2028, 2, 29), dt.date(2028, 2, 29)),
           (dt.date(2026, 11, 22), dt.date(2028, 1, 15))]  # longer than a year: once each


@pytest.mark.parametrize(("first", "last"), WINDOWS, ids=lambda day: day.isoformat())
def test_occasions_are_every_date_falling_in_the_window_in_order(conn, first, last):
    dates = [PartialDate(None, 2, 29), PartialDate(1980, 2, 29), PartialDate(1990, 2, 28),
             PartialDate(None, 3, 1), PartialDate(1970, 12, 31), PartialDate(None, 1, 1),
             PartialDate(1985, 11, 22), PartialDate(None, 11, 29), PartialDate(2001, 1, 2)]
    for n, date in enumerate(dates):  # two people of each name: ties go by id
        for _ in range(2):
            _person(conn, f"Name {n % 4}", birthday=date,
                    anniversary=dates[-1 - n] if n % 2 else None,
                    dates=[ImportantDate(f"date {n % 3}", dates[(n + 3) % len(dates)])])
    gone = _person(conn, "Gone", birthday=PartialDate(None, 1, 1))
    contacts.trash(conn, gone)

    expected = []
    for person in contacts.search(conn, ""):
        full = contacts.get(conn, person.id)
        labelled = [("birthday", full.birthday), ("anniversary", full.anniversary),
                    *((d.label, d.date) for d in full.dates)]
        for kind, date in labelled:
            day = date and next_occurrence(date, first)
            if day and day <= last:
                expected.append((day, full.name, kind != "birthday", kind, full.id,
                                 day.year - date.year if date.year else None))
    found = [(o.date, o.contact_name, o.kind != "birthday", o.kind, o.contact_id, o.age)
             for o in occasions(conn, first, last)]
    assert found == sorted(expected)
    assert count_occasions(conn, first, last) == len(expected)


def _statements(conn, call) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return seen


def _plans(conn, statements: list[str]) -> str:
    return "\n".join(row[3] for sql in statements
                     for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


def test_the_summary_reads_birthdays_and_follow_ups_through_their_indexes(conn, tmp_path):
    _busy_book(conn)
    statements = _statements(conn, lambda: agenda.summary(conn, NOW, _config(tmp_path)))
    plans = _plans(conn, [sql for sql in statements if "birthday" in sql])
    assert "COVERING INDEX contacts_birthday_live" in plans
    assert "SCAN c" not in plans
    assert "SEARCH co USING COVERING INDEX companies_names (id=?)" in plans
    plans = _plans(conn, [sql for sql in statements if "FROM followups" in sql])
    assert "COVERING INDEX followups_due (done_at=? AND deleted_at=? AND due<?)" in plans
    assert "followups_open (done_at=? AND deleted_at=? AND due>? AND due<?)" in plans
    assert "TEMP B-TREE" not in plans  # the first few in due order, not all of them sorted
    assert "SCAN f" not in plans


def test_due_without_birthdays_or_follow_ups_ahead_reads_none(conn, tmp_path):
    _busy_book(conn)
    rows = []
    statements = _statements(conn, lambda: rows.extend(agenda.stream_records(
        conn, NOW, _config(tmp_path), 7, ("cases", "overdue"))))
    assert {row["section"] for row in rows} == {"overdue"} and len(rows) == 49
    assert not [sql for sql in statements if "contact_dates" in sql]
    assert all("'2026-11-22'" in sql for sql in statements if "FROM followups f" in sql)


def test_the_dashboard_counts_and_adds_up_deals_from_indexes(conn):
    from crmcli import deals, reports, stages
    from crmcli.config import Config as Settings

    person = _person(conn, "Ana Lima")
    for n in range(3):
        conn.execute("INSERT INTO deals (contact_id, title, currency, stage, amount_minor,"
                     " close_on, created_at, updated_at) VALUES (?, ?, 'EUR', 'lead', 1000,"
                     " ?, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
                     [person, f"Deal {n}", f"2026-11-2{n}"])
    pipeline = stages.load_pipeline(Settings(path=None, db_path=None, raw={}))
    found = []
    statements = _statements(conn, lambda: found.extend([
        deals.count_closing(conn, NOW.date(), 0), reports.stage_totals(conn, pipeline),
        deals.closing_within(conn, NOW.date(), 0, 2)]))
    assert found[0] == 3 and found[1][0]["count"] == 3
    assert [deal.title for deal in found[2]] == ["Deal 0", "Deal 1"]
    plans = _plans(conn, statements)
    assert plans.count("COVERING INDEX deals_close (close_on<?)") == 2  # the first two chosen
    assert "COVERING INDEX deals_totals" in plans  # from it, then read


def test_birthday_rows_have_every_agenda_column_in_order():
    """Birthday rows are built apart from the others, for speed: the same keys, in order."""
    (birthday,) = agenda._occasion_rows([("2026-11-27", 3, "Ana", None, "birthday", 40)])
    assert list(birthday) == list(agenda._row("today", "follow-up", 1, "Bo", None, "x", "y"))
    assert (birthday["section"], birthday["age"], birthday["when"]) == ("birthdays", 40,
                                                                       "2026-11-27")
