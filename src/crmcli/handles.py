"""Instant messaging handles and social profiles that a contact's or a company's vCard held
(IMPP, X-SOCIALPROFILE, X-AIM, X-JABBER, X-SKYPE...): crm keeps them with the card and
shows them on the page, as ``{"service": "Skype", "value": "ana.lima"}``."""

from __future__ import annotations

import json
import re
from sqlite3 import Connection

_LEGACY = {"X-AIM": "AIM", "X-JABBER": "Jabber", "X-SKYPE": "Skype",
           "X-SKYPE-USERNAME": "Skype", "X-ICQ": "ICQ", "X-MSN": "MSN", "X-YAHOO": "Yahoo",
           "X-GOOGLE-TALK": "Google Talk", "X-GTALK": "Google Talk", "X-QQ": "QQ",
           "X-TWITTER": "Twitter", "X-GADUGADU": "Gadu-Gadu", "X-GROUPWISE": "GroupWise",
           "X-MATRIX": "Matrix", "X-TELEGRAM": "Telegram", "X-WECHAT": "WeChat"}
_SCHEMES = {"xmpp": "Jabber", "skype": "Skype", "aim": "AIM", "ymsgr": "Yahoo",
            "msnim": "MSN", "icq": "ICQ", "sip": "SIP", "irc": "IRC", "matrix": "Matrix",
            "gtalk": "Google Talk", "qq": "QQ"}
_LINE = re.compile(r"(?:[\w-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)", re.DOTALL)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
MAX_SHOWN = 50


def for_contact(db: Connection, contact_id: int) -> list[dict]:
    return _from_table(db, "contact_cards", "contact_id", contact_id)


def for_company(db: Connection, company_id: int) -> list[dict]:
    return _from_table(db, "company_cards", "company_id", company_id)


def _from_table(db: Connection, table: str, column: str, row_id: int) -> list[dict]:
    row = db.execute(f"SELECT data FROM {table} WHERE {column} = ?", [row_id]).fetchone()
    return from_lines(json.loads(row[0]).get("extra") or []) if row else []


def from_lines(lines: list[str]) -> list[dict]:
    """The handles among a card's extra properties (one unfolded line each), in order."""
    found = []
    for line in lines:
        match = _LINE.fullmatch(line.strip())
        if not match:
            continue
        name, params = match[1].upper(), _params(match[2])
        value = _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], match[3]).strip()
        handle = _handle(name, params, value)
        if handle and handle not in found:
            found.append(handle)
    return found[:MAX_SHOWN]


def _handle(name: str, params: dict[str, str], value: str) -> dict | None:
    if not value:
        return None
    if name == "IMPP":
        scheme, sep, rest = value.partition(":")
        service = params.get("X-SERVICE-TYPE") or _SCHEMES.get(scheme.lower(), scheme)
        return {"service": service, "value": rest if sep else value}
    if name == "X-SOCIALPROFILE":
        service = (params.get("TYPE") or "").split(",")[0]
        return {"service": service.capitalize() or "Profile", "value": value}
    if name in _LEGACY:
        return {"service": _LEGACY[name], "value": value}
    return None


def _params(text: str) -> dict[str, str]:
    params = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            params.setdefault(key.strip().upper(), value.strip().strip('"'))
    return params
