"""Round trip of a text through the user's editor ($VISUAL, $EDITOR, else vi)."""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import stat
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
    data = _saved_bytes(path)
    if len(data) > MAX_FORM_BYTES:
        raise InvalidInput(f"the saved text is more than the {MAX_FORM_BYTES:,} bytes it may "
                           f"hold; nothing was changed{_kept(path)}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the saved text is not UTF-8 (byte {exc.start}); save it as UTF-8 "
                           f"and try again; nothing was changed{_kept(path)}") from None


def _saved_bytes(path: str) -> bytes:
    """Up to MAX_FORM_BYTES + 1 bytes of the file the editor saved, opened so that whatever the
    editor left in its place (a named pipe, a folder, a link, a device) never blocks nor is
    followed: only a regular file is read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise InvalidInput("the editor left no file to read; nothing was changed") from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise InvalidInput(f"cannot read the saved text: {exc.strerror}; nothing was "
                               "changed") from None
        raise InvalidInput(_NOT_A_FILE.format("a symbolic link")) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise InvalidInput(_NOT_A_FILE.format(_KINDS.get(stat.S_IFMT(mode), "something")))
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(MAX_FORM_BYTES + 1)


_NOT_A_FILE = ("the editor left {} where the file it was given was, not a file; nothing was "
               "changed")
_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFDIR: "a folder", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


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
