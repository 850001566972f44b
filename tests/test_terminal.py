"""What reaches a terminal: never a control sequence from the book (even in CSV, vCard and
iCalendar written to the screen), bidi controls shown, no colour with NO_COLOR, and tables
that fit the width without breaking an email."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios

HOSTILE = "Eve \x1b]0;pwned\x07\x1b[2J\u202eevil"


def _on_terminal(db_path, *args: str, columns: int = 100, env: dict | None = None) -> str:
    """Run crm with stdout and stderr on a pseudo-terminal; what the terminal received."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    environment.update(env or {})
    process = subprocess.Popen([sys.executable, "-m", "crmcli", "--db", str(db_path), *args],
                               stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
                               env=environment)
    os.close(terminal)
    received = b""
    while select.select([controller], [], [], 30)[0]:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        received += chunk
    process.wait(timeout=30)
    os.close(controller)
    return received.decode()


def test_data_written_to_a_terminal_never_drives_it(crm, db_path):
    contact = crm.add(HOSTILE, "-e", "eve@example.com")
    crm.ok("follow-up", str(contact), "tomorrow", HOSTILE)
    crm.ok("deal", "add", str(contact), HOSTILE)
    crm.ok("note", str(contact), HOSTILE)
    for args in (["list", "--csv"], ["deal", "list", "--csv"], ["activity", "--csv"],
                 ["export", "-f", "csv"], ["export"], ["export", "-f", "ics"],
                 ["export", "-f", "json"], ["list", "-f", "tsv"]):
        shown = _on_terminal(db_path, *args, env={"NO_COLOR": "1"})
        assert "pwned" in shown and "Eve" in shown, args
        assert "\x1b" not in shown and "\x07" not in shown, args
        assert "\u202e" not in shown, args
    assert "<U+202E>evil" in _on_terminal(db_path, "list", "--csv")


def test_no_color_means_no_colour(crm, db_path):
    crm.add("Ana Lima", "-t", "vip")
    assert "\x1b[3" in _on_terminal(db_path, "show", "ana")  # a colour
    plain = _on_terminal(db_path, "show", "ana", env={"NO_COLOR": "1"})
    assert "Ana Lima" in plain and "\x1b[3" not in plain


def test_columns_0_means_unset_not_a_width_of_nothing(crm, db_path):
    """Rich took COLUMNS=0 for a width of nothing: tables, pages and the help were empty."""
    title = "Chief Operating Officer for the Iberian and Atlantic Markets"
    crm.add("Ana Lima", "-e", "ana@atlanticofoods.pt", "--title", title)
    environment = {**os.environ, "COLUMNS": "0"}
    piped = [subprocess.run([sys.executable, "-m", "crmcli", "--db", str(db_path), *args],
                            env=environment, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60).stdout
             for args in (["list", "-f", "table"], ["--help"])]
    lines = piped[0].splitlines()
    assert lines[2].split()[:3] == ["1", "Ana", "Lima"] and "ana@atlanticofoods.pt" in lines[2]
    assert max(map(len, lines)) <= 80 and title not in lines[2]  # no terminal: 80 columns
    assert "Usage: crm [OPTIONS] COMMAND [ARGS]..." in piped[1]
    shown = _on_terminal(db_path, "list", columns=140, env={"COLUMNS": "00"})
    assert title in shown and "ana@atlanticofoods.pt" in shown  # the terminal's width


def test_a_list_fits_80_columns_and_never_breaks_an_email(crm, monkeypatch):
    long_company = "Atlântico Foods and Cold-Chain Logistics International"
    crm.add("Ana Lima", "-c", long_company, "--title", "Chief Operating Officer",
            "-e", "ana.lima@atlanticofoods.example", "-e", "ana@home.example",
            "-p", "+351 21 123 4567", "-t", "lead", "-t", "customer")
    crm.add("Bo Chen", "-e", "bo.chen@northwind.example")
    monkeypatch.setenv("COLUMNS", "80")
    table = crm.ok("list", "-f", "table").stdout
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80
    for email in ("ana.lima@atlanticofoods.example", "ana@home.example",
                  "bo.chen@northwind.example"):
        assert sum(email in line for line in lines) == 1, table
    assert "+351 21 123 4567" in table
    assert "Atlântico" in table and "…" in table and "International" not in table
    assert len(lines) == 2 + 2 + 1  # heading, rule, Ana (two emails), Bo
