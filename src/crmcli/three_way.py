"""Writing back what was read: apply only what a command changed, on top of whatever other
commands wrote meanwhile (a three-way merge), or refuse; never overwrite their change.

``base`` is the row as the command read it, ``mine`` what the command wants it to be, and
``theirs`` the row as it is now. A single value changed on both sides to different values is a
conflict; lists (emails, phones, tags...) merge item by item: what the command added is added
and what it removed is removed, whatever else was added meanwhile.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from crmcli.errors import Conflict
from crmcli.models import Contact

T = TypeVar("T")
CONTACT_VALUES = ("name", "company", "title", "birthday", "anniversary", "how_we_met", "met_on")
CONTACT_LISTS = ("emails", "phones", "addresses", "urls", "tags", "dates", "interests")


def merge(base: T, mine: T, theirs: T, values: tuple[str, ...], lists: tuple[str, ...] = ()
          ) -> T:
    """``theirs`` with the changes from ``base`` to ``mine``; Conflict names the fields
    changed differently on both sides."""
    changes = {}
    clashes = []
    for name in values:
        was, want, now = getattr(base, name), getattr(mine, name), getattr(theirs, name)
        if want in (was, now):
            continue
        if now != was:
            clashes.append(name)
        changes[name] = want
    for name in lists:
        was, want, now = getattr(base, name), getattr(mine, name), getattr(theirs, name)
        if want != was:
            changes[name] = [item for item in now if item in want or item not in was] + [
                item for item in want if item not in was and item not in now]
    if clashes:
        raise Conflict(f"changed meanwhile by another command, in {', '.join(clashes)} too")
    return replace(theirs, **changes)


def merge_contact(base: Contact, mine: Contact, theirs: Contact) -> Contact:
    try:
        return merge(base, mine, theirs, CONTACT_VALUES, CONTACT_LISTS)
    except Conflict as exc:
        raise Conflict(f"contact {base.id} was {exc}; nothing was changed") from None

