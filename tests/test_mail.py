"""crm log-mail, crm import-mail and crm mail suggest: messages built by the stdlib email
package, read from stdin, a Maildir, an mbox file and a folder of .eml files."""

from __future__ import annotations

import contextlib
import mailbox
import os
import sqlite3
import sys
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_storage import RELEASES

from crmcli import activity
from crmcli import db as storage
from crmcli.limits import check_text
from crmcli.mail.message import BadMail, display_name, excerpt, glance, read_envelope

NOW = "2026-11-25T10:00:00Z"
ANA = "Ana Lima <ana@atlanticofoods.pt>"
BO = "Bo Chen <bo.chen@northwind.example>"
ME = "Me <me@example.org>"


@pytest.fixture
def book(crm, monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_NOW", NOW)
    config = tmp_path / "config.toml"
    config.write_text('[mail]\nme = ["me@example.org"]\n')
    monkeypatch.setenv("CRM_CONFIG", str(config))
    crm.add("Ana Lima", "-e", "ana@atlanticofoods.pt")
    crm.add("Bo Chen", "-e", "bo.chen@northwind.example")
    return crm


def message(sender=ANA, to=ME, subject="Pilot", date="Thu, 19 Nov 2026 10:05:00 -0300",
            body="The pilot is a go.", message_id="<pilot-1@atlanticofoods.pt>", cc=None,
            **headers) -> EmailMessage:
    mail = EmailMessage()
    for name, value in (("From", sender), ("To", to), ("Cc", cc), ("Subject", subject),
                        ("Date", date), ("Message-ID", message_id), *headers.items()):
        if value is not None:
            mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


def emails(crm) -> list[tuple]:
    return [(e["contact"], e["direction"], e["at"], e["text"])
            for e in crm.ok("activity", "-t", "email", "--json").json()]


def maildir(path, *messages) -> str:
    folder = mailbox.Maildir(path, create=True)
    for item in messages:
        folder.add(item)
    return str(path)


def test_log_mail_logs_each_contact_with_direction_subject_date_and_first_lines(book):
    reply = ("Thanks Ana,\n\nsending the contract today.\n\n"
             "On Thu, 19 Nov 2026 at 10:05, Ana Lima <ana@atlanticofoods.pt>\nwrote:\n"
             "> The pilot is a go.\n-- \nMe\nSales, Example Org\n")
    sent = message(sender=ME, to=ANA, cc=BO, subject="Re: Pilot", body=reply,
                   date="Fri, 20 Nov 2026 17:42:10 +0100", message_id="<re-1@example.org>")
    result = book.ok("log-mail", "--json", input=bytes(sent))
    assert [(r["contact"], r["direction"], r["at"]) for r in result.json()] == [
        ("Ana Lima", "out", "2026-11-20T16:42:10Z"), ("Bo Chen", "out", "2026-11-20T16:42:10Z")]
    text = "Re: Pilot\nThanks Ana,\nsending the contract today."
    assert emails(book) == [("Bo Chen", "out", "2026-11-20T16:42:10Z", text),
                            ("Ana Lima", "out", "2026-11-20T16:42:10Z", text)]
    assert "1 message(s): logged 2 email(s)" in result.stderr
    assert book.ok("show", "ana", "--json").json()["last_contacted_at"] == "2026-11-20T16:42:10Z"
    assert "email →" in book.ok("activity", "-f", "table").stdout


def test_a_date_without_a_zone_is_read_in_the_configured_zone(book, tmp_path):
    (tmp_path / "config.toml").write_text('timezone = "America/New_York"\n[mail]\n'
                                          'me = ["me@example.org"]\n')
    book.ok("log-mail", input=bytes(message(date="Thu, 19 Nov 2026 10:05:00 -0000")))
    assert emails(book)[0][:3] == ("Ana Lima", "in", "2026-11-19T15:05:00Z")


def test_the_same_message_from_stdin_a_maildir_an_mbox_and_eml_files_is_logged_once(
        book, tmp_path):
    first, second = message(), message(subject="Numbers", message_id="<numbers@x>",
                                       date="Fri, 20 Nov 2026 09:00:00 +0000")
    book.ok("log-mail", input=bytes(first))
    inbox = maildir(tmp_path / "INBOX", first, second)
    box = mailbox.mbox(tmp_path / "archive.mbox")
    box.add(first)
    box.add(second)
    box.flush()
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "a.eml").write_bytes(bytes(second))

    again = book.ok("import-mail", inbox)
    assert "2 message(s): logged 1 email(s); 1 already logged" in again.stderr
    for path in (inbox, str(tmp_path / "archive.mbox"), str(folder)):
        assert "logged 0 email(s)" in book.ok("import-mail", path).stderr
    assert [(e[0], e[2], e[3].split("\n")[0]) for e in emails(book)] == [
        ("Ana Lima", "2026-11-20T09:00:00Z", "Numbers"),
        ("Ana Lima", "2026-11-19T13:05:00Z", "Pilot")]


