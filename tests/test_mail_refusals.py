"""crm import-mail with pre- hooks that refuse: a batch refused whole is reported and skipped,
as an import skips the records its hooks refuse; the batches after it go on."""

from __future__ import annotations

import sys

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
