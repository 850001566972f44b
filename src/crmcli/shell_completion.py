"""Tab completion from the book: which argument or option of which command completes what, and
a fast path that answers the shell without importing Typer.

The shell scripts that `crm --install-completion` installs run `crm` with `_CRM_COMPLETE` set
(Typer's protocol). `complete_fast` answers the common case, a command's argument or an
option's value, in about the time Python takes to start; anything else (command and option
names, a line it cannot read with certainty) goes to Typer, whose parameters get the same
completions from `crmcli.cli.completion`.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
from pathlib import Path

from crmcli import completion
from crmcli.errors import CrmError
from crmcli.text import strip_controls

ENV = "_CRM_COMPLETE"
_BASH_SPECIAL = re.compile(r"[^\w@%+=:,./-]")

# command -> its arguments' kinds in order (`_`: nothing to complete; `...`: repeats), then
# options that take a value to complete, as `--long/-s:kind`.
TABLE = {
    "add": "_ --company/-c:company --tag/-t:tag",
    "list": "_ --company/-c:company --tag/-t:tag",
    "show": "contact",
    "edit": "contact --company/-c:company --tag/-t:tag --untag:tag",
    "rm": "contact",
    "tag": "contact",
    "merge": "contact contact",
    "note": "contact",
    "notes list": "contact",
    "log": "contact",
    "activity": "--contact:contact --company/-c:company --tag:tag",
    "import": "_ --tag/-t:tag",
    "export": "_ --company/-c:company --tag/-t:tag",
    "company show": "company",
    "company rename": "company",
    "company list": "_ --tag/-t:tag",
    "company add": "_ --tag/-t:tag",
    "company edit": "company --tag/-t:tag --untag:tag",
    "company rm": "company",
    "company tag": "company",
    "company note": "company",
    "company merge": "company company",
    "deal add": "contact _ --stage:stage --company/-c:company",
    "deal list": "--stage:stage --contact:contact --company/-c:company --tag/-t:tag",
    "deal show": "deal",
    "deal edit": "deal --contact:contact --company/-c:company",
    "deal rm": "deal",
    "deal move": "deal stage",
    "deal won": "deal",
    "deal lost": "deal",
    "deal reopen": "deal --stage:stage",
    "deal stages remap": "stage --to:stage",
    "deal stages rename": "stage",
    "pipeline": "--company/-c:company --tag/-t:tag",
    "follow-up": "contact --deal:deal",
    "done": "followup...",
    "snooze": "followup",
    "followups list": "contact",
    "followups edit": "followup --deal:deal",
    "followups rm": "followup...",
    "campaign preview": "_ --contact:contact",
    "case open": "contact _ --deal:deal --company/-c:company",
    "case list": "_ --contact:contact --company/-c:company",
    "case edit": "_ --deal:deal",
}
GROUPS = {"notes", "company", "deal", "deal stages", "followups", "config", "campaign", "case"}
_GLOBAL_VALUES = {"--db"}
_GLOBAL_FLAGS = {"--debug"}


class Spec:
    """One command's completions, read from its TABLE entry."""

    def __init__(self, text: str) -> None:
        words = text.split()
        self.arguments = [word for word in words if not word.startswith("-")]
        self.options = {flag: kind for word in words if word.startswith("-")
                        for flags, kind in [word.split(":")] for flag in flags.split("/")}

    def argument(self, index: int) -> str | None:
        if index < len(self.arguments):
            kind = self.arguments[index]
        elif self.arguments and self.arguments[-1].endswith("..."):
            kind = self.arguments[-1]
        else:
            return None
        kind = kind.removesuffix("...")
        return None if kind == "_" else kind


def candidates(kind: str, incomplete: str, db_override: str | None, light: bool = False
               ) -> list[tuple[str, str]] | None:
    """What completes ``incomplete`` as a ``kind``; nothing when the book cannot be read (a
    completion never prints an error, nor creates a book). The fast path (``light``) gets
    None for a book that must be migrated first: Typer's path then migrates and answers."""
    from crmcli import config as settings
    from crmcli import db

    try:
        config = settings.load(db_override)
        if not Path(config.db_path).is_file():
            return []
        book = db.open_current(config.db_path) if light else db.connect(config.db_path)
        if book is None:
            return None
        try:
            return completion.KINDS[kind](book, incomplete, config)
        finally:
            book.close()
    except (CrmError, sqlite3.Error, OSError):
        return []


def requested_shell() -> str:
    """The shell asking ("bash", "zsh", "fish"...), or "" outside a completion request."""
    return os.environ.get(ENV, "").removeprefix("complete_")


def shell_value(value: str, shell: str) -> str:
    """The candidate without control characters; for bash, which inserts a candidate as it
    is, with what it would split or expand escaped (`José\\ Núñez`, as it completes file
    names). Controls go first, or the escape of one would stay behind."""
    value = strip_controls(value)
    return _BASH_SPECIAL.sub(r"\\\g<0>", value) if shell == "bash" else value


# ---------------------------------------------------------------------------- the fast path


def complete_fast() -> bool:
    """Answer a completion request without Typer when the line is clear; False hands it on."""
    shell = requested_shell()
    if shell not in ("bash", "zsh", "fish"):
        return False
    words, incomplete = _line(shell)
    found = _what_to_complete(words[1:], incomplete)
    if found is None:
        return False
    kind, db_override = found
    answers = candidates(kind, incomplete, db_override, light=True)
    if answers is None:
        return False
    from crmcli.views.completion import write

    items = [(shell_value(value, shell), text) for value, text in answers]
    return write(shell, items, os.environ.get("_TYPER_COMPLETE_FISH_ACTION", ""))


def _line(shell: str) -> tuple[list[str], str]:
    """The words before the cursor and the one being typed, as Typer reads them."""
    if shell == "bash":
        words = _split(os.environ.get("COMP_WORDS", ""))
        cursor = int(os.environ.get("COMP_CWORD", "0") or 0)
        return words[:cursor], (words[cursor] if cursor < len(words) else "")
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    words = _split(line)
    if len(words) > 1 and not line.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _split(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    words: list[str] = []
    try:
        words.extend(lexer)
    except ValueError:  # an open quote: the partial word as it is
        words.append(lexer.token)
    return words


def _what_to_complete(words: list[str], incomplete: str) -> tuple[str, str | None] | None:
    """(kind, --db value) when the line is a known command's argument or option value."""
    if incomplete.startswith("-"):
        return None
    db_override, position = None, 0
    while position < len(words) and words[position].startswith("-"):
        if words[position] in _GLOBAL_VALUES and position + 1 < len(words):
            db_override, position = words[position + 1], position + 2
        elif words[position] in _GLOBAL_FLAGS:
            position += 1
        else:
            return None
    path: list[str] = []
    while position < len(words) and " ".join([*path, words[position]]) in GROUPS | set(TABLE):
        path.append(words[position])
        position += 1
    command = " ".join(path)
    if command not in TABLE:
        return None
    kind = _kind(Spec(TABLE[command]), words[position:])
    return (kind, db_override) if kind else None


def _kind(spec: Spec, words: list[str]) -> str | None:
    """The kind the next word completes, or None if an unknown option makes it unsure."""
    arguments, waiting = 0, None
    for word in words:
        if waiting:
            waiting = None
        elif word in spec.options:
            waiting = word
        elif word.startswith("-"):
            return None
        else:
            arguments += 1
    return spec.options[waiting] if waiting else spec.argument(arguments)
