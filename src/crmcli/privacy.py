"""What is private in a book, and records with it withheld (for an assistant, ``crm mcp``).

Private are the custom fields marked so (``crm field private``) and the personal section of a
contact: how and when you met, interests, gifts, the anniversary and the other important
dates, and relationships other than the working ones (:data:`WORKING_RELATIONSHIPS`). A record
with them withheld says which keys it lost in ``"withheld"``, so that a reader knows the
book holds more than it was shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcli import fields

if TYPE_CHECKING:
    from sqlite3 import Connection

PERSONAL_KEYS = ("how_we_met", "met_on", "interests", "gifts", "anniversary", "dates")
WORKING_RELATIONSHIPS = frozenset({"colleague", "assistant", "manager", "referred-by",
                                   "introduced-by"})
WORKING_OCCASIONS = frozenset({"birthday"})  # of the agenda's occasions, the only one shown


class Withholding:
    """Withholds the private parts of the records of one book (nothing when ``show_all``)."""

    def __init__(self, db: Connection, show_all: bool = False):
        self.show_all = show_all
        self.contact_fields = frozenset() if show_all else fields.private_names(db, "contacts")
        self.company_fields = frozenset() if show_all else fields.private_names(db, "companies")

    def contact(self, record: dict) -> dict:
        """A contact record (``crm show --json`` or ``crm list --json``) less what is private."""
        if self.show_all:
            return record
        kept = {key: value for key, value in record.items() if key not in PERSONAL_KEYS}
        withheld = [key for key in PERSONAL_KEYS if key in record]
        if self.contact_fields & set(record.get("fields", {})):
            kept["fields"] = _public(record["fields"], self.contact_fields)
            withheld.append("fields: " + ", ".join(sorted(self.contact_fields
                                                          & set(record["fields"]))))
        if "relationships" in record:
            kept["relationships"] = [item for item in record["relationships"]
                                     if item["type"] in WORKING_RELATIONSHIPS]
            if len(kept["relationships"]) < len(record["relationships"]):
                withheld.append("relationships: personal ones")
        kept["withheld"] = withheld
        return kept

    def company(self, record: dict) -> dict:
        """A company record (``crm company show --json``) less what is private."""
        if self.show_all:
            return record
        kept = dict(record)
        if "fields" in record:
            kept["fields"] = _public(record["fields"], self.company_fields)
        if "contacts" in record:
            kept["contacts"] = [self.contact(person) for person in record["contacts"]]
        return kept

    def agenda_row(self, row: dict) -> bool:
        """Whether a row of ``crm due`` may be shown (anniversaries and dates may not)."""
        return self.show_all or row["section"] != "birthdays" or row["kind"] in WORKING_OCCASIONS

    def queue_item(self, row: dict) -> bool:
        """Whether an item of ``crm next`` may be shown (of today's occasions, birthdays
        only)."""
        return self.show_all or row["kind"] != "occasion" or row["occasion"] in WORKING_OCCASIONS


def _public(values: dict, private: frozenset[str]) -> dict:
    return {name: value for name, value in values.items() if name not in private}
