"""Where things live and what the user configured.

Paths follow XDG: the database at ``$XDG_DATA_HOME/crmcli/crm.db`` and the settings at
``$XDG_CONFIG_HOME/crmcli/config.toml``; ``CRM_DB`` and ``CRM_CONFIG`` override them, and
``--db`` overrides everything. Every key of the TOML file is optional.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli import locations
from crmcli.errors import ConfigError, InvalidInput, shown

DATE_ORDERS = ("DMY", "MDY", "YMD")
KNOWN_KEYS = ("db", "date_order", "currency", "decimal", "remind", "smtp", "cadence",
              "pipeline", "timezone", "phone", "journal", "hooks", "sync", "campaigns",
              "referrals", "cases", "health", "next", "rates",
              "mail")
VCARD_VERSIONS = ("3.0", "4.0")  # the vCard versions crmcli writes (export, sync)
_REGION = re.compile(r"[A-Z]{2}")


@dataclass
class Config:
    path: Path
    db_path: Path
    date_order: str = "DMY"
    currency: str = "EUR"
    timezone: str | None = None  # an IANA name; None: the system's zone
    # The country whose numbers are written without a country code (07700 900005 in GB).
    # Only from the config file: cron has no locale to guess it from.
    phone_region: str | None = None
    # The vCard version sync writes ([sync] vcard_version): 3.0 is what phones read best.
    sync_vcard_version: str = "3.0"
    raw: dict[str, Any] = field(default_factory=dict)
    db_is_default: bool = False  # only the default location gets its folder created

    def table(self, name: str, lines: str = "") -> dict[str, Any]:
        """The ``[name]`` table of the file (empty when absent); any other value is an
        error naming it, and the shape of its ``lines`` when given (``USD = 0.92``)."""
        return _table(self.path, self.raw, name, lines)

    def switch(self, name: str, key: str, default: bool) -> bool:
        """The true/false setting ``key`` of the ``[name]`` table; any other value is an
        error naming it."""
        value = self.table(name).get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.path}: [{name}] {key} must be true or false, "
                              f"not {value!r}")
        return value

    @property
    def unknown_keys(self) -> list[str]:
        return [key for key in self.raw if key not in KNOWN_KEYS]


def config_path() -> Path:
    return Path(locations.config_file())


def hooks_folder() -> Path:
    """Where the user's hook executables live (see crmcli.hooks)."""
    return Path(locations.xdg_home("XDG_CONFIG_HOME", ".config"), "crmcli", "hooks")


def default_db_path() -> Path:
    return Path(locations.default_book())


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
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
                          ) from None
    except ValueError:  # int() refuses more than 4,300 digits
        raise ConfigError(f"{path}: a number with too many digits") from None
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
        db_path=Path(locations.expand_home(db)) if db else default_db_path(),
        date_order=str(raw.get("date_order", "DMY")).upper(),
        currency=str(raw.get("currency", "EUR")).upper(),
        timezone=_timezone(path, raw.get("timezone")),
        phone_region=_phone_region(path, raw),
        sync_vcard_version=_sync_vcard_version(path, raw),
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


@dataclass(frozen=True)
class SyncSettings:
    """The ``[sync]`` table: the command run around reconciling and the vdir of each
    collection ("" leaves a collection out)."""

    command: str = "vdirsyncer sync"
    contacts: str = field(default_factory=lambda: default_sync_folder("contacts"))
    tasks: str = field(default_factory=lambda: default_sync_folder("tasks"))
    journal: str = field(default_factory=lambda: default_sync_folder("journal"))
    deals: str = ""
    cases: str = ""
    vcard_version: str = "3.0"
    journal_days: int = 365  # notes and interactions of the last days go to the phone

    def folder(self, collection: str) -> Path | None:
        """The vdir of ``collection``, or None when it is not synced."""
        value = getattr(self, collection)
        return Path(locations.expand_home(value)) if value else None


def default_sync_folder(name: str) -> str:
    """A default vdir: ``$XDG_DATA_HOME/crmcli/sync/NAME`` (~/.local/share/... by default)."""
    return str(Path(locations.xdg_home("XDG_DATA_HOME", ".local/share"), "crmcli", "sync", name))


def sync_settings(config: Config) -> SyncSettings:
    """The ``[sync]`` settings with their defaults, checked."""
    table = config.table("sync")
    known = SyncSettings.__dataclass_fields__
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{config.path}: sync.{key} is not a setting; known: "
                              f"{', '.join(known)}")
        if key == "journal_days":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 36500:
                raise ConfigError(f"{config.path}: sync.journal_days must be a number of days "
                                  f"from 1 to 36500, not {value!r}")
        elif not isinstance(value, str) and key != "vcard_version":
            raise ConfigError(f"{config.path}: sync.{key} must be a string, not {value!r}")
        elif key == "command":
            check_command(config.path, "sync.command", value)
    return SyncSettings(**(table | {"vcard_version": config.sync_vcard_version}))


