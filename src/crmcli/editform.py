"""How `crm edit` changes a contact: the readable text form it opens in ``$EDITOR`` (and its
parser), and the changes its flags ask for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crmcli import form_lines
from crmcli.dates import parse_partial_date
from crmcli.errors import InvalidInput, shown
from crmcli.form_lines import escape, unescape
from crmcli.models import Contact, Detail, ImportantDate
from crmcli.normalize import split_label

_HEADER = """\
# Editing contact {id}. Save to apply; save an empty file to cancel.
# One value per line as "key: value"; lines starting with # are ignored.
# email/phone/address/url take an optional label: "phone: mobile: +34 612 345 678".
# Delete a line to remove that value; repeat a key to add another one.
# Other dates as "date: label: value" ("date: wedding: 2012-06-16"; --06-16 has no year).
# Personal: "how we met: ...", "met on: DATE", one "interest: ..." line per interest.
# Custom fields (crm field list) follow the details, one "name: value" each; empty clears.
"""
_SINGLE = ("name", "company", "title", "birthday", "anniversary", "tags", "how we met",
           "met on")
_MULTI = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls",
          "date": "dates", "interest": "interests"}


def _detail_text(detail: Detail | ImportantDate) -> str:
    if isinstance(detail, str):
        return escape(detail)
    if isinstance(detail, ImportantDate):
        return f"{escape(detail.label)}: {detail.date}"
    value = escape(detail.value)
    return f"{detail.label}: {value}" if detail.label else value


def to_form(contact: Contact, field_names: Sequence[str] = ()) -> str:
    """The form of ``contact``, with a line for each custom field of ``field_names``."""
    lines = [_HEADER.format(id=contact.id).rstrip("\n")]
    lines.append(f"name: {contact.name}")
    lines.append(f"company: {contact.company or ''}")
    lines.append(f"title: {contact.title or ''}")
    lines.append(f"birthday: {contact.birthday or ''}")
    lines.append(f"anniversary: {contact.anniversary or ''}")
    lines.append(f"tags: {', '.join(contact.tags)}")
    lines.append(f"how we met: {escape(contact.how_we_met or '')}")
    lines.append(f"met on: {contact.met_on or ''}")
    for key, attribute in _MULTI.items():
        for detail in getattr(contact, attribute):
            lines.append(f"{key}: {_detail_text(detail)}")
    for name in field_names:
        value = contact.fields.get(name)
        lines.append(f"{name}: {'' if value is None else escape(_field_text(value))}")
    return "\n".join(lines) + "\n"


def _field_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def from_form(text: str, base: Contact, date_order: str, today: dt.date,
              field_names: Sequence[str] = ()) -> Contact:
    """The contact described by an edited form. Errors name the line. Its ``fields`` are the
    custom fields' texts as written (``field_changes`` compares them with the stored ones)."""
    lines = form_lines.read(text, _SINGLE, _MULTI, field_names)
    single, custom = lines.single, lines.custom
    multi: dict[str, list] = {attribute: [] for attribute in _MULTI.values()}
    for number, key, value in lines.repeated:
        if key == "date":
            multi["dates"].append(_date_line(number, value, date_order, today))
        elif key == "interest":
            multi["interests"].append(unescape(value))
        else:
            detail_value, label = split_label(value)
            multi[_MULTI[key]].append(Detail(unescape(detail_value), label))
    birthday, anniversary, met_on = (_form_date(single, key, date_order, today)
                                     for key in ("birthday", "anniversary", "met on"))
    tags = [tag.strip() for tag in single.get("tags", "").split(",") if tag.strip()]
    return replace(base, name=single["name"], company=single.get("company") or None,
                   title=single.get("title") or None, birthday=birthday,
                   anniversary=anniversary, tags=tags, met_on=met_on,
                   how_we_met=unescape(single.get("how we met", "")) or None,
                   fields={name: value for name, value in custom.items() if value}, **multi)


def _form_date(single: dict[str, str], key: str, date_order: str, today: dt.date):
    try:
        return parse_partial_date(single[key], date_order, today) if single.get(key) else None
    except InvalidInput as exc:
        raise InvalidInput(f"{key}: {exc}") from exc


