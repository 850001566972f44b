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


def test_a_relationship_to_a_long_unknown_uid_is_named_short(crm, tmp_path):
    """The warning quoted the card's UID whole: a 100,000-character line on stderr."""
    vcf = tmp_path / "book.vcf"
    vcf.write_text(_card(1, "EMAIL:one@example.com",
                         "RELATED;TYPE=friend:urn:uuid:" + "x" * 100_000))
    result = crm.ok("import", str(vcf))
    assert (f"card 1 (line 1): friend (UID {'x' * 40}…) is not in the book; relationship "
            "left out") in result.stderr
    assert max(map(len, result.stderr.splitlines())) < 200


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


def _corpus_cards() -> bytes:
    """Every card of the corpus, one file after another (a card nested in another stays
    in it); the bytes as they are, whatever their charset."""
    cards, depth = [], 0
    for path in sorted(CORPUS.glob("*.vcf")):
        for line in path.read_bytes().splitlines(keepends=True):
            word = line.strip().upper()
            depth += word == b"BEGIN:VCARD"
            if depth:
                cards.append(line if line.endswith(b"\n") else line + b"\r\n")
            depth -= depth > 0 and word == b"END:VCARD"
        depth = 0  # a file's last card left open stays its own
    return b"".join(cards)


def test_a_second_import_of_the_whole_corpus_creates_nobody(crm, tmp_path):
    """Cards that warn are read again (so that they warn again) and must then match the
    contacts they made: the Japanese test cards have no UID, no email, and phones kept as
    text (``TEL;X-NEC-SECRET:9``)."""
    vcf = tmp_path / "corpus.vcf"
    vcf.write_bytes(_corpus_cards())
    first = _summary(crm("import", str(vcf)))
    assert first.startswith("created ") and not first.startswith("created 0,")
    count = len(crm.ok("list", "--json").json())
    second = crm("import", str(vcf))
    assert _summary(second).startswith("created 0, updated 0, unchanged "), second.stderr
    assert "is kept as text" in second.stderr
    assert len(crm.ok("list", "--json").json()) == count


def test_a_card_matched_only_by_its_name_and_a_phone_kept_as_text_is_not_created_again(
        crm, tmp_path):
    vcf = tmp_path / "one.vcf"
    vcf.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Text Phone\r\nTEL:9\r\nEND:VCARD\r\n")
    for summary in ("created 1, updated 0, unchanged 0", "created 0, updated 0, unchanged 1",
                    "created 0, updated 0, unchanged 1"):
        result = crm.ok("import", str(vcf))
        assert _summary(result).startswith(summary)
        assert "phone '9' is kept as text: not a phone number" in result.stderr
    assert [row["name"] for row in crm.ok("list").rows()] == ["Text Phone"]


def test_a_phone_kept_as_text_matches_only_the_same_text(crm, tmp_path):
    """Another text under the same name is another person, as another number would be."""
    crm.add("Text Phone", "--phone", "9")
    vcf = tmp_path / "one.vcf"
    vcf.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Text Phone\r\nTEL:8\r\nEND:VCARD\r\n")
    assert _summary(crm.ok("import", str(vcf))).startswith("created 1,")


def _warned_card(*lines: str) -> str:
    """A card with nothing to match it by but its name (no UID, email or phone)."""
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Warned Once\r\n"
            + "".join(line + "\r\n" for line in lines) + "END:VCARD\r\n")


def _stored_hashes(db_path) -> list[tuple]:
    conn = storage.connect(db_path)
    try:
        return conn.execute("SELECT contact_id, card_hash IS NOT NULL, hashed_version"
                            " FROM contact_cards ORDER BY contact_id").fetchall()
    finally:
        conn.close()


def test_a_card_that_warns_with_only_a_name_is_created_once_and_warns_every_time(
        crm, db_path, tmp_path):
    """Read again so that it warns again, it has only its name to be matched by: its digest,
    remembered as known but not as unchanged, finds the contact it made; the dry run agrees."""
    vcf = tmp_path / "warned.vcf"
    vcf.write_text(_warned_card("BDAY:1980-01-02x"))
    warning = "card 1 (line 4): BDAY '1980-01-02x' is not a date; kept as is"
    first = crm.ok("import", str(vcf))
    assert _summary(first) == "created 1, updated 0, unchanged 0, skipped 0, failed 0"
    assert warning in first.stderr
    for _ in range(2):
        rehearsed = crm.ok("import", str(vcf), "--dry-run")
        done = crm.ok("import", str(vcf))
        assert _summary(done) == "created 0, updated 0, unchanged 1, skipped 0, failed 0"
        assert _summary(rehearsed) == "dry run, nothing written: would have " + _summary(done)
        assert warning in done.stderr and warning in rehearsed.stderr
    assert [row["name"] for row in crm.ok("list").rows()] == ["Warned Once"]
    assert _stored_hashes(db_path) == [(1, 1, None)]


