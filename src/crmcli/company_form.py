"""How `crm company edit` changes a company: the text form it opens in ``$EDITOR`` (and its
parser), and the changes its flags ask for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crmcli import form_lines
from crmcli.contact_rules import DETAIL_KINDS, normalize_tag, same_detail
from crmcli.errors import InvalidInput, shown
from crmcli.form_lines import escape, unescape
from crmcli.models import Company, Detail
from crmcli.normalize import split_label

_HEADER = """\
# Editing company {id}. Save to apply; save an empty file to cancel.
# One value per line as "key: value"; lines starting with # are ignored.
# website/email/phone/address take an optional label: "phone: office: +34 912 345 678".
# Delete a line to remove that value; repeat a key to add another one.
# Custom fields (crm field list --on companies) follow, one "name: value" each; empty clears.
"""
_SINGLE = ("name", "industry", "size", "tags")
_MULTI = {"website": "urls", "email": "emails", "phone": "phones", "address": "addresses"}


def to_form(company: Company, field_names: Sequence[str] = ()) -> str:
    lines = [_HEADER.format(id=company.id).rstrip("\n"), f"name: {company.name}",
             f"industry: {company.industry or ''}", f"size: {company.size or ''}",
             f"tags: {', '.join(company.tags)}"]
    for key, attribute in _MULTI.items():
        for detail in getattr(company, attribute):
            value = escape(detail.value)
            lines.append(f"{key}: {detail.label}: {value}" if detail.label else f"{key}: {value}")
    for name in field_names:
        value = company.fields.get(name)
        shown = "" if value is None else ("true" if value is True else "false"
                                          if value is False else str(value))
        lines.append(f"{name}: {escape(shown)}")
    return "\n".join(lines) + "\n"


def from_form(text: str, base: Company, field_names: Sequence[str] = ()) -> Company:
    """The company an edited form describes. Errors name the line. Its ``fields`` are the
    custom fields' texts as written (``editform.field_changes`` compares them)."""
    lines = form_lines.read(text, _SINGLE, _MULTI, field_names)
    single, custom = lines.single, lines.custom
    multi: dict[str, list[Detail]] = {attribute: [] for attribute in _MULTI.values()}
    for _, key, value in lines.repeated:
        detail_value, label = split_label(value)
        multi[_MULTI[key]].append(Detail(unescape(detail_value), label))
    tags = [tag.strip() for tag in single.get("tags", "").split(",") if tag.strip()]
    return replace(base, name=single["name"], industry=single.get("industry") or None,
                   size=single.get("size") or None, tags=tags, **multi,
                   fields={name: value for name, value in custom.items() if value})


@dataclass
class FlagEdit:
    """What ``crm company edit``'s flags ask for. None leaves a value as it is; '' clears it."""

    name: str | None = None
    industry: str | None = None
    size: str | None = None
    add: dict[str, list[str]] = field(default_factory=dict)  # "urls": ["https://acme.com"]
    remove: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    untag: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return (all(value is None for value in (self.name, self.industry, self.size))
                and not any([*self.add.values(), *self.remove.values(), self.tags, self.untag]))


def apply_flags(company: Company, edit: FlagEdit) -> Company:
    """The company as the flags change it (a removal names a value the company has)."""
    untagged = {normalize_tag(tag) for tag in edit.untag}
    changed = replace(
        company, name=company.name if edit.name is None else edit.name,
        industry=company.industry if edit.industry is None else edit.industry,
        size=company.size if edit.size is None else edit.size,
        tags=[tag for tag in company.tags + edit.tags if normalize_tag(tag) not in untagged])
    for kind, attribute in DETAIL_KINDS.items():
        kept = list(getattr(company, attribute))
        for value in edit.remove.get(attribute, []):
            matching = [d for d in kept if same_detail(kind, d.value, split_label(value)[0])]
            if not matching:
                what = "website" if kind == "url" else kind
                raise InvalidInput(f"the company has no {what} {shown(value)} to remove")
            kept = [d for d in kept if d not in matching]
        setattr(changed, attribute,
                kept + [Detail(*split_label(value)) for value in edit.add.get(attribute, [])])
    return changed
