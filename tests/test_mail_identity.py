"""Messages without Message-ID: known by their headers and a digest of their text, and those
logged before the text counted still recognised by their headers alone. Long Message-IDs and
subjects: bounded, and what earlier crm stored still recognised."""

from __future__ import annotations

import hashlib
import sqlite3

import test_mail
from test_mail import ANA, ME, emails, maildir, message

book = test_mail.book


def _note(body: str):
    """A note to self with neither date, subject nor Message-ID."""
    return message(sender=ANA, to=ME, subject=None, date=None, message_id=None, body=body)


def test_two_messages_with_the_same_headers_and_other_texts_are_two(book, tmp_path):
    inbox = maildir(tmp_path / "inbox", _note("Call me about the pilot."),
                    _note("The contract is signed."))
    assert "logged 2 email(s)" in book.ok("import-mail", inbox).stderr
    assert sorted(text for *_, text in emails(book)) == [
        "(no subject)\nCall me about the pilot.", "(no subject)\nThe contract is signed."]
    again = book.ok("import-mail", inbox).stderr
    assert "logged 0 email(s); 2 already logged" in again
    copy = bytes(_note("The contract is signed.")).replace(b"\n", b"\r\n")  # an mbox's copy
    assert "1 already logged" in book.ok("log-mail", input=copy).stderr


def test_a_message_logged_by_its_headers_alone_is_still_known(book, db_path):
    """An email logged before the text counted has the headers' hash alone as its id."""
    note = bytes(_note("Call me about the pilot."))
    book.ok("log-mail", input=note)
    with sqlite3.connect(db_path) as conn:
        stored = conn.execute("SELECT message_id FROM interactions").fetchone()[0]
        header_hash = stored.split("+")[0]
        conn.execute("UPDATE interactions SET message_id = ?", [header_hash])
    assert "1 already logged" in book.ok("log-mail", input=note).stderr
    assert len(emails(book)) == 1


def test_a_message_id_the_parser_cannot_read_is_as_good_as_none(book, tmp_path):
    """The stdlib raises on an empty Message-ID (<>): such mail is known by its headers and
    text, not skipped as unreadable."""
    inbox = maildir(tmp_path / "inbox", *(
        b"Message-ID: " + empty + b"\n" + bytes(_note(text))
        for empty, text in ((b"<>", "Call me."), (b"< >", "Signed."), (b"<@>", "Paid."))))
    assert "logged 3 email(s)" in book.ok("import-mail", inbox).stderr
    assert "logged 0 email(s); 3 already logged" in book.ok("import-mail", inbox).stderr


def test_a_long_message_id_is_stored_as_its_hash_and_a_long_subject_cut(book, db_path):
    long_id = "<" + "a" * 500_000 + "@atlanticofoods.pt>"
    mail = bytes(message(message_id=long_id, subject="Pilot " * 100_000))
    logged = book.ok("log-mail", "--json", input=mail).json()
    digest = hashlib.sha256(long_id.encode()).hexdigest()
    assert [row["message_id"] for row in logged] == [f"sha256:{digest}"]
    assert logged[0]["subject"] == ("Pilot " * 50)[:-1]  # 300 characters, the space stripped
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT length(message_id), length(body) FROM interactions"
                            ).fetchone() == (71, 299 + 1 + len("The pilot is a go."))
    assert "1 already logged" in book.ok("log-mail", input=mail).stderr
    other = bytes(message(message_id=long_id.replace("a@", "b@")))
    assert "logged 1 email(s)" in book.ok("log-mail", input=other).stderr


def test_a_long_message_id_logged_cut_by_an_earlier_crm_is_still_known(book, db_path):
    long_id = "<" + "a" * 5_000 + "@atlanticofoods.pt>"
    mail = bytes(message(message_id=long_id))
    book.ok("log-mail", input=mail)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE interactions SET message_id = ?", [long_id[:998]])
    assert "1 already logged" in book.ok("log-mail", input=mail).stderr
    assert len(emails(book)) == 1
