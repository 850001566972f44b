"""Where things live and what the user configured.

Paths follow XDG: the database at ``$XDG_DATA_HOME/crmcli/crm.db`` and the settings at
``$XDG_CONFIG_HOME/crmcli/config.toml``; ``CRM_DB`` and ``CRM_CONFIG`` override them, and
``--db`` overrides everything. Every key of the TOML file is optional.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.errors import ConfigError

DATE_ORDERS = ("DMY", "MDY", "YMD")
KNOWN_KEYS = ("db", "date_order", "currency", "decimal", "remind", "smtp", "cadence",
              "pipeline", "timezone")


@dataclass
class Config:
    path: Path
    db_path: Path
    date_order: str = "DMY"
    currency: str = "EUR"
    timezone: str | None = None  # an IANA name; None: the system's zone
    raw: dict[str, Any] = field(default_factory=dict)
    db_is_default: bool = False  # only the default location gets its folder created

    @property
    def unknown_keys(self) -> list[str]:
        return [key for key in self.raw if key not in KNOWN_KEYS]


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def config_path() -> Path:
    override = os.environ.get("CRM_CONFIG")
    if override:
        return Path(override).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / "crmcli" / "config.toml"


def default_db_path() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "crmcli" / "crm.db"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    import tomllib

    try:
        with handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def _timezone(path: Path, value: object) -> str | None:
    """The ``timezone`` setting, checked: an IANA zone name such as ``Europe/Berlin``."""
    if value is None:
        return None
    import zoneinfo

    try:
        if isinstance(value, str) and value:
            return zoneinfo.ZoneInfo(value).key
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        pass
    raise ConfigError(f"{path}: timezone must be a zone name such as \"Europe/Berlin\", "
                      f"not {value!r}")


def load(db_override: str | None = None) -> Config:
    """Read the config file (if any) and resolve the database path."""
    path = config_path()
    raw = _read_toml(path)
    db = db_override or os.environ.get("CRM_DB") or raw.get("db")
    config = Config(
        path=path,
        db_path=Path(db).expanduser() if db else default_db_path(),
        date_order=str(raw.get("date_order", "DMY")).upper(),
        currency=str(raw.get("currency", "EUR")).upper(),
        timezone=_timezone(path, raw.get("timezone")),
        raw=raw,
        db_is_default=not db,
    )
    if not (len(config.currency) == 3 and config.currency.isalpha()):
        raise ConfigError(f"{path}: currency must be a three-letter ISO 4217 code such as "
                          f"EUR, not {raw['currency']!r}")
    if config.date_order not in DATE_ORDERS:
        raise ConfigError(
            f"{path}: date_order must be one of {', '.join(DATE_ORDERS)}, "
            f"not {raw['date_order']!r}"
        )
    return config
