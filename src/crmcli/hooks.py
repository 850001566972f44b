"""Hooks: the user's executables in ``$XDG_CONFIG_HOME/crmcli/hooks/`` that see every change.

A hook gets the objects as JSON on stdin (one JSON document for a single change, JSON Lines of
every change for a bulk operation such as an import) and ``CRM_HOOK`` (its name) and, after the
change, ``CRM_OPERATION`` (the journal's operation id) in its environment.

- ``pre-add``, ``pre-modify``, ``pre-delete`` run before the write transaction starts (a hook
  that itself runs ``crm`` does not wait on the lock) and may refuse: a non-zero exit or a
  timeout cancels the change, and its first line on stderr says why. Given JSON Lines, a hook
  refuses some records only by printing their line numbers (1-based, one per line, a reason
  may follow after a space) and exiting 0. A hook that gives no answer in time (or cannot
  run) is not asked again by the same command: each later change it would see is refused
  at once, so that a command writing in batches waits for its timeout once, not per batch.
- ``post-add``, ``post-modify``, ``post-delete``, ``post-log``, ``post-deal-stage`` and
  ``post-followup-done`` run after the commit; a failure is a warning, never a lost change.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.errors import LARGEST_ID, CrmError, number_up_to
from crmcli.text import to_json

NAMES = ("pre-add", "pre-modify", "pre-delete", "post-add", "post-modify", "post-delete",
         "post-log", "post-deal-stage", "post-followup-done")
DEFAULT_TIMEOUT = 10.0
_MAX_OUTPUT = 1_000_000


class Refused(CrmError):
    """A pre- hook said no."""


@dataclass
class Outcome:
    ok: bool
    reason: str = ""
    refused_lines: dict[int, str] = field(default_factory=dict)
    unanswered: bool = False  # timed out or could not run: not a hook's decision


@dataclass
class Hooks:
    """The hooks of one command: where they are, how long each may take, and a warning sink."""

    folder: Path
    timeout: float = DEFAULT_TIMEOUT
    enabled: bool = True
    warn: Callable[[str], None] = lambda message: None
    unanswered: dict[str, str] = field(default_factory=dict)  # hook -> why it gave no answer

    def path(self, name: str) -> Path | None:
        if not self.enabled:
            return None
        path = self.folder / name
        return path if path.is_file() and os.access(path, os.X_OK) else None

    def before(self, name: str, payload: dict, operation_id: int | None = None) -> None:
        """Run a pre- hook on one change; raise Refused when it says no."""
        outcome = self._run(name, to_json(payload) + "\n", operation_id)
        if not outcome.ok:
            raise Refused(f"the {name} hook refused the change: {outcome.reason}")
        if 1 in outcome.refused_lines:
            raise Refused(f"the {name} hook refused the change: {outcome.refused_lines[1]}")

    def before_each(self, name: str, payloads: list[dict], operation_id: int | None = None
                    ) -> dict[int, str]:
        """Run a pre- hook once on many changes; the 0-based indexes it refuses, with why."""
        if not payloads or self.path(name) is None:
            return {}
        outcome = self._run(name, "".join(to_json(item) + "\n" for item in payloads),
                            operation_id)
        if not outcome.ok:
            return dict.fromkeys(range(len(payloads)), outcome.reason)
        return {line - 1: reason for line, reason in outcome.refused_lines.items()
                if 1 <= line <= len(payloads)}

    def after(self, name: str, payloads: Iterable[dict], operation_id: int | None) -> None:
        """Run a post- hook on one change or many (JSON Lines); a failure is only a warning."""
        items = list(payloads)
        if not items or self.path(name) is None:
            return
        text = "".join(to_json(item) + "\n" for item in items)
        outcome = self._run(name, text, operation_id)
        if not outcome.ok:
            self.warn(f"crm: warning: the {name} hook failed ({outcome.reason}); the change "
                      "is saved")

    def _run(self, name: str, stdin: str, operation_id: int | None) -> Outcome:
        path = self.path(name)
        if path is None:
            return Outcome(True)
        if name in self.unanswered:
            return Outcome(False, f"not asked again after {self.unanswered[name]}")
        outcome = self._ask(path, name, stdin, operation_id)
        if outcome.unanswered:
            self.unanswered[name] = outcome.reason
        return outcome

    def _ask(self, path: Path, name: str, stdin: str, operation_id: int | None) -> Outcome:
        env = {**os.environ, "CRM_HOOK": name}
        env.pop("CRM_OPERATION", None)
        if operation_id is not None:
            env["CRM_OPERATION"] = str(operation_id)
        try:
            process = subprocess.Popen([str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as exc:
            return Outcome(False, f"cannot run {path}: {exc.strerror}", unanswered=True)
        try:
            out, err = process.communicate(stdin.encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return Outcome(False, f"no answer within {self.timeout:g} s", unanswered=True)
        except BrokenPipeError:
            out, err = b"", b""
            process.wait()
        if process.returncode:
            return Outcome(False, _first_line(err) or f"exit status {process.returncode}")
        return Outcome(True, refused_lines=_refused_lines(out[:_MAX_OUTPUT]))


def _kill_group(process: subprocess.Popen) -> None:
    """Stop a hook and whatever it started (it runs in a session of its own)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _first_line(data: bytes) -> str:
    text = data[:_MAX_OUTPUT].decode("utf-8", "replace").strip()
    return text.splitlines()[0].strip() if text else ""


def _refused_lines(data: bytes) -> dict[int, str]:
    refused = {}
    for line in data.decode("utf-8", "replace").splitlines():
        number, _, reason = line.strip().partition(" ")
        if (item := number_up_to(number, LARGEST_ID)) is not None:
            refused[item] = reason.strip() or "refused by the hook"
    return refused
