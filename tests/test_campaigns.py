"""Campaigns end to end against a real SMTP server (aiosmtpd on 127.0.0.1): personal,
escaped mail; one message per address; opt-outs, hard and soft refusals; the journal; and runs
killed at random moments, re-run until done, with nobody mailed twice or forgotten."""

from __future__ import annotations

import email
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

NOW = "2026-11-20T10:00:00Z"
RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("v*.sql"))
TEMPLATE = """Subject: {{ first_name }}, a note about {{ company or "you" }}
Reply-To: sales@example.com

Hello **{{ first_name }}**,

{% if open_deals %}About *{{ open_deals[0].title }}* ({{ open_deals[0].value }}): ready?{% endif %}
Budget: {{ fields.budget | default("none") }}. For {{ name }}.
"""


class Mailbox:
    """An aiosmtpd handler keeping every message; soft@ is refused for now (451), hard@ for
    good (550), busy@ with 421 (the server is closing the connection: smtplib closes it)."""

    def __init__(self):
        self.envelopes = []
        self.noops = 0

    async def handle_NOOP(self, server, session, envelope, arg):
        self.noops += 1
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("hard@"):
            return "550 5.1.1 No such user here"
        if address.startswith("soft@"):
            return "451 4.3.0 Try again later"
        if address.startswith("busy@"):
            return "421 4.3.2 Service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes]

    def received(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for envelope in self.envelopes:
            for address in envelope.rcpt_tos:
                found[address] = found.get(address, 0) + 1
        return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(tmp_path):
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\n'
                      'security = "none"\n[campaigns]\nfrom = "Me <me@example.com>"\n'
                      'unsubscribe = "unsubscribe@example.com"\n')
    yield handler
    controller.stop()


def _template(tmp_path, text: str = TEMPLATE) -> str:
    path = tmp_path / "template.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_escapes_and_bidi_overrides_in_values_show_harmlessly(crm, tmp_path, mailbox):
    crm.add("Zo\u00eb \u202eRTL\x1b[31m \U0001f389", "-e", "zoe@example.com", "-t", "spring")
    template = _template(tmp_path, "Subject: Hello\n\nDear {{ name }},\n")
    crm.ok("campaign", "new", "spring", "--to", "tag:spring", "--template", template)
    crm.ok("campaign", "send", "spring", env={"CRM_NOW": NOW})
    message = mailbox.messages()[0]
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "\u202e" not in body and "\x1b" not in body
        assert "Zo\u00eb" in body and "\U0001f389" in body and "U+202E" in body


def _states(crm, name: str) -> dict[str, str]:
    return {row["address"]: row["state"] for row in crm.ok("campaign", "status", name,
                                                           "--json").json()}


def test_personal_mail_with_values_as_data(crm, db_path, tmp_path, mailbox):
    crm.ok("field", "add", "budget", "--type", "number")
    crm.add("Ana Lima", "-e", "ana@example.com", "-c", "Atlântico Foods", "--set",
            "budget=12000", "-t", "spring")
    crm.ok("deal", "add", "ana", "Pilot", "--value", "9500")
    crm.add("Bob <b>[x](http://evil.example)</b> *Evil*", "-e", "bob@example.com",
            "-t", "spring")
    crm.ok("campaign", "new", "spring", "--to", "tag:spring", "--template", _template(tmp_path))
    sent = crm.ok("campaign", "send", "spring", env={"CRM_NOW": NOW})
    assert "2 sent, 0 deferred, 0 failed" in sent.stderr
    by_address = {m["To"].addresses[0].addr_spec: m for m in mailbox.messages()}
    ana = by_address["ana@example.com"]
    assert ana["Subject"] == "Ana, a note about Atlântico Foods"
    assert ana["Reply-To"] == "sales@example.com"
    assert ana["List-Unsubscribe"] == "<mailto:unsubscribe@example.com>"
    assert ana["Message-ID"].startswith("<crm-campaign.spring.")
    text = ana.get_body(("plain",)).get_content()
    assert "Hello **Ana**" in text and "About *Pilot* (9500.00 EUR): ready?" in text
    assert "Budget: 12000. For Ana Lima." in text
    html = ana.get_body(("html",)).get_content()
    assert "<strong>Ana</strong>" in html and "<em>Pilot</em>" in html
    evil = by_address["bob@example.com"].get_body(("html",)).get_content()
    assert "<b>" not in evil and "href" not in evil and "<em>Evil" not in evil
    assert "&lt;b&gt;[x](http://evil.example)&lt;/b&gt; *Evil*" in evil
    with sqlite3.connect(db_path) as conn:
        logged = conn.execute("SELECT kind, body, message_id FROM interactions"
                              " WHERE campaign = 'spring' ORDER BY contact_id").fetchall()
    assert [(kind, message_id) for kind, _, message_id in logged] == [
        ("email", ana["Message-ID"]), ("email", by_address["bob@example.com"]["Message-ID"])]
    # Campaign mail is not personal contact: both still count as never contacted.
    assert len(crm.ok("list", "last:>30d", env={"CRM_NOW": NOW}).rows()) == 2