def test_log_mail_file_dash_is_stdin(book):
    """`--file -` looked for a file named '-'."""
    logged = book.ok("log-mail", "--file", "-", input=bytes(message()))
    assert "logged 1 email(s)" in logged.stderr
    assert [e[0] for e in emails(book)] == ["Ana Lima"]


def test_an_mbox_is_read_message_by_message_with_from_lines_unquoted(book, tmp_path):
    box = mailbox.mbox(tmp_path / "sent.mbox")
    box.add(message(sender=ME, to=BO, body="From now on we ship weekly.\nBest"))
    box.add(message(message_id="<two@x>", body="Second message"))
    box.flush()
    assert b">From now on" in (tmp_path / "sent.mbox").read_bytes()
    book.ok("import-mail", str(tmp_path / "sent.mbox"))
    assert [(e[0], e[1], e[3]) for e in emails(book)] == [
        ("Ana Lima", "in", "Pilot\nSecond message"),
        ("Bo Chen", "out", "Pilot\nFrom now on we ship weekly.\nBest")]


def _alternative() -> MIMEMultipart:
    mail = MIMEMultipart("alternative")
    mail["From"], mail["To"], mail["Subject"] = ANA, ME, "Both"
    mail["Date"], mail["Message-ID"] = "Thu, 19 Nov 2026 10:05:00 +0000", "<alt@x>"
    mail.attach(MIMEText("Plain wins", "plain", "utf-8"))
    mail.attach(MIMEText("<p>HTML loses</p>", "html", "utf-8"))
    return mail


def _html_only() -> EmailMessage:
    mail = message(body="")
    mail.set_content("<html><head><style>p {color: red}</style><script>x()</script></head>"
                     "<body><p>Ol&aacute; &amp; bom dia,</p><div>os n&uacute;meros<br>"
                     "est&atilde;o prontos</div><blockquote>quoted reply</blockquote>"
                     "<div class=\"gmail_quote\">old thread</div></body></html>",
                     subtype="html", charset="utf-8")
    return mail


def _latin1_body() -> EmailMessage:
    mail = message(body="")
    mail.set_content("Señor, la reunión es mañana".encode("latin-1"), "text", "plain",
                     cte="8bit")
    mail.replace_header("Content-Type", "text/plain; charset=iso-8859-1")
    return mail


def _unknown_charset() -> bytes:
    mail = message(body="")
    mail.set_content("Olá, tudo bem".encode(), "text", "plain", cte="8bit")
    mail.replace_header("Content-Type", "text/plain; charset=x-no-such-charset")
    return bytes(mail)


