"""What a contact may hold and how its details compare: validation, tidying, the normal
forms that matching uses (emails, phones, tags), and the caps on sizes and counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from crmcli.errors import InvalidInput, shown
from crmcli.limits import MAX_FIELD, MAX_VALUES, check_text
from crmcli.models import Company, Contact, Detail, copied
from crmcli.normalize import (
    MIN_NATIONAL_DIGITS,
    email_key,
    fold,
    is_email,
    phone_key,
    phone_problem,
    phone_suffixes,
    same_phone,
)
from crmcli.text import is_invisible

DETAIL_KINDS = {"email": "emails", "phone": "phones", "address": "addresses", "url": "urls"}
T = TypeVar("T", Contact, Company)


def detail_norm(kind: str, value: str, region: str | None = None) -> str:
    """The form a value is matched by; ``region`` reads phone numbers without a country code."""
    if kind == "email":
        return email_key(value)
    if kind == "phone":
        return phone_key(value, region)
    return fold(value)


def same_detail(kind: str, a: str, b: str, region: str | None = None) -> bool:
    """Whether two values name the same email, phone line, address or URL."""
    if kind == "phone":
        return same_phone(phone_key(a, region), phone_key(b, region))
    return detail_norm(kind, a) == detail_norm(kind, b)


def validate(contact: Contact, region: str | None = None, held: int = 0) -> Contact:
    """Check a contact before it is written; returns it with values tidied. ``held``: the
    tags it holds now (one past the limit from before the limit may lose tags, not gain)."""
    name = " ".join(contact.name.split())
    if is_invisible(name):
        raise InvalidInput("a contact needs a name")
    _check_texts(contact, held)
    for email in contact.emails:
        if not is_email(email.value):
            raise InvalidInput(f"invalid email {shown(email.value)}: expected name@domain.tld")
    tags = sorted({normalize_tag(tag) for tag in contact.tags} - {""})
    details = {attribute: dedupe_details(getattr(contact, attribute), kind, region)
               for kind, attribute in DETAIL_KINDS.items()}
    return copied(contact, name=name, tags=tags,
                   company=(contact.company or "").strip() or None,
                   title=(contact.title or "").strip() or None, **details)


def _check_texts(contact: Contact, held: int) -> None:
    for what in ("name", "company", "title"):
        check_text(what, getattr(contact, what))
    check_tags(contact.tags, "a contact", held, contact.id and str(contact.id))
    check_details(contact, "a contact")


def distinct_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored (``VIP`` and ``+vip`` are one), each once, in their first order."""
    return list(dict.fromkeys(filter(None, map(normalize_tag, tags))))


def check_tags(tags: list[str], holder: str, held: int = 0, ref: str | None = None) -> None:
    """Refuse more than MAX_VALUES distinct tags (or than the ``held`` ones, from before the
    limit), or one too long (``holder``: "a contact"; ``ref``: its commands' words and id,
    "12" or "company 3", to say how to remove some)."""
    for tag in tags:
        check_text("a tag", tag)
    count = len(distinct_tags(tags))
    if count > max(MAX_VALUES, held):
        message = f"{count:,} tags: {holder} has at most {MAX_VALUES:,}"
        if ref is not None and held >= MAX_VALUES:
            noun, _, key = ref.rpartition(" ")
            noun = noun and noun + " "
            message += (f"; it has {held:,} already: remove {count - MAX_VALUES:,} or more "
                        f"first (crm {noun}tag {key} -- -TAG -TAG ...; crm {noun}show {key}"
                        " --json lists them)")
        raise InvalidInput(message)


def tags_with_room(tags: list[str], extra: list[str], holder: str = "the card"
                   ) -> tuple[list[str], list[str]]:
    """``tags`` and the ``extra`` tags there is room for under MAX_VALUES, and a warning
    naming each one left out (``crm import --tag`` onto a card at the limit)."""
    have = set(distinct_tags(tags))
    new = [tag for tag in distinct_tags(extra) if tag not in have]
    room = max(MAX_VALUES - len(have), 0)
    return [*tags, *new[:room]], [
        f"did not add the tag {shown(tag)}: {holder} has {MAX_VALUES:,} tags, the most a "
        "contact keeps" for tag in new[room:]]