def test_one_message_per_address_and_preview(crm, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "home@example.com", "-t", "x")
    crm.add("Rui Lima", "-e", "HOME@example.com", "-t", "x")
    crm.add("No Mail", "-t", "x")
    made = crm.ok("campaign", "new", "home", "--to", "tag:x", "--template",
                  _template(tmp_path, "Subject: Hi {{ name }}\n\nHello"))
    assert "1 recipient(s), 0 skipped" in made.stderr
    preview = crm.ok("campaign", "preview", "home", env={"CRM_NOW": NOW}).stdout
    assert "Subject: Hi Ana Lima" in preview and "To: Ana Lima <home@example.com>" in preview
    dry = crm.ok("campaign", "send", "home", "--dry-run", "--json")
    assert [r["address"] for r in dry.json()] == ["home@example.com"]
    assert mailbox.envelopes == []
    crm.ok("campaign", "send", "home")
    assert mailbox.received() == {"home@example.com": 1}


@pytest.mark.parametrize(("template", "message"), [
    ("Subject: {{ first_name }\n\nx", "template line 1: unexpected '}'"),
    ("Subject: Hi\n\nline two\n{{ nope }}", "template line 4: 'nope' is undefined (for contact"),
    ("Subject: Hi\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}", "template line 3: "),
    ("Subject: Hi\nX-Evil: 1\n\nbody", "template line 2: expected a header line"),
    ("Hello\n\nbody", "template line 1: expected a header line"),
])
def test_a_bad_template_stops_before_anything_leaves(crm, tmp_path, mailbox, template,
                                                     message):
    crm.add("Ana Lima", "-e", "ana@example.com")
    made = crm("campaign", "new", "c", "--to", "ana", "--template", _template(tmp_path,
                                                                              template))
    if made.exit_code == 0:
        made = crm("campaign", "send", "c")
    assert made.exit_code == 1
    assert message in made.stderr
    assert mailbox.envelopes == []