def _date_line(number: int, value: str, date_order: str, today: dt.date) -> ImportantDate:
    """``wedding: 2012-06-16`` (the label may hold colons: the date is after the last)."""
    from crmcli.important_dates import ANNIVERSARY, clean_label

    label, sep, date = value.rpartition(":")
    try:
        label = clean_label(unescape(label.strip()))
        if not sep or label == ANNIVERSARY:
            raise InvalidInput("expected 'date: LABEL: DATE' (the anniversary has its own line)")
        return ImportantDate(label, parse_partial_date(date.strip(), date_order, today))
    except InvalidInput as exc:
        raise InvalidInput(f"line {number}: {exc}") from exc


def field_changes(before: Contact, edited: Contact, field_names: Sequence[str]):
    """The ``--set``/``--unset`` an edited form asks for: the fields whose text changed."""
    from crmcli.fields import Changes

    changes = Changes()
    for name in field_names:
        old = before.fields.get(name)
        old_text = None if old is None else _field_text(old)
        new_text = edited.fields.get(name)
        if new_text is None and old_text is not None:
            changes.unset.append(name)
        elif new_text is not None and new_text != old_text:
            changes.set[name] = new_text
    return changes


DETAIL_KINDS = {"emails": "email", "phones": "phone", "addresses": "address", "urls": "url"}


@dataclass
class FlagEdit:
    """What ``crm edit``'s flags ask for. None leaves a field as it is; '' clears it."""

    name: str | None = None
    company: str | None = None
    title: str | None = None
    birthday: str | None = None
    anniversary: str | None = None
    how_we_met: str | None = None
    met_on: str | None = None
    interests: list[str] = field(default_factory=list)
    no_interests: list[str] = field(default_factory=list)
    add: dict[str, list[str]] = field(default_factory=dict)  # "emails": ["work:a@b.c"]
    remove: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    untag: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return (all(value is None for value in (self.name, self.company, self.title,
                                                 self.birthday, self.anniversary,
                                                 self.how_we_met, self.met_on))
                and not any([*self.add.values(), *self.remove.values(), self.tags, self.untag,
                             self.interests, self.no_interests]))


def apply_flags(contact: Contact, edit: FlagEdit, date_order: str, today: dt.date) -> Contact:
    """The contact as the flags change it: fields replaced, details added and removed (a
    removal names a detail the contact has), tags added and removed."""
    from crmcli.contact_rules import normalize_tag
    from crmcli.personal import without_interests

    untagged = {normalize_tag(tag) for tag in edit.untag}
    birthday, anniversary, met_on = (
        getattr(contact, key) if getattr(edit, key) is None else _flag_date(
            key, getattr(edit, key), date_order, today)
        for key in ("birthday", "anniversary", "met_on"))
    changed = replace(
        contact, name=contact.name if edit.name is None else edit.name,
        company=contact.company if edit.company is None else edit.company,
        title=contact.title if edit.title is None else edit.title, birthday=birthday,
        anniversary=anniversary, met_on=met_on,
        how_we_met=contact.how_we_met if edit.how_we_met is None else edit.how_we_met or None,
        interests=without_interests(contact, edit.no_interests).interests + edit.interests,
        tags=[tag for tag in contact.tags + edit.tags if normalize_tag(tag) not in untagged])
    for attribute, kind in DETAIL_KINDS.items():
        setattr(changed, attribute, _changed_details(
            kind, getattr(contact, attribute), edit.add.get(attribute, []),
            edit.remove.get(attribute, [])))
    return changed


def _flag_date(key: str, text: str, date_order: str, today: dt.date):
    """--birthday/--anniversary: a date, or '' to clear."""
    try:
        return parse_partial_date(text, date_order, today) if text else None
    except InvalidInput as exc:
        raise InvalidInput(f"--{key.replace('_', '-')}: {exc}") from exc


def _changed_details(kind: str, current: list[Detail], add: list[str], remove: list[str]
                     ) -> list[Detail]:
    from crmcli.contact_rules import same_detail

    kept = list(current)
    for value in remove:
        matching = [d for d in kept if same_detail(kind, d.value, split_label(value)[0])]
        if not matching:
            raise InvalidInput(f"the contact has no {kind} {shown(value)} to remove")
        kept = [d for d in kept if d not in matching]
    return kept + [Detail(*split_label(value)) for value in add]
