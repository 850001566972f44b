"""Which tables hold the user's data, and which hold caches or state.

The dump writes, the journal records and undo restores exactly the user tables, minus their
cache columns. A test keeps these lists complete against the schema: a table added later fails
it until it is classified here, as user data or as something else (and why).
"""

from __future__ import annotations

from sqlite3 import Connection

# Parents before children, so that a load inserts rows in an order foreign keys accept.
USER_TABLES = (
    "companies", "company_details", "company_tags", "company_notes", "company_cards",
    "contacts", "contact_details", "contact_tags", "contact_cards", "notes",
    "interactions", "deals", "deal_stage_changes", "followups", "relationships",
    "custom_fields", "contact_field_values", "company_field_values", "segments",
    "contact_dates", "contact_interests", "contact_gifts",
    "campaigns", "campaign_recipients", "mail_opt_outs", "cases", "case_events",
    "calendar_events",
)
# Columns of user tables that are caches: neither dumped nor journaled, emptied on a restore.
CACHE_COLUMNS = {"contact_cards": ("rendered", "rendered_for", "card_hash", "hashed_version")}
# Row versions: neither dumped nor journaled either; a trigger raises them on every write, an
# undo's included (see migrations.m011_row_versions).
VERSION_COLUMNS = {"contacts": ("version",), "companies": ("version",), "deals": ("version",),
                   "followups": ("version",), "cases": ("version",)}
# Tables that are not user data, and why they are left out of dumps and of the journal.
OTHER_TABLES = {
    "reminders_sent": "delivery state: what `crm remind` sent (an undo never mails anyone again)",
    "journal_operations": "the journal itself",
    "journal_changes": "the journal itself",
    "_sqlite_migrations": "the schema's history",
    "sync_items": "sync state: what the last sync agreed (an undo is pushed by the next sync)",
    "sync_conflicts": "sync state: conflicts sync resolved or could not",
    "sqlite_sequence": "SQLite's id counters",
    "campaign_deliveries": "delivery state: what a campaign sent (an undo never mails anyone "
                           "again)",
    "contact_moments": "figures of the interactions (each contact's latest personal ones), "
                       "kept by triggers on every write to them, an undo's and a load's included",
}
# Full-text indexes (and their shadow tables): rebuilt from the user tables.
SEARCH_INDEXES = ("contact_search", "note_search")


def columns(db: Connection, table: str) -> list[str]:
    """The table's columns as the live schema has them, without cache columns."""
    cached = (*CACHE_COLUMNS.get(table, ()), *VERSION_COLUMNS.get(table, ()))
    return [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")
            if row[1] not in cached]


def key_columns(db: Connection, table: str) -> list[str]:
    """The columns that order a table's rows stably: its primary key, else its rowid."""
    keyed = sorted((row[5], row[1]) for row in db.execute(f"PRAGMA main.table_info({table})")
                   if row[5])
    return [name for _, name in keyed] or ["rowid"]


def rowid_alias(db: Connection, table: str) -> str | None:
    """The column that is the table's rowid (an INTEGER PRIMARY KEY), if it has one."""
    keyed = [row for row in db.execute(f"PRAGMA main.table_info({table})") if row[5]]
    if len(keyed) == 1 and keyed[0][2].upper() == "INTEGER":
        return keyed[0][1]
    return None


def unclassified(db: Connection) -> list[str]:
    """Tables of the live schema that none of the lists above names."""
    known = {*USER_TABLES, *OTHER_TABLES, *SEARCH_INDEXES}
    names = [name for (name,) in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name")]
    return [name for name in names if name not in known
            and not any(name.startswith(f"{index}_") for index in SEARCH_INDEXES)]