@pytest.mark.parametrize(("body", "message"), [
    ('{{ "a" * 10**10 }}', "a repeated text or list would pass the limit of a template"),
    ('{{ "x"|center(10**9) }}', "a width or count would pass the limit of a template"),
    ("{{ ''.ljust(10**9) }}", "a width or count would pass the limit of a template"),
    ("{{ '{:>999999999}'.format(1) }}", "a width in a format would pass the limit"),
    ("{{ '%999999999s' % 1 }}", "a width in a format would pass the limit"),
    ("{{ '%0" + "9" * 5000 + "d' % 1 }}", "a width in a format would pass the limit"),
    ("{{ ('a' * 90000)|replace('a', 'bbbbb') }}", "a replaced text would pass the limit"),
    ("{{ 2 ** (10**9) }}", "a power would pass the limit of a template"),
    ("{% for i in range(10**7) %}x{% endfor %}", "Range too big"),
    ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
     "the number of loop iterations would pass the limit of a template (1,000,000)"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
     "{% endfor %}", "a text or list would pass the limit of a template"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}", "a concatenated text would pass the limit of a template (100,000)"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s ~ "
     "'' %}{% endfor %}", "a concatenated text would pass the limit of a template"),
    ("{% macro _crm_concatenated(x) %}{{ x }}{% endmacro %}{% set ns = namespace(s='ab') %}"
     "{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "a concatenated text would pass the limit of a template"),  # the check is no name to take
    ("line\n{% for i in range(50000) %}{{ 'a' * 90000 }}{% endfor %}",
     "the characters of the rendered text would pass the limit of a template (1,000,000)"),
])
def test_a_template_that_would_exhaust_memory_or_time_is_refused(crm, tmp_path, mailbox,
                                                                  body, message):
    crm.add("Ana Lima", "-e", "ana@example.com")
    template = _template(tmp_path, f"Subject: Hi\n\n{body}\n")
    crm.ok("campaign", "new", "c", "--to", "ana", "--template", template)
    for command in (("campaign", "preview", "c"), ("campaign", "send", "c")):
        refused = crm(*command)
        assert refused.exit_code == 1
        [line] = refused.stderr.splitlines()
        assert line.startswith("crm: error: template line ") and message in line
    assert mailbox.envelopes == [] and _states(crm, "c") == {"ana@example.com": "pending"}


def test_a_template_within_the_limits_renders(crm, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "ana@example.com")
    body = ("{{ name|center(12) }}|{{ '%5s' % 1 }}|{{ '{:>4}'.format(2) }}|{{ 'ab' * 3 }}|"
            "{{ first_name ~ '!' ~ 1 }}|"
            "{% for i in range(3) %}{% for j in range(2) %}{{ i }}{{ j }}{% endfor %}{% endfor %}")
    crm.ok("campaign", "new", "c", "--to", "ana", "--template",
           _template(tmp_path, f"Subject: Hi\n\n{body}\n"))
    crm.ok("campaign", "send", "c")
    text = mailbox.messages()[0].get_body(("plain",)).get_content()
    assert " Ana Lima  |    1|   2|ababab|Ana!1|000110112021" in text


def test_a_header_a_contact_would_break_stops_the_campaign(crm, db_path, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "ana@example.com", "--title", "CEO")
    crm.add("Bo Chen", "-e", "bo@example.com", "--title", "CTO")
    crm.ok("campaign", "new", "t", "--to", "has:email", "--template",
           _template(tmp_path, "Subject: For our {{ title }}\n\nHi"))
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE contacts SET title = 'CTO\nBcc: all@example.com' WHERE name ="
                     " 'Bo Chen'")
    refused = crm("campaign", "send", "t")
    assert refused.exit_code == 1
    assert "template line 1: the Subject of contact 2 (Bo Chen) would hold a line break" \
        in refused.stderr
    assert mailbox.envelopes == [] and set(_states(crm, "t").values()) == {"pending"}


def test_opt_outs_and_refusals(crm, tmp_path, mailbox):
    for name in ("Ana", "Hard", "Soft", "Opt"):
        crm.add(f"{name} Person", "-e", f"{name.lower()}@example.com", "-t", "all")
    crm.ok("edit", "opt", "--no-mail")
    assert "No campaign mail" in crm.ok("show", "opt").stdout
    template = _template(tmp_path, "Subject: Hi\n\nHello {{ first_name }}")
    crm.ok("campaign", "new", "one", "--to", "tag:all", "--template", template)
    first = crm.ok("campaign", "send", "one")
    assert "1 sent, 1 deferred, 1 failed" in first.stderr
    assert _states(crm, "one") == {"ana@example.com": "sent", "hard@example.com": "failed",
                                   "soft@example.com": "pending",
                                   "opt@example.com": "skipped"}
    for _ in range(3):
        crm.ok("campaign", "send", "one")
    assert _states(crm, "one")["soft@example.com"] == "failed"  # 3 temporary refusals
    assert mailbox.received() == {"ana@example.com": 1}
    crm.ok("campaign", "new", "two", "--to", "tag:all", "--template", template)
    reasons = {r["address"]: (r["state"], r["reason"]) for r in crm.ok(
        "campaign", "status", "two", "--json").json()}
    assert reasons["hard@example.com"] == ("skipped", "the address failed hard in another "
                                                      "campaign")
    assert reasons["opt@example.com"][0] == "skipped"
    assert "hard@example.com: campaign mail failed (550 5.1.1 No such user here)" in crm.ok(
        "show", "hard").stdout
    crm.ok("edit", "opt", "--mail")
    crm.ok("campaign", "send", "two")
    assert mailbox.received() == {"ana@example.com": 2, "opt@example.com": 1}