def test_a_name_only_card_whose_relationships_warn_is_created_once(crm, tmp_path):
    vcf = tmp_path / "related.vcf"
    vcf.write_text(_warned_card("RELATED;TYPE=friend:urn:uuid:nobody"))
    warning = "card 1 (line 1): friend (UID nobody) is not in the book; relationship left out"
    for summary in ("created 1, updated 0, unchanged 0", "created 0, updated 0, unchanged 1",
                    "created 0, updated 0, unchanged 1"):
        rehearsed = crm.ok("import", str(vcf), "--dry-run")
        done = crm.ok("import", str(vcf))
        assert _summary(done).startswith(summary)
        assert _summary(rehearsed) == "dry run, nothing written: would have " + _summary(done)
        assert warning in done.stderr and warning in rehearsed.stderr
    assert [row["name"] for row in crm.ok("list").rows()] == ["Warned Once"]


def test_the_undo_of_a_merge_found_by_a_warned_cards_digest_is_exact(crm, db_path, tmp_path):
    """The title taken out since is put back by the merge, and the card (saved again when
    the merge adds to it) is still known to be the contact's; the undo takes the title out."""
    vcf = tmp_path / "warned.vcf"
    vcf.write_text(_warned_card("TITLE:Boss", "BDAY:1980-01-02x"))
    crm.ok("import", str(vcf))
    crm.ok("edit", "1", "--title", "")
    before = crm.ok("show", "1", "--json").json()
    assert _summary(crm.ok("import", str(vcf))).startswith("created 0, updated 1,")
    assert crm.ok("show", "1", "--json").json()["title"] == "Boss"
    assert _stored_hashes(db_path) == [(1, 1, None)]
    crm.ok("undo")
    after = crm.ok("show", "1", "--json").json()
    assert after.pop("version") > before.pop("version")  # an undo moves the version on
    assert after == before
    assert _summary(crm.ok("import", str(vcf))).startswith("created 0, updated 1,")
    assert len(crm.ok("list").rows()) == 1


def test_a_card_that_warns_warns_again_even_when_its_relationships_link(crm, tmp_path):
    """Its digest is remembered once the relationships are linked, which went well: the
    warning of its reading still keeps it from being taken as unchanged."""
    vcf = tmp_path / "book.vcf"
    vcf.write_text(_card(1, "BDAY:1980-01-02x", "RELATED;TYPE=friend:urn:uuid:same-2")
                   + _card(2))
    warning = "card 1 (line 5): BDAY '1980-01-02x' is not a date; kept as is"
    for summary in ("created 2, updated 0, unchanged 0", "created 0, updated 0, unchanged 2",
                    "created 0, updated 0, unchanged 2"):
        result = crm.ok("import", str(vcf))
        assert _summary(result).startswith(summary)
        assert warning in result.stderr
    assert "Same Person 2" in crm.ok("relations", "Same Person 1").stdout


def test_a_reimport_keeps_the_contact_of_no_card_it_counts_unchanged(db_path):
    """Only the cards read again need the contact their card went to: a re-import of a
    million unchanged cards kept a million keys in memory. Asked about a batch, the quiet
    cards (unchanged) leave nothing; the one that warned leaves its contact."""
    cards = "".join(_card(n) for n in range(5)) + _card(5, "BDAY:1980-01-02x")
    assert _import(db_path, cards).created == 6
    conn = storage.connect(db_path)
    try:
        source = input_files.Source("cards.vcf", io.BytesIO(cards.encode()), None)
        records = list(input_files.read_records(source, input_files.Format.vcard, "dmy",
                                                dt.date(2026, 1, 1)))
        policy = importer._Policy(importer.OnDuplicate.merge, [], None)
        unread = importer._unrecognised(conn, policy, records)
    finally:
        conn.close()
    assert [record.where.split(" (")[0] for record in unread] == ["cards.vcf: card 6"]
    assert list(policy.owners.values()) == [6]
