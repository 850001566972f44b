"""The properties sync owns, as plain JSON-able data, and the three-way merge of them.

A contact's (or a company card's) owned properties are compared parsed, never as bytes (servers
and phones rewrite PRODID, folding and order). Single values (name, company, title, birthday,
anniversary, how we met, met on, the opt-out; a company's name, industry and size) merge field
by field; lists (emails, phones, addresses, URLs, tags, other dates, interests, a company's
custom fields) merge item by item, an item matched on its normalised value, so a label (TYPE)
change is a modification of that item.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from crmcli.contact_rules import detail_norm, normalize_tag
from crmcli.models import Company, Contact, Detail, ImportantDate, PartialDate
from crmcli.normalize import fold

SINGLES = ("name", "company", "title", "birthday", "anniversary")
COMPANY_SINGLES = ("name", "industry", "size")
DETAIL_LISTS = {"emails": "email", "phones": "phone", "addresses": "address", "urls": "url"}
LISTS = (*DETAIL_LISTS, "tags")
# Held only when not empty, so that older bases still compare equal.
OPTIONAL_LISTS = ("dates", "fields", "interests")
OPTIONAL_SINGLES = ("no_mail", "how_we_met", "met_on")

Props = dict  # {"name": str, ..., "emails": [[norm, value, label], ...], "tags": [[tag]]}


def of_contact(contact: Contact, region: str | None = None) -> Props:
    """The owned properties of a contact, in a canonical form."""
    props = _shared(contact, SINGLES, region)
    if contact.dates:  # only when there are some, so older bases still compare equal
        props["dates"] = _unique([d.label.casefold(), d.label, str(d.date)]
                                 for d in contact.dates)
    if contact.no_mail:  # the opt-out (X-CRMCLI-NO-MAIL), set by sync's callers
        props["no_mail"] = True
    for name, value in (("how_we_met", contact.how_we_met), ("met_on", contact.met_on)):
        if value:
            props[name] = str(value)
    if contact.interests:
        props["interests"] = _unique([fold(text), text] for text in contact.interests)
    return props


def of_company(company: Company, region: str | None = None) -> Props:
    """The owned properties of a company (its card), in a canonical form; custom fields as
    [name, value as text]."""
    from crmcli.fields import as_text

    props = _shared(company, COMPANY_SINGLES, region)
    if company.fields:
        props["fields"] = [[name, as_text(value, name)]
                           for name, value in sorted(company.fields.items())]
    return props


def _shared(holder: Contact | Company, singles: tuple[str, ...], region: str | None) -> Props:
    """What contacts and companies hold alike: the single values, the details and the tags."""
    props: Props = {name: _text(getattr(holder, name)) for name in singles}
    for field_name, kind in DETAIL_LISTS.items():
        props[field_name] = _unique(
            [detail_norm(kind, d.value, region) or d.value.strip(), d.value, d.label or ""]
            for d in getattr(holder, field_name))
    props["tags"] = _unique([normalize_tag(tag)] for tag in holder.tags)
    return props


def apply_company(company: Company, props: Props) -> Company:
    """``company`` with its owned properties set to ``props`` (fields typed as text)."""
    values = {name: props[name] for name in COMPANY_SINGLES}
    values["name"] = values["name"] or company.name
    for field_name in DETAIL_LISTS:
        values[field_name] = [Detail(value, label) for _, value, label in props[field_name]]
    values["tags"] = [tag for (tag,) in props["tags"]]
    values["fields"] = dict(props.get("fields", []))
    return replace(company, **values)


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _unique(items) -> list[list[str]]:
    seen, kept = set(), []
    for item in items:
        if item[0] and item[0] not in seen:
            seen.add(item[0])
            kept.append(item)
    return kept


def digest(props: Props) -> str:
    text = json.dumps(props, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def apply(contact: Contact, props: Props) -> Contact:
    """``contact`` with its owned properties set to ``props``."""
    values = {name: props[name] for name in ("name", "company", "title")}
    values["name"] = values["name"] or contact.name
    for name in ("birthday", "anniversary"):
        values[name] = PartialDate.from_storage(props[name]) if props[name] else None
    for field_name in DETAIL_LISTS:
        values[field_name] = [Detail(value, label) for _, value, label in props[field_name]]
    values["tags"] = [tag for (tag,) in props["tags"]]
    values["dates"] = [ImportantDate(label, PartialDate.from_storage(date))
                       for _, label, date in props.get("dates", [])]
    values["no_mail"] = bool(props.get("no_mail"))
    values["how_we_met"] = props.get("how_we_met")
    values["met_on"] = PartialDate.from_storage(props["met_on"]) if props.get("met_on") else None
    values["interests"] = [text for _, text in props.get("interests", [])]
    return replace(contact, **values)


@dataclass(frozen=True)
class Clash:
    """The same property changed differently on both sides: ``kept`` won, ``lost`` lost."""

    field: str
    kept: object
    lost: object
    winner: str  # "phone" or "crm"


def merge(base: Props | None, phone: Props, crm: Props, phone_wins: bool,
          singles: tuple[str, ...] = SINGLES) -> tuple[Props, list[Clash]]:
    """Both sides' changes since ``base`` (None: never agreed, every difference clashes);
    where both changed the same thing differently, ``phone_wins`` says which is newer.
    ``singles``: COMPANY_SINGLES for a company card."""
    base = base or {}
    merged: Props = {}
    clashes: list[Clash] = []
    optional_singles = [name for name in OPTIONAL_SINGLES
                        if any(name in side for side in (base, phone, crm))]
    for name in (*singles, *optional_singles):
        was = base.get(name, None if name in OPTIONAL_SINGLES and base else _UNSET)
        merged[name] = _pick(name, was, phone.get(name), crm.get(name), phone_wins, clashes)
    optional = [name for name in OPTIONAL_LISTS
                if any(name in side for side in (base, phone, crm))]
    for name in (*LISTS, *optional):
        merged[name] = _merge_list(name, base.get(name), phone.get(name, []),
                                   crm.get(name, []), phone_wins, clashes)
    for name in (*optional_singles, *optional):
        if not merged[name]:
            del merged[name]
    return merged, clashes


_UNSET = object()


def _pick(name: str, was, phone, crm, phone_wins: bool, clashes: list[Clash]):
    if phone == crm or crm == was:
        return phone
    if phone == was:
        return crm
    kept, lost = (phone, crm) if phone_wins else (crm, phone)
    clashes.append(Clash(name, kept, lost, "phone" if phone_wins else "crm"))
    return kept


def _merge_list(name: str, base: list | None, phone: list, crm: list, phone_wins: bool,
                clashes: list[Clash]) -> list:
    was = {item[0]: item for item in base or []}
    on_phone = {item[0]: item for item in phone}
    in_crm = {item[0]: item for item in crm}
    merged = []
    for key in [*on_phone, *(key for key in in_crm if key not in on_phone)]:
        here, there = on_phone.get(key), in_crm.get(key)
        if here is None or there is None:
            if key in was:
                continue  # removed on one side (and unchanged or removed on the other)
            merged.append(here or there)
            continue
        before = was.get(key, _UNSET) if base is not None else _UNSET
        merged.append(_pick(f"{name}:{key}", before, here, there, phone_wins, clashes))
    return merged


def shown(value: object) -> str:
    """A property's value as a conflict note names it: 'CEO', 'ana@example.com', nothing."""
    if isinstance(value, list):
        value = value[1] if len(value) == 3 else value[-1]
    return "nothing" if value is None else repr(value)