def test_a_connection_closed_by_a_421_is_opened_again_for_the_next_message(crm, tmp_path,
                                                                          mailbox):
    for name in ("Ana", "Busy", "Cy", "Di"):
        crm.add(f"{name} Person", "-e", f"{name.lower()}@example.com", "-t", "all")
    template = _template(tmp_path, "Subject: Hi\n\nHello {{ first_name }}")
    crm.ok("campaign", "new", "one", "--to", "tag:all", "--template", template)
    sent = crm.ok("campaign", "send", "one")
    assert "3 sent, 1 deferred, 0 failed" in sent.stderr
    assert _states(crm, "one") == {"ana@example.com": "sent", "busy@example.com": "pending",
                                   "cy@example.com": "sent", "di@example.com": "sent"}
    assert mailbox.received() == {"ana@example.com": 1, "cy@example.com": 1,
                                  "di@example.com": 1}
    assert mailbox.noops == 0  # a connection just used is not asked whether it is there


def test_an_empty_selection_is_a_clear_message(crm, tmp_path, mailbox):
    made = crm.ok("campaign", "new", "empty", "--to", "tag:nobody", "--template",
                  _template(tmp_path))
    assert "no contact matches 'tag:nobody'; nothing will be sent" in made.stderr
    sent = crm.ok("campaign", "send", "empty")
    assert "0 message(s) to send; nothing was sent" in sent.stderr
    assert mailbox.envelopes == []
    assert crm.ok("campaign", "status", "@empty", "--json").json() == []  # named as segments


@pytest.mark.parametrize("to", ["", "  "])
def test_an_empty_recipients_query_is_refused_not_everyone(crm, tmp_path, to):
    """`--to "$SEGMENT"` with the variable unset made a campaign to the whole book."""
    crm.add("Ana Lima", "-e", "ana@example.com")
    made = crm("campaign", "new", "all", "--to", to, "--template", _template(tmp_path))
    assert made.exit_code == 2
    assert made.stderr.startswith("crm: error: Invalid value for '--to': the recipients' query "
                                  "is empty")
    assert crm.ok("campaign", "list", "--json").json() == []


@pytest.mark.parametrize("to", ['""', '"  "', "*", "-"])
def test_a_recipients_query_with_no_word_is_refused_not_everyone(crm, tmp_path, to):
    """`--to '"$NAME"'` with the variable unset, or `--to '*'`, made a campaign to the whole
    book: text with no word to search selected every contact."""
    crm.add("Ana Lima", "-e", "ana@example.com")
    made = crm("campaign", "new", "all", "--to", to, "--template", _template(tmp_path))
    assert made.exit_code == 1
    assert made.stderr.startswith(f"crm: error: query {to!r}: expected ")
    assert crm.ok("campaign", "list", "--json").json() == []


def test_a_bad_campaign_name_is_called_a_campaign_name(crm, tmp_path):
    made = crm("campaign", "new", "../spring", "--to", "tag:vip", "--template",
               _template(tmp_path))
    assert made.stderr.startswith("crm: error: campaign name '../spring': use up to 64 ")


def test_a_template_read_from_stdin(crm, mailbox):
    """`--template -` looked for a file named '-'."""
    crm.add("Ana Lima", "-e", "ana@example.com", "-t", "vip")
    crm.ok("campaign", "new", "news", "--to", "tag:vip", "--template", "-", input=TEMPLATE)
    preview = crm.ok("campaign", "send", "news", "--dry-run")
    assert "1 message(s) would be sent" in preview.stderr


