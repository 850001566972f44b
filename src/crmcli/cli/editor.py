"""Round trip of a text through the user's editor ($VISUAL, $EDITOR, else vi)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile

from crmcli.errors import CrmError, InvalidInput, cut
from crmcli.limits import MAX_FORM_BYTES


def edit_text(text: str, suffix: str = ".txt") -> str:
    """The text as the user saved it. A saved file that is not UTF-8 (or is larger than a form
    can be) is refused, and kept where the user can take their work from."""
    command = _command()
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
        return _read_saved(path)


def _command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split as a shell would split it."""
    name = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
    setting = os.environ.get(name) or "vi"
    try:
        command = shlex.split(setting)
    except ValueError as exc:
        raise CrmError(f"${name} cannot be read as a command ({cut(setting)}): {exc}") from None
    if not command:
        raise CrmError(f"${name} holds no command")
    return command


def _read_saved(path: str) -> str:
    size = os.path.getsize(path)
    if size > MAX_FORM_BYTES:
        raise InvalidInput(f"the saved text is {size:,} bytes, more than the {MAX_FORM_BYTES:,} "
                           f"it may hold; nothing was changed{_kept(path)}")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the saved text is not UTF-8 (byte {exc.start}); save it as UTF-8 "
                           f"and try again; nothing was changed{_kept(path)}") from None


def _kept(path: str) -> str:
    """Move the saved file to a private place that outlives the edit; the message's tail."""
    handle, kept = tempfile.mkstemp(prefix="crm-edit-", suffix=".txt")
    os.close(handle)
    shutil.move(path, kept)
    return f" (your edit is kept in {kept})"


def keep_text(text: str) -> str:
    """Save text the user typed (a rejected edit) to a private file; returns its path."""
    handle, path = tempfile.mkstemp(prefix="crm-edit-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    return path
