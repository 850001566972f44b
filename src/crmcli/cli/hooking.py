"""What commands hand to the hooks: the objects as `show --json` and `deal show --json` print
them, and the journal's operation id once the change is committed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from crmcli.cli.common import info, state
from crmcli.errors import ConfigError

if TYPE_CHECKING:
    from crmcli.hooks import Hooks
    from crmcli.models import Contact, Deal

_TIMEOUT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, None: 1}


def hooks() -> Hooks:
    from crmcli import config
    from crmcli import hooks as hook_runner

    current = state()
    return hook_runner.Hooks(folder=config.hooks_folder(), timeout=_timeout(current.config),
                             enabled=not current.no_hooks, warn=info)


def _timeout(settings) -> float:
    value = settings.raw.get("hooks", {}).get("timeout", "10s")
    match = _TIMEOUT.fullmatch(str(value).strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"{settings.path}: [hooks] timeout must be a length of time such as "
                          f"\"10s\" or \"500ms\", not {value!r}")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def active(*names: str) -> Hooks | None:
    """The hooks, when one of ``names`` is installed (commands build no payload otherwise)."""
    found = hooks()
    return found if any(found.path(name) for name in names) else None


def before(found: Hooks, name: str, payload: dict) -> None:
    """Run a pre- hook (it may refuse), telling it the operation id the change will have."""
    if found.path(name):
        found.before(name, payload, reserve_operation())


def before_each(found: Hooks, name: str, payloads: list[dict]) -> dict[int, str]:
    """Run a bulk pre- hook; the 0-based indexes of the changes it refuses, with why."""
    if not payloads or not found.path(name):
        return {}
    return found.before_each(name, payloads, reserve_operation())


def reserve_operation() -> int | None:
    """The journal's operation of this command, created before anything is written so that
    pre- and post- hooks see the same id (a command that then writes nothing leaves none)."""
    recorder = state().db.journal
    return recorder.reserve(state().db) if recorder else None


def operation_id() -> int | None:
    """The journal's operation of this command, once it has written something."""
    return getattr(state().db.journal, "operation_id", None)


def contact_json(contact: Contact) -> dict:
    """A contact as `crm show --json` prints it (for a contact not yet saved: its fields)."""
    from crmcli import contacts, profiles, stages

    if contact.id is None:
        return contacts.to_record(contact)
    current = state()
    return profiles.to_record(profiles.load(current.db, contact, current.now),
                              stages.load_pipeline(current.config))


def saved_contact_json(contact_id: int) -> dict:
    from crmcli import contacts

    return contact_json(contacts.get(state().db, contact_id, deleted=None))


def deal_json(deal: Deal) -> dict:
    """A deal as `crm deal show --json` prints it."""
    from crmcli import deals, stages

    current = state()
    changes = deals.history(current.db, deal.id)
    return deals.page_record(deal, stages.load_pipeline(current.config), changes,
                             deals.time_in_stages(deal, changes, current.now))


def after(found: Hooks | None, name: str, payloads: Callable[[], Iterable[dict]]) -> None:
    """Run a post- hook once the change is committed."""
    if found and found.path(name):
        found.after(name, payloads(), operation_id())