def check_command(path: Path, key: str, value: str) -> None:
    """A command run without a shell must split into words as a shell would split it."""
    import shlex

    try:
        shlex.split(value)
    except ValueError as exc:
        raise ConfigError(f"{path}: {key} cannot be split into words like a shell would "
                          f"({exc})") from None


def campaign_mail_counts(config: Config) -> bool:
    """``[campaigns] counts_as_contact``: whether campaign mail moves the last contact and the
    keep-in-touch clock (default false)."""
    return config.switch("campaigns", "counts_as_contact", False)


def _table(path: Path, raw: dict[str, Any], name: str, lines: str = "") -> dict[str, Any]:
    """See :meth:`Config.table` (also for the sections read before there is a Config)."""
    value = raw.get(name, {})
    if not isinstance(value, dict):
        shape = f", with {lines} lines" if lines else ""
        raise ConfigError(f"{path}: {name} must be a table ([{name}]{shape})")
    return value


def _phone_region(path: Path, raw: dict[str, Any]) -> str | None:
    region = _table(path, raw, "phone").get("region")
    if region is None:
        return None
    if not (isinstance(region, str) and _REGION.fullmatch(region.upper())):
        raise ConfigError(f"{path}: phone.region must be a two-letter country code such as "
                          f"GB or US, not {region!r}")
    return region.upper()


def _sync_vcard_version(path: Path, raw: dict[str, Any]) -> str:
    value = _table(path, raw, "sync").get("vcard_version", "3.0")
    try:
        return _check_vcard_version(value)
    except ConfigError as exc:
        raise ConfigError(f"{path}: sync.{exc}") from None


def _check_vcard_version(value: object) -> str:
    """ "3.0" or "4.0" (a bare TOML number, 4.0, is taken as the same)."""
    text = f"{value:.1f}" if isinstance(value, int | float) and not isinstance(value, bool) else (
        str(value).strip())
    if text not in VCARD_VERSIONS:
        raise ConfigError(f"vcard_version must be \"3.0\" or \"4.0\", not {shown(value)}")
    return text


def check_setting(key: str, value: str) -> str:
    """The value to store for ``crm config set KEY VALUE``, checked; ConfigError if the key
    cannot be set that way or the value is wrong."""
    checks = {"phone.region": _check_region, "currency": _check_currency,
              "date_order": _check_date_order, "decimal": _check_decimal,
              "timezone": lambda value: _timezone(config_path(), value),
              "sync.vcard_version": _check_vcard_version}
    if key not in checks:
        raise ConfigError(f"cannot set {shown(key)} from the command line; settable: "
                          f"{', '.join(checks)} (edit {config_path()} for the others)")
    return checks[key](value.strip())


def _check_region(value: str) -> str:
    import phonenumbers

    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{value[:20]!r} is not a region libphonenumber knows: give a "
                          "two-letter country code such as GB, US or ES")
    return value.upper()


def _check_currency(value: str) -> str:
    from crmcli.money import check_currency

    try:
        return check_currency(value)
    except InvalidInput as exc:
        raise ConfigError(str(exc)) from exc


def _check_date_order(value: str) -> str:
    if value.upper() not in DATE_ORDERS:
        raise ConfigError(f"date_order must be one of {', '.join(DATE_ORDERS)}")
    return value.upper()


def _check_decimal(value: str) -> str:
    if value not in (".", ","):
        raise ConfigError('decimal must be "." or ","')
    return value


def setting_in_file(key: str) -> object:
    """What the config file holds for ``key`` (dotted), as written, unchecked; None when it
    holds nothing there."""
    value: object = _read_toml(config_path())
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def save_setting(key: str, value: str | None) -> Path:
    """Write ``key = value`` (a dotted key goes into its table; None removes the key) into
    the config file, keeping its comments and layout; returns the file's path."""
    import tomlkit

    path = config_path()
    _read_toml(path)  # a file that does not parse is reported as at any other command
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else (
            tomlkit.document())
        *tables, name = key.split(".")
        target = document
        for table in tables:
            target = target.setdefault(table, tomlkit.table())
            if not isinstance(target, dict):
                raise ConfigError(f"{path}: {table} is {target!r}, not a table ([{table}]); "
                                  "fix it in the file")
        if value is not None:
            target[name] = value
        else:
            target.pop(name, None)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from exc
    return path
