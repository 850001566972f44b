"""Round trip of a text through the user's editor ($VISUAL, $EDITOR, else vi)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile

from crmcli.errors import CrmError


def edit_text(text: str, suffix: str = ".txt") -> str:
    command = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
    with tempfile.TemporaryDirectory(prefix="crm-") as folder:
        path = os.path.join(folder, f"edit{suffix}")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            result = subprocess.run([*command, path], check=False)
        except OSError as exc:
            raise CrmError(f"cannot start editor {command[0]!r}: {exc.strerror}") from exc
        if result.returncode != 0:
            raise CrmError(f"editor {command[0]!r} exited with {result.returncode}; "
                           "nothing was changed")
        with open(path, encoding="utf-8") as handle:
            return handle.read()


def keep_text(text: str) -> str:
    """Save text the user typed (a rejected edit) to a private file; returns its path."""
    handle, path = tempfile.mkstemp(prefix="crm-edit-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    return path
