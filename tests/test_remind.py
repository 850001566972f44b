"""``crm remind`` end to end: a real SMTP server (aiosmtpd) on 127.0.0.1, with and without
authentication, sendmail through a script, stdout, idempotence and loud failures."""

from __future__ import annotations

import email
import socket
import sqlite3
import stat
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# Plain-text AUTH is what the test server offers; aiosmtpd warns about it on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "me@example.com", "s3cret pass"


class Recorder:
    """An aiosmtpd handler keeping every message; it refuses recipients at nobody@."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data):
    valid = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=valid, handled=False)  # not handled: aiosmtpd sends 235 or 535


def _serve(with_auth: bool):
    recorder = Recorder()
    options = {"authenticator": _authenticate, "auth_required": True,
               "auth_require_tls": False} if with_auth else {}
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    return controller, recorder


@pytest.fixture
def smtp_server():
    controller, recorder = _serve(with_auth=False)
    recorder.port = controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def auth_server():
    controller, recorder = _serve(with_auth=True)
    recorder.port = controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def configure(tmp_path, monkeypatch):
    """Write the config file: [remind] to/from plus the given [smtp] lines."""
    path = tmp_path / "crm.toml"
    monkeypatch.setenv("CRM_CONFIG", str(path))

    def write(smtp: str = "", remind: str = 'to = "me@example.com"\nfrom = "crm@example.com"'):
        path.write_text(f"[remind]\n{remind}\n[smtp]\n{smtp}\n")

    return write


@pytest.fixture
def due_book(crm, db_path, monkeypatch):
    """Something overdue, something today, someone to call again and a birthday tomorrow."""
    import datetime as dt

    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00+00:00")
    tomorrow = dt.date(2026, 11, 26)
    crm.add("José Núñez", "-c", "Iberia Logistics")
    crm.add("Ana <Lima>", "--birthday", f"1990-{tomorrow:%m-%d}")
    crm.add("Bo Chen")
    crm.ok("follow-up", "jose", "2 days ago", "Send the renewal quote")
    crm.ok("follow-up", "ana", "today", "Call about the pilot")
    crm.ok("follow-up", "bo", "+2d", "Demo of the API")
    crm.ok("edit", "bo", "--cadence", "30d")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE contacts SET created_at = '2026-01-01T00:00:00Z' WHERE id = 3")


def _sent_rows(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM reminders_sent").fetchone()[0]


def _smtp_lines(port: int, security: str = "none", user: bool = False) -> str:
    lines = f'host = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\ntimeout = 5\n'
    if user:
        lines += f'user = "{USER}"\npassword_env = "CRM_TEST_SMTP_PASSWORD"\n'
    return lines


# ----------------------------------------------------------------------------------- SMTP


def test_sends_the_digest_once_a_day(crm, db_path, due_book, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port))
    result = crm.ok("remind")
    assert (result.stdout, result.stderr) == ("", "")  # quiet for cron
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "crm@example.com"
    assert envelope.rcpt_tos == ["me@example.com"]
    [message] = smtp_server.messages()
    assert message["Subject"].startswith(
        "crm: 1 overdue, 1 today, 1 to get back in touch, 1 birthday or anniversary (")
    assert message["To"] == "me@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "Overdue (1)" in text
    assert "José Núñez (Iberia Logistics): Send the renewal quote" in text
    assert "Ana <Lima>: Call about the pilot" in text
    assert "Bo Chen: never contacted (added Thu 1 Jan" in text
    assert "tomorrow  Ana <Lima>: birthday (turns" in text
    assert "Coming up in the next 3 days (1)" in text and "Demo of the API" in text
    html = message.get_body(("html",)).get_content()
    assert "<table" in html and "Send the renewal quote" in html
    assert "Ana &lt;Lima&gt;" in html and "<Lima>" not in html
    assert _sent_rows(db_path) == 4

    assert crm.ok("remind").stderr == ""
    assert len(smtp_server.envelopes) == 1  # nothing new: nothing sent

    crm.ok("follow-up", "bo", "today 18:00", "Something new")
    crm.ok("remind")
    [_, second] = smtp_server.messages()
    assert second["Subject"].startswith("crm: 1 today (")
    assert "Something new" in second.get_body(("plain",)).get_content()
    assert "Send the renewal quote" not in second.get_body(("plain",)).get_content()

    crm.ok("remind", "--force")
    assert "Send the renewal quote" in smtp_server.messages()[2].get_body(
        ("plain",)).get_content()


def test_to_and_from_override_the_config(crm, due_book, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port))
    crm.ok("remind", "--to", "boss@example.com", "--to", "me@example.org", "--from",
           "robot@example.net")
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["boss@example.com", "me@example.org"]
    assert envelope.mail_from == "robot@example.net"


def test_login_with_the_password_from_the_environment(crm, db_path, due_book, auth_server,
                                                      configure, monkeypatch):
    configure(_smtp_lines(auth_server.port, user=True))
    monkeypatch.setenv("CRM_TEST_SMTP_PASSWORD", PASSWORD)
    crm.ok("remind")
    assert len(auth_server.envelopes) == 1
    assert _sent_rows(db_path) == 4


def test_login_with_a_password_command(crm, due_book, auth_server, configure, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\nsecond line ignored\n")
    configure(_smtp_lines(auth_server.port) + f'user = "{USER}"\n'
              f'password_cmd = "cat {secret}"\n')
    crm.ok("remind")
    assert len(auth_server.envelopes) == 1


def test_a_refused_login_is_one_line_and_marks_nothing(crm, db_path, due_book, auth_server,
                                                       configure, monkeypatch):
    configure(_smtp_lines(auth_server.port, user=True))
    monkeypatch.setenv("CRM_TEST_SMTP_PASSWORD", "wrong")
    result = crm("remind")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"crm: error: SMTP server 127.0.0.1:{auth_server.port} refused the login of {USER}: 535")
    assert result.stderr.count("\n") == 1
    assert auth_server.envelopes == [] and _sent_rows(db_path) == 0


def test_without_login_an_auth_server_refuses(crm, db_path, due_book, auth_server, configure):
    configure(_smtp_lines(auth_server.port))
    result = crm("remind")
    assert result.exit_code == 1
    assert "530" in result.stderr and "crm: error: SMTP server" in result.stderr
    assert _sent_rows(db_path) == 0


def test_server_down_fails_loudly_and_marks_nothing(crm, db_path, due_book, configure):
    port = _free_port()  # nothing listens there
    configure(_smtp_lines(port))
    result = crm("remind")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"crm: error: cannot reach SMTP server 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1
    assert _sent_rows(db_path) == 0


def test_a_rejected_recipient_fails_and_marks_nothing(crm, db_path, due_book, smtp_server,
                                                      configure):
    configure(_smtp_lines(smtp_server.port))
    result = crm("remind", "--to", "nobody@example.com")
    assert result.exit_code == 1
    assert "refused the recipient(s): nobody@example.com (550 5.1.1 No such user here)" in (
        result.stderr)
    partly = crm("remind", "--to", "me@example.com", "--to", "nobody@example.com")
    assert partly.exit_code == 1 and "nobody@example.com" in partly.stderr
    assert _sent_rows(db_path) == 0


def test_starttls_against_a_server_without_it(crm, db_path, due_book, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port, security="starttls"))
    result = crm("remind")
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.stderr
    assert _sent_rows(db_path) == 0


# --------------------------------------------------------------- nothing due, dry run, stdout


def test_nothing_due_sends_nothing_and_prints_nothing(crm, db_path, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port))
    crm.add("Ana Lima")
    result = crm.ok("remind")
    assert (result.stdout, result.stderr) == ("", "")
    assert smtp_server.envelopes == []
    crm.ok("remind", "--always")
    [message] = smtp_server.messages()
    assert message["Subject"].startswith("crm: all clear (")
    assert "Nothing new to remind you about." in message.get_body(("plain",)).get_content()


def test_dry_run_shows_and_records_nothing(crm, db_path, due_book, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port))
    result = crm.ok("remind", "--dry-run")
    assert result.stdout.startswith("To: me@example.com\nFrom: crm@example.com\nSubject: crm: ")
    assert "Send the renewal quote" in result.stdout
    assert "dry run: 4 item(s) would be sent by smtp" in result.stderr
    assert smtp_server.envelopes == [] and _sent_rows(db_path) == 0


def test_dry_run_needs_no_delivery_settings(crm, due_book):
    result = crm.ok("remind", "--dry-run")
    assert "Subject: crm: 1 overdue" in result.stdout
    assert "(no delivery configured yet)" in result.stderr
    missing = crm("remind")
    assert missing.exit_code == 1
    assert "no way to deliver the reminder: pass --stdout or --sendmail" in missing.stderr


def test_stdout_prints_the_digest_for_cron_mailto(crm, db_path, due_book):
    first = crm.ok("remind", "--stdout")
    assert first.stdout.startswith("1 overdue, 1 today, 1 to get back in touch")
    assert "José Núñez (Iberia Logistics): Send the renewal quote" in first.stdout
    assert first.stderr == ""
    assert _sent_rows(db_path) == 4
    assert crm.ok("remind", "--stdout").stdout == ""


# ------------------------------------------------------------------------------- sendmail


def _script(path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_sendmail_gets_the_whole_message(crm, db_path, due_book, configure, tmp_path):
    captured = tmp_path / "captured.eml"
    command = _script(tmp_path / "fake-sendmail", f'cat > "{captured}"\n')
    configure(remind=f'to = "me@example.com"\nsendmail = "{command} -t -oi"')
    crm.ok("remind", "--sendmail")
    message = email.message_from_bytes(captured.read_bytes(), policy=policy.default)
    assert message["To"] == "me@example.com"
    assert message["From"] == "me@example.com"  # no [remind] from: the recipient
    assert message.get_content_type() == "multipart/alternative"
    assert "Send the renewal quote" in message.get_body(("plain",)).get_content()
    assert _sent_rows(db_path) == 4


def test_a_failing_sendmail_fails_loudly(crm, db_path, due_book, configure, tmp_path):
    command = _script(tmp_path / "broken", 'echo "queue full" >&2\nexit 75\n')
    configure(remind=f'to = "me@example.com"\nsendmail = "{command}"')
    result = crm("remind", "--sendmail")
    assert result.exit_code == 1
    assert "failed (exit 75): queue full" in result.stderr
    missing = crm("remind", "--sendmail", "--force")
    assert missing.exit_code == 1
    configure(remind='to = "me@example.com"\nsendmail = "/nonexistent/sendmail -t"')
    gone = crm("remind", "--sendmail")
    assert gone.exit_code == 1 and "sendmail command not found" in gone.stderr
    assert _sent_rows(db_path) == 0


# ------------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("smtp", "remind", "message"), [
    ('host = "x"\npassword = "hunter2"', "", "[smtp] password: passwords are not read"),
    ('host = "x"\nhots = "y"', "", "[smtp] hots: unknown setting"),
    ('host = "x"\nsecurity = "tls"', "", "[smtp] security must be"),
    ('host = "x"\nport = "587"', "", "[smtp] port must be a number"),
    ('host = "x"\nuser = "me"', "", "[smtp] user is set but no password"),
    ('host = "x"', 'to = "not an address"', "[remind] to: 'not an address' is not an email"),
    ('host = "x"', 'to = "a@b.c"\ndays_ahead = -1', "[remind] days_ahead must be"),
    ('host = "x"', "", "no recipient: set [remind] to"),
    ('host = "x"', 'to = "a@b.c"\nsendmail = "msmtp \'-t"',
     "[remind] sendmail cannot be split into words like a shell would (No closing quotation)"),
])
def test_bad_settings_name_the_key(crm, due_book, configure, smtp, remind, message):
    configure(smtp, remind)
    result = crm("remind")
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_missing_password_variable_and_a_failing_password_command(crm, db_path, due_book,
                                                                   configure, smtp_server):
    configure(_smtp_lines(smtp_server.port, user=True))
    result = crm("remind")
    assert result.exit_code == 1
    assert "the environment variable CRM_TEST_SMTP_PASSWORD is not set" in result.stderr
    configure(_smtp_lines(smtp_server.port) + f'user = "{USER}"\npassword_cmd = "false"\n')
    assert "[smtp] password_cmd failed" in crm("remind").stderr
    assert _sent_rows(db_path) == 0


def test_only_one_delivery_method(crm, due_book):
    result = crm("remind", "--stdout", "--sendmail")
    assert result.exit_code == 1 and "choose one of" in result.stderr


# ------------------------------------------------------- what SMTP failures say, and secrets


def test_a_login_against_a_server_without_auth_says_so(crm, db_path, due_book, smtp_server,
                                                       configure, monkeypatch):
    """security = "none", a user set, a server offering no AUTH: not a STARTTLS problem."""
    configure(_smtp_lines(smtp_server.port, user=True))
    monkeypatch.setenv("CRM_TEST_SMTP_PASSWORD", PASSWORD)
    result = crm("remind")
    assert result.exit_code == 1
    assert result.stderr == (
        f"crm: error: SMTP server 127.0.0.1:{smtp_server.port} does not offer a login (no AUTH)"
        f" for [smtp] user {USER} over an unencrypted connection; try security = \"starttls\""
        " or \"ssl\"\n")
    assert smtp_server.envelopes == [] and _sent_rows(db_path) == 0


def test_a_failing_password_command_never_shows_its_output(crm, db_path, due_book, configure,
                                                           auth_server):
    configure(_smtp_lines(auth_server.port) + f'user = "{USER}"\n'
              "password_cmd = \"echo hunter2-secret; echo 'wrong key hunter2-secret' >&2; "
              "exit 3\"\n")
    result = crm("remind")
    assert result.exit_code == 1
    assert "[smtp] password_cmd failed (exit status 3)" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert auth_server.envelopes == [] and _sent_rows(db_path) == 0


# ------------------------------------------------------------------ what the email carries


def _message(crm, smtp_server, configure, remind_lines=""):
    configure(_smtp_lines(smtp_server.port),
              'to = "me@example.com"\nfrom = "crm@example.com"\n' + remind_lines)
    crm.ok("remind", "--force")
    return smtp_server.messages()[-1]


def test_the_email_names_each_follow_up_id_and_is_marked_automatic(crm, due_book, smtp_server,
                                                                   configure):
    message = _message(crm, smtp_server, configure)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.com>")  # the From address's domain
    text = message.get_body(("plain",)).get_content()
    assert "Send the renewal quote (crm done 1)" in text
    assert "Call about the pilot (crm done 2)" in text
    assert "`crm done ID` marks a follow-up done" in text
    assert "(crm done 2)" in message.get_body(("html",)).get_content()


def test_message_id_is_stable_for_the_same_digest_and_domain_configurable(
        crm, due_book, smtp_server, configure):
    """A digest sent twice (a run killed after delivery, before recording) has one id."""
    first = _message(crm, smtp_server, configure, 'message_id_domain = "crm.example.org"\n')
    again = _message(crm, smtp_server, configure, 'message_id_domain = "crm.example.org"\n')
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].startswith("<crm-remind.")
    assert first["Message-ID"].endswith("@crm.example.org>")
    crm.ok("follow-up", "bo", "today 18:00", "Something new")
    other = _message(crm, smtp_server, configure, 'message_id_domain = "crm.example.org"\n')
    assert other["Message-ID"] != first["Message-ID"]  # another digest, another id
    crm.ok("remind", "--force", "--to", "boss@example.com")
    assert smtp_server.messages()[-1]["Message-ID"] != other["Message-ID"]


def test_a_bad_message_id_domain_names_the_key(crm, due_book, smtp_server, configure):
    configure(_smtp_lines(smtp_server.port), 'to = "me@example.com"\n'
              'message_id_domain = "bad domain>"\n')
    result = crm("remind")
    assert result.exit_code == 1 and "[remind] message_id_domain must be" in result.stderr


def test_bidi_controls_and_markup_from_contacts_are_shown_not_obeyed(crm, smtp_server,
                                                                    configure):
    crm.add("Eve \u202eevil\u202c Doe")
    crm.add("<b>Bold</b> & Co")
    crm.ok("follow-up", "eve", "today", "Pay \u2066invoice\u2069 now\u200b")
    crm.ok("follow-up", "bold", "today", "<script>alert(1)</script>")
    message = _message(crm, smtp_server, configure)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Eve <U+202E>evil<U+202C> Doe" in part.replace("&lt;", "<").replace("&gt;", ">")
        assert "Pay <U+2066>invoice<U+2069> now<U+200B>" in part.replace(
            "&lt;", "<").replace("&gt;", ">")
        assert not any(c in part for c in "\u202e\u202c\u2066\u2069\u200b")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html and "<b>Bold" not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
