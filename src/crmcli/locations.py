"""Where crmcli's files live by default, as plain strings (XDG): the settings at
``$XDG_CONFIG_HOME/crmcli/config.toml`` (``CRM_CONFIG`` overrides it) and the book at
``$XDG_DATA_HOME/crmcli/crm.db``. Kept apart from ``crmcli.config`` so that the light entry
path (``crmcli.entry``) finds them without importing pathlib, dataclasses or tomllib.
"""

from __future__ import annotations

import os


def xdg_home(variable: str, fallback: str) -> str:
    """``$VARIABLE``, else ``~/FALLBACK``."""
    return os.environ.get(variable) or os.path.join(os.path.expanduser("~"), fallback)


def expand_home(path: str | os.PathLike) -> str:
    """``path`` with a leading ``~`` or ``~NAME`` made that home, as ``os.path.expanduser``
    makes it; an error naming it when this system knows no such home (os.path leaves it as it
    is, pathlib's ``expanduser`` raises RuntimeError)."""
    expanded = os.path.expanduser(path)
    if expanded[:1] != "~":
        return expanded
    from crmcli.errors import InvalidInput, shown

    home = expanded.split(os.sep, 1)[0]
    raise InvalidInput(f"a path starts with {shown(home)}, but no user of that name has a home "
                       "here")


def config_file() -> str:
    override = os.environ.get("CRM_CONFIG")
    if override:
        return os.path.expanduser(override)
    return os.path.join(xdg_home("XDG_CONFIG_HOME", ".config"), "crmcli", "config.toml")


def default_book() -> str:
    return os.path.join(xdg_home("XDG_DATA_HOME", ".local/share"), "crmcli", "crm.db")