def test_undo_of_a_send_never_mails_anyone_again(crm, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.ok("campaign", "new", "c", "--to", "ana", "--template", _template(tmp_path))
    crm.ok("campaign", "send", "c")
    [operation] = [op for op in crm.ok("journal", "--json").json() if op["source"] ==
                   "campaign"]
    assert operation["what"] == "campaign send c"
    crm.ok("undo")  # the logged email goes; the delivery stays recorded
    crm.ok("campaign", "send", "c")
    assert mailbox.received() == {"ana@example.com": 1}
    assert _states(crm, "c") == {"ana@example.com": "sent"}
    [row] = crm.ok("campaign", "status", "c", "--json").json()
    assert (row["reason"], row["attempts"]) == ("", 1)


def test_refresh_adds_newcomers_only(crm, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "ana@example.com", "-t", "x")
    crm.ok("campaign", "new", "c", "--to", "tag:x", "--template", _template(tmp_path))
    crm.ok("campaign", "send", "c")
    crm.add("Bo Chen", "-e", "bo@example.com", "-t", "x")
    assert "1 new recipient(s)" in crm.ok("campaign", "refresh", "c").stderr
    crm.ok("campaign", "send", "c")
    assert mailbox.received() == {"ana@example.com": 1, "bo@example.com": 1}
    listed = crm.ok("campaign", "list", "--json").json()
    assert [(c["name"], c["sent"], c["pending"]) for c in listed] == [("c", 2, 0)]


def test_runs_killed_at_random_moments_mail_nobody_twice(crm, db_path, tmp_path, mailbox):
    people = 200
    cards = "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n:03d}\r\n"
                    f"EMAIL:p{n:03d}@example.com\r\nCATEGORIES:list\r\nEND:VCARD\r\n"
                    for n in range(people - 2))
    cards += ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hard Bounce\r\nEMAIL:hard@example.com\r\n"
              "CATEGORIES:list\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Opted Out\r\n"
              "EMAIL:out@example.com\r\nCATEGORIES:list\r\nEND:VCARD\r\n")
    (tmp_path / "people.vcf").write_text(cards)
    crm.ok("import", str(tmp_path / "people.vcf"))
    crm.ok("edit", "opted out", "--no-mail")
    crm.ok("campaign", "new", "big", "--to", "tag:list", "--template",
           _template(tmp_path, "Subject: Hi {{ first_name }}\n\nHello"))
    env = {**os.environ, "CRM_DB": str(db_path)}
    command = [sys.executable, "-m", "crmcli", "campaign", "send", "big"]
    chance = random.Random(15)
    for _ in range(10):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.5, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    before_last_run = len(mailbox.received())
    for _ in range(5):
        if subprocess.run(command, env=env, capture_output=True).returncode == 0:
            break
    states = _states(crm, "big")
    received = mailbox.received()
    assert max(received.values()) == 1  # nobody twice
    assert "hard@example.com" not in received and "out@example.com" not in received
    for address, state in states.items():
        if state == "sent":
            assert received.get(address) == 1, address
        elif state == "unknown":
            assert received.get(address, 0) <= 1
        else:
            assert (address, state) in {("hard@example.com", "failed"),
                                        ("out@example.com", "skipped")}
    with sqlite3.connect(db_path) as conn:
        logged = conn.execute("SELECT message_id, count(*) FROM interactions WHERE campaign"
                              " = 'big' GROUP BY message_id").fetchall()
    assert all(count == 1 for _, count in logged)
    assert len(logged) == sum(state == "sent" for state in states.values())
    unknown = [a for a, s in states.items() if s == "unknown"]
    retried = crm.ok("campaign", "send", "big", "--retry-unknown").stderr
    assert f"{len(unknown)} sent" in retried if unknown else "0 message(s)" in retried
    assert all(mailbox.received()[a] >= 1 for a in unknown)
    print(json.dumps({"before_last_run": before_last_run, "unknown": len(unknown),
                      "received": len(received)}))


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_campaigns_on_an_upgraded_release_book(crm, db_path, tmp_path, mailbox, release):
    with sqlite3.connect(db_path) as conn:
        conn.executescript(release.read_text())
    crm.add("Zoe Quinn", "-e", "zoe@example.com", "-t", "newsletter")
    crm.ok("campaign", "new", "n", "--to", "tag:newsletter", "--template", _template(tmp_path))
    crm.ok("campaign", "send", "n")
    assert mailbox.received() == {"zoe@example.com": 1}


