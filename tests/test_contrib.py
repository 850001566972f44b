"""Smoke tests of the scripts in contrib/: each runs as a real process against a real crm and a
temporary book, as a user would run it."""

import json
import mailbox
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parents[1] / "contrib"
BIN = Path(sys.executable).parent  # where pip installed the `crm` command


@pytest.fixture
def book(tmp_path):
    """An environment whose `crm` is this checkout's, on an empty book in tmp_path."""
    env = {**os.environ, "CRM_DB": str(tmp_path / "crm.db"), "TZ": "UTC",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("CRM_CONFIG", None)
    return env


def run(args, env, stdin=None, cwd=None):
    return subprocess.run(args, env=env, input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def crm(env, *args):
    result = run(["crm", *args], env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def message(sender, date, subject):
    mail = EmailMessage()
    mail["From"], mail["Date"], mail["Subject"] = sender, date, subject
    mail.set_content("Hello")
    return mail


def test_crm_log_mail_logs_known_senders_once(tmp_path, book):
    crm(book, "add", "José Núñez", "-e", "jose.nunez@iberialog.es")
    crm(book, "add", "Ana Lima", "-e", "ana@atlanticofoods.pt")
    folder = mailbox.Maildir(tmp_path / "INBOX", create=True)
    folder.add(message("José Núñez <jose.nunez@iberialog.es>",
                       "Fri, 20 Nov 2026 17:42:10 +0100", "Renovación del contrato"))
    folder.add(message("Ana Lima <ANA@atlanticofoods.pt>",
                       "Thu, 19 Nov 2026 10:05:00 -0300", "Re: Pilot for 50 seats"))
    folder.add(message("Shop <newsletter@shop.example>",
                       "Sat, 21 Nov 2026 06:00:00 +0000", "20% off"))
    script = str(CONTRIB / "crm-log-mail")

    first = run([sys.executable, script, str(tmp_path / "INBOX")], book)
    again = run([sys.executable, script, str(tmp_path / "INBOX")], book)

    assert first.returncode == 0, first.stderr
    assert "jose.nunez@iberialog.es 2026-11-20 16:42 'Renovación del contrato'" in first.stderr
    assert "ANA@atlanticofoods.pt 2026-11-19 13:05 'Re: Pilot for 50 seats'" in first.stderr
    assert "skipped (no contact matches 'newsletter@shop.example')" in first.stderr
    assert first.stderr.count("logged email") == 2
    assert again.returncode == 0
    assert again.stderr.count("already logged") == 2 and "logged email" not in again.stderr
    logged = json.loads(crm(book, "activity", "-t", "email", "--json"))
    assert [(e["contact"], e["at"], e["text"]) for e in logged] == [
        ("José Núñez", "2026-11-20T16:42:00Z", "Renovación del contrato"),
        ("Ana Lima", "2026-11-19T13:05:00Z", "Re: Pilot for 50 seats"),
    ]


def test_crm_add_tsv_adds_rows_with_empty_cells_and_skips_bad_ones(tmp_path, book):
    people = tmp_path / "people.tsv"
    people.write_text("name\temail\tphone\tcompany\n"
                      "Lena Novak\tlena@novak.example\t+420 601 123 456\tPrague Parts\n"
                      "Nina Berg\t\t+46 70 123 45 67\tNordlys AS\n"
                      "Bad Row\tnot-an-email\t\t\n", encoding="utf-8")

    result = run(["bash", str(CONTRIB / "crm-add-tsv"), str(people), "fair"], book)

    assert result.returncode == 1
    assert result.stdout == "added: Lena Novak\nadded: Nina Berg\n"
    assert "invalid email 'not-an-email'" in result.stderr
    assert result.stderr.endswith("skipped: Bad Row\n")
    added = json.loads(crm(book, "list", "--tag", "fair", "--json"))
    assert [(c["name"], c["company"], [p["value"] for p in c["phones"]], c["emails"])
            for c in added] == [
        ("Lena Novak", "Prague Parts", ["+420 601 123 456"],
         [{"value": "lena@novak.example", "label": ""}]),
        ("Nina Berg", "Nordlys AS", ["+46 70 123 45 67"], []),
    ]
