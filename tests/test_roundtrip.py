"""Property test: any contacts, exported as vCard and imported into a fresh book, come back
the same (names, company, title, details, tags, dates, notes and UID)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcli import contacts, db
from crmcli.interchange import exporter, importer, input_files
from crmcli.models import Contact, Detail, PartialDate

_TEXT = st.characters(categories=("L", "N"), exclude_characters="\x85") | st.sampled_from(
    list(",;\\:-'é ñ"))


def _words(min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(_TEXT, min_size=min_size, max_size=20).map(
        lambda s: " ".join(s.split())).filter(lambda s: len(s) >= min_size)


_partial_dates = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)).map(
        lambda d: PartialDate(d.year, d.month, d.day)),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31)).map(
        lambda d: PartialDate(None, d.month, d.day)),  # 2000 is a leap year: 29 Feb included
)

_contacts = st.builds(
    Contact,
    name=_words(),
    company=st.none() | _words(),
    title=st.none() | _words(),
    emails=st.lists(st.builds(Detail, st.from_regex(r"[a-z0-9._-]{1,8}@[a-z0-9]{1,8}\.[a-z]{2,4}",
                                                    fullmatch=True),
                              st.sampled_from(["", "work", "home"])), max_size=3,
                    unique_by=lambda d: d.value),
    phones=st.lists(st.builds(Detail, st.from_regex(r"\+[1-9][0-9]{7,11}", fullmatch=True),
                              st.sampled_from(["", "cell", "work"])), max_size=2,
                    unique_by=lambda d: d.value[-7:]),
    tags=st.lists(st.from_regex(r"[a-z][a-z ]{0,10}[a-z]", fullmatch=True), max_size=3),
    birthday=st.none() | _partial_dates,
    anniversary=st.none() | _partial_dates,
)


def _comparable(record: dict) -> dict:
    return {key: value for key, value in record.items()
            if key not in ("id", "created_at", "updated_at")}


def _distinct_people(people) -> bool:
    """Contacts an import would not take for one another (no shared email, name or phone)."""
    emails = [e.value for contact, _ in people for e in contact.emails]
    names = [" ".join(contact.name.casefold().split()) for contact, _ in people]
    return len(set(emails)) == len(emails) and len(set(names)) == len(names)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(people=st.lists(st.tuples(_contacts, st.lists(_words(), max_size=2)), min_size=1,
                       max_size=4).filter(_distinct_people))
def test_vcard_export_then_import_gives_the_same_book(people):
    with tempfile.TemporaryDirectory() as folder:
        _round_trip(Path(folder), people)


def _round_trip(folder: Path, people) -> None:
    source_db = db.connect(folder / "source.db")
    target_db = db.connect(folder / "target.db")
    for contact, notes in people:
        contacts.create(source_db, contact, notes=list(dict.fromkeys(notes)))
    ids = contacts.search_ids(source_db, sort="created")
    text = "".join(exporter.to_vcard(item) for item in exporter.iter_export(source_db, ids))
    stream = input_files.Source("export.vcf", io.BytesIO(text.encode()), None)
    records = input_files.read_records(stream, input_files.Format.vcard, "DMY",
                                       dt.date(2026, 11, 25))
    report = importer.run(target_db, records)
    assert report.failed == 0, report.messages
    before = [_comparable(exporter.to_record(item))
              for item in exporter.iter_export(source_db, ids)]
    after = [_comparable(exporter.to_record(item)) for item in exporter.iter_export(
        target_db, contacts.search_ids(target_db, sort="created"))]
    assert after == before
    source_db.close()
    target_db.close()
