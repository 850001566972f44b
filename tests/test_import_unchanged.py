"""Importing a file again: a card imported before, of a contact nobody changed since, is
recognised by the digest of its text (one query a batch) and skipped without being read."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import Crm

from crmcli.interchange import importer, input_files, parallel_map, vcard_read, vcard_records

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))


def _card(n: int, *lines: str) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:again-{n}\r\nFN:Again Person {n}\r\n"
            f"N:Person {n};Again;;;\r\nEMAIL:again{n}@example.com\r\n"
            + "".join(line + "\r\n" for line in lines) + "END:VCARD\r\n")


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The cards read (parsed), on one core: the import parses them in its own process."""
    read: list[str] = []
    parse = vcard_read.parse_card

    def counted(raw):
        read.append(raw.text.split("\n")[3])
        return parse(raw)

    monkeypatch.setattr(vcard_read, "parse_card", counted)
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 1)
    return read


@pytest.fixture
def worker_reads(monkeypatch, tmp_path) -> Path:
    """A file listing each card read (parsed) and the process that read it, with two cores
    allowed whatever the machine has: long inputs are read in a worker process. The worker is
    a new process: what reads its cards is replaced where the cards are made, and it finds
    the file by the environment it inherits."""
    log = tmp_path / "reads.log"
    monkeypatch.setenv("CRM_TEST_READS_LOG", str(log))
    monkeypatch.setattr(input_files, "read_vcard", _logged_read)
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 2)
    return log


def _logged_read(raw, prefix: str, digest: str):
    with open(os.environ["CRM_TEST_READS_LOG"], "a") as out:
        out.write(f"{os.getpid()} {raw.text.split(chr(10))[3]}\n")
    return vcard_records.read_vcard(raw, prefix, digest)


def _summary(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_an_unchanged_file_imported_again_reads_no_card(crm, tmp_path, reads):
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n, "NOTE:met once") for n in range(300)))
    crm.ok("import", str(vcf))
    assert len(reads) == 300
    reads.clear()
    again = crm.ok("import", str(vcf))
    assert _summary(again) == "created 0, updated 0, unchanged 300, skipped 0, failed 0"
    assert reads == []


def test_with_a_worker_an_unchanged_file_imported_again_reads_no_card(crm, tmp_path,
                                                                     worker_reads):
    """The cards are asked about before they go to the worker: it reads only the others."""
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n, "NOTE:met once") for n in range(450)))
    first = crm.ok("import", str(vcf))
    assert _summary(first) == "created 450, updated 0, unchanged 0, skipped 0, failed 0"
    readers = [line.split()[0] for line in worker_reads.read_text().splitlines()]
    assert len(readers) == 450 and str(os.getpid()) not in readers
    crm.ok("edit", "again7@example.com", "--title", "Edited in crm")
    worker_reads.unlink()
    again = crm.ok("import", str(vcf))
    assert _summary(again) == "created 0, updated 0, unchanged 450, skipped 0, failed 0"
    read_again = [line.split(" ", 1)[1] for line in worker_reads.read_text().splitlines()]
    assert read_again == ["FN:Again Person 7"]  # the card of the contact edited since
    assert crm.ok("show", "again7@example.com", "--json").json()["title"] == "Edited in crm"


def test_with_two_cores_an_unchanged_file_imported_again_starts_no_worker(
        crm, tmp_path, worker_reads, monkeypatch):
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n, "NOTE:met once") for n in range(450)))
    started: list[int] = []

    class Counted(parallel_map._Worker):
        def __init__(self) -> None:
            started.append(1)
            super().__init__()

    monkeypatch.setattr(parallel_map, "_Worker", Counted)
    crm.ok("import", str(vcf))
    assert started == [1]
    again = crm.ok("import", str(vcf))
    assert _summary(again) == "created 0, updated 0, unchanged 450, skipped 0, failed 0"
    assert started == [1]  # nothing to read: no worker, nothing sent to one


def test_a_batch_with_nothing_to_send_is_mapped_here_and_starts_no_worker(monkeypatch):
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 2)
    here = os.getpid()
    idle = [None] * 50
    assert set(parallel_map.ordered_map(_pid, idle, batch=7, local=_is_none)) == {here}
    mixed = list(parallel_map.ordered_map(_pid, [None] * 20 + [1] * 20, batch=7,
                                          local=_is_none))
    assert mixed[:14] == [here] * 14 and here not in mixed[14:]  # from the batch with work


def _pid(_item) -> int:
    return os.getpid()


def _is_none(item) -> bool:
    return item is None


def test_a_card_or_a_contact_changed_since_is_read_again(crm, tmp_path, reads):
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n) for n in range(5)))
    crm.ok("import", str(vcf))
    crm.ok("edit", "again1@example.com", "--title", "Edited in crm")
    crm.ok("rm", "again2@example.com", "--yes")
    vcf.write_text("".join(_card(n, *(["TEL:+34 600 000 003"] if n == 3 else []))
                           for n in range(5)))
    reads.clear()
    again = crm.ok("import", str(vcf))
    assert _summary(again) == "created 0, updated 1, unchanged 3, skipped 1, failed 0"
    assert sorted(reads) == ["FN:Again Person 1", "FN:Again Person 2", "FN:Again Person 3"]
    assert crm.ok("show", "again1@example.com", "--json").json()["title"] == "Edited in crm"
    reads.clear()
    tagged = crm.ok("import", str(vcf), "--tag", "second")  # another import: read again
    assert _summary(tagged) == "created 0, updated 4, unchanged 0, skipped 1, failed 0"
    assert len(reads) == 5


