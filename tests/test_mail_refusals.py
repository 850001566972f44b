"""crm import-mail with pre- hooks that refuse: a batch refused whole is reported and skipped,
as an import skips the records its hooks refuse; the batches after it go on."""

from __future__ import annotations

import sys
from pathlib import Path

import test_mail
from test_mail import ANA, BO, ME, emails, maildir, message

from crmcli.mail import capture

REFUSE_BO = f"""#!{sys.executable}
import json, sys
for number, line in enumerate(sys.stdin, 1):
    if json.loads(line)["after"]["name"] == "Bo Chen":
        print(number, "not Bo")
"""

book = test_mail.book


def _refuse_bo(tmp_path) -> None:
    """Install the hook, with a timeout no loaded machine reaches: past the default 10 s, a
    batch would be refused for the hook's silence rather than for Bo."""
    hook = tmp_path / "config" / "crmcli" / "hooks" / "pre-modify"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(REFUSE_BO)
    hook.chmod(0o755)
    config = tmp_path / "config.toml"  # the book's (see test_mail.book)
    config.write_text(config.read_text() + '[hooks]\ntimeout = "120s"\n')


def test_a_batch_the_pre_hook_refuses_whole_is_skipped_and_the_next_go_on(
        book, tmp_path, monkeypatch):
    """A message a batch: the second, to Bo alone, is refused whole; the run exits 0, as an
    import whose hooks refuse records does."""
    monkeypatch.setattr(capture, "BATCH_MESSAGES", 1)
    _refuse_bo(tmp_path)
    inbox = maildir(tmp_path / "inbox", *(
        message(sender=ME, to=to, subject=subject, message_id=f"<{subject}@example.org>",
                date=f"Thu, {day} Nov 2026 10:05:00 +0000")
        for to, subject, day in ((ANA, "first", 17), (BO, "second", 18), (ANA, "third", 19))))
    result = book.ok("import-mail", inbox, "--json")
    assert [(r["contact"], r["subject"]) for r in result.json()] == [
        ("Ana Lima", "first"), ("Ana Lima", "third")]
    assert [(contact, text.split("\n")[0]) for contact, _, _, text in emails(book)] == [
        ("Ana Lima", "third"), ("Ana Lima", "first")]
    lines = result.stderr.splitlines()
    assert lines[0] == ("crm: warning: the pre-modify hook refused the change: not Bo; "
                        "1 message(s) not logged")
    assert lines[-1] == ("3 message(s): logged 2 email(s); 0 already logged, 0 bulk skipped, "
                         "0 with no contact, 1 refused")


def test_one_message_logged_and_refused_is_an_error(book, tmp_path):
    """crm log-mail is one change, refused as any command's: an error, nothing logged."""
    _refuse_bo(tmp_path)
    result = book("log-mail", input=bytes(message(sender=ME, to=BO)))
    assert (result.exit_code, result.stderr) == (
        1, "crm: error: the pre-modify hook refused the change: not Bo\n")
    assert emails(book) == []


SILENT = """#!/bin/sh
echo "$CRM_HOOK" >> {log}
exec sleep 60
"""


def _silent_hooks(tmp_path) -> Path:
    """pre-add and pre-modify hooks that note each call and never answer; a timeout short
    enough for a test, long enough for /bin/sh to note the call on a loaded machine."""
    log = tmp_path / "asked.log"
    for name in ("pre-add", "pre-modify"):
        hook = tmp_path / "config" / "crmcli" / "hooks" / name
        hook.parent.mkdir(parents=True, exist_ok=True)
        hook.write_text(SILENT.format(log=log))
        hook.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text() + '[hooks]\ntimeout = "2s"\n')
    return log


def test_a_hook_that_times_out_is_asked_once_by_import_mail(book, tmp_path, monkeypatch):
    """It was asked again for every batch, a whole timeout each: the later batches are now
    refused at once, and said so in one line."""
    monkeypatch.setattr(capture, "BATCH_MESSAGES", 1)
    log = _silent_hooks(tmp_path)
    inbox = maildir(tmp_path / "inbox", *(
        message(sender=ME, to=ANA, subject=subject, message_id=f"<{subject}@example.org>",
                date=f"Thu, {day} Nov 2026 10:05:00 +0000")
        for subject, day in (("first", 17), ("second", 18), ("third", 19))))
    result = book.ok("import-mail", inbox)
    assert log.read_text() == "pre-modify\n"
    assert result.stderr.splitlines() == [
        "crm: warning: the pre-modify hook refused the change: no answer within 2 s; "
        "1 message(s) not logged",
        "crm: warning: the pre-modify hook refused the change: not asked again after no "
        "answer within 2 s; 2 message(s) not logged",
        "3 message(s): logged 0 email(s); 0 already logged, 0 bulk skipped, 0 with no "
        "contact, 3 refused"]
    assert emails(book) == []


def test_a_hook_that_times_out_is_asked_once_by_import(book, tmp_path):
    """crm import asks each pre- hook once for all its records: no answer refuses them all."""
    log = _silent_hooks(tmp_path)
    cards = tmp_path / "cards.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEND:VCARD\r\n"
                             for name in ("Cy Dee", "Di Eve", "Ed Fox")))
    before = book.ok("list", "--json").json()
    result = book.ok("import", str(cards))
    assert log.read_text() == "pre-add\n"
    assert result.stderr.splitlines()[-2:] == [
        "the hooks refused 3 record(s); they were skipped",
        "created 0, updated 0, unchanged 0, skipped 0, failed 0"]
    assert book.ok("list", "--json").json() == before