DECODING = {
    "RFC 2047 subject in KOI8-R": (
        bytes(message(subject="=?koi8-r?b?8NLJ18XU?=")), "Привет\nThe pilot is a go."),
    "RFC 2047 subject in Shift JIS and ISO-8859-1 name": (
        bytes(message(sender="=?iso-8859-1?q?Ana_Lim=E1?= <ana@atlanticofoods.pt>",
                      subject="=?shift_jis?b?grGC8YLJgr+CzQ==?=")),
        "こんにちは\nThe pilot is a go."),
    "multipart/alternative prefers the plain text": (_alternative().as_bytes(),
                                                     "Both\nPlain wins"),
    "HTML only, through a parser": (bytes(_html_only()),
                                    "Pilot\nOlá & bom dia,\nos números\nestão prontos"),
    "8-bit Latin-1 body": (bytes(_latin1_body()), "Pilot\nSeñor, la reunión es mañana"),
    "unknown charset read as UTF-8": (_unknown_charset(), "Pilot\nOlá, tudo bem"),
    "8-bit garbage in the subject": (
        bytes(message(subject="X")).replace(b"Subject: X", b"Subject: caf\xc3\xa9 \xff\xfe"),
        "café \ufffd\ufffd\nThe pilot is a go."),
}


@pytest.mark.parametrize("case", list(DECODING))
def test_decoding(book, case):
    raw, text = DECODING[case]
    book.ok("log-mail", input=raw)
    assert emails(book) == [("Ana Lima", "in", emails(book)[0][2], text)]


def test_a_missing_or_broken_date_falls_back_to_the_delivery_time(book, tmp_path):
    inbox = tmp_path / "INBOX"
    maildir(inbox, message(date=None), message(date="yesterday-ish", message_id="<b@x>"))
    for path in (inbox / "new").iterdir():
        os.utime(path, (1763000000, 1763000000))  # 2025-11-13T02:13:20Z
    book.ok("import-mail", str(inbox))
    assert {e[2] for e in emails(book)} == {"2025-11-13T02:13:20Z"}
    book.ok("log-mail", input=bytes(message(date=None, message_id="<c@x>")))
    assert emails(book)[0][2] == NOW  # stdin has no delivery time: now


def test_a_message_without_message_id_is_logged_once_by_its_headers(book, tmp_path):
    plain = message(message_id=None)
    book.ok("log-mail", input=bytes(plain))
    assert "1 already logged" in book.ok("log-mail", input=bytes(plain)).stderr
    book.ok("log-mail", input=bytes(message(message_id=None, subject="Other")))
    assert len(emails(book)) == 2


def test_bulk_mail_is_skipped_and_counted(book, tmp_path):
    crowd = ", ".join(f"p{n}@example.net" for n in range(20))
    inbox = maildir(tmp_path / "INBOX",
                    message(List_Id="<news.atlanticofoods.pt>", message_id="<1@x>"),
                    message(Precedence="bulk", message_id="<2@x>"),
                    message(cc=crowd, message_id="<3@x>"),
                    message(sender="Shop <news@shop.example>", message_id="<4@x>"),
                    message(message_id="<5@x>"))
    result = book.ok("import-mail", inbox)
    assert ("5 message(s): logged 1 email(s); 0 already logged, 3 bulk skipped, "
            "1 with no contact") in result.stderr
    assert len(emails(book)) == 1


def test_a_campaign_message_is_not_logged_again(book, db_path):
    connection = storage.connect(db_path)
    with storage.transaction(connection):
        activity.log_campaign_mail(connection, 1, "2026-11-19T13:05:00Z", "Pilot", "spring",
                                   "<spring-1@example.org>")
    connection.close()
    sent = message(sender=ME, to=f"{ANA}, {BO}", message_id="<spring-1@example.org>")
    assert "1 already logged" in book.ok("log-mail", input=bytes(sent)).stderr
    assert emails(book) == [("Ana Lima", None, "2026-11-19T13:05:00Z", "Campaign spring: Pilot")]


