"""What the contact commands say about phone numbers: the ``phone.region`` setting, values
kept as text, and the region to set, offered from the locale (never used without asking)."""

from __future__ import annotations

import os
import re

from crmcli.cli.common import info, state
from crmcli.models import Detail

_LOCALE_REGION = re.compile(r"^[a-z]{2,3}_([A-Z]{2})\b")


def region() -> str | None:
    """The configured ``phone.region``: the country of numbers written without a code."""
    return state().config.phone_region


def warn(messages: list[str]) -> None:
    for message in messages:
        info(f"crm: warning: {message}")


def suggest_region(phones: list[Detail]) -> None:
    """Offer to set ``phone.region`` the first time a number without a country code is
    typed, with the country of the locale as the suggestion."""
    from crmcli.normalize import is_national

    if region() or not any(is_national(phone.value) for phone in phones):
        return
    value = next(phone.value for phone in phones if is_national(phone.value))
    guess = _locale_region() or "XX"
    info(f"crm: note: {value!r} has no country code, so it matches other numbers by its "
         f"digits only; say which country such numbers are in, once: "
         f"crm config set phone.region {guess}")


def _locale_region() -> str | None:
    for variable in ("LC_ALL", "LC_CTYPE", "LANG"):
        match = _LOCALE_REGION.match(os.environ.get(variable, ""))
        if match:
            return match[1]
    return None
