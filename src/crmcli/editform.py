"""The readable text form of a contact that ``crm edit`` opens in ``$EDITOR``, and its parser."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput
from crmcli.models import Contact, Detail
from crmcli.normalize import split_label

_HEADER = """\
# Editing contact {id}. Save to apply; save an empty file to cancel.
# One value per line as "key: value"; lines starting with # are ignored.
# email/phone/address/url take an optional label: "phone: mobile: +34 612 345 678".
# Delete a line to remove that value; repeat a key to add another one.
"""
_SINGLE = ("name", "company", "title", "birthday", "tags")
_MULTI = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls"}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\\\", "\\")


def _detail_text(detail: Detail) -> str:
    value = _escape(detail.value)
    return f"{detail.label}: {value}" if detail.label else value


def to_form(contact: Contact) -> str:
    lines = [_HEADER.format(id=contact.id).rstrip("\n")]
    lines.append(f"name: {contact.name}")
    lines.append(f"company: {contact.company or ''}")
    lines.append(f"title: {contact.title or ''}")
    lines.append(f"birthday: {contact.birthday or ''}")
    lines.append(f"tags: {', '.join(contact.tags)}")
    for key, attribute in _MULTI.items():
        for detail in getattr(contact, attribute):
            lines.append(f"{key}: {_detail_text(detail)}")
    return "\n".join(lines) + "\n"


def is_blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def from_form(text: str, base: Contact, date_order: str, today: dt.date) -> Contact:
    """The contact described by an edited form. Errors name the line."""
    single: dict[str, str] = {}
    multi: dict[str, list[Detail]] = {attribute: [] for attribute in _MULTI.values()}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or (key not in _SINGLE and key not in _MULTI):
            raise InvalidInput(f"line {number}: expected 'key: value' with a key among "
                               f"{', '.join((*_SINGLE, *_MULTI))}; got {line.strip()!r}")
        if key in _SINGLE:
            if key in single:
                raise InvalidInput(f"line {number}: {key} is given twice")
            single[key] = value
        elif value:
            detail_value, label = split_label(value)
            multi[_MULTI[key]].append(Detail(_unescape(detail_value), label))
    if not single.get("name"):
        raise InvalidInput("the form has no name: line 'name: ...' is required")
    try:
        birthday = (parse_partial_date(single["birthday"], date_order, today)
                    if single.get("birthday") else None)
    except InvalidInput as exc:
        raise InvalidInput(f"birthday: {exc}") from exc
    tags = [tag.strip() for tag in single.get("tags", "").split(",") if tag.strip()]
    return replace(base, name=single["name"], company=single.get("company") or None,
                   title=single.get("title") or None, birthday=birthday, tags=tags, **multi)