def test_limit_sends_the_next_ones_and_rate_spaces_them(crm, tmp_path, mailbox):
    for n in range(3):
        crm.add(f"Person {n}", "-e", f"p{n}@example.com", "-t", "x")
    crm.ok("campaign", "new", "c", "--to", "tag:x", "--template", _template(tmp_path))
    assert "2 sent" in crm.ok("campaign", "send", "c", "--limit", "2").stderr
    assert sorted(_states(crm, "c").values()) == ["pending", "sent", "sent"]
    refused = crm("campaign", "send", "c", "--rate", "0/min")
    assert refused.exit_code == 1 and "--rate '0/min': expected a number per" in refused.stderr
    crm.ok("campaign", "send", "c", "--rate", "6000/min")
    assert mailbox.received() == {f"p{n}@example.com": 1 for n in range(3)}


def test_forgetting_a_person_drops_what_was_delivered_to_them(crm, db_path, tmp_path, mailbox):
    crm.add("Ana Lima", "-e", "ana@example.com")
    crm.add("Bo Chen", "-e", "bo@example.com")
    crm.ok("campaign", "new", "c", "--to", "has:email", "--template", _template(tmp_path))
    crm.ok("campaign", "send", "c")
    crm.ok("forget", "ana", "--yes")
    with sqlite3.connect(db_path) as conn:
        kept = conn.execute("SELECT address FROM campaign_deliveries").fetchall()
    assert kept == [("bo@example.com",)]


@pytest.mark.parametrize("counts", [False, True])
def test_counts_as_contact_decides_whether_campaign_mail_moves_the_last_contact(
        crm, tmp_path, mailbox, counts):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.write_text(config.read_text() + f"counts_as_contact = {str(counts).lower()}\n")
    early = {"CRM_NOW": "2026-09-01T10:00:00Z"}  # due to be kept in touch since October
    crm.ok("add", "Ana Lima", "-e", "ana@example.com", "-t", "news", env=early)
    crm.ok("edit", "ana", "--cadence", "30d", env=early)
    crm.ok("campaign", "new", "news", "--to", "tag:news", "--template",
           _template(tmp_path, "Subject: News\n\nHello {{ first_name }}"))
    crm.ok("campaign", "send", "news", env={"CRM_NOW": NOW})
    assert mailbox.received() == {"ana@example.com": 1}
    shown = crm.ok("list", "--json", env={"CRM_NOW": NOW}).json()[0]
    assert shown["last_contacted_at"] == (NOW if counts else None)
    assert len(crm.ok("list", "last:<7d", env={"CRM_NOW": NOW}).rows()) == int(counts)
    due = crm.ok("due", "--json", env={"CRM_NOW": NOW}).stdout
    assert ("Ana Lima" in due) is not counts  # the keep-in-touch clock starts again, or not


def test_counts_as_contact_must_be_true_or_false(crm, tmp_path, mailbox):
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.write_text(config.read_text() + 'counts_as_contact = "yes"\n')
    refused = crm("list")
    assert refused.exit_code == 1
    assert "[campaigns] counts_as_contact must be true or false" in refused.stderr


def test_a_rate_of_thousands_of_digits_is_read_not_a_crash(crm, tmp_path, mailbox):
    crm.add("Ana", "-e", "ana@example.com", "-t", "x")
    crm.ok("campaign", "new", "c", "--to", "tag:x", "--template", _template(tmp_path))
    refused = crm("campaign", "send", "c", "--rate", "0" * 5000 + "/min")
    assert refused.exit_code == 1 and "expected a number per s, min or h" in refused.stderr
    crm.ok("campaign", "send", "c", "--rate", "9" * 5000 + "/s")
    assert mailbox.received() == {"ana@example.com": 1}
