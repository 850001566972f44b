"""The tunable constants of the analytics formulas (``analytics``): the configured currency,
``[health]``, ``[next]``, ``[rates]`` and the ``[cadence]`` tag defaults, each checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.errors import ConfigError

if TYPE_CHECKING:
    from decimal import Decimal

    from crmcli.config import Config


@dataclass(frozen=True)
class Settings:
    """The constants of the formulas; ``[health]``, ``[next]`` and ``[rates]`` tune them."""

    currency: str = "EUR"
    window: int = 10  # interactions the rhythm looks at
    min_interactions: int = 3  # fewer: the cadence stands in for the rhythm
    cooling: float = 1.5  # x rhythm
    cold: float = 3.0  # x rhythm
    at_risk: float = 1.5  # x the median interval between purchases
    one_purchase_days: int = 365
    stale_deal_days: int = 14
    urgency_cap: int = 60
    in_reminder: int = 5  # queue items at the top of crm remind's email (0: none)
    rates: dict[str, Decimal] = field(default_factory=dict)  # 1 unit of X in ``currency``
    cadences: dict[str, int] = field(default_factory=dict)  # [cadence] tag defaults


_KEYS = {"health": {"window": int, "min_interactions": int, "cooling": float, "cold": float,
                    "at_risk": float, "one_purchase_days": int},
         "next": {"stale_deal_days": int, "urgency_cap": int, "in_reminder": int}}


def from_config(config: Config) -> Settings:
    """The settings of ``config``: its currency, ``[health]``, ``[next]``, ``[rates]`` and
    ``[cadence]``; a bad value is a ConfigError naming the key."""
    values: dict = {}
    for section, keys in _KEYS.items():
        table = config.table(section)
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{config.path}: {section}.{key} is not a setting; known: "
                                  f"{', '.join(keys)}")
            values[key] = _number(config, f"{section}.{key}", value, keys[key])
    return Settings(currency=config.currency, rates=_rates(config),
                    cadences=_cadences(config), **values)


def _cadences(config: Config) -> dict[str, int]:
    """The ``[cadence]`` tag defaults (the agenda's reading, imported only when there are
    some)."""
    if "cadence" not in config.raw:
        return {}
    from crmcli.agenda import tag_cadences

    return tag_cadences(config)


_MOST = 100 * 366  # a whole-number setting (days, interactions, items): a century at most


def _number(config: Config, name: str, value: object, kind: type) -> int | float:
    """A positive number (a whole one for ``int`` settings, at most ``_MOST``: a larger one
    overflows SQLite's integers and dates); ``in_reminder`` may be 0."""
    least = 0 if name == "next.in_reminder" else 1e-9
    if isinstance(value, bool) or not isinstance(value, int | float) or value < least or (
            kind is int and not isinstance(value, int)):
        wanted = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{config.path}: {name} must be {wanted} above "
                          f"{'or equal to ' if not least else ''}0, not {value!r}")
    if kind is int and value > _MOST:
        raise ConfigError(f"{config.path}: {name} must be at most {_MOST}, not {value!r}")
    return kind(value)


_CODE = re.compile(r"[A-Z]{3}")


def _rates(config: Config) -> dict[str, Decimal]:
    table = config.table("rates", "USD = 0.92")
    if not table:
        return {}
    from decimal import Decimal, InvalidOperation

    rates = {}
    for code, value in table.items():
        currency = str(code).upper()
        try:
            rate = Decimal(str(value)) if not isinstance(value, bool) else Decimal("nan")
        except InvalidOperation:
            rate = Decimal("nan")
        if not _CODE.fullmatch(currency):  # deals' codes were checked against ISO 4217
            raise ConfigError(f"{config.path}: [rates] {code!r} is not a currency code such "
                              "as USD")
        if not rate.is_finite() or rate <= 0:
            raise ConfigError(f"{config.path}: rates.{currency} = {value!r} is not a rate; "
                              f"write how many {config.currency} one {currency} is worth "
                              "(USD = 0.92)")
        rates[currency] = rate
    return rates
