"""Whole-book exports in flat memory: vCards are written in the exporting process (forked
workers would each hold a copy of its memory: 86 MB instead of 31 on 10,000 contacts), and
the Outlook CSV's warnings are given as they come (a million contacts gave 160,000 of them,
kept until the end: 83 MB)."""

from __future__ import annotations

import io
import os

from crmcli.interchange import exporter
from crmcli.interchange.csv_write import write_contacts
from crmcli.models import Contact, PartialDate


def test_many_cards_are_written_by_the_exporting_process(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(exporter, "to_vcard", _writer_pid)
    items = [exporter.Exported(Contact(name=f"Person {n}"), [], None) for n in range(1000)]
    assert set(exporter.iter_vcards(items)) == {os.getpid()}
    pairs = list(exporter.iter_vcards(items, with_contacts=True))
    assert [contact.name for contact, _ in pairs] == [f"Person {n}" for n in range(1000)]


def _writer_pid(item: exporter.Exported, version: str) -> int:
    return os.getpid()


def test_outlook_warnings_are_given_as_they_come():
    seen: list[str] = []

    def records():
        for n in range(3):
            assert len(seen) == n  # the warning of each contact before the next is read
            yield Contact(name=f"Person {n}", birthday=PartialDate(None, 5, n + 1)), []

    stream = io.StringIO()
    assert write_contacts(records(), stream, "outlook", warn=seen.append) == []
    assert seen == [f"Person {n}: birthday --05-0{n + 1} not written (Outlook needs a year)"
                    for n in range(3)]
    assert stream.getvalue().count("\r\n") == 4
