"""How an imported record's values meet the contact it matches: details left out, fields a
bulk edit overlays, the opt-out, and the refusal of an edit made to an old export (see
``importer``)."""

from __future__ import annotations

from dataclasses import replace
from sqlite3 import Connection

from crmcli import campaigns, contact_rules, contacts
from crmcli.errors import Conflict
from crmcli.interchange.incoming import Incoming, OnDuplicate
from crmcli.models import Contact, copied


def check_unchanged_since_export(existing: Contact, incoming: Contact) -> None:
    """A bulk edit of an export must not undo what was written to a contact after the export.
    The record carries the version it was exported at; when the contact has moved on, which
    of the record's values are edits and which are stale cannot be told, so a record that
    would change anything is refused."""
    if incoming.version in (None, existing.version):
        return
    raise Conflict(f"contact {existing.id} changed since it was exported (version "
                   f"{incoming.version}, now {existing.version}); nothing was changed; export "
                   "it again and redo the edit")


def overlay(existing: Contact, incoming: Contact, fields: set[str] | None, tags: list[str]
            ) -> Contact:
    """``existing`` with the fields the record carries replaced by the record's values, and
    the ``--tag`` tags added either way."""
    chosen = fields if fields is not None else set(contacts.to_record(incoming))
    changes = {name: getattr(incoming, name) for name in chosen
               if name not in ("id", "uid", "created_at", "updated_at")
               and hasattr(incoming, name)}
    overlaid = replace(existing, **changes)
    overlaid.tags = [*overlaid.tags, *tags]
    return overlaid


def without_invalid_details(contact: Contact) -> tuple[Contact, list[str]]:
    """The contact less any email crm cannot use and the values past the limit per kind,
    and a warning for each (phones that are not numbers are kept as text, with a warning);
    one bad value should not cost the whole record."""
    from crmcli.errors import shown
    from crmcli.normalize import is_email

    contact, warnings = contact_rules.tidy(contact)
    emails = [d for d in contact.emails if is_email(d.value)]
    warnings += [f"left out the invalid email {shown(d.value)}"
                 for d in contact.emails if not is_email(d.value)]
    return copied(contact, emails=emails), warnings


def combine_opt_out(db: Connection, contact_id: int, record: Incoming,
                    on_duplicate: OnDuplicate) -> bool:
    """An opt-out the record carries is added; only a bulk edit (a JSON record saying
    ``"no_mail": false``) lifts one, since other files cannot tell "mailable" from "not said"."""
    if record.contact.no_mail:
        return campaigns.set_opt_out(db, contact_id, True)
    if on_duplicate == OnDuplicate.update and "no_mail" in (record.fields or ()):
        return campaigns.set_opt_out(db, contact_id, False)
    return False