def capped_tags(tags: list[str]) -> tuple[list[str], list[str]]:
    """``tags`` less the distinct tags past MAX_VALUES, and a warning when some were."""
    kept = distinct_tags(tags)
    if len(kept) <= MAX_VALUES:
        return tags, []
    return kept[:MAX_VALUES], [f"kept the first {MAX_VALUES:,} tags; skipped "
                               f"{len(kept) - MAX_VALUES:,}"]


def check_details(record: Contact | Company, holder: str) -> None:
    """Refuse more than MAX_VALUES values of a kind, or a value or label too long, on a
    contact or a company (``holder`` names it: "a contact")."""
    for kind, attribute in DETAIL_KINDS.items():
        values = getattr(record, attribute)
        if len(values) > MAX_VALUES:
            raise InvalidInput(f"{len(values):,} {attribute}: {holder} has at most "
                               f"{MAX_VALUES:,}")
        for detail in values:
            check_text(f"{kind} {shown(detail.value)}", detail.value)
            check_text(f"the label of {kind} {shown(detail.value)}", detail.label)


def tidy(contact: Contact, held: int = 0) -> tuple[Contact, list[str]]:
    """``contact`` with at most MAX_VALUES values of each kind, none longer than MAX_FIELD,
    and the messages to show: what was skipped, and which phones are kept as text (they are
    not matched as numbers). One bad value should not cost the whole contact. An edit of a
    contact ``held`` more tags than that from before the limit keeps them all (``validate``
    refuses its gaining one)."""
    warnings = []
    capped = {}
    for kind, attribute in DETAIL_KINDS.items():
        values = getattr(contact, attribute)
        capped[attribute] = [d for d in values[:MAX_VALUES] if len(d.value) <= MAX_FIELD]
        warnings += [f"left out {kind} {shown(d.value)}: longer than {MAX_FIELD:,} characters"
                     for d in values[:MAX_VALUES] if len(d.value) > MAX_FIELD]
        if len(values) > MAX_VALUES:
            warnings.append(f"kept the first {MAX_VALUES:,} {attribute}; skipped "
                            f"{len(values) - MAX_VALUES:,}")
    capped["tags"], skipped = (capped_tags(contact.tags) if held <= MAX_VALUES
                               else (contact.tags, []))
    warnings += skipped
    for phone in capped["phones"]:
        problem = phone_problem(phone.value)
        if problem:
            warnings.append(f"phone {shown(phone.value)} is kept as text: {problem}")
    return copied(contact, **capped), warnings


def normalize_tag(tag: str) -> str:
    return " ".join(tag.split()).casefold().lstrip("+")


def retagged(holder: T, add: Iterable[str], remove: Iterable[str]) -> T:
    """The contact or company with tags added and removed (not saved)."""
    drop = {normalize_tag(tag) for tag in remove}
    return replace(holder, tags=[tag for tag in holder.tags if tag not in drop] + list(add))


def dedupe_details(details: Iterable[Detail], kind: str, region: str | None = None
                   ) -> list[Detail]:
    """Drop empty values and repeats (the same address written differently), keeping order."""
    seen = PhoneSet() if kind == "phone" else set()
    kept = []
    for detail in details:
        value = detail.value.strip()
        if not value:
            continue
        key = detail_norm(kind, value, region) or "#" + fold(value)  # "#": kept as text
        if key in seen:
            continue
        seen.add(key)
        kept.append(Detail(value, detail.label.strip()))
    return kept


class PhoneSet:
    """Phone keys, answering "is this line among them" (see ``same_phone``) in time bounded
    by the length of one key, so that a card with many numbers is read in linear time. A
    key's tails are worked out when a later key is asked about (most contacts have one
    number, which nothing is compared with)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.tails: set[str] = set()  # every tail of a key that a national key could be
        self.national: set[str] = set()
        self.unindexed: list[str] = []  # keys added whose tails are not worked out yet

    def __contains__(self, key: str) -> bool:
        if key in self.keys:
            return True
        if key.startswith("#") or not self.keys:
            return False
        self._index()
        if not key.startswith("+") and key in self.tails:
            return True
        return any(tail in self.national for tail in phone_suffixes(key))

    def add(self, key: str) -> None:
        self.keys.add(key)
        if not key.startswith("#"):
            self.unindexed.append(key)

    def _index(self) -> None:
        for key in self.unindexed:
            self.tails.update(phone_suffixes(key))
            if not key.startswith("+") and len(key.partition(";")[0]) >= MIN_NATIONAL_DIGITS:
                self.national.add(key)
        self.unindexed.clear()
