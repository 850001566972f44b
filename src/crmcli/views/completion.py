"""Completion candidates written for the shell that asked, in the formats of Typer's scripts
(see `crmcli.shell_completion`)."""

from __future__ import annotations

import sys

from crmcli.text import strip_controls

_SEPARATORS = frozenset("\t\n\r")  # a value holding one cannot be written as one candidate
_ZSH_ESCAPES = str.maketrans({'"': '""', "'": "''", "$": "\\$", "`": "\\`", ":": "\\\\:"})


def write(shell: str, items: list[tuple[str, str]], fish_action: str = "") -> bool:
    """Print ``(value, help)`` candidates; for fish's `is-args` question, the exit status
    answers (True: there are candidates)."""
    items = [(strip_controls(value), " ".join(strip_controls(text).split()))
             for value, text in items if not _SEPARATORS.intersection(value)]
    if shell == "bash":
        sys.stdout.write("\n".join(value for value, _ in items))
    elif shell == "zsh":
        sys.stdout.write(_zsh(items))
    elif fish_action == "is-args":
        raise SystemExit(0 if items else 1)
    elif fish_action == "get-args":
        sys.stdout.write("\n".join(f"{value}\t{text}" if text else value
                                   for value, text in items))
    return True


def _zsh(items: list[tuple[str, str]]) -> str:
    if not items:
        return "_files"
    lines = (f'"{value.translate(_ZSH_ESCAPES)}"' + (
        f':"{text.translate(_ZSH_ESCAPES)}"' if text else "") for value, text in items)
    return "_arguments '*: :((" + "\n".join(lines) + "))'"

