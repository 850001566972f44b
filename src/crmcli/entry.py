"""The ``crm`` executable's first stop: the hottest invocations without Typer or Rich.

mutt runs ``crm mutt-query Q`` for every address it completes, shells run ``crm`` for every
<TAB>, and scripts ask ``crm --version`` or read ``crm due`` through a pipe: each would spend
much of its time importing Typer, Rich and the command tree. This module recognises exactly
these invocations and serves them with sqlite3 and the domain code alone, through the same
session code as the full path (``crmcli.session``: config, book, clock, errors). Anything
else, or anything it does not fully understand (another option, a book to create or migrate,
a config warning to print, a terminal to draw on), goes to the Typer app in ``crmcli.cli``,
before a byte is written.
"""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    _open_closed_streams()
    # A light invocation lives for milliseconds and makes no garbage cycles worth collecting:
    # the collector's passes over the modules being imported and the rows being read cost
    # more (a millisecond of mutt-query on 100,000 contacts).
    gc.disable()
    if os.environ.get("_CRM_COMPLETE", "").startswith("complete_"):
        from crmcli.shell_completion import complete_fast

        if complete_fast():
            return
    code = serve(sys.argv[1:])
    if code is not None:
        # Nothing is left to collect: the interpreter's last pass at exit, over every object
        # of every module, skips what is frozen (a millisecond of `crm --version`).
        gc.freeze()
        sys.exit(code)
    # The full path loads with it off too, until its command starts: see
    # crmcli.session.resume_collection.
    from crmcli.cli import main as run

    run()


def _open_closed_streams() -> None:
    """A standard stream the caller closed (``crm list >&-``, ``crm note 1 - <&-``) reads and
    writes as /dev/null: Python leaves it None, and the first use was a traceback. The file
    takes the lowest free descriptor, the closed one, so nothing opened later lands there."""
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            null = os.open(os.devnull, os.O_RDWR)
            setattr(sys, name, open(null, mode, encoding="utf-8", errors="replace"))  # noqa: SIM115


def serve(args: list[str]) -> int | None:
    """Serve ``crm ARGS`` on the light path and return its exit code, or None (nothing
    written) when the full path must."""
    if args in (["--version"], ["-V"]):
        return _finish(_version)
    found = _global_db(args)
    if found is None:
        return None
    db_option, words = found
    if len(words) == 2 and words[0] == "mutt-query" and not words[1].startswith("-"):
        return _serve(db_option, lambda state: _session().mutt_query(state, words[1]))
    if words == ["due"] and not sys.stdout.isatty():  # a terminal's agenda is drawn by Rich
        return _serve(db_option, _due)
    return None


def _global_db(args: list[str]) -> tuple[str | None, list[str]] | None:
    """(--db value or None, the words after it) for ``[--db FILE] WORDS``; None when the
    value is empty or looks like an option (for the full path to refuse)."""
    if len(args) >= 2 and args[0] == "--db":
        value, words = args[1], args[2:]
    elif args and args[0].startswith("--db="):
        value, words = args[0].removeprefix("--db="), args[1:]
    else:
        return None, args
    return None if not value or value.startswith("-") else (value, words)


def _session():
    from crmcli import session

    return session


def _serve(db_option: str | None, command) -> int | None:
    """``command(state)`` on a light session, or None when it must go to the full path."""
    session = _session()
    state = session.State(db_option=db_option, light=True)
    try:
        return _finish(lambda: command(state), state)
    except session.NotLight:  # raised when the book is opened, before anything is written
        return None


def _due(state) -> int:
    """``crm due``, piped: it lives as long as the full path's command, and collects garbage
    as that does."""
    session = _session()
    session.resume_collection()
    return session.due(state)


def _version() -> int:
    from crmcli import __version__, output

    output.Output().message(f"crm {__version__}")
    return 0


def _finish(command, state=None) -> int:
    """Run ``command`` and end as the full path ends: errors as one line on stderr with their
    exit code, a closed pipe quietly, stdout flushed."""
    from crmcli import output

    try:
        return command()
    except BrokenPipeError:
        output.pipe_closed()
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        from crmcli.session import NotLight, error_line, failure

        if isinstance(exc, NotLight):
            raise
        message, code = failure(exc, lambda: state.config.db_path)
        sys.stderr.write(error_line(message) + "\n")
        return code
    finally:
        if state is not None:
            state.close()
        output.finish()