def test_cards_imported_under_older_reading_rules_are_read_again(crm, tmp_path, reads,
                                                                monkeypatch):
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n) for n in range(3)))
    crm.ok("import", str(vcf))
    monkeypatch.setattr(importer, "READING_RULES", importer.READING_RULES + 1)
    reads.clear()
    again = crm.ok("import", str(vcf))
    assert _summary(again) == "created 0, updated 0, unchanged 3, skipped 0, failed 0"
    assert len(reads) == 3  # read, merged, found the same
    reads.clear()
    assert "unchanged 3" in _summary(crm.ok("import", str(vcf)))
    assert reads == []


def test_an_undone_import_leaves_no_card_recognised(crm, tmp_path, reads):
    """The undo puts back the contact's phones, not its own row: it raises the contact's
    version, so the card imported in between is not taken as current (one pinned moment
    for every command: the contact's row is the same before and after)."""
    first, second = tmp_path / "first.vcf", tmp_path / "second.vcf"
    first.write_text(_card(1))
    second.write_text(_card(1, "TEL:+34 611 111 111"))
    now = {"CRM_NOW": "2026-03-01T10:00:00+00:00"}
    crm.ok("import", str(first), env=now)
    assert "updated 1" in _summary(crm.ok("import", str(second), env=now))
    crm.ok("undo", env=now)
    assert crm.ok("show", "again1@example.com", "--json", env=now).json()["phones"] == []
    assert "updated 1" in _summary(crm.ok("import", str(second), env=now))
    assert "unchanged 1" in _summary(crm.ok("import", str(second), env=now))


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_a_book_of_every_release_recognises_cards_once_imported(tmp_path, release, reads):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        before = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    crm = Crm(path)
    vcf = tmp_path / "cards.vcf"
    vcf.write_text("".join(_card(n) for n in range(3)))
    assert "created 3" in _summary(crm.ok("import", str(vcf)))
    reads.clear()
    assert "unchanged 3" in _summary(crm.ok("import", str(vcf)))
    assert reads == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == before + 3
        hashed = conn.execute("SELECT count(*) FROM contact_cards WHERE card_hash IS NOT NULL"
                              ).fetchone()[0]
        assert hashed == 3  # the cards kept by earlier releases have none


def test_a_batch_redone_card_by_card_still_counts_the_cards_it_recognised(crm, tmp_path):
    vcf = tmp_path / "book.vcf"
    vcf.write_text("".join(_card(n) for n in range(10)))
    crm.ok("import", str(vcf))
    vcf.write_text(vcf.read_text() + _card(99).replace("FN:Again Person 99", "FN:" + "x" * 70_000))
    result = crm("import", str(vcf))
    assert result.exit_code == 1
    assert _summary(result) == "created 0, updated 0, unchanged 10, skipped 0, failed 1"


def test_an_undone_import_of_a_custom_field_leaves_no_card_recognised(crm, tmp_path):
    """Undoing an import that only set a custom field puts back the field's value, not the
    contact's own row: the undo still raises the contact's version, so the card is read (and
    the field set) again on the next import."""
    first, second = tmp_path / "first.vcf", tmp_path / "second.vcf"
    first.write_text(_card(1))
    second.write_text(_card(1, "X-CRMCLI-FIELD;X-NAME=segment:smb"))
    crm.ok("field", "add", "segment", "--type", "text")
    crm.ok("import", str(first))
    assert "updated 1" in _summary(crm.ok("import", str(second)))
    crm.ok("undo")
    assert crm.ok("show", "again1@example.com", "--json").json()["fields"] == {}
    assert "updated 1" in _summary(crm.ok("import", str(second)))
    assert crm.ok("show", "again1@example.com", "--json").json()["fields"] == {"segment": "smb"}


def test_a_cards_key_is_worked_out_once_and_the_keys_kept_stay_few():
    from crmcli.interchange.importer import KEYS_KEPT, OnDuplicate, _Policy

    policy = _Policy(OnDuplicate.merge, ["t"], "ES")
    hashes = [f"{n:040x}" for n in range(KEYS_KEPT + 10)]
    keys = [policy.card_key(card_hash) for card_hash in hashes]
    assert len(policy.keys) <= KEYS_KEPT
    assert [policy.card_key(card_hash) for card_hash in hashes[-5:]] == keys[-5:]
    fresh = _Policy(OnDuplicate.merge, ["t"], "ES")
    assert [fresh.card_key(card_hash) for card_hash in hashes[:3]] == keys[:3]
    assert _Policy(OnDuplicate.merge, [], "ES").card_key(hashes[0]) != keys[0]
