r"""The vCard forms of what crm remembers about a person beyond their details: relationships,
important dates and custom fields (read by `vcard_read`, written by `vcard_write`).

Relationships (``Related``: crm's type, the person's name, their UID when in the book)
    4.0  ``RELATED;TYPE=spouse:urn:uuid:<uid>`` for a contact in the book,
         ``RELATED;TYPE=spouse;VALUE=text:Rui Lima`` for a person who is not; RFC 6350's
         co-worker reads as colleague and kin as relative. Another URI is kept as it is.
    3.0  Apple's ``itemN.X-ABRELATEDNAMES:Rui Lima`` with ``itemN.X-ABLabel:_$!<Spouse>!$_``
         (Spouse, Partner, Child, Parent, Mother, Father, Brother, Sister, Friend, Assistant,
         Manager; any other type as a plain label), and ``X-CRMCLI-UID=<uid>`` for a contact in
         the book. Read too: kcontacts', Thunderbird's, Evolution's and Outlook's ``X-SPOUSE``,
         ``X-MANAGER``, ``X-ASSISTANT`` (``X-EVOLUTION-``, ``X-MS-``, ``X-KADDRESSBOOK-X-...NAME``
         forms), and RELATED in 3.0 cards. A name without a label is of type ``other``.
Dates
    The anniversary: ``ANNIVERSARY`` (4.0), ``X-ANNIVERSARY`` (3.0); read also from
    ``X-EVOLUTION-``, ``X-MS-`` and ``X-KADDRESSBOOK-X-ANNIVERSARY`` and from an ``X-ABDATE``
    labelled Anniversary. Other dates: ``itemN.X-ABDATE`` with its label in ``itemN.X-ABLabel``
    (unlabelled: ``other``).
Custom fields
    ``X-CRMCLI-FIELD;X-NAME=budget:12000``, one line each.

An imported card's form is written back: an unchanged relationship or field keeps its line,
and a date keeps its property and group (with the new date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.errors import InvalidInput
from crmcli.models import ImportantDate

if TYPE_CHECKING:
    from vobject.base import ContentLine

ANNIVERSARY_NAMES = ("ANNIVERSARY", "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY",
                     "X-KADDRESSBOOK-X-ANNIVERSARY")
NAMED_RELATIONS = {
    "X-SPOUSE": "spouse", "X-MANAGER": "manager", "X-ASSISTANT": "assistant",
    "X-EVOLUTION-SPOUSE": "spouse", "X-EVOLUTION-MANAGER": "manager",
    "X-EVOLUTION-ASSISTANT": "assistant", "X-MS-SPOUSE": "spouse", "X-MS-MANAGER": "manager",
    "X-MS-ASSISTANT": "assistant", "X-KADDRESSBOOK-X-SPOUSESNAME": "spouse",
    "X-KADDRESSBOOK-X-MANAGERSNAME": "manager", "X-KADDRESSBOOK-X-ASSISTANTSNAME": "assistant"}
LABELLED = ("X-ABRELATEDNAMES", "X-ABDATE")  # their group's X-ABLabel is theirs
FIELD = "X-CRMCLI-FIELD"
NAMES = frozenset((*ANNIVERSARY_NAMES, *NAMED_RELATIONS, *LABELLED, "RELATED", FIELD))
APPLE_LABELS = {"spouse": "Spouse", "partner": "Partner", "child": "Child", "parent": "Parent",
                "friend": "Friend", "assistant": "Assistant", "manager": "Manager"}
_RFC_TYPES = {"co-worker": "colleague", "kin": "relative", "co-resident": "co-resident"}
_URN = "urn:uuid:"
_URI = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
OTHER = "other"


@dataclass(frozen=True)
class Related:
    """A relationship as a card holds it: ``name`` is ``kind`` of the card's contact."""

    kind: str
    name: str
    uid: str | None = None  # the related contact's UID, when it is in the book
    by_name: bool = field(default=False, compare=False)  # link the book's contact so named


def kind_of(label: str) -> str:
    """crm's type for a label or TYPE (``Mother`` is parent, ``co-worker`` colleague);
    ``other`` for a label that is not one word of letters, digits and dashes."""
    from crmcli.relationships import clean_kind

    label = _RFC_TYPES.get(label.strip().lower(), label)
    try:
        return clean_kind(label) if label.strip() else OTHER
    except InvalidInput:
        return OTHER


def read(line: ContentLine, label: str, text: str, parse_date) -> tuple[str, object]:
    """(item kind, value) of one of ``NAMES``: ``related``, ``anniversary``, ``date`` or
    ``field``. ValueError leaves the line as it is (a RELATED URI crm cannot follow)."""
    name = line.name
    if name in NAMED_RELATIONS:
        return "related", Related(NAMED_RELATIONS[name], text) if text else None
    if name == "X-ABRELATEDNAMES":
        return "related", Related(kind_of(label), text, _param(line, "X-CRMCLI-UID") or None
                                  ) if text else None
    if name == "RELATED":
        return "related", _related(line, text)
    if name == FIELD:
        field_name = _param(line, "X-NAME")
        if not field_name:
            raise ValueError("has no X-NAME parameter")
        return "field", (field_name, text) if text else None
    date = parse_date(text) if text else None
    if name in ANNIVERSARY_NAMES or kind_of(label) == "anniversary":
        return "anniversary", date
    return "date", ImportantDate(label or OTHER, date) if date else None


def _related(line: ContentLine, text: str) -> Related | None:
    kinds = [kind_of(t) for value in line.params.get("TYPE", []) for t in value.split(",")
             if t.strip() and t.strip().lower() != "contact"]
    kind = kinds[0] if kinds else "contact"
    if not text:
        return None
    if _param(line, "VALUE").lower() == "text" or not _URI.match(text):
        return Related(kind, text)
    if text.lower().startswith(_URN):
        return Related(kind, "", text[len(_URN):])
    raise ValueError("is a link crm cannot follow")


def _param(line: ContentLine, name: str) -> str:
    return next(iter(line.params.get(name, [])), "")


def apple_label(kind: str) -> str:
    """The X-ABLabel of a relationship type: Apple's own for its types, else the type."""
    return f"_$!<{APPLE_LABELS[kind]}>!$_" if kind in APPLE_LABELS else kind


def related_lines(related: Related, version: str, group: str, line, escape) -> list:
    """The lines of a relationship (``line`` builds a ContentLine, ``escape`` escapes text)."""
    if version == "4.0":
        params = [["TYPE", related.kind]]
        if related.uid:
            uid = related.uid if related.uid.lower().startswith("urn:") else _URN + related.uid
            return [line("RELATED", escape(uid), params)]
        return [line("RELATED", escape(related.name), [*params, ["VALUE", "text"]])]
    params = [["X-CRMCLI-UID", related.uid]] if related.uid else []
    return [line("X-ABRELATEDNAMES", escape(related.name), params, group=group),
            line("X-ABLabel", escape(apple_label(related.kind)), group=group)]


def field_line(item: tuple[str, str], line, escape):
    name, text = item
    return line(FIELD, escape(text), [["X-NAME", name]])


def field_text(value: object) -> str:
    """A typed custom field value as its card text (a bool as true or false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
