"""A standard stream the caller closed (``crm list >&-``) is no traceback: Python leaves it
None, and crm reads and writes it as /dev/null."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _crm(closing: str, *args: str) -> subprocess.CompletedProcess:
    """The executable run with ``closing`` (``<&-``, ``>&-``, ``2>&-``) applied by a shell."""
    return subprocess.run(["/bin/sh", "-c", f'exec "$@" {closing}', "sh", sys.executable, "-m",
                           "crmcli", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["list"], ["--version"], ["mutt-query", "ana"],
                                  ["add", "Bo Chen"]])
def test_a_closed_stdout_is_written_to_nowhere(crm, db_path, args):
    crm.add("Ana Lima", "-e", "ana@lima.example")
    result = _crm(">&-", "--db", str(db_path), *args)
    assert (result.returncode, result.stderr) == (0, "")
    assert len(crm.ok("list", "--json").json()) == 1 + (args[0] == "add")


def test_a_closed_stdin_is_no_terminal_and_no_text(crm, db_path):
    crm.add("Ana Lima")
    result = _crm("<&-", "--db", str(db_path), "rm", "ana")
    assert (result.returncode, result.stderr) == (
        1, "crm: error: Move Ana Lima (id 1) to the trash: add --yes to confirm (not a "
           "terminal)\n")
    assert crm.ok("list", "--json").json()[0]["name"] == "Ana Lima"



@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["list", "--help"], ["--version"], ["list"]])
def test_a_full_disk_under_stdout_is_one_line(db_path, args):
    """``crm --help > /dev/full`` was a traceback: the help is printed while Click makes the
    context, before the command's own error handling."""
    result = _crm(">/dev/full", "--db", str(db_path), *args)
    assert (result.returncode, result.stderr) == (
        1, "crm: error: I/O: No space left on device\n")
