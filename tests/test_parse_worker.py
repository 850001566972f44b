"""Long imports parse in a worker process that is a new Python process, not a fork of the
importer: it loads what parsing needs and nothing else (a fork held the whole command line,
and the summed RSS of the two counted the pages they shared twice)."""

from __future__ import annotations

import io
import os
import sys
import textwrap

import pytest

from crmcli.interchange import input_files, parallel_map, vcard_records
from crmcli.interchange.input_files import Source

# A module the worker can import without the tests' own imports (pytest, the command line):
# what it finds loaded after reading a card, and a read that fails.
PROBE = textwrap.dedent("""\
    import os, sys

    def loaded(unread):
        unread()
        return os.getpid(), sorted(sys.modules)

    def failing(item):
        if item == 150:
            raise ValueError(f"item {item} refused")
        return item
    """)
NOT_FOR_PARSING = ["typer", "click", "rich", "crmcli.cli", "crmcli.db", "sqlite3",
                   "crmcli.interchange.importer", "hashlib", "vobject", "dateutil"]


@pytest.fixture
def probe(tmp_path, monkeypatch):
    (tmp_path / "worker_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 2)
    import worker_probe

    yield worker_probe
    del sys.modules["worker_probe"]


def _unread_cards(count: int) -> list:
    text = "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:w-{n}\r\nFN:Worker Person {n}\r\n"
                   f"N:Person;Worker;;;\r\nEMAIL;TYPE=INTERNET:w{n}@example.com\r\n"
                   f"TEL;TYPE=CELL:+34 600 {n:06d}\r\nNOTE:met\\, once\r\nEND:VCARD\r\n"
                   for n in range(count))
    source = Source("cards.vcf", io.BytesIO(text.encode()), None)
    return [record.unread for record in input_files._vcard_records(source)]


def test_the_worker_reads_cards_without_the_command_line_or_the_book(probe):
    answers = list(parallel_map.ordered_map(probe.loaded, _unread_cards(250)))
    assert {pid for pid, _ in answers} - {os.getpid()}  # read in another process
    pid, modules = answers[-1]
    assert pid != os.getpid() and "crmcli.interchange.vcard_read" in modules
    assert [name for name in NOT_FOR_PARSING if name in modules] == []


def test_an_exception_in_the_worker_is_raised_in_the_importer(probe):
    with pytest.raises(ValueError, match="item 150 refused"):
        list(parallel_map.ordered_map(probe.failing, range(400)))


def test_a_bad_card_is_reported_with_its_number_when_a_worker_reads_it(crm, tmp_path,
                                                                        monkeypatch):
    started = []

    class Counted(parallel_map._Worker):
        def __init__(self) -> None:
            started.append(1)
            super().__init__()

    monkeypatch.setattr(parallel_map, "_Worker", Counted)
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 2)
    path = tmp_path / "many.vcf"
    path.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\n{'FN:Person ' + str(n) if n != 321 else 'NOTE:x'}\r\n"
        "END:VCARD\r\n" for n in range(400)), newline="")
    result = crm("import", str(path))
    assert started == [1]
    assert result.exit_code == 1
    assert ("many.vcf: card 322 (line 1285): no FN, N, ORG or EMAIL to name the contact"
            in result.stderr)
    assert "created 399, updated 0, unchanged 0, skipped 0, failed 1" in result.stderr


def test_a_module_in_the_current_directory_is_not_run_by_the_worker(probe, tmp_path,
                                                                    monkeypatch):
    """``python -c`` puts the current directory first on the path: a pickle.py in the folder
    the import is run from would run before the worker takes its parent's path."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "pickle.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    monkeypatch.chdir(folder)
    answers = list(parallel_map.ordered_map(probe.failing, range(151, 451)))
    assert answers == list(range(151, 451))
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("executable", ["", None])
def test_without_a_known_interpreter_the_batches_are_mapped_here(probe, monkeypatch,
                                                                 executable):
    monkeypatch.setattr(sys, "executable", executable)
    answers = list(parallel_map.ordered_map(probe.loaded, _unread_cards(250)))
    assert {pid for pid, _ in answers} == {os.getpid()}


def _dies_on_card_300(raw, prefix: str, digest: str):
    """The worker ends on card 300, as when it is killed (the importer reads no card here)."""
    in_worker = os.getpid() != int(os.environ["CRM_TEST_IMPORTER"])
    if in_worker and raw.text.split("\n")[2].strip() == "FN:Person 300":
        os._exit(9)
    return vcard_records.read_vcard(raw, prefix, digest)


def test_a_worker_that_dies_is_one_line_saying_what_is_in(crm, db_path, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("CRM_TEST_IMPORTER", str(os.getpid()))
    monkeypatch.setattr(input_files, "read_vcard", _dies_on_card_300)
    monkeypatch.setattr(parallel_map, "usable_cores", lambda: 2)
    path = tmp_path / "many.vcf"
    path.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n}\r\nEND:VCARD\r\n"
                            for n in range(1000)), newline="")
    result = crm("import", str(path))
    assert result.exit_code == 1
    line, = result.stderr.splitlines()
    assert line.startswith("crm: error: the parsing worker stopped (exit 9); the first ")
    committed = int(line.split("the first ")[1].split()[0])
    assert len(crm.ok("list", "--json").json()) == committed < 1000