def test_since_leaves_out_older_mail_and_dry_run_writes_nothing(book, tmp_path):
    inbox = maildir(tmp_path / "INBOX", message(),
                    message(date="Mon, 23 Nov 2026 08:00:00 +0000", message_id="<new@x>"))
    before = book.ok("dump").stdout
    dry = book.ok("import-mail", inbox, "--since", "2026-11-20", "--dry-run", "--json")
    assert [r["id"] for r in dry.json()] == [None]
    assert "would have logged 1 email(s)" in dry.stderr and "1 older than --since" in dry.stderr
    assert book.ok("dump").stdout == before
    book.ok("import-mail", inbox, "--since", "2026-11-20")
    assert [e[2] for e in emails(book)] == ["2026-11-23T08:00:00Z"]


BAD = {
    "not a mail": (["log-mail"], b"just some text\n", "crm: error: stdin: not a mail message "
                                                      "(no From, To or Cc address)\n"),
    "empty stdin": (["log-mail"], b"", "crm: error: stdin is empty: give one mail message "
                                      "(mutt: <pipe-message>)\n"),
    "a folder that is not a Maildir": (["import-mail", "{tmp}"], None,
                                       "crm: error: {tmp}: not a Maildir (no cur/ and new/ "
                                       "folders) and no .eml files in it\n"),
    "no such path": (["import-mail", "{tmp}/nowhere"], None,
                     "crm: error: {tmp}/nowhere: no such file or folder\n"),
    "a folder given to log-mail": (["log-mail", "--file", "{tmp}"], None,
                                   "crm: error: {tmp} is a folder; crm log-mail reads one "
                                   "message (crm import-mail reads a Maildir)\n"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_changes_nothing(book, tmp_path, case):
    words, stdin, expected = BAD[case]
    folder = tmp_path / "empty"
    folder.mkdir()
    before = book.ok("dump").stdout
    result = book(*[w.format(tmp=folder) for w in words], input=stdin)
    assert (result.exit_code, result.stderr) == (1, expected.format(tmp=folder))
    assert book.ok("dump").stdout == before


def test_a_bad_message_in_a_maildir_is_reported_by_file_and_the_rest_logged(book, tmp_path):
    inbox = maildir(tmp_path / "INBOX", message())
    garbage = tmp_path / "INBOX" / "cur" / "1700000000.garbage:2,S"
    garbage.write_bytes(b"\x00\xff\xfe binary \x89PNG\r\n\x1a\n" * 50)
    result = book("import-mail", inbox)
    assert result.exit_code == 1
    assert (f"crm: warning: {garbage}: not a mail message (no From, To or Cc address); "
            "skipped") in result.stderr
    assert "2 message(s): logged 1 email(s)" in result.stderr and "1 unreadable" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(emails(book)) == 1


def test_mail_suggest_lists_frequent_correspondents_not_in_the_book(book, tmp_path):
    lena = "=?utf-8?q?Lena_Nov=C3=A1k?= <lena@novak.example>"
    sent = [message(sender=ME, to=lena, message_id=f"<{n}@x>",
                    date=f"Mon, {16 + n} Nov 2026 08:00:00 +0000") for n in range(3)]
    sent += [message(sender=ME, to="once@example.net", message_id="<once@x>"),
             message(sender=ME, to=f"{ANA}, tom@baker.example", message_id="<t1@x>"),
             message(sender="tom@baker.example", to=ME, message_id="<t2@x>"),
             message(sender="list@x.example", List_Id="<x>", message_id="<l1@x>"),
             message(sender="list@x.example", List_Id="<x>", message_id="<l2@x>")]
    inbox = maildir(tmp_path / "Sent", *sent)
    found = book.ok("mail", "suggest", inbox, "--json").json()
    assert [(p["name"], p["email"], p["messages"], p["last"], p["command"]) for p in found] == [
        ("Lena Novák", "lena@novak.example", 3, "2026-11-18",
         "crm add 'Lena Novák' -e lena@novak.example"),
        ("", "tom@baker.example", 2, "2026-11-19",
         "crm add tom@baker.example -e tom@baker.example")]


def test_mail_suggest_without_a_path_reads_the_configured_folders(book, tmp_path):
    inbox = maildir(tmp_path / "INBOX", *[message(sender="x@y.example", message_id=f"<{n}@x>")
                                          for n in range(2)])
    assert book("mail", "suggest").exit_code == 2
    (tmp_path / "config.toml").write_text(f'[mail]\nme = ["me@example.org"]\n'
                                          f'folders = ["{inbox}"]\n')
    assert [p["email"] for p in book.ok("mail", "suggest", "--json").json()] == ["x@y.example"]


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_mail_is_logged_on_an_upgraded_release_book(crm, db_path, tmp_path, release,
                                                     monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
    mail = message(sender="José <jose@iberialog.es>", to=f"{ME}, jose.nunez@iberialog.es",
                   message_id="<renewal@x>")
    crm.ok("log-mail", input=bytes(mail))
    assert "1 already logged" in crm.ok("log-mail", input=bytes(mail)).stderr
    logged = crm.ok("activity", "-t", "email", "--json").json()
    assert [(e["contact"], e["text"]) for e in logged if e["direction"]] == [
        ("José Núñez", "Pilot\nThe pilot is a go.")]
    columns = {row[1] for row in sqlite3.connect(db_path).execute(
        "PRAGMA table_info(interactions)")}
    assert {"direction", "message_id"} <= columns


SAMPLES = [bytes(message()), _alternative().as_bytes(), bytes(_html_only()),
           _unknown_charset()]


@settings(max_examples=150, deadline=None)
@given(sample=st.sampled_from(SAMPLES), cut=st.integers(0, 4000),
       noise=st.binary(max_size=200), at=st.integers(0, 4000))
def test_mangled_messages_give_clean_text_or_bad_mail(sample, cut, noise, at):
    """Whatever the bytes, the text that reaches the book is valid Unicode (check_text
    refuses lone surrogates), or the message is refused as BadMail."""
    mangled = sample[:at] + noise + sample[at:][:cut]
    with contextlib.suppress(BadMail):
        seen = glance(mangled)
        envelope = read_envelope(mangled)
        texts = [envelope.subject, envelope.key, *(display_name(name) + email
                                                   for name, email in seen.addresses)]
        for text in [*texts, excerpt(mangled)]:
            check_text("text", text, 10**9)


@pytest.mark.parametrize("form", ["encoded words", "UTF-8 (RFC 6532)"])
def test_an_address_with_a_non_ascii_local_part_matches_its_contact(book, form):
    book.add("Óscar Silva", "-e", "óscar@correo.example")
    mail = message(sender="Óscar Silva <óscar@correo.example>")
    raw = bytes(mail) if form == "encoded words" else bytes(mail).replace(
        bytes(mail).split(b"\n")[0], "From: Óscar Silva <óscar@correo.example>".encode())
    assert (b"=?utf-8?" in raw.split(b"\n")[0]) == (form == "encoded words")
    book.ok("log-mail", input=raw)
    assert [(e[0], e[1]) for e in emails(book)] == [("Óscar Silva", "in")]


def test_import_mail_prints_only_what_the_pre_hooks_kept(book, tmp_path):
    hooks = tmp_path / "config" / "crmcli" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    refuse_bo = hooks / "pre-modify"
    refuse_bo.write_text(f"#!{sys.executable}\nimport json, sys\n"
                         "for number, line in enumerate(sys.stdin, 1):\n"
                         "    if json.loads(line)['after']['name'] == 'Bo Chen':\n"
                         "        print(number, 'not Bo')\n")
    refuse_bo.chmod(0o755)
    inbox = maildir(tmp_path / "inbox", message(sender=ME, to=ANA, cc=BO))
    result = book.ok("import-mail", inbox, "--json")
    assert [record["contact"] for record in result.json()] == ["Ana Lima"]
    assert [contact for contact, *_ in emails(book)] == ["Ana Lima"]
    assert "logged 1 email(s)" in result.stderr
