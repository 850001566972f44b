"""What an import reports is the same however it gets there: a batch redone card by card, a
dry run, a card recognised unchanged by its digest rather than read."""

from __future__ import annotations

import datetime as dt
import io

from conftest import CORPUS

from crmcli import db as storage
from crmcli.interchange import importer, input_files


def _card(n: int, *lines: str, name: str | None = None) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:same-{n}\r\nFN:{name or f'Same Person {n}'}\r\n"
            + "".join(line + "\r\n" for line in lines) + "END:VCARD\r\n")


def _import(db_path, text: str, progress=None) -> importer.ImportReport:
    conn = storage.connect(db_path)
    source = input_files.Source("cards.vcf", io.BytesIO(text.encode()), None)
    records = input_files.read_records(source, input_files.Format.vcard, "dmy",
                                       dt.date(2026, 1, 1))
    try:
        return importer.run(conn, records, progress=progress)
    finally:
        conn.close()


def test_the_progress_never_steps_back_when_a_batch_is_redone_card_by_card(db_path):
    """The eleventh card (a name past the limit) fails the batch, which is rolled back and
    imported again card by card: the progress goes on from where it was, each count once."""
    cards = "".join(_card(n) for n in range(10)) + _card(10, name="x" * 70_000)
    seen: list[int] = []
    report = _import(db_path, cards, seen.append)
    assert (report.created, report.failed) == (10, 1)
    assert seen == list(range(1, 12))


def _summary(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_a_dry_run_of_a_file_imported_before_reports_what_the_import_does(crm):
    """Cards without UID or email (half of this file) cannot be matched to the contacts
    they made: only their digest recognises them, and the dry run asks for it too."""
    vcf = CORPUS / "syncevolution__vcard21.vcf"
    crm.ok("import", str(vcf))
    rehearsed = _summary(crm.ok("import", str(vcf), "--dry-run"))
    done = _summary(crm.ok("import", str(vcf)))
    assert done == "created 0, updated 0, unchanged 16, skipped 0, failed 0"
    assert rehearsed == "dry run, nothing written: would have " + done


def test_a_card_whose_relationships_warn_warns_again_on_every_import(crm, tmp_path):
    """Its relationships are linked once every card is in, after the card was remembered as
    imported; a card recognised by its digest is not read, so it would warn no more."""
    vcf = tmp_path / "book.vcf"
    vcf.write_text(_card(1, "EMAIL:one@example.com", "RELATED;TYPE=friend:urn:uuid:nobody")
                   + _card(2, "EMAIL:two@example.com"))
    warning = "card 1 (line 1): friend (UID nobody) is not in the book; relationship left out"
    for options in ([], [], ["--dry-run"]):
        result = crm.ok("import", str(vcf), *options)
        assert warning in result.stderr, options
    assert _summary(crm.ok("import", str(vcf))) == (
        "created 0, updated 0, unchanged 2, skipped 0, failed 0")


def test_an_import_interrupted_before_linking_links_on_the_next_run(crm, tmp_path, monkeypatch):
    """The batches are in, the relationships not yet linked: the next run reads the card that
    has them again (its digest is not remembered before they are linked) and links them."""
    vcf = tmp_path / "book.vcf"
    vcf.write_text(_card(1, "EMAIL:one@example.com", "RELATED;TYPE=friend:urn:uuid:same-2")
                   + _card(2, "EMAIL:two@example.com"))

    def interrupted(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(importer, "_link_relations", interrupted)
        assert crm("import", str(vcf)).exit_code == 130
    assert "Same Person 2" not in crm.ok("relations", "Same Person 1").stdout
    assert _summary(crm.ok("import", str(vcf))) == (
        "created 0, updated 0, unchanged 2, skipped 0, failed 0")
    assert "Same Person 2" in crm.ok("relations", "Same Person 1").stdout
    assert _summary(crm.ok("import", str(vcf), "--dry-run")) == (
        "dry run, nothing written: would have created 0, updated 0, unchanged 2, skipped 0,"
        " failed 0")
