"""One card of a vCard input read as an import record.

Long imports run this in a worker process (see ``parallel_map``) that imports this module and
what parsing needs, and nothing else: not the command line, not the book, not hashlib (OpenSSL
alone is 3.5 MB of resident memory).
"""

from __future__ import annotations

import base64
import re
import uuid

from crmcli.errors import InvalidInput
from crmcli.interchange.incoming import Incoming

# A vCard 3.0 content line (RFC 2425): [group.]name *(;param=value[,value]) : value
_PARAM_VALUE = r'(?:"[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*)'
_CONTENT_LINE = re.compile(
    rf"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+(?:;[A-Za-z0-9-]+={_PARAM_VALUE}(?:,{_PARAM_VALUE})*)*"
    r":[^\x00-\x08\x0a-\x1f\x7f]*")
_FOLD = re.compile(r"\n[ \t]")  # removed, a folded line is one line (not the first line)


def read_vcard(raw, prefix: str, digest: str) -> Incoming:
    return _placed(_parse_vcard(raw, digest), prefix)


def _placed(record: Incoming, prefix: str) -> Incoming:
    """The record with its place (and its warnings') prefixed by the file's name."""
    record.where = prefix + record.where
    record.warnings = [prefix + warning for warning in record.warnings]
    return record


def _parse_vcard(raw, digest: str) -> Incoming:
    """One raw card as an import record (runs in a worker process for long inputs); ``digest``
    is its text's."""
    from crmcli.interchange.vcard_read import parse_card

    digest = digest if raw.text else None
    try:
        parsed = parse_card(raw)
    except InvalidInput as exc:
        where, reason = _located(str(exc), raw.where())
        return Incoming(where, error=reason)
    parsed.contact.anniversary = parsed.anniversary
    uid_added = not parsed.contact.uid
    if uid_added:
        parsed.contact.uid = str(uuid.uuid4())
    if parsed.is_company:
        from crmcli.interchange.company_cards import from_card

        company, parsed.extra = from_card(parsed.contact, parsed.extra)
        return Incoming(raw.where(), company=company, notes=parsed.notes,
                        card=card_data(parsed), original=parsed.original or "",
                        warnings=list(parsed.warnings))
    return Incoming(raw.where(), contact=parsed.contact, notes=parsed.notes,
                    card=card_data(parsed), original=parsed.original or "",
                    rendered=_ready_to_export(raw.text, parsed, uid_added),
                    warnings=list(parsed.warnings), relations=parsed.relations,
                    card_hash=digest)


def _ready_to_export(text: str, parsed, uid_added: bool) -> str | None:
    """The card as it came, when it can be exported as it is: valid vCard 3.0 (see
    `vcard_conform`) read without a warning, folded within 75 octets, its dates written the
    way crmcli writes them, without an opt-out (kept in the book, not in the card). A card that
    had no UID gets the one it was given."""
    if parsed.warnings or not parsed.valid_3 or parsed.contact.no_mail:
        return None
    lines = text.split("\n")
    if "VERSION:3.0" not in lines and not any(line.upper() == "VERSION:3.0" for line in lines):
        return None
    if not _within_75_octets(text, lines):
        return None
    if not all(map(_CONTENT_LINE.fullmatch, _FOLD.sub("", text).split("\n"))):
        return None
    for date in (parsed.contact.birthday, parsed.anniversary):
        if date and f":{date}" not in text:
            return None
    if uid_added:
        version = next(i for i, line in enumerate(lines) if line.upper() == "VERSION:3.0")
        lines.insert(version + 1, f"UID:{parsed.contact.uid}")
    return "\r\n".join(lines) + "\r\n"


def _within_75_octets(text: str, lines: list[str]) -> bool:
    if text.isascii():  # a character is an octet
        return max(map(len, lines)) <= 75
    return all(len(line.encode()) <= 75 for line in lines)


def _located(message: str, fallback: str) -> tuple[str, str]:
    """Split ``card 3 (line 41): reason`` into its place and its reason."""
    if message.startswith("card ") and "): " in message:
        where, _, reason = message.partition("): ")
        return where + ")", reason
    return fallback, message


def card_data(parsed) -> dict:
    """What a ParsedCard holds beyond the contact, as JSON for storage."""
    photo = None
    if parsed.photo:
        photo = {"uri": parsed.photo.uri, "media_type": parsed.photo.media_type,
                 "data": base64.b64encode(parsed.photo.data).decode() if parsed.photo.data
                 else None}
    return {"photo": photo, "rev": parsed.rev, "extra": list(parsed.extra)}
